//! The producer's path in a real headless Chromium: "My products" shows a
//! consumer's pending access request and a dead-lettered job of their
//! product; "My proposals" withdraws a pending proposal after a
//! confirmation. Served on 127.0.0.1:0 as `steward serve` mounts it.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the test
//! says so and skips, unless STEWARD_TEST_REQUIRE_SERVICES=1. Screenshots
//! (1280x900 of page) go to `$CARGO_TARGET_DIR/portal-screenshots/` (`my-products`,
//! `my-proposals`: the ones in docs/portal/).

mod common;

use axum::http::StatusCode;
use common::browser::{browser, chromium, screenshot_dir, shot, sign_in, start_driver, wait_text, wait_url};
use common::{Portal, contract};
use fantoccini::Locator;
use serde_json::json;
use steward_catalog::auth::Role;
use steward_catalog::service::proposals::ProposalStatus;

/// sales.orders published with carla's account granted and subscribed by
/// e-mail, dana's request pending, and one refresh whose e-mail
/// notification dead-letters (no SMTP). Returns dana's request id.
async fn seed(app: &Portal) -> i64 {
    app.publish(&steward_testkit::sales_orders()).await;
    let uri = "/api/v1/products/sales.orders/access-requests";
    let carla = json!({"account": "123456789012", "justification": "Revenue dashboards."});
    let (s, r) = app.api("POST", uri, &app.consumer, carla).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, g) =
        app.api("POST", &format!("/api/v1/access-requests/{}/approve", r["id"]), &app.reviewer, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    let sub = json!({"account": "123456789012", "channel": "email", "target": "carla@example.com"});
    let (s, b) = app.api("POST", "/api/v1/products/sales.orders/subscriptions", &app.consumer, sub).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let admin = std::fs::read_to_string(app.dir.path().join("admin.token")).unwrap();
    let root = app.principal(admin.trim()).await;
    let dana =
        app.service.create_token(&root, "dana", None, Role::Consumer, vec!["210987654321".into()]).await.unwrap().token;
    let why = json!({"account": "210987654321", "justification": "Weekly churn model for the retention team.",
                     "duration_days": 90});
    let (s, pending) = app.api("POST", uri, &dana, why).await;
    assert_eq!(s, StatusCode::CREATED, "{pending}");

    let refresh = json!({"table": "order_lines", "partition": {"dt": "2026-11-21"}, "idempotency_key": "run-1"});
    let (s, b) = app.api("POST", "/api/v1/products/sales.orders/refreshes", &app.producer, refresh).await;
    assert!(s.is_success(), "{b}");
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
async fn a_producer_sees_requests_and_dead_jobs_and_withdraws_a_proposal_in_chromium() {
    let Some((chromium, chromedriver)) = chromium() else { return };

    let app = Portal::start().await;
    let request = seed(&app).await;
    let proposal = app.submit(&contract("orders", "1.1.0", None)).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let driver = start_driver(&chromedriver).await;
    let c = browser(&driver, &chromium).await;

    // --- My products: the pending request, the consumer, the dead job.
    sign_in(&c, &base, &app.producer).await;
    c.goto(&format!("{base}/my/products")).await.unwrap();
    wait_text(&c, &format!("id=\"request-{request}\"")).await;
    let card = c.find(Locator::Css("article[id='product-sales.orders']")).await.unwrap();
    let row = card.find(Locator::Css(&format!("#request-{request}"))).await.unwrap().text().await.unwrap();
    assert!(row.contains("210987654321") && row.contains("dana") && row.contains("90 days"), "{row}");
    assert!(row.contains("Weekly churn model"), "{row}");
    let grants = card.find(Locator::Css("table.grants")).await.unwrap().text().await.unwrap();
    assert!(grants.contains("123456789012"), "{grants}");
    let dead = card.find(Locator::Css("table.dead")).await.unwrap().text().await.unwrap();
    assert!(dead.contains("notify.refresh") && dead.contains("no SMTP server is configured"), "{dead}");
    let refresh = card.find(Locator::Css("dd.refresh")).await.unwrap().text().await.unwrap();
    assert!(refresh.ends_with("UTC"), "the last refresh: {refresh}");
    // The docs' screenshots are 1280x900 of page (the window's frame takes the rest).
    c.set_window_size(1280, 1043).await.unwrap();
    shot(&c, "my-products").await;

    // --- My proposals: Withdraw asks first, then withdraws and names it.
    c.goto(&format!("{base}/my/proposals")).await.unwrap();
    wait_text(&c, &format!("id=\"proposal-{proposal}\"")).await;
    let row = c.find(Locator::Css(&format!("#proposal-{proposal}"))).await.unwrap();
    let confirm = row.find(Locator::Css(&format!("#withdraw-{proposal}"))).await.unwrap();
    assert!(!confirm.is_displayed().await.unwrap(), "the confirm button is hidden until asked for");
    row.find(Locator::Css("details.withdraw summary")).await.unwrap().click().await.unwrap();
    assert!(confirm.is_displayed().await.unwrap());
    let question = row.find(Locator::Css("details.withdraw p")).await.unwrap().text().await.unwrap();
    assert!(question.contains(&format!("Withdraw proposal #{proposal} (sales.orders v1.1.0)?")), "{question}");
    row.find(Locator::Css(&format!("#withdraw-comment-{proposal}")))
        .await
        .unwrap()
        .send_keys("Wrong partition key; resubmitting.")
        .await
        .unwrap();
    shot(&c, "my-proposals").await;
    confirm.click().await.unwrap();
    wait_url(&c, &format!("withdrawn={proposal}")).await;
    wait_text(&c, &format!("Withdrew proposal #{proposal}: sales.orders v1.1.0.")).await;
    let p = app.service.proposal(proposal).await.unwrap();
    assert_eq!(p.status, ProposalStatus::Withdrawn);
    assert_eq!(
        (p.decided_by.as_deref(), p.comment.as_deref()),
        (Some("paul"), Some("Wrong partition key; resubmitting."))
    );
    shot(&c, "my-proposals-withdrawn").await;

    c.close().await.unwrap();
    server.abort();
    eprintln!("screenshots in {}", screenshot_dir().display());
}
