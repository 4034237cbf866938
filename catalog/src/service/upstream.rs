//! The registry when replicas share it: one writer at a time across
//! replicas, the upstream git remote as the truth, changes made on the remote.
//!
//! * **Writes** (a proposal branch, a merge) happen under [`WriterLock`]: an
//!   in-process mutex, then on PostgreSQL a transaction-scoped advisory lock
//!   every replica of the database takes. Under it the registry fetches,
//!   commits and pushes in one step ([`steward_registry::Registry::merge_shared`]),
//!   and the store is updated before the lock is let go, so whoever takes the
//!   lock next sees git and the store agree. A replica killed while holding
//!   it loses its connection and with it the lock.
//! * **Reads** that miss (a proposal branch or commit another replica wrote)
//!   fetch once and ask again ([`Service::fetch_upstream`]).
//! * **Recovery** (an approval or submission a dead replica left half-done)
//!   also runs under the lock, on whichever replica runs it: at start, and
//!   on the replica that holds the monitor lease every `registry.poll_secs`.
//!   With an upstream, only work older than `registry.recovery_after_secs`
//!   counts as left behind: younger work may belong to a live replica
//!   waiting for the lock. Either way is safe: every writer re-reads the
//!   proposal under the lock and stops if recovery finished (or undid) it.
//! * **Changes made on the remote** (a merge through the git server's own
//!   review) show as `main` moving without Steward; the poll replays them
//!   into the catalog through the same validation as a proposal, and
//!   publishes them only with `registry.accept_external_merges`.
//! * **Without an upstream** each replica would have its own registry; on
//!   PostgreSQL the first `serve` holds [`SoleRegistry`] and a second refuses
//!   to start.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Connection;
use steward_registry::Upstream;
use tokio::sync::OwnedMutexGuard;

use super::Service;
use crate::error::{ServiceError, StoreError};
use crate::store::{self, Dialect, Tx};

/// Tries (250 ms apart) at the lock of a replica without an upstream.
const SOLE_LOCK_TRIES: u32 = 12;
/// How long a writer waits for the registry before answering 503.
const WRITER_WAIT: Duration = Duration::from_secs(30);

/// Held while writing the registry; end it with [`WriterLock::release`].
pub(crate) struct WriterLock {
    _local: OwnedMutexGuard<()>,
    cluster: Option<Tx>,
}

impl WriterLock {
    pub(crate) async fn release(mut self) {
        if let Some(tx) = self.cluster.take() {
            // Ending the transaction ends the advisory lock; if the rollback
            // fails the connection is dropped, which ends it too.
            let _ = tx.rollback().await;
        }
    }
}

/// The in-process half of the writer lock: one mutex per upstream URL for
/// every service of this process, so that services sharing a remote (replicas
/// in one process, as tests run them, on SQLite where no PostgreSQL lock
/// joins them) write one at a time too. A file-path remote needs it most:
/// libgit2's local transport updates the remote's ref without comparing it,
/// so two pushes at once could each pass as a fast-forward and the second
/// drop the first's merge. Without an upstream, each service has its own.
pub(crate) fn writer_for(upstream: Option<&steward_registry::Upstream>) -> Arc<tokio::sync::Mutex<()>> {
    static WRITERS: std::sync::OnceLock<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
        std::sync::OnceLock::new();
    let Some(upstream) = upstream else { return Arc::default() };
    let mut writers = WRITERS.get_or_init(Default::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    Arc::clone(writers.entry(upstream.url.clone()).or_default())
}

/// The lifelong lock of a replica that keeps the only registry (no upstream).
pub struct SoleRegistry {
    _conn: sqlx::AnyConnection,
}

impl std::fmt::Debug for SoleRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SoleRegistry")
    }
}

impl Service {
    /// Takes the registry writer lock (see the module docs).
    pub(crate) async fn lock_registry(&self) -> Result<WriterLock, ServiceError> {
        let local = tokio::time::timeout(WRITER_WAIT, Arc::clone(&self.registry_writer).lock_owned())
            .await
            .map_err(|_| ServiceError::Busy("the registry is busy with other writes; retry in a moment".into()))?;
        let cluster = match self.store.dialect {
            Dialect::Postgres => Some(store::registry::lock_writer(&self.store, WRITER_WAIT).await?),
            Dialect::Sqlite => None,
        };
        Ok(WriterLock { _local: local, cluster })
    }

    /// Brings the local registry up to date with the upstream, if there is
    /// one; true if `main` moved. Safe without the writer lock: the fetch is
    /// atomic with respect to this replica's own writes.
    pub(crate) async fn fetch_upstream(&self) -> Result<bool, ServiceError> {
        let Some(upstream) = self.upstream.clone() else { return Ok(false) };
        let fetched = self.registry.fetch(upstream).await?;
        Ok(fetched.main_before != fetched.main_after)
    }

    /// Runs a registry read; if it misses a revision (another replica wrote
    /// it) and replicas share an upstream, fetches once and reads again.
    pub(crate) async fn read_through<T, F, Fut>(&self, read: F) -> Result<T, ServiceError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, steward_registry::RegistryError>>,
    {
        match read().await {
            Err(steward_registry::RegistryError::NotFound(_)) if self.upstream.is_some() => {
                self.fetch_upstream().await?;
                Ok(read().await?)
            }
            other => Ok(other?),
        }
    }

    /// On start with an upstream: an empty upstream receives this registry
    /// (how a single-replica deployment moves to a git server); otherwise the
    /// local registry becomes a copy of the upstream, unless the catalog
    /// holds commits the upstream lacks (a different repository, or one
    /// restored from an older backup), which stops the start.
    pub(crate) async fn attach_upstream(&self, upstream: &Upstream) -> Result<(), ServiceError> {
        let lock = self.lock_registry().await?;
        let result = self.attach_locked(upstream).await;
        lock.release().await;
        result
    }

    async fn attach_locked(&self, upstream: &Upstream) -> Result<(), ServiceError> {
        let up = upstream.clone();
        let has_main = self.registry.with(move |r| r.download(&up)).await?;
        if !has_main {
            let up = upstream.clone();
            self.registry.with(move |r| r.push(&up, &r.branches()?)).await?;
            tracing::info!(upstream = %upstream.display_url(), "the upstream was empty; pushed the registry to it");
            return Ok(());
        }
        let mut conn = self.conn().await?;
        let commits = store::products::commits(&mut conn).await?;
        drop(conn);
        let missing = self
            .registry
            .with(move |r| {
                let lacking: Vec<String> =
                    r.upstream_lacks(commits.iter().map(|(_, c)| c.as_str()))?.into_iter().map(str::to_owned).collect();
                Ok(commits.into_iter().find(|(_, c)| lacking.contains(c)))
            })
            .await?;
        if let Some((product, commit)) = missing {
            return Err(ServiceError::Conflict(format!(
                "the catalog publishes {product} from commit {commit}, which the upstream {} does not have: \
                 it is another registry, or an older copy of this one. Point registry.upstream at the \
                 repository this catalog was built from (or push this data dir's registry.git to an empty one)",
                upstream.display_url()
            )));
        }
        self.registry.with(|r| r.follow_upstream()).await?;
        Ok(())
    }

    /// Without an upstream on PostgreSQL: takes the lock that makes this the
    /// only replica, or says why another cannot start.
    pub async fn claim_sole_registry(&self) -> Result<Option<SoleRegistry>, ServiceError> {
        if self.upstream.is_some() || self.store.dialect != Dialect::Postgres {
            return Ok(None);
        }
        let conn = self.store.pool.acquire().await.map_err(StoreError::from)?;
        // Out of the pool for good: the lock lives as long as this connection.
        let mut conn = conn.detach();
        // A replica restarted right after being killed may find its old
        // session still ending on the server: give it a few seconds.
        for _ in 0..SOLE_LOCK_TRIES {
            if store::registry::try_lock_sole(&mut conn).await? {
                return Ok(Some(SoleRegistry { _conn: conn }));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let _ = conn.close().await;
        Err(ServiceError::Conflict(
            "another `steward serve` already runs on this database with a registry of its own in its data dir; \
             replicas must share one registry: set registry.upstream (STEWARD__REGISTRY__UPSTREAM) to a git \
             remote on every replica, or run one replica"
                .into(),
        ))
    }

    /// One pass of the replica that holds the monitor lease: follow the
    /// upstream, finish work dead replicas left behind, and replay `main`
    /// into the catalog when it moved outside this replica's sight.
    pub async fn poll_registry(&self) -> Result<super::catalog::Reconciled, ServiceError> {
        let lock = self.lock_registry().await?;
        let result = async {
            self.fetch_upstream().await?;
            let mut done = self.recover_proposals_locked().await?;
            // Any move of main since the last replay (this replica's own
            // merges included) may carry a change made outside Steward.
            let tip = self.registry.main_tip().await?;
            let replayed = self.replayed_main.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
            if replayed.as_deref() != Some(tip.as_str()) {
                super::catalog::absorb(&mut done, self.sync_catalog(false).await?);
                *self.replayed_main.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(tip);
            }
            Ok(done)
        }
        .await;
        lock.release().await;
        result
    }
}
