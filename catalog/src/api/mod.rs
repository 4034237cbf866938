//! The HTTP API under `/api/v1`, plus operations endpoints and the OpenAPI
//! document at `/api/openapi.json` (generated from the handlers by utoipa).

pub mod access;
pub mod admin;
pub mod auth;
pub mod error;
pub mod json;
pub mod ops;
pub mod products;
pub mod proposals;
pub mod refreshes;
pub mod slo;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::service::Service;
use error::ApiError;

/// Built once at start; handlers take the parts they need.
#[derive(Clone)]
pub struct AppState {
    pub service: Service,
    pub metrics: Arc<ops::Metrics>,
}

impl FromRef<AppState> for Service {
    fn from_ref(s: &AppState) -> Service {
        s.service.clone()
    }
}

/// Largest request body: contracts are at most 1 MiB; the margin lets
/// validation report an oversized contract with its own message.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/proposals", post(proposals::submit).get(proposals::list))
        .route("/proposals/{id}", get(proposals::show))
        .route("/proposals/{id}/approve", post(proposals::approve))
        .route("/proposals/{id}/reject", post(proposals::reject))
        .route("/products", get(products::search))
        .route("/products/{key}", get(products::show))
        .route("/products/{key}/versions", get(products::versions))
        .route("/products/{key}/diff", get(products::diff))
        .route("/products/{key}/access-requests", post(access::request))
        .route("/products/{key}/access/{account}", get(access::check))
        .route("/products/{key}/refreshes", post(refreshes::report).get(refreshes::list))
        .route("/products/{key}/partitions", get(refreshes::partitions))
        .route("/products/{key}/subscriptions", post(refreshes::subscribe))
        .route("/products/{key}/slo", get(slo::status))
        .route("/access-requests", get(access::list_requests))
        .route("/access-requests/{id}/approve", post(access::approve))
        .route("/access-requests/{id}/reject", post(access::reject))
        .route("/grants", get(access::list_grants))
        .route("/grants/{id}/revoke", post(access::revoke))
        .route("/subscriptions", get(refreshes::subscriptions))
        .route("/subscriptions/{id}", axum::routing::delete(refreshes::unsubscribe))
        .route("/slo/breaches", get(slo::breaches))
        .route("/admin/outbox", get(admin::outbox))
        .route("/admin/outbox/{id}/retry", post(admin::outbox_retry))
        .route("/audit", get(admin::audit_log))
        .route("/tokens", post(admin::create_token))
        .route("/admin/rebuild-catalog", post(admin::rebuild));
    Router::new()
        .nest("/api/v1", api)
        .route("/api/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .fallback(|| async { ApiError::not_found("no such endpoint; see /api/openapi.json") })
        .layer(middleware::from_fn_with_state(state.clone(), ops::track))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Page sizes: default 50, at most 500.
pub(crate) fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(50),
        Some(n) if (1..=500).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(format!("limit {n} must be between 1 and 500"))),
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("stw_...").build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Steward API", description = "Data contracts, catalog and data-mesh governance."),
    paths(
        proposals::submit, proposals::list, proposals::show, proposals::approve, proposals::reject,
        products::search, products::show, products::versions, products::diff,
        access::request, access::list_requests, access::approve, access::reject, access::list_grants, access::revoke,
        access::check,
        refreshes::report, refreshes::list, refreshes::partitions, refreshes::subscribe, refreshes::subscriptions,
        refreshes::unsubscribe,
        slo::status, slo::breaches,
        admin::audit_log, admin::create_token, admin::rebuild, admin::outbox, admin::outbox_retry,
        ops::healthz, ops::readyz, ops::metrics,
    ),
    modifiers(&BearerAuth),
    tags((name = "proposals", description = "Submitting and reviewing contracts"),
         (name = "products", description = "The catalog"),
         (name = "access", description = "Access requests, grants and shares"),
         (name = "refreshes", description = "Refreshes, partitions, `_SUCCESS` markers and subscriptions"),
         (name = "slo", description = "SLO status, history and breaches"),
         (name = "admin", description = "Tokens, audit, outbox, maintenance"),
         (name = "ops", description = "Health and metrics"))
)]
pub struct ApiDoc;
