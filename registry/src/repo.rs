//! The synchronous core: opening the bare repository, reading files at
//! revisions, writing trees in memory, moving `main`, pushing.

use std::fs;
use std::path::{Path, PathBuf};

use git2::{Commit, ErrorCode, ObjectType, Oid, PushOptions, RemoteCallbacks, Repository, RepositoryInitOptions, Tree};
use steward_schemas::ProductKey;

use crate::error::{RegistryError, Result};

/// The branch that holds the approved contracts.
pub const MAIN_BRANCH: &str = "main";
pub(crate) const MAIN_REF: &str = "refs/heads/main";
/// Subject of the root commit written by [`Registry::open_or_init`].
pub const INIT_MESSAGE: &str = "Initialize Steward registry\n";
const FILE_MODE: i32 = 0o100_644;
const TREE_MODE: i32 = 0o040_000;

/// The contract registry: a bare git repository. See the crate docs.
pub struct Registry {
    pub(crate) repo: Repository,
    path: PathBuf,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("path", &self.path).finish()
    }
}

impl Registry {
    /// Opens the bare repository at `path`, or creates it (with parent
    /// directories), an empty root commit on `main` and `HEAD -> main`.
    /// Idempotent. Refuses a non-empty directory that is not a bare repository.
    pub fn open_or_init(path: &Path) -> Result<Self> {
        let repo = if dir_is_missing_or_empty(path)? {
            fs::create_dir_all(path)?;
            let mut opts = RepositoryInitOptions::new();
            opts.bare(true).mkpath(true).initial_head(MAIN_BRANCH);
            Repository::init_opts(path, &opts)?
        } else {
            Repository::open_bare(path).map_err(|e| {
                if e.code() == ErrorCode::NotFound {
                    RegistryError::Corrupt(format!(
                        "{} exists but is not a git repository; point the registry at an empty \
                         or missing directory",
                        path.display()
                    ))
                } else {
                    e.into()
                }
            })?
        };
        if !repo.is_bare() {
            return Err(RegistryError::Corrupt(format!(
                "{} is a git repository with a working tree; the registry must be bare",
                path.display()
            )));
        }
        let registry = Self { repo, path: path.to_path_buf() };
        registry.ensure_main()?;
        Ok(registry)
    }

    fn ensure_main(&self) -> Result<()> {
        match self.repo.find_reference(MAIN_REF) {
            Ok(_) => {}
            Err(e) if e.code() == ErrorCode::NotFound => {
                let tree = self.repo.find_tree(self.repo.treebuilder(None)?.write()?)?;
                let sig = git2::Signature::now("Steward", "steward@localhost")?;
                let id = self.repo.commit(None, &sig, &sig, INIT_MESSAGE, &tree, &[])?;
                match self.repo.reference(MAIN_REF, id, false, "steward: initialize registry") {
                    Ok(_) => {}
                    // Another process initialised it first: theirs wins.
                    Err(e) if e.code() == ErrorCode::Exists => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) => return Err(e.into()),
        }
        let head_is_main = self
            .repo
            .find_reference("HEAD")
            .ok()
            .and_then(|head| head.symbolic_target().ok().flatten().map(|t| t == MAIN_REF))
            .unwrap_or(false);
        if !head_is_main {
            self.repo.set_head(MAIN_REF)?;
        }
        Ok(())
    }

    /// The path the registry was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hex id of the commit `main` points at.
    pub fn main_tip(&self) -> Result<String> {
        Ok(self.main_commit()?.id().to_string())
    }

    /// The contract for `key` on `main` (`rev = None`) or at a commit id or
    /// ref name (`main`, `proposals/7`, a hex id, `main~2`); `None` if the
    /// file does not exist there. An unknown revision is `NotFound`.
    pub fn read(&self, key: &ProductKey, rev: Option<&str>) -> Result<Option<Vec<u8>>> {
        let commit = match rev {
            None => self.main_commit()?,
            Some(rev) => self.resolve_commit(rev)?,
        };
        self.file_in(&commit.tree()?, key)
    }

    /// Pushes `refs/heads/main` to `remote_url` (a URL or local path). The
    /// push is never forced: a remote `main` that has diverged is a `Conflict`.
    pub fn push_main(&self, remote_url: &str) -> Result<()> {
        let mut remote = self.repo.remote_anonymous(remote_url)?;
        let mut rejected: Option<String> = None;
        let pushed = {
            let mut callbacks = RemoteCallbacks::new();
            callbacks.push_update_reference(|refname, status| {
                if let Some(status) = status {
                    rejected = Some(format!("{refname}: {status}"));
                }
                Ok(())
            });
            let mut opts = PushOptions::new();
            opts.remote_callbacks(callbacks);
            remote.push(&[format!("{MAIN_REF}:{MAIN_REF}")], Some(&mut opts))
        };
        match pushed {
            Err(e) if e.code() == ErrorCode::NotFastForward => {
                return Err(RegistryError::Conflict(format!(
                    "{remote_url} has a `main` that is not an ancestor of ours; reconcile it by hand: {e}"
                )));
            }
            other => other?,
        }
        match rejected {
            Some(why) => Err(RegistryError::Conflict(format!("{remote_url} refused the push of main ({why})"))),
            None => Ok(()),
        }
    }

    // ---- helpers shared by the other modules ----

    pub(crate) fn main_commit(&self) -> Result<Commit<'_>> {
        let reference = self.repo.find_reference(MAIN_REF).map_err(|e| {
            if e.code() == ErrorCode::NotFound {
                RegistryError::Corrupt(format!("{MAIN_REF} is missing"))
            } else {
                e.into()
            }
        })?;
        Ok(reference.peel_to_commit()?)
    }

    pub(crate) fn resolve_commit(&self, rev: &str) -> Result<Commit<'_>> {
        let object = self.repo.revparse_single(rev).map_err(|e| match e.code() {
            ErrorCode::NotFound | ErrorCode::InvalidSpec | ErrorCode::Ambiguous => {
                RegistryError::NotFound(format!("revision `{rev}` in the registry ({e})"))
            }
            _ => e.into(),
        })?;
        object.peel_to_commit().map_err(|_| RegistryError::NotFound(format!("revision `{rev}` is not a commit")))
    }

    /// The blob id of `key`'s contract in `tree`, if any.
    pub(crate) fn blob_in(tree: &Tree<'_>, key: &ProductKey) -> Result<Option<Oid>> {
        let path = key.registry_path();
        match tree.get_path(Path::new(&path)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Blob) => Ok(Some(entry.id())),
            Ok(_) => Err(RegistryError::Corrupt(format!("{path} is not a file"))),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub(crate) fn file_in(&self, tree: &Tree<'_>, key: &ProductKey) -> Result<Option<Vec<u8>>> {
        match Self::blob_in(tree, key)? {
            Some(id) => Ok(Some(self.repo.find_blob(id)?.content().to_vec())),
            None => Ok(None),
        }
    }

    /// Writes a copy of `base` with `key`'s contract set to `blob`; returns it.
    pub(crate) fn tree_with(&self, base: &Tree<'_>, key: &ProductKey, blob: Oid) -> Result<Tree<'_>> {
        let file = format!("{}.odcs.yaml", key.product);
        let path = ["contracts", key.domain.as_str(), file.as_str()];
        let id = self.insert_path(Some(base), &path, blob)?;
        Ok(self.repo.find_tree(id)?)
    }

    fn insert_path(&self, base: Option<&Tree<'_>>, path: &[&str], blob: Oid) -> Result<Oid> {
        let mut builder = self.repo.treebuilder(base)?;
        match path {
            [] => unreachable!("registry paths are never empty"),
            [file] => {
                builder.insert(*file, blob, FILE_MODE)?;
            }
            [dir, rest @ ..] => {
                let sub = match base.and_then(|t| t.get_name(dir)) {
                    Some(entry) if entry.kind() == Some(ObjectType::Tree) => Some(self.repo.find_tree(entry.id())?),
                    _ => None,
                };
                let sub_id = self.insert_path(sub.as_ref(), rest, blob)?;
                builder.insert(*dir, sub_id, TREE_MODE)?;
            }
        }
        Ok(builder.write()?)
    }

    /// Moves `main` from `old` to `new`, failing with `Conflict` if another
    /// writer moved it in between.
    pub(crate) fn advance_main(&self, old: Oid, new: Oid, log: &str) -> Result<()> {
        match self.repo.reference_matching(MAIN_REF, new, true, old, log) {
            Ok(_) => Ok(()),
            Err(e) if e.code() == ErrorCode::Modified => {
                Err(RegistryError::Conflict(format!("main moved while writing ({log}); retry")))
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn dir_is_missing_or_empty(path: &Path) -> Result<bool> {
    match fs::read_dir(path) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_non_empty_directory_that_is_not_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), "hello").unwrap();
        let err = Registry::open_or_init(dir.path()).unwrap_err();
        assert!(matches!(err, RegistryError::Corrupt(_)), "{err}");
    }

    #[test]
    fn refuses_a_repository_with_a_working_tree() {
        let dir = tempfile::tempdir().unwrap();
        Repository::init(dir.path()).unwrap();
        assert!(Registry::open_or_init(dir.path()).is_err());
    }

    #[test]
    fn inits_into_an_existing_empty_directory() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open_or_init(dir.path()).unwrap();
        assert!(registry.repo.is_bare());
        assert_eq!(registry.path(), dir.path());
    }

    #[test]
    fn tree_with_keeps_siblings() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open_or_init(&dir.path().join("r.git")).unwrap();
        let a = ProductKey::parse("sales.orders").unwrap();
        let b = ProductKey::parse("sales.returns").unwrap();
        let c = ProductKey::parse("hr.people").unwrap();
        let empty = registry.main_commit().unwrap().tree().unwrap();
        let blob = registry.repo.blob(b"x").unwrap();
        let t1 = registry.tree_with(&empty, &a, blob).unwrap();
        let t2 = registry.tree_with(&t1, &b, blob).unwrap();
        let t3 = registry.tree_with(&t2, &c, blob).unwrap();
        for key in [&a, &b, &c] {
            assert_eq!(Registry::blob_in(&t3, key).unwrap(), Some(blob));
        }
        assert_eq!(Registry::blob_in(&empty, &a).unwrap(), None);
    }
}
