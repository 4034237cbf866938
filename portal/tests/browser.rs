//! The portal in a real headless Chromium, driven over WebDriver
//! (chromedriver + fantoccini) against the portal and API served on
//! 127.0.0.1:0, as `steward serve` mounts them.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the test
//! says so and skips, unless STEWARD_TEST_REQUIRE_SERVICES=1.
//! Screenshots of each page go to `$CARGO_TARGET_DIR/portal-screenshots/`.

mod common;

use common::browser::{
    browser, chromium, fetch_post, screenshot_dir, shot, sign_in, sign_out, start_driver, wait_text, wait_url,
};
use common::{Portal, contract};
use fantoccini::Locator;
use serde_json::json;
use steward_catalog::service::proposals::ProposalStatus;

#[tokio::test]
async fn review_flow_authorization_csrf_and_escaping_in_chromium() {
    let Some((chromium, chromedriver)) = chromium() else { return };

    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let evil = "<script>window.__pwned = 1; document.title = 'pwned'</script> Returned order lines.";
    app.publish(&contract("returns", "1.0.0", Some(evil))).await;
    let breaking = app.submit(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;
    let carla = app.principal(&app.consumer).await;
    let input = steward_catalog::service::access::AccessRequestInput {
        account: "123456789012".into(),
        justification: "Weekly churn model for the retention team.".into(),
        duration_days: Some(90),
    };
    app.service.request_access(&carla, "sales.orders", &input).await.unwrap();
    let fresh = app.submit(&contract("refunds", "1.0.0", Some("Refunds paid per order line."))).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let driver = start_driver(&chromedriver).await;
    let c = browser(&driver, &chromium).await;

    // --- A reviewer finds the pending proposal, sees the breaking change, approves it.
    c.goto(&format!("{base}/")).await.unwrap();
    wait_text(&c, "id=\"token\"").await;
    shot(&c, "signin").await;
    sign_in(&c, &base, &app.reviewer).await;
    shot(&c, "discover").await;

    c.find(Locator::LinkText("Reviews")).await.unwrap().click().await.unwrap();
    wait_text(&c, &format!("href=\"/proposals/{breaking}\"")).await;
    shot(&c, "reviews").await;
    c.find(Locator::Css(&format!("table.queue a[href='/proposals/{breaking}']"))).await.unwrap().click().await.unwrap();
    wait_text(&c, "Schema diff against the published version").await;
    let marked = c.find_all(Locator::Css(".diff .brk")).await.unwrap();
    assert!(!marked.is_empty(), "the breaking change is highlighted");
    assert!(marked[0].text().await.unwrap().contains("name: quantity"));
    let note = c.find(Locator::Css(".diff .brk-note")).await.unwrap().text().await.unwrap();
    assert!(note.contains("STW101") && note.contains("order_lines.quantity"), "{note}");
    shot(&c, "proposal").await;
    c.execute("document.querySelector('.diff .brk-note').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
    shot(&c, "proposal-breaking").await;

    c.find(Locator::Css("#approve-comment")).await.unwrap().send_keys("Consumers were told in advance.").await.unwrap();
    c.find(Locator::Css("#approve")).await.unwrap().click().await.unwrap();
    wait_text(&c, "Approved proposal").await;
    assert_eq!(app.service.proposal(breaking).await.unwrap().status, ProposalStatus::Published);

    // It is in search, at the new version.
    c.find(Locator::Css("a.brand")).await.unwrap().click().await.unwrap();
    wait_text(&c, "role=\"search\"").await; // the discovery page's form
    c.find(Locator::Css("input[name=q]")).await.unwrap().send_keys("orders").await.unwrap();
    c.find(Locator::Css("form.search button[type=submit]")).await.unwrap().click().await.unwrap();
    wait_url(&c, "q=orders").await;
    wait_text(&c, "href=\"/products/sales.orders\"").await;
    let hit = c.find(Locator::Css("li.result")).await.unwrap().text().await.unwrap();
    assert!(hit.contains("sales.orders") && hit.contains("v2.0.0"), "{hit}");
    c.find(Locator::Css("a[href='/products/sales.orders']")).await.unwrap().click().await.unwrap();
    wait_url(&c, "/products/sales.orders").await;
    wait_text(&c, "order_lines").await;
    shot(&c, "product").await;
    c.find(Locator::Css("form.versions button")).await.unwrap().click().await.unwrap();
    wait_text(&c, "Changes from 1.0.0 to 2.0.0").await;
    shot(&c, "product-diff").await;

    c.goto(&format!("{base}/audit?actor=rita")).await.unwrap();
    wait_text(&c, "proposal.approve").await;
    shot(&c, "audit").await;

    // --- The access queue: approve, and the grant shows on the product page.
    c.find(Locator::LinkText("Access")).await.unwrap().click().await.unwrap();
    wait_text(&c, "Weekly churn model").await;
    shot(&c, "access").await;
    c.find(Locator::Css("form[action$='/approve'] button")).await.unwrap().click().await.unwrap();
    wait_text(&c, "Approved access request").await;
    c.goto(&format!("{base}/products/sales.orders#access")).await.unwrap();
    let access = c.find(Locator::Css("#access")).await.unwrap().text().await.unwrap();
    assert!(access.contains("123456789012") && access.contains("active"), "{access}");
    c.execute("document.querySelector('#slo').scrollIntoView()", vec![]).await.unwrap();
    shot(&c, "product-delivery").await;

    // --- A script in a description is text, and does not run.
    c.goto(&format!("{base}/products/sales.returns")).await.unwrap();
    wait_text(&c, "Returned order lines.").await;
    let purpose = c.find(Locator::Css("p.purpose")).await.unwrap().text().await.unwrap();
    assert!(purpose.starts_with("<script>window.__pwned"), "shown as text: {purpose}");
    assert_ne!(c.title().await.unwrap(), "pwned");
    assert_eq!(c.execute("return typeof window.__pwned", vec![]).await.unwrap(), json!("undefined"));

    // --- A POST without the CSRF token is refused, from a form or from script.
    c.goto(&format!("{base}/proposals/{fresh}")).await.unwrap();
    wait_text(&c, "id=\"reject\"").await;
    assert_eq!(fetch_post(&c, &format!("/proposals/{fresh}/reject"), "comment=no").await, 403);
    c.execute("document.querySelector('form.reject input[name=csrf]').remove()", vec![]).await.unwrap();
    c.find(Locator::Css("#reject-comment")).await.unwrap().send_keys("not like this").await.unwrap();
    c.find(Locator::Css("#reject")).await.unwrap().click().await.unwrap();
    wait_text(&c, "CSRF token is missing or does not match").await;
    assert_eq!(app.service.proposal(fresh).await.unwrap().status, ProposalStatus::PendingReview);

    // --- A producer sees the proposal without an approve button; a forged POST is refused.
    c.goto(&format!("{base}/")).await.unwrap();
    sign_out(&c).await;
    sign_in(&c, &base, &app.producer).await;
    c.goto(&format!("{base}/proposals/{fresh}")).await.unwrap();
    wait_text(&c, "Only reviewers and admins decide proposals").await;
    assert!(c.find_all(Locator::Css("#approve")).await.unwrap().is_empty(), "no approve button for a producer");
    assert!(c.find_all(Locator::Css("form[action$='/approve']")).await.unwrap().is_empty());
    shot(&c, "proposal-producer").await;
    let csrf =
        c.find(Locator::Css("form[action='/signout'] input[name=csrf]")).await.unwrap().attr("value").await.unwrap();
    let csrf = csrf.expect("the page carries the session's CSRF token");
    assert_eq!(fetch_post(&c, &format!("/proposals/{fresh}/approve"), &format!("csrf={csrf}")).await, 403);
    // The same forged form, submitted as a page: the service's refusal is shown.
    let forge = "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];
                 const i = document.createElement('input'); i.type = 'hidden'; i.name = 'csrf'; i.value = arguments[1];
                 f.appendChild(i); document.body.appendChild(f); f.submit();";
    c.execute(forge, vec![json!(format!("/proposals/{fresh}/approve")), json!(csrf)]).await.unwrap();
    wait_text(&c, "only reviewers and admins may approve proposals").await;
    assert_eq!(app.service.proposal(fresh).await.unwrap().status, ProposalStatus::PendingReview);

    // The audit log is not for producers.
    assert!(c.find_all(Locator::LinkText("Audit")).await.unwrap().is_empty());

    // A phone-sized discovery page.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/?q=orders")).await.unwrap();
    wait_text(&c, "li class=\"result\"").await;
    shot(&c, "discover-phone").await;

    c.close().await.unwrap();
    server.abort();
    eprintln!("screenshots in {}", screenshot_dir().display());
}
