//! Sign-in, the session cookie and CSRF tokens.
//!
//! The session cookie holds the API token itself (HttpOnly, SameSite=Strict,
//! Secure over https) and every request authenticates it through
//! [`Service::authenticate`]. That keeps replicas stateless (there is no
//! session table to share) and makes revoking a token end its portal
//! sessions at once.
//!
//! CSRF: each form carries `HMAC-SHA256(key = SHA-256(token), "steward-portal/csrf/v1")`,
//! which only someone holding the token can compute, and every POST is
//! refused (403) unless it carries that value. The sign-in form has no
//! session yet, so it uses a double-submit token: a random value in a
//! short-lived SameSite=Strict cookie that the form must repeat (this stops
//! a foreign page from signing a victim into the attacker's account).

use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use maud::html;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use steward_catalog::api::AppState;
use steward_catalog::auth::Principal;
use steward_catalog::service::Service;

use std::sync::Arc;

use steward_catalog::service::sessions::is_session_secret;

use crate::oidc::{HINT_COOKIE, SignInOptions};
use crate::page::{self, PageError};

/// The session cookie: the API token.
pub const SESSION_COOKIE: &str = "steward_session";
/// The sign-in form's double-submit cookie.
pub const SIGNIN_COOKIE: &str = "steward_signin";
/// The form field every POST carries.
pub const CSRF_FIELD: &str = "csrf";
const CSRF_LABEL: &[u8] = b"steward-portal/csrf/v1";
/// Sessions end after 12 hours of the browser's clock; the token may end them sooner.
const SESSION_MAX_AGE: u64 = 12 * 60 * 60;

/// A signed-in reviewer, producer, consumer or admin.
#[derive(Debug, Clone)]
pub struct Session {
    pub who: Principal,
    /// The CSRF token for this session's forms.
    pub csrf: String,
}

/// The CSRF token of a session holding `secret`.
pub fn csrf_token(secret: &str) -> String {
    hex::encode(csrf_mac(secret).finalize().into_bytes())
}

fn csrf_mac(secret: &str) -> Hmac<Sha256> {
    let key = Sha256::digest(secret.as_bytes());
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(CSRF_LABEL);
    mac
}

/// Constant-time check of a submitted CSRF token.
fn csrf_ok(secret: &str, submitted: &str) -> bool {
    match hex::decode(submitted) {
        Ok(bytes) => csrf_mac(secret).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// Values of the cookie `name` across all `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Is the browser talking https to us (directly or through a proxy that says so)?
pub(crate) fn is_https(parts_uri: &axum::http::Uri, headers: &HeaderMap) -> bool {
    let forwarded = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').next().is_some_and(|p| p.trim().eq_ignore_ascii_case("https")));
    parts_uri.scheme_str() == Some("https") || forwarded
}

pub(crate) fn set_cookie(name: &str, value: &str, max_age: u64, secure: bool) -> HeaderValue {
    set_cookie_with(name, value, max_age, secure, "Strict", "/")
}

/// An HttpOnly cookie with its SameSite mode and path.
pub(crate) fn set_cookie_with(
    name: &str,
    value: &str,
    max_age: u64,
    secure: bool,
    same_site: &str,
    path: &str,
) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}"
    ))
    .expect("cookie values are token characters")
}

/// Only local paths are followed after sign-in (no open redirect); anything
/// else goes to `/`.
///
/// Browsers strip tabs and line breaks from URLs and treat `\` like `/`, so
/// `/\t/evil.example` or `/%09/evil.example` would become `//evil.example`,
/// another origin. So the path must be plain visible ASCII and, after
/// percent-decoding too, hold no control character, whitespace or backslash
/// and not start with `//`. CR/LF can never reach the `Location` header.
pub(crate) fn local_path(next: Option<&str>) -> &str {
    let Some(p) = next else { return "/" };
    let decoded: String = percent_decode(p);
    let plain = |s: &str| !s.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    let ok = p.len() <= 2048
        && p.bytes().all(|b| b.is_ascii_graphic())
        && plain(&decoded)
        && p.starts_with('/')
        && !p.starts_with("//")
        && !decoded.starts_with("//")
        && !p.starts_with("/signin");
    if ok { p } else { "/" }
}

/// `%XX` decoded (lossy: invalid UTF-8 becomes U+FFFD); other bytes as they are.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (bytes.get(i + 1).and_then(|&b| hex(b)), bytes.get(i + 2).and_then(|&b| hex(b)))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl FromRequestParts<AppState> for Session {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_owned();
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(PageError::SignIn { next });
        };
        let token_signin = parts.extensions.get::<Arc<SignInOptions>>().is_none_or(|o| o.token_signin);
        let found = if is_session_secret(secret) {
            state.service.portal_session(secret).await
        } else if token_signin {
            state.service.authenticate(secret).await
        } else {
            // Token sign-in is off: a token cookie from before no longer opens the portal.
            Ok(None)
        };
        match found {
            Ok(Some(who)) => Ok(Session { who, csrf: csrf_token(secret) }),
            Ok(None) => Err(PageError::SignIn { next }),
            Err(e) => Err(PageError::from(e)),
        }
    }
}

impl Session {
    /// Parses a POSTed form after checking its CSRF token; 403 when the
    /// token is missing or wrong. The body is read whatever its content type,
    /// so a forged request cannot dodge the check by sending something else.
    pub fn form<T: serde::de::DeserializeOwned>(&self, headers: &HeaderMap, body: &[u8]) -> Result<T, PageError> {
        let secret = cookie(headers, SESSION_COOKIE).unwrap_or_default();
        let fields: Vec<(String, String)> = serde_urlencoded_pairs(body);
        let submitted = fields.iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v.as_str()).unwrap_or("");
        if submitted.is_empty() || !csrf_ok(secret, submitted) {
            return Err(PageError::page(
                StatusCode::FORBIDDEN,
                "Form refused",
                "the form's CSRF token is missing or does not match your session; reload the page and try again",
            )
            .signed_in(self));
        }
        serde_json::from_value(serde_json::Value::Object(
            fields.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect(),
        ))
        .map_err(|e| {
            PageError::page(StatusCode::BAD_REQUEST, "Bad form", format!("the form is malformed: {e}")).signed_in(self)
        })
    }
}

/// `application/x-www-form-urlencoded` pairs; later duplicates win.
fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        out.retain(|(existing, _)| *existing != k);
        out.push((k.into_owned(), v.into_owned()));
    }
    out
}

#[derive(Deserialize)]
pub struct NextParam {
    pub next: Option<String>,
}

/// `GET /signin`: the sign-in form, with a fresh double-submit token.
pub async fn signin_page(
    axum::Extension(options): axum::Extension<Arc<SignInOptions>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    Query(q): Query<NextParam>,
) -> Response {
    let nonce = new_nonce();
    let mut resp = signin_form(&options, StatusCode::OK, &nonce, q.next.as_deref(), None);
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(SIGNIN_COOKIE, &nonce, 600, is_https(&uri, &headers)));
    resp
}

fn new_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn signin_form(
    options: &SignInOptions,
    status: StatusCode,
    nonce: &str,
    next: Option<&str>,
    error: Option<&str>,
) -> Response {
    let sso = options.label().map(|label| {
        let href = match next {
            Some(n) => format!("/signin/oidc?next={}", page::enc(local_path(Some(n)))),
            None => "/signin/oidc".to_owned(),
        };
        (label, href)
    });
    let body = html! {
        section.signin {
            h1 { "Sign in" }
            @if let Some(e) = error { p.flash.error role="alert" { (e) } }
            @if let Some((label, href)) = &sso {
                p { a.button.primary #sso href=(href) { (label) } }
            }
            @if options.token_signin {
            @if sso.is_some() { p.muted { "Or, with an API token (for admins and automation):" } }
            @else { p.muted { "Use your Steward API token (the same one the CLI reads from " code { "STEWARD_TOKEN" } ")." } }
            form method="post" action="/signin" {
                input type="hidden" name=(CSRF_FIELD) value=(nonce);
                @if let Some(n) = next { input type="hidden" name="next" value=(n); }
                label for="token" { "API token" }
                // The single sign-on button is the way in when there is one; focus the token otherwise.
                input #token type="password" name="token" autocomplete="current-password" required
                    autofocus[sso.is_none()] placeholder="stw_…";
                button.primary type="submit" { "Sign in" }
            }
            }
        }
    };
    (status, page::shell("Sign in", None, body)).into_response()
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf: Option<String>,
    token: Option<String>,
    next: Option<String>,
}

/// `POST /signin`: checks the double-submit token, then the API token.
pub async fn signin(
    State(service): State<Service>,
    axum::Extension(options): axum::Extension<Arc<SignInOptions>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    axum::Form(f): axum::Form<SignInForm>,
) -> Response {
    if !options.token_signin {
        return PageError::page(
            StatusCode::FORBIDDEN,
            "Token sign-in is off",
            "This Steward signs people in through single sign-on only (portal.token_signin is false).",
        )
        .into_response();
    }
    let expected = cookie(&headers, SIGNIN_COOKIE).unwrap_or_default();
    let submitted = f.csrf.as_deref().unwrap_or_default();
    let nonce_ok = !expected.is_empty() && expected.len() == submitted.len() && {
        // Constant time, like the session's CSRF check.
        expected.bytes().zip(submitted.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    };
    if !nonce_ok {
        let nonce = new_nonce();
        let mut resp = signin_form(
            &options,
            StatusCode::FORBIDDEN,
            &nonce,
            f.next.as_deref(),
            Some("the sign-in form expired or came from another site; please sign in again"),
        );
        resp.headers_mut().append(header::SET_COOKIE, set_cookie(SIGNIN_COOKIE, &nonce, 600, is_https(&uri, &headers)));
        return resp;
    }
    let token = f.token.as_deref().unwrap_or_default().trim();
    let found = if token.is_empty() || token.len() > 256 { Ok(None) } else { service.authenticate(token).await };
    match found {
        Ok(Some(_)) if is_cookie_safe(token) => {
            let secure = is_https(&uri, &headers);
            let mut resp = Redirect::to(local_path(f.next.as_deref())).into_response();
            resp.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, token, SESSION_MAX_AGE, secure));
            resp.headers_mut().append(header::SET_COOKIE, set_cookie(SIGNIN_COOKIE, "", 0, secure));
            resp
        }
        Ok(_) => signin_form(
            &options,
            StatusCode::UNAUTHORIZED,
            submitted,
            f.next.as_deref(),
            Some("unknown, revoked or expired token"),
        ),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// Tokens are `stw_` and hex; anything else could not have authenticated,
/// but never put a value in a cookie header that would need quoting.
fn is_cookie_safe(token: &str) -> bool {
    token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `POST /signout`: ends the session (CSRF-checked, so no one signs you
/// out from afar). A single sign-on session's row is deleted, so the
/// cookie is dead on every replica, and the browser goes on to the
/// provider's end-session endpoint to end the provider's session too.
pub async fn signout(
    State(service): State<Service>,
    axum::Extension(options): axum::Extension<Arc<SignInOptions>>,
    session: Session,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = session.form::<serde_json::Value>(&headers, &body) {
        return e.into_response();
    }
    let secret = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    let next = if is_session_secret(secret) {
        if let Err(e) = service.end_portal_session(&session.who, secret).await {
            return PageError::from(e).into_response();
        }
        crate::oidc::after_signout(&options, &headers).await
    } else {
        "/signin".to_owned()
    };
    let secure = is_https(&uri, &headers);
    let mut resp = if next.starts_with('/') {
        Redirect::to(&next).into_response()
    } else {
        // On to the provider by a page, not a redirect: CSP `form-action
        // 'self'` also governs where a form's redirects may lead.
        let body = html! {
            section.signin {
                h1 { "Signed out of Steward" }
                p { a #provider-signout href=(next) { "Sign out at your identity provider too" } }
            }
        };
        (StatusCode::OK, page::shell_with_refresh("Signed out", &next, body)).into_response()
    };
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, secure));
    resp.headers_mut().append(header::SET_COOKIE, set_cookie_with(HINT_COOKIE, "", 0, secure, "Strict", "/signout"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_per_session_and_checked() {
        let a = csrf_token("stw_aaaa");
        assert_eq!(a.len(), 64);
        assert_eq!(a, csrf_token("stw_aaaa"));
        assert_ne!(a, csrf_token("stw_bbbb"));
        assert!(csrf_ok("stw_aaaa", &a));
        assert!(!csrf_ok("stw_bbbb", &a));
        assert!(!csrf_ok("stw_aaaa", "zz"));
        assert!(!csrf_ok("stw_aaaa", ""));
    }

    #[test]
    fn reads_cookies_from_any_header() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; steward_session=stw_x"));
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("stw_x"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn follows_only_local_paths() {
        assert_eq!(local_path(Some("/proposals/3")), "/proposals/3");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
        assert_eq!(local_path(Some("/proposals?status=all&x=%2F")), "/proposals?status=all&x=%2F");
    }

    #[test]
    fn refuses_paths_a_browser_would_turn_into_another_origin() {
        for bad in [
            "/\t/evil.example/x",
            "/%09/evil.example/x",
            "/%0a/evil.example",
            "/\r\nSet-Cookie: x=1",
            "/%0d%0aSet-Cookie:%20x=1",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/ /evil.example",
            "/%20/evil.example",
            "/\u{0}",
            "/%00",
            "/caf\u{e9}",
            "/%C2%85x",
            "/signin?next=/",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
    }
}
