//! Side effects and the outbox jobs that carry them.
//!
//! A service operation that implies work outside the store (an AWS call, a
//! `_SUCCESS` marker, a notification) enqueues a job here, inside its own
//! transaction; [`crate::worker::outbox`] executes the jobs after the commit
//! through the backends in [`backends`]. Every job is idempotent, because a
//! worker that dies after the effect but before marking it done will see it
//! again. Job payloads carry ids, not copies of mutable state: the executor
//! reads the current product, grant or subscription when it runs (so a
//! subscription removed or a grant revoked in between is honoured).

pub mod backends;
pub mod execute;
pub mod lake;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
pub use crate::store::outbox::JobKind;
use crate::store::outbox::{self, NewEffect};

pub const SHARE_GRANT: JobKind = JobKind::ShareGrant;
pub const SHARE_REVOKE: JobKind = JobKind::ShareRevoke;
pub const GLUE_PUBLISH: JobKind = JobKind::CatalogPublish;
pub const MARKER: JobKind = JobKind::SignalMarker;
pub const NOTIFY: JobKind = JobKind::NotifyRefresh;
pub const ALERT: JobKind = JobKind::NotifyAlert;

/// The dedup key of a refresh's marker job (how the refresh finds it).
pub fn marker_dedup_key(refresh_id: i64) -> String {
    format!("{MARKER}:{refresh_id}")
}

/// Grant or revoke the share of one product for one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareJob {
    pub product_key: String,
    pub account: String,
    pub grant_id: i64,
}

/// Publish a product version to the external catalog (Glue) and register
/// its locations with Lake Formation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishJob {
    pub product_key: String,
    pub version: String,
}

/// Register a refresh's partition externally (Glue) and write its marker:
/// in S3 (or its local stand-in) for an `s3://` location, in the embedded
/// lake for a local one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerJob {
    pub refresh_id: i64,
    pub product_key: String,
    pub database: String,
    pub table: String,
    pub partition: String,
    pub partition_values: Vec<String>,
    pub location: String,
}

/// What subscribers are told about a refresh (the webhook body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RefreshEvent {
    /// Unique per refresh and subscription; receivers can drop repeats by it.
    pub event_id: String,
    pub product: String,
    pub table: String,
    pub partition: Option<String>,
    pub partition_values: Vec<String>,
    pub snapshot_id: Option<String>,
    pub location: String,
    pub marker: String,
    pub refresh_id: i64,
    pub reported_at: String,
    pub row_count: Option<i64>,
}

/// Tell one subscription about a refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifyJob {
    pub subscription_id: i64,
    pub event: RefreshEvent,
}

/// An SLO alert to a producer channel taken from the contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertJob {
    pub product_key: String,
    /// `email` or `slack`.
    pub channel: String,
    pub target: String,
    pub subject: String,
    pub text: String,
}

async fn enqueue<T: Serialize>(
    tx: &mut crate::store::Tx,
    kind: JobKind,
    dedup_key: &str,
    job: &T,
    after_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let payload = serde_json::to_value(job)?;
    outbox::enqueue(tx, &NewEffect { kind, dedup_key, payload: &payload, after_id }, now).await
}

/// `discriminator` separates legitimate repeats (a new version extends a
/// share) from retries of the same operation.
pub async fn enqueue_share(
    tx: &mut crate::store::Tx,
    job: &ShareJob,
    kind: JobKind,
    discriminator: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    enqueue(tx, kind, &format!("{kind}:{}:{discriminator}", job.grant_id), job, None, now).await
}

pub async fn enqueue_publish(
    tx: &mut crate::store::Tx,
    job: &PublishJob,
    commit: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    enqueue(tx, GLUE_PUBLISH, &format!("{GLUE_PUBLISH}:{}:{commit}", job.product_key), job, None, now).await
}

pub async fn enqueue_marker(tx: &mut crate::store::Tx, job: &MarkerJob, now: DateTime<Utc>) -> Result<i64, StoreError> {
    enqueue(tx, MARKER, &marker_dedup_key(job.refresh_id), job, None, now).await
}

/// One notification job per subscription, all after the marker job, in a
/// few multi-row statements (a refresh may have thousands of subscribers).
pub async fn enqueue_notify(
    tx: &mut crate::store::Tx,
    jobs: &[NotifyJob],
    after_marker: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows = jobs
        .iter()
        .map(|job| {
            let key = format!("{NOTIFY}:{}:{}", job.event.refresh_id, job.subscription_id);
            Ok((key, serde_json::to_value(job)?, Some(after_marker)))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    outbox::enqueue_many(tx, NOTIFY, &rows, now).await
}

/// `dedup_key` names the alert (product, entry, tick and kind), so the same
/// alert is never sent twice to a target.
pub async fn enqueue_alert(
    tx: &mut crate::store::Tx,
    job: &AlertJob,
    dedup_key: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    enqueue(tx, ALERT, &format!("{ALERT}:{dedup_key}:{}:{}", job.channel, job.target), job, None, now).await
}
