//! [`SharedRegistry`]: the registry for async code.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use steward_schemas::ProductKey;

use crate::error::{RegistryError, Result};
use crate::remote::{Fetched, Upstream};
use crate::repo::Registry;
use crate::types::{CommitInfo, MainEntry, Signature};

/// A cloneable handle to one [`Registry`] for async code.
///
/// Every call runs on `tokio::task::spawn_blocking` while holding the one
/// lock, so git work never blocks the runtime and there is one writer at a
/// time. Must be called from within a tokio runtime.
#[derive(Clone, Debug)]
pub struct SharedRegistry {
    inner: Arc<Mutex<Registry>>,
    path: Arc<PathBuf>,
}

impl SharedRegistry {
    pub fn new(registry: Registry) -> Self {
        Self { path: Arc::new(registry.path().to_path_buf()), inner: Arc::new(Mutex::new(registry)) }
    }

    /// [`Registry::open_or_init`] off the runtime.
    pub async fn open_or_init(path: PathBuf) -> Result<Self> {
        let registry =
            tokio::task::spawn_blocking(move || Registry::open_or_init(&path)).await.map_err(join_error)??;
        Ok(Self::new(registry))
    }

    /// The path the registry was opened at (no lock taken).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the blocking pool with the registry locked. For
    /// operations this wrapper does not cover.
    pub async fn with<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Registry) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            // A panic mid-call cannot leave git half-written (refs move
            // atomically), so a poisoned lock is safe to reuse.
            let registry = inner.lock().unwrap_or_else(PoisonError::into_inner);
            f(&registry)
        })
        .await
        .map_err(join_error)?
    }

    pub async fn main_tip(&self) -> Result<String> {
        self.with(|r| r.main_tip()).await
    }

    pub async fn propose(
        &self,
        proposal_id: u64,
        key: ProductKey,
        version: String,
        contents: Vec<u8>,
        author: Signature,
    ) -> Result<String> {
        self.with(move |r| r.propose(proposal_id, &key, &version, &contents, &author)).await
    }

    pub async fn proposal_contents(&self, proposal_id: u64) -> Result<Option<Vec<u8>>> {
        self.with(move |r| r.proposal_contents(proposal_id)).await
    }

    pub async fn merge_proposal(
        &self,
        proposal_id: u64,
        key: ProductKey,
        version: String,
        reviewer: Signature,
        comment: Option<String>,
    ) -> Result<String> {
        self.with(move |r| r.merge_proposal(proposal_id, &key, &version, &reviewer, comment.as_deref())).await
    }

    pub async fn merged_in(&self, proposal_id: u64) -> Result<Option<String>> {
        self.with(move |r| r.merged_in(proposal_id)).await
    }

    pub async fn read(&self, key: ProductKey, rev: Option<String>) -> Result<Option<Vec<u8>>> {
        self.with(move |r| r.read(&key, rev.as_deref())).await
    }

    pub async fn list_main(&self) -> Result<Vec<MainEntry>> {
        self.with(|r| r.list_main()).await
    }

    pub async fn history(&self, key: ProductKey) -> Result<Vec<CommitInfo>> {
        self.with(move |r| r.history(&key)).await
    }

    pub async fn diff(&self, key: ProductKey, from: String, to: String) -> Result<String> {
        self.with(move |r| r.diff(&key, &from, &to)).await
    }

    pub async fn push_main(&self, remote_url: String) -> Result<()> {
        self.with(move |r| r.push_main(&remote_url)).await
    }

    /// [`Registry::propose_shared`] off the runtime.
    pub async fn propose_shared(
        &self,
        upstream: Option<Upstream>,
        proposal_id: u64,
        key: ProductKey,
        version: String,
        contents: Vec<u8>,
        author: Signature,
    ) -> Result<String> {
        self.with(move |r| r.propose_shared(upstream.as_ref(), proposal_id, &key, &version, &contents, &author)).await
    }

    /// [`Registry::merge_shared`] off the runtime.
    pub async fn merge_shared(
        &self,
        upstream: Option<Upstream>,
        proposal_id: u64,
        key: ProductKey,
        version: String,
        reviewer: Signature,
        comment: Option<String>,
    ) -> Result<String> {
        self.with(move |r| {
            r.merge_shared(upstream.as_ref(), proposal_id, &key, &version, &reviewer, comment.as_deref())
        })
        .await
    }

    pub async fn fetch(&self, upstream: Upstream) -> Result<Fetched> {
        self.with(move |r| r.fetch(&upstream)).await
    }

    pub async fn push(&self, upstream: Upstream, refs: Vec<String>) -> Result<()> {
        self.with(move |r| r.push(&upstream, &refs)).await
    }
}

fn join_error(e: tokio::task::JoinError) -> RegistryError {
    RegistryError::Corrupt(format!("registry task panicked: {e}"))
}
