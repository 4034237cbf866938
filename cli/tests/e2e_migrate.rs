//! End to end: the real binary and CLI through a breaking change ([M11]).
//! A consumer holds a grant on 1.x and a webhook subscription; 2.0.0 drops a
//! column; the subscription's receiver gets the breaking-change notice; the
//! two majors are listed side by side (`steward products majors`) and a
//! refresh names its major (`steward refresh --major 1`); the consumer moves
//! the grant with `steward access migrate`; the admin reads
//! every change in `steward admin events` and registers an event hook whose
//! receiver gets the migration as a CloudEvent. On SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use common::{cli, ok, start_with, token};
use steward_notify::testing::WebhookSink;

fn flow(database_url: Option<&str>) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let sink = runtime.block_on(WebhookSink::start());
    let dir = tempfile::tempdir().unwrap();
    let env = [("STEWARD__WEBHOOKS__ALLOW_PRIVATE", "true"), ("STEWARD__OUTBOX__POLL_MS", "50")];
    let server = start_with(&dir.path().join("data"), database_url, &env);
    let admin = std::fs::read_to_string(server.data.join("admin.token")).unwrap().trim().to_owned();
    let producer = token(&server, &admin, &["--name", "paul", "--role", "producer", "--domain", "sales"]);
    let reviewer = token(&server, &admin, &["--name", "rita", "--role", "reviewer"]);
    let consumer = token(&server, &admin, &["--name", "carla", "--role", "consumer", "--account", "123456789012"]);

    let contract = steward_testkit::repo_root().join("examples/sales-orders.odcs.yaml");
    ok(cli(&server, &producer, &["submit", contract.to_str().unwrap()]));
    ok(cli(&server, &reviewer, &["proposals", "approve", "1"]));
    let request = ["access", "request", "sales.orders", "--account", "123456789012", "--justification", "dashboards"];
    ok(cli(&server, &consumer, &request));
    ok(cli(&server, &reviewer, &["access", "approve", "1"]));
    let hook_url = sink.url("/admin-hook");
    let out =
        ok(cli(&server, &admin, &["admin", "hooks", "add", "--webhook", &hook_url, "--type", "io.steward.grant."]));
    assert!(out.trim().starts_with("whsec_"), "the secret, once: {out}");
    let sub_url = sink.url("/subscription");
    let add = ["subscriptions", "add", "sales.orders", "--account", "123456789012", "--webhook", &sub_url];
    ok(cli(&server, &consumer, &add));

    let v2 = dir.path().join("v2.yaml");
    std::fs::write(&v2, steward_testkit::sales_orders_without_quantity("2.0.0")).unwrap();
    ok(cli(&server, &producer, &["submit", v2.to_str().unwrap()]));
    ok(cli(&server, &reviewer, &["proposals", "approve", "2"]));
    // Both majors side by side, each in its own database, 1 with its dates.
    let out = ok(cli(&server, &consumer, &["products", "majors", "sales.orders"]));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[1].starts_with("v2") && lines[1].contains("current") && lines[1].contains("sales_orders_v2"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("v1") && lines[2].contains("supported") && lines[2].contains("sales_orders "),
        "{out}"
    );
    assert!(lines[2].trim_end().ends_with(" 1"), "one grant on 1: {out}");
    // A refresh of the old major reaches its subscriber; of the new, nobody yet.
    let refresh = ["refresh", "sales.orders", "--table", "order_lines", "--partition", "dt=2026-12-01", "--wait", "0"];
    let out = ok(cli(&server, &producer, &[&refresh[..], &["--major", "1"]].concat()));
    assert!(out.contains("1 subscriber"), "{out}");
    let out = ok(cli(&server, &producer, &refresh));
    assert!(out.contains("0 subscriber"), "{out}");
    let out = ok(cli(&server, &consumer, &["access", "migrate", "1"]));
    assert!(out.contains("grant 1") && out.contains("v2"), "{out}");
    let out = cli(&server, &consumer, &["access", "migrate", "1"]);
    assert_eq!(out.status.code(), Some(1), "a second migration is refused");

    let got = runtime.block_on(sink.wait_for(2, Duration::from_secs(20)));
    let notice =
        got.iter().find(|r| r.path == "/subscription" && String::from_utf8_lossy(&r.body).contains("breaking_change"));
    let notice: serde_json::Value =
        serde_json::from_slice(&notice.expect("breaking-change notice delivered").body).unwrap();
    assert_eq!(notice["columns"], serde_json::json!(["order_lines.quantity"]), "{notice}");
    let event = got.iter().find(|r| r.path == "/admin-hook").expect("migration event delivered");
    let event: serde_json::Value = serde_json::from_slice(&event.body).unwrap();
    steward_testkit::cloudevents::validate(&event);
    assert_eq!(event["type"], "io.steward.grant.migrated");

    let out = ok(cli(&server, &admin, &["admin", "events"]));
    for kind in ["proposal.submitted", "proposal.approved", "product.published", "access.approved", "grant.migrated"] {
        assert!(out.contains(kind), "{kind} in the feed: {out}");
    }
    let out = ok(cli(&server, &admin, &["admin", "events", "--type", "io.steward.grant.", "--json"]));
    let page: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(page["events"].as_array().unwrap().len(), 1, "{page}");
    let out = cli(&server, &consumer, &["admin", "events"]);
    assert_eq!(out.status.code(), Some(1), "admins only");
}

#[test]
fn breaking_change_and_migration_on_sqlite() {
    flow(None);
}

#[test]
fn breaking_change_and_migration_on_postgres() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let Some(url) = runtime.block_on(steward_testkit::postgres()) else {
        return;
    };
    flow(Some(url.url()));
}
