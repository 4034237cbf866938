//! Locks that keep replicas on one PostgreSQL database from writing the
//! registry at the same time (PostgreSQL only; on SQLite there is one process).

use std::time::Duration;

use sqlx::AnyConnection;

use super::{Store, StoreError, Tx};

/// The advisory lock key writers of the registry hold: the bytes of "stewregw".
const WRITER_LOCK: i64 = 0x7374_6577_7265_6777;
/// The advisory lock a replica without an upstream holds for its whole life:
/// the bytes of "stewregs".
const SOLE_LOCK: i64 = 0x7374_6577_7265_6773;

/// Begins a transaction holding the registry writer lock, waiting at most
/// `wait` ([`StoreError::Busy`] after that). The lock ends with the
/// transaction, or with its connection if the process dies.
pub async fn lock_writer(store: &Store, wait: Duration) -> Result<Tx, StoreError> {
    let mut tx = store.pool.begin().await?;
    // set_config(.., true) is SET LOCAL with a bind parameter.
    sqlx::query("SELECT set_config('lock_timeout', $1, true)")
        .bind(format!("{}ms", wait.as_millis().max(1)))
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(WRITER_LOCK).execute(&mut *tx).await.map_err(|e| {
        match StoreError::from(e) {
            StoreError::Busy(_) => StoreError::Busy(format!(
                "another replica has been writing the registry for over {} s; retry in a moment",
                wait.as_secs()
            )),
            other => other,
        }
    })?;
    Ok(tx)
}

/// Tries to take the lock that says "this replica keeps the only registry";
/// false if another process holds it. The lock lasts as long as `conn`.
pub async fn try_lock_sole(conn: &mut AnyConnection) -> Result<bool, StoreError> {
    let (taken,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock($1)").bind(SOLE_LOCK).fetch_one(conn).await?;
    Ok(taken)
}
