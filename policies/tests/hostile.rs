//! Hostile contracts ([M14], [M8]): each attack is refused with a finding
//! that says where, and none can take the process down.

mod common;

use common::*;
use steward_policies::{Finding, Policy, validate};

/// Validates on a thread with a 256 KiB stack: one recursion per nesting
/// level of a 5,000-level document would overflow it.
fn validate_small_stack(bytes: Vec<u8>) -> Vec<Finding> {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || validate(&bytes, &Policy::default(), None).findings)
        .unwrap()
        .join()
        .unwrap()
}

/// The one STW000 finding, as `line:column: message`.
fn unreadable(bytes: Vec<u8>) -> String {
    let found = validate_small_stack(bytes);
    assert_eq!(found.len(), 1, "{}", render(&found));
    assert_eq!(found[0].rule, "STW000");
    assert!(found[0].is_error());
    format!("{}:{}: {}", found[0].line, found[0].column, found[0].message)
}

#[test]
fn deep_block_sequences_with_an_anchor_are_refused_without_overflow() {
    // 10 KB: 5,000 levels of `- ` and one `&`, even in a comment, reached the
    // recursive position pass before serde_yaml's depth limit.
    let doc = format!("# &\n{}x\n", "- ".repeat(5000));
    let msg = unreadable(doc.into_bytes());
    // The 129th `-` is where the limit is passed.
    assert!(msg.starts_with("2:257:") && msg.contains("deeper than 128 levels"), "{msg}");

    let doc = format!("a: &x 1\nb:\n{}x\n", "  - ".repeat(5000));
    let msg = unreadable(doc.into_bytes());
    assert!(msg.contains("deeper than 128 levels"), "{msg}");
}

#[test]
fn deep_flow_nesting_is_refused_up_front_with_a_position() {
    // 100 KB of `[` took libyaml 33 s to refuse (quadratic in the depth).
    let doc = format!("domain: {}\n", "[".repeat(100_000));
    let msg = unreadable(doc.into_bytes());
    // `domain` is level 1, a flow collection in block context counts 2 (it
    // may be a key): the 127th `[` (column 9 + 126) passes the limit.
    assert!(msg.starts_with("1:135:") && msg.contains("deeper than 128 levels"), "{msg}");
    let doc = format!("domain: {}\n", "{a: ".repeat(20_000));
    assert!(unreadable(doc.into_bytes()).contains("deeper than 128 levels"));
}

#[test]
fn control_characters_in_values_and_keys_are_errors() {
    let yaml = edit("  name: sales-data\n", "  name: \"sales\\0data\"\n");
    let found = findings(&yaml);
    let msg = expect_error(&found, "STW017", "team.name");
    assert!(msg.contains("U+0000 (NUL)") && msg.contains(r#""sales\0data""#), "{msg}");
    let f = found.iter().find(|f| f.rule == "STW017").unwrap();
    assert_eq!((f.line, f.column), (17, 9));

    let yaml =
        edit("  description: Sales data engineering\n", "  \"x\\e[2Jy\": 1\n  description: Sales data engineering\n");
    let found = findings(&yaml);
    let f = found.iter().find(|f| f.rule == "STW017").unwrap_or_else(|| panic!("{}", render(&found)));
    assert!(f.message.starts_with("key") && f.message.contains("U+001B"), "{}", f.message);
    assert!(!f.message.contains('\u{1b}'));

    // C1 controls are Cc too; tab and line breaks are text.
    let found = findings(&edit("  name: sales-data\n", "  name: \"sales\\x85data\"\n"));
    expect_error(&found, "STW017", "team.name");
    let found = findings(&edit("  description: Sales data engineering\n", "  description: \"a\\tb\\r\\nc\"\n"));
    assert!(!found.iter().any(|f| f.rule == "STW017"), "{}", render(&found));
}

#[test]
fn duplicate_keys_are_an_error_naming_both() {
    let yaml = edit("version: 1.0.0\n", "version: 1.0.0\nversion: 2.0.0\n");
    let msg = unreadable(yaml.into_bytes());
    assert!(
        msg.starts_with("8:1: duplicate key `version` at line 8, column 1: it is already at line 7, column 1"),
        "{msg}"
    );
    let yaml = edit("  name: sales-data\n", "  name: sales-data\n  'name': other\n");
    let msg = unreadable(yaml.into_bytes());
    assert!(msg.contains("duplicate key `name` at line 18, column 3: it is already at line 17, column 3"), "{msg}");
    // With anchors in the document (the position pass runs first).
    let yaml = edit("version: 1.0.0\n", "version: &v 1.0.0\nx: {a: 1, a: *v}\n");
    assert!(unreadable(yaml.into_bytes()).contains("duplicate key `a`"));
}

#[test]
fn non_utf8_is_reported_escaped_with_its_offset() {
    let mut bytes = b"domain: sales\ndataProduct: \xc3\xa9ord".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"ers\n");
    let msg = unreadable(bytes);
    // Offset in bytes; column in characters (`é` is one).
    assert_eq!(msg, "2:18: document is not valid UTF-8: byte \\xFF at offset 32 (line 2, column 18)");
}
