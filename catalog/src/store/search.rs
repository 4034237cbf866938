//! The search engine over the embedded catalog: ranked, filtered, paged search
//! of published products, on SQLite (FTS5) and PostgreSQL (`tsvector`, with a
//! plan picked from a sample of the table). The rows it reads are written by
//! [`super::products::publish`]; its public items are re-exported from
//! [`super::products`], the paths callers use.

use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::{Dialect, StoreError};
use crate::model::query_terms;

/// One search hit.
pub use steward_api::{ProductSummary, SearchPage};

#[derive(Debug, Default, Clone)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub domain: Option<String>,
    pub tag: Option<String>,
    pub classification: Option<String>,
    pub limit: i64,
    pub offset: i64,
    /// Overrides [`SCORED_MATCHES_MAX`] (tests use it to reach the tiered path).
    pub scored_max: Option<i64>,
}

/// Above this many matches, relevance scoring of every match costs more than
/// the latency budget (p99 < 20 ms at 100,000 products), so broad queries are
/// ranked by tier instead: products whose names match first, then the rest.
pub const SCORED_MATCHES_MAX: i64 = 1_000;

/// Matches are counted up to this many; beyond it `total` is this number and
/// `total_capped` is set (like a search engine's "1,000+ results"). Paging
/// stops there too: narrow the query to see more.
pub const COUNT_CAP: i64 = 1_000;

/// Ranked, filtered, paged search. Without words, lists by key.
///
/// SQLite: the FTS5 table carries `domain` and `classification` as exact
/// (hex) tokens, so words and those filters resolve inside the index and only
/// the page is joined to `products`. PostgreSQL: a stored, weighted `tsvector`
/// (names weight A) and the names alone, each with a GIN index, the last word
/// expanded to exact lexemes, and plans picked from a sample of the table
/// (see `PgSample`). Selective queries are ordered by BM25 /
/// `ts_rank`; broad ones (more than [`SCORED_MATCHES_MAX`] matches) by tier.
pub async fn search(conn: &mut AnyConnection, dialect: Dialect, q: &SearchQuery) -> Result<SearchPage, StoreError> {
    let terms = q.q.as_deref().map(query_terms).unwrap_or_default();
    if terms.is_empty() {
        return list_filtered(conn, q).await;
    }
    let (total, rows) = match dialect {
        Dialect::Sqlite => sqlite_search(conn, q, &terms).await?,
        Dialect::Postgres => postgres_search(conn, q, &terms).await?,
    };
    Ok(SearchPage {
        total: total.min(COUNT_CAP),
        total_capped: total > COUNT_CAP,
        items: rows.iter().map(summary).collect::<Result<_, _>>()?,
    })
}

async fn sqlite_search(
    conn: &mut AnyConnection,
    q: &SearchQuery,
    terms: &[String],
) -> Result<(i64, Vec<sqlx::any::AnyRow>), StoreError> {
    let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    // Whole words, except the last, which may be a prefix still being typed.
    let last = terms.len() - 1;
    let words = terms
        .iter()
        .enumerate()
        .map(|(i, t)| if i == last { format!("{}*", quote(t)) } else { quote(t) })
        .collect::<Vec<_>>()
        .join(" AND ");
    let words = format!("({words})");
    let mut filters = Vec::new();
    if let Some(d) = &q.domain {
        filters.push(format!("domain : {}", quote(&hex::encode(d))));
    }
    if let Some(c) = &q.classification {
        filters.push(format!("classification : {}", quote(&hex::encode(c))));
    }
    let with_filters = |e: String| std::iter::once(e).chain(filters.iter().cloned()).collect::<Vec<_>>().join(" AND ");
    let all = with_filters(words.clone());
    let tag = SQLITE_TAG_FILTER;
    let total = sqlite_count(conn, all.clone(), q).await?;
    if total <= q.scored_max.unwrap_or(SCORED_MATCHES_MAX) {
        let score = "bm25(product_search, 0.0, 0.0, 0.0, 10.0, 2.0, 5.0)";
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM (SELECT product_key, {score} AS score FROM product_search s
                 WHERE product_search MATCH $1 AND {tag} ORDER BY score LIMIT $3 OFFSET $4) s
             JOIN products p ON p.product_key = s.product_key ORDER BY s.score, p.product_key"
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(all).bind(q.tag.clone()).bind(q.limit).bind(q.offset);
        return Ok((total, rows.fetch_all(&mut *conn).await?));
    }
    // Broad: names matches first, then the rest, each in index order.
    let first = with_filters(format!("names : {words}"));
    let rest = format!("({all}) NOT (names : {words})");
    let tier = format!(
        "SELECT {SUMMARY_COLUMNS} FROM (SELECT product_key, rowid AS r FROM product_search s
             WHERE product_search MATCH $1 AND {tag} ORDER BY rowid LIMIT $3 OFFSET $4) s
         JOIN products p ON p.product_key = s.product_key ORDER BY s.r"
    );
    let r =
        sqlx::query(AssertSqlSafe(tier.clone())).bind(first.clone()).bind(q.tag.clone()).bind(q.limit).bind(q.offset);
    let mut rows = r.fetch_all(&mut *conn).await?;
    let missing = q.limit - rows.len() as i64;
    if missing > 0 {
        // Only a short first tier needs its size, to place the second tier's offset.
        let in_first = if rows.is_empty() { sqlite_count(conn, first, q).await? } else { q.offset + rows.len() as i64 };
        let offset = (q.offset - in_first).max(0);
        let r = sqlx::query(AssertSqlSafe(tier)).bind(rest).bind(q.tag.clone()).bind(missing).bind(offset);
        rows.extend(r.fetch_all(&mut *conn).await?);
    }
    Ok((total, rows))
}

async fn postgres_search(
    conn: &mut AnyConnection,
    q: &SearchQuery,
    terms: &[String],
) -> Result<(i64, Vec<sqlx::any::AnyRow>), StoreError> {
    // Whole words, except the last, which may be a prefix still being typed: it
    // becomes the exact lexemes it starts when there are few, which match faster
    // and which the planner can estimate (when the table has statistics).
    let (last, whole) = terms.split_last().expect("search terms are not empty");
    let last = match pg_expand_prefix(conn, last).await? {
        Some(lexemes) if lexemes.is_empty() => return Ok((0, Vec::new())),
        Some(lexemes) if lexemes.len() == 1 => lexemes[0].clone(),
        Some(lexemes) => format!("({})", lexemes.join(" | ")),
        None => format!("{last}:*"),
    };
    let all = whole.iter().cloned().chain(std::iter::once(last)).collect::<Vec<_>>().join(" & ");
    let doc = "p.search_doc @@ to_tsquery('simple', $1)";
    let names = "p.search_names @@ to_tsquery('simple', $1)";
    let sample = PgSample::take(conn, &all, q).await?;
    let total =
        if sample.count_by_scan() { pg_count_scan(conn, &all, q).await? } else { pg_count(conn, doc, &all, q).await? };
    if total <= q.scored_max.unwrap_or(SCORED_MATCHES_MAX) {
        let order = "ts_rank(p.search_doc, to_tsquery('simple', $1)) DESC, p.product_key";
        let rows = pg_page(conn, &all, q, doc, order, q.limit, q.offset, None).await?;
        return Ok((total, rows));
    }
    // Broad: names matches first (their own indexed document), then the rest, each by key.
    let mut rows = pg_tier(conn, &all, q, names, sample.names, q.limit, q.offset, &sample).await?;
    let missing = q.limit - rows.len() as i64;
    if missing > 0 {
        // Only a short first tier needs its size, to place the second tier's offset.
        let in_first =
            if rows.is_empty() { pg_count(conn, names, &all, q).await? } else { q.offset + rows.len() as i64 };
        let rest = format!("{doc} AND NOT {names}");
        let offset = (q.offset - in_first).max(0);
        let more = pg_tier(conn, &all, q, &rest, sample.matches - sample.names, missing, offset, &sample).await?;
        rows.extend(more);
    }
    Ok((total, rows))
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

const SQLITE_TAG_FILTER: &str =
    "($2 IS NULL OR EXISTS (SELECT 1 FROM product_tags t WHERE t.product_key = s.product_key AND t.tag = $2))";

async fn sqlite_count(conn: &mut AnyConnection, matcher: String, q: &SearchQuery) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM product_search s WHERE product_search MATCH $1 AND {SQLITE_TAG_FILTER} LIMIT {})",
        COUNT_CAP + 1
    );
    Ok(sqlx::query(AssertSqlSafe(sql)).bind(matcher).bind(q.tag.clone()).fetch_one(conn).await?.try_get(0)?)
}

/// Tag, domain and classification filters ($2, $3, $4); the words are $1.
const PG_FILTERS: &str =
    "($2 IS NULL OR EXISTS (SELECT 1 FROM product_tags t WHERE t.product_key = p.product_key AND t.tag = $2))
     AND ($3 IS NULL OR p.domain = $3) AND ($4 IS NULL OR p.classification = $4)";

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds the words ($1) and the [`PG_FILTERS`] ($2, $3, $4) of a PostgreSQL
/// search statement, and keeps it unprepared (see "Plans" below).
fn bind_filters<'q>(query: AnyQuery<'q>, tsquery: &str, q: &SearchQuery) -> AnyQuery<'q> {
    query
        .persistent(false)
        .bind(tsquery.to_owned())
        .bind(q.tag.clone())
        .bind(q.domain.clone())
        .bind(q.classification.clone())
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
    async fn take(conn: &mut AnyConnection, tsquery: &str, q: &SearchQuery) -> Result<Self, StoreError> {
        let sql = format!(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE m), COUNT(*) FILTER (WHERE f AND m), COUNT(*) FILTER (WHERE f AND m AND n)
             FROM (SELECT {PG_FILTERS} AS f, p.search_doc @@ to_tsquery('simple', $1) AS m,
                          p.search_names @@ to_tsquery('simple', $1) AS n
                   FROM products p TABLESAMPLE SYSTEM ({SAMPLE_PERCENT}) REPEATABLE (0)) s"
        );
        let row = bind_filters(sqlx::query(AssertSqlSafe(sql)), tsquery, q).fetch_one(conn).await?;
        Ok(PgSample {
            rows: row.try_get(0)?,
            words: row.try_get(1)?,
            matches: row.try_get(2)?,
            names: row.try_get(3)?,
            filtered: q.domain.is_some() || q.classification.is_some() || q.tag.is_some(),
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

    /// Words in a large share of the table (5% or more): with a filter, testing
    /// the filtered rows for the words reads fewer rows than the words' GIN
    /// bitmap holds (at 100,000 products a common word's bitmap alone took 9 ms).
    fn dense_words(&self) -> bool {
        self.usable() && self.words * 20 >= self.rows
    }

    /// Count by scanning the filtered rows (see [`pg_count_scan`]) rather than through GIN.
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
#[allow(clippy::too_many_arguments)]
async fn pg_page(
    conn: &mut AnyConnection,
    tsquery: &str,
    q: &SearchQuery,
    matcher: &str,
    order: &str,
    limit: i64,
    offset: i64,
    window: Option<i64>,
) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    let from = match window {
        None => "products p".to_owned(),
        Some(w) => format!(
            "(SELECT {SUMMARY_COLUMNS}, p.search_doc, p.search_names FROM products p ORDER BY p.product_key LIMIT {w}) p"
        ),
    };
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM {from} WHERE {matcher} AND {PG_FILTERS} ORDER BY {order} LIMIT $5 OFFSET $6"
    );
    Ok(bind_filters(sqlx::query(AssertSqlSafe(sql)), tsquery, q).bind(limit).bind(offset).fetch_all(conn).await?)
}

/// A page of one tier of a broad query, by key: read in key order when the
/// tier is dense, else from the index. A key-order window either fills the
/// page (then it holds the first matches by key, as the whole table would) or
/// gives way to the index.
#[allow(clippy::too_many_arguments)]
async fn pg_tier(
    conn: &mut AnyConnection,
    tsquery: &str,
    q: &SearchQuery,
    matcher: &str,
    in_sample: i64,
    limit: i64,
    offset: i64,
    sample: &PgSample,
) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
    if let Some(window) = sample.key_order_window(in_sample, offset + limit) {
        let rows = pg_page(conn, tsquery, q, matcher, "p.product_key", limit, offset, Some(window)).await?;
        if rows.len() as i64 == limit {
            return Ok(rows);
        }
    }
    pg_page(conn, tsquery, q, matcher, "p.product_key", limit, offset, None).await
}

/// Matches of `matcher` (a condition on $1 = `tsquery`), counted up to
/// [`COUNT_CAP`] + 1, in the plan the planner picks (the GIN index for rare words).
async fn pg_count(conn: &mut AnyConnection, matcher: &str, tsquery: &str, q: &SearchQuery) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM products p WHERE {matcher} AND {PG_FILTERS} LIMIT {}) x",
        COUNT_CAP + 1
    );
    Ok(bind_filters(sqlx::query(AssertSqlSafe(sql)), tsquery, q).fetch_one(conn).await?.try_get(0)?)
}

/// The same count for common words: a scan of the filtered rows that stops at
/// the cap (the words are tested above an `OFFSET 0` fence, out of the index's reach).
async fn pg_count_scan(conn: &mut AnyConnection, tsquery: &str, q: &SearchQuery) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM (SELECT p.search_doc FROM products p WHERE {PG_FILTERS} OFFSET 0) s
             WHERE s.search_doc @@ to_tsquery('simple', $1) LIMIT {}) x",
        COUNT_CAP + 1
    );
    Ok(bind_filters(sqlx::query(AssertSqlSafe(sql)), tsquery, q).fetch_one(conn).await?.try_get(0)?)
}

const SUMMARY_COLUMNS: &str =
    "p.product_key, p.domain, p.name, p.version, p.status, p.description, p.owner_team, p.classification, p.tags";

fn summary(r: &sqlx::any::AnyRow) -> Result<ProductSummary, StoreError> {
    let tags: String = r.try_get(8)?;
    Ok(ProductSummary {
        key: r.try_get(0)?,
        domain: r.try_get(1)?,
        name: r.try_get(2)?,
        version: r.try_get(3)?,
        status: steward_api::ProductStatus::parse(&r.try_get::<String, _>(4)?),
        description: r.try_get(5)?,
        owner_team: r.try_get(6)?,
        classification: r.try_get(7)?,
        tags: serde_json::from_str(&tags)?,
    })
}

/// Filters only, ordered by key (indexes on domain, classification, tags).
async fn list_filtered(conn: &mut AnyConnection, q: &SearchQuery) -> Result<SearchPage, StoreError> {
    let filters = "($1 IS NULL OR p.domain = $1) AND ($2 IS NULL OR p.classification = $2)
                   AND ($3 IS NULL OR EXISTS (SELECT 1 FROM product_tags t WHERE t.product_key = p.product_key AND t.tag = $3))";
    // Counted up to the cap, like word searches: a full count of a broad
    // filter costs more than the page.
    let total: i64 = sqlx::query(AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM products p WHERE {filters} LIMIT {}) x",
        COUNT_CAP + 1
    )))
    .bind(q.domain.clone())
    .bind(q.classification.clone())
    .bind(q.tag.clone())
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SUMMARY_COLUMNS} FROM products p WHERE {filters} ORDER BY p.product_key LIMIT $4 OFFSET $5"
    )))
    .bind(q.domain.clone())
    .bind(q.classification.clone())
    .bind(q.tag.clone())
    .bind(q.limit)
    .bind(q.offset)
    .fetch_all(&mut *conn)
    .await?;
    Ok(SearchPage {
        total: total.min(COUNT_CAP),
        total_capped: total > COUNT_CAP,
        items: rows.iter().map(summary).collect::<Result<_, _>>()?,
    })
}
