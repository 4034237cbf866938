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
    partition: &'static str,
    registration_role: Option<String>,
    hybrid: bool,
    tag_resources: bool,
    coalescer: std::sync::Arc<crate::partitions::Coalescer>,
    partition_window: std::time::Duration,
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
            partition: crate::arn_partition(&crate::region_of(cfg)),
            registration_role: None,
            hybrid: false,
            tag_resources: false,
            coalescer: Default::default(),
            partition_window: crate::partitions::DEFAULT_WINDOW,
        }
    }

    /// The same catalog, waiting `window` for other partitions of a table
    /// before registering one ([`GlueCatalog::add_partition`]).
    pub fn with_partition_window(self, window: std::time::Duration) -> Self {
        GlueCatalog { partition_window: window, ..self }
    }

    /// The same catalog, with another backoff for throttled calls.
    pub fn with_backoff(self, backoff: Backoff) -> Self {
        GlueCatalog { backoff, ..self }
    }

    pub(crate) fn coalescer(&self) -> &crate::partitions::Coalescer {
        &self.coalescer
    }

    pub(crate) fn partition_window(&self) -> std::time::Duration {
        self.partition_window
    }

    /// A catalog as [`GlueCatalog::new`] that registers locations with
    /// `settings.registration_role_arn` (when set) instead of the
    /// service-linked role, in hybrid access mode when `settings.hybrid_access`,
    /// and tags what it publishes with LF-Tags when `settings.sharing` is `tags`.
    pub fn with_settings(cfg: &aws_config::SdkConfig, settings: &crate::AwsSettings) -> Self {
        GlueCatalog {
            registration_role: settings.registration_role_arn.clone(),
            hybrid: settings.hybrid_access,
            tag_resources: settings.sharing == crate::SharingMode::Tags,
            ..Self::new(cfg)
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
            // An empty list: no `IAMAllowedPrincipals` ALL default on the
            // database's new tables, which would block Lake Formation
            // cross-account grants (LF guide, "Cross-account data sharing
            // prerequisites"; Glue model `DatabaseInput.CreateTableDefaultPermissions`).
            .set_create_table_default_permissions(Some(Vec::new()))
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
        if self.tag_resources {
            self.tag(db).await?;
        }
        Ok(())
    }

    /// Tags the database with `db.lf_tags` (its tables inherit them) and the
    /// classified columns of each table with their level, creating the tag
    /// values first ([`crate::tags::ensure_lf_tag`]). A repeat assigns the
    /// same values again, which changes nothing.
    async fn tag(&self, db: &DatabaseSpec) -> Result<(), AwsError> {
        use aws_sdk_lakeformation::types::{LfTagPair, Resource, TableWithColumnsResource};
        let catalog = self.catalog_id(db).await?;
        let mut values: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (k, v) in &db.lf_tags {
            values.entry(k.as_str()).or_default().push(v.clone());
        }
        for t in &db.tables {
            for level in t.column_classifications.values() {
                values.entry(crate::tags::CLASSIFICATION).or_default().push(level.clone());
            }
        }
        for (key, vals) in &values {
            crate::tags::ensure_lf_tag(&self.lakeformation, &catalog, key, vals).await?;
        }
        let pair = |k: &str, v: &str| {
            LfTagPair::builder().catalog_id(&catalog).tag_key(k).tag_values(v.to_lowercase()).build().map_err(invalid)
        };
        if !db.lf_tags.is_empty() {
            let tags = db.lf_tags.iter().map(|(k, v)| pair(k, v)).collect::<Result<Vec<_>, _>>()?;
            let database = aws_sdk_lakeformation::types::DatabaseResource::builder()
                .catalog_id(&catalog)
                .name(&db.name)
                .build()
                .map_err(invalid)?;
            self.add_lf_tags(Resource::builder().database(database).build(), tags).await?;
        }
        for t in &db.tables {
            let mut by_level: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for (column, level) in &t.column_classifications {
                by_level.entry(level.as_str()).or_default().push(column.clone());
            }
            for (level, columns) in by_level {
                let resource = TableWithColumnsResource::builder()
                    .catalog_id(&catalog)
                    .database_name(&db.name)
                    .name(&t.name)
                    .set_column_names(Some(columns))
                    .build()
                    .map_err(invalid)?;
                let tags = vec![pair(crate::tags::CLASSIFICATION, level)?];
                self.add_lf_tags(Resource::builder().table_with_columns(resource).build(), tags).await?;
            }
        }
        Ok(())
    }

    async fn add_lf_tags(
        &self,
        resource: aws_sdk_lakeformation::types::Resource,
        tags: Vec<aws_sdk_lakeformation::types::LfTagPair>,
    ) -> Result<(), AwsError> {
        let out = self
            .backoff
            .retry("AddLFTagsToResource", || async {
                self.lakeformation
                    .add_lf_tags_to_resource()
                    .resource(resource.clone())
                    .set_lf_tags(Some(tags.clone()))
                    .send()
                    .await
                    .map_err(|e| AwsError::sdk("lakeformation", "AddLFTagsToResource", e))
            })
            .await?;
        if let Some(f) = out.failures().first() {
            let e = f.error();
            return Err(AwsError::Batch {
                operation: "AddLFTagsToResource",
                failed: out.failures().len(),
                code: e.and_then(|e| e.error_code()).unwrap_or("Unknown").to_owned(),
                message: e.and_then(|e| e.error_message()).unwrap_or_default().to_owned(),
                attempts: 1,
            });
        }
        Ok(())
    }

    /// The catalog (account) the database lives in, from Glue.
    async fn catalog_id(&self, db: &DatabaseSpec) -> Result<String, AwsError> {
        let out = self
            .glue
            .get_database()
            .name(&db.name)
            .send()
            .await
            .map_err(|e| AwsError::sdk("glue", "GetDatabase", e))?;
        out.database()
            .and_then(|d| d.catalog_id())
            .map(str::to_owned)
            .ok_or_else(|| AwsError::Invalid(format!("Glue reported no catalog id for database {}", db.name)))
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
        if parts.is_empty() {
            return Ok(PartitionReport::default());
        }
        // Partitions carry the table's storage descriptor (columns, formats,
        // SerDe) with their own location: Athena reads each partition with
        // the partition's own SerDe (Athena guide, "Updates in tables with partitions").
        let got = self.glue.get_table().database_name(database).name(table).send().await;
        let table_sd = got
            .map_err(|e| AwsError::sdk("glue", "GetTable", e))?
            .table()
            .and_then(|t| t.storage_descriptor())
            .cloned()
            .unwrap_or_else(|| StorageDescriptor::builder().build());
        let table_sd = &table_sd;
        batched("BatchCreatePartition", parts, PARTITION_CHUNK, &self.backoff, |chunk| async move {
            let inputs = chunk
                .iter()
                .map(|p| {
                    let mut sd = table_sd.clone();
                    sd.location = Some(p.location.clone());
                    PartitionInput::builder().set_values(Some(p.values.clone())).storage_descriptor(sd).build()
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

    /// Deletes a database and its tables from the catalog (a retired major).
    /// The tables are metadata: their data stays where it is. A database
    /// that is already gone is fine (Glue model `DeleteDatabase`:
    /// `EntityNotFoundException`).
    pub async fn drop_database(&self, name: &str) -> Result<(), AwsError> {
        let out = self.glue.delete_database().name(name).send().await;
        match out.map_err(|e| AwsError::sdk("glue", "DeleteDatabase", e)) {
            Ok(_) => {
                tracing::info!(database = %name, "deleted Glue database");
                Ok(())
            }
            Err(e) if e.code() == Some("EntityNotFoundException") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Registers the common prefix of `s3_uris` (per bucket) once: one
    /// registration per product prefix rather than one per table keeps the
    /// service-linked role's inline policy small (LF guide, "Service-linked
    /// role limitations").
    pub async fn register_locations(&self, s3_uris: &[&str]) -> Result<(), AwsError> {
        for prefix in common_prefixes(s3_uris)? {
            self.register_location(&prefix).await?;
        }
        Ok(())
    }

    /// Registers `s3_uri` (`s3://bucket/prefix`) with Lake Formation, with the
    /// configured registration role or else the service-linked role. A
    /// location inside an already registered one is not registered again; a
    /// location that is already registered is fine.
    pub async fn register_location(&self, s3_uri: &str) -> Result<(), AwsError> {
        let arn = s3_arn_in(self.partition, s3_uri)?;
        if let Some(covering) = self.registered_covering(&arn).await? {
            tracing::debug!(%arn, %covering, "location already registered");
            return Ok(());
        }
        let req = self.lakeformation.register_resource().resource_arn(&arn);
        let req = match &self.registration_role {
            Some(role) => req.role_arn(role),
            None => req.use_service_linked_role(true),
        };
        // Hybrid: Lake Formation permissions apply to opted-in principals
        // only; IAM-only users keep their access (LF guide, "Hybrid access mode").
        let req = if self.hybrid { req.hybrid_access_enabled(true) } else { req };
        let out = req.send().await;
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

impl GlueCatalog {
    /// A registered location that is `arn` or a prefix of it (at a `/`).
    async fn registered_covering(&self, arn: &str) -> Result<Option<String>, AwsError> {
        let mut token = None;
        loop {
            let out = self
                .lakeformation
                .list_resources()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::sdk("lakeformation", "ListResources", e))?;
            for r in out.resource_info_list() {
                if let Some(have) = r.resource_arn()
                    && (arn == have || arn.strip_prefix(have).is_some_and(|rest| rest.starts_with('/')))
                {
                    return Ok(Some(have.to_owned()));
                }
            }
            token = out.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
            if token.is_none() {
                return Ok(None);
            }
        }
    }
}

/// Per bucket, the longest common `/`-bounded prefix of `s3_uris`, as `s3://bucket/prefix`.
pub(crate) fn common_prefixes(s3_uris: &[&str]) -> Result<Vec<String>, AwsError> {
    let mut by_bucket: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for uri in s3_uris {
        let path = s3_arn_in("aws", uri)?.trim_start_matches("arn:aws:s3:::").to_owned();
        let mut segs = path.split('/').map(str::to_owned);
        let bucket = segs.next().unwrap_or_default();
        let rest: Vec<String> = segs.collect();
        match by_bucket.get_mut(&bucket) {
            None => {
                by_bucket.insert(bucket, rest);
            }
            Some(common) => {
                let n = common.iter().zip(&rest).take_while(|(a, b)| a == b).count();
                common.truncate(n);
            }
        }
    }
    Ok(by_bucket
        .into_iter()
        .map(
            |(bucket, segs)| {
                if segs.is_empty() { format!("s3://{bucket}") } else { format!("s3://{bucket}/{}", segs.join("/")) }
            },
        )
        .collect())
}

/// `s3://bucket/prefix/` as `arn:aws:s3:::bucket/prefix` (no trailing slash).
#[cfg(test)]
pub(crate) fn s3_arn(s3_uri: &str) -> Result<String, AwsError> {
    s3_arn_in("aws", s3_uri)
}

/// `s3://bucket/prefix/` as `arn:{partition}:s3:::bucket/prefix` (no trailing slash).
pub(crate) fn s3_arn_in(partition: &str, s3_uri: &str) -> Result<String, AwsError> {
    let rest = s3_uri
        .strip_prefix("s3://")
        .or_else(|| s3_uri.strip_prefix("s3a://"))
        .ok_or_else(|| AwsError::Invalid(format!("not an s3:// URI: {s3_uri:?}")))?;
    let rest = rest.trim_end_matches('/');
    let bucket = rest.split('/').next().unwrap_or_default();
    if bucket.is_empty() || rest.contains("//") {
        return Err(AwsError::Invalid(format!("bad S3 location {s3_uri:?}")));
    }
    Ok(format!("arn:{partition}:s3:::{rest}"))
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
    let classification = t.parameters.get("classification").map(String::as_str);
    let mut parameters = t.parameters.clone();
    if let Some((input, output, serde)) = formats(classification) {
        let mut serde_info = SerDeInfo::builder().serialization_library(serde);
        if classification == Some("csv") {
            // LazySimpleSerDe's default delimiter is \001, not a comma
            // (Athena guide, "LazySimpleSerDe for CSV, TSV, and custom-delimited files").
            let delim = t.parameters.get("delimiter").cloned().unwrap_or_else(|| ",".to_owned());
            serde_info = serde_info.parameters("field.delim", &delim).parameters("serialization.format", &delim);
            // CSV files are taken to start with a header line unless the spec says otherwise.
            parameters.entry("skip.header.line.count".to_owned()).or_insert_with(|| "1".to_owned());
        }
        sd = sd.input_format(input).output_format(output).serde_info(serde_info.build());
    }
    TableInput::builder()
        .name(&t.name)
        .set_description(t.description.clone())
        .table_type("EXTERNAL_TABLE")
        .storage_descriptor(sd.build())
        .set_partition_keys(Some(keys))
        .set_parameters(Some(to_hash(&parameters)))
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
    fn prefixes_and_partitions() {
        assert_eq!(s3_arn_in("aws-cn", "s3://b/x/").unwrap(), "arn:aws-cn:s3:::b/x");
        let p = common_prefixes(&["s3://b/sales/orders/lines/", "s3://b/sales/orders/daily/", "s3://c/x"]).unwrap();
        assert_eq!(p, ["s3://b/sales/orders", "s3://c/x"]);
        assert_eq!(common_prefixes(&["s3://b/x/", "s3://b/y"]).unwrap(), ["s3://b"]);
    }

    #[test]
    fn csv_tables_get_delimiter_and_header_skip() {
        let t = TableSpec {
            name: "t".into(),
            description: None,
            columns: vec![],
            partition_keys: vec![],
            location: "s3://b/t/".into(),
            parameters: [("classification".to_owned(), "csv".to_owned())].into(),
            column_classifications: BTreeMap::new(),
        };
        let input = table_input(&t).unwrap();
        let serde = input.storage_descriptor().unwrap().serde_info().unwrap();
        assert_eq!(serde.parameters().unwrap().get("field.delim").map(String::as_str), Some(","));
        assert_eq!(input.parameters().unwrap().get("skip.header.line.count").map(String::as_str), Some("1"));
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
            column_classifications: BTreeMap::new(),
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
