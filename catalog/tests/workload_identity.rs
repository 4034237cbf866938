//! Workload identity through the real router (`tower::ServiceExt::oneshot`):
//! a JWT of a trusted issuer (a local issuer serving a JWKS of TEST-ONLY
//! keys over HTTP) authenticates as the role its rule gives; every bad token
//! is a 401 with the generic body `invalid token` and its reason in the log.
//!
//! Specs: RFC 7519 section 4.1 (registered claims `iss`, `sub`, `aud`,
//! `exp`, `nbf`); RFC 7515 (JWS: `alg`, `kid`, signature validation);
//! RFC 8725 sections 2.1 and 3.1 (algorithm confusion, `none`); RFC 6750
//! section 3.1 (401 for an invalid token); GitHub's OIDC token claims
//! ("About security hardening with OpenID Connect": `sub`, `repository`, `ref`).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{Value, json};
use steward_identity::{IssuerConfig, Role, Rule, Verifier};
use steward_testkit::identity::{
    TestIssuer, github_claims, hs256_with_public_key, now, rsa_a, rsa_b, tampered, unsigned,
};

/// The log lines of the test's thread (the test runtime is current-thread,
/// so the service's warnings are emitted here).
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Log {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

impl std::io::Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn config(issuer: &TestIssuer) -> IssuerConfig {
    let mut c = IssuerConfig::new(issuer.url.clone(), "steward");
    c.refetch_interval_secs = 1;
    c.rules.push(Rule {
        claims: [("repository".to_owned(), "acme/orders".to_owned()), ("ref".to_owned(), "refs/heads/main".to_owned())]
            .into(),
        role: Role::Producer,
        scopes: vec!["sales".into()],
    });
    c
}

#[tokio::test]
async fn workload_tokens_authenticate_and_bad_ones_are_401_with_the_reason_only_in_the_log() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::WARN)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (a, b) = (rsa_a(), rsa_b());
    let issuer = TestIssuer::start(&[&a]).await;
    let app = TestApp::builder("sqlite").identity(Verifier::new(vec![config(&issuer)]).unwrap()).start().await;
    let good = github_claims(&issuer.url, "steward", "acme/orders", "refs/heads/main");
    let subject = "repo:acme/orders:ref:refs/heads/main";
    let actor = format!("{subject} ({})", issuer.url);

    // A valid token: a producer of `sales` submits with no stored secret.
    let (s, body) = app.submit(&a.sign(&good), &steward_testkit::sales_orders()).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["submitted_by"], actor.as_str());
    let (s, audit) = app.call("GET", "/api/v1/audit?action=proposal.submit", Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    assert_eq!(audit[0]["actor"], actor.as_str(), "the audit names subject and issuer: {audit}");
    // Steward tokens work as before beside JWTs.
    let (s, _) = app.call("GET", "/api/v1/proposals", Some(&app.reviewer), None).await;
    assert_eq!(s, StatusCode::OK);
    // The rule's scope holds: not a producer of `hr`.
    let hr = steward_testkit::sales_orders().replace("domain: sales", "domain: hr");
    assert_ne!(hr, steward_testkit::sales_orders(), "the example names its domain");
    let (s, body) = app.submit(&a.sign(&good), &hr).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(log.take().is_empty(), "nothing warned so far");

    let with = |patch: Value| {
        let mut c = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let t = now();
    let cases: Vec<(&str, String, &str)> = vec![
        ("wrong aud (RFC 7519 4.1.3)", a.sign(&with(json!({"aud": "other"}))), "wrong audience"),
        ("wrong iss (RFC 7519 4.1.1)", a.sign(&with(json!({"iss": "https://evil.example"}))), "wrong issuer"),
        ("expired (RFC 7519 4.1.4)", a.sign(&with(json!({"exp": t - 120, "nbf": t - 600}))), "expired"),
        ("not yet valid (RFC 7519 4.1.5)", a.sign(&with(json!({"nbf": t + 600}))), "not yet valid"),
        ("alg none (RFC 8725 3.1)", unsigned("key-a", &good, ""), "algorithm `none` is not allowed"),
        (
            "HS256 keyed with the public key (RFC 8725 2.1)",
            hs256_with_public_key("key-a", &good),
            "algorithm `HS256` is not allowed",
        ),
        ("unknown kid (RFC 7515 4.1.4)", a.sign_as("kid-nobody-knows", &good), "unknown key id"),
        (
            "tampered payload (RFC 7515 5.2)",
            tampered(&a.sign(&good), &with(json!({"ref": "refs/heads/main", "environment": "prod"}))),
            "bad signature",
        ),
        (
            "no matching rule",
            a.sign(&github_claims(&issuer.url, "steward", "acme/orders", "refs/heads/dev")),
            "no rule",
        ),
    ];
    for (what, token, reason) in cases {
        let (s, body) = app.submit(&token, &steward_testkit::sales_orders()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}: {body}");
        // The same generic body for every reason (RFC 6750 section 3.1 `invalid_token`).
        assert_eq!(body, json!({"error": "unauthorized", "message": "invalid token"}), "{what}");
        assert!(!body.to_string().contains(reason), "{what}");
        let logged = log.take();
        assert!(logged.contains("WARN") && logged.contains("workload token refused"), "{what}: {logged}");
        assert!(logged.contains(reason), "{what}: the log names the reason `{reason}`: {logged}");
    }

    // Key rotation at the issuer: key-b only; a token naming key-b is
    // accepted without a restart (after the 1 s refetch interval).
    issuer.set_keys(&[&b]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (s, body) = app.call("GET", "/api/v1/proposals", Some(&b.sign(&good)), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(issuer.jwks_fetches(), 2, "one fetch at start, one for the new kid");
}

#[tokio::test]
async fn without_trusted_issuers_a_jwt_is_just_an_unknown_token() {
    let a = rsa_a();
    let issuer = TestIssuer::start(&[&a]).await;
    let app = TestApp::start("sqlite").await;
    let token = a.sign(&github_claims(&issuer.url, "steward", "acme/orders", "refs/heads/main"));
    let (s, body) = app.call("GET", "/api/v1/proposals", Some(&token), None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body.to_string().contains("unknown or revoked token"), "{body}");
    assert_eq!(issuer.jwks_fetches(), 0, "no issuer is consulted");
}
