//! The reviewers' queues, paged with counts ([`crate::store::queues`]), and
//! who a breaking change affects.
//!
//! Who reads what is the same rule as the unpaged listings: reviewers and
//! admins everything; producers the proposals, requests and grants of their
//! domains' products; consumers their accounts' requests and grants, and no
//! proposals.

use super::may_read;
use crate::auth::{Principal, Role};
use crate::error::ServiceError;
use crate::service::Service;
use crate::store::access::{self, AccessRequest, Grant};
use crate::store::queues::{self, QueuePage, QueueQuery, Scope};

pub use crate::store::queues::Affected;

/// The most rows one queue page holds.
pub const MAX_PAGE: i64 = 200;

/// Accounts a change to a product reaches, the first `accounts.len()` of `total`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedAccounts {
    pub accounts: Vec<Affected>,
    pub total: i64,
}

/// Reviewers and admins read everything; a producer its domains' rows, a
/// consumer its accounts' rows, and someone who is both, either.
fn scope(who: &Principal) -> Scope {
    if who.can_review() {
        return Scope::default();
    }
    Scope {
        domains: who.holds(Role::Producer).then(|| who.domains()),
        accounts: who.holds(Role::Consumer).then(|| who.accounts()),
    }
}

fn bounded(q: &QueueQuery) -> QueueQuery {
    QueueQuery { limit: q.limit.clamp(1, MAX_PAGE), offset: q.offset.max(0), ..q.clone() }
}

impl Service {
    /// A page of the proposals `who` may read, with counts per status.
    pub async fn proposal_queue(
        &self,
        who: &Principal,
        q: &QueueQuery,
    ) -> Result<QueuePage<super::Proposal>, ServiceError> {
        if who.only_consumer() {
            return Err(ServiceError::Forbidden(format!(
                "proposals are read by reviewers and by the producers of their domain; token `{}` is a consumer",
                who.name
            )));
        }
        Ok(queues::proposals(&mut *self.conn().await?, &bounded(q), &scope(who)).await?)
    }

    /// A page of the access requests `who` may read, with counts per status.
    pub async fn access_queue(
        &self,
        who: &Principal,
        q: &QueueQuery,
    ) -> Result<QueuePage<AccessRequest>, ServiceError> {
        Ok(queues::requests(&mut *self.conn().await?, &bounded(q), &scope(who)).await?)
    }

    /// A page of the grants `who` may read, with counts per status.
    pub async fn grant_queue(&self, who: &Principal, q: &QueueQuery) -> Result<QueuePage<Grant>, ServiceError> {
        Ok(queues::grants(&mut *self.conn().await?, &bounded(q), &scope(who)).await?)
    }

    /// One access request, if `who` may read it (else 404: ids reveal nothing).
    pub async fn access_request(&self, who: &Principal, id: i64) -> Result<AccessRequest, ServiceError> {
        let r = access::get_request(&mut *self.conn().await?, id).await?;
        r.filter(|r| in_scope(&scope(who), &r.product_key, &r.account))
            .ok_or_else(|| ServiceError::NotFound(format!("no access request {id}")))
    }

    /// One grant, if `who` may read it (else 404).
    pub async fn grant(&self, who: &Principal, id: i64) -> Result<Grant, ServiceError> {
        let g = access::get_grant(&mut *self.conn().await?, id).await?;
        g.filter(|g| in_scope(&scope(who), &g.product_key, &g.account))
            .ok_or_else(|| ServiceError::NotFound(format!("no grant {id}")))
    }

    /// The domains of published products (for the queues' filters).
    pub async fn queue_domains(&self) -> Result<Vec<String>, ServiceError> {
        Ok(queues::domains(&mut *self.conn().await?, 1000).await?)
    }

    /// Accounts with an active grant or a live subscription on `key`: who a
    /// breaking change to it affects. Read by reviewers, admins and the
    /// product's producers (who are told who consumes); subscription targets
    /// are not part of it.
    pub async fn affected_by(&self, who: &Principal, key: &str, limit: i64) -> Result<AffectedAccounts, ServiceError> {
        if !may_read(who, key) {
            return Err(ServiceError::Forbidden(format!(
                "who consumes {key} is read by reviewers and its producers; token `{}` is neither",
                who.name
            )));
        }
        let (accounts, total) = queues::affected(&mut *self.conn().await?, key, limit.clamp(0, 10_000)).await?;
        Ok(AffectedAccounts { accounts, total })
    }
}

fn in_scope(scope: &Scope, product_key: &str, account: &str) -> bool {
    let domain = product_key.split('.').next().unwrap_or_default();
    scope.domains.as_ref().is_none_or(|d| d.iter().any(|x| x == domain))
        && scope.accounts.as_ref().is_none_or(|a| a.iter().any(|x| x == account))
}
