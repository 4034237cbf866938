//! End to end with the real binary: a consumer with a grant subscribes by
//! email (a real SMTP server) and by webhook; the producer reports a refresh
//! of `dt=2026-11-21`; the server is killed after the refresh commits and the
//! marker is written, right before the notifications go out; after a restart
//! each notification arrives exactly once, correctly signed, and the same
//! refresh repeated with its key changes nothing and sends nothing.

mod common;

use std::time::{Duration, Instant};

use common::{Server, cli, ok, start_with, token};
use steward_notify::testing::{SmtpSink, WebhookSink};

fn server(data: &std::path::Path, smtp: &SmtpSink, fault: Option<(&str, &str)>) -> Server {
    let port = smtp.addr().port().to_string();
    let mut env = vec![
        ("STEWARD__SMTP__HOST", "127.0.0.1"),
        ("STEWARD__SMTP__PORT", port.as_str()),
        ("STEWARD__SMTP__FROM", "steward@example.com"),
        ("STEWARD__WEBHOOKS__ALLOW_PRIVATE", "true"),
        ("STEWARD__OUTBOX__POLL_MS", "50"),
        ("STEWARD__OUTBOX__CLAIM_SECS", "3"),
    ];
    env.extend(fault);
    start_with(data, None, &env)
}

fn wait_exit(server: &mut Server) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status.code();
        }
        assert!(Instant::now() < deadline, "the fault point did not stop the server");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_survives_a_crash_before_notifying_and_notifies_once() {
    let Some(smtp) = SmtpSink::start() else { return };
    let hooks = WebhookSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut srv = server(&data, &smtp, Some(("STEWARD__FAULTS__EXIT_BEFORE", "notify.refresh")));
    let admin = std::fs::read_to_string(data.join("admin.token")).unwrap().trim().to_owned();
    let producer = token(&srv, &admin, &["--name", "paul", "--role", "producer", "--domain", "sales"]);
    let reviewer = token(&srv, &admin, &["--name", "rita", "--role", "reviewer"]);
    let consumer = token(&srv, &admin, &["--name", "carla", "--role", "consumer", "--account", "123456789012"]);
    let contract = steward_testkit::repo_root().join("examples/sales-orders.odcs.yaml");
    ok(cli(&srv, &producer, &["submit", contract.to_str().unwrap()]));
    ok(cli(&srv, &reviewer, &["proposals", "approve", "1"]));

    // Subscribing needs a grant.
    let denied = cli(
        &srv,
        &consumer,
        &["subscriptions", "add", "sales.orders", "--account", "123456789012", "--email", "carla@example.com"],
    );
    assert_eq!(denied.status.code(), Some(1), "{}", String::from_utf8_lossy(&denied.stderr));
    assert!(String::from_utf8_lossy(&denied.stderr).contains("request access first"));
    ok(cli(
        &srv,
        &consumer,
        &["access", "request", "sales.orders", "--account", "123456789012", "--justification", "pipelines"],
    ));
    ok(cli(&srv, &reviewer, &["access", "approve", "1"]));
    ok(cli(
        &srv,
        &consumer,
        &["subscriptions", "add", "sales.orders", "--account", "123456789012", "--email", "carla@example.com"],
    ));
    let out = ok(cli(
        &srv,
        &consumer,
        &["subscriptions", "add", "sales.orders", "--account", "123456789012", "--webhook", &hooks.url("/orders")],
    ));
    let secret = out
        .split("signing secret")
        .nth(1)
        .and_then(|s| s.split_whitespace().last())
        .expect("secret printed")
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{out}");

    // The refresh commits; the marker is written; the server dies before notifying.
    let out = ok(cli(
        &srv,
        &producer,
        &[
            "refresh",
            "sales.orders",
            "--table",
            "order_lines",
            "--partition",
            "dt=2026-11-21",
            "--id",
            "nightly-2026-11-21",
            "--rows",
            "1200",
        ],
    ));
    assert!(out.contains("2 subscriber(s) to notify"), "{out}");
    assert_eq!(wait_exit(&mut srv), Some(86), "died at the fault point");
    let marker = data.join("objects/steward-sales/orders/order_lines/dt=2026-11-21/_SUCCESS");
    assert_eq!(std::fs::metadata(&marker).expect("marker written before the crash").len(), 0);
    assert_eq!(hooks.count(), 0);
    assert!(smtp.messages().is_empty());

    // After a restart every notification arrives, once.
    drop(srv);
    let srv = server(&data, &smtp, None);
    let mails = smtp.wait_for(1, Duration::from_secs(30)).await;
    let got = hooks.wait_for(1, Duration::from_secs(30)).await;
    let out = ok(cli(&srv, &consumer, &["products", "show", "sales.orders"]));
    assert!(out.contains("order_lines"), "{out}");
    assert!(mails[0].subject.contains("sales.orders refreshed: order_lines dt=2026-11-21"), "{:?}", mails[0]);
    assert!(mails[0].text.contains("Rows:      1200"), "{}", mails[0].text);
    let header = got[0].header(steward_notify::SIGNATURE_HEADER).unwrap();
    steward_notify::verify_signature(&secret, header, &got[0].body, chrono::Utc::now().timestamp(), 300).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["partition"], "dt=2026-11-21");
    assert_eq!(body["marker"], "s3://steward-sales/orders/order_lines/dt=2026-11-21/_SUCCESS");

    // The same refresh again: nothing recorded, nothing sent.
    let out = ok(cli(
        &srv,
        &producer,
        &[
            "refresh",
            "sales.orders",
            "--table",
            "order_lines",
            "--partition",
            "dt=2026-11-21",
            "--id",
            "nightly-2026-11-21",
        ],
    ));
    assert!(out.contains("already recorded"), "{out}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(smtp.messages().len(), 1, "exactly one mail");
    assert_eq!(hooks.count(), 1, "exactly one webhook delivery");
    let pending = ok(cli(&srv, &admin, &["admin", "outbox", "--status", "pending", "--json"]));
    assert_eq!(pending.trim(), "[]", "nothing left to do: {pending}");

    // A wrong partition key is refused with the reason, and changes nothing.
    let bad =
        cli(&srv, &producer, &["refresh", "sales.orders", "--table", "order_lines", "--partition", "day=2026-11-22"]);
    assert_eq!(bad.status.code(), Some(2), "a 400 is a usage error");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("partitioned by dt, not `day`"));
}
