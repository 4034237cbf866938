//! The body of every error response.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::proposals::Finding;

/// What kind of error, for programs (the HTTP status says the same, coarser).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// 400: a malformed parameter or body.
    BadRequest,
    /// 401: no token, or one that is unknown, revoked or expired.
    Unauthorized,
    /// 403: the token may not do this.
    Forbidden,
    /// 404: no such thing (or no such endpoint).
    NotFound,
    /// 409: the state changed (already decided, already exists).
    Conflict,
    /// 413: the body is larger than the API accepts.
    PayloadTooLarge,
    /// 415: the body is not in a type the endpoint reads.
    UnsupportedMediaType,
    /// 422: the contract has errors (`findings` name them).
    InvalidContract,
    /// 503: busy; the request may succeed if repeated (see `Retry-After`).
    Unavailable,
    /// 500: a fault on the server (`error_id` finds it in the log).
    Internal,
}

wire_names!(
    ErrorKind,
    "error kind",
    [
        BadRequest = "bad_request",
        Unauthorized = "unauthorized",
        Forbidden = "forbidden",
        NotFound = "not_found",
        Conflict = "conflict",
        PayloadTooLarge = "payload_too_large",
        UnsupportedMediaType = "unsupported_media_type",
        InvalidContract = "invalid_contract",
        Unavailable = "unavailable",
        Internal = "internal",
    ]
);

/// Every error response body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Machine-readable kind: bad_request, unauthorized, forbidden, not_found, conflict,
    /// payload_too_large, unsupported_media_type, invalid_contract, unavailable, internal.
    pub error: ErrorKind,
    /// What is wrong, for people.
    pub message: String,
    /// Validation findings, for `invalid_contract`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<Finding>>,
    /// The proposal the submission was recorded as, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<i64>,
    /// Quote this to the operator; it is in the server log with the cause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::round_trip;

    #[test]
    fn error_bodies_round_trip() {
        let e: ErrorBody = round_trip(r#"{"error":"not_found","message":"proposal 9 does not exist"}"#);
        assert_eq!((e.error, e.findings), (ErrorKind::NotFound, None));
        let e: ErrorBody = round_trip(
            r#"{"error":"invalid_contract","message":"the contract has 1 error(s)",
                "findings":[{"rule":"STW101","severity":"error","message":"column `id` was removed",
                             "path":"schema[0].properties[0]","line":12,"column":9,"document":"published"}],
                "proposal_id":2}"#,
        );
        assert_eq!(e.proposal_id, Some(2));
        round_trip::<ErrorBody>(
            r#"{"error":"internal","message":"internal error; quote error id 0123456789ab to the operator","error_id":"0123456789ab"}"#,
        );
    }

    #[test]
    fn closed_sets() {
        check_names!(
            ErrorKind,
            [
                "bad_request",
                "unauthorized",
                "forbidden",
                "not_found",
                "conflict",
                "payload_too_large",
                "unsupported_media_type",
                "invalid_contract",
                "unavailable",
                "internal"
            ]
        );
    }
}
