//! The job trait, the context jobs run with, and the typed view of a claimed row.

use std::future::Future;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::backends::EffectBackends;
use super::lake::{Lake, LakeError};
use super::openlineage::LineageEmitter;
use super::{
    DeliverEvent, EmitLineage, GrantShare, NotifyBreaking, NotifyRefresh, NotifySunset, PublishCatalog, RetireCatalog,
    RevokeShare, SendAlert, WriteMarker,
};
use crate::error::StoreError;
use crate::store::outbox::{self, Claimed, JobKind, NewEffect};
use crate::store::{Store, Tx};

/// One kind of outbox job.
pub(crate) trait Job: Serialize + DeserializeOwned + Send + Sync + Sized + 'static {
    /// Stored in the row; also the first part of the dedup key.
    const KIND: JobKind;

    /// What makes this occurrence unique after the kind: a repeat with the
    /// same key (a retried operation) is not enqueued twice.
    fn occasion(&self) -> String;

    /// Jobs of one lane run one after another within a batch.
    fn lane(&self) -> Lane {
        Lane::Own
    }

    /// Does the work. `Ok` means the effect is in place, or no longer wanted.
    fn run(self, ctx: &JobContext) -> impl Future<Output = Result<(), EffectError>> + Send;

    /// `<kind>:<occasion>`, unique in the outbox.
    fn dedup_key(&self) -> String {
        format!("{}:{}", Self::KIND, self.occasion())
    }
}

/// How a job is ordered against others claimed in the same batch.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Lane {
    /// Runs concurrently with everything else.
    Own,
    /// The share of one product with one account: a grant and a revoke never race.
    Share { product_key: String, account: String },
}

/// What a running job may use: the store (to re-read current state), the
/// backends, and the embedded lake. Built once per worker.
pub(crate) struct JobContext {
    pub store: Store,
    pub backends: EffectBackends,
    /// The data dir, whose `lake/` takes markers of local locations.
    pub data_dir: Option<PathBuf>,
    /// The OpenLineage endpoint refreshes are sent to, if configured.
    pub openlineage: Option<LineageEmitter>,
    /// The CloudEvents `source` of delivered events (`events.source`).
    pub event_source: String,
}

impl JobContext {
    pub fn lake(&self) -> Result<Lake, LakeError> {
        let dir = self.data_dir.as_deref().ok_or_else(|| {
            LakeError::Refused("this deployment has no data dir, so local locations cannot be signalled".into())
        })?;
        Lake::new(dir)
    }

    /// A pooled connection; failing to get one is worth a retry.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, EffectError> {
        self.store.acquire().await.map_err(EffectError::from)
    }
}

/// Why a job failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EffectError {
    pub message: String,
    pub retryable: bool,
}

impl EffectError {
    pub fn permanent(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: false }
    }
    pub fn retry(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: true }
    }
}

impl From<steward_aws::AwsError> for EffectError {
    fn from(e: steward_aws::AwsError) -> Self {
        Self { retryable: e.is_retryable(), message: e.to_string() }
    }
}

impl From<steward_notify::NotifyError> for EffectError {
    fn from(e: steward_notify::NotifyError) -> Self {
        Self { retryable: e.is_retryable(), message: e.to_string() }
    }
}

impl From<LakeError> for EffectError {
    fn from(e: LakeError) -> Self {
        match e {
            LakeError::Refused(m) => Self::permanent(m),
            LakeError::Io(m) => Self::retry(m),
        }
    }
}

impl From<StoreError> for EffectError {
    fn from(e: StoreError) -> Self {
        Self::retry(format!("store: {e}"))
    }
}

/// Adds `job` unless an equal occasion is queued already; runs only after
/// `after_id` is done, if given. Returns the job's id (new or existing).
pub(crate) async fn enqueue<J: Job>(
    tx: &mut Tx,
    job: &J,
    after_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let payload = serde_json::to_value(job)?;
    let dedup_key = job.dedup_key();
    outbox::enqueue(tx, &NewEffect { kind: J::KIND, dedup_key: &dedup_key, payload: &payload, after_id }, now).await
}

/// Adds many jobs of one kind in a few multi-row statements (a refresh may
/// have thousands of subscribers), all after `after_id`.
pub(crate) async fn enqueue_all<J: Job>(
    tx: &mut Tx,
    jobs: &[J],
    after_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let rows = jobs
        .iter()
        .map(|job| Ok((job.dedup_key(), serde_json::to_value(job)?, after_id)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    outbox::enqueue_many(tx, J::KIND, &rows, now).await
}

/// A claimed row as its typed job.
pub(crate) enum Queued {
    GrantShare(GrantShare),
    RevokeShare(RevokeShare),
    PublishCatalog(PublishCatalog),
    WriteMarker(WriteMarker),
    NotifyRefresh(NotifyRefresh),
    SendAlert(SendAlert),
    EmitLineage(EmitLineage),
    DeliverEvent(DeliverEvent),
    NotifyBreaking(NotifyBreaking),
    NotifySunset(NotifySunset),
    RetireCatalog(RetireCatalog),
}

impl Queued {
    /// Reads a claimed row; an unknown kind or an unreadable payload is a
    /// permanent failure (the row is dead-lettered, not retried forever).
    pub fn read(row: &Claimed) -> Result<Queued, EffectError> {
        fn payload<J: Job>(row: &Claimed) -> Result<J, EffectError> {
            serde_json::from_value(row.payload.clone()).map_err(|e| {
                EffectError::permanent(format!("payload of {} job {} is not readable: {e}", row.kind, row.id))
            })
        }
        Ok(match row.kind {
            JobKind::ShareGrant => Queued::GrantShare(payload(row)?),
            JobKind::ShareRevoke => Queued::RevokeShare(payload(row)?),
            JobKind::CatalogPublish => Queued::PublishCatalog(payload(row)?),
            JobKind::SignalMarker => Queued::WriteMarker(payload(row)?),
            JobKind::NotifyRefresh => Queued::NotifyRefresh(payload(row)?),
            JobKind::NotifyAlert => Queued::SendAlert(payload(row)?),
            JobKind::LineageEmit => Queued::EmitLineage(payload(row)?),
            JobKind::EventDeliver => Queued::DeliverEvent(payload(row)?),
            JobKind::NotifyBreaking => Queued::NotifyBreaking(payload(row)?),
            JobKind::NotifySunset => Queued::NotifySunset(payload(row)?),
            JobKind::CatalogRetire => Queued::RetireCatalog(payload(row)?),
            JobKind::Unknown => {
                return Err(EffectError::permanent(format!(
                    "job {} (`{}`) is of a kind this version does not know",
                    row.id, row.dedup_key
                )));
            }
        })
    }

    pub fn lane(&self) -> Lane {
        match self {
            Queued::GrantShare(j) => j.lane(),
            Queued::RevokeShare(j) => j.lane(),
            Queued::PublishCatalog(j) => j.lane(),
            Queued::WriteMarker(j) => j.lane(),
            Queued::NotifyRefresh(j) => j.lane(),
            Queued::SendAlert(j) => j.lane(),
            Queued::EmitLineage(j) => j.lane(),
            Queued::DeliverEvent(j) => j.lane(),
            Queued::NotifyBreaking(j) => j.lane(),
            Queued::NotifySunset(j) => j.lane(),
            Queued::RetireCatalog(j) => j.lane(),
        }
    }

    pub async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        match self {
            Queued::GrantShare(j) => j.run(ctx).await,
            Queued::RevokeShare(j) => j.run(ctx).await,
            Queued::PublishCatalog(j) => j.run(ctx).await,
            Queued::WriteMarker(j) => j.run(ctx).await,
            Queued::NotifyRefresh(j) => j.run(ctx).await,
            Queued::SendAlert(j) => j.run(ctx).await,
            Queued::EmitLineage(j) => j.run(ctx).await,
            Queued::DeliverEvent(j) => j.run(ctx).await,
            Queued::NotifyBreaking(j) => j.run(ctx).await,
            Queued::NotifySunset(j) => j.run(ctx).await,
            Queued::RetireCatalog(j) => j.run(ctx).await,
        }
    }
}
