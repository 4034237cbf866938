//! The token life cycle through the real router, on SQLite and PostgreSQL:
//! list (no secrets), revoke (refused at once), expiry (manual clock), the
//! last admin token, who may do it, audit, and `last_used_at`.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{Duration, TimeZone, Utc};
use common::{TestApp, backends, each_db};
use serde_json::{Value, json};
use steward_catalog::clock::{Clock, ManualClock};

async fn create(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.json("POST", "/api/v1/tokens", &app.admin, body).await
}

async fn list(app: &TestApp) -> Vec<Value> {
    let (s, v) = app.call("GET", "/api/v1/tokens", Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

async fn token(app: &TestApp, name: &str) -> Value {
    list(app).await.into_iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("no token {name}"))
}

async fn revoke(app: &TestApp, by: &str, name: &str) -> (StatusCode, Value) {
    app.call("POST", &format!("/api/v1/tokens/{name}/revoke"), Some(by), None).await
}

#[tokio::test]
async fn list_hides_secrets_and_a_revoked_token_is_refused_at_once() {
    each_db(|app: TestApp| async move {
        let (s, ci) = create(&app, json!({"name": "ci", "role": "producer", "scopes": ["sales"]})).await;
        assert_eq!(s, StatusCode::CREATED, "{ci}");
        assert_eq!(ci["expires_at"], Value::Null);
        let secret = ci["token"].as_str().unwrap().to_owned();

        let (s, raw) = app.call("GET", "/api/v1/tokens", Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::OK);
        let text = raw.to_string();
        assert!(!text.contains(&secret), "{text}");
        assert!(!text.contains(&secret[4..20]), "no part of a secret: {text}");
        assert!(!text.contains("hash") && !text.contains("stw_"), "{text}");
        let names: Vec<&str> = raw.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["admin", "rita", "rob", "paul", "hanna", "carla", "ci"]);
        let ci_row = raw.as_array().unwrap().iter().find(|t| t["name"] == "ci").unwrap();
        assert_eq!(ci_row["role"], "producer");
        assert_eq!(ci_row["scopes"], json!(["sales"]));
        assert_eq!(ci_row["email"], "ci@steward.invalid");
        assert_eq!(ci_row["status"], "active");
        assert!(ci_row["created_at"].as_str().is_some());
        for k in ["last_used_at", "expires_at", "revoked_at"] {
            assert_eq!(ci_row[k], Value::Null, "{k}: {ci_row}");
        }
        let keys: Vec<&String> = ci_row.as_object().unwrap().keys().collect();
        assert_eq!(
            keys.len(),
            9,
            "name, role, scopes, email, created_at, last_used_at, expires_at, revoked_at, status: {keys:?}"
        );

        let (s, _) = app.call("GET", "/api/v1/products", Some(&secret), None).await;
        assert_eq!(s, StatusCode::OK);
        let (s, out) = revoke(&app, &app.admin, "ci").await;
        assert_eq!(s, StatusCode::OK, "{out}");
        assert_eq!(out["status"], "revoked");
        assert!(out["revoked_at"].as_str().is_some());
        assert!(!out.to_string().contains(&secret));

        // The very next request is refused, saying why and nothing more.
        let (s, e) = app.call("GET", "/api/v1/products", Some(&secret), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
        let m = e["message"].as_str().unwrap();
        assert!(m.contains("revoked"), "{m}");
        assert!(!m.contains("ci") && !m.contains("20"), "no name, no date: {m}");
        assert!(app.service.authenticate(&secret).await.unwrap().is_none());

        let (s, e) = revoke(&app, &app.admin, "ci").await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains("already revoked"), "{e}");
        let (s, e) = revoke(&app, &app.admin, "nobody").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{e}");

        let row = token(&app, "ci").await;
        assert_eq!(row["status"], "revoked");
        assert_eq!(row["revoked_at"], out["revoked_at"]);

        // Both changes are audited with the admin's name.
        let (s, events) = app.call("GET", "/api/v1/audit?target=token:ci", Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::OK);
        let events = events.as_array().unwrap();
        let actions: Vec<(&str, &str)> =
            events.iter().map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap())).collect();
        assert_eq!(actions, [("token.revoke", "admin"), ("token.create", "admin")]);
        assert_eq!(events[0]["after"]["revoked_at"], out["revoked_at"]);
        assert_eq!(events[1]["after"]["expires_at"], Value::Null);
    })
    .await;
}

#[tokio::test]
async fn only_admins_list_and_revoke() {
    each_db(|app: TestApp| async move {
        for who in [&app.reviewer, &app.producer, &app.consumer] {
            let (s, e) = app.call("GET", "/api/v1/tokens", Some(who), None).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
            assert!(e["message"].as_str().unwrap().contains("only admins list tokens"), "{e}");
            let (s, e) = revoke(&app, who, "carla").await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
            assert!(e["message"].as_str().unwrap().contains("only admins revoke tokens"), "{e}");
        }
        let (s, _) = app.call("GET", "/api/v1/tokens", None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // Nothing was revoked.
        assert!(list(&app).await.iter().all(|t| t["status"] == "active"));
    })
    .await;
}

#[tokio::test]
async fn the_last_active_admin_token_cannot_be_revoked() {
    each_db(|app: TestApp| async move {
        let (s, e) = revoke(&app, &app.admin, "admin").await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains("last active admin token"), "{e}");

        let (s, ops) = create(&app, json!({"name": "ops", "role": "admin"})).await;
        assert_eq!(s, StatusCode::CREATED, "{ops}");
        let ops = ops["token"].as_str().unwrap().to_owned();
        // With a second admin the first may go, even by its own hand.
        let (s, out) = revoke(&app, &app.admin, "admin").await;
        assert_eq!(s, StatusCode::OK, "{out}");
        let (s, _) = app.call("GET", "/api/v1/tokens", Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (s, e) = revoke(&app, &ops, "ops").await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains("last active admin token"), "{e}");
        let (s, _) = app.call("GET", "/api/v1/tokens", Some(&ops), None).await;
        assert_eq!(s, StatusCode::OK);
    })
    .await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    for backend in backends().await {
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()));
        let app = TestApp::builder(backend).clock(clock.clone()).start().await;
        eprintln!("-- on {backend}");
        for bad in [json!(0), json!(-1), json!(3651)] {
            let (s, e) = create(&app, json!({"name": "x", "role": "reviewer", "expires_in_days": bad})).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
            assert!(e["message"].as_str().unwrap().contains("expires_in_days"), "{e}");
        }
        let (s, tmp) = create(&app, json!({"name": "tmp", "role": "reviewer", "expires_in_days": 2})).await;
        assert_eq!(s, StatusCode::CREATED, "{tmp}");
        assert_eq!(tmp["expires_at"], "2026-11-04T09:00:00.000000Z");
        let secret = tmp["token"].as_str().unwrap().to_owned();
        let (s, _) = app.call("GET", "/api/v1/proposals", Some(&secret), None).await;
        assert_eq!(s, StatusCode::OK);

        clock.advance(Duration::days(2) - Duration::seconds(1));
        let (s, _) = app.call("GET", "/api/v1/proposals", Some(&secret), None).await;
        assert_eq!(s, StatusCode::OK, "still valid a second before");
        clock.advance(Duration::seconds(1));
        let (s, e) = app.call("GET", "/api/v1/proposals", Some(&secret), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
        assert!(e["message"].as_str().unwrap().contains("expired"), "{e}");
        let row = token(&app, "tmp").await;
        assert_eq!((row["status"].as_str(), row["expires_at"].as_str()), (Some("expired"), tmp["expires_at"].as_str()));

        // The expiry is in the creation's audit event.
        let (_, events) = app.call("GET", "/api/v1/audit?target=token:tmp", Some(&app.admin), None).await;
        assert_eq!(events[0]["action"], "token.create");
        assert_eq!(events[0]["after"]["expires_at"], "2026-11-04T09:00:00.000000Z");

        // An expired admin token does not count as the remaining admin.
        let (s, _) = create(&app, json!({"name": "ops", "role": "admin", "expires_in_days": 1})).await;
        assert_eq!(s, StatusCode::CREATED);
        clock.advance(Duration::days(1));
        let (s, e) = revoke(&app, &app.admin, "admin").await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        // Revoking an expired token is allowed (it ends it for good).
        let (s, e) = revoke(&app, &app.admin, "tmp").await;
        assert_eq!(s, StatusCode::OK, "{e}");
        assert_eq!(e["status"], "revoked");
    }
}

async fn used(app: &TestApp) -> StatusCode {
    app.call("GET", "/api/v1/proposals", Some(&app.reviewer), None).await.0
}

#[tokio::test]
async fn last_used_is_recorded_at_most_once_a_minute() {
    for backend in backends().await {
        let start = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let app = TestApp::builder(backend).clock(clock.clone()).start().await;
        eprintln!("-- on {backend}");
        assert_eq!(token(&app, "rita").await["last_used_at"], Value::Null);
        assert_eq!(used(&app).await, StatusCode::OK);
        assert_eq!(token(&app, "rita").await["last_used_at"], "2026-11-02T09:00:00.000000Z");
        clock.advance(Duration::seconds(59));
        assert_eq!(used(&app).await, StatusCode::OK);
        assert_eq!(token(&app, "rita").await["last_used_at"], "2026-11-02T09:00:00.000000Z", "not rewritten");
        clock.advance(Duration::seconds(2));
        assert_eq!(used(&app).await, StatusCode::OK);
        assert_eq!(token(&app, "rita").await["last_used_at"], "2026-11-02T09:01:01.000000Z");
        assert_eq!(clock.now(), start + Duration::seconds(61));
        // Tokens never used stay empty.
        assert_eq!(token(&app, "carla").await["last_used_at"], Value::Null);
    }
}
