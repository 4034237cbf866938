//! Access requests and the grants they become.
//!
//! A request is `pending` until a reviewer decides (or its requester
//! cancels it); at most one pending request per (product, account) (a
//! partial unique index). An approved request becomes an `active` grant, at
//! most one per (product, account), or, when it renews one
//! (`renews_grant`), moves that grant's end date; a grant ends `revoked` (by
//! a reviewer) or `expired` (by the expiry worker). Decisions use
//! compare-and-set on the status so two reviewers, or a reviewer and the
//! requester cancelling, cannot both win.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AssertSqlSafe, Row};
pub use steward_api::{AccessRequest, Grant, GrantStatus, RequestStatus};

use super::{StoreError, name_at, time_at, time_opt, ts};

pub struct NewRequest<'a> {
    pub product_key: &'a str,
    pub account: &'a str,
    pub requested_by: &'a str,
    pub justification: &'a str,
    pub duration_days: Option<i64>,
    /// The grant a renewal request renews.
    pub renews_grant: Option<i64>,
    pub now: DateTime<Utc>,
}

/// Inserts a pending request; a duplicate open request is a `Conflict`.
pub async fn insert_request(conn: &mut AnyConnection, r: &NewRequest<'_>) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO access_requests (product_key, account, requested_by, justification, duration_days, status, requested_at, renews_grant)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) RETURNING id",
    )
    .bind(r.product_key)
    .bind(r.account)
    .bind(r.requested_by)
    .bind(r.justification)
    .bind(r.duration_days)
    .bind(ts(r.now))
    .bind(r.renews_grant)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

const REQUEST_COLUMNS: &str = "id, product_key, account, requested_by, justification, duration_days, status, requested_at, decided_by, decided_at, comment, renews_grant";

fn request_from_row(r: &sqlx::any::AnyRow) -> Result<AccessRequest, StoreError> {
    Ok(AccessRequest {
        id: r.try_get("id")?,
        product_key: r.try_get("product_key")?,
        account: r.try_get("account")?,
        requested_by: r.try_get("requested_by")?,
        justification: r.try_get("justification")?,
        duration_days: r.try_get("duration_days")?,
        status: name_at(r, "status")?,
        requested_at: time_at(r, "requested_at")?,
        decided_by: r.try_get("decided_by")?,
        decided_at: time_opt(r, "decided_at")?,
        comment: r.try_get("comment")?,
        renews: r.try_get("renews_grant")?,
    })
}

pub async fn get_request(conn: &mut AnyConnection, id: i64) -> Result<Option<AccessRequest>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {REQUEST_COLUMNS} FROM access_requests WHERE id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(request_from_row).transpose()
}

/// Filters for listing requests ([`RequestFilter`]) and grants
/// ([`GrantFilter`]); `None` matches everything.
#[derive(Debug, Clone)]
pub struct AccessFilter<S> {
    pub status: Option<S>,
    pub product_key: Option<String>,
    /// Only these accounts (a consumer sees its own); `None` = all.
    pub accounts: Option<Vec<String>>,
    pub limit: i64,
}

impl<S> Default for AccessFilter<S> {
    fn default() -> Self {
        Self { status: None, product_key: None, accounts: None, limit: 0 }
    }
}

pub type RequestFilter = AccessFilter<RequestStatus>;
pub type GrantFilter = AccessFilter<GrantStatus>;

/// Requests matching the filter, newest first; `domains` (a producer's
/// scope) keeps only those of products in these domains.
pub async fn list_requests(
    conn: &mut AnyConnection,
    f: &RequestFilter,
    domains: Option<&[String]>,
) -> Result<Vec<AccessRequest>, StoreError> {
    let status = f.status.map(RequestStatus::as_str);
    list_where(conn, "access_requests", REQUEST_COLUMNS, status, f, domains, request_from_row).await
}

/// Rows of `table` matching the filter, newest first. The account and
/// domain scopes are in SQL so a consumer's or producer's page is never cut
/// short by rows they may not see.
async fn list_where<T, S>(
    conn: &mut AnyConnection,
    table: &str,
    columns: &str,
    status: Option<&str>,
    f: &AccessFilter<S>,
    domains: Option<&[String]>,
    from_row: fn(&sqlx::any::AnyRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut next = 4;
    let mut params = |n: usize| {
        let p: Vec<String> = (next..next + n).map(|i| format!("${i}")).collect();
        next += n;
        p
    };
    let accounts = match f.accounts.as_deref() {
        None => None,
        Some([]) => Some("1 = 0".to_owned()),
        Some(a) => Some(format!("account IN ({})", params(a.len()).join(", "))),
    };
    // One `LIKE '<domain>.%'` per domain (a producer holds a few); `_` is a
    // LIKE wildcard and domain names contain it, so it is escaped.
    let domains_clause = match domains {
        None => None,
        Some([]) => Some("1 = 0".to_owned()),
        Some(d) => {
            let likes: Vec<String> =
                params(d.len()).into_iter().map(|p| format!("product_key LIKE {p} ESCAPE '\\'")).collect();
            Some(format!("({})", likes.join(" OR ")))
        }
    };
    // Both: a reader who is a consumer and a producer sees either's rows.
    let scope = match (accounts, domains_clause) {
        (None, None) => String::new(),
        (Some(c), None) | (None, Some(c)) => format!(" AND {c}"),
        (Some(a), Some(d)) => format!(" AND ({a} OR {d})"),
    };
    let sql = format!(
        "SELECT {columns} FROM {table}
         WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR product_key = $2){scope}
         ORDER BY id DESC LIMIT $3"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(status).bind(f.product_key.clone()).bind(f.limit);
    for account in f.accounts.iter().flatten() {
        q = q.bind(account.clone());
    }
    for domain in domains.into_iter().flatten() {
        q = q.bind(format!("{}.%", domain.replace('\\', "\\\\").replace('_', "\\_").replace('%', "\\%")));
    }
    q.fetch_all(conn).await?.iter().map(from_row).collect()
}

/// Moves a pending request to `approved`, `rejected` or `cancelled`; false
/// if it was no longer pending.
pub async fn decide_request(
    conn: &mut AnyConnection,
    id: i64,
    status: RequestStatus,
    by: &str,
    comment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE access_requests SET status = $1, decided_by = $2, decided_at = $3, comment = $4
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(status.as_str())
    .bind(by)
    .bind(ts(now))
    .bind(comment)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub struct NewGrant<'a> {
    pub product_key: &'a str,
    pub account: &'a str,
    pub request_id: Option<i64>,
    /// The contract major the grant is approved against (kept when an
    /// active grant is extended).
    pub major: i64,
    pub granted_by: &'a str,
    pub now: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Inserts an active grant, or sets the end date of the active one for the
/// same product and account (the service computes it: a renewal extends it).
/// Returns the grant id.
pub async fn upsert_grant(conn: &mut AnyConnection, g: &NewGrant<'_>) -> Result<i64, StoreError> {
    if let Some(existing) = active_grant(&mut *conn, g.product_key, g.account).await? {
        sqlx::query("UPDATE grants SET expires_at = $1, request_id = COALESCE($2, request_id) WHERE id = $3")
            .bind(g.expires_at.map(ts))
            .bind(g.request_id)
            .bind(existing.id)
            .execute(conn)
            .await?;
        return Ok(existing.id);
    }
    let row = sqlx::query(
        "INSERT INTO grants (product_key, account, request_id, status, granted_by, granted_at, expires_at, major)
         VALUES ($1, $2, $3, 'active', $4, $5, $6, $7) RETURNING id",
    )
    .bind(g.product_key)
    .bind(g.account)
    .bind(g.request_id)
    .bind(g.granted_by)
    .bind(ts(g.now))
    .bind(g.expires_at.map(ts))
    .bind(g.major)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get(0)?)
}

const GRANT_COLUMNS: &str = "id, product_key, account, request_id, major, status, granted_by, granted_at, expires_at, ended_by, ended_at, share_arn, acknowledged_major";

fn grant_from_row(r: &sqlx::any::AnyRow) -> Result<Grant, StoreError> {
    Ok(Grant {
        id: r.try_get("id")?,
        product_key: r.try_get("product_key")?,
        account: r.try_get("account")?,
        request_id: r.try_get("request_id")?,
        major: r.try_get("major")?,
        status: name_at(r, "status")?,
        granted_by: r.try_get("granted_by")?,
        granted_at: time_at(r, "granted_at")?,
        expires_at: time_opt(r, "expires_at")?,
        ended_by: r.try_get("ended_by")?,
        ended_at: time_opt(r, "ended_at")?,
        share_arn: r.try_get("share_arn")?,
        acknowledged_major: r.try_get("acknowledged_major")?,
    })
}

/// Records the RAM share Lake Formation reported for a grant's share.
pub async fn set_share_arn(conn: &mut AnyConnection, id: i64, share_arn: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE grants SET share_arn = $1 WHERE id = $2").bind(share_arn).bind(id).execute(conn).await?;
    Ok(())
}

pub async fn get_grant(conn: &mut AnyConnection, id: i64) -> Result<Option<Grant>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {GRANT_COLUMNS} FROM grants WHERE id = $1")))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(grant_from_row).transpose()
}

pub async fn active_grant(
    conn: &mut AnyConnection,
    product_key: &str,
    account: &str,
) -> Result<Option<Grant>, StoreError> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE product_key = $1 AND account = $2 AND status = 'active'"
    )))
    .bind(product_key)
    .bind(account)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(grant_from_row).transpose()
}

/// Grants matching the filter, newest first.
pub async fn list_grants(conn: &mut AnyConnection, f: &GrantFilter) -> Result<Vec<Grant>, StoreError> {
    list_grants_in(conn, f, None).await
}

/// Grants matching the filter, newest first; `domains` as for [`list_requests`].
pub async fn list_grants_in(
    conn: &mut AnyConnection,
    f: &GrantFilter,
    domains: Option<&[String]>,
) -> Result<Vec<Grant>, StoreError> {
    list_where(conn, "grants", GRANT_COLUMNS, f.status.map(GrantStatus::as_str), f, domains, grant_from_row).await
}

/// Ends an active grant (`revoked` or `expired`); false if it was not active.
pub async fn end_grant(
    conn: &mut AnyConnection,
    id: i64,
    status: GrantStatus,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r =
        sqlx::query("UPDATE grants SET status = $1, ended_by = $2, ended_at = $3 WHERE id = $4 AND status = 'active'")
            .bind(status.as_str())
            .bind(by)
            .bind(ts(now))
            .bind(id)
            .execute(conn)
            .await?;
    Ok(r.rows_affected() == 1)
}

/// Active grants whose end date has passed.
pub async fn expired(conn: &mut AnyConnection, now: DateTime<Utc>, limit: i64) -> Result<Vec<Grant>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at <= $1
         ORDER BY expires_at LIMIT $2"
    )))
    .bind(ts(now))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(grant_from_row).collect()
}

/// Active grants ending by `horizon` whose end date has not been announced
/// (`io.steward.access.expiring`), soonest first.
pub async fn expiring_unannounced(
    conn: &mut AnyConnection,
    horizon: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Grant>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at <= $1
           AND (expiry_announced IS NULL OR expiry_announced <> expires_at)
         ORDER BY expires_at LIMIT $2"
    )))
    .bind(ts(horizon))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(grant_from_row).collect()
}

/// Marks `grant`'s end date `expires_at` announced; false if the grant has
/// ended or moved its end date since it was read (or another replica did it).
pub async fn mark_expiry_announced(
    conn: &mut AnyConnection,
    grant: i64,
    expires_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE grants SET expiry_announced = expires_at
         WHERE id = $1 AND status = 'active' AND expires_at = $2
           AND (expiry_announced IS NULL OR expiry_announced <> expires_at)",
    )
    .bind(grant)
    .bind(ts(expires_at))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves an active grant from major `from` to `to`, and the account's live
/// subscriptions to the product with it; false if the grant is no longer
/// active on `from` (ended, or migrated by someone else first).
pub async fn migrate_grant(conn: &mut AnyConnection, grant: &Grant, from: i64, to: i64) -> Result<bool, StoreError> {
    let moved = sqlx::query("UPDATE grants SET major = $3 WHERE id = $1 AND status = 'active' AND major = $2")
        .bind(grant.id)
        .bind(from)
        .bind(to)
        .execute(&mut *conn)
        .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE subscriptions SET major = $3 WHERE product_key = $1 AND account = $2 AND removed_at IS NULL")
        .bind(&grant.product_key)
        .bind(&grant.account)
        .bind(to)
        .execute(conn)
        .await?;
    Ok(true)
}

/// The active grants of a product on one major, oldest first.
pub async fn active_on_major(
    conn: &mut AnyConnection,
    product_key: &str,
    major: i64,
) -> Result<Vec<Grant>, StoreError> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {GRANT_COLUMNS} FROM grants WHERE product_key = $1 AND major = $2 AND status = 'active' ORDER BY id"
    )))
    .bind(product_key)
    .bind(major)
    .fetch_all(conn)
    .await?;
    rows.iter().map(grant_from_row).collect()
}

/// How many active grants each major of a product has.
pub async fn active_by_major(
    conn: &mut AnyConnection,
    product_key: &str,
) -> Result<std::collections::BTreeMap<i64, i64>, StoreError> {
    let rows =
        sqlx::query("SELECT major, COUNT(*) FROM grants WHERE product_key = $1 AND status = 'active' GROUP BY major")
            .bind(product_key)
            .fetch_all(conn)
            .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Records that the holder of active grant `id`, on a major below `newest`,
/// acknowledged `newest` instead of migrating; false if the grant is not
/// active on an older major or acknowledged it already.
pub async fn acknowledge(conn: &mut AnyConnection, id: i64, newest: i64) -> Result<bool, StoreError> {
    let r = sqlx::query(
        "UPDATE grants SET acknowledged_major = $2
         WHERE id = $1 AND status = 'active' AND major < $2 AND (acknowledged_major IS NULL OR acknowledged_major < $2)",
    )
    .bind(id)
    .bind(newest)
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}
