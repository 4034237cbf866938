//! The real `steward` binary, for end-to-end tests: start `serve` on a temp
//! data dir (with extra environment, e.g. backends), run CLI commands.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const STEWARD: &str = env!("CARGO_BIN_EXE_steward");

pub struct Server {
    pub child: Child,
    pub url: String,
    pub data: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(data: &Path, database_url: Option<&str>) -> Server {
    start_with(data, database_url, &[])
}

/// Starts `steward serve` with extra environment (`STEWARD__...` settings).
pub fn start_with(data: &Path, database_url: Option<&str>, env: &[(&str, &str)]) -> Server {
    let mut cmd = Command::new(STEWARD);
    cmd.env("STEWARD_LOG", "warn").envs(env.iter().copied());
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"]).arg(data);
    if let Some(url) = database_url {
        cmd.args(["--database-url", url]);
    }
    let mut child = cmd.stderr(Stdio::piped()).stdout(Stdio::null()).spawn().expect("steward serve starts");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines.next().expect("serve printed its address before exiting").unwrap();
        if let Some(rest) = line.strip_prefix("steward: serving on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe, and
    // echo it: the thread inherits the test's output capture, so a failing
    // test shows what the server logged and a passing one stays quiet.
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            eprintln!("[steward serve] {line}");
        }
    });
    Server { child, url, data: data.to_owned() }
}

pub fn cli(server: &Server, token: &str, args: &[&str]) -> Output {
    Command::new(STEWARD)
        .args(args)
        .env("STEWARD_URL", &server.url)
        .env("STEWARD_TOKEN", token)
        .output()
        .expect("steward runs")
}

/// Writes the contract `steward init --domain sales --product orders` makes
/// (the one the README starts from) to `path`.
pub fn init_contract(path: &Path) {
    let init = Command::new(STEWARD)
        .args(["init", "--domain", "sales", "--product", "orders", "--output"])
        .arg(path)
        .output()
        .expect("steward runs");
    assert_eq!(init.status.code(), Some(0), "{}", String::from_utf8_lossy(&init.stderr));
}

pub fn ok(out: Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(0), "stdout: {text}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    text
}

pub fn token(server: &Server, admin: &str, args: &[&str]) -> String {
    let mut all = vec!["admin", "token", "create"];
    all.extend_from_slice(args);
    ok(cli(server, admin, &all)).trim().to_owned()
}

/// Runs a pytest command (stdout piped), echoing its report as it comes, and
/// asserts that it passed, ran something and skipped nothing: `what` names
/// the suite in the failure.
pub fn pytest_passes(mut pytest: Command, what: &str) {
    let mut child = pytest.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("pytest runs");
    let mut report = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        println!("{line}");
        report.push_str(&line);
        report.push('\n');
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "{what}: tests failed ({status}):\n{report}");
    assert!(report.contains(" passed"), "{what}: pytest ran no test:\n{report}");
    assert!(!report.contains(" skipped"), "{what}: no test may skip:\n{report}");
}
