//! Subscriptions to a product's refreshes: `/api/v1/products/{key}/subscriptions`,
//! `/api/v1/subscriptions`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a subscription is told about refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// An e-mail to the target address.
    Email,
    /// A signed POST to the target URL.
    Webhook,
    /// A message on the target SNS topic.
    Sns,
}

wire_names!(Channel, "channel", [Email = "email", Webhook = "webhook", Sns = "sns"]);

/// A new subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    /// The consumer account the subscription belongs to.
    pub account: String,
    /// `email`, `webhook` or `sns`.
    pub channel: Channel,
    /// An email address, an https URL, or an SNS topic ARN.
    pub target: String,
}

/// A subscription of an account to a product's refreshes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Subscription {
    /// Subscription id.
    pub id: i64,
    /// `domain.product`.
    pub product_key: String,
    /// The consumer account it belongs to.
    pub account: String,
    /// `email`, `webhook` or `sns`.
    pub channel: Channel,
    /// The contract major version whose refreshes it receives: its account's
    /// grant's when it was made.
    #[serde(default)]
    pub major: i64,
    /// The address, URL or topic ARN (redacted for readers other than its owner).
    pub target: String,
    /// The token name that made it.
    pub created_by: String,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// When it was removed.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub removed_at: Option<DateTime<Utc>>,
    /// The webhook signing secret: shown once, when the subscription is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// What subscribers are told when a breaking version of their product is
/// published (the webhook body; the email and SNS message say the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BreakingChangeNotice {
    /// Unique per change and subscription; receivers can drop repeats by it.
    pub event_id: String,
    /// Always `breaking_change` (a refresh notification has none).
    pub kind: String,
    /// `domain.product`.
    pub product: String,
    /// The version consumers read until now.
    pub previous_version: String,
    /// The version published.
    pub version: String,
    /// Its major version.
    pub major: i64,
    /// The approved proposal.
    pub proposal: i64,
    /// Tables of the previous version the new one no longer has.
    pub tables: Vec<String>,
    /// Columns (`table.column`) no longer there.
    pub columns: Vec<String>,
    /// Columns whose type changes under readers.
    pub retyped: Vec<crate::proposals::Retyped>,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub published_at: DateTime<Utc>,
    /// Until when the previous major is supported, and when it is retired
    /// (its grants revoked): move before then (`steward access migrate`).
    #[serde(with = "crate::time::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub end_of_support: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub end_of_life: Option<DateTime<Utc>>,
}

/// What subscribers holding a grant on an old major are told: its end of
/// support comes (`kind: end_of_support_reminder`), or it was retired and
/// their grant revoked (`kind: major_retired`). The webhook body; the email
/// and SNS message say the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MajorSunsetNotice {
    /// Unique per notice and subscription; receivers can drop repeats by it.
    pub event_id: String,
    /// `end_of_support_reminder` or `major_retired`.
    pub kind: String,
    /// `domain.product`.
    pub product: String,
    /// The old major.
    pub major: i64,
    /// Its last version.
    pub version: String,
    /// The newest version, to move to (`steward access migrate`).
    pub newest_version: String,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub end_of_support: DateTime<Utc>,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub end_of_life: DateTime<Utc>,
    /// The subscriber's account's grant on the old major.
    pub grant: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::round_trip;

    #[test]
    fn subscriptions_round_trip() {
        let s: Subscription = round_trip(
            r#"{"id":1,"product_key":"sales.orders","account":"123456789012","channel":"webhook",
                "major":1,"target":"https://hooks.example.com/steward","created_by":"carla",
                "created_at":"2026-11-21T06:00:00.000000Z","removed_at":null,"secret":"whsec_0123456789abcdef"}"#,
        );
        assert_eq!(s.channel, Channel::Webhook);
        let listed: Vec<Subscription> = round_trip(
            r#"[{"id":2,"product_key":"sales.orders","account":"123456789012","channel":"email",
                 "major":3,"target":"c***@example.com","created_by":"carla","created_at":"2026-11-21T06:00:00.000000Z",
                 "removed_at":null}]"#,
        );
        assert_eq!(listed[0].secret, None, "the secret is left out, not null, once shown");
        assert_eq!((s.major, listed[0].major), (1, 3));
    }

    #[test]
    fn inputs() {
        round_trip::<SubscriptionInput>(
            r#"{"account":"123456789012","channel":"sns","target":"arn:aws:sns:eu-west-1:123456789012:t"}"#,
        );
        assert!(
            serde_json::from_str::<SubscriptionInput>(r#"{"account":"1","channel":"pigeon","target":"x"}"#).is_err()
        );
    }

    #[test]
    fn closed_sets() {
        check_names!(Channel, ["email", "webhook", "sns"]);
    }
}
