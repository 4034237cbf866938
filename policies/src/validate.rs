//! One entry point: bytes in, findings out.

use steward_schemas::model::Contract;
use steward_schemas::schema_check::{self, SchemaKind};
use steward_schemas::{Document, FieldPath, ParseError, ProductKey};

use crate::config::Policy;
use crate::evolution::check_evolution;
use crate::finding::{Finding, Severity, Source};
use crate::rules::{Ctx, control, new_finding, run_all};

/// The outcome of validating one contract.
#[derive(Debug)]
pub struct Report {
    /// Sorted by position.
    pub findings: Vec<Finding>,
    /// The typed contract, when the document could be read and typed.
    pub contract: Option<Contract>,
    /// The product key, when domain and product are valid identifiers.
    pub key: Option<ProductKey>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }

    pub fn is_ok(&self) -> bool {
        self.errors() == 0
    }
}

/// A previous version for evolution checks: the typed contract to compare
/// with, and its document, where findings about removed things point.
#[derive(Debug)]
pub struct Previous {
    pub doc: Document,
    pub contract: Contract,
}

/// Reads a previous version for evolution checks.
pub fn read_previous(bytes: &[u8]) -> Result<Previous, String> {
    let doc = Document::from_bytes(bytes).map_err(|e| {
        let p = e.pos();
        format!("{}:{}: {e}", p.line, p.column)
    })?;
    let contract = doc.contract().map_err(|e| {
        let p = doc.locate(&e.path);
        format!("{}:{}: {e}", p.line, p.column)
    })?;
    Ok(Previous { doc, contract })
}

/// Validates a contract (and, with `previous`, its evolution from that version).
pub fn validate(bytes: &[u8], policy: &Policy, previous: Option<&Previous>) -> Report {
    match Document::from_bytes(bytes) {
        Ok(doc) => validate_document(&doc, policy, previous),
        Err(e) => Report::unreadable(&e),
    }
}

impl Report {
    /// The report for a document that could not be read (always rule STW000).
    pub fn unreadable(e: &ParseError) -> Self {
        let pos = e.pos();
        Report {
            findings: vec![Finding {
                rule: "STW000",
                severity: Severity::Error,
                message: e.to_string(),
                path: FieldPath::root(),
                line: pos.line,
                column: pos.column,
                source: Source::Current,
            }],
            contract: None,
            key: None,
        }
    }
}

/// Validates an already-read document.
pub fn validate_document(doc: &Document, policy: &Policy, previous: Option<&Previous>) -> Report {
    // On the whole document, typed or not: these values must never reach the catalog.
    let control_findings = control::check(doc, policy);
    let mut schema_findings = Vec::new();
    for v in schema_check::check_odcs(doc.value()).into_iter().chain(schema_check::check_profile(doc.value())) {
        let rule = match v.schema {
            SchemaKind::Odcs => "STW020",
            SchemaKind::Profile => "STW021",
        };
        if let Some(severity) = policy.severity_of(rule) {
            let prefix = match v.schema {
                SchemaKind::Odcs => "not valid ODCS v3.1",
                SchemaKind::Profile => "Steward requires it",
            };
            schema_findings.push(new_finding(doc, rule, severity, v.path, format!("{}: {prefix}", v.message)));
        }
    }

    let contract = match doc.contract() {
        Ok(c) => c,
        Err(e) => {
            if !schema_findings.iter().any(|f| f.path == e.path) {
                let severity = policy.severity_of("STW022").unwrap_or(Severity::Error);
                let msg = format!("{} (further checks skipped until this is fixed)", e.message);
                schema_findings.push(new_finding(doc, "STW022", severity, e.path, msg));
            }
            schema_findings.extend(control_findings);
            return finish(schema_findings, None);
        }
    };

    let mut ctx = Ctx::new(doc, &contract, policy);
    run_all(&mut ctx);
    let mut findings = ctx.findings;
    if let Some(prev) = previous {
        findings.extend(check_evolution(policy, prev, doc, &contract));
    }
    // A rule's message says more than the schema's about the same node (of
    // this document: a previous-version path names another node).
    schema_findings.retain(|s| !findings.iter().any(|f| f.source == Source::Current && f.path == s.path));
    // ODCS and the profile often agree (e.g. a missing `version`): say it once.
    let mut seen = std::collections::HashSet::new();
    schema_findings.retain(|s| seen.insert(s.path.clone()));
    findings.extend(schema_findings);
    findings.extend(control_findings);
    finish(findings, Some(contract))
}

fn finish(mut findings: Vec<Finding>, contract: Option<Contract>) -> Report {
    // This document's findings first, then those in the previous version.
    findings.sort_by(|a, b| (a.source, a.line, a.column, a.rule).cmp(&(b.source, b.line, b.column, b.rule)));
    let key = contract.as_ref().and_then(|c| {
        let key = format!("{}.{}", c.domain.as_deref()?, c.data_product.as_deref()?);
        ProductKey::parse(&key).ok()
    });
    Report { findings, contract, key }
}
