//! The reviewers' queues: proposals, access requests and grants, one page
//! at a time with the counts behind it, and who a breaking change affects.
//!
//! Every queue is filtered the same way (status, domain, product, and the
//! reader's scope: a producer's domains, a consumer's accounts) and paged
//! with LIMIT/OFFSET in a stated order, oldest first unless asked
//! otherwise, so nothing is ever cut off silently: the counts say how many
//! match, per status, and the pages reach every one of them.
//!
//! Access requests and grants are read back by id through
//! [`super::access`], which owns how their rows map to the API types; a page
//! is at most a few dozen primary-key reads.

use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::proposals::{self, Proposal};
use super::{StoreError, access, time_opt};
use crate::store::access::{AccessRequest, Grant};

/// Which end of a queue comes first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    /// Oldest first: the reviewer works through what has waited longest.
    #[default]
    Oldest,
    Newest,
}

impl Order {
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Oldest => "oldest",
            Order::Newest => "newest",
        }
    }

    /// `newest` or anything else (oldest, the default).
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("newest") => Order::Newest,
            _ => Order::Oldest,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Order::Oldest => "id ASC",
            Order::Newest => "id DESC",
        }
    }
}

/// What a queue page shows. `status` is the status's wire name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueQuery {
    pub status: Option<String>,
    /// Only products of this domain.
    pub domain: Option<String>,
    /// A product key (`sales.orders`) or a product name in any domain (`orders`).
    pub product: Option<String>,
    pub order: Order,
    pub limit: i64,
    pub offset: i64,
}

/// Whose rows a reader may see; `None` is no restriction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Only products of these domains (a producer).
    pub domains: Option<Vec<String>>,
    /// Only these accounts (a consumer). With `domains` too, rows matching
    /// either are kept (a producer who is also a consumer).
    pub accounts: Option<Vec<String>>,
}

/// One page of a queue and the counts around it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuePage<T> {
    pub items: Vec<T>,
    /// Rows matching the whole query (status included): what the pages reach.
    pub total: i64,
    /// Rows per status under the same domain, product and scope (for the tabs).
    pub counts: Vec<(String, i64)>,
    pub offset: i64,
    pub limit: i64,
}

impl<T> QueuePage<T> {
    /// The count of one status (0 if none).
    pub fn count(&self, status: &str) -> i64 {
        self.counts.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n)
    }

    /// Rows in every status.
    pub fn all(&self) -> i64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }
}

enum Param {
    Text(String),
    Int(i64),
}

/// A WHERE clause and its parameters, numbered from `$1`.
#[derive(Default)]
struct Where {
    clauses: Vec<String>,
    params: Vec<Param>,
}

impl Where {
    fn next(&self) -> usize {
        self.params.len() + 1
    }

    fn text(&mut self, clause_with_placeholder: impl FnOnce(usize) -> String, value: String) {
        let n = self.next();
        self.clauses.push(clause_with_placeholder(n));
        self.params.push(Param::Text(value));
    }

    fn any_of(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            self.clauses.push("1 = 0".to_owned());
            return;
        }
        let start = self.next();
        let list: Vec<String> = (0..values.len()).map(|i| format!("${}", start + i)).collect();
        self.clauses.push(format!("{column} IN ({})", list.join(", ")));
        self.params.extend(values.iter().cloned().map(Param::Text));
    }

    fn domains(&mut self, domains: &[String]) {
        if domains.is_empty() {
            self.clauses.push("1 = 0".to_owned());
            return;
        }
        let start = self.next();
        let likes: Vec<String> =
            (0..domains.len()).map(|i| format!("product_key LIKE ${} ESCAPE '\\'", start + i)).collect();
        self.clauses.push(format!("({})", likes.join(" OR ")));
        self.params.extend(domains.iter().map(|d| Param::Text(format!("{}.%", like_escape(d)))));
    }

    fn sql(&self) -> String {
        if self.clauses.is_empty() { "1 = 1".to_owned() } else { self.clauses.join(" AND ") }
    }

    fn bind<'q>(
        &self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
        for p in &self.params {
            q = match p {
                Param::Text(s) => q.bind(s.clone()),
                Param::Int(n) => q.bind(*n),
            };
        }
        q
    }
}

/// `_` and `%` are LIKE wildcards and `_` is in every snake-case name.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('_', "\\_").replace('%', "\\%")
}

/// The filters every queue shares, without the status.
fn filters(q: &QueueQuery, scope: &Scope, has_account: bool) -> Where {
    let mut w = Where::default();
    if let Some(d) = q.domain.as_deref().filter(|d| !d.is_empty()) {
        w.domains(&[d.to_owned()]);
    }
    if let Some(p) = q.product.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        if p.contains('.') {
            w.text(|n| format!("product_key = ${n}"), p.to_owned());
        } else {
            w.text(|n| format!("product_key LIKE ${n} ESCAPE '\\'"), format!("%.{}", like_escape(p)));
        }
    }
    // A reader who is both a producer and a consumer sees either's rows.
    let before = w.clauses.len();
    if let Some(domains) = &scope.domains {
        w.domains(domains);
    }
    if let Some(accounts) = &scope.accounts {
        if has_account {
            w.any_of("account", accounts);
        } else {
            w.clauses.push("1 = 0".to_owned());
        }
    }
    if w.clauses.len() == before + 2 {
        let accounts = w.clauses.pop().expect("two scope clauses");
        let domains = w.clauses.pop().expect("two scope clauses");
        w.clauses.push(format!("({domains} OR {accounts})"));
    }
    w
}

/// Counts per status, then the ids of one page, of `table`.
async fn page_ids(
    conn: &mut AnyConnection,
    table: &str,
    q: &QueueQuery,
    scope: &Scope,
    has_account: bool,
) -> Result<(Vec<(String, i64)>, i64, Vec<i64>), StoreError> {
    let w = filters(q, scope, has_account);
    let sql = format!("SELECT status, COUNT(*) AS n FROM {table} WHERE {} GROUP BY status ORDER BY status", w.sql());
    let rows = w.bind(sqlx::query(AssertSqlSafe(sql))).fetch_all(&mut *conn).await?;
    let mut counts = Vec::with_capacity(rows.len());
    for r in &rows {
        counts.push((r.try_get::<String, _>("status")?, r.try_get::<i64, _>("n")?));
    }
    let total = match &q.status {
        Some(s) => counts.iter().find(|(c, _)| c == s).map_or(0, |(_, n)| *n),
        None => counts.iter().map(|(_, n)| n).sum(),
    };
    let mut w = w;
    if let Some(s) = &q.status {
        w.text(|n| format!("status = ${n}"), s.clone());
    }
    let (limit_at, offset_at) = (w.next(), w.next() + 1);
    w.params.push(Param::Int(q.limit.max(0)));
    w.params.push(Param::Int(q.offset.max(0)));
    let sql = format!(
        "SELECT id FROM {table} WHERE {} ORDER BY {} LIMIT ${limit_at} OFFSET ${offset_at}",
        w.sql(),
        q.order.sql()
    );
    let rows = w.bind(sqlx::query(AssertSqlSafe(sql))).fetch_all(&mut *conn).await?;
    let ids = rows.iter().map(|r| r.try_get::<i64, _>("id")).collect::<Result<Vec<_>, _>>()?;
    Ok((counts, total, ids))
}

/// A page of proposals.
pub async fn proposals(
    conn: &mut AnyConnection,
    q: &QueueQuery,
    scope: &Scope,
) -> Result<QueuePage<Proposal>, StoreError> {
    let (counts, total, ids) = page_ids(conn, "proposals", q, scope, false).await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.extend(proposals::get(conn, id).await?);
    }
    Ok(QueuePage { items, total, counts, offset: q.offset, limit: q.limit })
}

/// A page of access requests.
pub async fn requests(
    conn: &mut AnyConnection,
    q: &QueueQuery,
    scope: &Scope,
) -> Result<QueuePage<AccessRequest>, StoreError> {
    let (counts, total, ids) = page_ids(conn, "access_requests", q, scope, true).await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.extend(access::get_request(conn, id).await?);
    }
    Ok(QueuePage { items, total, counts, offset: q.offset, limit: q.limit })
}

/// A page of grants.
pub async fn grants(conn: &mut AnyConnection, q: &QueueQuery, scope: &Scope) -> Result<QueuePage<Grant>, StoreError> {
    let (counts, total, ids) = page_ids(conn, "grants", q, scope, true).await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        items.extend(access::get_grant(conn, id).await?);
    }
    Ok(QueuePage { items, total, counts, offset: q.offset, limit: q.limit })
}

/// The domains of published products, for the queues' domain filter.
pub async fn domains(conn: &mut AnyConnection, limit: i64) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT DISTINCT domain FROM products ORDER BY domain LIMIT $1")
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| Ok(r.try_get("domain")?)).collect()
}

/// An account that holds an active grant or a live subscription on a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affected {
    pub account: String,
    /// Its active grant, if it has one.
    pub grant_id: Option<i64>,
    /// The contract major of that grant.
    pub major: Option<i64>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Live subscriptions of the account (notified of the change).
    pub subscriptions: i64,
    /// The newer major the grant's holder acknowledged instead of migrating.
    pub acknowledged_major: Option<i64>,
}

/// Who a change to `product_key` reaches: accounts with an active grant or a
/// subscription, by account, at most `limit`; and how many there are in all.
pub async fn affected(
    conn: &mut AnyConnection,
    product_key: &str,
    limit: i64,
) -> Result<(Vec<Affected>, i64), StoreError> {
    // One row per account whichever of the two it has; MAX picks the grant's
    // columns from its row (the subscription rows carry NULLs there).
    const UNION: &str = "SELECT account, id AS grant_id, major, expires_at, acknowledged_major, 0 AS subs FROM grants
                           WHERE product_key = $1 AND status = 'active'
                         UNION ALL
                         SELECT account, NULL, NULL, NULL, NULL, 1 FROM subscriptions
                           WHERE product_key = $1 AND removed_at IS NULL";
    let total: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(DISTINCT account) AS n FROM ({UNION}) u")))
        .bind(product_key)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT account, MAX(grant_id) AS grant_id, MAX(major) AS major, MAX(expires_at) AS expires_at,
                MAX(acknowledged_major) AS acknowledged_major, SUM(subs) AS subs
         FROM ({UNION}) u GROUP BY account ORDER BY account LIMIT $2"
    )))
    .bind(product_key)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(Affected {
            account: r.try_get("account")?,
            grant_id: r.try_get("grant_id")?,
            major: r.try_get("major")?,
            expires_at: time_opt(r, "expires_at")?,
            subscriptions: r.try_get("subs")?,
            acknowledged_major: r.try_get("acknowledged_major")?,
        });
    }
    Ok((out, total))
}
