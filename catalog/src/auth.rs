//! Identities: API tokens with a role and scopes, and workloads presenting
//! a JWT of a trusted issuer (`steward-identity`).
//!
//! A token is `stw_` followed by 64 hex characters of randomness; the store
//! keeps only its SHA-256. Roles: `admin` (everything), `reviewer` (decides
//! proposals and requests, reads audit), `producer` (submits and reports
//! refreshes in its domains), `consumer` (requests access for its accounts).

use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Token roles: the API's closed set.
pub use steward_api::Role;

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Principal {
    /// The token's row; 0 for a workload (no row).
    pub id: i64,
    /// The token's name; for a workload `<subject> (<issuer>)`, which no
    /// token name can equal (they have no spaces or parentheses) and which
    /// tells apart equal subjects of two issuers. It is what audit events,
    /// proposals and git history record as the actor.
    pub name: String,
    pub email: String,
    pub role: Role,
    /// Domains for producers, accounts for consumers.
    pub scopes: Vec<String>,
    /// A workload's `sub` (none for a Steward token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A workload's `iss` (none for a Steward token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// The address commits made for a workload carry (it has no mailbox).
pub const WORKLOAD_EMAIL: &str = "workload@steward.invalid";

impl Principal {
    /// The principal of a verified workload token.
    pub fn workload(id: steward_identity::Identity) -> Self {
        Self {
            id: 0,
            name: workload_name(&id.subject, &id.issuer),
            email: WORKLOAD_EMAIL.to_owned(),
            role: id.role,
            scopes: id.scopes,
            subject: Some(id.subject),
            issuer: Some(id.issuer),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn can_review(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Reviewer)
    }

    /// May this identity submit contracts for `domain`?
    pub fn produces_for(&self, domain: &str) -> bool {
        self.is_admin() || (self.role == Role::Producer && self.scopes.iter().any(|d| d == domain))
    }

    /// The git signature for commits made on this identity's behalf.
    pub fn signature(&self) -> steward_registry::Signature {
        steward_registry::Signature { name: self.name.clone(), email: self.email.clone() }
    }
}

/// How a workload is named in audit events: `<subject> (<issuer>)`.
pub fn workload_name(subject: &str, issuer: &str) -> String {
    format!("{subject} ({issuer})")
}

/// A new random token secret.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("stw_{}", hex::encode(bytes))
}

/// `hex_chars` random hex digits: ids that must not collide or be guessed
/// (error ids in 5xx bodies, worker names, idempotency keys), not secrets.
pub fn random_id(hex_chars: usize) -> String {
    let mut bytes = vec![0u8; hex_chars.div_ceil(2)];
    rand::rng().fill_bytes(&mut bytes);
    let mut id = hex::encode(bytes);
    id.truncate(hex_chars);
    id
}

/// A short random id naming a process's claims and leases.
pub(crate) fn short_id() -> String {
    random_id(8)
}

/// What the store keeps of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret();
        assert!(a.starts_with("stw_") && a.len() == 68);
        assert_ne!(a, new_secret());
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), a);
    }

    #[test]
    fn roles_parse() {
        assert_eq!("reviewer".parse::<Role>(), Ok(Role::Reviewer));
        assert!("root".parse::<Role>().unwrap_err().to_string().contains("unknown role"));
    }
}
