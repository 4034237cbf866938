//! Malformed input: every case gives a clear STW000 finding with a position,
//! never a panic.

mod common;

use common::*;
use proptest::prelude::*;
use steward_policies::{Policy, validate};

fn unreadable(bytes: &[u8]) -> String {
    let found = validate(bytes, &Policy::default(), None).findings;
    assert_eq!(found.len(), 1, "{}", render(&found));
    let f = &found[0];
    assert_eq!(f.rule, "STW000");
    assert!(f.is_error());
    format!("{}:{}: {}", f.line, f.column, f.message)
}

#[test]
fn empty_file() {
    assert!(unreadable(b"").contains("document is empty"));
    assert!(unreadable(b"# only a comment\n\n---\n").contains("document is empty"));
}

#[test]
fn truncated_yaml() {
    let cut = &BASE[..BASE.find("      - name: sku").unwrap() + 12];
    let cut = format!("{cut}\n    - [unclosed");
    let msg = unreadable(cut.as_bytes());
    assert!(msg.contains("YAML syntax error"), "{msg}");
    let msg = unreadable(b"domain: sales\nschema: [ {name: x\n");
    assert!(msg.starts_with("3:1:") || msg.starts_with("2:"), "{msg}");
}

#[test]
fn wrong_top_level_types() {
    assert!(unreadable(b"- a\n- b\n").contains("found a list"));
    assert!(unreadable(b"\n\njust a string\n").starts_with("3:1:"));
}

#[test]
fn oversized_document() {
    let big = format!("{BASE}\n# {}\n", "x".repeat(2 * 1024 * 1024));
    let msg = unreadable(big.as_bytes());
    assert!(msg.contains("limit is 1048576 bytes"), "{msg}");
}

#[test]
fn billion_laughs() {
    let mut doc = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        doc.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let msg = unreadable(doc.as_bytes());
    assert!(msg.contains("alias expansion bomb"), "{msg}");
}

#[test]
fn non_utf8_bytes() {
    let mut bytes = b"domain: sales\ndataProduct: ord".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"ers\n");
    let msg = unreadable(&bytes);
    assert!(msg.starts_with("2:17:") && msg.contains("UTF-8"), "{msg}");
}

#[test]
fn wrong_field_types_are_findings_not_panics() {
    for (from, to) in [
        ("schema:\n", "schema: 42\nx:\n"),
        ("slaProperties:\n", "slaProperties: {a: 1}\nx:\n"),
        ("team:\n  name: sales-data", "team:\n  name: [1, 2]"),
        ("        partitionKeyPosition: 1\n", "        partitionKeyPosition: first\n"),
    ] {
        let yaml = edit(from, to);
        let found = findings(&yaml);
        assert!(found.iter().any(|f| f.is_error()), "{to}: {}", render(&found));
    }
}

#[test]
fn deep_nesting() {
    let deep = format!("domain: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let found = validate(deep.as_bytes(), &Policy::default(), None).findings;
    assert!(found.iter().any(|f| f.is_error()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Any bytes at all: a report, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = validate(&bytes, &Policy::default(), None);
    }

    /// The base contract cut or corrupted anywhere: a report with positions, never a panic.
    #[test]
    fn corrupted_contracts_never_panic(cut in 0usize..4000, insert in "[\\[\\]{}:&*!|>'\"#-]{1,3}") {
        let at = cut.min(BASE.len());
        let at = (0..=at).rev().find(|i| BASE.is_char_boundary(*i)).unwrap_or(0);
        let text = format!("{}{}{}", &BASE[..at], insert, &BASE[at..]);
        let report = validate(text.as_bytes(), &Policy::default(), None);
        for f in &report.findings {
            prop_assert!(f.line >= 1 && f.column >= 1);
        }
        let truncated = validate(&BASE.as_bytes()[..at], &Policy::default(), None);
        prop_assert!(truncated.findings.iter().all(|f| f.line >= 1));
    }
}
