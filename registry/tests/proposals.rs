//! Initialising, proposing and merging, checked with an independent git2 handle.

mod common;

use common::*;
use git2::Oid;
use steward_registry::{Registry, RegistryError, Signature};

#[test]
fn init_creates_a_bare_repo_with_main_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/nested/registry.git");
    let first = Registry::open_or_init(&path).unwrap();
    let tip = first.main_tip().unwrap();
    drop(first);
    let again = Registry::open_or_init(&path).unwrap();
    assert_eq!(again.main_tip().unwrap(), tip);
    assert_eq!(again.path(), path);

    let repo = git(&path);
    assert!(repo.is_bare());
    let head = repo.find_reference("HEAD").unwrap();
    assert_eq!(head.symbolic_target().unwrap(), Some("refs/heads/main"));
    let root = repo.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(root.id().to_string(), tip);
    assert_eq!(root.message().unwrap().trim_end(), "Initialize Steward registry");
    assert_eq!(root.parent_count(), 0);
    assert_eq!(root.tree().unwrap().len(), 0);
    // Only one branch exists.
    let branches: Vec<_> = repo.branches(None).unwrap().collect();
    assert_eq!(branches.len(), 1);
}

#[test]
fn propose_creates_a_branch_authored_by_the_submitter() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let main_before = registry.main_tip().unwrap();
    let contents = contract(&orders, "1.0.0");

    let id = registry.propose(1, &orders, "1.0.0", &contents, &alice()).unwrap();

    let repo = git(registry.path());
    assert_eq!(ref_id(&repo, "refs/heads/proposals/1").unwrap().to_string(), id);
    let commit = repo.find_commit(Oid::from_str(&id).unwrap()).unwrap();
    for sig in [commit.author(), commit.committer()] {
        assert_eq!(sig.name().unwrap(), "Alice Author");
        assert_eq!(sig.email().unwrap(), "alice@example.com");
    }
    assert_eq!(commit.message().unwrap(), "Propose sales.orders 1.0.0\n\nProposal: 1\n");
    assert_eq!(commit.parent_count(), 1);
    assert_eq!(commit.parent_id(0).unwrap().to_string(), main_before);
    let entry = commit.tree().unwrap().get_path("contracts/sales/orders.odcs.yaml".as_ref()).unwrap();
    assert_eq!(repo.find_blob(entry.id()).unwrap().content(), &contents[..]);

    // main is untouched; the proposal is readable by branch name.
    assert_eq!(registry.main_tip().unwrap(), main_before);
    assert_eq!(registry.read(&orders, None).unwrap(), None);
    assert_eq!(registry.read(&orders, Some("proposals/1")).unwrap(), Some(contents.clone()));
    assert_eq!(registry.proposal_contents(1).unwrap(), Some(contents));
    assert_eq!(registry.proposal_contents(2).unwrap(), None);
    assert_eq!(registry.merged_in(1).unwrap(), None);
}

#[test]
fn propose_is_idempotent_and_refuses_a_reused_id() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let v1 = contract(&orders, "1.0.0");
    let first = registry.propose(1, &orders, "1.0.0", &v1, &alice()).unwrap();
    let again = registry.propose(1, &orders, "1.0.0", &v1, &alice()).unwrap();
    assert_eq!(first, again);

    let other = contract(&orders, "1.0.1");
    let err = registry.propose(1, &orders, "1.0.1", &other, &alice()).unwrap_err();
    assert!(matches!(err, RegistryError::Conflict(_)), "{err}");
    assert!(err.to_string().contains("proposal 1"), "{err}");

    // Same bytes for another product under the same id is also a reuse.
    let err = registry.propose(1, &key("sales.returns"), "1.0.0", &v1, &alice()).unwrap_err();
    assert!(matches!(err, RegistryError::Conflict(_)), "{err}");

    let repo = git(registry.path());
    assert_eq!(ref_id(&repo, "refs/heads/proposals/1").unwrap().to_string(), first);
}

#[test]
fn propose_validates_version_and_signature() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let body = contract(&orders, "1.0.0");
    let err = registry.propose(1, &orders, "1.0\nApproved-by: me", &body, &alice()).unwrap_err();
    assert!(matches!(err, RegistryError::InvalidInput(_)), "{err}");
    let sneaky = Signature::new("Mallory <m@x>", "m@example.com");
    let err = registry.propose(1, &orders, "1.0.0", &body, &sneaky).unwrap_err();
    assert!(matches!(err, RegistryError::InvalidInput(_)), "{err}");
    assert_eq!(registry.proposal_contents(1).unwrap(), None);
}

#[test]
fn merge_writes_a_two_parent_commit_by_the_reviewer() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let contents = contract(&orders, "1.0.0");
    let proposal = registry.propose(7, &orders, "1.0.0", &contents, &alice()).unwrap();
    // A second proposal that will be rejected (never merged).
    registry.propose(8, &key("sales.returns"), "0.1.0", b"x: 1\n", &alice()).unwrap();
    let main_before = registry.main_tip().unwrap();

    let merge = registry.merge_proposal(7, &orders, "1.0.0", &rita(), Some("Looks good.")).unwrap();

    assert_eq!(registry.main_tip().unwrap(), merge);
    let repo = git(registry.path());
    let commit = repo.find_commit(Oid::from_str(&merge).unwrap()).unwrap();
    let parents: Vec<String> = commit.parent_ids().map(|p| p.to_string()).collect();
    assert_eq!(parents, [main_before, proposal]);
    for sig in [commit.author(), commit.committer()] {
        assert_eq!(sig.name().unwrap(), "Rita Reviewer");
        assert_eq!(sig.email().unwrap(), "rita@example.com");
    }
    let message = commit.message().unwrap();
    assert_eq!(
        message,
        "Merge proposal 7: sales.orders 1.0.0\n\nLooks good.\n\n\
         Proposal: 7\nApproved-by: Rita Reviewer <rita@example.com>\n"
    );
    assert_eq!(registry.read(&orders, None).unwrap(), Some(contents));
    assert_eq!(registry.merged_in(7).unwrap(), Some(merge.clone()));
    assert_eq!(registry.merged_in(8).unwrap(), None);

    // Merging again writes nothing and returns the same commit.
    let again = registry.merge_proposal(7, &orders, "1.0.0", &rita(), Some("Looks good.")).unwrap();
    assert_eq!(again, merge);
    assert_eq!(registry.main_tip().unwrap(), merge);

    // The rejected proposal's branch is still there, and main lacks it.
    assert!(ref_id(&repo, "refs/heads/proposals/8").is_some());
    assert_eq!(registry.read(&key("sales.returns"), None).unwrap(), None);
}

#[test]
fn merge_idempotency_survives_later_merges() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let first = propose_and_merge(&registry, 1, &orders, "1.0.0");
    propose_and_merge(&registry, 2, &key("hr.people"), "1.0.0");
    propose_and_merge(&registry, 3, &orders, "2.0.0");
    let tip = registry.main_tip().unwrap();
    let again = registry.merge_proposal(1, &orders, "1.0.0", &rita(), None).unwrap();
    assert_eq!(again, first);
    assert_eq!(registry.main_tip().unwrap(), tip);
    assert_eq!(registry.merged_in(1).unwrap(), Some(first));
}

#[test]
fn merge_of_a_missing_or_mismatched_proposal_fails() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let err = registry.merge_proposal(42, &orders, "1.0.0", &rita(), None).unwrap_err();
    assert!(matches!(err, RegistryError::NotFound(_)), "{err}");

    registry.propose(1, &orders, "1.0.0", &contract(&orders, "1.0.0"), &alice()).unwrap();
    let err = registry.merge_proposal(1, &key("sales.returns"), "1.0.0", &rita(), None).unwrap_err();
    assert!(matches!(err, RegistryError::InvalidInput(_)), "{err}");
}

#[test]
fn a_stale_proposal_for_the_same_product_conflicts() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let v1 = contract(&orders, "1.0.0");
    let v2 = contract(&orders, "2.0.0");
    registry.propose(1, &orders, "1.0.0", &v1, &alice()).unwrap();
    registry.propose(2, &orders, "2.0.0", &v2, &alice()).unwrap();
    registry.merge_proposal(1, &orders, "1.0.0", &rita(), None).unwrap();
    let tip = registry.main_tip().unwrap();

    let err = registry.merge_proposal(2, &orders, "2.0.0", &rita(), None).unwrap_err();
    assert!(matches!(err, RegistryError::Conflict(_)), "{err}");
    assert!(err.to_string().contains("resubmit"), "{err}");
    assert_eq!(registry.main_tip().unwrap(), tip);
    assert_eq!(registry.read(&orders, None).unwrap(), Some(v1));
    assert_eq!(registry.merged_in(2).unwrap(), None);

    // Resubmitted on top of the current main, it merges.
    registry.propose(3, &orders, "2.0.0", &v2, &alice()).unwrap();
    registry.merge_proposal(3, &orders, "2.0.0", &rita(), None).unwrap();
    assert_eq!(registry.read(&orders, None).unwrap(), Some(v2));
}

#[test]
fn proposals_for_different_products_both_merge() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let people = key("hr.people");
    let a = contract(&orders, "1.0.0");
    let b = contract(&people, "1.0.0");
    registry.propose(1, &orders, "1.0.0", &a, &alice()).unwrap();
    registry.propose(2, &people, "1.0.0", &b, &alice()).unwrap();
    registry.merge_proposal(2, &people, "1.0.0", &rita(), None).unwrap();
    registry.merge_proposal(1, &orders, "1.0.0", &rita(), None).unwrap();
    assert_eq!(registry.read(&orders, None).unwrap(), Some(a));
    assert_eq!(registry.read(&people, None).unwrap(), Some(b));
}

/// A ref lock held by another writer (another process on the same repository,
/// or one that died holding it) is `Busy`, which the service answers with 503
/// and `Retry-After`, not a 500.
#[test]
fn a_locked_main_ref_is_busy_not_a_git_failure() {
    let (dir, registry) = registry();
    let orders = key("sales.orders");
    registry.propose(1, &orders, "1.0.0", &contract(&orders, "1.0.0"), &alice()).unwrap();
    let lock = dir.path().join("registry.git/refs/heads/main.lock");
    std::fs::write(&lock, b"").unwrap();
    let err = registry.merge_proposal(1, &orders, "1.0.0", &rita(), None).unwrap_err();
    assert!(matches!(err, RegistryError::Busy(_)), "{err:?}");
    std::fs::remove_file(&lock).unwrap();
    registry.merge_proposal(1, &orders, "1.0.0", &rita(), None).expect("merges once the lock is gone");
}
