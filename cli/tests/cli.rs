//! The real `steward` binary: exit codes, output formats, `init`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

const STEWARD: &str = env!("CARGO_BIN_EXE_steward");

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn steward(args: &[&str], dir: &Path) -> Output {
    Command::new(STEWARD).args(args).current_dir(dir).env_remove("STEWARD_POLICY").output().expect("steward runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn base() -> String {
    std::fs::read_to_string(examples().join("sales-orders.odcs.yaml")).unwrap()
}

#[test]
fn valid_examples_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = steward(&["validate", examples().to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("2 passed, 0 failed"), "{}", stdout(&out));
}

#[test]
fn findings_are_compiler_style_and_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), base().replace("  - name: order_lines", "  - name: OrderLines"))
        .unwrap();
    let out = steward(&["validate", "bad.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let line = line_of(&base(), "  - name: order_lines");
    assert!(
        text.contains(&format!("bad.yaml:{line}:11: error[STW006]: table name `OrderLines` is not lower snake case")),
        "{text}"
    );
    assert!(text.contains(&format!("{line} |   - name: OrderLines\n   |           ^")), "{text}");
}

#[test]
fn json_output_for_ci() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), base().replace("    type: s3\n", "    type: kafka\n")).unwrap();
    std::fs::write(dir.path().join("good.yaml"), base()).unwrap();
    let out = steward(&["validate", "--format", "json", "bad.yaml", "good.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["summary"]["failed"], 1);
    assert_eq!(v["summary"]["passed"], 1);
    let bad = &v["files"][0];
    assert_eq!(bad["file"], "bad.yaml");
    assert_eq!(bad["product"], "sales.orders");
    assert_eq!(bad["ok"], false);
    let f = bad["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "STW014").expect("STW014");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["path"], "servers[0].type");
    assert_eq!(f["line"], line_of(&base(), "    type: s3"));
    assert_eq!(f["column"], 11);
    assert_eq!(v["files"][1]["ok"], true);
}

#[test]
fn previous_version_reports_breaking_changes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.yaml"), base()).unwrap();
    let removed = base().replace("      - name: quantity\n        logicalType: integer\n        physicalType: int\n        description: Units ordered.\n        required: true\n        classification: internal\n", "");
    std::fs::write(dir.path().join("new.yaml"), removed.replace("version: 1.0.0", "version: 1.1.0")).unwrap();
    let out = steward(&["validate", "--previous", "old.yaml", "new.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("error[STW101]: column `order_lines.quantity` was removed"), "{}", stdout(&out));
    std::fs::write(dir.path().join("new.yaml"), removed.replace("version: 1.0.0", "version: 2.0.0")).unwrap();
    let out = steward(&["validate", "--previous", "old.yaml", "new.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("warning[STW101]"), "{}", stdout(&out));
}

/// A column renamed `order_id` → `id`: the removed column is in old.yaml, and
/// that is where the finding points, with old.yaml's line under it.
#[test]
fn removal_findings_point_into_the_previous_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.yaml"), base()).unwrap();
    let new = base().replace("      - name: order_id", "      - name: id").replace("version: 1.0.0", "version: 1.1.0");
    std::fs::write(dir.path().join("new.yaml"), &new).unwrap();
    let line = line_of(&base(), "      - name: order_id");
    let out = steward(&["validate", "--previous", "old.yaml", "new.yaml"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("old.yaml:{line}:9: error[STW101]: column `order_lines.order_id` was removed")),
        "{text}"
    );
    assert!(text.contains(&format!("{line} |       - name: order_id\n   |         ^")), "{text}");
    assert!(!text.contains("new.yaml:40:"), "{text}");

    let out = steward(&["validate", "--format", "json", "--previous", "old.yaml", "new.yaml"], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let findings = v["files"][0]["findings"].as_array().unwrap();
    let f = findings.iter().find(|f| f["rule"] == "STW101").expect("STW101");
    assert_eq!(
        (&f["file"], &f["source"], &f["line"], &f["column"]),
        (&"old.yaml".into(), &"previous".into(), &line.into(), &9.into())
    );
    assert_eq!(f["path"], "schema[0].properties[0]");
    assert_eq!(v["files"][0]["file"], "new.yaml");
}

#[test]
fn policy_files_override_only_what_they_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("c.yaml"), base().replace("        description: Units ordered.\n", "")).unwrap();
    // One line: STW005 (a missing column description) becomes an error; everything else stays.
    std::fs::write(d.join("strict.yaml"), "severity: {STW005: error}\n").unwrap();
    let out = steward(&["validate", "--policy", "strict.yaml", "c.yaml"], d);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("error[STW005]"), "{}", stdout(&out));
    // NUL must never reach the catalog: the file is refused, naming the rule.
    std::fs::write(d.join("lax.yaml"), "severity: {STW017: off}\n").unwrap();
    let out = steward(&["validate", "--policy", "lax.yaml", "c.yaml"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("lax.yaml") && stderr(&out).contains("STW017"), "{}", stderr(&out));
}

#[test]
fn malformed_inputs_exit_one_with_a_position() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty.yaml"), "").unwrap();
    std::fs::write(d.join("truncated.yaml"), &base()[..900]).unwrap();
    std::fs::write(d.join("huge.yaml"), format!("{}# {}\n", base(), "x".repeat(2 << 20))).unwrap();
    let mut laughs = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        laughs.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", ")));
    }
    std::fs::write(d.join("laughs.yaml"), laughs).unwrap();
    std::fs::write(d.join("latin1.yaml"), b"domain: caf\xe9\n").unwrap();
    std::fs::write(d.join("types.yaml"), base().replace("schema:\n", "schema: 42\nx:\n")).unwrap();
    for (file, expected) in [
        ("empty.yaml", "empty.yaml:1:1: error[STW000]: document is empty"),
        ("truncated.yaml", "truncated.yaml:"),
        ("huge.yaml", "huge.yaml:1:1: error[STW000]: document is 2"),
        ("laughs.yaml", "error[STW000]: aliases expand to more than"),
        ("latin1.yaml", "latin1.yaml:1:12: error[STW000]: document is not valid UTF-8"),
        ("types.yaml", "error[STW020]"),
    ] {
        let out = steward(&["validate", file], d);
        assert_eq!(out.status.code(), Some(1), "{file}: {}{}", stdout(&out), stderr(&out));
        assert!(stdout(&out).contains(expected), "{file}: {}", stdout(&out));
        assert!(!stderr(&out).contains("panicked"), "{file}: {}", stderr(&out));
    }
}

#[test]
fn usage_and_io_errors_exit_two() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = steward(&["validate", "missing.yaml"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("missing.yaml: error: cannot read"), "{}", stdout(&out));
    let out = steward(&["validate"], d);
    assert_eq!(out.status.code(), Some(2));
    let out = steward(&["validate", "--format", "xml", "x.yaml"], d);
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(d.join("policy.yaml"), "server_types: s3\n").unwrap();
    std::fs::write(d.join("c.yaml"), base()).unwrap();
    let out = steward(&["validate", "--policy", "policy.yaml", "c.yaml"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("policy.yaml"), "{}", stderr(&out));
    let out = steward(&["validate", "--previous", "nope.yaml", "c.yaml"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.yaml"), "{}", stderr(&out));
}

#[test]
fn policy_file_changes_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let policy = steward_policy_default().replace("domains: {}", "domains:\n    sales: [\"s3://acme-sales/\"]");
    std::fs::write(d.join("policy.yaml"), policy).unwrap();
    std::fs::write(d.join("c.yaml"), base()).unwrap();
    let out = Command::new(STEWARD)
        .args(["validate", "c.yaml"])
        .env("STEWARD_POLICY", "policy.yaml")
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("error[STW013]"), "{}", stdout(&out));
}

fn steward_policy_default() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/steward-policies.yaml")).unwrap()
}

#[test]
fn init_writes_a_contract_that_validates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for server in ["local", "s3"] {
        let file = format!("{server}.odcs.yaml");
        let out = steward(&["init", "--domain", "sales", "--product", "returns", "--server", server, "-o", &file], d);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let out = steward(&["validate", &file], d);
        assert_eq!(out.status.code(), Some(0), "{server}: {}", stdout(&out));
        let text = std::fs::read_to_string(d.join(&file)).unwrap();
        assert!(text.contains("domain: sales\ndataProduct: returns\n"));
    }
    // Never overwrites without --force.
    let out = steward(&["init", "--domain", "sales", "--product", "returns", "-o", "local.odcs.yaml"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already exists"));
    let out = steward(&["init", "--domain", "Sales", "--product", "returns"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--domain: domain `Sales` is not lower snake case"), "{}", stderr(&out));
}

#[test]
fn stdin_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(STEWARD)
        .args(["validate", "-"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(base().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // Many files in nested directories, validated in parallel, reported in order.
    let root = dir.path().join("contracts");
    for i in 0..40 {
        let sub = root.join(format!("d{}", i % 4));
        std::fs::create_dir_all(&sub).unwrap();
        let text = if i == 17 { base().replace("status: active", "status: live") } else { base() };
        std::fs::write(sub.join(format!("c{i:02}.odcs.yaml")), text).unwrap();
    }
    std::fs::write(root.join("README.md"), "not a contract").unwrap();
    let out = steward(&["validate", "--format", "json", "contracts"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 40);
    assert_eq!(v["summary"]["warnings"], 1);
    let files: Vec<&str> = v["files"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
}

#[test]
fn rules_lists_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let out = steward(&["rules"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("STW005  warning  column-description"), "{text}");
    assert_eq!(text.lines().count(), steward_rules_count());
}

fn steward_rules_count() -> usize {
    let src =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/src/rules/mod.rs")).unwrap();
    let start = src.find("pub const RULES").unwrap();
    let end = start + src[start..].find("];").unwrap();
    src[start..end].matches("\"STW").count()
}

/// 1-based line of the first line of `text` that starts with `prefix`.
fn line_of(text: &str, prefix: &str) -> usize {
    text.lines().position(|l| l.starts_with(prefix)).expect("line exists") + 1
}

/// A stand-in for the API: answers every request with `answer(path)` and
/// records what it received, so a test can tell whether the CLI sent anything.
struct FakeApi {
    url: String,
    received: Arc<Mutex<Vec<String>>>,
}

impl FakeApi {
    fn start(answer: fn(&str) -> String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut request_line = String::new();
                    reader.read_line(&mut request_line).unwrap();
                    let mut length = 0;
                    loop {
                        let mut header = String::new();
                        reader.read_line(&mut header).unwrap();
                        if header.trim().is_empty() {
                            break;
                        }
                        if let Some((name, value)) = header.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            length = value.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).unwrap();
                    let path = request_line.split_whitespace().nth(1).unwrap_or("").to_owned();
                    log.lock().unwrap().push(format!("{} {}", request_line.trim(), String::from_utf8_lossy(&body)));
                    let answer = answer(&path);
                    let mut stream = stream;
                    // The client may be gone (closed pipe tests): ignore write errors.
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                });
            }
        });
        FakeApi { url, received }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(STEWARD);
        cmd.args(args).env("STEWARD_URL", &self.url).env("STEWARD_TOKEN", "test-token").env_remove("STEWARD_POLICY");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("steward runs")
    }

    fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

/// What the API answers on `path`, with `n` rows where it lists: one row
/// carrying every field the listings read (the CLI reads answers as the
/// API's types, so each must be complete), with a status valid for each.
fn answer_with_rows(path: &str, n: usize) -> String {
    let status = if path.starts_with("/api/v1/proposals") {
        "pending_review"
    } else if path.starts_with("/api/v1/grants") {
        "active"
    } else {
        "pending"
    };
    let row = serde_json::json!({
        "id": 7, "key": "sales.orders", "product_key": "sales.orders", "domain": "sales", "name": "Orders",
        "version": "1.0.0", "status": status, "classification": "internal",
        "description": "Orders, one row per order line", "owner_team": "sales-data", "tags": [],
        "contract": "kind: DataContract\n", "findings": [], "breaking": false,
        "submitted_by": "paul", "submitted_at": "2026-11-21T06:00:00.000000Z",
        "account": "123456789012", "requested_by": "carla", "justification": "revenue dashboards",
        "requested_at": "2026-11-21T06:00:00.000000Z", "granted_by": "rita",
        "granted_at": "2026-11-21T06:00:00Z", "published_at": "2026-11-21T06:00:00Z", "commit_id": "0123abcd",
        "proposal_id": 3, "kind": "notify.refresh", "attempts": 1, "dedup_key": "k",
        "next_attempt_at": "2026-11-21T06:00:00.000000Z", "payload": {},
        "channel": "webhook", "target": "https://example.com/hook", "created_by": "carla",
        "created_at": "2026-11-21T06:00:00.000000Z", "table": "orders", "spec_index": 0,
        "due": "2026-11-21T06:00:00Z", "deadline": "2026-11-21T07:00:00Z",
    });
    if path.ends_with("/approve") {
        return row.to_string();
    }
    // A search hit: the row with what only hits carry.
    let mut hit = row.clone();
    for (k, v) in [
        ("matched_columns", serde_json::json!([])),
        ("slo_health", serde_json::json!("unknown")),
        ("has_access", serde_json::json!(false)),
        ("breaking_change_pending", serde_json::json!(false)),
    ] {
        hit[k] = v;
    }
    let rows = serde_json::Value::Array(vec![row; n]);
    if path.contains("/diff") {
        serde_json::json!({"from": "1.0.0", "to": "2.0.0", "diff": "-  - name: id\n+  - name: order_id\n".repeat(n * 2)})
            .to_string()
    } else if path.starts_with("/api/v1/products?") {
        let facets = serde_json::json!({"domains": [], "tags": [], "capped": false});
        serde_json::json!({"items": vec![hit; n], "total": n, "total_capped": false, "facets": facets}).to_string()
    } else if path == "/api/v1/tokens" {
        r#"{"name": "rita", "role": "reviewer", "scopes": [], "expires_at": null, "token": "secret"}"#.to_owned()
    } else {
        rows.to_string()
    }
}

/// Far more than a pipe buffers (64 KiB), in every shape the listing commands print.
fn many_rows(path: &str) -> String {
    answer_with_rows(path, 10_000)
}

/// `steward ... | head -1`: the reader takes one line and goes away. The rest
/// is dropped quietly: no panic, exit 141 (128 + SIGPIPE) as for any tool a
/// shell sees ended by the closed pipe.
#[test]
fn a_closed_pipe_ends_listing_commands_quietly() {
    let api = FakeApi::start(many_rows);
    for args in [
        &["proposals", "list"][..],
        &["proposals", "list", "--json"],
        &["products", "search", "orders"],
        &["products", "history", "sales.orders"],
        &["products", "diff", "sales.orders", "1.0.0", "2.0.0"],
        &["access", "list"],
        &["access", "grants"],
        &["subscriptions", "list"],
        &["slo", "status"],
        &["admin", "outbox"],
    ] {
        let mut child = api.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        assert!(!first.is_empty(), "{args:?} printed nothing");
        // The reader is dropped here: the pipe is closed after the first line.
        let out = child.wait_with_output().unwrap();
        assert!(!stderr(&out).contains("panicked"), "{args:?}: {}", stderr(&out));
        assert_eq!(out.status.code(), Some(141), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?} is not quiet");
    }
}

/// Offline commands, into a pipe nobody reads any more.
#[test]
fn a_closed_pipe_ends_offline_commands_quietly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.yaml"), base().replace("status: active", "status: live")).unwrap();
    for args in [
        &["rules"][..],
        &["validate", "bad.yaml"],
        &["validate", "--format", "json", examples().to_str().unwrap()],
        &["init", "--domain", "sales", "--product", "orders", "-o", "-"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(STEWARD)
            .args(args)
            .current_dir(dir.path())
            .env_remove("STEWARD_POLICY")
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert!(!stderr(&out).contains("panicked"), "{args:?}: {}", stderr(&out));
        assert_eq!(out.status.code(), Some(141), "{args:?}: {}", stderr(&out));
    }
}

/// Ids, counts and durations below 1 are usage errors naming the argument,
/// refused before anything is sent.
#[test]
fn numbers_must_be_positive_before_anything_is_sent() {
    let api = FakeApi::start(|path| answer_with_rows(path, 0));
    let request = ["access", "request", "sales.orders", "--account", "123456789012", "--justification", "why"];
    for (args, name) in [
        ([&request[..], &["--duration", "-5"]].concat(), "--duration"),
        ([&request[..], &["--duration", "0"]].concat(), "--duration"),
        (vec!["products", "search", "--limit", "0"], "--limit"),
        (vec!["products", "search", "--limit", "-1"], "--limit"),
        (vec!["proposals", "show", "0"], "<ID>"),
        (vec!["proposals", "approve", "-1"], "<ID>"),
        (vec!["proposals", "reject", "-3", "--comment", "no"], "<ID>"),
        (vec!["access", "approve", "-1"], "<ID>"),
        (vec!["access", "reject", "0", "--comment", "no"], "<ID>"),
        (vec!["access", "revoke", "-2", "--reason", "done"], "<ID>"),
        (vec!["subscriptions", "remove", "-1"], "<ID>"),
        (vec!["refresh", "sales.orders", "--show", "-1"], "--show"),
    ] {
        let out = api.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}{}", stdout(&out), stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(name) && err.contains("must be positive"), "{args:?}: {err}");
    }
    let out = api.run(&["products", "search", "--offset", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("'--offset <OFFSET>': must not be negative"), "{}", stderr(&out));
    let out = api.run(&["refresh", "sales.orders", "--partition", "dt=2026-01-01", "--rows", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--rows") && stderr(&out).contains("must not be negative"), "{}", stderr(&out));
    let out = api.run(&["refresh", "sales.orders", "--wait", "-1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--wait") && stderr(&out).contains("between 0 and 600"), "{}", stderr(&out));
    assert_eq!(api.received(), Vec::<String>::new());

    // Good values still go through.
    let out = api.run(&["products", "search", "--limit", "5", "--offset", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = api.run(&["proposals", "approve", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let received = api.received();
    assert!(received[0].starts_with("GET /api/v1/products?limit=5&offset=0 "), "{received:?}");
    assert!(received[1].starts_with("POST /api/v1/proposals/3/approve "), "{received:?}");
}

/// Roles and statuses are closed sets: a typo is a usage error listing them,
/// before anything is sent.
#[test]
fn roles_and_statuses_are_checked_before_anything_is_sent() {
    let api = FakeApi::start(|path| answer_with_rows(path, 0));
    for (args, values) in [
        (
            &["admin", "token", "create", "--name", "rita", "--role", "reviwer"][..],
            "admin, reviewer, producer, consumer",
        ),
        (
            &["proposals", "list", "--status", "pending"],
            "submitted, pending_review, rejected_by_validation, approved, rejected, published",
        ),
        (&["access", "list", "--status", "open"], "pending, approved, rejected"),
        (&["access", "grants", "--status", "gone"], "active, revoked, expired"),
    ] {
        let out = api.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}{}", stdout(&out), stderr(&out));
        assert!(stderr(&out).contains(values), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(api.received(), Vec::<String>::new());

    let out = api.run(&["admin", "token", "create", "--name", "rita", "--role", "reviewer"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "secret\n");
    let out = api.run(&["proposals", "list", "--status", "pending_review"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let received = api.received();
    assert!(
        received[0].starts_with("POST /api/v1/tokens ") && received[0].contains(r#""role":"reviewer""#),
        "{received:?}"
    );
    assert!(received[1].starts_with("GET /api/v1/proposals?status=pending_review "), "{received:?}");
}

/// `--help` ends with the environment and every exit code the binary uses;
/// docs/cli.md covers every command.
#[test]
fn help_lists_exit_codes_and_the_docs_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["-h", "--help"] {
        let out = steward(&[flag], dir.path());
        assert_eq!(out.status.code(), Some(0));
        let text = stdout(&out);
        for needle in
            ["STEWARD_URL", "STEWARD_TOKEN", "STEWARD_POLICY", "Exit status:", "\n  0 ", "\n  1 ", "\n  2 ", "\n  141 "]
        {
            assert!(text.contains(needle), "{flag}: no {needle:?} in\n{text}");
        }
    }
    let docs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/cli.md")).unwrap();
    let help = stdout(&steward(&["--help"], dir.path()));
    let commands = help.split("Commands:\n").nth(1).unwrap().split("\n\n").next().unwrap();
    for name in commands.lines().filter_map(|l| l.split_whitespace().next()).filter(|n| *n != "help") {
        assert!(docs.contains(&format!("steward {name}")), "docs/cli.md does not cover `steward {name}`");
    }
    for needle in ["STEWARD_URL", "STEWARD_TOKEN", "STEWARD_POLICY", "141"] {
        assert!(docs.contains(needle), "docs/cli.md: no {needle}");
    }
}
