//! Signed webhooks and Slack incoming webhooks over one shared HTTP client.
//!
//! The outbox worker calls [`WebhookSender::post_signed`] once per delivery from many
//! tasks at once, so the sender is a cheap handle around one `reqwest::Client` (its
//! connection pool is shared) and every request has its own timeout: a slow receiver
//! costs one task, never the others. Redirects are not followed (a 3xx could point at
//! an internal address after the target was vetted) and proxies are off (a proxy would
//! resolve the name itself, outside the target policy).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use tokio::sync::Semaphore;

use crate::error::NotifyError;
use crate::signature::{EVENT_ID_HEADER, SIGNATURE_HEADER, signature_header};
use crate::target::{VettingResolver, find_refusal, redact_url, vet_url};

/// Webhook channel settings (config section `notifications.webhook`).
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

/// Sends webhook deliveries. Clone it freely: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
    settings: Arc<WebhookSettings>,
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
        Ok(WebhookSender { client, settings: Arc::new(settings.clone()) })
    }

    /// The settings this sender enforces.
    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    /// POSTs `body` (JSON) to `url` with `Steward-Signature` (signed now with `secret`)
    /// and `Steward-Event-Id: event_id`, the receiver's idempotency key.
    pub async fn post_signed(&self, url: &str, secret: &str, event_id: &str, body: &[u8]) -> Result<(), NotifyError> {
        let signature = signature_header(secret, unix_now(), body);
        let event_id = HeaderValue::from_str(event_id)
            .map_err(|_| NotifyError::InvalidSettings(format!("event id {event_id:?} is not a valid header value")))?;
        let parsed = vet_url(url, &self.settings)?;
        let request = self
            .client
            .post(parsed)
            .header(CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_ID_HEADER, event_id)
            .body(body.to_vec());
        self.execute(url, request).await
    }

    /// POSTs `{"text": text}` to a Slack incoming-webhook URL (same target policy).
    pub async fn post_slack(&self, url: &str, text: &str) -> Result<(), NotifyError> {
        let parsed = vet_url(url, &self.settings)?;
        let body = serde_json::to_vec(&serde_json::json!({ "text": text })).expect("a JSON string serializes");
        let request = self.client.post(parsed).header(CONTENT_TYPE, "application/json").body(body);
        self.execute(url, request).await
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

/// One subscriber of a signed-webhook event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct WebhookTarget {
    pub url: String,
    pub secret: String,
}

/// Delivers one event to many subscribers with at most `concurrency` requests in
/// flight, and returns one result per target, in the order of `targets`. Failures do
/// not stop the others; the caller retries the retryable ones.
pub async fn deliver_all(
    sender: &WebhookSender,
    targets: &[WebhookTarget],
    event_id: &str,
    body: &[u8],
    concurrency: usize,
) -> Vec<Result<(), NotifyError>> {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let body: Arc<[u8]> = Arc::from(body);
    let event_id: Arc<str> = Arc::from(event_id);
    let mut tasks = tokio::task::JoinSet::new();
    for (index, target) in targets.iter().enumerate() {
        let (sender, permits, body, event_id) = (sender.clone(), permits.clone(), body.clone(), event_id.clone());
        let target = target.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
            (index, sender.post_signed(&target.url, &target.secret, &event_id, &body).await)
        });
    }
    let mut results: Vec<Option<Result<(), NotifyError>>> = (0..targets.len()).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, result)) => results[index] = Some(result),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    results.into_iter().map(|r| r.expect("every target's task reported")).collect()
}
