//! The store: SQLite (embedded default, a file in the data dir) or PostgreSQL
//! (`postgres://...`, shared by many replicas), through one sqlx `Any` pool.
//!
//! Queries are written once in the SQL both databases accept (`$1`
//! placeholders, `ON CONFLICT`, `RETURNING`); the few places that differ
//! (full-text search) branch on [`Dialect`]. Migrations live in
//! `migrations/sqlite` and `migrations/postgres` and run at start.
//! Timestamps are RFC 3339 UTC text with microseconds, so they sort as text.
//! Functions take an executor so a service operation can put several
//! aggregates (proposal, catalog, audit) in one transaction.

pub mod access;
pub mod audit;
pub mod events;
pub mod lineage;
pub mod majors;
pub mod outbox;
pub mod products;
pub mod proposals;
pub mod queues;
pub mod refreshes;
pub mod registry;
mod search;
pub mod sessions;
pub mod slo;
pub mod subscriptions;
pub mod tokens;
pub mod workspace;

use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions};

use crate::error::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// The connection pool and its dialect. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub pool: AnyPool,
    pub dialect: Dialect,
}

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

impl Store {
    /// Connects (creating a SQLite file if needed) and applies migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            return Err(StoreError::Corrupt(format!(
                "unsupported database URL `{url}`: use sqlite://PATH or postgres://..."
            )));
        };
        if dialect == Dialect::Sqlite {
            create_private_sqlite_file(url)?;
        }
        let url = match dialect {
            // Create the file on first start; WAL lets readers run beside the writer.
            Dialect::Sqlite if !url.contains('?') => format!("{url}?mode=rwc"),
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let max = if dialect == Dialect::Sqlite { 4 } else { 16 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            // No ping per checkout: a broken connection fails its query and is
            // dropped; the ping cost a round trip on every request.
            .test_before_acquire(false)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        use sqlx::Executor;
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Self { pool, dialect };
        store.migrate().await?;
        Ok(store)
    }

    /// A pooled connection for reads outside a transaction; pool errors
    /// come back as [`StoreError`] like every other database error.
    pub async fn acquire(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&mut *conn).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&mut *conn).await?,
        }
        Ok(())
    }

    /// Begins a write transaction. On SQLite it takes the write lock up
    /// front (`BEGIN IMMEDIATE`): a deferred transaction that reads and then
    /// writes fails at once with "database is locked" when another writer is
    /// active, instead of waiting for `busy_timeout`.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        })
    }

    /// Refreshes the planner's statistics of the catalog tables, after a bulk
    /// load (search plans on PostgreSQL depend on them; autovacuum would get
    /// there too, later).
    pub async fn analyze(&self) -> Result<(), StoreError> {
        let sql = match self.dialect {
            Dialect::Sqlite => "PRAGMA optimize",
            Dialect::Postgres => "ANALYZE products, product_search, product_column_names, product_tags, search_lexemes",
        };
        sqlx::query(sql).execute(&self.pool).await?;
        Ok(())
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Creates the SQLite file of `url` with mode 0600 if it does not exist yet,
/// before SQLite does (with the umask's 0644): the database holds webhook
/// signing secrets and token hashes. SQLite gives the `-wal` and `-shm`
/// files the mode of the database file, so they are 0600 too.
fn create_private_sqlite_file(url: &str) -> Result<(), StoreError> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(':') || std::path::Path::new(path).exists() {
        return Ok(()); // in-memory, or already there
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Corrupt(format!("cannot create the SQLite database {path}: {e}"))),
    }
}

/// The stored form of a timestamp.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Parses a stored timestamp.
/// A timestamp column.
pub fn time_at(r: &sqlx::any::AnyRow, column: &str) -> Result<DateTime<Utc>, StoreError> {
    use sqlx::Row;
    parse_ts(&r.try_get::<String, _>(column)?)
}

/// A nullable timestamp column.
pub fn time_opt(r: &sqlx::any::AnyRow, column: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
    use sqlx::Row;
    r.try_get::<Option<String>, _>(column)?.as_deref().map(parse_ts).transpose()
}

/// A column holding a name of one of the API's closed sets (a status, a
/// role, a channel).
pub fn name_at<T>(r: &sqlx::any::AnyRow, column: &str) -> Result<T, StoreError>
where
    T: FromStr<Err = steward_api::UnknownName>,
{
    use sqlx::Row;
    r.try_get::<String, _>(column)?
        .parse()
        .map_err(|e: steward_api::UnknownName| StoreError::Corrupt(format!("{column}: {e}")))
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp `{s}`: {e}")))
}
