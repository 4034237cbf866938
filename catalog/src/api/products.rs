//! `/api/v1/products`: search, show, versions, diff.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use steward_api::DiffBody;

use super::auth::Auth;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{Path, Query};
use crate::model::ProductDetail;
use crate::service::Service;
use crate::service::catalog::{ProductVersion, SearchPage, SearchQuery};

#[derive(Deserialize, IntoParams)]
pub struct SearchParams {
    /// Words to find in names, descriptions, column names and tags.
    pub q: Option<String>,
    pub domain: Option<String>,
    pub tag: Option<String>,
    pub classification: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Search published products (ranked; without `q`, all by key).
#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(SearchParams),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn search(
    State(service): State<Service>,
    Auth(_who): Auth,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<SearchPage>> {
    let offset = p.offset.unwrap_or(0).max(0);
    let q = SearchQuery {
        q: p.q.filter(|q| !q.trim().is_empty()),
        domain: p.domain,
        tag: p.tag,
        classification: p.classification,
        limit: super::page_limit(p.limit)?,
        offset,
        scored_max: None,
    };
    Ok(Json(service.search(&q).await?))
}

fn key(raw: &str) -> ApiResult<String> {
    steward_schemas::ProductKey::parse(raw)
        .map(|k| k.to_string())
        .map_err(|e| ApiError::bad_request(format!("product key: {e}")))
}

/// A published product: tables, columns, partition keys, parameters, SLO.
///
/// Secret-bearing contact URLs (Slack webhooks) are shown in full only to the
/// product's producers; everyone else reads `scheme://host:port/…`.
#[utoipa::path(get, path = "/api/v1/products/{key}", tag = "products", params(("key" = String, Path, description = "domain.product")),
    responses((status = 200, body = ProductDetail), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(k): Path<String>,
) -> ApiResult<Json<ProductDetail>> {
    Ok(Json(service.product(&who, &key(&k)?).await?))
}

/// Published versions, newest first.
#[utoipa::path(get, path = "/api/v1/products/{key}/versions", tag = "products", params(("key" = String, Path)),
    responses((status = 200, body = Vec<ProductVersion>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn versions(
    State(service): State<Service>,
    Auth(_who): Auth,
    Path(k): Path<String>,
) -> ApiResult<Json<Vec<ProductVersion>>> {
    Ok(Json(service.versions(&key(&k)?).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct DiffParams {
    pub from: String,
    pub to: String,
}

/// Diff of the contract between two published versions.
///
/// Fields declared to hold credentials are redacted in both versions
/// (before diffing) for everyone but the product's producers.
#[utoipa::path(get, path = "/api/v1/products/{key}/diff", tag = "products", params(("key" = String, Path), DiffParams),
    responses((status = 200, body = DiffBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn diff(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(k): Path<String>,
    Query(p): Query<DiffParams>,
) -> ApiResult<Json<DiffBody>> {
    let diff = service.diff(&who, &key(&k)?, &p.from, &p.to).await?;
    Ok(Json(DiffBody { from: p.from, to: p.to, diff }))
}
