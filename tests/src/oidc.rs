//! A real OpenID Provider for single sign-on tests: PyPI's
//! `oidc-provider-mock` (authlib over HTTP: discovery, a login form, the
//! token endpoint, JWKS, RP-initiated logout), started per test on a free
//! loopback port, with `--require-nonce`.
//!
//! It is lenient about PKCE: it ignores `code_challenge`. RFC 7636 section
//! 4.6 has the server compare `BASE64URL(SHA256(code_verifier))` with the
//! challenge and refuse the token request otherwise; so the issuer the
//! tests use is a proxy in front of it that does exactly that (and records
//! how many exchanges it checked). The proxy passes the `Host` header on,
//! so the provider names the proxy's URL as its issuer.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The provider and its PKCE-checking proxy; both stop on drop.
pub struct OidcProvider {
    child: Child,
    /// The issuer URL (the proxy), e.g. `http://127.0.0.1:40123`.
    pub issuer: String,
    upstream: String,
    proxy: Arc<Proxy>,
    task: tokio::task::JoinHandle<()>,
}

struct Proxy {
    upstream: String,
    /// code → the challenge its authorization request carried.
    challenges: Mutex<HashMap<String, String>>,
    checked: AtomicUsize,
    refused: AtomicUsize,
    /// Passes redirects back to the browser instead of following them.
    http: reqwest::Client,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl OidcProvider {
    /// Starts `oidc-provider-mock` (or reports it missing: `None`, or a
    /// panic under STEWARD_TEST_REQUIRE_SERVICES=1).
    pub async fn start() -> Option<Self> {
        let port = free_port();
        let spawned = Command::new("oidc-provider-mock")
            .args(["--port", &port.to_string(), "--host", "127.0.0.1", "--require-nonce"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e) => {
                crate::missing_service("oidc-provider-mock (pip install oidc-provider-mock==0.3.4)", &e.to_string());
                return None;
            }
        };
        let upstream = format!("http://127.0.0.1:{port}");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let proxy = Arc::new(Proxy {
            upstream: upstream.clone(),
            challenges: Mutex::default(),
            checked: AtomicUsize::default(),
            refused: AtomicUsize::default(),
            http,
        });
        let app = axum::Router::new().fallback(forward).with_state(proxy.clone());
        let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let me = Self { child, issuer, upstream, proxy, task };
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let url = format!("{}/.well-known/openid-configuration", me.issuer);
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                let doc: Value = r.json().await.unwrap();
                assert_eq!(doc["issuer"], me.issuer.as_str(), "the provider names the proxy as issuer");
                return Some(me);
            }
            assert!(started.elapsed() < Duration::from_secs(30), "oidc-provider-mock did not start on {}", me.upstream);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Creates or replaces the user `sub` with these claims (`PUT /users/{sub}`).
    pub async fn set_user(&self, sub: &str, claims: Value) {
        let r =
            reqwest::Client::new().put(format!("{}/users/{sub}", self.upstream)).json(&claims).send().await.unwrap();
        assert!(r.status().is_success(), "PUT /users/{sub}: {}", r.status());
    }

    /// Token requests whose PKCE verifier the proxy checked (and refused).
    pub fn pkce(&self) -> (usize, usize) {
        (self.proxy.checked.load(Ordering::SeqCst), self.proxy.refused.load(Ordering::SeqCst))
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        self.task.abort();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

async fn forward(
    State(proxy): State<Arc<Proxy>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let query = uri.query().unwrap_or("").to_owned();
    if path == "/oauth2/token" {
        let form = String::from_utf8_lossy(&body).into_owned();
        if query_param(&form, "grant_type").as_deref() == Some("authorization_code") {
            proxy.checked.fetch_add(1, Ordering::SeqCst);
            let code = query_param(&form, "code").unwrap_or_default();
            let challenge = proxy.challenges.lock().unwrap().remove(&code);
            let verifier = query_param(&form, "code_verifier");
            let ok = match (challenge, verifier) {
                (Some(c), Some(v)) => {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == c
                }
                _ => false,
            };
            if !ok {
                proxy.refused.fetch_add(1, Ordering::SeqCst);
                let body =
                    serde_json::json!({"error": "invalid_grant", "error_description": "PKCE verification failed"});
                return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
            }
        }
    }
    let url = if query.is_empty() {
        format!("{}{path}", proxy.upstream)
    } else {
        format!("{}{path}?{query}", proxy.upstream)
    };
    let mut req = proxy.http.request(method.clone(), &url).body(body.to_vec());
    for (name, value) in &headers {
        if name != header::CONTENT_LENGTH && name != header::CONNECTION {
            req = req.header(name, value);
        }
    }
    let resp = match req.send().await {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let status = resp.status();
    let mut out_headers = HeaderMap::new();
    for (name, value) in resp.headers() {
        if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING && name != header::CONNECTION {
            out_headers.append(name, value.clone());
        }
    }
    // An authorization answered with a code: remember the request's challenge for it.
    if path == "/oauth2/authorize"
        && let Some(location) = out_headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
        && let Some((_, q)) = location.split_once('?')
        && let Some(code) = query_param(q, "code")
        && let Some(challenge) = query_param(&query, "code_challenge")
        && query_param(&query, "code_challenge_method").as_deref() == Some("S256")
    {
        proxy.challenges.lock().unwrap().insert(code, challenge);
    }
    let bytes = resp.bytes().await.unwrap_or_default();
    (status, out_headers, bytes).into_response()
}
