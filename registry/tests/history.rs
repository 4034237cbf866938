//! Reading main: history, reads at old revisions, diffs, listing, pushing.

mod common;

use std::path::Path;

use common::*;
use git2::{Oid, Repository};
use steward_registry::{Registry, RegistryError};

#[test]
fn history_lists_the_merges_that_changed_a_product_newest_first() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let m1 = propose_and_merge(&registry, 1, &orders, "1.0.0");
    let _other = propose_and_merge(&registry, 2, &key("hr.people"), "1.0.0");
    let m3 = propose_and_merge(&registry, 3, &orders, "2.0.0");

    let history = registry.history(&orders).unwrap();
    let ids: Vec<&str> = history.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [m3.as_str(), m1.as_str()]);
    assert_eq!(history[0].author, rita());
    assert_eq!(history[0].committer, rita());
    assert!(history[0].message.starts_with("Merge proposal 3: sales.orders 2.0.0\n"));
    assert!(history[0].message.contains("Approved-by: Rita Reviewer <rita@example.com>"));
    assert!(history[0].time >= history[1].time);
    let age = chrono::Utc::now() - history[0].time;
    assert!(age.num_minutes().abs() < 5, "{age}");

    assert!(registry.history(&key("sales.unknown")).unwrap().is_empty());
    assert_eq!(registry.history(&key("hr.people")).unwrap().len(), 1);
}

#[test]
fn read_at_an_older_commit_gives_the_old_contents() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let init = registry.main_tip().unwrap();
    let m1 = propose_and_merge(&registry, 1, &orders, "1.0.0");
    propose_and_merge(&registry, 2, &orders, "2.0.0");

    let v1 = contract(&orders, "1.0.0");
    let v2 = contract(&orders, "2.0.0");
    assert_eq!(registry.read(&orders, Some(&m1)).unwrap(), Some(v1.clone()));
    assert_eq!(registry.read(&orders, Some("main~1")).unwrap(), Some(v1));
    assert_eq!(registry.read(&orders, Some("main")).unwrap(), Some(v2.clone()));
    assert_eq!(registry.read(&orders, None).unwrap(), Some(v2));
    assert_eq!(registry.read(&orders, Some(&init)).unwrap(), None);

    for bad in ["nope", "0000000000000000000000000000000000000000", "main:contracts"] {
        let err = registry.read(&orders, Some(bad)).unwrap_err();
        assert!(matches!(err, RegistryError::NotFound(_)), "{bad}: {err}");
    }
}

#[test]
fn diff_shows_the_changed_line() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let init = registry.main_tip().unwrap();
    let m1 = propose_and_merge(&registry, 1, &orders, "1.0.0");
    let m2 = propose_and_merge(&registry, 2, &orders, "2.0.0");

    let diff = registry.diff(&orders, &m1, &m2).unwrap();
    assert!(
        diff.starts_with("--- a/contracts/sales/orders.odcs.yaml\n+++ b/contracts/sales/orders.odcs.yaml\n@@"),
        "{diff}"
    );
    assert!(diff.contains("\n-version: 1.0.0\n+version: 2.0.0\n"), "{diff}");
    // Three lines of context either side, not the whole file.
    assert!(diff.contains(" name: orders\n"), "{diff}");
    assert!(!diff.contains("apiVersion"), "{diff}");
    assert!(!diff.contains("purpose"), "{diff}");

    // From nothing: every line is an addition.
    let added = registry.diff(&orders, &init, &m1).unwrap();
    assert!(added.contains("+apiVersion: v3.1.0\n"), "{added}");
    assert!(!added.lines().any(|l| l.starts_with('-') && !l.starts_with("---")));

    assert_eq!(registry.diff(&orders, &m2, "main").unwrap(), "");
    let err = registry.diff(&orders, "nope", "main").unwrap_err();
    assert!(matches!(err, RegistryError::NotFound(_)), "{err}");
}

#[test]
fn list_main_returns_every_product_with_its_last_commit() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let people = key("hr.people");
    let returns = key("sales.returns");
    propose_and_merge(&registry, 1, &orders, "1.0.0");
    let people_commit = propose_and_merge(&registry, 2, &people, "1.0.0");
    let orders_commit = propose_and_merge(&registry, 3, &orders, "1.1.0");
    let returns_commit = propose_and_merge(&registry, 4, &returns, "0.1.0");
    // Not merged: must not be listed.
    registry.propose(5, &key("ops.tickets"), "1.0.0", b"x: 1\n", &alice()).unwrap();

    let entries = registry.list_main().unwrap();
    let got: Vec<(String, String)> = entries.iter().map(|e| (e.key.to_string(), e.commit.clone())).collect();
    assert_eq!(
        got,
        [
            ("hr.people".to_owned(), people_commit),
            ("sales.orders".to_owned(), orders_commit),
            ("sales.returns".to_owned(), returns_commit),
        ]
    );
    assert_eq!(entries[1].contents, contract(&orders, "1.1.0"));
    // Each entry names the proposal its commit merged (the `Proposal:` trailer).
    let proposals: Vec<Option<u64>> = entries.iter().map(|e| e.proposal).collect();
    assert_eq!(proposals, [Some(2), Some(3), Some(4)]);
}

#[test]
fn a_hand_edit_on_main_names_no_proposal() {
    let (dir, registry) = registry();
    let orders = key("sales.orders");
    propose_and_merge(&registry, 1, &orders, "1.0.0");
    let edit =
        commit_onto_main(&dir.path().join("registry.git"), &[("contracts/sales/orders.odcs.yaml", b"edited: true\n")]);
    let entries = registry.list_main().unwrap();
    assert_eq!(entries[0].commit, edit.to_string());
    assert_eq!(entries[0].proposal, None);
}

#[test]
fn the_proposal_trailer_is_read_from_the_last_paragraph_only() {
    use steward_registry::proposal_trailer;
    assert_eq!(proposal_trailer("Merge proposal 7: a.b 1.0.0\n\nProposal: 7\nApproved-by: R <r@x>\n"), Some(7));
    // A comment that quotes a trailer does not count; the real trailer does.
    let message = "Merge proposal 8: a.b 1.0.0\n\nsee\nProposal: 3\n\nProposal: 8\nApproved-by: R <r@x>\n";
    assert_eq!(proposal_trailer(message), Some(8));
    assert_eq!(proposal_trailer("Hand edit\n"), None);
    assert_eq!(proposal_trailer("Fix\n\nProposal: x\n"), None);
}

/// Commits `files` (path, contents) onto main directly with git2, the way a
/// hand edit would, to check that odd entries are skipped.
fn commit_onto_main(path: &Path, files: &[(&str, &[u8])]) -> Oid {
    let repo = git(path);
    let main = repo.find_reference("refs/heads/main").unwrap();
    let parent = main.peel_to_commit().unwrap();
    let mut index = git2::Index::new().unwrap();
    index.read_tree(&parent.tree().unwrap()).unwrap();
    for (file, contents) in files {
        let blob = repo.blob(contents).unwrap();
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: contents.len() as u32,
            id: blob,
            flags: 0,
            flags_extended: 0,
            path: file.as_bytes().to_vec(),
        };
        index.add(&entry).unwrap();
    }
    let tree = repo.find_tree(index.write_tree_to(&repo).unwrap()).unwrap();
    let sig = git2::Signature::now("Hand Editor", "hand@example.com").unwrap();
    repo.commit(Some("refs/heads/main"), &sig, &sig, "Hand edit\n", &tree, &[&parent]).unwrap()
}

#[test]
fn list_main_skips_entries_that_are_not_contracts() {
    let (_dir, registry) = registry();
    let orders = key("sales.orders");
    let merge = propose_and_merge(&registry, 1, &orders, "1.0.0");
    commit_onto_main(
        registry.path(),
        &[
            ("README.md", b"hello"),
            ("contracts/README.md", b"hello"),
            ("contracts/Bad-Domain/orders.odcs.yaml", b"x: 1"),
            ("contracts/sales/Orders.odcs.yaml", b"x: 1"),
            ("contracts/sales/notes.txt", b"x: 1"),
            ("contracts/sales/nested/deep.odcs.yaml", b"x: 1"),
        ],
    );
    let entries = registry.list_main().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].key, orders);
    // The hand edit did not touch the contract, so its last commit is the merge.
    assert_eq!(entries[0].commit, merge);
    assert_eq!(registry.history(&orders).unwrap().len(), 1);
}

#[test]
fn push_main_updates_a_local_bare_remote() {
    let (dir, registry) = registry();
    let remote_path = dir.path().join("remote.git");
    let remote = Repository::init_bare(&remote_path).unwrap();
    let url = remote_path.to_str().unwrap();

    propose_and_merge(&registry, 1, &key("sales.orders"), "1.0.0");
    registry.push_main(url).unwrap();
    assert_eq!(ref_id(&remote, "refs/heads/main").unwrap().to_string(), registry.main_tip().unwrap());

    propose_and_merge(&registry, 2, &key("hr.people"), "1.0.0");
    registry.push_main(url).unwrap();
    assert_eq!(ref_id(&remote, "refs/heads/main").unwrap().to_string(), registry.main_tip().unwrap());
    // Only main is pushed, never proposal branches.
    assert!(ref_id(&remote, "refs/heads/proposals/1").is_none());
    // Pushing an unchanged main is a no-op.
    registry.push_main(url).unwrap();
}

#[test]
fn push_main_refuses_to_overwrite_a_diverged_remote() {
    let (dir, registry) = registry();
    let remote_path = dir.path().join("remote.git");
    Repository::init_bare(&remote_path).unwrap();
    let url = remote_path.to_str().unwrap();
    registry.push_main(url).unwrap();

    // Someone commits to the remote's main; we merge something else locally.
    let theirs = commit_onto_main(&remote_path, &[("README.md", b"theirs")]);
    propose_and_merge(&registry, 1, &key("sales.orders"), "1.0.0");

    let err = registry.push_main(url).unwrap_err();
    assert!(matches!(err, RegistryError::Conflict(_)), "{err}");
    let remote = Repository::open_bare(&remote_path).unwrap();
    assert_eq!(ref_id(&remote, "refs/heads/main"), Some(theirs));
}

#[test]
fn registry_reopens_with_its_history() {
    let (dir, registry) = registry();
    let orders = key("sales.orders");
    let merge = propose_and_merge(&registry, 1, &orders, "1.0.0");
    drop(registry);
    let reopened = Registry::open_or_init(&dir.path().join("registry.git")).unwrap();
    assert_eq!(reopened.main_tip().unwrap(), merge);
    assert_eq!(reopened.merged_in(1).unwrap(), Some(merge));
}
