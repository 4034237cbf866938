//! The event log (`events`) and the hooks events are delivered to
//! (`event_hooks`). What goes in and why: [`crate::events`].

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{AnyConnection, Row};
use steward_api::{CloudEventType, EventHook, HookChannel};

use super::{StoreError, name_at, time_at, ts};

/// The advisory lock key writers of `events` hold until they commit
/// (PostgreSQL): the bytes of "stewevts".
const APPEND_LOCK: i64 = 0x7374_6577_6576_7473;

/// Serializes appends on PostgreSQL so that ids commit in id order.
pub async fn lock_for_append(conn: &mut AnyConnection) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(APPEND_LOCK).execute(conn).await?;
    Ok(())
}

pub struct NewEvent<'a> {
    pub event_id: &'a str,
    pub kind: CloudEventType,
    pub subject: &'a str,
    pub at: DateTime<Utc>,
    pub data: Value,
}

/// Appends an event; `None` if one with the same event id is there already.
pub async fn append(conn: &mut AnyConnection, e: &NewEvent<'_>) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query(
        "INSERT INTO events (event_id, type, subject, at, data) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (event_id) DO NOTHING RETURNING id",
    )
    .bind(e.event_id)
    .bind(e.kind.as_str())
    .bind(e.subject)
    .bind(ts(e.at))
    .bind(e.data.to_string())
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: i64,
    pub event_id: String,
    pub kind: CloudEventType,
    pub subject: Option<String>,
    pub at: DateTime<Utc>,
    pub data: Value,
}

fn event_from(r: &sqlx::any::AnyRow) -> Result<StoredEvent, StoreError> {
    let data: String = r.try_get("data")?;
    Ok(StoredEvent {
        seq: r.try_get("id")?,
        event_id: r.try_get("event_id")?,
        kind: name_at(r, "type")?,
        subject: r.try_get("subject")?,
        at: time_at(r, "at")?,
        data: serde_json::from_str(&data)?,
    })
}

/// Events after `after`, oldest first; `type_prefix` keeps those whose type
/// starts with it.
pub async fn list(
    conn: &mut AnyConnection,
    after: i64,
    type_prefix: Option<&str>,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let pattern = type_prefix.map(|p| format!("{}%", p.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let rows = sqlx::query(
        "SELECT id, event_id, type, subject, at, data FROM events
         WHERE id > $1 AND ($2 IS NULL OR type LIKE $2 ESCAPE '\\') ORDER BY id LIMIT $3",
    )
    .bind(after)
    .bind(pattern)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(event_from).collect()
}

pub async fn get(conn: &mut AnyConnection, seq: i64) -> Result<Option<StoredEvent>, StoreError> {
    let row = sqlx::query("SELECT id, event_id, type, subject, at, data FROM events WHERE id = $1")
        .bind(seq)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(event_from).transpose()
}

pub struct NewHook<'a> {
    pub channel: HookChannel,
    pub target: &'a str,
    pub types: &'a [String],
    pub secret: Option<&'a str>,
    pub created_by: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn insert_hook(conn: &mut AnyConnection, h: &NewHook<'_>) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO event_hooks (channel, target, types, secret, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(h.channel.as_str())
    .bind(h.target)
    .bind(serde_json::to_string(h.types)?)
    .bind(h.secret)
    .bind(h.created_by)
    .bind(ts(h.now))
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

fn hook_from(r: &sqlx::any::AnyRow, with_secret: bool) -> Result<EventHook, StoreError> {
    let types: String = r.try_get("types")?;
    Ok(EventHook {
        id: r.try_get("id")?,
        channel: name_at(r, "channel")?,
        target: r.try_get("target")?,
        types: serde_json::from_str(&types)?,
        created_by: r.try_get("created_by")?,
        created_at: time_at(r, "created_at")?,
        secret: if with_secret { r.try_get("secret")? } else { None },
    })
}

const HOOK_COLUMNS: &str = "id, channel, target, types, secret, created_by, created_at";

/// Hooks not removed, oldest first, without their secrets.
pub async fn active_hooks(conn: &mut AnyConnection) -> Result<Vec<EventHook>, StoreError> {
    let sql = format!("SELECT {HOOK_COLUMNS} FROM event_hooks WHERE removed_at IS NULL ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(conn).await?;
    rows.iter().map(|r| hook_from(r, false)).collect()
}

/// A hook not removed, with its secret (for signing a delivery).
pub async fn active_hook_with_secret(conn: &mut AnyConnection, id: i64) -> Result<Option<EventHook>, StoreError> {
    let sql = format!("SELECT {HOOK_COLUMNS} FROM event_hooks WHERE id = $1 AND removed_at IS NULL");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(|r| hook_from(r, true)).transpose()
}

/// Removes a hook; false if there is no such active hook.
pub async fn remove_hook(conn: &mut AnyConnection, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE event_hooks SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL")
        .bind(id)
        .bind(ts(now))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
