//! The worst shapes of input: each is refused or accepted with the work
//! counted (pre-scan steps, nesting depth, parser events), never timed, and
//! each runs on a 256 KiB stack. Plus a bounded property test: no input
//! panics the reader or the validator.

mod common;

use common::*;
use proptest::prelude::*;
use steward_policies::{Policy, validate};
use steward_schemas::positions::event_work;
use steward_schemas::{Document, MAX_DEPTH, MAX_DOCUMENT_BYTES, ParseError, scan_depth};

const MIB: usize = 1024 * 1024;

/// Nothing recurses per byte: every shape runs on this stack...
const SMALL_STACK: usize = 256 * 1024;
/// ...except a document exactly at the depth limit. serde's deserializers
/// recurse once per level, about 3 KiB per level in a debug build (measured:
/// ~450 KiB for 128 levels with serde_yaml alone into `serde_json::Value`,
/// ~380 KiB for `Document::from_bytes` and `validate`); threads get 2 MiB.
const AT_LIMIT_STACK: usize = 512 * 1024;

fn on_stack<T: Send + 'static>(stack: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(stack).spawn(f).unwrap().join().unwrap()
}

/// `prefix` + `unit` repeated to just under `size` bytes + `suffix`.
fn fill(prefix: &str, unit: &str, size: usize, suffix: &str) -> String {
    let n = (size - prefix.len() - suffix.len()) / unit.len();
    format!("{prefix}{}{suffix}", unit.repeat(n))
}

enum Expect {
    TooDeep,
    AliasBomb,
    Accepted,
}

fn check(name: &str, text: String, expect: Expect) {
    check_on(SMALL_STACK, name, text, expect);
}

fn check_on(stack: usize, name: &str, text: String, expect: Expect) {
    assert!(text.len() <= MAX_DOCUMENT_BYTES, "{name}: {} bytes", text.len());
    let bytes = text.len();
    let (outcome, findings, work) = on_stack(stack, move || {
        let outcome = Document::from_bytes(text.as_bytes()).map(|d| {
            // Force the position pass too.
            let _ = d.locate(&steward_schemas::FieldPath::root().key("zzz"));
        });
        let findings = validate(text.as_bytes(), &Policy::default(), None).findings.len();
        (outcome, findings, (scan_depth(&text), event_work(&text)))
    });
    let (depth, events) = work;
    // The pre-scan visits each character at most once.
    let steps = match depth {
        Ok(d) => {
            assert!(d.max_depth <= MAX_DEPTH, "{name}: depth {}", d.max_depth);
            d.steps
        }
        Err(_) => 0,
    };
    assert!(steps <= bytes, "{name}: {steps} steps for {bytes} bytes");
    // The event pass reads a bounded number of events: linear in the size.
    assert!(events.events <= 2 * bytes as u64 + 16, "{name}: {} events for {bytes} bytes", events.events);
    assert!(findings >= 1 || matches!(expect, Expect::Accepted), "{name}");
    match expect {
        Expect::TooDeep => {
            assert!(matches!(outcome, Err(ParseError::TooDeep { .. })), "{name}: {outcome:?}");
            assert!(depth.is_err(), "{name}");
        }
        Expect::AliasBomb => {
            assert!(matches!(outcome, Err(ParseError::AliasBomb { .. })), "{name}: {outcome:?}");
            assert!(events.expanded_nodes > 250_000, "{name}");
        }
        Expect::Accepted => assert!(outcome.is_ok(), "{name}: {outcome:?}"),
    }
}

#[test]
fn worst_shapes_are_bounded() {
    use Expect::*;
    check("deep `- ` with an anchor", format!("# &\n{}x\n", "- ".repeat(5000)), TooDeep);
    check("1 MiB of `[`", fill("a: ", "[", MIB, "\n"), TooDeep);
    check("1 MiB of `{`", fill("a: ", "{", MIB, "\n"), TooDeep);
    check("1 MiB of `[a: `", fill("a: ", "[a: ", MIB, "\n"), TooDeep);
    check("a: {b: {c: …", fill("", "a: {", MIB, "\n"), TooDeep);
    let deep_block: String = (0..200).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect();
    check("200 levels of block mappings", deep_block + "# &\n", TooDeep);
    // Exactly the limit: 127 keys, then a mapping of one at the 128th level.
    let ok_block: String = (0..MAX_DEPTH - 1).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
    let at_limit = ok_block + &" ".repeat(MAX_DEPTH - 1) + "x: &a 1\n";
    check_on(AT_LIMIT_STACK, "128 levels of block mappings", at_limit, Accepted);
    let below: String = (0..40).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
    check("40 levels of block mappings", below + &" ".repeat(40) + "x: &a 1\n", Accepted);
    let mut laughs = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        laughs.push_str(&format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", ")));
    }
    check("billion laughs", laughs, AliasBomb);
    check("long flow sequence", fill("a: [", "1, ", MIB, "1]\n"), Accepted);
    let anchors: String = (0..55_000).map(|i| format!("k{i}: &a{i} v\n")).collect();
    check("many anchors", anchors, Accepted);
    let keys: String = (0..74_000).map(|i| format!("key{i:07}: v\n")).collect();
    check("1 MiB of single-line keys", keys, Accepted);
    check("quoted `[`", fill("a: \"", "[", MIB, "\"\n"), Accepted);
    check("block scalar of `[`", fill("a: |\n  ", "[", MIB, "\n"), Accepted);
}

/// Nested or garbage YAML: fragments that open and close collections,
/// quote, anchor and alias, on one line or many.
fn garbage() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("- ".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just(", ".to_owned()),
        Just(": ".to_owned()),
        Just("? ".to_owned()),
        Just("\n".to_owned()),
        Just("\n  ".to_owned()),
        Just("&a ".to_owned()),
        Just("*a ".to_owned()),
        Just("\"x\\0".to_owned()),
        Just("'".to_owned()),
        Just("# c".to_owned()),
        Just("| \n".to_owned()),
        Just("---\n".to_owned()),
        Just("\u{85}".to_owned()),
        "[a-z]{1,3}",
    ];
    (proptest::collection::vec(piece, 0..60), 1usize..40).prop_map(|(pieces, repeat)| pieces.concat().repeat(repeat))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// Reading and validating never panics, and never reports without a position.
    #[test]
    fn garbage_yaml_never_panics(text in garbage()) {
        let report = validate(text.as_bytes(), &Policy::default(), None);
        for f in &report.findings {
            prop_assert!(f.line >= 1 && f.column >= 1);
        }
        if let Ok(d) = scan_depth(&text) {
            prop_assert!(d.steps <= text.len());
        }
    }

    /// The base contract with garbage spliced in anywhere.
    #[test]
    fn spliced_contracts_never_panic(at in 0usize..4000, text in garbage()) {
        let at = (0..=at.min(BASE.len())).rev().find(|i| BASE.is_char_boundary(*i)).unwrap_or(0);
        let doc = format!("{}{}{}", &BASE[..at], text, &BASE[at..]);
        let _ = validate(doc.as_bytes(), &Policy::default(), None);
    }
}
