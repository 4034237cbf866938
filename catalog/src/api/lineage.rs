//! OpenLineage: run events in (`POST /lineage`, where OpenLineage's HTTP
//! transport posts by default), and a product's lineage graph.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Auth;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{Path, Query};
use crate::service::Service;
use steward_api::{LineageGraph, LineageOutcome, OpenLineageEvent};

/// Record an OpenLineage event (a `RunEvent`; job and dataset events give
/// lineage only). A `COMPLETE` event's outputs that match product tables
/// become refreshes of those products (producers of their domains; the run
/// id keys them, so posting a run again changes nothing); every event with
/// inputs and outputs stores lineage edges. A valid event is never refused
/// for what it matches; an invalid one is a 400 naming the field
/// (`run.runId (/run/runId): is required`).
#[utoipa::path(post, path = "/api/v1/lineage", tag = "lineage", request_body = OpenLineageEvent,
    responses((status = 200, body = LineageOutcome), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn ingest(
    State(service): State<Service>,
    Auth(who): Auth,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<LineageOutcome>> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::unsupported_media_type("send the event with `Content-Type: application/json`"));
    }
    if headers.get(header::CONTENT_ENCODING).is_some_and(|e| e.as_bytes() != b"identity") {
        return Err(ApiError::unsupported_media_type(
            "compressed events are not accepted; turn the transport's compression off",
        ));
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large(format!("request body is larger than {} bytes", super::MAX_BODY_BYTES))
        } else {
            ApiError::bad_request(format!("request body: {}", e.body_text()))
        }
    })?;
    Ok(Json(service.ingest_lineage(&who, body.to_vec()).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GraphParams {
    /// Hops in each direction, 1 to 5 (default 2).
    #[param(minimum = 1, maximum = 5)]
    pub depth: Option<u32>,
}

/// Upstream and downstream of a product, from the stored OpenLineage edges:
/// products where a dataset matched one, external datasets otherwise.
#[utoipa::path(get, path = "/api/v1/products/{key}/lineage", tag = "lineage",
    params(("key" = String, Path, description = "domain.product"), GraphParams),
    responses((status = 200, body = LineageGraph), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn graph(
    State(service): State<Service>,
    Auth(_who): Auth,
    Path(key): Path<String>,
    Query(p): Query<GraphParams>,
) -> ApiResult<Json<LineageGraph>> {
    Ok(Json(service.lineage(&key, p.depth).await?))
}
