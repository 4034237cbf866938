//! API tokens. Only the SHA-256 of a secret is stored.
//!
//! Every authentication reads the token's row (no cache in the process), so
//! a revocation or an expiry takes effect on every replica at the next
//! request.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::{Dialect, StoreError, time_at, time_opt, ts};
use crate::auth::{Principal, Role};

/// Inserts a token; `Conflict` if the name is taken.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut AnyConnection,
    name: &str,
    email: &str,
    role: Role,
    scopes: &[String],
    token_hash: &str,
    now: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO tokens (name, email, role, scopes, token_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(name)
    .bind(email)
    .bind(role.as_str())
    .bind(serde_json::to_string(scopes)?)
    .bind(token_hash)
    .bind(ts(now))
    .bind(expires_at.map(ts))
    .fetch_one(conn)
    .await
    .map_err(|e| match StoreError::from(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("a token named `{name}` already exists")),
        other => other,
    })?;
    Ok(row.try_get(0)?)
}

pub use steward_api::{TokenInfo, TokenStatus};

/// A token row: the principal and its life-cycle columns.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub principal: Principal,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    /// Revoked wins over expired: it is the admin's explicit decision.
    pub fn status(&self, now: DateTime<Utc>) -> TokenStatus {
        if self.revoked_at.is_some() {
            return TokenStatus::Revoked;
        }
        match self.expires_at {
            Some(e) if e <= now => TokenStatus::Expired,
            _ => TokenStatus::Active,
        }
    }

    /// What admins see of the token at `now`.
    pub fn info(self, now: DateTime<Utc>) -> TokenInfo {
        let status = self.status(now);
        let p = self.principal;
        TokenInfo {
            name: p.name,
            role: p.role,
            scopes: p.scopes,
            email: p.email,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            expires_at: self.expires_at,
            revoked_at: self.revoked_at,
            status,
        }
    }
}

/// Constant column list: no input reaches the SQL text.
const COLUMNS: &str = "id, name, email, role, scopes, created_at, last_used_at, expires_at, revoked_at";

fn token_row(row: &sqlx::any::AnyRow) -> Result<TokenRow, StoreError> {
    let role: String = row.try_get("role")?;
    let scopes: String = row.try_get("scopes")?;
    Ok(TokenRow {
        principal: Principal {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            email: row.try_get("email")?,
            role: role.parse().map_err(|e: steward_api::UnknownName| StoreError::Corrupt(e.to_string()))?,
            scopes: serde_json::from_str(&scopes)?,
            subject: None,
            issuer: None,
            also: Vec::new(),
            display_name: None,
        },
        created_at: time_at(row, "created_at")?,
        last_used_at: time_opt(row, "last_used_at")?,
        expires_at: time_opt(row, "expires_at")?,
        revoked_at: time_opt(row, "revoked_at")?,
    })
}

/// The token with this hash, revoked and expired ones included: the caller
/// says which it is.
pub async fn find_by_hash(conn: &mut AnyConnection, token_hash: &str) -> Result<Option<TokenRow>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM tokens WHERE token_hash = $1")))
        .bind(token_hash)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(token_row).transpose()
}

pub async fn find_by_name(conn: &mut AnyConnection, name: &str) -> Result<Option<TokenRow>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM tokens WHERE name = $1")))
        .bind(name)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(token_row).transpose()
}

/// Records a use unless one was recorded after `stale_before`. The compare
/// is in SQL so replicas racing on the same token write once between them;
/// the caller skips the statement entirely while the row it read is fresh,
/// so most requests do not write at all. True if the row was written.
pub async fn touch(
    conn: &mut AnyConnection,
    id: i64,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    )
    .bind(ts(now))
    .bind(id)
    .bind(ts(stale_before))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn count(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT COUNT(*) FROM tokens").fetch_one(conn).await?;
    Ok(row.try_get(0)?)
}

/// Every token, revoked and expired ones too, oldest first.
pub async fn list(conn: &mut AnyConnection) -> Result<Vec<TokenRow>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!("SELECT {COLUMNS} FROM tokens ORDER BY id"))).fetch_all(conn).await?;
    rows.iter().map(token_row).collect()
}

/// Inside a transaction, before deciding whether an admin token may be
/// revoked: locks the active admin rows so two admins revoking each other
/// at once cannot both see the other as the remaining admin. SQLite needs
/// nothing: its transactions start with `BEGIN IMMEDIATE` and so run one at
/// a time.
pub async fn lock_admins(conn: &mut AnyConnection, dialect: Dialect) -> Result<(), StoreError> {
    if dialect == Dialect::Postgres {
        sqlx::query("SELECT id FROM tokens WHERE role = 'admin' AND revoked_at IS NULL FOR UPDATE")
            .fetch_all(conn)
            .await?;
    }
    Ok(())
}

/// Admin tokens that still authenticate at `now`, other than `except`.
pub async fn other_active_admins(conn: &mut AnyConnection, except: i64, now: DateTime<Utc>) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM tokens WHERE role = 'admin' AND revoked_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $1) AND id <> $2",
    )
    .bind(ts(now))
    .bind(except)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

/// Revokes a live token; false if it was revoked already.
pub async fn revoke(conn: &mut AnyConnection, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(ts(now))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}
