//! Workload-identity verification against a real local issuer (HTTP
//! discovery + JWKS, `steward_testkit::identity`) with TEST-ONLY keys.
//!
//! Specs the cases come from:
//! - RFC 7519 (JWT) section 4.1: `iss` (4.1.1), `sub` (4.1.2), `aud`
//!   (4.1.3), `exp` (4.1.4), `nbf` (4.1.5); section 7.2 validation steps.
//! - RFC 7515 (JWS): the compact serialization (7.1), `alg` (4.1.1),
//!   `kid` (4.1.4), signature validation (5.2).
//! - RFC 8725 (JWT BCP): algorithm verification (3.1: never `none`, an
//!   allowlist), algorithm confusion (2.1: HMAC keyed with the RSA public key).
//! - GitHub's "About security hardening with OpenID Connect": the token's
//!   `sub` (`repo:<owner>/<repo>:ref:<ref>`), `repository`, `ref`,
//!   `environment`, and an `aud` the workflow requests.

use std::time::Duration;

use serde_json::{Value, json};
use steward_identity::{IssuerConfig, Role, Rule, Verifier, VerifyError};
use steward_testkit::identity::{
    TestIssuer, ec_p256, github_claims, hs256_with_public_key, now, rsa_a, rsa_b, tampered, unsigned,
};

fn main_branch_rule() -> Rule {
    Rule {
        claims: [("repository".to_owned(), "acme/orders".to_owned()), ("ref".to_owned(), "refs/heads/main".to_owned())]
            .into(),
        role: Role::Producer,
        scopes: vec!["sales".into()],
    }
}

fn config(issuer: &TestIssuer) -> IssuerConfig {
    let mut c = IssuerConfig::new(issuer.url.clone(), "steward");
    c.rules.push(main_branch_rule());
    c
}

fn claims(issuer: &TestIssuer) -> Value {
    github_claims(&issuer.url, "steward", "acme/orders", "refs/heads/main")
}

async fn refused(v: &Verifier, token: &str) -> VerifyError {
    v.verify(token).await.expect_err("the token must be refused")
}

#[tokio::test]
async fn valid_rs256_and_es256_tokens_map_to_the_rule_s_role() {
    let (a, ec) = (rsa_a(), ec_p256());
    let issuer = TestIssuer::start(&[&a, &ec]).await;
    let v = Verifier::new(vec![config(&issuer)]).unwrap();
    for key in [&a, &ec] {
        let id = v.verify(&key.sign(&claims(&issuer))).await.unwrap();
        assert_eq!(id.subject, "repo:acme/orders:ref:refs/heads/main");
        assert_eq!(id.issuer, issuer.url);
        assert_eq!((id.role, id.scopes.clone(), id.rule), (Role::Producer, vec!["sales".to_owned()], 0));
        assert!(id.expires_at > now());
    }
    // Found through discovery (OIDC Discovery 1.0 section 4), fetched once.
    assert_eq!((issuer.discovery_fetches(), issuer.jwks_fetches()), (1, 1));
    assert_eq!(v.jwks_fetches(&issuer.url), 1);
}

#[tokio::test]
async fn each_bad_token_is_refused_with_its_reason() {
    let a = rsa_a();
    let issuer = TestIssuer::start(&[&a]).await;
    let v = Verifier::new(vec![config(&issuer)]).unwrap();
    let good = claims(&issuer);
    v.verify(&a.sign(&good)).await.expect("the baseline token verifies");
    let with = |patch: Value| {
        let mut c = good.clone();
        for (k, val) in patch.as_object().unwrap() {
            c[k] = val.clone();
        }
        c
    };

    // RFC 7519 section 4.1.3: `aud` must hold one of ours.
    assert_eq!(refused(&v, &a.sign(&with(json!({"aud": "someone-else"})))).await, VerifyError::WrongAudience);
    assert_eq!(refused(&v, &a.sign(&with(json!({"aud": ["x", "y"]})))).await, VerifyError::WrongAudience);
    assert!(v.verify(&a.sign(&with(json!({"aud": ["x", "steward"]})))).await.is_ok(), "one of several is enough");
    // RFC 7519 section 4.1.1: `iss` must be a trusted issuer, exactly.
    assert_eq!(
        refused(&v, &a.sign(&with(json!({"iss": "https://evil.example"})))).await,
        VerifyError::WrongIssuer("https://evil.example".into())
    );
    let slash = format!("{}/", issuer.url);
    assert_eq!(refused(&v, &a.sign(&with(json!({"iss": slash})))).await, VerifyError::WrongIssuer(slash));
    // RFC 7519 section 4.1.4: expired beyond the 60 s leeway; within it, accepted.
    let t = now();
    assert_eq!(
        refused(&v, &a.sign(&with(json!({"exp": t - 61, "iat": t - 400, "nbf": t - 400})))).await,
        VerifyError::Expired
    );
    assert!(v.verify(&a.sign(&with(json!({"exp": t - 30})))).await.is_ok(), "within the leeway");
    // RFC 7519 section 4.1.5: not before.
    assert_eq!(refused(&v, &a.sign(&with(json!({"nbf": t + 120})))).await, VerifyError::NotYetValid);
    assert!(v.verify(&a.sign(&with(json!({"nbf": t + 30})))).await.is_ok(), "within the leeway");
    // Required claims.
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_eq!(refused(&v, &a.sign(&no_exp)).await, VerifyError::MissingClaim("exp".into()));
    let mut no_sub = good.clone();
    no_sub.as_object_mut().unwrap().remove("sub");
    assert_eq!(refused(&v, &a.sign(&no_sub)).await, VerifyError::MissingClaim("sub".into()));

    // RFC 8725 section 3.1: `alg: none` is refused, with or without a signature segment.
    for sig in ["", "AAAA"] {
        let e = refused(&v, &unsigned("key-a", &good, sig)).await;
        assert_eq!(e, VerifyError::AlgorithmNotAllowed("none".into()), "signature segment {sig:?}");
    }
    // RFC 8725 section 2.1: HS256 keyed with the RSA public key is refused
    // before any key is used.
    assert_eq!(
        refused(&v, &hs256_with_public_key("key-a", &good)).await,
        VerifyError::AlgorithmNotAllowed("HS256".into())
    );
    // RFC 7515 section 4.1.4: a `kid` the JWKS does not hold.
    assert_eq!(
        refused(&v, &a.sign_as("no-such-key", &good)).await,
        VerifyError::UnknownKeyId(Some("no-such-key".into()), issuer.url.clone())
    );
    // RFC 7515 section 5.2: a payload changed after signing fails the signature.
    let token = a.sign(&good);
    let forged = tampered(
        &token,
        &with(
            json!({"repository": "acme/orders", "ref": "refs/heads/main", "sub": "repo:acme/orders:ref:refs/heads/main", "environment": "admin"}),
        ),
    );
    assert_eq!(refused(&v, &forged).await, VerifyError::BadSignature);
    // A token signed by another key under our kid.
    assert_eq!(refused(&v, &rsa_b().sign_as("key-a", &good)).await, VerifyError::BadSignature);
    // Not a JWT at all.
    assert!(matches!(refused(&v, "stw_0123").await, VerifyError::Malformed(_)));
    assert!(matches!(refused(&v, "a.b.c").await, VerifyError::Malformed(_)));
    assert!(matches!(refused(&v, &"a".repeat(20_000)).await, VerifyError::Malformed(_)));

    // A valid token of another branch: no rule, refused.
    let dev = github_claims(&issuer.url, "steward", "acme/orders", "refs/heads/dev");
    assert!(matches!(refused(&v, &a.sign(&dev)).await, VerifyError::NoMatchingRule { .. }));
    // A subject that could forge a git author line.
    assert!(matches!(refused(&v, &a.sign(&with(json!({"sub": "x <evil@example>"})))).await, VerifyError::Malformed(_)));

    // None of that hammered the issuer: one discovery, one JWKS fetch (the
    // unknown kid came within the 30 s refetch interval).
    assert_eq!((issuer.discovery_fetches(), issuer.jwks_fetches()), (1, 1));
}

#[tokio::test]
async fn a_key_rotation_at_the_issuer_is_picked_up_without_restart() {
    let (a, b) = (rsa_a(), rsa_b());
    let issuer = TestIssuer::start(&[&a]).await;
    let mut c = config(&issuer);
    c.refetch_interval_secs = 1;
    let v = Verifier::new(vec![c]).unwrap();
    v.verify(&a.sign(&claims(&issuer))).await.unwrap();
    // The issuer rotates: key-b only. A token naming key-b triggers a refetch.
    issuer.set_keys(&[&b]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let id = v.verify(&b.sign(&claims(&issuer))).await.expect("the new key is fetched on its unknown kid");
    assert_eq!(id.role, Role::Producer);
    assert_eq!(issuer.jwks_fetches(), 2);
    // The cache now holds the new set only: key-a is gone at the next refetch chance.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(matches!(refused(&v, &a.sign(&claims(&issuer))).await, VerifyError::UnknownKeyId(..)));
}

#[tokio::test]
async fn an_unknown_kid_flood_refetches_at_most_once_per_interval() {
    let a = rsa_a();
    let issuer = TestIssuer::start(&[&a]).await;
    let mut c = config(&issuer);
    c.refetch_interval_secs = 2;
    let v = std::sync::Arc::new(Verifier::new(vec![c]).unwrap());
    // Signed before the clock starts: 200 RSA signatures on a loaded machine
    // could outlast the 2 s interval and turn "within it" into "after it".
    let junk: Vec<String> = (0..200).map(|i| a.sign_as(&format!("junk-{i}"), &claims(&issuer))).collect();
    v.verify(&a.sign(&claims(&issuer))).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 1);
    let flood = |n: usize| {
        let tasks: Vec<_> = junk[..n]
            .iter()
            .map(|token| {
                let (v, token) = (v.clone(), token.clone());
                tokio::spawn(async move { v.verify(&token).await })
            })
            .collect();
        async move {
            for t in tasks {
                assert!(matches!(t.await.unwrap(), Err(VerifyError::UnknownKeyId(..))));
            }
        }
    };
    // Within the interval of the first fetch: no refetch at all.
    flood(200).await;
    assert_eq!(issuer.jwks_fetches(), 1);
    // After it: 200 concurrent junk kids cost the issuer one request.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    flood(200).await;
    assert_eq!(issuer.jwks_fetches(), 2);
    flood(50).await;
    assert_eq!(issuer.jwks_fetches(), 2);
    // Valid tokens kept working throughout from the cache.
    v.verify(&a.sign(&claims(&issuer))).await.unwrap();
}

#[tokio::test]
async fn cache_control_max_age_sets_the_ttl() {
    let a = rsa_a();
    let issuer = TestIssuer::start(&[&a]).await;
    issuer.set_cache_control(Some("public, max-age=1"));
    let mut c = config(&issuer);
    c.refetch_interval_secs = 1;
    c.jwks_uri = Some(format!("{}/jwks", issuer.url));
    let v = Verifier::new(vec![c]).unwrap();
    v.verify(&a.sign(&claims(&issuer))).await.unwrap();
    v.verify(&a.sign(&claims(&issuer))).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 1, "fresh: from the cache");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    v.verify(&a.sign(&claims(&issuer))).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 2, "expired after max-age: refetched");
    // A configured jwks_uri needs no discovery.
    assert_eq!(issuer.discovery_fetches(), 0);
}

#[tokio::test]
async fn an_unreachable_issuer_is_unavailable_not_a_refusal() {
    // A port nothing listens on (bound, then dropped).
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let mut c = IssuerConfig::new(url.clone(), "steward");
    c.rules.push(main_branch_rule());
    let v = Verifier::new(vec![c]).unwrap();
    let e = refused(&v, &rsa_a().sign(&github_claims(&url, "steward", "acme/orders", "refs/heads/main"))).await;
    assert!(e.is_unavailable(), "{e:?}");
}

#[test]
fn configs_with_none_or_hmac_are_refused() {
    let mut c = IssuerConfig::new("https://token.actions.githubusercontent.com", "steward");
    c.rules.push(main_branch_rule());
    c.algorithms = vec!["HS256".into()];
    assert!(Verifier::new(vec![c.clone()]).unwrap_err().to_string().contains("never allowed"));
    c.algorithms = vec!["none".into()];
    assert!(Verifier::new(vec![c]).unwrap_err().to_string().contains("never allowed"));
}
