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
pub mod fold;

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
fn sql_filters(q: &SearchQuery, omit: Omit, b: &mut Binds) -> String {
    let mut c = Vec::new();
    if omit != Omit::Domains && !q.domains.is_empty() {
        c.push(format!("p.domain IN ({})", b.list(&q.domains)));
    }
    if let Some(cl) = &q.classification {
        c.push(format!("p.classification = {}", b.add(cl)));
    }
    if omit != Omit::Tags && !q.tags.is_empty() {
        c.push(tag_filter("p", &q.tags, b));
    }
    if let Some(o) = &q.owner {
        c.push(format!("lower(p.owner_team) = {}", b.add(o)));
    }
    if c.is_empty() { "1 = 1".to_owned() } else { c.join(" AND ") }
}

fn tag_filter(alias: &str, tags: &[String], b: &mut Binds) -> String {
    format!(
        "EXISTS (SELECT 1 FROM product_tags t WHERE t.product_key = {alias}.product_key AND lower(t.tag) IN ({}))",
        b.list(tags)
    )
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
/// (see `PgSample`). Selective queries are ordered by BM25 /
/// `ts_rank`; broad ones (more than [`SCORED_MATCHES_MAX`] matches) by tier.
pub async fn search(
    conn: &mut AnyConnection,
    dialect: Dialect,
    q: &SearchQuery,
    viewer: &Viewer,
) -> Result<SearchPage, StoreError> {
    let q = q.normalized();
    let terms = q.q.as_deref().map(query_terms).unwrap_or_default();
    let (total, rows, facets) = if terms.is_empty() {
        list_filtered(conn, dialect, &q).await?
    } else {
        let exact = exact_hits(conn, dialect, &q).await?;
        match dialect {
            Dialect::Sqlite => sqlite_search(conn, &q, &terms, exact).await?,
            Dialect::Postgres => postgres_search(conn, &q, &terms, exact).await?,
        }
    };
    let items = decorate::page(conn, dialect, rows, &terms, viewer).await?;
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
    let flt = sql_filters(q, Omit::Nothing, &mut b);
    let rowid = match dialect {
        Dialect::Sqlite => "p.rowid",
        Dialect::Postgres => "CAST(0 AS BIGINT)",
    };
    // Two index lookups: the primary key and `products_name_lower` (0012).
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS}, {rowid} FROM products p WHERE (p.product_key = {n} OR lower(p.name) = {n}) AND {flt}
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

/// The FTS5 expression of the words: each word as any of its forms, the
/// last as a prefix of any of its roots.
fn fts_words(terms: &[String]) -> String {
    let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let last = terms.len() - 1;
    let words = terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let alts: Vec<String> = if i == last {
                fold::prefix_roots(t).iter().map(|r| format!("{}*", quote(r))).collect()
            } else {
                fold::forms(t).iter().map(|f| quote(f)).collect()
            };
            if alts.len() == 1 { alts[0].clone() } else { format!("({})", alts.join(" OR ")) }
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    format!("({words})")
}

/// A SQLite statement's match: the FTS expression ($1) and the conditions
/// on the FTS row `s` outside the index (tags, exclusions), values from $2.
#[derive(Clone)]
struct SqliteSet {
    matcher: String,
    /// The filter parts of `matcher` (after the words).
    filters: Vec<String>,
    cond: String,
    binds: Binds,
}

impl SqliteSet {
    fn new(words: &str, q: &SearchQuery, omit: Omit, exclude: &[i64]) -> Self {
        let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
        let mut parts = Vec::new();
        if omit != Omit::Domains && !q.domains.is_empty() {
            let any = q.domains.iter().map(|d| quote(&hex::encode(d))).collect::<Vec<_>>().join(" OR ");
            parts.push(format!("domain : ({any})"));
        }
        if let Some(c) = &q.classification {
            parts.push(format!("classification : {}", quote(&hex::encode(c))));
        }
        let matcher = std::iter::once(words.to_owned()).chain(parts.iter().cloned()).collect::<Vec<_>>().join(" AND ");
        let mut binds = Binds(vec![matcher.clone()]);
        let mut cond = Vec::new();
        if omit != Omit::Tags && !q.tags.is_empty() {
            // By rowid, not by the FTS row's `product_key`: reading that column
            // reads the FTS content row of every candidate (a common word with a
            // tag filter took ~1 s at 100,000 products); the set of rowids with
            // the tag is built once and each candidate is a lookup in it.
            cond.push(format!(
                "s.rowid IN (SELECT p.rowid FROM product_tags t JOIN products p ON p.product_key = t.product_key
                              WHERE lower(t.tag) IN ({}))",
                binds.list(&q.tags)
            ));
        }
        if let Some(o) = &q.owner {
            let o = binds.add(o);
            cond.push(format!(
                "EXISTS (SELECT 1 FROM products o WHERE o.rowid = s.rowid AND lower(o.owner_team) = {o})"
            ));
        }
        if !exclude.is_empty() {
            // Rowids are integers from the store: written out, not bound.
            let ids = exclude.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            cond.push(format!("s.rowid NOT IN ({ids})"));
        }
        let cond = if cond.is_empty() { "1 = 1".to_owned() } else { cond.join(" AND ") };
        SqliteSet { matcher, filters: parts, cond, binds }
    }

    /// The same set with another FTS expression (a tier of it).
    fn with_matcher(&self, matcher: String) -> Self {
        let mut s = self.clone();
        s.binds.0[0] = matcher.clone();
        s.matcher = matcher;
        s
    }

    /// The first matches (up to the count cap + 1), as `k` (key) and `d` (domain).
    fn capped_sql(&self) -> String {
        format!(
            "SELECT p.product_key AS k, p.domain AS d FROM (SELECT s.rowid AS r FROM product_search s
                 WHERE product_search MATCH $1 AND {} LIMIT {}) x JOIN products p ON p.rowid = x.r",
            self.cond,
            COUNT_CAP + 1
        )
    }
}

async fn sqlite_search(
    conn: &mut AnyConnection,
    q: &SearchQuery,
    terms: &[String],
    exact: Exact,
) -> Result<(i64, Vec<AnyRow>, Facets), StoreError> {
    let words = fts_words(terms);
    let all = SqliteSet::new(&words, q, Omit::Nothing, &[]);
    let mut counted =
        facet_counts(conn, &all.capped_sql(), &all.binds, q.domains.is_empty(), q.tags.is_empty()).await?;
    if !q.domains.is_empty() {
        let set = SqliteSet::new(&words, q, Omit::Domains, &[]);
        counted.absorb(facet_counts(conn, &set.capped_sql(), &set.binds, true, false).await?);
    }
    if !q.tags.is_empty() {
        let set = SqliteSet::new(&words, q, Omit::Tags, &[]);
        counted.absorb(facet_counts(conn, &set.capped_sql(), &set.binds, false, true).await?);
    }
    let total = counted.total;
    let facets = counted.facets(q);
    let (shown, offset, limit) = split_page(q, exact.rows.len());
    if limit == 0 {
        return Ok((total, assemble(exact, shown, Vec::new()), facets));
    }
    let page = SqliteSet::new(&words, q, Omit::Nothing, &exact.rowids);
    let cond = &page.cond;
    let (lim, off) = (limit, offset);
    if total <= q.scored_max.unwrap_or(SCORED_MATCHES_MAX) {
        let score = "bm25(product_search, 0.0, 0.0, 0.0, 10.0, 2.0, 5.0)";
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM (SELECT product_key, {score} AS score FROM product_search s
                 WHERE product_search MATCH $1 AND {cond} ORDER BY score LIMIT {lim} OFFSET {off}) s
             JOIN products p ON p.product_key = s.product_key ORDER BY s.score, p.product_key"
        );
        let ranked = page.binds.query(sql).fetch_all(&mut *conn).await?;
        return Ok((total, assemble(exact, shown, ranked), facets));
    }
    // Broad: names matches first, then the rest, each in index order.
    let first = page.with_matcher(
        std::iter::once(format!("names : {words}"))
            .chain(page.filters.iter().cloned())
            .collect::<Vec<_>>()
            .join(" AND "),
    );
    let rest = page.with_matcher(format!("({}) NOT (names : {words})", page.matcher));
    let tier = |set: &SqliteSet, lim: i64, off: i64| {
        format!(
            "SELECT {SUMMARY_COLUMNS} FROM (SELECT product_key, rowid AS r FROM product_search s
                 WHERE product_search MATCH $1 AND {} ORDER BY rowid LIMIT {lim} OFFSET {off}) s
             JOIN products p ON p.product_key = s.product_key ORDER BY s.r",
            set.cond
        )
    };
    let mut rows = first.binds.query(tier(&first, lim, off)).fetch_all(&mut *conn).await?;
    let missing = lim - rows.len() as i64;
    if missing > 0 {
        // Only a short first tier needs its size, to place the second tier's
        // offset; an empty first page at offset 0 says it is empty (column-name
        // queries: counting an empty names tier walked every candidate again).
        let in_first = match (rows.is_empty(), off) {
            (true, 0) => 0,
            (true, _) => sqlite_count(conn, &first).await?,
            (false, _) => off + rows.len() as i64,
        };
        let offset = (off - in_first).max(0);
        rows.extend(rest.binds.query(tier(&rest, missing, offset)).fetch_all(&mut *conn).await?);
    }
    Ok((total, assemble(exact, shown, rows), facets))
}

async fn sqlite_count(conn: &mut AnyConnection, set: &SqliteSet) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM product_search s WHERE product_search MATCH $1 AND {} LIMIT {})",
        set.cond,
        COUNT_CAP + 1
    );
    Ok(set.binds.query(sql).fetch_one(conn).await?.try_get(0)?)
}

/// Facet counts of one or more match sets (see [`facet_counts`]).
#[derive(Debug, Default)]
struct Counted {
    total: i64,
    capped: bool,
    domains: Vec<(String, i64)>,
    /// (lower-cased, as first written, count)
    tags: Vec<(String, String, i64)>,
}

impl Counted {
    /// Adds the facets counted on another set (its total is not the page's).
    fn absorb(&mut self, other: Counted) {
        self.capped |= other.capped;
        self.domains.extend(other.domains);
        self.tags.extend(other.tags);
    }

    fn facets(self, q: &SearchQuery) -> Facets {
        let list = |mut values: Vec<(String, i64)>, selected: &[String]| {
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let mut out: Vec<FacetCount> = Vec::new();
            for (value, count) in values {
                let is_selected = selected.contains(&value.to_lowercase());
                if out.len() < FACET_VALUES_MAX || is_selected {
                    out.push(FacetCount { value, count, selected: is_selected });
                }
            }
            // A selected value nothing matches is still listed, to be unselected.
            for s in selected {
                if !out.iter().any(|f| f.value.to_lowercase() == *s) {
                    out.push(FacetCount { value: s.clone(), count: 0, selected: true });
                }
            }
            out
        };
        let tags = self.tags.into_iter().map(|(_, shown, n)| (shown, n)).collect();
        Facets { domains: list(self.domains, &q.domains), tags: list(tags, &q.tags), capped: self.capped }
    }
}

/// Counts the first matches of `set` (a statement yielding `k`, `d`, capped
/// at [`COUNT_CAP`] + 1 rows) in one statement: how many, and by domain and
/// by tag when asked. Beyond the cap the counts are of those first matches
/// only (lower bounds, flagged): counting every match of a common word cost
/// more than the whole latency budget.
async fn facet_counts(
    conn: &mut AnyConnection,
    set: &str,
    binds: &Binds,
    domains: bool,
    tags: bool,
) -> Result<Counted, StoreError> {
    let mut parts = vec!["SELECT 'n' AS f, '' AS v, '' AS shown, COUNT(*) AS c FROM m".to_owned()];
    if domains {
        parts.push("SELECT 'd', d, d, COUNT(*) FROM m GROUP BY d".to_owned());
    }
    if tags {
        parts.push(
            "SELECT 't', lower(t.tag), MIN(t.tag), COUNT(*) FROM m JOIN product_tags t ON t.product_key = m.k
             GROUP BY lower(t.tag)"
                .to_owned(),
        );
    }
    let sql = format!("WITH m AS MATERIALIZED ({set}) {}", parts.join(" UNION ALL "));
    let rows = binds.query(sql).persistent(false).fetch_all(conn).await?;
    let mut out = Counted::default();
    for r in &rows {
        let (kind, value, shown, count): (String, String, String, i64) =
            (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?);
        match kind.as_str() {
            "n" => {
                out.total = count;
                out.capped = count > COUNT_CAP;
            }
            "d" => out.domains.push((value, count)),
            _ => out.tags.push((value, shown, count)),
        }
    }
    Ok(out)
}

/// The tsquery of the words: each word as any of its forms, the last as the
/// lexemes its roots start (or the prefixes); `None` when nothing can match.
async fn pg_tsquery(conn: &mut AnyConnection, terms: &[String]) -> Result<Option<String>, StoreError> {
    let (last, whole) = terms.split_last().expect("search terms are not empty");
    let group = |alts: Vec<String>| if alts.len() == 1 { alts[0].clone() } else { format!("({})", alts.join(" | ")) };
    let mut parts: Vec<String> = whole.iter().map(|t| group(fold::forms(t))).collect();
    // The last word may be a prefix still being typed: it becomes the exact
    // lexemes its roots start when there are few, which match faster and which
    // the planner can estimate (when the table has statistics).
    let mut alts = Vec::new();
    for root in fold::prefix_roots(last) {
        match pg_expand_prefix(conn, &root).await? {
            Some(lexemes) => alts.extend(lexemes),
            None => alts.push(format!("{root}:*")),
        }
    }
    alts.dedup();
    if alts.is_empty() {
        return Ok(None);
    }
    parts.push(group(alts));
    Ok(Some(parts.join(" & ")))
}

async fn postgres_search(
    conn: &mut AnyConnection,
    q: &SearchQuery,
    terms: &[String],
    exact: Exact,
) -> Result<(i64, Vec<AnyRow>, Facets), StoreError> {
    let Some(all) = pg_tsquery(conn, terms).await? else {
        return Ok((0, Vec::new(), Counted::default().facets(q)));
    };
    let set = PgSet::new(&all, q, Omit::Nothing, &[]);
    let sample = PgSample::take(conn, &set, q).await?;
    let mut counted = facet_counts(
        conn,
        &set.capped_sql(sample.count_by_scan()),
        &set.binds,
        q.domains.is_empty(),
        q.tags.is_empty(),
    )
    .await?;
    if !q.domains.is_empty() {
        let other = PgSet::new(&all, q, Omit::Domains, &[]);
        let scan = sample.words_broad() || (sample.filtered && sample.dense_words());
        counted.absorb(facet_counts(conn, &other.capped_sql(scan), &other.binds, true, false).await?);
    }
    if !q.tags.is_empty() {
        let other = PgSet::new(&all, q, Omit::Tags, &[]);
        counted.absorb(facet_counts(conn, &other.capped_sql(sample.count_by_scan()), &other.binds, false, true).await?);
    }
    let total = counted.total;
    let facets = counted.facets(q);
    let (shown, offset, limit) = split_page(q, exact.rows.len());
    if limit == 0 {
        return Ok((total, assemble(exact, shown, Vec::new()), facets));
    }
    let page = PgSet::new(&all, q, Omit::Nothing, &exact.keys);
    let doc = "p.search_doc @@ to_tsquery('simple', $1)";
    let names = "p.search_names @@ to_tsquery('simple', $1)";
    if total <= q.scored_max.unwrap_or(SCORED_MATCHES_MAX) {
        let order = "ts_rank(p.search_doc, to_tsquery('simple', $1)) DESC, p.product_key";
        let rows = pg_page(conn, &page, doc, order, limit, offset, None).await?;
        return Ok((total, assemble(exact, shown, rows), facets));
    }
    // Broad: names matches first (their own indexed document), then the rest, each by key.
    let mut rows = pg_tier(conn, &page, names, sample.names, limit, offset, &sample).await?;
    let missing = limit - rows.len() as i64;
    if missing > 0 {
        // Only a short first tier needs its size, to place the second tier's offset.
        let in_first = match (rows.is_empty(), offset) {
            (true, 0) => 0,
            (true, _) => pg_count(conn, &page, names).await?,
            (false, _) => offset + rows.len() as i64,
        };
        let rest = format!("{doc} AND NOT {names}");
        let offset = (offset - in_first).max(0);
        let more = pg_tier(conn, &page, &rest, sample.matches - sample.names, missing, offset, &sample).await?;
        rows.extend(more);
    }
    Ok((total, assemble(exact, shown, rows), facets))
}

/// The last query word is expanded to at most this many exact lexemes; a
/// prefix that starts more keeps the prefix form (`word:*`).
const PREFIX_EXPANSIONS_MAX: usize = 16;

/// The lexemes in the catalog that start with `prefix`, if there are at most
/// [`PREFIX_EXPANSIONS_MAX`] and all are plain ASCII words (each must read back
/// as itself through `to_tsquery`); `None` means "keep the prefix form". An
/// empty list means nothing in the catalog can match.
async fn pg_expand_prefix(conn: &mut AnyConnection, prefix: &str) -> Result<Option<Vec<String>>, StoreError> {
    let plain = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !plain(prefix) {
        return Ok(None);
    }
    // Byte order ("C"): the lexemes sharing the prefix come first, contiguous.
    let rows = sqlx::query("SELECT lexeme FROM search_lexemes WHERE lexeme >= $1 ORDER BY lexeme LIMIT $2")
        .bind(prefix)
        .bind(PREFIX_EXPANSIONS_MAX as i64 + 1)
        .fetch_all(&mut *conn)
        .await?;
    let mut lexemes = Vec::new();
    for r in &rows {
        let lexeme: String = r.try_get(0)?;
        if !lexeme.starts_with(prefix) {
            break;
        }
        if !plain(&lexeme) {
            return Ok(None);
        }
        lexemes.push(lexeme);
    }
    Ok((lexemes.len() <= PREFIX_EXPANSIONS_MAX).then_some(lexemes))
}

/// A PostgreSQL statement's match: the tsquery ($1) and the filters (and
/// exclusions) on `products p`, values from $2. Statements are never kept
/// prepared (see "Plans" below).
struct PgSet {
    filters: String,
    binds: Binds,
}

impl PgSet {
    fn new(tsquery: &str, q: &SearchQuery, omit: Omit, exclude: &[String]) -> Self {
        let mut binds = Binds(vec![tsquery.to_owned()]);
        let mut filters = sql_filters(q, omit, &mut binds);
        if !exclude.is_empty() {
            filters = format!("{filters} AND p.product_key NOT IN ({})", binds.list(exclude));
        }
        PgSet { filters, binds }
    }

    fn query<'q>(&self, sql: String) -> AnyQuery<'q> {
        self.binds.query(sql).persistent(false)
    }

    /// The first matches (up to the count cap + 1) as `k`, `d`: for common
    /// words a scan of the filtered rows that stops at the cap (the words are
    /// tested above an `OFFSET 0` fence, out of the index's reach), else the
    /// plan the planner picks (the GIN index for rare words).
    fn capped_sql(&self, scan: bool) -> String {
        let f = &self.filters;
        let cap = COUNT_CAP + 1;
        if scan {
            format!(
                "SELECT s.k, s.d FROM (SELECT p.product_key AS k, p.domain AS d, p.search_doc FROM products p WHERE {f} OFFSET 0) s
                 WHERE s.search_doc @@ to_tsquery('simple', $1) LIMIT {cap}"
            )
        } else {
            format!(
                "SELECT p.product_key AS k, p.domain AS d FROM products p
                 WHERE p.search_doc @@ to_tsquery('simple', $1) AND {f} LIMIT {cap}"
            )
        }
    }
}

// Plans. The right plan depends on how many rows the words match: a scan that
// stops early for common words, the GIN index for rare ones. The planner can
// only tell with column statistics, which a freshly loaded table (or a server
// without autovacuum) does not have; without them it estimates every word at
// 0.5% of the table and takes the GIN index even for words in half the rows,
// then reads and sorts all of them. So the search measures instead, on a fixed
// sample of the table, and picks the plan shape itself where it matters; the
// statements are never kept prepared, so a plan is never made without the words.

/// Share of the table's pages read to estimate how many rows the words match.
const SAMPLE_PERCENT: f64 = 0.5;

/// Rows of a fixed page sample of `products`: all, those matching the words,
/// those passing the filters and matching the words, and of those, matching
/// them in the names.
struct PgSample {
    rows: i64,
    words: i64,
    matches: i64,
    names: i64,
    filtered: bool,
}

impl PgSample {
    async fn take(conn: &mut AnyConnection, set: &PgSet, q: &SearchQuery) -> Result<Self, StoreError> {
        let sql = format!(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE m), COUNT(*) FILTER (WHERE f AND m), COUNT(*) FILTER (WHERE f AND m AND n)
             FROM (SELECT {} AS f, p.search_doc @@ to_tsquery('simple', $1) AS m,
                          p.search_names @@ to_tsquery('simple', $1) AS n
                   FROM products p TABLESAMPLE SYSTEM ({SAMPLE_PERCENT}) REPEATABLE (0)) s",
            set.filters
        );
        let row = set.query(sql).fetch_one(conn).await?;
        Ok(PgSample {
            rows: row.try_get(0)?,
            words: row.try_get(1)?,
            matches: row.try_get(2)?,
            names: row.try_get(3)?,
            filtered: !q.domains.is_empty() || q.classification.is_some() || !q.tags.is_empty() || q.owner.is_some(),
        })
    }

    /// Too few rows to go by (small catalogs): leave the plans to the planner.
    fn usable(&self) -> bool {
        self.rows >= 100
    }

    fn scaled(&self, n: i64) -> f64 {
        n as f64 * 100.0 / SAMPLE_PERCENT
    }

    /// Clearly more matches than are counted: counting by scanning stops early.
    fn broad(&self) -> bool {
        self.usable() && self.matches >= 5 && self.scaled(self.matches) > 2.0 * COUNT_CAP as f64
    }

    /// The same for the words without any filter.
    fn words_broad(&self) -> bool {
        self.usable() && self.words >= 5 && self.scaled(self.words) > 2.0 * COUNT_CAP as f64
    }

    /// Words in a large share of the table (5% or more): with a filter, testing
    /// the filtered rows for the words reads fewer rows than the words' GIN
    /// bitmap holds (at 100,000 products a common word's bitmap alone took 9 ms).
    fn dense_words(&self) -> bool {
        self.usable() && self.words * 20 >= self.rows
    }

    /// Count by scanning the filtered rows rather than through GIN.
    fn count_by_scan(&self) -> bool {
        self.broad() || (self.filtered && self.dense_words())
    }

    /// How many products, in key order, to read for `need` rows of a tier that
    /// has `tier` rows in the sample; `None` when reading the tier's matches
    /// from the GIN index (and sorting them) reads fewer rows.
    fn key_order_window(&self, tier: i64, need: i64) -> Option<i64> {
        if !self.usable() || tier <= 0 {
            return None;
        }
        let read = need as f64 * self.rows as f64 / tier as f64;
        let total = self.scaled(self.rows);
        (read < self.scaled(tier) && read < total / 10.0).then(|| (read * 4.0) as i64 + 100)
    }
}

/// A page of `matcher` matches. With a `window`, only among the first that
/// many products by key (a key-order index scan that stops at the page).
async fn pg_page(
    conn: &mut AnyConnection,
    set: &PgSet,
    matcher: &str,
    order: &str,
    limit: i64,
    offset: i64,
    window: Option<i64>,
) -> Result<Vec<AnyRow>, StoreError> {
    let from = match window {
        None => "products p".to_owned(),
        Some(w) => format!(
            "(SELECT {SUMMARY_COLUMNS}, p.search_doc, p.search_names FROM products p ORDER BY p.product_key LIMIT {w}) p"
        ),
    };
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM {from} WHERE {matcher} AND {} ORDER BY {order} LIMIT {limit} OFFSET {offset}",
        set.filters
    );
    Ok(set.query(sql).fetch_all(conn).await?)
}

/// A page of one tier of a broad query, by key: read in key order when the
/// tier is dense, else from the index. A key-order window either fills the
/// page (then it holds the first matches by key, as the whole table would) or
/// gives way to the index.
#[allow(clippy::too_many_arguments)]
async fn pg_tier(
    conn: &mut AnyConnection,
    set: &PgSet,
    matcher: &str,
    in_sample: i64,
    limit: i64,
    offset: i64,
    sample: &PgSample,
) -> Result<Vec<AnyRow>, StoreError> {
    if let Some(window) = sample.key_order_window(in_sample, offset + limit) {
        let rows = pg_page(conn, set, matcher, "p.product_key", limit, offset, Some(window)).await?;
        if rows.len() as i64 == limit {
            return Ok(rows);
        }
    }
    pg_page(conn, set, matcher, "p.product_key", limit, offset, None).await
}

/// Matches of `matcher` (a condition on $1), counted up to [`COUNT_CAP`] + 1,
/// in the plan the planner picks (the GIN index for rare words).
async fn pg_count(conn: &mut AnyConnection, set: &PgSet, matcher: &str) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM products p WHERE {matcher} AND {} LIMIT {}) x",
        set.filters,
        COUNT_CAP + 1
    );
    Ok(set.query(sql).fetch_one(conn).await?.try_get(0)?)
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
        let f = sql_filters(q, omit, &mut b);
        let hint = if f == "1 = 1" && dialect == Dialect::Sqlite { " NOT INDEXED" } else { "" };
        (format!("SELECT p.product_key AS k, p.domain AS d FROM products p{hint} WHERE {f} LIMIT {}", COUNT_CAP + 1), b)
    };
    let (set, b) = capped(Omit::Nothing);
    let mut counted = facet_counts(conn, &set, &b, q.domains.is_empty(), q.tags.is_empty()).await?;
    if !q.domains.is_empty() {
        let (set, b) = capped(Omit::Domains);
        counted.absorb(facet_counts(conn, &set, &b, true, false).await?);
    }
    if !q.tags.is_empty() {
        let (set, b) = capped(Omit::Tags);
        counted.absorb(facet_counts(conn, &set, &b, false, true).await?);
    }
    let mut b = Binds::default();
    let f = sql_filters(q, Omit::Nothing, &mut b);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM products p WHERE {f} ORDER BY p.product_key LIMIT {} OFFSET {}",
        q.limit, q.offset
    );
    let rows = b.query(sql).persistent(dialect == Dialect::Sqlite).fetch_all(&mut *conn).await?;
    let total = counted.total;
    Ok((total, rows, counted.facets(q)))
}
