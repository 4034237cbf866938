//! Workload identity end to end: the real `steward serve` trusts a local
//! issuer (configured through `STEWARD__IDENTITY__TRUSTED_ISSUERS`, the
//! environment form), and a pipeline holding only a short-lived JWT in
//! `STEWARD_TOKEN` submits the contract `steward init` writes, as a GitHub
//! Actions job on `main` would (claims per GitHub's "About security
//! hardening with OpenID Connect"; checks per RFC 7519 section 4.1).

mod common;

use common::{cli, init_contract, ok, start_with};
use serde_json::{Value, json};
use steward_testkit::identity::{TestIssuer, github_claims, rsa_a};

// Multi-threaded: the issuer must answer the server's JWKS fetch while the
// test thread waits on a blocking `steward submit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ci_job_submits_with_its_oidc_token_and_the_audit_names_it() {
    let key = rsa_a();
    let issuer = TestIssuer::start(&[&key]).await;
    let trusted = json!([{
        "issuer": issuer.url,
        "audience": ["steward"],
        "rules": [{
            "claims": {"repository": "acme/orders", "ref": "refs/heads/main"},
            "role": "producer",
            "scopes": ["sales"],
        }],
    }]);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let srv = start_with(&data, None, &[("STEWARD__IDENTITY__TRUSTED_ISSUERS", trusted.to_string().as_str())]);
    let admin = std::fs::read_to_string(data.join("admin.token")).unwrap().trim().to_owned();

    let contract = dir.path().join("orders.odcs.yaml");
    init_contract(&contract);

    // A job on another branch: a valid token that no rule admits.
    let dev = key.sign(&github_claims(&issuer.url, "steward", "acme/orders", "refs/heads/dev"));
    let refused = cli(&srv, &dev, &["submit", contract.to_str().unwrap()]);
    assert_ne!(refused.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("invalid token") && !stderr.contains("rule"), "{stderr}");

    // The job on main: STEWARD_TOKEN holds its JWT, no Steward secret.
    let jwt = key.sign(&github_claims(&issuer.url, "steward", "acme/orders", "refs/heads/main"));
    let out = ok(cli(&srv, &jwt, &["submit", contract.to_str().unwrap()]));
    assert!(out.contains("sales.orders"), "{out}");

    // The audit names the workload: subject and issuer.
    let audit: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/audit?action=proposal.submit", srv.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let actor = audit[0]["actor"].as_str().unwrap_or_default();
    assert_eq!(actor, format!("repo:acme/orders:ref:refs/heads/main ({})", issuer.url), "{audit}");
    assert_eq!(issuer.jwks_fetches(), 1, "the key was fetched once and cached");
}
