//! `GET /api/v1/products/{key}`: the catalog model of a published contract
//! (a database per product, a table per schema object).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A contact of the owning team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    /// The channel's name (e.g. a Slack channel).
    pub channel: Option<String>,
    /// The tool (e.g. `slack`, `email`).
    pub tool: Option<String>,
    pub url: Option<String>,
}

/// A refresh schedule the producer commits to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Slo {
    /// Cron expression of the due times.
    pub schedule: String,
    /// IANA time zone of the schedule.
    pub timezone: String,
    /// Minutes after a due time a refresh still meets it.
    pub grace_minutes: i64,
    /// The table it covers; `None` for the whole product.
    pub table: Option<String>,
}

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Column {
    pub name: String,
    /// The contract's logical type (e.g. `string`, `date`).
    pub logical_type: String,
    /// The physical type, when the contract gives one.
    pub physical_type: Option<String>,
    pub description: Option<String>,
    /// Whether a value is required (not null).
    pub required: bool,
    /// The column's classification, when it has its own.
    pub classification: Option<String>,
    /// 1-based position among the partition keys.
    pub partition_position: Option<i64>,
    pub tags: Vec<String>,
}

/// A table of a product: one schema object of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CatalogTable {
    /// The product's database.
    pub database: String,
    pub name: String,
    pub description: String,
    /// Where the data is (`s3://...`, or a lake path).
    pub location: String,
    /// The storage format (e.g. `parquet`).
    pub format: String,
    pub columns: Vec<Column>,
    /// The partition keys, in order.
    pub partition_keys: Vec<String>,
    /// Steward parameters of the table (as the external catalog gets them).
    pub parameters: BTreeMap<String, String>,
}

/// What a product is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Description {
    pub purpose: String,
    pub usage: Option<String>,
    pub limitations: Option<String>,
}

/// Everything the catalog shows about a published product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductDetail {
    /// `domain.product`.
    pub key: String,
    pub domain: String,
    pub product: String,
    /// The published version.
    pub version: String,
    /// The contract's status (e.g. `active`).
    pub status: super::ProductStatus,
    /// The product's display name.
    pub name: String,
    pub description: Description,
    pub owner_team: String,
    pub contacts: Vec<Contact>,
    /// The product's classification (the policy's levels, e.g. `internal`).
    pub classification: String,
    pub tags: Vec<String>,
    pub slo: Vec<Slo>,
    /// The product's database in the catalog.
    pub database: String,
    pub tables: Vec<CatalogTable>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::round_trip;

    #[test]
    fn product_details_round_trip() {
        let p: ProductDetail = round_trip(
            r##"{"key":"sales.orders","domain":"sales","product":"orders","version":"0.1.0","status":"active",
            "name":"Orders","description":{"purpose":"Orders, one row per order line","usage":null,"limitations":"EU only"},
            "owner_team":"sales-data","contacts":[{"channel":"#sales-data","tool":"slack","url":null}],
            "classification":"internal","tags":["sales"],
            "slo":[{"schedule":"0 6 * * *","timezone":"Europe/Paris","grace_minutes":60,"table":null}],
            "database":"sales_orders",
            "tables":[{"database":"sales_orders","name":"orders","description":"One row per order line",
                "location":"s3://lake/sales/orders/","format":"parquet",
                "columns":[
                    {"name":"id","logical_type":"string","physical_type":"varchar(36)","description":"Order id",
                     "required":true,"classification":null,"partition_position":null,"tags":[]},
                    {"name":"dt","logical_type":"date","physical_type":null,"description":null,
                     "required":true,"classification":"internal","partition_position":1,"tags":["partition"]}],
                "partition_keys":["dt"],"parameters":{"steward.product":"sales.orders","steward.version":"0.1.0"}}]}"##,
        );
        assert_eq!(p.tables[0].columns[1].partition_position, Some(1));
    }
}
