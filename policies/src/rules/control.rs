//! Control characters in keys and string values: STW017.
//!
//! `"a\0b"` is valid YAML and valid JSON, but PostgreSQL text cannot hold a
//! NUL (the catalog write fails after validation passed) and terminals act on
//! the other control characters when a value is printed. Tab, line feed and
//! carriage return are ordinary text.

use serde_json::Value;
use steward_schemas::path::Segment;
use steward_schemas::{Document, FieldPath};

use super::new_finding;
use crate::config::Policy;
use crate::finding::Finding;

pub(crate) const RULE: &str = "STW017";

/// Findings past this many are summed up in one, so a hostile document
/// cannot turn into megabytes of findings.
const MAX_REPORTS: usize = 20;

/// Every key and string value of the document with a control character.
/// Runs on the whole document, typed or not.
pub(crate) fn check(doc: &Document, policy: &Policy) -> Vec<Finding> {
    let Some(severity) = policy.severity_of(RULE) else {
        return Vec::new();
    };
    let mut hits = Vec::new();
    let mut total = 0;
    let mut path = Vec::new();
    walk(doc.value(), &mut path, &mut |path, what, text| {
        total += 1;
        if hits.len() < MAX_REPORTS
            && let Some((index, c)) = text.chars().enumerate().find(|(_, c)| forbidden(*c))
        {
            let segments = path
                .iter()
                .map(|s| match s {
                    Step::Key(k) => Segment::Key((*k).to_owned()),
                    Step::Index(i) => Segment::Index(*i),
                })
                .collect();
            hits.push((FieldPath::from_segments(segments), describe(what, text, index, c)));
        }
    });
    let mut out: Vec<Finding> =
        hits.into_iter().map(|(path, message)| new_finding(doc, RULE, severity, path, message)).collect();
    if total > out.len() {
        let message = format!("{} more keys or values hold control characters", total - out.len());
        out.push(new_finding(doc, RULE, severity, FieldPath::root(), message));
    }
    out
}

/// Unicode Cc except tab, line feed and carriage return.
fn forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn describe(what: &str, text: &str, index: usize, c: char) -> String {
    let name = if c == '\0' { " (NUL)".to_owned() } else { String::new() };
    let shown: String = text.chars().take(40).collect::<String>().escape_debug().to_string();
    let more = if text.chars().count() > 40 { "…" } else { "" };
    format!(
        "{what} \"{shown}{more}\" holds control character U+{:04X}{name} at character {}: remove it (only tab, line feed and carriage return are allowed)",
        u32::from(c),
        index + 1
    )
}

/// A path segment borrowed from the document: a path is only built for a hit.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Depth-first over the value; serde_yaml bounds its depth (128 levels).
fn walk<'a>(value: &'a Value, path: &mut Vec<Step<'a>>, hit: &mut impl FnMut(&[Step<'a>], &str, &str)) {
    match value {
        Value::String(s) if s.chars().any(forbidden) => hit(path, "value", s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                walk(item, path, hit);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                path.push(Step::Key(key));
                if key.chars().any(forbidden) {
                    hit(path, "key", key);
                }
                walk(item, path, hit);
                path.pop();
            }
        }
        _ => {}
    }
}
