//! Token administration, authentication and the first-start bootstrap.
//!
//! Authentication reads the token's row on every request (no in-process
//! cache), so a revoke or an expiry refuses the token at once on every
//! replica, and ends its portal sessions (the portal authenticates here too).

use std::path::{Path, PathBuf};

use chrono::Duration;
use serde_json::json;

use super::{Service, require};
use crate::auth::{Principal, Role, hash_secret, new_secret};
use crate::error::ServiceError;
use crate::store::tokens;
pub use crate::store::tokens::{TokenInfo, TokenStatus};
use crate::store::ts;

/// The longest expiry a token can be created with (about ten years).
pub const MAX_EXPIRES_IN_DAYS: i64 = 3650;

/// How stale `last_used_at` may get. Writing it on every request would add
/// a write to every call (the refresh path is benchmarked); once a minute
/// per token is enough to tell a used token from a forgotten one.
const LAST_USED_RESOLUTION: Duration = Duration::minutes(1);

pub use steward_api::{CreatedToken, NewToken};

/// Why a presented secret does not authenticate. The messages name the
/// state only, never the token's name or dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Revoked,
    Expired,
    /// A JWT that does not verify. The reason goes to the log only: naming
    /// it (wrong audience, unknown key) would help tune a forgery.
    InvalidJwt,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Unknown => "unknown or revoked token",
            Refusal::Revoked => "this token has been revoked; ask an admin for a new one",
            Refusal::Expired => "this token has expired; ask an admin for a new one",
            Refusal::InvalidJwt => "invalid token",
        }
    }
}

impl Service {
    /// The caller of an `Authorization: Bearer` value: a JWT of a trusted
    /// issuer when issuers are configured and the token has a JWT's shape,
    /// else a Steward token ([`Service::check_token`]).
    pub async fn check_bearer(&self, token: &str) -> Result<Result<Principal, Refusal>, ServiceError> {
        match &self.identity {
            Some(verifier) if steward_identity::Verifier::looks_like_jwt(token) => {
                self.check_jwt(verifier, token).await
            }
            _ => self.check_token(token).await,
        }
    }

    /// Verifies a JWT: the key lookup (maybe a JWKS fetch) here, the
    /// signature on the CPU pool ([`super::cpu`]): an RS256 verification
    /// takes tens of microseconds, too long for an async thread under load.
    async fn check_jwt(
        &self,
        verifier: &steward_identity::Verifier,
        token: &str,
    ) -> Result<Result<Principal, Refusal>, ServiceError> {
        let verified = match verifier.prepare(token).await {
            Ok(prepared) => super::cpu(move || prepared.finish()).await?,
            Err(e) => Err(e),
        };
        match verified {
            Ok(identity) => Ok(Ok(Principal::workload(identity))),
            Err(e) if e.is_unavailable() => {
                tracing::warn!(reason = %e, "workload token not verified: the issuer's keys are unavailable");
                Err(ServiceError::Busy(
                    "the token cannot be verified now (its issuer's keys are unavailable); retry shortly".into(),
                ))
            }
            Err(e) => {
                tracing::warn!(reason = %e, "workload token refused");
                Ok(Err(Refusal::InvalidJwt))
            }
        }
    }

    /// The principal holding `secret`, if the token is live.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Principal>, ServiceError> {
        Ok(self.check_token(secret).await?.ok())
    }

    /// Like [`Service::authenticate`], saying why a token is refused.
    /// Records the use (at most once a minute per token).
    pub async fn check_token(&self, secret: &str) -> Result<Result<Principal, Refusal>, ServiceError> {
        let mut conn = self.conn().await?;
        let Some(row) = tokens::find_by_hash(&mut conn, &hash_secret(secret)).await? else {
            return Ok(Err(Refusal::Unknown));
        };
        let now = self.clock.now();
        match row.status(now) {
            TokenStatus::Revoked => return Ok(Err(Refusal::Revoked)),
            TokenStatus::Expired => return Ok(Err(Refusal::Expired)),
            TokenStatus::Active => {}
        }
        // Decided on the row just read, so a fresh token costs no statement;
        // the UPDATE repeats the compare so racing replicas write once.
        let stale_before = now - LAST_USED_RESOLUTION;
        let stale = row.last_used_at.is_none_or(|t| t < stale_before);
        if stale && let Err(e) = tokens::touch(&mut conn, row.principal.id, now, stale_before).await {
            // Bookkeeping only: a busy database must not refuse a valid token.
            tracing::warn!(token = %row.principal.name, error = %e, "could not record the token's last use");
        }
        Ok(Ok(row.principal))
    }

    /// Every token with its life cycle, never a secret or hash (admins).
    pub async fn list_tokens(&self, who: &Principal) -> Result<Vec<TokenInfo>, ServiceError> {
        require(
            who.is_admin(),
            format!("only admins list tokens; token `{}` has role {}", who.name, who.roles_label()),
        )?;
        let mut conn = self.conn().await?;
        let now = self.clock.now();
        let rows = tokens::list(&mut conn).await?;
        Ok(rows.into_iter().map(|r| r.info(now)).collect())
    }

    /// An admin revokes a token by name. The last active admin token cannot
    /// be revoked (nobody could administer Steward afterwards).
    pub async fn revoke_token(&self, who: &Principal, name: &str) -> Result<TokenInfo, ServiceError> {
        require(
            who.is_admin(),
            format!("only admins revoke tokens; token `{}` has role {}", who.name, who.roles_label()),
        )?;
        let mut tx = self.store.begin().await?;
        tokens::lock_admins(&mut tx, self.store.dialect).await?;
        let Some(row) = tokens::find_by_name(&mut tx, name).await? else {
            return Err(ServiceError::NotFound(format!("no token named `{}`", name.escape_debug())));
        };
        let now = self.clock.now();
        if let Some(at) = &row.revoked_at {
            let at = steward_api::time::format(at);
            return Err(ServiceError::Conflict(format!("token `{name}` is already revoked (since {at})")));
        }
        if row.principal.role == Role::Admin
            && row.status(now) == TokenStatus::Active
            && tokens::other_active_admins(&mut tx, row.principal.id, now).await? == 0
        {
            return Err(ServiceError::Conflict(format!(
                "token `{name}` is the last active admin token; create another admin token before revoking it"
            )));
        }
        if !tokens::revoke(&mut tx, row.principal.id, now).await? {
            return Err(ServiceError::Conflict(format!("token `{name}` is already revoked")));
        }
        self.audit(
            &mut tx,
            &who.name,
            "token.revoke",
            &format!("token:{name}"),
            Some(json!({"revoked_at": null})),
            Some(json!({"role": row.principal.role, "revoked_at": ts(now)})),
        )
        .await?;
        tx.commit().await?;
        let mut info = row.info(now);
        info.revoked_at = Some(now);
        info.status = TokenStatus::Revoked;
        Ok(info)
    }

    /// An admin creates a token that lasts until revoked. Producers need
    /// domains, consumers accounts.
    pub async fn create_token(
        &self,
        who: &Principal,
        name: &str,
        email: Option<&str>,
        role: Role,
        scopes: Vec<String>,
    ) -> Result<CreatedToken, ServiceError> {
        self.create_token_expiring(who, name, email, role, scopes, None).await
    }

    /// [`Service::create_token`], optionally expiring after
    /// `expires_in_days` (1 to [`MAX_EXPIRES_IN_DAYS`]).
    pub async fn create_token_expiring(
        &self,
        who: &Principal,
        name: &str,
        email: Option<&str>,
        role: Role,
        scopes: Vec<String>,
        expires_in_days: Option<i64>,
    ) -> Result<CreatedToken, ServiceError> {
        require(
            who.is_admin(),
            format!("only admins create tokens; token `{}` has role {}", who.name, who.roles_label()),
        )?;
        let expires_in = match expires_in_days {
            None => None,
            Some(d) if (1..=MAX_EXPIRES_IN_DAYS).contains(&d) => Some(Duration::days(d)),
            Some(d) => {
                return Err(ServiceError::BadRequest(format!(
                    "expires_in_days: {d} must be between 1 and {MAX_EXPIRES_IN_DAYS}"
                )));
            }
        };
        self.insert_token(&who.name, name, email, role, scopes, expires_in).await
    }

    async fn insert_token(
        &self,
        actor: &str,
        name: &str,
        email: Option<&str>,
        role: Role,
        scopes: Vec<String>,
        expires_in: Option<Duration>,
    ) -> Result<CreatedToken, ServiceError> {
        check_name(name, actor)?;
        if let Some(e) = email {
            check_email(e)?;
        }
        for scope in &scopes {
            match role {
                Role::Producer => {
                    steward_schemas::DomainName::parse(scope)
                        .map_err(|e| ServiceError::BadRequest(format!("domain scope: {e}")))?;
                }
                Role::Consumer => {
                    steward_schemas::AccountId::parse(scope)
                        .map_err(|e| ServiceError::BadRequest(format!("account scope: {e}")))?;
                }
                Role::Admin | Role::Reviewer => {
                    return Err(ServiceError::BadRequest(format!(
                        "role {role} takes no scopes; scopes are for producers (domains) and consumers (accounts)"
                    )));
                }
            }
        }
        if matches!(role, Role::Producer | Role::Consumer) && scopes.is_empty() {
            let what = if role == Role::Producer { "a domain (--domain)" } else { "an account (--account)" };
            return Err(ServiceError::BadRequest(format!("a {role} token needs at least {what}")));
        }
        let email = email.map(str::to_owned).unwrap_or_else(|| format!("{name}@steward.invalid"));
        let secret = new_secret();
        // One reading of the clock: the expiry is exactly `expires_in` after creation.
        let now = self.clock.now();
        let expires_at = expires_in.map(|d| now + d);
        let mut tx = self.store.begin().await?;
        tokens::insert(&mut tx, name, &email, role, &scopes, &hash_secret(&secret), now, expires_at).await?;
        self.audit(
            &mut tx,
            actor,
            "token.create",
            &format!("token:{name}"),
            None,
            Some(json!({"role": role, "scopes": scopes, "expires_at": expires_at.map(ts)})),
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedToken { name: name.to_owned(), role, scopes, expires_at, token: secret })
    }

    /// On an empty store, creates the `admin` token and writes it to
    /// `<data-dir>/admin.token` (mode 0600). Returns the file if it did.
    pub async fn bootstrap_admin(&self, data_dir: &Path) -> Result<Option<PathBuf>, ServiceError> {
        let mut conn = self.conn().await?;
        if tokens::count(&mut conn).await? > 0 {
            return Ok(None);
        }
        drop(conn);
        let created = self.insert_token("steward", "admin", None, Role::Admin, Vec::new(), None).await?;
        let path = data_dir.join("admin.token");
        write_private(&path, &format!("{}\n", created.token))
            .map_err(|e| ServiceError::Conflict(format!("cannot write {}: {e}", path.display())))?;
        Ok(Some(path))
    }
}

/// The actor name of Steward's own audit events (recovery, expiry, the SLO monitor).
pub const SYSTEM_ACTOR: &str = "steward";

/// A token name is what audit events name, so it must be a plain identifier
/// that no one can confuse with another: 1-64 letters, digits, `-`, `_`, `.`
/// or `@`, starting with a letter or digit, and not the system actor.
fn check_name(name: &str, actor: &str) -> Result<(), ServiceError> {
    let printable = name.escape_debug();
    if name.is_empty()
        || name.len() > 64
        || !name.starts_with(|c: char| c.is_ascii_alphanumeric())
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
    {
        return Err(ServiceError::BadRequest(format!(
            "name: `{printable}` must be 1-64 characters of letters, digits, `-`, `_`, `.` or `@`, starting with a \
             letter or digit"
        )));
    }
    // Only Steward itself acts as `steward`; the bootstrap is the one caller passing it as actor.
    if name.eq_ignore_ascii_case(SYSTEM_ACTOR) && actor != SYSTEM_ACTOR {
        return Err(ServiceError::BadRequest(format!(
            "name: `{name}` is reserved (Steward's own audit events use it)"
        )));
    }
    Ok(())
}

/// A plausible address: `local@domain.tld`, at most 254 characters, no
/// whitespace, control characters or characters that would split a header.
fn check_email(email: &str) -> Result<(), ServiceError> {
    let bad =
        || ServiceError::BadRequest(format!("email: `{}` is not a plausible e-mail address", email.escape_debug()));
    if email.len() > 254 || email.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(bad)?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local_ok && domain_ok { Ok(()) } else { Err(bad()) }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    // `mode` applies only when the file is created; an old file keeps its mode otherwise.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_identifiers_and_not_the_system_actor() {
        for ok in ["rita", "ci-bot", "svc.orders_1", "a@b", "A1"] {
            assert!(check_name(ok, "admin").is_ok(), "{ok}");
        }
        for bad in ["", "-x", ".x", "a b", "a\u{0}b", "a\nb", "é", &"x".repeat(65), "steward", "Steward"] {
            let e = check_name(bad, "admin").unwrap_err().to_string();
            assert!(e.contains("name:"), "{bad:?}: {e}");
        }
        assert!(check_name("steward", SYSTEM_ACTOR).is_ok(), "only the bootstrap");
    }

    #[test]
    fn emails_are_plausible() {
        for ok in ["rita@example.com", "a.b+c@sub.example.org", "x@steward.invalid"] {
            assert!(check_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "rita",
            "@example.com",
            "rita@",
            "rita@localhost",
            "rita@exa mple.com",
            "ri ta@example.com",
            "rita@example.com\r\nBcc: x@y.z",
            "rita\u{0}@example.com",
            "a..b@example.com",
            "a@-x.com",
            "a@b..com",
            "<a@b.com>",
            "a,b@c.com",
        ] {
            let e = check_email(bad).unwrap_err().to_string();
            assert!(e.contains("email:"), "{bad:?}: {e}");
        }
        assert!(check_email(&format!("{}@example.com", "a".repeat(250))).is_err());
    }
}
