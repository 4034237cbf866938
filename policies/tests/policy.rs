//! The policy file: merged over the defaults, and severities that are fixed.

mod common;

use common::*;
use steward_policies::config::SeverityOverride;
use steward_policies::{DEFAULT_POLICY_YAML, Policy, Severity};

/// A policy file, and what it changes in the default policy.
type Case = (&'static str, fn(&mut Policy));

/// A policy file that names one setting changes exactly that setting.
#[test]
fn a_one_line_policy_file_changes_only_what_it_names() {
    let default = Policy::default();
    let cases: [Case; 8] = [
        ("severity: {STW004: warning}\n", |p| {
            p.severity.insert("STW004".into(), SeverityOverride::Warning);
        }),
        ("server_types: [s3]\n", |p| p.server_types = vec!["s3".into()]),
        ("default_product_classification: confidential\n", |p| {
            p.default_product_classification = "confidential".into();
        }),
        ("pii: {tags: [pii, personal]}\n", |p| p.pii.tags = vec!["pii".into(), "personal".into()]),
        ("min_slo_interval_minutes: 15\n", |p| p.min_slo_interval_minutes = 15),
        ("locations: {domains: {sales: [\"s3://acme-sales/\"]}}\n", |p| {
            p.locations.domains.insert("sales".into(), vec!["s3://acme-sales/".into()]);
        }),
        ("locations: {defaults: [\"s3://lake/{domain}/\"]}\n", |p| {
            p.locations.defaults = vec!["s3://lake/{domain}/".into()];
        }),
        ("# nothing but a comment\n", |_| {}),
    ];
    for (file, change) in cases {
        let mut expected = default.clone();
        change(&mut expected);
        assert_eq!(Policy::from_yaml(file).unwrap_or_else(|e| panic!("{file}: {e}")), expected, "{file}");
    }
    // Default severity overrides survive a file that sets another rule's.
    let p = Policy::from_yaml("severity:\n  STW001: warning\n").unwrap();
    assert_eq!(p.severity_of("STW001"), Some(Severity::Warning));
    assert_eq!(p.severity_of("STW005"), Some(Severity::Warning));
    assert_eq!(p.severity_of("STW016"), Some(Severity::Warning));
    // ...and a file can still change those.
    let p = Policy::from_yaml("severity:\n  STW005: error\n").unwrap();
    assert_eq!(p.severity_of("STW005"), Some(Severity::Error));
    // The default file itself is a policy file like any other.
    assert_eq!(Policy::from_yaml(DEFAULT_POLICY_YAML).unwrap(), default);
}

#[test]
fn merged_policy_files_are_still_checked() {
    for (file, needle) in [
        ("surprise: 1\n", "surprise"),
        ("pii: {tag: [pii]}\n", "tag"),
        ("severity: {STW999: off}\n", "STW999"),
        ("classifications: [low, high]\n", "default_product_classification: internal"),
        ("min_slo_interval_minutes: often\n", "min_slo_interval_minutes"),
        ("locations: {defaults: [\"lake/../x/\"]}\n", ".."),
    ] {
        let e = Policy::from_yaml(file).expect_err(file).to_string();
        assert!(e.contains(needle), "{file}: {e}");
    }
}

/// A NUL passes YAML and JSON but not PostgreSQL: no policy may let STW017 through.
#[test]
fn stw017_cannot_be_turned_off_or_down() {
    for level in ["off", "warning"] {
        let file = DEFAULT_POLICY_YAML.replace("  STW016: warning", &format!("  STW016: warning\n  STW017: {level}"));
        let e = Policy::from_yaml(&file).expect_err(level).to_string();
        assert!(e.contains("STW017") && e.contains("always an error") && e.contains("PostgreSQL"), "{e}");
    }
    assert!(Policy::from_yaml("severity: {STW017: error}\n").is_ok());

    // A policy built in code cannot do it either.
    let mut p = Policy::default();
    p.severity.insert("STW017".into(), SeverityOverride::Off);
    assert_eq!(p.severity_of("STW017"), Some(Severity::Error));
    let found = findings_with(&p, &edit("name: Sales orders", "name: \"Sales\\0orders\""));
    expect_error(&found, "STW017", "name");
}

/// Two tables of one name break the catalog's write at publication
/// (one row per product and table name): STW015 is fixed too.
#[test]
fn stw015_cannot_be_turned_off_or_down() {
    let file = DEFAULT_POLICY_YAML.replace("  STW016: warning", "  STW016: warning\n  STW015: off");
    let e = Policy::from_yaml(&file).expect_err("off").to_string();
    assert!(e.contains("STW015") && e.contains("always an error"), "{e}");
    let mut p = Policy::default();
    p.severity.insert("STW015".into(), SeverityOverride::Warning);
    assert_eq!(p.severity_of("STW015"), Some(Severity::Error));
}
