//! What Steward publishes to a catalog, as plain data: the catalog service
//! builds these from a contract and stores them as JSON in its outbox, so they
//! carry no SDK types and round-trip through serde unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A column of a table (or a partition key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSpec {
    /// Column name.
    pub name: String,
    /// Hive type, e.g. `bigint`, `decimal(10,2)`, `string`.
    pub data_type: String,
    /// Column comment.
    pub comment: Option<String>,
}

/// A table of a product database. `parameters["classification"]` set to
/// `parquet`, `json` or `csv` also sets the matching input/output formats and SerDe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSpec {
    /// Table name.
    pub name: String,
    /// Table description.
    pub description: Option<String>,
    /// Data columns.
    pub columns: Vec<ColumnSpec>,
    /// Partition keys, in order.
    pub partition_keys: Vec<ColumnSpec>,
    /// `s3://bucket/prefix/` of the table data.
    pub location: String,
    /// Table parameters.
    pub parameters: BTreeMap<String, String>,
    /// Columns with a classification of their own (PII columns), by name:
    /// tagged `classification = <level>` at column level in tags mode.
    #[serde(default)]
    pub column_classifications: BTreeMap<String, String>,
}

/// A product database and its tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSpec {
    /// Database name (`<domain>_<product>`).
    pub name: String,
    /// Database description.
    pub description: Option<String>,
    /// Default location of the database.
    pub location: Option<String>,
    /// Database parameters.
    pub parameters: BTreeMap<String, String>,
    /// Tables of the database.
    pub tables: Vec<TableSpec>,
    /// LF-Tags of the database in tags mode (`product`, `domain`,
    /// `classification`); its tables inherit them.
    #[serde(default)]
    pub lf_tags: BTreeMap<String, String>,
}

/// One partition: its key values (in partition key order) and its location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionSpec {
    /// Values, one per partition key.
    pub values: Vec<String>,
    /// `s3://...` of the partition data.
    pub location: String,
}

/// What [`crate::GlueCatalog::add_partitions`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionReport {
    /// Partitions created by this call.
    pub created: usize,
    /// Partitions that already existed.
    pub existing: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip_through_json() {
        let db = DatabaseSpec {
            name: "sales_orders".into(),
            description: Some("Orders".into()),
            location: None,
            parameters: [("steward:version".to_owned(), "1.0.0".to_owned())].into(),
            tables: vec![TableSpec {
                name: "orders".into(),
                description: None,
                columns: vec![ColumnSpec { name: "id".into(), data_type: "bigint".into(), comment: None }],
                partition_keys: vec![ColumnSpec {
                    name: "dt".into(),
                    data_type: "string".into(),
                    comment: Some("day".into()),
                }],
                location: "s3://lake/orders/".into(),
                parameters: BTreeMap::new(),
                column_classifications: [("id".to_owned(), "restricted".to_owned())].into(),
            }],
            lf_tags: [("product".to_owned(), "sales.orders".to_owned())].into(),
        };
        let json = serde_json::to_string(&db).unwrap();
        assert_eq!(serde_json::from_str::<DatabaseSpec>(&json).unwrap(), db);
        let p = PartitionSpec { values: vec!["2026-11-22".into()], location: "s3://lake/orders/dt=2026-11-22/".into() };
        assert_eq!(serde_json::from_value::<PartitionSpec>(serde_json::to_value(&p).unwrap()).unwrap(), p);
    }
}
