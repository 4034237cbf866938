//! Every string an API operation takes — path and query parameters, JSON
//! body fields — is refused with a 400 naming it when it holds NUL or another
//! control character, on SQLite and PostgreSQL (which refuses NUL in text and
//! used to turn it into a 500). The operations and their parameters come from
//! the generated OpenAPI document, so a new endpoint is covered by this test.

mod common;

use axum::http::StatusCode;
use common::{TestApp, each_db};
use serde_json::{Value, json};
use steward_catalog::api::ApiDoc;
use utoipa::OpenApi;

/// A valid value for a path parameter, so only the poisoned one is wrong.
fn sample(name: &str) -> &'static str {
    match name {
        "key" => "sales.orders",
        "account" => "123456789012",
        _ => "1",
    }
}

/// The control characters tried in each place: NUL, ESC, DEL and a C1 (NEL).
const POISON: [(&str, &str); 4] =
    [("\u{0}", "U+0000"), ("\u{1b}", "U+001B"), ("\u{7f}", "U+007F"), ("\u{85}", "U+0085")];

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'.' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

struct Op {
    method: String,
    path: String,
    /// (name, is a string) of the path parameters.
    path_params: Vec<(String, bool)>,
    query_strings: Vec<String>,
    /// Top-level JSON body properties and a poisoned value shape for each.
    body: Vec<(String, &'static str)>,
    yaml_body: bool,
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, doc.pointer(r.trim_start_matches('#')).expect("$ref resolves")),
        None => schema,
    }
}

fn is_string(doc: &Value, schema: &Value) -> bool {
    let s = resolve(doc, schema);
    match &s["type"] {
        Value::String(t) => t == "string",
        Value::Array(ts) => ts.iter().any(|t| t == "string"),
        _ => s["oneOf"].as_array().is_some_and(|alts| alts.iter().any(|a| is_string(doc, a))),
    }
}

fn operations(doc: &Value) -> Vec<Op> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let mut o = Op {
                method: method.to_uppercase(),
                path: path.clone(),
                path_params: vec![],
                query_strings: vec![],
                body: vec![],
                yaml_body: false,
            };
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap().to_owned();
                let string = is_string(doc, &p["schema"]);
                match p["in"].as_str() {
                    Some("path") => o.path_params.push((name, string)),
                    Some("query") if string => o.query_strings.push(name),
                    _ => {}
                }
            }
            let content = &op["requestBody"]["content"];
            if let Some(schema) = content.get("application/json").map(|c| &c["schema"]) {
                let schema = resolve(doc, schema);
                for (prop, s) in schema["properties"].as_object().into_iter().flatten() {
                    let s = resolve(doc, s);
                    let shape = if is_string(doc, s) {
                        "string"
                    } else if s["additionalProperties"].is_object() {
                        "map"
                    } else if s["items"].is_object() && is_string(doc, &s["items"]) {
                        "array"
                    } else {
                        continue;
                    };
                    o.body.push((prop.clone(), shape));
                }
            }
            o.yaml_body = content.get("application/yaml").is_some();
            ops.push(o);
        }
    }
    ops
}

fn uri(op: &Op, poison: Option<(&str, &str)>, query: Option<(&str, &str)>) -> String {
    let mut path = op.path.clone();
    for (name, _) in &op.path_params {
        let value = match poison {
            Some((n, bad)) if n == name => pct(&format!("x{bad}y")),
            _ => sample(name).to_owned(),
        };
        path = path.replace(&format!("{{{name}}}"), &value);
    }
    if let Some((name, bad)) = query {
        path.push_str(&format!("?{name}={}", pct(&format!("x{bad}y"))));
    }
    path
}

fn assert_names(status: StatusCode, body: &Value, field: &str, code: &str, what: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert_eq!(body["error"], "bad_request", "{what}: {body}");
    assert!(message.contains(&format!("`{field}`")) && message.contains(code), "{what}: {message}");
}

#[tokio::test]
async fn control_characters_in_any_string_input_are_a_400_naming_the_field() {
    each_db(|app: TestApp| async move {
        app.published_with_grant().await;
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let ops = operations(&doc);
        let mut checked = 0;
        for op in &ops {
            for (bad, code) in POISON {
                for (name, string) in &op.path_params {
                    if !string {
                        continue;
                    }
                    let what = format!("{} {} path `{name}` with {code}", op.method, op.path);
                    let (s, body) =
                        app.call(&op.method, &uri(op, Some((name, bad)), None), Some(&app.admin), None).await;
                    assert_names(s, &body, name, code, &what);
                    checked += 1;
                }
                for name in &op.query_strings {
                    let what = format!("{} {} query `{name}` with {code}", op.method, op.path);
                    let (s, body) =
                        app.call(&op.method, &uri(op, None, Some((name, bad))), Some(&app.admin), None).await;
                    assert_names(s, &body, name, code, &what);
                    checked += 1;
                }
                for (prop, shape) in &op.body {
                    let value = format!("x{bad}y");
                    let (body, field) = match *shape {
                        "string" => (json!({ prop: value }), prop.clone()),
                        "map" => (json!({ prop: { "dt": value } }), format!("{prop}.dt")),
                        _ => (json!({ prop: [value] }), format!("{prop}[0]")),
                    };
                    let what = format!("{} {} body `{field}` with {code}", op.method, op.path);
                    let (s, resp) = app.json(&op.method, &uri(op, None, None), &app.admin, body).await;
                    assert_names(s, &resp, &field, code, &what);
                    checked += 1;
                }
                if op.yaml_body {
                    // A contract is YAML: a control character is a finding or a 400, never a 500.
                    let yaml = steward_testkit::sales_orders().replace("orders", &format!("ord{bad}ers"));
                    let (s, resp) = app
                        .call(&op.method, &uri(op, None, None), Some(&app.admin), Some(("application/yaml", yaml)))
                        .await;
                    assert!(s == StatusCode::BAD_REQUEST || s == StatusCode::UNPROCESSABLE_ENTITY, "{s}: {resp}");
                    let (s, resp) = app
                        .json(&op.method, &uri(op, None, None), &app.admin, json!({"contract": format!("a: b{bad}")}))
                        .await;
                    assert_names(s, &resp, "contract", code, "submit JSON contract");
                }
            }
        }
        // Tabs and line breaks are fine in prose, and a comment with them gets through.
        let (s, resp) = app
            .json("POST", "/api/v1/proposals/999/reject", &app.reviewer, json!({"comment": "no:\n\tsee above\r\n"}))
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{resp}");
        assert!(checked > 60, "only {checked} inputs checked; did the OpenAPI walk break?");
        eprintln!("{checked} inputs checked on {}", app.backend);
    })
    .await;
}
