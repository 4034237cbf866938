//! `/api/v1/proposals`: submit, list, show, approve, reject.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header::CONTENT_TYPE};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Auth;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{Path, Query};
use super::json::JsonBody;
use crate::service::Service;
use crate::service::proposals::ProposalView;
use crate::service::proposals::{Proposal, ProposalFilter, ProposalStatus};
use steward_api::{Decision, SubmitJson};

/// Submit a contract (YAML body, or JSON `{"contract": "..."}`).
#[utoipa::path(
    post, path = "/api/v1/proposals", tag = "proposals",
    request_body(content = String, content_type = "application/yaml", description = "An ODCS v3.1 contract"),
    responses(
        (status = 201, description = "Valid: waiting for review", body = Proposal),
        (status = 422, description = "The contract has errors (findings name them)", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn submit(
    State(service): State<Service>,
    Auth(who): Auth,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<(StatusCode, Json<Proposal>)> {
    // axum's own rejection (a body over the limit) is plain text; answer in the API's shape.
    let body = body.map_err(|e| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(format!(
            "the request body is larger than the API accepts; a contract may be at most {} bytes",
            steward_schemas::MAX_DOCUMENT_BYTES
        )),
        _ => ApiError::bad_request(format!("cannot read the request body: {}", e.body_text())),
    })?;
    let is_json =
        headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    let text = if is_json {
        super::json::from_slice::<SubmitJson>(&body)
            .map_err(|e| {
                ApiError::bad_request(format!("JSON body must be {{\"contract\": \"<yaml>\"}}: {}", e.message()))
            })?
            .contract
    } else {
        String::from_utf8(body.to_vec()).map_err(|e| {
            ApiError::bad_request(format!(
                "the contract is not UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ))
        })?
    };
    let proposal = service.submit(&who, &text).await?;
    Ok((StatusCode::CREATED, Json(proposal)))
}

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// Only proposals in this status.
    pub status: Option<String>,
    /// Only proposals for this product (`domain.product`).
    pub product: Option<String>,
    /// Only proposals submitted by this token name.
    pub submitted_by: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// List proposals, newest first.
#[utoipa::path(get, path = "/api/v1/proposals", tag = "proposals", params(ListParams),
    responses((status = 200, body = Vec<Proposal>, description = "The proposals the caller may read: reviewers and admins all, producers those of their domains"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody, description = "Consumers read no proposals")), security(("bearer" = [])))]
pub async fn list(
    State(service): State<Service>,
    Auth(who): Auth,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Vec<Proposal>>> {
    let status = p
        .status
        .as_deref()
        .map(str::parse::<ProposalStatus>)
        .transpose()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let filter = ProposalFilter {
        status,
        product_key: p.product,
        submitted_by: p.submitted_by,
        domains: None,
        limit: super::page_limit(p.limit)?,
        offset: p.offset.unwrap_or(0).max(0),
    };
    Ok(Json(service.proposals(&who, &filter).await?))
}

/// One proposal, with its diff against the published contract.
#[utoipa::path(get, path = "/api/v1/proposals/{id}", tag = "proposals", params(("id" = i64, Path)),
    responses((status = 200, body = ProposalView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<ProposalView>> {
    Ok(Json(service.proposal_view(&who, id).await?))
}

/// Approve: merge into the registry's `main` and publish to the catalog.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/approve", tag = "proposals", params(("id" = i64, Path)),
    request_body = Decision,
    responses((status = 200, body = Proposal), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    body: Option<JsonBody<Decision>>,
) -> ApiResult<Json<Proposal>> {
    let decision = body.map(|JsonBody(d)| d).unwrap_or_default();
    Ok(Json(service.approve(&who, id, decision.comment.as_deref()).await?))
}

/// Reject with a comment; the proposal branch stays for the record.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/reject", tag = "proposals", params(("id" = i64, Path)),
    request_body = Decision,
    responses((status = 200, body = Proposal), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reject(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    JsonBody(decision): JsonBody<Decision>,
) -> ApiResult<Json<Proposal>> {
    Ok(Json(service.reject(&who, id, decision.comment.as_deref().unwrap_or("")).await?))
}
