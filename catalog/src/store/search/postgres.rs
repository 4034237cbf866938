//! PostgreSQL: a stored, weighted `tsvector` (names weight A) and the names
//! alone, each with a GIN index, the last word expanded to exact lexemes, and
//! plans picked from a sample of the table (see `PgSample`).
//!
//! Matching, counting and facets read the narrow `product_search` table
//! (key, filter columns, tags, documents; migration 0020), aliased `p` so the
//! shared filters apply; only the page's rows are read from `products`.

use sqlx::{AnyConnection, Row};

use crate::store::Dialect;

use super::facets::{Counted, TagCounts, facet_counts};
use super::lexemes::expand_prefix;
use super::{
    AnyQuery, AnyRow, Binds, COUNT_CAP, Facets, Omit, SCORED_MATCHES_MAX, SUMMARY_COLUMNS, SearchQuery, StoreError,
    assemble, exact_hits, fold, split_page, sql_filters,
};

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
        match expand_prefix(conn, &root).await? {
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

/// Tags are counted from the arrays in each match's `product_search` row,
/// which the count reads anyway: probing `product_tags` for each of up to
/// 1,001 matches took 12-18 ms at 100,000 products, parsing a JSON list per
/// match ~2 ms (docs/performance.md).
const TAGS: TagCounts = TagCounts::Arrays;

pub(super) async fn postgres_search(
    conn: &mut AnyConnection,
    mut spare: Option<&mut AnyConnection>,
    q: &SearchQuery,
    terms: &[String],
) -> Result<(i64, Vec<AnyRow>, Facets), StoreError> {
    // The exact hits do not depend on the words' tsquery or the sample: on
    // a second connection they are looked up beside them.
    let (exact, prepared) = match spare.as_deref_mut() {
        Some(spare) => {
            let (exact, prepared) = tokio::join!(exact_hits(spare, Dialect::Postgres, q), prepare(conn, q, terms));
            (exact?, prepared?)
        }
        None => (exact_hits(conn, Dialect::Postgres, q).await?, prepare(conn, q, terms).await?),
    };
    let Some((all, sample)) = prepared else {
        return Ok((0, Vec::new(), Counted::default().facets(q)));
    };
    let count = PgCount::new(&all, q, Omit::Nothing);
    let main_sql = count.capped_sql(sample.count_by_scan());
    let main = facet_counts(conn, &main_sql, &count.binds, q.domains.is_empty(), q.tags.is_empty(), TAGS);
    let (shown, offset, limit) = split_page(q, exact.rows.len());
    let page = PageSets {
        columns: PgSet::new(&all, q, Omit::Nothing, &exact.keys, Filters::Columns),
        keys: PgSet::new(&all, q, Omit::Nothing, &exact.keys, Filters::Keys),
    };
    let filtered = !q.domains.is_empty() || !q.tags.is_empty();
    // What runs beside the main count on a second connection (in a second
    // backend): a filter's other-value counts, which do not depend on it;
    // and, when the sample says the words match far more than are scored,
    // the page by tiers, which then does not depend on it either (should
    // the count say otherwise, the page is read again, ranked).
    let early_page = limit > 0 && sample.broad();
    let (counted, early) = match spare {
        Some(spare) if filtered => {
            let side = async {
                let others = other_values(spare, &all, q, &sample).await?;
                let rows = if early_page { Some(tiers(spare, &page, &sample, limit, offset).await?) } else { None };
                Ok::<_, StoreError>((others, rows))
            };
            let (main, side) = tokio::join!(main, side);
            let (mut counted, (others, rows)) = (main?, side?);
            counted.absorb(others);
            (counted, rows)
        }
        Some(spare) if early_page => {
            let (main, rows) = tokio::join!(main, tiers(spare, &page, &sample, limit, offset));
            (main?, Some(rows?))
        }
        _ => {
            let mut counted = main.await?;
            counted.absorb(other_values(conn, &all, q, &sample).await?);
            (counted, None)
        }
    };
    let total = counted.total;
    let facets = counted.facets(q);
    if limit == 0 {
        return Ok((total, assemble(exact, shown, Vec::new()), facets));
    }
    if total <= q.scored_max.unwrap_or(SCORED_MATCHES_MAX) {
        let rows = pg_page(conn, &page.keys, DOC, Order::Rank, limit, offset, Source::Table).await?;
        return Ok((total, assemble(exact, shown, rows), facets));
    }
    let rows = match early {
        Some(rows) => rows,
        None => tiers(conn, &page, &sample, limit, offset).await?,
    };
    Ok((total, assemble(exact, shown, rows), facets))
}

/// The words' tsquery and the sample of the table it plans by; `None` when
/// nothing can match.
async fn prepare(
    conn: &mut AnyConnection,
    q: &SearchQuery,
    terms: &[String],
) -> Result<Option<(String, PgSample)>, StoreError> {
    let Some(all) = pg_tsquery(conn, terms).await? else { return Ok(None) };
    let set = PgSet::new(&all, q, Omit::Nothing, &[], Filters::Columns);
    let sample = PgSample::take(conn, &set, q).await?;
    Ok(Some((all, sample)))
}

/// The words in the whole document, and in the names.
const DOC: &str = "p.search_doc @@ to_tsquery('simple', $1)";
const NAMES: &str = "p.search_names @@ to_tsquery('simple', $1)";

/// A broad query's tiers: matches in the names first, then the rest.
#[derive(Clone, Copy)]
enum Tier {
    Names,
    Rest,
}

impl Tier {
    fn matcher(self) -> String {
        match self {
            Tier::Names => NAMES.to_owned(),
            Tier::Rest => format!("{DOC} AND NOT {NAMES}"),
        }
    }
}

/// A page of a broad query: names matches first (their own indexed
/// document), then the rest, each by key.
async fn tiers(
    conn: &mut AnyConnection,
    page: &PageSets,
    sample: &PgSample,
    limit: i64,
    offset: i64,
) -> Result<Vec<AnyRow>, StoreError> {
    let mut rows = pg_tier(conn, page, Tier::Names, limit, offset, sample).await?;
    let missing = limit - rows.len() as i64;
    if missing > 0 {
        // Only a short first tier needs its size, to place the second tier's offset.
        let in_first = match (rows.is_empty(), offset) {
            (true, 0) => 0,
            (true, _) => pg_count(conn, &page.keys, NAMES).await?,
            (false, _) => offset + rows.len() as i64,
        };
        let offset = (offset - in_first).max(0);
        let more = pg_tier(conn, page, Tier::Rest, missing, offset, sample).await?;
        rows.extend(more);
    }
    Ok(rows)
}

/// The facet counts of the values a filter leaves out (other domains, other
/// tags), each counted on the matches of the words and the other filters.
async fn other_values(
    conn: &mut AnyConnection,
    all: &str,
    q: &SearchQuery,
    sample: &PgSample,
) -> Result<Counted, StoreError> {
    let mut counted = Counted::default();
    for (omit, domains, tags) in [(Omit::Domains, true, false), (Omit::Tags, false, true)] {
        if (domains && q.domains.is_empty()) || (tags && q.tags.is_empty()) {
            continue;
        }
        let other = PgCount::new(all, q, omit);
        // Still filtered: through the GIN index, as a filter the sample did not measure.
        let scan = other.keys.is_none() && sample.words_broad();
        counted.absorb(facet_counts(conn, &other.capped_sql(scan), &other.binds, domains, tags, TAGS).await?);
    }
    Ok(counted)
}

/// A count's match: the tsquery ($1) and the filters as one tsquery of
/// filter lexemes on `search_keys` ($2), which the GIN index on
/// `(search_doc, search_keys)` resolves with the words in one scan.
struct PgCount {
    keys: Option<String>,
    binds: Binds,
}

impl PgCount {
    fn new(tsquery: &str, q: &SearchQuery, omit: Omit) -> Self {
        let keys = filter_keys(q, omit);
        let binds = Binds(std::iter::once(tsquery.to_owned()).chain(keys.clone()).collect());
        PgCount { keys, binds }
    }

    /// The first matches (up to the count cap + 1) as `k`, `d`, `g` and `h`
    /// (tags): with `scan`, a scan of the filtered rows that stops at the cap
    /// (the words tested above an `OFFSET 0` fence, out of the index's
    /// reach), for words and filters common enough that the cap comes soon;
    /// else the plan the planner picks (the GIN index).
    fn capped_sql(&self, scan: bool) -> String {
        let f = if self.keys.is_some() { "p.search_keys @@ CAST($2 AS tsquery)" } else { "1 = 1" };
        let cap = COUNT_CAP + 1;
        if scan {
            format!(
                "SELECT s.k, s.d, s.g, s.h FROM (SELECT p.product_key AS k, p.domain AS d, p.tag_keys AS g, p.tag_names AS h,
                          p.search_doc FROM product_search p
                   WHERE {f} OFFSET 0) s
                 WHERE s.search_doc @@ to_tsquery('simple', $1) LIMIT {cap}"
            )
        } else {
            format!(
                "SELECT p.product_key AS k, p.domain AS d, p.tag_keys AS g, p.tag_names AS h FROM product_search p
                 WHERE p.search_doc @@ to_tsquery('simple', $1) AND {f} LIMIT {cap}"
            )
        }
    }
}

/// A filter value as a lexeme of `search_keys`: the kind letter and 64 bits
/// of the value's SHA-256 in hex, as the SQL function `search_key` of
/// migration 0021 writes it.
pub(super) fn filter_lexeme(kind: char, value: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(value.as_bytes());
    format!("{kind}{}", hex::encode(&digest[..8]))
}

/// The filters of `q` (but `omit`) as a tsquery of filter lexemes; `None`
/// without filters. Values are compared as `SearchQuery::normalized`
/// leaves them (lower-cased, as the stored owner and tag keys are).
fn filter_keys(q: &SearchQuery, omit: Omit) -> Option<String> {
    let any = |kind: char, values: &[String]| {
        format!("({})", values.iter().map(|v| filter_lexeme(kind, v)).collect::<Vec<_>>().join(" | "))
    };
    let mut parts = Vec::new();
    if omit != Omit::Domains && !q.domains.is_empty() {
        parts.push(any('d', &q.domains));
    }
    if let Some(c) = &q.classification {
        parts.push(filter_lexeme('c', c));
    }
    if omit != Omit::Tags && !q.tags.is_empty() {
        parts.push(any('t', &q.tags));
    }
    if let Some(o) = &q.owner {
        parts.push(filter_lexeme('o', o));
    }
    (!parts.is_empty()).then(|| parts.join(" & "))
}

/// How a statement states the filters.
#[derive(Clone, Copy)]
enum Filters {
    /// On the plain columns: what the `(domain, product_key)` index serves
    /// (a domain's page in key order) and what a sample row is tested by.
    Columns,
    /// As one tsquery of filter lexemes on `search_keys`: what the GIN
    /// indexes on `(search_doc, search_keys)` and `(search_names,
    /// search_keys)` resolve with the words in one index scan.
    Keys,
}

/// A PostgreSQL statement's match: the tsquery ($1) and the filters (and
/// exclusions) on `product_search p`, values from $2. Statements are never kept
/// prepared (see "Plans" below).
struct PgSet {
    filters: String,
    binds: Binds,
}

/// A page's match, both ways ([`Filters`]).
struct PageSets {
    columns: PgSet,
    keys: PgSet,
}

impl PgSet {
    fn new(tsquery: &str, q: &SearchQuery, omit: Omit, exclude: &[String], how: Filters) -> Self {
        let mut binds = Binds(vec![tsquery.to_owned()]);
        let mut filters = match (how, filter_keys(q, omit)) {
            (Filters::Keys, Some(keys)) => format!("p.search_keys @@ CAST({} AS tsquery)", binds.add(&keys)),
            (Filters::Keys, None) => "1 = 1".to_owned(),
            (Filters::Columns, _) => sql_filters(Dialect::Postgres, q, omit, &mut binds),
        };
        if !exclude.is_empty() {
            filters = format!("{filters} AND p.product_key NOT IN ({})", binds.list(exclude));
        }
        PgSet { filters, binds }
    }

    fn query<'q>(&self, sql: String) -> AnyQuery<'q> {
        self.binds.query(sql).persistent(false)
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

/// A count by scan reads (cap + 1) x rows / matches rows in table order;
/// beyond this many the GIN index is cheaper, however many the matches. At
/// 100,000 products, `product & 51:*` (2,130 matches, 2%, the sample said 5%
/// as they sit together in publish order) took 120-190 ms by scan, 4-5 ms
/// through GIN; a word pair in 26% of rows 2.4-3.2 ms by scan (3,850 rows),
/// 5.3-5.5 ms through GIN (its bitmap holds every match).
const SCAN_ROWS_MAX: i64 = 10_000;

/// Rows of a fixed page sample of `product_search`: all, those matching the
/// words, those passing the filters, those passing and matching, and of
/// those, matching in the names.
struct PgSample {
    rows: i64,
    words: i64,
    passing: i64,
    matches: i64,
    names: i64,
    /// Matching in the names, filters or not.
    names_all: i64,
    filtered: bool,
    /// How many domains the filter names: keys start with their domain, so
    /// one domain's products are contiguous in key order (and a window from
    /// the first key misses them).
    domains: usize,
}

impl PgSample {
    async fn take(conn: &mut AnyConnection, set: &PgSet, q: &SearchQuery) -> Result<Self, StoreError> {
        let sql = format!(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE m), COUNT(*) FILTER (WHERE f), COUNT(*) FILTER (WHERE f AND m),
                    COUNT(*) FILTER (WHERE f AND m AND n),
                    COUNT(*) FILTER (WHERE m AND n)
             FROM (SELECT {} AS f, p.search_doc @@ to_tsquery('simple', $1) AS m,
                          p.search_names @@ to_tsquery('simple', $1) AS n
                   FROM product_search p TABLESAMPLE SYSTEM ({SAMPLE_PERCENT}) REPEATABLE (0)) s",
            set.filters
        );
        let row = set.query(sql).fetch_one(conn).await?;
        Ok(PgSample {
            rows: row.try_get(0)?,
            words: row.try_get(1)?,
            passing: row.try_get(2)?,
            matches: row.try_get(3)?,
            names: row.try_get(4)?,
            names_all: row.try_get(5)?,
            filtered: !q.domains.is_empty() || q.classification.is_some() || !q.tags.is_empty() || q.owner.is_some(),
            domains: q.domains.len(),
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

    /// The same for the words without any filter, dense enough to count by scan.
    fn words_broad(&self) -> bool {
        self.usable() && self.words >= 5 && self.scaled(self.words) > 2.0 * COUNT_CAP as f64 && self.dense(self.words)
    }

    /// Whether a scan in table order reaches the cap within [`SCAN_ROWS_MAX`]
    /// rows, for `matches` matches in the sample.
    fn dense(&self, matches: i64) -> bool {
        matches as f64 * SCAN_ROWS_MAX as f64 >= (COUNT_CAP + 1) as f64 * self.rows as f64
    }

    /// Count by scanning (the filtered) rows rather than through GIN: when
    /// the matches are many and dense enough that the scan reaches the cap
    /// soon, and, with a filter, the filter passes a fifth of the table or
    /// more. A narrower filter goes through GIN with the words: the scan read
    /// ~1,800 of a domain's rows, one per page (7 ms), the index scan 1,001
    /// (2 ms).
    fn count_by_scan(&self) -> bool {
        self.broad() && self.dense(self.matches) && (!self.filtered || self.passing * 5 >= self.rows)
    }

    /// A tier's matches in the sample: passing the filters, and all.
    fn tier(&self, tier: Tier) -> (i64, i64) {
        match tier {
            Tier::Names => (self.names, self.names_all),
            Tier::Rest => (self.matches - self.names, self.words - self.names_all),
        }
    }

    /// One domain: whether to read the tier's matches in the domain from
    /// the GIN index (with the domain's filter lexeme, one scan) and sort
    /// them, rather than walk the domain's rows in key order (its index)
    /// testing each. The walk reads `need` over the tier's share of rows; the
    /// index, the tier's matches in the domain. Both from the tier's share of
    /// the whole sample (a domain's own rows there are a dozen) and the
    /// domain's rows. A product's rows are not in key order on disk (only
    /// after migration 0021 rebuilt the table), so each row the walk reads is
    /// a page: a common word's names in one domain, 218 matches, walked
    /// (or AND-ed bitmaps, the planner's pick) in 4.8-5.4 ms, read from the
    /// index and sorted in 2.4 ms.
    fn one_domain_from_index(&self, tier: Tier, need: i64) -> bool {
        if !self.usable() {
            return false;
        }
        let (_, all) = self.tier(tier);
        if all == 0 {
            return true;
        }
        let share = all as f64 / self.rows as f64;
        let in_domain = share * self.scaled(self.passing.max(1));
        in_domain < need as f64 / share
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

/// How a page is ordered.
#[derive(Clone, Copy)]
enum Order {
    /// By `ts_rank` (best first), then key.
    Rank,
    /// By key.
    Key,
}

/// Where a page's matches are read from.
#[derive(Clone, Copy)]
enum Source {
    /// `product_search`, in the plan the planner picks.
    Table,
    /// Only the first `n` products by key (a key-order index scan that
    /// stops at the page).
    Window(i64),
    /// Every match, from the GIN index, then sorted: an `OFFSET 0` fence keeps
    /// the planner from walking the key index and testing row after row for
    /// a page of a rare tier (two words in the names: 8,000 rows read for 50,
    /// 18 ms).
    Fenced,
}

/// A page of `matcher` matches: picked and ordered in `product_search`, then
/// their summaries read from `products` by key.
async fn pg_page(
    conn: &mut AnyConnection,
    set: &PgSet,
    matcher: &str,
    order: Order,
    limit: i64,
    offset: i64,
    source: Source,
) -> Result<Vec<AnyRow>, StoreError> {
    // Key order spelled out alone, so a key-order scan can stop at the page.
    let (rank, by) = match order {
        Order::Rank => ("ts_rank(p.search_doc, to_tsquery('simple', $1))", "r DESC, k"),
        Order::Key => ("0", "k"),
    };
    let f = &set.filters;
    let matches = match source {
        Source::Table => format!(
            "SELECT p.product_key AS k, {rank} AS r FROM product_search p WHERE {matcher} AND {f}
             ORDER BY {by} LIMIT {limit} OFFSET {offset}"
        ),
        Source::Window(w) => format!(
            "SELECT p.product_key AS k, {rank} AS r
             FROM (SELECT * FROM product_search p ORDER BY p.product_key LIMIT {w}) p WHERE {matcher} AND {f}
             ORDER BY {by} LIMIT {limit} OFFSET {offset}"
        ),
        Source::Fenced => format!(
            "SELECT m.k, m.r FROM (SELECT p.product_key AS k, {rank} AS r FROM product_search p
                                   WHERE {matcher} AND {f} OFFSET 0) m
             ORDER BY {by} LIMIT {limit} OFFSET {offset}"
        ),
    };
    let sql =
        format!("SELECT {SUMMARY_COLUMNS} FROM ({matches}) x JOIN products p ON p.product_key = x.k ORDER BY {by}");
    Ok(set.query(sql).fetch_all(conn).await?)
}

/// A page of one tier of a broad query, by key: read in key order when the
/// tier is dense, else from the index. A key-order window either fills the
/// page (then it holds the first matches by key, as the whole table would) or
/// gives way to the planner. With one domain, the planner walks the domain's
/// rows in key order (index on domain and key) or the tier is read from the
/// index, whichever reads fewer rows ([`PgSample::one_domain_from_index`]).
/// Read from the index, a tier's matches are filtered by the filter lexemes
/// in the same GIN scan.
async fn pg_tier(
    conn: &mut AnyConnection,
    sets: &PageSets,
    tier: Tier,
    limit: i64,
    offset: i64,
    sample: &PgSample,
) -> Result<Vec<AnyRow>, StoreError> {
    let set = &sets.columns;
    let matcher = &tier.matcher();
    let need = offset + limit;
    if sample.domains == 1 && !sample.one_domain_from_index(tier, need) {
        return pg_page(conn, set, matcher, Order::Key, limit, offset, Source::Table).await;
    }
    let (in_sample, _) = sample.tier(tier);
    let window = match sample.key_order_window(in_sample, need) {
        // Several domains' rows are not contiguous in any index's order: the
        // planner walked the primary key (after migration 0021 the table is
        // stored in key order, so the walk looks cheap) through 70,000 rows for two domains, 65 ms.
        Some(window) if sample.domains == 0 => window,
        _ => return pg_page(conn, &sets.keys, matcher, Order::Key, limit, offset, Source::Fenced).await,
    };
    let rows = pg_page(conn, set, matcher, Order::Key, limit, offset, Source::Window(window)).await?;
    if rows.len() as i64 == limit {
        return Ok(rows);
    }
    pg_page(conn, set, matcher, Order::Key, limit, offset, Source::Table).await
}

/// Matches of `matcher` (a condition on $1), counted up to [`COUNT_CAP`] + 1,
/// in the plan the planner picks (the GIN index for rare words).
async fn pg_count(conn: &mut AnyConnection, set: &PgSet, matcher: &str) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM product_search p WHERE {matcher} AND {} LIMIT {}) x",
        set.filters,
        COUNT_CAP + 1
    );
    Ok(set.query(sql).fetch_one(conn).await?.try_get(0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(rows: i64, matches: i64, passing: i64) -> PgSample {
        let filtered = passing < rows;
        PgSample { rows, words: matches, passing, matches, names: 0, names_all: 0, filtered, domains: 0 }
    }

    /// The counts of `product & 51:*` and of a word pair, in the 0.5% sample
    /// of the benchmark's 100,000 products (`SCAN_ROWS_MAX`'s measurements).
    #[test]
    fn a_count_scans_only_where_the_cap_comes_soon() {
        let sparse = sample(518, 27, 518);
        assert!(sparse.broad(), "more matches than are counted");
        assert!(!sparse.count_by_scan(), "19,000 rows to read: through GIN");
        assert!(!sparse.words_broad());
        let dense = sample(518, 135, 518);
        assert!(dense.count_by_scan(), "3,850 rows to read: by scan");
        assert!(dense.words_broad());
        // A filter passing a tenth of the table goes through GIN with the words.
        assert!(!sample(518, 40, 52).count_by_scan());
    }
}
