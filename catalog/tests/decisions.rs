//! Review decisions under attack: two reviewers deciding the same proposal at
//! once, merges on `main` that the store never approved, and recovery of an
//! approval interrupted on either side of its git merge. SQLite and
//! PostgreSQL, through the real router.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::{TestApp, each_db};
use serde_json::{Value, json};
use steward_schemas::ProductKey;
use steward_testkit::sales_orders;

const ROUNDS: usize = 12;

fn orders_version(minor: usize) -> String {
    sales_orders().replacen("version: 1.0.0", &format!("version: 1.{minor}.0"), 1)
}

fn orders() -> ProductKey {
    ProductKey::parse("sales.orders").unwrap()
}

async fn sql(app: &TestApp, statement: &str) {
    use sqlx::Executor;
    app.sql().await.execute(sqlx::AssertSqlSafe(statement.to_owned())).await.unwrap();
}

/// Approve (rita), reject (rob) and a second approve (rob) race for the same
/// proposal, round after round. Exactly one decision wins; git and the store
/// agree after every round, and after a restart and a rebuild.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_decisions_never_leave_git_and_the_store_disagreeing() {
    each_db(|app: TestApp| async move {
        let app = Arc::new(app);
        let mut published = Vec::new();
        for round in 0..ROUNDS {
            let (s, p) = app.submit(&app.producer, &orders_version(round)).await;
            assert_eq!(s, StatusCode::CREATED, "{p}");
            let id = p["id"].as_i64().unwrap();
            let approve = |token: String| {
                let app = app.clone();
                tokio::spawn(async move { app.approve(&token, id).await })
            };
            let reject = {
                let app = app.clone();
                let token = app.reviewer2.clone();
                // Approvals validate first; a reject that starts later lands
                // in every phase of them (claim, merge, publish) over the rounds.
                let delay = std::time::Duration::from_millis((round as u64 % 4) * 15);
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    app.json("POST", &format!("/api/v1/proposals/{id}/reject"), &token, json!({"comment": "no"})).await
                })
            };
            // Alternate who starts first so both orders are exercised.
            let (a, r, b) = if round % 2 == 0 {
                let a = approve(app.reviewer.clone());
                (a, reject, approve(app.reviewer2.clone()))
            } else {
                let b = approve(app.reviewer2.clone());
                (approve(app.reviewer.clone()), reject, b)
            };
            let answers: Vec<(StatusCode, Value)> = vec![a.await.unwrap(), r.await.unwrap(), b.await.unwrap()];
            eprintln!("round {round}: {:?}", answers.iter().map(|(s, _)| s.as_u16()).collect::<Vec<_>>());
            let wins = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
            assert_eq!(wins, 1, "round {round}: exactly one decision wins: {answers:?}");
            for (s, body) in &answers {
                assert!(
                    *s == StatusCode::OK || *s == StatusCode::CONFLICT,
                    "round {round}: a losing decision is a 409, not {s}: {body}"
                );
            }

            let (_, p) = app.call("GET", &format!("/api/v1/proposals/{id}"), Some(&app.reviewer), None).await;
            let merged = app.service.registry().merged_in(id as u64).await.unwrap();
            match p["status"].as_str().unwrap() {
                "published" => {
                    assert_eq!(p["merge_commit"].as_str(), merged.as_deref(), "round {round}");
                    published.push(format!("1.{round}.0"));
                }
                "rejected" => assert_eq!(merged, None, "round {round}: a rejected proposal was merged into main"),
                other => panic!("round {round}: proposal ended {other}"),
            }
            let (_, product) = app.call("GET", "/api/v1/products/sales.orders", Some(&app.consumer), None).await;
            let live = product["version"].as_str().map(str::to_owned);
            assert_eq!(live.as_ref(), published.last(), "round {round}: the catalog shows the last approved version");
        }

        // A restart reconciles and a rebuild replays main: nothing changes.
        let done = app.service.reconcile().await.unwrap();
        assert!(done.recovered.is_empty() && done.refused.is_empty() && done.failed.is_empty(), "{done:?}");
        let (s, done) = app.call("POST", "/api/v1/admin/rebuild-catalog", Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::OK, "{done}");
        assert_eq!(done["refused"], json!([]));
        assert!(!published.is_empty(), "no approval ever won: the rounds did not exercise the approve path");
        let (_, versions) = app.call("GET", "/api/v1/products/sales.orders/versions", Some(&app.consumer), None).await;
        let mut listed: Vec<String> = versions
            .as_array()
            .unwrap_or_else(|| panic!("{versions}"))
            .iter()
            .map(|v| v["version"].as_str().unwrap().to_owned())
            .collect();
        listed.sort();
        published.sort();
        assert_eq!(listed, published);
        // Every version keeps its proposal link through the rebuild.
        assert!(versions.as_array().unwrap().iter().all(|v| v["proposal_id"].is_i64()), "{versions}");
    })
    .await;
}

/// `main` holds the merge of a proposal the store rejected (what the race
/// used to leave behind): start-up and rebuild report it and never publish it.
#[tokio::test]
async fn a_rejected_merge_on_main_is_reported_not_published() {
    each_db(|app: TestApp| async move {
        let (_, p) = app.submit(&app.producer, &sales_orders()).await;
        let id = p["id"].as_i64().unwrap();
        let (s, body) =
            app.json("POST", &format!("/api/v1/proposals/{id}/reject"), &app.reviewer, json!({"comment": "no"})).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let rita = app.principal(&app.reviewer).await.signature();
        let merge =
            app.service.registry().merge_proposal(id as u64, orders(), "1.0.0".into(), rita, None).await.unwrap();

        let done = app.service.reconcile().await.unwrap();
        assert!(done.republished.is_empty(), "{done:?}");
        assert_eq!(done.refused.len(), 1, "{done:?}");
        assert_eq!(done.refused[0].proposal, id);
        assert_eq!(done.refused[0].commit, merge);
        let (s, _) = app.call("GET", "/api/v1/products/sales.orders", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "a rejected contract went live");

        let (s, done) = app.call("POST", "/api/v1/admin/rebuild-catalog", Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::OK, "{done}");
        assert_eq!(done["refused"][0]["proposal"], id);
        assert_eq!(done["refused"][0]["status"], "rejected");
        let (s, _) = app.call("GET", "/api/v1/products/sales.orders", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "rebuild published a rejected contract");

        let (_, events) = app.call("GET", "/api/v1/audit?action=registry.merge_refused", Some(&app.admin), None).await;
        assert!(!events.as_array().unwrap().is_empty(), "{events}");
        let (_, events) = app.call("GET", "/api/v1/audit?action=catalog.rebuild", Some(&app.admin), None).await;
        assert_eq!(events[0]["actor"], "admin", "the rebuild is audited as the admin who asked: {events}");
    })
    .await;
}

/// The claim committed, then the process died before the git merge: the
/// restart finishes the approval as the reviewer who made it.
#[tokio::test]
async fn an_approval_interrupted_before_its_merge_is_finished_at_start() {
    each_db(|app: TestApp| async move {
        let (_, p) = app.submit(&app.producer, &sales_orders()).await;
        let id = p["id"].as_i64().unwrap();
        sql(
            &app,
            &format!(
                "UPDATE proposals SET status = 'approved', decided_by = 'rita', comment = 'ship it' WHERE id = {id}"
            ),
        )
        .await;
        let done = app.service.reconcile().await.unwrap();
        assert_eq!(done.recovered, vec![id], "{done:?}");
        let (_, p) = app.call("GET", &format!("/api/v1/proposals/{id}"), Some(&app.reviewer), None).await;
        assert_eq!(p["status"], "published");
        assert_eq!(p["decided_by"], "rita");
        assert_eq!(p["comment"], "ship it");
        let history = app.service.registry().history(orders()).await.unwrap();
        assert!(history[0].message.contains("Approved-by: rita"), "{}", history[0].message);
        assert!(history[0].message.contains("ship it"), "{}", history[0].message);
    })
    .await;
}

/// A contract on `main` that cannot be written to the catalog does not keep
/// the server from starting: it is skipped and reported.
#[tokio::test]
async fn a_bad_entry_on_main_is_skipped_and_reported() {
    each_db(|app: TestApp| async move {
        app.publish(&sales_orders()).await;
        // A proposal the store never saw, merged by hand, whose YAML does not parse.
        let hr = ProductKey::parse("hr.people").unwrap();
        let sig = steward_registry::Signature::new("someone", "someone@example.com");
        app.service
            .registry()
            .propose(900, hr.clone(), "1.0.0".into(), b"domain: [hr\n".to_vec(), sig.clone())
            .await
            .unwrap();
        app.service.registry().merge_proposal(900, hr, "1.0.0".into(), sig, None).await.unwrap();

        let done = app.service.reconcile().await.expect("start-up reconciliation never fails on one bad entry");
        assert_eq!(done.failed.len(), 1, "{done:?}");
        assert_eq!(done.failed[0].product, "hr.people");
        let (s, _) = app.call("GET", "/api/v1/products/sales.orders", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::OK);
    })
    .await;
}

/// A second proposal of a version that is already pending could never be
/// approved: the answer names the proposal that holds it, and nothing is recorded.
#[tokio::test]
async fn a_version_already_pending_names_the_proposal_that_holds_it() {
    each_db(|app: TestApp| async move {
        let (_, first) = app.submit(&app.producer, &sales_orders()).await;
        let (s, body) = app.submit(&app.producer, &sales_orders()).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        let message = body["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains(&format!("proposal {}", first["id"])), "{body}");
        assert!(message.contains("pending_review"), "{body}");
        let (_, list) = app.call("GET", "/api/v1/proposals", Some(&app.reviewer), None).await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    })
    .await;
}

/// A registry ref held by another writer answers 503 with `Retry-After`
/// (not 500), and the claim is released: the proposal is back in review
/// and can be approved once the lock is gone.
#[tokio::test]
async fn a_locked_registry_is_a_503_and_releases_the_claim() {
    each_db(|app: TestApp| async move {
        let (_, p) = app.submit(&app.producer, &sales_orders()).await;
        let id = p["id"].as_i64().unwrap();
        let lock = app.dir.path().join("registry.git/refs/heads/main.lock");
        std::fs::write(&lock, b"").unwrap();
        let resp = {
            use tower::ServiceExt;
            let req = axum::http::Request::post(format!("/api/v1/proposals/{id}/approve"))
                .header("authorization", format!("Bearer {}", app.reviewer))
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{}"))
                .unwrap();
            app.router.clone().oneshot(req).await.unwrap()
        };
        assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(resp.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
        let (_, p) = app.call("GET", &format!("/api/v1/proposals/{id}"), Some(&app.reviewer), None).await;
        assert_eq!(p["status"], "pending_review", "the claim was released: {p}");
        assert_eq!(p["decided_by"], Value::Null);
        std::fs::remove_file(&lock).unwrap();
        let (s, p) = app.approve(&app.reviewer, id).await;
        assert_eq!(s, StatusCode::OK, "{p}");
        assert_eq!(p["status"], "published");
    })
    .await;
}

/// A contract body over the API's limit is a 413 in the API's JSON error
/// shape (axum's own rejection is plain text), and nothing is recorded.
#[tokio::test]
async fn an_oversized_contract_is_a_json_413() {
    let app = TestApp::start("sqlite").await;
    let huge = format!("{}\n# {}\n", sales_orders(), "x".repeat(3 * 1024 * 1024));
    let (s, body) = app.submit(&app.producer, &huge).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "payload_too_large", "{body}");
    let (_, list) = app.call("GET", "/api/v1/proposals", Some(&app.reviewer), None).await;
    assert_eq!(list, json!([]));
}
