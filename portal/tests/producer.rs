//! The producer's workspace through the portal router: "My products" (SLO,
//! last refresh, consumers, pending requests, dead-lettered jobs, escaped),
//! "My proposals" and its Withdraw form (CSRF, the service's refusals with
//! their status, a success message naming the proposal), and the 403 page
//! consumers get.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Portal, contract};
use serde_json::{Value, json};
use steward_catalog::auth::Role;
use steward_catalog::service::proposals::ProposalStatus;

/// A JSON call to the API mounted beside the portal.
async fn api(app: &Portal, method: &str, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let page = app.send(req).await;
    (page.status, serde_json::from_str(&page.body).unwrap_or(Value::String(page.body)))
}

/// sales.orders published; carla's account granted and subscribed by
/// e-mail; a second consumer's request pending (with markup in its
/// justification); one refresh, whose e-mail notification dead-letters (the
/// server has no SMTP). Returns the pending request's id.
pub async fn seed_workspace(app: &Portal, justification: &str) -> i64 {
    app.publish(&steward_testkit::sales_orders()).await;
    let request = |account: &str, why: &str| json!({"account": account, "justification": why});
    let uri = "/api/v1/products/sales.orders/access-requests";
    let (s, r) = api(app, "POST", uri, &app.consumer, request("123456789012", "dashboards")).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, g) =
        api(app, "POST", &format!("/api/v1/access-requests/{}/approve", r["id"]), &app.reviewer, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    let sub = json!({"account": "123456789012", "channel": "email", "target": "carla@example.com"});
    let (s, b) = api(app, "POST", "/api/v1/products/sales.orders/subscriptions", &app.consumer, sub).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let admin = std::fs::read_to_string(app.dir.path().join("admin.token")).unwrap();
    let root = app.principal(admin.trim()).await;
    let dana =
        app.service.create_token(&root, "dana", None, Role::Consumer, vec!["210987654321".into()]).await.unwrap().token;
    let (s, pending) = api(app, "POST", uri, &dana, request("210987654321", justification)).await;
    assert_eq!(s, StatusCode::CREATED, "{pending}");

    let refresh = json!({"table": "order_lines", "partition": {"dt": "2026-11-21"}, "idempotency_key": "run-1"});
    let (s, b) = api(app, "POST", "/api/v1/products/sales.orders/refreshes", &app.producer, refresh).await;
    assert!(s.is_success(), "{b}");
    // The server's own worker, as `steward serve` builds it (no SMTP).
    let mut config = steward_catalog::config::Config::load(None).unwrap();
    config.data_dir = app.dir.path().to_owned();
    let backends = steward_catalog::server::effect_backends(&config).await.unwrap();
    let worker =
        steward_catalog::server::OutboxWorker::new(&app.service, backends, config.outbox.clone(), Default::default());
    let round = worker.drain().await.unwrap();
    assert!(round.dead >= 1, "the e-mail notification dead-letters: {round:?}");
    pending["id"].as_i64().unwrap()
}

#[tokio::test]
async fn my_products_shows_slo_refresh_consumers_requests_and_dead_jobs() {
    let app = Portal::start().await;
    let evil = "<script>alert(1)</script> churn model";
    let pending = seed_workspace(&app, evil).await;
    let paul = app.sign_in(&app.producer).await;

    let page = app.get("/my/products", Some(&paul)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let b = &page.body;
    assert!(b.contains("Domain: sales"), "the scope is named");
    assert!(b.contains("id=\"product-sales.orders\""));
    assert!(b.contains("SLO pending"), "an SLO, nothing judged yet");
    assert!(!b.contains("none reported"), "the refresh is shown");
    // The consumer with a grant, and the pending request of the other one.
    assert!(b.contains("<code>123456789012</code>"));
    assert!(b.contains(&format!("id=\"request-{pending}\"")));
    assert!(b.contains("210987654321") && b.contains("dana"));
    assert!(b.contains("&lt;script&gt;alert(1)&lt;/script&gt; churn model"), "escaped");
    assert!(!b.contains("<script>alert(1)"));
    // The dead notification, with its reason and no subscriber address.
    assert!(b.contains("notify.refresh"));
    assert!(b.contains("no SMTP server is configured"), "the reason is shown");
    assert!(!b.contains("carla@example.com"), "a subscriber's address is not shown to the producer");

    // Another domain's producer sees none of it.
    let admin = std::fs::read_to_string(app.dir.path().join("admin.token")).unwrap();
    let root = app.principal(admin.trim()).await;
    let mia = app.service.create_token(&root, "mia", None, Role::Producer, vec!["marketing".into()]).await.unwrap();
    let mia = app.sign_in(&mia.token).await;
    let page = app.get("/my/products", Some(&mia)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Domain: marketing") && page.body.contains("No published products here yet"));
    assert!(!page.body.contains("sales.orders") && !page.body.contains("210987654321"));

    // A reviewer sees every domain; a consumer gets a 403 page that says why.
    let rita = app.sign_in(&app.reviewer).await;
    let page = app.get("/my/products", Some(&rita)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Every domain") && page.body.contains("id=\"product-sales.orders\""));
    let carla = app.sign_in(&app.consumer).await;
    for uri in ["/my/products", "/my/proposals"] {
        let page = app.get(uri, Some(&carla)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{uri}");
        assert!(page.body.contains("the producer workspace is for producers"), "{uri}: {}", page.body);
        assert!(page.body.contains("Sign out"), "shown in the signed-in shell");
    }
    // Not signed in: to the sign-in page and back.
    let page = app.get("/my/products", None).await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/signin?next=%2Fmy%2Fproducts"));
}

#[tokio::test]
async fn withdraw_from_my_proposals_is_confirmed_csrf_checked_and_named() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let id = app.submit(&contract("orders", "1.1.0", None)).await;
    let paul = app.sign_in(&app.producer).await;

    let page = app.get("/my/proposals", Some(&paul)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("id=\"proposal-{id}\"")));
    assert!(page.body.contains(&format!("href=\"/proposals/{id}\"")), "links to the proposal");
    assert!(page.body.contains("<details class=\"withdraw\">"), "behind a confirmation");
    assert!(page.body.contains(&format!("action=\"/my/proposals/{id}/withdraw\"")));
    // The published one is listed under its tab, with its findings.
    let all = app.get("/my/proposals?status=all", Some(&paul)).await;
    assert!(all.body.contains("s-published") && all.body.contains("s-pending_review"));

    // Without the CSRF token: refused, nothing changes.
    let refused = app.post(&format!("/my/proposals/{id}/withdraw"), Some(&paul), "comment=x").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.service.proposal(id).await.unwrap().status, ProposalStatus::PendingReview);

    // A reviewer sees no button, and the service refuses the form anyway.
    let rita = app.sign_in(&app.reviewer).await;
    let page = app.get("/my/proposals", Some(&rita)).await;
    assert!(page.body.contains(&format!("id=\"proposal-{id}\"")) && !page.body.contains("details class=\"withdraw\""));
    let form = format!("csrf={}&comment=no", page.csrf());
    let refused = app.post(&format!("/my/proposals/{id}/withdraw"), Some(&rita), &form).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("reviewers reject instead"));

    let csrf = app.get("/my/proposals", Some(&paul)).await.csrf();
    let done = app
        .post(&format!("/my/proposals/{id}/withdraw"), Some(&paul), &format!("csrf={csrf}&comment=wrong+column"))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), format!("/my/proposals?status=withdrawn&withdrawn={id}"));
    let p = app.service.proposal(id).await.unwrap();
    assert_eq!((p.status, p.comment.as_deref()), (ProposalStatus::Withdrawn, Some("wrong column")));
    let page = app.get(done.location(), Some(&paul)).await;
    assert!(page.body.contains(&format!("Withdrew proposal #{id}: sales.orders v1.1.0.")), "{}", page.body);
    assert!(page.body.contains("s-withdrawn"));

    // Twice: the service's 409, shown on the page.
    let again = app.post(&format!("/my/proposals/{id}/withdraw"), Some(&paul), &format!("csrf={csrf}")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("already withdrawn"), "{}", again.body);

    // A bad tab is a 400 page, not a silent default.
    let bad = app.get("/my/proposals?status=pending", Some(&paul)).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}
