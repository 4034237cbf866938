//! The async wrapper from a tokio runtime.

mod common;

use common::*;
use steward_registry::{RegistryError, SharedRegistry};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_proposes_and_merges_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let shared = SharedRegistry::open_or_init(dir.path().join("registry.git")).await.unwrap();
    let keys: Vec<_> = (0..24).map(|i| key(&format!("load.product_{i}"))).collect();

    let mut tasks = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let shared = shared.clone();
        let k = k.clone();
        tasks.push(tokio::spawn(async move {
            let body = contract(&k, "1.0.0");
            shared.propose(i as u64 + 1, k, "1.0.0".into(), body, alice()).await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(shared.proposal_contents(i as u64 + 1).await.unwrap(), Some(contract(k, "1.0.0")));
    }

    let mut tasks = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let shared = shared.clone();
        let k = k.clone();
        tasks.push(tokio::spawn(
            async move { shared.merge_proposal(i as u64 + 1, k, "1.0.0".into(), rita(), None).await },
        ));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let listed = shared.list_main().await.unwrap();
    assert_eq!(listed.len(), keys.len());
    for (i, _) in keys.iter().enumerate() {
        assert!(shared.merged_in(i as u64 + 1).await.unwrap().is_some());
    }
}

#[tokio::test]
async fn every_method_is_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registry.git");
    let shared = SharedRegistry::open_or_init(path.clone()).await.unwrap();
    assert_eq!(shared.path(), path);
    let orders = key("sales.orders");
    let init = shared.main_tip().await.unwrap();

    shared.propose(1, orders.clone(), "1.0.0".into(), contract(&orders, "1.0.0"), alice()).await.unwrap();
    let merge = shared.merge_proposal(1, orders.clone(), "1.0.0".into(), rita(), Some("ok".into())).await.unwrap();
    assert_eq!(shared.main_tip().await.unwrap(), merge);
    assert_eq!(shared.read(orders.clone(), None).await.unwrap(), Some(contract(&orders, "1.0.0")));
    assert_eq!(shared.read(orders.clone(), Some(init.clone())).await.unwrap(), None);
    assert_eq!(shared.history(orders.clone()).await.unwrap().len(), 1);
    let diff = shared.diff(orders.clone(), init, merge).await.unwrap();
    assert!(diff.contains("+version: 1.0.0"), "{diff}");

    let err = shared.merge_proposal(9, orders, "1.0.0".into(), rita(), None).await.unwrap_err();
    assert!(matches!(err, RegistryError::NotFound(_)), "{err}");

    let remote = dir.path().join("remote.git");
    git2::Repository::init_bare(&remote).unwrap();
    shared.push_main(remote.to_str().unwrap().to_owned()).await.unwrap();

    // `with` gives access to the sync API for anything else.
    let tip = shared.with(|r| r.main_tip()).await.unwrap();
    assert_eq!(tip, shared.main_tip().await.unwrap());
}
