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
        let Some(secret) = header.and_then(bearer_token) else {
            return Err(ApiError::unauthorized(
                "missing bearer token: send `Authorization: Bearer <token>` (the CLI reads STEWARD_TOKEN)",
            ));
        };
        match service.check_bearer(secret).await? {
            Ok(p) => Ok(Auth(p)),
            Err(refusal) => Err(ApiError::unauthorized(refusal.message())),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` value. The scheme is
/// case-insensitive (RFC 9110 section 11.1), so `bearer` and `BEARER` work too.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, rest) = value.trim_start().split_once([' ', '\t'])?;
    let token = rest.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_scheme_is_case_insensitive() {
        for v in ["Bearer stw_x", "bearer stw_x", "BEARER  stw_x", "bEaReR\tstw_x "] {
            assert_eq!(bearer_token(v), Some("stw_x"), "{v:?}");
        }
        for v in ["Bearer", "Bearer ", "Basic stw_x", "Bearerstw_x", "stw_x"] {
            assert_eq!(bearer_token(v), None, "{v:?}");
        }
    }
}
