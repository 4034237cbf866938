//! What each role can read of others' secrets (issue M14), through the real
//! router on SQLite and PostgreSQL: subscriptions (targets, e-mail
//! addresses), Slack webhook URLs in contract contacts (product detail,
//! versions, diff), the outbox and the audit log.

mod common;

use axum::http::StatusCode;
use common::{TestApp, databases};
use serde_json::{Value, json};

/// A webhook URL whose path and query are the credential.
const HOOK_SECRET: &str = "tok3n-hook-s3cret";
const SLACK_V1: &str = "https://hooks.slack.com/services/T000/B000/slackV1s3cret";
const SLACK_V2: &str = "https://hooks.slack.com/services/T000/B000/slackV2s3cret";
const SHOWN_SLACK: &str = "https://hooks.slack.com/…";

fn loopback_webhooks() -> steward_catalog::service::BackendChoices {
    steward_catalog::service::BackendChoices {
        webhooks: steward_notify::WebhookSettings { allow_private: true, ..Default::default() },
        ..Default::default()
    }
}

async fn start(backend: &'static str) -> TestApp {
    TestApp::builder(backend).backends(loopback_webhooks()).start().await
}

/// sales.orders with a Slack incoming webhook among its support channels.
fn with_slack(url: &str, version: &str, channel: &str) -> String {
    steward_testkit::sales_orders()
        .replace("    tool: slack\n", &format!("    tool: slack\n    url: {url}\n"))
        .replace("version: 1.0.0", &format!("version: {version}"))
        .replace("\"#sales-data\"", &format!("\"{channel}\""))
}

async fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, body) = app.call("GET", "/api/v1/subscriptions?product=sales.orders", Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

#[tokio::test]
async fn subscriptions_are_read_by_their_owner_and_redacted_by_producers_and_admins() {
    let probe = tempfile::tempdir().unwrap();
    for (backend, _) in databases(probe.path()).await {
        eprintln!("-- on {backend}");
        let app = start(backend).await;
        app.published_with_grant().await;
        let hook = format!("http://127.0.0.1:9/hooks/{HOOK_SECRET}?token={HOOK_SECRET}");
        let made = app.subscribe("webhook", &hook).await;
        assert_eq!(made["target"], hook.as_str(), "the owner sees what it made");
        app.subscribe("email", "jane.doe@example.com").await;

        // The owner: everything, in full (the signing secret only once, above).
        let mine = list(&app, &app.consumer).await;
        assert_eq!(mine.len(), 2);
        assert_eq!(mine[0]["target"], hook.as_str());
        assert_eq!(mine[1]["target"], "jane.doe@example.com");
        assert!(mine.iter().all(|s| s.get("secret").is_none()));

        // The product's producer and an admin: every subscription, redacted.
        for token in [&app.producer, &app.admin] {
            let seen = list(&app, token).await;
            assert_eq!(seen.len(), 2, "{seen:?}");
            assert_eq!(seen[0]["target"], "http://127.0.0.1:9/…");
            assert_eq!(seen[1]["target"], "j***@example.com");
            let text = serde_json::to_string(&seen).unwrap();
            assert!(!text.contains(HOOK_SECRET) && !text.contains("jane.doe"), "{text}");
        }

        // A producer of another domain and a reviewer: none at all.
        for token in [&app.hr_producer, &app.reviewer] {
            assert!(list(&app, token).await.is_empty());
            let (s, all) = app.call("GET", "/api/v1/subscriptions", Some(token), None).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(all, json!([]), "without a product filter either");
        }

        // Removing one you cannot see is answered as if it did not exist
        // (no account number in the message); a producer may see but not remove.
        let id = made["id"].as_i64().unwrap();
        let (s, e) = app.call("DELETE", &format!("/api/v1/subscriptions/{id}"), Some(&app.reviewer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
        assert!(!e.to_string().contains("123456789012"), "{e}");
        let (s, _) = app.call("DELETE", &format!("/api/v1/subscriptions/{id}"), Some(&app.producer), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.call("DELETE", &format!("/api/v1/subscriptions/{id}"), Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
}

#[tokio::test]
async fn slack_webhooks_in_contracts_are_shown_only_to_the_products_producers() {
    let probe = tempfile::tempdir().unwrap();
    for (backend, _) in databases(probe.path()).await {
        eprintln!("-- on {backend}");
        let app = start(backend).await;
        app.publish(&with_slack(SLACK_V1, "1.0.0", "#sales-data")).await;
        app.publish(&with_slack(SLACK_V2, "1.1.0", "#sales-alerts")).await;
        let diff = "/api/v1/products/sales.orders/diff?from=1.0.0&to=1.1.0";

        for (who, token) in [
            ("consumer", &app.consumer),
            ("hr producer", &app.hr_producer),
            ("reviewer", &app.reviewer),
            ("admin", &app.admin),
        ] {
            let (s, p) = app.call("GET", "/api/v1/products/sales.orders", Some(token), None).await;
            assert_eq!(s, StatusCode::OK, "{p}");
            let text = p.to_string();
            assert!(!text.contains("s3cret"), "{who} reads the webhook in the product: {text}");
            let slack = p["contacts"].as_array().unwrap().iter().find(|c| c["tool"] == "slack").unwrap();
            assert_eq!(slack["url"], SHOWN_SLACK, "{who}");
            assert_eq!(slack["channel"], "#sales-alerts", "the channel name is no secret");
            let mail = p["contacts"].as_array().unwrap().iter().find(|c| c["tool"] == "email").unwrap();
            assert_eq!(mail["url"], "mailto:sales-data@example.com", "the published contact address stays");

            let (s, v) = app.call("GET", "/api/v1/products/sales.orders/versions", Some(token), None).await;
            assert_eq!(s, StatusCode::OK);
            assert!(!v.to_string().contains("s3cret"), "{who}: {v}");

            let (s, d) = app.call("GET", diff, Some(token), None).await;
            assert_eq!(s, StatusCode::OK, "{d}");
            let d = d["diff"].as_str().unwrap();
            assert!(!d.contains("s3cret"), "{who} reads a webhook in the diff: {d}");
            assert!(d.contains("+version: 1.1.0") && d.contains("-version: 1.0.0"), "{d}");
            assert!(d.contains(&format!("\n     url: {SHOWN_SLACK}\n")), "the field is there, redacted: {d}");
        }

        // The product's producers own the contract's contacts: as written.
        let (_, p) = app.call("GET", "/api/v1/products/sales.orders", Some(&app.producer), None).await;
        assert!(p.to_string().contains(SLACK_V2), "{p}");
        let (_, d) = app.call("GET", diff, Some(&app.producer), None).await;
        let d = d["diff"].as_str().unwrap();
        assert!(d.contains(&format!("-    url: {SLACK_V1}")) && d.contains(&format!("+    url: {SLACK_V2}")), "{d}");
    }
}

#[tokio::test]
async fn the_outbox_shows_targets_as_scheme_host_and_port() {
    let probe = tempfile::tempdir().unwrap();
    for (backend, _) in databases(probe.path()).await {
        eprintln!("-- on {backend}");
        let app = start(backend).await;
        let now = app.service.clock().now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let mut conn = app.sql().await;
        // SLO alerts to the contract's Slack webhook and support address, as
        // the monitor enqueues them, dead-lettered with an error that echoes
        // the target (written directly: what matters is how they are read).
        for (channel, target) in [("slack", SLACK_V1), ("email", "jane.doe@example.com")] {
            let payload = json!({"product_key": "sales.orders", "channel": channel, "target": target,
                                 "subject": "[steward] sales.orders: SLO missed", "text": "late"});
            sqlx::query(
                "INSERT INTO outbox (kind, dedup_key, payload, status, attempts, next_attempt_at, created_at, last_error)
                 VALUES ('notify.alert', $1, $2, 'dead', 8, $3, $3, $4)",
            )
            .bind(format!("notify.alert:slo:sales.orders:{channel}:{target}"))
            .bind(payload.to_string())
            .bind(&now)
            .bind(format!("POST {target} failed: 404 Not Found"))
            .execute(&mut conn)
            .await
            .unwrap();
        }
        drop(conn);

        let (s, rows) = app.call("GET", "/api/v1/admin/outbox?status=dead", Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::OK, "{rows}");
        let text = rows.to_string();
        assert!(!text.contains("s3cret") && !text.contains("jane.doe"), "{text}");
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        let slack = rows.iter().find(|r| r["payload"]["channel"] == "slack").unwrap();
        assert_eq!(slack["payload"]["target"], SHOWN_SLACK);
        assert_eq!(slack["dedup_key"], format!("notify.alert:slo:sales.orders:slack:{SHOWN_SLACK}"));
        assert_eq!(slack["last_error"], format!("POST {SHOWN_SLACK} failed: 404 Not Found"));
        let mail = rows.iter().find(|r| r["payload"]["channel"] == "email").unwrap();
        assert_eq!(mail["payload"]["target"], "j***@example.com");
        assert_eq!(mail["payload"]["subject"], "[steward] sales.orders: SLO missed", "the rest is as stored");
    }
}

#[tokio::test]
async fn the_audit_log_never_shows_a_subscription_target() {
    let probe = tempfile::tempdir().unwrap();
    for (backend, _) in databases(probe.path()).await {
        eprintln!("-- on {backend}");
        let app = start(backend).await;
        app.published_with_grant().await;
        let hook = format!("http://127.0.0.1:9/hooks/{HOOK_SECRET}");
        app.subscribe("webhook", &hook).await;
        app.subscribe("email", "jane.doe@example.com").await;
        // An event written before targets were redacted at write time.
        let old = json!({"product": "sales.orders", "account": "123456789012", "channel": "webhook", "target": hook});
        let mut conn = app.sql().await;
        sqlx::query(
            "INSERT INTO audit_events (at, actor, action, target, before, after)
             VALUES ($1, 'carla', 'subscription.add', 'subscription:99', NULL, $2)",
        )
        .bind(app.service.clock().now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        .bind(old.to_string())
        .execute(&mut conn)
        .await
        .unwrap();

        // Not even in the database.
        let stored: Vec<String> = sqlx::query_scalar(
            "SELECT after FROM audit_events WHERE action = 'subscription.add' AND target <> 'subscription:99'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert_eq!(stored.len(), 2);
        assert!(stored.iter().all(|a| !a.contains(HOOK_SECRET) && !a.contains("jane.doe")), "{stored:?}");
        drop(conn);

        for token in [&app.reviewer, &app.admin] {
            let (s, events) = app.call("GET", "/api/v1/audit?action=subscription.add", Some(token), None).await;
            assert_eq!(s, StatusCode::OK, "{events}");
            let events = events.as_array().unwrap();
            assert_eq!(events.len(), 3);
            let targets: Vec<&str> = events.iter().map(|e| e["after"]["target"].as_str().unwrap()).collect();
            assert_eq!(targets, ["http://127.0.0.1:9/…", "j***@example.com", "http://127.0.0.1:9/…"]);
            assert!(events.iter().all(|e| e["after"]["account"] == "123456789012"), "the rest is as written");
        }
    }
}

/// Proposals carry the raw contract (contacts included): reviewers and admins
/// read all of them, producers those of their domains, consumers none.
#[tokio::test]
async fn proposals_are_read_by_reviewers_and_their_domains_producers_only() {
    common::each_db(|app: common::TestApp| async move {
        let (_, p) = app.submit(&app.producer, &steward_testkit::sales_orders()).await;
        let id = p["id"].as_i64().unwrap();
        let uri = format!("/api/v1/proposals/{id}");
        for (who, token) in [("reviewer", &app.reviewer), ("admin", &app.admin), ("sales producer", &app.producer)] {
            let (s, list) = app.call("GET", "/api/v1/proposals", Some(token), None).await;
            assert_eq!((s.as_u16(), list.as_array().map(Vec::len)), (200, Some(1)), "{who}: {list}");
            let (s, one) = app.call("GET", &uri, Some(token), None).await;
            assert_eq!(s.as_u16(), 200, "{who}: {one}");
        }
        let (s, list) = app.call("GET", "/api/v1/proposals", Some(&app.hr_producer), None).await;
        assert_eq!((s.as_u16(), list.as_array().map(Vec::len)), (200, Some(0)), "hr producer: {list}");
        let (s, _) = app.call("GET", &uri, Some(&app.hr_producer), None).await;
        assert_eq!(s.as_u16(), 404, "another domain's producer does not learn the proposal exists");
        let (s, _) = app.call("GET", "/api/v1/proposals", Some(&app.consumer), None).await;
        assert_eq!(s.as_u16(), 403);
        let (s, _) = app.call("GET", &uri, Some(&app.consumer), None).await;
        assert_eq!(s.as_u16(), 404);
    })
    .await;
}
