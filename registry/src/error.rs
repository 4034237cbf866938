//! The one error type of the registry.

/// Why a registry operation failed.
///
/// Callers usually map `NotFound` to 404, `Conflict` to 409, `InvalidInput`
/// to 400 and everything else to 500.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A proposal branch, revision or file that the operation needs does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The operation cannot be applied as asked: a proposal id reused with
    /// other contents, a proposal made stale by another merge, or `main`
    /// moving underneath a write. The message says what to do.
    #[error("conflict: {0}")]
    Conflict(String),
    /// An argument cannot be written into git (e.g. a version with a newline).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Another writer holds a lock on a ref or the index (a second process
    /// on the same repository, or a crashed one that left a `.lock` file).
    /// Worth retrying shortly; callers answer 503 with `Retry-After`.
    #[error("the registry is busy: {0}")]
    Busy(String),
    /// The upstream git remote could not be reached, refused the
    /// credentials or failed mid-transfer. Nothing was changed in the store;
    /// worth retrying (callers answer 503). The message names the remote
    /// without credentials.
    #[error("the registry's upstream is unavailable: {0}")]
    Upstream(String),
    /// libgit2 failed (bad signature, unreadable object, push refused, ...).
    #[error("git error: {0}")]
    Git(git2::Error),
    /// The file system failed (creating the repository directory).
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The repository is not in the shape Steward writes (or a registry task
    /// panicked): something outside Steward changed it, or a bug.
    #[error("registry is corrupt: {0}")]
    Corrupt(String),
}

impl From<git2::Error> for RegistryError {
    fn from(e: git2::Error) -> Self {
        if e.code() == git2::ErrorCode::Locked {
            RegistryError::Busy(e.message().to_owned())
        } else {
            RegistryError::Git(e)
        }
    }
}

/// Shorthand used throughout the crate.
pub type Result<T, E = RegistryError> = std::result::Result<T, E>;
