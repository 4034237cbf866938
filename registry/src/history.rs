//! Reading `main`: every contract, a product's history, diffs between revisions.

use std::collections::BTreeMap;

use git2::{Commit, ObjectType, Oid, Tree};
use similar::TextDiff;
use steward_schemas::{DomainName, ProductKey, ProductName};

use crate::error::Result;
use crate::repo::Registry;
use crate::types::{CommitInfo, MainEntry, proposal_trailer};

impl Registry {
    /// Every contract on `main`, sorted by key, with the newest first-parent
    /// commit that changed it. Entries under `contracts/` whose names are not
    /// `<domain>/<product>.odcs.yaml` with valid identifiers are skipped.
    pub fn list_main(&self) -> Result<Vec<MainEntry>> {
        let main = self.main_commit()?;
        let files = self.contracts_in(&main.tree()?)?;
        let mut pending: BTreeMap<&ProductKey, Oid> = files.iter().map(|(k, b)| (k, *b)).collect();
        let mut changed_in: BTreeMap<&ProductKey, (Oid, Option<u64>)> = BTreeMap::new();
        self.walk_first_parent(main, |commit, tree, parent_tree| {
            if let Some(parent_tree) = parent_tree
                && contracts_id(tree) == contracts_id(parent_tree)
            {
                return Ok(!pending.is_empty());
            }
            let mut done = Vec::new();
            for key in pending.keys() {
                let before = match parent_tree {
                    Some(t) => Self::blob_in(t, key)?,
                    None => None,
                };
                if before != Self::blob_in(tree, key)? {
                    done.push(*key);
                }
            }
            let proposal =
                if done.is_empty() { None } else { proposal_trailer(&String::from_utf8_lossy(commit.message_bytes())) };
            for key in done {
                pending.remove(key);
                changed_in.insert(key, (commit.id(), proposal));
            }
            Ok(!pending.is_empty())
        })?;
        let mut entries = Vec::with_capacity(files.len());
        for (key, blob) in &files {
            let (commit, proposal) = changed_in.get(key).map_or((String::new(), None), |(c, p)| (c.to_string(), *p));
            entries.push(MainEntry {
                key: key.clone(),
                contents: self.repo.find_blob(*blob)?.content().to_vec(),
                commit,
                proposal,
            });
        }
        Ok(entries)
    }

    /// Newest first: the first-parent commits of `main` that added, modified
    /// or deleted `key`'s contract. Empty if it never existed.
    pub fn history(&self, key: &ProductKey) -> Result<Vec<CommitInfo>> {
        let mut out = Vec::new();
        self.walk_first_parent(self.main_commit()?, |commit, tree, parent_tree| {
            let before = match parent_tree {
                Some(t) => Self::blob_in(t, key)?,
                None => None,
            };
            if before != Self::blob_in(tree, key)? {
                out.push(CommitInfo::from_commit(commit));
            }
            Ok(true)
        })?;
        Ok(out)
    }

    /// A unified diff (`--- a/<path>`, `+++ b/<path>`, 3 lines of context) of
    /// `key`'s contract from revision `from` to `to`. A missing file is empty
    /// text; identical files give an empty string.
    pub fn diff(&self, key: &ProductKey, from: &str, to: &str) -> Result<String> {
        let old = self.read(key, Some(from))?.unwrap_or_default();
        let new = self.read(key, Some(to))?.unwrap_or_default();
        let old = String::from_utf8_lossy(&old);
        let new = String::from_utf8_lossy(&new);
        let path = key.registry_path();
        Ok(TextDiff::from_lines(old.as_ref(), new.as_ref())
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string())
    }

    /// Calls `visit(commit, tree, first_parent_tree)` from `start` down the
    /// first-parent line while it returns `true`.
    fn walk_first_parent<'r>(
        &'r self,
        start: Commit<'r>,
        mut visit: impl FnMut(&Commit<'r>, &Tree<'r>, Option<&Tree<'r>>) -> Result<bool>,
    ) -> Result<()> {
        let mut commit = start;
        let mut tree = commit.tree()?;
        loop {
            let parent = commit.parents().next();
            let parent_tree = parent.as_ref().map(Commit::tree).transpose()?;
            if !visit(&commit, &tree, parent_tree.as_ref())? {
                return Ok(());
            }
            match (parent, parent_tree) {
                (Some(p), Some(t)) => {
                    commit = p;
                    tree = t;
                }
                _ => return Ok(()),
            }
        }
    }

    fn contracts_in(&self, tree: &Tree<'_>) -> Result<BTreeMap<ProductKey, Oid>> {
        let mut out = BTreeMap::new();
        let Some(contracts) = subtree(self, tree, "contracts")? else {
            return Ok(out);
        };
        for domain_entry in contracts.iter() {
            let Some(domain) = domain_entry.name().ok().and_then(|n| DomainName::parse(n).ok()) else {
                continue;
            };
            let Some(domain_tree) = subtree(self, &contracts, domain.as_str())? else {
                continue;
            };
            for file in domain_tree.iter() {
                if file.kind() != Some(ObjectType::Blob) {
                    continue;
                }
                let product = file
                    .name()
                    .ok()
                    .and_then(|n| n.strip_suffix(".odcs.yaml"))
                    .and_then(|n| ProductName::parse(n).ok());
                if let Some(product) = product {
                    out.insert(ProductKey::new(domain.clone(), product), file.id());
                }
            }
        }
        Ok(out)
    }
}

fn subtree<'r>(registry: &'r Registry, tree: &Tree<'_>, name: &str) -> Result<Option<Tree<'r>>> {
    match tree.get_name(name) {
        Some(entry) if entry.kind() == Some(ObjectType::Tree) => Ok(Some(registry.repo.find_tree(entry.id())?)),
        _ => Ok(None),
    }
}

fn contracts_id(tree: &Tree<'_>) -> Option<Oid> {
    tree.get_name("contracts").map(|e| e.id())
}
