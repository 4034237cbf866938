//! Two `steward serve` replicas on one PostgreSQL database: exactly one holds
//! the SLO monitor lease at a time, and when it dies (killed, so it cannot
//! give the lease up) the other takes over once the lease expires.

mod common;

use std::time::{Duration, Instant};

use common::{Server, start_with};
use sqlx::Row;

async fn holder(pool: &sqlx::AnyPool) -> Option<String> {
    let row = sqlx::query("SELECT holder FROM leases WHERE name = 'slo-monitor'").fetch_optional(pool).await.ok()??;
    row.try_get::<String, _>(0).ok()
}

/// Replicas share a registry on a git remote (here a bare repository by
/// path); without one the second would refuse to start.
fn replica(data: &std::path::Path, url: &str, upstream: &str) -> Server {
    start_with(
        data,
        Some(url),
        &[
            ("STEWARD__SLO__INTERVAL_SECS", "1"),
            ("STEWARD__SLO__LEASE_SECS", "3"),
            ("STEWARD__REGISTRY__UPSTREAM", upstream),
        ],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_monitor_at_a_time_and_a_takeover_when_it_dies() {
    let Some(url) = steward_testkit::postgres().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let upstream = dir.path().join("upstream.git");
    git2::Repository::init_bare(&upstream).unwrap();
    let upstream = upstream.display().to_string();
    let a = replica(&dir.path().join("a"), &url, &upstream);
    let b = replica(&dir.path().join("b"), &url, &upstream);
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
    let pid = |s: &Server| s.child.id().to_string();

    let deadline = Instant::now() + Duration::from_secs(20);
    let first = loop {
        if let Some(h) = holder(&pool).await {
            break h;
        }
        assert!(Instant::now() < deadline, "no replica took the monitor lease");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (mut leader, follower) = if first.starts_with(&format!("{}-", pid(&a))) { (a, b) } else { (b, a) };
    assert!(first.starts_with(&format!("{}-", pid(&leader))), "holder {first} is one of the replicas");

    // The lease stays with the leader while it lives (renewed every pass).
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            holder(&pool).await.as_deref(),
            Some(first.as_str()),
            "the lease does not move while its holder lives"
        );
    }

    // Kill the leader without a chance to release: the follower takes over within the lease time.
    let killed = Instant::now();
    leader.child.kill().unwrap();
    leader.child.wait().unwrap();
    let takeover = loop {
        let h = holder(&pool).await.unwrap_or_default();
        if h.starts_with(&format!("{}-", pid(&follower))) {
            break killed.elapsed();
        }
        assert!(killed.elapsed() < Duration::from_secs(60), "no takeover within a minute (holder {h})");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!("takeover after {takeover:?}");
    assert!(takeover >= Duration::from_secs(1), "not before the dead leader's lease could expire: {takeover:?}");
}
