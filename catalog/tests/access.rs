//! Consumer access on the embedded share backend, on SQLite and PostgreSQL:
//! requests, decisions, grants, the "can X read Y" check, revocation, expiry.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{Duration, TimeZone, Utc};
use common::{TestApp, backends, each_db};
use serde_json::json;
use steward_catalog::clock::ManualClock;

const REQ: &str = "/api/v1/products/sales.orders/access-requests";

#[tokio::test]
async fn request_approve_check_revoke() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let body = json!({"account": "123456789012", "justification": "revenue dashboards", "duration_days": 30});
        let (s, req) = app.json("POST", REQ, &app.consumer, body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{req}");
        assert_eq!(req["status"], "pending");

        // A second open request for the same account is refused.
        let (s, dup) = app.json("POST", REQ, &app.consumer, body).await;
        assert_eq!(s, StatusCode::CONFLICT, "{dup}");
        assert!(dup["message"].as_str().unwrap().contains("open request"), "{dup}");

        // Nothing is readable before approval.
        let (_, check) =
            app.call("GET", "/api/v1/products/sales.orders/access/123456789012", Some(&app.consumer), None).await;
        assert_eq!(check["allowed"], false);

        // Consumers and producers cannot approve; a reviewer can.
        let approve = format!("/api/v1/access-requests/{}/approve", req["id"]);
        let (s, _) = app.call("POST", &approve, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = app.call("POST", &approve, Some(&app.producer), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, grant) = app.json("POST", &approve, &app.reviewer, json!({"comment": "ok"})).await;
        assert_eq!(s, StatusCode::OK, "{grant}");
        assert_eq!(grant["status"], "active");
        assert!(grant["expires_at"].as_str().is_some(), "a 30-day request gives an end date: {grant}");
        let (s, again) = app.call("POST", &approve, Some(&app.reviewer2), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{again}");

        let (_, check) =
            app.call("GET", "/api/v1/products/sales.orders/access/123456789012", Some(&app.consumer), None).await;
        assert_eq!(check["allowed"], true, "{check}");
        let (_, other) =
            app.call("GET", "/api/v1/products/sales.orders/access/210987654321", Some(&app.consumer), None).await;
        assert_eq!(other["allowed"], false);

        // With access, a new request is a conflict naming the grant.
        let (s, has) =
            app.json("POST", REQ, &app.consumer, json!({"account": "123456789012", "justification": "more"})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(has["message"].as_str().unwrap().contains("already has access"), "{has}");

        // The consumer sees its requests and grants.
        let (_, mine) = app.call("GET", "/api/v1/grants", Some(&app.consumer), None).await;
        assert_eq!(mine.as_array().unwrap().len(), 1);
        let (_, reqs) = app.call("GET", "/api/v1/access-requests?status=approved", Some(&app.consumer), None).await;
        assert_eq!(reqs[0]["decided_by"], "rita");

        // Revoke.
        let revoke = format!("/api/v1/grants/{}/revoke", grant["id"]);
        let (s, _) = app.call("POST", &revoke, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A grant ends only with a reason (the holder is told why); without
        // one nothing changes.
        for body in [json!({}), json!({"comment": "  "})] {
            let (s, err) = app.json("POST", &revoke, &app.reviewer, body).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
            assert!(err["message"].as_str().unwrap().contains("comment"), "{err}");
        }
        let (_, still) = app.call("GET", "/api/v1/grants?status=active", Some(&app.reviewer), None).await;
        assert_eq!(still.as_array().unwrap().len(), 1, "{still}");
        let (s, revoked) = app.json("POST", &revoke, &app.reviewer, json!({"comment": "project ended"})).await;
        assert_eq!(s, StatusCode::OK, "{revoked}");
        assert_eq!(revoked["status"], "revoked");
        let (_, check) =
            app.call("GET", "/api/v1/products/sales.orders/access/123456789012", Some(&app.consumer), None).await;
        assert_eq!(check["allowed"], false);

        // Every step is audited.
        let (_, audit) = app.call("GET", "/api/v1/audit?limit=500", Some(&app.reviewer), None).await;
        let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        for a in ["access.request", "access.approve", "grant.create", "grant.revoke"] {
            assert!(actions.contains(&a), "{a} missing from {actions:?}");
        }
    })
    .await;
}

#[tokio::test]
async fn bad_requests_are_clear_4xx_and_change_nothing() {
    each_db(|app| async move {
        // Unpublished product.
        let (s, e) =
            app.json("POST", REQ, &app.consumer, json!({"account": "123456789012", "justification": "x"})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
        assert!(e["message"].as_str().unwrap().contains("not published"));
        app.publish(&steward_testkit::sales_orders()).await;
        // An account the token does not hold.
        let (s, e) =
            app.json("POST", REQ, &app.consumer, json!({"account": "999999999999", "justification": "x"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        assert!(e["message"].as_str().unwrap().contains("does not hold account 999999999999"), "{e}");
        // A malformed account id, an empty justification, a silly duration, an unknown field.
        for (body, needle) in [
            (json!({"account": "12-34", "justification": "x"}), "account"),
            (json!({"account": "123456789012", "justification": "  "}), "justification"),
            (json!({"account": "123456789012", "justification": "x", "duration_days": 0}), "duration_days"),
            (json!({"account": "123456789012", "justification": "x", "role": "admin"}), "unknown field `role`"),
        ] {
            let (s, e) = app.json("POST", REQ, &app.consumer, body).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
            assert!(e["message"].as_str().unwrap().contains(needle), "{needle}: {e}");
        }
        // Rejecting needs a comment.
        let (_, req) =
            app.json("POST", REQ, &app.consumer, json!({"account": "123456789012", "justification": "x"})).await;
        let reject = format!("/api/v1/access-requests/{}/reject", req["id"]);
        let (s, _) = app.json("POST", &reject, &app.reviewer, json!({})).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, r) = app.json("POST", &reject, &app.reviewer, json!({"comment": "use the aggregate"})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["status"], "rejected");
        let (_, grants) = app.call("GET", "/api/v1/grants", Some(&app.reviewer), None).await;
        assert_eq!(grants.as_array().unwrap().len(), 0, "nothing was granted: {grants}");
    })
    .await;
}

#[tokio::test]
async fn nobody_approves_their_own_request() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        // An admin may act for any account, but not decide its own request.
        let (s, req) =
            app.json("POST", REQ, &app.admin, json!({"account": "123456789012", "justification": "audit"})).await;
        assert_eq!(s, StatusCode::CREATED, "{req}");
        let (s, e) =
            app.call("POST", &format!("/api/v1/access-requests/{}/approve", req["id"]), Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        assert!(e["message"].as_str().unwrap().contains("cannot approve it"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn deprecated_products_take_no_new_requests() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let deprecated = steward_testkit::sales_orders()
            .replace("status: active", "status: deprecated")
            .replace("version: 1.0.0", "version: 1.1.0");
        app.publish(&deprecated).await;
        let (s, e) =
            app.json("POST", REQ, &app.consumer, json!({"account": "123456789012", "justification": "x"})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains("deprecated"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn grants_expire_at_their_end_date() {
    for backend in backends().await {
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap()));
        let app = TestApp::builder(backend).clock(clock.clone()).start().await;
        app.publish(&steward_testkit::sales_orders()).await;
        let (_, req) = app
            .json(
                "POST",
                REQ,
                &app.consumer,
                json!({"account": "123456789012", "justification": "x", "duration_days": 2}),
            )
            .await;
        let (s, grant) = app
            .call("POST", &format!("/api/v1/access-requests/{}/approve", req["id"]), Some(&app.reviewer), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{grant}");
        clock.advance(Duration::days(1));
        assert_eq!(app.service.expire_grants().await.unwrap(), 0);
        clock.advance(Duration::days(1) + Duration::seconds(1));
        // Past the end date the check says no even before the worker runs.
        assert!(app.service.can_read("sales.orders", "123456789012").await.unwrap().is_none());
        assert_eq!(app.service.expire_grants().await.unwrap(), 1);
        assert_eq!(app.service.expire_grants().await.unwrap(), 0, "expiry happens once");
        let (_, grants) = app.call("GET", "/api/v1/grants?status=expired", Some(&app.reviewer), None).await;
        assert_eq!(grants[0]["id"], grant["id"], "{grants}");
        assert_eq!(grants[0]["ended_by"], "steward");
    }
}
