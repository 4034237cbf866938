//! Single sign-on: the portal's routes of the OpenID Connect code flow
//! (the protocol is `steward_identity::oidc`), its short-lived cookie, the
//! "no access" page, and sign-out at the provider.
//!
//! - `GET /signin/oidc?next=` starts a sign-in: `state`, `nonce` and the
//!   PKCE verifier go into the `steward_oidc` cookie (HttpOnly,
//!   SameSite=Lax: the provider's redirect back is a cross-site top-level
//!   navigation, which a Strict cookie would not accompany; 10 minutes),
//!   the browser to the provider.
//! - `GET /signin/oidc/callback` checks `state` against the cookie, redeems
//!   the code, verifies the ID token (nonce included), maps the claims to
//!   roles and starts a session (`Service::start_portal_session`). It
//!   answers with a page that moves on to `next` itself: the session cookie
//!   is SameSite=Strict, and browsers hold Strict cookies back on a redirect
//!   chain that began at another site.
//! - Nobody matching a rule gets a 403 page saying who the provider says
//!   they are, what the rules read of them, and whom to ask.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use maud::html;
use serde::Deserialize;
use steward_catalog::auth::HeldRole;
use steward_catalog::service::Service;
use steward_catalog::service::sessions::NewSession;
use steward_identity::oidc::{OidcError, Pending, Provider, constant_eq};

use crate::page;
use crate::session::{NextParam, cookie, is_https, local_path, set_cookie_with};

/// The cookie of a sign-in under way.
pub const OIDC_COOKIE: &str = "steward_oidc";
/// The ID token of the session, sent as `id_token_hint` at sign-out
/// (some providers, Okta among them, require it).
pub const HINT_COOKIE: &str = "steward_idhint";
const PENDING_MAX_AGE: u64 = 600;

/// How people sign in: the portal's part of the configuration.
#[derive(Debug, Clone)]
pub struct SignInOptions {
    /// The API token form (bootstrap, break-glass).
    pub token_signin: bool,
    pub oidc: Option<Arc<Provider>>,
}

impl Default for SignInOptions {
    fn default() -> Self {
        Self { token_signin: true, oidc: None }
    }
}

impl SignInOptions {
    /// From Steward's configuration (`portal.*`), checked already.
    pub fn from_config(c: &steward_catalog::config::PortalConfig) -> Result<Self, String> {
        let oidc = c.oidc.clone().map(Provider::new).transpose()?.map(Arc::new);
        Ok(Self { token_signin: c.token_signin, oidc })
    }

    /// The sign-in button's text.
    pub fn label(&self) -> Option<String> {
        let p = self.oidc.as_ref()?;
        Some(p.config().label.clone().unwrap_or_else(|| "Sign in with single sign-on".to_owned()))
    }
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s.as_bytes())
}

fn unb64(s: &str) -> Option<String> {
    String::from_utf8(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()?).ok()
}

/// `state.nonce.verifier.base64url(next)`: all base64url, so cookie-safe.
fn pending_cookie(p: &Pending, next: &str) -> String {
    format!("{}.{}.{}.{}", p.state, p.nonce, p.verifier, b64(next))
}

fn parse_pending(v: &str) -> Option<(Pending, String)> {
    let mut parts = v.split('.');
    let (state, nonce, verifier, next) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || [state, nonce, verifier].iter().any(|p| p.len() != 43) {
        return None;
    }
    let pending = Pending { state: state.to_owned(), nonce: nonce.to_owned(), verifier: verifier.to_owned() };
    Some((pending, unb64(next)?))
}

fn problem(status: StatusCode, title: &str, message: impl Into<String>) -> Response {
    page::PageError::page(status, title, message).into_response()
}

fn unavailable(e: &OidcError) -> Response {
    tracing::warn!(error = %e, "single sign-on failed at the provider");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in unavailable",
        "The identity provider cannot be reached right now. Try again in a minute; if it persists, tell your Steward admins.",
    )
}

/// `GET /signin/oidc`: off to the provider.
pub async fn start(
    axum::Extension(options): axum::Extension<Arc<SignInOptions>>,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<NextParam>,
) -> Response {
    let Some(provider) = options.oidc.as_ref() else {
        return problem(StatusCode::NOT_FOUND, "Not found", "Single sign-on is not configured on this Steward.");
    };
    let (pending, url) = match provider.begin().await {
        Ok(x) => x,
        Err(e) => return unavailable(&e),
    };
    let next = local_path(q.next.as_deref()).to_owned();
    let mut resp = Redirect::to(&url).into_response();
    let value = pending_cookie(&pending, &next);
    let cookie = set_cookie_with(OIDC_COOKIE, &value, PENDING_MAX_AGE, is_https(&uri, &headers), "Lax", "/signin/oidc");
    resp.headers_mut().append(header::SET_COOKIE, cookie);
    resp
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /signin/oidc/callback`: back from the provider.
pub async fn callback(
    State(service): State<Service>,
    axum::Extension(options): axum::Extension<Arc<SignInOptions>>,
    uri: Uri,
    headers: HeaderMap,
    Query(cb): Query<Callback>,
) -> Response {
    let Some(provider) = options.oidc.as_ref() else {
        return problem(StatusCode::NOT_FOUND, "Not found", "Single sign-on is not configured on this Steward.");
    };
    let secure = is_https(&uri, &headers);
    let clear_pending = set_cookie_with(OIDC_COOKIE, "", 0, secure, "Lax", "/signin/oidc");
    let with_cleared = |mut r: Response| {
        r.headers_mut().append(header::SET_COOKIE, clear_pending.clone());
        r
    };
    let Some((pending, next)) = cookie(&headers, OIDC_COOKIE).and_then(parse_pending) else {
        return with_cleared(problem(
            StatusCode::BAD_REQUEST,
            "Sign-in expired",
            "This sign-in expired or was started in another browser. Go to the sign-in page and try again.",
        ));
    };
    // `state` binds the answer to this browser's sign-in (RFC 6749 section 10.12).
    if !cb.state.as_deref().is_some_and(|s| constant_eq(s, &pending.state)) {
        tracing::warn!("single sign-on callback with a state that is not this browser's");
        return with_cleared(problem(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "The answer from the identity provider does not belong to the sign-in this browser started. Sign in again.",
        ));
    }
    if let Some(error) = cb.error.as_deref() {
        let detail: String =
            cb.error_description.as_deref().unwrap_or_default().chars().filter(|c| !c.is_control()).take(300).collect();
        return with_cleared(problem(
            StatusCode::FORBIDDEN,
            "Not signed in",
            format!(
                "The identity provider did not sign you in ({}{}).",
                error.chars().take(60).collect::<String>(),
                if detail.is_empty() { String::new() } else { format!(": {detail}") }
            ),
        ));
    }
    let Some(code) = cb.code.as_deref().filter(|c| !c.is_empty() && c.len() <= 4096) else {
        return with_cleared(problem(
            StatusCode::BAD_REQUEST,
            "Sign-in refused",
            "The identity provider sent no authorization code.",
        ));
    };
    let person = match provider.finish(code, &pending).await {
        Ok(p) => p,
        Err(e @ OidcError::Unavailable(_)) => return with_cleared(unavailable(&e)),
        Err(OidcError::Refused(reason)) => {
            tracing::warn!(%reason, "the identity provider refused to redeem the code");
            return with_cleared(problem(
                StatusCode::BAD_REQUEST,
                "Sign-in refused",
                format!("The identity provider refused the sign-in ({reason}). Sign in again."),
            ));
        }
        Err(e) => {
            // The reason stays in the log: the page must not help tune a forgery.
            tracing::warn!(reason = %e, "single sign-on: the ID token did not verify");
            return with_cleared(problem(
                StatusCode::UNAUTHORIZED,
                "Sign-in refused",
                "The identity provider's answer did not verify. Sign in again; if it persists, tell your Steward admins.",
            ));
        }
    };
    let roles: Vec<HeldRole> =
        provider.roles(&person.claims).into_iter().map(|(role, scopes)| HeldRole { role, scopes }).collect();
    if roles.is_empty() {
        tracing::info!(subject = %person.subject, issuer = %person.issuer, "single sign-on: no role for this person");
        return with_cleared(no_access(provider, &person));
    }
    let new = NewSession {
        issuer: person.issuer.clone(),
        subject: person.subject.clone(),
        display_name: person.display_name.clone(),
        email: person.email.clone(),
        roles,
        provider_sid: person.sid.clone(),
    };
    let hours = i64::from(provider.config().session_hours);
    let secret = match service.start_portal_session(&new, chrono::Duration::hours(hours)).await {
        Ok(s) => s,
        Err(e) => return with_cleared(page::PageError::from(e).into_response()),
    };
    let max_age = u64::try_from(hours * 3600).unwrap_or(3600);
    let body = html! {
        section.signin {
            h1 { "Signed in" }
            p { "Welcome, " (person.display_name) ". " a href=(next) { "Continue" } }
        }
    };
    let mut resp = (StatusCode::OK, page::shell_with_refresh("Signed in", &next, body)).into_response();
    let h = resp.headers_mut();
    h.append(header::SET_COOKIE, crate::session::set_cookie(crate::session::SESSION_COOKIE, &secret, max_age, secure));
    if person.id_token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && person.id_token.len() <= 3500
    {
        h.append(
            header::SET_COOKIE,
            set_cookie_with(HINT_COOKIE, &person.id_token, max_age, secure, "Strict", "/signout"),
        );
    }
    h.append(header::SET_COOKIE, clear_pending);
    resp
}

/// The 403 page of someone the provider knows but no rule maps to a role.
fn no_access(provider: &Provider, person: &steward_identity::oidc::SignedIn) -> Response {
    let seen = provider.mapped_claims(&person.claims);
    let wanted: Vec<String> = provider
        .config()
        .roles
        .iter()
        .map(|r| {
            let claims: Vec<String> = r.claims.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            format!("{} ({})", r.role, claims.join(", "))
        })
        .collect();
    let body = html! {
        section.signin {
            h1 { "No access to Steward" }
            p.flash.error role="alert" {
                "You are signed in at your identity provider as " strong { (person.display_name) }
                " (" code { (person.subject) } "), but none of your groups gives you a role in Steward, so you cannot use it yet."
            }
            p { "Ask your Steward admins to add you to a group that maps to a role. The roles and what they need:" }
            ul { @for w in &wanted { li { code { (w) } } } }
            @if seen.is_empty() {
                p.muted { "Your identity provider sent none of these claims for you." }
            } @else {
                p.muted { "What your identity provider sent:" }
                ul { @for (k, v) in &seen { li { code { (k) " = " (v.to_string()) } } } }
            }
            p.muted { "A change of your groups takes effect the next time you sign in." }
            p { a href="/signin" { "Back to sign-in" } }
        }
    };
    (StatusCode::FORBIDDEN, page::shell("No access", None, body)).into_response()
}

/// Where the browser goes after signing out: the provider's end-session
/// endpoint (which then sends it back to the sign-in page), or the sign-in page.
pub async fn after_signout(options: &SignInOptions, headers: &HeaderMap) -> String {
    let Some(provider) = options.oidc.as_ref() else { return "/signin".to_owned() };
    let back =
        format!("{}/signin", provider.config().redirect_url.trim_end_matches(steward_identity::oidc::CALLBACK_PATH));
    let hint = cookie(headers, HINT_COOKIE);
    provider.logout_url(hint, &back).await.unwrap_or_else(|| "/signin".to_owned())
}

#[derive(Deserialize)]
pub struct LogoutForm {
    logout_token: Option<String>,
}

/// `POST /signin/oidc/backchannel-logout`: the provider says a session of
/// its ended (OIDC Back-Channel Logout 1.0); the Steward sessions it names
/// (by `sid`, else every session of `sub`) end too. A replay only ends
/// sessions again, so no `jti` is kept. Answers 200, or 400 with
/// `invalid_request` (section 2.8); the reason goes to the log.
pub async fn backchannel_logout(
    State(service): State<Service>,
    axum::Extension(options): axum::Extension<Arc<SignInOptions>>,
    axum::Form(form): axum::Form<LogoutForm>,
) -> Response {
    let Some(provider) = options.oidc.as_ref() else {
        return problem(StatusCode::NOT_FOUND, "Not found", "Single sign-on is not configured on this Steward.");
    };
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    let token = form.logout_token.unwrap_or_default();
    let (sub, sid) = match provider.verify_logout(&token).await {
        Ok(x) => x,
        Err(e @ OidcError::Unavailable(_)) => {
            tracing::warn!(error = %e, "back-channel logout: the provider's keys are unavailable");
            return (StatusCode::SERVICE_UNAVAILABLE, no_store).into_response();
        }
        Err(e) => {
            tracing::warn!(reason = %e, "back-channel logout token refused");
            let body = axum::Json(serde_json::json!({"error": "invalid_request"}));
            return (StatusCode::BAD_REQUEST, no_store, body).into_response();
        }
    };
    match service.end_provider_sessions(&provider.config().issuer, sub.as_deref(), sid.as_deref()).await {
        Ok(ended) => {
            tracing::info!(ended, subject = ?sub, sid = ?sid, "back-channel logout ended portal sessions");
            (StatusCode::OK, no_store).into_response()
        }
        Err(e) => page::PageError::from(e).into_response(),
    }
}
