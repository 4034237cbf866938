//! Helpers shared by the policy tests: a passing base contract and ways to break it.

#![allow(dead_code)]

use steward_policies::{Finding, Policy, Severity, validate};

pub const BASE: &str = include_str!("../../../examples/sales-orders.odcs.yaml");

/// The base contract with `from` replaced by `to` (which must occur).
pub fn edit(from: &str, to: &str) -> String {
    edit_in(BASE, from, to)
}

pub fn edit_in(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the base contract has no `{from}`");
    text.replacen(from, to, 1)
}

pub fn findings_with(policy: &Policy, yaml: &str) -> Vec<Finding> {
    validate(yaml.as_bytes(), policy, None).findings
}

pub fn findings(yaml: &str) -> Vec<Finding> {
    findings_with(&Policy::default(), yaml)
}

/// Asserts that `rule` fires at `path` with `severity`, and returns its message.
pub fn expect(found: &[Finding], rule: &str, path: &str, severity: Severity) -> String {
    let hit = found.iter().find(|f| f.rule == rule && f.path.to_string() == path);
    let Some(f) = hit else {
        panic!("expected {rule} at {path}, got:\n{}", render(found));
    };
    assert_eq!(f.severity, severity, "{rule} at {path}");
    assert!(f.line >= 1 && f.column >= 1);
    f.message.clone()
}

pub fn expect_error(found: &[Finding], rule: &str, path: &str) -> String {
    expect(found, rule, path, Severity::Error)
}

pub fn render(found: &[Finding]) -> String {
    found
        .iter()
        .map(|f| format!("  {}:{} {}[{}] {} ({})", f.line, f.column, f.severity.as_str(), f.rule, f.message, f.path))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The 1-based number of the first line of `text` starting with `prefix`.
pub fn line_of(text: &str, prefix: &str) -> usize {
    text.lines().position(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no line starts with `{prefix}`")) + 1
}
