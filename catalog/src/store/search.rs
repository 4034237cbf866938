//! The search engine over the embedded catalog: ranked, filtered, paged search
//! of published products, on SQLite (FTS5) and PostgreSQL (`tsvector`, with a
//! plan picked from a sample of the table), with facet counts. The rows it
//! reads are written by [`super::products::publish`]; its public items are
//! re-exported from [`super::products`], the paths callers use. What a hit
//! shows besides its row (matching columns, SLO health, access, badges) is
//! added for the page only, in [`decorate`].

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::{Dialect, StoreError};
use crate::model::query_terms;

mod decorate;
mod facets;
pub mod fold;
pub(crate) mod lexemes;
mod postgres;
mod sqlite;
#[cfg(test)]
mod tests;

use facets::{TagCounts, facet_counts};
use postgres::postgres_search;
use sqlite::sqlite_search;

/// One search hit.
pub use steward_api::products::{FacetCount, Facets, ProductSummary, SearchPage, SloHealth};

#[derive(Debug, Default, Clone)]
pub struct SearchQuery {
    pub q: Option<String>,
    /// Keep products of any of these domains (case does not matter).
    pub domains: Vec<String>,
    /// Keep products with any of these tags (case does not matter).
    pub tags: Vec<String>,
    pub classification: Option<String>,
    /// Keep products of this owner team (case does not matter).
    pub owner: Option<String>,
    pub limit: i64,
    pub offset: i64,
    /// Overrides [`SCORED_MATCHES_MAX`] (tests use it to reach the tiered path).
    pub scored_max: Option<i64>,
}

impl SearchQuery {
    /// The filters as they are compared: trimmed, lower-cased, without
    /// empty values or repeats.
    fn normalized(&self) -> SearchQuery {
        let list = |v: &[String]| {
            let mut out: Vec<String> =
                v.iter().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty()).collect::<Vec<_>>();
            out.sort();
            out.dedup();
            out
        };
        SearchQuery {
            q: self.q.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
            domains: list(&self.domains),
            tags: list(&self.tags),
            classification: self.classification.as_deref().map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty()),
            owner: self.owner.as_deref().map(|c| c.trim().to_lowercase()).filter(|c| !c.is_empty()),
            ..self.clone()
        }
    }
}

/// Who searches, for the parts of a hit that depend on it.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// The caller's own accounts (a consumer's scopes; empty for every
    /// other role): `has_access` looks at grants to these and no others.
    pub accounts: Vec<String>,
    pub now: DateTime<Utc>,
}

/// Above this many matches, relevance scoring of every match costs more than
/// the latency budget (p99 < 20 ms at 100,000 products), so broad queries are
/// ranked by tier instead: products whose names match first, then the rest.
pub const SCORED_MATCHES_MAX: i64 = 1_000;

/// Matches are counted up to this many; beyond it `total` is this number and
/// `total_capped` is set (like a search engine's "1,000+ results"). Paging
/// stops there too: narrow the query to see more. Facets are counted over
/// the same first matches.
pub const COUNT_CAP: i64 = 1_000;

/// Facet values listed per facet (most matches first; selected ones always).
const FACET_VALUES_MAX: usize = 30;

/// Exact key and name hits put before the ranked ones (names need not be unique).
const EXACT_MAX: i64 = 20;

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;
type AnyRow = sqlx::any::AnyRow;

/// Values for `$1, $2, ...`, in the order the statement text names them, so
/// a variable number of filter values never meets a fixed numbering.
#[derive(Debug, Clone, Default)]
struct Binds(Vec<String>);

impl Binds {
    fn add(&mut self, v: &str) -> String {
        self.0.push(v.to_owned());
        format!("${}", self.0.len())
    }

    fn list(&mut self, values: &[String]) -> String {
        values.iter().map(|v| self.add(v)).collect::<Vec<_>>().join(", ")
    }

    fn query<'q>(&self, sql: String) -> AnyQuery<'q> {
        self.0.iter().fold(sqlx::query(AssertSqlSafe(sql)), |q, v| q.bind(v.clone()))
    }
}

/// Which filter a facet's count leaves out: a facet counts the matches of
/// the words and of the *other* filters, so selected values can be added to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Omit {
    Nothing,
    Domains,
    Tags,
}

/// The filters on `products p` (both databases; the domain and tag indexes
/// serve them), their values added to `b`.
fn sql_filters(dialect: Dialect, q: &SearchQuery, omit: Omit, b: &mut Binds) -> String {
    let mut c = Vec::new();
    if omit != Omit::Domains && !q.domains.is_empty() {
        c.push(format!("p.domain IN ({})", b.list(&q.domains)));
    }
    if let Some(cl) = &q.classification {
        c.push(format!("p.classification = {}", b.add(cl)));
    }
    if omit != Omit::Tags && !q.tags.is_empty() {
        c.push(match dialect {
            Dialect::Sqlite => format!(
                "EXISTS (SELECT 1 FROM product_tags t WHERE t.product_key = p.product_key AND lower(t.tag) IN ({}))",
                b.list(&q.tags)
            ),
            // The lower-cased tags in the row, with a GIN index (migration
            // 0016): a filter the scan that counts can test in the row, or
            // a bitmap of the tag's rows. With `EXISTS` on `product_tags`
            // the count was a hash semi-join over a scan of `products` that
            // read ~37,000 rows for a tag on 5% of them (85 ms).
            Dialect::Postgres => format!("p.tag_keys && ARRAY[{}]::text[]", b.list(&q.tags)),
        });
    }
    if let Some(o) = &q.owner {
        c.push(format!("lower(p.owner_team) = {}", b.add(o)));
    }
    if c.is_empty() { "1 = 1".to_owned() } else { c.join(" AND ") }
}

/// Ranked, filtered, paged search with facet counts. Without words, lists by key.
///
/// An exact product key or product name (any case) comes first. Words match
/// with English plurals folded ([`fold`]): every word but the last must match
/// whole, the last may be a prefix still being typed.
///
/// SQLite: the FTS5 table carries `domain` and `classification` as exact
/// (hex) tokens, so words and those filters resolve inside the index and only
/// the page is joined to `products`. PostgreSQL: a stored, weighted `tsvector`
/// (names weight A) and the names alone, each with a GIN index, the last word
/// expanded to exact lexemes, and plans picked from a sample of the table
/// (see `PgSample`). With `spare` (a second idle connection, when the pool
/// has one) independent statements run side by side: the facet counts of a
/// filter's other values beside the main count and the matching column
/// names beside the page's marks (both databases); on PostgreSQL also the
/// exact hits beside the words' sample and a broad query's page beside the
/// main count. Selective queries are ordered by BM25 /
/// `ts_rank`; broad ones (more than [`SCORED_MATCHES_MAX`] matches) by tier.
pub async fn search(
    conn: &mut AnyConnection,
    mut spare: Option<&mut AnyConnection>,
    dialect: Dialect,
    q: &SearchQuery,
    viewer: &Viewer,
) -> Result<SearchPage, StoreError> {
    let q = q.normalized();
    let terms = q.q.as_deref().map(query_terms).unwrap_or_default();
    let (total, rows, facets) = if terms.is_empty() {
        list_filtered(conn, dialect, &q).await?
    } else {
        match dialect {
            Dialect::Sqlite => {
                let exact = exact_hits(conn, dialect, &q).await?;
                sqlite_search(conn, spare.as_deref_mut(), &q, &terms, exact).await?
            }
            Dialect::Postgres => postgres_search(conn, spare.as_deref_mut(), &q, &terms).await?,
        }
    };
    let items = decorate::page(conn, spare, dialect, rows, &terms, viewer).await?;
    Ok(SearchPage { total: total.min(COUNT_CAP), total_capped: total > COUNT_CAP, items, facets })
}

/// Products whose key or name is the whole query (any case), key first.
struct Exact {
    rows: Vec<AnyRow>,
    keys: Vec<String>,
    /// SQLite: their rowids (the FTS rows share them); PostgreSQL: zeros.
    rowids: Vec<i64>,
}

async fn exact_hits(conn: &mut AnyConnection, dialect: Dialect, q: &SearchQuery) -> Result<Exact, StoreError> {
    let needle = q.q.as_deref().unwrap_or_default().to_lowercase();
    let mut b = Binds::default();
    let n = b.add(&needle);
    let flt = sql_filters(dialect, q, Omit::Nothing, &mut b);
    let rowid = match dialect {
        Dialect::Sqlite => "p.rowid",
        Dialect::Postgres => "CAST(0 AS BIGINT)",
    };
    // Two index lookups (the primary key and `products_name_lower`, 0012),
    // then the filters on those few rows. Written as one `OR` with the
    // filters beside it, SQLite (no statistics) took a domain filter's index
    // instead and read every product of the domain: 2,500 wide rows, up to
    // 100 ms cold, at 100,000 products. `CROSS JOIN` keeps the lookups outside.
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, {rowid}
         FROM (SELECT product_key FROM products WHERE product_key = {n}
               UNION SELECT product_key FROM products WHERE lower(name) = {n}) c
         CROSS JOIN products p WHERE p.product_key = c.product_key AND {flt}
         ORDER BY CASE WHEN p.product_key = {n} THEN 0 ELSE 1 END, p.product_key LIMIT {EXACT_MAX}"
    );
    let rows = b.query(sql).persistent(dialect == Dialect::Sqlite).fetch_all(&mut *conn).await?;
    let keys = rows.iter().map(|r| r.try_get::<String, _>(0)).collect::<Result<_, _>>()?;
    let rowids = rows.iter().map(|r| r.try_get::<i64, _>(9)).collect::<Result<_, _>>()?;
    Ok(Exact { rows, keys, rowids })
}

/// Where a page starts in the exact hits and in the ranked rest (which
/// leaves the exact hits out): the exact rows shown, and the ranked offset
/// and limit.
fn split_page(q: &SearchQuery, exact: usize) -> (std::ops::Range<usize>, i64, i64) {
    let e = exact as i64;
    if q.offset < e {
        let end = (q.offset + q.limit).min(e);
        (q.offset as usize..end as usize, 0, q.limit - (end - q.offset))
    } else {
        (0..0, q.offset - e, q.limit)
    }
}

fn assemble(mut exact: Exact, shown: std::ops::Range<usize>, ranked: Vec<AnyRow>) -> Vec<AnyRow> {
    let mut rows: Vec<AnyRow> = exact.rows.drain(shown).collect();
    rows.extend(ranked);
    rows
}

/// The row columns [`decorate::page`] reads, in this order.
const SUMMARY_COLUMNS: &str =
    "p.product_key, p.domain, p.name, p.version, p.status, p.description, p.owner_team, p.classification, p.tags";

/// Filters only, ordered by key (indexes on domain, classification, tags).
async fn list_filtered(
    conn: &mut AnyConnection,
    dialect: Dialect,
    q: &SearchQuery,
) -> Result<(i64, Vec<AnyRow>, Facets), StoreError> {
    // Counted up to the cap, like word searches: a full count of a broad
    // filter costs more than the page. Without any filter SQLite is told to
    // read the first products in table order (its planner would walk the
    // domain index, and the facet would show the first domains only).
    let capped = |omit: Omit| {
        let mut b = Binds::default();
        let f = sql_filters(dialect, q, omit, &mut b);
        let hint = if f == "1 = 1" && dialect == Dialect::Sqlite { " NOT INDEXED" } else { "" };
        (format!("SELECT p.product_key AS k, p.domain AS d FROM products p{hint} WHERE {f} LIMIT {}", COUNT_CAP + 1), b)
    };
    let (set, b) = capped(Omit::Nothing);
    let mut counted =
        facet_counts(conn, &set, &b, q.domains.is_empty(), q.tags.is_empty(), TagCounts::ProductTags).await?;
    if !q.domains.is_empty() {
        let (set, b) = capped(Omit::Domains);
        counted.absorb(facet_counts(conn, &set, &b, true, false, TagCounts::ProductTags).await?);
    }
    if !q.tags.is_empty() {
        let (set, b) = capped(Omit::Tags);
        counted.absorb(facet_counts(conn, &set, &b, false, true, TagCounts::ProductTags).await?);
    }
    let mut b = Binds::default();
    let f = sql_filters(dialect, q, Omit::Nothing, &mut b);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM products p WHERE {f} ORDER BY p.product_key LIMIT {} OFFSET {}",
        q.limit, q.offset
    );
    let rows = b.query(sql).persistent(dialect == Dialect::Sqlite).fetch_all(&mut *conn).await?;
    let total = counted.total;
    Ok((total, rows, counted.facets(q)))
}
