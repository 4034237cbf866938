//! Schema evolution: each breaking-change kind, with and without a major bump.

mod common;

use common::*;
use steward_policies::{Finding, Policy, Severity, Source, read_previous, validate};

fn evolve(new: &str) -> Vec<Finding> {
    let prev = read_previous(BASE.as_bytes()).unwrap();
    validate(new.as_bytes(), &Policy::default(), Some(&prev)).findings
}

fn minor(yaml: &str) -> String {
    edit_in(yaml, "version: 1.0.0", "version: 1.1.0")
}

fn major(yaml: &str) -> String {
    edit_in(yaml, "version: 1.0.0", "version: 2.0.0")
}

const QUANTITY: &str = "      - name: quantity\n        logicalType: integer\n        physicalType: int\n        description: Units ordered.\n        required: true\n        classification: internal\n";

#[test]
fn compatible_changes_pass() {
    // Widened type, loosened required, a new optional column, a new table.
    let yaml = edit(
        QUANTITY,
        &QUANTITY.replace("physicalType: int", "physicalType: bigint").replace("required: true", "required: false"),
    );
    let yaml = edit_in(
        &yaml,
        QUANTITY
            .replace("physicalType: int", "physicalType: bigint")
            .replace("required: true", "required: false")
            .as_str(),
        &format!(
            "{}      - {{name: note, logicalType: string, description: Free text., classification: public}}\n",
            QUANTITY.replace("physicalType: int", "physicalType: bigint").replace("required: true", "required: false")
        ),
    );
    let yaml = edit_in(
        &yaml,
        "slaProperties:\n",
        "  - name: weekly_revenue\n    description: Weekly.\n    properties:\n      - {name: week, logicalType: string, description: ISO week., classification: public}\nslaProperties:\n",
    );
    let found = evolve(&minor(&yaml));
    assert!(found.is_empty(), "{}", render(&found));
}

#[test]
fn stw101_removed_column() {
    let found = evolve(&minor(&edit(QUANTITY, "")));
    let msg = expect_error(&found, "STW101", "schema[0].properties[4]");
    assert!(msg.contains("order_lines.quantity") && msg.contains("raise the major version"), "{msg}");
    let found = evolve(&major(&edit(QUANTITY, "")));
    let msg = expect(&found, "STW101", "schema[0].properties[4]", Severity::Warning);
    assert!(msg.contains("major version raised from 1 to 2"), "{msg}");
}

#[test]
fn stw102_changed_or_narrowed_type() {
    let found = evolve(&minor(&edit(QUANTITY, &QUANTITY.replace("physicalType: int", "physicalType: smallint"))));
    assert!(expect_error(&found, "STW102", "schema[0].properties[4].physicalType").contains("narrowed"));
    let found = evolve(&minor(&edit(QUANTITY, &QUANTITY.replace("logicalType: integer", "logicalType: string"))));
    assert!(
        expect_error(&found, "STW102", "schema[0].properties[4].logicalType").contains("from `integer` to `string`")
    );
    let found = evolve(&minor(&edit("physicalType: varchar(320)", "physicalType: varchar(100)")));
    expect_error(&found, "STW102", "schema[0].properties[2].physicalType");
    let found = evolve(&major(&edit(QUANTITY, &QUANTITY.replace("logicalType: integer", "logicalType: string"))));
    expect(&found, "STW102", "schema[0].properties[4].logicalType", Severity::Warning);
}

#[test]
fn stw103_changed_partition_keys() {
    let found = evolve(&minor(&edit(
        "        partitioned: true\n        partitionKeyPosition: 1\n        classification: public\n  - name: daily_revenue",
        "        classification: public\n  - name: daily_revenue",
    )));
    let msg = expect_error(&found, "STW103", "schema[0].properties");
    assert!(msg.contains("from [dt date] to []"), "{msg}");
}

#[test]
fn stw104_required_added() {
    let found = evolve(&minor(&edit(
        "        classification: confidential\n        tags: [pii]\n",
        "        classification: confidential\n        tags: [pii]\n        required: true\n",
    )));
    expect_error(&found, "STW104", "schema[0].properties[2].required");
    let found = evolve(&minor(&edit(
        QUANTITY,
        &format!(
            "{QUANTITY}      - {{name: channel, logicalType: string, description: Sales channel., required: true, classification: internal}}\n"
        ),
    )));
    let msg = expect_error(&found, "STW104", "schema[0].properties[5].required");
    assert!(msg.contains("new column"), "{msg}");
}

#[test]
fn stw105_removed_table() {
    let start = BASE.find("  - name: daily_revenue").unwrap();
    let end = BASE.find("slaProperties:").unwrap();
    let yaml = format!("{}{}", &BASE[..start], &BASE[end..]);
    let found = evolve(&minor(&yaml));
    assert!(expect_error(&found, "STW105", "schema[1]").contains("daily_revenue"));
}

#[test]
fn stw106_version_not_increased() {
    let found = evolve(&edit(QUANTITY, &QUANTITY.replace("Units ordered.", "Units ordered, after returns.")));
    expect_error(&found, "STW106", "version");
    let found = evolve(&edit("version: 1.0.0", "version: 0.9.0"));
    expect_error(&found, "STW106", "version");
}

#[test]
fn stw107_different_product() {
    let found = evolve(&minor(&edit("dataProduct: orders", "dataProduct: returns")));
    expect_error(&found, "STW107", "dataProduct");
}

/// A removed column is found in the previous version: the finding points
/// there, not at whatever column of the new version happens to come first.
#[test]
fn removal_findings_point_into_the_previous_version() {
    // `order_id` renamed `id`: the old column is gone.
    let found = evolve(&minor(&edit("      - name: order_id", "      - name: id")));
    let f = found.iter().find(|f| f.rule == "STW101").unwrap_or_else(|| panic!("{}", render(&found)));
    assert!(f.message.contains("order_lines.order_id"), "{}", f.message);
    assert_eq!((f.line, f.column), (line_of(BASE, "      - name: order_id"), 9), "{}", render(&found));
    assert_eq!(f.path.to_string(), "schema[0].properties[0]");
    assert_eq!(f.source, Source::Previous);

    let start = BASE.find("  - name: daily_revenue").unwrap();
    let end = BASE.find("slaProperties:").unwrap();
    let found = evolve(&minor(&format!("{}{}", &BASE[..start], &BASE[end..])));
    let f = found.iter().find(|f| f.rule == "STW105").unwrap_or_else(|| panic!("{}", render(&found)));
    assert_eq!((f.line, f.column), (line_of(BASE, "  - name: daily_revenue"), 5), "{}", render(&found));
    assert_eq!(f.path.to_string(), "schema[1]");
    assert_eq!(f.source, Source::Previous);
}

/// Additions and changes are in the new version and point there.
#[test]
fn change_findings_point_into_the_new_version() {
    let new = minor(&edit(
        QUANTITY,
        &format!(
            "{QUANTITY}      - {{name: channel, logicalType: string, description: Sales channel., required: true, classification: internal}}\n"
        ),
    ));
    let found = evolve(&new);
    let f = found.iter().find(|f| f.rule == "STW104").unwrap_or_else(|| panic!("{}", render(&found)));
    assert_eq!(f.line, line_of(&new, "      - {name: channel"), "{}", render(&found));
    assert!(found.iter().all(|f| f.source == Source::Current), "{}", render(&found));
}

#[test]
fn stw108_changed_location() {
    let new = minor(&edit("    location: s3://steward-sales/orders/", "    location: s3://steward-sales/orders-v2/"));
    let found = evolve(&new);
    let msg = expect(&found, "STW108", "servers[0].location", Severity::Warning);
    assert!(
        msg.contains("`s3://steward-sales/orders/`")
            && msg.contains("`s3://steward-sales/orders-v2/`")
            && msg.contains("Lake Formation registrations point at the old location"),
        "{msg}"
    );
    let f = found.iter().find(|f| f.rule == "STW108").unwrap();
    assert_eq!((f.line, f.column, f.source), (line_of(&new, "    location:"), 15, Source::Current));
    // A major version does not make a move harmless: still reported, same severity.
    let found =
        evolve(&major(&edit("    location: s3://steward-sales/orders/", "    location: s3://steward-sales/v2/")));
    expect(&found, "STW108", "servers[0].location", Severity::Warning);
    // The catalog ignores a trailing slash: not a move.
    let found =
        evolve(&minor(&edit("    location: s3://steward-sales/orders/", "    location: s3://steward-sales/orders")));
    assert!(found.is_empty(), "{}", render(&found));
}

/// A reviewer's diff marks the line a finding points at, so each type change
/// must point at the line that changed: the narrowed `physicalType`, the
/// changed `logicalType`, or (dropped) the `physicalType` line of the old version.
#[test]
fn stw102_points_at_the_changed_line() {
    let at = |found: &[Finding]| {
        let f = found.iter().find(|f| f.rule == "STW102").unwrap_or_else(|| panic!("no STW102:\n{}", render(found)));
        (f.line, f.column, f.source)
    };
    let narrowed = minor(&edit(QUANTITY, &QUANTITY.replace("physicalType: int", "physicalType: smallint")));
    let (line, _, source) = at(&evolve(&narrowed));
    assert_eq!(source, Source::Current);
    assert_eq!(narrowed.lines().nth(line - 1).unwrap().trim(), "physicalType: smallint");

    let varchar = minor(&edit("physicalType: varchar(320)", "physicalType: varchar(100)"));
    let (line, _, _) = at(&evolve(&varchar));
    assert_eq!(varchar.lines().nth(line - 1).unwrap().trim(), "physicalType: varchar(100)");

    let logical = minor(&edit(QUANTITY, &QUANTITY.replace("logicalType: integer", "logicalType: string")));
    let (line, _, source) = at(&evolve(&logical));
    assert_eq!((logical.lines().nth(line - 1).unwrap().trim(), source), ("logicalType: string", Source::Current));

    let dropped = minor(&edit(QUANTITY, &QUANTITY.replace("        physicalType: int\n", "")));
    let found = evolve(&dropped);
    assert!(expect_error(&found, "STW102", "schema[0].properties[4].physicalType").contains("dropped"));
    let (line, _, source) = at(&found);
    assert_eq!(source, Source::Previous, "a dropped line is only in the previous version");
    assert_eq!(BASE.lines().nth(line - 1).unwrap().trim(), "physicalType: int");
    assert_eq!(BASE.lines().nth(line - 3).unwrap().trim(), "- name: quantity", "the quantity column's");
}
