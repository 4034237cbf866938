//! The JWKS of one issuer: fetched on first use, kept for its TTL
//! (`Cache-Control: max-age`, else an hour), refetched when a token names
//! a `kid` it does not hold, but at most once per `refetch_interval` (so a
//! flood of junk kids costs the issuer one request per interval).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};

use crate::error::VerifyError;

/// TTL when the JWKS response says nothing.
const DEFAULT_TTL: Duration = Duration::from_secs(3600);
/// The longest TTL honoured: keys a provider has withdrawn stop working within a day.
const MAX_TTL: Duration = Duration::from_secs(24 * 3600);
/// JWKS and discovery documents are a few KiB; anything larger is refused.
const MAX_DOCUMENT_BYTES: usize = 256 * 1024;
/// How long one fetch may take.
pub(crate) const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A verification key from the JWKS.
pub(crate) struct Key {
    pub(crate) kid: Option<String>,
    pub(crate) key: DecodingKey,
    family: AlgorithmFamily,
    /// The JWK's `alg`, if it names one: the key is then for that algorithm only.
    alg: Option<Algorithm>,
    curve: Option<EllipticCurve>,
}

impl Key {
    /// Can this key have signed a token with header `alg`?
    fn fits(&self, alg: Algorithm) -> bool {
        let curve_fits = match (alg, &self.curve) {
            (Algorithm::ES256, Some(c)) => *c == EllipticCurve::P256,
            (Algorithm::ES384, Some(c)) => *c == EllipticCurve::P384,
            (Algorithm::EdDSA, Some(c)) => *c == EllipticCurve::Ed25519,
            _ => true,
        };
        self.family == alg.family() && self.alg.is_none_or(|a| a == alg) && curve_fits
    }
}

/// The keys of one fetch.
struct KeySet {
    keys: Vec<Arc<Key>>,
    fetched_at: Instant,
    ttl: Duration,
}

impl KeySet {
    /// The key with this `kid` fitting `alg`; a token without `kid` may use
    /// the issuer's only key that fits (RFC 7515 section 4.1.4 makes `kid` optional).
    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<Key>> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid) && k.fits(alg)).cloned(),
            None => {
                let mut fitting = self.keys.iter().filter(|k| k.fits(alg));
                match (fitting.next(), fitting.next()) {
                    (Some(k), None) => Some(k.clone()),
                    _ => None,
                }
            }
        }
    }
}

/// The cache of one issuer's keys.
pub(crate) struct KeyCache {
    issuer: String,
    /// Configured, or found through discovery on the first fetch.
    jwks_uri: Mutex<Option<String>>,
    refetch_interval: Duration,
    keys: RwLock<Option<Arc<KeySet>>>,
    /// When the last fetch was started (successful or not): the throttle.
    last_attempt: Mutex<Option<Instant>>,
    /// One fetch at a time per issuer; the others wait for its result.
    fetching: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

impl KeyCache {
    pub(crate) fn new(issuer: &str, jwks_uri: Option<String>, refetch_interval: Duration) -> Self {
        Self {
            issuer: issuer.to_owned(),
            jwks_uri: Mutex::new(jwks_uri),
            refetch_interval,
            keys: RwLock::new(None),
            last_attempt: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        }
    }

    /// JWKS fetches so far (for tests and metrics).
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn current(&self) -> Option<Arc<KeySet>> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The key for a token's `kid` and `alg`: from the cache when it is
    /// fresh and holds it, else after a (throttled) refetch.
    pub(crate) async fn key(
        &self,
        http: &reqwest::Client,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<Key>, VerifyError> {
        let seen = self.current();
        if let Some(set) = &seen
            && set.fetched_at.elapsed() < set.ttl
            && let Some(key) = set.find(kid, alg)
        {
            return Ok(key);
        }
        let set = self.refresh(http, seen.as_ref()).await?;
        set.find(kid, alg).ok_or_else(|| VerifyError::UnknownKeyId(kid.map(str::to_owned), self.issuer.clone()))
    }

    /// Fetches the JWKS unless another task did since `seen` was read or the
    /// last attempt is younger than the refetch interval; returns the keys
    /// to use (possibly stale ones when the issuer cannot be reached).
    async fn refresh(&self, http: &reqwest::Client, seen: Option<&Arc<KeySet>>) -> Result<Arc<KeySet>, VerifyError> {
        let _one = self.fetching.lock().await;
        let current = self.current();
        let changed = match (&current, seen) {
            (Some(c), Some(s)) => !Arc::ptr_eq(c, s),
            (Some(_), None) => true,
            _ => false,
        };
        let throttled = {
            let mut last = self.last_attempt.lock().unwrap_or_else(|e| e.into_inner());
            let throttled = changed || last.is_some_and(|t| t.elapsed() < self.refetch_interval);
            if !throttled {
                *last = Some(Instant::now());
            }
            throttled
        };
        if throttled {
            return current.ok_or_else(|| self.unavailable("the last fetch failed; waiting before the next"));
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        match self.fetch(http).await {
            Ok(set) => {
                let set = Arc::new(set);
                tracing::info!(issuer = %self.issuer, keys = set.keys.len(), ttl_secs = set.ttl.as_secs(), "fetched the issuer's JWKS");
                *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Some(set.clone());
                Ok(set)
            }
            Err(reason) => {
                tracing::warn!(issuer = %self.issuer, %reason, "could not fetch the issuer's JWKS");
                // Stale keys beat none while the issuer is unreachable: the
                // tokens they verify were signed by the issuer all the same.
                current.ok_or_else(|| self.unavailable(&reason))
            }
        }
    }

    fn unavailable(&self, reason: &str) -> VerifyError {
        VerifyError::KeysUnavailable { issuer: self.issuer.clone(), reason: reason.to_owned() }
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<KeySet, String> {
        let known = self.jwks_uri.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let uri = match known {
            Some(u) => u,
            None => {
                let u = self.discover(http).await?;
                *self.jwks_uri.lock().unwrap_or_else(|e| e.into_inner()) = Some(u.clone());
                u
            }
        };
        let (body, max_age) = get(http, &uri).await?;
        let ttl = max_age.map_or(DEFAULT_TTL, |s| Duration::from_secs(s).clamp(self.refetch_interval, MAX_TTL));
        // Parsing JSON and building keys is CPU work: off the async threads.
        let issuer = self.issuer.clone();
        let keys = tokio::task::spawn_blocking(move || parse_jwks(&issuer, &body))
            .await
            .map_err(|e| format!("the JWKS parse task failed: {e}"))??;
        Ok(KeySet { keys, fetched_at: Instant::now(), ttl })
    }

    /// `jwks_uri` from `{issuer}/.well-known/openid-configuration` (OpenID
    /// Connect Discovery 1.0 section 4), whose `issuer` must be ours (section 4.3).
    async fn discover(&self, http: &reqwest::Client) -> Result<String, String> {
        let url = format!("{}/.well-known/openid-configuration", self.issuer.trim_end_matches('/'));
        let (body, _) = get(http, &url).await?;
        #[derive(serde::Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }
        let doc: Discovery = serde_json::from_slice(&body).map_err(|e| format!("{url}: {e}"))?;
        if doc.issuer != self.issuer {
            return Err(format!("{url} names issuer `{}`, not `{}`", doc.issuer, self.issuer));
        }
        if !(doc.jwks_uri.starts_with("https://") || self.issuer.starts_with("http://")) {
            return Err(format!("{url}: jwks_uri `{}` is not https", doc.jwks_uri));
        }
        Ok(doc.jwks_uri)
    }
}

/// GETs `url`: the body (at most [`MAX_DOCUMENT_BYTES`]) and `max-age`.
pub(crate) async fn get(http: &reqwest::Client, url: &str) -> Result<(Vec<u8>, Option<u64>), String> {
    let mut resp = http.get(url).timeout(FETCH_TIMEOUT).send().await.map_err(|e| format!("{url}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("{url}: HTTP {}", resp.status()));
    }
    let max_age = resp.headers().get(reqwest::header::CACHE_CONTROL).and_then(|v| v.to_str().ok()).and_then(max_age);
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("{url}: {e}"))? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(format!("{url}: larger than {MAX_DOCUMENT_BYTES} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, max_age))
}

/// `max-age=N` of a Cache-Control value (RFC 9111 section 5.2.2.1);
/// `no-store`/`no-cache` count as 0 (then the refetch interval applies).
fn max_age(value: &str) -> Option<u64> {
    let mut age = None;
    for directive in value.split(',').map(str::trim) {
        if directive.eq_ignore_ascii_case("no-store") || directive.eq_ignore_ascii_case("no-cache") {
            return Some(0);
        }
        if let Some((k, v)) = directive.split_once('=')
            && k.trim().eq_ignore_ascii_case("max-age")
        {
            age = v.trim().trim_matches('"').parse().ok();
        }
    }
    age
}

/// The signing keys of a JWKS document. Symmetric (`oct`) keys are
/// skipped: a public document has no business holding secrets, and
/// accepting one would allow HMAC forgeries. Keys for encryption
/// (`use: enc`) and of unknown types are skipped too.
fn parse_jwks(issuer: &str, body: &[u8]) -> Result<Vec<Arc<Key>>, String> {
    let set: JwkSet = serde_json::from_slice(body).map_err(|e| format!("the JWKS of `{issuer}`: {e}"))?;
    let mut keys = Vec::with_capacity(set.keys.len());
    for jwk in &set.keys {
        match usable(jwk) {
            Ok(key) => keys.push(Arc::new(key)),
            Err(why) => tracing::debug!(%issuer, kid = ?jwk.common.key_id, %why, "JWKS key skipped"),
        }
    }
    Ok(keys)
}

fn usable(jwk: &Jwk) -> Result<Key, String> {
    if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
        return Err("not a signing key (`use`)".into());
    }
    let (family, curve) = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => (AlgorithmFamily::Rsa, None),
        AlgorithmParameters::EllipticCurve(p) => (AlgorithmFamily::Ec, Some(p.curve.clone())),
        AlgorithmParameters::OctetKeyPair(p) => (AlgorithmFamily::Ed, Some(p.curve.clone())),
        AlgorithmParameters::OctetKey(_) => return Err("symmetric (`oct`) keys are never used".into()),
        _ => return Err("unsupported key type".into()),
    };
    let alg = match jwk.common.key_algorithm {
        Some(a) => Some(Algorithm::try_from(a).map_err(|e| format!("`alg`: {e}"))?),
        None => None,
    };
    if alg.is_some_and(|a| a.family() != family) {
        return Err("`alg` does not fit the key type".into());
    }
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    Ok(Key { kid: jwk.common.key_id.clone(), key, family, alg, curve })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(max_age("public, max-age=3600"), Some(3600));
        assert_eq!(max_age("max-age=\"60\", must-revalidate"), Some(60));
        assert_eq!(max_age("no-store"), Some(0));
        assert_eq!(max_age("public"), None);
    }

    #[test]
    fn symmetric_and_encryption_keys_are_skipped() {
        let doc = serde_json::json!({"keys": [
            {"kty": "oct", "kid": "h", "k": "c2VjcmV0"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "sig", "use": "sig", "alg": "RS256", "n": "sXch", "e": "AQAB"},
            {"kty": "RSA", "kid": "lie", "alg": "ES256", "n": "sXch", "e": "AQAB"},
        ]});
        let keys = parse_jwks("i", doc.to_string().as_bytes()).unwrap();
        let kids: Vec<_> = keys.iter().map(|k| k.kid.clone().unwrap()).collect();
        assert_eq!(kids, vec!["sig"]);
        assert!(keys[0].fits(Algorithm::RS256));
        assert!(!keys[0].fits(Algorithm::RS384), "the JWK's alg pins the key");
        assert!(!keys[0].fits(Algorithm::HS256));
    }
}
