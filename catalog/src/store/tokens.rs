//! API tokens. Only the SHA-256 of a secret is stored.

use sqlx::{AnyConnection, Row};

use super::{StoreError, ts};
use crate::auth::{Principal, Role};

/// Inserts a token; `Conflict` if the name is taken.
pub async fn insert(
    conn: &mut AnyConnection,
    name: &str,
    email: &str,
    role: Role,
    scopes: &[String],
    token_hash: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO tokens (name, email, role, scopes, token_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(name)
    .bind(email)
    .bind(role.as_str())
    .bind(serde_json::to_string(scopes)?)
    .bind(token_hash)
    .bind(ts(now))
    .fetch_one(conn)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("a token named `{name}` already exists")),
        other => other,
    })?;
    Ok(row.try_get(0)?)
}

fn principal(row: &sqlx::any::AnyRow) -> Result<Principal, StoreError> {
    let role: String = row.try_get("role")?;
    let scopes: String = row.try_get("scopes")?;
    Ok(Principal {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: role.parse().map_err(StoreError::Corrupt)?,
        scopes: serde_json::from_str(&scopes)?,
    })
}

/// The live (unrevoked) token with this hash.
pub async fn find_by_hash(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<Principal>, StoreError> {
    let row =
        sqlx::query("SELECT id, name, email, role, scopes FROM tokens WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash)
            .fetch_optional(conn)
            .await?;
    row.as_ref().map(principal).transpose()
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) FROM tokens").fetch_one(conn).await?;
    Ok(row.try_get(0)?)
}

pub async fn list(conn: &mut AnyConnection) -> Result<Vec<Principal>, StoreError> {
    let rows = sqlx::query("SELECT id, name, email, role, scopes FROM tokens WHERE revoked_at IS NULL ORDER BY id")
        .fetch_all(conn)
        .await?;
    rows.iter().map(principal).collect()
}
