//! The `Auth` extractor: a bearer token resolved to a [`Principal`].

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::AppState;
use super::error::ApiError;
use crate::auth::Principal;
use crate::service::Service;

/// The authenticated caller.
pub struct Auth(pub Principal);

impl<S> FromRequestParts<S> for Auth
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let service: &Service = &state.service;
        let header = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let Some(secret) = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::trim) else {
            return Err(ApiError::unauthorized(
                "missing bearer token: send `Authorization: Bearer <token>` (the CLI reads STEWARD_TOKEN)",
            ));
        };
        match service.authenticate(secret).await? {
            Some(p) => Ok(Auth(p)),
            None => Err(ApiError::unauthorized("unknown or revoked token")),
        }
    }
}
