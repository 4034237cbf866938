//! Replicas sharing one database and one upstream git remote ([M15]): any
//! replica takes any request, the race rules hold across replicas, changes
//! made on the remote are validated and published or reported, and without
//! an upstream a second replica on PostgreSQL refuses to start.

mod common;

use axum::http::StatusCode;
use common::*;
use steward_testkit::sales_orders;

/// A bare repository standing in for the git server; its path is the URL.
fn git_server(dir: &std::path::Path) -> String {
    let path = dir.join("registry.git");
    git2::Repository::init_bare(&path).unwrap();
    path.display().to_string()
}

async fn shared(backend: &'static str, server: &tempfile::TempDir) -> TestApp {
    TestApp::builder(backend).upstream(git_server(server.path())).start().await
}

/// `main` of the git server.
fn server_main(server: &tempfile::TempDir) -> git2::Oid {
    let repo = git2::Repository::open_bare(server.path().join("registry.git")).unwrap();
    repo.refname_to_id("refs/heads/main").unwrap()
}

/// Someone commits `contents` as `path` straight onto the git server's
/// `main` (a merge through the server's own review): no `Proposal:` trailer.
fn commit_on_server(server: &tempfile::TempDir, path: &str, contents: &str) -> String {
    let repo = git2::Repository::open_bare(server.path().join("registry.git")).unwrap();
    let parent = repo.find_commit(repo.refname_to_id("refs/heads/main").unwrap()).unwrap();
    let blob = repo.blob(contents.as_bytes()).unwrap();
    let mut index = git2::Index::new().unwrap();
    index.read_tree(&parent.tree().unwrap()).unwrap();
    let entry = git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o100_644,
        uid: 0,
        gid: 0,
        file_size: contents.len() as u32,
        id: blob,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    };
    index.add(&entry).unwrap();
    let tree = repo.find_tree(index.write_tree_to(&repo).unwrap()).unwrap();
    let sig = git2::Signature::now("Erin Emergency", "erin@example.com").unwrap();
    let id = repo.commit(Some("refs/heads/main"), &sig, &sig, "Hotfix on the server\n", &tree, &[&parent]).unwrap();
    id.to_string()
}

/// The version `r` publishes of sales.orders and the commit it came from.
async fn published(r: &TestApp) -> (String, String) {
    let (s, product) = r.call("GET", "/api/v1/products/sales.orders", Some(&r.consumer), None).await;
    assert_eq!(s, StatusCode::OK, "{product}");
    let version = product["version"].as_str().unwrap().to_owned();
    let (_, versions) = r.call("GET", "/api/v1/products/sales.orders/versions", Some(&r.consumer), None).await;
    let commit = versions
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == version.as_str())
        .map(|v| v["commit_id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("{version} in {versions}"));
    (version, commit)
}

const ORDERS_PATH: &str = "contracts/sales/orders.odcs.yaml";

#[tokio::test]
async fn a_proposal_submitted_through_one_replica_is_decided_through_another() {
    for backend in backends().await {
        eprintln!("-- on {backend}");
        let server = tempfile::tempdir().unwrap();
        let a = shared(backend, &server).await;
        let b = a.replica().await;
        let c = a.replica().await;
        let (s, p) = a.submit(&a.producer, &sales_orders()).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let id = p["id"].as_i64().unwrap();
        // b never saw proposals/<id> in its own registry: the upstream has it.
        let (s, view) = b.call("GET", &format!("/api/v1/proposals/{id}"), Some(&b.reviewer), None).await;
        assert_eq!(s, StatusCode::OK, "{view}");
        let (s, body) = b.approve(&b.reviewer, id).await;
        assert_eq!(s, StatusCode::OK, "the issue's error was `no branch proposals/{id}`: {body}");
        assert_eq!(body["status"], "published");
        // The merge is on the git server, and every replica answers the same.
        let tip = server_main(&server).to_string();
        for r in [&a, &b, &c] {
            assert_eq!(published(r).await, ("1.0.0".to_owned(), tip.clone()));
        }
        // A new version merged through a; c, which has fetched nothing since
        // it started, reads both versions from git for a diff.
        let v2 = sales_orders().replace("version: 1.0.0", "version: 1.1.0");
        a.publish(&v2).await;
        let (s, diff) =
            c.call("GET", "/api/v1/products/sales.orders/diff?from=1.0.0&to=1.1.0", Some(&c.producer), None).await;
        assert_eq!(s, StatusCode::OK, "{diff}");
        assert!(diff.to_string().contains("+version: 1.1.0"), "{diff}");
        let tip = server_main(&server).to_string();
        // A rejection through c of a proposal made through a.
        let v3 = sales_orders().replace("version: 1.0.0", "version: 1.2.0");
        let (_, p2) = a.submit(&a.producer, &v3).await;
        let id2 = p2["id"].as_i64().unwrap();
        let (s, body) = c
            .json("POST", &format!("/api/v1/proposals/{id2}/reject"), &c.reviewer, serde_json::json!({"comment": "no"}))
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(server_main(&server).to_string(), tip, "a rejection writes nothing to main");
    }
}

/// [M14]'s race across replicas: two reviewers approve the same proposal
/// through two replicas at once; one wins, the other is told, and the git
/// server holds exactly one merge. Another proposal approved at the same
/// time through a third replica lands too.
#[tokio::test]
async fn concurrent_decisions_through_different_replicas_merge_once() {
    for backend in backends().await {
        eprintln!("-- on {backend}");
        let server = tempfile::tempdir().unwrap();
        let a = shared(backend, &server).await;
        let b = a.replica().await;
        let c = a.replica().await;
        let (_, p) = a.submit(&a.producer, &sales_orders()).await;
        let id = p["id"].as_i64().unwrap();
        let returns = sales_orders()
            .replace("dataProduct: orders", "dataProduct: returns")
            .replace("s3://steward-sales/orders/", "s3://steward-sales/returns/");
        let (s, q) = a.submit(&a.producer, &returns).await;
        assert_eq!(s, StatusCode::CREATED, "{q}");
        let other = q["id"].as_i64().unwrap();
        let (ra, rb, rc) =
            tokio::join!(a.approve(&a.reviewer, id), b.approve(&b.reviewer2, id), c.approve(&c.reviewer, other));
        let statuses = [ra.0, rb.0];
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{ra:?} {rb:?}");
        assert!(statuses.contains(&StatusCode::CONFLICT), "{ra:?} {rb:?}");
        assert_eq!(rc.0, StatusCode::OK, "{rc:?}");
        let repo = git2::Repository::open_bare(server.path().join("registry.git")).unwrap();
        let mut walk = repo.revwalk().unwrap();
        walk.push(server_main(&server)).unwrap();
        walk.simplify_first_parent().unwrap();
        let merges: Vec<String> = walk
            .map(|id| repo.find_commit(id.unwrap()).unwrap().summary().ok().flatten().unwrap_or_default().to_owned())
            .filter(|s| s.starts_with("Merge proposal"))
            .collect();
        assert_eq!(merges.len(), 2, "one merge per proposal: {merges:?}");
        for r in [&a, &b, &c] {
            let (s, _) = r.call("GET", "/api/v1/products/sales.returns", Some(&r.admin), None).await;
            assert_eq!(s, StatusCode::OK);
        }
    }
}

/// A change pushed to the git server's `main` outside Steward is validated
/// and, with the default policy, reported and never published.
#[tokio::test]
async fn an_external_merge_is_reported_not_published_by_default() {
    for backend in backends().await {
        eprintln!("-- on {backend}");
        let server = tempfile::tempdir().unwrap();
        let app = shared(backend, &server).await;
        app.publish(&sales_orders()).await;
        let before = server_main(&server).to_string();
        let fix = sales_orders().replace("version: 1.0.0", "version: 1.0.1");
        let commit = commit_on_server(&server, ORDERS_PATH, &fix);
        let done = app.service.poll_registry().await.unwrap();
        assert_eq!(done.external.len(), 1, "{done:?}");
        let seen = &done.external[0];
        assert_eq!((seen.product.as_str(), seen.commit.as_str()), ("sales.orders", commit.as_str()));
        assert!(!seen.published);
        assert!(seen.author.contains("Erin Emergency"), "{seen:?}");
        assert!(seen.refused_because.as_deref().unwrap_or_default().contains("accept_external_merges"), "{seen:?}");
        assert_eq!(published(&app).await, ("1.0.0".to_owned(), before));
        let (_, audit) =
            app.call("GET", "/api/v1/audit?action=registry.external_merge_refused", Some(&app.admin), None).await;
        assert!(audit.to_string().contains(&commit), "reported to admins in the audit log: {audit}");
        // Reported once: a poll that finds main where it was says nothing more.
        assert!(app.service.poll_registry().await.unwrap().external.is_empty());
    }
}

#[tokio::test]
async fn an_external_merge_that_passes_validation_is_published_when_the_policy_accepts_it() {
    for backend in backends().await {
        eprintln!("-- on {backend}");
        let server = tempfile::tempdir().unwrap();
        let app = TestApp::builder(backend).upstream(git_server(server.path())).accept_external_merges().start().await;
        app.publish(&sales_orders()).await;
        let fix = sales_orders().replace("version: 1.0.0", "version: 1.0.1");
        let commit = commit_on_server(&server, ORDERS_PATH, &fix);
        let done = app.service.poll_registry().await.unwrap();
        assert!(done.external.iter().any(|e| e.commit == commit && e.published), "{done:?}");
        assert_eq!(published(&app).await, ("1.0.1".to_owned(), commit.clone()));

        // A breaking change without a new major fails validation: refused even so.
        let breaking = steward_testkit::sales_orders_without_quantity("1.0.2");
        let bad = commit_on_server(&server, ORDERS_PATH, &breaking);
        let done = app.service.poll_registry().await.unwrap();
        let seen = done.external.iter().find(|e| e.commit == bad).expect("judged");
        assert!(!seen.published);
        assert!(seen.refused_because.as_deref().unwrap_or_default().contains("validation"), "{seen:?}");
        assert_eq!(published(&app).await.0, "1.0.1", "the catalog keeps the last good version");
    }
}

/// The catalog holds commits an upstream lacks: another registry (or an old
/// copy). The start is refused with a message that says so; nothing changes.
#[tokio::test]
async fn an_upstream_without_the_catalogs_commits_is_refused_at_start() {
    for backend in backends().await {
        eprintln!("-- on {backend}");
        let server = tempfile::tempdir().unwrap();
        let app = shared(backend, &server).await;
        app.publish(&sales_orders()).await;
        let other = tempfile::tempdir().unwrap();
        let other_url = git_server(other.path());
        // The other server has a main of its own.
        let seeded = TestApp::builder("sqlite").upstream(other_url.clone()).start().await;
        drop(seeded);
        let dir = tempfile::tempdir().unwrap();
        let err = steward_catalog::service::ServiceBuilder::new(app.db_url.clone(), dir.path().join("registry.git"))
            .upstream(Some(steward_registry::Upstream::new(other_url)))
            .build()
            .await
            .err()
            .expect("the start is refused");
        assert!(err.to_string().contains("does not have"), "{err}");
    }
}

/// Without an upstream each replica would keep its own registry: on
/// PostgreSQL the second refuses to start and says why.
#[tokio::test]
async fn without_an_upstream_a_second_replica_on_postgres_refuses() {
    if !backends().await.contains(&"postgres") {
        return; // SQLite has one process per data dir anyway (the data dir lock).
    }
    let a = TestApp::start("postgres").await;
    let first = a.service.claim_sole_registry().await.unwrap();
    assert!(first.is_some(), "the first replica takes the lock");
    let b = a.replica().await;
    let err = b.service.claim_sole_registry().await.unwrap_err();
    assert!(err.to_string().contains("registry.upstream"), "{err}");
    // The lock ends with its holder: then another may start.
    drop(first);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match b.service.claim_sole_registry().await {
            Ok(Some(_)) => break,
            _ if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            other => panic!("the lock was not released: {other:?}"),
        }
    }
    // With an upstream there is no such lock.
    let server = tempfile::tempdir().unwrap();
    let shared = shared("postgres", &server).await;
    assert!(shared.service.claim_sole_registry().await.unwrap().is_none());
}

/// The git server demands a token over smart HTTP (as GitHub or GitLab
/// serve git): with the right one replicas work; with a wrong one the start
/// is refused, and after the token is rotated on the server a write answers
/// 503 and merges nothing. The token never shows in an answer.
#[tokio::test]
async fn an_authenticated_git_server_over_http() {
    use steward_testkit::gitserver::GitHttp;
    for backend in backends().await {
        eprintln!("-- on {backend}");
        let server = GitHttp::start("steward-bot", "tok-right-1").await;
        let with_token = |token: &str| {
            let mut up = steward_registry::Upstream::new(server.url());
            up.credentials.username = Some("steward-bot".into());
            up.credentials.password = Some(token.into());
            up
        };
        let app = TestApp::builder(backend).upstream_with(with_token("tok-right-1")).start().await;
        app.publish(&sales_orders()).await;
        assert_eq!(server.main().map(|m| m.to_string()), Some(published(&app).await.1));

        // Another replica with a wrong token does not start, and says why without the token.
        let dir = tempfile::tempdir().unwrap();
        let err = steward_catalog::service::ServiceBuilder::new(app.db_url.clone(), dir.path().join("registry.git"))
            .upstream(Some(with_token("tok-wrong-2")))
            .build()
            .await
            .err()
            .expect("a refused token stops the start");
        let message = err.to_string();
        assert!(message.contains(&format!("127.0.0.1:{}", server.port)), "{message}");
        assert!(!message.contains("tok-wrong-2") && !message.contains("tok-right-1"), "{message}");

        // The token is rotated on the server: a submission is not opened for
        // review (503) and main does not move; nothing leaks.
        let before = server.main();
        server.accept("steward-bot", "tok-rotated-3");
        let refused_before = server.refused();
        let v2 = sales_orders().replace("version: 1.0.0", "version: 1.1.0");
        let (s, body) = app.submit(&app.producer, &v2).await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(!body.to_string().contains("tok-"), "{body}");
        assert!(server.refused() > refused_before, "the server was asked and said no");
        assert_eq!(server.main(), before);
        assert_eq!(published(&app).await.0, "1.0.0");
        // Nothing half-done: the submission is withdrawn (audited with the
        // reason), so the same version can be submitted again once the
        // token is right.
        let (_, list) = app.call("GET", "/api/v1/proposals", Some(&app.reviewer), None).await;
        let last = list.as_array().unwrap().iter().max_by_key(|p| p["id"].as_i64()).unwrap().clone();
        assert_eq!(last["status"], "withdrawn", "{last}");
        let (_, audit) = app.call("GET", "/api/v1/audit?action=proposal.submit_failed", Some(&app.admin), None).await;
        assert!(audit.to_string().contains(&format!("proposal:{}", last["id"])), "{audit}");
        assert!(!audit.to_string().contains("tok-"), "{audit}");
        server.accept("steward-bot", "tok-right-1");
        let (s, body) = app.submit(&app.producer, &v2).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
}
