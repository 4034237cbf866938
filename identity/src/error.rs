//! Why a token is refused, and why a configuration is.
//!
//! The reasons are for the server log, never for the HTTP body: telling a
//! caller "wrong audience" or "unknown key id" helps an attacker tune a
//! forged token, so the API answers a generic `invalid token`.

use thiserror::Error;

/// Why a JWT does not authenticate.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// Not a compact JWS (three base64url segments of JSON), too large,
    /// or a claim has the wrong type.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// `alg` is not in the issuer's allowlist (`none` and HMAC never are).
    #[error("algorithm `{0}` is not allowed")]
    AlgorithmNotAllowed(String),
    /// `iss` names no trusted issuer, or does not match the one whose key signed it.
    #[error("wrong issuer `{0}`: not a trusted issuer")]
    WrongIssuer(String),
    /// `aud` holds none of the configured audiences.
    #[error("wrong audience: `aud` holds none of the configured audiences")]
    WrongAudience,
    /// `exp` has passed (beyond the leeway).
    #[error("expired: `exp` is in the past (beyond the leeway)")]
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    #[error("not yet valid: `nbf` is in the future (beyond the leeway)")]
    NotYetValid,
    /// A required claim (`exp`, `iss`, `aud`, `sub`) is missing.
    #[error("missing claim `{0}`")]
    MissingClaim(String),
    /// No key in the issuer's JWKS has this `kid` (after a refetch, or while
    /// refetches are throttled).
    #[error("unknown key id {0:?} for issuer `{1}`")]
    UnknownKeyId(Option<String>, String),
    /// The signature does not verify with the issuer's key.
    #[error("bad signature")]
    BadSignature,
    /// A valid token that no rule of its issuer maps to a role.
    #[error("no rule of issuer `{issuer}` matches subject `{subject}`")]
    NoMatchingRule { issuer: String, subject: String },
    /// The issuer's keys could not be fetched (and none are cached): not the
    /// caller's fault, so the API answers 503, not 401.
    #[error("the keys of issuer `{issuer}` are unavailable: {reason}")]
    KeysUnavailable { issuer: String, reason: String },
}

impl VerifyError {
    /// Whether the caller may retry the same token later (the issuer's keys
    /// were unavailable); every other error is a refusal of the token.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, VerifyError::KeysUnavailable { .. })
    }

    pub(crate) fn from_jwt(e: &jsonwebtoken::errors::Error, issuer: &str) -> Self {
        use jsonwebtoken::errors::ErrorKind as K;
        match e.kind() {
            K::InvalidSignature => VerifyError::BadSignature,
            K::ExpiredSignature => VerifyError::Expired,
            K::ImmatureSignature => VerifyError::NotYetValid,
            K::InvalidAudience => VerifyError::WrongAudience,
            K::InvalidIssuer => VerifyError::WrongIssuer(issuer.to_owned()),
            K::InvalidAlgorithm | K::InvalidAlgorithmName | K::MissingAlgorithm => {
                VerifyError::AlgorithmNotAllowed(format!("{e}"))
            }
            K::MissingRequiredClaim(c) => VerifyError::MissingClaim(c.clone()),
            // A key that does not fit the algorithm cannot have made the signature.
            K::InvalidRsaKey(_) | K::InvalidEcdsaKey | K::InvalidEddsaKey | K::InvalidKeyFormat => {
                VerifyError::BadSignature
            }
            _ => VerifyError::Malformed(e.to_string()),
        }
    }
}

/// A trusted-issuer configuration that cannot be used; names the issuer and field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("identity.trusted_issuers[{index}] ({issuer}): {message}")]
pub struct ConfigError {
    pub index: usize,
    pub issuer: String,
    pub message: String,
}
