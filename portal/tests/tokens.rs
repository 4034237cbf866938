//! The admin tokens page through the portal router: admins only, no
//! secrets, the revoke form needs CSRF, a revoked token's portal session
//! ends, and the last admin token stays.

mod common;

use axum::http::StatusCode;
use common::Portal;

fn admin_token(app: &Portal) -> String {
    std::fs::read_to_string(app.dir.path().join("admin.token")).unwrap().trim().to_owned()
}

#[tokio::test]
async fn admins_list_and_revoke_tokens_with_csrf() {
    let app = Portal::start().await;
    let admin = app.sign_in(&admin_token(&app)).await;
    let reviewer = app.sign_in(&app.reviewer).await;

    // The nav links the page for admins only.
    let home = app.get("/", Some(&admin)).await;
    assert!(home.body.contains(r#"href="/admin/tokens""#), "{}", home.body);
    let home = app.get("/", Some(&reviewer)).await;
    assert!(!home.body.contains("/admin/tokens"));

    let page = app.get("/admin/tokens", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for name in ["admin", "rita", "paul", "carla", "123456789012", "sales"] {
        assert!(page.body.contains(name), "{name} missing");
    }
    for secret in [admin_token(&app), app.reviewer.clone(), app.producer.clone()] {
        assert!(!page.body.contains(&secret[4..]), "a secret on the page");
    }
    assert!(page.body.contains(r#"action="/admin/tokens/rita/revoke""#), "{}", page.body);
    assert!(page.body.contains(r#"aria-current="page">Tokens"#));

    // Reviewers are refused by the service, page and form alike.
    let refused = app.get("/admin/tokens", Some(&reviewer)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("only admins list tokens"), "{}", refused.body);
    let csrf_r = app.get("/", Some(&reviewer)).await.csrf();
    let refused = app.post("/admin/tokens/paul/revoke", Some(&reviewer), &format!("csrf={csrf_r}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("only admins revoke tokens"), "{}", refused.body);

    // No CSRF token, or another session's: refused, nothing revoked.
    let none = app.post("/admin/tokens/rita/revoke", Some(&admin), "").await;
    assert_eq!(none.status, StatusCode::FORBIDDEN);
    let forged = app.post("/admin/tokens/rita/revoke", Some(&admin), &format!("csrf={csrf_r}")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(app.service.authenticate(&app.reviewer).await.unwrap().is_some());

    // Revoking rita ends her portal session at once.
    let done = app.post("/admin/tokens/rita/revoke", Some(&admin), &format!("csrf={}", page.csrf())).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/admin/tokens?revoked=rita");
    let after = app.get(done.location(), Some(&admin)).await;
    assert!(after.body.contains("Revoked `rita`"), "{}", after.body);
    assert!(!after.body.contains(r#"action="/admin/tokens/rita/revoke""#), "no button for a revoked token");
    let gone = app.get("/proposals", Some(&reviewer)).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert!(gone.location().starts_with("/signin"), "{}", gone.location());

    // A crafted link does not announce a revocation that did not happen.
    let fake = app.get("/admin/tokens?revoked=paul", Some(&admin)).await;
    assert!(!fake.body.contains("Revoked `paul`"));

    // Revoking again or the last admin: the list again, with the service's 409.
    let again = app.post("/admin/tokens/rita/revoke", Some(&admin), &format!("csrf={}", page.csrf())).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("already revoked"), "{}", again.body);
    let last = app.post("/admin/tokens/admin/revoke", Some(&admin), &format!("csrf={}", page.csrf())).await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert!(last.body.contains("last active admin token"), "{}", last.body);
    assert!(last.body.contains("<table"), "the list stays in view");

    // Audited with the admin's name.
    let root = app.service.authenticate(&admin_token(&app)).await.unwrap().unwrap();
    let filter = steward_catalog::service::admin::AuditFilter {
        action: Some("token.revoke".into()),
        limit: 10,
        ..Default::default()
    };
    let events = app.service.audit_log(&root, &filter).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].actor.as_str(), events[0].target.as_str()), ("admin", "token:rita"));
}
