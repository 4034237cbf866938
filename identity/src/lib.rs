//! Workload identity: JWTs from trusted issuers (GitHub Actions, GitLab CI,
//! Kubernetes service accounts, any OIDC provider) verified against the
//! issuer's JWKS and mapped by rules to a Steward role and scopes.
//!
//! What is checked, in order (RFC 7519 section 7.2, RFC 8725):
//! 1. the shape: a compact JWS of three base64url segments (RFC 7515 section 7.1), at most 16 KiB;
//! 2. `alg` against the issuer's allowlist: never `none`, never HMAC (RFC 8725 sections 2.1, 3.1);
//! 3. `iss` names a configured issuer (exactly; RFC 7519 section 4.1.1);
//! 4. the key: the issuer's JWKS entry for `kid` that fits `alg`;
//! 5. the signature (RFC 7515 section 5.2), then `exp`/`nbf` with leeway,
//!    `aud` and `iss` (RFC 7519 sections 4.1.1-4.1.5); `sub` is required;
//! 6. the issuer's rules: the first whose claims match gives role and scopes.
//!
//! Steps 1-4 are cheap and may wait for the network ([`Verifier::prepare`]);
//! step 5 is public-key cryptography ([`Prepared::finish`]), which callers
//! run off their async threads.

mod config;
mod error;
mod jwks;
pub mod oidc;
mod rules;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};
pub use steward_api::Role;

pub use config::{IssuerConfig, Rule};
pub use error::{ConfigError, VerifyError};
use jwks::KeyCache;

/// Tokens larger than this are refused unread (CI tokens are ~1-2 KiB).
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Subjects longer than this are refused: the subject names the caller in
/// audit events and git history.
const MAX_SUBJECT_CHARS: usize = 512;

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `sub`, e.g. `repo:acme/orders:ref:refs/heads/main`.
    pub subject: String,
    /// `iss`, exactly as configured.
    pub issuer: String,
    pub role: Role,
    pub scopes: Vec<String>,
    /// Which rule of the issuer matched (its index).
    pub rule: usize,
    /// `exp`, seconds since the epoch.
    pub expires_at: i64,
}

/// One configured issuer, ready to verify.
struct Issuer {
    config: IssuerConfig,
    algorithms: Vec<Algorithm>,
    /// One validation per allowed algorithm: built once, not per request.
    validations: Vec<(Algorithm, Validation)>,
    /// The same for OIDC back-channel logout tokens (no `sub` or `exp` required).
    logout_validations: Vec<(Algorithm, Validation)>,
    keys: KeyCache,
}

/// Verifies tokens of the configured issuers. Cheap to share (`Arc`).
pub struct Verifier {
    issuers: Vec<Arc<Issuer>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuers", &self.issuers.iter().map(|i| &i.config.issuer).collect::<Vec<_>>())
            .finish()
    }
}

/// Checks every issuer's settings (also done by [`Verifier::new`]).
pub fn check(issuers: &[IssuerConfig]) -> Result<(), ConfigError> {
    for (i, c) in issuers.iter().enumerate() {
        c.check(i)?;
        if issuers[..i].iter().any(|o| o.issuer == c.issuer) {
            return Err(ConfigError { index: i, issuer: c.issuer.clone(), message: "issuer: listed twice".into() });
        }
    }
    Ok(())
}

impl Verifier {
    /// A verifier for `issuers`; nothing is fetched until a token arrives.
    pub fn new(issuers: Vec<IssuerConfig>) -> Result<Self, ConfigError> {
        check(&issuers)?;
        Self::build(issuers)
    }

    /// A verifier of one issuer's tokens with no rules: [`Prepared::claims`]
    /// gives the verified claims (ID tokens, whose claims the caller maps).
    pub(crate) fn without_rules(issuer: IssuerConfig) -> Result<Self, ConfigError> {
        issuer.check_keys(0)?;
        Self::build(vec![issuer])
    }

    fn build(issuers: Vec<IssuerConfig>) -> Result<Self, ConfigError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(jwks::FETCH_TIMEOUT)
            .build()
            .map_err(|e| ConfigError { index: 0, issuer: String::new(), message: format!("HTTP client: {e}") })?;
        let issuers = issuers
            .into_iter()
            .enumerate()
            .map(|(i, config)| {
                let algorithms = config.check_keys(i)?;
                let validations = algorithms.iter().map(|&alg| (alg, validation(&config, alg))).collect();
                let logout_validations = algorithms.iter().map(|&alg| (alg, logout_validation(&config, alg))).collect();
                let keys = KeyCache::new(
                    &config.issuer,
                    config.jwks_uri.clone(),
                    Duration::from_secs(config.refetch_interval_secs),
                );
                Ok(Arc::new(Issuer { config, algorithms, validations, logout_validations, keys }))
            })
            .collect::<Result<_, ConfigError>>()?;
        Ok(Self { issuers, http })
    }

    /// Does `token` have the shape of a JWT (three base64url segments, the
    /// last possibly empty as in an unsecured JWT, RFC 7519 section 6.1)?
    /// Steward's own tokens (`stw_...`) never do.
    pub fn looks_like_jwt(token: &str) -> bool {
        let mut parts = 0;
        for part in token.split('.') {
            parts += 1;
            if (part.is_empty() && parts < 3)
                || !part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return false;
            }
        }
        parts == 3
    }

    /// Verifies `token` entirely, the signature on this thread. For callers
    /// without an async runtime concern (benches, tools); servers use
    /// [`Verifier::prepare`] and run [`Prepared::finish`] off their async threads.
    pub async fn verify(&self, token: &str) -> Result<Identity, VerifyError> {
        self.prepare(token).await?.finish()
    }

    /// The cheap steps: shape, `alg`, issuer, key (fetching the JWKS if
    /// needed). Header and payload are decoded here; the token is at most
    /// [`MAX_TOKEN_BYTES`], so that is a few microseconds at worst.
    pub async fn prepare(&self, token: &str) -> Result<Prepared, VerifyError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(VerifyError::Malformed(format!("larger than {MAX_TOKEN_BYTES} bytes")));
        }
        if !Self::looks_like_jwt(token) {
            return Err(VerifyError::Malformed("not three base64url segments".into()));
        }
        let header = peek_header(token)?;
        // Before anything else: `none`, HMAC and unknown algorithms are
        // refused whatever the issuer or key (RFC 8725 section 3.1).
        let Some(alg) = parse_alg(&header.alg) else {
            return Err(VerifyError::AlgorithmNotAllowed(header.alg));
        };
        if token.ends_with('.') {
            return Err(VerifyError::Malformed("the signature segment is empty".into()));
        }
        let iss = peek_issuer(token)?;
        // The issuer is chosen by the unverified `iss`; its keys then must
        // have signed the token and `iss` is validated again after.
        let Some(issuer) = self.issuers.iter().find(|i| i.config.issuer == iss) else {
            return Err(VerifyError::WrongIssuer(iss));
        };
        if !issuer.algorithms.contains(&alg) {
            return Err(VerifyError::AlgorithmNotAllowed(header.alg));
        }
        let key = issuer.keys.key(&self.http, header.kid.as_deref(), alg).await?;
        Ok(Prepared { token: token.to_owned(), alg, issuer: issuer.clone(), key })
    }

    /// JWKS fetches so far for `issuer` (tests, metrics).
    pub fn jwks_fetches(&self, issuer: &str) -> u64 {
        self.issuers.iter().find(|i| i.config.issuer == issuer).map_or(0, |i| i.keys.fetches())
    }

    /// The configured issuers.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.issuers.iter().map(|i| i.config.issuer.as_str())
    }
}

/// A token whose key is known: [`Prepared::finish`] does the rest.
pub struct Prepared {
    token: String,
    alg: Algorithm,
    issuer: Arc<Issuer>,
    key: Arc<jwks::Key>,
}

impl Prepared {
    /// Signature, time claims, audience, issuer, subject, then the rules.
    /// CPU work (tens of microseconds for RS256): run it off async threads.
    pub fn finish(self) -> Result<Identity, VerifyError> {
        let issuer_config = self.issuer.clone();
        let (claims, subject) = self.claims()?;
        let issuer = &issuer_config.config.issuer;
        let expires_at = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        let Some(rule) = rules::first_match(&issuer_config.config.rules, &claims) else {
            return Err(VerifyError::NoMatchingRule { issuer: issuer.clone(), subject });
        };
        let r = &issuer_config.config.rules[rule];
        Ok(Identity { subject, issuer: issuer.clone(), role: r.role, scopes: r.scopes.clone(), rule, expires_at })
    }

    /// Signature, time claims, audience, issuer and subject: the verified
    /// claims and the subject, before any rule.
    pub fn claims(self) -> Result<(Map<String, Value>, String), VerifyError> {
        let claims = self.decode(&self.issuer.validations)?;
        let subject = match claims.get("sub") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(VerifyError::MissingClaim("sub".into())),
        };
        // The subject becomes an audit actor and a git author name.
        if subject.is_empty()
            || subject.chars().count() > MAX_SUBJECT_CHARS
            || subject.chars().any(|c| c.is_control() || c == '<' || c == '>')
        {
            return Err(VerifyError::Malformed(format!(
                "`sub` must be 1-{MAX_SUBJECT_CHARS} characters without control characters, `<` or `>`"
            )));
        }
        Ok((claims, subject))
    }

    /// The signature and the checks of the validation for this token's
    /// algorithm among `validations`; the claims.
    fn decode(&self, validations: &[(Algorithm, Validation)]) -> Result<Map<String, Value>, VerifyError> {
        let validation = validations
            .iter()
            .find(|(a, _)| *a == self.alg)
            .map(|(_, v)| v)
            .ok_or_else(|| VerifyError::AlgorithmNotAllowed(format!("{:?}", self.alg)))?;
        jsonwebtoken::decode::<Map<String, Value>>(&self.token, &self.key.key, validation)
            .map(|d| d.claims)
            .map_err(|e| VerifyError::from_jwt(&e, &self.issuer.config.issuer))
    }

    /// A back-channel logout token's claims (OIDC Back-Channel Logout 1.0
    /// section 2.6): signature, `iss`, `aud`, `exp` if present, `iat` within
    /// the last ten minutes, the logout event, `sub` or `sid`, and no `nonce`.
    /// Returns `(sub, sid)`.
    pub fn logout(self) -> Result<(Option<String>, Option<String>), VerifyError> {
        const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
        let claims = self.decode(&self.issuer.logout_validations)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let leeway = i64::try_from(self.issuer.config.leeway_secs).unwrap_or(0);
        match claims.get("iat").and_then(Value::as_i64) {
            None => return Err(VerifyError::MissingClaim("iat".into())),
            Some(iat) if iat > now + leeway => return Err(VerifyError::NotYetValid),
            Some(iat) if iat < now - 600 - leeway => return Err(VerifyError::Expired),
            Some(_) => {}
        }
        if !claims.get("events").and_then(Value::as_object).is_some_and(|e| e.get(EVENT).is_some_and(Value::is_object))
        {
            return Err(VerifyError::Malformed(format!("`events` does not hold {EVENT}")));
        }
        if claims.contains_key("nonce") {
            return Err(VerifyError::Malformed("a logout token must not hold `nonce`".into()));
        }
        let text = |name: &str| claims.get(name).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
        let (sub, sid) = (text("sub"), text("sid"));
        if sub.is_none() && sid.is_none() {
            return Err(VerifyError::MissingClaim("sub or sid".into()));
        }
        Ok((sub, sid))
    }

    /// The key id the token named (for logs).
    pub fn kid(&self) -> Option<&str> {
        self.key.kid.as_deref()
    }
}

/// The validation of back-channel logout tokens: as an ID token's, but
/// `sub` and `exp` are optional (OIDC Back-Channel Logout 1.0 section 2.4;
/// `exp`, when present, is still checked).
fn logout_validation(config: &IssuerConfig, alg: Algorithm) -> Validation {
    let mut v = validation(config, alg);
    v.set_required_spec_claims(&["iss", "aud"]);
    v
}

/// The validation of tokens signed with `alg` for this issuer.
fn validation(config: &IssuerConfig, alg: Algorithm) -> Validation {
    let mut v = Validation::new(alg);
    v.leeway = config.leeway_secs;
    v.validate_exp = true;
    v.validate_nbf = true;
    v.set_audience(&config.audience);
    v.set_issuer(&[&config.issuer]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v
}

/// `alg` of the allowlist's kind; `none`, HMAC and unknown names are `None`.
fn parse_alg(name: &str) -> Option<Algorithm> {
    config::parse_algorithm(name).ok()
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

fn segment(token: &str, index: usize) -> Result<Vec<u8>, VerifyError> {
    let part = token.split('.').nth(index).unwrap_or("");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| VerifyError::Malformed(format!("segment {}: {e}", index + 1)))
}

fn peek_header(token: &str) -> Result<Header, VerifyError> {
    serde_json::from_slice(&segment(token, 0)?).map_err(|e| VerifyError::Malformed(format!("header: {e}")))
}

/// The unverified `iss`, only to choose whose keys to try.
fn peek_issuer(token: &str) -> Result<String, VerifyError> {
    #[derive(Deserialize)]
    struct Iss {
        iss: Option<Value>,
    }
    let p: Iss =
        serde_json::from_slice(&segment(token, 1)?).map_err(|e| VerifyError::Malformed(format!("payload: {e}")))?;
    match p.iss {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(VerifyError::Malformed("`iss` is not a string".into())),
        None => Err(VerifyError::MissingClaim("iss".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::Verifier;

    #[test]
    fn only_three_base64url_segments_look_like_a_jwt() {
        assert!(Verifier::looks_like_jwt("eyJh.eyJz.c2ln"));
        assert!(Verifier::looks_like_jwt("a-_.b.c"));
        assert!(Verifier::looks_like_jwt("a.b."), "an unsecured JWT's shape");
        for no in ["stw_0123abcd", "a.b", "a.b.c.d", "a..c", ".b.c", "a.b+.c", "a.b.c=", ""] {
            assert!(!Verifier::looks_like_jwt(no), "{no}");
        }
    }
}
