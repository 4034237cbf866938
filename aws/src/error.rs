//! One error type for every AWS call, so that the outbox can decide uniformly
//! whether to retry: [`AwsError::is_retryable`] is true for throttling, 5xx
//! answers, timeouts and connection failures, false for answers that will not
//! change by asking again (bad input, missing permission, missing entity).

use aws_sdk_glue::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;

/// Error codes that mean "slow down" or "try again" whatever the HTTP status.
const RETRYABLE_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "ProvisionedThroughputExceededException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalServiceException",
    "InternalServerException",
    "ConcurrentModificationException",
    "OperationTimeoutException",
];
// Not retryable on purpose: `ResourceNumberLimitExceededException` (a quota
// such as RAM shares or Glue partitions is full; asking again will not help).

/// Is `code` an AWS error code worth retrying?
pub(crate) fn retryable_code(code: &str) -> bool {
    RETRYABLE_CODES.contains(&code)
}

/// How a call failed before AWS could answer it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The request could not be built (a bug or bad input): not retryable.
    Construction,
    /// Connect, read or operation timeout.
    Timeout,
    /// The request could not be sent (DNS, connection refused, TLS, ...).
    Dispatch,
    /// An answer came that could not be understood.
    Response,
}

/// A failed AWS call.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// AWS answered with an error.
    #[error("{service} {operation}: {code} (HTTP {status}): {message}")]
    Service {
        /// The service, e.g. `glue`.
        service: &'static str,
        /// The operation, e.g. `CreateTable`.
        operation: &'static str,
        /// The AWS error code, e.g. `AccessDeniedException`.
        code: String,
        /// The message AWS gave.
        message: String,
        /// The HTTP status of the answer.
        status: u16,
    },
    /// No usable answer came back.
    #[error("{service} {operation}: {kind:?} failure: {message}")]
    Transport {
        /// The service, e.g. `glue`.
        service: &'static str,
        /// The operation, e.g. `CreateTable`.
        operation: &'static str,
        /// What went wrong.
        kind: TransportKind,
        /// Details, with the source chain.
        message: String,
    },
    /// Some entries of a batch call still failed after the bounded retries.
    #[error("{operation}: {failed} entries failed ({code}: {message}) after {attempts} attempts")]
    Batch {
        /// The batch operation.
        operation: &'static str,
        /// How many entries failed.
        failed: usize,
        /// The error code of the first failure.
        code: String,
        /// The message of the first failure.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Steward was given something AWS cannot take (bad URI, bad name, ...).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// A resource exists but is not what Steward would have made of it.
    #[error("conflict: {0}")]
    Conflict(String),
    /// An S3 or filesystem operation of the marker store failed.
    #[error("object store: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// One failure reported to several callers (the partitions of one
    /// coalesced `BatchCreatePartition` call): it says and classifies as the original.
    #[error("{0}")]
    Shared(std::sync::Arc<AwsError>),
}

impl AwsError {
    /// Is asking again later likely to succeed? True for throttling, 5xx,
    /// timeouts and dispatch failures.
    pub fn is_retryable(&self) -> bool {
        match self {
            AwsError::Service { code, status, .. } => *status >= 500 || *status == 429 || retryable_code(code),
            AwsError::Transport { kind, .. } => !matches!(kind, TransportKind::Construction),
            AwsError::Batch { code, .. } => retryable_code(code),
            AwsError::ObjectStore(e) => !matches!(
                e,
                object_store::Error::NotFound { .. }
                    | object_store::Error::InvalidPath { .. }
                    | object_store::Error::NotSupported { .. }
                    | object_store::Error::PermissionDenied { .. }
                    | object_store::Error::Unauthenticated { .. }
                    | object_store::Error::UnknownConfigurationKey { .. }
            ),
            AwsError::Invalid(_) | AwsError::Conflict(_) => false,
            AwsError::Shared(e) => e.is_retryable(),
        }
    }

    /// The AWS error code of a service error.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Service { code, .. } | AwsError::Batch { code, .. } => Some(code),
            AwsError::Shared(e) => e.code(),
            _ => None,
        }
    }

    /// Builds an error from an SDK error of `service` `operation`.
    pub(crate) fn sdk<E>(service: &'static str, operation: &'static str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let transport =
            |kind, e: &dyn std::error::Error| AwsError::Transport { service, operation, kind, message: chain(e) };
        match &err {
            SdkError::ConstructionFailure(_) => transport(TransportKind::Construction, &err),
            SdkError::TimeoutError(_) => transport(TransportKind::Timeout, &err),
            SdkError::DispatchFailure(_) => transport(TransportKind::Dispatch, &err),
            SdkError::ResponseError(_) => transport(TransportKind::Response, &err),
            SdkError::ServiceError(ctx) => AwsError::Service {
                service,
                operation,
                code: ctx.err().code().unwrap_or("Unknown").to_owned(),
                message: ctx.err().message().unwrap_or_default().to_owned(),
                status: ctx.raw().status().as_u16(),
            },
            _ => transport(TransportKind::Response, &err),
        }
    }
}

/// `e` and its sources, joined: the SDK's top-level messages alone say little.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, status: u16) -> AwsError {
        AwsError::Service { service: "glue", operation: "X", code: code.into(), message: String::new(), status }
    }

    #[test]
    fn retryable_classification() {
        assert!(service("ThrottlingException", 400).is_retryable());
        assert!(service("InternalServiceException", 500).is_retryable());
        assert!(service("Whatever", 503).is_retryable());
        assert!(service("Whatever", 429).is_retryable());
        assert!(!service("AccessDeniedException", 403).is_retryable());
        assert!(!service("EntityNotFoundException", 400).is_retryable());
        assert!(!service("ResourceNumberLimitExceededException", 400).is_retryable());
        assert!(service("ConcurrentModificationException", 400).is_retryable());
        assert!(service("OperationTimeoutException", 400).is_retryable());
        let t = |kind| AwsError::Transport { service: "sns", operation: "Publish", kind, message: String::new() };
        assert!(t(TransportKind::Timeout).is_retryable());
        assert!(t(TransportKind::Dispatch).is_retryable());
        assert!(!t(TransportKind::Construction).is_retryable());
        assert!(!AwsError::Invalid("x".into()).is_retryable());
        assert_eq!(service("ThrottlingException", 400).code(), Some("ThrottlingException"));
    }
}
