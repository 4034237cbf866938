//! Single sign-on's edges over the real router (no provider needed): token
//! sign-in switched off, and callbacks that do not belong to this browser's
//! sign-in. The whole flow against a real provider is `browser_sso.rs`.

mod common;

use axum::http::StatusCode;
use common::Portal;
use serde_json::json;
use steward_catalog::api;

fn options(token_signin: bool) -> steward_portal::oidc::SignInOptions {
    let oidc = serde_json::from_value(json!({
        // Nothing listens here: these tests never reach the provider.
        "issuer": "http://127.0.0.1:9",
        "client_id": "steward-portal",
        "redirect_url": "http://127.0.0.1:8080/signin/oidc/callback",
        "roles": [{"claims": {"groups": "steward-reviewers"}, "role": "reviewer"}]
    }))
    .unwrap();
    steward_portal::oidc::SignInOptions::from_config(&steward_catalog::config::PortalConfig {
        token_signin,
        oidc: Some(oidc),
    })
    .unwrap()
}

fn with_options(app: &mut Portal, token_signin: bool) {
    app.router =
        steward_portal::router_with(app.state.clone(), options(token_signin)).merge(api::router(app.state.clone()));
}

#[tokio::test]
async fn token_sign_in_can_be_switched_off() {
    let mut app = Portal::start().await;
    let cookie = app.sign_in(&app.reviewer.clone()).await;
    with_options(&mut app, false);
    let form = app.get("/signin", None).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("id=\"sso\""), "the single sign-on button");
    assert!(!form.body.contains("id=\"token\""), "no token field: {}", form.body);
    let posted = app.post("/signin", Some("steward_signin=abc"), &format!("csrf=abc&token={}", app.reviewer)).await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
    assert!(posted.body.contains("single sign-on only"), "{}", posted.body);
    let page = app.get("/proposals", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "a token cookie from before opens nothing");
    // The API keeps its tokens: automation is not the portal.
    let (status, _) = app.api("GET", "/api/v1/proposals", &app.reviewer.clone(), json!(null)).await;
    assert_eq!(status, StatusCode::OK);

    with_options(&mut app, true);
    let form = app.get("/signin", None).await;
    assert!(form.body.contains("id=\"sso\"") && form.body.contains("id=\"token\""), "both ways in");
    assert_eq!(app.get("/proposals", Some(&cookie)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn callbacks_that_are_not_this_browsers_sign_in_are_refused() {
    let mut app = Portal::start().await;
    with_options(&mut app, true);
    let state = "a".repeat(43);
    let pending = format!("steward_oidc={state}.{}.{}.Lw", "b".repeat(43), "c".repeat(43));

    let none = app.get(&format!("/signin/oidc/callback?code=x&state={state}"), None).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST, "no sign-in under way in this browser");
    assert!(none.body.contains("expired or was started in another browser"), "{}", none.body);

    let other = app.get("/signin/oidc/callback?code=x&state=zzz", Some(&pending)).await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST, "a state that is not this browser's (login CSRF)");
    assert!(other.body.contains("does not belong to the sign-in this browser started"), "{}", other.body);

    let denied = app
        .get(
            &format!("/signin/oidc/callback?error=access_denied&error_description=User%20said%20no%0A&state={state}"),
            Some(&pending),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(denied.body.contains("access_denied: User said no"), "{}", denied.body);
    for page in [&none, &other, &denied] {
        let cleared = page.set_cookies().iter().any(|c| c.starts_with("steward_oidc=;") && c.contains("Max-Age=0"));
        assert!(cleared, "the sign-in cookie is cleared: {:?}", page.set_cookies());
        assert!(!page.set_cookies().iter().any(|c| c.starts_with("steward_session=")), "no session");
    }

    // The provider is down: a 503 that says so, nothing else.
    let start = app.get("/signin/oidc?next=/proposals", None).await;
    assert_eq!(start.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(start.body.contains("cannot be reached"), "{}", start.body);
}

/// OIDC Back-Channel Logout 1.0: the provider POSTs a signed logout token;
/// the sessions it names end. The provider here is a local issuer whose
/// TEST-ONLY keys the test holds (`steward_testkit::identity`).
#[tokio::test]
async fn the_providers_logout_ends_the_sessions_it_names() {
    use steward_catalog::auth::{HeldRole, Role};
    use steward_catalog::service::sessions::NewSession;
    use steward_testkit::identity::{TestIssuer, now, rsa_a, rsa_b};

    let idp = TestIssuer::start(&[&rsa_a()]).await;
    let mut app = Portal::start().await;
    let oidc = serde_json::from_value(json!({
        "issuer": idp.url,
        "client_id": "steward-portal",
        "redirect_url": "http://127.0.0.1:8080/signin/oidc/callback",
        "roles": [{"claims": {"groups": "steward-reviewers"}, "role": "reviewer"}]
    }))
    .unwrap();
    let options = steward_portal::oidc::SignInOptions::from_config(&steward_catalog::config::PortalConfig {
        token_signin: true,
        oidc: Some(oidc),
    })
    .unwrap();
    app.router = steward_portal::router_with(app.state.clone(), options).merge(api::router(app.state.clone()));
    let session = |sub: &str, sid: &str| NewSession {
        issuer: idp.url.clone(),
        subject: sub.into(),
        display_name: sub.into(),
        email: String::new(),
        roles: vec![HeldRole { role: Role::Reviewer, scopes: vec![] }],
        provider_sid: Some(sid.into()),
    };
    let hours = chrono::Duration::hours(1);
    let rita1 = app.service.start_portal_session(&session("rita", "sid-1"), hours).await.unwrap();
    let rita2 = app.service.start_portal_session(&session("rita", "sid-2"), hours).await.unwrap();
    let rob = app.service.start_portal_session(&session("rob", "sid-3"), hours).await.unwrap();
    let live = |s: String| {
        let service = app.service.clone();
        async move { service.portal_session(&s).await.unwrap().is_some() }
    };
    let event = json!({"http://schemas.openid.net/event/backchannel-logout": {}});
    let claims = |extra: serde_json::Value| {
        let mut c = json!({"iss": idp.url, "aud": "steward-portal", "iat": now(), "jti": "j1", "events": event});
        c.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        c
    };
    let post = |token: String| {
        let app = &app;
        async move { app.post("/signin/oidc/backchannel-logout", None, &format!("logout_token={token}")).await }
    };

    // Refused, and nothing ends: each breaks one rule of section 2.6.
    let bad = [
        ("a nonce", rsa_a().sign(&claims(json!({"sid": "sid-1", "nonce": "n"})))),
        (
            "no logout event",
            rsa_a().sign(&{
                let mut c = claims(json!({"sid": "sid-1"}));
                c["events"] = json!({});
                c
            }),
        ),
        ("neither sub nor sid", rsa_a().sign(&claims(json!({})))),
        ("another audience", rsa_a().sign(&claims(json!({"sid": "sid-1", "aud": "someone-else"})))),
        ("issued an hour ago", rsa_a().sign(&claims(json!({"sid": "sid-1", "iat": now() - 3600})))),
        ("a key the provider does not publish", rsa_b().sign(&claims(json!({"sid": "sid-1"})))),
        ("not a JWT", "nonsense".to_owned()),
    ];
    for (what, token) in bad {
        let page = post(token).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{what}: {}", page.body);
        assert_eq!(page.body, r#"{"error":"invalid_request"}"#, "{what}: no reason in the body");
        assert_eq!(page.headers.get("cache-control").unwrap(), "no-store");
    }
    assert!(live(rita1.clone()).await && live(rita2.clone()).await && live(rob.clone()).await);

    // By `sid`: that session only.
    let ok = post(rsa_a().sign(&claims(json!({"sid": "sid-1"})))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert!(!live(rita1).await && live(rita2.clone()).await && live(rob.clone()).await);
    // By `sub`: every session of that person; a replay changes nothing more.
    for _ in 0..2 {
        let ok = post(rsa_a().sign(&claims(json!({"sub": "rita"})))).await;
        assert_eq!(ok.status, StatusCode::OK);
    }
    assert!(!live(rita2).await && live(rob).await);
}
