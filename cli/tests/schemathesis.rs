//! Property-based API testing with Schemathesis: the real `steward serve` on
//! PostgreSQL, driven from `docs/openapi.json` with a producer's and an
//! admin's token, must answer no request with a 5xx and every request with a
//! status, content type and body its OpenAPI document promises.
//!
//! Needs `schemathesis` (PyPI; `.ci/run` installs it). Bounded by
//! `--max-examples` and `--max-time` per token so the test stays in minutes.

mod common;

use std::process::Command;

use common::{ok, start_with, token};

/// Seconds of Schemathesis per token.
const BUDGET_SECS: &str = "50";

fn schemathesis() -> Option<String> {
    for bin in ["schemathesis", "st"] {
        if Command::new(bin).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return Some(bin.to_owned());
        }
    }
    None
}

#[test]
fn the_api_keeps_its_openapi_promises_under_schemathesis() {
    let Some(bin) = schemathesis() else {
        steward_testkit::missing_service(
            "schemathesis",
            "`schemathesis` is not on PATH (python3 -m pip install schemathesis)",
        );
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let Some(url) = runtime.block_on(steward_testkit::postgres()) else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(&dir.path().join("data"), Some(&url), &[]);
    let admin = std::fs::read_to_string(server.data.join("admin.token")).unwrap().trim().to_owned();
    let producer = token(&server, &admin, &["--name", "paul", "--role", "producer", "--domain", "sales"]);
    // Something to find: a published product, so reads reach real rows.
    let contract = steward_testkit::repo_root().join("examples/sales-orders.odcs.yaml");
    ok(common::cli(&server, &producer, &["submit", contract.to_str().unwrap()]));
    let reviewer = token(&server, &admin, &["--name", "rita", "--role", "reviewer"]);
    ok(common::cli(&server, &reviewer, &["proposals", "approve", "1", "--comment", "ok"]));

    let spec = steward_testkit::repo_root().join("docs/openapi.json");
    let mut failures = Vec::new();
    for (who, secret) in [("producer", &producer), ("admin", &admin)] {
        let report = dir.path().join(format!("report-{who}"));
        let out = Command::new(&bin)
            .arg("run")
            .arg(&spec)
            .args(["--url", &server.url])
            .args(["--header", &format!("Authorization: Bearer {secret}")])
            .args([
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            ])
            .args(["--max-examples", "25", "--max-time", BUDGET_SECS, "--seed", "20261121"])
            // One worker: Python 3.11's parser is not thread-safe (hypothesis
            // describes filters with `ast.parse`, "AST constructor recursion depth mismatch").
            .args(["--workers", "1", "--request-timeout", "10", "--no-color", "--generation-database", "none"])
            .args(["--report", "junit", "--report-dir"])
            .arg(&report)
            .env("SCHEMATHESIS_TELEMETRY", "false")
            .current_dir(dir.path())
            .output()
            .expect("schemathesis runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        eprintln!(
            "== schemathesis as {who}: exit {:?}\n{stdout}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            failures.push(format!("as {who}: exit {:?}", out.status.code()));
        }
    }
    assert!(failures.is_empty(), "schemathesis found problems (output above): {failures:?}");
}
