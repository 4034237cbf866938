//! The embedded lake: where the data of `type: local` servers lives, and
//! where their `_SUCCESS` markers are written.
//!
//! A local location is resolved against the data dir (`lake/sales/orders/`
//! is `<data_dir>/lake/sales/orders/`; an absolute path is taken as is) and
//! must stay inside `<data_dir>/lake` — lexically (no `..`, no absolute path
//! elsewhere) and on disk (no symlink on the way that leads out). A contract
//! is text a producer wrote, so without this a refresh could make Steward
//! create directories and files anywhere the server may write.

use std::path::{Component, Path, PathBuf};

const MARKER: &str = "_SUCCESS";

/// Why a local location cannot take a marker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LakeError {
    /// The location is not acceptable, now or later (outside the lake, not a
    /// directory): asking again will not help.
    #[error("{0}")]
    Refused(String),
    /// The filesystem failed (permissions, disk full): may pass.
    #[error("{0}")]
    Io(String),
}

/// How a table location is signalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationKind {
    /// `s3://bucket/prefix/`.
    S3,
    /// A path in the embedded lake.
    Local,
}

/// `s3://...` is S3; anything else with a scheme is refused; the rest is a path.
pub fn location_kind(location: &str) -> Result<LocationKind, LakeError> {
    if location.starts_with("s3://") {
        Ok(LocationKind::S3)
    } else if location.contains("://") {
        Err(LakeError::Refused(format!("location `{location}` is neither an s3:// URI nor a local path")))
    } else {
        Ok(LocationKind::Local)
    }
}

/// The embedded lake of one data dir.
#[derive(Debug, Clone)]
pub struct Lake {
    data_dir: PathBuf,
    root: PathBuf,
}

/// Lexically normalized absolute form (no `.`; `..` refused for locations).
fn absolute(p: &Path) -> Result<PathBuf, LakeError> {
    std::path::absolute(p).map_err(|e| LakeError::Io(format!("cannot resolve {}: {e}", p.display())))
}

impl Lake {
    /// The lake of `data_dir`: `<data_dir>/lake`.
    pub fn new(data_dir: &Path) -> Result<Self, LakeError> {
        let data_dir = absolute(data_dir)?;
        // The data dir comes from the operator, so `..` in it is resolved, not refused.
        let mut clean = PathBuf::new();
        for c in data_dir.components() {
            match c {
                Component::ParentDir => {
                    clean.pop();
                }
                Component::CurDir => {}
                other => clean.push(other),
            }
        }
        let root = clean.join("lake");
        Ok(Self { data_dir: clean, root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory `location` names, checked lexically: no `..`, no
    /// control characters or backslashes, and inside the lake.
    pub fn resolve(&self, location: &str) -> Result<PathBuf, LakeError> {
        let refuse = |why: &str| Err(LakeError::Refused(format!("local location `{}` {why}", location.escape_debug())));
        if location.trim().is_empty() {
            return refuse("is empty");
        }
        if location.chars().any(|c| c.is_control() || c == '\\') {
            return refuse("contains a control character or backslash");
        }
        let path = Path::new(location);
        let mut target = if path.is_absolute() { PathBuf::new() } else { self.data_dir.clone() };
        for c in path.components() {
            match c {
                Component::ParentDir => return refuse("must not contain `..`"),
                Component::CurDir => {}
                other => target.push(other),
            }
        }
        if !target.starts_with(&self.root) {
            return refuse(&format!("is outside the lake {}", self.root.display()));
        }
        Ok(target)
    }

    /// [`Self::resolve`], then on disk: the deepest part of the path that
    /// exists must be a directory inside the lake once symlinks are followed.
    /// Returns the directory with its existing part canonical. Blocking.
    pub fn check(&self, location: &str) -> Result<PathBuf, LakeError> {
        let target = self.resolve(location)?;
        let io = |what: &str, p: &Path, e: std::io::Error| LakeError::Io(format!("{what} {}: {e}", p.display()));
        let canon_root = match std::fs::canonicalize(&self.root) {
            Ok(r) => r,
            // No lake yet: nothing under it can lead out.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(target),
            Err(e) => return Err(io("cannot read the lake", &self.root, e)),
        };
        let mut existing = target.as_path();
        // symlink_metadata sees dangling links too (canonicalize then refuses them).
        while std::fs::symlink_metadata(existing).is_err() {
            match existing.parent() {
                Some(p) if p.starts_with(&self.root) => existing = p,
                _ => return Ok(target),
            }
        }
        let canon = std::fs::canonicalize(existing).map_err(|e| {
            LakeError::Refused(format!("local location `{location}`: {} cannot be resolved: {e}", existing.display()))
        })?;
        if !canon.starts_with(&canon_root) {
            return Err(LakeError::Refused(format!(
                "local location `{location}` leads out of the lake {} through a symlink ({} is {})",
                self.root.display(),
                existing.display(),
                canon.display()
            )));
        }
        if !canon.is_dir() {
            return Err(LakeError::Refused(format!(
                "local location `{location}`: {} is not a directory",
                existing.display()
            )));
        }
        let rest = target.strip_prefix(existing).unwrap_or(Path::new(""));
        Ok(canon.join(rest))
    }

    /// Writes a 0-byte `_SUCCESS` in the directory `location` names (creating
    /// it) and returns the marker's path. Rewriting a marker is harmless.
    pub async fn put_success(&self, location: &str) -> Result<PathBuf, LakeError> {
        let lake = self.clone();
        let location = location.to_owned();
        tokio::task::spawn_blocking(move || lake.put_success_blocking(&location))
            .await
            .map_err(|e| LakeError::Io(format!("marker task: {e}")))?
    }

    fn put_success_blocking(&self, location: &str) -> Result<PathBuf, LakeError> {
        let io = |what: &str, p: &Path, e: std::io::Error| LakeError::Io(format!("{what} {}: {e}", p.display()));
        let dir = self.check(location)?;
        std::fs::create_dir_all(&self.root).map_err(|e| io("cannot create the lake", &self.root, e))?;
        std::fs::create_dir_all(&dir).map_err(|e| io("cannot create", &dir, e))?;
        // Checked again now that it exists: a symlink may have appeared since.
        let dir = self.check(location)?;
        let marker = dir.join(MARKER);
        if std::fs::symlink_metadata(&marker).is_ok_and(|m| !m.is_file()) {
            return Err(LakeError::Refused(format!("{} exists and is not a regular file", marker.display())));
        }
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&marker)
            .map_err(|e| io("cannot write", &marker, e))?;
        Ok(marker)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_inside_the_lake_only() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::new(dir.path()).unwrap();
        let root = std::path::absolute(dir.path()).unwrap().join("lake");
        assert_eq!(lake.resolve("lake/sales/orders/t/").unwrap(), root.join("sales/orders/t"));
        assert_eq!(lake.resolve("./lake/sales/t").unwrap(), root.join("sales/t"));
        let abs = root.join("sales/x");
        assert_eq!(lake.resolve(abs.to_str().unwrap()).unwrap(), abs);
        for bad in [
            "lake/sales/../../etc",
            "../lake/sales",
            "lake/../steward.db",
            "/etc/cron.d",
            "sales/orders",
            "lakehouse/sales",
            "",
            "lake/a\\..\\b",
            "lake/a\nb",
        ] {
            assert!(matches!(lake.resolve(bad), Err(LakeError::Refused(_))), "{bad:?}");
        }
        assert_eq!(location_kind("s3://b/x").unwrap(), LocationKind::S3);
        assert_eq!(location_kind("lake/x").unwrap(), LocationKind::Local);
        assert!(location_kind("file:///etc").is_err());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn symlinks_out_of_the_lake_are_refused_and_markers_are_empty_files() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let lake = Lake::new(dir.path()).unwrap();
        let marker = lake.put_success("lake/sales/orders/t/dt=1/").await.unwrap();
        assert_eq!(std::fs::metadata(&marker).unwrap().len(), 0);
        assert!(marker.ends_with("lake/sales/orders/t/dt=1/_SUCCESS"));

        std::os::unix::fs::symlink(outside.path(), dir.path().join("lake/hr")).unwrap();
        let e = lake.put_success("lake/hr/salaries/t/").await.unwrap_err();
        assert!(matches!(&e, LakeError::Refused(m) if m.contains("symlink")), "{e}");
        assert!(std::fs::read_dir(outside.path()).unwrap().next().is_none(), "nothing written outside");
        // A link that stays inside the lake is fine.
        std::os::unix::fs::symlink(dir.path().join("lake/sales"), dir.path().join("lake/alias")).unwrap();
        assert!(lake.put_success("lake/alias/t/").await.is_ok());
        // A file where a directory should be.
        std::fs::write(dir.path().join("lake/file"), b"x").unwrap();
        assert!(matches!(lake.check("lake/file/t/"), Err(LakeError::Refused(_))));
    }
}
