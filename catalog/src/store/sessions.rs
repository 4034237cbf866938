//! Portal sessions of people signed in through single sign-on. Only the
//! SHA-256 of a session's secret is stored; every page reads the row, so a
//! sign-out (or the provider's logout) ends the session on every replica.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{StoreError, time_at, ts};
use crate::auth::{HeldRole, Principal, workload_name};

/// What a new session holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub issuer: String,
    pub subject: String,
    pub display_name: String,
    pub email: String,
    pub roles: Vec<HeldRole>,
    /// The provider's session id (`sid`), if it sent one.
    pub provider_sid: Option<String>,
}

pub async fn insert(
    conn: &mut AnyConnection,
    secret_hash: &str,
    s: &NewSession,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO portal_sessions \
         (secret_hash, issuer, subject, display_name, email, roles, provider_sid, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(secret_hash)
    .bind(&s.issuer)
    .bind(&s.subject)
    .bind(&s.display_name)
    .bind(&s.email)
    .bind(serde_json::to_string(&s.roles)?)
    .bind(s.provider_sid.as_deref())
    .bind(ts(now))
    .bind(ts(expires_at))
    .execute(conn)
    .await?;
    Ok(())
}

/// The principal of a live session (`None` if unknown or expired).
pub async fn find(
    conn: &mut AnyConnection,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<Principal>, StoreError> {
    let row = sqlx::query(
        "SELECT issuer, subject, display_name, email, roles, expires_at FROM portal_sessions WHERE secret_hash = $1",
    )
    .bind(secret_hash)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    if time_at(&row, "expires_at")? <= now {
        return Ok(None);
    }
    let issuer: String = row.try_get("issuer")?;
    let subject: String = row.try_get("subject")?;
    let roles: Vec<HeldRole> = serde_json::from_str(&row.try_get::<String, _>("roles")?)?;
    let Some(mut p) = Principal::holding(workload_name(&subject, &issuer), row.try_get("email")?, roles) else {
        return Err(StoreError::Corrupt("a portal session holds no role".into()));
    };
    p.display_name = Some(row.try_get("display_name")?);
    p.subject = Some(subject);
    p.issuer = Some(issuer);
    Ok(Some(p))
}

/// Ends one session; false if there was none.
pub async fn delete(conn: &mut AnyConnection, secret_hash: &str) -> Result<bool, StoreError> {
    let r = sqlx::query("DELETE FROM portal_sessions WHERE secret_hash = $1").bind(secret_hash).execute(conn).await?;
    Ok(r.rows_affected() > 0)
}

/// Ends the sessions the provider's logout names: those of its session
/// `sid`, or without one every session of `subject`. Returns how many.
pub async fn delete_for_provider(
    conn: &mut AnyConnection,
    issuer: &str,
    subject: Option<&str>,
    provider_sid: Option<&str>,
) -> Result<u64, StoreError> {
    let r = sqlx::query(
        "DELETE FROM portal_sessions WHERE issuer = $1 \
         AND ($2 IS NULL OR subject = $2) AND ($3 IS NULL OR provider_sid = $3)",
    )
    .bind(issuer)
    .bind(subject)
    .bind(provider_sid)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// Drops sessions that ended before `now` (housekeeping).
pub async fn delete_expired(conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<u64, StoreError> {
    let r = sqlx::query("DELETE FROM portal_sessions WHERE expires_at <= $1").bind(ts(now)).execute(conn).await?;
    Ok(r.rows_affected())
}
