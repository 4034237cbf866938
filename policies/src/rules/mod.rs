//! The governance rules. Each has a stable id; ids are never reused, so CI
//! configurations and `severity` overrides keep their meaning.

mod classification;
mod content;
pub(crate) mod control;
mod location;
mod naming;
mod slo;
mod types;

use steward_schemas::model::Contract;
use steward_schemas::{Document, FieldPath};

use crate::config::Policy;
use crate::finding::{Finding, Severity, Source};

/// A rule's entry in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: &'static str,
    pub name: &'static str,
    pub default_severity: Severity,
    pub summary: &'static str,
}

const fn rule(id: &'static str, name: &'static str, default_severity: Severity, summary: &'static str) -> RuleInfo {
    RuleInfo { id, name, default_severity, summary }
}

use Severity::{Error as E, Warning as W};

/// Every rule Steward knows, in id order.
pub const RULES: &[RuleInfo] = &[
    rule("STW000", "yaml", E, "the document is readable YAML of at most 1 MiB"),
    rule("STW001", "owner-team", E, "`team.name` names the owning team"),
    rule("STW002", "contact-channel", E, "`support` has an e-mail or Slack channel"),
    rule("STW003", "product-description", E, "`description.purpose` describes the product"),
    rule("STW004", "table-description", E, "every table has a `description`"),
    rule("STW005", "column-description", W, "every column has a `description`"),
    rule(
        "STW006",
        "identifier",
        E,
        "domain, product, table and column names are lower snake case within Glue's limits",
    ),
    rule("STW007", "logical-type", E, "every column has a known `logicalType`"),
    rule("STW008", "partition-keys", E, "partition keys are scalar-typed and numbered 1..n"),
    rule(
        "STW009",
        "slo-schedule",
        E,
        "an SLO entry with `scheduler: cron` and a valid `schedule`, time zone and grace period; sunset dates that are dates",
    ),
    rule("STW010", "slo-frequency", E, "the SLO schedule fires no more often than the policy allows (5 minutes)"),
    rule("STW011", "column-classification", E, "every column has a `classification` the policy knows"),
    rule(
        "STW012",
        "classification-ceiling",
        E,
        "no column is more sensitive than its product allows (restricted/PII data)",
    ),
    rule("STW013", "location-ownership", E, "every data location is under a prefix the domain owns"),
    rule("STW014", "server-type", E, "every server is of a type Steward supports"),
    rule("STW015", "duplicate-name", E, "table names and column names within a table are unique"),
    rule("STW016", "status", W, "`status` is one of proposed, draft, active, deprecated, retired"),
    rule(
        "STW017",
        "control-character",
        E,
        "no key or string value holds a control character (NUL and other Unicode Cc, except tab and line breaks)",
    ),
    rule("STW020", "odcs-schema", E, "the document conforms to the ODCS v3.1 JSON Schema"),
    rule(
        "STW021",
        "steward-profile",
        E,
        "the document has what Steward requires (schemas/steward-profile.schema.json)",
    ),
    rule("STW022", "field-type", E, "fields Steward reads have the right type"),
    rule("STW101", "removed-column", E, "a column of the previous version is gone"),
    rule("STW102", "changed-type", E, "a column's type changed or narrowed"),
    rule("STW103", "changed-partition-keys", E, "a table's partition keys changed"),
    rule("STW104", "required-added", E, "a column became required, or a new column is required"),
    rule("STW105", "removed-table", E, "a table of the previous version is gone"),
    rule("STW106", "version-not-increased", E, "the new version is not greater than the previous one"),
    rule("STW107", "different-product", E, "the previous contract is of another product"),
    rule("STW108", "changed-location", W, "the product's data location changed"),
];

/// Rules whose severity no policy may change, and why: letting these through
/// breaks Steward itself, not just a convention.
pub const FIXED_SEVERITY: &[(&str, &str)] = &[
    ("STW000", "a document that cannot be read cannot be checked or stored"),
    (
        "STW015",
        "two tables of one name break the catalog write at publication (one catalog table per product and name)",
    ),
    (
        "STW017",
        "PostgreSQL cannot store a NUL (the catalog write fails after validation passed) and terminals act on the other control characters",
    ),
    ("STW022", "a contract whose fields have the wrong type cannot be checked further or cataloged"),
];

/// Why `rule`'s severity is fixed, if it is.
pub fn fixed_severity(rule: &str) -> Option<&'static str> {
    FIXED_SEVERITY.iter().find(|(id, _)| *id == rule).map(|(_, why)| *why)
}

pub fn rule_info(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

/// What a rule sees, and where it reports.
pub struct Ctx<'a> {
    pub doc: &'a Document,
    pub contract: &'a Contract,
    pub policy: &'a Policy,
    pub findings: Vec<Finding>,
}

impl<'a> Ctx<'a> {
    pub fn new(doc: &'a Document, contract: &'a Contract, policy: &'a Policy) -> Self {
        Self { doc, contract, policy, findings: Vec::new() }
    }

    /// Reports a finding at `path` unless the policy turns the rule off.
    pub fn report(&mut self, rule: &'static str, path: FieldPath, message: impl Into<String>) {
        let Some(severity) = self.policy.severity_of(rule) else {
            return;
        };
        self.findings.push(new_finding(self.doc, rule, severity, path, message.into()));
    }

    /// Like [`Self::report`], pointing `offset` characters into the scalar at `path`.
    pub fn report_within(&mut self, rule: &'static str, path: FieldPath, offset: usize, message: impl Into<String>) {
        let Some(severity) = self.policy.severity_of(rule) else {
            return;
        };
        let mut f = new_finding(self.doc, rule, severity, path, message.into());
        let line = self.doc.source().lines().nth(f.line.saturating_sub(1)).unwrap_or("");
        let quoted = matches!(line.chars().nth(f.column.saturating_sub(1)), Some('"' | '\''));
        f.column += offset + usize::from(quoted);
        self.findings.push(f);
    }
}

pub(crate) fn new_finding(
    doc: &Document,
    rule: &'static str,
    severity: Severity,
    path: FieldPath,
    message: String,
) -> Finding {
    let pos = doc.locate(&path);
    Finding { rule, severity, message, path, line: pos.line, column: pos.column, source: Source::Current }
}

pub(crate) fn table_path(t: usize) -> FieldPath {
    FieldPath::root().key("schema").index(t)
}

pub(crate) fn column_path(t: usize, c: usize) -> FieldPath {
    table_path(t).key("properties").index(c)
}

/// A table's display name in messages.
pub(crate) fn table_label(contract: &Contract, t: usize) -> String {
    contract.schema[t].name.clone().unwrap_or_else(|| format!("schema[{t}]"))
}

/// A column's display name in messages: `table.column`.
pub(crate) fn column_label(contract: &Contract, t: usize, c: usize) -> String {
    let col = contract.schema[t].properties[c].name.clone().unwrap_or_else(|| format!("properties[{c}]"));
    format!("{}.{col}", table_label(contract, t))
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|v| v.trim().is_empty())
}

/// Runs every contract rule.
pub fn run_all(ctx: &mut Ctx<'_>) {
    content::check(ctx);
    naming::check(ctx);
    types::check(ctx);
    slo::check(ctx);
    classification::check(ctx);
    location::check(ctx);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_sorted() {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ids, sorted);
    }
}
