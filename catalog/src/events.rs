//! Events for every change ([M11]): each state change records one
//! CloudEvent in the transaction that makes the change.
//!
//! A service operation builds a [`Change`] (typed: the compiler checks each
//! call site gives what its event says) and passes it to [`record`] just
//! before it commits. `record` appends the event to the `events` table (the
//! admin feed, `GET /api/v1/events?after=`) and enqueues one `event.deliver`
//! outbox job per event hook whose type filter matches, so delivery has the
//! outbox's retries, dead letters and exactly-once enqueueing.
//!
//! Each event's id is derived from the change (`access.approved:request/42`),
//! unique in the table: a retried or recovered operation that records the
//! same change again inserts nothing and enqueues nothing, so every change
//! is announced once. On PostgreSQL, writers serialize on an advisory
//! transaction lock before inserting, so the feed's ids commit in order and a
//! reader paging with `after` never skips an event committed late (SQLite has
//! one writer at a time anyway). Record events last in a transaction: the
//! lock is held until commit.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use steward_api::{AccessRequest, Grant};
pub use steward_api::{CloudEvent, CloudEventType};

use crate::effects::{self, DeliverEvent};
use crate::error::StoreError;
use crate::store::{Dialect, Tx, events as store};

/// One state change, with what its event says.
pub(crate) enum Change<'a> {
    /// A valid proposal is open for review.
    ProposalSubmitted {
        id: i64,
        product: &'a str,
        version: &'a str,
        submitted_by: &'a str,
    },
    /// An approved proposal is merged and published.
    ProposalApproved {
        id: i64,
        product: &'a str,
        version: &'a str,
        approved_by: &'a str,
        merge_commit: &'a str,
    },
    ProposalRejected {
        id: i64,
        product: &'a str,
        version: &'a str,
        rejected_by: &'a str,
        comment: &'a str,
    },
    ProposalWithdrawn {
        id: i64,
        product: &'a str,
        version: &'a str,
        withdrawn_by: &'a str,
    },
    /// A version is in the catalog. `status` is the contract's ODCS status.
    ProductPublished {
        product: &'a str,
        version: &'a str,
        commit: &'a str,
        proposal: Option<i64>,
        status: &'a str,
    },
    ProductDeprecated {
        product: &'a str,
        version: &'a str,
    },
    ProductRetired {
        product: &'a str,
        version: &'a str,
    },
    AccessRequested {
        request: &'a AccessRequest,
    },
    AccessApproved {
        request_id: i64,
        grant: &'a Grant,
        approved_by: &'a str,
    },
    AccessRejected {
        request: &'a AccessRequest,
    },
    AccessCancelled {
        request: &'a AccessRequest,
    },
    AccessRevoked {
        grant: &'a Grant,
        reason: &'a str,
    },
    AccessExpired {
        grant: &'a Grant,
    },
    /// `expires_at` names the occasion: a renewed grant is announced again.
    AccessExpiring {
        grant: &'a Grant,
        expires_at: DateTime<Utc>,
    },
    /// `from_major` is the major the grant was on.
    GrantMigrated {
        grant: &'a Grant,
        from_major: i64,
        migrated_by: &'a str,
    },
    RefreshRecorded {
        refresh_id: i64,
        product: &'a str,
        data: Value,
    },
    /// `key` names the alert (table and tick), as its notification's dedup key.
    SloBreached {
        product: &'a str,
        key: String,
        alert: Value,
    },
    SloRecovered {
        product: &'a str,
        key: String,
        alert: Value,
    },
}

impl Change<'_> {
    pub fn kind(&self) -> CloudEventType {
        match self {
            Change::ProposalSubmitted { .. } => CloudEventType::ProposalSubmitted,
            Change::ProposalApproved { .. } => CloudEventType::ProposalApproved,
            Change::ProposalRejected { .. } => CloudEventType::ProposalRejected,
            Change::ProposalWithdrawn { .. } => CloudEventType::ProposalWithdrawn,
            Change::ProductPublished { .. } => CloudEventType::ProductPublished,
            Change::ProductDeprecated { .. } => CloudEventType::ProductDeprecated,
            Change::ProductRetired { .. } => CloudEventType::ProductRetired,
            Change::AccessRequested { .. } => CloudEventType::AccessRequested,
            Change::AccessApproved { .. } => CloudEventType::AccessApproved,
            Change::AccessRejected { .. } => CloudEventType::AccessRejected,
            Change::AccessCancelled { .. } => CloudEventType::AccessCancelled,
            Change::AccessRevoked { .. } => CloudEventType::AccessRevoked,
            Change::AccessExpired { .. } => CloudEventType::AccessExpired,
            Change::AccessExpiring { .. } => CloudEventType::AccessExpiring,
            Change::GrantMigrated { .. } => CloudEventType::GrantMigrated,
            Change::RefreshRecorded { .. } => CloudEventType::RefreshRecorded,
            Change::SloBreached { .. } => CloudEventType::SloBreached,
            Change::SloRecovered { .. } => CloudEventType::SloRecovered,
        }
    }

    /// The product the change is about (the CloudEvents `subject`).
    pub fn subject(&self) -> &str {
        match self {
            Change::ProposalSubmitted { product, .. }
            | Change::ProposalApproved { product, .. }
            | Change::ProposalRejected { product, .. }
            | Change::ProposalWithdrawn { product, .. }
            | Change::ProductPublished { product, .. }
            | Change::ProductDeprecated { product, .. }
            | Change::ProductRetired { product, .. }
            | Change::RefreshRecorded { product, .. }
            | Change::SloBreached { product, .. }
            | Change::SloRecovered { product, .. } => product,
            Change::AccessRequested { request }
            | Change::AccessRejected { request }
            | Change::AccessCancelled { request } => &request.product_key,
            Change::AccessApproved { grant, .. }
            | Change::AccessRevoked { grant, .. }
            | Change::AccessExpired { grant }
            | Change::AccessExpiring { grant, .. }
            | Change::GrantMigrated { grant, .. } => &grant.product_key,
        }
    }

    /// What makes this change unique among changes of its type.
    fn occasion(&self) -> String {
        match self {
            Change::ProposalSubmitted { id, .. }
            | Change::ProposalApproved { id, .. }
            | Change::ProposalRejected { id, .. }
            | Change::ProposalWithdrawn { id, .. } => format!("proposal/{id}"),
            Change::ProductPublished { product, version, .. }
            | Change::ProductDeprecated { product, version }
            | Change::ProductRetired { product, version } => format!("product/{product}@{version}"),
            Change::AccessRequested { request }
            | Change::AccessRejected { request }
            | Change::AccessCancelled { request } => format!("request/{}", request.id),
            Change::AccessApproved { request_id, .. } => format!("request/{request_id}"),
            Change::AccessRevoked { grant, .. } | Change::AccessExpired { grant } => format!("grant/{}", grant.id),
            Change::AccessExpiring { grant, expires_at } => {
                format!("grant/{}@{}", grant.id, expires_at.timestamp())
            }
            Change::GrantMigrated { grant, .. } => format!("grant/{}@{}", grant.id, grant.major),
            Change::RefreshRecorded { refresh_id, .. } => format!("refresh/{refresh_id}"),
            Change::SloBreached { product, key, .. } | Change::SloRecovered { product, key, .. } => {
                format!("product/{product}/{key}")
            }
        }
    }

    /// The CloudEvents id: `<type without io.steward.>:<occasion>`.
    pub fn event_id(&self) -> String {
        let kind = self.kind().as_str();
        format!("{}:{}", kind.strip_prefix("io.steward.").unwrap_or(kind), self.occasion())
    }

    /// The event's `data`.
    pub fn data(&self) -> Value {
        match self {
            Change::ProposalSubmitted { id, product, version, submitted_by } => {
                json!({"proposal": id, "product": product, "version": version, "submitted_by": submitted_by})
            }
            Change::ProposalApproved { id, product, version, approved_by, merge_commit } => json!({
                "proposal": id, "product": product, "version": version,
                "approved_by": approved_by, "merge_commit": merge_commit,
            }),
            Change::ProposalRejected { id, product, version, rejected_by, comment } => json!({
                "proposal": id, "product": product, "version": version,
                "rejected_by": rejected_by, "comment": comment,
            }),
            Change::ProposalWithdrawn { id, product, version, withdrawn_by } => {
                json!({"proposal": id, "product": product, "version": version, "withdrawn_by": withdrawn_by})
            }
            Change::ProductPublished { product, version, commit, proposal, status } => json!({
                "product": product, "version": version, "commit": commit,
                "proposal": proposal, "status": status,
            }),
            Change::ProductDeprecated { product, version } | Change::ProductRetired { product, version } => {
                json!({"product": product, "version": version})
            }
            Change::AccessRequested { request }
            | Change::AccessRejected { request }
            | Change::AccessCancelled { request } => json!({ "request": request }),
            Change::AccessApproved { request_id, grant, approved_by } => {
                json!({"request": request_id, "grant": grant, "approved_by": approved_by})
            }
            Change::AccessRevoked { grant, reason } => json!({"grant": grant, "reason": reason}),
            Change::AccessExpired { grant } | Change::AccessExpiring { grant, .. } => json!({ "grant": grant }),
            Change::GrantMigrated { grant, from_major, migrated_by } => {
                json!({"grant": grant, "from_major": from_major, "migrated_by": migrated_by})
            }
            Change::RefreshRecorded { data, .. } => data.clone(),
            Change::SloBreached { alert, .. } | Change::SloRecovered { alert, .. } => alert.clone(),
        }
    }
}

/// Appends `change` to the event log and enqueues its deliveries, inside
/// `tx`; a change already recorded (same event id) does nothing. Returns the
/// event's sequence number when it is new.
pub(crate) async fn record(
    tx: &mut Tx,
    dialect: Dialect,
    now: DateTime<Utc>,
    change: &Change<'_>,
) -> Result<Option<i64>, StoreError> {
    if dialect == Dialect::Postgres {
        store::lock_for_append(tx).await?;
    }
    let kind = change.kind();
    let new =
        store::NewEvent { event_id: &change.event_id(), kind, subject: change.subject(), at: now, data: change.data() };
    let Some(seq) = store::append(tx, &new).await? else {
        return Ok(None);
    };
    let jobs: Vec<DeliverEvent> = store::active_hooks(tx)
        .await?
        .into_iter()
        .filter(|h| wants(&h.types, kind))
        .map(|h| DeliverEvent { hook_id: h.id, seq })
        .collect();
    effects::enqueue_all(tx, &jobs, None, now).await?;
    Ok(Some(seq))
}

/// Does a hook with these type prefixes receive `kind`? None: everything.
pub(crate) fn wants(prefixes: &[String], kind: CloudEventType) -> bool {
    prefixes.is_empty() || prefixes.iter().any(|p| kind.as_str().starts_with(p.as_str()))
}

/// The feed's cursor for a sequence number: 20 digits, so string order is
/// number order (the CloudEvents Sequence extension).
pub fn sequence(seq: i64) -> String {
    format!("{seq:020}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_sort_as_strings() {
        let mut s = [sequence(10), sequence(9), sequence(100), sequence(1)];
        s.sort();
        assert_eq!(s, [sequence(1), sequence(9), sequence(10), sequence(100)]);
        assert_eq!(sequence(42).len(), 20);
    }

    #[test]
    fn hooks_filter_by_type_prefix() {
        assert!(wants(&[], CloudEventType::SloBreached));
        let access = vec!["io.steward.access.".to_owned()];
        assert!(wants(&access, CloudEventType::AccessApproved));
        assert!(!wants(&access, CloudEventType::ProposalApproved));
        let exact = vec!["io.steward.product.retired".to_owned()];
        assert!(wants(&exact, CloudEventType::ProductRetired));
        assert!(!wants(&exact, CloudEventType::ProductPublished));
    }

    #[test]
    fn event_ids_name_the_change() {
        let change = Change::ProposalSubmitted { id: 7, product: "sales.orders", version: "1.0.0", submitted_by: "p" };
        assert_eq!(change.event_id(), "proposal.submitted:proposal/7");
        assert_eq!(change.subject(), "sales.orders");
        assert_eq!(change.data()["proposal"], 7);
    }
}
