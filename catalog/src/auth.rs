//! Identities: API tokens with a role and scopes, and workloads presenting
//! a JWT of a trusted issuer (`steward-identity`).
//!
//! A token is `stw_` followed by 64 hex characters of randomness; the store
//! keeps only its SHA-256. Roles: `admin` (everything), `reviewer` (decides
//! proposals and requests, reads audit), `producer` (submits and reports
//! refreshes in its domains), `consumer` (requests access for its accounts).

use rand::RngCore;
use serde::{Deserialize, Serialize};
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
    /// Roles held besides `role`: a person signed in through single sign-on
    /// whose groups map to several holds their union (docs/identity.md).
    /// Empty for tokens and workloads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<HeldRole>,
    /// A signed-in person's name as their provider gives it (`name`,
    /// `preferred_username`, `email`), shown in the portal; audit records
    /// [`Principal::name`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// One role and its scopes (domains for a producer, accounts for a consumer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HeldRole {
    pub role: Role,
    #[serde(default)]
    pub scopes: Vec<String>,
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
            also: Vec::new(),
            display_name: None,
        }
    }

    /// A principal holding the union of `held` (at least one role): the
    /// most powerful becomes [`Principal::role`], the rest [`Principal::also`].
    pub fn holding(name: String, email: String, mut held: Vec<HeldRole>) -> Option<Self> {
        held.sort_by_key(|h| rank(h.role));
        let mut held = held.into_iter();
        let first = held.next()?;
        Some(Self {
            id: 0,
            name,
            email,
            role: first.role,
            scopes: first.scopes,
            subject: None,
            issuer: None,
            also: held.collect(),
            display_name: None,
        })
    }

    /// Every role held, with its scopes.
    fn held(&self) -> impl Iterator<Item = (Role, &[String])> {
        std::iter::once((self.role, self.scopes.as_slice()))
            .chain(self.also.iter().map(|h| (h.role, h.scopes.as_slice())))
    }

    /// Does this principal hold `role` (as its main role or besides)?
    pub fn holds(&self, role: Role) -> bool {
        self.held().any(|(r, _)| r == role)
    }

    /// The scopes of every held `role`, in order, without repeats.
    pub fn scopes_of(&self, role: Role) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in self.held().filter(|(r, _)| *r == role).flat_map(|(_, s)| s) {
            if !out.contains(s) {
                out.push(s.clone());
            }
        }
        out
    }

    /// The domains this principal produces for (none unless a producer).
    pub fn domains(&self) -> Vec<String> {
        self.scopes_of(Role::Producer)
    }

    /// The accounts this principal consumes for (none unless a consumer).
    pub fn accounts(&self) -> Vec<String> {
        self.scopes_of(Role::Consumer)
    }

    pub fn is_admin(&self) -> bool {
        self.holds(Role::Admin)
    }

    pub fn can_review(&self) -> bool {
        self.holds(Role::Admin) || self.holds(Role::Reviewer)
    }

    /// May this identity submit contracts for `domain`?
    pub fn produces_for(&self, domain: &str) -> bool {
        self.is_admin() || self.held().any(|(r, s)| r == Role::Producer && s.iter().any(|d| d == domain))
    }

    /// Does this principal act for `account` as a consumer (admins act for every account)?
    pub fn consumes_for(&self, account: &str) -> bool {
        self.is_admin() || self.held().any(|(r, s)| r == Role::Consumer && s.iter().any(|a| a == account))
    }

    /// Does it hold the consumer role and nothing more (no reviewing, no producing)?
    pub fn only_consumer(&self) -> bool {
        self.held().all(|(r, _)| r == Role::Consumer)
    }

    /// The roles held, most powerful first, for messages (`reviewer+producer`).
    pub fn roles_label(&self) -> String {
        let mut roles: Vec<&str> = Vec::new();
        for (r, _) in self.held() {
            if !roles.contains(&r.as_str()) {
                roles.push(r.as_str());
            }
        }
        roles.join("+")
    }

    /// The git signature for commits made on this identity's behalf.
    pub fn signature(&self) -> steward_registry::Signature {
        steward_registry::Signature { name: self.name.clone(), email: self.email.clone() }
    }
}

/// Most powerful first: the order [`Principal::holding`] picks the main role by.
fn rank(role: Role) -> u8 {
    match role {
        Role::Admin => 0,
        Role::Reviewer => 1,
        Role::Producer => 2,
        Role::Consumer => 3,
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

/// A webhook signing secret: `whsec_` and 32 random bytes in base64, the
/// form Standard Webhooks libraries read (they base64-decode what follows
/// the prefix to get the HMAC key).
pub fn new_webhook_secret() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
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
    fn a_union_of_roles_answers_for_each() {
        let held = |role, scopes: &[&str]| HeldRole { role, scopes: scopes.iter().map(|s| s.to_string()).collect() };
        let p = Principal::holding(
            "ann (https://idp)".into(),
            "ann@example.com".into(),
            vec![
                held(Role::Consumer, &["111122223333"]),
                held(Role::Producer, &["sales"]),
                held(Role::Producer, &["hr", "sales"]),
            ],
        )
        .unwrap();
        assert_eq!(p.role, Role::Producer, "the most powerful role leads");
        assert_eq!(p.domains(), ["sales", "hr"]);
        assert_eq!(p.accounts(), ["111122223333"]);
        assert!(p.produces_for("hr") && p.produces_for("sales") && !p.produces_for("finance"));
        assert!(p.consumes_for("111122223333") && !p.consumes_for("999999999999"));
        assert!(!p.can_review() && !p.is_admin() && !p.only_consumer());
        assert_eq!(p.roles_label(), "producer+consumer");
        assert!(Principal::holding("x".into(), String::new(), vec![]).is_none(), "no role, no principal");
        let r = Principal::holding(
            "r".into(),
            String::new(),
            vec![held(Role::Consumer, &["1"]), held(Role::Reviewer, &[])],
        )
        .unwrap();
        assert!(r.can_review() && r.consumes_for("1") && !r.is_admin());
    }

    #[test]
    fn roles_parse() {
        assert_eq!("reviewer".parse::<Role>(), Ok(Role::Reviewer));
        assert!("root".parse::<Role>().unwrap_err().to_string().contains("unknown role"));
    }
}
