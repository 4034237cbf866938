//! [M15] Three `steward serve` replicas on one PostgreSQL database, the
//! registry's truth on a git server reached over `git://` (`git daemon`):
//! proposals submitted, approved and rejected through different replicas,
//! concurrent approvals through two replicas, and one replica killed with
//! SIGKILL in the middle of a merge (after its push reached the server,
//! before it heard so). Afterwards git, the store and every replica agree.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Server, cli, ok, start_with, token};
use serde_json::Value;
use steward_testkit::gitserver::{GitDaemon, GitProxy};

fn replica(data: &Path, db: &str, upstream: &str) -> Server {
    start_with(
        data,
        Some(db),
        &[
            ("STEWARD__REGISTRY__UPSTREAM", upstream),
            ("STEWARD__REGISTRY__RECOVERY_AFTER_SECS", "1"),
            ("STEWARD__SLO__INTERVAL_SECS", "1"),
            ("STEWARD__SLO__LEASE_SECS", "3"),
        ],
    )
}

async fn get(server: &Server, token: &str, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .expect("the replica answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn contract(product: &str, version: &str) -> String {
    steward_testkit::sales_orders()
        .replace("dataProduct: orders", &format!("dataProduct: {product}"))
        .replace("s3://steward-sales/orders/", &format!("s3://steward-sales/{product}/"))
        .replace("version: 1.0.0", &format!("version: {version}"))
}

fn submit(server: &Server, producer: &str, dir: &Path, product: &str, version: &str) -> i64 {
    let path = dir.join(format!("{product}-{version}.yaml"));
    std::fs::write(&path, contract(product, version)).unwrap();
    let out = ok(cli(server, producer, &["submit", path.to_str().unwrap(), "--json"]));
    let body: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    body["id"].as_i64().unwrap()
}

/// Every replica answers the same product from the same commit, the
/// server's `main` at that product's last merge.
async fn all_agree(replicas: &[&Server], token: &str, product: &str, version: &str) -> String {
    let mut commits = Vec::new();
    for r in replicas {
        let (s, p) = get(r, token, &format!("/api/v1/products/{product}")).await;
        assert_eq!(s, 200, "{p}");
        assert_eq!(p["version"], version, "{p}");
        let (_, versions) = get(r, token, &format!("/api/v1/products/{product}/versions")).await;
        let commit =
            versions.as_array().unwrap().iter().find(|v| v["version"] == version).map(|v| v["commit_id"].clone());
        commits.push(commit.and_then(|c| c.as_str().map(str::to_owned)).unwrap_or_else(|| panic!("{versions}")));
    }
    commits.dedup();
    assert_eq!(commits.len(), 1, "replicas disagree on {product}: {commits:?}");
    commits.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_share_one_registry_on_a_git_server() {
    let Some(db) = steward_testkit::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let git = GitDaemon::start();
    // Replica c reaches the server through a proxy that can mute push replies.
    let proxy = GitProxy::start(&git);
    let a = replica(&dir.path().join("a"), &db, &git.url());
    let b = replica(&dir.path().join("b"), &db, &git.url());
    let mut c = replica(&dir.path().join("c"), &db, &proxy.url());
    assert!(git.main().is_some(), "the first replica pushed the registry to the empty server");

    let admin = std::fs::read_to_string(a.data.join("admin.token")).unwrap().trim().to_owned();
    let producer = token(&a, &admin, &["--name", "paul", "--role", "producer", "--domain", "sales"]);
    let rita = token(&b, &admin, &["--name", "rita", "--role", "reviewer"]);
    let rob = token(&c, &admin, &["--name", "rob", "--role", "reviewer"]);

    // Submitted through a, approved through b.
    let orders = submit(&a, &producer, dir.path(), "orders", "1.0.0");
    ok(cli(&b, &rita, &["proposals", "approve", &orders.to_string(), "--comment", "ship it"]));
    let commit = all_agree(&[&a, &b, &c], &producer, "sales.orders", "1.0.0").await;
    assert_eq!(Some(commit.clone()), git.main().map(|o| o.to_string()));

    // Submitted through b, rejected through c: main does not move.
    let returns = submit(&b, &producer, dir.path(), "returns", "1.0.0");
    ok(cli(&c, &rob, &["proposals", "reject", &returns.to_string(), "--comment", "not yet"]));
    assert_eq!(git.main().map(|o| o.to_string()), Some(commit));

    // Two reviewers approve the same proposal through two replicas at once.
    let v11 = submit(&c, &producer, dir.path(), "orders", "1.1.0");
    let (ra, rb) = std::thread::scope(|s| {
        let one = s.spawn(|| cli(&a, &rita, &["proposals", "approve", &v11.to_string()]));
        let two = s.spawn(|| cli(&b, &rob, &["proposals", "approve", &v11.to_string()]));
        (one.join().unwrap(), two.join().unwrap())
    });
    let codes = [ra.status.code(), rb.status.code()];
    assert_eq!(codes.iter().filter(|c| **c == Some(0)).count(), 1, "exactly one approval wins: {ra:?} {rb:?}");
    let merges =
        |id: i64| git.main_subjects().iter().filter(|s| s.starts_with(&format!("Merge proposal {id}:"))).count();
    assert_eq!(merges(v11), 1, "{:?}", git.main_subjects());
    all_agree(&[&a, &b, &c], &producer, "sales.orders", "1.1.0").await;

    // c is killed in the middle of a merge: its push reaches the server but
    // the server's answer never reaches c.
    let v12 = submit(&a, &producer, dir.path(), "orders", "1.2.0");
    proxy.mute_push_replies(true);
    let c_url = c.url.clone();
    let approving = std::thread::spawn(move || {
        std::process::Command::new(common::STEWARD)
            .args(["proposals", "approve", &v12.to_string()])
            .env("STEWARD_URL", c_url)
            .env("STEWARD_TOKEN", rob)
            .output()
    });
    eventually("c's merge on the git server", Duration::from_secs(30), || async {
        (merges(v12) == 1 && proxy.muted_pushes() > 0).then_some(())
    })
    .await;
    c.child.kill().unwrap();
    c.child.wait().unwrap();
    let _ = approving.join();
    // Left behind: the store says approved; the server holds the merge.
    let (_, p) = get(&a, &rita, &format!("/api/v1/proposals/{v12}")).await;
    assert_eq!(p["status"], "approved", "{p}");

    // Another replica finishes it (the monitor lease holder's registry poll),
    // publishing the merge that is there rather than merging again.
    eventually("the approval finished by a live replica", Duration::from_secs(60), || async {
        let (_, p) = get(&b, &rita, &format!("/api/v1/proposals/{v12}")).await;
        (p["status"] == "published").then_some(())
    })
    .await;
    assert_eq!(merges(v12), 1, "nothing doubled: {:?}", git.main_subjects());
    let commit = all_agree(&[&a, &b], &producer, "sales.orders", "1.2.0").await;
    assert_eq!(Some(commit.clone()), git.main().map(|o| o.to_string()));

    // c comes back (directly this time) and agrees.
    let c = replica(&dir.path().join("c"), &db, &git.url());
    assert_eq!(all_agree(&[&a, &b, &c], &producer, "sales.orders", "1.2.0").await, commit);
    let (_, list) = get(&c, &rita, "/api/v1/proposals").await;
    let statuses: Vec<(i64, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_i64().unwrap(), p["status"].as_str().unwrap().to_owned()))
        .collect();
    for (id, status) in [(orders, "published"), (returns, "rejected"), (v11, "published"), (v12, "published")] {
        assert!(statuses.contains(&(id, status.to_owned())), "{id} {status}: {statuses:?}");
    }
    // Every merge on the server names a proposal the store published.
    for subject in git.main_subjects().iter().filter(|s| s.starts_with("Merge proposal")) {
        let id: i64 = subject["Merge proposal ".len()..].split(':').next().unwrap().parse().unwrap();
        assert!(statuses.contains(&(id, "published".to_owned())), "{subject} is published: {statuses:?}");
    }
}
