//! Grants and subscriptions know the contract major they were approved
//! against ([M11]), on SQLite and PostgreSQL through the API: a grant made
//! on 1.x stays on major 1 when 2.0.0 is published (and when it is
//! extended), a subscription takes its grant's major, and new access goes
//! to the newest major.

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
