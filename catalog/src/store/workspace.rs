//! Store queries behind a producer's workspace ("My products"): a page of
//! the products of some domains, then, for the keys on that page only, their
//! SLO states, last refreshes, active grants, pending access requests and
//! dead-lettered outbox jobs, each in one query (never one per product), so
//! the page costs the same few round trips at 10 or 10,000 products.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::outbox::JobKind;
use super::{Dialect, StoreError, parse_ts, time_at, time_opt, ts};

/// At most this many rows of one kind (grants, requests, dead jobs) are read
/// for one page of products: a safety net, not a limit pages meet.
pub const ROW_CAP: i64 = 5_000;

/// The headline of a published product, with how many SLO entries it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    pub key: String,
    pub domain: String,
    pub name: String,
    pub version: String,
    pub published_at: DateTime<Utc>,
    pub slo_entries: i64,
}

/// `$first, $first+1, ...` for `n` values.
fn params(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// `AND <column> IN (...)` for a scope (`None`: everything; empty: nothing),
/// with placeholders from `first`.
fn scope(column: &str, domains: Option<&[String]>, first: usize) -> String {
    match domains {
        None => String::new(),
        Some([]) => " AND 1 = 0".to_owned(),
        Some(d) => format!(" AND {column} IN ({})", params(first, d.len())),
    }
}

/// The number of entries of the detail's `slo` list, computed by the
/// database so the (possibly large) detail JSON never leaves it.
fn slo_count(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "CAST(COALESCE(json_array_length(detail, '$.slo'), 0) AS BIGINT)",
        Dialect::Postgres => "CAST(COALESCE(json_array_length((detail::json) -> 'slo'), 0) AS BIGINT)",
    }
}

/// Products of `domains` (all when `None`), in key order.
pub async fn products(
    conn: &mut AnyConnection,
    dialect: Dialect,
    domains: Option<&[String]>,
    limit: i64,
    offset: i64,
) -> Result<Vec<ProductRow>, StoreError> {
    let sql = format!(
        "SELECT product_key, domain, name, version, published_at, {} AS slo_entries FROM products
         WHERE 1 = 1{} ORDER BY product_key LIMIT $1 OFFSET $2",
        slo_count(dialect),
        scope("domain", domains, 3)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(limit).bind(offset);
    for d in domains.unwrap_or_default() {
        q = q.bind(d.clone());
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(ProductRow {
                key: r.try_get("product_key")?,
                domain: r.try_get("domain")?,
                name: r.try_get("name")?,
                version: r.try_get("version")?,
                published_at: time_at(r, "published_at")?,
                slo_entries: r.try_get("slo_entries")?,
            })
        })
        .collect()
}

/// How many products `domains` hold (all when `None`).
pub async fn count_products(conn: &mut AnyConnection, domains: Option<&[String]>) -> Result<i64, StoreError> {
    let sql = format!("SELECT COUNT(*) FROM products WHERE 1 = 1{}", scope("domain", domains, 1));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for d in domains.unwrap_or_default() {
        q = q.bind(d.clone());
    }
    Ok(q.fetch_one(conn).await?.try_get(0)?)
}

/// A query over the rows of `keys` (`$1` is `extra`, if any, then the keys).
fn keyed(sql_before_in: &str, sql_after_in: &str, first: usize, keys: &[String]) -> String {
    format!("{sql_before_in} IN ({}){sql_after_in}", params(first, keys.len()))
}

/// A stored SLO monitor state (steward-slo's `MonitorState` as JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRow {
    pub product_key: String,
    pub spec_index: i64,
    pub version: String,
    pub state: String,
}

pub async fn slo_states(conn: &mut AnyConnection, keys: &[String]) -> Result<Vec<StateRow>, StoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = keyed("SELECT product_key, spec_index, version, state FROM slo_state WHERE product_key", "", 1, keys);
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for k in keys {
        q = q.bind(k.clone());
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(StateRow {
                product_key: r.try_get("product_key")?,
                spec_index: r.try_get("spec_index")?,
                version: r.try_get("version")?,
                state: r.try_get("state")?,
            })
        })
        .collect()
}

/// The keys among `keys` with a settled SLO tick due at or after `since`.
pub async fn judged_since(
    conn: &mut AnyConnection,
    keys: &[String],
    since: DateTime<Utc>,
) -> Result<HashSet<String>, StoreError> {
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = keyed("SELECT DISTINCT product_key FROM slo_ticks WHERE due >= $1 AND product_key", "", 2, keys);
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(ts(since));
    for k in keys {
        q = q.bind(k.clone());
    }
    q.fetch_all(conn).await?.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// The last refresh of each of `keys` that has one.
pub async fn last_refreshes(
    conn: &mut AnyConnection,
    keys: &[String],
) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = keyed(
        "SELECT product_key, MAX(reported_at) FROM refreshes WHERE product_key",
        " GROUP BY product_key",
        1,
        keys,
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for k in keys {
        q = q.bind(k.clone());
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>(0)?, parse_ts(&r.try_get::<String, _>(1)?)?)))
        .collect()
}

/// An active grant: which consumer account reads a product, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRow {
    pub id: i64,
    pub product_key: String,
    pub account: String,
    pub granted_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Active grants of `keys`, by product and account.
pub async fn active_grants(conn: &mut AnyConnection, keys: &[String]) -> Result<Vec<GrantRow>, StoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = keyed(
        "SELECT id, product_key, account, granted_at, expires_at FROM grants WHERE status = 'active' AND product_key",
        " ORDER BY product_key, account LIMIT $1",
        2,
        keys,
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(ROW_CAP);
    for k in keys {
        q = q.bind(k.clone());
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(GrantRow {
                id: r.try_get("id")?,
                product_key: r.try_get("product_key")?,
                account: r.try_get("account")?,
                granted_at: time_at(r, "granted_at")?,
                expires_at: time_opt(r, "expires_at")?,
            })
        })
        .collect()
}

/// A pending access request, as its product's producers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub id: i64,
    pub product_key: String,
    pub account: String,
    pub requested_by: String,
    pub justification: String,
    pub duration_days: Option<i64>,
    pub requested_at: DateTime<Utc>,
}

/// Pending access requests of `keys`, oldest first.
pub async fn pending_requests(conn: &mut AnyConnection, keys: &[String]) -> Result<Vec<RequestRow>, StoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = keyed(
        "SELECT id, product_key, account, requested_by, justification, duration_days, requested_at
         FROM access_requests WHERE status = 'pending' AND product_key",
        " ORDER BY id LIMIT $1",
        2,
        keys,
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(ROW_CAP);
    for k in keys {
        q = q.bind(k.clone());
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(RequestRow {
                id: r.try_get("id")?,
                product_key: r.try_get("product_key")?,
                account: r.try_get("account")?,
                requested_by: r.try_get("requested_by")?,
                justification: r.try_get("justification")?,
                duration_days: r.try_get("duration_days")?,
                requested_at: time_at(r, "requested_at")?,
            })
        })
        .collect()
}

/// A dead-lettered outbox job of a product, and why it died.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadRow {
    pub id: i64,
    pub product_key: String,
    pub kind: JobKind,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The product a job's payload names. The outbox has no product column:
/// every job kind's payload carries `product_key`, except a refresh
/// notification, whose event names it as `event.product`.
fn payload_product(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "COALESCE(json_extract(payload, '$.product_key'), json_extract(payload, '$.event.product'))",
        Dialect::Postgres => "COALESCE((payload::json) ->> 'product_key', (payload::json) -> 'event' ->> 'product')",
    }
}

/// Dead-lettered jobs of `keys`, newest first. Only dead rows are read (the
/// `status` index), and there are few of those: each waits for an admin.
pub async fn dead_jobs(
    conn: &mut AnyConnection,
    dialect: Dialect,
    keys: &[String],
) -> Result<Vec<DeadRow>, StoreError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let product = payload_product(dialect);
    let sql = format!(
        "SELECT id, kind, attempts, last_error, created_at, product_key FROM (
           SELECT id, kind, attempts, last_error, created_at, {product} AS product_key FROM outbox WHERE status = 'dead'
         ) d WHERE product_key IN ({}) ORDER BY id DESC LIMIT $1",
        params(2, keys.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(ROW_CAP);
    for k in keys {
        q = q.bind(k.clone());
    }
    q.fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok(DeadRow {
                id: r.try_get("id")?,
                product_key: r.try_get("product_key")?,
                kind: JobKind::parse(&r.try_get::<String, _>("kind")?),
                attempts: r.try_get("attempts")?,
                last_error: r.try_get("last_error")?,
                created_at: time_at(r, "created_at")?,
            })
        })
        .collect()
}
