//! Layout that holds, in a real headless Chromium: a 300-column table starts
//! collapsed and its column filter keeps only the matching rows; at phone
//! width (390x844) no page scrolls sideways, even with a 500-character
//! unbroken word, and the breaking badge, the revoke button and the findings
//! are shown inside the viewport; a description keeps its line breaks on the
//! product page and is shortened in search results; right-to-left text is
//! isolated. Dark mode's pills are checked by `browser_a11y`.
//!
//! It also takes the docs' screenshots that no other test takes
//! (`search.png`, `product-phone.png`, `product-columns.png`,
//! `proposal-new.png`, `revoke-confirm.png`): into
//! `$CARGO_TARGET_DIR/portal-screenshots/`, and with
//! STEWARD_UPDATE_SCREENSHOTS=1 into `docs/portal/`.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them the test
//! says so and skips, unless STEWARD_TEST_REQUIRE_SERVICES=1.

mod common;

use common::Portal;
use common::browser::{browser, chromium, doc_shot, set_viewport, sign_in, start_driver, wait_text};
use common::seed::{self, NOTES_PURPOSE, RTL_PURPOSE, WIDE_COLUMNS};
use fantoccini::{Client, Locator};
use serde_json::{Value, json};

/// `[scrollWidth, innerWidth]` of the document.
async fn widths(c: &Client) -> (u64, u64) {
    let v = c.execute("return [document.documentElement.scrollWidth, window.innerWidth]", vec![]).await.unwrap();
    (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
}

/// Is the first element matching `css` displayed and inside the viewport's width?
/// Returns a description of where it is when not.
async fn on_screen(c: &Client, css: &str) -> Result<(), String> {
    let js = "const e = document.querySelector(arguments[0]);
              if (!e) return 'missing';
              e.scrollIntoView({block: 'center'});
              const r = e.getBoundingClientRect(), s = getComputedStyle(e);
              const shown = r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
              return shown && r.left >= 0 && r.right <= window.innerWidth ? 'ok'
                : `left ${r.left} right ${r.right} width ${r.width} of ${window.innerWidth}, ${s.display}`;";
    match c.execute(js, vec![json!(css)]).await.unwrap() {
        Value::String(s) if s == "ok" => Ok(()),
        other => Err(format!("{css}: {other}")),
    }
}

/// `Some(why)` when page `path` (showing `expect`) is wider than the viewport.
async fn too_wide(c: &Client, base: &str, path: &str, expect: &str) -> Option<String> {
    c.goto(&format!("{base}{path}")).await.unwrap();
    wait_text(c, expect).await;
    let (sw, iw) = widths(c).await;
    if sw <= iw {
        return None;
    }
    // The elements that stick out (outside any region that scrolls itself).
    let culprits = c
        .execute(
            "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1
               && !e.closest('.scroll, .diff, pre')).slice(0, 8)
               .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right))",
            vec![],
        )
        .await
        .unwrap();
    Some(format!("{path}: scrollWidth {sw} > innerWidth {iw}: {culprits}"))
}

async fn js(c: &Client, code: &str) -> Value {
    c.execute(code, vec![]).await.unwrap()
}

#[tokio::test]
async fn layouts_hold_on_desktop_and_phone_in_chromium() {
    let Some((chromium, chromedriver)) = chromium() else { return };
    let app = Portal::start().await;
    let s = seed::rich(&app).await;
    let (base, server) = app.serve().await;
    let driver = start_driver(&chromedriver).await;
    let c = browser(&driver, &chromium).await;
    set_viewport(&c, 1280, 900).await;
    sign_in(&c, &base, &app.consumer).await;

    // --- Search: the new ranking, facets with counts, badges (the docs' search.png).
    c.goto(&format!("{base}/?q=orders")).await.unwrap();
    wait_text(&c, "Breaking change pending").await;
    let first = c.find(Locator::Css("li.result .title a")).await.unwrap().text().await.unwrap();
    assert_eq!(first, "Sales orders", "the product named by the words comes first");
    doc_shot(&c, "search").await;

    // --- 300 columns: collapsed, and the filter keeps only matching rows.
    c.goto(&format!("{base}/products/sales.wide")).await.unwrap();
    wait_text(&c, "wide_events").await;
    let details = c.find(Locator::Css("#table-wide_events details.columns")).await.unwrap();
    assert_eq!(details.attr("open").await.unwrap(), None, "300 columns start collapsed");
    let summary = details.find(Locator::Css("summary")).await.unwrap();
    assert_eq!(summary.text().await.unwrap(), format!("{WIDE_COLUMNS} columns"));
    let small = c.find(Locator::Css("#table-order_lines details.columns")).await.unwrap();
    assert!(small.attr("open").await.unwrap().is_some(), "a short table is open");
    let filter = c.find(Locator::Css("#cols-wide_events-filter")).await.unwrap();
    assert!(!filter.is_displayed().await.unwrap(), "inside the closed details");
    summary.click().await.unwrap();
    assert!(filter.is_displayed().await.unwrap(), "portal.js shows the filter");
    let visible = "return [...document.querySelectorAll('#cols-wide_events tbody tr')]
                     .filter(r => r.getClientRects().length > 0).map(r => r.dataset.name)";
    assert_eq!(js(&c, visible).await.as_array().unwrap().len(), WIDE_COLUMNS);
    filter.send_keys("ATTR_12").await.unwrap();
    let kept: Vec<String> =
        js(&c, visible).await.as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    let want: Vec<String> = (120..130).map(|i| format!("attr_{i}")).collect();
    assert_eq!(kept, want, "only the matching columns stay (any case)");
    let count = c.find(Locator::Css("#table-wide_events .col-count")).await.unwrap().text().await.unwrap();
    assert_eq!(count, format!("10 of {WIDE_COLUMNS} columns"));
    c.execute("document.querySelector('#table-wide_events').scrollIntoView()", vec![]).await.unwrap();
    doc_shot(&c, "product-columns").await;
    filter.clear().await.unwrap();
    filter.send_keys(" ").await.unwrap(); // an input event with nothing to match: all rows again
    assert_eq!(js(&c, visible).await.as_array().unwrap().len(), WIDE_COLUMNS);

    // --- Line breaks kept on the product page, shortened on one line in results.
    c.goto(&format!("{base}/products/sales.notes")).await.unwrap();
    wait_text(&c, "Sales notes").await;
    let purpose = c.find(Locator::Css("#about p.purpose")).await.unwrap().text().await.unwrap();
    assert_eq!(purpose, NOTES_PURPOSE, "every line break shown");
    c.goto(&format!("{base}/?q=notes")).await.unwrap();
    wait_text(&c, "Sales notes").await;
    let desc = c.find(Locator::Css("li.result p.desc")).await.unwrap().text().await.unwrap();
    assert!(desc.starts_with("Notes the sales team keeps on each order. One row per note"), "{desc}");
    assert!(desc.ends_with('…') && !desc.contains('\n'), "{desc}");
    assert!(desc.chars().count() <= 241 && desc.chars().count() < NOTES_PURPOSE.chars().count(), "{desc}");

    // --- Right-to-left text is isolated: its own direction, not the page's.
    c.goto(&format!("{base}/products/sales.returns")).await.unwrap();
    wait_text(&c, "id=\"mine\"").await;
    let dir = "const e = document.querySelector(arguments[0]);
               return [e.textContent.trim(), e.getAttribute('dir'), getComputedStyle(e).direction]";
    let v = c.execute(dir, vec![json!("#about p.purpose")]).await.unwrap();
    assert_eq!(v, json!([RTL_PURPOSE, "auto", "rtl"]));
    c.goto(&format!("{base}/?q=returns")).await.unwrap();
    wait_text(&c, "Sales returns").await;
    let v = c.execute(dir, vec![json!("li.result p.desc")]).await.unwrap();
    assert_eq!(v, json!([RTL_PURPOSE, "auto", "rtl"]));
    let v =
        js(&c, "return [...document.querySelectorAll('li.result .title a')].map(a => a.firstElementChild?.tagName)")
            .await;
    assert!(v.as_array().unwrap().iter().all(|t| t == "BDI"), "names are isolated: {v}");

    // --- Phone: nothing scrolls sideways; the badge, revoke button and findings on screen.
    set_viewport(&c, 390, 844).await;
    let (sw, iw) = widths(&c).await;
    assert_eq!(iw, 390, "the phone viewport");
    assert!(sw <= iw, "search scrolls sideways: {sw} > {iw}");
    let mut wide = Vec::new();
    let b = s.breaking;
    for (path, expect) in [
        ("/?q=wide", "Sales wide events"),
        ("/?q=orders", "Breaking change pending"),
        ("/products/sales.wide", "wide_events"),
        ("/products/sales.orders", "A breaking change is pending review"),
        ("/products/sales.returns", "id=\"mine\""),
        ("/my/access", "<h1>My access</h1>"),
        ("/grants", "<h1>Grants</h1>"),
    ] {
        wide.extend(too_wide(&c, &base, path, expect).await);
    }
    c.goto(&format!("{base}/?q=orders")).await.unwrap();
    wait_text(&c, "Breaking change pending").await;
    on_screen(&c, "li.result .badge.breaking").await.unwrap();
    c.goto(&format!("{base}/products/sales.orders")).await.unwrap();
    wait_text(&c, "A breaking change is pending review").await;
    on_screen(&c, ".breaking-pending .badge.breaking").await.unwrap();
    c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    doc_shot(&c, "product-phone").await;

    // The reviewer's pages: the revoke button and the findings.
    c.delete_all_cookies().await.unwrap();
    sign_in(&c, &base, &app.reviewer).await;
    for (path, expect) in [
        ("/grants", "Revoke…"),
        ("/proposals", "<h1>Reviews</h1>"),
        (format!("/grants/{}/revoke", s.grant).as_str(), "revoke-reason"),
        (format!("/proposals/{b}").as_str(), "STW101"),
        (format!("/proposals/{}", s.new_product).as_str(), "sales.leads"),
        ("/access", "Weekly churn model"),
        ("/audit", "<h1>Audit log</h1>"),
        ("/products/sales.wide", "wide_events"),
    ] {
        wide.extend(too_wide(&c, &base, path, expect).await);
    }
    c.goto(&format!("{base}/grants")).await.unwrap();
    wait_text(&c, "Revoke…").await;
    on_screen(&c, "table.grants form[method=get] button").await.unwrap();
    c.goto(&format!("{base}/proposals/{b}")).await.unwrap();
    wait_text(&c, "STW101").await;
    let cells = js(
        &c,
        "const cells = [...document.querySelectorAll('#findings tbody td')];
         return [cells.length, cells.filter(td => { const r = td.getBoundingClientRect();
           return !(r.width > 0 && r.left >= 0 && r.right <= window.innerWidth); }).map(td => td.textContent)]",
    )
    .await;
    assert!(cells[0].as_u64().unwrap() >= 4, "the findings are listed: {cells}");
    assert_eq!(cells[1], json!([]), "findings cells off screen");
    let msg = js(
        &c,
        "return document.querySelector('#findings tr.brk td[data-label=Message]').getBoundingClientRect().width",
    )
    .await;
    assert!(msg.as_f64().unwrap() > 250.0, "a finding's message gets the phone's width: {msg}");
    assert!(wide.is_empty(), "pages wider than the phone:\n{}", wide.join("\n"));

    // --- Desktop screenshots of pages that had none.
    set_viewport(&c, 1280, 900).await;
    c.goto(&format!("{base}/proposals/{}", s.new_product)).await.unwrap();
    wait_text(&c, "sales.leads").await;
    doc_shot(&c, "proposal-new").await;
    c.goto(&format!("{base}/grants/{}/revoke", s.grant)).await.unwrap();
    wait_text(&c, "revoke-reason").await;
    doc_shot(&c, "revoke-confirm").await;

    c.close().await.unwrap();
    server.abort();
}
