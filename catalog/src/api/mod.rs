//! The HTTP API under `/api/v1`, plus operations endpoints and the OpenAPI
//! document at `/api/openapi.json` (generated from the handlers by utoipa).

pub mod access;
pub mod admin;
pub mod auth;
pub mod error;
pub mod events;
pub mod extract;
pub mod json;
pub mod lineage;
pub mod ops;
pub mod products;
pub mod proposals;
pub mod refreshes;
pub mod slo;
pub mod workspace;

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
        .route("/proposals/{id}/withdraw", post(workspace::withdraw))
        .route("/products", get(products::search))
        .route("/products/{key}", get(products::show))
        .route("/products/{key}/versions", get(products::versions))
        .route("/products/{key}/majors", get(products::majors))
        .route("/products/{key}/diff", get(products::diff))
        .route("/products/{key}/access-requests", post(access::request))
        .route("/products/{key}/access/{account}", get(access::check))
        .route("/products/{key}/refreshes", post(refreshes::report).get(refreshes::list))
        .route("/products/{key}/refreshes/{id}", get(refreshes::show))
        .route("/products/{key}/partitions", get(refreshes::partitions))
        .route("/products/{key}/subscriptions", post(refreshes::subscribe))
        .route("/products/{key}/slo", get(slo::status))
        .route("/products/{key}/lineage", get(lineage::graph))
        .route("/lineage", post(lineage::ingest))
        .route("/access-requests", get(access::list_requests))
        .route("/access-requests/{id}/approve", post(access::approve))
        .route("/access-requests/{id}/reject", post(access::reject))
        .route("/access-requests/{id}/cancel", post(access::cancel))
        .route("/grants", get(access::list_grants))
        .route("/grants/{id}/revoke", post(access::revoke))
        .route("/grants/{id}/renew", post(access::renew))
        .route("/grants/{id}/migrate", post(access::migrate))
        .route("/grants/{id}/acknowledge", post(access::acknowledge))
        .route("/subscriptions", get(refreshes::subscriptions))
        .route("/subscriptions/{id}", axum::routing::delete(refreshes::unsubscribe))
        .route("/slo/breaches", get(slo::breaches))
        .route("/admin/outbox", get(admin::outbox))
        .route("/admin/outbox/{id}/retry", post(admin::outbox_retry))
        .route("/audit", get(admin::audit_log))
        .route("/tokens", post(admin::create_token).get(admin::list_tokens))
        .route("/tokens/{name}/revoke", post(admin::revoke_token))
        .route("/admin/rebuild-catalog", post(admin::rebuild))
        .route("/events", get(events::feed))
        .route("/event-hooks", post(events::add_hook).get(events::list_hooks))
        .route("/event-hooks/{id}", axum::routing::delete(events::remove_hook))
        // Path and query strings are checked here, once, for every route.
        .route_layer(middleware::from_fn(extract::reject_control_chars));
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

/// Adds to every operation the error responses the edge produces for it,
/// and to parameters the constraints the handlers enforce, so the document
/// stays true for new endpoints without repeating them in each annotation:
/// * 400 wherever there is a parameter or a body (malformed, or a control
///   character: [`extract::reject_control_chars`], [`json::JsonBody`]);
/// * 401 and 403 on every operation that needs a token;
/// * 404 wherever the path names something;
/// * 415 where the body is JSON ([`json::JsonBody`] wants `application/json`).
struct EdgeResponses;

/// `[a-z][a-z0-9]*` words joined by single underscores (`steward_schemas::ident`).
const SNAKE: &str = "[a-z][a-z0-9]*(_[a-z0-9]+)*";

impl Modify for EdgeResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::Number;
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{Ref, RefOr, Response, Schema};

        let error = |description: &str| -> RefOr<Response> {
            RefOr::T(
                Response::builder()
                    .description(description)
                    .content(
                        "application/json",
                        utoipa::openapi::Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            for op in
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete].into_iter().flatten()
            {
                let params = op.parameters.get_or_insert_with(Vec::new);
                let mut has_path = false;
                for p in params.iter_mut() {
                    let RefOr::T(p) = p else { continue };
                    has_path |= p.parameter_in == ParameterIn::Path;
                    let Some(RefOr::T(Schema::Object(schema))) = p.schema.as_mut() else { continue };
                    match (p.parameter_in.clone(), p.name.as_str()) {
                        (ParameterIn::Query, "limit") => {
                            schema.minimum = Some(Number::Int(1));
                            schema.maximum = Some(Number::Int(500));
                        }
                        (ParameterIn::Query, "offset") => schema.minimum = Some(Number::Int(0)),
                        (ParameterIn::Path, "key") => {
                            schema.pattern = Some(format!("^{SNAKE}\\.{SNAKE}$"));
                            schema.max_length = Some(64 + 1 + 128);
                        }
                        (ParameterIn::Path, "account") => {
                            schema.pattern = Some(format!("^([0-9]{{12}}|{SNAKE})$"));
                            schema.max_length = Some(64);
                        }
                        _ => {}
                    }
                }
                if params.is_empty() {
                    op.parameters = None;
                }
                let has_input = op.parameters.is_some() || op.request_body.is_some();
                let json_body = op
                    .request_body
                    .as_ref()
                    .is_some_and(|b| matches!(b, RefOr::T(b) if b.content.contains_key("application/json")));
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let responses = &mut op.responses.responses;
                if has_input {
                    responses
                        .entry("400".into())
                        .or_insert_with(|| error("Malformed parameter or body; the message names the field"));
                }
                if secured {
                    responses
                        .entry("401".into())
                        .or_insert_with(|| error("No bearer token, or an unknown, revoked or expired one"));
                    responses.entry("403".into()).or_insert_with(|| {
                        error("The token's role or scope does not allow this (the message says which)")
                    });
                }
                if has_path {
                    responses.entry("404".into()).or_insert_with(|| error("Not found"));
                }
                if json_body {
                    responses.entry("415".into()).or_insert_with(|| error("The body is not `application/json`"));
                }
                // OpenAPI requires a description on every response.
                for (status, response) in responses.iter_mut() {
                    if let RefOr::T(r) = response
                        && r.description.is_empty()
                    {
                        r.description = match status.as_str() {
                            "200" => "OK",
                            "201" => "Created",
                            "204" => "Done; no content",
                            "400" => "Malformed parameter or body; the message names the field",
                            "403" => "The token's role or scope does not allow this (the message says which)",
                            "404" => "Not found",
                            "409" => "Conflict: the state moved (the message says how)",
                            "422" => "The contract has errors (findings name them)",
                            _ => "See the message",
                        }
                        .into();
                    }
                }
                // A rejection needs its reason.
                if path.ends_with("/reject")
                    && let Some(RefOr::T(body)) = op.request_body.as_mut()
                {
                    body.required = Some(utoipa::openapi::Required::True);
                    body.description = Some("`comment` is required: the reason for the rejection".into());
                    if let Some(RefOr::T(content)) = body.content.get_mut("application/json") {
                        content.schema = Some(RefOr::T(Schema::Object(
                            utoipa::openapi::ObjectBuilder::new()
                                .property(
                                    "comment",
                                    utoipa::openapi::ObjectBuilder::new()
                                        .schema_type(utoipa::openapi::Type::String)
                                        .min_length(Some(1))
                                        .description(Some("Why; shown to the submitter or requester")),
                                )
                                .required("comment")
                                .build(),
                        )));
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Steward API", description = "Data contracts, catalog and data-mesh governance."),
    paths(
        proposals::submit, proposals::list, proposals::show, proposals::approve, proposals::reject,
        workspace::withdraw,
        products::search, products::show, products::versions, products::majors, products::diff,
        access::request, access::list_requests, access::approve, access::reject, access::list_grants, access::revoke,
        access::check, access::cancel, access::renew, access::migrate, access::acknowledge,
        refreshes::report, refreshes::list, refreshes::show, refreshes::partitions, refreshes::subscribe, refreshes::subscriptions,
        refreshes::unsubscribe,
        slo::status, slo::breaches,
        lineage::ingest, lineage::graph,
        admin::audit_log, admin::create_token, admin::list_tokens, admin::revoke_token, admin::rebuild, admin::outbox, admin::outbox_retry,
        events::feed, events::add_hook, events::list_hooks, events::remove_hook,
        ops::healthz, ops::readyz, ops::metrics,
    ),
    modifiers(&BearerAuth, &EdgeResponses),
    tags((name = "proposals", description = "Submitting and reviewing contracts"),
         (name = "products", description = "The catalog"),
         (name = "access", description = "Access requests, grants and shares"),
         (name = "refreshes", description = "Refreshes, partitions, `_SUCCESS` markers and subscriptions"),
         (name = "slo", description = "SLO status, history and breaches"),
         (name = "lineage", description = "OpenLineage events in, and the lineage graph learnt from them"),
         (name = "admin", description = "Tokens, audit, outbox, maintenance"),
         (name = "events", description = "CloudEvents for every change: the feed and event hooks"),
         (name = "ops", description = "Health and metrics"))
)]
pub struct ApiDoc;
