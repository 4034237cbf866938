//! Every governance rule: a contract that triggers it, and the base contract
//! (which triggers nothing) as the one that does not.

mod common;

use common::*;
use steward_policies::{Policy, RULES, Severity};

#[test]
fn base_contract_has_no_findings() {
    let found = findings(BASE);
    assert!(found.is_empty(), "{}", render(&found));
}

#[test]
fn every_rule_is_tested_here() {
    let sources = [include_str!("rules.rs"), include_str!("evolution.rs"), include_str!("malformed.rs")];
    for rule in RULES {
        let quoted = format!("\"{}\"", rule.id);
        assert!(sources.iter().any(|s| s.matches(&quoted).count() >= 1), "no test names {}", rule.id);
    }
}

#[test]
fn stw001_owner_team() {
    let found = findings(&edit("  name: sales-data\n", ""));
    let msg = expect_error(&found, "STW001", "team.name");
    assert!(msg.contains("team: {name:"), "{msg}");
}

#[test]
fn stw002_contact_channel() {
    let yaml = edit(
        "  - channel: sales-data@example.com\n    tool: email\n    url: mailto:sales-data@example.com\n  - channel: \"#sales-data\"\n    tool: slack\n",
        "  - channel: tickets\n    tool: ticket\n    url: https://tickets.example.com\n",
    );
    expect_error(&findings(&yaml), "STW002", "support");
}

#[test]
fn stw003_product_description() {
    let found = findings(&edit(
        "  purpose: Every confirmed customer order, one row per order line, as booked by the order service.\n",
        "",
    ));
    expect_error(&found, "STW003", "description.purpose");
}

#[test]
fn stw004_table_description() {
    let found = findings(&edit("    description: One row per order line.\n", ""));
    let msg = expect_error(&found, "STW004", "schema[0].description");
    assert!(msg.contains("order_lines"), "{msg}");
}

#[test]
fn stw005_column_description_is_a_warning_by_default() {
    let found = findings(&edit("        description: Units ordered.\n", ""));
    expect(&found, "STW005", "schema[0].properties[4].description", Severity::Warning);
    assert!(found.iter().all(|f| !f.is_error()), "{}", render(&found));
}

#[test]
fn stw006_identifiers() {
    let found = findings(&edit("dataProduct: orders", "dataProduct: Customer Orders"));
    let msg = expect_error(&found, "STW006", "dataProduct");
    assert!(msg.contains("`customer_orders`"), "{msg}");
    let found = findings(&edit("  - name: order_lines", "  - name: order-lines"));
    expect_error(&found, "STW006", "schema[0].name");
    let found = findings(&edit(
        "      - name: sku\n        logicalType: string\n        physicalType: varchar(64)\n        description: Stock keeping",
        "      - name: SKU\n        logicalType: string\n        physicalType: varchar(64)\n        description: Stock keeping",
    ));
    expect_error(&found, "STW006", "schema[0].properties[3].name");
    let long = "d".repeat(65);
    let found = findings(&edit("domain: sales", &format!("domain: {long}")));
    let msg = expect_error(&found, "STW006", "domain");
    assert!(msg.contains("limit is 64"), "{msg}");
}

#[test]
fn stw007_logical_type() {
    let found = findings(&edit(
        "        logicalType: integer\n        physicalType: int\n        description: Units",
        "        logicalType: int\n        physicalType: int\n        description: Units",
    ));
    let msg = expect_error(&found, "STW007", "schema[0].properties[4].logicalType");
    assert!(msg.contains("unknown logicalType `int`"), "{msg}");
    // The rule's finding replaces the ODCS enum violation at the same node.
    assert!(!found.iter().any(|f| f.rule == "STW020"), "{}", render(&found));
    let found = findings(&edit(
        "        logicalType: integer\n        physicalType: int\n        description: Units",
        "        physicalType: int\n        description: Units",
    ));
    expect_error(&found, "STW007", "schema[0].properties[4].logicalType");
}

#[test]
fn stw008_partition_keys() {
    let dt = "        partitioned: true\n        partitionKeyPosition: 1\n        classification: public\n  - name: daily_revenue";
    // No position.
    let found =
        findings(&edit(dt, "        partitioned: true\n        classification: public\n  - name: daily_revenue"));
    expect_error(&found, "STW008", "schema[0].properties[6].partitionKeyPosition");
    // Position without `partitioned`.
    let found =
        findings(&edit(dt, "        partitionKeyPosition: 1\n        classification: public\n  - name: daily_revenue"));
    expect_error(&found, "STW008", "schema[0].properties[6].partitioned");
    // Two keys at position 1.
    let found = findings(&edit(
        "        description: Units ordered.\n        required: true\n",
        "        description: Units ordered.\n        required: true\n        partitioned: true\n        partitionKeyPosition: 1\n",
    ));
    let msg = expect_error(&found, "STW008", "schema[0].properties[6].partitionKeyPosition");
    assert!(msg.contains("two partition keys at position 1"), "{msg}");
    // Positions skip.
    let found = findings(&edit(
        dt,
        "        partitioned: true\n        partitionKeyPosition: 2\n        classification: public\n  - name: daily_revenue",
    ));
    assert!(expect_error(&found, "STW008", "schema[0].properties[6].partitionKeyPosition").contains("skip 1"));
    // Non-scalar key.
    let found = findings(&edit(
        "        logicalType: date\n        physicalType: date\n        description: Booking date (partition).\n        required: true\n        partitioned: true\n        partitionKeyPosition: 1\n        classification: public\n  - name: daily_revenue",
        "        logicalType: array\n        physicalType: date\n        description: Booking date (partition).\n        required: true\n        partitioned: true\n        partitionKeyPosition: 1\n        classification: public\n  - name: daily_revenue",
    ));
    expect_error(&found, "STW008", "schema[0].properties[6].logicalType");
}

#[test]
fn stw009_slo_schedule() {
    let found = findings(&edit("    scheduler: cron\n", ""));
    expect_error(&found, "STW009", "slaProperties");
    let found = findings(&edit("schedule: \"0 6 * * *\"", "schedule: \"0 6 * *\""));
    let msg = expect_error(&found, "STW009", "slaProperties[0].schedule");
    assert!(msg.contains("expected 5 fields"), "{msg}");
    let yaml = edit("schedule: \"0 6 * * *\"", "schedule: \"0 6 * 13 *\"");
    let found = findings(&yaml);
    let f = found.iter().find(|f| f.rule == "STW009").expect("finding");
    // The column points into the value, at the month field.
    let line = yaml.lines().nth(f.line - 1).unwrap();
    assert_eq!(&line[f.column - 1..f.column + 1], "13", "{line}");
    let found = findings(&edit("value: Europe/Berlin", "value: Europe/Atlantis"));
    expect_error(&found, "STW009", "slaProperties[1].value");
    let found = findings(&edit("    unit: m\n", "    unit: fortnights\n"));
    expect_error(&found, "STW009", "slaProperties[2].value");
    let found = findings(&edit("    scheduler: cron\n", "    scheduler: cron\n    element: shipments\n"));
    expect_error(&found, "STW009", "slaProperties[0].element");
}

#[test]
fn stw010_slo_frequency() {
    let found = findings(&edit("schedule: \"0 6 * * *\"", "schedule: \"*/2 * * * *\""));
    let msg = expect_error(&found, "STW010", "slaProperties[0].schedule");
    assert!(msg.contains("every 2 minute"), "{msg}");
    assert!(findings(&edit("schedule: \"0 6 * * *\"", "schedule: \"*/5 * * * *\"")).is_empty());
    let strict = Policy::from_yaml(
        &steward_policies::DEFAULT_POLICY_YAML.replace("min_slo_interval_minutes: 5", "min_slo_interval_minutes: 60"),
    )
    .unwrap();
    let found = findings_with(&strict, &edit("schedule: \"0 6 * * *\"", "schedule: \"*/30 * * * *\""));
    expect_error(&found, "STW010", "slaProperties[0].schedule");
}

#[test]
fn stw011_column_classification() {
    let found = findings(&edit(
        "        description: Units ordered.\n        required: true\n        classification: internal\n",
        "        description: Units ordered.\n        required: true\n",
    ));
    expect_error(&found, "STW011", "schema[0].properties[4].classification");
    let found = findings(&edit(
        "        description: Units ordered.\n        required: true\n        classification: internal\n",
        "        description: Units ordered.\n        required: true\n        classification: secret\n",
    ));
    let msg = expect_error(&found, "STW011", "schema[0].properties[4].classification");
    assert!(msg.contains("`secret`"), "{msg}");
}

#[test]
fn stw012_classification_ceiling() {
    // A restricted column in a confidential product.
    let found = findings(&edit(
        "        description: Units ordered.\n        required: true\n        classification: internal\n",
        "        description: Units ordered.\n        required: true\n        classification: restricted\n",
    ));
    expect_error(&found, "STW012", "schema[0].properties[4].classification");
    // PII in an internal product (the column is confidential too).
    let found = findings(&edit("    value: confidential\n", "    value: internal\n"));
    expect_error(&found, "STW012", "schema[0].properties[2].tags");
    expect_error(&found, "STW012", "schema[0].properties[2].classification");
    // Without the custom property the policy default (internal) applies.
    let found = findings(&edit("customProperties:\n  - property: classification\n    value: confidential\n", ""));
    expect_error(&found, "STW012", "schema[0].properties[2].tags");
    // An unknown product classification.
    let found = findings(&edit("    value: confidential\n", "    value: top-secret\n"));
    expect_error(&found, "STW012", "customProperties[0].value");
}

#[test]
fn stw013_location_ownership() {
    let found = findings(&edit("s3://steward-sales/orders/", "s3://steward-hr/salaries/"));
    let msg = expect_error(&found, "STW013", "servers[0].location");
    assert!(msg.contains("s3://steward-sales/"), "{msg}");
    // A bucket that merely starts with the domain's bucket name.
    let found = findings(&edit("s3://steward-sales/orders/", "s3://steward-sales-archive/orders/"));
    expect_error(&found, "STW013", "servers[0].location");
    // Path traversal out of the domain's prefix.
    let found = findings(&edit("s3://steward-sales/orders/", "s3://steward-sales/../steward-hr/"));
    expect_error(&found, "STW013", "servers[0].location");
    // Configured prefixes replace the defaults for that domain.
    let policy = Policy::from_yaml(
        &steward_policies::DEFAULT_POLICY_YAML
            .replace("domains: {}", "domains:\n    sales: [\"s3://acme-sales-lake/\"]"),
    )
    .unwrap();
    expect_error(&findings_with(&policy, BASE), "STW013", "servers[0].location");
    assert!(findings_with(&policy, &edit("s3://steward-sales/orders/", "s3://acme-sales-lake/orders/")).is_empty());
    // Local paths.
    let local = edit(
        "    type: s3\n    environment: prod\n    location: s3://steward-sales/orders/\n",
        "    type: local\n    environment: prod\n    path: lake/sales/orders\n",
    );
    assert!(findings(&local).is_empty(), "{}", render(&findings(&local)));
    let found = findings(&edit_in(&local, "path: lake/sales/orders", "path: lake/hr/salaries"));
    expect_error(&found, "STW013", "servers[0].path");
    let found = findings(&edit_in(&local, "path: lake/sales/orders", "path: /etc/passwd"));
    expect_error(&found, "STW013", "servers[0].path");
}

#[test]
fn stw014_server_type() {
    let found = findings(&edit("    type: s3\n", "    type: kafka\n"));
    let msg = expect_error(&found, "STW014", "servers[0].type");
    assert!(msg.contains("s3, local"), "{msg}");
}

#[test]
fn stw015_duplicate_names() {
    let found = findings(&edit("      - name: quantity\n", "      - name: sku\n"));
    let msg = expect_error(&found, "STW015", "schema[0].properties[4].name");
    assert!(msg.contains("also properties[3]"), "{msg}");
    let found = findings(&edit("  - name: daily_revenue\n", "  - name: order_lines\n"));
    expect_error(&found, "STW015", "schema[1].name");
}

#[test]
fn stw016_status_is_a_warning() {
    let found = findings(&edit("status: active", "status: live"));
    expect(&found, "STW016", "status", Severity::Warning);
}

#[test]
fn stw017_control_character() {
    // Anywhere in the document, modelled by Steward or not (more cases in hostile.rs).
    let found = findings(&edit("        description: Units ordered.\n", "        description: \"Units\\0\"\n"));
    let msg = expect_error(&found, "STW017", "schema[0].properties[4].description");
    assert!(msg.contains("U+0000 (NUL)"), "{msg}");
    let many: String = (0..30).map(|i| format!("  k{i}: \"\\a\"\n")).collect();
    let found = findings(&format!("{BASE}x-extra:\n{many}"));
    let hits: Vec<_> = found.iter().filter(|f| f.rule == "STW017").collect();
    assert_eq!(hits.len(), 21, "{}", render(&found));
    assert!(hits.iter().any(|f| f.message.starts_with("10 more")), "{}", render(&found));
}

#[test]
fn stw020_odcs_schema() {
    let found = findings(&edit(
        "        required: true\n        primaryKey: true\n        primaryKeyPosition: 1\n",
        "        required: \"yes\"\n        primaryKey: true\n        primaryKeyPosition: 1\n",
    ));
    let msg = expect_error(&found, "STW020", "schema[0].properties[0].required");
    assert!(msg.contains("not valid ODCS"), "{msg}");
    let found = findings(&edit("kind: DataContract", "kind: DataContract\nsurprise: field"));
    expect_error(&found, "STW020", "(document)");
}

#[test]
fn stw021_steward_profile() {
    let found = findings(&edit("domain: sales\n", ""));
    let msg = expect_error(&found, "STW021", "domain");
    assert!(msg.contains("`domain` is required"), "{msg}");
    let start = BASE.find("schema:\n").unwrap();
    let end = BASE.find("slaProperties:").unwrap();
    let found = findings(&format!("{}schema: []\n{}", &BASE[..start], &BASE[end..]));
    expect_error(&found, "STW021", "schema");
    let found = findings(&edit("version: 1.0.0", "version: \"1.0\""));
    expect_error(&found, "STW021", "version");
}

#[test]
fn stw022_field_type_when_schemas_are_off() {
    let policy = Policy::from_yaml(
        &steward_policies::DEFAULT_POLICY_YAML.replace("severity:\n", "severity:\n  STW020: off\n  STW021: off\n"),
    )
    .unwrap();
    let found = findings_with(&policy, &edit("tags: [orders, revenue]", "tags: {orders: 1}"));
    let msg = expect_error(&found, "STW022", "tags");
    assert!(msg.contains("further checks skipped"), "{msg}");
}

#[test]
fn severity_overrides_apply() {
    let policy = Policy::from_yaml(
        &steward_policies::DEFAULT_POLICY_YAML.replace("STW005: warning", "STW005: error\n  STW004: off"),
    )
    .unwrap();
    let found = findings_with(&policy, &edit("        description: Units ordered.\n", ""));
    expect_error(&found, "STW005", "schema[0].properties[4].description");
    assert!(findings_with(&policy, &edit("    description: One row per order line.\n", "")).is_empty());
}

#[test]
fn official_odcs_examples_never_panic_and_name_missing_fields() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/odcs/examples");
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("the official ODCS examples are expected at {dir}");
    };
    let mut seen = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let text = std::fs::read(&path).unwrap();
        let found = steward_policies::validate(&text, &Policy::default(), None).findings;
        seen += 1;
        // None of them is a complete Steward contract: each fails, naming what is missing.
        assert!(found.iter().any(|f| f.is_error()), "{} passed", path.display());
        for f in &found {
            assert!(f.line >= 1 && f.column >= 1, "{}: {f:?}", path.display());
        }
        if path.ends_with("schema__table-column.odcs.yaml") {
            for missing in ["domain", "team", "support", "servers", "slaProperties"] {
                expect_error(&found, "STW021", missing);
            }
        }
        if path.ends_with("all__full-example.odcs.yaml") {
            expect_error(&found, "STW006", "dataProduct");
            expect_error(&found, "STW014", "servers[0].type");
            expect_error(&found, "STW009", "slaProperties");
        }
    }
    assert!(seen >= 10, "only {seen} examples found");
}

#[test]
fn project_examples_conform_to_the_official_odcs_schema() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = steward_schemas::Document::from_str(&text).unwrap();
        // Against the copy in shared/ (the source), not only the one compiled into schemas/.
        let official: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/odcs/odcs-json-schema-v3.1.0.json"
            ))
            .unwrap(),
        )
        .unwrap();
        let validator = jsonschema::draft201909::new(&official).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(doc.value()).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        let found = steward_policies::validate(text.as_bytes(), &Policy::default(), None).findings;
        assert!(found.is_empty(), "{}:\n{}", path.display(), render(&found));
        seen += 1;
    }
    assert!(seen >= 2);
}
