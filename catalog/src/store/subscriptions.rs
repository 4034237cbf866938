//! Consumers' subscriptions to a product's refreshes (email, webhook, SNS).
//!
//! A subscription belongs to an account; it only receives notifications
//! while that account holds an active grant on the product, so revoking a
//! grant silences its subscriptions without deleting them.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AssertSqlSafe, Row};
pub use steward_api::{Channel, Subscription};

use super::{StoreError, name_at, time_at, time_opt, ts};

pub struct NewSubscription<'a> {
    pub product_key: &'a str,
    pub account: &'a str,
    pub channel: Channel,
    /// The contract major whose refreshes it receives.
    pub major: i64,
    pub target: &'a str,
    pub secret: Option<&'a str>,
    pub created_by: &'a str,
    pub now: DateTime<Utc>,
}

pub async fn insert(conn: &mut AnyConnection, s: &NewSubscription<'_>) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO subscriptions (product_key, account, channel, target, secret, created_by, created_at, major)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(s.product_key)
    .bind(s.account)
    .bind(s.channel.as_str())
    .bind(s.target)
    .bind(s.secret)
    .bind(s.created_by)
    .bind(ts(s.now))
    .bind(s.major)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

const COLUMNS: &str =
    "s.id, s.product_key, s.account, s.channel, s.major, s.target, s.secret, s.created_by, s.created_at, s.removed_at";

fn from_row(r: &sqlx::any::AnyRow, with_secret: bool) -> Result<Subscription, StoreError> {
    Ok(Subscription {
        id: r.try_get("id")?,
        product_key: r.try_get("product_key")?,
        account: r.try_get("account")?,
        channel: name_at(r, "channel")?,
        major: r.try_get("major")?,
        target: r.try_get("target")?,
        created_by: r.try_get("created_by")?,
        created_at: time_at(r, "created_at")?,
        removed_at: time_opt(r, "removed_at")?,
        secret: if with_secret { r.try_get("secret")? } else { None },
    })
}

pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Subscription>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM subscriptions s WHERE s.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(|r| from_row(r, false)).transpose()
}

/// A subscription with its secret (for signing a delivery).
pub async fn get_with_secret(conn: &mut AnyConnection, id: i64) -> Result<Option<Subscription>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM subscriptions s WHERE s.id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(|r| from_row(r, true)).transpose()
}

/// Live subscriptions, optionally of one product; secrets are not returned.
pub async fn list(conn: &mut AnyConnection, product_key: Option<&str>) -> Result<Vec<Subscription>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM subscriptions s WHERE s.removed_at IS NULL AND ($1 IS NULL OR s.product_key = $1)
         ORDER BY s.id"
    )))
    .bind(product_key.map(str::to_owned))
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| from_row(r, false)).collect()
}

/// Live subscriptions of a product whose account holds an active grant,
/// with their secrets: who a refresh notifies.
pub async fn recipients(conn: &mut AnyConnection, product_key: &str) -> Result<Vec<Subscription>, StoreError> {
    // Two scans joined here rather than a SQL join: with statistics that lag
    // a fast-growing table, PostgreSQL planned the join as a nested loop over
    // the product's grants per subscription (38 s for 10,000 of each, in the
    // breaking-change fan-out bench); this is linear whatever the statistics.
    let granted: std::collections::HashSet<String> =
        sqlx::query_scalar("SELECT account FROM grants WHERE product_key = $1 AND status = 'active'")
            .bind(product_key)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM subscriptions s WHERE s.product_key = $1 AND s.removed_at IS NULL ORDER BY s.id"
    )))
    .bind(product_key)
    .fetch_all(conn)
    .await?;
    let all = rows.iter().map(|r| from_row(r, true));
    // An unreadable row is kept so that `collect` reports it.
    all.filter(|s| match s {
        Ok(s) => granted.contains(&s.account),
        Err(_) => true,
    })
    .collect()
}

pub async fn remove(conn: &mut AnyConnection, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let r = sqlx::query("UPDATE subscriptions SET removed_at = $1 WHERE id = $2 AND removed_at IS NULL")
        .bind(ts(now))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() == 1)
}
