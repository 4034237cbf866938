//! Refreshes: `/api/v1/products/{key}/refreshes` (report, list, show),
//! `.../partitions`, and the event webhooks deliver about one.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A producer's refresh report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshInput {
    /// The table; may be left out when the product has exactly one.
    pub table: Option<String>,
    /// Partition values by partition key, e.g. `{"dt": "2026-11-21"}`.
    #[serde(default)]
    pub partition: BTreeMap<String, String>,
    /// A snapshot id, for unpartitioned (snapshot) tables.
    pub snapshot_id: Option<String>,
    /// Retries with the same key return the first result; default: a new key.
    pub idempotency_key: Option<String>,
    /// Rows written.
    pub row_count: Option<i64>,
    /// The major the refresh is of (its tables and locations), while an
    /// older major is published beside the newest; default: the newest.
    /// The subscribers on that major are told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub major: Option<i64>,
}

/// A recorded refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Refresh {
    /// Refresh id.
    pub id: i64,
    /// `domain.product`.
    pub product_key: String,
    pub table: String,
    /// The key the report was made with (a retry with it changes nothing).
    pub idempotency_key: String,
    /// `k=v/k2=v2`, or empty when the table is unpartitioned.
    pub partition: String,
    /// The partition values, in partition-key order.
    pub partition_values: Vec<String>,
    pub snapshot_id: Option<String>,
    pub row_count: Option<i64>,
    /// Where the `_SUCCESS` marker is written.
    pub location: String,
    /// The token name that reported it.
    pub reported_by: String,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub reported_at: DateTime<Utc>,
}

/// The answer to a refresh report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefreshOutcome {
    pub refresh: Refresh,
    /// True when the key had been seen: nothing was done this time.
    pub replayed: bool,
    /// True when this refresh added a new partition to the catalog.
    pub partition_added: bool,
    /// Notifications enqueued for subscribers.
    pub notifications: usize,
    /// Where the `_SUCCESS` marker is (being) written.
    pub marker: String,
}

/// Where a refresh's `_SUCCESS` marker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MarkerState {
    /// Not written yet, not failed yet.
    Pending,
    /// An attempt failed; it is tried again at `next_attempt_at`.
    Failed,
    /// The marker is in place.
    Written,
    /// Failed for good (or too often): it will not be written, and the
    /// subscribers are not told, until an admin retries it.
    Dead,
    /// No marker job exists for the refresh (should not happen).
    Missing,
}

wire_names!(
    MarkerState,
    "marker state",
    [Pending = "pending", Failed = "failed", Written = "written", Dead = "dead", Missing = "missing",]
);

/// A refresh's `_SUCCESS` marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MarkerStatus {
    /// The marker: `s3://bucket/key/_SUCCESS`, or a lake path relative to the data dir.
    pub uri: String,
    pub state: MarkerState,
    /// The outbox job writing it (`steward admin outbox`).
    pub job_id: Option<i64>,
    /// Attempts so far.
    pub attempts: i64,
    /// The last error, while failed or dead.
    pub error: Option<String>,
    /// When it is tried again, while pending or failed.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was written.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub written_at: Option<DateTime<Utc>>,
}

/// The subscribers' notifications about a refresh, by state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NotificationStatus {
    /// Subscribers' notifications enqueued for the refresh.
    pub total: i64,
    /// Not sent yet.
    pub pending: i64,
    /// Sent.
    pub done: i64,
    /// Dead-lettered.
    pub dead: i64,
    /// True when they wait for a dead marker: none is sent until it is retried.
    pub blocked: bool,
}

/// A refresh with the state of its marker and notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefreshStatus {
    pub refresh: Refresh,
    pub marker: MarkerStatus,
    pub notifications: NotificationStatus,
}

/// A partition the refreshes of a table added to the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Partition {
    pub table: String,
    /// `k=v/k2=v2`.
    pub partition: String,
    /// The partition values, in partition-key order.
    pub values: Vec<String>,
    /// Where the partition's data is.
    pub location: String,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}

/// What subscribers are told about a refresh (the webhook body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefreshEvent {
    /// Unique per refresh and subscription; receivers can drop repeats by it.
    pub event_id: String,
    /// `domain.product`.
    pub product: String,
    pub table: String,
    /// `k=v/k2=v2`; `null` when the table is unpartitioned.
    pub partition: Option<String>,
    pub partition_values: Vec<String>,
    pub snapshot_id: Option<String>,
    /// Where the data is.
    pub location: String,
    /// The `_SUCCESS` marker.
    pub marker: String,
    pub refresh_id: i64,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub reported_at: DateTime<Utc>,
    pub row_count: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::round_trip;

    const REFRESH: &str = r#"{"id":1,"product_key":"sales.orders","table":"orders","idempotency_key":"k-1",
        "partition":"dt=2026-11-21","partition_values":["2026-11-21"],"snapshot_id":null,"row_count":1200,
        "location":"lake/sales/orders/dt=2026-11-21","reported_by":"paul","reported_at":"2026-11-21T06:00:00.000000Z"}"#;

    #[test]
    fn outcomes_and_statuses_round_trip() {
        let o: RefreshOutcome = round_trip(&format!(
            r#"{{"refresh":{REFRESH},"replayed":false,"partition_added":true,"notifications":1,
                "marker":"lake/sales/orders/dt=2026-11-21/_SUCCESS"}}"#
        ));
        assert_eq!(o.refresh.id, 1);
        let s: RefreshStatus = round_trip(&format!(
            r#"{{"refresh":{REFRESH},
                "marker":{{"uri":"lake/sales/orders/dt=2026-11-21/_SUCCESS","state":"written","job_id":2,"attempts":1,
                          "error":null,"next_attempt_at":null,"written_at":"2026-11-21T06:00:01.000000Z"}},
                "notifications":{{"total":1,"pending":0,"done":1,"dead":0,"blocked":false}}}}"#
        ));
        assert_eq!(s.marker.state, MarkerState::Written);
        let s: RefreshStatus = round_trip(&format!(
            r#"{{"refresh":{REFRESH},
                "marker":{{"uri":"s3://lake/orders/_SUCCESS","state":"failed","job_id":2,"attempts":2,
                          "error":"access denied","next_attempt_at":"2026-11-21T06:01:00.000000Z","written_at":null}},
                "notifications":{{"total":2,"pending":2,"done":0,"dead":0,"blocked":false}}}}"#
        ));
        assert_eq!(s.marker.error.as_deref(), Some("access denied"));
        round_trip::<Vec<Refresh>>(&format!("[{REFRESH}]"));
    }

    #[test]
    fn partitions_and_events_round_trip() {
        round_trip::<Partition>(
            r#"{"table":"orders","partition":"dt=2026-11-21","values":["2026-11-21"],
                "location":"lake/sales/orders/dt=2026-11-21","created_at":"2026-11-21T06:00:00.000000Z"}"#,
        );
        let e: RefreshEvent = round_trip(
            r#"{"event_id":"refresh-1-sub-1","product":"sales.orders","table":"orders","partition":"dt=2026-11-21",
                "partition_values":["2026-11-21"],"snapshot_id":null,"location":"lake/sales/orders/dt=2026-11-21",
                "marker":"lake/sales/orders/dt=2026-11-21/_SUCCESS","refresh_id":1,
                "reported_at":"2026-11-21T06:00:00.000000Z","row_count":null}"#,
        );
        assert_eq!(e.refresh_id, 1);
    }

    #[test]
    fn inputs() {
        round_trip::<RefreshInput>(
            r#"{"table":"orders","partition":{"dt":"2026-11-21"},"snapshot_id":null,"idempotency_key":"k-1","row_count":null}"#,
        );
        assert_eq!(serde_json::from_str::<RefreshInput>("{}").unwrap(), RefreshInput::default());
        assert!(serde_json::from_str::<RefreshInput>(r#"{"rows":3}"#).is_err(), "unknown fields are refused");
    }

    #[test]
    fn closed_sets() {
        check_names!(MarkerState, ["pending", "failed", "written", "dead", "missing"]);
    }
}
