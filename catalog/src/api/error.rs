//! The one HTTP error type. 4xx bodies say what is wrong; 5xx bodies carry
//! an error id (also logged with the cause) and nothing internal.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::error::{ServiceError, StoreError};

pub use steward_api::{ErrorBody, ErrorKind};

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    /// Boxed: handlers return `Result<_, ApiError>` everywhere, and a small
    /// error keeps every `Ok` small.
    body: Box<ErrorBody>,
    /// Seconds for a `Retry-After` header (503 only).
    retry_after: Option<u32>,
}

impl ApiError {
    fn new(status: StatusCode, error: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody {
                error,
                message: message.into(),
                findings: None,
                proposal_id: None,
                error_id: None,
            }),
            retry_after: None,
        }
    }

    /// 503 with `Retry-After`: the request may well succeed if repeated.
    pub fn unavailable(m: impl Into<String>, retry_after_secs: u32) -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Unavailable, m);
        e.retry_after = Some(retry_after_secs);
        e
    }

    pub fn bad_request(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorKind::BadRequest, m)
    }

    pub fn unauthorized(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorKind::Unauthorized, m)
    }

    pub fn forbidden(m: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorKind::Forbidden, m)
    }

    pub fn not_found(m: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorKind::NotFound, m)
    }

    pub fn conflict(m: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorKind::Conflict, m)
    }

    pub fn unsupported_media_type(m: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorKind::UnsupportedMediaType, m)
    }

    pub fn payload_too_large(m: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorKind::PayloadTooLarge, m)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        &self.body.message
    }

    /// A 500 whose cause goes to the log under a fresh error id.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        let id = log_internal(cause);
        Self::internal_with_id(id)
    }

    fn internal_with_id(id: String) -> Self {
        let mut e = Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorKind::Internal, internal_message(&id));
        e.body.error_id = Some(id);
        e
    }
}

/// What a service error means over HTTP: the one mapping, used by the API
/// and the portal alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Described {
    pub status: StatusCode,
    /// The `error` field of the body.
    pub kind: ErrorKind,
    /// For people; a 5xx says only its error id.
    pub message: String,
    /// Set for a 5xx: the id under which the cause was logged.
    pub error_id: Option<String>,
}

/// Maps a service error to its status, kind and public message. A 5xx
/// logs its cause under a fresh error id.
pub fn describe(e: &ServiceError) -> Described {
    let plain = |status, kind, message: &String| Described { status, kind, message: message.clone(), error_id: None };
    match e {
        ServiceError::BadRequest(m) => plain(StatusCode::BAD_REQUEST, ErrorKind::BadRequest, m),
        ServiceError::Unauthorized(m) => plain(StatusCode::UNAUTHORIZED, ErrorKind::Unauthorized, m),
        ServiceError::Forbidden(m) => plain(StatusCode::FORBIDDEN, ErrorKind::Forbidden, m),
        ServiceError::NotFound(m) | ServiceError::Store(StoreError::NotFound(m)) => {
            plain(StatusCode::NOT_FOUND, ErrorKind::NotFound, m)
        }
        ServiceError::Conflict(m) | ServiceError::Store(StoreError::Conflict(m)) => {
            plain(StatusCode::CONFLICT, ErrorKind::Conflict, m)
        }
        ServiceError::Busy(m) | ServiceError::Store(StoreError::Busy(m)) => {
            plain(StatusCode::SERVICE_UNAVAILABLE, ErrorKind::Unavailable, m)
        }
        ServiceError::Invalid { message, .. } => {
            plain(StatusCode::UNPROCESSABLE_ENTITY, ErrorKind::InvalidContract, message)
        }
        other => {
            let id = log_internal(other);
            Described {
                status: StatusCode::INTERNAL_SERVER_ERROR,
                kind: ErrorKind::Internal,
                message: internal_message(&id),
                error_id: Some(id),
            }
        }
    }
}

/// Logs the cause of an internal error under a fresh error id (the one
/// place ids are minted) and returns the id.
pub fn log_internal(cause: &dyn std::fmt::Display) -> String {
    let id = crate::auth::random_id(12);
    tracing::error!(error_id = %id, cause = %cause, "internal error");
    id
}

fn internal_message(id: &str) -> String {
    format!("internal error; quote error id {id} to the operator")
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let d = describe(&e);
        if let Some(id) = d.error_id {
            return Self::internal_with_id(id);
        }
        let mut out = Self::new(d.status, d.kind, d.message);
        match e {
            ServiceError::Busy(_) | ServiceError::Store(StoreError::Busy(_)) => out.retry_after = Some(1),
            ServiceError::Invalid { findings, proposal_id, .. } => {
                out.body.findings = Some(findings.iter().map(crate::service::proposals::finding).collect());
                out.body.proposal_id = proposal_id;
            }
            _ => {}
        }
        out
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(*self.body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
