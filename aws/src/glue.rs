//! The production catalog backend: AWS Glue Data Catalog for databases, tables
//! and partitions, and Lake Formation for registering data locations.
//!
//! Writes are create-then-update so that a repeated publish (the outbox retries
//! after a crash) converges instead of failing on `AlreadyExistsException`.
//! Partitions go in `BatchCreatePartition` chunks of 100 (the API limit) with
//! backoff on throttling (see [`crate::retry`]).

use std::collections::BTreeMap;

use aws_sdk_glue::types::{Column, DatabaseInput, PartitionInput, SerDeInfo, StorageDescriptor, TableInput};

use crate::error::AwsError;
use crate::retry::{Backoff, EntryError, batched};
use crate::specs::{ColumnSpec, DatabaseSpec, PartitionReport, PartitionSpec, TableSpec};

/// `BatchCreatePartition` takes at most 100 partitions per call.
pub(crate) const PARTITION_CHUNK: usize = 100;

/// Glue Data Catalog (and Lake Formation location registration) of one account.
#[derive(Debug, Clone)]
pub struct GlueCatalog {
    glue: aws_sdk_glue::Client,
    lakeformation: aws_sdk_lakeformation::Client,
    backoff: Backoff,
}

fn invalid(e: impl std::fmt::Display) -> AwsError {
    AwsError::Invalid(e.to_string())
}

impl GlueCatalog {
    /// A catalog in the account and region of `cfg`.
    pub fn new(cfg: &aws_config::SdkConfig) -> Self {
        GlueCatalog {
            glue: aws_sdk_glue::Client::new(cfg),
            lakeformation: aws_sdk_lakeformation::Client::new(cfg),
            backoff: Backoff::default(),
        }
    }

    /// Creates or updates the database and each of its tables. Tables the spec
    /// no longer lists are left alone (dropping data-bearing tables is an
    /// operator decision, not a side effect of a contract change).
    pub async fn publish(&self, db: &DatabaseSpec) -> Result<(), AwsError> {
        let input = DatabaseInput::builder()
            .name(&db.name)
            .set_description(db.description.clone())
            .set_location_uri(db.location.clone())
            .set_parameters(Some(to_hash(&db.parameters)))
            .build()
            .map_err(invalid)?;
        let created = self.glue.create_database().database_input(input.clone()).send().await;
        match created.map_err(|e| AwsError::sdk("glue", "CreateDatabase", e)) {
            Ok(_) => tracing::info!(database = %db.name, "created Glue database"),
            Err(e) if e.code() == Some("AlreadyExistsException") => {
                self.glue
                    .update_database()
                    .name(&db.name)
                    .database_input(input)
                    .send()
                    .await
                    .map_err(|e| AwsError::sdk("glue", "UpdateDatabase", e))?;
            }
            Err(e) => return Err(e),
        }
        for table in &db.tables {
            self.publish_table(&db.name, table).await?;
        }
        Ok(())
    }

    async fn publish_table(&self, database: &str, table: &TableSpec) -> Result<(), AwsError> {
        let input = table_input(table)?;
        let created = self.glue.create_table().database_name(database).table_input(input.clone()).send().await;
        match created.map_err(|e| AwsError::sdk("glue", "CreateTable", e)) {
            Ok(_) => {
                tracing::info!(database, table = %table.name, "created Glue table");
                Ok(())
            }
            Err(e) if e.code() == Some("AlreadyExistsException") => {
                self.glue
                    .update_table()
                    .database_name(database)
                    .table_input(input)
                    .send()
                    .await
                    .map_err(|e| AwsError::sdk("glue", "UpdateTable", e))?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Adds partitions to `database.table` in batches of 100, retrying throttled
    /// batches and entries; partitions that exist already are counted, not failed.
    pub async fn add_partitions(
        &self,
        database: &str,
        table: &str,
        parts: &[PartitionSpec],
    ) -> Result<PartitionReport, AwsError> {
        batched("BatchCreatePartition", parts, PARTITION_CHUNK, &self.backoff, |chunk| async move {
            let inputs = chunk
                .iter()
                .map(|p| {
                    PartitionInput::builder()
                        .set_values(Some(p.values.clone()))
                        .storage_descriptor(StorageDescriptor::builder().location(&p.location).build())
                        .build()
                })
                .collect();
            let out = self
                .glue
                .batch_create_partition()
                .database_name(database)
                .table_name(table)
                .set_partition_input_list(Some(inputs))
                .send()
                .await
                .map_err(|e| AwsError::sdk("glue", "BatchCreatePartition", e))?;
            let mut errors = Vec::new();
            for err in out.errors() {
                let values = err.partition_values();
                let index = chunk.iter().position(|p| p.values == values).ok_or_else(|| {
                    AwsError::Invalid(format!("BatchCreatePartition reported an error for unknown values {values:?}"))
                })?;
                let detail = err.error_detail();
                errors.push(EntryError {
                    index,
                    code: detail.and_then(|d| d.error_code()).unwrap_or("Unknown").to_owned(),
                    message: detail.and_then(|d| d.error_message()).unwrap_or_default().to_owned(),
                });
            }
            Ok(errors)
        })
        .await
    }

    /// Registers `s3_uri` (`s3://bucket/prefix`) with Lake Formation, using its
    /// service-linked role. A location that is already registered is fine.
    pub async fn register_location(&self, s3_uri: &str) -> Result<(), AwsError> {
        let arn = s3_arn(s3_uri)?;
        let out = self.lakeformation.register_resource().resource_arn(&arn).use_service_linked_role(true).send().await;
        match out.map_err(|e| AwsError::sdk("lakeformation", "RegisterResource", e)) {
            Ok(_) => {
                tracing::info!(%arn, "registered location with Lake Formation");
                Ok(())
            }
            Err(e) if e.code() == Some("AlreadyExistsException") => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// `s3://bucket/prefix/` as `arn:aws:s3:::bucket/prefix` (no trailing slash).
pub(crate) fn s3_arn(s3_uri: &str) -> Result<String, AwsError> {
    let rest = s3_uri
        .strip_prefix("s3://")
        .or_else(|| s3_uri.strip_prefix("s3a://"))
        .ok_or_else(|| AwsError::Invalid(format!("not an s3:// URI: {s3_uri:?}")))?;
    let rest = rest.trim_end_matches('/');
    let bucket = rest.split('/').next().unwrap_or_default();
    if bucket.is_empty() || rest.contains("//") {
        return Err(AwsError::Invalid(format!("bad S3 location {s3_uri:?}")));
    }
    Ok(format!("arn:aws:s3:::{rest}"))
}

fn to_hash(m: &BTreeMap<String, String>) -> std::collections::HashMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn column(c: &ColumnSpec) -> Result<Column, AwsError> {
    Column::builder().name(&c.name).r#type(&c.data_type).set_comment(c.comment.clone()).build().map_err(invalid)
}

/// Input/output formats and SerDe for the `classification` table parameter.
fn formats(classification: Option<&str>) -> Option<(&'static str, &'static str, &'static str)> {
    const TEXT_IN: &str = "org.apache.hadoop.mapred.TextInputFormat";
    const TEXT_OUT: &str = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat";
    match classification? {
        "parquet" => Some((
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        )),
        "json" => Some((TEXT_IN, TEXT_OUT, "org.openx.data.jsonserde.JsonSerDe")),
        "csv" => Some((TEXT_IN, TEXT_OUT, "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe")),
        _ => None,
    }
}

pub(crate) fn table_input(t: &TableSpec) -> Result<TableInput, AwsError> {
    let columns = t.columns.iter().map(column).collect::<Result<Vec<_>, _>>()?;
    let keys = t.partition_keys.iter().map(column).collect::<Result<Vec<_>, _>>()?;
    let mut sd = StorageDescriptor::builder().set_columns(Some(columns)).location(&t.location);
    if let Some((input, output, serde)) = formats(t.parameters.get("classification").map(String::as_str)) {
        sd = sd
            .input_format(input)
            .output_format(output)
            .serde_info(SerDeInfo::builder().serialization_library(serde).build());
    }
    TableInput::builder()
        .name(&t.name)
        .set_description(t.description.clone())
        .table_type("EXTERNAL_TABLE")
        .storage_descriptor(sd.build())
        .set_partition_keys(Some(keys))
        .set_parameters(Some(to_hash(&t.parameters)))
        .build()
        .map_err(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_become_arns() {
        assert_eq!(s3_arn("s3://bucket/sales/orders/").unwrap(), "arn:aws:s3:::bucket/sales/orders");
        assert_eq!(s3_arn("s3://bucket").unwrap(), "arn:aws:s3:::bucket");
        assert!(s3_arn("https://bucket/x").is_err());
        assert!(s3_arn("s3:///x").is_err());
    }

    #[test]
    fn table_input_carries_columns_keys_and_formats() {
        let t = TableSpec {
            name: "orders".into(),
            description: Some("Orders".into()),
            columns: vec![ColumnSpec { name: "id".into(), data_type: "bigint".into(), comment: Some("key".into()) }],
            partition_keys: vec![ColumnSpec { name: "dt".into(), data_type: "string".into(), comment: None }],
            location: "s3://b/orders/".into(),
            parameters: [("classification".to_owned(), "parquet".to_owned())].into(),
        };
        let input = table_input(&t).unwrap();
        let sd = input.storage_descriptor().unwrap();
        assert_eq!(sd.columns()[0].r#type(), Some("bigint"));
        assert_eq!(sd.columns()[0].comment(), Some("key"));
        assert_eq!(input.partition_keys()[0].name(), "dt");
        assert!(sd.serde_info().unwrap().serialization_library().unwrap().contains("Parquet"));
        assert_eq!(input.table_type(), Some("EXTERNAL_TABLE"));
    }
}
