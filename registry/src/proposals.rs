//! Proposal branches (`proposals/<id>`) and merging them into `main`.

use git2::{Commit, ErrorCode, ObjectType, Oid};
use steward_schemas::ProductKey;

use crate::error::{RegistryError, Result};
use crate::repo::Registry;
use crate::types::Signature;

/// The full ref name of a proposal's branch.
pub fn proposal_ref(proposal_id: u64) -> String {
    format!("refs/heads/proposals/{proposal_id}")
}

/// The message of the single commit on a proposal branch.
pub fn propose_message(proposal_id: u64, key: &ProductKey, version: &str) -> String {
    format!("Propose {key} {version}\n\nProposal: {proposal_id}\n")
}

/// The message of the merge commit that approves a proposal.
pub fn merge_message(
    proposal_id: u64,
    key: &ProductKey,
    version: &str,
    reviewer: &Signature,
    comment: Option<&str>,
) -> String {
    let mut message = format!("Merge proposal {proposal_id}: {key} {version}\n\n");
    if let Some(comment) = comment.map(str::trim).filter(|c| !c.is_empty()) {
        message.push_str(comment);
        message.push_str("\n\n");
    }
    message.push_str(&format!("Proposal: {proposal_id}\nApproved-by: {reviewer}\n"));
    message
}

fn check_version(version: &str) -> Result<()> {
    if version.is_empty() || version.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(RegistryError::InvalidInput(format!(
            "version `{}` must be a single non-empty word",
            version.escape_debug()
        )));
    }
    Ok(())
}

impl Registry {
    /// Creates branch `proposals/<id>` from `main` with one commit, by
    /// `author`, that writes `contents` to `key`'s path. Returns the commit id.
    /// Idempotent for the same key and contents; `Conflict` otherwise.
    pub fn propose(
        &self,
        proposal_id: u64,
        key: &ProductKey,
        version: &str,
        contents: &[u8],
        author: &Signature,
    ) -> Result<String> {
        check_version(version)?;
        let sig = author.to_git()?;
        if let Some(tip) = self.proposal_tip(proposal_id)? {
            return self.same_proposal(proposal_id, &tip, key, contents);
        }
        let main = self.main_commit()?;
        let blob = self.repo.blob(contents)?;
        let tree = self.tree_with(&main.tree()?, key, blob)?;
        let message = propose_message(proposal_id, key, version);
        let id = self.repo.commit(None, &sig, &sig, &message, &tree, &[&main])?;
        let log = format!("steward: propose {key} {version}");
        match self.repo.reference(&proposal_ref(proposal_id), id, false, &log) {
            Ok(_) => Ok(id.to_string()),
            // Another writer created the branch first: same rule as above.
            Err(e) if e.code() == ErrorCode::Exists => {
                let tip = self
                    .proposal_tip(proposal_id)?
                    .ok_or_else(|| RegistryError::Corrupt(format!("proposal {proposal_id} vanished")))?;
                self.same_proposal(proposal_id, &tip, key, contents)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn same_proposal(&self, proposal_id: u64, tip: &Commit<'_>, key: &ProductKey, contents: &[u8]) -> Result<String> {
        let existing_key = proposed_key(proposal_id, tip)?;
        if existing_key != *key {
            return Err(RegistryError::Conflict(format!(
                "proposal {proposal_id} already exists for {existing_key}, not {key}; use a new proposal id"
            )));
        }
        let wanted = Oid::hash_object(ObjectType::Blob, contents)?;
        if Self::blob_in(&tip.tree()?, key)? == Some(wanted) {
            Ok(tip.id().to_string())
        } else {
            Err(RegistryError::Conflict(format!(
                "proposal {proposal_id} already exists for {key} with different contents \
                 (branch proposals/{proposal_id} at {}); use a new proposal id",
                tip.id()
            )))
        }
    }

    /// The proposed contract on the tip of `proposals/<id>`, `None` if there
    /// is no such branch.
    pub fn proposal_contents(&self, proposal_id: u64) -> Result<Option<Vec<u8>>> {
        let Some(tip) = self.proposal_tip(proposal_id)? else {
            return Ok(None);
        };
        let key = proposed_key(proposal_id, &tip)?;
        match self.file_in(&tip.tree()?, &key)? {
            Some(contents) => Ok(Some(contents)),
            None => Err(RegistryError::Corrupt(format!(
                "proposal {proposal_id} names {key} but has no {}",
                key.registry_path()
            ))),
        }
    }

    /// Merges `proposals/<id>` into `main` with a two-parent commit by
    /// `reviewer`; returns its id. Idempotent; `Conflict` if `key` changed on
    /// `main` since the proposal was made; `NotFound` without the branch.
    pub fn merge_proposal(
        &self,
        proposal_id: u64,
        key: &ProductKey,
        version: &str,
        reviewer: &Signature,
        comment: Option<&str>,
    ) -> Result<String> {
        check_version(version)?;
        let sig = reviewer.to_git()?;
        let tip = self.proposal_tip(proposal_id)?.ok_or_else(|| {
            RegistryError::NotFound(format!(
                "proposal {proposal_id} has no branch proposals/{proposal_id} in the registry"
            ))
        })?;
        let proposed = proposed_key(proposal_id, &tip)?;
        if proposed != *key {
            return Err(RegistryError::InvalidInput(format!("proposal {proposal_id} proposes {proposed}, not {key}")));
        }
        if let Some(merge) = self.merging_commit(tip.id())? {
            return Ok(merge.to_string());
        }

        let main = self.main_commit()?;
        let base = self
            .repo
            .merge_base(main.id(), tip.id())
            .map_err(|e| RegistryError::Corrupt(format!("proposal {proposal_id} shares no history with main: {e}")))?;
        let at_base = Self::blob_in(&self.repo.find_commit(base)?.tree()?, key)?;
        let main_tree = main.tree()?;
        if Self::blob_in(&main_tree, key)? != at_base {
            return Err(RegistryError::Conflict(format!(
                "{key} changed on main after proposal {proposal_id} was made (main is now at {}); \
                 resubmit the contract as a new proposal based on the current version",
                main.id()
            )));
        }
        let blob = Self::blob_in(&tip.tree()?, key)?.ok_or_else(|| {
            RegistryError::Corrupt(format!("proposal {proposal_id} names {key} but has no {}", key.registry_path()))
        })?;
        let tree = self.tree_with(&main_tree, key, blob)?;
        let message = merge_message(proposal_id, key, version, reviewer, comment);
        let id = self.repo.commit(None, &sig, &sig, &message, &tree, &[&main, &tip])?;
        self.advance_main(main.id(), id, &format!("steward: merge proposal {proposal_id}"))?;
        Ok(id.to_string())
    }

    /// Id of the commit on `main`'s first-parent line that merged proposal
    /// `id`; `None` if it is not merged or has no branch.
    pub fn merged_in(&self, proposal_id: u64) -> Result<Option<String>> {
        match self.proposal_tip(proposal_id)? {
            Some(tip) => Ok(self.merging_commit(tip.id())?.map(|id| id.to_string())),
            None => Ok(None),
        }
    }

    pub(crate) fn proposal_tip(&self, proposal_id: u64) -> Result<Option<Commit<'_>>> {
        match self.repo.find_reference(&proposal_ref(proposal_id)) {
            Ok(reference) => Ok(Some(reference.peel_to_commit()?)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The first-parent commit of `main` that brought `tip` into its history.
    fn merging_commit(&self, tip: Oid) -> Result<Option<Oid>> {
        let main = self.main_commit()?;
        let reaches = |id: Oid| -> Result<bool> { Ok(id == tip || self.repo.graph_descendant_of(id, tip)?) };
        if !reaches(main.id())? {
            return Ok(None);
        }
        // Fast path: Steward's own merges have the tip as a direct parent.
        let mut commit = main.clone();
        loop {
            if commit.id() == tip || commit.parent_ids().skip(1).any(|p| p == tip) {
                return Ok(Some(commit.id()));
            }
            match commit.parents().next() {
                Some(parent) => commit = parent,
                None => break,
            }
        }
        // Merged some other way: the oldest first-parent commit that reaches it.
        let mut commit = main;
        while let Some(parent) = commit.parents().next() {
            if !reaches(parent.id())? {
                break;
            }
            commit = parent;
        }
        Ok(Some(commit.id()))
    }
}

/// The product a proposal commit is about, from its subject
/// `Propose <key> <version>`.
fn proposed_key(proposal_id: u64, tip: &Commit<'_>) -> Result<ProductKey> {
    let message = String::from_utf8_lossy(tip.message_bytes());
    let subject = message.lines().next().unwrap_or_default();
    subject
        .strip_prefix("Propose ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|key| ProductKey::parse(key).ok())
        .ok_or_else(|| {
            RegistryError::Corrupt(format!(
                "proposals/{proposal_id} at {} is not a Steward proposal commit (subject `{subject}`)",
                tip.id()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ProductKey {
        ProductKey::parse("sales.orders").unwrap()
    }

    #[test]
    fn messages_follow_the_documented_format() {
        assert_eq!(propose_message(7, &key(), "1.2.0"), "Propose sales.orders 1.2.0\n\nProposal: 7\n");
        let reviewer = Signature::new("Rita Reviewer", "rita@example.com");
        assert_eq!(
            merge_message(7, &key(), "1.2.0", &reviewer, Some("  Looks good.\n")),
            "Merge proposal 7: sales.orders 1.2.0\n\nLooks good.\n\n\
             Proposal: 7\nApproved-by: Rita Reviewer <rita@example.com>\n"
        );
        assert_eq!(
            merge_message(7, &key(), "1.2.0", &reviewer, Some("   ")),
            merge_message(7, &key(), "1.2.0", &reviewer, None)
        );
        assert_eq!(
            merge_message(7, &key(), "1.2.0", &reviewer, None),
            "Merge proposal 7: sales.orders 1.2.0\n\n\
             Proposal: 7\nApproved-by: Rita Reviewer <rita@example.com>\n"
        );
    }

    #[test]
    fn versions_must_be_one_word() {
        assert!(check_version("1.0.0").is_ok());
        for bad in ["", "1.0 beta", "1.0\nApproved-by: x", "\t"] {
            assert!(matches!(check_version(bad), Err(RegistryError::InvalidInput(_))));
        }
    }
}
