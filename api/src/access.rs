//! Access requests and grants: `/api/v1/products/{key}/access-requests`,
//! `/api/v1/access-requests`, `/api/v1/grants`, `/api/v1/products/{key}/access/{account}`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An access request's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RequestStatus {
    /// Waiting for a reviewer.
    Pending,
    /// Approved: a grant exists.
    Approved,
    /// Refused by a reviewer.
    Rejected,
    /// Withdrawn by its requester before a reviewer decided.
    Cancelled,
}

wire_names!(
    RequestStatus,
    "status",
    [Pending = "pending", Approved = "approved", Rejected = "rejected", Cancelled = "cancelled"]
);

/// A grant's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GrantStatus {
    /// In force.
    Active,
    /// Ended by a reviewer.
    Revoked,
    /// Ended by its end date.
    Expired,
}

wire_names!(GrantStatus, "status", [Active = "active", Revoked = "revoked", Expired = "expired"]);

/// A consumer's request for access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessRequestInput {
    /// A 12-digit AWS account id, or a tenant id in embedded mode.
    pub account: String,
    /// Why the account needs the data (shown to the reviewer).
    pub justification: String,
    /// How long the grant should last; none = until revoked.
    pub duration_days: Option<i64>,
}

/// A consumer's request to renew a grant before it ends: it becomes a
/// pending access request (with `renews` set) that a reviewer decides; on
/// approval the grant's end date moves `duration_days` past its current end
/// (`POST /api/v1/grants/{id}/renew`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRenewalInput {
    /// Why the account still needs the data (shown to the reviewer).
    pub justification: String,
    /// Days to add to the grant's current end date; none = until revoked.
    pub duration_days: Option<i64>,
}

/// A request for access to a product for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessRequest {
    /// Access request id.
    pub id: i64,
    /// `domain.product`.
    pub product_key: String,
    /// The account to grant.
    pub account: String,
    /// The token name that asked.
    pub requested_by: String,
    /// Why the account needs the data.
    pub justification: String,
    /// How long the grant should last; `null`: until revoked.
    pub duration_days: Option<i64>,
    /// `pending`, `approved` or `rejected`.
    pub status: RequestStatus,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub requested_at: DateTime<Utc>,
    /// The reviewer who decided.
    pub decided_by: Option<String>,
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<DateTime<Utc>>,
    /// The reviewer's comment.
    pub comment: Option<String>,
    /// The grant this request renews (`POST /grants/{id}/renew`); `null` for
    /// a first request.
    #[serde(default)]
    pub renews: Option<i64>,
}

/// An account's access to a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Grant {
    /// Grant id.
    pub id: i64,
    /// `domain.product`.
    pub product_key: String,
    /// The account that may read the product.
    pub account: String,
    /// The access request it came from.
    pub request_id: Option<i64>,
    /// The contract major version it was approved against (`2` for 2.x):
    /// a new major is published beside this one, and the grant stays on it
    /// until the consumer migrates.
    #[serde(default)]
    pub major: i64,
    /// `active`, `revoked` or `expired`.
    pub status: GrantStatus,
    /// The reviewer who approved it.
    pub granted_by: String,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub granted_at: DateTime<Utc>,
    /// When it ends by itself; `null`: until revoked.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Who ended it (a reviewer, or `steward` at its end date).
    pub ended_by: Option<String>,
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<DateTime<Utc>>,
    /// On AWS: the RAM resource share Lake Formation made for this grant, as
    /// `ListPermissions` reports it once the share is granted; `null` before
    /// that, with the embedded share backend, and where AWS reports none
    /// (LF-Tag grants). The consumer accepts it with `steward shares accept`.
    #[serde(default)]
    pub share_arn: Option<String>,
    /// The newer major its holder acknowledged instead of migrating (they
    /// stay on `major` until its end of life); `null` if none.
    #[serde(default)]
    pub acknowledged_major: Option<i64>,
}

/// A reviewer's decision on an access request or grant (approve, reject, revoke).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessDecision {
    /// Why; required to reject.
    pub comment: Option<String>,
}

/// Whether an account may read a product now (the embedded share backend).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessCheck {
    /// `domain.product`.
    pub product: String,
    /// The account asked about.
    pub account: String,
    /// True when an active grant exists.
    pub allowed: bool,
    /// The active grant, if any.
    pub grant: Option<Grant>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::round_trip;

    const REQUEST: &str = r#"{"id":1,"product_key":"sales.orders","account":"123456789012","requested_by":"carla",
        "justification":"revenue dashboards","duration_days":null,"status":"pending",
        "requested_at":"2026-11-21T06:00:00.000000Z","decided_by":null,"decided_at":null,"comment":null,"renews":null}"#;

    const GRANT: &str = r#"{"id":1,"product_key":"sales.orders","account":"123456789012","request_id":1,
        "major":2,"status":"active","granted_by":"rita","granted_at":"2026-11-21T06:05:00.000000Z",
        "expires_at":"2026-12-21T06:05:00.000000Z","ended_by":null,"ended_at":null,"share_arn":null,
        "acknowledged_major":null}"#;

    #[test]
    fn requests_and_grants_round_trip() {
        let r: AccessRequest = round_trip(REQUEST);
        assert_eq!(r.status, RequestStatus::Pending);
        round_trip::<AccessRequest>(
            &REQUEST
                .replace(r#""duration_days":null"#, r#""duration_days":30"#)
                .replace("pending", "rejected")
                .replace(
                    r#""decided_by":null,"decided_at":null,"comment":null"#,
                    r#""decided_by":"rita","decided_at":"2026-11-21T06:05:00.000000Z","comment":"no""#,
                ),
        );
        let renewal: AccessRequest = round_trip(&REQUEST.replace(r#""renews":null"#, r#""renews":7"#));
        assert_eq!(renewal.renews, Some(7));
        let g: Grant = round_trip(GRANT);
        assert_eq!((g.status, g.major), (GrantStatus::Active, 2));
        round_trip::<Grant>(
            &GRANT.replace(r#""request_id":1"#, r#""request_id":null"#).replace("active", "revoked").replace(
                r#""ended_by":null,"ended_at":null"#,
                r#""ended_by":"rita","ended_at":"2026-11-22T00:00:00.000000Z""#,
            ),
        );
        let shared: Grant = round_trip(&GRANT.replace(
            r#""share_arn":null"#,
            r#""share_arn":"arn:aws:ram:eu-west-1:123456789012:resource-share/LakeFormation-V3-1""#,
        ));
        assert!(shared.share_arn.is_some_and(|a| a.contains("LakeFormation")));
        let staying: Grant = round_trip(&GRANT.replace(r#""acknowledged_major":null"#, r#""acknowledged_major":3"#));
        assert_eq!(staying.acknowledged_major, Some(3));
        let check: AccessCheck = round_trip(&format!(
            r#"{{"product":"sales.orders","account":"123456789012","allowed":true,"grant":{GRANT}}}"#
        ));
        assert!(check.allowed);
        round_trip::<AccessCheck>(
            r#"{"product":"sales.orders","account":"210987654321","allowed":false,"grant":null}"#,
        );
    }

    #[test]
    fn inputs() {
        round_trip::<AccessRequestInput>(r#"{"account":"123456789012","justification":"why","duration_days":30}"#);
        let input: AccessRequestInput =
            serde_json::from_str(r#"{"account":"123456789012","justification":"why"}"#).unwrap();
        assert_eq!(input.duration_days, None);
        assert!(
            serde_json::from_str::<AccessRequestInput>(r#"{"account":"1","justification":"why","days":3}"#).is_err(),
            "unknown fields are refused"
        );
        round_trip::<AccessDecision>(r#"{"comment":null}"#);
        round_trip::<GrantRenewalInput>(r#"{"justification":"still needed","duration_days":90}"#);
        assert!(serde_json::from_str::<GrantRenewalInput>(r#"{"justification":"x","account":"1"}"#).is_err());
    }

    #[test]
    fn closed_sets() {
        check_names!(RequestStatus, ["pending", "approved", "rejected", "cancelled"]);
        check_names!(GrantStatus, ["active", "revoked", "expired"]);
    }
}
