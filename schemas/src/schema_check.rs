//! JSON Schema checks: the official ODCS v3.1 schema and the Steward profile
//! (`schemas/steward-profile.schema.json`, what Steward needs on top of ODCS).
//! Both validators are compiled once per process.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use jsonschema::Validator;
use jsonschema::error::ValidationErrorKind;
use serde_json::{Value, json};

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

fn compile(schema: &Value, what: &str) -> Validator {
    jsonschema::draft201909::new(schema).unwrap_or_else(|e| panic!("{what} does not compile: {e}"))
}

fn parse(text: &str, what: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{what} is not JSON: {e}"))
}

static ODCS: LazyLock<Validator> = LazyLock::new(|| {
    let mut schema = parse(ODCS_SCHEMA, "the ODCS schema");
    fast_unevaluated(&mut schema);
    compile(&schema, "the ODCS schema")
});
static PROFILE: LazyLock<Validator> =
    LazyLock::new(|| compile(&parse(PROFILE_SCHEMA, "the Steward profile"), "the Steward profile"));

/// The ODCS schema closes its objects with `unevaluatedProperties: false`,
/// which makes a validator collect annotations through every `allOf`, `$ref`
/// and `if`/`then` branch: three quarters of validation time on a 300-column
/// contract. This rewrites each such object to an equivalent that is cheap to
/// check: `propertyNames` lists every property its subschemas declare, and a
/// property that only an `if`/`then` branch declares (e.g. `host` on servers,
/// `logicalTypeOptions` on columns) is allowed only where one of those `if`s
/// holds. The test `rewritten_odcs_schema_agrees_with_the_official_one`
/// compares verdicts with the official schema.
pub fn fast_unevaluated(schema: &mut Value) {
    let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
    rewrite(schema, &defs);
}

#[derive(Default)]
struct Declared {
    always: BTreeSet<String>,
    /// Names declared only under conditions: name -> the `if` schemas.
    when: BTreeMap<String, Vec<Value>>,
}

fn rewrite(node: &mut Value, defs: &Value) {
    match node {
        Value::Object(map) => {
            if map.get("unevaluatedProperties") == Some(&Value::Bool(false)) && !map.contains_key("patternProperties") {
                let mut found = Declared::default();
                declared(&Value::Object(map.clone()), defs, &mut found, None, 0);
                let mut names: BTreeSet<String> = found.always.clone();
                names.extend(found.when.keys().cloned());
                map.remove("unevaluatedProperties");
                map.insert("propertyNames".to_owned(), json!({ "enum": names }));
                let guards: Vec<Value> = found
                    .when
                    .into_iter()
                    .filter(|(name, _)| !found.always.contains(name))
                    .map(|(name, conditions)| json!({"if": {"required": [name]}, "then": {"anyOf": conditions}}))
                    .collect();
                if !guards.is_empty() {
                    let all_of = map.entry("allOf").or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(items) = all_of {
                        items.extend(guards);
                    }
                }
            }
            for v in map.values_mut() {
                rewrite(v, defs);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, defs)),
        _ => {}
    }
}

/// Every property name `node` can declare, through `$ref`, `allOf`, `anyOf`,
/// `oneOf` and `if`/`then`/`else` (under `condition`, if any).
fn declared(node: &Value, defs: &Value, out: &mut Declared, condition: Option<&Value>, depth: usize) {
    let Some(map) = node.as_object() else { return };
    if depth > 32 {
        return;
    }
    if let Some(props) = map.get("properties").and_then(Value::as_object) {
        for name in props.keys() {
            match condition {
                None => {
                    out.always.insert(name.clone());
                }
                Some(c) => out.when.entry(name.clone()).or_default().push(c.clone()),
            }
        }
    }
    if let Some(target) = map.get("$ref").and_then(Value::as_str)
        && let Some(path) = target.strip_prefix("#/$defs/")
    {
        let resolved = path.split('/').fold(defs, |v, seg| v.get(seg).unwrap_or(&Value::Null));
        declared(resolved, defs, out, condition, depth + 1);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in map.get(key).and_then(Value::as_array).into_iter().flatten() {
            declared(sub, defs, out, condition, depth + 1);
        }
    }
    let test = map.get("if");
    for (key, branch_condition) in [("then", test.cloned()), ("else", test.map(|t| json!({"not": t})))] {
        if let Some(sub) = map.get(key) {
            // A branch without `if` never applies; nested conditions keep the outer one.
            let Some(c) = condition.cloned().or(branch_condition) else {
                continue;
            };
            declared(sub, defs, out, Some(&c), depth + 1);
        }
    }
}

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
                    let name = property.as_str().map(str::to_owned).unwrap_or_else(|| property.to_string());
                    path = path.key(&name);
                    format!("`{name}` is required")
                }
                _ => shorten(e.to_string()),
            };
            Violation { schema, path, message }
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

    fn base() -> Value {
        serde_yaml::from_str(include_str!("../../examples/sales-orders.odcs.yaml")).unwrap()
    }

    /// Documents that differ from a valid contract in one place each.
    fn corpus() -> Vec<(String, Value)> {
        let base = base();
        let mut out = vec![("base".to_owned(), base.clone())];
        let mut add = |name: &str, pointer: &str, key: &str, value: Value| {
            let mut doc = base.clone();
            doc.pointer_mut(pointer).unwrap().as_object_mut().unwrap().insert(key.to_owned(), value);
            out.push((name.to_owned(), doc));
        };
        for (pointer, what) in [
            ("", "root"),
            ("/schema/0", "table"),
            ("/schema/0/properties/0", "column"),
            ("/servers/0", "server"),
            ("/team", "team"),
            ("/support/0", "support"),
            ("/slaProperties/0", "sla"),
            ("/description", "description"),
        ] {
            add(&format!("unknown field on {what}"), pointer, "surprise", json!(1));
        }
        add("string options", "/schema/0/properties/0", "logicalTypeOptions", json!({"maxLength": 5}));
        add("bad string options", "/schema/0/properties/0", "logicalTypeOptions", json!({"maximum": 5}));
        add("integer options", "/schema/0/properties/1", "logicalTypeOptions", json!({"minimum": 1}));
        add("bad integer options", "/schema/0/properties/1", "logicalTypeOptions", json!({"maxLength": 1}));
        add("wrong type", "/schema/0/properties/1", "required", json!("yes"));
        add("bad enum", "/schema/0/properties/1", "logicalType", json!("int"));
        add("server fields", "/servers/0", "host", json!("x"));
        out
    }

    #[test]
    fn rewritten_odcs_schema_agrees_with_the_official_one() {
        let official = jsonschema::draft201909::new(&parse(ODCS_SCHEMA, "odcs")).unwrap();
        for (name, doc) in corpus() {
            assert_eq!(official.is_valid(&doc), ODCS.is_valid(&doc), "verdicts differ on: {name}");
        }
        let mut doc = base();
        let col = doc.pointer_mut("/schema/0/properties/1").unwrap();
        col["logicalType"] = json!("boolean");
        col["logicalTypeOptions"] = json!({"maxLength": 3});
        assert_eq!(official.is_valid(&doc), ODCS.is_valid(&doc), "boolean with string options");
        // And on the official examples.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/odcs/examples");
        for entry in std::fs::read_dir(dir).expect("official ODCS examples beside the checkout") {
            let path = entry.unwrap().path();
            let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(official.is_valid(&doc), ODCS.is_valid(&doc), "{}", path.display());
        }
    }

    #[test]
    fn schemas_compile() {
        assert!(check_odcs(&json!({})).iter().any(|v| v.path.to_string() == "apiVersion"));
        let v = check_profile(&json!({"apiVersion": "v3.1.0"}));
        assert!(v.iter().any(|v| v.path.to_string() == "domain" && v.message == "`domain` is required"), "{v:?}");
    }
}
