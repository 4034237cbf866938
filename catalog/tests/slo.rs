//! The SLO monitor inside the service, driven by a manual clock across
//! simulated hours and days, on SQLite and PostgreSQL: met, missed (one
//! alert), recovered, a downtime (one summary), a schedule change by a new
//! version, and alerts received by a real SMTP server and a Slack-style
//! webhook sink.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{TestApp, backends};
use serde_json::json;
use steward_catalog::clock::{Clock, ManualClock};
use steward_catalog::service::slo::MonitorProgress;

/// sales.orders due every hour (UTC, 30 minutes grace), with a Slack webhook.
fn hourly(slack: &str, version: &str, schedule: &str) -> String {
    steward_testkit::sales_orders()
        .replace("schedule: \"0 6 * * *\"", &format!("schedule: \"{schedule}\""))
        .replace("    value: Europe/Berlin", "    value: UTC")
        .replace("    tool: slack\n", &format!("    tool: slack\n    url: {slack}\n"))
        .replace("version: 1.0.0", &format!("version: {version}"))
}

async fn refresh(app: &TestApp, key: &str) {
    let (s, out) = app
        .json(
            "POST",
            "/api/v1/products/sales.orders/refreshes",
            &app.producer,
            json!({"table": "order_lines", "partition": {"dt": "2026-11-02"}, "idempotency_key": key}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{out}");
}

/// The alert jobs in the outbox, unredacted (read as an operator would with psql).
async fn alerts(app: &TestApp) -> Vec<serde_json::Value> {
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE kind = 'notify.alert' ORDER BY id DESC LIMIT 500")
            .fetch_all(&mut app.sql().await)
            .await
            .unwrap();
    rows.iter().map(|p| serde_json::from_str(p).unwrap()).collect()
}

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, h, m, 0).unwrap()
}

/// Runs on a bare `cargo test`: alerts go to the in-memory mailer and webhook
/// sink (the SMTP and HTTP deliveries themselves are tested in
/// `refresh.rs` and `steward-notify`).
#[tokio::test]
async fn missed_recovered_and_one_summary_after_downtime() {
    const SLACK: &str = "http://127.0.0.1:9/slack/hook";
    for backend in backends().await {
        let clock = Arc::new(ManualClock::new(at(0, 10)));
        let backends = steward_catalog::service::BackendChoices {
            webhooks: steward_notify::WebhookSettings { allow_private: true, ..Default::default() },
            ..Default::default()
        };
        let app = TestApp::builder(backend).clock(clock.clone()).backends(backends).start().await;
        app.publish(&hourly(SLACK, "1.0.0", "0 * * * *")).await;
        let mut progress = MonitorProgress::default();
        let set = |h, m| {
            let now = at(h, m);
            let delta = now - clock.now();
            clock.advance(delta);
        };

        // 00:10 the monitor starts watching; 00:50 a refresh meets the 01:00 tick.
        app.service.monitor_pass(&mut progress).await.unwrap();
        set(0, 50);
        refresh(&app, "r1").await;
        set(1, 31);
        let r = app.service.monitor_pass(&mut progress).await.unwrap();
        assert_eq!((r.settled, r.alerts), (1, 0), "{r:?}");

        // No refresh for 02:00: missed once its grace ends, alerted once.
        set(2, 31);
        let r = app.service.monitor_pass(&mut progress).await.unwrap();
        assert_eq!(r.alerts, 1, "{r:?}");
        set(2, 35);
        assert_eq!(app.service.monitor_pass(&mut progress).await.unwrap().alerts, 0, "no repeat");
        let a = alerts(&app).await;
        assert_eq!(a.len(), 2, "one alert to email and one to Slack: {a:?}");
        assert!(a.iter().all(|x| x["subject"].as_str().unwrap().contains("SLO missed")));
        assert!(a.iter().any(|x| x["channel"] == "email" && x["target"] == "sales-data@example.com"));

        let (_, status) = app.call("GET", "/api/v1/products/sales.orders/slo", Some(&app.consumer), None).await;
        assert_eq!(status["specs"][0]["state"], "breached", "{status}");
        assert_eq!(status["specs"][0]["missed_ticks"], 1, "{status}");

        // A late refresh ends the breach: one recovery notice.
        set(2, 45);
        refresh(&app, "r2").await;
        set(2, 46);
        assert_eq!(app.service.monitor_pass(&mut progress).await.unwrap().alerts, 1);
        let a = alerts(&app).await;
        assert_eq!(a.iter().filter(|x| x["subject"].as_str().unwrap().contains("recovered")).count(), 2);

        // The monitor is down from 02:46 to 08:40 and nothing more arrives. The
        // late refresh also met 03:00 (docs/slo.md); 04:00 to 08:00 are five
        // missed ticks: one summary per channel.
        set(8, 40);
        let r = app.service.monitor_pass(&mut progress).await.unwrap();
        assert!(r.settled >= 4, "{r:?}");
        let a = alerts(&app).await;
        let summaries: Vec<_> = a.iter().filter(|x| x["text"].as_str().unwrap().contains("MISSED 5 ticks")).collect();
        assert_eq!(summaries.len(), 2, "{a:#?}");
        assert_eq!(a.len(), 6, "2 missed + 2 recovered + 2 summaries: {a:#?}");

        let (_, breaches) =
            app.call("GET", "/api/v1/slo/breaches?since=2026-11-01T00:00:00Z", Some(&app.reviewer), None).await;
        assert_eq!(
            breaches.as_array().unwrap().len(),
            4,
            "04:00-07:00 settled as missed; 08:00 may still turn late: {breaches}"
        );
        let (_, status) = app.call("GET", "/api/v1/products/sales.orders/slo", Some(&app.consumer), None).await;
        let history: Vec<&str> =
            status["history"].as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap()).collect();
        assert_eq!(history, ["met", "late", "met", "missed", "missed", "missed", "missed"], "{status}");
        let pct = status["specs"][0]["compliance_7d"].as_f64().unwrap();
        assert!((pct - 200.0 / 7.0).abs() < 0.01, "2 of 7 judged ticks met: {pct}");

        // The alerts go out: three mails and three Slack posts, one per pass
        // that alerted (and the two refreshes' markers).
        let round = app.memory_worker().drain().await.unwrap();
        assert_eq!((round.done, round.dead), (6 + 2, 0), "{round:?}");
        let mails = app.mail.mails();
        assert_eq!(mails.len(), 3, "{mails:?}");
        assert!(mails.iter().all(|m| m.to == ["sales-data@example.com"] && m.subject.contains("sales.orders")));
        assert!(mails.iter().any(|m| m.text.contains("MISSED 5 ticks")), "{mails:?}");
        let posts = app.hooks.slack();
        assert_eq!(posts.len(), 3, "{posts:?}");
        assert!(posts.iter().all(|p| p.url == SLACK));
        assert!(posts[0].text.contains("SLO missed"), "{}", posts[0].text);
    }
}

#[tokio::test]
async fn a_new_version_with_a_new_schedule_starts_fresh() {
    for backend in backends().await {
        let clock = Arc::new(ManualClock::new(at(0, 10)));
        let app = TestApp::builder(backend).clock(clock.clone()).start().await;
        app.publish(&hourly("https://hooks.slack.com/services/T/B/X", "1.0.0", "0 * * * *")).await;
        let mut progress = MonitorProgress::default();
        app.service.monitor_pass(&mut progress).await.unwrap();
        clock.advance(Duration::minutes(141)); // 02:31: ticks 01:00 and 02:00 missed
        let r = app.service.monitor_pass(&mut progress).await.unwrap();
        assert_eq!(r.alerts, 1, "one summary for two missed ticks: {r:?}");
        // Version 1.1.0 is due daily at 06:00: the hourly breach does not carry over.
        app.publish(&hourly("https://hooks.slack.com/services/T/B/X", "1.1.0", "0 6 * * *")).await;
        clock.advance(Duration::minutes(60)); // 03:31
        let r = app.service.monitor_pass(&mut progress).await.unwrap();
        assert_eq!(r.alerts, 0, "{r:?}");
        // Nothing arrived and no deadline passed since: the next pass reads nothing.
        clock.advance(Duration::minutes(10));
        let r = app.service.monitor_pass(&mut progress).await.unwrap();
        assert_eq!((r.products, r.evaluated), (0, 0), "{r:?}");
        let (_, status) = app.call("GET", "/api/v1/products/sales.orders/slo", Some(&app.consumer), None).await;
        assert_eq!(status["specs"][0]["schedule"], "0 6 * * *");
        assert_eq!(status["specs"][0]["next_due"], "2026-11-02T06:00:00.000000Z", "{status}");
        assert_ne!(status["specs"][0]["state"], "breached");
    }
}

#[tokio::test]
async fn a_pass_reads_only_products_that_can_have_changed() {
    for backend in backends().await {
        let clock = Arc::new(ManualClock::new(at(0, 10)));
        let app = TestApp::builder(backend).clock(clock.clone()).start().await;
        let set = |h, m| clock.advance(at(h, m) - clock.now());
        let orders = hourly("https://hooks.slack.com/services/T/B/X", "1.0.0", "0 * * * *");
        app.publish(&orders).await;
        // (Each pass also looks again at what was published or refreshed in the
        // two minutes before the previous one; these steps are longer.)
        set(0, 15);
        let mut progress = MonitorProgress::default();
        let r = app.service.monitor_pass(&mut progress).await.unwrap();
        assert_eq!((r.products, r.evaluated), (1, 1), "the first pass judges everything: {r:?}");

        set(0, 20);
        let r = app.service.monitor_pass(&mut progress).await.unwrap();
        assert_eq!((r.products, r.evaluated), (0, 0), "no publish, refresh or deadline: {r:?}");

        // A product published since the last pass is judged.
        set(0, 25);
        let returns = orders
            .replace("dataProduct: orders", "dataProduct: returns")
            .replace("s3://steward-sales/orders/", "s3://steward-sales/returns/");
        app.publish(&returns).await;
        set(0, 30);
        let r = app.service.monitor_pass(&mut progress).await.unwrap();
        assert_eq!((r.products, r.evaluated), (1, 1), "the new product only: {r:?}");

        // So is a product refreshed since the last pass.
        set(0, 40);
        refresh(&app, "r1").await;
        set(0, 45);
        let r = app.service.monitor_pass(&mut progress).await.unwrap();
        assert_eq!((r.products, r.evaluated), (1, 1), "the refreshed product only: {r:?}");

        // Both are due at 01:00 (deadline 01:30): both are judged at 01:31.
        set(1, 31);
        let r = app.service.monitor_pass(&mut progress).await.unwrap();
        assert_eq!(r.products, 2, "{r:?}");
        assert_eq!(r.alerts, 1, "sales.returns missed 01:00, sales.orders met it: {r:?}");

        // A restarted monitor (or a new lease holder) starts with a full pass.
        let r = app.service.monitor_pass(&mut MonitorProgress::default()).await.unwrap();
        assert_eq!((r.products, r.settled, r.alerts), (2, 0, 0), "{r:?}");
    }
}
