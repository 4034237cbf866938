//! The transactional outbox: side effects (AWS calls, `_SUCCESS` markers,
//! notifications) recorded in the same transaction as the change that implies
//! them, then executed by workers after the commit.
//!
//! Guarantees: an effect is enqueued at most once (`dedup_key` is unique, and
//! [`enqueue`] ignores a repeat); a claimed row is invisible to other workers
//! until its claim expires, so a crashed worker's rows are picked up again
//! (effects must therefore be idempotent); `after_id` orders one effect after
//! another (notifications after the marker). PostgreSQL claims with
//! `FOR UPDATE SKIP LOCKED` so replicas never block each other; SQLite has a
//! single writer anyway.

use chrono::{DateTime, Duration, Utc};
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::{Dialect, StoreError, time_at, time_opt, ts};

pub use steward_api::{JobKind, JobStatus, StatusFilter};

/// A row to add to the outbox.
pub struct NewEffect<'a> {
    pub kind: JobKind,
    pub dedup_key: &'a str,
    pub payload: &'a serde_json::Value,
    /// Run only after this effect is done.
    pub after_id: Option<i64>,
}

/// Adds an effect unless one with the same `dedup_key` exists; returns the id
/// of the effect (new or existing).
pub async fn enqueue(conn: &mut AnyConnection, e: &NewEffect<'_>, now: DateTime<Utc>) -> Result<i64, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO outbox (kind, dedup_key, payload, status, attempts, next_attempt_at, after_id, created_at)
         VALUES ($1, $2, $3, 'pending', 0, $4, $5, $4)
         ON CONFLICT (dedup_key) DO NOTHING RETURNING id",
    )
    .bind(e.kind.as_str())
    .bind(e.dedup_key)
    .bind(e.payload.to_string())
    .bind(ts(now))
    .bind(e.after_id)
    .fetch_optional(&mut *conn)
    .await?;
    match inserted {
        Some(row) => Ok(row.try_get(0)?),
        None => {
            let row =
                sqlx::query("SELECT id FROM outbox WHERE dedup_key = $1").bind(e.dedup_key).fetch_one(conn).await?;
            Ok(row.try_get(0)?)
        }
    }
}

/// Adds many effects of one kind in few statements (a refresh's
/// notifications: one row per subscriber), skipping dedup keys that exist.
pub async fn enqueue_many(
    conn: &mut AnyConnection,
    kind: JobKind,
    rows: &[(String, serde_json::Value, Option<i64>)],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    const CHUNK: usize = 200;
    for chunk in rows.chunks(CHUNK) {
        let values = (0..chunk.len())
            .map(|i| {
                let b = 3 + i * 3;
                format!("($1, ${}, ${}, 'pending', 0, $2, ${}, $2)", b, b + 1, b + 2)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO outbox (kind, dedup_key, payload, status, attempts, next_attempt_at, after_id, created_at)
             VALUES {values} ON CONFLICT (dedup_key) DO NOTHING"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(kind.as_str()).bind(ts(now));
        for (key, payload, after) in chunk {
            q = q.bind(key.clone()).bind(payload.to_string()).bind(*after);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The newest `catalog.publish` job of `product_key` that is not done
/// (pending, or dead and waiting for a retry), if any: a share of that product
/// must wait for it, as Lake Formation cannot grant on tables Glue does not
/// have yet.
pub async fn unfinished_publish(conn: &mut AnyConnection, product_key: &str) -> Result<Option<i64>, StoreError> {
    // Publish jobs' dedup keys are `catalog.publish:<product>:<commit>`.
    let prefix = format!("{}:{product_key}:", JobKind::CatalogPublish);
    let row = sqlx::query(
        "SELECT id FROM outbox WHERE kind = $1 AND substr(dedup_key, 1, length($2)) = $2 AND status <> 'done'
         ORDER BY id DESC LIMIT 1",
    )
    .bind(JobKind::CatalogPublish.as_str())
    .bind(prefix)
    .fetch_optional(conn)
    .await?;
    row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
}

/// The highest job id so far (0 for none): with a later call in the same
/// transaction, it brackets the jobs that transaction enqueued.
pub async fn max_id(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM outbox").fetch_one(conn).await?)
}

/// How many jobs of `kind` with ids in `(after, upto]` are still pending.
pub async fn pending_between(
    conn: &mut AnyConnection,
    kind: JobKind,
    after: i64,
    upto: i64,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE kind = $1 AND id > $2 AND id <= $3 AND status = 'pending'",
    )
    .bind(kind.as_str())
    .bind(after)
    .bind(upto)
    .fetch_one(conn)
    .await?)
}

/// A claimed effect, ready to execute.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub kind: JobKind,
    pub dedup_key: String,
    pub payload: serde_json::Value,
    pub attempts: i64,
}

/// Claims up to `limit` due effects for `worker` until `now + lease`.
pub async fn claim(
    conn: &mut AnyConnection,
    dialect: Dialect,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Claimed>, StoreError> {
    let lock = if dialect == Dialect::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let rows = sqlx::query(AssertSqlSafe(format!(
        "UPDATE outbox SET claimed_by = $1, claimed_until = $2
         WHERE id IN (
           SELECT o.id FROM outbox o
           WHERE o.status = 'pending' AND o.next_attempt_at <= $3
             AND (o.claimed_until IS NULL OR o.claimed_until < $3)
             AND (o.after_id IS NULL OR EXISTS (SELECT 1 FROM outbox d WHERE d.id = o.after_id AND d.status = 'done'))
           ORDER BY o.id LIMIT $4 {lock})
         RETURNING id, kind, dedup_key, payload, attempts"
    )))
    .bind(worker)
    .bind(ts(now + lease))
    .bind(ts(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let mut claimed = rows
        .iter()
        .map(|r| {
            let payload: String = r.try_get("payload")?;
            Ok(Claimed {
                id: r.try_get("id")?,
                kind: JobKind::parse(&r.try_get::<String, _>("kind")?),
                dedup_key: r.try_get("dedup_key")?,
                payload: serde_json::from_str(&payload)?,
                attempts: r.try_get("attempts")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// Marks a claimed effect done (only if this worker still holds it).
pub async fn complete(conn: &mut AnyConnection, id: i64, worker: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE outbox SET status = 'done', done_at = $1, attempts = attempts + 1, claimed_by = NULL, claimed_until = NULL,
                last_error = NULL
         WHERE id = $2 AND status = 'pending' AND claimed_by = $3",
    )
    .bind(ts(now))
    .bind(id)
    .bind(worker)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a failed attempt: retried at `retry_at`, or dead-lettered when
/// `retry_at` is `None`.
pub async fn fail(
    conn: &mut AnyConnection,
    id: i64,
    worker: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let (status, next) = match retry_at {
        Some(t) => (JobStatus::Pending.as_str(), Some(ts(t))),
        None => (JobStatus::Dead.as_str(), None),
    };
    sqlx::query(
        "UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_at = COALESCE($2, next_attempt_at),
                last_error = $3, claimed_by = NULL, claimed_until = NULL
         WHERE id = $4 AND claimed_by = $5",
    )
    .bind(status)
    .bind(next)
    .bind(error)
    .bind(id)
    .bind(worker)
    .execute(conn)
    .await?;
    Ok(())
}

/// An outbox row as admins see it.
pub use steward_api::EffectRow;

const ROW_COLUMNS: &str = "o.id, o.kind, o.dedup_key, o.status, o.attempts, o.next_attempt_at, o.last_error,
        o.created_at, o.done_at, o.after_id, o.payload,
        CASE WHEN o.status = 'pending' AND d.status = 'dead' THEN d.id END AS blocked_by";

fn effect_row(r: &sqlx::any::AnyRow) -> Result<EffectRow, StoreError> {
    let payload: String = r.try_get("payload")?;
    Ok(EffectRow {
        id: r.try_get("id")?,
        kind: JobKind::parse(&r.try_get::<String, _>("kind")?),
        dedup_key: r.try_get("dedup_key")?,
        status: parse_status(&r.try_get::<String, _>("status")?)?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: time_at(r, "next_attempt_at")?,
        last_error: r.try_get("last_error")?,
        created_at: time_at(r, "created_at")?,
        done_at: time_opt(r, "done_at")?,
        after_id: r.try_get("after_id")?,
        blocked_by: r.try_get("blocked_by")?,
        payload: serde_json::from_str(&payload)?,
    })
}

/// Effects by `filter` (all when `None`), newest first.
pub async fn list(
    conn: &mut AnyConnection,
    filter: Option<StatusFilter>,
    limit: i64,
) -> Result<Vec<EffectRow>, StoreError> {
    let from = "FROM outbox o LEFT JOIN outbox d ON d.id = o.after_id";
    let rows = match filter {
        None => {
            sqlx::query(AssertSqlSafe(format!("SELECT {ROW_COLUMNS} {from} ORDER BY o.id DESC LIMIT $1")))
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
        Some(StatusFilter::Blocked) => {
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {ROW_COLUMNS} {from} WHERE o.status = 'pending' AND d.status = 'dead'
                 ORDER BY o.id DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
        Some(f) => {
            let status = match f {
                StatusFilter::Pending => JobStatus::Pending,
                StatusFilter::Done => JobStatus::Done,
                _ => JobStatus::Dead,
            };
            sqlx::query(AssertSqlSafe(format!(
                "SELECT {ROW_COLUMNS} {from} WHERE o.status = $1 ORDER BY o.id DESC LIMIT $2"
            )))
            .bind(status.as_str())
            .bind(limit)
            .fetch_all(conn)
            .await?
        }
    };
    rows.iter().map(effect_row).collect()
}

/// One effect by id.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<EffectRow>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ROW_COLUMNS} FROM outbox o LEFT JOIN outbox d ON d.id = o.after_id WHERE o.id = $1"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(effect_row).transpose()
}

/// The effect enqueued under `dedup_key`, if any.
pub async fn by_dedup_key(conn: &mut AnyConnection, dedup_key: &str) -> Result<Option<EffectRow>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ROW_COLUMNS} FROM outbox o LEFT JOIN outbox d ON d.id = o.after_id WHERE o.dedup_key = $1"
    )))
    .bind(dedup_key)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(effect_row).transpose()
}

/// How many effects wait for `after_id`, by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DependentCounts {
    pub pending: i64,
    pub done: i64,
    pub dead: i64,
}

pub async fn dependents(conn: &mut AnyConnection, after_id: i64) -> Result<DependentCounts, StoreError> {
    let rows = sqlx::query("SELECT status, COUNT(*) FROM outbox WHERE after_id = $1 GROUP BY status")
        .bind(after_id)
        .fetch_all(conn)
        .await?;
    let mut counts = DependentCounts::default();
    for r in &rows {
        let n: i64 = r.try_get(1)?;
        match parse_status(&r.try_get::<String, _>(0)?)? {
            JobStatus::Pending => counts.pending = n,
            JobStatus::Done => counts.done = n,
            JobStatus::Dead => counts.dead = n,
        }
    }
    Ok(counts)
}

/// Puts a dead effect back in the queue (admin action after fixing the cause).
/// The jobs blocked by it need nothing: they are still pending and run once
/// it is done.
pub async fn retry_dead(conn: &mut AnyConnection, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE outbox SET status = 'pending', next_attempt_at = $1, attempts = 0 WHERE id = $2 AND status = 'dead'",
    )
    .bind(ts(now))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

fn parse_status(s: &str) -> Result<JobStatus, StoreError> {
    s.parse().map_err(|e: steward_api::UnknownName| StoreError::Corrupt(format!("outbox: {e}")))
}
