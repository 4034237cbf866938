//! The embedded catalog: published products, their tables, versions and the
//! search index. Publishing replaces a product's rows in one transaction, so
//! repeating it (recovery, rebuild) changes nothing.

use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use utoipa::ToSchema;

use super::{Dialect, StoreError, ts};
use crate::model::{ProductDetail, query_terms, search_parts};

/// Where a published product came from.
pub struct Provenance<'a> {
    pub contract: &'a str,
    pub commit: &'a str,
    pub proposal_id: Option<i64>,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Writes (or rewrites) a product into the catalog.
pub async fn publish(
    conn: &mut AnyConnection,
    dialect: Dialect,
    p: &ProductDetail,
    from: &Provenance<'_>,
) -> Result<(), StoreError> {
    let [names, descriptions, columns] = search_parts(p);
    let search_text = format!("{names} {descriptions} {columns}");
    let detail = serde_json::to_string(p)?;
    sqlx::query(
        "INSERT INTO products (product_key, domain, product, version, status, name, description, owner_team, classification,
                               tags, detail, contract, commit_id, proposal_id, published_at, search_text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (product_key) DO UPDATE SET
           version = excluded.version, status = excluded.status, name = excluded.name, description = excluded.description,
           owner_team = excluded.owner_team, classification = excluded.classification, tags = excluded.tags,
           detail = excluded.detail, contract = excluded.contract, commit_id = excluded.commit_id,
           proposal_id = excluded.proposal_id, published_at = excluded.published_at, search_text = excluded.search_text",
    )
    .bind(&p.key)
    .bind(&p.domain)
    .bind(&p.product)
    .bind(&p.version)
    .bind(&p.status)
    .bind(&p.name)
    .bind(&p.description.purpose)
    .bind(&p.owner_team)
    .bind(&p.classification)
    .bind(serde_json::to_string(&p.tags)?)
    .bind(detail)
    .bind(from.contract)
    .bind(from.commit)
    .bind(from.proposal_id)
    .bind(ts(from.now))
    .bind(&search_text)
    .execute(&mut *conn)
    .await?;

    sqlx::query("DELETE FROM product_tags WHERE product_key = $1").bind(&p.key).execute(&mut *conn).await?;
    let mut tags = p.tags.clone();
    tags.sort();
    tags.dedup();
    for tag in &tags {
        sqlx::query("INSERT INTO product_tags (product_key, tag) VALUES ($1, $2)")
            .bind(&p.key)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
    }

    sqlx::query("DELETE FROM catalog_tables WHERE product_key = $1").bind(&p.key).execute(&mut *conn).await?;
    for t in &p.tables {
        sqlx::query(
            "INSERT INTO catalog_tables (product_key, database_name, table_name, description, location, format, columns, partition_keys, parameters)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&p.key)
        .bind(&t.database)
        .bind(&t.name)
        .bind(&t.description)
        .bind(&t.location)
        .bind(&t.format)
        .bind(serde_json::to_string(&t.columns)?)
        .bind(serde_json::to_string(&t.partition_keys)?)
        .bind(serde_json::to_string(&t.parameters)?)
        .execute(&mut *conn)
        .await?;
    }

    sqlx::query(
        "INSERT INTO product_versions (product_key, version, commit_id, proposal_id, published_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (product_key, version) DO UPDATE SET commit_id = excluded.commit_id, proposal_id = excluded.proposal_id",
    )
    .bind(&p.key)
    .bind(&p.version)
    .bind(from.commit)
    .bind(from.proposal_id)
    .bind(ts(from.now))
    .execute(&mut *conn)
    .await?;

    match dialect {
        Dialect::Sqlite => {
            // The FTS row shares the product row's rowid: both statements are index lookups.
            sqlx::query("DELETE FROM product_search WHERE rowid = (SELECT rowid FROM products WHERE product_key = $1)")
                .bind(&p.key)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO product_search (rowid, product_key, domain, classification, names, descriptions, columns)
                 VALUES ((SELECT rowid FROM products WHERE product_key = $1), $1, $2, $3, $4, $5, $6)",
            )
            .bind(&p.key)
            .bind(&p.domain)
            .bind(&p.classification)
            .bind(names)
            .bind(descriptions)
            .bind(columns)
            .execute(&mut *conn)
            .await?;
        }
        Dialect::Postgres => {
            // Stored and weighted: names (A) over columns (B) over descriptions (C).
            sqlx::query(
                "UPDATE products SET search_doc = setweight(to_tsvector('simple', $2), 'A')
                   || setweight(to_tsvector('simple', $3), 'C') || setweight(to_tsvector('simple', $4), 'B')
                 WHERE product_key = $1",
            )
            .bind(&p.key)
            .bind(names)
            .bind(descriptions)
            .bind(columns)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// The published detail of a product.
pub async fn get(conn: &mut AnyConnection, key: &str) -> Result<Option<ProductDetail>, StoreError> {
    let row = sqlx::query("SELECT detail FROM products WHERE product_key = $1").bind(key).fetch_optional(conn).await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let detail: String = r.try_get(0)?;
            Ok(Some(serde_json::from_str(&detail)?))
        }
    }
}

/// The published contract text, version and registry commit of a product.
pub struct Published {
    pub version: String,
    pub contract: String,
    pub commit: String,
}

pub async fn published(conn: &mut AnyConnection, key: &str) -> Result<Option<Published>, StoreError> {
    let row = sqlx::query("SELECT version, contract, commit_id FROM products WHERE product_key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok(Published { version: r.try_get(0)?, contract: r.try_get(1)?, commit: r.try_get(2)? })).transpose()
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductVersion {
    pub version: String,
    pub commit_id: String,
    pub proposal_id: Option<i64>,
    pub published_at: String,
}

pub async fn versions(conn: &mut AnyConnection, key: &str) -> Result<Vec<ProductVersion>, StoreError> {
    let rows = sqlx::query(
        "SELECT version, commit_id, proposal_id, published_at FROM product_versions WHERE product_key = $1 ORDER BY published_at DESC, version DESC",
    )
    .bind(key)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ProductVersion {
                version: r.try_get(0)?,
                commit_id: r.try_get(1)?,
                proposal_id: r.try_get(2)?,
                published_at: r.try_get(3)?,
            })
        })
        .collect()
}

/// One search hit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductSummary {
    pub key: String,
    pub domain: String,
    pub name: String,
    pub version: String,
    pub status: String,
    pub description: String,
    pub owner_team: String,
    pub classification: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Default, Clone)]
pub struct SearchQuery {
    pub q: Option<String>,
    pub domain: Option<String>,
    pub tag: Option<String>,
    pub classification: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchPage {
    pub total: i64,
    pub items: Vec<ProductSummary>,
}

/// Ranked, filtered, paged search. Without words, lists by key.
///
/// SQLite: the FTS5 table carries `domain` and `classification` as exact
/// tokens, so words and those filters resolve inside the index and only the
/// page is joined to `products` (a tag filter joins first). PostgreSQL: a
/// stored, weighted `tsvector` with a GIN index.
pub async fn search(conn: &mut AnyConnection, dialect: Dialect, q: &SearchQuery) -> Result<SearchPage, StoreError> {
    let terms = q.q.as_deref().map(query_terms).unwrap_or_default();
    if terms.is_empty() {
        return list_filtered(conn, q).await;
    }
    let (total, rows) = match dialect {
        Dialect::Sqlite => {
            let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
            let mut parts: Vec<String> = terms.iter().map(|t| format!("{}*", quote(t))).collect();
            if let Some(d) = &q.domain {
                parts.push(format!("domain : {}", quote(d)));
            }
            if let Some(c) = &q.classification {
                parts.push(format!("classification : {}", quote(c)));
            }
            let matcher = parts.join(" AND ");
            let tag = "($2 IS NULL OR EXISTS (SELECT 1 FROM product_tags t WHERE t.product_key = s.product_key AND t.tag = $2))";
            let score = "bm25(product_search, 0.0, 0.0, 0.0, 10.0, 2.0, 5.0)";
            let page_sql = if q.tag.is_none() {
                // Rank and cut the page inside the index; join only the page.
                format!(
                    "SELECT {SUMMARY_COLUMNS} FROM (SELECT product_key, {score} AS score FROM product_search s
                         WHERE product_search MATCH $1 AND {tag} ORDER BY score LIMIT $3 OFFSET $4) s
                     JOIN products p ON p.product_key = s.product_key ORDER BY s.score, p.product_key"
                )
            } else {
                format!(
                    "SELECT {SUMMARY_COLUMNS} FROM product_search s JOIN products p ON p.product_key = s.product_key
                     WHERE product_search MATCH $1 AND {tag} ORDER BY {score}, p.product_key LIMIT $3 OFFSET $4"
                )
            };
            let count_sql = format!("SELECT COUNT(*) FROM product_search s WHERE product_search MATCH $1 AND {tag}");
            let total: i64 = sqlx::query(AssertSqlSafe(count_sql))
                .bind(matcher.clone())
                .bind(q.tag.clone())
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            let rows = sqlx::query(AssertSqlSafe(page_sql))
                .bind(matcher)
                .bind(q.tag.clone())
                .bind(q.limit)
                .bind(q.offset)
                .fetch_all(&mut *conn)
                .await?;
            (total, rows)
        }
        Dialect::Postgres => {
            let filters = "p.search_doc @@ to_tsquery('simple', $1)
                 AND ($2 IS NULL OR EXISTS (SELECT 1 FROM product_tags t WHERE t.product_key = p.product_key AND t.tag = $2))
                 AND ($3 IS NULL OR p.domain = $3) AND ($4 IS NULL OR p.classification = $4)";
            let tsq: Vec<String> = terms.iter().map(|t| format!("{t}:*")).collect();
            let tsq = tsq.join(" & ");
            let total: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM products p WHERE {filters}")))
                .bind(tsq.clone())
                .bind(q.tag.clone())
                .bind(q.domain.clone())
                .bind(q.classification.clone())
                .fetch_one(&mut *conn)
                .await?
                .try_get(0)?;
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {SUMMARY_COLUMNS} FROM products p WHERE {filters}
                 ORDER BY ts_rank(p.search_doc, to_tsquery('simple', $1)) DESC, p.product_key LIMIT $5 OFFSET $6"
            )))
            .bind(tsq)
            .bind(q.tag.clone())
            .bind(q.domain.clone())
            .bind(q.classification.clone())
            .bind(q.limit)
            .bind(q.offset)
            .fetch_all(&mut *conn)
            .await?;
            (total, rows)
        }
    };
    Ok(SearchPage { total, items: rows.iter().map(summary).collect::<Result<_, _>>()? })
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
        status: r.try_get(4)?,
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
    let total: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM products p WHERE {filters}")))
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
    Ok(SearchPage { total, items: rows.iter().map(summary).collect::<Result<_, _>>()? })
}

/// Every published product key with its registry commit (for reconciliation).
pub async fn commits(conn: &mut AnyConnection) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query("SELECT product_key, commit_id FROM products").fetch_all(conn).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}
