//! The append-only audit log: who did what to what, when, before and after.

use serde_json::Value;
use sqlx::{AnyConnection, Row};

use super::{StoreError, time_at, ts};

pub use steward_api::AuditEvent;

pub async fn append(
    conn: &mut AnyConnection,
    now: chrono::DateTime<chrono::Utc>,
    actor: &str,
    action: &str,
    target: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_events (at, actor, action, target, before, after) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(ts(now))
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(before.map(Value::to_string))
        .bind(after.map(Value::to_string))
        .execute(conn)
        .await?;
    Ok(())
}

/// Filters for [`list`]; `None` matches everything.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// Only events with an id below this (for paging backwards).
    pub before_id: Option<i64>,
    pub limit: i64,
}

pub async fn list(conn: &mut AnyConnection, f: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, at, actor, action, target, before, after FROM audit_events
         WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR target = $3)
           AND ($4 IS NULL OR id < $4)
         ORDER BY id DESC LIMIT $5",
    )
    .bind(f.actor.clone())
    .bind(f.action.clone())
    .bind(f.target.clone())
    .bind(f.before_id)
    .bind(f.limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let json = |col: &str| -> Result<Option<Value>, StoreError> {
                let raw: Option<String> = r.try_get(col)?;
                Ok(raw.map(|s| serde_json::from_str(&s)).transpose()?)
            };
            Ok(AuditEvent {
                id: r.try_get("id")?,
                at: time_at(r, "at")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                target: r.try_get("target")?,
                before: json("before")?,
                after: json("after")?,
            })
        })
        .collect()
}
