//! Single sign-on in a real headless Chromium against a real OpenID
//! Provider (PyPI's `oidc-provider-mock`, behind a proxy that enforces PKCE
//! as RFC 7636 section 4.6 says, see `steward_testkit::oidc`):
//!
//! - a reviewer (by group) signs in through the provider's login form,
//!   approves a proposal, and the audit log names their subject and issuer;
//! - a person in both the reviewers' and a producers' group holds the union;
//! - a person with no mapped group is refused with a page that says why;
//! - sign-out deletes the session (its cookie opens nothing afterwards) and
//!   goes on to the provider's end-session endpoint, which sends the browser
//!   back to the sign-in page.
//!
//! Needs chromium, chromedriver and oidc-provider-mock (scripts/test installs them).

mod common;

use std::time::{Duration, Instant};

use common::Portal;
use common::browser::{browser, chromium, doc_shot, shot, start_driver, wait_text, wait_url};
use fantoccini::{Client, Locator};
use serde_json::json;
use steward_catalog::api;
use steward_catalog::service::admin::AuditFilter;
use steward_catalog::service::proposals::ProposalStatus;
use steward_portal::oidc::SignInOptions;
use steward_testkit::oidc::OidcProvider;

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).click().await.unwrap();
}

/// Signs in as `sub` on the provider's authorization form (starting at the
/// portal page `path`), and waits until the browser is back at the portal.
async fn sso_sign_in(c: &Client, base: &str, path: &str, sub: &str) {
    c.goto(&format!("{base}{path}")).await.unwrap();
    wait_url(c, "/signin").await;
    click(c, "#sso").await;
    // The provider's own login page.
    wait_text(c, "Authorize").await;
    c.find(Locator::Css("input[name=sub]")).await.unwrap().send_keys(sub).await.unwrap();
    click(c, "form button[type=submit]").await;
    let started = Instant::now();
    while !c.current_url().await.unwrap().as_str().starts_with(base) {
        assert!(started.elapsed() < Duration::from_secs(15), "never came back to the portal");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn people_sign_in_through_their_identity_provider() {
    let Some((chromium, chromedriver)) = chromium() else { return };
    let Some(idp) = OidcProvider::start().await else { return };
    idp.set_user(
        "rita",
        json!({"name": "Rita Reviewer", "email": "rita@example.com", "groups": ["steward-reviewers"]}),
    )
    .await;
    idp.set_user("pat", json!({"name": "Pat Both", "groups": ["steward-reviewers", "sales-data", "staff"]})).await;
    idp.set_user("nora", json!({"name": "Nora Nobody", "groups": ["staff"]})).await;

    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let proposal = app.submit(&steward_testkit::sales_orders().replacen("version: 1.0.0", "version: 1.1.0", 1)).await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let oidc = serde_json::from_value(json!({
        "issuer": idp.issuer,
        "client_id": "steward-portal",
        "client_secret": "test-secret",
        "redirect_url": format!("{base}/signin/oidc/callback"),
        "scopes": ["openid", "profile", "email"],
        "label": "Sign in with Acme SSO",
        "roles": [
            {"claims": {"groups": "steward-reviewers"}, "role": "reviewer"},
            {"claims": {"groups": "sales-data"}, "role": "producer", "scopes": ["sales"]}
        ]
    }))
    .unwrap();
    let options =
        SignInOptions::from_config(&steward_catalog::config::PortalConfig { token_signin: true, oidc: Some(oidc) })
            .unwrap();
    let router = steward_portal::router_with(app.state.clone(), options).merge(api::router(app.state.clone()));
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let driver = start_driver(&chromedriver).await;
    let c = browser(&driver, &chromium).await;
    c.set_window_size(1280, 900).await.unwrap();

    // --- A reviewer by group: in through the provider's form, back where they were going.
    c.goto(&format!("{base}/signin")).await.unwrap();
    wait_text(&c, "Sign in with Acme SSO").await;
    doc_shot(&c, "signin-sso").await;
    sso_sign_in(&c, &base, &format!("/proposals/{proposal}"), "rita").await;
    wait_url(&c, &format!("/proposals/{proposal}")).await;
    let page = wait_text(&c, "Rita Reviewer").await;
    assert!(page.contains(">reviewer<"), "the role badge");
    assert_eq!(idp.pkce(), (1, 0), "one code exchange, its PKCE verifier checked and accepted");
    shot(&c, "sso-reviewer").await;
    c.find(Locator::Css("#approve-comment")).await.unwrap().send_keys("Looks right.").await.unwrap();
    click(&c, "#approve").await;
    wait_text(&c, &format!("Approved proposal {proposal}")).await;
    assert_eq!(app.service.proposal(proposal).await.unwrap().status, ProposalStatus::Published);
    let rita = format!("rita ({})", idp.issuer);
    let admin = app.principal(&app.admin_token()).await;
    let filter = AuditFilter { actor: Some(rita.clone()), action: None, target: None, before_id: None, limit: 20 };
    let actions: Vec<String> =
        app.service.audit_log(&admin, &filter).await.unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"proposal.approve".to_owned()), "audit names subject and issuer: {actions:?}");
    assert!(actions.contains(&"session.start".to_owned()), "{actions:?}");

    // --- Sign-out: the session row goes, then the provider's end-session page, then back.
    let old = c.get_named_cookie("steward_session").await.unwrap().value().to_owned();
    assert!(old.starts_with("sts_"), "a session secret, not a token");
    click(&c, "form[action='/signout'] button").await;
    wait_text(&c, "End session").await; // the provider's page
    click(&c, "form button[type=submit]").await;
    wait_url(&c, &format!("{base}/signin")).await;
    let reuse = app.get("/proposals", Some(&format!("steward_session={old}"))).await;
    assert_eq!(reuse.status, axum::http::StatusCode::SEE_OTHER, "the old session cookie opens nothing");
    assert!(reuse.location().starts_with("/signin"), "{}", reuse.location());
    c.goto(&format!("{base}/proposals")).await.unwrap();
    wait_url(&c, "/signin").await;

    // --- Someone in both groups holds both roles.
    sso_sign_in(&c, &base, "/my/proposals", "pat").await;
    let page = wait_text(&c, "Pat Both").await;
    assert!(page.contains("reviewer+producer"), "the union of roles");
    assert!(page.contains("href=\"/audit\""), "a reviewer's nav");
    click(&c, "form[action='/signout'] button").await;
    wait_text(&c, "End session").await;
    click(&c, "form button[type=submit]").await;
    wait_url(&c, &format!("{base}/signin")).await;

    // --- No mapped group: a page that says so, and no session.
    sso_sign_in(&c, &base, "/", "nora").await;
    let page = wait_text(&c, "No access to Steward").await;
    assert!(page.contains("none of your groups"), "says why");
    assert!(page.contains("steward-reviewers"), "says which groups would do");
    assert!(c.get_named_cookie("steward_session").await.is_err(), "no session cookie");
    doc_shot(&c, "sso-no-access").await;

    assert_eq!(idp.pkce(), (3, 0), "every exchange checked");
    c.close().await.unwrap();
    server.abort();
}
