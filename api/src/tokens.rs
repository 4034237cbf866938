//! API tokens: `/api/v1/tokens` (create, list), `/api/v1/tokens/{name}/revoke`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a token's holder may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, including tokens and the outbox.
    Admin,
    /// Approves and rejects proposals and access requests.
    Reviewer,
    /// Submits contracts and reports refreshes for its domains.
    Producer,
    /// Searches, requests access and subscribes for its accounts.
    Consumer,
}

wire_names!(Role, "role", [Admin = "admin", Reviewer = "reviewer", Producer = "producer", Consumer = "consumer"]);

/// Whether a token works, at the time of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenStatus {
    /// It authenticates.
    Active,
    /// An admin revoked it (this wins over expired).
    Revoked,
    /// Its expiry has passed.
    Expired,
}

wire_names!(TokenStatus, "status", [Active = "active", Revoked = "revoked", Expired = "expired"]);

/// A token to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewToken {
    /// The holder's name (shown in audit and git history); unique.
    pub name: String,
    /// E-mail address for git commits (default `<name>@steward.invalid`).
    pub email: Option<String>,
    pub role: Role,
    /// Domains (producer) or accounts (consumer).
    #[serde(default)]
    pub scopes: Vec<String>,
    /// The token stops working this many days from now (1 to 3650); absent: until revoked.
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<i64>,
}

/// A created token: the secret is shown once and never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    pub name: String,
    pub role: Role,
    /// Domains (producer) or accounts (consumer).
    pub scopes: Vec<String>,
    /// When the token stops working; `null`: until revoked.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<DateTime<Utc>>,
    /// The secret (`stw_...`), for `Authorization: Bearer`.
    pub token: String,
}

/// A token as admins see it: never its secret or hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    /// Domains (producer) or accounts (consumer).
    pub scopes: Vec<String>,
    /// E-mail address for git commits.
    pub email: String,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Last successful authentication, to the minute (written at most once a minute).
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<DateTime<Utc>>,
    /// When the token stops working; `null`: until revoked.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<DateTime<Utc>>,
    /// When an admin revoked it.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<DateTime<Utc>>,
    /// `active`, `revoked` or `expired`, at the time of the answer.
    pub status: TokenStatus,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::round_trip;

    #[test]
    fn tokens_round_trip() {
        let t: CreatedToken = round_trip(
            r#"{"name":"paul","role":"producer","scopes":["sales"],"expires_at":null,"token":"stw_0123456789abcdef"}"#,
        );
        assert_eq!(t.role, Role::Producer);
        round_trip::<CreatedToken>(
            r#"{"name":"ci","role":"consumer","scopes":["123456789012"],"expires_at":"2026-12-21T06:00:00.000000Z","token":"stw_x"}"#,
        );
        let listed: Vec<TokenInfo> = round_trip(
            r#"[{"name":"admin","role":"admin","scopes":[],"email":"admin@steward.invalid",
                 "created_at":"2026-11-02T09:00:00.000000Z","last_used_at":null,"expires_at":null,"revoked_at":null,
                 "status":"active"},
                {"name":"ci","role":"producer","scopes":["sales","hr"],"email":"ci@example.com",
                 "created_at":"2026-11-02T09:00:00.000000Z","last_used_at":"2026-11-03T10:11:00.000000Z",
                 "expires_at":"2026-12-02T09:00:00.000000Z","revoked_at":"2026-11-04T00:00:00.000000Z",
                 "status":"revoked"}]"#,
        );
        assert_eq!(listed[1].status, TokenStatus::Revoked);
    }

    #[test]
    fn inputs() {
        round_trip::<NewToken>(
            r#"{"name":"paul","email":null,"role":"producer","scopes":["sales"],"expires_in_days":30}"#,
        );
        let t: NewToken = serde_json::from_str(r#"{"name":"rita","role":"reviewer"}"#).unwrap();
        assert_eq!((t.scopes.len(), t.email, t.expires_in_days), (0, None, None));
    }

    #[test]
    fn closed_sets() {
        check_names!(Role, ["admin", "reviewer", "producer", "consumer"]);
        check_names!(TokenStatus, ["active", "revoked", "expired"]);
        assert_eq!(
            "auditor".parse::<Role>().unwrap_err().to_string(),
            "unknown role `auditor`: use admin, reviewer, producer or consumer"
        );
    }
}
