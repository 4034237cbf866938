//! The portal through its router (`tower::ServiceExt::oneshot`), on SQLite
//! in a temp dir: sign-in and its cookie, CSRF, authorization through the
//! service, escaping, and the pages themselves.

mod common;

use axum::http::StatusCode;
use common::{Portal, contract};
use steward_catalog::service::proposals::ProposalStatus;

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_cookie() {
    let app = Portal::start().await;

    // Not signed in: every page sends you to the sign-in form, then back.
    let page = app.get("/proposals?status=all", None).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), "/signin?next=%2Fproposals%3Fstatus%3Dall");

    let form = app.get("/signin", None).await;
    assert_eq!(form.status, StatusCode::OK);
    let nonce = form.csrf();
    let pre = form.set_cookies();
    assert!(pre.iter().any(|c| c.starts_with(&format!("steward_signin={nonce};")) && c.contains("SameSite=Strict")));

    let cookie = format!("steward_signin={nonce}");
    let ok =
        app.post("/signin", Some(&cookie), &format!("csrf={nonce}&token={}&next=%2Fproposals", app.reviewer)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), "/proposals");
    let session = ok.set_cookies().into_iter().find(|c| c.starts_with("steward_session=")).unwrap();
    assert!(session.starts_with(&format!("steward_session={};", app.reviewer)), "{session}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(session.contains(flag), "{flag} missing: {session}");
    }
    assert!(!session.contains("Secure"), "plain http must not set Secure: {session}");

    // Behind a TLS-terminating proxy the cookie is Secure.
    let req = axum::http::Request::post("/signin")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", &cookie)
        .header("x-forwarded-proto", "https")
        .body(axum::body::Body::from(format!("csrf={nonce}&token={}", app.reviewer)))
        .unwrap();
    let tls = app.send(req).await;
    let session = tls.set_cookies().into_iter().find(|c| c.starts_with("steward_session=")).unwrap();
    assert!(session.contains("; Secure"), "{session}");

    // A wrong token: 401, no session.
    let bad = app.post("/signin", Some(&cookie), &format!("csrf={nonce}&token=stw_{}", "0".repeat(64))).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.body.contains("unknown, revoked or expired token"));
    assert!(!bad.set_cookies().iter().any(|c| c.starts_with("steward_session=")));

    // A sign-in form posted from elsewhere (no double-submit cookie): 403.
    let forged = app.post("/signin", None, &format!("csrf={nonce}&token={}", app.reviewer)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!forged.set_cookies().iter().any(|c| c.starts_with("steward_session=")));

    // An open redirect is not followed.
    let away = app
        .post("/signin", Some(&cookie), &format!("csrf={nonce}&token={}&next=%2F%2Fevil.example", app.reviewer))
        .await;
    assert_eq!(away.location(), "/");

    // Signed in, the page carries the security headers and no caching.
    let session = app.sign_in(&app.reviewer).await;
    let page = app.get("/", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("rita"));
    let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
}

#[tokio::test]
async fn sign_out_needs_csrf_and_clears_the_cookie() {
    let app = Portal::start().await;
    let session = app.sign_in(&app.reviewer).await;
    let page = app.get("/", Some(&session)).await;
    let csrf = page.csrf();

    let refused = app.post("/signout", Some(&session), "").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.set_cookies().iter().any(|c| c.starts_with("steward_session=")));

    let out = app.post("/signout", Some(&session), &format!("csrf={csrf}")).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let cleared = out.set_cookies().into_iter().find(|c| c.starts_with("steward_session=;")).unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}

#[tokio::test]
async fn posts_without_the_right_csrf_token_are_refused() {
    let app = Portal::start().await;
    let id = app.submit(&steward_testkit::sales_orders()).await;
    let session = app.sign_in(&app.reviewer).await;
    let page = app.get(&format!("/proposals/{id}"), Some(&session)).await;
    let csrf = page.csrf();
    let other = steward_portal::session::csrf_token(&app.producer);

    for body in [String::new(), "comment=ok".to_owned(), format!("csrf={other}&comment=ok"), "csrf=zz".to_owned()] {
        let refused = app.post(&format!("/proposals/{id}/approve"), Some(&session), &body).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "body {body:?}");
        assert!(refused.body.contains("CSRF token is missing or does not match"), "{}", refused.body);
    }
    // Whatever the content type, the token is checked first.
    let req = axum::http::Request::post(format!("/proposals/{id}/reject"))
        .header("cookie", &session)
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"comment\": \"no\"}"))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.service.proposal(id).await.unwrap().status, ProposalStatus::PendingReview);

    // With the session's token it goes through.
    let done =
        app.post(&format!("/proposals/{id}/approve"), Some(&session), &format!("csrf={csrf}&comment=fine")).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), format!("/proposals/{id}?done=approved"));
    let p = app.service.proposal(id).await.unwrap();
    assert_eq!(
        (p.status, p.decided_by.as_deref(), p.comment.as_deref()),
        (ProposalStatus::Published, Some("rita"), Some("fine"))
    );
}

#[tokio::test]
async fn producers_see_no_approve_button_and_the_service_refuses_them() {
    let app = Portal::start().await;
    let id = app.submit(&steward_testkit::sales_orders()).await;
    let producer = app.sign_in(&app.producer).await;
    let page = app.get(&format!("/proposals/{id}"), Some(&producer)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("sales.orders"));
    assert!(!page.body.contains("/approve\""), "a producer must not get the approve form");
    assert!(!page.body.contains("id=\"approve\""));
    assert!(page.body.contains("Only reviewers and admins decide proposals"));

    // A forged POST with the producer's own valid CSRF token: the service says no.
    let forged = app.post(&format!("/proposals/{id}/approve"), Some(&producer), &format!("csrf={}", page.csrf())).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("only reviewers and admins may approve proposals"), "{}", forged.body);
    assert!(forged.body.contains("Proposal #"), "the refusal is shown on the proposal page");
    assert_eq!(app.service.proposal(id).await.unwrap().status, ProposalStatus::PendingReview);

    // Reviewers get the buttons.
    let reviewer = app.sign_in(&app.reviewer).await;
    let page = app.get(&format!("/proposals/{id}"), Some(&reviewer)).await;
    assert!(page.body.contains(&format!("action=\"/proposals/{id}/approve\"")));
    assert!(page.body.contains(&format!("action=\"/proposals/{id}/reject\"")));

    // Rejecting needs a comment, as in the API.
    let no_comment =
        app.post(&format!("/proposals/{id}/reject"), Some(&reviewer), &format!("csrf={}&comment=+", page.csrf())).await;
    assert_eq!(no_comment.status, StatusCode::BAD_REQUEST);
    assert!(no_comment.body.contains("a rejection needs a comment"));
}

#[tokio::test]
async fn user_text_is_escaped() {
    let app = Portal::start().await;
    let evil = "<script>document.title='pwned'</script> Orders & <b>returns</b>";
    app.publish(&contract("returns", "1.0.0", Some(evil))).await;
    let session = app.sign_in(&app.reviewer).await;

    let product = app.get("/products/sales.returns", Some(&session)).await;
    assert_eq!(product.status, StatusCode::OK, "{}", product.body);
    assert!(!product.body.contains("<script>document.title"), "unescaped script in the product page");
    assert!(
        product
            .body
            .contains("&lt;script&gt;document.title='pwned'&lt;/script&gt; Orders &amp; &lt;b&gt;returns&lt;/b&gt;")
    );

    let search = app.get("/?q=returns", Some(&session)).await;
    assert!(search.body.contains("/products/sales.returns"));
    assert!(!search.body.contains("<script>document.title"));

    let proposal = app.get("/proposals/1", Some(&session)).await;
    assert!(!proposal.body.contains("<script>document.title"));
    assert!(proposal.body.contains("&lt;script&gt;"));

    // Query values echoed into the page are escaped too.
    let echoed = app.get("/?q=%22%3E%3Cscript%3Ex()%3C%2Fscript%3E", Some(&session)).await;
    assert!(!echoed.body.contains("<script>x()"));
    assert!(echoed.body.contains("&quot;&gt;&lt;script&gt;x()"));
}

#[tokio::test]
async fn review_page_marks_breaking_changes() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let id = app.submit(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;
    let session = app.sign_in(&app.reviewer).await;

    let queue = app.get("/proposals", Some(&session)).await;
    assert!(queue.body.contains(&format!("href=\"/proposals/{id}\"")));
    assert!(queue.body.contains("breaking"));

    let page = app.get(&format!("/proposals/{id}"), Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<code>STW101</code>"), "findings show rule ids");
    assert!(page.body.contains("brk-note"), "the diff marks the breaking block");
    assert!(page.body.contains("class=\"l del brk\""));
    let marked = page.body.split("class=\"l del brk\"").nth(1).unwrap();
    assert!(marked.contains("- name: quantity"), "the removed column is the marked line");
    assert!(!page.body.contains("class=\"l add brk\""), "the version bump is not marked breaking");
}

#[tokio::test]
async fn product_page_shows_tables_and_diffs_versions() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    app.publish(&contract("orders", "1.1.0", Some("Every order line, now documented better."))).await;
    let session = app.sign_in(&app.producer).await;

    let page = app.get("/products/sales.orders", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "order_lines",
        "daily_revenue",
        "customer_email",
        "varchar(320)",
        "partition 1",
        "sales-data",
        "0 6 * * *",
        "1.1.0",
        "1.0.0",
    ] {
        assert!(page.body.contains(text), "product page lacks {text}");
    }
    assert!(page.body.contains("mailto:sales-data@example.com"));

    let diff = app.get("/products/sales.orders?from=1.0.0&to=1.1.0", Some(&session)).await;
    assert!(diff.body.contains("Changes from 1.0.0 to 1.1.0"));
    assert!(diff.body.contains("now documented better"));
    assert!(diff.body.contains("class=\"l add\""));

    let missing = app.get("/products/sales.orders?from=0.9.0&to=1.1.0", Some(&session)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("has no version `0.9.0`"));

    assert_eq!(app.get("/products/sales.nothing", Some(&session)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/products/Bad%20Key", Some(&session)).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn discovery_filters_and_pages() {
    let app = Portal::start().await;
    for i in 0..23 {
        app.publish(&contract(&format!("orders_{i:02}"), "1.0.0", None)).await;
    }
    let session = app.sign_in(&app.reviewer).await;
    let first = app.get("/?domain=sales", Some(&session)).await;
    assert!(first.body.contains("Showing 1–20 of 23 products"), "{}", first.body);
    assert!(first.body.contains("href=\"/?domain=sales&amp;offset=20\""));
    let second = app.get("/?domain=sales&offset=20", Some(&session)).await;
    assert!(second.body.contains("Showing 21–23 of 23 products"));
    assert!(second.body.contains("rel=\"prev\""));
    let none = app.get("/?domain=hr", Some(&session)).await;
    assert!(none.body.contains("No products match."));
    let tagged = app.get("/?tag=revenue&classification=confidential&q=orders_07", Some(&session)).await;
    assert!(tagged.body.contains("/products/sales.orders_07"), "{}", tagged.body);
    assert!(tagged.body.contains("<option value=\"confidential\" selected>"));
}

#[tokio::test]
async fn audit_is_for_reviewers_with_filters() {
    let app = Portal::start().await;
    let id = app.publish(&steward_testkit::sales_orders()).await;
    let producer = app.sign_in(&app.producer).await;
    let refused = app.get("/audit", Some(&producer)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("only admins and reviewers read the audit log"));
    assert!(!app.get("/", Some(&producer)).await.body.contains("href=\"/audit\""));

    let reviewer = app.sign_in(&app.reviewer).await;
    let all = app.get("/audit", Some(&reviewer)).await;
    assert_eq!(all.status, StatusCode::OK);
    for action in ["token.create", "proposal.submit", "proposal.approve", "product.publish"] {
        assert!(all.body.contains(action), "{action}");
    }
    let mine = app.get(&format!("/audit?actor=rita&target=proposal%3A{id}"), Some(&reviewer)).await;
    assert!(mine.body.contains("proposal.approve"));
    assert!(!mine.body.contains("<code>proposal.submit</code>"));
    assert!(!mine.body.contains("<code>token.create</code>"));
}

#[tokio::test]
async fn unknown_api_paths_still_reach_the_api_fallback() {
    let app = Portal::start().await;
    let page = app.get("/api/v1/no/such/endpoint", None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("no such endpoint"));
    let css = app.get(steward_portal::CSS_PATH, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/css"));
}

#[tokio::test]
async fn access_requests_are_decided_through_the_service_and_grants_revoked() {
    use steward_catalog::service::access::AccessRequestInput;
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let carla = app.principal(&app.consumer).await;
    let input = AccessRequestInput {
        account: "123456789012".into(),
        justification: "Churn model <needs> orders".into(),
        duration_days: Some(90),
    };
    let request = app.service.request_access(&carla, "sales.orders", &input).await.unwrap();

    // A producer sees no decision forms, and a forged approval is refused by the service.
    let producer = app.sign_in(&app.producer).await;
    let page = app.get("/products/sales.orders", Some(&producer)).await;
    let forged =
        app.post(&format!("/access/{}/approve", request.id), Some(&producer), &format!("csrf={}", page.csrf())).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("only reviewers and admins may approve access requests"), "{}", forged.body);

    let reviewer = app.sign_in(&app.reviewer).await;
    let queue = app.get("/access", Some(&reviewer)).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("Churn model &lt;needs&gt; orders"));
    assert!(queue.body.contains(&format!("action=\"/access/{}/approve\"", request.id)));
    let no_csrf = app.post(&format!("/access/{}/approve", request.id), Some(&reviewer), "comment=ok").await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let done = app
        .post(&format!("/access/{}/approve", request.id), Some(&reviewer), &format!("csrf={}&comment=ok", queue.csrf()))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);

    // The product page says who has access; the grants page revokes.
    let product = app.get("/products/sales.orders", Some(&reviewer)).await;
    let access = product.body.split("id=\"access\"").nth(1).unwrap();
    assert!(access.contains("123456789012") && access.contains("active"), "{access}");
    let grants = app.get("/grants", Some(&reviewer)).await;
    let at = grants.body.find("action=\"/grants/").expect("a revoke form") + 16;
    let id: String = grants.body[at..].chars().take_while(|c| c.is_ascii_digit()).collect();
    let revoked = app
        .post(&format!("/grants/{id}/revoke"), Some(&reviewer), &format!("csrf={}&comment=left", grants.csrf()))
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    let after = app.get("/grants?status=revoked", Some(&reviewer)).await;
    assert!(after.body.contains("123456789012"));
}

#[tokio::test]
async fn product_page_shows_slo_status_chart_and_refreshes() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let session = app.sign_in(&app.consumer).await;
    let page = app.get("/products/sales.orders", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    let slo = page.body.split("id=\"slo\"").nth(1).unwrap();
    assert!(slo.contains("0 6 * * *") && slo.contains("Europe/Berlin"), "{slo}");
    assert!(slo.contains("<svg class=\"slo\""));
    assert_eq!(slo.split("id=\"refreshes\"").next().unwrap().matches("<rect").count(), 30);
    assert!(page.body.contains("No refresh reported yet."));
    // Consumers have their access page; only reviewers the audit.
    assert!(page.body.contains("href=\"/my/access\""));
    assert!(!page.body.contains("href=\"/audit\""));
}
