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
        if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
        {
            return Err(ServiceError::BadRequest(format!(
                "token name `{name}` must be 1-64 characters of letters, digits, `-`, `_`, `.` or `@`"
            )));
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

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}
