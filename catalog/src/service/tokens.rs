//! Token administration and the first-start bootstrap.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{Service, require};
use crate::auth::{Principal, Role, hash_secret, new_secret};
use crate::error::{ServiceError, StoreError};
use crate::store::tokens;

/// A created token: the secret is shown once and never stored.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CreatedToken {
    pub name: String,
    pub role: Role,
    pub scopes: Vec<String>,
    pub token: String,
}

impl Service {
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Principal>, ServiceError> {
        let mut conn = self.conn().await?;
        Ok(tokens::find_by_hash(&mut conn, &hash_secret(secret)).await?)
    }

    /// An admin creates a token. Producers need domains, consumers accounts.
    pub async fn create_token(
        &self,
        who: &Principal,
        name: &str,
        email: Option<&str>,
        role: Role,
        scopes: Vec<String>,
    ) -> Result<CreatedToken, ServiceError> {
        require(who.is_admin(), format!("only admins create tokens; token `{}` has role {}", who.name, who.role))?;
        self.insert_token(&who.name, name, email, role, scopes).await
    }

    async fn insert_token(
        &self,
        actor: &str,
        name: &str,
        email: Option<&str>,
        role: Role,
        scopes: Vec<String>,
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
        let mut tx = self.store.begin().await?;
        tokens::insert(&mut tx, name, &email, role, &scopes, &hash_secret(&secret), self.clock.now()).await.map_err(
            |e| match e {
                StoreError::Conflict(m) => ServiceError::Conflict(m),
                other => other.into(),
            },
        )?;
        self.audit(
            &mut tx,
            actor,
            "token.create",
            &format!("token:{name}"),
            None,
            Some(json!({"role": role, "scopes": scopes})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(CreatedToken { name: name.to_owned(), role, scopes, token: secret })
    }

    /// On an empty store, creates the `admin` token and writes it to
    /// `<data-dir>/admin.token` (mode 0600). Returns the file if it did.
    pub async fn bootstrap_admin(&self, data_dir: &Path) -> Result<Option<PathBuf>, ServiceError> {
        let mut conn = self.conn().await?;
        if tokens::count(&mut conn).await? > 0 {
            return Ok(None);
        }
        drop(conn);
        let created = self.insert_token("steward", "admin", None, Role::Admin, Vec::new()).await?;
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
