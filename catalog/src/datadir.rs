//! One data dir, one server. The data dir holds the SQLite database, the
//! git registry and the embedded lake; two `steward serve` processes on it
//! would race on all three (and SQLite's own locking does not cover git).
//! A server takes an exclusive lock on `<data_dir>/steward.lock` for its
//! whole life; the operating system releases it when the process ends,
//! however it ends, so a crash never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The held lock; dropping it releases the data dir.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    path: PathBuf,
}

impl DataDirLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the data dir {dir} is in use by another `steward serve` ({holder}); stop it first, or give this one \
         its own --data-dir (replicas on PostgreSQL each have their own)"
    )]
    InUse { dir: PathBuf, holder: String },
    #[error("cannot lock {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// Takes the data dir's lock without waiting, and records this process's id
/// in the lock file so that the refusal can name the holder.
pub fn lock(data_dir: &Path) -> Result<DataDirLock, LockError> {
    let path = data_dir.join("steward.lock");
    let io = |source| LockError::Io { path: path.clone(), source };
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => "another process".to_owned(),
                pid => format!("pid {pid}"),
            };
            return Err(LockError::InUse { dir: data_dir.to_owned(), holder });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    writeln!(file, "{}", std::process::id()).map_err(io)?;
    Ok(DataDirLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_dir_is_refused_naming_the_holder_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        let err = lock(dir.path()).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, LockError::InUse { .. }), "{message}");
        assert!(message.contains(&format!("pid {}", std::process::id())), "{message}");
        drop(first);
        lock(dir.path()).expect("free again once the holder is gone");
    }
}
