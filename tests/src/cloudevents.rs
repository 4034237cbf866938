//! CloudEvents 1.0 checks for tests: the JSON format's schema (vendored in
//! `tests/data/cloudevents/`, see its README) plus the spec's rules the
//! schema leaves out.

use std::sync::LazyLock;

use serde_json::Value;

const SCHEMA: &str = include_str!("../data/cloudevents/cloudevents.json");

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(SCHEMA).expect("the vendored CloudEvents schema is JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        // `source` is a URI reference and `time` an RFC 3339 date-time.
        .should_validate_formats(true)
        .build(&schema)
        .expect("the vendored CloudEvents schema compiles")
});

/// The spec's context attributes (spec.md, "Context Attributes").
const CONTEXT: &[&str] =
    &["id", "source", "specversion", "type", "datacontenttype", "dataschema", "subject", "time", "data", "data_base64"];

/// Every way `event` is not a CloudEvents 1.0 event in the JSON format
/// (empty: it is one).
pub fn violations(event: &Value) -> Vec<String> {
    let mut errors: Vec<String> = VALIDATOR.iter_errors(event).map(|e| format!("{}: {e}", e.instance_path())).collect();
    if event["specversion"] != "1.0" {
        errors.push(format!("specversion is {}, not \"1.0\"", event["specversion"]));
    }
    for (name, _) in event.as_object().into_iter().flatten() {
        // Extension names: lower-case ASCII letters and digits only (spec.md, "Attribute Naming Convention").
        let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !CONTEXT.contains(&name.as_str()) && !valid {
            errors.push(format!("attribute `{name}` is not a valid CloudEvents attribute name"));
        }
    }
    errors
}

/// Panics with every violation unless `event` is a valid CloudEvent.
pub fn validate(event: &Value) {
    let errors = violations(event);
    assert!(errors.is_empty(), "not a CloudEvents 1.0 event: {errors:?}\n{event:#}");
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_schema_refuses_what_the_spec_refuses() {
        let good = json!({"specversion": "1.0", "id": "a", "source": "/steward", "type": "io.steward.x",
                          "time": "2026-12-02T10:00:00.000000Z", "sequence": "00000000000000000001"});
        assert!(violations(&good).is_empty(), "{:?}", violations(&good));
        for (field, bad) in [("id", json!("")), ("time", json!("yesterday")), ("specversion", json!("0.3"))] {
            let mut e = good.clone();
            e[field] = bad;
            assert!(!violations(&e).is_empty(), "{field} accepted");
        }
        let mut e = good.clone();
        e.as_object_mut().unwrap().remove("source");
        assert!(!violations(&e).is_empty(), "no source accepted");
        let mut e = good;
        e["Bad_Name"] = json!(1);
        assert!(!violations(&e).is_empty(), "bad extension name accepted");
    }
}
