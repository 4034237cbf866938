//! A local OIDC issuer for workload-identity tests: a real HTTP server
//! (axum on 127.0.0.1) serving `/.well-known/openid-configuration` and a
//! JWKS whose keys the test controls and can rotate, counting fetches; and
//! tokens signed with the TEST-ONLY key pairs in `tests/fixtures/identity/`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const RSA_A: &str = include_str!("../fixtures/identity/TEST-ONLY-rsa-a.key.pem");
const RSA_B: &str = include_str!("../fixtures/identity/TEST-ONLY-rsa-b.key.pem");
const EC_P256: &str = include_str!("../fixtures/identity/TEST-ONLY-ec-p256.key.pem");
/// The public half of [`rsa_a`], as PEM: what an attacker signs HS256 with.
pub const RSA_A_PUBLIC_PEM: &str = include_str!("../fixtures/identity/TEST-ONLY-rsa-a.pub.pem");

/// A TEST-ONLY signing key with its `kid` and `alg`.
#[derive(Clone)]
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
}

impl TestKey {
    /// Its public JWK (with `kid`, `alg` and `use: sig`), as a JWKS serves it.
    pub fn jwk(&self) -> Value {
        let mut jwk = Jwk::from_encoding_key(&self.encoding, self.alg).expect("a JWK from a test key");
        jwk.common.key_id = Some(self.kid.clone());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        serde_json::to_value(jwk).unwrap()
    }

    /// `claims` signed with this key (header: `alg`, `kid`, `typ: JWT`).
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signing a test token")
    }

    /// Signed with this key but naming another `kid` in the header.
    pub fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signing a test token")
    }
}

/// RS256 key `key-a` (TEST-ONLY).
pub fn rsa_a() -> TestKey {
    TestKey {
        kid: "key-a".into(),
        alg: Algorithm::RS256,
        encoding: EncodingKey::from_rsa_pem(RSA_A.as_bytes()).unwrap(),
    }
}

/// RS256 key `key-b` (TEST-ONLY), the one a rotation switches to.
pub fn rsa_b() -> TestKey {
    TestKey {
        kid: "key-b".into(),
        alg: Algorithm::RS256,
        encoding: EncodingKey::from_rsa_pem(RSA_B.as_bytes()).unwrap(),
    }
}

/// ES256 key `key-ec` (TEST-ONLY).
pub fn ec_p256() -> TestKey {
    TestKey {
        kid: "key-ec".into(),
        alg: Algorithm::ES256,
        encoding: EncodingKey::from_ec_pem(EC_P256.as_bytes()).unwrap(),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// An unsigned token: `alg: none`, empty signature segment replaced by
/// `sig` (a verifier must refuse it whatever the third segment holds).
pub fn unsigned(kid: &str, claims: &Value, sig: &str) -> String {
    let header = json!({"alg": "none", "typ": "JWT", "kid": kid});
    format!("{}.{}.{sig}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()))
}

/// The algorithm-confusion forgery (RFC 8725 section 2.1): HS256 with the
/// issuer's public key PEM as the HMAC secret, naming the RSA key's `kid`.
pub fn hs256_with_public_key(kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(RSA_A_PUBLIC_PEM.as_bytes()).unwrap()).unwrap()
}

/// `token` with its payload replaced by `claims` (signature kept).
pub fn tampered(token: &str, claims: &Value) -> String {
    let mut parts = token.split('.');
    let (h, _, s) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    format!("{h}.{}.{s}", b64(claims.to_string().as_bytes()))
}

/// Seconds since the epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A GitHub Actions OIDC token's claims, as documented in "About security
/// hardening with OpenID Connect" (docs.github.com): `sub` is
/// `repo:<owner>/<repo>:ref:<ref>`; valid now for five minutes.
pub fn github_claims(iss: &str, aud: &str, repository: &str, git_ref: &str) -> Value {
    let now = now();
    json!({
        "iss": iss,
        "aud": aud,
        "sub": format!("repo:{repository}:ref:{git_ref}"),
        "repository": repository,
        "repository_owner": repository.split('/').next().unwrap(),
        "ref": git_ref,
        "ref_type": "branch",
        "environment": "production",
        "workflow": "publish",
        "event_name": "push",
        "actor": "octocat",
        "jti": format!("jti-{now}"),
        "iat": now,
        "nbf": now - 5,
        "exp": now + 300,
    })
}

#[derive(Default)]
struct IssuerState {
    url: Mutex<String>,
    jwks: Mutex<Value>,
    cache_control: Mutex<Option<String>>,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
}

/// A running local issuer; the server stops when the runtime does.
pub struct TestIssuer {
    /// The issuer identifier (`iss`), e.g. `http://127.0.0.1:41234`.
    pub url: String,
    state: Arc<IssuerState>,
}

impl TestIssuer {
    /// Starts serving `keys` on an ephemeral loopback port.
    pub async fn start(keys: &[&TestKey]) -> Self {
        let state = Arc::new(IssuerState::default());
        let app = axum::Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        *state.url.lock().unwrap() = url.clone();
        tokio::spawn(async move { axum::serve(listener, app).await.expect("the test issuer serves") });
        let issuer = Self { url, state };
        issuer.set_keys(keys);
        issuer
    }

    /// Serves exactly these keys from now on (a rotation).
    pub fn set_keys(&self, keys: &[&TestKey]) {
        *self.state.jwks.lock().unwrap() = json!({"keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>()});
    }

    /// Sends this `Cache-Control` with the JWKS.
    pub fn set_cache_control(&self, value: Option<&str>) {
        *self.state.cache_control.lock().unwrap() = value.map(str::to_owned);
    }

    /// How many times the JWKS was fetched.
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    /// How many times the discovery document was fetched.
    pub fn discovery_fetches(&self) -> usize {
        self.state.discovery_fetches.load(Ordering::SeqCst)
    }
}

async fn discovery(State(s): State<Arc<IssuerState>>) -> Json<Value> {
    s.discovery_fetches.fetch_add(1, Ordering::SeqCst);
    let url = s.url.lock().unwrap().clone();
    Json(json!({
        "issuer": url,
        "jwks_uri": format!("{url}/jwks"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
    }))
}

async fn jwks(State(s): State<Arc<IssuerState>>) -> impl IntoResponse {
    s.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    let body = s.jwks.lock().unwrap().clone();
    let cc = s.cache_control.lock().unwrap().clone();
    let mut resp = Json(body).into_response();
    if let Some(cc) = cc {
        resp.headers_mut().insert(header::CACHE_CONTROL, cc.parse().unwrap());
    }
    resp
}
