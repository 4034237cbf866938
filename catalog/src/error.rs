//! Errors. `StoreError` is the store's; `ApiError` (in `api::error`) is the
//! one HTTP error type. sqlx errors are mapped in exactly one place here.

use steward_registry::RegistryError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// A lock another replica holds did not come free in time (PostgreSQL
    /// `lock_not_available`). Worth retrying; answered with 503.
    #[error("busy: {0}")]
    Busy(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound("row".to_owned()),
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(db.message().to_owned()),
            // PostgreSQL's lock_not_available: a `lock_timeout` ran out.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("55P03") => {
                StoreError::Busy(db.message().to_owned())
            }
            _ => StoreError::Database(e),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// What a service operation can fail with; the API maps each to a status.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The contract has errors; the findings say which.
    #[error("{message}")]
    Invalid { message: String, findings: Vec<steward_policies::Finding>, proposal_id: Option<i64> },
    /// Try again shortly (a registry lock held by another writer).
    #[error("{0}")]
    Busy(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(RegistryError),
}

/// A database error met by a service operation directly (a commit): mapped
/// through [`StoreError`] like every other.
impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::Store(StoreError::from(e))
    }
}

impl From<RegistryError> for ServiceError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Conflict(m) => ServiceError::Conflict(m),
            RegistryError::NotFound(m) => ServiceError::NotFound(m),
            RegistryError::InvalidInput(m) => ServiceError::BadRequest(m),
            RegistryError::Busy(m) => ServiceError::Busy(format!("the registry is busy ({m}); retry in a moment")),
            RegistryError::Upstream(m) => ServiceError::Busy(format!("{m}; nothing was changed, retry in a moment")),
            other => ServiceError::Registry(other),
        }
    }
}
