//! Helpers shared by the integration tests: real bare repositories in tempdirs.
#![allow(dead_code)]

use std::path::Path;

use steward_registry::{ProductKey, Registry, Signature};
use tempfile::TempDir;

pub fn key(s: &str) -> ProductKey {
    ProductKey::parse(s).unwrap()
}

pub fn alice() -> Signature {
    Signature::new("Alice Author", "alice@example.com")
}

pub fn rita() -> Signature {
    Signature::new("Rita Reviewer", "rita@example.com")
}

/// A small ODCS-looking document; only the version line differs between versions.
pub fn contract(key: &ProductKey, version: &str) -> Vec<u8> {
    format!(
        "apiVersion: v3.1.0\nkind: DataContract\nid: {key}\nname: {product}\n\
         version: {version}\ndomain: {domain}\ndataProduct: {product}\nstatus: active\n\
         description:\n  purpose: Tests.\n",
        domain = key.domain,
        product = key.product,
    )
    .into_bytes()
}

/// A fresh registry in a tempdir (the dir must outlive the registry).
pub fn registry() -> (TempDir, Registry) {
    let dir = tempfile::tempdir().unwrap();
    let registry = Registry::open_or_init(&dir.path().join("registry.git")).unwrap();
    (dir, registry)
}

/// An independent git2 handle on the same repository, for inspection.
pub fn git(path: &Path) -> git2::Repository {
    git2::Repository::open_bare(path).unwrap()
}

pub fn ref_id(repo: &git2::Repository, name: &str) -> Option<git2::Oid> {
    repo.find_reference(name).ok().and_then(|r| r.target())
}

/// Proposes `version` of `key` as `id` and merges it; returns the merge id.
pub fn propose_and_merge(registry: &Registry, id: u64, key: &ProductKey, version: &str) -> String {
    registry.propose(id, key, version, &contract(key, version), &alice()).unwrap();
    registry.merge_proposal(id, key, version, &rita(), None).unwrap()
}
