//! The README's "first hour" is a test: its quickstart block runs command by
//! command in bash against the real `steward serve`, on SQLite and
//! PostgreSQL, with the binary this build made first on PATH. A command that
//! exits other than the README says (`# exits N`, default 0) fails the test
//! naming the line. Afterwards: the `_SUCCESS` marker (0 bytes) is under the
//! data dir and the webhook arrived, signed with the secret the README's
//! subscription printed.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{STEWARD, start_with};

/// The lines of the README block after the quickstart marker.
fn quickstart() -> Vec<(usize, String)> {
    let readme = std::fs::read_to_string(steward_testkit::repo_root().join("README.md")).unwrap();
    let mut lines = readme.lines().enumerate().skip_while(|(_, l)| !l.starts_with("<!-- quickstart:"));
    lines.next().expect("README has the quickstart marker");
    let (_, fence) = lines.next().expect("a code block follows the marker");
    assert_eq!(fence.trim(), "```sh", "the quickstart marker is followed by a sh block");
    lines.take_while(|(_, l)| l.trim() != "```").map(|(n, l)| (n + 1, l.to_owned())).collect()
}

/// The commands of the block as one bash script that checks each exit code.
fn script(lines: &[(usize, String)]) -> String {
    let mut out = String::from("set -u\n");
    for (line, text) in lines {
        let command = text.trim();
        if command.is_empty() || command.starts_with('#') {
            continue;
        }
        let expected = command
            .split_once("# exits ")
            .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse::<i32>().ok())
            .unwrap_or(0);
        let shown = command.replace('\'', "'\\''");
        out.push_str(&format!(
            "echo '$ {shown}'\n{command}\nrc=$?\nif [ $rc -ne {expected} ]; then echo \"README.md:{line}: exited $rc, expected {expected}\" >&2; exit 90; fi\n"
        ));
    }
    out
}

fn run_readme(database_url: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let sink = runtime.block_on(steward_notify::testing::WebhookSink::start());
    // As the README starts it: embedded defaults in ./steward-data, loopback webhooks allowed.
    let server =
        start_with(&dir.path().join("steward-data"), database_url, &[("STEWARD__WEBHOOKS__ALLOW_PRIVATE", "true")]);
    let bin_dir = Path::new(STEWARD).parent().unwrap();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());

    let out = Command::new("bash")
        .arg("-c")
        .arg(script(&quickstart()))
        .current_dir(dir.path())
        .env("PATH", path)
        .env("STEWARD_URL", &server.url)
        .env("HOOK_URL", sink.url("/steward"))
        .env_remove("STEWARD_TOKEN")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "the README's quickstart failed\n{stdout}\n{stderr}");

    // What a new user expects to see along the way.
    for expected in ["proposal 1 for sales.orders 0.1.0 is pending_review", "published", "2.0.0", "republished"] {
        assert!(stdout.contains(expected), "`{expected}` not in the output:\n{stdout}\n{stderr}");
    }

    let marker = dir.path().join("steward-data/lake/sales/orders/orders/dt=2026-11-21/_SUCCESS");
    assert_eq!(std::fs::metadata(&marker).map(|m| m.len()).ok(), Some(0), "{} is a 0-byte file", marker.display());

    let secret = stdout
        .split_whitespace()
        .find(|w| w.starts_with("whsec_"))
        .unwrap_or_else(|| panic!("the subscription printed its signing secret:\n{stdout}"));
    let received = runtime.block_on(sink.wait_for(1, Duration::from_secs(20)));
    assert_eq!(received.len(), 1, "one webhook for the one refresh");
    let hook = &received[0];
    let signature = hook.header("steward-signature").expect("signed");
    let now = chrono::Utc::now().timestamp();
    steward_notify::verify_signature(secret, signature, &hook.body, now, 300).expect("the signature verifies");
    let event: serde_json::Value = serde_json::from_slice(&hook.body).unwrap();
    assert_eq!(event["product"], "sales.orders");
    assert_eq!(event["partition"], "dt=2026-11-21");
}

#[test]
fn readme_quickstart_on_sqlite() {
    run_readme(None);
}

#[test]
fn readme_quickstart_on_postgres() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let Some(db) = runtime.block_on(steward_testkit::postgres()) else {
        return;
    };
    run_readme(Some(db.url()));
}

#[test]
fn the_quickstart_block_is_found_and_checks_exit_codes() {
    let lines = quickstart();
    assert!(lines.len() > 20, "{lines:?}");
    let script = script(&lines);
    assert!(script.contains("expected 1"), "the refused breaking change is expected to exit 1");
    assert!(script.contains("steward rebuild-catalog") || script.contains("steward admin rebuild-catalog"));
}
