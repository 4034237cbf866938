//! The Python SDK's tests (sdk/python/tests, pytest) against this build's
//! `steward` binary: the fixtures start `steward serve` on a temp data dir,
//! mint tokens, approve the example contract and run every SDK operation,
//! the error mapping, retries through a failing proxy and a real signed
//! webhook delivery.
//!
//! Needs python3 with pytest and httpx (`scripts/test` installs the pinned
//! versions). Missing, the test is skipped, or fails under
//! `STEWARD_TEST_REQUIRE_SERVICES=1`.

mod common;

use std::process::Command;

fn python_has(modules: &str) -> Result<(), String> {
    match Command::new("python3").args(["-c", &format!("import {modules}")]).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
        Err(e) => Err(format!("python3: {e}")),
    }
}

#[test]
fn python_sdk_tests_pass_against_the_real_binary() {
    if let Err(why) = python_has("pytest, httpx") {
        steward_testkit::missing_service(
            "pytest and httpx",
            &format!("{why} (python3 -m pip install pytest httpx; scripts/test pins them)"),
        );
        return;
    }
    let root = steward_testkit::repo_root();
    let sdk = root.join("sdk/python");
    let mut pytest = Command::new("python3");
    pytest
        .args(["-m", "pytest", "tests", "-q", "-p", "no:cacheprovider"])
        .current_dir(&sdk)
        .env("STEWARD_BIN", env!("CARGO_BIN_EXE_steward"))
        .env("PYTHONPATH", sdk.join("src"))
        .env("PYTHONDONTWRITEBYTECODE", "1");
    common::pytest_passes(pytest, "the Python SDK");
}
