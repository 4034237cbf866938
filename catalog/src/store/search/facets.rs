//! Facet counts (domains, tags) and the capped total of a set of matches,
//! on both databases.

use sqlx::{AnyConnection, Row};

use super::{Binds, COUNT_CAP, FACET_VALUES_MAX, FacetCount, Facets, SearchQuery, StoreError};

/// Facet counts of one or more match sets (see [`facet_counts`]).
#[derive(Debug, Default)]
pub(super) struct Counted {
    pub(super) total: i64,
    capped: bool,
    domains: Vec<(String, i64)>,
    /// (lower-cased, as first written, count)
    tags: Vec<(String, String, i64)>,
}

impl Counted {
    /// Adds the facets counted on another set (its total is not the page's).
    pub(super) fn absorb(&mut self, other: Counted) {
        self.capped |= other.capped;
        self.domains.extend(other.domains);
        self.tags.extend(other.tags);
    }

    pub(super) fn facets(self, q: &SearchQuery) -> Facets {
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

/// Where a match's tags are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TagCounts {
    /// `product_tags`, by the match's key `k`.
    ProductTags,
    /// A JSON list `g` in the match's own row (SQLite's `json_each`).
    JsonList,
    /// PostgreSQL arrays in the match's own row: `g` each tag once,
    /// lower-cased, and `h` the same tags as first written, in the same order.
    Arrays,
}

/// Counts the first matches of `set` (a statement yielding `k` (a key or
/// rowid), `g` (and `h`) when tags are read from the row, and `d`, capped
/// at [`COUNT_CAP`] + 1 rows) in one statement: how many, and by domain and
/// by tag when asked. Beyond the cap the counts are of those first matches
/// only (lower bounds, flagged): counting every match of a common word cost
/// more than the whole latency budget.
pub(super) async fn facet_counts(
    conn: &mut AnyConnection,
    set: &str,
    binds: &Binds,
    domains: bool,
    tags: bool,
    tag_counts: TagCounts,
) -> Result<Counted, StoreError> {
    // `COUNT(DISTINCT m.k)` for JSON lists: a list may hold a tag twice in
    // different case, which is one tag to the filter.
    let mut parts = vec!["SELECT 'n' AS f, '' AS v, '' AS shown, COUNT(*) AS c FROM m".to_owned()];
    if domains {
        parts.push("SELECT 'd', d, d, COUNT(*) FROM m GROUP BY d".to_owned());
    }
    if tags && tag_counts == TagCounts::JsonList {
        parts.push(
            "SELECT 't', lower(j.value), MIN(j.value), COUNT(DISTINCT m.k) FROM m, json_each(m.g) j GROUP BY lower(j.value)"
                .to_owned(),
        );
    } else if tags && tag_counts == TagCounts::Arrays {
        // Each tag is once in a row's arrays: a plain count, hashed. The two
        // arrays have the same length, so two set-returning functions in one
        // select list step through them together (a projection); `FROM m,
        // unnest(m.g, m.h)` ran a function scan per match instead (the
        // count of a common word's 1,001 first matches: 9.0 ms, 6.8-8.0 ms
        // this way, psql timing).
        parts.push(
            "SELECT 't', j.k, MIN(j.shown), COUNT(*) FROM (SELECT unnest(m.g) AS k, unnest(m.h) AS shown FROM m) j
             GROUP BY j.k"
                .to_owned(),
        );
    } else if tags {
        parts.push(
            // `CROSS JOIN`: SQLite keeps the matches as the outer loop (each a
            // primary-key lookup of its tags). Left free, it walked the whole
            // `lower(tag)` index to skip the GROUP BY sort, probing the
            // matches for every tag row (76 ms at 100,000 products).
            "SELECT 't', lower(t.tag), MIN(t.tag), COUNT(*) FROM m CROSS JOIN product_tags t WHERE t.product_key = m.k
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
