//! Change without breakage ([M11]), on SQLite and PostgreSQL through the
//! API. Grants and subscriptions know the contract major they were approved
//! against: a grant made on 1.x stays on major 1 when 2.0.0 is published
//! (and when it is renewed), a subscription takes its grant's major, and new
//! access goes to the newest major. A breaking proposal names its consumers
//! and what they lose.

mod common;

use axum::http::StatusCode;
use common::{TestApp, each_db};
use serde_json::{Value, json};

async fn grant(app: &common::TestApp, id: i64) -> Value {
    let (s, grants) = app.call("GET", "/api/v1/grants?product=sales.orders", Some(&app.reviewer), None).await;
    assert_eq!(s, StatusCode::OK, "{grants}");
    grants.as_array().unwrap().iter().find(|g| g["id"] == id).cloned().unwrap_or_else(|| panic!("{id} in {grants}"))
}

/// Requests access for the consumer's account for 30 days, or renews
/// `grant`; a reviewer approves. Returns the grant.
async fn approved(app: &common::TestApp, renew: Option<i64>) -> Value {
    let (uri, body) = match renew {
        None => ("/api/v1/products/sales.orders/access-requests".to_owned(), json!({"account": "123456789012"})),
        Some(g) => (format!("/api/v1/grants/{g}/renew"), json!({})),
    };
    let mut body = body;
    body["justification"] = json!("revenue dashboards");
    body["duration_days"] = json!(30);
    let (s, req) = app.json("POST", &uri, &app.consumer, body).await;
    assert_eq!(s, StatusCode::CREATED, "{req}");
    let approve = format!("/api/v1/access-requests/{}/approve", req["id"]);
    let (s, grant) = app.call("POST", &approve, Some(&app.reviewer), None).await;
    assert_eq!(s, StatusCode::OK, "{grant}");
    grant
}

#[tokio::test]
async fn grants_and_subscriptions_record_their_major() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let first = approved(&app, None).await;
        assert_eq!(first["major"], 1, "{first}");
        let first = first["id"].as_i64().unwrap();
        let sub = app.subscribe("email", "dashboards@example.com").await;
        assert_eq!(sub["major"], 1, "{sub}");

        // 2.0.0 removes a column: the grant made on 1.x stays on major 1.
        app.publish(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;
        assert_eq!(grant(&app, first).await["major"], 1);
        // Renewing it keeps its major (and its id).
        let renewed = approved(&app, Some(first)).await;
        assert_eq!((renewed["id"].as_i64(), renewed["major"].as_i64()), (Some(first), Some(1)), "{renewed}");
        let (s, subs) = app.call("GET", "/api/v1/subscriptions", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::OK, "{subs}");
        assert_eq!(subs[0]["major"], 1, "{subs}");

        // New access is to the newest major.
        let revoke = format!("/api/v1/grants/{first}/revoke");
        let (s, body) = app.json("POST", &revoke, &app.reviewer, json!({"comment": "moving on"})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let second = approved(&app, None).await;
        assert_ne!(second["id"].as_i64(), Some(first));
        assert_eq!(second["major"], 2, "{second}");
        assert_eq!(grant(&app, second["id"].as_i64().unwrap()).await["major"], 2);
        let sub = app.subscribe("email", "reports@example.com").await;
        assert_eq!(sub["major"], 2, "{sub}");
    })
    .await;
}

/// Impact before approval: a breaking proposal names what consumers of the
/// published version lose and who they are (accounts with grants or
/// subscriptions, with their grant's major), before and after the decision;
/// a new product's proposal has no impact.
#[tokio::test]
async fn breaking_proposal_names_its_consumers_and_what_they_lose() {
    each_db(|app| async move {
        let (s, first) = app.submit(&app.producer, &steward_testkit::sales_orders()).await;
        assert_eq!(s, StatusCode::CREATED, "{first}");
        let (_, view) = app.call("GET", &format!("/api/v1/proposals/{}", first["id"]), Some(&app.reviewer), None).await;
        assert!(view.get("impact").is_none(), "a new product takes nothing from anyone: {view}");
        let (s, body) = app.approve(&app.reviewer, first["id"].as_i64().unwrap()).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let grant = approved(&app, None).await;
        app.subscribe("email", "dashboards@example.com").await;

        let (s, p) = app.submit(&app.producer, &steward_testkit::sales_orders_without_quantity("2.0.0")).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        assert_eq!(p["breaking"], true, "{p}");
        let uri = format!("/api/v1/proposals/{}", p["id"]);
        for token in [&app.reviewer, &app.producer] {
            let (s, view) = app.call("GET", &uri, Some(token), None).await;
            assert_eq!(s, StatusCode::OK, "{view}");
            let impact = &view["impact"];
            assert_eq!(impact["columns"], json!(["order_lines.quantity"]), "{view}");
            assert_eq!(impact["tables"], json!([]));
            assert_eq!(impact["consumers_total"], 1);
            let expected = json!([{"account": "123456789012", "grant_id": grant["id"], "major": 1,
                                   "expires_at": grant["expires_at"], "subscriptions": 1, "acknowledged_major": null}]);
            assert_eq!(impact["consumers"], expected);
        }
        // Consumers do not read proposals at all.
        let (s, _) = app.call("GET", &uri, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Decided, it still says what it took, against the version it replaced.
        let (s, body) = app.approve(&app.reviewer, p["id"].as_i64().unwrap()).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (_, view) = app.call("GET", &uri, Some(&app.reviewer), None).await;
        assert_eq!(view["base_version"], "1.0.0", "{view}");
        assert_eq!(view["impact"]["columns"], json!(["order_lines.quantity"]), "{view}");
    })
    .await;
}

/// Policy `breaking_changes.notice_days`: a breaking proposal that affects
/// consumers may be approved only once they have had the notice; its view
/// says from when. Without consumers, or once decided, there is no wait.
#[tokio::test]
async fn a_breaking_change_waits_for_the_policys_notice() {
    use chrono::TimeZone;
    for backend in common::backends().await {
        let start = chrono::Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let clock = std::sync::Arc::new(steward_catalog::clock::ManualClock::new(start));
        let policy = steward_policies::Policy::from_yaml("breaking_changes:\n  notice_days: 14\n").unwrap();
        let app = common::TestApp::builder(backend).clock(clock.clone()).policy(policy).start().await;
        app.publish(&steward_testkit::sales_orders()).await;

        // Nobody reads 1.x yet: 2.0.0 needs no notice.
        let (s, p) = app.submit(&app.producer, &steward_testkit::sales_orders_without_quantity("2.0.0")).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let (_, view) = app.call("GET", &format!("/api/v1/proposals/{}", p["id"]), Some(&app.reviewer), None).await;
        assert_eq!(view["impact"]["approvable_from"], Value::Null, "{view}");
        let (s, body) = app.approve(&app.reviewer, p["id"].as_i64().unwrap()).await;
        assert_eq!(s, StatusCode::OK, "{body}");

        // With a consumer, 3.0.0 (renaming a column: a removal) waits 14 days.
        approved(&app, None).await;
        let v3 = steward_testkit::sales_orders_without_quantity("3.0.0").replacen(
            "      - name: sku\n",
            "      - name: sku_code\n",
            1,
        );
        let (s, p) = app.submit(&app.producer, &v3).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        assert_eq!(p["breaking"], true, "{p}");
        let id = p["id"].as_i64().unwrap();
        let (_, view) = app.call("GET", &format!("/api/v1/proposals/{id}"), Some(&app.reviewer), None).await;
        assert_eq!(view["impact"]["approvable_from"], "2026-11-16T09:00:00.000000Z", "{view}");
        let (s, body) = app.approve(&app.reviewer, id).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("1 consumer account") && message.contains("2026-11-16T09:00:00"), "{message}");
        clock.advance(chrono::Duration::days(13));
        assert_eq!(app.approve(&app.reviewer, id).await.0, StatusCode::CONFLICT, "a day early");
        clock.advance(chrono::Duration::days(1));
        let (s, body) = app.approve(&app.reviewer, id).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let (_, view) = app.call("GET", &format!("/api/v1/proposals/{id}"), Some(&app.reviewer), None).await;
        assert_eq!(view["impact"]["approvable_from"], Value::Null, "decided: {view}");
    }
}

/// Approving a breaking version tells each subscription of the product (its
/// account holding a grant) what it loses: by real SMTP and a signed webhook
/// over HTTP, once, however often the worker runs; a non-breaking version
/// tells nobody.
#[tokio::test]
async fn a_breaking_version_is_announced_to_subscribers_once() {
    use steward_notify::testing::{SmtpSink, WebhookSink};
    let Some(smtp) = SmtpSink::start() else { return };
    let hooks = WebhookSink::start().await;
    for backend in common::backends().await {
        let backends = steward_catalog::service::BackendChoices {
            webhooks: steward_notify::WebhookSettings { allow_private: true, ..Default::default() },
            ..Default::default()
        };
        let app = common::TestApp::builder(backend).backends(backends).start().await;
        let before_mail = smtp.messages().len();
        app.publish(&steward_testkit::sales_orders()).await;
        approved(&app, None).await;
        app.subscribe("email", "analyst@example.com").await;
        let path = format!("/{backend}/breaking");
        let secret = app.subscribe("webhook", &hooks.url(&path)).await["secret"].as_str().unwrap().to_owned();
        // A compatible version is not a breaking change.
        app.publish(&steward_testkit::sales_orders().replace("version: 1.0.0", "version: 1.1.0")).await;
        let id = app.publish(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;

        for _ in 0..2 {
            app.worker(Some(smtp.settings())).drain().await.unwrap();
        }
        let mails = smtp.wait_for(before_mail + 1, std::time::Duration::from_secs(10)).await;
        let mails: Vec<_> = mails[before_mail..].iter().filter(|m| m.subject.contains("breaking change")).collect();
        assert_eq!(mails.len(), 1, "{mails:#?}");
        assert!(mails[0].subject.contains("sales.orders 2.0.0 replaces 1.1.0"), "{:?}", mails[0].subject);
        assert!(mails[0].rcpt_to.iter().any(|r| r == "analyst@example.com"));
        assert!(mails[0].text.contains("column order_lines.quantity is gone"), "{}", mails[0].text);

        let got: Vec<_> = hooks
            .requests()
            .into_iter()
            .filter(|r| r.path == path && String::from_utf8_lossy(&r.body).contains("breaking_change"))
            .collect();
        assert_eq!(got.len(), 1, "{got:#?}");
        let notice: Value = serde_json::from_slice(&got[0].body).unwrap();
        assert_eq!(
            (notice["previous_version"].as_str(), notice["version"].as_str(), notice["major"].as_i64()),
            (Some("1.1.0"), Some("2.0.0"), Some(2))
        );
        assert_eq!(notice["columns"], json!(["order_lines.quantity"]));
        assert_eq!(notice["proposal"], id);
        let header = got[0].header(steward_notify::SIGNATURE_HEADER).expect("signed");
        steward_notify::verify_signature(&secret, header, &got[0].body, chrono::Utc::now().timestamp(), 300).unwrap();
    }
}

/// After a breaking version, a consumer moves its grant to the new major
/// alone when it reaches nothing more; a version that adds a table needs a
/// reviewer to migrate it. The subscriptions follow; each migration is
/// announced once.
#[tokio::test]
async fn grants_migrate_to_the_new_major_and_widening_needs_a_reviewer() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let grant = approved(&app, None).await["id"].as_i64().unwrap();
        app.subscribe("email", "dashboards@example.com").await;
        let migrate = format!("/api/v1/grants/{grant}/migrate");
        let (s, e) = app.call("POST", &migrate, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "already on the newest major: {e}");

        app.publish(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;
        for other in [&app.producer, &app.hr_producer] {
            let (s, _) = app.call("POST", &migrate, Some(other), None).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "not theirs to move");
        }
        let (s, moved) = app.call("POST", &migrate, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::OK, "{moved}");
        assert_eq!((moved["id"].as_i64(), moved["major"].as_i64()), (Some(grant), Some(2)), "{moved}");
        let (_, subs) = app.call("GET", "/api/v1/subscriptions", Some(&app.consumer), None).await;
        assert_eq!(subs[0]["major"], 2, "{subs}");
        let (s, _) = app.call("POST", &migrate, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "migrated once");

        // 3.0.0 renames daily_revenue: a removal (breaking) and a new table (wider).
        let v3 = steward_testkit::sales_orders_without_quantity("3.0.0")
            .replace("  - name: daily_revenue\n", "  - name: revenue_by_day\n");
        app.publish(&v3).await;
        let (s, e) = app.call("POST", &migrate, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        let message = e["message"].as_str().unwrap();
        assert!(message.contains("adds table revenue_by_day") && message.contains("reviewer"), "{message}");
        let (s, moved) = app.call("POST", &migrate, Some(&app.reviewer), None).await;
        assert_eq!(s, StatusCode::OK, "{moved}");
        assert_eq!(moved["major"], 3);

        let (_, page) = app.call("GET", "/api/v1/events?type=io.steward.grant.migrated", Some(&app.admin), None).await;
        let events = page["events"].as_array().unwrap();
        assert_eq!(events.len(), 2, "{page}");
        for e in events {
            steward_testkit::cloudevents::validate(e);
        }
        assert_eq!(
            (events[0]["data"]["from_major"].as_i64(), events[0]["data"]["grant"]["major"].as_i64()),
            (Some(1), Some(2))
        );
        assert_eq!(events[1]["data"]["migrated_by"], "rita");
    })
    .await;
}

/// After 2.0.0 is published, 1.x stays readable: `?major=1` answers what
/// the last 1.x version promised (its columns), `?major=2` and no major the
/// current version; an unknown major is a 404 naming the majors there are.
#[tokio::test]
async fn the_previous_major_stays_readable() {
    each_db(|app: TestApp| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        app.publish(&steward_testkit::sales_orders().replace("version: 1.0.0", "version: 1.1.0")).await;
        app.publish(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;
        let columns = |p: &Value| -> Vec<String> {
            p["tables"][0]["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let get = |q: &'static str| app.call("GET", q, Some(&app.consumer), None);
        let (s, current) = get("/api/v1/products/sales.orders").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(current["version"], "2.0.0");
        assert!(!columns(&current).contains(&"quantity".to_owned()));
        let (s, one) = get("/api/v1/products/sales.orders?major=1").await;
        assert_eq!(s, StatusCode::OK, "{one}");
        assert_eq!(one["version"], "1.1.0", "the last 1.x");
        assert!(columns(&one).contains(&"quantity".to_owned()), "{one}");
        let (_, two) = get("/api/v1/products/sales.orders?major=2").await;
        assert_eq!(two, current);
        let (s, none) = get("/api/v1/products/sales.orders?major=3").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{none}");
        assert!(none["message"].as_str().unwrap().contains("majors: 1, 2"), "{none}");
        // Redacted as the current version is, for non-producers.
        let (_, as_producer) =
            app.call("GET", "/api/v1/products/sales.orders?major=1", Some(&app.producer), None).await;
        assert_eq!(as_producer["version"], "1.1.0");
    })
    .await;
}
