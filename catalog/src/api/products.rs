//! `/api/v1/products`: search, show, versions, majors, diff.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use steward_api::{DiffBody, ProductMajor};

use super::auth::Auth;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{Path, Query};
use crate::model::ProductDetail;
use crate::service::Service;
use crate::service::catalog::{ProductVersion, SearchPage, SearchQuery};

/// The query parameters of a search (for the API description; the handler
/// reads them as pairs, because `domain` and `tag` may repeat). Query
/// parameters, said explicitly: utoipa infers where parameters are from the
/// handler's extractor, and the pairs extractor tells it nothing.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to find in names, descriptions, column names and tags; plurals
    /// fold (`order` finds `orders`). An exact product key or name ranks first.
    pub q: Option<String>,
    /// Keep products of any of these domains: repeat the parameter or
    /// separate with commas; case does not matter.
    pub domain: Option<Vec<String>>,
    /// Keep products with any of these tags, as `domain`.
    pub tag: Option<Vec<String>>,
    pub classification: Option<String>,
    /// Keep products of this owner team (case does not matter).
    pub owner: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Search published products (ranked; without `q`, all by key), with facet
/// counts by domain and tag. Each hit says whether one of the caller's own
/// accounts has access, its SLO health, matching columns and whether a
/// breaking change is pending.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(SearchParams),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody)), security(("bearer" = [])))]
pub async fn search(
    State(service): State<Service>,
    Auth(who): Auth,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult<Json<SearchPage>> {
    let q = search_query(&pairs)?;
    Ok(Json(service.search(&who, &q).await?))
}

/// The search of query pairs: `domain` and `tag` repeated or comma-separated;
/// other names are ignored, as unknown fields are elsewhere.
fn search_query(pairs: &[(String, String)]) -> ApiResult<SearchQuery> {
    let number = |name: &str, v: &str| {
        v.trim().parse::<i64>().map_err(|_| ApiError::bad_request(format!("query string: {name}: not a number: `{v}`")))
    };
    let (mut q, mut limit, mut offset) = (SearchQuery::default(), None, None);
    for (name, value) in pairs {
        let list = || value.split(',').map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        match name.as_str() {
            "q" => q.q = Some(value.clone()).filter(|v| !v.trim().is_empty()),
            "domain" => q.domains.extend(list()),
            "tag" => q.tags.extend(list()),
            "classification" => q.classification = Some(value.clone()).filter(|v| !v.trim().is_empty()),
            "owner" => q.owner = Some(value.clone()).filter(|v| !v.trim().is_empty()),
            "limit" => limit = Some(number(name, value)?),
            "offset" => offset = Some(number(name, value)?),
            _ => {}
        }
    }
    q.limit = super::page_limit(limit)?;
    q.offset = offset.unwrap_or(0).max(0);
    Ok(q)
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
///
/// `?major=N` reads the product as its last `N.x` version promised (a
/// previous major stays readable after a breaking version is published).
#[utoipa::path(get, path = "/api/v1/products/{key}", tag = "products",
    params(("key" = String, Path, description = "domain.product"), ShowParams),
    responses((status = 200, body = ProductDetail), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn show(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(k): Path<String>,
    Query(p): Query<ShowParams>,
) -> ApiResult<Json<ProductDetail>> {
    let k = key(&k)?;
    Ok(Json(match p.major {
        None => service.product(&who, &k).await?,
        Some(major) => service.product_major(&who, &k, major).await?,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct ShowParams {
    /// A major version (the `1` of `1.4.0`): the last version of that major.
    #[param(minimum = 0)]
    pub major: Option<i64>,
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

/// The product's majors, newest first: the current one, and older ones
/// published beside it until their end of life, with their catalog
/// database, end of support and end of life, and active grants.
#[utoipa::path(get, path = "/api/v1/products/{key}/majors", tag = "products", params(("key" = String, Path)),
    responses((status = 200, body = Vec<ProductMajor>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn majors(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(k): Path<String>,
) -> ApiResult<Json<Vec<ProductMajor>>> {
    Ok(Json(service.majors(&who, &key(&k)?).await?))
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
