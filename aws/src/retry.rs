//! Bounded exponential backoff with full jitter, and the chunked batch loop
//! used for Glue `BatchCreatePartition`.
//!
//! The loop is generic over the batch call so that it can be tested in-process
//! with a fake that throttles on purpose: Glue throttles large partition loads,
//! and a batch call can fail as a whole (retry the whole chunk) or per entry
//! (retry only the entries that were throttled; an entry that already exists
//! counts as done, which is what makes repeated loads idempotent).

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::error::{AwsError, retryable_code};
use crate::specs::PartitionReport;

/// Exponential backoff: attempt `n` (from 0) waits a random time in
/// `[0, min(max_delay, base * 2^n)]` ("full jitter"), at most `max_attempts` attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first ceiling.
    pub base: Duration,
    /// The largest ceiling.
    pub max_delay: Duration,
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { base: Duration::from_millis(100), max_delay: Duration::from_secs(10), max_attempts: 8 }
    }
}

impl Backoff {
    /// The ceiling of the wait after failed attempt `attempt` (0-based).
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max_delay)
    }

    /// A jittered wait after failed attempt `attempt` (0-based).
    pub fn delay(&self, attempt: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(attempt).as_micros().min(u128::from(u64::MAX)) as u64;
        Duration::from_micros(rng.random_range(0..=ceiling))
    }

    /// Runs `call` until it succeeds, fails for good, or the attempts run out,
    /// waiting [`Backoff::delay`] after each retryable failure.
    pub(crate) async fn retry<T, F, Fut>(&self, operation: &'static str, mut call: F) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let mut attempt = 0u32;
        loop {
            match call().await {
                Err(e) if e.is_retryable() && attempt + 1 < self.max_attempts.max(1) => {
                    tracing::debug!(operation, attempt, error = %e, "call failed, backing off");
                    // Not inline: the thread-local RNG must not live across the await.
                    let wait = self.delay(attempt, &mut rand::rng());
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                out => return out,
            }
        }
    }
}

/// One entry of a batch call that did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryError {
    /// Index of the entry in the slice given to the call.
    pub index: usize,
    /// AWS error code, e.g. `AlreadyExistsException`.
    pub code: String,
    /// AWS message.
    pub message: String,
}

/// Calls `call` on `items` in chunks of `chunk`, retrying throttled chunks and
/// entries with `backoff`. Entries failing with `AlreadyExistsException` count as
/// existing; any other non-retryable entry error fails the whole load.
pub(crate) async fn batched<T, F, Fut>(
    operation: &'static str,
    items: &[T],
    chunk: usize,
    backoff: &Backoff,
    mut call: F,
) -> Result<PartitionReport, AwsError>
where
    T: Clone,
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = Result<Vec<EntryError>, AwsError>>,
{
    let mut report = PartitionReport::default();
    for slice in items.chunks(chunk.max(1)) {
        let mut pending: Vec<T> = slice.to_vec();
        let mut attempt = 0u32;
        loop {
            let last = attempt + 1 >= backoff.max_attempts.max(1);
            let errors = match call(pending.clone()).await {
                Ok(errors) => errors,
                Err(e) if e.is_retryable() && !last => {
                    tracing::debug!(operation, attempt, error = %e, "batch call failed, backing off");
                    let wait = backoff.delay(attempt, &mut rand::rng());
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            report.created += pending.len().saturating_sub(errors.len());
            let mut retry = Vec::new();
            let mut first_retry_error = None;
            for err in errors {
                if err.code == "AlreadyExistsException" {
                    report.existing += 1;
                } else if retryable_code(&err.code) {
                    let item = pending.get(err.index).cloned().ok_or_else(|| {
                        AwsError::Invalid(format!("{operation} reported an error for unknown entry {}", err.index))
                    })?;
                    retry.push(item);
                    first_retry_error.get_or_insert(err);
                } else {
                    return Err(AwsError::Batch {
                        operation,
                        failed: 1,
                        code: err.code,
                        message: err.message,
                        attempts: attempt + 1,
                    });
                }
            }
            let Some(first) = first_retry_error else { break };
            if last {
                return Err(AwsError::Batch {
                    operation,
                    failed: retry.len(),
                    code: first.code,
                    message: first.message,
                    attempts: attempt + 1,
                });
            }
            tracing::debug!(operation, attempt, throttled = retry.len(), "batch entries throttled, backing off");
            let wait = backoff.delay(attempt, &mut rand::rng());
            tokio::time::sleep(wait).await;
            pending = retry;
            attempt += 1;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Mutex;

    use rand::SeedableRng;

    use super::*;

    fn fast() -> Backoff {
        Backoff { base: Duration::from_millis(1), max_delay: Duration::from_millis(4), max_attempts: 5 }
    }

    fn throttled(status: u16) -> AwsError {
        AwsError::Service {
            service: "glue",
            operation: "BatchCreatePartition",
            code: "ThrottlingException".into(),
            message: "Rate exceeded".into(),
            status,
        }
    }

    /// A fake batch call with a table of existing keys, which throttles whole
    /// calls or single entries according to a script.
    struct Fake {
        existing: Mutex<BTreeSet<u32>>,
        calls: Mutex<Vec<Vec<u32>>>,
        /// What call number `n` does; calls past the script accept.
        script: Vec<Mode>,
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Mode {
        Accept,
        /// Fail the whole call with a throttling error.
        ThrottleCall,
        /// Throttle the entries at odd indexes.
        ThrottleOdd,
        /// Throttle every entry.
        ThrottleAll,
    }
    use Mode::*;

    impl Fake {
        fn new(existing: impl IntoIterator<Item = u32>, script: Vec<Mode>) -> Self {
            Fake { existing: Mutex::new(existing.into_iter().collect()), calls: Mutex::default(), script }
        }

        async fn call(&self, items: Vec<u32>) -> Result<Vec<EntryError>, AwsError> {
            let n = {
                let mut calls = self.calls.lock().unwrap();
                calls.push(items.clone());
                calls.len() - 1
            };
            let mode = self.script.get(n).copied().unwrap_or(Accept);
            if mode == ThrottleCall {
                return Err(throttled(400));
            }
            let mut existing = self.existing.lock().unwrap();
            let mut errors = Vec::new();
            for (index, item) in items.iter().enumerate() {
                if mode == ThrottleAll || (mode == ThrottleOdd && index % 2 == 1) {
                    errors.push(EntryError { index, code: "ThrottlingException".into(), message: "slow".into() });
                } else if !existing.insert(*item) {
                    errors.push(EntryError { index, code: "AlreadyExistsException".into(), message: "dup".into() });
                }
            }
            Ok(errors)
        }
    }

    #[test]
    fn ceilings_grow_and_cap_and_delays_stay_under_them() {
        let b = Backoff { base: Duration::from_millis(100), max_delay: Duration::from_secs(2), max_attempts: 8 };
        assert_eq!(b.ceiling(0), Duration::from_millis(100));
        assert_eq!(b.ceiling(1), Duration::from_millis(200));
        assert_eq!(b.ceiling(3), Duration::from_millis(800));
        assert_eq!(b.ceiling(5), Duration::from_secs(2));
        assert_eq!(b.ceiling(40), Duration::from_secs(2));
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let delays: Vec<Duration> = (0..200).map(|_| b.delay(2, &mut rng)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(400)));
        let distinct: BTreeSet<Duration> = delays.iter().copied().collect();
        assert!(distinct.len() > 100, "jitter spreads the waits: {} distinct", distinct.len());
    }

    #[tokio::test]
    async fn chunks_of_100_count_created_and_existing() {
        let fake = Fake::new([5, 150, 249], vec![]);
        let items: Vec<u32> = (0..250).collect();
        let report = batched("Batch", &items, 100, &fast(), |c| fake.call(c)).await.unwrap();
        assert_eq!(report, PartitionReport { created: 247, existing: 3 });
        let sizes: Vec<usize> = fake.calls.lock().unwrap().iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![100, 100, 50]);
        // Repeating the load creates nothing.
        let again = batched("Batch", &items, 100, &fast(), |c| fake.call(c)).await.unwrap();
        assert_eq!(again, PartitionReport { created: 0, existing: 250 });
    }

    #[tokio::test]
    async fn whole_call_throttling_is_retried() {
        let fake = Fake::new([], vec![ThrottleCall, ThrottleCall, Accept]);
        let items: Vec<u32> = (0..10).collect();
        let report = batched("Batch", &items, 100, &fast(), |c| fake.call(c)).await.unwrap();
        assert_eq!(report, PartitionReport { created: 10, existing: 0 });
        assert_eq!(fake.calls.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn throttled_entries_alone_are_retried() {
        // First call throttles entries 1, 3, 5 ...; the retry sends only those.
        let fake = Fake::new([], vec![ThrottleOdd, Accept]);
        let items: Vec<u32> = (0..6).collect();
        let report = batched("Batch", &items, 100, &fast(), |c| fake.call(c)).await.unwrap();
        assert_eq!(report, PartitionReport { created: 6, existing: 0 });
        let calls = fake.calls.lock().unwrap().clone();
        assert_eq!(calls, vec![vec![0, 1, 2, 3, 4, 5], vec![1, 3, 5]]);
    }

    #[tokio::test]
    async fn attempts_are_bounded() {
        let fake = Fake::new([], vec![ThrottleCall; 10]);
        let items: Vec<u32> = (0..3).collect();
        let err = batched("Batch", &items, 100, &fast(), |c| fake.call(c)).await.unwrap_err();
        assert_eq!(err.code(), Some("ThrottlingException"));
        assert_eq!(fake.calls.lock().unwrap().len(), 5);

        let fake = Fake::new([], vec![ThrottleOdd, ThrottleAll, ThrottleAll, ThrottleAll, ThrottleAll, Accept]);
        let err = batched("Batch", &items, 100, &fast(), |c| fake.call(c)).await.unwrap_err();
        assert!(matches!(err, AwsError::Batch { failed: 1, attempts: 5, .. }), "{err}");
    }

    #[tokio::test]
    async fn other_errors_fail_at_once() {
        let items: Vec<u32> = (0..3).collect();
        let calls = Mutex::new(0);
        let err = batched("Batch", &items, 100, &fast(), |_| {
            *calls.lock().unwrap() += 1;
            async { Ok(vec![EntryError { index: 0, code: "EntityNotFoundException".into(), message: "no".into() }]) }
        })
        .await
        .unwrap_err();
        assert_eq!(err.code(), Some("EntityNotFoundException"));
        assert_eq!(*calls.lock().unwrap(), 1);
    }
}
