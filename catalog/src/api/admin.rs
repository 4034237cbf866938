//! Audit log, tokens and catalog rebuild.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Auth;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{Path, Query};
use super::json::JsonBody;
use crate::service::Service;
use crate::service::admin::{AuditEvent, AuditFilter, EffectRow, StatusFilter};
use crate::service::catalog::Reconciled;
use crate::service::tokens::CreatedToken;
use crate::service::tokens::{NewToken, TokenInfo};

#[derive(Deserialize, IntoParams)]
pub struct AuditParams {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// e.g. `proposal:12` or `product:sales.orders`.
    pub target: Option<String>,
    /// Only events older than this id (paging).
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// The audit log, newest first (admins and reviewers).
///
/// Notification targets in event payloads are shown redacted.
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditParams),
    responses((status = 200, body = Vec<AuditEvent>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn audit_log(
    State(service): State<Service>,
    Auth(who): Auth,
    Query(p): Query<AuditParams>,
) -> ApiResult<Json<Vec<AuditEvent>>> {
    let filter = AuditFilter {
        actor: p.actor,
        action: p.action,
        target: p.target,
        before_id: p.before,
        limit: super::page_limit(p.limit)?,
    };
    Ok(Json(service.audit_log(&who, &filter).await?))
}

/// Create a token (admins). The secret is in the response only.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_token(
    State(service): State<Service>,
    Auth(who): Auth,
    JsonBody(t): JsonBody<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let created =
        service.create_token_expiring(&who, &t.name, t.email.as_deref(), t.role, t.scopes, t.expires_in_days).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Every token with its life cycle (admins): role, scopes, created, last
/// used, expiry, revocation. Never a secret or its hash.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin",
    responses((status = 200, body = Vec<TokenInfo>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_tokens(State(service): State<Service>, Auth(who): Auth) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(service.list_tokens(&who).await?))
}

/// Revoke a token (admins): it is refused from the next request on, on
/// every replica. 409 if it is already revoked or is the last active admin token.
#[utoipa::path(post, path = "/api/v1/tokens/{name}/revoke", tag = "admin", params(("name" = String, Path, description = "The token's name")),
    responses((status = 200, body = TokenInfo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_token(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(name): Path<String>,
) -> ApiResult<Json<TokenInfo>> {
    Ok(Json(service.revoke_token(&who, &name).await?))
}

/// Replay the registry's `main` into the catalog (admins).
#[utoipa::path(post, path = "/api/v1/admin/rebuild-catalog", tag = "admin",
    responses((status = 200, body = Reconciled, description = "What was reconciled, republished, refused or skipped"), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rebuild(State(service): State<Service>, Auth(who): Auth) -> ApiResult<Json<Reconciled>> {
    Ok(Json(service.rebuild_catalog(&who).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct OutboxParams {
    /// `pending`, `done`, `dead` (dead-lettered effects) or `blocked`
    /// (pending behind a dead one).
    pub status: Option<String>,
    pub limit: Option<i64>,
}

/// Outbox effects (admins): what is pending, done, or dead-lettered and why.
///
/// Targets, URLs and e-mail addresses in payloads, dedup keys and errors
/// are shown redacted (`scheme://host:port/…`, `j***@example.com`).
#[utoipa::path(get, path = "/api/v1/admin/outbox", tag = "admin", params(OutboxParams),
    responses((status = 200, body = Vec<EffectRow>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn outbox(
    State(service): State<Service>,
    Auth(who): Auth,
    Query(p): Query<OutboxParams>,
) -> ApiResult<Json<Vec<EffectRow>>> {
    let filter = match p.status.as_deref() {
        None => None,
        Some(s) => Some(
            serde_json::from_value::<StatusFilter>(serde_json::Value::from(s))
                .map_err(|_| ApiError::bad_request(format!("status `{s}`: use pending, done, dead or blocked")))?,
        ),
    };
    let rows = service.outbox(&who, filter, super::page_limit(p.limit)?).await?;
    Ok(Json(rows))
}

/// Put a dead-lettered effect back in the queue (admins), after fixing its
/// cause. The jobs it blocks (`blocked_by`) run once it is done.
#[utoipa::path(post, path = "/api/v1/admin/outbox/{id}/retry", tag = "admin", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn outbox_retry(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    service.retry_effect(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
