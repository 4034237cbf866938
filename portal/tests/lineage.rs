//! The product page's "Lineage" section: empty until OpenLineage events
//! name the product's tables; then the upstream and downstream lists (the
//! content) and an SVG that repeats them, hidden from screen readers.

mod common;

use axum::http::StatusCode;
use common::Portal;
use serde_json::json;

fn section<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {body}"));
    let rest = &body[at..];
    &rest[..rest[1..].find("<section").map_or(rest.len(), |e| e + 1)]
}

#[tokio::test]
async fn the_product_page_lists_upstream_and_downstream_from_lineage_events() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let carla = app.sign_in(&app.consumer).await;
    let page = app.get("/products/sales.orders", Some(&carla)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(section(&page.body, "lineage").contains("No lineage known yet"), "{}", page.body);

    let event = json!({
        "eventType": "START", "eventTime": "2026-11-21T05:00:00Z",
        "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/client/python",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": "0176a8c2-fe01-7439-87e6-56a1a1b4029f"},
        "job": {"namespace": "airflow", "name": "orders.load"},
        "inputs": [{"namespace": "s3://raw", "name": "orders"}],
        "outputs": [{"namespace": "s3://steward-sales", "name": "orders/order_lines"}],
    });
    let paul = app.principal(&app.producer).await;
    let out = app.service.ingest_lineage(&paul, event.to_string().into_bytes()).await.unwrap();
    assert_eq!(out.lineage_edges, 1);
    let page = app.get("/products/sales.orders", Some(&carla)).await;
    let lineage = section(&page.body, "lineage");
    assert!(lineage.contains("<h3>Upstream</h3>") && lineage.contains("s3://raw/orders"), "{lineage}");
    assert!(lineage.contains("(external dataset)"), "{lineage}");
    assert!(lineage.contains("aria-hidden=\"true\""), "the SVG repeats the lists: {lineage}");
    assert!(!lineage.contains("<script"), "{lineage}");
}
