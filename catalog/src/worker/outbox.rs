//! The outbox worker: claims due jobs, runs them concurrently, and records
//! the outcome — done, retry later with exponential backoff and jitter, or
//! dead-lettered (visible to admins at `GET /api/v1/admin/outbox`).
//!
//! Jobs of one share (product, account) run one after the other within a
//! batch so a grant and a revoke never race; everything else runs with up to
//! `concurrency` in flight, so one slow webhook never holds the others.
//!
//! Each job's outcome is recorded as soon as it finishes, not at the end of
//! the batch: a worker that dies mid-batch leaves only its in-flight jobs to
//! be run again (a notification among them may be delivered twice), not the
//! whole batch.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use rand::Rng;
use serde::Deserialize;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::effects::backends::EffectBackends;
use crate::effects::{EffectError, JobContext, Lane, Queued};
use crate::error::StoreError;
use crate::service::Service;
use crate::store::outbox::{self, Claimed, JobKind};

/// `outbox.*` settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboxSettings {
    /// Jobs in flight at once per replica.
    pub concurrency: usize,
    /// Jobs claimed per round.
    pub batch: i64,
    /// Attempts before a job is dead-lettered.
    pub max_attempts: i64,
    /// First retry delay; doubles per attempt, up to `max_backoff_secs`.
    pub base_backoff_ms: u64,
    pub max_backoff_secs: u64,
    /// How long a claim lasts; a worker that dies loses its claims after this.
    pub claim_secs: i64,
    /// Sleep between polls when there is nothing to do.
    pub poll_ms: u64,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        Self {
            concurrency: 128,
            batch: 512,
            max_attempts: 8,
            base_backoff_ms: 1000,
            max_backoff_secs: 600,
            claim_secs: 120,
            poll_ms: 200,
        }
    }
}

impl OutboxSettings {
    /// Delay before attempt `attempts + 1`, full jitter on the upper half.
    pub fn backoff(&self, attempts: i64) -> Duration {
        let exp = u32::try_from(attempts.clamp(0, 30)).unwrap_or(30);
        let ceiling = (self.base_backoff_ms.saturating_mul(1u64 << exp)).min(self.max_backoff_secs * 1000);
        let half = ceiling / 2;
        Duration::from_millis(half + rand::rng().random_range(0..=half.max(1)))
    }
}

/// Test-only fault points: the process exits right before or right after
/// running a job of the named kind, or at a named point of an operation (to
/// prove crash safety end to end).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    pub exit_before: Option<JobKind>,
    pub exit_after: Option<JobKind>,
    pub exit_at: Option<FaultPoint>,
}

/// A point inside an operation where `faults.exit_at` stops the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum FaultPoint {
    /// A submission is recorded in the store; its branch is not written yet.
    #[serde(rename = "proposal.branch")]
    ProposalBranch,
}

/// Claims due outbox jobs and runs them (see the module docs).
pub struct OutboxWorker {
    ctx: Arc<JobContext>,
    clock: Arc<dyn Clock>,
    settings: OutboxSettings,
    faults: Faults,
    /// Unique per process: claims name their holder.
    id: String,
}

/// A claimed row read as its job, or why it cannot run.
type ReadJob = Result<Queued, EffectError>;

/// What one round did (for tests and metrics).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub done: usize,
    pub retried: usize,
    pub dead: usize,
}

impl OutboxWorker {
    /// A worker for `service`'s store and clock that runs jobs through `backends`.
    pub fn new(service: &Service, backends: EffectBackends, settings: OutboxSettings, faults: Faults) -> Self {
        let ctx = JobContext {
            store: service.store.clone(),
            backends,
            data_dir: service.backends.data_dir.clone(),
            openlineage: None,
            event_source: service.backends.events.source.clone(),
        };
        let id = format!("{}-{}", std::process::id(), crate::auth::short_id());
        Self { ctx: Arc::new(ctx), clock: service.clock.clone(), settings, faults, id }
    }

    /// Sends `lineage.emit` jobs to `emitter` (none: they dead-letter,
    /// saying no endpoint is configured).
    pub fn openlineage(mut self, emitter: Option<crate::effects::openlineage::LineageEmitter>) -> Self {
        if let Some(ctx) = Arc::get_mut(&mut self.ctx) {
            ctx.openlineage = emitter;
        }
        self
    }

    /// Who this worker's claims name.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Claims a batch and leaves it unrun, as a worker that dies right after
    /// its claim would: the jobs run again once the claim expires.
    pub async fn claim_and_abandon(&self, claim: chrono::Duration) -> Result<usize, StoreError> {
        let claimed = self.claim(claim).await?;
        Ok(claimed.len())
    }

    async fn claim(&self, lease: chrono::Duration) -> Result<Vec<Claimed>, StoreError> {
        let store = &self.ctx.store;
        let mut conn = store.acquire().await?;
        outbox::claim(&mut conn, store.dialect, &self.id, self.clock.now(), lease, self.settings.batch).await
    }

    /// Claims and runs one batch.
    pub async fn round(&self) -> Result<Round, StoreError> {
        let claimed = self.claim(chrono::Duration::seconds(self.settings.claim_secs)).await?;
        // Each job's lane orders it against the others (shares of one
        // product and account run one after the other); a row that cannot be
        // read runs (and fails) on its own.
        let mut lanes: BTreeMap<(Lane, i64), Vec<(Claimed, ReadJob)>> = BTreeMap::new();
        for row in claimed {
            let job = Queued::read(&row);
            let lane = match job.as_ref().map(Queued::lane) {
                Ok(Lane::Own) | Err(_) => (Lane::Own, row.id),
                Ok(shared) => (shared, 0),
            };
            lanes.entry(lane).or_default().push((row, job));
        }
        let lanes: Vec<Result<Round, StoreError>> = futures::stream::iter(lanes.into_values())
            .map(|lane| async move {
                let mut round = Round::default();
                for (row, job) in lane {
                    let result = match job {
                        Ok(job) => self.run_one(&row, job).await,
                        Err(e) => Err(e),
                    };
                    self.record(&row, result, &mut round).await?;
                }
                Ok(round)
            })
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut round = Round::default();
        let mut error = None;
        for lane in lanes {
            match lane {
                Ok(r) => {
                    round.done += r.done;
                    round.retried += r.retried;
                    round.dead += r.dead;
                }
                // The job stays claimed and runs again once the claim expires.
                Err(e) => error = Some(e),
            }
        }
        match error {
            Some(e) if round == Round::default() => Err(e),
            Some(e) => {
                tracing::error!(error = %e, "recording an outbox outcome failed");
                Ok(round)
            }
            None => Ok(round),
        }
    }

    /// Records one job's outcome right away (see the module docs).
    async fn record(
        &self,
        job: &Claimed,
        result: Result<(), EffectError>,
        round: &mut Round,
    ) -> Result<(), StoreError> {
        let mut conn = self.ctx.store.acquire().await?;
        let now = self.clock.now();
        match result {
            Ok(()) => {
                outbox::complete(&mut conn, job.id, &self.id, now).await?;
                round.done += 1;
            }
            Err(e) => {
                let attempts = job.attempts + 1;
                let retry_at = (e.retryable && attempts < self.settings.max_attempts).then(|| {
                    now + chrono::Duration::from_std(self.settings.backoff(attempts - 1))
                        .unwrap_or(chrono::Duration::seconds(1))
                });
                if retry_at.is_some() {
                    round.retried += 1;
                    tracing::warn!(job = job.id, kind = %job.kind, attempts, error = %e.message, "effect failed; will retry");
                } else {
                    round.dead += 1;
                    tracing::error!(job = job.id, kind = %job.kind, attempts, error = %e.message, "effect dead-lettered");
                }
                outbox::fail(&mut conn, job.id, &self.id, &e.message, retry_at).await?;
            }
        }
        Ok(())
    }

    async fn run_one(&self, row: &Claimed, job: Queued) -> Result<(), EffectError> {
        if self.faults.exit_before == Some(row.kind) {
            eprintln!("steward: fault point: exiting before {} job {}", row.kind, row.id);
            std::process::exit(86);
        }
        let result = job.run(&self.ctx).await;
        if result.is_ok() && self.faults.exit_after == Some(row.kind) {
            eprintln!("steward: fault point: exiting after {} job {}", row.kind, row.id);
            std::process::exit(87);
        }
        result
    }

    /// Runs rounds until `stop` turns true; sleeps only when idle.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.settings.poll_ms);
        loop {
            if *stop.borrow() {
                return;
            }
            let idle = match self.round().await {
                Ok(r) => r.done + r.retried + r.dead == 0,
                Err(e) => {
                    tracing::error!(error = %e, "outbox round failed");
                    true
                }
            };
            if idle {
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }

    /// Runs rounds until nothing is due (tests; `steward admin outbox drain`).
    pub async fn drain(&self) -> Result<Round, StoreError> {
        let mut total = Round::default();
        loop {
            let r = self.round().await?;
            if r.done + r.retried + r.dead == 0 {
                return Ok(total);
            }
            total.done += r.done;
            total.retried += r.retried;
            total.dead += r.dead;
        }
    }
}
