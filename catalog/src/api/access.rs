//! Access requests, grants and the embedded share check.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use steward_api::{AccessCheck, AccessDecision};
use utoipa::IntoParams;

use super::auth::Auth;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{Path, Query};
use super::json::JsonBody;
use crate::service::Service;
use crate::service::access::{AccessFilter, AccessRequest, AccessRequestInput, Grant, GrantRenewalInput};

/// Ask for access to a product for one of the token's accounts.
#[utoipa::path(post, path = "/api/v1/products/{key}/access-requests", tag = "access",
    params(("key" = String, Path, description = "domain.product")), request_body = AccessRequestInput,
    responses((status = 201, body = AccessRequest), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn request(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(key): Path<String>,
    JsonBody(input): JsonBody<AccessRequestInput>,
) -> ApiResult<(StatusCode, Json<AccessRequest>)> {
    Ok((StatusCode::CREATED, Json(service.request_access(&who, &key, &input).await?)))
}

#[derive(Deserialize, IntoParams)]
pub struct AccessParams {
    /// `pending`, `approved` or `rejected` (requests); `active`, `revoked` or `expired` (grants).
    pub status: Option<String>,
    /// `domain.product`.
    pub product: Option<String>,
    pub limit: Option<i64>,
}

/// The filter of a listing whose statuses are `S` (requests' or grants').
fn filter<S>(p: AccessParams) -> ApiResult<AccessFilter<S>>
where
    S: std::str::FromStr<Err = steward_api::UnknownName>,
{
    let status =
        p.status.as_deref().map(str::parse::<S>).transpose().map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(AccessFilter { status, product_key: p.product, accounts: None, limit: super::page_limit(p.limit)? })
}

/// Access requests the token may see (reviewers: all; consumers: their
/// accounts'; producers: their domains' products').
#[utoipa::path(get, path = "/api/v1/access-requests", tag = "access", params(AccessParams),
    responses((status = 200, body = Vec<AccessRequest>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_requests(
    State(service): State<Service>,
    Auth(who): Auth,
    Query(p): Query<AccessParams>,
) -> ApiResult<Json<Vec<AccessRequest>>> {
    Ok(Json(service.access_requests(&who, &filter(p)?).await?))
}

/// Approve a request: it becomes a grant (and, with AWS shares, a RAM share).
#[utoipa::path(post, path = "/api/v1/access-requests/{id}/approve", tag = "access", params(("id" = i64, Path)),
    request_body = AccessDecision,
    responses((status = 200, body = Grant), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    body: Option<JsonBody<AccessDecision>>,
) -> ApiResult<Json<Grant>> {
    let d = body.map(|JsonBody(d)| d).unwrap_or_default();
    Ok(Json(service.approve_access(&who, id, d.comment.as_deref()).await?))
}

/// Reject a request with a comment.
#[utoipa::path(post, path = "/api/v1/access-requests/{id}/reject", tag = "access", params(("id" = i64, Path)),
    request_body = AccessDecision,
    responses((status = 200, body = AccessRequest), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reject(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    body: Option<JsonBody<AccessDecision>>,
) -> ApiResult<Json<AccessRequest>> {
    let d = body.map(|JsonBody(d)| d).unwrap_or_default();
    Ok(Json(service.reject_access(&who, id, d.comment.as_deref().unwrap_or_default()).await?))
}

/// Grants (with a product: everyone may see who has access; else as requests).
#[utoipa::path(get, path = "/api/v1/grants", tag = "access", params(AccessParams),
    responses((status = 200, body = Vec<Grant>)), security(("bearer" = [])))]
pub async fn list_grants(
    State(service): State<Service>,
    Auth(who): Auth,
    Query(p): Query<AccessParams>,
) -> ApiResult<Json<Vec<Grant>>> {
    Ok(Json(service.grants(&who, &filter(p)?).await?))
}

/// Cancel one's own pending request (only the token that asked; a decided
/// request is a 409).
#[utoipa::path(post, path = "/api/v1/access-requests/{id}/cancel", tag = "access", params(("id" = i64, Path)),
    responses((status = 200, body = AccessRequest), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<AccessRequest>> {
    Ok(Json(service.cancel_access_request(&who, id).await?))
}

/// Ask to renew an active grant before it ends: a pending request (with
/// `renews`) that a reviewer decides; approval moves the grant's end date
/// `duration_days` past its current end.
#[utoipa::path(post, path = "/api/v1/grants/{id}/renew", tag = "access", params(("id" = i64, Path)),
    request_body = GrantRenewalInput,
    responses((status = 201, body = AccessRequest), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn renew(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    JsonBody(input): JsonBody<GrantRenewalInput>,
) -> ApiResult<(StatusCode, Json<AccessRequest>)> {
    Ok((StatusCode::CREATED, Json(service.renew_grant(&who, id, &input).await?)))
}

/// Move an active grant to the product's newest major version. Its holder
/// may when the new major reaches nothing more (no new table, no higher
/// classification); otherwise a reviewer does, which approves the widening.
/// The account's subscriptions to the product move along.
#[utoipa::path(post, path = "/api/v1/grants/{id}/migrate", tag = "access", params(("id" = i64, Path)),
    responses((status = 200, body = Grant), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn migrate(State(service): State<Service>, Auth(who): Auth, Path(id): Path<i64>) -> ApiResult<Json<Grant>> {
    Ok(Json(service.migrate_grant(&who, id).await?))
}

/// Acknowledge the product's newest major instead of migrating: the grant
/// stays on its major until that major's end of life (then it is revoked).
/// 409 when the grant is not active on an older major.
#[utoipa::path(post, path = "/api/v1/grants/{id}/acknowledge", tag = "access", params(("id" = i64, Path)),
    responses((status = 200, body = Grant), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn acknowledge(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Grant>> {
    Ok(Json(service.acknowledge_major(&who, id).await?))
}

/// Revoke a grant (and its share); `comment` (why) is required.
#[utoipa::path(post, path = "/api/v1/grants/{id}/revoke", tag = "access", params(("id" = i64, Path)),
    request_body = AccessDecision,
    responses((status = 200, body = Grant), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    body: Option<JsonBody<AccessDecision>>,
) -> ApiResult<Json<Grant>> {
    let d = body.map(|JsonBody(d)| d).unwrap_or_default();
    Ok(Json(service.revoke_grant(&who, id, d.comment.as_deref()).await?))
}

/// The embedded share backend: may this account read this product now?
#[utoipa::path(get, path = "/api/v1/products/{key}/access/{account}", tag = "access",
    params(("key" = String, Path), ("account" = String, Path)),
    responses((status = 200, body = AccessCheck), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn check(
    State(service): State<Service>,
    Auth(_who): Auth,
    Path((key, account)): Path<(String, String)>,
) -> ApiResult<Json<AccessCheck>> {
    let grant = service.can_read(&key, &account).await?;
    Ok(Json(AccessCheck { product: key, account, allowed: grant.is_some(), grant }))
}
