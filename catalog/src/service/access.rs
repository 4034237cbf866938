//! Consumer access: requests, reviewer decisions, grants, renewal,
//! cancellation, revocation and expiry.
//!
//! The grants table is the embedded share backend's truth ("can account X
//! read product Y" is a lookup). With the AWS share backend on, each grant,
//! extension and revocation also enqueues a `share.grant` / `share.revoke`
//! effect in the same transaction; the outbox worker makes the Lake
//! Formation calls after the commit, so a crash loses no grant and creates
//! no second share (the calls are idempotent).
//!
//! **Renewal.** A consumer holding the account asks to renew an active grant
//! that has an end date ([`Service::renew_grant`]). That is an access request
//! like any other (pending, decided by a reviewer who is not the requester,
//! at most one open per product and account) with `renews` naming the grant.
//! Approval moves the grant's end date `duration_days` past its current end
//! (or past the approval, if the end has already passed), never more than
//! [`MAX_DURATION_DAYS`] from the approval; without a duration the grant
//! lasts until revoked. Renewing early therefore loses no days. The grant
//! keeps its id (and, on AWS, its share: the share job is enqueued again and
//! is idempotent). If the grant ended before the renewal was decided,
//! approving it grants afresh from the approval, as a first request would.
//! A deprecated product's grants may be renewed (existing consumers keep
//! reading while they migrate); a retired product's may not.
//!
//! **Cancellation.** Only the requester (the same token name) cancels a
//! pending request ([`Service::cancel_access_request`]); a decided one is a
//! conflict. It ends `cancelled`, audited as `access.cancel`.
//!
//! **Who reads what.** Reviewers and admins read every request and grant;
//! consumers those of their accounts; producers those of their domains'
//! products (the filter is in SQL, so their pages are never cut short).
//! Grants of one named product are readable by everyone signed in (the
//! product page shows who has access).

mod notices;

pub use notices::{Deprecation, PendingChange, ProductNotices};

use chrono::Duration;
use serde_json::json;
use steward_schemas::AccountId;

use super::{Service, parse_key, require, require_reviewer};
use crate::auth::{Principal, Role};
use crate::effects::{self, GrantShare, RevokeShare, ShareTarget};
use crate::error::{ServiceError, StoreError};
use crate::events::Change;
use crate::store::access::{self, NewGrant, NewRequest};
pub use steward_api::AccessRequestInput;
pub use steward_api::access::GrantRenewalInput;

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
        let justification = check_request(&input.justification, input.duration_days)?;
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
                "account {account} already has access to {key} (grant {}{}){}",
                g.id,
                g.expires_at.map(|e| format!(", until {}", steward_api::time::format(&e))).unwrap_or_default(),
                if g.expires_at.is_some() {
                    format!("; renew it instead (steward access renew {})", g.id)
                } else {
                    String::new()
                }
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
                renews_grant: None,
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
        self.announce(&mut tx, &Change::AccessRequested { request: &request }).await?;
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
        let current = access::active_grant(&mut tx, &request.product_key, &request.account).await?;
        let expires_at = new_end(current.as_ref(), request.duration_days, now);
        // New access is to the newest major; an extended grant keeps its own.
        let major = match &current {
            Some(g) => g.major,
            None => crate::store::products::current_major(&mut tx, &request.product_key).await?.unwrap_or(1),
        };
        let grant_id = access::upsert_grant(
            &mut tx,
            &NewGrant {
                product_key: &request.product_key,
                account: &request.account,
                request_id: Some(id),
                major,
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
                major: None,
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
        let after = json!({"product": request.product_key, "account": request.account, "expires_at": expires_at.map(crate::store::ts)});
        match &current {
            // A renewal (or, exceptionally, a request approved beside an
            // active grant) moves the existing grant's end date.
            Some(g) => {
                let before = json!({"expires_at": g.expires_at.map(crate::store::ts)});
                self.audit(&mut tx, &who.name, "grant.extend", &format!("grant:{grant_id}"), Some(before), Some(after))
                    .await?
            }
            None => {
                self.audit(&mut tx, &who.name, "grant.create", &format!("grant:{grant_id}"), None, Some(after)).await?
            }
        }
        let grant = access::get_grant(&mut tx, grant_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("grant {grant_id}")))?;
        self.announce(&mut tx, &Change::AccessApproved { request_id: id, grant: &grant, approved_by: &who.name })
            .await?;
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
        self.announce(&mut tx, &Change::AccessRejected { request: &request }).await?;
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
        let mut tx = self.store.begin().await?;
        if !self.end_grant_in(&mut tx, actor, grant, status, reason).await? {
            return Err(ServiceError::Conflict(format!("grant {} is already {}", grant.id, grant.status)));
        }
        tx.commit().await?;
        Ok(())
    }

    /// [`Self::end_grant`] within `tx`, with its share revoke, audit and
    /// event; false (and nothing done) if the grant was no longer active.
    pub(crate) async fn end_grant_in(
        &self,
        tx: &mut crate::store::Tx,
        actor: &str,
        grant: &Grant,
        status: GrantStatus,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now();
        if !access::end_grant(&mut *tx, grant.id, status, actor, now).await? {
            return Ok(false);
        }
        if self.backends.aws_shares() {
            let job = RevokeShare(ShareTarget {
                product_key: grant.product_key.clone(),
                account: grant.account.clone(),
                grant_id: grant.id,
                occasion: "end".to_owned(),
                major: None,
            });
            effects::enqueue(&mut *tx, &job, None, now).await?;
        }
        self.audit(
            &mut *tx,
            actor,
            if status == GrantStatus::Expired { "grant.expire" } else { "grant.revoke" },
            &format!("grant:{}", grant.id),
            Some(json!({"status": GrantStatus::Active})),
            Some(json!({"status": status, "reason": reason})),
        )
        .await?;
        let ended = access::get_grant(&mut *tx, grant.id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("grant {}", grant.id)))?;
        let change = match status {
            GrantStatus::Expired => Change::AccessExpired { grant: &ended },
            _ => Change::AccessRevoked { grant: &ended, reason: reason.unwrap_or_default() },
        };
        self.announce(tx, &change).await?;
        Ok(true)
    }

    /// A reviewer revokes a grant, saying why (kept in the audit trail and
    /// shown to the grant's holder): a grant ends only with a reason, as a
    /// request is rejected only with one.
    pub async fn revoke_grant(&self, who: &Principal, id: i64, reason: Option<&str>) -> Result<Grant, ServiceError> {
        require_reviewer(who, "revoke grants")?;
        let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
            return Err(ServiceError::BadRequest("comment: say why the grant is revoked".into()));
        };
        let reason = Some(reason);
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

    /// Who may see which requests and grants (see the module docs): narrows
    /// `f` to a consumer's accounts, and returns a producer's domains (the
    /// store keeps only their products). A producer naming a product of
    /// another domain is refused rather than answered with nothing.
    ///
    /// Someone who is both producer and consumer (single sign-on gives the
    /// union of their groups' roles) sees either: the store ORs the two.
    fn access_scope<S>(&self, who: &Principal, f: &mut AccessFilter<S>) -> Result<Option<Vec<String>>, ServiceError> {
        if who.can_review() {
            return Ok(None);
        }
        let producer = who.holds(Role::Producer);
        let consumer = who.holds(Role::Consumer);
        if let Some(key) = f.product_key.as_deref()
            && producer
            && !consumer
        {
            let domain = key.split('.').next().unwrap_or_default();
            require(who.produces_for(domain), format!("token `{}` does not produce for domain {domain}", who.name))?;
        }
        if consumer {
            f.accounts = Some(who.accounts());
        }
        Ok(producer.then(|| who.domains()))
    }

    /// Access requests `who` may read (see the module docs), newest first.
    pub async fn access_requests(
        &self,
        who: &Principal,
        filter: &RequestFilter,
    ) -> Result<Vec<AccessRequest>, ServiceError> {
        let mut f = filter.clone();
        let domains = self.access_scope(who, &mut f)?;
        Ok(access::list_requests(&mut *self.conn().await?, &f, domains.as_deref()).await?)
    }

    /// Grants visible to `who`. Everyone signed in may see who has access to a
    /// product (the product page shows it); without a product, as requests.
    pub async fn grants(&self, who: &Principal, filter: &GrantFilter) -> Result<Vec<Grant>, ServiceError> {
        let mut f = filter.clone();
        let domains = if f.product_key.is_none() { self.access_scope(who, &mut f)? } else { None };
        Ok(access::list_grants_in(&mut *self.conn().await?, &f, domains.as_deref()).await?)
    }

    /// The requester withdraws a pending request. Only the token that asked
    /// may (not even an admin on its behalf: the request is theirs to keep
    /// or drop); a request `who` may not read is a 404, a decided one a 409.
    pub async fn cancel_access_request(&self, who: &Principal, id: i64) -> Result<AccessRequest, ServiceError> {
        let request = self.open_request(id).await?;
        if !may_read(who, &request.product_key, &request.account) {
            return Err(ServiceError::NotFound(format!("no access request {id}")));
        }
        require(
            request.requested_by == who.name,
            format!(
                "only the requester (`{}`) may cancel access request {id}; token `{}` did not ask for it",
                request.requested_by, who.name
            ),
        )?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !access::decide_request(&mut tx, id, RequestStatus::Cancelled, &who.name, None, now).await? {
            let current = access::get_request(&mut tx, id).await?.map_or(request.status, |r| r.status);
            return Err(ServiceError::Conflict(format!(
                "access request {id} was already {current}; only a pending request can be cancelled"
            )));
        }
        self.audit(
            &mut tx,
            &who.name,
            "access.cancel",
            &format!("access_request:{id}"),
            Some(json!({"status": RequestStatus::Pending})),
            Some(
                json!({"status": RequestStatus::Cancelled, "product": request.product_key, "account": request.account}),
            ),
        )
        .await?;
        let request = access::get_request(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("{id}")))?;
        self.announce(&mut tx, &Change::AccessCancelled { request: &request }).await?;
        tx.commit().await?;
        Ok(request)
    }

    /// A consumer asks to renew an active grant with an end date: a pending
    /// request with `renews` set, decided like any other (module docs).
    pub async fn renew_grant(
        &self,
        who: &Principal,
        grant_id: i64,
        input: &GrantRenewalInput,
    ) -> Result<AccessRequest, ServiceError> {
        let grant = access::get_grant(&mut *self.conn().await?, grant_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no grant {grant_id}")))?;
        let account = self.require_account(who, &grant.account)?;
        let justification = check_request(&input.justification, input.duration_days)?;
        if grant.status != GrantStatus::Active {
            return Err(ServiceError::Conflict(format!(
                "grant {grant_id} is {}; ask for access anew (steward access request {})",
                grant.status, grant.product_key
            )));
        }
        if grant.expires_at.is_none() {
            return Err(ServiceError::Conflict(format!(
                "grant {grant_id} does not expire (it lasts until revoked); there is nothing to renew"
            )));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let detail = products::get(&mut tx, &grant.product_key)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("product {} is not published", grant.product_key)))?;
        if detail.status == steward_api::ProductStatus::Retired {
            return Err(ServiceError::Conflict(format!(
                "product {} is retired: its grants are not renewed; ask its owner ({}) for the successor",
                grant.product_key, detail.owner_team
            )));
        }
        let id = access::insert_request(
            &mut tx,
            &NewRequest {
                product_key: &grant.product_key,
                account: account.as_str(),
                requested_by: &who.name,
                justification,
                duration_days: input.duration_days,
                renews_grant: Some(grant_id),
                now,
            },
        )
        .await
        .map_err(|e| {
            conflict_or(e, || {
                format!(
                    "account {account} already has an open request for {}; wait for its decision",
                    grant.product_key
                )
            })
        })?;
        self.audit(
            &mut tx,
            &who.name,
            "access.renew",
            &format!("access_request:{id}"),
            None,
            Some(json!({"product": grant.product_key, "account": account.as_str(), "grant": grant_id,
                        "duration_days": input.duration_days})),
        )
        .await?;
        let request = access::get_request(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("{id}")))?;
        self.announce(&mut tx, &Change::AccessRequested { request: &request }).await?;
        tx.commit().await?;
        Ok(request)
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

/// Checks a request's or renewal's justification and duration; returns the
/// trimmed justification.
fn check_request(justification: &str, duration_days: Option<i64>) -> Result<&str, ServiceError> {
    let justification = justification.trim();
    if justification.is_empty() {
        return Err(ServiceError::BadRequest("justification: say why the account needs the data".into()));
    }
    if justification.chars().count() > MAX_JUSTIFICATION {
        return Err(ServiceError::BadRequest(format!("justification: at most {MAX_JUSTIFICATION} characters")));
    }
    if let Some(d) = duration_days
        && !(1..=MAX_DURATION_DAYS).contains(&d)
    {
        return Err(ServiceError::BadRequest(format!("duration_days: {d} must be between 1 and {MAX_DURATION_DAYS}")));
    }
    Ok(justification)
}

/// A grant's end date after approving a request for `duration_days`:
/// from the approval for a new grant; `duration_days` past the current end
/// (or past now, if that has gone by) when an active grant is renewed; none
/// when either lasts until revoked. At most [`MAX_DURATION_DAYS`] from now.
fn new_end(
    current: Option<&Grant>,
    duration_days: Option<i64>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let days = Duration::days(duration_days?);
    let from = match current {
        None => now,
        Some(g) => g.expires_at?.max(now),
    };
    Some((from + days).min(now + Duration::days(MAX_DURATION_DAYS)))
}

/// May `who` read a request or grant of `account` on `product_key`?
fn may_read(who: &Principal, product_key: &str, account: &str) -> bool {
    who.can_review() || who.consumes_for(account) || who.produces_for(product_key.split('.').next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn grant(expires_at: Option<chrono::DateTime<chrono::Utc>>) -> Grant {
        Grant {
            id: 1,
            product_key: "sales.orders".into(),
            account: "123456789012".into(),
            request_id: Some(1),
            major: 1,
            status: GrantStatus::Active,
            granted_by: "rita".into(),
            granted_at: chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            expires_at,
            ended_by: None,
            ended_at: None,
            share_arn: None,
            acknowledged_major: None,
        }
    }

    #[test]
    fn renewals_extend_from_the_current_end() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let d = |n| Duration::days(n);
        assert_eq!(new_end(None, Some(30), now), Some(now + d(30)));
        assert_eq!(new_end(None, None, now), None);
        // Five days left, renewed for 30: 35 days from now.
        assert_eq!(new_end(Some(&grant(Some(now + d(5)))), Some(30), now), Some(now + d(35)));
        // Already past its end (the worker has not run): from now.
        assert_eq!(new_end(Some(&grant(Some(now - d(1)))), Some(30), now), Some(now + d(30)));
        // Until revoked stays so; a renewal without a duration makes it so.
        assert_eq!(new_end(Some(&grant(None)), Some(30), now), None);
        assert_eq!(new_end(Some(&grant(Some(now + d(5)))), None, now), None);
        // Never more than the longest grant from now.
        let far = new_end(Some(&grant(Some(now + d(3000)))), Some(3000), now);
        assert_eq!(far, Some(now + d(MAX_DURATION_DAYS)));
    }
}
