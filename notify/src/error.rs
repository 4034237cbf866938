//! Errors of the notification channels.
//!
//! The outbox worker retries a delivery only when the failure can go away on its own
//! (a timeout, a refused connection, a 429 or a 5xx). Everything else — a 4xx, a
//! refused target, a malformed address — will fail the same way again, so
//! [`NotifyError::is_retryable`] says `false` and the worker parks the delivery instead
//! of hammering the receiver.

use std::time::Duration;

/// Why a notification could not be delivered (or a channel could not be set up).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The channel settings are unusable (bad sender address, credentials without TLS, ...).
    #[error("invalid notification settings: {0}")]
    InvalidSettings(String),
    /// A recipient address or webhook URL is malformed.
    #[error("invalid address {address:?}: {reason}")]
    InvalidAddress { address: String, reason: String },
    /// The webhook target is not allowed by the target policy (private address, scheme, allowlist).
    #[error("webhook target {url:?} refused: {reason}")]
    TargetRefused { url: String, reason: String },
    /// The host name of a webhook target could not be resolved.
    #[error("cannot resolve {host:?}: {reason}")]
    Resolve { host: String, reason: String },
    /// The receiver did not answer in time.
    #[error("timed out delivering to {target}")]
    Timeout { target: String },
    /// The connection to the receiver (or SMTP relay) could not be established or broke.
    #[error("connection to {target} failed: {reason}")]
    Connect { target: String, reason: String },
    /// The webhook receiver answered with a non-2xx status (redirects are not followed).
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16, retry_after: Option<Duration> },
    /// The SMTP relay rejected the mail or the session failed.
    #[error("SMTP delivery failed: {message}")]
    Smtp { message: String, retryable: bool },
}

impl NotifyError {
    /// Whether the same delivery may succeed later: timeouts, connection failures,
    /// HTTP 408/429/5xx and transient SMTP failures (4xx replies, broken sessions).
    pub fn is_retryable(&self) -> bool {
        match self {
            NotifyError::Timeout { .. } | NotifyError::Connect { .. } | NotifyError::Resolve { .. } => true,
            NotifyError::Status { status, .. } => *status == 408 || *status == 429 || (500..=599).contains(status),
            NotifyError::Smtp { retryable, .. } => *retryable,
            NotifyError::InvalidSettings(_)
            | NotifyError::InvalidAddress { .. }
            | NotifyError::TargetRefused { .. } => false,
        }
    }

    /// The delay the receiver asked for with `Retry-After` (seconds form) on a 429 or 503,
    /// which the worker should honour when it is longer than its own backoff.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            NotifyError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status of a [`NotifyError::Status`] error.
    pub fn status(&self) -> Option<u16> {
        match self {
            NotifyError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Why a webhook signature did not verify (receiver side, see [`crate::verify_signature`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The header is not of the form `t=<unix>,v1=<hex>`.
    #[error("malformed signature header: {0}")]
    Malformed(&'static str),
    /// The timestamp is further from now than the tolerance (a replay or a skewed clock).
    #[error("signature timestamp {timestamp} is outside the tolerance of {tolerance_secs}s (now {now})")]
    Stale { timestamp: i64, now: i64, tolerance_secs: i64 },
    /// No `v1` signature matches the body and secret.
    #[error("signature does not match")]
    Mismatch,
}
