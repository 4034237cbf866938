//! SLO status, history and breaches.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Auth;
use super::error::{ApiResult, ErrorBody};
use super::extract::{Path, Query};
use crate::service::Service;
use crate::service::slo::StoredTick;
use crate::service::slo::{SloStatus, parse_since};

/// A product's SLO: state, next due time, last refresh, compliance over 7 and
/// 30 days, and the judged ticks of the last 30 days.
#[utoipa::path(get, path = "/api/v1/products/{key}/slo", tag = "slo", params(("key" = String, Path)),
    responses((status = 200, body = SloStatus), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn status(
    State(service): State<Service>,
    Auth(_who): Auth,
    Path(key): Path<String>,
) -> ApiResult<Json<SloStatus>> {
    Ok(Json(service.slo_status(&key).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct BreachParams {
    /// RFC 3339; default 7 days ago.
    pub since: Option<String>,
    pub limit: Option<i64>,
}

/// Missed ticks across all products, newest first (for the platform team).
#[utoipa::path(get, path = "/api/v1/slo/breaches", tag = "slo", params(BreachParams),
    responses((status = 200, body = Vec<StoredTick>), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn breaches(
    State(service): State<Service>,
    Auth(_who): Auth,
    Query(p): Query<BreachParams>,
) -> ApiResult<Json<Vec<StoredTick>>> {
    let since = p.since.as_deref().map(parse_since).transpose()?;
    Ok(Json(service.slo_breaches(since, super::page_limit(p.limit)?).await?))
}
