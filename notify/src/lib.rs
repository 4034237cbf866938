//! Steward's notification channels: email over SMTP, signed webhooks and Slack webhooks.
//!
//! Consumers subscribe to data-product refreshes by email or signed webhook; producers
//! get SLO alerts by email or Slack. This crate only *delivers*: the outbox worker in
//! the service calls it once per delivery and retries the failures that
//! [`NotifyError::is_retryable`] marks as retryable, with backoff. Keeping delivery
//! here, behind plain functions, lets the worker stay free of SMTP/HTTP details and lets
//! receivers' security rules (signatures, the SSRF target policy) live in one place.
//!
//! Tests that only need to know *what* was sent use the in-memory channels, which
//! need no server: [`Mailer::memory`] returns a mailer and the [`MailLog`] of what it
//! sent, [`WebhookSender::memory`] a sender and the [`WebhookLog`] of its posts
//! (signed with the real signature; [`WebhookLog::fail_next`] makes posts fail with a
//! status to exercise retries). They have the same methods as the real channels, so the
//! code under test cannot tell them apart.
//!
//! With the `testing` feature, [`testing`] provides a real SMTP sink (aiosmtpd) and an
//! in-process webhook sink for end-to-end tests of the wire protocols.

mod email;
mod error;
mod signature;
mod target;
mod webhook;

#[cfg(feature = "testing")]
pub mod testing;

pub use email::{Email, MailLog, Mailer, SmtpSettings, SmtpTls};
pub use error::{NotifyError, SignatureError};
pub use signature::{
    EVENT_ID_HEADER, SIGNATURE_HEADER, STANDARD_ID_HEADER, STANDARD_SIGNATURE_HEADER, STANDARD_TIMESTAMP_HEADER,
    signature_header, standard_signature, verify_signature, verify_standard_signature,
};
pub use target::{check_target, forbidden_reason, redact_url};
pub use webhook::{SignedPost, SlackPost, WebhookLog, WebhookSender, WebhookSettings};
