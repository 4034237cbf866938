//! WCAG 2.2 AA in a real headless Chromium with axe-core: every page each
//! role can reach (signed out, consumer, producer, reviewer, admin), at
//! desktop (1280x900) and phone (390x844) width, in light and dark mode
//! (`prefers-color-scheme: dark`, a second Chromium session started with
//! `--blink-settings=preferredColorScheme=0`). axe-core comes from the npm
//! registry, pinned in `portal/tests/axe/package-lock.json`
//! (`npm ci --prefix portal/tests/axe`, which `scripts/test` runs); the test
//! reads `node_modules/axe-core/axe.min.js`, runs it in each page and fails
//! with every serious or critical violation (page, width, mode, rule, impact,
//! targets, help). In dark mode it also checks that every pill (`.badge`) has
//! a dark background. A second test proves the check fails on a bad page.
//!
//! Needs Debian's `chromium` and `chromium-driver` and the npm install; without
//! them the test says so and skips, unless STEWARD_TEST_REQUIRE_SERVICES=1.

mod common;

use common::Portal;
use common::browser::{Driver, browser, chromium, dark_browser, set_viewport, sign_in, start_driver};
use common::seed::{self, Seeded};
use fantoccini::Client;
use serde_json::{Value, json};

/// The WCAG tags axe checks: 2.0, 2.1 and 2.2, levels A and AA.
const TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// Desktop and phone viewports.
const WIDTHS: [(u32, u32); 2] = [(1280, 900), (390, 844)];

/// axe-core's browser build, or `None` after reporting it missing.
pub fn axe_source() -> Option<String> {
    let path = steward_testkit::repo_root().join("portal/tests/axe/node_modules/axe-core/axe.min.js");
    match std::fs::read_to_string(&path) {
        Ok(src) => Some(src),
        Err(e) => {
            steward_testkit::missing_service(
                "axe-core",
                &format!("{} ({e}); run `npm ci --prefix portal/tests/axe`", path.display()),
            );
            None
        }
    }
}

/// Runs axe in the current page; returns one line per serious or critical
/// violation (rule, impact, targets, help), each prefixed with `label`.
pub async fn axe_violations(c: &Client, axe: &str, label: &str) -> Vec<String> {
    let loaded = c.execute("return typeof window.axe === 'object'", vec![]).await.unwrap();
    if loaded != Value::Bool(true) {
        c.execute(axe, vec![]).await.expect("axe.min.js runs");
    }
    let js = "const [tags, done] = arguments;
        axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}).then(r => done(
          r.violations.map(v => ({id: v.id, help: v.help, url: v.helpUrl,
            nodes: v.nodes.filter(n => n.impact === 'serious' || n.impact === 'critical')
                          .map(n => ({impact: n.impact, target: n.target.join(' '), why: n.failureSummary}))}))
           .filter(v => v.nodes.length > 0)),
          e => done({error: String(e)}));";
    let result = c.execute_async(js, vec![json!(TAGS)]).await.expect("axe.run answers");
    let Some(list) = result.as_array() else { panic!("{label}: axe failed: {result}") };
    let mut out = Vec::new();
    for v in list {
        for n in v["nodes"].as_array().unwrap() {
            out.push(format!(
                "{label}: {} [{}] at `{}`: {} ({})\n      {}",
                v["id"].as_str().unwrap(),
                n["impact"].as_str().unwrap(),
                n["target"].as_str().unwrap(),
                v["help"].as_str().unwrap(),
                v["url"].as_str().unwrap(),
                n["why"].as_str().unwrap_or("").replace('\n', "\n      "),
            ));
        }
    }
    out
}

/// In dark mode: every pill whose background is not dark (relative
/// luminance above 0.2), as `label: class "text" rgb(...)`.
async fn light_pills(c: &Client, label: &str) -> Vec<String> {
    let js = "function lum(c) {
          const m = c.match(/[\\d.]+/g).map(Number);
          if (m.length > 3 && m[3] === 0) return null;
          const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
          return 0.2126 * f(m[0]) + 0.7152 * f(m[1]) + 0.0722 * f(m[2]);
        }
        return [...document.querySelectorAll('.badge')].map(b => {
          const bg = getComputedStyle(b).backgroundColor;
          const l = lum(bg);
          return l !== null && l > 0.2 ? b.className + ' \"' + b.textContent.trim() + '\" ' + bg : null;
        }).filter(x => x);";
    let v = c.execute(js, vec![]).await.unwrap();
    v.as_array().unwrap().iter().map(|s| format!("{label}: light pill in dark mode: {}", s.as_str().unwrap())).collect()
}

/// A page to check: where it is and a piece of its HTML that shows it is
/// that page (not a sign-in redirect or an error).
struct Visit {
    path: String,
    expect: String,
}

fn visit(path: impl Into<String>, expect: impl Into<String>) -> Visit {
    Visit { path: path.into(), expect: expect.into() }
}

/// Every role (`None`: signed out) with the pages it can reach.
fn plan(app: &Portal, s: &Seeded) -> Vec<(&'static str, Option<String>, Vec<Visit>)> {
    let (b, n, g) = (s.breaking, s.new_product, s.grant);
    vec![
        (
            "signed out",
            None,
            vec![visit("/signin", "id=\"token\""), visit("/no/such/page", "There is no page at /no/such/page")],
        ),
        (
            "consumer",
            Some(app.consumer.clone()),
            vec![
                visit("/", "Discover data products"),
                visit("/?q=orders", "Breaking change pending"),
                visit("/?q=sales&domain=sales&tag=orders", "products"),
                visit("/?q=nothingmatchesthis", "No products match."),
                visit("/products/sales.orders", "A breaking change is pending review"),
                visit("/products/sales.returns", "id=\"mine\""),
                visit("/products/sales.legacy", "Deprecated."),
                visit("/products/sales.wide", "wide_events"),
                visit("/products/sales.notes", "Sales notes"),
                visit("/my/access", "<h1>My access</h1>"),
                visit("/proposals", "<h1>Forbidden</h1>"),
                visit(format!("/proposals/{b}"), "<h1>Not Found</h1>"),
                visit("/access", "Access requests"),
                visit("/grants", "Grants"),
                visit("/audit", "<h1>Not allowed</h1>"),
                visit("/products/sales.nothing", "no published product"),
                visit("/products/NOT-A-KEY", "is not a product key"),
            ],
        ),
        (
            "producer",
            Some(app.producer.clone()),
            vec![
                visit("/", "Discover data products"),
                visit("/products/sales.orders", "A breaking change is pending review"),
                visit("/my/products", "<h1>My products</h1>"),
                visit("/my/proposals", "<h1>My proposals</h1>"),
                visit(format!("/proposals/{b}"), "STW101"),
                visit(format!("/proposals/{n}"), "sales.leads"),
                visit("/access", "Access requests"),
                visit("/grants", "Grants"),
            ],
        ),
        (
            "reviewer",
            Some(app.reviewer.clone()),
            vec![
                visit("/proposals", "<h1>Reviews</h1>"),
                visit("/proposals?status=published", "<h1>Reviews</h1>"),
                visit(format!("/proposals/{b}"), "STW101"),
                visit(format!("/proposals/{n}"), "sales.leads"),
                visit("/access", "Weekly churn model"),
                visit("/grants", "Revoke…"),
                visit(format!("/grants/{g}/revoke"), "revoke-reason"),
                visit("/audit", "<h1>Audit"),
                visit("/products/sales.orders", "Who has access"),
                visit("/my/products", "<h1>My products</h1>"),
                visit("/admin/tokens", "<h1>Forbidden</h1>"),
            ],
        ),
        (
            "admin",
            Some(s.admin.clone()),
            vec![
                visit("/admin/tokens", "<h1>API tokens"),
                visit("/audit", "<h1>Audit"),
                visit("/?q=wide", "Sales wide events"),
                visit("/access?status=approved", "Access requests"),
            ],
        ),
    ]
}

/// Visits every page of the plan at both widths in `c`; returns the problems.
async fn check_all(c: &Client, base: &str, axe: &str, mode: &str, app: &Portal, s: &Seeded) -> Vec<String> {
    let mut problems = Vec::new();
    for (w, h) in WIDTHS {
        set_viewport(c, w, h).await;
        for (role, token, pages) in plan(app, s) {
            c.delete_all_cookies().await.unwrap();
            if let Some(t) = &token {
                sign_in(c, base, t).await;
            }
            for v in &pages {
                c.goto(&format!("{base}{}", v.path)).await.unwrap();
                let label = format!("{} as {role} at {w}px, {mode}", v.path);
                if !shows(c, &v.expect).await {
                    // Said with the rest (not a panic), so one run lists every problem.
                    problems.push(format!("{label}: the page never showed {:?}", v.expect));
                    continue;
                }
                problems.extend(axe_violations(c, axe, &label).await);
                if mode == "dark" {
                    problems.extend(light_pills(c, &label).await);
                }
            }
        }
    }
    problems
}

/// Does the page show `needle` within 15 s?
async fn shows(c: &Client, needle: &str) -> bool {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(15) {
        if c.source().await.unwrap().contains(needle) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

async fn setup() -> Option<(std::path::PathBuf, Driver, String)> {
    let (chromium, chromedriver) = chromium()?;
    let axe = axe_source()?;
    let driver = start_driver(&chromedriver).await;
    Some((chromium, driver, axe))
}

#[tokio::test]
async fn every_page_for_every_role_passes_axe_wcag22_aa_in_light_and_dark_mode() {
    let Some((chromium, driver, axe)) = setup().await else { return };
    let app = Portal::start().await;
    let seeded = seed::rich(&app).await;
    let (base, server) = app.serve().await;

    let light = browser(&driver, &chromium).await;
    let dark = dark_browser(&driver, &chromium).await;
    let is_dark = "return matchMedia('(prefers-color-scheme: dark)').matches";
    light.goto(&format!("{base}/signin")).await.unwrap();
    dark.goto(&format!("{base}/signin")).await.unwrap();
    assert_eq!(light.execute(is_dark, vec![]).await.unwrap(), Value::Bool(false));
    assert_eq!(dark.execute(is_dark, vec![]).await.unwrap(), Value::Bool(true), "the dark session is dark");

    let mut problems = check_all(&light, &base, &axe, "light", &app, &seeded).await;
    problems.extend(check_all(&dark, &base, &axe, "dark", &app, &seeded).await);
    light.close().await.unwrap();
    dark.close().await.unwrap();
    server.abort();
    assert!(problems.is_empty(), "{} accessibility problem(s):\n{}", problems.len(), problems.join("\n"));
}

/// The check is not vacuous: a page with an unlabelled input, low-contrast
/// text, no `lang` and a nameless link gets those violations reported.
#[tokio::test]
async fn the_axe_check_reports_violations_on_a_bad_page() {
    let Some((chromium, driver, axe)) = setup().await else { return };
    let c = browser(&driver, &chromium).await;
    let bad = "<!doctype html><html><head><title>bad</title></head><body><main>\
               <p style='color:#bbb;background:#fff'>Hard to read</p>\
               <input type='text'><a href='/x'></a></main></body></html>";
    let url = format!("data:text/html,{}", bad.replace('#', "%23"));
    c.goto(&url).await.unwrap();
    let found = axe_violations(&c, &axe, "bad page").await;
    let text = found.join("\n");
    for rule in ["color-contrast", "label", "html-has-lang", "link-name"] {
        assert!(found.iter().any(|l| l.contains(&format!(": {rule} ["))), "{rule} not reported:\n{text}");
    }
    assert!(text.contains("bad page: ") && text.contains("at `input`"), "{text}");

    // In dark mode a pill left with its light colours is reported too.
    let dark = dark_browser(&driver, &chromium).await;
    let pill =
        "<!doctype html><html lang=en><body><span class='badge' style='background:#e6f6ea'>ok</span></body></html>";
    dark.goto(&format!("data:text/html,{}", pill.replace('#', "%23"))).await.unwrap();
    let light = light_pills(&dark, "pill page").await;
    assert_eq!(light.len(), 1, "{light:?}");
    c.close().await.unwrap();
    dark.close().await.unwrap();
}
