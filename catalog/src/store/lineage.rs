//! OpenLineage: which product tables a dataset name matches, the explicit
//! dataset mappings of contracts, and lineage edges learnt from run events.
//!
//! Matching is by exact keys only (a table's location, its Glue database and
//! name, or an explicit mapping), each an index lookup: an event costs a few
//! lookups whatever the size of the catalog.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::{StoreError, ts};
use crate::model::ProductDetail;

/// The table parameter holding a table's explicit OpenLineage datasets
/// (JSON: `[{"namespace": ..., "name": ...}]`), filled from the contract's
/// `openlineage.datasets` custom property by [`crate::model::build`].
pub const DATASETS_PARAMETER: &str = "openlineage.datasets";

/// A product table a dataset matched.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableMatch {
    pub product_key: String,
    pub table: String,
    /// The table's location (`s3://bucket/prefix/` or a lake path).
    pub location: String,
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

fn table_match(r: &sqlx::any::AnyRow) -> Result<TableMatch, StoreError> {
    Ok(TableMatch {
        product_key: r.try_get("product_key")?,
        table: r.try_get("table_name")?,
        location: r.try_get("location")?,
    })
}

/// Tables whose location is one of `locations` (exact text, as published).
pub async fn tables_at(conn: &mut AnyConnection, locations: &[String]) -> Result<Vec<TableMatch>, StoreError> {
    if locations.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT product_key, table_name, location FROM catalog_tables WHERE location IN ({}) ORDER BY product_key, table_name",
        placeholders(1, locations.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for l in locations {
        q = q.bind(l);
    }
    q.fetch_all(conn).await?.iter().map(table_match).collect()
}

/// The table `database.table` of the catalog (as Glue names it).
pub async fn table_named(conn: &mut AnyConnection, database: &str, table: &str) -> Result<Vec<TableMatch>, StoreError> {
    let rows = sqlx::query(
        "SELECT product_key, table_name, location FROM catalog_tables WHERE database_name = $1 AND table_name = $2",
    )
    .bind(database)
    .bind(table)
    .fetch_all(conn)
    .await?;
    rows.iter().map(table_match).collect()
}

/// Tables a contract maps the dataset `namespace`/`name` to explicitly.
pub async fn mapped(conn: &mut AnyConnection, namespace: &str, name: &str) -> Result<Vec<TableMatch>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.product_key, d.table_name, t.location FROM lineage_datasets d
         JOIN catalog_tables t ON t.product_key = d.product_key AND t.table_name = d.table_name
         WHERE d.namespace = $1 AND d.name = $2 ORDER BY d.product_key, d.table_name",
    )
    .bind(namespace)
    .bind(name)
    .fetch_all(conn)
    .await?;
    rows.iter().map(table_match).collect()
}

/// Rewrites a product's explicit dataset mappings (part of publishing it).
pub async fn index_product(conn: &mut AnyConnection, p: &ProductDetail) -> Result<(), StoreError> {
    #[derive(serde::Deserialize)]
    struct Named {
        namespace: String,
        name: String,
    }
    sqlx::query("DELETE FROM lineage_datasets WHERE product_key = $1").bind(&p.key).execute(&mut *conn).await?;
    for t in &p.tables {
        let Some(json) = t.parameters.get(DATASETS_PARAMETER) else { continue };
        let Ok(list) = serde_json::from_str::<Vec<Named>>(json) else { continue };
        for d in list {
            sqlx::query(
                "INSERT INTO lineage_datasets (namespace, name, product_key, table_name) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
            )
            .bind(&d.namespace)
            .bind(&d.name)
            .bind(&p.key)
            .bind(&t.name)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// A dataset as OpenLineage names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DatasetName {
    pub namespace: String,
    pub name: String,
}

/// One edge to record: `input` was read and `output` written by a run of `job`.
pub struct NewEdge<'a> {
    pub job: &'a DatasetName,
    pub input: &'a DatasetName,
    pub output: &'a DatasetName,
    pub input_product: Option<&'a str>,
    pub output_product: Option<&'a str>,
    pub run_id: &'a str,
    pub event_type: &'a str,
    pub reported_by: &'a str,
    pub now: DateTime<Utc>,
}

fn edge_key(e: &NewEdge<'_>) -> String {
    let mut h = Sha256::new();
    for part in [&e.job, &e.input, &e.output] {
        for s in [&part.namespace, &part.name] {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
    }
    hex::encode(h.finalize())
}

/// Records an edge, or refreshes the one already known (last run, products).
pub async fn upsert_edge(conn: &mut AnyConnection, e: &NewEdge<'_>) -> Result<(), StoreError> {
    let now = ts(e.now);
    sqlx::query(
        "INSERT INTO lineage_edges (edge_key, job_namespace, job_name, input_namespace, input_name, output_namespace,
                                    output_name, input_product, output_product, last_run_id, last_event_type,
                                    reported_by, first_seen, last_seen)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
         ON CONFLICT (edge_key) DO UPDATE SET
           input_product = COALESCE(excluded.input_product, lineage_edges.input_product),
           output_product = COALESCE(excluded.output_product, lineage_edges.output_product),
           last_run_id = excluded.last_run_id, last_event_type = excluded.last_event_type,
           reported_by = excluded.reported_by, last_seen = excluded.last_seen",
    )
    .bind(edge_key(e))
    .bind(&e.job.namespace)
    .bind(&e.job.name)
    .bind(&e.input.namespace)
    .bind(&e.input.name)
    .bind(&e.output.namespace)
    .bind(&e.output.name)
    .bind(e.input_product)
    .bind(e.output_product)
    .bind(e.run_id)
    .bind(e.event_type)
    .bind(e.reported_by)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// A stored edge, as the lineage graph reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub job: DatasetName,
    pub input: DatasetName,
    pub output: DatasetName,
    pub input_product: Option<String>,
    pub output_product: Option<String>,
}

fn edge(r: &sqlx::any::AnyRow) -> Result<Edge, StoreError> {
    let name = |ns: &str, n: &str| -> Result<DatasetName, StoreError> {
        Ok(DatasetName { namespace: r.try_get(ns)?, name: r.try_get(n)? })
    };
    Ok(Edge {
        job: name("job_namespace", "job_name")?,
        input: name("input_namespace", "input_name")?,
        output: name("output_namespace", "output_name")?,
        input_product: r.try_get("input_product")?,
        output_product: r.try_get("output_product")?,
    })
}

/// Which side of an edge a node is looked up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Edges into the node (its upstream).
    Output,
    /// Edges out of the node (its downstream).
    Input,
}

const EDGE_COLUMNS: &str = "job_namespace, job_name, input_namespace, input_name, output_namespace, output_name, \
                            input_product, output_product";

/// Edges with `product` on `side`, at most `limit`.
pub async fn edges_of_product(
    conn: &mut AnyConnection,
    side: Side,
    product: &str,
    limit: i64,
) -> Result<Vec<Edge>, StoreError> {
    let column = match side {
        Side::Output => "output_product",
        Side::Input => "input_product",
    };
    let sql = format!("SELECT {EDGE_COLUMNS} FROM lineage_edges WHERE {column} = $1 ORDER BY edge_key LIMIT $2");
    let rows = sqlx::query(AssertSqlSafe(sql)).bind(product).bind(limit).fetch_all(conn).await?;
    rows.iter().map(edge).collect()
}

/// Edges with the dataset on `side`, at most `limit`.
pub async fn edges_of_dataset(
    conn: &mut AnyConnection,
    side: Side,
    d: &DatasetName,
    limit: i64,
) -> Result<Vec<Edge>, StoreError> {
    let (ns, name) = match side {
        Side::Output => ("output_namespace", "output_name"),
        Side::Input => ("input_namespace", "input_name"),
    };
    let sql =
        format!("SELECT {EDGE_COLUMNS} FROM lineage_edges WHERE {ns} = $1 AND {name} = $2 ORDER BY edge_key LIMIT $3");
    let rows = sqlx::query(AssertSqlSafe(sql)).bind(&d.namespace).bind(&d.name).bind(limit).fetch_all(conn).await?;
    rows.iter().map(edge).collect()
}
