//! The catalog model of a published contract: one database per product
//! major (`<domain>_<product>`, from major 2 on `<domain>_<product>_v<N>`:
//! [`database_of`]), one table per schema object, with the Steward
//! metadata as table parameters (the same parameters the Glue backend writes).
//!
//! Table locations: the product's server location (S3 prefix or local path)
//! followed by the table name, e.g. `s3://steward-sales/orders/order_lines/`.

pub use steward_api::{CatalogTable, Column, Contact, Description, ProductDetail, Slo};
use steward_schemas::ProductKey;
use steward_schemas::model::Contract;
use steward_schemas::slo::slo_specs;

/// Builds the catalog model of a contract that passed validation.
pub fn build(key: &ProductKey, contract: &Contract, default_classification: &str) -> ProductDetail {
    let desc = contract.description.clone().unwrap_or_default();
    let owner = contract.team.as_ref().and_then(|t| t.name.clone()).unwrap_or_default();
    let classification =
        contract.classification().map(|(_, c)| c.to_owned()).unwrap_or_else(|| default_classification.to_owned());
    let contact = contract.support.iter().find_map(|s| s.email().or_else(|| s.slack())).unwrap_or_default().to_owned();
    let (specs, _) = slo_specs(contract);
    let slo: Vec<Slo> = specs
        .iter()
        .map(|s| Slo {
            schedule: s.schedule.to_string(),
            timezone: s.timezone.name().to_owned(),
            grace_minutes: s.grace.num_minutes(),
            table: s.table.clone(),
        })
        .collect();
    let server = contract.servers.first();
    let base = server.and_then(|s| s.data_location()).unwrap_or_default().trim_end_matches('/').to_owned();
    let format = server.and_then(|s| s.format.clone()).unwrap_or_else(|| "parquet".to_owned());
    let version = contract.version.clone().unwrap_or_default();
    let database = database_of(key, &version);

    let tables = contract
        .schema
        .iter()
        .map(|t| {
            let name = t.name.clone().unwrap_or_default();
            let mut columns: Vec<Column> = t
                .properties
                .iter()
                .map(|p| Column {
                    name: p.name.clone().unwrap_or_default(),
                    logical_type: p.logical_type.clone().unwrap_or_default(),
                    physical_type: p.physical_type.clone(),
                    description: p.description.clone(),
                    required: p.is_required(),
                    classification: p.classification.clone(),
                    partition_position: p.is_partitioned().then_some(p.partition_key_position).flatten(),
                    tags: p.tags.clone(),
                })
                .collect();
            let mut keys: Vec<&Column> = columns.iter().filter(|c| c.partition_position.is_some()).collect();
            keys.sort_by_key(|c| c.partition_position);
            let partition_keys: Vec<String> = keys.iter().map(|c| c.name.clone()).collect();
            // Glue keeps partition keys apart from the columns, in key order, after them.
            columns.sort_by_key(|c| c.partition_position.unwrap_or(0));
            let table_slo = slo
                .iter()
                .find(|s| s.table.as_deref() == Some(name.as_str()))
                .or_else(|| slo.iter().find(|s| s.table.is_none()));
            let mut parameters = std::collections::BTreeMap::new();
            parameters.insert("steward.product".to_owned(), key.to_string());
            parameters.insert("steward.owner".to_owned(), owner.clone());
            parameters.insert("steward.contact".to_owned(), contact.clone());
            parameters.insert("steward.classification".to_owned(), classification.clone());
            parameters.insert("steward.contract_version".to_owned(), version.clone());
            if let Some(s) = table_slo {
                parameters.insert("steward.slo.schedule".to_owned(), s.schedule.clone());
                parameters.insert("steward.slo.timezone".to_owned(), s.timezone.clone());
                parameters.insert("steward.slo.grace_minutes".to_owned(), s.grace_minutes.to_string());
            }
            let datasets = explicit_datasets(contract, &name, contract.schema.len());
            if !datasets.is_empty() {
                parameters.insert(
                    crate::store::lineage::DATASETS_PARAMETER.to_owned(),
                    serde_json::Value::Array(datasets).to_string(),
                );
            }
            CatalogTable {
                database: database.clone(),
                description: t.description.clone().unwrap_or_default(),
                location: format!("{base}/{name}/"),
                format: format.clone(),
                columns,
                partition_keys,
                parameters,
                name,
            }
        })
        .collect();

    ProductDetail {
        key: key.to_string(),
        domain: key.domain.to_string(),
        product: key.product.to_string(),
        version,
        status: contract.status.as_deref().map(steward_api::ProductStatus::parse).unwrap_or_default(),
        name: contract.name.clone().unwrap_or_else(|| key.to_string()),
        description: Description {
            purpose: desc.purpose.unwrap_or_default(),
            usage: desc.usage,
            limitations: desc.limitations,
        },
        owner_team: owner,
        contacts: contract
            .support
            .iter()
            .map(|s| Contact { channel: s.channel.clone(), tool: s.tool.clone(), url: s.url.clone() })
            .collect(),
        classification,
        tags: contract.tags.clone(),
        slo,
        database,
        tables,
    }
}

/// The catalog database a version is published as: `<domain>_<product>` for
/// major 0 and 1, `<domain>_<product>_v<N>` for major N ≥ 2, so that each
/// major's tables live side by side (in Glue too) until the older one's end
/// of life (docs/breaking-changes.md).
pub fn database_of(key: &ProductKey, version: &str) -> String {
    match crate::store::products::major_of(version) {
        Some(major) if major >= 2 => format!("{}_v{major}", key.database_name()),
        _ => key.database_name(),
    }
}

/// The OpenLineage datasets a contract maps to `table` explicitly: the
/// top-level custom property `openlineage.datasets`, a list of
/// `{table, namespace, name}` (`table` may be left out when the contract
/// has one table). Entries that are not of that shape are skipped.
fn explicit_datasets(contract: &Contract, table: &str, tables: usize) -> Vec<serde_json::Value> {
    let Some(list) = contract
        .custom_properties
        .iter()
        .find(|p| p.property.as_deref() == Some("openlineage.datasets"))
        .and_then(|p| p.value.as_ref())
        .and_then(serde_json::Value::as_array)
    else {
        return Vec::new();
    };
    list.iter()
        .filter(|d| match d.get("table").and_then(serde_json::Value::as_str) {
            Some(t) => t == table,
            None => tables == 1,
        })
        .filter_map(|d| {
            let namespace = d.get("namespace")?.as_str().filter(|s| !s.is_empty())?;
            let name = d.get("name")?.as_str().filter(|s| !s.is_empty())?;
            Some(serde_json::json!({"namespace": namespace, "name": name}))
        })
        .collect()
}

/// The text search indexes, in three weighted parts: names, descriptions, columns.
/// Identifiers are split at `_` so `customer` finds `customer_email` (and a
/// search for `customer_email` looks for both words).
pub fn search_parts(p: &ProductDetail) -> [String; 3] {
    let split = |s: &str| s.replace('_', " ");
    let mut names = vec![split(&p.key.replace('.', " ")), p.name.clone(), p.owner_team.clone()];
    names.extend(p.tags.iter().cloned());
    let mut descriptions = vec![p.description.purpose.clone()];
    descriptions.extend(p.description.usage.clone());
    let mut columns = Vec::new();
    for t in &p.tables {
        names.push(split(&t.name));
        descriptions.push(t.description.clone());
        for c in &t.columns {
            columns.push(split(&c.name));
            descriptions.extend(c.description.clone());
            columns.extend(c.tags.iter().cloned());
        }
    }
    [names.join(" "), descriptions.join(" "), columns.join(" ")]
}

/// Search words from a user query: alphanumeric runs, lower-cased.
pub fn query_terms(q: &str) -> Vec<String> {
    q.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(str::to_lowercase).take(16).collect()
}
