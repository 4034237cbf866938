//! `type: local` servers on SQLite and PostgreSQL: a refresh writes
//! `<data_dir>/lake/.../_SUCCESS` and then notifies; a location that would
//! leave the lake is refused before anything is recorded; a dead marker shows
//! on the refresh and in the outbox (its notifications `blocked_by` it), and
//! a retry of it covers them too. Also: a worker that dies mid-batch leaves
//! only its in-flight job to run again.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{Value, json};
use steward_catalog::auth::Role;
use steward_catalog::service::{BackendChoices, SignalsBackend};
use steward_notify::testing::WebhookSink;

const MARKETING: &str = "/api/v1/products/marketing.campaign_stats";
const HOUR: &str = "2026-11-21T06:00:00Z";

fn marketing_yaml() -> String {
    std::fs::read_to_string(steward_testkit::repo_root().join("examples/marketing-campaigns.odcs.yaml")).unwrap()
}

/// A test app whose service knows its data dir (as `steward serve` does).
async fn start(backend: &'static str, signals: SignalsBackend) -> TestApp {
    let backends = BackendChoices {
        webhooks: steward_notify::WebhookSettings { allow_private: true, ..Default::default() },
        signals,
        ..Default::default()
    };
    TestApp::builder(backend).backends(backends).knows_data_dir().start().await
}

/// Publishes the marketing example (with a marketing producer); returns its token.
async fn publish_marketing(app: &TestApp) -> String {
    let root = app.principal(&app.admin).await;
    let producer =
        app.service.create_token(&root, "mia", None, Role::Producer, vec!["marketing".into()]).await.unwrap();
    let (s, body) = app.submit(&producer.token, &marketing_yaml()).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app.approve(&app.reviewer, body["id"].as_i64().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    producer.token
}

/// Grants the consumer's account access and subscribes a webhook; returns its secret.
async fn subscribe(app: &TestApp, url: &str) -> String {
    let body = json!({"account": "123456789012", "justification": "campaign dashboards"});
    let (s, req) = app.json("POST", &format!("{MARKETING}/access-requests"), &app.consumer, body).await;
    assert_eq!(s, StatusCode::CREATED, "{req}");
    if req["status"] == "pending" {
        let (s, g) = app
            .call("POST", &format!("/api/v1/access-requests/{}/approve", req["id"]), Some(&app.reviewer), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{g}");
    }
    let body = json!({"account": "123456789012", "channel": "webhook", "target": url});
    let (s, sub) = app.json("POST", &format!("{MARKETING}/subscriptions"), &app.consumer, body).await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
    sub["secret"].as_str().unwrap().to_owned()
}

fn report(key: &str) -> Value {
    json!({"table": "hourly_clicks", "partition": {"hour": HOUR}, "idempotency_key": key, "row_count": 10})
}

fn lake_dir(app: &TestApp) -> std::path::PathBuf {
    app.dir.path().join("lake/marketing/campaign_stats/hourly_clicks")
}

async fn outbox(app: &TestApp, query: &str) -> Vec<Value> {
    let (s, rows) = app.call("GET", &format!("/api/v1/admin/outbox{query}"), Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    rows.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_local_refresh_writes_its_marker_in_the_lake_then_notifies() {
    let hooks = WebhookSink::start().await;
    let probe = tempfile::tempdir().unwrap();
    for (backend, _) in common::databases(probe.path()).await {
        let app = start(backend, SignalsBackend::Local).await;
        let producer = publish_marketing(&app).await;
        let path = format!("/{backend}/local");
        let secret = subscribe(&app, &hooks.url(&path)).await;

        let (s, out) = app.json("POST", &format!("{MARKETING}/refreshes"), &producer, report("h6")).await;
        assert_eq!(s, StatusCode::CREATED, "{out}");
        let id = out["refresh"]["id"].as_i64().unwrap();
        let marker_uri = format!("lake/marketing/campaign_stats/hourly_clicks/hour={HOUR}/_SUCCESS");
        assert_eq!(out["marker"], marker_uri.as_str());
        let (_, st) = app.call("GET", &format!("{MARKETING}/refreshes/{id}"), Some(&producer), None).await;
        assert_eq!(st["marker"]["state"], "pending", "{st}");

        let round = app.worker(None).drain().await.unwrap();
        assert_eq!((round.done, round.dead), (2, 0), "marker + notification: {round:?}");
        let marker = lake_dir(&app).join(format!("hour={HOUR}/_SUCCESS"));
        assert_eq!(std::fs::metadata(&marker).expect("marker in the lake").len(), 0, "a 0-byte _SUCCESS");

        let got = hooks.wait_for(1, Duration::from_secs(10)).await;
        let hook = got.iter().find(|r| r.path == path).expect("webhook delivered");
        let header = hook.header(steward_notify::SIGNATURE_HEADER).expect("signed");
        steward_notify::verify_signature(&secret, header, &hook.body, chrono::Utc::now().timestamp(), 300).unwrap();
        let event: Value = serde_json::from_slice(&hook.body).unwrap();
        assert_eq!(event["marker"], marker_uri.as_str());

        let (s, st) = app.call("GET", &format!("{MARKETING}/refreshes/{id}"), Some(&producer), None).await;
        assert_eq!(s, StatusCode::OK, "{st}");
        assert_eq!(st["marker"]["state"], "written", "{st}");
        assert_eq!(st["notifications"]["done"], 1, "{st}");
        let (s, _) = app.call("GET", &format!("{MARKETING}/refreshes/{}", id + 100), Some(&producer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

#[cfg(unix)]
#[tokio::test]
async fn local_locations_leaving_the_lake_are_refused_before_anything_is_recorded() {
    let probe = tempfile::tempdir().unwrap();
    for (backend, _) in common::databases(probe.path()).await {
        let app = start(backend, SignalsBackend::Local).await;
        let root = app.principal(&app.admin).await;
        let producer =
            app.service.create_token(&root, "mia", None, Role::Producer, vec!["marketing".into()]).await.unwrap().token;
        // `..` and absolute paths are refused by validation.
        for bad in ["lake/marketing/../../etc", "/etc/steward"] {
            let yaml = marketing_yaml().replace("path: lake/marketing/campaign_stats", &format!("path: {bad}"));
            let (s, body) = app.submit(&producer, &yaml).await;
            assert!(s.is_client_error(), "{bad}: {s} {body}");
            assert!(body.to_string().contains("STW013"), "{bad}: {body}");
        }
        // A symlink out of the lake is refused at the refresh.
        let (s, body) = app.submit(&producer, &marketing_yaml()).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let (s, _) = app.approve(&app.reviewer, body["id"].as_i64().unwrap()).await;
        assert_eq!(s, StatusCode::OK);
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(app.dir.path().join("lake")).unwrap();
        std::os::unix::fs::symlink(outside.path(), app.dir.path().join("lake/marketing")).unwrap();
        let (s, e) = app.json("POST", &format!("{MARKETING}/refreshes"), &producer, report("escape")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        let msg = e["message"].as_str().unwrap();
        assert!(msg.starts_with("location:") && msg.contains("symlink"), "{msg}");
        let (_, list) = app.call("GET", &format!("{MARKETING}/refreshes"), Some(&producer), None).await;
        assert_eq!(list.as_array().unwrap().len(), 0, "nothing recorded: {list}");
        let (_, parts) = app.call("GET", &format!("{MARKETING}/partitions"), Some(&producer), None).await;
        assert_eq!(parts.as_array().unwrap().len(), 0);
        assert!(outbox(&app, "").await.iter().all(|r| r["kind"] != "signal.marker"));
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none(), "nothing written outside the lake");
    }
}

#[tokio::test]
async fn a_local_product_is_refused_when_markers_go_to_s3() {
    let app = start("sqlite", SignalsBackend::S3).await;
    let producer = publish_marketing(&app).await;
    let (s, e) = app.json("POST", &format!("{MARKETING}/refreshes"), &producer, report("s3")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let msg = e["message"].as_str().unwrap();
    assert!(msg.starts_with("location:") && msg.contains("backends.signals = s3"), "{msg}");
    let (_, list) = app.call("GET", &format!("{MARKETING}/refreshes"), Some(&producer), None).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[cfg(unix)]
#[tokio::test]
async fn a_dead_marker_shows_on_the_refresh_blocks_its_notifications_and_one_retry_covers_both() {
    let hooks = WebhookSink::start().await;
    let probe = tempfile::tempdir().unwrap();
    for (backend, _) in common::databases(probe.path()).await {
        let app = start(backend, SignalsBackend::Local).await;
        let producer = publish_marketing(&app).await;
        let path = format!("/{backend}/blocked");
        subscribe(&app, &hooks.url(&path)).await;
        let (s, out) = app.json("POST", &format!("{MARKETING}/refreshes"), &producer, report("dead")).await;
        assert_eq!(s, StatusCode::CREATED, "{out}");
        let id = out["refresh"]["id"].as_i64().unwrap();

        // After the report, the table's directory becomes a link out of the lake.
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(lake_dir(&app).parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(outside.path(), lake_dir(&app)).unwrap();
        let worker = app.worker(None);
        let round = worker.drain().await.unwrap();
        assert_eq!((round.done, round.dead), (0, 1), "{round:?}");
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none(), "nothing written outside the lake");

        let (s, st) = app.call("GET", &format!("{MARKETING}/refreshes/{id}"), Some(&producer), None).await;
        assert_eq!(s, StatusCode::OK, "{st}");
        assert_eq!(st["marker"]["state"], "dead", "{st}");
        assert!(st["marker"]["error"].as_str().unwrap().contains("symlink"), "{st}");
        assert_eq!(st["notifications"]["pending"], 1, "{st}");
        assert_eq!(st["notifications"]["blocked"], true, "{st}");
        let marker_job = st["marker"]["job_id"].as_i64().unwrap();

        let blocked = outbox(&app, "?status=blocked").await;
        assert_eq!(blocked.len(), 1, "{blocked:?}");
        assert_eq!(blocked[0]["kind"], "notify.refresh");
        assert_eq!(blocked[0]["status"], "pending");
        assert_eq!(blocked[0]["blocked_by"], marker_job);
        let all = outbox(&app, "").await;
        let dead = all.iter().find(|r| r["id"] == marker_job).unwrap();
        assert_eq!((dead["status"].as_str(), &dead["blocked_by"]), (Some("dead"), &Value::Null));
        let notify_job = blocked[0]["id"].as_i64().unwrap();
        let (s, e) =
            app.call("POST", &format!("/api/v1/admin/outbox/{notify_job}/retry"), Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains(&format!("retry {marker_job}")), "{e}");

        // Fixed, and one retry: the marker, then the notification.
        std::fs::remove_file(lake_dir(&app)).unwrap();
        let (s, e) =
            app.call("POST", &format!("/api/v1/admin/outbox/{marker_job}/retry"), Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
        // The retry is a state change: audited as the admin who asked.
        let (_, events) = app.call("GET", "/api/v1/audit?action=outbox.retry", Some(&app.admin), None).await;
        assert_eq!(events[0]["actor"], "admin", "{events}");
        assert_eq!(events[0]["target"], format!("effect:{marker_job}"), "{events}");
        let round = worker.drain().await.unwrap();
        assert_eq!((round.done, round.dead), (2, 0), "{round:?}");
        assert_eq!(std::fs::metadata(lake_dir(&app).join(format!("hour={HOUR}/_SUCCESS"))).unwrap().len(), 0);
        hooks.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(hooks.requests().iter().filter(|r| r.path == path).count(), 1);
        let (_, st) = app.call("GET", &format!("{MARKETING}/refreshes/{id}"), Some(&producer), None).await;
        assert_eq!(st["marker"]["state"], "written", "{st}");
        assert_eq!((st["notifications"]["done"].as_i64(), &st["notifications"]["blocked"]), (Some(1), &json!(false)));
        assert!(outbox(&app, "?status=blocked").await.is_empty());
    }
}

/// [M14] Outcomes are recorded per job: a worker that dies after N of a
/// batch's deliveries leaves only the rest (and the one in flight) to resend.
#[tokio::test]
async fn a_worker_dying_mid_batch_leaves_only_the_undelivered_to_resend() {
    let hooks = WebhookSink::start().await;
    let probe = tempfile::tempdir().unwrap();
    for (backend, _) in common::databases(probe.path()).await {
        let app = start(backend, SignalsBackend::Local).await;
        let producer = publish_marketing(&app).await;
        let paths: Vec<String> = (0..5).map(|i| format!("/{backend}/batch/{i}")).collect();
        for (i, p) in paths.iter().enumerate() {
            hooks.delay(p, Duration::from_millis(150));
            if i == 0 {
                subscribe(&app, &hooks.url(p)).await;
            } else {
                let body = json!({"account": "123456789012", "channel": "webhook", "target": hooks.url(p)});
                let (s, sub) = app.json("POST", &format!("{MARKETING}/subscriptions"), &app.consumer, body).await;
                assert_eq!(s, StatusCode::CREATED, "{sub}");
            }
        }
        let (s, out) = app.json("POST", &format!("{MARKETING}/refreshes"), &producer, report("batch")).await;
        assert_eq!(s, StatusCode::CREATED, "{out}");
        assert_eq!(out["notifications"], 5);
        let seen = |hooks: &WebhookSink| {
            hooks
                .requests()
                .into_iter()
                .filter(|r| r.path.starts_with(&format!("/{backend}/batch/")))
                .map(|r| r.path)
                .collect::<Vec<_>>()
        };

        // The marker first; then one batch of 5 deliveries, one at a time.
        assert_eq!(app.worker(None).round().await.unwrap().done, 1);
        let dying = app.worker_tuned(|s| {
            s.concurrency = 1;
            s.claim_secs = 1;
        });
        tokio::select! {
            r = dying.round() => panic!("the round was to be cut short: {r:?}"),
            // The third request arrived: two deliveries are complete, one is in flight. The worker dies.
            _ = async { while seen(&hooks).len() < 3 { tokio::time::sleep(Duration::from_millis(5)).await } } => {}
        }
        drop(dying);
        let before = seen(&hooks);
        assert_eq!(before.len(), 3, "{before:?}");
        tokio::time::sleep(Duration::from_millis(1100)).await; // its claims expire

        let round = app.worker(None).drain().await.unwrap();
        assert_eq!(round.done, 3, "only the in-flight delivery and the two never tried: {round:?}");
        let after = seen(&hooks)[3..].to_vec();
        let mut expected: Vec<String> = paths.iter().filter(|p| !before[..2].contains(p)).cloned().collect();
        let mut got = after.clone();
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "the two completed deliveries are not sent again");
    }
}
