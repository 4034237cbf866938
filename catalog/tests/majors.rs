//! Change without breakage ([M11]), on SQLite and PostgreSQL through the
//! API. Grants and subscriptions know the contract major they were approved
//! against: a grant made on 1.x stays on major 1 when 2.0.0 is published
//! (and when it is renewed), a subscription takes its grant's major, and new
//! access goes to the newest major. A breaking proposal names its consumers
//! and what they lose.

mod common;

use axum::http::StatusCode;
use common::each_db;
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
                                   "expires_at": grant["expires_at"], "subscriptions": 1}]);
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
