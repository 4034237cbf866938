//! Events for every change ([M11]), on SQLite and PostgreSQL: each state
//! change is recorded once as a CloudEvents 1.0 event (checked against the
//! spec's JSON schema, `steward_testkit::cloudevents`), a repeat or a
//! recovery of the same change records nothing more, the feed pages with
//! `after`, only admins read it, and event hooks receive the events signed
//! (Steward-Signature and Standard Webhooks) over real HTTP.
//!
//! One test per event type (the "each is emitted exactly once per change").

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use common::{TestApp, each_db};
use serde_json::{Value, json};
use steward_catalog::clock::ManualClock;

fn loopback() -> steward_catalog::service::BackendChoices {
    steward_catalog::service::BackendChoices {
        webhooks: steward_notify::WebhookSettings { allow_private: true, ..Default::default() },
        ..Default::default()
    }
}

/// Every event of `kind` in the feed (read as the admin), each checked
/// against the CloudEvents schema.
async fn events(app: &TestApp, kind: &str) -> Vec<Value> {
    let (s, page) = app.call("GET", &format!("/api/v1/events?type={kind}"), Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let events = page["events"].as_array().unwrap().clone();
    for e in &events {
        steward_testkit::cloudevents::validate(e);
        assert_eq!(e["source"], "/steward");
        assert_eq!(e["datacontenttype"], "application/json");
    }
    events
}

/// The one event of `kind`; fails if there are none or several.
async fn only(app: &TestApp, kind: &str) -> Value {
    let all = events(app, kind).await;
    assert_eq!(all.len(), 1, "exactly one {kind}: {all:#?}");
    let e = all.into_iter().next().unwrap();
    assert_eq!(e["type"], kind);
    e
}

async fn request_access(app: &TestApp) -> i64 {
    let body = json!({"account": "123456789012", "justification": "revenue dashboards", "duration_days": 30});
    let (s, req) = app.json("POST", "/api/v1/products/sales.orders/access-requests", &app.consumer, body).await;
    assert_eq!(s, StatusCode::CREATED, "{req}");
    req["id"].as_i64().unwrap()
}

#[tokio::test]
async fn proposal_submitted() {
    each_db(|app| async move {
        let (s, p) = app.submit(&app.producer, &steward_testkit::sales_orders()).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let e = only(&app, "io.steward.proposal.submitted").await;
        assert_eq!(e["subject"], "sales.orders");
        assert_eq!(e["id"], format!("proposal.submitted:proposal/{}", p["id"]));
        assert_eq!((e["data"]["proposal"].clone(), e["data"]["version"].clone()), (p["id"].clone(), json!("1.0.0")));
        // The same version again is refused: nothing more is announced.
        let (s, _) = app.submit(&app.producer, &steward_testkit::sales_orders()).await;
        assert_eq!(s, StatusCode::CONFLICT);
        // A contract refused by validation is not open for review: no event.
        let (s, _) = app.submit(&app.producer, "apiVersion: v3.1.0\nkind: DataContract\n").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        only(&app, "io.steward.proposal.submitted").await;
    })
    .await;
}

#[tokio::test]
async fn proposal_approved_and_product_published_once_even_after_a_rebuild() {
    each_db(|app| async move {
        let id = app.publish(&steward_testkit::sales_orders()).await;
        let approved = only(&app, "io.steward.proposal.approved").await;
        assert_eq!(approved["data"]["proposal"], id);
        assert!(approved["data"]["merge_commit"].as_str().is_some_and(|c| c.len() == 40), "{approved}");
        let published = only(&app, "io.steward.product.published").await;
        assert_eq!(
            (published["subject"].as_str(), published["data"]["version"].as_str()),
            (Some("sales.orders"), Some("1.0.0"))
        );
        assert_eq!(published["data"]["status"], "active");
        // Approving again is a 409; a rebuild republishes from git: neither announces again.
        let (s, _) = app.approve(&app.admin, id).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, done) = app.call("POST", "/api/v1/admin/rebuild-catalog", Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::OK, "{done}");
        only(&app, "io.steward.proposal.approved").await;
        only(&app, "io.steward.product.published").await;
        // The approval follows the submission in the feed.
        let (_, page) = app.call("GET", "/api/v1/events", Some(&app.admin), None).await;
        let kinds: Vec<&str> = page["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            ["io.steward.proposal.submitted", "io.steward.proposal.approved", "io.steward.product.published"]
        );
    })
    .await;
}

#[tokio::test]
async fn proposal_rejected() {
    each_db(|app| async move {
        let (_, p) = app.submit(&app.producer, &steward_testkit::sales_orders()).await;
        let reject = format!("/api/v1/proposals/{}/reject", p["id"]);
        let (s, body) = app.json("POST", &reject, &app.reviewer, json!({"comment": "owner is wrong"})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (s, _) = app.json("POST", &reject, &app.admin, json!({"comment": "again"})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let e = only(&app, "io.steward.proposal.rejected").await;
        assert_eq!(
            (e["data"]["comment"].as_str(), e["data"]["rejected_by"].as_str()),
            (Some("owner is wrong"), Some("rita"))
        );
        assert!(events(&app, "io.steward.proposal.approved").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn proposal_withdrawn() {
    each_db(|app| async move {
        let (_, p) = app.submit(&app.producer, &steward_testkit::sales_orders()).await;
        let withdraw = format!("/api/v1/proposals/{}/withdraw", p["id"]);
        let (s, body) = app.json("POST", &withdraw, &app.producer, json!({})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (s, _) = app.json("POST", &withdraw, &app.producer, json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let e = only(&app, "io.steward.proposal.withdrawn").await;
        assert_eq!(e["data"]["proposal"], p["id"]);
    })
    .await;
}

#[tokio::test]
async fn product_deprecated_then_retired() {
    each_db(|app| async move {
        let v1 = steward_testkit::sales_orders();
        app.publish(&v1).await;
        assert!(events(&app, "io.steward.product.deprecated").await.is_empty(), "active is not deprecated");
        let deprecated = v1.replace("version: 1.0.0", "version: 1.1.0").replace("status: active", "status: deprecated");
        app.publish(&deprecated).await;
        let e = only(&app, "io.steward.product.deprecated").await;
        assert_eq!(e["data"]["version"], "1.1.0");
        // A further deprecated version does not deprecate it again.
        app.publish(&deprecated.replace("version: 1.1.0", "version: 1.2.0")).await;
        only(&app, "io.steward.product.deprecated").await;
        app.publish(
            &deprecated.replace("version: 1.1.0", "version: 1.3.0").replace("status: deprecated", "status: retired"),
        )
        .await;
        assert_eq!(only(&app, "io.steward.product.retired").await["data"]["version"], "1.3.0");
        assert_eq!(events(&app, "io.steward.product.published").await.len(), 4, "one per version");
    })
    .await;
}

#[tokio::test]
async fn access_requested() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let id = request_access(&app).await;
        let e = only(&app, "io.steward.access.requested").await;
        assert_eq!(e["data"]["request"]["id"], id);
        let (s, grant) =
            app.call("POST", &format!("/api/v1/access-requests/{id}/approve"), Some(&app.reviewer), None).await;
        assert_eq!(s, StatusCode::OK, "{grant}");
        let grant = grant["id"].as_i64().unwrap();
        assert_eq!(e["data"]["request"]["account"], "123456789012");
        // A renewal is a request too; a second open one is refused and announces nothing.
        let renew = format!("/api/v1/grants/{grant}/renew");
        let body = json!({"justification": "another quarter", "duration_days": 30});
        let (s, r) = app.json("POST", &renew, &app.consumer, body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let (s, _) = app.json("POST", &renew, &app.consumer, body).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let all = events(&app, "io.steward.access.requested").await;
        assert_eq!(all.len(), 2, "{all:#?}");
        assert_eq!(all[1]["data"]["request"]["renews"], grant, "{:#}", all[1]);
    })
    .await;
}

#[tokio::test]
async fn access_approved() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let id = request_access(&app).await;
        let approve = format!("/api/v1/access-requests/{id}/approve");
        let (s, grant) = app.call("POST", &approve, Some(&app.reviewer), None).await;
        assert_eq!(s, StatusCode::OK, "{grant}");
        let (s, _) = app.call("POST", &approve, Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let e = only(&app, "io.steward.access.approved").await;
        assert_eq!(e["data"]["grant"]["id"], grant["id"]);
        assert_eq!(e["data"]["grant"]["major"], 1);
        assert_eq!(e["data"]["request"], id);
    })
    .await;
}

#[tokio::test]
async fn access_rejected() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let id = request_access(&app).await;
        let reject = format!("/api/v1/access-requests/{id}/reject");
        let (s, body) = app.json("POST", &reject, &app.reviewer, json!({"comment": "no need"})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (s, _) = app.json("POST", &reject, &app.admin, json!({"comment": "no"})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let e = only(&app, "io.steward.access.rejected").await;
        assert_eq!(e["data"]["request"]["status"], "rejected");
    })
    .await;
}

#[tokio::test]
async fn access_cancelled() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let id = request_access(&app).await;
        let cancel = format!("/api/v1/access-requests/{id}/cancel");
        let (s, body) = app.call("POST", &cancel, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (s, _) = app.call("POST", &cancel, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(only(&app, "io.steward.access.cancelled").await["data"]["request"]["id"], id);
    })
    .await;
}

#[tokio::test]
async fn access_revoked() {
    each_db(|app| async move {
        let grant = app.published_with_grant().await;
        let revoke = format!("/api/v1/grants/{grant}/revoke");
        let (s, body) = app.json("POST", &revoke, &app.reviewer, json!({"comment": "left the company"})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (s, _) = app.json("POST", &revoke, &app.reviewer, json!({"comment": "again"})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let e = only(&app, "io.steward.access.revoked").await;
        assert_eq!(
            (e["data"]["grant"]["status"].as_str(), e["data"]["reason"].as_str()),
            (Some("revoked"), Some("left the company"))
        );
        assert!(events(&app, "io.steward.access.expired").await.is_empty());
    })
    .await;
}

/// A 30-day grant: announced as ending soon 14 days before (once, however
/// often the monitor looks), again after a renewal moves its end, then expired.
#[tokio::test]
async fn access_expiring_and_expired() {
    for backend in common::backends().await {
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()));
        let app = TestApp::builder(backend).clock(clock.clone()).start().await;
        app.publish(&steward_testkit::sales_orders()).await;
        let id = request_access(&app).await;
        let (s, grant) =
            app.call("POST", &format!("/api/v1/access-requests/{id}/approve"), Some(&app.reviewer), None).await;
        assert_eq!(s, StatusCode::OK, "{grant}");
        assert_eq!(app.service.announce_expiring_grants().await.unwrap(), 0, "30 days left");
        clock.advance(chrono::Duration::days(17));
        assert_eq!(app.service.announce_expiring_grants().await.unwrap(), 1, "13 days left");
        assert_eq!(app.service.announce_expiring_grants().await.unwrap(), 0, "announced once");
        let e = only(&app, "io.steward.access.expiring").await;
        assert_eq!(e["data"]["grant"]["id"], grant["id"]);

        // A renewal moves the end date: the new end is announced in its turn.
        let renew = format!("/api/v1/grants/{}/renew", grant["id"]);
        let (s, r) =
            app.json("POST", &renew, &app.consumer, json!({"justification": "more", "duration_days": 20})).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        let (s, _) =
            app.call("POST", &format!("/api/v1/access-requests/{}/approve", r["id"]), Some(&app.reviewer), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(app.service.announce_expiring_grants().await.unwrap(), 0, "33 days left");
        clock.advance(chrono::Duration::days(20));
        assert_eq!(app.service.announce_expiring_grants().await.unwrap(), 1);
        assert_eq!(events(&app, "io.steward.access.expiring").await.len(), 2);

        clock.advance(chrono::Duration::days(14));
        assert_eq!(app.service.expire_grants().await.unwrap(), 1);
        assert_eq!(app.service.expire_grants().await.unwrap(), 0);
        let e = only(&app, "io.steward.access.expired").await;
        assert_eq!(e["data"]["grant"]["status"], "expired");
        assert_eq!(app.service.announce_expiring_grants().await.unwrap(), 0, "an ended grant is not announced");
    }
}

#[tokio::test]
async fn refresh_recorded_once_per_idempotency_key() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let body = json!({"table": "order_lines", "partition": {"dt": "2026-11-02"}, "idempotency_key": "run-1"});
        for _ in 0..2 {
            let (s, out) =
                app.json("POST", "/api/v1/products/sales.orders/refreshes", &app.producer, body.clone()).await;
            assert!(s.is_success(), "{s} {out}");
        }
        let e = only(&app, "io.steward.refresh.recorded").await;
        assert_eq!(
            (e["data"]["table"].as_str(), e["data"]["partition"].as_str()),
            (Some("order_lines"), Some("dt=2026-11-02"))
        );
        assert!(e["data"]["marker"].as_str().is_some_and(|m| m.ends_with("_SUCCESS")), "{e}");
    })
    .await;
}

/// An hourly SLO missed once, then met again by a late refresh.
#[tokio::test]
async fn slo_breached_and_recovered() {
    for backend in common::backends().await {
        let start = Utc.with_ymd_and_hms(2026, 11, 2, 0, 10, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let app = TestApp::builder(backend).clock(clock.clone()).start().await;
        let hourly = steward_testkit::sales_orders()
            .replace("schedule: \"0 6 * * *\"", "schedule: \"0 * * * *\"")
            .replace("    value: Europe/Berlin", "    value: UTC");
        app.publish(&hourly).await;
        let refresh = |key: &'static str| {
            let body = json!({"table": "order_lines", "partition": {"dt": "2026-11-02"}, "idempotency_key": key});
            let app = &app;
            async move {
                let (s, out) = app.json("POST", "/api/v1/products/sales.orders/refreshes", &app.producer, body).await;
                assert_eq!(s, StatusCode::CREATED, "{out}");
            }
        };
        let mut progress = Default::default();
        app.service.monitor_pass(&mut progress).await.unwrap();
        clock.advance(chrono::Duration::minutes(40)); // 00:50: meets 01:00
        refresh("on-time").await;
        clock.advance(chrono::Duration::minutes(101)); // 02:31: 02:00 missed
        app.service.monitor_pass(&mut progress).await.unwrap();
        app.service.monitor_pass(&mut progress).await.unwrap();
        let breached = only(&app, "io.steward.slo.breached").await;
        assert_eq!(
            (breached["subject"].as_str(), breached["data"]["version"].as_str()),
            (Some("sales.orders"), Some("1.0.0"))
        );
        assert!(events(&app, "io.steward.slo.recovered").await.is_empty());

        refresh("late").await;
        clock.advance(chrono::Duration::minutes(1));
        app.service.monitor_pass(&mut progress).await.unwrap();
        app.service.monitor_pass(&mut progress).await.unwrap();
        only(&app, "io.steward.slo.recovered").await;
        only(&app, "io.steward.slo.breached").await;
    }
}

/// Only admins read the feed; it pages with `after` (the `sequence` order),
/// and refuses a cursor or type it cannot read, naming the parameter.
#[tokio::test]
async fn the_feed_pages_and_is_for_admins() {
    each_db(|app| async move {
        app.published_with_grant().await;
        for token in [&app.reviewer, &app.producer, &app.consumer] {
            let (s, body) = app.call("GET", "/api/v1/events", Some(token), None).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
        }
        let (_, all) = app.call("GET", "/api/v1/events", Some(&app.admin), None).await;
        let all = all["events"].as_array().unwrap().clone();
        assert_eq!(all.len(), 5, "submitted, approved, published, requested, approved: {all:#?}");
        let mut seen = Vec::new();
        let mut after = String::new();
        loop {
            let (s, page) =
                app.call("GET", &format!("/api/v1/events?limit=2&after={after}"), Some(&app.admin), None).await;
            assert_eq!(s, StatusCode::OK, "{page}");
            let events = page["events"].as_array().unwrap();
            if events.is_empty() {
                assert_eq!(page["next_after"].as_str(), Some(after.as_str()), "an empty page keeps the cursor");
                break;
            }
            assert!(events.len() <= 2);
            seen.extend(events.iter().cloned());
            after = page["next_after"].as_str().unwrap().to_owned();
            assert_eq!(after, events.last().unwrap()["sequence"].as_str().unwrap());
        }
        assert_eq!(seen, all);
        let sequences: Vec<&str> = seen.iter().map(|e| e["sequence"].as_str().unwrap()).collect();
        assert!(sequences.windows(2).all(|w| w[0] < w[1]), "{sequences:?}");
        let ids: std::collections::HashSet<&str> = seen.iter().map(|e| e["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), seen.len(), "ids are unique");

        let (s, e) = app.call("GET", "/api/v1/events?after=yesterday", Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(e["message"].as_str().unwrap().starts_with("after: "), "{e}");
        let (s, e) = app.call("GET", "/api/v1/events?type=com.example.", Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(e["message"].as_str().unwrap().starts_with("type: "), "{e}");
    })
    .await;
}

/// Hooks get the events their types name, over HTTP, signed both ways; a
/// removed hook gets nothing more; a redelivery keeps the event id.
#[tokio::test]
async fn hooks_receive_signed_cloudevents() {
    let sink = steward_notify::testing::WebhookSink::start().await;
    for backend in common::backends().await {
        let app = TestApp::builder(backend).backends(loopback()).start().await;
        let add = |types: Value, path: &str| json!({"channel": "webhook", "target": sink.url(&format!("/{backend}{path}")), "types": types});
        let (s, all) = app.json("POST", "/api/v1/event-hooks", &app.admin, add(json!([]), "/all")).await;
        assert_eq!(s, StatusCode::CREATED, "{all}");
        let secret = all["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{secret}");
        let (s, access) =
            app.json("POST", "/api/v1/event-hooks", &app.admin, add(json!(["io.steward.access."]), "/access")).await;
        assert_eq!(s, StatusCode::CREATED, "{access}");
        // Only admins register hooks; a type no event has is refused.
        let (s, _) = app.json("POST", "/api/v1/event-hooks", &app.reviewer, add(json!([]), "/x")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, e) = app.json("POST", "/api/v1/event-hooks", &app.admin, add(json!(["io.steward.acess."]), "/x")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        let (_, listed) = app.call("GET", "/api/v1/event-hooks", Some(&app.admin), None).await;
        assert_eq!(listed.as_array().unwrap().len(), 2);
        assert!(listed.as_array().unwrap().iter().all(|h| h.get("secret").is_none()), "{listed}");

        app.published_with_grant().await;
        let round = app.worker(None).drain().await.unwrap();
        assert_eq!(round.dead, 0, "{round:?}");
        let got: Vec<_> = sink.requests().into_iter().filter(|r| r.path.starts_with(&format!("/{backend}/"))).collect();
        let to = |p: &str| got.iter().filter(|r| r.path == format!("/{backend}{p}")).count();
        assert_eq!((to("/all"), to("/access")), (5, 2), "{got:#?}");
        let now = Utc::now().timestamp();
        for r in &got {
            let header = |n: &str| r.headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            assert_eq!(header("content-type"), "application/cloudevents+json");
            let event: Value = serde_json::from_slice(&r.body).unwrap();
            steward_testkit::cloudevents::validate(&event);
            assert_eq!(header("webhook-id"), event["id"].as_str().unwrap());
            assert_eq!(header("steward-event-id"), event["id"].as_str().unwrap());
            let ts: i64 = header("webhook-timestamp").parse().unwrap();
            let key =
                if r.path.ends_with("/all") { secret.clone() } else { access["secret"].as_str().unwrap().to_owned() };
            steward_notify::verify_standard_signature(
                &key,
                &header("webhook-id"),
                ts,
                &header("webhook-signature"),
                &r.body,
            )
            .unwrap();
            steward_notify::verify_signature(&key, &header("steward-signature"), &r.body, now, 300).unwrap();
        }

        // Removed: later events are not delivered to it.
        let (s, _) = app.call("DELETE", &format!("/api/v1/event-hooks/{}", all["id"]), Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = app.call("DELETE", &format!("/api/v1/event-hooks/{}", all["id"]), Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let body = json!({"table": "order_lines", "partition": {"dt": "2026-11-02"}});
        let (s, _) = app.json("POST", "/api/v1/products/sales.orders/refreshes", &app.producer, body).await;
        assert_eq!(s, StatusCode::CREATED);
        app.worker(None).drain().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let after = sink.requests().into_iter().filter(|r| r.path.starts_with(&format!("/{backend}/"))).count();
        assert_eq!(after, got.len(), "nothing to a removed hook, nothing to the access hook for a refresh");
    }
}
