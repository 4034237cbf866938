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

/// Runs a `serve` that must exit on its own within a minute (it refuses to
/// start); its exit status and what it printed on stderr.
fn refused_start(mut serve: std::process::Command, why: &str) -> (std::process::ExitStatus, String) {
    let mut child =
        serve.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().expect("steward runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{why}: it is still running after a minute");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status, stderr)
}

/// `steward proposals approve <id>` against `server` on a thread of its own
/// (the test kills the server while it waits).
fn approve_in_background(
    server: &Server,
    token: &str,
    id: i64,
) -> std::thread::JoinHandle<std::io::Result<std::process::Output>> {
    let mut approve = std::process::Command::new(common::STEWARD);
    approve.args(["proposals", "approve", &id.to_string()]).env("STEWARD_URL", &server.url).env("STEWARD_TOKEN", token);
    std::thread::spawn(move || approve.output())
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
    let approving = approve_in_background(&c, &rob, v12);
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

    // c comes back and agrees.
    let mut c = replica(&dir.path().join("c"), &db, &proxy.url());
    assert_eq!(all_agree(&[&a, &b, &c], &producer, "sales.orders", "1.2.0").await, commit);
    proxy.mute_push_replies(false);

    // c is killed again mid-merge, this time before its push reached the
    // server: a live replica merges the approved proposal itself, once.
    let v13 = submit(&b, &producer, dir.path(), "orders", "1.3.0");
    proxy.hold_pushes(true);
    let approving = approve_in_background(&c, &rob, v13);
    eventually("c's push held back", Duration::from_secs(30), || async { (proxy.held_pushes() > 0).then_some(()) })
        .await;
    c.child.kill().unwrap();
    c.child.wait().unwrap();
    let _ = approving.join();
    assert_eq!(merges(v13), 0, "the server never saw c's merge");
    eventually("the approval merged and published by a live replica", Duration::from_secs(60), || async {
        let (_, p) = get(&a, &rita, &format!("/api/v1/proposals/{v13}")).await;
        (p["status"] == "published").then_some(())
    })
    .await;
    assert_eq!(merges(v13), 1, "{:?}", git.main_subjects());
    let merge = git.main_subjects().into_iter().find(|s| s.starts_with(&format!("Merge proposal {v13}:"))).unwrap();
    assert!(merge.contains("1.3.0"), "{merge}");
    let commit = all_agree(&[&a, &b], &producer, "sales.orders", "1.3.0").await;
    assert_eq!(Some(commit.clone()), git.main().map(|o| o.to_string()));

    // A replica dies between recording a submission and writing its branch
    // (a fault point exits it there): a live replica opens it for review.
    let dying = start_with(
        &dir.path().join("d"),
        Some(&db),
        &[
            ("STEWARD__REGISTRY__UPSTREAM", git.url().as_str()),
            ("STEWARD__FAULTS__EXIT_AT", "proposal.branch"),
            ("STEWARD__SLO__ENABLED", "false"),
        ],
    );
    let path = dir.path().join("returns-1.1.0.yaml");
    std::fs::write(&path, contract("returns", "1.1.0")).unwrap();
    let out = cli(&dying, &producer, &["submit", path.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0), "the replica died mid-submit");
    let (_, list) = get(&a, &rita, "/api/v1/proposals").await;
    let stuck =
        list.as_array().unwrap().iter().find(|p| p["version"] == "1.1.0" && p["product_key"] == "sales.returns");
    let stuck = stuck.unwrap_or_else(|| panic!("the submission was recorded: {list}"))["id"].as_i64().unwrap();
    drop(dying);
    eventually("the submission opened for review by a live replica", Duration::from_secs(60), || async {
        let (_, p) = get(&b, &rita, &format!("/api/v1/proposals/{stuck}")).await;
        (p["status"] == "pending_review").then_some(())
    })
    .await;
    let branch =
        git2::Repository::open_bare(&git.repo).unwrap().refname_to_id(&format!("refs/heads/proposals/{stuck}"));
    assert!(branch.is_ok(), "its branch is on the git server");
    ok(cli(&a, &rita, &["proposals", "approve", &stuck.to_string()]));

    // The lease holder's polls show in its metrics (an operator alerts on
    // the failed ones).
    let mut polled = 0;
    for r in [&a, &b] {
        let text = reqwest::get(format!("{}/metrics", r.url)).await.unwrap().text().await.unwrap();
        let ok_polls = text
            .lines()
            .find_map(|l| l.strip_prefix("steward_registry_polls_total{outcome=\"ok\"} "))
            .and_then(|n| n.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no poll counter in {text}"));
        polled += ok_polls;
    }
    assert!(polled > 0, "one of the live replicas polls the registry");

    // c comes back (directly this time) and agrees.
    let c = replica(&dir.path().join("c"), &db, &git.url());
    assert_eq!(all_agree(&[&a, &b, &c], &producer, "sales.orders", "1.3.0").await, commit);
    let (_, list) = get(&c, &rita, "/api/v1/proposals").await;
    let statuses: Vec<(i64, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_i64().unwrap(), p["status"].as_str().unwrap().to_owned()))
        .collect();
    for (id, status) in
        [(orders, "published"), (returns, "rejected"), (v11, "published"), (v12, "published"), (v13, "published")]
    {
        assert!(statuses.contains(&(id, status.to_owned())), "{id} {status}: {statuses:?}");
    }
    // Every merge on the server names a proposal the store published.
    for subject in git.main_subjects().iter().filter(|s| s.starts_with("Merge proposal")) {
        let id: i64 = subject["Merge proposal ".len()..].split(':').next().unwrap().parse().unwrap();
        assert!(statuses.contains(&(id, "published".to_owned())), "{subject} is published: {statuses:?}");
    }
}

/// What one load client saw.
#[derive(Default)]
struct Tally {
    ok: u64,
    retried: u64,
    failed: u64,
    latencies_ms: Vec<u64>,
    keys: Vec<String>,
}

impl Tally {
    /// Counts one request sent at `sent`; `key` is the idempotency key of a refresh.
    fn record(&mut self, result: Result<u32, ()>, sent: Instant, key: Option<String>) {
        match result {
            Ok(attempts) => {
                self.ok += 1;
                self.retried += u64::from(attempts > 0);
                self.latencies_ms.push(sent.elapsed().as_millis() as u64);
                self.keys.extend(key);
            }
            Err(()) => self.failed += 1,
        }
    }

    /// Adds another client's counts to these.
    fn absorb(&mut self, other: Tally) {
        self.ok += other.ok;
        self.retried += other.retried;
        self.failed += other.failed;
        self.latencies_ms.extend(other.latencies_ms);
        self.keys.extend(other.keys);
    }
}

/// Sends `body` to the live replicas in turn until one answers with
/// success, at most five times (a refresh keeps its idempotency key, so a
/// retry after a lost answer records nothing twice). `Err` after that.
async fn send_retrying(
    client: &reqwest::Client,
    urls: &std::sync::RwLock<Vec<String>>,
    start: usize,
    request: impl Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
) -> Result<u32, ()> {
    for attempt in 0..5u32 {
        let url = {
            let urls = urls.read().unwrap();
            urls[(start + attempt as usize) % urls.len()].clone()
        };
        let answer = request(client, &url).send().await;
        if matches!(&answer, Ok(r) if r.status().is_success()) {
            return Ok(attempt);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(())
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted.get(((sorted.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0)
}

/// The load run of [M15]: refreshes and searches spread over three replicas
/// for a bounded time while one is killed (SIGKILL) and started again. Every
/// refresh is recorded exactly once (the killed replica's in-flight ones are
/// retried on another with their idempotency keys); the figures are printed
/// for docs/performance.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_over_three_replicas_while_one_is_killed_and_restarted() {
    let Some(db) = steward_testkit::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let git = GitDaemon::start();
    let a = replica(&dir.path().join("a"), &db, &git.url());
    let b = replica(&dir.path().join("b"), &db, &git.url());
    let mut c = replica(&dir.path().join("c"), &db, &git.url());
    let admin = std::fs::read_to_string(a.data.join("admin.token")).unwrap().trim().to_owned();
    let producer = token(&a, &admin, &["--name", "paul", "--role", "producer", "--domain", "sales"]);
    let rita = token(&b, &admin, &["--name", "rita", "--role", "reviewer"]);
    let id = submit(&a, &producer, dir.path(), "orders", "1.0.0");
    ok(cli(&c, &rita, &["proposals", "approve", &id.to_string()]));

    let urls = std::sync::Arc::new(std::sync::RwLock::new(vec![a.url.clone(), b.url.clone(), c.url.clone()]));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let run_for = Duration::from_secs(12);
    let started = Instant::now();
    let mut refreshers = Vec::new();
    for n in 0..4usize {
        let (urls, client, producer) = (urls.clone(), client.clone(), producer.clone());
        refreshers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut i = 0usize;
            while started.elapsed() < run_for {
                let key = format!("load-{n}-{i}");
                let body = serde_json::json!({
                    "table": "order_lines", "partition": {"dt": "2026-11-21"}, "idempotency_key": key, "row_count": i,
                });
                let sent = Instant::now();
                let result = send_retrying(&client, &urls, n + i, |c, url| {
                    c.post(format!("{url}/api/v1/products/sales.orders/refreshes")).bearer_auth(&producer).json(&body)
                })
                .await;
                tally.record(result, sent, Some(key));
                i += 1;
            }
            tally
        }));
    }
    let mut searchers = Vec::new();
    for n in 0..2usize {
        let (urls, client, token) = (urls.clone(), client.clone(), rita.clone());
        searchers.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut i = 0usize;
            while started.elapsed() < run_for {
                let sent = Instant::now();
                let result = send_retrying(&client, &urls, n + i, |c, url| {
                    c.get(format!("{url}/api/v1/products?q=orders")).bearer_auth(&token)
                })
                .await;
                tally.record(result, sent, None);
                i += 1;
            }
            tally
        }));
    }

    // Kill c a third of the way in; start it again (a new address) later.
    tokio::time::sleep(run_for / 3).await;
    c.child.kill().unwrap();
    c.child.wait().unwrap();
    let killed_at = started.elapsed();
    tokio::time::sleep(run_for / 4).await;
    c = replica(&dir.path().join("c"), &db, &git.url());
    urls.write().unwrap()[2] = c.url.clone();
    let restarted_at = started.elapsed();

    let mut refreshes = Tally::default();
    for t in refreshers {
        refreshes.absorb(t.await.unwrap());
    }
    let mut searches = Tally::default();
    for t in searchers {
        searches.absorb(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    refreshes.latencies_ms.sort_unstable();
    searches.latencies_ms.sort_unstable();
    eprintln!(
        "load over 3 replicas for {elapsed:.1} s (c killed at {killed_at:.1?}, back at {restarted_at:.1?}):\n  \
         refreshes: {} ok ({:.0}/s), {} retried on another replica, {} failed; p50 {} ms, p99 {} ms\n  \
         searches:  {} ok ({:.0}/s), {} retried, {} failed; p50 {} ms, p99 {} ms",
        refreshes.ok,
        refreshes.ok as f64 / elapsed,
        refreshes.retried,
        refreshes.failed,
        percentile(&refreshes.latencies_ms, 0.5),
        percentile(&refreshes.latencies_ms, 0.99),
        searches.ok,
        searches.ok as f64 / elapsed,
        searches.retried,
        searches.failed,
        percentile(&searches.latencies_ms, 0.5),
        percentile(&searches.latencies_ms, 0.99),
    );
    assert_eq!(refreshes.failed, 0, "every refresh is recorded, on some replica");
    assert_eq!(searches.failed, 0);
    assert!(refreshes.ok > 0 && searches.ok > 0);

    // Exactly once: one row per key, and no row without an acknowledged key.
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&db).await.unwrap();
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT idem_key FROM refreshes WHERE idem_key LIKE 'load-%'").fetch_all(&pool).await.unwrap();
    let mut stored: Vec<String> = rows.into_iter().map(|(k,)| k).collect();
    stored.sort();
    let mut acknowledged = refreshes.keys.clone();
    acknowledged.sort();
    assert_eq!(stored.len(), acknowledged.len(), "one refresh per acknowledged key");
    assert_eq!(stored, acknowledged);
    // The restarted replica answers like the others.
    all_agree(&[&a, &b, &c], &producer, "sales.orders", "1.0.0").await;
}

/// The registry's upstream over SSH: the key from the configuration, the
/// server's host key checked against `~/.ssh/known_hosts` (libgit2's rule).
/// A server whose host key is not known stops the start, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_upstream_over_ssh_with_a_key_and_a_checked_host_key() {
    let Some(ssh) = steward_testkit::gitserver::SshGit::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let home = ssh.home_trusting().display().to_string();
    let (url, key) = (ssh.url(), ssh.client_key.display().to_string());
    let env = [
        ("HOME", home.as_str()),
        ("STEWARD__REGISTRY__UPSTREAM", url.as_str()),
        ("STEWARD__REGISTRY__CREDENTIALS__SSH_KEY", key.as_str()),
    ];
    let srv = start_with(&dir.path().join("a"), None, &env);
    assert!(ssh.main().is_some(), "the start pushed the registry over SSH");
    let admin = std::fs::read_to_string(srv.data.join("admin.token")).unwrap().trim().to_owned();
    let producer = token(&srv, &admin, &["--name", "paul", "--role", "producer", "--domain", "sales"]);
    let rita = token(&srv, &admin, &["--name", "rita", "--role", "reviewer"]);
    let id = submit(&srv, &producer, dir.path(), "orders", "1.0.0");
    ok(cli(&srv, &rita, &["proposals", "approve", &id.to_string()]));
    let commit = all_agree(&[&srv], &producer, "sales.orders", "1.0.0").await;
    assert_eq!(ssh.main().map(|m| m.to_string()), Some(commit));

    // The same server, unknown to this replica's known_hosts.
    let stranger = dir.path().join("stranger-home");
    std::fs::create_dir_all(&stranger).unwrap();
    let mut serve = std::process::Command::new(common::STEWARD);
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("b"))
        .env("HOME", &stranger)
        .env("STEWARD__REGISTRY__UPSTREAM", &url)
        .env("STEWARD__REGISTRY__CREDENTIALS__SSH_KEY", &key);
    let (status, stderr) = refused_start(serve, "a replica that cannot trust the server must not start");
    eprintln!("the refused start said: {stderr}");
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("127.0.0.1") && stderr.contains("known_hosts"), "{stderr}");
}

/// Without an upstream, a second `steward serve` on the same PostgreSQL
/// database would keep a registry of its own: it refuses to start and says
/// how to run replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_upstream_a_second_replica_refuses_to_start() {
    let Some(db) = steward_testkit::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let _first = start_with(&dir.path().join("a"), Some(&db), &[]);
    let mut serve = std::process::Command::new(common::STEWARD);
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("b"))
        .args(["--database-url", &db]);
    let (status, stderr) = refused_start(serve, "a second replica without an upstream must not start");
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("registry.upstream") && stderr.contains("STEWARD__REGISTRY__UPSTREAM"), "{stderr}");
}

/// A git server that accepts connections and never answers (a hung host)
/// does not hold a replica forever: with `registry.network_timeout_secs`
/// the fetch at start fails, and the start says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_git_server_that_never_answers_times_out() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    // Accept and hold every connection, answering nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in silent.incoming().map_while(Result::ok) {
            held.push(conn);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut serve = std::process::Command::new(common::STEWARD);
    serve
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("a"))
        .env("STEWARD__REGISTRY__UPSTREAM", format!("git://127.0.0.1:{port}/registry.git"))
        .env("STEWARD__REGISTRY__NETWORK_TIMEOUT_SECS", "2");
    let (status, stderr) = refused_start(serve, "a replica whose git server hangs must give up");
    eprintln!("gave up after {:?}: {stderr}", started.elapsed());
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
}
