//! What a search hit shows besides its product row, read for the page of
//! hits only, with one statement for the marks (SLO health, the caller's
//! access, a pending breaking change) and one for the matching column names,
//! never a statement per hit.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use super::{AnyRow, Binds, Dialect, ProductSummary, SloHealth, StoreError, Viewer, fold};
use crate::store::ts;

/// Matching column names shown per hit.
const MATCHED_COLUMNS_MAX: usize = 5;

/// The hits of `rows` (in [`super::SUMMARY_COLUMNS`] order).
pub(super) async fn page(
    conn: &mut AnyConnection,
    spare: Option<&mut AnyConnection>,
    dialect: Dialect,
    rows: Vec<AnyRow>,
    terms: &[String],
    viewer: &Viewer,
) -> Result<Vec<ProductSummary>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let keys = rows.iter().map(|r| r.try_get::<String, _>(0)).collect::<Result<Vec<_>, _>>()?;
    let (marks, columns) = match spare {
        Some(spare) if !terms.is_empty() => {
            let (marks, columns) =
                tokio::join!(marks(conn, dialect, &keys, viewer), column_names(spare, dialect, &keys, terms));
            (marks?, columns?)
        }
        _ => {
            let marks = marks(conn, dialect, &keys, viewer).await?;
            let columns = if terms.is_empty() { Vec::new() } else { column_names(conn, dialect, &keys, terms).await? };
            (marks, columns)
        }
    };
    let terms = terms.to_vec();
    // Decoding the rows and matching column words is CPU work: off the async threads.
    tokio::task::spawn_blocking(move || build(&rows, &marks, columns, &terms))
        .await
        .map_err(|e| StoreError::Corrupt(format!("building search hits failed: {e}")))?
}

#[derive(Debug, Clone, Copy, Default)]
struct Mark {
    health: Option<SloHealth>,
    access: bool,
    breaking: bool,
}

/// The worse of two healths (a product is as healthy as its worst SLO).
fn worse(a: Option<SloHealth>, b: SloHealth) -> SloHealth {
    let rank = |h: SloHealth| match h {
        SloHealth::Unknown => 0,
        SloHealth::OnTime => 1,
        SloHealth::Late => 2,
        SloHealth::Breached => 3,
    };
    match a {
        Some(a) if rank(a) >= rank(b) => a,
        _ => b,
    }
}

/// SLO health, the viewer's access and pending breaking changes of `keys`,
/// in one statement. Access looks only at grants to the viewer's own
/// accounts, so nothing about another account's grants reaches the answer.
async fn marks(
    conn: &mut AnyConnection,
    dialect: Dialect,
    keys: &[String],
    viewer: &Viewer,
) -> Result<HashMap<String, Mark>, StoreError> {
    let mut b = Binds::default();
    let k = b.list(keys);
    let now = b.add(&ts(viewer.now));
    let breach = match dialect {
        Dialect::Sqlite => "json_extract(s.state, '$.breach') IS NOT NULL",
        Dialect::Postgres => "jsonb_typeof(s.state::jsonb -> 'breach') = 'object'",
    };
    // A proposal counts until it is published or refused: `approved` is
    // decided but not yet in the catalog.
    let mut parts = vec![
        format!(
            "SELECT 'b' AS f, product_key AS k, '' AS v FROM proposals
             WHERE product_key IN ({k}) AND status IN ('submitted', 'pending_review', 'approved') AND breaking <> 0"
        ),
        // Per SLO entry: an open breach; a deadline past but not yet judged, or
        // the last settled tick late or missed; else the last tick met.
        format!(
            "SELECT 's', x.product_key, CASE WHEN x.breached THEN 'breached'
                 WHEN (x.nd <> '' AND x.nd <= {now}) OR x.last IN ('late', 'missed') THEN 'late'
                 WHEN x.last = 'met' THEN 'on_time' ELSE 'unknown' END
             FROM (SELECT s.product_key, {breach} AS breached, s.next_deadline AS nd,
                          (SELECT t.status FROM slo_ticks t WHERE t.product_key = s.product_key
                               AND t.spec_index = s.spec_index ORDER BY t.due DESC LIMIT 1) AS last
                   FROM slo_state s WHERE s.product_key IN ({k})) x"
        ),
    ];
    if !viewer.accounts.is_empty() {
        let a = b.list(&viewer.accounts);
        parts.push(format!(
            "SELECT 'g', product_key, '' FROM grants WHERE status = 'active' AND product_key IN ({k})
                 AND account IN ({a}) AND (expires_at IS NULL OR expires_at > {now})"
        ));
    }
    let rows = b.query(parts.join(" UNION ALL ")).persistent(false).fetch_all(conn).await?;
    let mut out: HashMap<String, Mark> = HashMap::new();
    for r in &rows {
        let (kind, key, value): (String, String, String) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        let m = out.entry(key).or_default();
        match kind.as_str() {
            "b" => m.breaking = true,
            "g" => m.access = true,
            _ => {
                let h = value.parse::<SloHealth>().map_err(|e| StoreError::Corrupt(e.to_string()))?;
                m.health = Some(worse(m.health, h));
            }
        }
    }
    Ok(out)
}

/// The longest prefix every word in `words` starts with.
fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else { return String::new() };
    let mut prefix: &str = first;
    for w in &words[1..] {
        let n: usize = prefix.chars().zip(w.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
        prefix = &prefix[..n];
    }
    prefix.to_owned()
}

/// `(product, column name)` of the page's products whose names contain a
/// query word's stem (a cheap filter in SQL; [`build`] checks word by word).
async fn column_names(
    conn: &mut AnyConnection,
    dialect: Dialect,
    keys: &[String],
    terms: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut b = Binds::default();
    let k = b.list(keys);
    let last = terms.len() - 1;
    let patterns: Vec<String> = terms
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let alts = if i == last { fold::prefix_roots(t) } else { fold::forms(t) };
            // Query words are letters and digits only: no LIKE wildcards in them.
            format!("%{}%", common_prefix(&alts))
        })
        .collect();
    // One narrow row a product (migrations 0021, 0022): parsing the columns
    // JSON of each table in `catalog_tables` read ~100 scattered rows of a
    // large table a page.
    let (from, name, order) = match dialect {
        Dialect::Sqlite => ("product_column_names c, json_each(c.names) j", "j.value", "j.key"),
        Dialect::Postgres => ("product_column_names c, unnest(c.names) WITH ORDINALITY AS j(name, n)", "j.name", "j.n"),
    };
    let like = patterns.iter().map(|p| format!("lower({name}) LIKE {}", b.add(p))).collect::<Vec<_>>().join(" OR ");
    let sql = format!(
        "SELECT c.product_key, {name} FROM {from} WHERE c.product_key IN ({k}) AND ({like}) ORDER BY c.product_key, {order}"
    );
    let rows = b.query(sql).persistent(false).fetch_all(conn).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// How many of the query words `column` matches, word by word with plurals
/// folded (the last query word as a prefix), as the index matched them.
fn words_matched(column: &str, terms: &[String]) -> usize {
    let words: Vec<String> =
        column.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    let last = terms.len().saturating_sub(1);
    terms.iter().enumerate().filter(|(i, t)| words.iter().any(|w| fold::word_matches(w, t, *i == last))).count()
}

fn matched_columns(names: Vec<String>, terms: &[String]) -> Vec<String> {
    let mut scored: Vec<(usize, String)> = Vec::new();
    for name in names {
        let n = words_matched(&name, terms);
        if n > 0 && !scored.iter().any(|(_, s)| *s == name) {
            scored.push((n, name));
        }
    }
    // Most words matched first; otherwise in table and column order.
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    scored.into_iter().take(MATCHED_COLUMNS_MAX).map(|(_, name)| name).collect()
}

fn build(
    rows: &[AnyRow],
    marks: &HashMap<String, Mark>,
    columns: Vec<(String, String)>,
    terms: &[String],
) -> Result<Vec<ProductSummary>, StoreError> {
    let mut by_product: HashMap<String, Vec<String>> = HashMap::new();
    for (key, name) in columns {
        by_product.entry(key).or_default().push(name);
    }
    rows.iter()
        .map(|r| {
            let key: String = r.try_get(0)?;
            let tags: String = r.try_get(8)?;
            let mark = marks.get(&key).copied().unwrap_or_default();
            let matched = by_product.remove(&key).map(|n| matched_columns(n, terms)).unwrap_or_default();
            Ok(ProductSummary {
                domain: r.try_get(1)?,
                name: r.try_get(2)?,
                version: r.try_get(3)?,
                status: steward_api::ProductStatus::parse(&r.try_get::<String, _>(4)?),
                description: r.try_get(5)?,
                owner_team: r.try_get(6)?,
                classification: r.try_get(7)?,
                tags: serde_json::from_str(&tags)?,
                matched_columns: matched,
                slo_health: mark.health.unwrap_or(SloHealth::Unknown),
                has_access: mark.access,
                breaking_change_pending: mark.breaking,
                key,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn columns_match_word_by_word_with_plurals_folded() {
        let names = terms(&["order_id", "customer_email", "reorder_count", "orders_total", "email"]);
        assert_eq!(matched_columns(names.clone(), &terms(&["orders"])), ["order_id", "orders_total"]);
        assert_eq!(
            matched_columns(names, &terms(&["customer", "emails"])),
            ["customer_email", "email"],
            "both words first"
        );
        assert_eq!(words_matched("categories_seen", &terms(&["category", "x"])), 1);
    }

    #[test]
    fn common_prefixes() {
        assert_eq!(common_prefix(&terms(&["category", "categories"])), "categor");
        assert_eq!(common_prefix(&terms(&["order", "orders"])), "order");
        assert_eq!(common_prefix(&terms(&["données"])), "données");
    }

    #[test]
    fn the_worst_slo_wins() {
        assert_eq!(worse(Some(SloHealth::OnTime), SloHealth::Breached), SloHealth::Breached);
        assert_eq!(worse(Some(SloHealth::Late), SloHealth::OnTime), SloHealth::Late);
        assert_eq!(worse(None, SloHealth::Unknown), SloHealth::Unknown);
    }
}
