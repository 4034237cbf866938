//! End to end with the real binary on the embedded defaults (SQLite, and
//! PostgreSQL when reachable): the contract `steward init` writes and the
//! marketing example both have `type: local` servers; a refresh of each
//! writes `<data_dir>/lake/.../_SUCCESS` (0 bytes), `steward refresh` says
//! so, and a subscribed webhook receives the signed notification. A marker
//! that dies shows in `steward refresh --show` (exit 1) and, with the
//! notification it blocks, in `steward admin outbox`; one retry sends both.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Server, cli, init_contract, ok, start_with, token};
use steward_notify::testing::WebhookSink;

// A dead server's claims expire after 2 s.
const ENV: &[(&str, &str)] = &[
    ("STEWARD__WEBHOOKS__ALLOW_PRIVATE", "true"),
    ("STEWARD__OUTBOX__POLL_MS", "50"),
    ("STEWARD__OUTBOX__CLAIM_SECS", "2"),
];

struct Tokens {
    admin: String,
    reviewer: String,
    consumer: String,
}

fn tokens(srv: &Server, data: &Path) -> Tokens {
    let admin = std::fs::read_to_string(data.join("admin.token")).unwrap().trim().to_owned();
    Tokens {
        reviewer: token(srv, &admin, &["--name", "rita", "--role", "reviewer"]),
        consumer: token(srv, &admin, &["--name", "carla", "--role", "consumer", "--account", "123456789012"]),
        admin,
    }
}

/// Publishes `contract` (proposal `proposal`), grants the consumer and
/// subscribes `url`; returns the webhook's signing secret.
fn publish_and_subscribe(
    srv: &Server,
    t: &Tokens,
    producer: &str,
    contract: &Path,
    key: &str,
    n: u32,
    url: &str,
) -> String {
    ok(cli(srv, producer, &["submit", contract.to_str().unwrap()]));
    ok(cli(srv, &t.reviewer, &["proposals", "approve", &n.to_string()]));
    let req = cli(srv, &t.consumer, &["access", "request", key, "--account", "123456789012", "--justification", "x"]);
    let out = ok(req);
    if !out.contains("approved") {
        ok(cli(srv, &t.reviewer, &["access", "approve", &n.to_string()]));
    }
    let out = ok(cli(srv, &t.consumer, &["subscriptions", "add", key, "--account", "123456789012", "--webhook", url]));
    out.split("signing secret").nth(1).and_then(|s| s.split_whitespace().last()).expect("secret printed").to_owned()
}

fn verify(hooks: &WebhookSink, path: &str, secret: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(hook) = hooks.requests().into_iter().find(|r| r.path == path) {
            let header = hook.header(steward_notify::SIGNATURE_HEADER).expect("signed");
            steward_notify::verify_signature(secret, header, &hook.body, chrono::Utc::now().timestamp(), 300).unwrap();
            return serde_json::from_slice(&hook.body).unwrap();
        }
        assert!(Instant::now() < deadline, "no webhook at {path}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_contract_and_marketing_example_refresh_into_the_lake() {
    let hooks = WebhookSink::start().await;
    let pg = steward_testkit::postgres().await;
    let mut databases: Vec<(&str, Option<&str>)> = vec![("sqlite", None)];
    if let Some(url) = pg.as_deref() {
        databases.push(("postgres", Some(url)));
    }
    for (backend, url) in databases {
        eprintln!("-- on {backend}");
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let srv = start_with(&data, url, ENV);
        let t = tokens(&srv, &data);

        // The contract the README starts from, written by the real `steward init`.
        let contract = dir.path().join("orders.odcs.yaml");
        init_contract(&contract);
        assert!(std::fs::read_to_string(&contract).unwrap().contains("type: local"));
        let producer = token(&srv, &t.admin, &["--name", "paul", "--role", "producer", "--domain", "sales"]);
        let path = format!("/{backend}/orders");
        let secret = publish_and_subscribe(&srv, &t, &producer, &contract, "sales.orders", 1, &hooks.url(&path));
        let out = ok(cli(&srv, &producer, &["refresh", "sales.orders", "--partition", "dt=2026-11-21", "--rows", "5"]));
        let marker = "lake/sales/orders/orders/dt=2026-11-21/_SUCCESS";
        assert!(out.contains(&format!("marker written: {marker}")), "{out}");
        assert_eq!(std::fs::metadata(data.join(marker)).expect("marker in the lake").len(), 0);
        let event = verify(&hooks, &path, &secret);
        assert_eq!(event["marker"], marker);
        assert_eq!(event["partition"], "dt=2026-11-21");

        // The marketing example (local store, timestamp partitions).
        let example = steward_testkit::repo_root().join("examples/marketing-campaigns.odcs.yaml");
        let mia = token(&srv, &t.admin, &["--name", "mia", "--role", "producer", "--domain", "marketing"]);
        let path = format!("/{backend}/campaigns");
        let key = "marketing.campaign_stats";
        let secret = publish_and_subscribe(&srv, &t, &mia, &example, key, 2, &hooks.url(&path));
        let out = ok(cli(&srv, &mia, &["refresh", key, "--partition", "hour=2026-11-21T06:00:00Z"]));
        let marker = "lake/marketing/campaign_stats/hourly_clicks/hour=2026-11-21T06:00:00Z/_SUCCESS";
        assert!(out.contains(&format!("marker written: {marker}")), "{out}");
        assert_eq!(std::fs::metadata(data.join(marker)).expect("marker in the lake").len(), 0);
        assert_eq!(verify(&hooks, &path, &secret)["marker"], marker);
        let shown = ok(cli(&srv, &mia, &["refresh", key, "--show", "2"]));
        assert!(shown.contains("marker written"), "{shown}");
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_marker_is_shown_to_its_producer_and_blocks_until_retried() {
    let hooks = WebhookSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // The first server dies right before it would write the marker.
    let mut env = ENV.to_vec();
    env.push(("STEWARD__FAULTS__EXIT_BEFORE", "signal.marker"));
    let mut srv = start_with(&data, None, &env);
    let t = tokens(&srv, &data);
    let example = steward_testkit::repo_root().join("examples/marketing-campaigns.odcs.yaml");
    let mia = token(&srv, &t.admin, &["--name", "mia", "--role", "producer", "--domain", "marketing"]);
    let key = "marketing.campaign_stats";
    let secret = publish_and_subscribe(&srv, &t, &mia, &example, key, 1, &hooks.url("/dead"));
    let out = ok(cli(&srv, &mia, &["refresh", key, "--partition", "hour=2026-11-21T06:00:00Z", "--wait", "0"]));
    assert!(out.contains("refresh 1 recorded"), "{out}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while srv.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the fault point did not stop the server");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Meanwhile the table's directory became a link out of the lake.
    let outside = tempfile::tempdir().unwrap();
    let table = data.join("lake/marketing/campaign_stats/hourly_clicks");
    std::fs::create_dir_all(table.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(outside.path(), &table).unwrap();
    drop(srv);
    let srv = start_with(&data, None, ENV);

    let deadline = Instant::now() + Duration::from_secs(20);
    let shown = loop {
        let out = cli(&srv, &mia, &["refresh", key, "--show", "1"]);
        if out.status.code() == Some(1) {
            break String::from_utf8_lossy(&out.stderr).into_owned();
        }
        assert!(Instant::now() < deadline, "the marker never died: {}", String::from_utf8_lossy(&out.stdout));
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(shown.contains("was not written") && shown.contains("symlink"), "{shown}");
    let listed = ok(cli(&srv, &t.admin, &["admin", "outbox", "--status", "blocked"]));
    let marker_job: i64 = shown.rsplit("--retry ").next().unwrap().trim().parse().expect("job id printed");
    assert!(listed.contains(&format!("blocked by {marker_job}")), "{listed}");
    assert!(listed.contains("notify.refresh"), "{listed}");
    assert_eq!(hooks.count(), 0, "nobody hears of a refresh whose marker is missing");

    std::fs::remove_file(&table).unwrap();
    ok(cli(&srv, &t.admin, &["admin", "outbox", "--retry", &marker_job.to_string()]));
    let event = verify(&hooks, "/dead", &secret);
    assert_eq!(event["refresh_id"], 1);
    assert_eq!(std::fs::metadata(table.join("hour=2026-11-21T06:00:00Z/_SUCCESS")).unwrap().len(), 0);
    let shown = ok(cli(&srv, &mia, &["refresh", key, "--show", "1"]));
    assert!(shown.contains("marker written"), "{shown}");
    assert!(ok(cli(&srv, &t.admin, &["admin", "outbox", "--status", "blocked"])).trim().is_empty());
}
