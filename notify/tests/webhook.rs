//! Webhook and Slack deliveries against the in-process sink on loopback.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use steward_notify::testing::WebhookSink;
use steward_notify::{
    EVENT_ID_HEADER, NotifyError, SIGNATURE_HEADER, SignatureError, WebhookSender, WebhookSettings, verify_signature,
};

const SECRET: &str = "whsec_0123456789";
const BODY: &[u8] = br#"{"type":"product.refreshed","product":"sales.orders","version":"1.2.0"}"#;

fn loopback(timeout_secs: u64) -> WebhookSender {
    WebhookSender::new(&WebhookSettings { timeout_secs, allow_private: true, allowed_hosts: vec![] }).unwrap()
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn signed_delivery_verifies_on_the_receiver() {
    let sink = WebhookSink::start().await;
    loopback(5).post_signed(&sink.url("/hooks/a"), SECRET, "evt-42", BODY).await.unwrap();

    let requests = sink.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/hooks/a");
    assert_eq!(req.body, BODY);
    assert_eq!(req.header(EVENT_ID_HEADER), Some("evt-42"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    let signature = req.header(SIGNATURE_HEADER).expect("signature header");

    assert_eq!(verify_signature(SECRET, signature, &req.body, now(), 300), Ok(()));
    let mut changed = req.body.clone();
    changed[10] ^= 1;
    assert_eq!(verify_signature(SECRET, signature, &changed, now(), 300), Err(SignatureError::Mismatch));
    assert_eq!(verify_signature("whsec_other", signature, &req.body, now(), 300), Err(SignatureError::Mismatch));
    assert!(matches!(
        verify_signature(SECRET, signature, &req.body, now() + 3600, 300),
        Err(SignatureError::Stale { .. })
    ));
}

#[tokio::test]
async fn status_codes_are_classified() {
    let sink = WebhookSink::start().await;
    let cases = [(500, true), (503, true), (429, true), (408, true), (400, false), (404, false)];
    for (status, _) in cases {
        sink.respond_with(&format!("/s/{status}"), status);
    }
    sink.retry_after("/s/429", 30);
    let sender = loopback(5);
    for (status, retryable) in cases {
        let err = sender.post_signed(&sink.url(&format!("/s/{status}")), SECRET, "e", BODY).await.unwrap_err();
        assert_eq!(err.status(), Some(status), "{err}");
        assert_eq!(err.is_retryable(), retryable, "{status}: {err}");
        assert!(!err.to_string().contains("/s/"), "the URL path leaked into {err}");
    }
    let err = sender.post_signed(&sink.url("/s/429"), SECRET, "e", BODY).await.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(sink.count(), 7);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let sink = WebhookSink::start().await;
    sink.respond_with("/moved", 307);
    let err = loopback(5).post_signed(&sink.url("/moved"), SECRET, "e", BODY).await.unwrap_err();
    assert_eq!(err.status(), Some(307));
    assert!(!err.is_retryable());
    assert_eq!(sink.count(), 1);
}

#[tokio::test]
async fn slow_endpoint_times_out_without_holding_a_fast_one() {
    let sink = WebhookSink::start().await;
    sink.delay("/slow", Duration::from_secs(5));
    let sender = loopback(1);

    let started = Instant::now();
    let slow = {
        let (sender, url) = (sender.clone(), sink.url("/slow"));
        tokio::spawn(async move {
            let result = sender.post_signed(&url, SECRET, "slow", BODY).await;
            (result, started.elapsed())
        })
    };
    // Let the slow request get in first.
    sink.wait_for(1, Duration::from_secs(2)).await;
    let fast_started = Instant::now();
    sender.post_signed(&sink.url("/fast"), SECRET, "fast", BODY).await.unwrap();
    let fast_took = fast_started.elapsed();

    let (slow_result, slow_took) = slow.await.unwrap();
    let err = slow_result.unwrap_err();
    assert!(matches!(err, NotifyError::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(slow_took >= Duration::from_millis(900) && slow_took < Duration::from_secs(4), "{slow_took:?}");
    assert!(fast_took < slow_took, "fast {fast_took:?} waited for slow {slow_took:?}");
}

#[tokio::test]
async fn private_targets_are_refused_before_any_request() {
    let sink = WebhookSink::start().await;
    let strict = WebhookSender::new(&WebhookSettings::default()).unwrap();
    // IP literal: refused by the URL check.
    let err = strict.post_signed(&sink.url("/x"), SECRET, "e", BODY).await.unwrap_err();
    assert!(matches!(err, NotifyError::TargetRefused { .. }), "{err:?}");
    assert!(!err.is_retryable());
    // Host name resolving to loopback: refused by the connect-time resolver.
    let by_name = format!("http://localhost:{}/x", sink.addr().port());
    let err = strict.post_signed(&by_name, SECRET, "e", BODY).await.unwrap_err();
    assert!(matches!(err, NotifyError::TargetRefused { .. }), "{err:?}");
    assert!(!err.is_retryable());
    let err = strict.post_slack(&by_name, "hi").await.unwrap_err();
    assert!(matches!(err, NotifyError::TargetRefused { .. }), "{err:?}");
    assert_eq!(sink.count(), 0);

    // The allowlist applies on top of allow_private.
    let allowlisted = WebhookSender::new(&WebhookSettings {
        allow_private: true,
        allowed_hosts: vec!["hooks.example.com".into()],
        ..WebhookSettings::default()
    })
    .unwrap();
    let err = allowlisted.post_signed(&sink.url("/x"), SECRET, "e", BODY).await.unwrap_err();
    assert!(matches!(err, NotifyError::TargetRefused { .. }), "{err:?}");
    assert_eq!(sink.count(), 0);
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/hooks/secret-token");
    let err = loopback(2).post_signed(&url, SECRET, "e", BODY).await.unwrap_err();
    assert!(matches!(err, NotifyError::Connect { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(!format!("{err} {err:?}").contains("secret-token"), "the URL path leaked into {err:?}");
}

#[tokio::test]
async fn slack_gets_a_text_payload() {
    let sink = WebhookSink::start().await;
    loopback(5)
        .post_slack(&sink.url("/services/T000/B000/XXX"), "SLO *freshness* breached: \"sales.orders\"")
        .await
        .unwrap();
    let requests = sink.wait_for(1, Duration::from_secs(5)).await;
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body, serde_json::json!({ "text": "SLO *freshness* breached: \"sales.orders\"" }));
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
    assert_eq!(requests[0].header(SIGNATURE_HEADER), None);
}

/// As the outbox worker does: one delivery per subscriber, each signed with its own
/// secret, many in flight over one sender; a failing subscriber does not stop the others.
#[tokio::test]
async fn one_post_per_subscriber_concurrently() {
    let (a, b) = (WebhookSink::start().await, WebhookSink::start().await);
    b.respond_with("/sub/7", 500);
    let sender = loopback(5);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let url = if i % 2 == 0 { &a } else { &b }.url(&format!("/sub/{i}"));
        let sender = sender.clone();
        tasks.spawn(async move { (i, sender.post_signed(&url, &format!("secret-{i}"), "evt-1", BODY).await) });
    }
    let mut results = tasks.join_all().await;
    results.sort_by_key(|(i, _)| *i);
    assert_eq!(results.len(), 40);
    for (i, result) in &results {
        if *i == 7 {
            assert!(result.as_ref().unwrap_err().is_retryable());
        } else {
            assert!(result.is_ok(), "{i}: {result:?}");
        }
    }
    let mut received = a.requests();
    received.extend(b.requests());
    assert_eq!(received.len(), 40);
    for req in &received {
        let i: usize = req.path.trim_start_matches("/sub/").parse().unwrap();
        let signature = req.header(SIGNATURE_HEADER).unwrap();
        assert_eq!(verify_signature(&format!("secret-{i}"), signature, &req.body, now(), 300), Ok(()));
        assert_eq!(req.header(EVENT_ID_HEADER), Some("evt-1"));
    }
}

/// The Python receiver recipe in docs/notifications.md accepts Steward's signatures
/// and rejects tampered ones.
#[test]
fn documented_python_recipe_verifies() {
    let doc = include_str!("../../docs/notifications.md");
    let snippet = doc.split("```python\n").nth(1).and_then(|rest| rest.split("```").next()).expect("python block");
    let t = now();
    let header = steward_notify::signature_header(SECRET, t, BODY);
    let script = format!(
        "{snippet}\nimport sys\nbody = {body:?}.encode()\nok = verify({SECRET:?}, {header:?}, body)\n\
         bad = verify({SECRET:?}, {header:?}, body + b' ')\nstale = verify({SECRET:?}, {stale:?}, body)\n\
         sys.exit(0 if (ok, bad, stale) == (True, False, False) else 1)\n",
        body = std::str::from_utf8(BODY).unwrap(),
        stale = steward_notify::signature_header(SECRET, t - 3600, BODY),
    );
    match std::process::Command::new("python3").args(["-c", &script]).status() {
        Ok(status) => assert!(status.success(), "the documented recipe disagrees with signature_header"),
        Err(e) => eprintln!("SKIPPED: python3 unavailable ({e})"),
    }
}
