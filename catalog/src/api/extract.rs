//! `Query` and `Path` for the API: axum's, with rejections as JSON
//! [`ApiError`]s (axum's are plain text), and [`reject_control_chars`], the
//! one check of path and query strings, run on every API route.

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequestParts, RawPathParams, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::json::{control_char_error, forbidden_char};

/// Query parameters; a malformed one is a 400 naming it.
pub struct Query<T>(pub T);

impl<S, T> FromRequestParts<S> for Query<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(v)| Self(v))
            .map_err(|e| ApiError::bad_request(format!("query string: {}", e.body_text())))
    }
}

/// Path parameters; one that does not parse is a 400 naming it.
pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Self(v))
            .map_err(|e| ApiError::bad_request(format!("path: {}", e.body_text())))
    }
}

/// Refuses (400, naming the parameter) a request whose path parameters or
/// query parameters hold a control character once percent-decoded — before
/// any handler runs, so a new endpoint is covered without doing anything.
pub async fn reject_control_chars(
    params: Result<RawPathParams, RawPathParamsRejection>,
    req: Request,
    next: Next,
) -> Response {
    match check_params(params, req.uri().query()) {
        Ok(()) => next.run(req).await,
        Err(e) => e.into_response(),
    }
}

fn check_params(params: Result<RawPathParams, RawPathParamsRejection>, query: Option<&str>) -> Result<(), ApiError> {
    match params {
        Ok(params) => {
            for (name, value) in &params {
                if let Some(c) = forbidden_char(value, false) {
                    return Err(control_char_error(name, c));
                }
            }
        }
        Err(RawPathParamsRejection::InvalidUtf8InPathParam(e)) => {
            return Err(ApiError::bad_request(format!("path: {}", e.body_text())));
        }
        // A route without parameters.
        Err(_) => {}
    }
    query.map_or(Ok(()), check_query)
}

/// Checks every key and value of a query string, percent-decoded.
pub fn check_query(query: &str) -> Result<(), ApiError> {
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if let Some(c) = forbidden_char(&key, false) {
            return Err(control_char_error(&key.escape_debug().to_string(), c));
        }
        if let Some(c) = forbidden_char(&value, false) {
            return Err(control_char_error(&key, c));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_query;

    #[test]
    fn query_strings_with_control_characters_are_refused() {
        assert!(check_query("q=orders&limit=5").is_ok());
        let e = check_query("limit=5&q=a%00b").unwrap_err();
        assert!(e.message().contains("`q`"), "{}", e.message());
        assert!(check_query("q=a%0Ab").is_err());
        assert!(check_query("q=a%C2%85").is_err(), "C1 controls too");
        assert!(check_query("a%00=1").is_err(), "keys too");
    }
}
