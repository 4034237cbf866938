//! Refreshes on the embedded backends, on SQLite and PostgreSQL: the
//! `_SUCCESS` marker, the partition, email and a signed webhook (in memory,
//! and over a real SMTP server and HTTP receiver), idempotent retries, and
//! bad reports.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{TestApp, each_db};
use serde_json::json;
use steward_notify::testing::{SmtpSink, WebhookSink};

const REFRESH: &str = "/api/v1/products/sales.orders/refreshes";

fn report(key: &str) -> serde_json::Value {
    json!({"table": "order_lines", "partition": {"dt": "2026-11-21"}, "idempotency_key": key, "row_count": 1200})
}

fn loopback_webhooks() -> steward_catalog::service::BackendChoices {
    steward_catalog::service::BackendChoices {
        webhooks: steward_notify::WebhookSettings { allow_private: true, ..Default::default() },
        ..Default::default()
    }
}

/// The core scenario, on a bare `cargo test`: email and webhooks go to the
/// in-memory mailer and webhook sink ([`TestApp::memory_worker`]).
#[tokio::test]
async fn refresh_marks_notifies_and_repeats_nothing() {
    const HOOK: &str = "http://127.0.0.1:9/orders";
    for backend in common::backends().await {
        let app = TestApp::builder(backend).backends(loopback_webhooks()).start().await;
        app.published_with_grant().await;
        app.subscribe("email", "analyst@example.com").await;
        let sub = app.subscribe("webhook", HOOK).await;
        let secret = sub["secret"].as_str().expect("webhook secret shown once").to_owned();
        let (_, listed) = app.call("GET", "/api/v1/subscriptions", Some(&app.consumer), None).await;
        assert!(listed.as_array().unwrap().iter().all(|s| s.get("secret").is_none()), "secrets are not listed again");

        let (s, out) = app.json("POST", REFRESH, &app.producer, report("run-1")).await;
        assert_eq!(s, StatusCode::CREATED, "{out}");
        assert_eq!(out["partition_added"], true);
        assert_eq!(out["notifications"], 2);
        let marker_uri = out["marker"].as_str().unwrap();
        assert_eq!(marker_uri, "s3://steward-sales/orders/order_lines/dt=2026-11-21/_SUCCESS");

        // The partition is in the catalog before any marker exists.
        let (_, parts) = app.call("GET", "/api/v1/products/sales.orders/partitions", Some(&app.consumer), None).await;
        assert_eq!(parts[0]["partition"], "dt=2026-11-21", "{parts}");
        let marker = app.dir.path().join("objects/steward-sales/orders/order_lines/dt=2026-11-21/_SUCCESS");
        assert!(!marker.exists());

        let worker = app.memory_worker();
        let round = worker.drain().await.unwrap();
        assert_eq!(round.done, 3, "marker + 2 notifications: {round:?}");
        assert_eq!(std::fs::metadata(&marker).unwrap().len(), 0, "a 0-byte _SUCCESS marker");

        let mails = app.mail.mails();
        assert_eq!(mails.len(), 1, "{mails:?}");
        assert_eq!(mails[0].to, ["analyst@example.com"]);
        assert!(mails[0].subject.contains("sales.orders refreshed") && mails[0].subject.contains("dt=2026-11-21"));
        assert!(mails[0].text.contains(marker_uri), "{}", mails[0].text);

        let posts = app.hooks.signed();
        assert_eq!(posts.len(), 1, "{posts:?}");
        let hook = &posts[0];
        assert_eq!(hook.url, HOOK);
        let header = hook.header(steward_notify::SIGNATURE_HEADER).expect("signed");
        steward_notify::verify_signature(&secret, header, &hook.body, chrono::Utc::now().timestamp(), 300)
            .expect("signature verifies with the subscription secret");
        let body = hook.json();
        assert_eq!(body["product"], "sales.orders");
        assert_eq!(body["partition"], "dt=2026-11-21");
        assert_eq!(body["location"], "s3://steward-sales/orders/order_lines/dt=2026-11-21/");
        assert_eq!(hook.header(steward_notify::EVENT_ID_HEADER), body["event_id"].as_str());

        // The same report again: the first result, and nothing more happens.
        let (s, again) = app.json("POST", REFRESH, &app.producer, report("run-1")).await;
        assert_eq!(s, StatusCode::OK, "{again}");
        assert_eq!(again["replayed"], true);
        assert_eq!(again["refresh"]["id"], out["refresh"]["id"]);
        assert_eq!(worker.drain().await.unwrap().done, 0);
        assert_eq!((app.mail.len(), app.hooks.len()), (1, 1), "no second mail or post");

        // The key reused for a different refresh is a conflict.
        let mut other = report("run-1");
        other["partition"]["dt"] = json!("2026-11-22");
        let (s, e) = app.json("POST", REFRESH, &app.producer, other).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
    }
}

/// The same deliveries over a real SMTP server and a real HTTP receiver.
#[tokio::test]
async fn email_and_webhooks_go_over_real_smtp_and_http() {
    let Some(smtp) = SmtpSink::start() else { return };
    let hooks = WebhookSink::start().await;
    for backend in common::backends().await {
        let app = TestApp::builder(backend).backends(loopback_webhooks()).start().await;
        let before_mail = smtp.messages().len();
        app.published_with_grant().await;
        app.subscribe("email", "analyst@example.com").await;
        let path = format!("/{backend}/orders");
        let secret = app.subscribe("webhook", &hooks.url(&path)).await["secret"].as_str().unwrap().to_owned();
        let (s, out) = app.json("POST", REFRESH, &app.producer, report("run-1")).await;
        assert_eq!(s, StatusCode::CREATED, "{out}");

        assert_eq!(app.worker(Some(smtp.settings())).drain().await.unwrap().done, 3);
        let mails = smtp.wait_for(before_mail + 1, Duration::from_secs(10)).await;
        let mail = &mails[before_mail];
        assert!(mail.rcpt_to.iter().any(|r| r == "analyst@example.com"), "{mail:?}");
        assert!(mail.subject.contains("sales.orders refreshed"), "{mail:?}");
        let got = hooks.wait_for(1, Duration::from_secs(10)).await;
        let hook = got.iter().find(|r| r.path == path).expect("webhook delivered");
        let header = hook.header(steward_notify::SIGNATURE_HEADER).expect("signed");
        steward_notify::verify_signature(&secret, header, &hook.body, chrono::Utc::now().timestamp(), 300)
            .expect("signature verifies with the subscription secret");
    }
}

#[tokio::test]
async fn bad_refreshes_are_refused_with_the_reason() {
    each_db(|app| async move {
        app.published_with_grant().await;
        // Reading the refreshes or partitions of a product not in the catalog
        // is a 404 (a sensor waiting on a misspelt key must fail, not wait);
        // a published product with none yet is an empty list.
        for what in ["refreshes", "partitions"] {
            let (s, e) =
                app.call("GET", &format!("/api/v1/products/sales.ordres/{what}"), Some(&app.consumer), None).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{what}: {e}");
            assert!(e["message"].as_str().unwrap().contains("sales.ordres"), "{e}");
            let (s, none) =
                app.call("GET", &format!("/api/v1/products/sales.orders/{what}"), Some(&app.consumer), None).await;
            assert_eq!((s, none), (StatusCode::OK, json!([])), "{what}");
        }
        let cases = [
            (
                json!({"table": "orders", "partition": {"dt": "2026-11-21"}}),
                StatusCode::BAD_REQUEST,
                "no table `orders`",
            ),
            (
                json!({"table": "order_lines", "partition": {"day": "2026-11-21"}}),
                StatusCode::BAD_REQUEST,
                "partitioned by dt, not `day`",
            ),
            (json!({"table": "order_lines", "partition": {}}), StatusCode::BAD_REQUEST, "partition.dt: missing"),
            (
                json!({"table": "order_lines", "partition": {"dt": "21.11.2026"}}),
                StatusCode::BAD_REQUEST,
                "not a valid date",
            ),
            (
                json!({"table": "order_lines", "partition": {"dt": "../../etc"}}),
                StatusCode::BAD_REQUEST,
                "partition.dt",
            ),
            (json!({"partition": {"dt": "2026-11-21"}}), StatusCode::BAD_REQUEST, "several tables"),
            (
                json!({"table": "order_lines", "partition": {"dt": "2026-11-21"}, "row_count": -1}),
                StatusCode::BAD_REQUEST,
                "row_count",
            ),
        ];
        for (body, status, needle) in cases {
            let (s, e) = app.json("POST", REFRESH, &app.producer, body.clone()).await;
            assert_eq!(s, status, "{body}: {e}");
            assert!(e["message"].as_str().unwrap().contains(needle), "{needle}: {e}");
        }
        // A producer of another domain, and a consumer.
        for token in [&app.hr_producer, &app.consumer] {
            let (s, e) = app.json("POST", REFRESH, token, report("x")).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        }
        let (_, list) = app.call("GET", REFRESH, Some(&app.producer), None).await;
        assert_eq!(list.as_array().unwrap().len(), 0, "nothing was recorded: {list}");
        let (_, parts) = app.call("GET", "/api/v1/products/sales.orders/partitions", Some(&app.producer), None).await;
        assert_eq!(parts.as_array().unwrap().len(), 0);
    })
    .await;
}

#[tokio::test]
async fn subscriptions_need_a_grant_and_revoked_subscribers_hear_nothing() {
    let hooks = WebhookSink::start().await;
    for backend in common::backends().await {
        let app = TestApp::builder(backend).backends(loopback_webhooks()).start().await;
        app.publish(&steward_testkit::sales_orders()).await;
        let body = json!({"account": "123456789012", "channel": "webhook", "target": hooks.url("/x")});
        let (s, e) = app.json("POST", "/api/v1/products/sales.orders/subscriptions", &app.consumer, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        assert!(e["message"].as_str().unwrap().contains("request access first"), "{e}");

        let grant = app.grant_consumer().await;
        let path = format!("/{backend}/revoked");
        app.subscribe("webhook", &hooks.url(&path)).await;
        let (s, _) = app
            .json("POST", &format!("/api/v1/grants/{grant}/revoke"), &app.reviewer, json!({"comment": "done"}))
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, out) = app.json("POST", REFRESH, &app.producer, report("after-revoke")).await;
        assert_eq!(s, StatusCode::CREATED, "{out}");
        assert_eq!(out["notifications"], 0, "a revoked account is not notified");
        app.worker(None).drain().await.unwrap();
        assert_eq!(hooks.requests().iter().filter(|r| r.path == path).count(), 0);

        // Targets are checked when subscribing.
        for (channel, target, needle) in [
            ("email", "not-an-address", "not an email address"),
            ("sns", "arn:aws:sqs:eu-west-1:123456789012:q", "not an SNS topic ARN"),
            ("pigeon", "x", "channel"),
        ] {
            let body = json!({"account": "123456789012", "channel": channel, "target": target});
            let (s, e) = app.json("POST", "/api/v1/products/sales.orders/subscriptions", &app.consumer, body).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
            assert!(e["message"].as_str().unwrap().contains(needle), "{needle}: {e}");
        }
    }
}

#[tokio::test]
async fn webhooks_to_private_addresses_are_refused_by_default() {
    each_db(|app| async move {
        app.published_with_grant().await;
        for target in ["http://127.0.0.1:9/hook", "http://10.0.0.5/hook", "http://169.254.169.254/latest"] {
            let body = json!({"account": "123456789012", "channel": "webhook", "target": target});
            let (s, e) = app.json("POST", "/api/v1/products/sales.orders/subscriptions", &app.consumer, body).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{target}: {e}");
        }
    })
    .await;
}

#[tokio::test]
async fn notifications_enqueued_before_a_crash_are_delivered_once_after() {
    let hooks = WebhookSink::start().await;
    for backend in common::backends().await {
        let app = TestApp::builder(backend).backends(loopback_webhooks()).start().await;
        app.published_with_grant().await;
        let path = format!("/{backend}/crash");
        app.subscribe("webhook", &hooks.url(&path)).await;
        let (s, _) = app.json("POST", REFRESH, &app.producer, report("crash")).await;
        assert_eq!(s, StatusCode::CREATED);
        // A worker claims the batch and dies before running it: its claim is
        // never released (here it is already expired, as it would be after
        // `outbox.claim_secs`) ...
        let dead = app.worker(None);
        let claimed = dead.claim_and_abandon(chrono::Duration::seconds(-1)).await.unwrap();
        assert_eq!(claimed, 1, "only the marker is due; the notification waits for it");
        // ... and after its claim expires a new worker delivers everything exactly once.
        let round = app.worker(None).drain().await.unwrap();
        assert_eq!(round.done, 2, "{round:?}");
        assert_eq!(app.worker(None).drain().await.unwrap().done, 0);
        hooks.wait_for(1, Duration::from_secs(5)).await;
        assert_eq!(hooks.requests().iter().filter(|r| r.path == path).count(), 1);
    }
}

/// The SNS channel against moto: a consumer subscribes a topic; moto delivers
/// what Steward publishes to an HTTP subscriber of that topic (a webhook sink).
#[tokio::test]
async fn sns_subscribers_get_the_event_through_the_topic() {
    let Some(moto) = steward_aws::testing::moto().await else { return };
    let hooks = WebhookSink::start().await;
    let account = steward_aws::testing::account();
    let cfg = moto.config(&account).await;
    let sns = aws_sdk_sns::Client::new(&cfg);
    let topic = sns.create_topic().name(steward_aws::testing::unique("orders-")).send().await.unwrap();
    let topic_arn = topic.topic_arn().unwrap().to_owned();
    let path = format!("/sns/{}", steward_aws::testing::unique(""));
    sns.subscribe().topic_arn(&topic_arn).protocol("http").endpoint(hooks.url(&path)).send().await.unwrap();

    let app = TestApp::start("sqlite").await;
    app.published_with_grant().await;
    app.subscribe("sns", &topic_arn).await;
    let (s, out) = app.json("POST", REFRESH, &app.producer, report("sns-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{out}");

    let worker = app.worker_for(steward_catalog::server::EffectBackends {
        glue: None,
        shares: None,
        markers: steward_aws::Markers::local(app.dir.path().join("objects")),
        mailer: None,
        webhooks: steward_notify::WebhookSender::new(&Default::default()).unwrap(),
        sns: Some(steward_aws::SnsPublisher::new(&cfg)),
    });
    assert_eq!(worker.drain().await.unwrap().done, 2, "marker + SNS publish");
    let got = hooks.wait_for(1, Duration::from_secs(10)).await;
    let hit = got.iter().find(|r| r.path == path).expect("moto delivered the SNS message");
    let envelope: serde_json::Value = serde_json::from_slice(&hit.body).unwrap();
    assert!(envelope["Subject"].as_str().unwrap().contains("sales.orders refreshed"), "{envelope}");
    let event: serde_json::Value = serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap();
    assert_eq!(event["partition"], "dt=2026-11-21");
    assert_eq!(event["marker"], "s3://steward-sales/orders/order_lines/dt=2026-11-21/_SUCCESS");
}

/// Concurrent producers: every report succeeds on both databases (SQLite
/// write transactions take the lock up front instead of failing on upgrade).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_all_succeed() {
    each_db(|app| async move {
        app.published_with_grant().await;
        let app = std::sync::Arc::new(app);
        let mut tasks = Vec::new();
        for i in 0..16 {
            let app = app.clone();
            tasks.push(tokio::spawn(async move {
                let body = json!({"table": "order_lines", "partition": {"dt": format!("2026-11-{:02}", i + 1)}, "idempotency_key": format!("c{i}")});
                app.json("POST", REFRESH, &app.producer, body).await
            }));
        }
        for t in tasks {
            let (s, body) = t.await.unwrap();
            assert_eq!(s, StatusCode::CREATED, "{body}");
        }
        let (_, parts) = app.call("GET", "/api/v1/products/sales.orders/partitions?limit=100", Some(&app.producer), None).await;
        assert_eq!(parts.as_array().unwrap().len(), 16);
    })
    .await;
}
