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

/// A fresh, empty PostgreSQL database for one test, or `None` (after
/// [`missing_service`]) when there is no server.
pub async fn postgres() -> Option<String> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    sqlx::any::install_default_drivers();
    let admin = postgres_admin_url();
    let conn = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect(&admin)
        .await;
    let pool = match conn {
        Ok(p) => p,
        Err(e) => {
            missing_service("PostgreSQL", &format!("{admin}: {e}"));
            return None;
        }
    };
    let name = format!(
        "steward_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0)
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
    Some(format!("{base}/{name}"))
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
