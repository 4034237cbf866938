//! The official `openlineage-python` client (pinned in `scripts/test`)
//! against this build's `steward` binary on SQLite, over the client's HTTP
//! transport with a Steward token as its API key: the pytest file
//! `cli/tests/openlineage/test_openlineage_client.py` sends a `START` (no
//! refresh), a `COMPLETE` whose output is the `steward init` contract's table
//! (one refresh, its `_SUCCESS` marker; a replay changes nothing) and an
//! event whose output matches no product (accepted, lineage only). Here the
//! subscriber's webhook is checked: told once, signed.
//!
//! Needs python3 with pytest and openlineage-python. Missing, the test is
//! skipped, or fails under `STEWARD_TEST_REQUIRE_SERVICES=1`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{STEWARD, Server, cli, ok, start_with, token};
use steward_notify::testing::WebhookSink;

const ENV: &[(&str, &str)] = &[("STEWARD__WEBHOOKS__ALLOW_PRIVATE", "true"), ("STEWARD__OUTBOX__POLL_MS", "50")];

fn python_has(modules: &str) -> Result<(), String> {
    match Command::new("python3").args(["-c", &format!("import {modules}")]).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
        Err(e) => Err(format!("python3: {e}")),
    }
}

/// Publishes the `steward init` contract (sales.orders) and subscribes a
/// consumer's webhook at `hook`; returns the sales producer's token and the
/// webhook's signing secret.
fn publish_and_subscribe(srv: &Server, data: &Path, dir: &Path, hook: &str) -> (String, String) {
    let admin = std::fs::read_to_string(data.join("admin.token")).unwrap().trim().to_owned();
    let reviewer = token(srv, &admin, &["--name", "rita", "--role", "reviewer"]);
    let consumer = token(srv, &admin, &["--name", "carla", "--role", "consumer", "--account", "123456789012"]);
    let producer = token(srv, &admin, &["--name", "pipelines", "--role", "producer", "--domain", "sales"]);
    let contract = dir.join("orders.odcs.yaml");
    let init = Command::new(STEWARD)
        .args(["init", "--domain", "sales", "--product", "orders", "--output"])
        .arg(&contract)
        .output()
        .unwrap();
    assert_eq!(init.status.code(), Some(0), "{}", String::from_utf8_lossy(&init.stderr));
    ok(cli(srv, &producer, &["submit", contract.to_str().unwrap()]));
    ok(cli(srv, &reviewer, &["proposals", "approve", "1"]));
    let req = ["access", "request", "sales.orders", "--account", "123456789012", "--justification", "x"];
    if !ok(cli(srv, &consumer, &req)).contains("approved") {
        ok(cli(srv, &reviewer, &["access", "approve", "1"]));
    }
    let sub = ["subscriptions", "add", "sales.orders", "--account", "123456789012", "--webhook", hook];
    let out = ok(cli(srv, &consumer, &sub));
    let secret = out.split("signing secret").nth(1).and_then(|s| s.split_whitespace().last()).expect("secret printed");
    (producer, secret.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_openlineage_client_reports_a_refresh_over_its_http_transport() {
    if let Err(why) = python_has("pytest, openlineage.client") {
        steward_testkit::missing_service(
            "the openlineage-python client",
            &format!("{why} (python3 -m pip install pytest openlineage-python; scripts/test pins them)"),
        );
        return;
    }
    let hooks = WebhookSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let srv = start_with(&data, None, ENV);
    let (producer, secret) = publish_and_subscribe(&srv, &data, dir.path(), &hooks.url("/orders"));

    let tests = steward_testkit::repo_root().join("cli/tests/openlineage");
    let mut pytest = Command::new("python3");
    pytest
        .args(["-m", "pytest", "test_openlineage_client.py", "-q", "-p", "no:cacheprovider", "--rootdir", "."])
        .current_dir(&tests)
        .env("STEWARD_URL", &srv.url)
        .env("STEWARD_TOKEN", &producer)
        .env("STEWARD_DATA_DIR", &data)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // The transport is given in code; no ambient client configuration may replace it.
        .env_remove("OPENLINEAGE_CONFIG")
        .env_remove("OPENLINEAGE_URL")
        .env_remove("OPENLINEAGE_DISABLED");
    // pytest blocks this worker; the webhook sink keeps answering on the other.
    tokio::task::block_in_place(|| common::pytest_passes(pytest, "the openlineage-python client"));

    // The one refresh (the COMPLETE; its replay, the START and the
    // lineage-only event record none) told the subscriber once.
    let got = hooks.wait_for(1, Duration::from_secs(30)).await;
    assert_eq!(got.len(), 1, "webhook deliveries: {got:?}");
    let header = got[0].header(steward_notify::SIGNATURE_HEADER).expect("signed");
    steward_notify::verify_signature(&secret, header, &got[0].body, chrono::Utc::now().timestamp(), 300).unwrap();
    let event: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(
        (event["product"].as_str(), event["partition"].as_str()),
        (Some("sales.orders"), Some("dt=2026-11-21")),
        "{event}"
    );
    assert_eq!(event["marker"], "lake/sales/orders/orders/dt=2026-11-21/_SUCCESS");
    // Nothing more comes: the outbox has had time to send a second one.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(hooks.count(), 1, "exactly one webhook delivery");
}
