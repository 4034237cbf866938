//! The producer's workspace, on SQLite and PostgreSQL: what a producer sees
//! of their own domains and nothing of others' ("My products": SLO state,
//! last refresh, consumers, pending requests, dead-lettered jobs), and the
//! rules of withdrawing a proposal (only pending, only one's own domain, a
//! second withdrawal is a 409, audited, over the API too).

mod common;

use axum::http::StatusCode;
use common::{TestApp, each_db};
use serde_json::json;
use steward_catalog::auth::Role;
use steward_catalog::error::ServiceError;
use steward_catalog::service::admin::AuditFilter;
use steward_catalog::service::proposals::{ProposalFilter, ProposalStatus};
use steward_catalog::service::workspace::SloHealth;

fn marketing() -> String {
    std::fs::read_to_string(steward_testkit::repo_root().join("examples/marketing-campaigns.odcs.yaml")).unwrap()
}

/// A producer of `marketing` ("mia"); returns the token.
async fn marketing_producer(app: &TestApp) -> String {
    let root = app.principal(&app.admin).await;
    app.service.create_token(&root, "mia", None, Role::Producer, vec!["marketing".into()]).await.unwrap().token
}

/// `sales.orders` at another version (a valid, non-breaking change).
fn orders_at(version: &str) -> String {
    steward_testkit::sales_orders().replace("version: 1.0.0", &format!("version: {version}"))
}

#[tokio::test]
async fn a_producer_sees_their_domains_products_and_nothing_of_others() {
    each_db(|app| async move {
        let mia = marketing_producer(&app).await;
        app.published_with_grant().await;
        let (s, p) = app.submit(&mia, &marketing()).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let (s, p) = app.approve(&app.reviewer, p["id"].as_i64().unwrap()).await;
        assert_eq!(s, StatusCode::OK, "{p}");

        // A pending request of another account, a refresh, and a dead
        // notification (an e-mail subscription on a server without SMTP).
        let root = app.principal(&app.admin).await;
        let dana = app
            .service
            .create_token(&root, "dana", None, Role::Consumer, vec!["210987654321".into()])
            .await
            .unwrap()
            .token;
        let (s, r) = app
            .json(
                "POST",
                "/api/v1/products/sales.orders/access-requests",
                &dana,
                json!({"account": "210987654321", "justification": "churn model"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        app.subscribe("email", "carla@example.com").await;
        let refresh = json!({"table": "order_lines", "partition": {"dt": "2026-11-21"}, "idempotency_key": "run-1"});
        let (s, r) = app.json("POST", "/api/v1/products/sales.orders/refreshes", &app.producer, refresh).await;
        assert!(s.is_success(), "{r}");
        let paul = app.principal(&app.producer).await;
        let round = app.worker(None).drain().await.unwrap();
        assert!(round.dead >= 1, "the e-mail notification dead-letters without SMTP: {round:?}");

        let mine = app.service.my_products(&paul, 0, 25).await.unwrap();
        assert_eq!(mine.domains, Some(vec!["sales".to_owned()]));
        assert_eq!(mine.total, 1);
        let keys: Vec<&str> = mine.products.iter().map(|p| p.product.key.as_str()).collect();
        assert_eq!(keys, ["sales.orders"]);
        let orders = &mine.products[0];
        assert_eq!(orders.product.version, "1.0.0");
        assert!(orders.last_refresh.is_some(), "the refresh shows");
        assert_eq!(orders.slo, SloHealth::Pending, "an SLO, nothing judged yet");
        let accounts: Vec<&str> = orders.grants.iter().map(|g| g.account.as_str()).collect();
        assert_eq!(accounts, ["123456789012"], "the consumer with a grant");
        assert_eq!(orders.pending_requests.len(), 1);
        let req = &orders.pending_requests[0];
        assert_eq!((req.account.as_str(), req.requested_by.as_str()), ("210987654321", "dana"));
        assert_eq!(req.justification, "churn model");
        assert_eq!(orders.dead_jobs.len(), 1, "{:?}", orders.dead_jobs);
        let dead = &orders.dead_jobs[0];
        assert_eq!(dead.kind.as_str(), "notify.refresh");
        let reason = dead.last_error.as_deref().unwrap_or_default();
        assert!(!reason.is_empty(), "the reason shows");
        assert!(!reason.contains("carla@example.com"), "a subscriber's address is redacted: {reason}");

        // The marketing producer sees only marketing, without sales' rows.
        let mia = app.principal(&mia).await;
        let theirs = app.service.my_products(&mia, 0, 25).await.unwrap();
        let keys: Vec<&str> = theirs.products.iter().map(|p| p.product.key.as_str()).collect();
        assert_eq!(keys, ["marketing.campaign_stats"]);
        let stats = &theirs.products[0];
        assert!(stats.grants.is_empty() && stats.pending_requests.is_empty() && stats.dead_jobs.is_empty());
        assert_eq!(stats.last_refresh, None);

        // Reviewers and admins see every domain; consumers have no workspace.
        for token in [&app.reviewer, &app.admin] {
            let all = app.service.my_products(&app.principal(token).await, 0, 25).await.unwrap();
            assert_eq!((all.domains.clone(), all.total), (None, 2));
        }
        let carla = app.principal(&app.consumer).await;
        let e = app.service.my_products(&carla, 0, 25).await.unwrap_err();
        assert!(matches!(e, ServiceError::Forbidden(ref m) if m.contains("consumer")), "{e}");
        let e = app.service.my_proposals(&carla, &ProposalFilter { limit: 50, ..Default::default() }).await;
        assert!(matches!(e, Err(ServiceError::Forbidden(_))));

        // Paging: one product per page.
        let page = app.service.my_products(&app.principal(&app.reviewer).await, 1, 1).await.unwrap();
        assert_eq!((page.total, page.products.len()), (2, 1));
        assert_eq!(page.products[0].product.key, "sales.orders", "key order: marketing first");

        // My proposals: a producer's own domains only.
        let filter = ProposalFilter { limit: 50, ..Default::default() };
        let paul_sees = app.service.my_proposals(&paul, &filter).await.unwrap();
        assert!(!paul_sees.is_empty() && paul_sees.iter().all(|p| p.product_key == "sales.orders"));
        let mia_sees = app.service.my_proposals(&mia, &filter).await.unwrap();
        assert!(!mia_sees.is_empty() && mia_sees.iter().all(|p| p.product_key == "marketing.campaign_stats"));
    })
    .await;
}

#[tokio::test]
async fn a_breached_slo_shows_as_breached() {
    each_db(|app| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        // The monitor's state as it stores an open breach.
        let state = json!({"settled_through": "2026-11-20T06:00:00Z", "window_start": null, "credited": null,
                           "missed_through": "2026-11-20T06:00:00Z",
                           "breach": {"since": "2026-11-19T06:00:00Z", "missed_ticks": 2}});
        let mut sql = app.sql().await;
        sqlx::query(
            "INSERT INTO slo_state (product_key, spec_index, version, schedule, state, updated_at, next_deadline)
             VALUES ('sales.orders', 0, '1.0.0', 'x', $1, '2026-11-20T06:00:00.000000Z', '2026-11-21T06:00:00.000000Z')",
        )
        .bind(state.to_string())
        .execute(&mut sql)
        .await
        .unwrap();
        let paul = app.principal(&app.producer).await;
        let mine = app.service.my_products(&paul, 0, 25).await.unwrap();
        match mine.products[0].slo {
            SloHealth::Breached { since, missed_ticks } => {
                assert_eq!(since.to_rfc3339(), "2026-11-19T06:00:00+00:00");
                assert_eq!(missed_ticks, 2);
            }
            other => panic!("expected a breach, got {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn withdrawing_only_a_pending_proposal_of_ones_own_domain_once_and_audited() {
    each_db(|app| async move {
        let mia = marketing_producer(&app).await;
        app.publish(&steward_testkit::sales_orders()).await;
        let (s, p) = app.submit(&app.producer, &orders_at("1.1.0")).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let id = p["id"].as_i64().unwrap();

        // Not a reviewer, a consumer, nor a producer of another domain.
        let (s, e) = app.json("POST", &format!("/api/v1/proposals/{id}/withdraw"), &app.reviewer, json!({})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        assert!(e["message"].as_str().unwrap().contains("reviewers reject instead"), "{e}");
        let (s, _) = app.json("POST", &format!("/api/v1/proposals/{id}/withdraw"), &app.consumer, json!({})).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, e) = app.json("POST", &format!("/api/v1/proposals/{id}/withdraw"), &mia, json!({})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "another domain's proposal is not there for them: {e}");
        let (s, _) = app.json("POST", "/api/v1/proposals/9999/withdraw", &app.producer, json!({})).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert_eq!(app.service.proposal(id).await.unwrap().status, ProposalStatus::PendingReview);

        // The submitter withdraws, with a reason; no body at all works too (below).
        let (s, w) = app
            .json(
                "POST",
                &format!("/api/v1/proposals/{id}/withdraw"),
                &app.producer,
                json!({"comment": "wrong column"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{w}");
        assert_eq!(w["status"], "withdrawn");
        assert_eq!(w["decided_by"], "paul");
        assert_eq!(w["comment"], "wrong column");

        // A second withdrawal, and a decision after it, are conflicts.
        let (s, e) = app.json("POST", &format!("/api/v1/proposals/{id}/withdraw"), &app.producer, json!({})).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains("already withdrawn"), "{e}");
        let (s, _) = app.approve(&app.reviewer, id).await;
        assert_eq!(s, StatusCode::CONFLICT);

        // Audited once, naming who and why.
        let rita = app.principal(&app.reviewer).await;
        let filter = AuditFilter { action: Some("proposal.withdraw".into()), limit: 10, ..Default::default() };
        let events = app.service.audit_log(&rita, &filter).await.unwrap();
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!((events[0].actor.as_str(), events[0].target.as_str()), ("paul", &*format!("proposal:{id}")));
        assert_eq!(events[0].before.as_ref().unwrap()["status"], "pending_review");
        assert_eq!(events[0].after.as_ref().unwrap()["status"], "withdrawn");
        assert_eq!(events[0].after.as_ref().unwrap()["comment"], "wrong column");

        // The version is free again: a new proposal of 1.1.0 is accepted,
        // and another producer of the domain (not the submitter) may withdraw it.
        let (s, p) = app.submit(&app.producer, &orders_at("1.1.0")).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let again = p["id"].as_i64().unwrap();
        let root = app.principal(&app.admin).await;
        let sam = app.service.create_token(&root, "sam", None, Role::Producer, vec!["sales".into()]).await.unwrap();
        let sam = app.principal(&sam.token).await;
        let done = app.service.withdraw_proposal(&sam, again, None).await.unwrap();
        assert_eq!(
            (done.status, done.decided_by.as_deref(), done.comment),
            (ProposalStatus::Withdrawn, Some("sam"), None)
        );

        // Published and rejected proposals cannot be withdrawn.
        let filter = ProposalFilter { status: Some(ProposalStatus::Published), limit: 1, ..Default::default() };
        let published = app.service.proposals(&rita, &filter).await.unwrap()[0].id;
        let (s, e) =
            app.call("POST", &format!("/api/v1/proposals/{published}/withdraw"), Some(&app.producer), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains("it is published"), "{e}");
        let (_, p) = app.submit(&app.producer, &orders_at("1.2.0")).await;
        let rejected = p["id"].as_i64().unwrap();
        app.service.reject(&rita, rejected, "no").await.unwrap();
        let paul = app.principal(&app.producer).await;
        let e = app.service.withdraw_proposal(&paul, rejected, None).await.unwrap_err();
        assert!(matches!(e, ServiceError::Conflict(ref m) if m.contains("it is rejected")), "{e}");

        // Withdrawn proposals are listed under their status.
        let filter = ProposalFilter { status: Some(ProposalStatus::Withdrawn), limit: 50, ..Default::default() };
        let listed: Vec<i64> = app.service.my_proposals(&paul, &filter).await.unwrap().iter().map(|p| p.id).collect();
        assert_eq!(listed, [again, id]);
        let (s, list) = app.call("GET", "/api/v1/proposals?status=withdrawn", Some(&app.producer), None).await;
        assert_eq!((s, list.as_array().map(Vec::len)), (StatusCode::OK, Some(2)));
    })
    .await;
}
