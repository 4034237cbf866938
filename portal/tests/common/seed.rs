//! A catalog with something on every page, for the browser tests that visit
//! them all (accessibility, layout, screenshots): published products with a
//! pending breaking change, a deprecation, a 300-column table, a 500-character
//! unbroken word, line breaks and right-to-left text; a new product's
//! proposal; a consumer's grant, subscription and pending request; a second
//! consumer's pending request.

use serde_json::json;
use steward_catalog::auth::Role;

use super::{Portal, contract};

/// Columns of `sales.wide`'s `wide_events` table.
pub const WIDE_COLUMNS: usize = 300;

/// 500 characters without a break opportunity.
pub fn unbroken() -> String {
    "Unbroken".repeat(63)[..500].to_owned()
}

/// The purpose of `sales.notes`: three lines, long enough to be shortened in results.
pub const NOTES_PURPOSE: &str = "Notes the sales team keeps on each order.\nOne row per note, newest last.\n\nSecond paragraph: \
notes are free text written by people, so they may hold anything from a word to a page; the export keeps them as written, \
including the line breaks, and redacts e-mail addresses and phone numbers before the data reaches the lake.";

/// Hebrew (right-to-left) in `sales.returns`' description.
pub const RTL_PURPOSE: &str = "החזרות של הזמנות, שורה לכל שורת הזמנה שהוחזרה (returns v2).";

/// What [`rich`] made.
pub struct Seeded {
    /// sales.orders v2.0.0 without `quantity`, pending review (breaking).
    pub breaking: i64,
    /// A new product (`sales.leads`), pending review: its page has the preview.
    pub new_product: i64,
    /// carla's active grant on sales.orders.
    pub grant: i64,
    /// dana's pending request on sales.returns.
    pub pending_request: i64,
    /// dana's consumer token.
    pub dana: String,
    /// The admin token.
    pub admin: String,
}

/// sales.orders with one more table (`wide_events`) of [`WIDE_COLUMNS`] columns.
pub fn wide() -> String {
    let mut table = String::from(
        "schema:\n  - name: wide_events\n    physicalType: table\n    description: Every event attribute as its own column.\n    properties:\n",
    );
    for i in 0..WIDE_COLUMNS {
        table.push_str(&format!(
            "      - name: attr_{i:03}\n        logicalType: string\n        physicalType: varchar(10)\n        description: Event attribute {i}.\n        classification: internal\n"
        ));
    }
    let yaml = contract("wide", "1.0.0", Some(&unbroken()));
    assert!(yaml.contains("\nschema:\n"), "example changed; update the fixture");
    yaml.replacen("schema:\n", &table, 1)
}

/// `yaml` with the product's display name `name`.
fn named(yaml: String, name: &str) -> String {
    assert!(yaml.contains("\nname: Sales orders\n"), "example changed; update the fixture");
    yaml.replacen("\nname: Sales orders\n", &format!("\nname: {name}\n"), 1)
}

pub async fn rich(app: &Portal) -> Seeded {
    app.publish(&steward_testkit::sales_orders()).await;
    app.publish(&named(contract("returns", "1.0.0", Some(RTL_PURPOSE)), "Sales returns")).await;
    app.publish(&named(contract("notes", "1.0.0", Some(NOTES_PURPOSE)), "Sales notes")).await;
    app.publish(&named(wide(), "Sales wide events")).await;
    let legacy =
        named(contract("legacy", "1.0.0", Some("The old order export, kept until consumers moved.")), "Legacy orders")
            .replace("status: active", "status: deprecated")
            .replacen(
                "\ncustomProperties:\n",
                "\ncustomProperties:\n  - property: successor\n    value: sales.orders\n",
                1,
            );
    app.publish(&legacy).await;
    let breaking = app.submit(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;
    let new_product = app
        .submit(&named(
            contract("leads", "1.0.0", Some("Sales leads from the web shop's contact form.")),
            "Sales leads",
        ))
        .await;

    // carla: granted (30 days) and subscribed by e-mail on sales.orders.
    let uri = "/api/v1/products/sales.orders/access-requests";
    let why = json!({"account": "123456789012", "justification": "Revenue dashboards.", "duration_days": 30});
    let (s, r) = app.api("POST", uri, &app.consumer, why).await;
    assert!(s.is_success(), "{r}");
    let (s, g) =
        app.api("POST", &format!("/api/v1/access-requests/{}/approve", r["id"]), &app.reviewer, json!({})).await;
    assert!(s.is_success(), "{g}");
    let sub = json!({"account": "123456789012", "channel": "email", "target": "carla@example.com"});
    let (s, b) = app.api("POST", "/api/v1/products/sales.orders/subscriptions", &app.consumer, sub).await;
    assert!(s.is_success(), "{b}");

    // dana: a pending request on sales.returns.
    let admin = app.admin_token();
    let root = app.principal(&admin).await;
    let dana =
        app.service.create_token(&root, "dana", None, Role::Consumer, vec!["210987654321".into()]).await.unwrap().token;
    let why = json!({"account": "210987654321", "justification": "Weekly churn model for the retention team."});
    let (s, pending) = app.api("POST", "/api/v1/products/sales.returns/access-requests", &dana, why).await;
    assert!(s.is_success(), "{pending}");

    Seeded {
        breaking,
        new_product,
        grant: g["id"].as_i64().expect("a grant id"),
        pending_request: pending["id"].as_i64().unwrap(),
        dana,
        admin,
    }
}
