//! The SLO monitor's memory (one state per product and SLO entry), the
//! settled ticks that make a product's history, and leases for work that
//! must have one owner across replicas.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{StoreError, name_at, parse_ts, time_at, time_opt, ts};

/// A stored monitor state (the JSON is steward-slo's `MonitorState`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredState {
    pub product_key: String,
    pub spec_index: i64,
    pub version: String,
    pub schedule: String,
    pub state: String,
    /// When the entry next needs judging without a refresh; `None`: never
    /// (its schedule never comes due again).
    pub next_deadline: Option<DateTime<Utc>>,
}

/// How `next_deadline = None` is stored: a time after every real one, so the
/// monitor's `next_deadline <= now` index range never reaches it (a NULL
/// would need a second index condition). Only this module sees it.
const NEVER: &str = "9999-12-31T00:00:00.000000Z";

fn encode_deadline(d: Option<DateTime<Utc>>) -> String {
    d.map_or_else(|| NEVER.to_owned(), ts)
}

/// Rows written before the column existed hold `''`: due now, so the next
/// pass judges them and writes a real deadline.
fn decode_deadline(stored: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    match stored {
        NEVER => Ok(None),
        "" => Ok(Some(DateTime::<Utc>::MIN_UTC)),
        t => parse_ts(t).map(Some),
    }
}

/// Products the monitor must judge (sorted, once each): published or
/// refreshed at or after `since`, or with an entry whose next deadline is at or
/// before `now`. `UNION ALL` without `ORDER BY` and the dedup in Rust: with
/// `UNION ... ORDER BY` SQLite merged full walks of the three tables' key
/// indexes (0.5 s at 100,000 products) instead of the three time ranges.
pub async fn monitor_candidates(
    conn: &mut AnyConnection,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT product_key FROM products WHERE published_at >= $1
         UNION ALL SELECT product_key FROM refreshes WHERE reported_at >= $1
         UNION ALL SELECT product_key FROM slo_state WHERE next_deadline <= $2",
    )
    .bind(ts(since))
    .bind(ts(now))
    .fetch_all(conn)
    .await?;
    let mut keys = rows.iter().map(|r| r.try_get(0)).collect::<Result<Vec<String>, _>>()?;
    keys.sort_unstable();
    keys.dedup();
    Ok(keys)
}

fn state_from_row(r: &sqlx::any::AnyRow) -> Result<StoredState, StoreError> {
    Ok(StoredState {
        product_key: r.try_get("product_key")?,
        spec_index: r.try_get("spec_index")?,
        version: r.try_get("version")?,
        schedule: r.try_get("schedule")?,
        state: r.try_get("state")?,
        next_deadline: decode_deadline(&r.try_get::<String, _>("next_deadline")?)?,
    })
}

pub async fn states_of(conn: &mut AnyConnection, product_key: &str) -> Result<Vec<StoredState>, StoreError> {
    let rows = sqlx::query(
        "SELECT product_key, spec_index, version, schedule, state, next_deadline FROM slo_state WHERE product_key = $1",
    )
    .bind(product_key)
    .fetch_all(conn)
    .await?;
    rows.iter().map(state_from_row).collect()
}

pub async fn put_state(conn: &mut AnyConnection, s: &StoredState, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO slo_state (product_key, spec_index, version, schedule, state, updated_at, next_deadline)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (product_key, spec_index)
         DO UPDATE SET version = excluded.version, schedule = excluded.schedule, state = excluded.state,
                       updated_at = excluded.updated_at, next_deadline = excluded.next_deadline",
    )
    .bind(&s.product_key)
    .bind(s.spec_index)
    .bind(&s.version)
    .bind(&s.schedule)
    .bind(&s.state)
    .bind(ts(now))
    .bind(encode_deadline(s.next_deadline))
    .execute(conn)
    .await?;
    Ok(())
}

/// Drops states of entries a product no longer has.
pub async fn drop_states_from(conn: &mut AnyConnection, product_key: &str, from_index: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM slo_state WHERE product_key = $1 AND spec_index >= $2")
        .bind(product_key)
        .bind(from_index)
        .execute(conn)
        .await?;
    Ok(())
}

/// A settled tick as stored: the API's [`Tick`].
pub use steward_api::Tick as StoredTick;

/// Records a settled tick (a missed tick that a late refresh turns `late` is
/// updated in place).
pub async fn put_tick(conn: &mut AnyConnection, t: &StoredTick) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO slo_ticks (product_key, spec_index, table_name, due, deadline, status, refresh_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (product_key, spec_index, due)
         DO UPDATE SET status = excluded.status, refresh_at = excluded.refresh_at",
    )
    .bind(&t.product_key)
    .bind(t.spec_index)
    .bind(t.table.clone())
    .bind(ts(t.due))
    .bind(ts(t.deadline))
    .bind(t.status.as_str())
    .bind(t.refresh_at.map(ts))
    .execute(conn)
    .await?;
    Ok(())
}

fn tick_from_row(r: &sqlx::any::AnyRow) -> Result<StoredTick, StoreError> {
    Ok(StoredTick {
        product_key: r.try_get("product_key")?,
        spec_index: r.try_get("spec_index")?,
        table: r.try_get("table_name")?,
        due: time_at(r, "due")?,
        deadline: time_at(r, "deadline")?,
        status: name_at(r, "status")?,
        refresh_at: time_opt(r, "refresh_at")?,
    })
}

/// A product's settled ticks since `since`, oldest first.
pub async fn ticks(
    conn: &mut AnyConnection,
    product_key: &str,
    since: DateTime<Utc>,
) -> Result<Vec<StoredTick>, StoreError> {
    let rows = sqlx::query(
        "SELECT product_key, spec_index, table_name, due, deadline, status, refresh_at FROM slo_ticks
         WHERE product_key = $1 AND due >= $2 ORDER BY due, spec_index",
    )
    .bind(product_key)
    .bind(ts(since))
    .fetch_all(conn)
    .await?;
    rows.iter().map(tick_from_row).collect()
}

/// Missed ticks across all products since `since`, newest first.
pub async fn breaches(
    conn: &mut AnyConnection,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<StoredTick>, StoreError> {
    let rows = sqlx::query(
        "SELECT product_key, spec_index, table_name, due, deadline, status, refresh_at FROM slo_ticks
         WHERE status = 'missed' AND due >= $1 ORDER BY due DESC LIMIT $2",
    )
    .bind(ts(since))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(tick_from_row).collect()
}

/// Takes or renews the lease `name` for `holder` until `now + ttl`; true if
/// `holder` has it now. A lease is free when it expired or was never taken.
pub async fn acquire_lease(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    ttl: chrono::Duration,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at < $4",
    )
    .bind(name)
    .bind(holder)
    .bind(ts(now + ttl))
    .bind(ts(now))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

/// Gives a lease up (on shutdown) so another replica takes over at once.
pub async fn release_lease(conn: &mut AnyConnection, name: &str, holder: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2").bind(name).bind(holder).execute(conn).await?;
    Ok(())
}
