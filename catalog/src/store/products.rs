//! The embedded catalog: published products, their tables, versions and the
//! search index. Publishing replaces a product's rows in one transaction, so
//! repeating it (recovery, rebuild) changes nothing. Searching them is the
//! job of the `search` module (`store/search.rs`), whose items are re-exported here.

use sqlx::{AnyConnection, AssertSqlSafe, Row};

pub use super::search::{
    COUNT_CAP, FacetCount, Facets, ProductSummary, SearchPage, SearchQuery, SloHealth, Viewer, search,
};
use super::{Dialect, StoreError, ts};
use crate::model::{CatalogTable, ProductDetail, Slo, search_parts};

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
    let detail = serde_json::to_string(p)?;
    let tags_json = serde_json::to_string(&p.tags)?;
    // PostgreSQL: the lower-cased tags stay on the row for listings that
    // filter without words; the documents go to `product_search` below.
    let (tag_column, tag_value, tag_update) = match dialect {
        Dialect::Sqlite => ("", "", ""),
        Dialect::Postgres => (
            ", tag_keys",
            ", ARRAY(SELECT DISTINCT lower(j.v) FROM json_array_elements_text($10::json) AS j(v))",
            ", tag_keys = excluded.tag_keys",
        ),
    };
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO products (product_key, domain, product, version, status, name, description, owner_team, classification,
                               tags, detail, contract, commit_id, proposal_id, published_at{tag_column})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15{tag_value})
         ON CONFLICT (product_key) DO UPDATE SET
           version = excluded.version, status = excluded.status, name = excluded.name, description = excluded.description,
           owner_team = excluded.owner_team, classification = excluded.classification, tags = excluded.tags,
           detail = excluded.detail, contract = excluded.contract, commit_id = excluded.commit_id,
           proposal_id = excluded.proposal_id, published_at = excluded.published_at
           {tag_update}",
    )))
    .bind(&p.key)
    .bind(&p.domain)
    .bind(&p.product)
    .bind(&p.version)
    .bind(p.status.as_str())
    .bind(&p.name)
    .bind(&p.description.purpose)
    .bind(&p.owner_team)
    .bind(&p.classification)
    .bind(&tags_json)
    .bind(detail)
    .bind(from.contract)
    .bind(from.commit)
    .bind(from.proposal_id)
    .bind(ts(from.now))
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

    super::lineage::index_product(&mut *conn, p).await?;
    super::majors::record(&mut *conn, p, from.commit, from.now).await?;

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
                "INSERT INTO product_search (rowid, product_key, domain, classification, names, descriptions, columns, tags)
                 VALUES ((SELECT rowid FROM products WHERE product_key = $1), $1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&p.key)
            .bind(hex::encode(&p.domain))
            .bind(hex::encode(&p.classification))
            .bind(&names)
            .bind(&descriptions)
            .bind(&columns)
            .bind(tags.iter().map(|t| hex::encode(t.to_lowercase())).collect::<Vec<_>>().join(" "))
            .execute(&mut *conn)
            .await?;
            // The words the last query word expands to (migration 0016).
            let words = super::search::lexemes::fts_words([names.as_str(), descriptions.as_str(), columns.as_str()]);
            super::search::lexemes::add_sqlite(&mut *conn, &words).await?;
            // What search facets count, narrow (migration 0015).
            sqlx::query(
                "INSERT INTO product_facets (product_rowid, domain, tags)
                 VALUES ((SELECT rowid FROM products WHERE product_key = $1), $2, $3)
                 ON CONFLICT (product_rowid) DO UPDATE SET domain = excluded.domain, tags = excluded.tags",
            )
            .bind(&p.key)
            .bind(&p.domain)
            .bind(serde_json::to_string(&tags)?)
            .execute(&mut *conn)
            .await?;
            // The column names a search hit shows (migration 0022), in the
            // order PostgreSQL's statement below gives them.
            sqlx::query(
                "INSERT INTO product_column_names (product_key, names) VALUES ($1, $2)
                 ON CONFLICT (product_key) DO UPDATE SET names = excluded.names",
            )
            .bind(&p.key)
            .bind(serde_json::to_string(&column_names(&p.tables))?)
            .execute(&mut *conn)
            .await?;
        }
        Dialect::Postgres => {
            // The narrow row search matches, counts and facets (migrations
            // 0020, 0021): each tag once, lower-cased and as first written,
            // the weighted document (names A, columns B, descriptions C), the
            // names alone without positions, for the names-first tier, and
            // the filter values as lexemes.
            sqlx::query(
                "INSERT INTO product_search (product_key, domain, classification, owner_team, tag_keys, tag_names, search_doc,
                                             search_names, search_keys)
                 SELECT $1, $2, $3, $4, t.keys, t.names,
                        setweight(to_tsvector('simple', $6), 'A') || setweight(to_tsvector('simple', $7), 'C')
                          || setweight(to_tsvector('simple', $8), 'B'),
                        strip(to_tsvector('simple', $6)),
                        array_to_tsvector(ARRAY[search_key('d', $2), search_key('c', $3), search_key('o', lower($4))]
                                          || ARRAY(SELECT search_key('t', k) FROM unnest(t.keys) AS k))
                 FROM (SELECT COALESCE(array_agg(k ORDER BY n0), '{}'), COALESCE(array_agg(shown ORDER BY n0), '{}')
                       FROM (SELECT lower(v) AS k, MIN(n) AS n0, (array_agg(v ORDER BY n))[1] AS shown
                             FROM json_array_elements_text($5::json) WITH ORDINALITY AS e(v, n) GROUP BY lower(v)) x
                      ) AS t(keys, names)
                 ON CONFLICT (product_key) DO UPDATE SET
                   domain = excluded.domain, classification = excluded.classification, owner_team = excluded.owner_team,
                   tag_keys = excluded.tag_keys, tag_names = excluded.tag_names, search_doc = excluded.search_doc,
                   search_names = excluded.search_names, search_keys = excluded.search_keys",
            )
            .bind(&p.key)
            .bind(&p.domain)
            .bind(&p.classification)
            .bind(&p.owner_team)
            .bind(&tags_json)
            .bind(&names)
            .bind(&descriptions)
            .bind(&columns)
            .execute(&mut *conn)
            .await?;
            // The column names a search hit shows (migration 0021), in the
            // order the tables were just written.
            sqlx::query(
                "INSERT INTO product_column_names (product_key, names)
                 SELECT $1, COALESCE(array_agg(j.col ->> 'name' ORDER BY c.table_name, j.n), '{}')
                 FROM catalog_tables c, jsonb_array_elements(c.columns::jsonb) WITH ORDINALITY AS j(col, n)
                 WHERE c.product_key = $1 AND j.col ->> 'name' IS NOT NULL
                 ON CONFLICT (product_key) DO UPDATE SET names = excluded.names",
            )
            .bind(&p.key)
            .execute(&mut *conn)
            .await?;
            // Every lexeme into the vocabulary that expands prefixes (in byte
            // order, so concurrent publishes lock alike).
            sqlx::query(
                "INSERT INTO search_lexemes (lexeme)
                 SELECT l FROM product_search, unnest(tsvector_to_array(search_doc)) AS l
                 WHERE product_key = $1 ORDER BY l COLLATE \"C\"
                 ON CONFLICT DO NOTHING",
            )
            .bind(&p.key)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// A product's column names as a search hit lists them: tables in name
/// order (byte order, as SQLite sorts `table_name`), columns in contract order.
fn column_names(tables: &[CatalogTable]) -> Vec<&str> {
    let mut tables: Vec<_> = tables.iter().collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    tables.iter().flat_map(|t| t.columns.iter().map(|c| c.name.as_str())).collect()
}

/// The major version of a product's published contract (`2` for 2.1.0).
pub async fn current_major(conn: &mut AnyConnection, key: &str) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT version FROM products WHERE product_key = $1").bind(key).fetch_optional(conn).await?;
    let Some(row) = row else { return Ok(None) };
    let version: String = row.try_get(0)?;
    Ok(major_of(&version))
}

/// The major of a published version (`2` for `2.1.0`); versions are semantic
/// versions by the contract rules, so only a corrupt row has none.
pub fn major_of(version: &str) -> Option<i64> {
    version.split('.').next().and_then(|m| m.parse().ok())
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

/// The version and SLO entries of a published product, without building the
/// rest of its detail (the SLO monitor reads every product after a start).
pub async fn slo_of(conn: &mut AnyConnection, key: &str) -> Result<Option<(String, Vec<Slo>)>, StoreError> {
    #[derive(serde::Deserialize)]
    struct SloOnly {
        slo: Vec<Slo>,
    }
    let row = sqlx::query("SELECT version, detail FROM products WHERE product_key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    match row {
        None => Ok(None),
        Some(r) => {
            let detail: String = r.try_get(1)?;
            Ok(Some((r.try_get(0)?, serde_json::from_str::<SloOnly>(&detail)?.slo)))
        }
    }
}

/// The published contract text and version of a product.
pub struct Published {
    pub version: String,
    pub contract: String,
}

pub async fn published(conn: &mut AnyConnection, key: &str) -> Result<Option<Published>, StoreError> {
    let row = sqlx::query("SELECT version, contract FROM products WHERE product_key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    row.map(|r| Ok(Published { version: r.try_get(0)?, contract: r.try_get(1)? })).transpose()
}

pub use steward_api::ProductVersion;

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
                published_at: super::parse_ts(&r.try_get::<String, _>(3)?)?,
            })
        })
        .collect()
}

/// Every published product key with its registry commit (for reconciliation).
pub async fn commits(conn: &mut AnyConnection) -> Result<Vec<(String, String)>, StoreError> {
    let rows = sqlx::query("SELECT product_key, commit_id FROM products").fetch_all(conn).await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

/// Up to `limit` product keys after `after`, in key order (batches over the catalog).
pub async fn keys_after(conn: &mut AnyConnection, after: &str, limit: i64) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT product_key FROM products WHERE product_key > $1 ORDER BY product_key LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}
