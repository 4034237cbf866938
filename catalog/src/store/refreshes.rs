//! Refreshes reported by producers, and the partitions they add.
//!
//! A refresh is recorded once per (product, idempotency key): a retry finds
//! the first row and does nothing more. The partition row is what the
//! embedded catalog serves; it is written in the same transaction as the
//! refresh, before any `_SUCCESS` marker can exist.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AssertSqlSafe, Row};
pub use steward_api::{Partition, Refresh};

use super::{StoreError, parse_ts, time_at, ts};

pub struct NewRefresh<'a> {
    pub product_key: &'a str,
    pub table: &'a str,
    pub idempotency_key: &'a str,
    pub partition: &'a str,
    pub partition_values: &'a [String],
    pub snapshot_id: Option<&'a str>,
    pub row_count: Option<i64>,
    pub location: &'a str,
    pub reported_by: &'a str,
    pub now: DateTime<Utc>,
}

/// Inserts the refresh and returns it; `None` if one with the same key
/// exists already.
pub async fn insert(conn: &mut AnyConnection, r: &NewRefresh<'_>) -> Result<Option<Refresh>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO refreshes (product_key, table_name, idem_key, partition_path, partition_values, snapshot_id,
                                row_count, location, reported_by, reported_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (product_key, idem_key) DO NOTHING RETURNING {COLUMNS}"
    )))
    .bind(r.product_key)
    .bind(r.table)
    .bind(r.idempotency_key)
    .bind(r.partition)
    .bind(serde_json::to_string(r.partition_values)?)
    .bind(r.snapshot_id)
    .bind(r.row_count)
    .bind(r.location)
    .bind(r.reported_by)
    .bind(ts(r.now))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

const COLUMNS: &str = "id, product_key, table_name, idem_key, partition_path, partition_values, snapshot_id, row_count, location, reported_by, reported_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Refresh, StoreError> {
    let values: String = r.try_get("partition_values")?;
    Ok(Refresh {
        id: r.try_get("id")?,
        product_key: r.try_get("product_key")?,
        table: r.try_get("table_name")?,
        idempotency_key: r.try_get("idem_key")?,
        partition: r.try_get("partition_path")?,
        partition_values: serde_json::from_str(&values)?,
        snapshot_id: r.try_get("snapshot_id")?,
        row_count: r.try_get("row_count")?,
        location: r.try_get("location")?,
        reported_by: r.try_get("reported_by")?,
        reported_at: time_at(r, "reported_at")?,
    })
}

pub async fn by_key(conn: &mut AnyConnection, product_key: &str, key: &str) -> Result<Option<Refresh>, StoreError> {
    let row =
        sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM refreshes WHERE product_key = $1 AND idem_key = $2")))
            .bind(product_key)
            .bind(key)
            .fetch_optional(conn)
            .await?;
    row.as_ref().map(from_row).transpose()
}

/// One refresh of a product.
pub async fn get(conn: &mut AnyConnection, product_key: &str, id: i64) -> Result<Option<Refresh>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM refreshes WHERE id = $1 AND product_key = $2")))
        .bind(id)
        .bind(product_key)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The latest refreshes of a product (all tables, or one), newest first.
pub async fn recent(
    conn: &mut AnyConnection,
    product_key: &str,
    table: Option<&str>,
    limit: i64,
) -> Result<Vec<Refresh>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM refreshes WHERE product_key = $1 AND ($2 IS NULL OR table_name = $2)
         ORDER BY reported_at DESC, id DESC LIMIT $3"
    )))
    .bind(product_key)
    .bind(table.map(str::to_owned))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Arrival times of a product's refreshes since `since` (all tables, or one),
/// oldest first: the SLO monitor's input.
pub async fn arrivals(
    conn: &mut AnyConnection,
    product_key: &str,
    table: Option<&str>,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, StoreError> {
    let rows = sqlx::query(
        "SELECT reported_at FROM refreshes WHERE product_key = $1 AND ($2 IS NULL OR table_name = $2)
           AND reported_at > $3 ORDER BY reported_at",
    )
    .bind(product_key)
    .bind(table.map(str::to_owned))
    .bind(ts(since))
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| parse_ts(&r.try_get::<String, _>(0)?)).collect()
}

/// Adds a partition to the embedded catalog; false if it was there already.
pub async fn add_partition(
    conn: &mut AnyConnection,
    product_key: &str,
    table: &str,
    path: &str,
    values: &[String],
    location: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "INSERT INTO partitions (product_key, table_name, partition_path, partition_values, location, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (product_key, table_name, partition_path) DO NOTHING",
    )
    .bind(product_key)
    .bind(table)
    .bind(path)
    .bind(serde_json::to_string(values)?)
    .bind(location)
    .bind(ts(now))
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn partitions(
    conn: &mut AnyConnection,
    product_key: &str,
    table: Option<&str>,
    limit: i64,
) -> Result<Vec<Partition>, StoreError> {
    let rows = sqlx::query(
        "SELECT table_name, partition_path, partition_values, location, created_at FROM partitions
         WHERE product_key = $1 AND ($2 IS NULL OR table_name = $2) ORDER BY created_at DESC LIMIT $3",
    )
    .bind(product_key)
    .bind(table.map(str::to_owned))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            let values: String = r.try_get("partition_values")?;
            Ok(Partition {
                table: r.try_get("table_name")?,
                partition: r.try_get("partition_path")?,
                values: serde_json::from_str(&values)?,
                location: r.try_get("location")?,
                created_at: time_at(r, "created_at")?,
            })
        })
        .collect()
}
