//! Replicas sharing one upstream: each has its own local registry (a cache),
//! the upstream holds the truth. Upstreams here are real bare repositories,
//! reached by path and, in one test, over `git://` from a real `git daemon`.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use steward_registry::{Registry, RegistryError, Upstream};

/// A bare repository standing in for the git server.
fn remote(dir: &Path) -> Upstream {
    let path = dir.join("remote.git");
    git2::Repository::init_bare(&path).unwrap();
    Upstream::new(path.to_str().unwrap())
}

fn replica(dir: &Path, name: &str, upstream: &Upstream) -> Registry {
    let registry = Registry::open_or_init(&dir.join(name)).unwrap();
    if registry.download(upstream).unwrap() {
        registry.follow_upstream().unwrap();
    } else {
        registry.push(upstream, &registry.branches().unwrap()).unwrap();
    }
    registry
}

#[test]
fn a_proposal_made_on_one_replica_is_merged_on_another() {
    let dir = tempfile::tempdir().unwrap();
    let up = remote(dir.path());
    let a = replica(dir.path(), "a.git", &up);
    let b = replica(dir.path(), "b.git", &up);
    let k = key("sales.orders");
    a.propose_shared(Some(&up), 1, &k, "1.0.0", &contract(&k, "1.0.0"), &alice()).unwrap();
    // b has never seen proposals/1; merging fetches it first.
    let merge = b.merge_shared(Some(&up), 1, &k, "1.0.0", &rita(), Some("ok")).unwrap();
    let server = git(Path::new(&up.url));
    assert_eq!(ref_id(&server, "refs/heads/main").unwrap().to_string(), merge, "the merge reached the upstream");
    // a follows on its next fetch; its answers agree with b's.
    let fetched = a.fetch(&up).unwrap();
    assert_ne!(fetched.main_before, fetched.main_after);
    assert_eq!(a.main_tip().unwrap(), merge);
    assert_eq!(a.read(&k, None).unwrap(), Some(contract(&k, "1.0.0")));
    assert_eq!(a.merged_in(1).unwrap(), Some(merge));
}

#[test]
fn a_merge_retries_on_a_main_moved_by_another_replica_and_keeps_both() {
    let dir = tempfile::tempdir().unwrap();
    let up = remote(dir.path());
    let a = replica(dir.path(), "a.git", &up);
    let b = replica(dir.path(), "b.git", &up);
    let (orders, people) = (key("sales.orders"), key("hr.people"));
    a.propose_shared(Some(&up), 1, &orders, "1.0.0", &contract(&orders, "1.0.0"), &alice()).unwrap();
    a.propose_shared(Some(&up), 2, &people, "1.0.0", &contract(&people, "1.0.0"), &alice()).unwrap();
    b.merge_shared(Some(&up), 1, &orders, "1.0.0", &rita(), None).unwrap();
    // a's local main is now behind; its merge must land on top of b's.
    a.merge_shared(Some(&up), 2, &people, "1.0.0", &rita(), None).unwrap();
    b.fetch(&up).unwrap();
    for r in [&a, &b] {
        assert_eq!(r.read(&orders, None).unwrap(), Some(contract(&orders, "1.0.0")));
        assert_eq!(r.read(&people, None).unwrap(), Some(contract(&people, "1.0.0")));
        assert!(r.merged_in(1).unwrap().is_some() && r.merged_in(2).unwrap().is_some());
    }
}

#[test]
fn a_stale_proposal_is_refused_across_replicas_and_the_upstream_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let up = remote(dir.path());
    let a = replica(dir.path(), "a.git", &up);
    let b = replica(dir.path(), "b.git", &up);
    let k = key("sales.orders");
    a.propose_shared(Some(&up), 1, &k, "1.0.0", &contract(&k, "1.0.0"), &alice()).unwrap();
    b.propose_shared(Some(&up), 2, &k, "1.1.0", &contract(&k, "1.1.0"), &alice()).unwrap();
    a.merge_shared(Some(&up), 1, &k, "1.0.0", &rita(), None).unwrap();
    let before = ref_id(&git(Path::new(&up.url)), "refs/heads/main");
    let err = b.merge_shared(Some(&up), 2, &k, "1.1.0", &rita(), None).unwrap_err();
    assert!(matches!(err, RegistryError::Conflict(_)), "{err}");
    assert_eq!(ref_id(&git(Path::new(&up.url)), "refs/heads/main"), before);
}

#[test]
fn an_unpushed_local_merge_is_dropped_by_the_next_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let up = remote(dir.path());
    let a = replica(dir.path(), "a.git", &up);
    let k = key("sales.orders");
    a.propose_shared(Some(&up), 1, &k, "1.0.0", &contract(&k, "1.0.0"), &alice()).unwrap();
    // A crash between the local merge and the push, as far as git can tell.
    a.merge_proposal(1, &k, "1.0.0", &rita(), None).unwrap();
    assert!(a.merged_in(1).unwrap().is_some());
    a.fetch(&up).unwrap();
    assert_eq!(a.merged_in(1).unwrap(), None, "the remote is the truth");
    assert_eq!(a.read(&k, None).unwrap(), None);
}

#[test]
fn an_unreachable_upstream_is_an_upstream_error_without_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open_or_init(&dir.path().join("r.git")).unwrap();
    let up = Upstream::new("http://bot:hunter2@127.0.0.1:9/registry.git");
    let err = registry.fetch(&up).unwrap_err();
    assert!(matches!(err, RegistryError::Upstream(_)), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
    assert!(err.to_string().contains("127.0.0.1:9"), "names the remote: {err}");
}

#[test]
fn what_the_upstream_holds_is_known_after_a_download() {
    let dir = tempfile::tempdir().unwrap();
    let up = remote(dir.path());
    let a = replica(dir.path(), "a.git", &up);
    let k = key("sales.orders");
    a.propose_shared(Some(&up), 1, &k, "1.0.0", &contract(&k, "1.0.0"), &alice()).unwrap();
    let first = a.merge_shared(Some(&up), 1, &k, "1.0.0", &rita(), None).unwrap();
    // Another registry with contracts of its own, never connected.
    let other = Registry::open_or_init(&dir.path().join("other.git")).unwrap();
    let own = propose_and_merge(&other, 1, &key("hr.people"), "1.0.0");
    assert_eq!(other.upstream_lacks([first.as_str()]).unwrap(), [first.as_str()], "nothing downloaded yet");
    assert!(other.download(&up).unwrap());
    assert_eq!(other.upstream_lacks([first.as_str(), own.as_str()]).unwrap(), [own.as_str()]);
    assert_eq!(other.upstream_lacks(["not a commit"]).unwrap(), ["not a commit"]);
    assert!(!other.is_pristine().unwrap());
    assert!(Registry::open_or_init(&dir.path().join("fresh.git")).unwrap().is_pristine().unwrap());
    // An older commit of main counts too.
    a.propose_shared(Some(&up), 2, &k, "1.1.0", &contract(&k, "1.1.0"), &alice()).unwrap();
    a.merge_shared(Some(&up), 2, &k, "1.1.0", &rita(), None).unwrap();
    other.download(&up).unwrap();
    assert!(other.upstream_lacks([first.as_str()]).unwrap().is_empty());
}

/// `git daemon` serving `base` over git:// with pushes enabled.
struct Daemon(Child, u16);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn git_daemon(base: &Path) -> Daemon {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("git")
        .args(["daemon", "--reuseaddr", "--export-all", "--enable=receive-pack", "--listen=127.0.0.1"])
        .arg(format!("--port={port}"))
        .arg(format!("--base-path={}", base.display()))
        .arg(base)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("git daemon (Debian's git package) must be installed");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "git daemon did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Daemon(child, port)
}

#[test]
fn replicas_share_an_upstream_over_the_git_protocol() {
    let dir = tempfile::tempdir().unwrap();
    remote(dir.path());
    let daemon = git_daemon(dir.path());
    let up = Upstream::new(format!("git://127.0.0.1:{}/remote.git", daemon.1));
    let a = replica(dir.path(), "a.git", &up);
    let b = replica(dir.path(), "b.git", &up);
    let k = key("sales.orders");
    a.propose_shared(Some(&up), 1, &k, "1.0.0", &contract(&k, "1.0.0"), &alice()).unwrap();
    let merge = b.merge_shared(Some(&up), 1, &k, "1.0.0", &rita(), None).unwrap();
    a.fetch(&up).unwrap();
    assert_eq!(a.main_tip().unwrap(), merge);
    assert_eq!(ref_id(&git(&dir.path().join("remote.git")), "refs/heads/main").unwrap().to_string(), merge);
}
