//! Service operations: what the API and the portal call. Every state change
//! checks authorization here (not in handlers), runs in a store transaction,
//! and writes an audit event in that same transaction.

pub mod access;
pub mod admin;
pub mod catalog;
pub mod proposals;
pub mod refreshes;
pub mod slo;
pub mod subscriptions;
pub mod tokens;

use std::sync::Arc;

use serde_json::Value;
use steward_policies::Policy;
use steward_registry::SharedRegistry;

use crate::auth::Principal;
use crate::clock::Clock;
use crate::error::{ServiceError, StoreError};
use crate::store::{Store, audit};

/// Everything an operation needs. Cheap to clone.
#[derive(Clone)]
pub struct Service {
    pub store: Store,
    pub registry: SharedRegistry,
    pub policy: Arc<Policy>,
    pub clock: Arc<dyn Clock>,
    /// Where `main` is pushed after each merge, if anywhere.
    pub upstream: Option<String>,
    /// Which external backends are on (what effects operations enqueue).
    pub backends: Arc<Backends>,
}

/// The external backends a deployment uses beside the embedded ones.
#[derive(Debug, Clone, Default)]
pub struct Backends {
    /// Publish products and partitions to AWS Glue (and register locations
    /// with Lake Formation) as well as to the embedded catalog.
    pub glue: bool,
    /// Share through AWS RAM and Lake Formation as well as recording grants.
    pub aws_shares: bool,
    /// Webhook target policy, checked when a subscription is made.
    pub webhooks: steward_notify::WebhookSettings,
    /// Where `_SUCCESS` markers of `s3://` locations go (`backends.signals`);
    /// a refresh is refused when its marker could not be written there.
    pub signals: SignalsBackend,
    /// The data dir: `type: local` paths resolve against it and must stay in
    /// its `lake/`. `None`: local locations cannot be signalled.
    pub data_dir: Option<std::path::PathBuf>,
}

/// `backends.signals`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SignalsBackend {
    /// Files: `s3://bucket/key/` under `signals_root`, local paths in the lake.
    #[default]
    Local,
    /// S3; local paths are refused (a replica's disk is no place for a
    /// marker every replica and consumer must see).
    S3,
}

impl Service {
    /// A pooled connection for reads outside a transaction.
    pub(crate) async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.store.pool.acquire().await?)
    }

    /// Appends an audit event inside `tx`.
    pub(crate) async fn audit(
        &self,
        tx: &mut crate::store::Tx,
        actor: &str,
        action: &str,
        target: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<(), StoreError> {
        audit::append(tx, self.clock.now(), actor, action, target, before.as_ref(), after.as_ref()).await
    }
}

/// How long a request waits for CPU-bound work (queueing included) before it
/// is answered 503. Parsing is linear and capped at 1 MiB, so this is a
/// safety net, not a limit that valid contracts meet.
pub(crate) const CPU_BUDGET: std::time::Duration = std::time::Duration::from_secs(20);

/// Runs CPU-bound work (parsing and validating contracts) on the blocking
/// pool, at most one job per core at a time. Parsing a 1 MiB document is
/// linear but not free; on the async threads a few such requests would leave
/// every other request (and `/healthz`) waiting. A job that outlives
/// [`CPU_BUDGET`] is answered 503; it keeps its slot until it ends, so a
/// flood of slow inputs cannot grow the number running.
pub(crate) async fn cpu<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ServiceError> {
    static SLOTS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get),
        ))
    });
    let run = async {
        let slot = slots.clone().acquire_owned().await.map_err(|_| busy())?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        })
        .await
        .map_err(|e| ServiceError::Store(StoreError::Corrupt(format!("a validation task failed: {e}"))))
    };
    tokio::time::timeout(CPU_BUDGET, run).await.map_err(|_| busy())?
}

fn busy() -> ServiceError {
    ServiceError::Busy(format!(
        "validation did not finish within {} s (the server is busy); retry in a moment",
        CPU_BUDGET.as_secs()
    ))
}

/// Refuses control characters (Unicode Cc) in a one-line text input: NUL
/// breaks PostgreSQL text, and the others make no sense in a search or a name.
pub(crate) fn plain_text(field: &str, value: Option<&str>) -> Result<(), ServiceError> {
    match value {
        Some(v) if v.chars().any(char::is_control) => {
            Err(ServiceError::BadRequest(format!("{field}: `{}` contains a control character", v.escape_debug())))
        }
        _ => Ok(()),
    }
}

pub(crate) fn require(ok: bool, message: impl Into<String>) -> Result<(), ServiceError> {
    if ok { Ok(()) } else { Err(ServiceError::Forbidden(message.into())) }
}

pub(crate) fn require_reviewer(p: &Principal, what: &str) -> Result<(), ServiceError> {
    require(p.can_review(), format!("only reviewers and admins may {what}; token `{}` has role {}", p.name, p.role))
}
