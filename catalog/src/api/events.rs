//! The event feed and event hooks (admins): CloudEvents for every change.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use steward_api::{EventHook, EventHookInput, EventPage};
use utoipa::IntoParams;

use super::auth::Auth;
use super::error::{ApiResult, ErrorBody};
use super::extract::{Path, Query};
use super::json::JsonBody;
use crate::service::Service;
use crate::service::events::{MAX_PAGE, parse_after};

#[derive(Deserialize, IntoParams)]
pub struct FeedParams {
    /// The `next_after` (or an event's `sequence`) of the last page read;
    /// absent: from the first event.
    pub after: Option<String>,
    /// Only events whose type starts with this, e.g. `io.steward.access.`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub type_prefix: Option<String>,
    /// At most this many events (default and maximum 1,000).
    pub limit: Option<i64>,
}

/// Events after a point, oldest first (admins): CloudEvents 1.0 in the JSON
/// format, each with its `sequence`. Poll with the page's `next_after`.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(FeedParams),
    responses((status = 200, body = EventPage), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn feed(
    State(service): State<Service>,
    Auth(who): Auth,
    Query(p): Query<FeedParams>,
) -> ApiResult<Json<EventPage>> {
    let after = parse_after(p.after.as_deref())?;
    let page = service.events(&who, after, p.type_prefix.as_deref(), p.limit.unwrap_or(MAX_PAGE)).await?;
    Ok(Json(page))
}

/// Register an event hook (admins): a webhook (signed; the secret is in
/// this response only) or an SNS topic, for all events or some types.
#[utoipa::path(post, path = "/api/v1/event-hooks", tag = "events", request_body = EventHookInput,
    responses((status = 201, body = EventHook), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add_hook(
    State(service): State<Service>,
    Auth(who): Auth,
    JsonBody(input): JsonBody<EventHookInput>,
) -> ApiResult<(StatusCode, Json<EventHook>)> {
    Ok((StatusCode::CREATED, Json(service.add_event_hook(&who, &input).await?)))
}

/// The event hooks (admins), without their secrets.
#[utoipa::path(get, path = "/api/v1/event-hooks", tag = "events",
    responses((status = 200, body = Vec<EventHook>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_hooks(State(service): State<Service>, Auth(who): Auth) -> ApiResult<Json<Vec<EventHook>>> {
    Ok(Json(service.event_hooks(&who).await?))
}

/// Remove an event hook (admins): deliveries not yet made are dropped.
#[utoipa::path(delete, path = "/api/v1/event-hooks/{id}", tag = "events", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn remove_hook(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    service.remove_event_hook(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
