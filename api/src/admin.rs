//! Administration: the audit trail (`/api/v1/audit`), the outbox of side
//! effects (`/api/v1/admin/outbox`) and the catalog rebuild report
//! (`/api/v1/admin/rebuild-catalog`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::proposals::ProposalStatus;

/// One audited action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuditEvent {
    /// Event id (increasing).
    pub id: i64,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// The token name that acted (`steward` for the server itself).
    pub actor: String,
    /// What was done, e.g. `proposal.approve`.
    pub action: String,
    /// What it was done to, e.g. `proposal:12` or `product:sales.orders`.
    pub target: String,
    /// The target's relevant state before the action.
    pub before: Option<serde_json::Value>,
    /// The target's relevant state after the action.
    pub after: Option<serde_json::Value>,
}

/// What a job does. Stored as its dotted name (`signal.marker`), which also
/// starts its dedup key and names it in `faults.exit_before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum JobKind {
    /// Share a product with an account (RAM share, Lake Formation permissions).
    #[serde(rename = "share.grant")]
    ShareGrant,
    /// End an account's share of a product.
    #[serde(rename = "share.revoke")]
    ShareRevoke,
    /// Publish a product version to the external catalog (Glue).
    #[serde(rename = "catalog.publish")]
    CatalogPublish,
    /// Register a refresh's partition and write its `_SUCCESS` marker.
    #[serde(rename = "signal.marker")]
    SignalMarker,
    /// Tell one subscription about a refresh.
    #[serde(rename = "notify.refresh")]
    NotifyRefresh,
    /// Send an SLO alert to a producer channel.
    #[serde(rename = "notify.alert")]
    NotifyAlert,
    /// Send a refresh to the configured OpenLineage endpoint.
    #[serde(rename = "lineage.emit")]
    LineageEmit,
    /// Deliver one event to one event hook.
    #[serde(rename = "event.deliver")]
    EventDeliver,
    /// Tell one subscription that a breaking version was published.
    #[serde(rename = "notify.breaking")]
    NotifyBreaking,
    /// Tell one subscription that an old major ends soon, or has been retired.
    #[serde(rename = "notify.sunset")]
    NotifySunset,
    /// Drop a retired major's database from the external catalog (Glue).
    #[serde(rename = "catalog.retire")]
    CatalogRetire,
    /// A kind this version does not know (written by a newer replica during
    /// a rolling upgrade): listed, and dead-lettered if claimed, instead of
    /// breaking every claim. Any unknown name reads as this.
    #[serde(rename = "unknown", other)]
    Unknown,
}

wire_names!(
    JobKind,
    "job kind",
    [
        ShareGrant = "share.grant",
        ShareRevoke = "share.revoke",
        CatalogPublish = "catalog.publish",
        SignalMarker = "signal.marker",
        NotifyRefresh = "notify.refresh",
        NotifyAlert = "notify.alert",
        LineageEmit = "lineage.emit",
        EventDeliver = "event.deliver",
        NotifyBreaking = "notify.breaking",
        NotifySunset = "notify.sunset",
        CatalogRetire = "catalog.retire",
        Unknown = "unknown",
    ]
);

impl JobKind {
    /// The kinds this version runs (all but [`JobKind::Unknown`]).
    pub const KNOWN: [JobKind; 11] = [
        JobKind::ShareGrant,
        JobKind::ShareRevoke,
        JobKind::CatalogPublish,
        JobKind::SignalMarker,
        JobKind::NotifyRefresh,
        JobKind::NotifyAlert,
        JobKind::LineageEmit,
        JobKind::EventDeliver,
        JobKind::NotifyBreaking,
        JobKind::NotifySunset,
        JobKind::CatalogRetire,
    ];

    /// The kind stored as `s`; [`JobKind::Unknown`] for anything else.
    pub fn parse(s: &str) -> JobKind {
        JobKind::KNOWN.into_iter().find(|k| k.as_str() == s).unwrap_or(JobKind::Unknown)
    }
}

/// The stored state of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Not done yet: due, retrying later, or waiting for its `after_id`.
    Pending,
    /// Done.
    Done,
    /// Dead-lettered: failed for good or too often; waits for an admin retry.
    Dead,
}

wire_names!(JobStatus, "status", [Pending = "pending", Done = "done", Dead = "dead"]);

/// Which jobs an outbox listing shows (the `status` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    /// Not done yet.
    Pending,
    /// Done.
    Done,
    /// Dead-lettered.
    Dead,
    /// Pending jobs that wait for a dead one (`blocked_by`): they run only
    /// after that one is retried and done.
    Blocked,
}

wire_names!(StatusFilter, "status", [Pending = "pending", Done = "done", Dead = "dead", Blocked = "blocked"]);

/// An outbox row as admins see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EffectRow {
    /// Job id (`steward admin outbox --retry ID`).
    pub id: i64,
    pub kind: JobKind,
    /// Unique per effect: `<kind>:<occasion>`; enqueuing it again does nothing.
    pub dedup_key: String,
    pub status: JobStatus,
    /// Attempts so far.
    pub attempts: i64,
    /// When it is (or was last) due.
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub next_attempt_at: DateTime<Utc>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub done_at: Option<DateTime<Utc>>,
    /// Runs only after this job is done (a notification after its marker).
    pub after_id: Option<i64>,
    /// Set on a pending job whose `after_id` job is dead: it cannot run until
    /// that one is retried (`POST /api/v1/admin/outbox/{blocked_by}/retry`).
    pub blocked_by: Option<i64>,
    /// The job's input, by kind.
    pub payload: serde_json::Value,
}

/// What a catalog rebuild (or the start-up reconciliation) did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reconciled {
    /// Proposals put (back) into review.
    pub reopened: Vec<i64>,
    /// Approvals finished after a crash.
    pub recovered: Vec<i64>,
    /// Products written to the catalog from `main`.
    pub republished: Vec<String>,
    /// Merges on `main` that were not published because their proposal is
    /// not approved.
    pub refused: Vec<RefusedMerge>,
    /// Contracts on `main` that could not be written (see the error).
    pub failed: Vec<FailedEntry>,
    /// Contracts changed on `main` outside Steward (a merge on the git
    /// server), published or refused per `registry.accept_external_merges`.
    #[serde(default)]
    pub external: Vec<ExternalMerge>,
}

/// A contract changed on `main` by a commit Steward did not make (no
/// `Proposal:` trailer): validated with the rules a proposal meets, then
/// published if the policy accepts external merges, else reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExternalMerge {
    /// `domain.product`.
    pub product: String,
    /// The commit on `main`.
    pub commit: String,
    /// Its author, as git records it.
    pub author: String,
    /// True if it is in the catalog now.
    pub published: bool,
    /// Why it was not published (findings, or the policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_because: Option<String>,
}

/// A contract on `main` that could not be written to the catalog (it no
/// longer parses, or the database refused it). Skipped and reported, so one
/// bad entry never stops the server from starting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FailedEntry {
    /// `domain.product`.
    pub product: String,
    /// The commit on `main`.
    pub commit: String,
    /// Why it could not be written.
    pub error: String,
}

/// A commit on `main` that merged a proposal the store holds as neither
/// approved nor published (or as another product's): never published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefusedMerge {
    /// `domain.product`.
    pub product: String,
    /// The merge commit on `main`.
    pub commit: String,
    /// The proposal it names.
    pub proposal: i64,
    /// That proposal's state in the store.
    pub status: ProposalStatus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::round_trip;

    #[test]
    fn audit_events_round_trip() {
        let events: Vec<AuditEvent> = round_trip(
            r#"[{"id":7,"at":"2026-11-21T06:00:00.000000Z","actor":"rita","action":"access.approve",
                 "target":"access_request:1","before":{"status":"pending"},
                 "after":{"comment":null,"grant":1,"status":"approved"}},
                {"id":6,"at":"2026-11-21T05:00:00.000000Z","actor":"admin","action":"token.create",
                 "target":"token:paul","before":null,"after":null}]"#,
        );
        assert_eq!(events[1].before, None);
    }

    #[test]
    fn outbox_rows_round_trip() {
        let rows: Vec<EffectRow> = round_trip(
            r#"[{"id":3,"kind":"notify.refresh","dedup_key":"notify.refresh:1:1","status":"pending","attempts":0,
                 "next_attempt_at":"2026-11-21T06:00:00.000000Z","last_error":null,
                 "created_at":"2026-11-21T06:00:00.000000Z","done_at":null,"after_id":2,"blocked_by":2,
                 "payload":{"event":{"refresh_id":1},"subscription_id":1}},
                {"id":2,"kind":"signal.marker","dedup_key":"signal.marker:1","status":"dead","attempts":5,
                 "next_attempt_at":"2026-11-21T06:10:00.000000Z","last_error":"access denied",
                 "created_at":"2026-11-21T06:00:00.000000Z","done_at":null,"after_id":null,"blocked_by":null,
                 "payload":{"refresh_id":1}}]"#,
        );
        assert_eq!((rows[0].kind, rows[1].status), (JobKind::NotifyRefresh, JobStatus::Dead));
    }

    #[test]
    fn reconciliation_reports_round_trip() {
        round_trip::<Reconciled>(
            r#"{"reopened":[],"recovered":[],"republished":["sales.orders"],"refused":[],"failed":[],"external":[]}"#,
        );
        round_trip::<Reconciled>(
            r#"{"reopened":[4],"recovered":[2],"republished":[],
                "refused":[{"product":"sales.orders","commit":"0123abcd","proposal":5,"status":"rejected"}],
                "failed":[{"product":"hr.people","commit":"4567ef01","error":"STW020: not a contract"}],
                "external":[{"product":"sales.orders","commit":"89ab","author":"Erin <erin@example.com>",
                             "published":false,"refused_because":"registry.accept_external_merges is off"},
                            {"product":"hr.people","commit":"cdef","author":"Erin <erin@example.com>","published":true}]}"#,
        );
    }

    #[test]
    fn closed_sets() {
        check_names!(
            JobKind,
            [
                "share.grant",
                "share.revoke",
                "catalog.publish",
                "signal.marker",
                "notify.refresh",
                "notify.alert",
                "lineage.emit",
                "event.deliver",
                "notify.breaking",
                "notify.sunset",
                "catalog.retire",
                "unknown"
            ]
        );
        check_names!(JobStatus, ["pending", "done", "dead"]);
        check_names!(StatusFilter, ["pending", "done", "dead", "blocked"]);
    }

    #[test]
    fn a_kind_from_a_newer_version_reads_as_unknown() {
        assert_eq!(serde_json::from_str::<JobKind>(r#""share.rotate""#).unwrap(), JobKind::Unknown);
        assert_eq!(JobKind::parse("share.rotate"), JobKind::Unknown);
        assert_eq!(JobKind::parse("signal.marker"), JobKind::SignalMarker);
        assert!("share.rotate".parse::<JobKind>().is_err(), "FromStr is strict");
    }
}
