//! A JSON body extractor whose rejections are [`ApiError`]s naming what is
//! wrong (serde's message carries the field, line and column).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::error::ApiError;

pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::bad_request("send a JSON body with `Content-Type: application/json`"))
            }
            Err(e) => Err(ApiError::bad_request(format!("request body: {}", e.body_text()))),
        }
    }
}

/// An optional body: none when the request has no body (no content type),
/// else the parsed JSON or a 400 naming what is wrong.
impl<S, T> axum::extract::OptionalFromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        if req.headers().get(axum::http::header::CONTENT_TYPE).is_none() {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state).await.map(Some)
    }
}
