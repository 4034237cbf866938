//! Webhook signatures: `Steward-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//!
//! The timestamp is inside the signed text so a receiver can reject replays of an old
//! delivery (see the tolerance in [`verify_signature`]); the scheme name `v1` leaves
//! room for a new algorithm without breaking receivers, and a receiver accepts the
//! header if any `v1` entry matches, which allows sending two signatures while a
//! secret is rotated. Comparison is constant-time (`Mac::verify_slice`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::SignatureError;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "Steward-Signature";
/// Header carrying the event's idempotency key (the same on every retry of one delivery).
pub const EVENT_ID_HEADER: &str = "Steward-Event-Id";

fn mac(secret: &str, unix_time: i64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(unix_time.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Steward-Signature` header value for `body` signed at `unix_time`.
pub fn signature_header(secret: &str, unix_time: i64, body: &[u8]) -> String {
    let tag = mac(secret, unix_time, body).finalize().into_bytes();
    format!("t={unix_time},v1={}", hex::encode(tag))
}

/// Standard Webhooks headers (<https://www.standardwebhooks.com/>, spec
/// `spec/standard-webhooks.md`): the message id, the unix time of sending, and
/// `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, where the key is
/// the secret after its `whsec_` prefix, base64-decoded (a secret in another
/// form is used as its bytes, as the reference libraries do).
pub const STANDARD_ID_HEADER: &str = "webhook-id";
pub const STANDARD_TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const STANDARD_SIGNATURE_HEADER: &str = "webhook-signature";

fn standard_key(secret: &str) -> Vec<u8> {
    use base64::Engine as _;
    secret
        .strip_prefix("whsec_")
        .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .unwrap_or_else(|| secret.as_bytes().to_vec())
}

fn standard_mac(secret: &str, msg_id: &str, unix_time: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(&standard_key(secret)).expect("HMAC takes keys of any length");
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(unix_time.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `webhook-signature` header value (Standard Webhooks) for one message.
pub fn standard_signature(secret: &str, msg_id: &str, unix_time: i64, body: &[u8]) -> String {
    use base64::Engine as _;
    let tag = standard_mac(secret, msg_id, unix_time, body).finalize().into_bytes();
    format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(tag))
}

/// Checks Standard Webhooks headers as a receiver does: any `v1,` entry of the
/// space-separated `signature` header must match (constant-time).
pub fn verify_standard_signature(
    secret: &str,
    msg_id: &str,
    unix_time: i64,
    signature: &str,
    body: &[u8],
) -> Result<(), SignatureError> {
    use base64::Engine as _;
    let expected = standard_mac(secret, msg_id, unix_time, body);
    let mut any = false;
    for entry in signature.split(' ') {
        let Some(b64) = entry.strip_prefix("v1,") else { continue };
        any = true;
        if let Ok(tag) = base64::engine::general_purpose::STANDARD.decode(b64)
            && expected.clone().verify_slice(&tag).is_ok()
        {
            return Ok(());
        }
    }
    if any { Err(SignatureError::Mismatch) } else { Err(SignatureError::Malformed("no v1 signature")) }
}

/// Checks a `Steward-Signature` header against the raw request body, as a receiver does.
///
/// Fails if the header is malformed, if its timestamp is more than `tolerance_secs`
/// away from `now_unix`, or if no `v1` entry is the HMAC of `"<t>.<body>"` under `secret`.
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(SignatureError::Malformed("entry without '='"))?;
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed("more than one timestamp"));
                }
                timestamp =
                    Some(value.parse::<i64>().map_err(|_| SignatureError::Malformed("timestamp is not an integer"))?);
            }
            "v1" => signatures.push(value),
            // Unknown schemes are ignored so new ones can be added next to v1.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no timestamp"))?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed("no v1 signature"));
    }
    if now_unix.abs_diff(timestamp) > tolerance_secs.unsigned_abs() {
        return Err(SignatureError::Stale { timestamp, now: now_unix, tolerance_secs });
    }
    let expected = mac(secret, timestamp, body);
    let matched = signatures.iter().any(|candidate| match hex::decode(candidate) {
        Ok(tag) => expected.clone().verify_slice(&tag).is_ok(),
        Err(_) => false,
    });
    if matched { Ok(()) } else { Err(SignatureError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";
    const BODY: &[u8] = br#"{"event":"product.refreshed","product":"sales.orders"}"#;

    #[test]
    fn header_has_timestamp_and_hex_tag() {
        let header = signature_header(SECRET, 1_700_000_000, BODY);
        let (t, v1) = header.split_once(',').unwrap();
        assert_eq!(t, "t=1700000000");
        let tag = v1.strip_prefix("v1=").unwrap();
        assert_eq!(tag.len(), 64);
        assert!(tag.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }

    #[test]
    fn known_vector() {
        // HMAC-SHA256(key="key", "1.{}") computed independently with Python's hmac module.
        assert_eq!(
            signature_header("key", 1, b"{}"),
            "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }

    #[test]
    fn verifies_and_rejects() {
        let now = 1_700_000_000;
        let header = signature_header(SECRET, now, BODY);
        assert_eq!(verify_signature(SECRET, &header, BODY, now + 10, 300), Ok(()));
        assert_eq!(verify_signature(SECRET, &header, b"{}", now, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature("other", &header, BODY, now, 300), Err(SignatureError::Mismatch));
        assert!(matches!(verify_signature(SECRET, &header, BODY, now + 301, 300), Err(SignatureError::Stale { .. })));
        assert!(matches!(verify_signature(SECRET, &header, BODY, now - 301, 300), Err(SignatureError::Stale { .. })));
    }

    #[test]
    fn accepts_any_matching_v1_during_rotation() {
        let now = 1_700_000_000;
        let new = signature_header("new", now, BODY);
        let old_tag = signature_header("old", now, BODY).split_once(",v1=").unwrap().1.to_owned();
        let both = format!("{new},v1={old_tag}");
        assert_eq!(verify_signature("old", &both, BODY, now, 300), Ok(()));
        assert_eq!(verify_signature("new", &both, BODY, now, 300), Ok(()));
    }

    /// The vector of the Standard Webhooks reference libraries' tests
    /// (standard-webhooks/standard-webhooks `libraries/go/webhook_test.go`): secret `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`, id
    /// `msg_p5jXN8AQM9LWM0D4loKWxJek`, timestamp 1614265330, body
    /// `{"test": 2432232314}` signs to `v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=`.
    #[test]
    fn standard_webhooks_reference_vector() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = standard_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body);
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert_eq!(
            verify_standard_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, &sig, body),
            Ok(())
        );
        let two = format!("v1,AAAA {sig}");
        assert_eq!(
            verify_standard_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, &two, body),
            Ok(())
        );
        assert_eq!(
            verify_standard_signature(secret, "msg_other", 1_614_265_330, &sig, body),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers() {
        for header in ["", "v1=00", "t=1", "t=x,v1=00", "t=1,t=2,v1=00", "garbage"] {
            assert!(
                matches!(verify_signature(SECRET, header, BODY, 1, 300), Err(SignatureError::Malformed(_))),
                "{header:?}"
            );
        }
        assert_eq!(verify_signature(SECRET, "t=1,v1=zz", BODY, 1, 300), Err(SignatureError::Mismatch));
    }
}
