//! The Airflow provider's tests (sdk/airflow/tests, pytest) in the Airflow
//! venv (`STEWARD_AIRFLOW_VENV`, default /var/tmp/steward-airflow-venv; made
//! by `scripts/test` from sdk/airflow/constraints-3.11.txt) against this
//! build's `steward` binary: provider registration through its entry point,
//! the operator in DAG runs (templated partition, retries replay), the sensor
//! poking and deferred, the trigger, and the example DAGs under
//! `airflow dags test`.
//!
//! The SDK and the provider are installed (no dependencies, no index) into a
//! temporary directory first, so the test also checks that both package and
//! that the provider's entry point is declared. A missing venv skips the
//! test, or fails it under `STEWARD_TEST_REQUIRE_SERVICES=1`.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn venv() -> PathBuf {
    std::env::var_os("STEWARD_AIRFLOW_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/steward-airflow-venv"))
}

#[test]
fn airflow_provider_tests_pass_against_the_real_binary() {
    let venv = venv();
    let python = venv.join("bin/python");
    let probe = Command::new(&python).args(["-c", "import airflow, pytest, httpx, hatchling"]).output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            let why = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            steward_testkit::missing_service(
                "the Airflow venv",
                &format!("{}: {why} (scripts/test makes it)", venv.display()),
            );
            return;
        }
        Err(e) => {
            steward_testkit::missing_service(
                "the Airflow venv",
                &format!("{}: {e} (scripts/test makes it)", python.display()),
            );
            return;
        }
    }
    let root = steward_testkit::repo_root();
    let site = tempfile::tempdir().unwrap();
    let install = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--no-index"])
        .args(["--no-build-isolation", "--target"])
        .arg(site.path())
        .arg(root.join("sdk/python"))
        .arg(root.join("sdk/airflow"))
        .output()
        .expect("pip runs");
    assert!(
        install.status.success(),
        "installing steward-client and airflow-provider-steward failed:\n{}{}",
        String::from_utf8_lossy(&install.stdout),
        String::from_utf8_lossy(&install.stderr)
    );

    let mut path = std::ffi::OsString::from(venv.join("bin"));
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    let mut pytest = Command::new(&python);
    pytest
        .args(["-m", "pytest", "tests", "-q", "-s"])
        .current_dir(root.join("sdk/airflow"))
        .env("STEWARD_BIN", env!("CARGO_BIN_EXE_steward"))
        .env("PYTHONPATH", site.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PATH", path);
    common::pytest_passes(pytest, "the Airflow provider");
}
