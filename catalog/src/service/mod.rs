//! Service operations: what the API and the portal call. Every state change
//! checks authorization here (not in handlers), runs in a store transaction,
//! and writes an audit event in that same transaction.

pub mod access;
pub mod admin;
pub mod catalog;
pub mod events;
pub mod lineage;
pub mod majors;
pub mod migrate;
pub mod proposals;
pub mod refreshes;
pub mod sessions;
pub mod slo;
pub mod subscriptions;
pub mod tokens;
pub mod upstream;
pub mod workspace;

use std::sync::Arc;

use serde_json::Value;
use steward_policies::Policy;
use steward_registry::SharedRegistry;

use crate::auth::Principal;
use crate::clock::Clock;
pub use crate::config::{CatalogBackend, SharesBackend, SignalsBackend};
use crate::error::{ServiceError, StoreError};
use crate::store::{Store, audit};

/// Everything an operation needs. Cheap to clone. Built by
/// [`ServiceBuilder`]; its parts are private to the crate, so handlers, the
/// portal and tests reach the store only through its methods.
#[derive(Clone)]
pub struct Service {
    pub(crate) store: Store,
    pub(crate) registry: SharedRegistry,
    pub(crate) policy: Arc<Policy>,
    pub(crate) clock: Arc<dyn Clock>,
    /// The git remote holding the registry's truth, if replicas share it
    /// (see [`upstream`]).
    pub(crate) upstream: Option<steward_registry::Upstream>,
    /// Publish contracts changed on the upstream's `main` outside Steward
    /// when they pass validation (`registry.accept_external_merges`).
    pub(crate) accept_external_merges: bool,
    /// With an upstream, how old an unfinished submission or approval must
    /// be before recovery takes it over (`registry.recovery_after_secs`).
    pub(crate) recovery_after_secs: u64,
    /// One registry writer at a time in this process (the first half of
    /// [`upstream::WriterLock`]).
    pub(crate) registry_writer: Arc<tokio::sync::Mutex<()>>,
    /// `faults.exit_at` (tests only): where an operation exits the process.
    pub(crate) exit_at: Option<crate::worker::outbox::FaultPoint>,
    /// The `main` the last registry poll replayed into the catalog.
    pub(crate) replayed_main: Arc<std::sync::Mutex<Option<String>>>,
    /// Which external backends are on (what effects operations enqueue).
    pub(crate) backends: Arc<BackendChoices>,
    /// Verifies JWTs of trusted issuers (`identity.trusted_issuers`); none:
    /// only Steward tokens authenticate.
    pub(crate) identity: Option<Arc<steward_identity::Verifier>>,
}

/// The external backends a deployment uses beside the embedded ones, and
/// what operations need to know about them.
#[derive(Debug, Clone, Default)]
pub struct BackendChoices {
    /// `backends.catalog`: Glue also publishes products and partitions to
    /// AWS Glue (and registers locations with Lake Formation).
    pub catalog: CatalogBackend,
    /// `backends.shares`: AWS also shares through Lake Formation.
    pub shares: SharesBackend,
    /// Webhook target policy, checked when a subscription is made.
    pub webhooks: steward_notify::WebhookSettings,
    /// Where `_SUCCESS` markers of `s3://` locations go (`backends.signals`);
    /// a refresh is refused when its marker could not be written there.
    pub signals: SignalsBackend,
    /// The data dir: `type: local` paths resolve against it and must stay in
    /// its `lake/`. `None`: local locations cannot be signalled.
    pub data_dir: Option<std::path::PathBuf>,
    /// An OpenLineage endpoint is configured (`openlineage.url`): each
    /// recorded refresh enqueues a `lineage.emit` job.
    pub openlineage: bool,
    /// The events' `source` and when expiring grants are announced.
    pub events: crate::config::EventsSettings,
}

impl BackendChoices {
    pub(crate) fn glue(&self) -> bool {
        self.catalog == CatalogBackend::Glue
    }

    pub(crate) fn aws_shares(&self) -> bool {
        self.shares == SharesBackend::Aws
    }
}

/// Builds a [`Service`]: the store at a database URL, the registry at a
/// path, and the policy, clock and backends (defaults: the built-in
/// policy, the system clock, embedded backends).
pub struct ServiceBuilder {
    database_url: String,
    registry_path: std::path::PathBuf,
    policy: Policy,
    clock: Arc<dyn Clock>,
    upstream: Option<steward_registry::Upstream>,
    accept_external_merges: bool,
    recovery_after_secs: u64,
    exit_at: Option<crate::worker::outbox::FaultPoint>,
    backends: BackendChoices,
    identity: Option<Arc<steward_identity::Verifier>>,
}

impl ServiceBuilder {
    pub fn new(database_url: impl Into<String>, registry_path: impl Into<std::path::PathBuf>) -> Self {
        Self {
            database_url: database_url.into(),
            registry_path: registry_path.into(),
            policy: Policy::default(),
            clock: Arc::new(crate::clock::SystemClock),
            upstream: None,
            accept_external_merges: false,
            recovery_after_secs: crate::config::DEFAULT_RECOVERY_AFTER_SECS,
            exit_at: None,
            backends: BackendChoices::default(),
            identity: None,
        }
    }

    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The git remote holding the registry's truth (replicas share it).
    pub fn upstream(mut self, upstream: Option<steward_registry::Upstream>) -> Self {
        self.upstream = upstream;
        self
    }

    /// With an upstream: the age after which recovery finishes work another
    /// replica left unfinished.
    pub fn recovery_after_secs(mut self, secs: u64) -> Self {
        self.recovery_after_secs = secs;
        self
    }

    /// A fault point (tests of crash safety only): the process exits there.
    pub fn exit_at(mut self, point: Option<crate::worker::outbox::FaultPoint>) -> Self {
        self.exit_at = point;
        self
    }

    /// Publish valid contracts changed on the upstream outside Steward.
    pub fn accept_external_merges(mut self, accept: bool) -> Self {
        self.accept_external_merges = accept;
        self
    }

    pub fn backends(mut self, backends: BackendChoices) -> Self {
        self.backends = backends;
        self
    }

    /// Accept JWTs of these trusted issuers besides Steward tokens.
    pub fn identity(mut self, verifier: Option<Arc<steward_identity::Verifier>>) -> Self {
        self.identity = verifier;
        self
    }

    /// Connects the store (applying migrations) and opens or creates the
    /// registry; with an upstream, attaches it ([`Service::attach_upstream`]).
    pub async fn build(self) -> Result<Service, ServiceError> {
        let store = Store::connect(&self.database_url).await?;
        let path = self.registry_path;
        let registry = tokio::task::spawn_blocking(move || steward_registry::Registry::open_or_init(&path))
            .await
            .map_err(|e| ServiceError::Store(StoreError::Corrupt(format!("the registry task failed: {e}"))))??;
        let registry_writer = upstream::writer_for(self.upstream.as_ref());
        let service = Service {
            store,
            registry: SharedRegistry::new(registry),
            policy: Arc::new(self.policy),
            clock: self.clock,
            upstream: self.upstream,
            accept_external_merges: self.accept_external_merges,
            recovery_after_secs: self.recovery_after_secs,
            exit_at: self.exit_at,
            registry_writer,
            replayed_main: Arc::default(),
            backends: Arc::new(self.backends),
            identity: self.identity,
        };
        if let Some(upstream) = &service.upstream {
            service.attach_upstream(upstream).await?;
        }
        Ok(service)
    }
}

impl Service {
    /// The git registry of contracts (history, proposal branches, `main`).
    pub fn registry(&self) -> &SharedRegistry {
        &self.registry
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn backends(&self) -> &BackendChoices {
        &self.backends
    }

    /// The registry's upstream, if replicas share one.
    pub fn upstream(&self) -> Option<&steward_registry::Upstream> {
        self.upstream.as_ref()
    }
}

impl Service {
    /// A pooled connection for reads outside a transaction.
    pub(crate) async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        self.store.acquire().await
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

    /// Records the event of a change inside `tx` (see [`crate::events`]);
    /// call it last before the commit.
    pub(crate) async fn announce(
        &self,
        tx: &mut crate::store::Tx,
        change: &crate::events::Change<'_>,
    ) -> Result<(), StoreError> {
        crate::events::record(tx, self.store.dialect, self.clock.now(), change).await?;
        Ok(())
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

/// Parses a product key from a path, as a 400 when malformed.
pub(crate) fn parse_key(key: &str) -> Result<steward_schemas::ProductKey, ServiceError> {
    steward_schemas::ProductKey::parse(key).map_err(|e| ServiceError::BadRequest(format!("product `{key}`: {e}")))
}

impl Service {
    /// Checks that `who` may act for `account` (consumers hold accounts).
    pub(crate) fn require_account(
        &self,
        who: &Principal,
        account: &str,
    ) -> Result<steward_schemas::AccountId, ServiceError> {
        let id = steward_schemas::AccountId::parse(account)
            .map_err(|e| ServiceError::BadRequest(format!("account: {e}")))?;
        if self.backends.aws_shares() && !id.is_aws() {
            return Err(ServiceError::BadRequest(format!(
                "account `{account}` is not a 12-digit AWS account id, which the AWS share backend needs"
            )));
        }
        let holds = who.consumes_for(id.as_str());
        require(holds, format!("token `{}` does not hold account {id}", who.name))?;
        Ok(id)
    }
}

pub(crate) fn require(ok: bool, message: impl Into<String>) -> Result<(), ServiceError> {
    if ok { Ok(()) } else { Err(ServiceError::Forbidden(message.into())) }
}

pub(crate) fn require_reviewer(p: &Principal, what: &str) -> Result<(), ServiceError> {
    require(
        p.can_review(),
        format!("only reviewers and admins may {what}; token `{}` has role {}", p.name, p.roles_label()),
    )
}
