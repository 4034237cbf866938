//! Signing people in with OpenID Connect: the relying party's side of the
//! authorization code flow with PKCE, `state` and `nonce`, against any
//! provider found by its discovery document (Keycloak, Entra ID, Okta,
//! Google, ...), and the mapping of the ID token's claims to Steward roles.
//!
//! The flow (OpenID Connect Core 1.0 section 3.1; RFC 7636 for PKCE):
//! 1. [`Provider::begin`] makes a fresh `state`, `nonce` and PKCE verifier
//!    and the authorization URL; the caller keeps the three in a short-lived
//!    cookie and sends the browser to the URL.
//! 2. The provider sends the browser back with `code` and `state`; the
//!    caller compares `state` with its cookie and calls [`Provider::finish`],
//!    which redeems the code at the token endpoint (with the verifier and the
//!    client's credentials) and verifies the ID token: signature against the
//!    provider's JWKS, `iss`, `aud` = client id, `azp` when present, `exp`,
//!    `iat`, and `nonce` equal to the one sent (section 3.1.3.7).
//! 3. [`Provider::roles`] maps the claims to roles: every rule whose claims
//!    match adds its role (the union); none matching means no access.
//!
//! Nothing is cached about people: the claims are read at each sign-in, so
//! a change of groups at the provider takes effect at the next sign-in.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use steward_api::Role;
use tokio::sync::Mutex;

use crate::config::{Rule, check_rules, check_url};
use crate::{IssuerConfig, Verifier, VerifyError};

/// `portal.oidc`: the provider the portal signs people in with.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// The provider's issuer URL; its discovery document is
    /// `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// The client secret (`STEWARD__PORTAL__OIDC__CLIENT_SECRET` keeps it
    /// out of files); none for a public client (PKCE alone).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Where the provider sends people back: `<portal URL>/signin/oidc/callback`,
    /// registered with the provider exactly.
    pub redirect_url: String,
    /// Scopes asked for; `openid` is always sent.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Claims → roles: every rule whose claims all match grants its role
    /// and scopes (the union); a person matching none is refused. In the
    /// environment (`STEWARD__PORTAL__OIDC__ROLES`) the list as one JSON string.
    #[serde(deserialize_with = "rules_or_json")]
    pub roles: Vec<Rule>,
    /// Claims tried in order for the name the portal shows.
    #[serde(default = "default_name_claims")]
    pub display_name_claims: Vec<String>,
    /// The sign-in button's text (default: "Sign in with single sign-on").
    #[serde(default)]
    pub label: Option<String>,
    /// Accepted ID token algorithms (default RS256 and ES256; never `none` or HMAC).
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// How long a portal session lasts, in hours (default 12).
    #[serde(default = "default_session_hours")]
    pub session_hours: u32,
}

/// A list of rules as is, or a string holding it as JSON (from the environment).
fn rules_or_json<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Rule>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<Rule>),
        Text(String),
    }
    match ListOrText::deserialize(d)? {
        ListOrText::List(l) => Ok(l),
        ListOrText::Text(t) => serde_json::from_str(&t).map_err(serde::de::Error::custom),
    }
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "profile".into(), "email".into()]
}

fn default_name_claims() -> Vec<String> {
    vec!["name".into(), "preferred_username".into(), "email".into()]
}

fn default_algorithms() -> Vec<String> {
    vec!["RS256".into(), "ES256".into()]
}

const fn default_session_hours() -> u32 {
    12
}

impl ClientConfig {
    /// Checks what serde cannot; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        check_url("portal.oidc.issuer", &self.issuer)?;
        check_url("portal.oidc.redirect_url", &self.redirect_url)?;
        if !self.redirect_url.ends_with(CALLBACK_PATH) {
            return Err(format!(
                "portal.oidc.redirect_url: `{}` must end with {CALLBACK_PATH} (the portal's callback)",
                self.redirect_url
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err("portal.oidc.client_id: empty".into());
        }
        if self.client_secret.as_deref().is_some_and(|s| s.trim().is_empty()) {
            return Err("portal.oidc.client_secret: empty (leave it out for a public client)".into());
        }
        if self.roles.is_empty() {
            return Err("portal.oidc.roles: at least one rule is required (people matching none are refused)".into());
        }
        check_rules(&self.roles, "portal.oidc.roles", true)?;
        if !(1..=24 * 30).contains(&self.session_hours) {
            return Err(format!("portal.oidc.session_hours: 1 to 720, not {}", self.session_hours));
        }
        self.id_token_issuer().check_keys(0).map_err(|e| format!("portal.oidc: {}", e.message))?;
        Ok(())
    }

    fn id_token_issuer(&self) -> IssuerConfig {
        let mut c = IssuerConfig::new(self.issuer.clone(), self.client_id.clone());
        c.algorithms = self.algorithms.clone();
        c
    }
}

/// The portal's callback path; `redirect_url` ends with it.
pub const CALLBACK_PATH: &str = "/signin/oidc/callback";

/// What went wrong in a sign-in. The messages are for the person signing
/// in and the log; none carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider (discovery, token endpoint) cannot be reached or
    /// answered nonsense: not the person's fault.
    #[error("the identity provider is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused to redeem the code (expired, replayed, wrong client).
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    /// The ID token did not verify (the reason is for the log).
    #[error("the identity provider's ID token did not verify: {0}")]
    IdToken(#[from] VerifyError),
    /// `nonce` missing or not the one this sign-in sent (a replayed token).
    #[error("the ID token's nonce is not this sign-in's")]
    Nonce,
}

/// The provider's metadata (OpenID Connect Discovery 1.0 section 3).
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// A sign-in under way: what the browser's short-lived cookie keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// A person the provider vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub subject: String,
    pub issuer: String,
    pub display_name: String,
    pub email: String,
    /// The provider's session id (`sid`), if sent (for its logout).
    pub sid: Option<String>,
    /// The raw ID token: the `id_token_hint` of a later sign-out.
    pub id_token: String,
    /// Every claim of the ID token, for the role mapping.
    pub claims: Map<String, Value>,
}

/// The provider: its configuration, its metadata once fetched, and the
/// verifier of its ID tokens. Cheap to share (`Arc`).
pub struct Provider {
    config: ClientConfig,
    http: reqwest::Client,
    metadata: Mutex<Option<Arc<Metadata>>>,
    verifier: Verifier,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .finish()
    }
}

/// 32 random bytes, base64url: `state`, `nonce` and the PKCE verifier
/// (RFC 7636 section 4.1 asks 43-128 characters; this is 43).
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `S256` code challenge of a verifier (RFC 7636 section 4.2).
pub fn code_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl Provider {
    /// A provider for `config` (checked); nothing is fetched until the first sign-in.
    pub fn new(config: ClientConfig) -> Result<Self, String> {
        config.check()?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            // The token endpoint must answer, not send us elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("portal.oidc: HTTP client: {e}"))?;
        let verifier = Verifier::without_rules(config.id_token_issuer()).map_err(|e| format!("portal.oidc: {e}"))?;
        Ok(Self { config, http, metadata: Mutex::new(None), verifier })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The discovery document, fetched once and kept (a failed fetch is retried at the next sign-in).
    pub async fn metadata(&self) -> Result<Arc<Metadata>, OidcError> {
        let mut cached = self.metadata.lock().await;
        if let Some(m) = cached.as_ref() {
            return Ok(m.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.config.issuer.trim_end_matches('/'));
        let (body, _) = crate::jwks::get(&self.http, &url).await.map_err(OidcError::Unavailable)?;
        let m: Metadata = serde_json::from_slice(&body).map_err(|e| OidcError::Unavailable(format!("{url}: {e}")))?;
        // Discovery section 4.3: the document must name exactly our issuer.
        if m.issuer != self.config.issuer {
            return Err(OidcError::Unavailable(format!(
                "{url} names issuer `{}`, not `{}`",
                m.issuer, self.config.issuer
            )));
        }
        for (field, u) in [("authorization_endpoint", &m.authorization_endpoint), ("token_endpoint", &m.token_endpoint)]
        {
            check_url(field, u).map_err(|e| OidcError::Unavailable(format!("{url}: {e}")))?;
        }
        let m = Arc::new(m);
        *cached = Some(m.clone());
        Ok(m)
    }

    /// Starts a sign-in: the secrets to keep and the URL to send the browser to.
    pub async fn begin(&self) -> Result<(Pending, String), OidcError> {
        let meta = self.metadata().await?;
        let pending = Pending { state: random_token(), nonce: random_token(), verifier: random_token() };
        let mut scopes: Vec<&str> = vec!["openid"];
        scopes.extend(self.config.scopes.iter().map(String::as_str).filter(|s| *s != "openid"));
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &self.config.redirect_url)
            .append_pair("scope", &scopes.join(" "))
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &code_challenge(&pending.verifier))
            .append_pair("code_challenge_method", "S256")
            .finish();
        let sep = if meta.authorization_endpoint.contains('?') { '&' } else { '?' };
        Ok((pending, format!("{}{sep}{query}", meta.authorization_endpoint)))
    }

    /// Redeems `code` and verifies the ID token against `pending`'s nonce.
    /// The signature check is CPU work: it runs on the blocking pool.
    pub async fn finish(&self, code: &str, pending: &Pending) -> Result<SignedIn, OidcError> {
        let meta = self.metadata().await?;
        let id_token = self.redeem(&meta, code, &pending.verifier).await?;
        let prepared = self.verifier.prepare(&id_token).await?;
        let (claims, subject) = tokio::task::spawn_blocking(move || prepared.claims())
            .await
            .map_err(|e| OidcError::Unavailable(format!("verification task: {e}")))??;
        // Core section 3.1.3.7: with several audiences `azp` must be us;
        // when present at all it must be us.
        if let Some(azp) = claims.get("azp")
            && azp.as_str() != Some(self.config.client_id.as_str())
        {
            return Err(VerifyError::WrongAudience.into());
        }
        // The nonce ties the token to this browser's sign-in (Core 3.1.2.1, 15.5.2).
        let nonce_ok = claims.get("nonce").and_then(Value::as_str).is_some_and(|n| constant_eq(n, &pending.nonce));
        if !nonce_ok {
            return Err(OidcError::Nonce);
        }
        let text = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.chars().count() <= 200 && !s.chars().any(char::is_control))
                .map(str::to_owned)
        };
        let display_name =
            self.config.display_name_claims.iter().find_map(|c| text(c)).unwrap_or_else(|| subject.clone());
        let email = text("email").filter(|e| e.contains('@') && !e.contains(['<', '>'])).unwrap_or_default();
        let sid = text("sid");
        Ok(SignedIn { subject, issuer: self.config.issuer.clone(), display_name, email, sid, id_token, claims })
    }

    /// The token request (RFC 6749 section 4.1.3, with RFC 7636's verifier);
    /// the client authenticates with HTTP Basic unless the provider only
    /// takes `client_secret_post`.
    async fn redeem(&self, meta: &Metadata, code: &str, verifier: &str) -> Result<String, OidcError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", self.config.redirect_url.as_str()),
            ("code_verifier", verifier),
            ("client_id", self.config.client_id.as_str()),
        ];
        let methods = meta.token_endpoint_auth_methods_supported.as_deref().unwrap_or_default();
        let post_only = !methods.is_empty()
            && methods.iter().any(|m| m == "client_secret_post")
            && !methods.iter().any(|m| m == "client_secret_basic");
        let mut req = self.http.post(&meta.token_endpoint).header(reqwest::header::ACCEPT, "application/json");
        if let Some(secret) = self.config.client_secret.as_deref() {
            if post_only {
                form.push(("client_secret", secret));
            } else {
                // RFC 6749 section 2.3.1: both parts form-urlencoded first.
                let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
                req = req.basic_auth(enc(&self.config.client_id), Some(enc(secret)));
            }
        }
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let resp = req
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| OidcError::Unavailable(format!("token endpoint: {e}")))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| OidcError::Unavailable(format!("token endpoint: {e}")))?;
        #[derive(Deserialize)]
        struct TokenResponse {
            id_token: Option<String>,
            error: Option<String>,
            error_description: Option<String>,
        }
        let parsed: Option<TokenResponse> = serde_json::from_str(&text).ok();
        match parsed {
            Some(TokenResponse { id_token: Some(t), .. }) if status.is_success() => Ok(t),
            Some(TokenResponse { error: Some(e), error_description, .. }) => {
                let what = error_description.map_or(e.clone(), |d| format!("{e}: {d}"));
                Err(OidcError::Refused(printable(&what)))
            }
            _ if status.is_success() => Err(OidcError::Refused("the token response holds no id_token".into())),
            _ => Err(OidcError::Unavailable(format!("token endpoint: HTTP {status}"))),
        }
    }

    /// The roles `claims` map to: every matching rule's (the union), in the
    /// configuration's order. Empty means no access.
    pub fn roles(&self, claims: &Map<String, Value>) -> Vec<(Role, Vec<String>)> {
        crate::rules::all_matches(&self.config.roles, claims)
            .into_iter()
            .map(|i| (self.config.roles[i].role, self.config.roles[i].scopes.clone()))
            .collect()
    }

    /// The claims the rules look at, for the "no access" page: what this
    /// person's token said of them (e.g. `groups: [staff]`).
    pub fn mapped_claims(&self, claims: &Map<String, Value>) -> BTreeMap<String, Value> {
        self.config
            .roles
            .iter()
            .flat_map(|r| r.claims.keys())
            .filter_map(|k| claims.get(k).map(|v| (k.clone(), v.clone())))
            .collect()
    }

    /// Verifies a back-channel logout token from the provider (OIDC
    /// Back-Channel Logout 1.0); returns the `sub` and `sid` it ends.
    pub async fn verify_logout(&self, token: &str) -> Result<(Option<String>, Option<String>), OidcError> {
        let prepared = self.verifier.prepare(token).await?;
        Ok(tokio::task::spawn_blocking(move || prepared.logout())
            .await
            .map_err(|e| OidcError::Unavailable(format!("verification task: {e}")))??)
    }

    /// Where to send the browser to end the provider's session too
    /// (RP-Initiated Logout 1.0), if the provider has an end-session endpoint.
    pub async fn logout_url(&self, id_token_hint: Option<&str>, post_logout_redirect: &str) -> Option<String> {
        let meta = self.metadata().await.ok()?;
        let endpoint = meta.end_session_endpoint.as_deref()?;
        check_url("end_session_endpoint", endpoint).ok()?;
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("client_id", &self.config.client_id);
        q.append_pair("post_logout_redirect_uri", post_logout_redirect);
        if let Some(hint) = id_token_hint {
            q.append_pair("id_token_hint", hint);
        }
        let sep = if endpoint.contains('?') { '&' } else { '?' };
        Some(format!("{endpoint}{sep}{}", q.finish()))
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A provider's message, cut to printable characters and 300 of them.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(300).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ClientConfig {
        serde_json::from_value(serde_json::json!({
            "issuer": "https://idp.example.com/realms/acme",
            "client_id": "steward",
            "client_secret": "s3cret",
            "redirect_url": "https://steward.example.com/signin/oidc/callback",
            "roles": [
                {"claims": {"groups": "steward-reviewers"}, "role": "reviewer"},
                {"claims": {"groups": "sales-data"}, "role": "producer", "scopes": ["sales"]},
                {"claims": {"groups": "analysts"}, "role": "consumer", "scopes": ["111122223333"]}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn the_pkce_challenge_is_rfc_7636s() {
        // RFC 7636 appendix B: the verifier of its 32 octets and its S256 challenge.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let t = random_token();
        assert_eq!(t.len(), 43);
        assert_ne!(t, random_token());
    }

    #[test]
    fn a_person_holds_the_union_of_their_groups_roles() {
        let p = Provider::new(config()).unwrap();
        let claims = |v: Value| v.as_object().unwrap().clone();
        let both = p.roles(&claims(serde_json::json!({"groups": ["sales-data", "steward-reviewers", "other"]})));
        assert_eq!(both, vec![(Role::Reviewer, vec![]), (Role::Producer, vec!["sales".to_owned()])]);
        assert!(p.roles(&claims(serde_json::json!({"groups": ["staff"]}))).is_empty(), "no group, no role");
        assert!(p.roles(&claims(serde_json::json!({}))).is_empty());
        let shown = p.mapped_claims(&claims(serde_json::json!({"groups": ["staff"], "email": "a@b"})));
        assert_eq!(shown.keys().collect::<Vec<_>>(), ["groups"], "only the claims the rules read");
    }

    #[test]
    fn configuration_mistakes_are_named() {
        let mut c = config();
        c.redirect_url = "https://steward.example.com/callback".into();
        assert!(c.check().unwrap_err().contains("redirect_url"), "{:?}", c.check());
        let mut c = config();
        c.issuer = "http://idp.example.com".into();
        assert!(c.check().unwrap_err().contains("portal.oidc.issuer"));
        let mut c = config();
        c.roles.clear();
        assert!(c.check().unwrap_err().contains("portal.oidc.roles"));
        let mut c = config();
        c.algorithms = vec!["HS256".into()];
        assert!(c.check().unwrap_err().contains("HS256"));
        let mut c = config();
        c.roles[1].scopes.clear();
        assert!(c.check().unwrap_err().contains("portal.oidc.roles[1]"));
        assert!(config().check().is_ok());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_eq("abc", "abc"));
        assert!(!constant_eq("abc", "abd") && !constant_eq("abc", "ab") && !constant_eq("", "a"));
    }
}
