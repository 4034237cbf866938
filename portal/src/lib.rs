//! The governance portal: server-rendered HTML pages over the very same
//! [`Service`](steward_catalog::service::Service) operations the REST API calls.
//!
//! Why server-rendered: reviewers need a handful of pages (discovery, product,
//! review queue, audit) that must work on a laptop and a phone, behind any
//! proxy, with no build step. Every page is HTML from [`maud`] (which escapes
//! everything it interpolates), one embedded stylesheet, and one small script
//! that only improves forms. Authorization is never decided here: the
//! service refuses what a principal may not do, and the portal shows its
//! message with the service's status.
//!
//! Layout: [`session`] (sign-in cookie and CSRF), [`page`] (the shell and the
//! error page), [`diff`] (unified diffs with breaking changes marked),
//! [`delivery`] (SLO chart, refreshes), and one module per page:
//! [`discover`], [`product`], [`review`], [`access`], [`audit`], [`tokens`].

pub mod access;
pub mod audit;
pub mod consumer;
pub mod delivery;
pub mod diff;
pub mod discover;
pub mod lineage;
pub mod majors;
pub mod oidc;
pub mod page;
pub mod producer;
pub mod product;
pub mod review;
pub mod session;
pub mod tokens;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use steward_catalog::api::AppState;

/// The stylesheet, served at [`CSS_PATH`].
const CSS: &str = include_str!("../assets/portal.css");
/// The form helper script, served at [`JS_PATH`].
const JS: &str = include_str!("../assets/portal.js");
pub const CSS_PATH: &str = "/assets/portal.css";
pub const JS_PATH: &str = "/assets/portal.js";

/// Forms are a comment and a token; nothing larger is ever posted.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Content Security Policy: scripts and styles only from this origin, so even
/// markup that slipped past escaping could not run inline script.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The portal's routes, with full paths and the state applied. Unknown paths
/// outside `/api/` get a portal page (people reach them from a browser);
/// unknown `/api/` paths keep the API's JSON answer.
pub fn router(state: AppState) -> Router {
    router_with(state, oidc::SignInOptions::default())
}

/// [`router`] with the sign-in options of Steward's configuration
/// (`portal.token_signin`, `portal.oidc`).
pub fn router_with(state: AppState, sign_in: oidc::SignInOptions) -> Router {
    Router::new()
        .route("/", get(discover::page))
        .route("/signin", get(session::signin_page).post(session::signin))
        .route("/signin/oidc", get(oidc::start))
        .route("/signin/oidc/callback", get(oidc::callback))
        .route("/signin/oidc/backchannel-logout", post(oidc::backchannel_logout))
        .route("/signout", post(session::signout))
        .route("/products/{key}", get(product::page))
        .route("/proposals", get(review::queue))
        .route("/proposals/{id}", get(review::page))
        .route("/proposals/{id}/approve", post(review::approve))
        .route("/proposals/{id}/reject", post(review::reject))
        .route("/audit", get(audit::page))
        .route("/access", get(access::requests))
        .route("/access/{id}/approve", post(access::approve))
        .route("/access/{id}/reject", post(access::reject))
        .route("/grants", get(access::grants))
        .route("/grants/{id}/revoke", post(access::revoke))
        .route("/admin/tokens", get(tokens::page))
        .route("/admin/tokens/{name}/revoke", post(tokens::revoke))
        .merge(consumer::routes())
        .merge(producer::routes())
        .merge(review::routes())
        .route("/{*rest}", any(not_found))
        .route(CSS_PATH, get(|| async { asset("text/css; charset=utf-8", CSS) }))
        .route(JS_PATH, get(|| async { asset("text/javascript; charset=utf-8", JS) }))
        .layer(axum::Extension(std::sync::Arc::new(sign_in)))
        .layer(middleware::from_fn(security_headers))
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        // Counted in `/metrics` like the API, labelled by route template.
        .layer(middleware::from_fn_with_state(state.clone(), steward_catalog::api::ops::track))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return steward_catalog::api::error::ApiError::not_found("no such endpoint; see /api/openapi.json")
            .into_response();
    }
    page::PageError::page(
        axum::http::StatusCode::NOT_FOUND,
        "Not found",
        format!("There is no page at {}. Search the catalog from the home page.", uri.path()),
    )
    .into_response()
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// Headers every portal response carries. Pages hold CSRF tokens and
/// catalog data, so they are never cached; assets set their own policy.
async fn security_headers(req: axum::extract::Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}
