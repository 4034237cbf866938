//! JSON Schema checks: the official ODCS v3.1 schema and the Steward profile
//! (`schemas/steward-profile.schema.json`, what Steward needs on top of ODCS).
//! Both validators are compiled once per process.

use std::sync::LazyLock;

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::path::FieldPath;

/// The official ODCS v3.1.0 JSON Schema (Apache-2.0, see `LICENSE.odcs`).
pub const ODCS_SCHEMA: &str = include_str!("../odcs-json-schema-v3.1.0.json");
/// The Steward profile.
pub const PROFILE_SCHEMA: &str = include_str!("../steward-profile.schema.json");

/// Which schema a violation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaKind {
    Odcs,
    Profile,
}

/// One schema violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub schema: SchemaKind,
    /// The offending node; for a missing property, the property itself.
    pub path: FieldPath,
    pub message: String,
}

fn compile(text: &str, what: &str) -> Validator {
    let schema: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{what} is not JSON: {e}"));
    jsonschema::draft201909::new(&schema).unwrap_or_else(|e| panic!("{what} does not compile: {e}"))
}

static ODCS: LazyLock<Validator> = LazyLock::new(|| compile(ODCS_SCHEMA, "the ODCS schema"));
static PROFILE: LazyLock<Validator> =
    LazyLock::new(|| compile(PROFILE_SCHEMA, "the Steward profile"));

/// Checks a document against the ODCS v3.1 JSON Schema.
pub fn check_odcs(document: &Value) -> Vec<Violation> {
    collect(&ODCS, SchemaKind::Odcs, document)
}

/// Checks a document against the Steward profile.
pub fn check_profile(document: &Value) -> Vec<Violation> {
    collect(&PROFILE, SchemaKind::Profile, document)
}

fn collect(validator: &Validator, schema: SchemaKind, document: &Value) -> Vec<Violation> {
    if validator.is_valid(document) {
        return Vec::new();
    }
    let mut out: Vec<Violation> = validator
        .iter_errors(document)
        .map(|e| {
            let mut path = FieldPath::from_json_pointer(e.instance_path().as_str());
            let message = match e.kind() {
                ValidationErrorKind::Required { property } => {
                    let name = property
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| property.to_string());
                    path = path.key(&name);
                    format!("`{name}` is required")
                }
                _ => shorten(e.to_string()),
            };
            Violation {
                schema,
                path,
                message,
            }
        })
        .collect();
    out.dedup();
    out
}

/// Validator messages quote the offending value; a whole table is not a useful quote.
fn shorten(message: String) -> String {
    const MAX: usize = 200;
    if message.chars().count() <= MAX {
        return message;
    }
    let cut: String = message.chars().take(MAX).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schemas_compile() {
        assert!(
            check_odcs(&json!({}))
                .iter()
                .any(|v| v.path.to_string() == "apiVersion")
        );
        let v = check_profile(&json!({"apiVersion": "v3.1.0"}));
        assert!(
            v.iter()
                .any(|v| v.path.to_string() == "domain" && v.message == "`domain` is required"),
            "{v:?}"
        );
    }
}
