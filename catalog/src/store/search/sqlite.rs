//! SQLite: FTS5 with `domain`, `classification` and `tags` as exact (hex) tokens,
//! so words and those filters resolve inside the index and only the page is
//! joined to `products`; selective queries ranked by BM25, broad ones by tier.
//!
//! The FTS row shares its product row's rowid (`products::publish` writes it
//! so), and a page joins on it: reading the FTS table's `product_key` would
//! look up each hit in FTS5's content table (every product's text, the
//! largest table of the file), and joining on the key probed `products`'
//! key index as well: two scattered page reads a hit, where the rowid is
//! one.

use sqlx::{AnyConnection, Row};

use super::facets::{Counted, TagCounts, facet_counts};
use super::lexemes::expand_prefix;
use super::{
    AnyRow, Binds, COUNT_CAP, Exact, Facets, Omit, SCORED_MATCHES_MAX, SUMMARY_COLUMNS, SearchQuery, StoreError,
    assemble, fold, split_page,
};

/// The words as FTS5 expressions (see [`fts_words`]).
struct Words {
    /// To match and count with: the last word as the exact words its roots
    /// start, where the vocabulary can say (see [`expand_prefix`]).
    matched: String,
    /// To score with BM25: the last word as a prefix (one phrase), limited
    /// to the columns the vocabulary holds, so it matches what `matched`
    /// does. Scored as an OR of exact words, each word form would weigh by
    /// its own rarity, and in a small catalog a product that says "order"
    /// often outranked the one named "Sales orders" for `orders`.
    scored: String,
    /// Each word of `matched` alone (its forms; the last as its exact words).
    parts: Vec<String>,
}

/// The FTS5 expressions of the words: each word as any of its forms, the
/// last as the words its roots start; `None` when nothing in the catalog
/// can match.
async fn fts_words(conn: &mut AnyConnection, terms: &[String]) -> Result<Option<Words>, StoreError> {
    let (last, whole) = terms.split_last().expect("search terms are not empty");
    let group = |alts: Vec<String>| if alts.len() == 1 { alts[0].clone() } else { format!("({})", alts.join(" OR ")) };
    let mut words: Vec<String> =
        whole.iter().map(|t| group(fold::forms(t).iter().map(|f| quote(f)).collect())).collect();
    let mut alts = Vec::new();
    for root in fold::prefix_roots(last) {
        match expand_prefix(conn, &root).await? {
            Some(exact) => alts.extend(exact.iter().map(|w| quote(w))),
            None => alts.push(format!("{}*", quote(&root))),
        }
    }
    alts.sort();
    alts.dedup();
    if alts.is_empty() {
        return Ok(None);
    }
    let prefixes = group(fold::prefix_roots(last).iter().map(|r| format!("{}*", quote(r))).collect());
    let scored = words.iter().cloned().chain(std::iter::once(prefixes)).collect::<Vec<_>>().join(" AND ");
    words.push(group(alts));
    Ok(Some(Words {
        matched: format!("({})", words.join(" AND ")),
        scored: format!("({{names descriptions columns}} : ({scored}))"),
        parts: words,
    }))
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('"', "\"\""))
}

/// A SQLite statement's match: the FTS expression ($1) and the conditions
/// on the FTS row `s` outside the index (owner, exclusions), values from $2.
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
        let mut parts = Vec::new();
        if omit != Omit::Domains && !q.domains.is_empty() {
            let any = q.domains.iter().map(|d| quote(&hex::encode(d))).collect::<Vec<_>>().join(" OR ");
            parts.push(format!("domain : ({any})"));
        }
        if let Some(c) = &q.classification {
            parts.push(format!("classification : {}", quote(&hex::encode(c))));
        }
        if omit != Omit::Tags && !q.tags.is_empty() {
            // Tags are exact tokens too (migration 0016): the filter runs in
            // the index. It was a set of rowids from `product_tags` tested
            // against every match (~12 ms per statement for one common tag).
            let any = q.tags.iter().map(|t| quote(&hex::encode(t))).collect::<Vec<_>>().join(" OR ");
            parts.push(format!("tags : ({any})"));
        }
        let matcher = std::iter::once(words.to_owned()).chain(parts.iter().cloned()).collect::<Vec<_>>().join(" AND ");
        let mut binds = Binds(vec![matcher.clone()]);
        let mut cond = Vec::new();
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

    /// The first matches (up to the count cap + 1), as `d` (domain) and
    /// `g` (tags, a JSON list), from the narrow `product_facets` rows.
    fn capped_sql(&self) -> String {
        format!(
            "SELECT x.r AS k, f.domain AS d, f.tags AS g FROM (SELECT s.rowid AS r FROM product_search s
                 WHERE product_search MATCH $1 AND {} LIMIT {}) x JOIN product_facets f ON f.product_rowid = x.r",
            self.cond,
            COUNT_CAP + 1
        )
    }
}

/// Tags are counted from each match's JSON list, read with the domain from
/// one narrow row (`product_facets`): no `product_tags` probes.
const TAGS: TagCounts = TagCounts::JsonList;

pub(super) async fn sqlite_search(
    conn: &mut AnyConnection,
    spare: Option<&mut AnyConnection>,
    q: &SearchQuery,
    terms: &[String],
    exact: Exact,
) -> Result<(i64, Vec<AnyRow>, Facets), StoreError> {
    let Some(Words { matched: words, scored, parts }) = fts_words(conn, terms).await? else {
        return Ok((0, Vec::new(), Counted::default().facets(q)));
    };
    let all = SqliteSet::new(&words, q, Omit::Nothing, &[]);
    let main_sql = all.capped_sql();
    let main = facet_counts(conn, &main_sql, &all.binds, q.domains.is_empty(), q.tags.is_empty(), TAGS);
    // A filter's other values do not depend on the main count: on a second
    // connection (WAL lets readers run side by side, each connection on
    // its own thread) they are counted beside it.
    let counted = match spare {
        Some(spare) if !q.domains.is_empty() || !q.tags.is_empty() => {
            let (main, others) = tokio::join!(main, other_values(spare, &words, q));
            let mut counted = main?;
            counted.absorb(others?);
            counted
        }
        _ => {
            let mut counted = main.await?;
            counted.absorb(other_values(conn, &words, q).await?);
            counted
        }
    };
    let total = counted.total;
    let facets = counted.facets(q);
    let (shown, offset, limit) = split_page(q, exact.rows.len());
    if limit == 0 {
        return Ok((total, assemble(exact, shown, Vec::new()), facets));
    }
    let page = SqliteSet::new(&words, q, Omit::Nothing, &exact.rowids);
    let (lim, off) = (limit, offset);
    if total <= q.scored_max.unwrap_or(SCORED_MATCHES_MAX) {
        // Few matches: scored in the prefix form (its doclist merge, ~3 ms for a
        // common prefix at 100,000 products, is paid on this path only).
        let page = SqliteSet::new(&scored, q, Omit::Nothing, &exact.rowids);
        let cond = &page.cond;
        let score = "bm25(product_search, 0.0, 0.0, 0.0, 10.0, 2.0, 5.0, 0.0)";
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM (SELECT rowid AS r, {score} AS score FROM product_search s
                 WHERE product_search MATCH $1 AND {cond} ORDER BY score LIMIT {lim} OFFSET {off}) s
             JOIN products p ON p.rowid = s.r ORDER BY s.score, p.product_key"
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
            "SELECT {SUMMARY_COLUMNS} FROM (SELECT rowid AS r FROM product_search s
                 WHERE product_search MATCH $1 AND {} ORDER BY rowid LIMIT {lim} OFFSET {off}) s
             JOIN products p ON p.rowid = s.r ORDER BY s.r",
            set.cond
        )
    };
    let names_possible = every_word_in_a_name(conn, &parts).await?;
    let mut rows = if names_possible {
        first.binds.query(tier(&first, lim, off)).fetch_all(&mut *conn).await?
    } else {
        Vec::new()
    };
    let missing = lim - rows.len() as i64;
    if missing > 0 {
        // Only a short first tier needs its size, to place the second tier's
        // offset; an empty first page at offset 0 says it is empty (column-name
        // queries: counting an empty names tier walked every candidate again).
        let in_first = match (rows.is_empty(), off) {
            (true, 0) => 0,
            (true, _) if !names_possible => 0,
            (true, _) => sqlite_count(conn, &first).await?,
            (false, _) => off + rows.len() as i64,
        };
        let offset = (off - in_first).max(0);
        rows.extend(rest.binds.query(tier(&rest, missing, offset)).fetch_all(&mut *conn).await?);
    }
    Ok((total, assemble(exact, shown, rows), facets))
}

/// The facet counts of the values a filter leaves out (other domains, other
/// tags), each counted on the matches of the words and the other filters.
async fn other_values(conn: &mut AnyConnection, words: &str, q: &SearchQuery) -> Result<Counted, StoreError> {
    let mut counted = Counted::default();
    if !q.domains.is_empty() {
        let set = SqliteSet::new(words, q, Omit::Domains, &[]);
        counted.absorb(facet_counts(conn, &set.capped_sql(), &set.binds, true, false, TAGS).await?);
    }
    if !q.tags.is_empty() {
        let set = SqliteSet::new(words, q, Omit::Tags, &[]);
        counted.absorb(facet_counts(conn, &set.capped_sql(), &set.binds, false, true, TAGS).await?);
    }
    Ok(counted)
}

/// Whether each word (`parts`, two or more) is in some product's names: the
/// names tier needs all of them there. FTS5 finds a names tier of two common
/// words empty only by reading both doclists whole and checking the column
/// of every row holding both (`refund_amount` at 100,000 products: ~26,000
/// rows, 18-21 ms); a word alone is found in a name at once, or found in
/// none in one pass over its own doclist (5 ms for `amount`).
async fn every_word_in_a_name(conn: &mut AnyConnection, parts: &[String]) -> Result<bool, StoreError> {
    if parts.len() < 2 {
        return Ok(true);
    }
    for part in parts {
        let found = sqlx::query("SELECT 1 FROM product_search WHERE product_search MATCH $1 LIMIT 1")
            .bind(format!("names : {part}"))
            .fetch_optional(&mut *conn)
            .await?;
        if found.is_none() {
            return Ok(false);
        }
    }
    Ok(true)
}

async fn sqlite_count(conn: &mut AnyConnection, set: &SqliteSet) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM product_search s WHERE product_search MATCH $1 AND {} LIMIT {})",
        set.cond,
        COUNT_CAP + 1
    );
    Ok(set.binds.query(sql).fetch_one(conn).await?.try_get(0)?)
}
