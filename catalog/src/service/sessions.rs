//! Portal sessions of people signed in through single sign-on (see
//! `steward-portal`'s `oidc` module and docs/identity.md).
//!
//! A session is a random secret (`sts_` and 64 hex digits) in the browser's
//! cookie and a row holding its SHA-256, the person's subject, issuer,
//! display name and the roles their claims mapped to at sign-in. The actor
//! audit events record is `<subject> (<issuer>)`, as for workloads.

use chrono::Duration;
use serde_json::json;

use super::Service;
use crate::auth::{Principal, hash_secret, random_id};
use crate::error::ServiceError;
use crate::store::sessions;
pub use crate::store::sessions::NewSession;

/// What session secrets start with (API tokens start with `stw_`).
pub const SESSION_PREFIX: &str = "sts_";

/// Is `secret` shaped like a session secret?
pub fn is_session_secret(secret: &str) -> bool {
    secret.strip_prefix(SESSION_PREFIX).is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl Service {
    /// Starts a session for a person the provider vouched for; returns the
    /// secret for the cookie. Audited as `session.start` with the roles.
    pub async fn start_portal_session(&self, new: &NewSession, lifetime: Duration) -> Result<String, ServiceError> {
        if new.roles.is_empty() {
            return Err(ServiceError::Forbidden("no role: a session needs at least one".into()));
        }
        let secret = format!("{SESSION_PREFIX}{}", random_id(64));
        let now = self.clock.now();
        let actor = crate::auth::workload_name(&new.subject, &new.issuer);
        let mut tx = self.store.begin().await?;
        sessions::insert(&mut tx, &hash_secret(&secret), new, now, now + lifetime).await?;
        let after = json!({"display_name": new.display_name, "roles": new.roles, "expires_at": crate::store::ts(now + lifetime)});
        self.audit(&mut tx, &actor, "session.start", &format!("session:{actor}"), None, Some(after)).await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// The person a session secret belongs to, if the session is live.
    pub async fn portal_session(&self, secret: &str) -> Result<Option<Principal>, ServiceError> {
        if !is_session_secret(secret) {
            return Ok(None);
        }
        Ok(sessions::find(&mut *self.conn().await?, &hash_secret(secret), self.clock.now()).await?)
    }

    /// Ends a session (sign-out); audited as `session.end`.
    pub async fn end_portal_session(&self, who: &Principal, secret: &str) -> Result<(), ServiceError> {
        let mut tx = self.store.begin().await?;
        if sessions::delete(&mut tx, &hash_secret(secret)).await? {
            self.audit(&mut tx, &who.name, "session.end", &format!("session:{}", who.name), None, None).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Ends the sessions a provider's logout names (its session `sid`, or
    /// every session of `subject`); returns how many ended.
    pub async fn end_provider_sessions(
        &self,
        issuer: &str,
        subject: Option<&str>,
        provider_sid: Option<&str>,
    ) -> Result<u64, ServiceError> {
        if subject.is_none() && provider_sid.is_none() {
            return Ok(0);
        }
        let mut tx = self.store.begin().await?;
        // Ended ones first, so the count is of sessions the logout ended.
        sessions::delete_expired(&mut tx, self.clock.now()).await?;
        let n = sessions::delete_for_provider(&mut tx, issuer, subject, provider_sid).await?;
        if n > 0 {
            let target = format!("session:{}", crate::auth::workload_name(subject.unwrap_or("*"), issuer));
            let after = json!({"ended": n, "provider_sid": provider_sid});
            self.audit(&mut tx, issuer, "session.provider_logout", &target, None, Some(after)).await?;
        }
        tx.commit().await?;
        Ok(n)
    }
}
