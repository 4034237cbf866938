//! One `BatchCreatePartition` call for many refreshes.
//!
//! Each refresh is its own outbox job, and the worker runs up to its
//! `concurrency` of them at once; left alone, a backfill of 1,000 daily
//! partitions would make 1,000 `GetTable` and 1,000 `BatchCreatePartition`
//! calls, and run into Glue's request rate. [`GlueCatalog::add_partition`]
//! instead queues the partition per table; the first caller of a quiet table
//! starts a task that waits a short window for others, then registers what
//! has gathered in calls of up to 100 (the API's limit), and tells every
//! caller how its call went. A lone refresh costs the same two calls as
//! before plus the window (milliseconds, against a Glue call's tens).
//!
//! The work runs in a spawned task, not in the first caller's future: a
//! caller that gives up (its job timed out, its worker stops) must not strand
//! the partitions of the others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::error::AwsError;
use crate::glue::{GlueCatalog, PARTITION_CHUNK};
use crate::specs::PartitionSpec;

/// How long the first partition of a quiet table waits for company.
pub(crate) const DEFAULT_WINDOW: Duration = Duration::from_millis(20);

type Reply = oneshot::Sender<Result<(), Arc<AwsError>>>;

#[derive(Default)]
struct Queue {
    waiting: Vec<(PartitionSpec, Reply)>,
    /// A task is draining this queue.
    draining: bool,
}

/// Partitions waiting to be registered, per `(database, table)`.
#[derive(Default)]
pub(crate) struct Coalescer {
    queues: Mutex<HashMap<(String, String), Queue>>,
}

impl std::fmt::Debug for Coalescer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coalescer").finish_non_exhaustive()
    }
}

impl Coalescer {
    fn queues(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Queue>> {
        self.queues.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `part`; true when the caller must start the draining task.
    fn join(&self, key: &(String, String), part: PartitionSpec, reply: Reply) -> bool {
        let mut queues = self.queues();
        let q = queues.entry(key.clone()).or_default();
        q.waiting.push((part, reply));
        !std::mem::replace(&mut q.draining, true)
    }

    /// Up to `n` queued partitions of `key`; none (and the queue closed) when
    /// it is empty, so the next caller starts a new task.
    fn take(&self, key: &(String, String), n: usize) -> Vec<(PartitionSpec, Reply)> {
        let mut queues = self.queues();
        let Some(q) = queues.get_mut(key) else { return Vec::new() };
        if q.waiting.is_empty() {
            queues.remove(key);
            return Vec::new();
        }
        let n = n.min(q.waiting.len());
        q.waiting.drain(..n).collect()
    }
}

impl GlueCatalog {
    /// Adds one partition to `database.table`, in one `BatchCreatePartition`
    /// call with the other partitions of that table added within the
    /// coalescing window (see the module docs). A partition that exists
    /// already is fine; a failed call fails every partition it carried (each
    /// caller's job retries, and what was created then counts as existing).
    pub async fn add_partition(&self, database: &str, table: &str, part: PartitionSpec) -> Result<(), AwsError> {
        let key = (database.to_owned(), table.to_owned());
        let (tx, rx) = oneshot::channel();
        if self.coalescer().join(&key, part, tx) {
            let catalog = self.clone();
            tokio::spawn(async move { catalog.drain(key).await });
        }
        match rx.await {
            Ok(result) => result.map_err(AwsError::Shared),
            Err(_) => Err(AwsError::Invalid("the partition batch task stopped before answering".into())),
        }
    }

    async fn drain(self, key: (String, String)) {
        tokio::time::sleep(self.partition_window()).await;
        loop {
            let batch = self.coalescer().take(&key, PARTITION_CHUNK);
            if batch.is_empty() {
                return;
            }
            let parts: Vec<PartitionSpec> = batch.iter().map(|(p, _)| p.clone()).collect();
            let result = self.add_partitions(&key.0, &key.1, &parts).await.map(|_| ()).map_err(Arc::new);
            tracing::debug!(database = %key.0, table = %key.1, partitions = parts.len(), ok = result.is_ok(), "partition batch");
            for (_, reply) in batch {
                let _ = reply.send(result.clone());
            }
        }
    }
}
