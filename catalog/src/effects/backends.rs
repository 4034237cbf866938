//! The backends effects run through, built once from the configuration.
//!
//! | concern | embedded (default) | production |
//! |---|---|---|
//! | catalog | store tables, written in the operation's transaction (no effect) | + AWS Glue, Lake Formation locations |
//! | shares | grants table (no effect) | + AWS RAM share and Lake Formation grants |
//! | signals | `_SUCCESS` on the local filesystem | `_SUCCESS` in S3 |
//! | notifications | email (SMTP), signed webhooks, Slack | + SNS topics |
//!
//! The AWS SDKs live in `steward-aws`; this module only maps the catalog
//! model onto its specs.

use std::collections::BTreeMap;

use steward_aws::{ColumnSpec, DatabaseSpec, GlueCatalog, Markers, Shares, SnsPublisher, TableSpec};
use steward_notify::{Mailer, WebhookSender};

use crate::model::{CatalogTable, Column, ProductDetail};

/// Everything the outbox executor may call.
pub struct EffectBackends {
    /// `Some` when the Glue catalog backend is on.
    pub glue: Option<GlueCatalog>,
    /// `Some` when the AWS share backend is on.
    pub shares: Option<Shares>,
    pub markers: Markers,
    /// `None` when no SMTP server is configured: email effects dead-letter
    /// with a message saying so.
    pub mailer: Option<Mailer>,
    pub webhooks: WebhookSender,
    pub sns: Option<SnsPublisher>,
}

/// The RAM share name of a product for an account.
pub fn share_name(product_key: &str, account: &str) -> String {
    format!("steward-{}-{account}", product_key.replace(['.', '_'], "-"))
}

/// The Hive type Glue shows for a column: the physical type when the contract
/// gives one, else a mapping of the ODCS logical type.
pub fn hive_type(c: &Column) -> String {
    if let Some(p) = c.physical_type.as_deref().filter(|p| !p.trim().is_empty()) {
        return p.trim().to_ascii_lowercase();
    }
    match c.logical_type.to_ascii_lowercase().as_str() {
        "integer" => "bigint",
        "number" => "double",
        "boolean" => "boolean",
        "date" => "date",
        "timestamp" => "timestamp",
        "array" => "array<string>",
        _ => "string",
    }
    .to_owned()
}

/// Glue's limits on free text: a column comment is at most 255 characters,
/// a database or table description at most 2,048 (the `CommentString` and
/// `DescriptionString` shapes of the Glue API model). Longer text is cut on a
/// character boundary with `…` so the whole call is not refused; the full
/// text stays in Steward's catalog and contract.
const GLUE_COMMENT_MAX: usize = 255;
const GLUE_DESCRIPTION_MAX: usize = 2048;

/// `text` within `max` bytes (so within `max` characters too), marked `…`
/// when shortened.
fn glue_text(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn column_spec(c: &Column) -> ColumnSpec {
    ColumnSpec {
        name: c.name.clone(),
        data_type: hive_type(c),
        comment: c.description.as_deref().map(|d| glue_text(d, GLUE_COMMENT_MAX)),
    }
}

fn table_spec(t: &CatalogTable) -> TableSpec {
    // Glue keeps partition keys apart from the data columns, in key order.
    let partition_keys =
        t.partition_keys.iter().filter_map(|k| t.columns.iter().find(|c| &c.name == k)).map(column_spec).collect();
    let columns = t.columns.iter().filter(|c| !t.partition_keys.contains(&c.name)).map(column_spec).collect();
    let mut parameters = t.parameters.clone();
    parameters.entry("classification".into()).or_insert_with(|| t.format.clone());
    TableSpec {
        name: t.name.clone(),
        description: Some(glue_text(&t.description, GLUE_DESCRIPTION_MAX)).filter(|d| !d.is_empty()),
        columns,
        partition_keys,
        location: t.location.clone(),
        parameters,
        // Columns classified on their own (PII): tagged at column level in tags mode.
        column_classifications: t
            .columns
            .iter()
            .filter_map(|c| c.classification.as_ref().map(|l| (c.name.clone(), l.clone())))
            .collect(),
    }
}

/// The Glue database of a product.
pub fn database_spec(p: &ProductDetail) -> DatabaseSpec {
    let mut parameters = BTreeMap::new();
    parameters.insert("steward.product".to_owned(), p.key.clone());
    parameters.insert("steward.contract_version".to_owned(), p.version.clone());
    parameters.insert("steward.owner".to_owned(), p.owner_team.clone());
    parameters.insert("steward.classification".to_owned(), p.classification.clone());
    parameters.insert("steward.domain".to_owned(), p.domain.clone());
    DatabaseSpec {
        name: p.database.clone(),
        description: Some(glue_text(&p.description.purpose, GLUE_DESCRIPTION_MAX)).filter(|d| !d.is_empty()),
        location: None,
        parameters,
        tables: p.tables.iter().map(table_spec).collect(),
        lf_tags: [
            (steward_aws::tags::PRODUCT.to_owned(), p.key.clone()),
            (steward_aws::tags::DOMAIN.to_owned(), p.domain.clone()),
            (steward_aws::tags::CLASSIFICATION.to_owned(), p.classification.clone()),
        ]
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_over_glues_limits_is_cut_on_a_character_boundary() {
        assert_eq!(glue_text("short", 255), "short");
        let long = "é".repeat(300); // 600 bytes
        let cut = glue_text(&long, GLUE_COMMENT_MAX);
        assert!(cut.len() <= GLUE_COMMENT_MAX && cut.ends_with('…'), "{}", cut.len());
        assert!(cut.trim_end_matches('…').chars().all(|c| c == 'é'));
        let exact = "x".repeat(GLUE_DESCRIPTION_MAX);
        assert_eq!(glue_text(&exact, GLUE_DESCRIPTION_MAX), exact, "at the limit: unchanged");
        assert_eq!(glue_text(&format!("{exact}y"), GLUE_DESCRIPTION_MAX).len(), GLUE_DESCRIPTION_MAX);
    }

    #[test]
    fn share_names_are_ram_safe() {
        assert_eq!(share_name("sales.order_lines", "123456789012"), "steward-sales-order-lines-123456789012");
    }
}
