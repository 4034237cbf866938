//! The shared test harness. End-to-end tests that spawn the `steward` binary
//! live in `cli/tests/` (where Cargo builds the binary for them); service
//! tests live beside their crates. This crate gives them all the same way to
//! reach real services:
//!
//! * [`postgres`] creates a fresh PostgreSQL database per test from
//!   `DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! * When a service is missing, a test prints why and skips — unless
//!   `STEWARD_TEST_REQUIRE_SERVICES=1` (set by `.ci/run`), which turns the
//!   skip into a failure.
//! * [`generate`] makes contracts for benches at catalog scale.
//! * [`openlineage`] receives OpenLineage events as Marquez would and
//!   validates them against the spec's JSON schemas (vendored in
//!   `tests/data/openlineage/`).
//! * `identity` (feature `identity`): a local OIDC issuer and TEST-ONLY signing keys.
//! * `gitserver` (feature `gitserver`): `git daemon` as an upstream and a proxy that mutes push replies.

pub mod cloudevents;
pub mod generate;
#[cfg(feature = "gitserver")]
pub mod gitserver;
#[cfg(feature = "identity")]
pub mod identity;
#[cfg(feature = "oidc")]
pub mod oidc;
pub mod openlineage;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Is every service required (CI)?
pub fn services_required() -> bool {
    std::env::var("STEWARD_TEST_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

/// Reports a missing service: panics in CI, otherwise prints and returns.
pub fn missing_service(service: &str, why: &str) {
    if services_required() {
        panic!("{service} is required (STEWARD_TEST_REQUIRE_SERVICES=1) but unavailable: {why}");
    }
    eprintln!("SKIPPED: {service} unavailable ({why}); set STEWARD_TEST_REQUIRE_SERVICES=1 to make this a failure");
}

/// The server URL tests create databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A PostgreSQL database made for one test; dropped when this value is
/// (also when the test panics, since unwinding drops it).
#[derive(Debug)]
pub struct PgDatabase {
    url: String,
    name: String,
}

impl PgDatabase {
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl std::ops::Deref for PgDatabase {
    type Target = str;
    fn deref(&self) -> &str {
        &self.url
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs inside a test's runtime, which cannot be blocked on:
        // a short-lived runtime on its own thread does the work.
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async move {
                let pool = admin_pool().await.ok()?;
                drop_database(&pool, &name).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("note: could not drop test database {}; the next run removes it", self.name);
        }
    }
}

const DB_PREFIX: &str = "steward_test_";

async fn admin_pool() -> Result<sqlx::AnyPool, sqlx::Error> {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect(&postgres_admin_url())
        .await
}

async fn drop_database(pool: &sqlx::AnyPool, name: &str) -> Result<(), sqlx::Error> {
    // FORCE ends connections a test's pool may still hold (PostgreSQL 13+).
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).execute(pool).await?;
    Ok(())
}

/// Drops test databases left by processes that no longer run (a run killed
/// before its values were dropped). Names carry the creating process's id.
async fn reap_orphans(pool: &sqlx::AnyPool) {
    use sqlx::Row;
    let Ok(rows) =
        sqlx::query("SELECT datname FROM pg_database WHERE datname LIKE 'steward\\_test\\_%'").fetch_all(pool).await
    else {
        return;
    };
    for row in rows {
        let Ok(name) = row.try_get::<String, _>(0) else { continue };
        let pid =
            name.strip_prefix(DB_PREFIX).and_then(|rest| rest.split('_').next()).and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = drop_database(pool, &name).await;
        }
    }
}

/// Is a PostgreSQL server reachable at [`postgres_admin_url`]? Reports it
/// through [`missing_service`] when not.
pub async fn postgres_available() -> bool {
    match admin_pool().await {
        Ok(_) => true,
        Err(e) => {
            missing_service("PostgreSQL", &format!("{}: {e}", postgres_admin_url()));
            false
        }
    }
}

/// A fresh, empty PostgreSQL database for one test, or `None` (after
/// [`missing_service`]) when there is no server. Dropped with the value.
pub async fn postgres() -> Option<PgDatabase> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    static REAPED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let admin = postgres_admin_url();
    let pool = match admin_pool().await {
        Ok(p) => p,
        Err(e) => {
            missing_service("PostgreSQL", &format!("{admin}: {e}"));
            return None;
        }
    };
    if !REAPED.swap(true, Ordering::Relaxed) {
        reap_orphans(&pool).await;
    }
    let name = format!(
        "{DB_PREFIX}{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
    Some(PgDatabase { url: format!("{base}/{name}"), name })
}

/// A SQLite URL in `dir`.
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("steward.db").display())
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_owned()
}

/// A contract that passes validation with the default policy (`sales.orders`).
pub fn sales_orders() -> String {
    std::fs::read_to_string(repo_root().join("examples/sales-orders.odcs.yaml")).expect("example contract")
}

/// `sales.orders` with its quantity column removed (a breaking change).
pub fn sales_orders_without_quantity(version: &str) -> String {
    let quantity = "      - name: quantity\n        logicalType: integer\n        physicalType: int\n        description: Units ordered.\n        required: true\n        classification: internal\n";
    let base = sales_orders();
    assert!(base.contains(quantity), "example changed; update the fixture");
    base.replace(quantity, "").replace("version: 1.0.0", &format!("version: {version}"))
}
