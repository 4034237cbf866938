//! Events for every change: CloudEvents 1.0 in the JSON format
//! (`GET /api/v1/events`, and the bodies posted to event hooks), and the
//! hooks admins register to receive them (`/api/v1/event-hooks`).
//!
//! The envelope follows the CloudEvents 1.0 spec and its JSON format
//! (<https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/spec.md>,
//! `formats/json-format.md`); `sequence` is the spec's Sequence extension
//! (`extensions/sequence.md`): a zero-padded decimal that orders the events of
//! one Steward by plain string comparison, and the feed's cursor.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The `specversion` of every event.
pub const SPEC_VERSION: &str = "1.0";

/// The `Content-Type` of an event posted in structured mode.
pub const CLOUDEVENTS_JSON: &str = "application/cloudevents+json";

/// What changed: the CloudEvents `type`, `io.steward.<thing>.<what happened>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub enum CloudEventType {
    /// A producer submitted a proposal (new product or new version).
    #[serde(rename = "io.steward.proposal.submitted")]
    ProposalSubmitted,
    /// A reviewer approved a proposal and it was merged and published.
    #[serde(rename = "io.steward.proposal.approved")]
    ProposalApproved,
    /// A reviewer rejected a proposal.
    #[serde(rename = "io.steward.proposal.rejected")]
    ProposalRejected,
    /// The producer withdrew a pending proposal.
    #[serde(rename = "io.steward.proposal.withdrawn")]
    ProposalWithdrawn,
    /// A version of a product was published to the catalog.
    #[serde(rename = "io.steward.product.published")]
    ProductPublished,
    /// A published version marks the product deprecated.
    #[serde(rename = "io.steward.product.deprecated")]
    ProductDeprecated,
    /// A published version marks the product retired.
    #[serde(rename = "io.steward.product.retired")]
    ProductRetired,
    /// A consumer asked for access (or for a renewal).
    #[serde(rename = "io.steward.access.requested")]
    AccessRequested,
    /// A reviewer approved an access request: a grant was made or extended.
    #[serde(rename = "io.steward.access.approved")]
    AccessApproved,
    /// A reviewer rejected an access request.
    #[serde(rename = "io.steward.access.rejected")]
    AccessRejected,
    /// The consumer cancelled their own pending request.
    #[serde(rename = "io.steward.access.cancelled")]
    AccessCancelled,
    /// A reviewer revoked a grant.
    #[serde(rename = "io.steward.access.revoked")]
    AccessRevoked,
    /// A grant's end date came; the grant is over.
    #[serde(rename = "io.steward.access.expired")]
    AccessExpired,
    /// A grant ends soon (`events.expiring_days` before its end).
    #[serde(rename = "io.steward.access.expiring")]
    AccessExpiring,
    /// A grant moved to the product's newest major version.
    #[serde(rename = "io.steward.grant.migrated")]
    GrantMigrated,
    /// A producer reported a refresh.
    #[serde(rename = "io.steward.refresh.recorded")]
    RefreshRecorded,
    /// A product missed its SLO.
    #[serde(rename = "io.steward.slo.breached")]
    SloBreached,
    /// A product that missed its SLO is on time again.
    #[serde(rename = "io.steward.slo.recovered")]
    SloRecovered,
}

wire_names!(
    CloudEventType,
    "event type",
    [
        ProposalSubmitted = "io.steward.proposal.submitted",
        ProposalApproved = "io.steward.proposal.approved",
        ProposalRejected = "io.steward.proposal.rejected",
        ProposalWithdrawn = "io.steward.proposal.withdrawn",
        ProductPublished = "io.steward.product.published",
        ProductDeprecated = "io.steward.product.deprecated",
        ProductRetired = "io.steward.product.retired",
        AccessRequested = "io.steward.access.requested",
        AccessApproved = "io.steward.access.approved",
        AccessRejected = "io.steward.access.rejected",
        AccessCancelled = "io.steward.access.cancelled",
        AccessRevoked = "io.steward.access.revoked",
        AccessExpired = "io.steward.access.expired",
        AccessExpiring = "io.steward.access.expiring",
        GrantMigrated = "io.steward.grant.migrated",
        RefreshRecorded = "io.steward.refresh.recorded",
        SloBreached = "io.steward.slo.breached",
        SloRecovered = "io.steward.slo.recovered",
    ]
);

/// One change as a CloudEvent (JSON format, structured mode).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CloudEvent {
    /// Always `1.0`.
    pub specversion: String,
    /// Unique within `source`, and the same on every delivery of this event
    /// (a receiver's idempotency key), e.g. `access.approved:request/42`.
    pub id: String,
    /// This Steward (config `events.source`, default `/steward`).
    pub source: String,
    #[serde(rename = "type")]
    pub kind: CloudEventType,
    /// The product key the change is about.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subject: Option<String>,
    /// When the change happened.
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub time: DateTime<Utc>,
    /// Always `application/json`.
    pub datacontenttype: String,
    /// Sequence extension: 20-digit zero-padded position in this Steward's
    /// event log; pass the last one seen as `after` to read on.
    pub sequence: String,
    /// What changed (ids, product, account, version...; per type, see docs/events.md).
    pub data: serde_json::Value,
}

/// A page of the event feed, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    pub events: Vec<CloudEvent>,
    /// The `sequence` of the last event on the page (or the `after` given,
    /// when the page is empty): the next request's `after`.
    pub next_after: String,
}

/// How an event hook receives events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HookChannel {
    /// POSTs the event (`application/cloudevents+json`), signed with the
    /// hook's secret: `Steward-Signature` and the Standard Webhooks headers.
    Webhook,
    /// Publishes the event's JSON to an SNS topic ARN.
    Sns,
}

wire_names!(HookChannel, "channel", [Webhook = "webhook", Sns = "sns"]);

/// Registers an event hook (admins only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventHookInput {
    pub channel: HookChannel,
    /// An `https://` URL (webhook) or an SNS topic ARN.
    pub target: String,
    /// Only events whose type starts with one of these (e.g.
    /// `io.steward.access.`); empty or absent: every event.
    #[serde(default)]
    pub types: Vec<String>,
}

/// A registered event hook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventHook {
    pub id: i64,
    pub channel: HookChannel,
    pub target: String,
    pub types: Vec<String>,
    pub created_by: String,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// The signing secret (`whsec_` and base64, the Standard Webhooks form):
    /// only in the answer that creates a webhook hook, never again.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_sets() {
        check_names!(HookChannel, ["webhook", "sns"]);
        let names: Vec<&str> = CloudEventType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names.len(), 18);
        assert!(names.iter().all(|n| n.starts_with("io.steward.")), "{names:?}");
        for t in CloudEventType::ALL {
            assert_eq!(serde_json::to_string(t).unwrap(), format!("\"{t}\""));
        }
    }

    #[test]
    fn an_event_is_cloudevents_json() {
        let event = CloudEvent {
            specversion: SPEC_VERSION.into(),
            id: "access.approved:request/42".into(),
            source: "/steward".into(),
            kind: CloudEventType::AccessApproved,
            subject: Some("sales.orders".into()),
            time: crate::time::parse("2026-12-02T10:00:00Z").unwrap(),
            datacontenttype: "application/json".into(),
            sequence: "00000000000000000007".into(),
            data: serde_json::json!({"request": 42}),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "io.steward.access.approved");
        assert_eq!(json["time"], "2026-12-02T10:00:00.000000Z");
        assert_eq!(serde_json::from_value::<CloudEvent>(json).unwrap(), event);
    }
}
