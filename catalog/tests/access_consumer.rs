//! The consumer's side of access and what producers read, on SQLite and
//! PostgreSQL: cancelling one's own pending request (only the requester; a
//! decided one is a 409), renewing a grant (a request a reviewer approves,
//! extending the same grant from its current end), product notices, and
//! which requests and grants each role reads.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{TestApp, backends, each_db};
use serde_json::{Value, json};
use steward_catalog::auth::Role;
use steward_catalog::clock::ManualClock;

const REQ: &str = "/api/v1/products/sales.orders/access-requests";
const ACCOUNT: &str = "123456789012";

fn hr_orders() -> String {
    steward_testkit::sales_orders().replace("domain: sales", "domain: hr").replace("steward-sales", "steward-hr")
}

/// A token of `role` with `scopes`, made by the admin; its secret.
async fn token(app: &TestApp, name: &str, role: Role, scopes: &[&str]) -> String {
    let root = app.principal(&app.admin).await;
    let scopes = scopes.iter().map(|s| s.to_string()).collect();
    app.service.create_token(&root, name, None, role, scopes).await.unwrap().token
}

async fn request(app: &TestApp, token: &str, uri: &str, account: &str, days: Option<i64>) -> Value {
    let body = json!({"account": account, "justification": "churn model", "duration_days": days});
    let (s, r) = app.json("POST", uri, token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    r
}

fn time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("a time: {v}"))).unwrap().to_utc()
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String, String)> {
    let (_, audit) = app.call("GET", "/api/v1/audit?limit=500", Some(&app.reviewer), None).await;
    audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
            (s("actor"), s("action"), s("target"))
        })
        .collect()
}

#[tokio::test]
async fn only_the_requester_cancels_a_pending_request() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let cora = token(&app, "cora", Role::Consumer, &[ACCOUNT]).await;
        let olga = token(&app, "olga", Role::Consumer, &["210987654321"]).await;
        let r = request(&app, &app.consumer, REQ, ACCOUNT, Some(30)).await;
        let cancel = format!("/api/v1/access-requests/{}/cancel", r["id"]);

        // Who may read it but did not ask: 403 naming the requester.
        for (who, t) in
            [("same account", &cora), ("reviewer", &app.reviewer), ("producer", &app.producer), ("admin", &app.admin)]
        {
            let (s, e) = app.call("POST", &cancel, Some(t), None).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {e}");
            assert!(e["message"].as_str().unwrap().contains("only the requester (`carla`)"), "{who}: {e}");
        }
        // Who may not even read it: 404, as for an unknown id.
        for (who, t) in [("other account", &olga), ("other domain", &app.hr_producer)] {
            let (s, e) = app.call("POST", &cancel, Some(t), None).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{who}: {e}");
        }
        let (s, _) = app.call("POST", "/api/v1/access-requests/999999/cancel", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = app.call("POST", &cancel, None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        let (s, done) = app.call("POST", &cancel, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::OK, "{done}");
        assert_eq!(done["status"], "cancelled");
        assert_eq!(done["decided_by"], "carla");
        // Once: a second cancel, and any decision after it, is a conflict.
        let (s, again) = app.call("POST", &cancel, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{again}");
        assert!(again["message"].as_str().unwrap().contains("already cancelled"), "{again}");
        let (s, late) =
            app.call("POST", &format!("/api/v1/access-requests/{}/approve", r["id"]), Some(&app.reviewer), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{late}");
        let (_, grants) = app.call("GET", "/api/v1/grants", Some(&app.reviewer), None).await;
        assert_eq!(grants.as_array().unwrap().len(), 0, "nothing granted: {grants}");
        let (_, listed) = app.call("GET", "/api/v1/access-requests?status=cancelled", Some(&app.consumer), None).await;
        assert_eq!(listed[0]["id"], r["id"], "{listed}");

        // The open-request slot is free again; an approved request cannot be cancelled.
        let r2 = request(&app, &app.consumer, REQ, ACCOUNT, None).await;
        let (s, _) =
            app.call("POST", &format!("/api/v1/access-requests/{}/approve", r2["id"]), Some(&app.reviewer), None).await;
        assert_eq!(s, StatusCode::OK);
        let (s, e) =
            app.call("POST", &format!("/api/v1/access-requests/{}/cancel", r2["id"]), Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains("already approved"), "{e}");

        let audit = audit_actions(&app).await;
        let target = format!("access_request:{}", r["id"]);
        assert!(
            audit.iter().any(|(actor, action, t)| actor == "carla" && action == "access.cancel" && *t == target),
            "{audit:?}"
        );
        assert_eq!(audit.iter().filter(|(_, a, _)| a == "access.cancel").count(), 1, "refusals are not audited");
    })
    .await;
}

#[tokio::test]
async fn a_renewal_is_approved_by_a_reviewer_and_extends_the_grant_from_its_end() {
    for backend in backends().await {
        eprintln!("-- on {backend}");
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let app = TestApp::builder(backend).clock(clock.clone()).start().await;
        app.publish(&steward_testkit::sales_orders()).await;
        let olga = token(&app, "olga", Role::Consumer, &["210987654321"]).await;
        let r = request(&app, &app.consumer, REQ, ACCOUNT, Some(30)).await;
        let approve = |id: &Value| format!("/api/v1/access-requests/{id}/approve");
        let (_, grant) = app.call("POST", &approve(&r["id"]), Some(&app.reviewer), None).await;
        assert_eq!(time(&grant["expires_at"]), start + Duration::days(30));
        let renew = format!("/api/v1/grants/{}/renew", grant["id"]);

        // Five days before the end, the consumer asks for 30 more days.
        clock.advance(Duration::days(25));
        let body = json!({"justification": "the model runs another quarter", "duration_days": 30});
        let (s, e) = app.json("POST", &renew, &olga, body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "another account's consumer: {e}");
        let (s, e) = app.json("POST", &renew, &app.reviewer, body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "reviewers hold no account: {e}");
        for (bad, needle) in [
            (json!({"justification": " ", "duration_days": 30}), "justification"),
            (json!({"justification": "x", "duration_days": 0}), "duration_days"),
            (json!({"justification": "x", "account": ACCOUNT}), "unknown field"),
        ] {
            let (s, e) = app.json("POST", &renew, &app.consumer, bad).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
            assert!(e["message"].as_str().unwrap().contains(needle), "{needle}: {e}");
        }
        let (s, renewal) = app.json("POST", &renew, &app.consumer, body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{renewal}");
        assert_eq!(renewal["status"], "pending");
        assert_eq!(renewal["renews"], grant["id"]);
        let (s, e) = app.json("POST", &renew, &app.consumer, body.clone()).await;
        assert_eq!(s, StatusCode::CONFLICT, "one open request at a time: {e}");
        // A first request while the grant is active points at renewing.
        let (s, e) = app.json("POST", REQ, &app.consumer, json!({"account": ACCOUNT, "justification": "x"})).await;
        assert_eq!(s, StatusCode::CONFLICT);
        assert!(e["message"].as_str().unwrap().contains("steward access renew"), "{e}");
        // Still readable until a reviewer decides; the end date has not moved.
        assert!(app.service.can_read("sales.orders", ACCOUNT).await.unwrap().is_some());

        let (s, extended) = app.call("POST", &approve(&renewal["id"]), Some(&app.reviewer2), None).await;
        assert_eq!(s, StatusCode::OK, "{extended}");
        assert_eq!(extended["id"], grant["id"], "the same grant");
        assert_eq!(time(&extended["expires_at"]), start + Duration::days(60), "30 days past the old end, none lost");
        assert_eq!(extended["request_id"], renewal["id"]);
        let audit = audit_actions(&app).await;
        for action in ["access.renew", "grant.extend"] {
            assert!(audit.iter().any(|(_, a, _)| a == action), "{action} missing: {audit:?}");
        }

        // Ended grants and grants without an end are not renewed.
        let (s, e) = app.json("POST", "/api/v1/grants/999999/renew", &app.consumer, body.clone()).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
        let (s, _) = app
            .json("POST", &format!("/api/v1/grants/{}/revoke", grant["id"]), &app.reviewer, json!({"comment": "x"}))
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, e) = app.json("POST", &renew, &app.consumer, body.clone()).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains("is revoked"), "{e}");
        let open = request(&app, &app.consumer, REQ, ACCOUNT, None).await;
        let (_, forever) = app.call("POST", &approve(&open["id"]), Some(&app.reviewer), None).await;
        let (s, e) = app.json("POST", &format!("/api/v1/grants/{}/renew", forever["id"]), &app.consumer, body).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains("does not expire"), "{e}");
    }
}

#[tokio::test]
async fn a_renewal_decided_after_the_grant_expired_grants_afresh() {
    for backend in backends().await {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let app = TestApp::builder(backend).clock(clock.clone()).start().await;
        app.publish(&steward_testkit::sales_orders()).await;
        let r = request(&app, &app.consumer, REQ, ACCOUNT, Some(2)).await;
        let (_, grant) =
            app.call("POST", &format!("/api/v1/access-requests/{}/approve", r["id"]), Some(&app.reviewer), None).await;
        let (s, renewal) = app
            .json(
                "POST",
                &format!("/api/v1/grants/{}/renew", grant["id"]),
                &app.consumer,
                json!({"justification": "more", "duration_days": 10}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{renewal}");
        clock.advance(Duration::days(3));
        assert_eq!(app.service.expire_grants().await.unwrap(), 1);
        let (s, fresh) = app
            .call("POST", &format!("/api/v1/access-requests/{}/approve", renewal["id"]), Some(&app.reviewer), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{fresh}");
        assert_ne!(fresh["id"], grant["id"], "a new grant");
        assert_eq!(time(&fresh["expires_at"]), start + Duration::days(3 + 10));
    }
}

#[tokio::test]
async fn deprecated_products_renew_and_retired_ones_do_not() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let r = request(&app, &app.consumer, REQ, ACCOUNT, Some(30)).await;
        let (_, grant) =
            app.call("POST", &format!("/api/v1/access-requests/{}/approve", r["id"]), Some(&app.reviewer), None).await;
        let renew = format!("/api/v1/grants/{}/renew", grant["id"]);
        let body = json!({"justification": "migrating to the successor", "duration_days": 30});
        let deprecated = steward_testkit::sales_orders()
            .replace("status: active", "status: deprecated")
            .replace("version: 1.0.0", "version: 1.1.0");
        app.publish(&deprecated).await;
        let (s, renewal) = app.json("POST", &renew, &app.consumer, body.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "existing consumers keep reading while they migrate: {renewal}");
        let (s, _) = app
            .call("POST", &format!("/api/v1/access-requests/{}/cancel", renewal["id"]), Some(&app.consumer), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        let retired =
            deprecated.replace("status: deprecated", "status: retired").replace("version: 1.1.0", "version: 1.2.0");
        app.publish(&retired).await;
        let (s, e) = app.json("POST", &renew, &app.consumer, body).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains("retired"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn each_role_reads_the_requests_and_grants_it_may() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let (s, body) = app.submit(&app.hr_producer, &hr_orders()).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let (s, _) = app.approve(&app.reviewer, body["id"].as_i64().unwrap()).await;
        assert_eq!(s, StatusCode::OK);
        let olga = token(&app, "olga", Role::Consumer, &["210987654321"]).await;
        let multi = token(&app, "mona", Role::Producer, &["hr", "sales"]).await;
        let nobody = token(&app, "ned", Role::Producer, &["marketing"]).await;
        // carla: sales (granted) and hr (pending); olga: sales (pending).
        let sales = request(&app, &app.consumer, REQ, ACCOUNT, None).await;
        let (_, _) = app
            .call("POST", &format!("/api/v1/access-requests/{}/approve", sales["id"]), Some(&app.reviewer), None)
            .await;
        request(&app, &app.consumer, "/api/v1/products/hr.orders/access-requests", ACCOUNT, None).await;
        request(&app, &olga, REQ, "210987654321", None).await;

        let keys = |v: &Value| -> Vec<(String, String)> {
            let mut k: Vec<(String, String)> = v
                .as_array()
                .unwrap_or_else(|| panic!("a list: {v}"))
                .iter()
                .map(|x| (x["product_key"].as_str().unwrap().to_owned(), x["account"].as_str().unwrap().to_owned()))
                .collect();
            k.sort();
            k
        };
        let pair = |k: &str, a: &str| (k.to_owned(), a.to_owned());
        let all_requests =
            vec![pair("hr.orders", ACCOUNT), pair("sales.orders", ACCOUNT), pair("sales.orders", "210987654321")];
        for (who, t, requests, grants) in [
            ("reviewer", &app.reviewer, all_requests.clone(), vec![pair("sales.orders", ACCOUNT)]),
            ("admin", &app.admin, all_requests.clone(), vec![pair("sales.orders", ACCOUNT)]),
            (
                "sales producer",
                &app.producer,
                vec![pair("sales.orders", ACCOUNT), pair("sales.orders", "210987654321")],
                vec![pair("sales.orders", ACCOUNT)],
            ),
            ("hr producer", &app.hr_producer, vec![pair("hr.orders", ACCOUNT)], vec![]),
            ("producer of both", &multi, all_requests.clone(), vec![pair("sales.orders", ACCOUNT)]),
            ("producer of a domain without products", &nobody, vec![], vec![]),
            (
                "consumer",
                &app.consumer,
                vec![pair("hr.orders", ACCOUNT), pair("sales.orders", ACCOUNT)],
                vec![pair("sales.orders", ACCOUNT)],
            ),
            ("other consumer", &olga, vec![pair("sales.orders", "210987654321")], vec![]),
        ] {
            let (s, r) = app.call("GET", "/api/v1/access-requests", Some(t), None).await;
            assert_eq!(s, StatusCode::OK, "{who}: {r}");
            assert_eq!(keys(&r), requests, "{who}'s requests");
            let (s, g) = app.call("GET", "/api/v1/grants", Some(t), None).await;
            assert_eq!(s, StatusCode::OK, "{who}: {g}");
            assert_eq!(keys(&g), grants, "{who}'s grants");
        }
        // A producer naming its own product reads it; another domain's is refused.
        let (s, r) = app.call("GET", "/api/v1/access-requests?product=sales.orders", Some(&app.producer), None).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r.as_array().unwrap().len(), 2);
        let (s, e) = app.call("GET", "/api/v1/access-requests?product=hr.orders", Some(&app.producer), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        assert!(e["message"].as_str().unwrap().contains("does not produce for domain hr"), "{e}");
        // Filters still apply within the scope.
        let (_, pending) = app.call("GET", "/api/v1/access-requests?status=pending", Some(&app.producer), None).await;
        assert_eq!(keys(&pending), vec![pair("sales.orders", "210987654321")]);
        // Who has access to one product stays readable by everyone signed in.
        let (s, g) = app.call("GET", "/api/v1/grants?product=sales.orders", Some(&app.hr_producer), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(keys(&g), vec![pair("sales.orders", ACCOUNT)]);
    })
    .await;
}

/// A domain whose name holds `_` (a LIKE wildcard) matches only itself.
#[tokio::test]
async fn producer_scope_escapes_like_wildcards() {
    each_db(|app| async move {
        let yaml = |domain: &str| {
            steward_testkit::sales_orders()
                .replace("domain: sales", &format!("domain: {domain}"))
                .replace("steward-sales", &format!("steward-{}", domain.replace('_', "-")))
        };
        let sa_les = token(&app, "sally", Role::Producer, &["sa_les"]).await;
        let saxles = token(&app, "saxon", Role::Producer, &["saxles"]).await;
        for (t, d) in [(&sa_les, "sa_les"), (&saxles, "saxles")] {
            let (s, body) = app.submit(t, &yaml(d)).await;
            assert_eq!(s, StatusCode::CREATED, "{body}");
            app.approve(&app.reviewer, body["id"].as_i64().unwrap()).await;
            request(&app, &app.consumer, &format!("/api/v1/products/{d}.orders/access-requests"), ACCOUNT, None).await;
        }
        let (_, r) = app.call("GET", "/api/v1/access-requests", Some(&sa_les), None).await;
        let keys: Vec<&str> = r.as_array().unwrap().iter().map(|x| x["product_key"].as_str().unwrap()).collect();
        assert_eq!(keys, vec!["sa_les.orders"], "{r}");
    })
    .await;
}

#[tokio::test]
async fn product_notices_name_pending_breaking_changes_and_the_successor() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let carla = app.principal(&app.consumer).await;
        let quiet = app.service.product_notices(&carla, "sales.orders").await.unwrap();
        assert!(quiet.breaking.is_empty() && quiet.deprecation.is_none(), "{quiet:?}");
        let (s, p) = app.submit(&app.producer, &steward_testkit::sales_orders_without_quantity("2.0.0")).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let n = app.service.product_notices(&carla, "sales.orders").await.unwrap();
        assert_eq!(n.breaking.len(), 1, "{n:?}");
        assert_eq!(n.breaking[0].proposal_id, p["id"].as_i64().unwrap());
        assert_eq!(n.breaking[0].version, "2.0.0");
        assert!(
            n.breaking[0].findings.iter().any(|(rule, _, message)| rule == "STW101" && message.contains("quantity")),
            "{n:?}"
        );
        // Decided proposals are no longer pending.
        let (s, _) = app
            .json(
                "POST",
                &format!("/api/v1/proposals/{}/reject", p["id"]),
                &app.reviewer,
                json!({"comment": "not yet"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(app.service.product_notices(&carla, "sales.orders").await.unwrap().breaking.is_empty());

        let deprecated = steward_testkit::sales_orders()
            .replace("status: active", "status: deprecated")
            .replace("version: 1.0.0", "version: 1.1.0");
        assert!(deprecated.contains("\ncustomProperties:\n"), "the example has top-level custom properties");
        let with_successor = deprecated.replacen(
            "\ncustomProperties:\n",
            "\ncustomProperties:\n  - property: successor\n    value: sales.orders_v2\n",
            1,
        );
        app.publish(&with_successor).await;
        let n = app.service.product_notices(&carla, "sales.orders").await.unwrap();
        assert_eq!(n.deprecation.and_then(|d| d.successor).as_deref(), Some("sales.orders_v2"));
        let missing = app.service.product_notices(&carla, "sales.nothing").await;
        assert!(matches!(missing, Err(steward_catalog::error::ServiceError::NotFound(_))), "{missing:?}");
    })
    .await;
}
