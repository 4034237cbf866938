//! Signed webhooks and Slack incoming webhooks over one shared HTTP client.
//!
//! The outbox worker calls [`WebhookSender::post_signed`] once per delivery from many
//! tasks at once, so the sender is a cheap handle around one `reqwest::Client` (its
//! connection pool is shared) and every request has its own timeout: a slow receiver
//! costs one task, never the others. Redirects are not followed (a 3xx could point at
//! an internal address after the target was vetted) and proxies are off (a proxy would
//! resolve the name itself, outside the target policy).
//!
//! [`WebhookSender::memory`] gives a sender that makes no request: it applies the same
//! checks before sending (the URL policy that needs no DNS, the event id), signs exactly
//! as the HTTP sender does, and appends each post to a [`WebhookLog`], answering `Ok`
//! unless told to fail the next posts with a status ([`WebhookLog::fail_next`]), so
//! retries can be tested without a receiver:
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use steward_notify::{SIGNATURE_HEADER, WebhookSender, WebhookSettings, verify_signature};
//!
//! let (sender, log) = WebhookSender::memory(&WebhookSettings::default());
//! sender.post_signed("https://hooks.example.com/a", "whsec_1", "evt-1", b"{}").await.unwrap();
//! let post = &log.signed()[0];
//! let now = post.sent_at;
//! assert_eq!(verify_signature("whsec_1", post.header(SIGNATURE_HEADER).unwrap(), &post.body, now, 0), Ok(()));
//! # });
//! ```
//!
//! It is compiled in every build (it needs no dependency). The real HTTP path is
//! tested against an in-process receiver (`testing::WebhookSink`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};

use crate::error::NotifyError;
use crate::signature::{
    STANDARD_ID_HEADER, STANDARD_SIGNATURE_HEADER, STANDARD_TIMESTAMP_HEADER, signature_header, standard_signature,
};
use crate::target::{VettingResolver, find_refusal, redact_url, vet_url};

/// Webhook channel settings (config section `webhooks`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Whole-request timeout for one delivery, in seconds.
    pub timeout_secs: u64,
    /// Allow loopback, private and link-local targets (tests, single-host setups). Off in production.
    pub allow_private: bool,
    /// If non-empty, only these host names (or IP literals) may be targets.
    pub allowed_hosts: Vec<String>,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings { timeout_secs: 10, allow_private: false, allowed_hosts: Vec::new() }
    }
}

/// Sends webhook deliveries over HTTP, or records them ([`WebhookSender::memory`]).
/// Clone it freely: clones share one connection pool (or the log).
#[derive(Debug, Clone)]
pub struct WebhookSender {
    transport: Transport,
    settings: Arc<WebhookSettings>,
}

#[derive(Debug, Clone)]
enum Transport {
    Http(reqwest::Client),
    Memory(WebhookLog),
}

impl WebhookSender {
    /// Builds the HTTP client for `settings`.
    pub fn new(settings: &WebhookSettings) -> Result<Self, NotifyError> {
        if settings.timeout_secs == 0 {
            return Err(NotifyError::InvalidSettings("webhook timeout_secs must be at least 1".into()));
        }
        let timeout = Duration::from_secs(settings.timeout_secs);
        let resolver = VettingResolver { allow_private: settings.allow_private, timeout };
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .user_agent(concat!("steward-notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NotifyError::InvalidSettings(format!("cannot build the HTTP client: {e}")))?;
        Ok(WebhookSender { transport: Transport::Http(client), settings: Arc::new(settings.clone()) })
    }

    /// A sender that makes no request: every post is appended to the returned
    /// [`WebhookLog`] (shared by clones of the sender) and answers `Ok`, unless the log
    /// was told to fail it. `settings` apply as in [`WebhookSender::new`], except the
    /// checks that need DNS (a host name is never resolved) and the timeout.
    pub fn memory(settings: &WebhookSettings) -> (WebhookSender, WebhookLog) {
        let log = WebhookLog::default();
        let sender = WebhookSender { transport: Transport::Memory(log.clone()), settings: Arc::new(settings.clone()) };
        (sender, log)
    }

    /// The settings this sender enforces.
    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    /// POSTs `body` (JSON) to `url` with `Steward-Signature` (signed now with `secret`)
    /// and `Steward-Event-Id: event_id`, the receiver's idempotency key, and the same
    /// as Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`).
    pub async fn post_signed(&self, url: &str, secret: &str, event_id: &str, body: &[u8]) -> Result<(), NotifyError> {
        self.post_signed_as(url, secret, event_id, body, "application/json").await
    }

    /// As [`WebhookSender::post_signed`], with another JSON content type (a CloudEvent
    /// in structured mode is `application/cloudevents+json`).
    pub async fn post_signed_as(
        &self,
        url: &str,
        secret: &str,
        event_id: &str,
        body: &[u8],
        content_type: &'static str,
    ) -> Result<(), NotifyError> {
        let now = unix_now();
        let invalid = || NotifyError::InvalidSettings(format!("event id {event_id:?} is not a valid header value"));
        let id = HeaderValue::from_str(event_id).map_err(|_| invalid())?;
        let parsed = vet_url(url, &self.settings)?;
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        let signature = HeaderValue::from_str(&signature_header(secret, now, body)).expect("a signature is ASCII");
        headers.insert(HeaderName::from_static("steward-signature"), signature);
        headers.insert(HeaderName::from_static("steward-event-id"), id.clone());
        headers.insert(HeaderName::from_static(STANDARD_ID_HEADER), id);
        headers.insert(HeaderName::from_static(STANDARD_TIMESTAMP_HEADER), HeaderValue::from(now));
        let standard = standard_signature(secret, event_id, now, body);
        headers.insert(
            HeaderName::from_static(STANDARD_SIGNATURE_HEADER),
            HeaderValue::from_str(&standard).expect("base64 is ASCII"),
        );
        match &self.transport {
            Transport::Http(client) => {
                let request = client.post(parsed).headers(headers).body(body.to_vec());
                self.execute(url, request).await
            }
            Transport::Memory(log) => log.record(url, |status| {
                Posted::Signed(SignedPost { url: url.to_owned(), headers, body: body.to_vec(), sent_at: now, status })
            }),
        }
    }

    /// POSTs `{"text": text}` to a Slack incoming-webhook URL (same target policy).
    pub async fn post_slack(&self, url: &str, text: &str) -> Result<(), NotifyError> {
        let parsed = vet_url(url, &self.settings)?;
        match &self.transport {
            Transport::Http(client) => {
                let body = serde_json::to_vec(&serde_json::json!({ "text": text })).expect("a JSON string serializes");
                let request = client.post(parsed).header(CONTENT_TYPE, "application/json").body(body);
                self.execute(url, request).await
            }
            Transport::Memory(log) => log
                .record(url, |status| Posted::Slack(SlackPost { url: url.to_owned(), text: text.to_owned(), status })),
        }
    }

    async fn execute(&self, url: &str, request: reqwest::RequestBuilder) -> Result<(), NotifyError> {
        let url = redact_url(url);
        let url = url.as_str();
        let response = request.send().await.map_err(|e| classify(url, e.without_url()))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        drain(response).await;
        if status.is_success() {
            tracing::debug!(url, status = status.as_u16(), "webhook delivered");
            return Ok(());
        }
        tracing::debug!(url, status = status.as_u16(), "webhook receiver refused the delivery");
        Err(NotifyError::Status { url: url.to_owned(), status: status.as_u16(), retry_after })
    }
}

/// Reads (and discards) up to 64 KiB of the answer so the connection can go back to
/// the pool; a longer answer closes the connection instead of being read to the end.
async fn drain(mut response: reqwest::Response) {
    let mut read = 0;
    while let Ok(Some(chunk)) = response.chunk().await {
        read += chunk.len();
        if read > 64 * 1024 {
            break;
        }
    }
}

/// Maps a reqwest error (already stripped of its URL) to a [`NotifyError`]; `url` is redacted.
fn classify(url: &str, err: reqwest::Error) -> NotifyError {
    if let Some(refusal) = find_refusal(&err) {
        return NotifyError::TargetRefused { url: url.to_owned(), reason: refusal.to_string() };
    }
    if err.is_timeout() {
        return NotifyError::Timeout { target: url.to_owned() };
    }
    if err.is_builder() {
        return NotifyError::InvalidAddress { address: url.to_owned(), reason: err.to_string() };
    }
    // Connect failures, resets and broken bodies: the next attempt may well succeed.
    let mut reason = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        reason.push_str(": ");
        reason.push_str(&s.to_string());
        source = s.source();
    }
    NotifyError::Connect { target: url.to_owned(), reason }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// One signed post as an in-memory [`WebhookSender`] recorded it.
#[derive(Debug, Clone)]
pub struct SignedPost {
    /// The URL as given to `post_signed` (not redacted).
    pub url: String,
    /// The headers the HTTP sender would send: `content-type`, `Steward-Signature`
    /// (computed exactly as for a real delivery) and `Steward-Event-Id`.
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The Unix time the body was signed at (the `t=` of the signature).
    pub sent_at: i64,
    /// 200, or the status the post failed with ([`WebhookLog::fail_next`]).
    pub status: u16,
}

impl SignedPost {
    /// A header's value as text (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// One Slack post as an in-memory [`WebhookSender`] recorded it; the HTTP sender would
/// send `{"text": text}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackPost {
    /// The URL as given to `post_slack` (not redacted).
    pub url: String,
    pub text: String,
    /// 200, or the status the post failed with ([`WebhookLog::fail_next`]).
    pub status: u16,
}

#[derive(Debug, Clone)]
enum Posted {
    Signed(SignedPost),
    Slack(SlackPost),
}

/// Every post an in-memory [`WebhookSender`] made, failed ones included, in order.
/// Clones share the log.
#[derive(Debug, Clone, Default)]
pub struct WebhookLog {
    inner: Arc<Mutex<WebhookLogInner>>,
}

#[derive(Debug, Default)]
struct WebhookLogInner {
    posts: Vec<Posted>,
    /// The next `failures.0` posts answer with status `failures.1`.
    failures: (usize, u16),
}

impl WebhookLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, WebhookLogInner> {
        // A test that panicked while holding the lock has failed already; its data is still readable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn record(&self, url: &str, post: impl FnOnce(u16) -> Posted) -> Result<(), NotifyError> {
        let mut inner = self.lock();
        let status = if inner.failures.0 > 0 {
            inner.failures.0 -= 1;
            inner.failures.1
        } else {
            200
        };
        inner.posts.push(post(status));
        if (200..=299).contains(&status) {
            return Ok(());
        }
        Err(NotifyError::Status { url: redact_url(url), status, retry_after: None })
    }

    /// Every signed post so far (failed ones too, see [`SignedPost::status`]), in order.
    pub fn signed(&self) -> Vec<SignedPost> {
        let inner = self.lock();
        inner.posts.iter().filter_map(|p| if let Posted::Signed(s) = p { Some(s.clone()) } else { None }).collect()
    }

    /// Every Slack post so far (failed ones too), in order.
    pub fn slack(&self) -> Vec<SlackPost> {
        let inner = self.lock();
        inner.posts.iter().filter_map(|p| if let Posted::Slack(s) = p { Some(s.clone()) } else { None }).collect()
    }

    /// The number of posts so far, signed and Slack, failed ones included.
    pub fn len(&self) -> usize {
        self.lock().posts.len()
    }

    /// Whether nothing was posted yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets the posts recorded so far (not the pending failures).
    pub fn clear(&self) {
        self.lock().posts.clear();
    }

    /// Makes the next `n` posts (signed or Slack) fail with HTTP `status`, as a
    /// receiver answering `status` would ([`NotifyError::Status`], retryable for
    /// 408, 429 and 5xx). They are still recorded, with that status.
    pub fn fail_next(&self, n: usize, status: u16) {
        self.lock().failures = (n, status);
    }

    /// Waits until at least `n` posts were made or `timeout` passed; returns the number
    /// made. For posts made by another task (the outbox worker).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        while self.len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::{EVENT_ID_HEADER, SIGNATURE_HEADER, verify_signature};

    const BODY: &[u8] = br#"{"type":"product.refreshed","product":"sales.orders"}"#;

    #[tokio::test]
    async fn memory_sender_records_signed_posts_as_the_http_sender_would_send_them() {
        let (sender, log) = WebhookSender::memory(&WebhookSettings::default());
        assert!(log.is_empty());
        let before = unix_now();
        sender.post_signed("https://hooks.example.com/a?k=1", "whsec_a", "evt-1", BODY).await.unwrap();
        sender.clone().post_signed("https://hooks.example.com/b", "whsec_b", "evt-2", b"{}").await.unwrap();

        let posts = log.signed();
        assert_eq!(posts.len(), 2);
        let first = &posts[0];
        assert_eq!(first.url, "https://hooks.example.com/a?k=1");
        assert_eq!(first.body, BODY);
        assert_eq!(first.status, 200);
        assert_eq!(first.json()["product"], "sales.orders");
        assert_eq!(first.header("Content-Type"), Some("application/json"));
        assert_eq!(first.header(EVENT_ID_HEADER), Some("evt-1"));
        let signature = first.header(SIGNATURE_HEADER).expect("signed");
        assert!(first.sent_at >= before && first.sent_at <= unix_now());
        assert_eq!(signature, signature_header("whsec_a", first.sent_at, BODY));
        assert_eq!(verify_signature("whsec_a", signature, &first.body, unix_now(), 300), Ok(()));
        assert!(verify_signature("whsec_b", signature, &first.body, unix_now(), 300).is_err());
        assert_eq!(posts[1].header(EVENT_ID_HEADER), Some("evt-2"));
        assert!(log.slack().is_empty());
        assert_eq!(log.len(), 2);
    }

    #[tokio::test]
    async fn memory_sender_records_slack_posts() {
        let (sender, log) = WebhookSender::memory(&WebhookSettings::default());
        sender.post_slack("https://hooks.slack.com/services/T/B/X", "SLO *freshness* breached").await.unwrap();
        assert_eq!(
            log.slack(),
            vec![SlackPost {
                url: "https://hooks.slack.com/services/T/B/X".into(),
                text: "SLO *freshness* breached".into(),
                status: 200
            }]
        );
        assert!(log.signed().is_empty());
        log.clear();
        assert!(log.is_empty());
    }

    #[tokio::test]
    async fn memory_sender_applies_the_target_policy_and_header_checks() {
        let (strict, log) = WebhookSender::memory(&WebhookSettings::default());
        for url in ["http://127.0.0.1/hook", "http://169.254.169.254/latest/meta-data/", "ftp://hooks.example.com/"] {
            let err = strict.post_signed(url, "s", "e", BODY).await.unwrap_err();
            assert!(matches!(err, NotifyError::TargetRefused { .. }), "{url}: {err:?}");
            let err = strict.post_slack(url, "hi").await.unwrap_err();
            assert!(matches!(err, NotifyError::TargetRefused { .. }), "{url}: {err:?}");
        }
        let err = strict.post_signed("not a url", "s", "e", BODY).await.unwrap_err();
        assert!(matches!(err, NotifyError::InvalidAddress { .. }), "{err:?}");
        let err = strict.post_signed("https://hooks.example.com/", "s", "bad\nid", BODY).await.unwrap_err();
        assert!(matches!(err, NotifyError::InvalidSettings(_)), "{err:?}");
        assert!(log.is_empty());

        let settings = WebhookSettings {
            allow_private: true,
            allowed_hosts: vec!["127.0.0.1".into()],
            ..WebhookSettings::default()
        };
        let (loopback, log) = WebhookSender::memory(&settings);
        assert_eq!(loopback.settings(), &settings);
        loopback.post_signed("http://127.0.0.1:9/hook", "s", "e", BODY).await.unwrap();
        let err = loopback.post_signed("https://hooks.example.com/", "s", "e", BODY).await.unwrap_err();
        assert!(matches!(err, NotifyError::TargetRefused { .. }), "{err:?}");
        assert_eq!(log.len(), 1);
    }

    #[tokio::test]
    async fn memory_sender_fails_the_next_posts_as_told() {
        let (sender, log) = WebhookSender::memory(&WebhookSettings::default());
        log.fail_next(2, 503);
        let url = "https://hooks.example.com/secret-path";
        for _ in 0..2 {
            let err = sender.post_signed(url, "s", "evt", BODY).await.unwrap_err();
            assert_eq!(err.status(), Some(503));
            assert!(err.is_retryable());
            assert!(!err.to_string().contains("secret-path"), "the URL path leaked into {err}");
        }
        sender.post_signed(url, "s", "evt", BODY).await.unwrap();
        log.fail_next(1, 404);
        let err = sender.post_slack(url, "hi").await.unwrap_err();
        assert_eq!(err.status(), Some(404));
        assert!(!err.is_retryable());
        sender.post_slack(url, "hi").await.unwrap();

        let statuses: Vec<u16> = log.signed().iter().map(|p| p.status).collect();
        assert_eq!(statuses, [503, 503, 200]);
        let statuses: Vec<u16> = log.slack().iter().map(|p| p.status).collect();
        assert_eq!(statuses, [404, 200]);
    }

    #[tokio::test]
    async fn memory_log_waits_for_posts_from_another_task() {
        let (sender, log) = WebhookSender::memory(&WebhookSettings::default());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            sender.post_slack("https://hooks.example.com/", "late").await.unwrap();
        });
        assert_eq!(log.wait_for(1, Duration::from_secs(5)).await, 1);
        assert_eq!(log.slack()[0].text, "late");
    }
}
