//! A reviewer's path in a real headless Chromium: paging to the oldest of
//! 250 pending access requests, the type-narrowing finding marked in the
//! diff, a published proposal still showing its original diff after a later
//! version is published, and a revocation that asks for a reason.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the test
//! says so and skips, unless STEWARD_TEST_REQUIRE_SERVICES=1. Screenshots go
//! to `$CARGO_TARGET_DIR/portal-screenshots/`; with
//! STEWARD_UPDATE_SCREENSHOTS=1 the documented ones (1280x900) also go to
//! `docs/portal/`.

mod common;

use std::time::{Duration, Instant};

use common::Portal;
use common::browser::{browser, chromium, doc_shot, screenshot_dir, shot, sign_in, start_driver, wait_text, wait_url};
use fantoccini::{Client, Locator};
use steward_catalog::service::access::{AccessRequestInput, GrantStatus};
use steward_catalog::service::proposals::ProposalStatus;

/// sales.orders at `version` with `quantity` narrowed from `int` to `smallint`.
fn narrowed(version: &str) -> String {
    let yaml = steward_testkit::sales_orders();
    let from = "      - name: quantity\n        logicalType: integer\n        physicalType: int\n";
    assert!(yaml.contains(from), "example changed; update the fixture");
    yaml.replacen("version: 1.0.0", &format!("version: {version}"), 1).replacen(
        from,
        &from.replace("physicalType: int", "physicalType: smallint"),
        1,
    )
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
}

/// Text of the first element matching `css`, once there is one.
async fn text_of(c: &Client, css: &str) -> String {
    let started = Instant::now();
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            return e.text().await.unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(15), "no {css}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_reviewer_sees_the_truth_in_chromium() {
    let Some((chromium, chromedriver)) = chromium() else { return };

    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    // 250 pending requests from distinct accounts, made by the admin (who
    // holds every account) through the service: oldest is "request 0".
    let token = std::fs::read_to_string(app.dir.path().join("admin.token")).unwrap();
    let root = app.principal(token.trim()).await;
    let mut requests = Vec::new();
    for i in 0..250u64 {
        let input = AccessRequestInput {
            account: format!("{:012}", 100_000_000_000u64 + i),
            justification: format!("Dashboards, request {i}"),
            duration_days: Some(90),
        };
        requests.push(app.service.request_access(&root, "sales.orders", &input).await.unwrap().id);
    }
    let narrowing = app.submit(&narrowed("2.0.0")).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.router.clone();
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let driver = start_driver(&chromedriver).await;
    let c = browser(&driver, &chromium).await;
    c.set_window_size(1280, 900).await.unwrap();
    sign_in(&c, &base, &app.reviewer).await;

    // --- The access queue: 250 pending, counted; oldest first; every page reachable.
    c.find(Locator::LinkText("Access")).await.unwrap().click().await.unwrap();
    wait_url(&c, "/access").await;
    let summary = text_of(&c, ".queue-summary").await;
    assert!(summary.contains("Showing 1–50 of 250 requests, oldest first"), "{summary}");
    let first = text_of(&c, "article.request").await;
    assert!(first.contains("Dashboards, request 0"), "the oldest comes first: {first}");
    assert!(text_of(&c, "nav.tabs").await.contains("Pending (250)"));
    doc_shot(&c, "access-queue").await;
    // Newest first, then page to the end: the oldest is the very last.
    c.find(Locator::Css("#f-order")).await.unwrap().select_by_value("newest").await.unwrap();
    click(&c, "form.queue-filter button[type=submit]").await;
    wait_url(&c, "order=newest").await;
    assert!(text_of(&c, "article.request").await.contains("request 249"));
    for page in 2..=5 {
        click(&c, "nav.pager a[rel=next]").await;
        wait_url(&c, &format!("page={page}")).await;
    }
    wait_text(&c, "Page 5 of 5").await;
    let articles = c.find_all(Locator::Css("article.request")).await.unwrap();
    assert_eq!(articles.len(), 50);
    let last = articles.last().unwrap().text().await.unwrap();
    assert!(last.contains("Dashboards, request 0") && last.contains(&format!("#{}", requests[0])), "{last}");
    assert!(c.find_all(Locator::Css("nav.pager a[rel=next]")).await.unwrap().is_empty(), "no page after the last");
    shot(&c, "access-queue-last").await;

    // Approve the oldest from the last page: the message names it.
    let approve = format!("#request-{} form[action$='/approve'] button", requests[0]);
    click(&c, &approve).await;
    let done = format!("Approved access request {} (sales.orders for account 100000000000)", requests[0]);
    wait_text(&c, &done).await;
    assert!(text_of(&c, "nav.tabs").await.contains("Pending (249)"));

    // --- The type-narrowing proposal: the changed line is marked, with its finding.
    c.goto(&format!("{base}/proposals")).await.unwrap();
    click(&c, &format!("table.queue a[href='/proposals/{narrowing}']")).await;
    wait_url(&c, &format!("/proposals/{narrowing}")).await;
    wait_text(&c, "Schema diff against the published version").await;
    let marked = c.find_all(Locator::Css(".diff .brk")).await.unwrap();
    let mut texts = Vec::new();
    for m in &marked {
        texts.push(m.text().await.unwrap());
    }
    assert!(texts.iter().any(|t| t.contains("physicalType: smallint")), "{texts:?}");
    let note = text_of(&c, ".diff .brk-note").await;
    assert!(note.contains("STW102") && note.contains("smallint"), "{note}");
    assert!(text_of(&c, "#affected").await.contains("100000000000"), "who it affects");
    c.execute("document.querySelector('.diff .brk-note').scrollIntoView({block: 'center'})", vec![]).await.unwrap();
    doc_shot(&c, "review-diff").await;
    let original: Vec<String> = texts;

    c.find(Locator::Css("#approve-comment")).await.unwrap().send_keys("Consumers were told.").await.unwrap();
    click(&c, "#approve").await;
    wait_text(&c, &format!("Approved proposal {narrowing} (sales.orders 2.0.0)")).await;
    assert_eq!(app.service.proposal(narrowing).await.unwrap().status, ProposalStatus::Published);

    // --- A later version is published; the decided proposal keeps its diff against 1.0.0.
    app.publish(&steward_testkit::sales_orders_without_quantity("3.0.0")).await;
    c.goto(&format!("{base}/proposals/{narrowing}")).await.unwrap();
    wait_text(&c, "as judged").await;
    let heading = text_of(&c, "#diff h2").await;
    assert!(heading.contains("version 1.0.0"), "{heading}");
    let marked = c.find_all(Locator::Css(".diff .brk")).await.unwrap();
    let mut again = Vec::new();
    for m in &marked {
        again.push(m.text().await.unwrap());
    }
    assert_eq!(again, original, "the same marked lines as when it was judged");
    let diff = text_of(&c, ".diff").await;
    assert!(!diff.contains("3.0.0"), "never a diff against today's version: {diff}");
    shot(&c, "review-diff-judged").await;

    // --- Revoke asks for confirmation and a reason.
    c.goto(&format!("{base}/grants")).await.unwrap();
    wait_text(&c, "Revoke…").await;
    click(&c, "table.grants form[method=get] button").await;
    wait_url(&c, "/revoke").await;
    let reason = c.find(Locator::Css("#revoke-reason")).await.unwrap();
    assert_eq!(reason.attr("required").await.unwrap().as_deref(), Some("true"));
    // Submitting without a reason: the browser keeps the form (required);
    // a request that skips that gets the page back (422), tested in review.rs.
    click(&c, "#revoke").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(c.current_url().await.unwrap().path().ends_with("/revoke"), "the form stays");
    shot(&c, "revoke-confirm").await;
    reason.send_keys("Contract ended").await.unwrap();
    click(&c, "#revoke").await;
    wait_text(&c, "Revoked grant").await;
    let flash = text_of(&c, ".flash.ok").await;
    assert!(flash.contains("sales.orders for account 100000000000"), "{flash}");
    let rita = app.principal(&app.reviewer).await;
    let grants = app.service.grant_queue(&rita, &Default::default()).await.unwrap();
    assert_eq!(grants.count(GrantStatus::Revoked.as_str()), 1);

    c.close().await.unwrap();
    server.abort();
    eprintln!("screenshots in {}", screenshot_dir().display());
}
