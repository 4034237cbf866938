//! A product's majors side by side (migration 0019): the newest version of
//! each major with its catalog detail, and the sunset of the older ones
//! (end of support, end of life, reminded, retired). See
//! `docs/breaking-changes.md`.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{StoreError, time_at, time_opt, ts};
use crate::model::ProductDetail;

/// One major of a product.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductMajor {
    pub product_key: String,
    pub major: i64,
    /// The newest version of this major.
    pub version: String,
    pub commit_id: String,
    /// Its catalog detail (not redacted).
    pub detail: ProductDetail,
    pub published_at: DateTime<Utc>,
    /// Set once a newer major is published.
    pub end_of_support: Option<DateTime<Utc>>,
    pub end_of_life: Option<DateTime<Utc>>,
    /// When its grantees were reminded of the end of support.
    pub reminded_at: Option<DateTime<Utc>>,
    /// When it was retired (grants revoked, shares removed).
    pub retired_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "product_key, major, version, commit_id, detail, published_at, end_of_support, end_of_life, reminded_at, retired_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<ProductMajor, StoreError> {
    Ok(ProductMajor {
        product_key: r.try_get("product_key")?,
        major: r.try_get("major")?,
        version: r.try_get("version")?,
        commit_id: r.try_get("commit_id")?,
        detail: serde_json::from_str(&r.try_get::<String, _>("detail")?)?,
        published_at: time_at(r, "published_at")?,
        end_of_support: time_opt(r, "end_of_support")?,
        end_of_life: time_opt(r, "end_of_life")?,
        reminded_at: time_opt(r, "reminded_at")?,
        retired_at: time_opt(r, "retired_at")?,
    })
}

/// Records `detail` as the newest version of its major (called by every
/// publish, in its transaction). A version that is not semantic records nothing.
pub async fn record(
    conn: &mut AnyConnection,
    detail: &ProductDetail,
    commit: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(major) = super::products::major_of(&detail.version) else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO product_majors (product_key, major, version, commit_id, detail, published_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (product_key, major) DO UPDATE SET
           version = excluded.version, commit_id = excluded.commit_id, detail = excluded.detail,
           published_at = CASE WHEN product_majors.version = excluded.version
                               THEN product_majors.published_at ELSE excluded.published_at END",
    )
    .bind(&detail.key)
    .bind(major)
    .bind(&detail.version)
    .bind(commit)
    .bind(serde_json::to_string(detail)?)
    .bind(ts(now))
    .execute(conn)
    .await?;
    Ok(())
}

/// Gives every live major of `key` below `below` that has no sunset yet its
/// end of support and end of life; returns the majors it set.
pub async fn set_sunset(
    conn: &mut AnyConnection,
    key: &str,
    below: i64,
    end_of_support: DateTime<Utc>,
    end_of_life: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query(
        "UPDATE product_majors SET end_of_support = $1, end_of_life = $2
         WHERE product_key = $3 AND major < $4 AND end_of_life IS NULL AND retired_at IS NULL
         RETURNING major",
    )
    .bind(ts(end_of_support))
    .bind(ts(end_of_life))
    .bind(key)
    .bind(below)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

pub async fn get(conn: &mut AnyConnection, key: &str, major: i64) -> Result<Option<ProductMajor>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM product_majors WHERE product_key = $1 AND major = $2"
    )))
    .bind(key)
    .bind(major)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every major of a product, newest first.
pub async fn list(conn: &mut AnyConnection, key: &str) -> Result<Vec<ProductMajor>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM product_majors WHERE product_key = $1 ORDER BY major DESC"
    )))
    .bind(key)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Live majors whose end of support is before `by` and whose grantees have
/// not been reminded, oldest first.
pub async fn due_reminders(
    conn: &mut AnyConnection,
    by: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ProductMajor>, StoreError> {
    due(conn, "end_of_support", "AND reminded_at IS NULL", by, limit).await
}

/// Live majors past their end of life, oldest first.
pub async fn due_retirement(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ProductMajor>, StoreError> {
    due(conn, "end_of_life", "", now, limit).await
}

/// Live majors whose date `column` is set and at or before `by`.
async fn due(
    conn: &mut AnyConnection,
    column: &'static str,
    and: &'static str,
    by: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ProductMajor>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM product_majors
         WHERE {column} IS NOT NULL AND {column} <= $1 AND retired_at IS NULL {and}
         ORDER BY {column}, product_key, major LIMIT $2"
    )))
    .bind(ts(by))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Marks the reminder sent; false if another pass did it first.
pub async fn mark_reminded(
    conn: &mut AnyConnection,
    key: &str,
    major: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    mark(conn, "reminded_at", key, major, now).await
}

/// Marks a major retired; false if another pass did it first.
pub async fn mark_retired(
    conn: &mut AnyConnection,
    key: &str,
    major: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    mark(conn, "retired_at", key, major, now).await
}

/// Sets the time `column` of a major once (compare-and-set on NULL).
async fn mark(
    conn: &mut AnyConnection,
    column: &'static str,
    key: &str,
    major: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE product_majors SET {column} = $1 WHERE product_key = $2 AND major = $3 AND {column} IS NULL"
    )))
    .bind(ts(now))
    .bind(key)
    .bind(major)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
