//! Test harness: a real SMTP server and an in-process webhook receiver.
//!
//! The lead's end-to-end tests reuse these, so they live in the crate behind the
//! `testing` feature rather than in this crate's `tests/`. Both sinks listen on
//! loopback only, so webhook tests must use `allow_private: true`.

mod smtp;
mod webhook;

pub use smtp::{ReceivedMail, SmtpSink};
pub use webhook::{ReceivedRequest, WebhookSink};
