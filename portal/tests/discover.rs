//! The discovery page ([M9] "search that finds"): facets as multi-select
//! checkboxes with counts, domain/tag/owner links to the filtered search,
//! matching columns, SLO health, "you have access" and the badges, all of it
//! escaped.

mod common;

use axum::http::StatusCode;
use common::{Portal, contract};
use steward_catalog::service::access::AccessRequestInput;

/// `sales.<product>` with its tags replaced.
fn tagged(product: &str, tags: &str) -> String {
    let yaml = contract(product, "1.0.0", None);
    assert!(yaml.contains("tags: [orders, revenue]"), "example changed; update the fixture");
    yaml.replace("tags: [orders, revenue]", &format!("tags: [{tags}]"))
}

#[tokio::test]
async fn facets_links_and_marks_render_escaped() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    // A tag and a purpose that would be markup if not escaped.
    let hostile = contract("returns", "1.0.0", Some("Returned <script>alert(1)</script> lines & more"))
        .replace("tags: [orders, revenue]", "tags: [\"R&D <b>\", Orders]");
    app.publish(&hostile).await;
    app.publish(&tagged("order_stats", "stats")).await;

    // The consumer's account gets a grant on sales.orders.
    let carla = app.principal(&app.consumer).await;
    let input =
        AccessRequestInput { account: "123456789012".into(), justification: "dashboards".into(), duration_days: None };
    let request = app.service.request_access(&carla, "sales.orders", &input).await.unwrap();
    let rita = app.principal(&app.reviewer).await;
    app.service.approve_access(&rita, request.id, Some("ok")).await.unwrap();
    // A breaking change to sales.orders waits for review.
    app.submit(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;

    let session = app.sign_in(&app.consumer).await;
    let page = app.get("/?q=order", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    assert!(body.contains("Showing 1–3 of 3 products"), "{body}");
    // Facets: one checkbox per value with its count; `orders` and `Orders` are one tag.
    assert!(body.contains(r#"<input type="checkbox" name="domain" value="sales">"#), "{body}");
    assert!(body.contains("sales <span class=\"n\">(3)</span>"), "{body}");
    assert!(body.contains("<span class=\"n\">(2)</span>"), "the orders tag counts two products: {body}");
    assert!(body.contains(r#"value="R&amp;D &lt;b&gt;""#), "{body}");
    // Links to the filtered search, encoded.
    assert!(body.contains(r#"href="/?domain=sales""#));
    assert!(body.contains(r#"href="/?owner=sales-data""#));
    assert!(body.contains(r#"href="/?tag=R%26D+%3Cb%3E">R&amp;D &lt;b&gt;</a>"#), "{body}");
    // Nothing unescaped.
    assert!(!body.contains("<script>alert") && !body.contains("R&D <b>"), "{body}");
    assert!(body.contains("Returned &lt;script&gt;alert(1)&lt;/script&gt; lines &amp; more"));
    // Marks: access for this consumer, the pending breaking change, SLO health.
    let orders = body.split("<li class=\"result\">").find(|h| h.contains("/products/sales.orders\"")).unwrap();
    assert!(orders.contains("You have access"), "{orders}");
    assert!(orders.contains("Breaking change pending"), "{orders}");
    assert!(orders.contains("SLO unknown"), "{orders}");
    let returns = body.split("<li class=\"result\">").find(|h| h.contains("/products/sales.returns\"")).unwrap();
    assert!(!returns.contains("You have access") && !returns.contains("Breaking change"), "{returns}");

    // Selecting a tag in another case checks its box and keeps the words in the facet form.
    let page = app.get("/?q=order&tag=ORDERS", Some(&session)).await;
    assert!(page.body.contains("Showing 1–2 of 2 products"), "{}", page.body);
    assert!(
        page.body.contains(r#"name="tag" value="orders" checked"#)
            || page.body.contains(r#"name="tag" value="Orders" checked"#)
    );
    assert!(page.body.contains(r#"<input type="hidden" name="q" value="order">"#));
    // Two domains at once (one unknown): the known one's products.
    let page = app.get("/?domain=sales&domain=nowhere", Some(&session)).await;
    assert!(page.body.contains("of 3 products"), "{}", page.body);
    assert!(page.body.contains(r#"name="domain" value="nowhere" checked"#), "{}", page.body);

    // A column name: the hit says which column matched.
    let page = app.get("/?q=customer_email", Some(&session)).await;
    assert!(page.body.contains("Matches column <code>customer_email</code>"), "{}", page.body);

    // The owner link filters by owner.
    let page = app.get("/?owner=SALES-DATA", Some(&session)).await;
    assert!(page.body.contains("of 3 products"), "{}", page.body);
    assert!(page.body.contains(r#"name="owner" value="SALES-DATA" checked"#), "{}", page.body);

    // Another consumer sees no access mark.
    let reviewer = app.sign_in(&app.reviewer).await;
    let page = app.get("/?q=order", Some(&reviewer)).await;
    assert!(!page.body.contains("You have access"));
}
