//! A producer's workspace: "My products" (each product of their domains
//! with its SLO state, last refresh, consumers, pending requests and
//! dead-lettered jobs), "My proposals", and withdrawing a pending proposal.
//!
//! Producers see their domains; reviewers and admins see every domain (they
//! answer for all of them); consumers have no workspace (403), as they
//! read no proposals either.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::Service;
use crate::auth::{Principal, Role};
use crate::error::{ServiceError, StoreError};
use crate::events::Change;
use crate::store::proposals::{self, Proposal, ProposalFilter, ProposalStatus};
use crate::store::workspace as ws;
pub use crate::store::workspace::{DeadRow, GrantRow, ProductRow, RequestRow};

/// Where the SLOs of a product stand, all entries together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SloHealth {
    /// The contract names no SLO.
    NoSlo,
    /// No tick judged in the last 30 days (new, or not yet due).
    Pending,
    /// No open breach.
    Met,
    /// At least one entry is in a breach: since its first missed tick.
    Breached { since: DateTime<Utc>, missed_ticks: u32 },
}

/// One product as its producer's workspace shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceProduct {
    pub product: ProductRow,
    pub slo: SloHealth,
    pub last_refresh: Option<DateTime<Utc>>,
    /// Active grants: the consumers, by account.
    pub grants: Vec<GrantRow>,
    /// Pending access requests, oldest first.
    pub pending_requests: Vec<RequestRow>,
    /// Dead-lettered outbox jobs, newest first; their errors redacted (they
    /// may quote a subscriber's webhook URL or e-mail address).
    pub dead_jobs: Vec<DeadRow>,
}

/// A page of "My products".
#[derive(Debug, Clone, PartialEq)]
pub struct MyProducts {
    /// The domains shown; `None`: every domain (reviewers and admins).
    pub domains: Option<Vec<String>>,
    /// Products in those domains, all pages together.
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
    pub products: Vec<WorkspaceProduct>,
}

/// How far back a judged tick makes an SLO `met` rather than `pending`
/// (the window of [`Service::slo_status`]'s history).
const JUDGED_WINDOW_DAYS: i64 = 30;

impl Service {
    /// The domains whose workspace `who` reads: a producer's own, every
    /// domain for reviewers and admins (`None`); consumers none (403).
    pub fn workspace_domains(&self, who: &Principal) -> Result<Option<Vec<String>>, ServiceError> {
        if who.can_review() {
            return Ok(None);
        }
        match who.holds(Role::Producer) {
            true => Ok(Some(who.domains())),
            false => Err(ServiceError::Forbidden(format!(
                "the producer workspace is for producers (and reviewers and admins); token `{}` is a consumer: \
                 your requests and grants are under Access",
                who.name
            ))),
        }
    }

    /// A page of the products in `who`'s domains (see
    /// [`Self::workspace_domains`]), in key order, with what a producer
    /// watches: SLO state, last refresh, consumers with grants, pending
    /// access requests and dead-lettered jobs.
    pub async fn my_products(&self, who: &Principal, offset: i64, limit: i64) -> Result<MyProducts, ServiceError> {
        let domains = self.workspace_domains(who)?;
        let (offset, limit) = (offset.max(0), limit.clamp(1, 500));
        let dialect = self.store.dialect;
        let mut conn = self.conn().await?;
        let scope = domains.as_deref();
        let total = ws::count_products(&mut conn, scope).await?;
        let rows = ws::products(&mut conn, dialect, scope, limit, offset).await?;
        let keys: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();

        let states = ws::slo_states(&mut conn, &keys).await?;
        let judged = ws::judged_since(&mut conn, &keys, self.clock.now() - Duration::days(JUDGED_WINDOW_DAYS)).await?;
        let mut last = ws::last_refreshes(&mut conn, &keys).await?;
        let mut grants = by_product(ws::active_grants(&mut conn, &keys).await?, |g| &g.product_key);
        let mut requests = by_product(ws::pending_requests(&mut conn, &keys).await?, |r| &r.product_key);
        let mut dead = by_product(ws::dead_jobs(&mut conn, dialect, &keys).await?, |d| &d.product_key);

        let products = rows
            .into_iter()
            .map(|product| {
                let key = product.key.clone();
                let mut dead_jobs = dead.remove(&key).unwrap_or_default();
                for d in &mut dead_jobs {
                    d.last_error = d.last_error.as_deref().map(crate::redact::text);
                }
                WorkspaceProduct {
                    slo: health(&product, &states, &judged),
                    last_refresh: last.remove(&key),
                    grants: grants.remove(&key).unwrap_or_default(),
                    pending_requests: requests.remove(&key).unwrap_or_default(),
                    dead_jobs,
                    product,
                }
            })
            .collect();
        Ok(MyProducts { domains, total, offset, limit, products })
    }

    /// "My proposals": the proposals of `who`'s domains (every domain for
    /// reviewers and admins), newest first, narrowed by `filter`. The same
    /// rule as [`Self::proposals`], with the workspace's answer to consumers.
    pub async fn my_proposals(&self, who: &Principal, filter: &ProposalFilter) -> Result<Vec<Proposal>, ServiceError> {
        self.workspace_domains(who)?;
        self.proposals(who, filter).await
    }

    /// Withdraws a proposal still pending review: its submitter or a
    /// producer of its domain (admins act for every domain) may, until a
    /// reviewer decides. Like a rejection it ends the proposal (status
    /// `withdrawn`, who and when recorded as the decision) and leaves its
    /// registry branch for the record; its version is free to propose again.
    ///
    /// A producer of another domain gets 404, as when reading it: ids
    /// reveal nothing. The compare-and-set on `pending_review` makes a
    /// withdrawal and a concurrent decision exclusive: the loser gets 409.
    pub async fn withdraw_proposal(
        &self,
        who: &Principal,
        id: i64,
        comment: Option<&str>,
    ) -> Result<Proposal, ServiceError> {
        super::require(
            who.holds(Role::Producer) || who.is_admin(),
            format!(
                "only the submitter of a proposal or a producer of its domain may withdraw it; token `{}` has role {}{}",
                who.name,
                who.roles_label(),
                if who.holds(Role::Reviewer) { " (reviewers reject instead)" } else { "" }
            ),
        )?;
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = comment {
            if c.chars().any(|ch| ch.is_control() && ch != '\n' && ch != '\r' && ch != '\t') {
                return Err(ServiceError::BadRequest("comment: contains a control character".to_owned()));
            }
            if c.chars().count() > MAX_COMMENT_CHARS {
                return Err(ServiceError::BadRequest(format!(
                    "comment: at most {MAX_COMMENT_CHARS} characters, not {}",
                    c.chars().count()
                )));
            }
        }
        let proposal = self.proposal(id).await?;
        let domain = proposal.product_key.split_once('.').map_or("", |(d, _)| d);
        if proposal.submitted_by != who.name && !who.produces_for(domain) {
            return Err(ServiceError::NotFound(format!("no proposal {id}")));
        }
        if proposal.status != ProposalStatus::PendingReview {
            return Err(not_pending(id, proposal.status));
        }
        // Its page keeps the diff the producer saw when withdrawing it.
        let base = self.published_base(&proposal.product_key).await?;
        let mut tx = self.store.begin().await?;
        proposals::transition(&mut tx, id, &[ProposalStatus::PendingReview], ProposalStatus::Withdrawn)
            .await
            .map_err(|e| lost_race(e, id))?;
        proposals::record_decision(&mut tx, id, &who.name, self.clock.now(), comment, None).await?;
        proposals::record_judgement(&mut tx, id, &base, None).await?;
        self.audit(
            &mut tx,
            &who.name,
            "proposal.withdraw",
            &format!("proposal:{id}"),
            Some(json!({"status": ProposalStatus::PendingReview})),
            Some(json!({"status": ProposalStatus::Withdrawn, "product": proposal.product_key,
                        "version": proposal.version, "comment": comment})),
        )
        .await?;
        let change = Change::ProposalWithdrawn {
            id,
            product: &proposal.product_key,
            version: &proposal.version,
            withdrawn_by: &who.name,
        };
        self.announce(&mut tx, &change).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.proposal(id).await
    }
}

/// A withdrawal's comment, like a reviewer's (the portal's fields hold 2,000).
pub const MAX_COMMENT_CHARS: usize = 2_000;

fn not_pending(id: i64, status: ProposalStatus) -> ServiceError {
    let why = match status {
        ProposalStatus::Withdrawn => "it is already withdrawn".to_owned(),
        ProposalStatus::Submitted => "it is still being recorded; try again in a moment".to_owned(),
        s => format!("it is {s}"),
    };
    ServiceError::Conflict(format!("proposal {id} cannot be withdrawn: only a proposal pending review can, and {why}"))
}

/// A reviewer decided between the status check and the compare-and-set.
fn lost_race(e: StoreError, id: i64) -> ServiceError {
    match e {
        StoreError::Conflict(_) => {
            ServiceError::Conflict(format!("proposal {id} was decided meanwhile and cannot be withdrawn; reload it"))
        }
        other => other.into(),
    }
}

/// Groups rows by their product, keeping their order.
fn by_product<T>(rows: Vec<T>, key: impl Fn(&T) -> &String) -> HashMap<String, Vec<T>> {
    let mut out: HashMap<String, Vec<T>> = HashMap::new();
    for row in rows {
        out.entry(key(&row).clone()).or_default().push(row);
    }
    out
}

/// A product's SLO health from its stored monitor states: breached if any
/// entry of the published version has an open breach (the earliest one and
/// the most missed ticks win), met if a tick was judged lately, else pending.
/// States of another version are the monitor's previous schedule, not yet
/// replaced: they say nothing about this one.
fn health(p: &ProductRow, states: &[ws::StateRow], judged: &HashSet<String>) -> SloHealth {
    if p.slo_entries == 0 {
        return SloHealth::NoSlo;
    }
    let breaches = states
        .iter()
        .filter(|s| s.product_key == p.key && s.version == p.version && s.spec_index < p.slo_entries)
        .filter_map(|s| serde_json::from_str::<steward_slo::MonitorState>(&s.state).ok()?.breach);
    let worst = breaches.fold(None, |acc: Option<(DateTime<Utc>, u32)>, b| match acc {
        None => Some((b.since, b.missed_ticks)),
        Some((since, missed)) => Some((since.min(b.since), missed.max(b.missed_ticks))),
    });
    match worst {
        Some((since, missed_ticks)) => SloHealth::Breached { since, missed_ticks },
        None if judged.contains(&p.key) => SloHealth::Met,
        None => SloHealth::Pending,
    }
}
