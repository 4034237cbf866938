//! Plain data returned by the registry.

use std::fmt;

use chrono::{DateTime, Utc};
use steward_schemas::ProductKey;

use crate::error::{RegistryError, Result};

/// A person as git records them: who proposed or who approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub name: String,
    pub email: String,
}

impl Signature {
    pub fn new(name: impl Into<String>, email: impl Into<String>) -> Self {
        Self { name: name.into(), email: email.into() }
    }

    /// A git signature stamped with the current time. Rejects what git
    /// cannot store: empty parts, `<`, `>` and control characters.
    pub(crate) fn to_git(&self) -> Result<git2::Signature<'static>> {
        let bad = |part: &str| part.trim().is_empty() || part.chars().any(|c| c == '<' || c == '>' || c.is_control());
        if bad(&self.name) || bad(&self.email) {
            return Err(RegistryError::InvalidInput(format!(
                "signature `{self}` is not valid: name and email must be non-empty \
                 and contain no `<`, `>` or control characters"
            )));
        }
        Ok(git2::Signature::now(&self.name, &self.email)?)
    }

    pub(crate) fn from_git(sig: &git2::Signature<'_>) -> Self {
        Self {
            name: String::from_utf8_lossy(sig.name_bytes()).into_owned(),
            email: String::from_utf8_lossy(sig.email_bytes()).into_owned(),
        }
    }
}

/// `name <email>`, as in a git trailer.
impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

/// One commit, as shown in a product's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Full hex commit id.
    pub id: String,
    pub author: Signature,
    pub committer: Signature,
    /// Commit (committer) time.
    pub time: DateTime<Utc>,
    /// The full message, subject and body.
    pub message: String,
}

impl CommitInfo {
    pub(crate) fn from_commit(commit: &git2::Commit<'_>) -> Self {
        let seconds = commit.time().seconds();
        Self {
            id: commit.id().to_string(),
            author: Signature::from_git(&commit.author()),
            committer: Signature::from_git(&commit.committer()),
            time: DateTime::from_timestamp(seconds, 0).unwrap_or_default(),
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
        }
    }
}

/// A contract on `main`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MainEntry {
    pub key: ProductKey,
    /// The YAML exactly as stored.
    pub contents: Vec<u8>,
    /// Hex id of the newest first-parent commit of `main` that changed the file.
    pub commit: String,
    /// The proposal that commit merged, from its `Proposal:` trailer; `None`
    /// for a commit Steward did not make (a change pushed to the registry by
    /// other means).
    pub proposal: Option<u64>,
}

/// The proposal id in a commit message's `Proposal: <id>` trailer (the last
/// paragraph's lines, as `git interpret-trailers` reads them).
pub fn proposal_trailer(message: &str) -> Option<u64> {
    let trailers = message.trim_end().rsplit("\n\n").next()?;
    trailers.lines().find_map(|line| line.strip_prefix("Proposal:").and_then(|id| id.trim().parse().ok()))
}
