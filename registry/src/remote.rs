//! The registry's truth on a git remote: fetching it into the local bare
//! repository (a cache) and pushing what Steward wrote.
//!
//! With an [`Upstream`], every replica's local repository is a cache of the
//! remote. [`Registry::fetch`] makes each local branch what the remote says
//! (a local commit that never reached the remote is dropped: the write that
//! made it failed, and the store does not count it). Writers fetch, commit and
//! [`Registry::push`] under one lock shared by all replicas (the catalog holds
//! it), so a non-fast-forward push means someone outside Steward moved the
//! branch; it is a [`RegistryError::Conflict`] and nothing is forced.
//!
//! Transports are libgit2's: `https://` (with a username and token),
//! `ssh://` or `git@host:path` (a key file or the SSH agent), `git://`,
//! `http://` and local paths. Credentials never appear in errors or logs:
//! [`Upstream::display_url`] strips any user-info from the URL.

use std::cell::Cell;
use std::path::PathBuf;

use git2::{AutotagOption, Cred, CredentialType, ErrorCode, FetchOptions, PushOptions, RemoteCallbacks};

use crate::error::{RegistryError, Result};
use steward_schemas::ProductKey;

use crate::proposals::proposal_ref;
use crate::repo::{MAIN_REF, Registry};
use crate::types::Signature;

/// How often a merge is re-done on a `main` that moved outside Steward.
const PUSH_ATTEMPTS: u32 = 3;

/// Where fetched branches land before they become local branches.
const TRACKING: &str = "refs/remotes/upstream/";

/// A git remote holding the registry's truth.
#[derive(Clone)]
pub struct Upstream {
    pub url: String,
    pub credentials: Credentials,
}

/// How to authenticate to the upstream. Empty: anonymous (or, for SSH, the agent).
#[derive(Clone, Default)]
pub struct Credentials {
    /// HTTPS user name (a token's owner; GitHub accepts any name with a
    /// token) or the SSH user when the URL names none.
    pub username: Option<String>,
    /// HTTPS password or access token.
    pub password: Option<String>,
    /// A private key file for SSH remotes; without it the SSH agent is asked.
    pub ssh_key: Option<PathBuf>,
    pub ssh_passphrase: Option<String>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").field("url", &self.display_url()).finish_non_exhaustive()
    }
}

impl Upstream {
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), credentials: Credentials::default() }
    }

    /// The URL without any `user:password@` part, for logs and errors.
    pub fn display_url(&self) -> String {
        redact_url(&self.url)
    }

    fn callbacks(&self) -> RemoteCallbacks<'_> {
        let mut callbacks = RemoteCallbacks::new();
        // libgit2 asks again after a refused credential; answering the same
        // one forever would loop, so each kind is offered once.
        let tried = Cell::new(CredentialType::empty());
        let creds = &self.credentials;
        callbacks.credentials(move |_url, user_in_url, allowed| {
            let user = user_in_url.or(creds.username.as_deref()).unwrap_or("git");
            let offer = |kind: CredentialType| allowed.contains(kind) && !tried.get().contains(kind);
            if offer(CredentialType::SSH_KEY) {
                tried.set(tried.get() | CredentialType::SSH_KEY);
                return match &creds.ssh_key {
                    Some(key) => Cred::ssh_key(user, None, key, creds.ssh_passphrase.as_deref()),
                    None => Cred::ssh_key_from_agent(user),
                };
            }
            if offer(CredentialType::USER_PASS_PLAINTEXT)
                && let Some(password) = &creds.password
            {
                tried.set(tried.get() | CredentialType::USER_PASS_PLAINTEXT);
                return Cred::userpass_plaintext(user, password);
            }
            if offer(CredentialType::USERNAME) {
                tried.set(tried.get() | CredentialType::USERNAME);
                return Cred::username(user);
            }
            Err(git2::Error::from_str("the upstream refused the configured credentials (or none are configured)"))
        });
        callbacks
    }

    fn error(&self, what: &str, e: git2::Error) -> RegistryError {
        let hint = if e.class() == git2::ErrorClass::Ssh && e.message().contains("hostkey") {
            " (libgit2 checks SSH host keys against ~/.ssh/known_hosts of the user running steward: \
             add the server's key there, e.g. from `ssh-keyscan`, after checking it)"
        } else {
            ""
        };
        RegistryError::Upstream(format!("{what} {}: {}{hint}", self.display_url(), redact_url(e.message())))
    }
}

/// What a fetch changed locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// `main` before and after; equal when the remote had nothing new.
    pub main_before: String,
    pub main_after: String,
    /// The remote had no `main` (a new, empty repository); nothing changed locally.
    pub remote_empty: bool,
}

impl Registry {
    /// Makes every local branch what `upstream` holds (see the module docs).
    pub fn fetch(&self, upstream: &Upstream) -> Result<Fetched> {
        let main_before = self.main_tip()?;
        let remote_empty = !self.download(upstream)?;
        self.follow_upstream()?;
        Ok(Fetched { main_before, main_after: self.main_tip()?, remote_empty })
    }

    /// Fetches `upstream`'s branches into `refs/remotes/upstream/*` without
    /// touching local branches; true if the remote has a `main`.
    pub fn download(&self, upstream: &Upstream) -> Result<bool> {
        let mut remote = self.repo.remote_anonymous(&upstream.url).map_err(|e| upstream.error("cannot use", e))?;
        let mut options = FetchOptions::new();
        options.remote_callbacks(upstream.callbacks()).download_tags(AutotagOption::None).prune(git2::FetchPrune::On);
        remote
            .fetch(&[format!("+refs/heads/*:{TRACKING}*")], Some(&mut options), Some("steward: fetch upstream"))
            .map_err(|e| upstream.error("cannot fetch from", e))?;
        Ok(self.repo.refname_to_id(&format!("{TRACKING}main")).is_ok())
    }

    /// Sets every local branch the upstream has to the upstream's commit.
    pub fn follow_upstream(&self) -> Result<()> {
        for reference in self.repo.references_glob(&format!("{TRACKING}*"))? {
            let reference = reference?;
            let (Ok(name), Some(target)) = (reference.name(), reference.target()) else { continue };
            let branch = format!("refs/heads/{}", &name[TRACKING.len()..]);
            let current = self.repo.find_reference(&branch).ok().and_then(|r| r.target());
            if current != Some(target) {
                self.repo.reference(&branch, target, true, "steward: follow upstream")?;
            }
        }
        Ok(())
    }

    /// Pushes `refs` (full names, e.g. `refs/heads/main`) to `upstream`,
    /// never forced: a remote branch that moved elsewhere is a `Conflict`.
    pub fn push(&self, upstream: &Upstream, refs: &[String]) -> Result<()> {
        let mut remote = self.repo.remote_anonymous(&upstream.url).map_err(|e| upstream.error("cannot use", e))?;
        let mut rejected: Option<String> = None;
        let pushed = {
            let mut callbacks = upstream.callbacks();
            callbacks.push_update_reference(|refname, status| {
                if let Some(status) = status {
                    rejected = Some(format!("{refname}: {status}"));
                }
                Ok(())
            });
            let mut options = PushOptions::new();
            options.remote_callbacks(callbacks);
            let specs: Vec<String> = refs.iter().map(|r| format!("{r}:{r}")).collect();
            remote.push(&specs, Some(&mut options))
        };
        match pushed {
            Err(e) if e.code() == ErrorCode::NotFastForward => {
                return Err(RegistryError::Conflict(format!(
                    "{} moved {} outside Steward; fetch and retry ({})",
                    upstream.display_url(),
                    refs.join(", "),
                    e.message()
                )));
            }
            Err(e) => return Err(upstream.error("cannot push to", e)),
            Ok(()) => {}
        }
        match rejected {
            Some(why) => Err(RegistryError::Conflict(format!("{} refused the push ({why})", upstream.display_url()))),
            None => Ok(()),
        }
    }

    /// Every local branch (full ref names): what a first push to an empty
    /// upstream sends.
    pub fn branches(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for reference in self.repo.references_glob("refs/heads/*")? {
            if let Ok(name) = reference?.name() {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// True if `main` holds nothing but the root commit Steward writes.
    pub fn is_pristine(&self) -> Result<bool> {
        let main = self.main_commit()?;
        Ok(main.parent_count() == 0 && main.tree()?.is_empty())
    }

    /// Those of `commits` that are not on the fetched upstream's `main`
    /// (neither its tip nor an ancestor), in the order given. One walk of
    /// the upstream's history, however many commits are asked about.
    pub fn upstream_lacks<'a>(&self, commits: impl IntoIterator<Item = &'a str>) -> Result<Vec<&'a str>> {
        let mut on_main = std::collections::HashSet::new();
        if let Ok(theirs) = self.repo.refname_to_id(&format!("{TRACKING}main")) {
            let mut walk = self.repo.revwalk()?;
            walk.push(theirs)?;
            for id in walk {
                on_main.insert(id?);
            }
        }
        Ok(commits.into_iter().filter(|c| git2::Oid::from_str(c).map_or(true, |id| !on_main.contains(&id))).collect())
    }
}

impl Registry {
    /// [`Registry::propose`] on top of the upstream's `main`, then pushes
    /// the proposal branch. Without an upstream, only the local write.
    pub fn propose_shared(
        &self,
        upstream: Option<&Upstream>,
        proposal_id: u64,
        key: &ProductKey,
        version: &str,
        contents: &[u8],
        author: &Signature,
    ) -> Result<String> {
        let Some(upstream) = upstream else { return self.propose(proposal_id, key, version, contents, author) };
        self.fetch(upstream)?;
        let tip = self.propose(proposal_id, key, version, contents, author)?;
        self.push(upstream, &[proposal_ref(proposal_id)])?;
        Ok(tip)
    }

    /// [`Registry::merge_proposal`] on top of the upstream's `main`, then
    /// pushes `main`. A push refused because `main` moved outside Steward is
    /// retried on the new `main` (the conflict rule applies again).
    ///
    /// Errors say whether the merge may have landed: [`RegistryError::Upstream`]
    /// means it is unknown (the remote went away mid-push and cannot be asked);
    /// any other error means it did not, and the local copy is back in line
    /// with the remote.
    pub fn merge_shared(
        &self,
        upstream: Option<&Upstream>,
        proposal_id: u64,
        key: &ProductKey,
        version: &str,
        reviewer: &Signature,
        comment: Option<&str>,
    ) -> Result<String> {
        let Some(upstream) = upstream else {
            return self.merge_proposal(proposal_id, key, version, reviewer, comment);
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            self.fetch(upstream)?;
            let merge = self.merge_proposal(proposal_id, key, version, reviewer, comment)?;
            let pushed = self.push(upstream, &[MAIN_REF.to_owned()]);
            match pushed {
                Ok(()) => return Ok(merge),
                Err(RegistryError::Conflict(_)) if attempts < PUSH_ATTEMPTS => continue,
                Err(e) => {
                    // Did the push land before the error? Ask the remote.
                    self.fetch(upstream)?;
                    return match self.merged_in(proposal_id)? {
                        Some(merge) => Ok(merge),
                        None if matches!(e, RegistryError::Upstream(_)) => Err(RegistryError::Busy(format!(
                            "the merge of proposal {proposal_id} could not be pushed ({e}); nothing was merged"
                        ))),
                        None => Err(e),
                    };
                }
            }
        }
    }
}

/// Sets libgit2's network timeouts for every remote: connecting, and each
/// read or write on an open connection. Without them a git server that
/// accepts a connection and never answers would hold the registry writer
/// (and with it every replica's writes) forever.
///
/// # Safety
/// Writes libgit2 globals without synchronisation: call it before any
/// thread exists (first thing in `main`, before the async runtime starts).
#[allow(unsafe_code)]
pub unsafe fn set_network_timeouts(timeout: std::time::Duration) -> Result<()> {
    let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX).max(1);
    // SAFETY: the caller guarantees no other thread exists yet (see above).
    unsafe {
        git2::opts::set_server_connect_timeout_in_milliseconds(ms)?;
        git2::opts::set_server_timeout_in_milliseconds(ms)?;
    }
    Ok(())
}

/// `scheme://user:secret@host/path` → `scheme://host/path`; anything else as is.
pub fn redact_url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(|c: char| c == '/' || c.is_whitespace()).unwrap_or(tail.len());
        let authority = &tail[..end];
        out.push_str(authority.rsplit_once('@').map_or(authority, |(_, host)| host));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_user_info_wherever_a_url_appears() {
        assert_eq!(redact_url("https://bot:ghp_secret@github.com/acme/reg.git"), "https://github.com/acme/reg.git");
        assert_eq!(
            redact_url("failed: https://x:y@h/a and ssh://git@h2:22/b"),
            "failed: https://h/a and ssh://h2:22/b"
        );
        assert_eq!(redact_url("/srv/git/registry.git"), "/srv/git/registry.git");
        assert_eq!(redact_url("git@github.com:acme/reg.git"), "git@github.com:acme/reg.git");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let mut up = Upstream::new("https://bot:tok@example.com/r.git");
        up.credentials.password = Some("s3cret".into());
        let shown = format!("{up:?}");
        assert!(!shown.contains("tok") && !shown.contains("s3cret"), "{shown}");
    }
}
