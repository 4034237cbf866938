//! Consumer access: requests, reviewer decisions, grants, revocation and
//! expiry.
//!
//! The grants table is the embedded share backend's truth ("can account X
//! read product Y" is a lookup). With the AWS share backend on, each grant,
//! extension and revocation also enqueues a `share.grant` / `share.revoke`
//! effect in the same transaction; the outbox worker makes the RAM and Lake
//! Formation calls after the commit, so a crash loses no grant and creates no
//! second share (the AWS calls are idempotent by share name).

use chrono::Duration;
use serde_json::json;
use steward_schemas::AccountId;

use super::{Service, parse_key, require, require_reviewer};
use crate::auth::{Principal, Role};
use crate::effects::{self, GrantShare, RevokeShare, ShareTarget};
use crate::error::{ServiceError, StoreError};
use crate::store::access::{self, NewGrant, NewRequest};
pub use steward_api::AccessRequestInput;

pub use crate::store::access::{
    AccessFilter, AccessRequest, Grant, GrantFilter, GrantStatus, RequestFilter, RequestStatus,
};
use crate::store::products;

/// Longest grant a request may ask for.
pub const MAX_DURATION_DAYS: i64 = 3650;
const MAX_JUSTIFICATION: usize = 2000;

fn conflict_or(e: StoreError, message: impl FnOnce() -> String) -> ServiceError {
    match e {
        StoreError::Conflict(_) => ServiceError::Conflict(message()),
        other => other.into(),
    }
}

impl Service {
    /// A consumer asks for access to a published product for one of its accounts.
    pub async fn request_access(
        &self,
        who: &Principal,
        key: &str,
        input: &AccessRequestInput,
    ) -> Result<AccessRequest, ServiceError> {
        let key = parse_key(key)?;
        let account = self.require_account(who, &input.account)?;
        let justification = input.justification.trim();
        if justification.is_empty() {
            return Err(ServiceError::BadRequest("justification: say why the account needs the data".into()));
        }
        if justification.chars().count() > MAX_JUSTIFICATION {
            return Err(ServiceError::BadRequest(format!("justification: at most {MAX_JUSTIFICATION} characters")));
        }
        if let Some(d) = input.duration_days
            && !(1..=MAX_DURATION_DAYS).contains(&d)
        {
            return Err(ServiceError::BadRequest(format!(
                "duration_days: {d} must be between 1 and {MAX_DURATION_DAYS}"
            )));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let detail = products::get(&mut tx, &key.to_string())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("product {key} is not published")))?;
        if detail.status.is_withdrawn() {
            return Err(ServiceError::Conflict(format!(
                "product {key} is {}: new access is not granted; ask its owner ({}) for the successor",
                detail.status, detail.owner_team
            )));
        }
        if let Some(g) = access::active_grant(&mut tx, &key.to_string(), account.as_str()).await? {
            return Err(ServiceError::Conflict(format!(
                "account {account} already has access to {key} (grant {}{})",
                g.id,
                g.expires_at.map(|e| format!(", until {}", steward_api::time::format(&e))).unwrap_or_default()
            )));
        }
        let id = access::insert_request(
            &mut tx,
            &NewRequest {
                product_key: &key.to_string(),
                account: account.as_str(),
                requested_by: &who.name,
                justification,
                duration_days: input.duration_days,
                now,
            },
        )
        .await
        .map_err(|e| conflict_or(e, || format!("account {account} already has an open request for {key}")))?;
        self.audit(
            &mut tx,
            &who.name,
            "access.request",
            &format!("access_request:{id}"),
            None,
            Some(
                json!({"product": key.to_string(), "account": account.as_str(), "duration_days": input.duration_days}),
            ),
        )
        .await?;
        let request = access::get_request(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("{id}")))?;
        tx.commit().await?;
        Ok(request)
    }

    async fn open_request(&self, id: i64) -> Result<AccessRequest, ServiceError> {
        access::get_request(&mut *self.conn().await?, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no access request {id}")))
    }

    /// A reviewer approves a request: it becomes a grant (or extends the
    /// account's active one) and, with AWS shares, a share effect.
    pub async fn approve_access(&self, who: &Principal, id: i64, comment: Option<&str>) -> Result<Grant, ServiceError> {
        require_reviewer(who, "approve access requests")?;
        let request = self.open_request(id).await?;
        require(
            request.requested_by != who.name,
            format!("`{}` requested this access and cannot approve it; another reviewer must", who.name),
        )?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !access::decide_request(&mut tx, id, RequestStatus::Approved, &who.name, comment, now).await? {
            return Err(ServiceError::Conflict(format!("access request {id} was already {}", request.status)));
        }
        let expires_at = request.duration_days.map(|d| now + Duration::days(d));
        let grant_id = access::upsert_grant(
            &mut tx,
            &NewGrant {
                product_key: &request.product_key,
                account: &request.account,
                request_id: Some(id),
                granted_by: &who.name,
                now,
                expires_at,
            },
        )
        .await?;
        if self.backends.aws_shares() {
            let job = GrantShare(ShareTarget {
                product_key: request.product_key.clone(),
                account: request.account.clone(),
                grant_id,
                occasion: format!("request:{id}"),
            });
            // A version still being published to Glue goes first (its tables
            // must exist before Lake Formation can grant on them).
            let publish = crate::store::outbox::unfinished_publish(&mut tx, &request.product_key).await?;
            effects::enqueue(&mut tx, &job, publish, now).await?;
        }
        self.audit(
            &mut tx,
            &who.name,
            "access.approve",
            &format!("access_request:{id}"),
            Some(json!({"status": RequestStatus::Pending})),
            Some(json!({"status": RequestStatus::Approved, "grant": grant_id, "comment": comment})),
        )
        .await?;
        self.audit(
            &mut tx,
            &who.name,
            "grant.create",
            &format!("grant:{grant_id}"),
            None,
            Some(json!({"product": request.product_key, "account": request.account, "expires_at": expires_at.map(crate::store::ts)})),
        )
        .await?;
        let grant = access::get_grant(&mut tx, grant_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("grant {grant_id}")))?;
        tx.commit().await?;
        Ok(grant)
    }

    /// A reviewer rejects a request, saying why.
    pub async fn reject_access(&self, who: &Principal, id: i64, comment: &str) -> Result<AccessRequest, ServiceError> {
        require_reviewer(who, "reject access requests")?;
        if comment.trim().is_empty() {
            return Err(ServiceError::BadRequest("comment: say why the request is rejected".into()));
        }
        let request = self.open_request(id).await?;
        require(
            request.requested_by != who.name,
            format!("`{}` requested this access and cannot decide it; another reviewer must", who.name),
        )?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !access::decide_request(&mut tx, id, RequestStatus::Rejected, &who.name, Some(comment), now).await? {
            return Err(ServiceError::Conflict(format!("access request {id} was already {}", request.status)));
        }
        self.audit(
            &mut tx,
            &who.name,
            "access.reject",
            &format!("access_request:{id}"),
            Some(json!({"status": RequestStatus::Pending})),
            Some(json!({"status": RequestStatus::Rejected, "comment": comment})),
        )
        .await?;
        let request = access::get_request(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("{id}")))?;
        tx.commit().await?;
        Ok(request)
    }

    /// Ends a grant: `revoked` by a reviewer, or `expired` by the worker.
    async fn end_grant(
        &self,
        actor: &str,
        grant: &Grant,
        status: GrantStatus,
        reason: Option<&str>,
    ) -> Result<(), ServiceError> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !access::end_grant(&mut tx, grant.id, status, actor, now).await? {
            return Err(ServiceError::Conflict(format!("grant {} is already {}", grant.id, grant.status)));
        }
        if self.backends.aws_shares() {
            let job = RevokeShare(ShareTarget {
                product_key: grant.product_key.clone(),
                account: grant.account.clone(),
                grant_id: grant.id,
                occasion: "end".to_owned(),
            });
            effects::enqueue(&mut tx, &job, None, now).await?;
        }
        self.audit(
            &mut tx,
            actor,
            if status == GrantStatus::Expired { "grant.expire" } else { "grant.revoke" },
            &format!("grant:{}", grant.id),
            Some(json!({"status": GrantStatus::Active})),
            Some(json!({"status": status, "reason": reason})),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A reviewer revokes a grant.
    pub async fn revoke_grant(&self, who: &Principal, id: i64, reason: Option<&str>) -> Result<Grant, ServiceError> {
        require_reviewer(who, "revoke grants")?;
        let grant = access::get_grant(&mut *self.conn().await?, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no grant {id}")))?;
        self.end_grant(&who.name, &grant, GrantStatus::Revoked, reason).await?;
        access::get_grant(&mut *self.conn().await?, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no grant {id}")))
    }

    /// Expires every grant past its end date; returns how many.
    pub async fn expire_grants(&self) -> Result<usize, ServiceError> {
        let due = access::expired(&mut *self.conn().await?, self.clock.now(), 500).await?;
        let mut n = 0;
        for g in due {
            match self.end_grant("steward", &g, GrantStatus::Expired, Some("end date reached")).await {
                Ok(()) => n += 1,
                Err(ServiceError::Conflict(_)) => {} // revoked meanwhile
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Who may see which requests and grants: reviewers and admins all;
    /// consumers their accounts'; producers those of their domains' products.
    fn access_scope<S>(&self, who: &Principal, f: &mut AccessFilter<S>) -> Result<(), ServiceError> {
        match who.role {
            Role::Admin | Role::Reviewer => {}
            Role::Consumer => f.accounts = Some(who.scopes.clone()),
            Role::Producer => {
                let key = f.product_key.as_deref().ok_or_else(|| {
                    ServiceError::BadRequest("producers list access per product: give the product".into())
                })?;
                let domain = key.split('.').next().unwrap_or_default();
                require(
                    who.produces_for(domain),
                    format!("token `{}` does not produce for domain {domain}", who.name),
                )?;
            }
        }
        Ok(())
    }

    pub async fn access_requests(
        &self,
        who: &Principal,
        filter: &RequestFilter,
    ) -> Result<Vec<AccessRequest>, ServiceError> {
        let mut f = filter.clone();
        self.access_scope(who, &mut f)?;
        Ok(access::list_requests(&mut *self.conn().await?, &f).await?)
    }

    /// Grants visible to `who`. Everyone signed in may see who has access to a
    /// product (the product page shows it).
    pub async fn grants(&self, who: &Principal, filter: &GrantFilter) -> Result<Vec<Grant>, ServiceError> {
        let mut f = filter.clone();
        if f.product_key.is_none() {
            self.access_scope(who, &mut f)?;
        }
        Ok(access::list_grants(&mut *self.conn().await?, &f).await?)
    }

    /// The embedded share backend's question: may `account` read `key`?
    pub async fn can_read(&self, key: &str, account: &str) -> Result<Option<Grant>, ServiceError> {
        let key = parse_key(key)?;
        let account = AccountId::parse(account).map_err(|e| ServiceError::BadRequest(format!("account: {e}")))?;
        let grant = access::active_grant(&mut *self.conn().await?, &key.to_string(), account.as_str()).await?;
        // An expired grant the worker has not reached yet does not count.
        let now = self.clock.now();
        Ok(grant.filter(|g| g.expires_at.is_none_or(|e| e > now)))
    }
}
