//! The consumer's path in a real headless Chromium: request access and
//! subscribe from the product page, see the pending request, have a
//! reviewer approve it, see the grant with its end date on the product page
//! and on My access, and cancel a pending request.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the test
//! says so and skips, unless STEWARD_TEST_REQUIRE_SERVICES=1. Screenshots go
//! to `$CARGO_TARGET_DIR/portal-screenshots/`, and with
//! STEWARD_UPDATE_SCREENSHOTS=1 also to `docs/portal/`
//! (`consumer-product.png`, `my-access.png`).

mod common;

use common::browser::{browser, chromium, doc_shot, screenshot_dir, sign_in, start_driver, wait_text, wait_url};
use common::{Portal, contract};
use fantoccini::{Client, Locator};
use steward_catalog::service::access::{AccessFilter, RequestStatus};

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

async fn fill(c: &Client, css: &str, value: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

#[tokio::test]
async fn a_consumer_requests_subscribes_and_sees_the_grant_in_chromium() {
    let Some((chromium, chromedriver)) = chromium() else { return };
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    app.publish(&contract("returns", "1.0.0", Some("Returned order lines, one row per returned line."))).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let driver = start_driver(&chromedriver).await;
    let c = browser(&driver, &chromium).await;

    // --- Request access from the product page.
    sign_in(&c, &base, &app.consumer).await;
    c.goto(&format!("{base}/products/sales.orders")).await.unwrap();
    wait_text(&c, "id=\"mine\"").await;
    assert!(text(&c, "#mine").await.contains("no access"));
    let how = text(&c, "#use").await;
    assert!(how.contains("sales_orders.order_lines"), "{how}");
    fill(&c, "#req-justification", "Weekly churn model for the retention team.").await;
    fill(&c, "#req-duration", "30").await;
    click(&c, "form.request-access button[type=submit]").await;
    wait_text(&c, "Sent access request #").await;
    let mine = text(&c, "#mine").await;
    assert!(mine.contains("pending") && mine.contains("for 30 days"), "{mine}");
    assert!(mine.contains("Cancel request #"), "the requester may cancel: {mine}");

    // --- Cancel works: a request on another product, withdrawn.
    c.goto(&format!("{base}/products/sales.returns")).await.unwrap();
    wait_text(&c, "id=\"mine\"").await;
    fill(&c, "#req-justification", "Returns for the same model.").await;
    click(&c, "form.request-access button[type=submit]").await;
    wait_text(&c, "Sent access request #").await;
    click(&c, "form.cancel button[type=submit]").await;
    wait_text(&c, "Cancelled access request #").await;
    assert!(text(&c, "#mine").await.contains("no access"));
    let carla = app.principal(&app.consumer).await;
    let all = AccessFilter { limit: 10, ..Default::default() };
    let listed = app.service.access_requests(&carla, &all).await.unwrap();
    let returns = listed.iter().find(|r| r.product_key == "sales.returns").unwrap();
    assert_eq!(returns.status, RequestStatus::Cancelled);

    // --- A reviewer approves (through the service, as the queue does).
    let orders = listed.iter().find(|r| r.product_key == "sales.orders").unwrap();
    let rita = app.principal(&app.reviewer).await;
    let grant = app.service.approve_access(&rita, orders.id, Some("ok")).await.unwrap();
    let ends = steward_portal::page::when(&grant.expires_at.expect("a 30-day grant ends"));

    // --- The grant with its end date; subscribe by webhook (secret shown once).
    c.goto(&format!("{base}/products/sales.orders#mine")).await.unwrap();
    wait_text(&c, "action=\"/products/sales.orders/subscribe\"").await;
    let mine = text(&c, "#mine").await;
    assert!(
        mine.contains("active") && mine.contains(&format!("grant #{}", grant.id)) && mine.contains(&ends),
        "{mine}"
    );
    click(&c, "#sub-channel option[value=webhook]").await;
    fill(&c, "#sub-target", "https://93.184.215.14/steward").await;
    click(&c, "form.subscribe button[type=submit]").await;
    wait_text(&c, "shown only now").await;
    let secret = text(&c, "code.secret").await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(text(&c, "#mine").await.contains("https://93.184.215.14/steward"));
    c.execute("document.querySelector('#mine').scrollIntoView()", vec![]).await.unwrap();
    doc_shot(&c, "consumer-product").await;
    c.refresh().await.unwrap();
    wait_text(&c, "id=\"mine\"").await;
    assert!(!c.source().await.unwrap().contains(&secret), "the secret is shown once");

    // --- My access: the request, the grant with its end date, the subscription.
    click(&c, "#mine a[href='/my/access']").await;
    wait_url(&c, "/my/access").await;
    wait_text(&c, "<h1>My access</h1>").await;
    let grants = text(&c, "#my-grants").await;
    assert!(grants.contains("sales.orders") && grants.contains(&ends), "{grants}");
    let requests = text(&c, "#my-requests").await;
    assert!(requests.contains("approved") && requests.contains("cancelled"), "{requests}");
    assert!(text(&c, "#my-subscriptions").await.contains("webhook"));
    doc_shot(&c, "my-access").await;

    c.close().await.unwrap();
    server.abort();
    eprintln!("screenshots in {}", screenshot_dir().display());
}
