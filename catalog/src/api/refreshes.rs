//! Refreshes, partitions and subscriptions of a product.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Auth;
use super::error::{ApiResult, ErrorBody};
use super::extract::{Path, Query};
use super::json::JsonBody;
use crate::service::Service;
use crate::service::refreshes::{Partition, Refresh};
use crate::service::refreshes::{RefreshInput, RefreshOutcome, RefreshStatus};
use crate::service::subscriptions::Subscription;
use crate::service::subscriptions::SubscriptionInput;

/// Report a refresh (producers of the product's domain). A retry with the
/// same `idempotency_key` returns the first result (200) and does nothing.
#[utoipa::path(post, path = "/api/v1/products/{key}/refreshes", tag = "refreshes",
    params(("key" = String, Path, description = "domain.product")), request_body = RefreshInput,
    responses((status = 201, body = RefreshOutcome), (status = 200, body = RefreshOutcome, description = "a replay"),
              (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn report(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(key): Path<String>,
    JsonBody(input): JsonBody<RefreshInput>,
) -> ApiResult<(StatusCode, Json<RefreshOutcome>)> {
    let outcome = service.report_refresh(&who, &key, &input).await?;
    let status = if outcome.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(outcome)))
}

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// Only this table's (the `table` a refresh is reported with); a name the
    /// product has no table of gives an empty list, not an error.
    pub table: Option<String>,
    pub limit: Option<i64>,
}

/// Latest refreshes, newest first: of every table, or of `table` only.
#[utoipa::path(get, path = "/api/v1/products/{key}/refreshes", tag = "refreshes", params(("key" = String, Path), ListParams),
    responses((status = 200, body = Vec<Refresh>)), security(("bearer" = [])))]
pub async fn list(
    State(service): State<Service>,
    Auth(_who): Auth,
    Path(key): Path<String>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Vec<Refresh>>> {
    Ok(Json(service.refreshes(&key, p.table.as_deref(), super::page_limit(p.limit)?).await?))
}

/// One refresh, with its `_SUCCESS` marker's state (`pending`, `failed` and
/// retrying, `written`, or `dead` with the error) and its notifications,
/// which wait for the marker (`blocked` while it is dead).
#[utoipa::path(get, path = "/api/v1/products/{key}/refreshes/{id}", tag = "refreshes",
    params(("key" = String, Path, description = "domain.product"), ("id" = i64, Path)),
    responses((status = 200, body = RefreshStatus), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show(
    State(service): State<Service>,
    Auth(_who): Auth,
    Path((key, id)): Path<(String, i64)>,
) -> ApiResult<Json<RefreshStatus>> {
    Ok(Json(service.refresh_status(&key, id).await?))
}

/// Partitions in the embedded catalog, newest first.
#[utoipa::path(get, path = "/api/v1/products/{key}/partitions", tag = "refreshes", params(("key" = String, Path), ListParams),
    responses((status = 200, body = Vec<Partition>)), security(("bearer" = [])))]
pub async fn partitions(
    State(service): State<Service>,
    Auth(_who): Auth,
    Path(key): Path<String>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<Vec<Partition>>> {
    Ok(Json(service.partitions(&key, p.table.as_deref(), super::page_limit(p.limit)?).await?))
}

/// Subscribe an account with a grant to the product's refreshes. A webhook
/// subscription's signing `secret` is in this response only.
#[utoipa::path(post, path = "/api/v1/products/{key}/subscriptions", tag = "refreshes",
    params(("key" = String, Path)), request_body = SubscriptionInput,
    responses((status = 201, body = Subscription), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn subscribe(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(key): Path<String>,
    JsonBody(input): JsonBody<SubscriptionInput>,
) -> ApiResult<(StatusCode, Json<Subscription>)> {
    Ok((StatusCode::CREATED, Json(service.subscribe(&who, &key, &input).await?)))
}

#[derive(Deserialize, IntoParams)]
pub struct SubscriptionParams {
    /// `domain.product`.
    pub product: Option<String>,
}

/// Live subscriptions the token may see.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "refreshes", params(SubscriptionParams),
    responses((status = 200, body = Vec<Subscription>)), security(("bearer" = [])))]
pub async fn subscriptions(
    State(service): State<Service>,
    Auth(who): Auth,
    Query(p): Query<SubscriptionParams>,
) -> ApiResult<Json<Vec<Subscription>>> {
    Ok(Json(service.subscriptions(&who, p.product.as_deref()).await?))
}

/// Remove a subscription.
#[utoipa::path(delete, path = "/api/v1/subscriptions/{id}", tag = "refreshes", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn unsubscribe(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    service.unsubscribe(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
