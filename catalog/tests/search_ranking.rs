//! Search that finds ([M9]), on SQLite and PostgreSQL through the API: an
//! exact key or name first, plurals folded, matching columns shown,
//! case-insensitive multi-select facets with counts, "you have access" for
//! the caller's own accounts only, SLO health and the badges.

mod common;

use axum::http::StatusCode;
use common::{TestApp, each_db};
use serde_json::Value;
use steward_catalog::auth::Role;

/// A small contract: one table of plain string columns.
fn contract(key: &str, name: &str, tags: &str, purpose: &str, status: &str, columns: &[&str]) -> String {
    let (domain, product) = key.split_once('.').unwrap();
    let mut yaml = format!(
        "apiVersion: v3.1.0\nkind: DataContract\nid: {key}\nname: {name}\nversion: 1.0.0\nstatus: {status}\n\
         domain: {domain}\ndataProduct: {product}\ndescription:\n  purpose: {purpose}\ntags: [{tags}]\n\
         team:\n  name: {domain}-data\nsupport:\n  - {{channel: {domain}-data@example.com, tool: email}}\n\
         servers:\n  - {{server: production, type: s3, location: 's3://steward-{domain}/{product}/', format: parquet}}\n\
         schema:\n  - name: {product}\n    physicalType: table\n    description: The rows.\n    properties:\n"
    );
    for c in columns {
        yaml.push_str(&format!(
            "      - {{name: {c}, logicalType: string, physicalType: varchar(64), description: A value., classification: internal}}\n"
        ));
    }
    yaml.push_str("slaProperties:\n  - {property: frequency, value: daily, scheduler: cron, schedule: '0 6 * * *'}\n");
    yaml
}

/// Submits as the admin (who produces for every domain) and approves.
async fn publish(app: &TestApp, yaml: &str) {
    let (s, body) = app.submit(&app.admin, yaml).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app.approve(&app.reviewer, body["id"].as_i64().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

/// The catalog of these tests:
/// * `sales.orders`: the example (name "Sales orders", tags orders, revenue; `customer_email`, `order_id`, ...);
/// * `sales.order_archive`: named "Orders", tag `Archive`;
/// * `marketing.campaign_orders`: tags `Orders` (capital) and `campaigns`;
/// * `hr.people`: employee categories and contracts, nothing about orders;
/// * `finance.ledger`: deprecated.
async fn catalog(app: &TestApp) {
    publish(app, &steward_testkit::sales_orders()).await;
    let c = contract;
    publish(
        app,
        &c("sales.order_archive", "Orders", "Archive", "Closed lines after a year.", "active", &["archived_at"]),
    )
    .await;
    let campaigns = "Attributed to each campaign.";
    publish(
        app,
        &c("marketing.campaign_orders", "Campaign results", "Orders, campaigns", campaigns, "active", &["spend"]),
    )
    .await;
    let people = "Employee categories and contracts.";
    publish(app, &c("hr.people", "People", "hr", people, "active", &["employee_id", "grade"])).await;
    publish(app, &c("finance.ledger", "Ledger", "money", "The general ledger.", "deprecated", &["entry_id"])).await;
}

async fn search(app: &TestApp, token: &str, query: &str) -> Value {
    let (s, body) = app.call("GET", &format!("/api/v1/products?{query}"), Some(token), None).await;
    assert_eq!(s, StatusCode::OK, "{query}: {body}");
    body
}

fn keys(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap().to_owned()).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn hit<'a>(page: &'a Value, key: &str) -> &'a Value {
    page["items"].as_array().unwrap().iter().find(|i| i["key"] == key).unwrap_or_else(|| panic!("{key} in {page}"))
}

/// `(value, count, selected)` of one facet.
fn facet(page: &Value, name: &str) -> Vec<(String, i64, bool)> {
    let mut out: Vec<(String, i64, bool)> = page["facets"][name]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["value"].as_str().unwrap().to_lowercase(), f["count"].as_i64().unwrap(), f["selected"] == true))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn exact_key_and_exact_name_rank_first() {
    each_db(|app| async move {
        catalog(&app).await;
        // `sales orders` as words: the short name "Orders" scores higher, yet the key wins.
        let page = search(&app, &app.reviewer, "q=sales.orders").await;
        assert_eq!(keys(&page)[0], "sales.orders", "{page}");
        assert!(keys(&page).contains(&"sales.order_archive".to_owned()), "the other matches follow: {page}");
        // The exact name, in any case, before products that say "orders" more often.
        let page = search(&app, &app.reviewer, "q=ORDERS").await;
        assert_eq!(keys(&page)[0], "sales.order_archive", "{page}");
        assert_eq!(page["total"], 3, "{page}");
        // Paging past the exact hit neither repeats nor loses a product.
        let first = search(&app, &app.reviewer, "q=orders&limit=1").await;
        let rest = search(&app, &app.reviewer, "q=orders&limit=2&offset=1").await;
        assert_eq!(keys(&first), ["sales.order_archive"]);
        let mut all = keys(&first);
        all.extend(keys(&rest));
        assert_eq!(sorted(all), ["marketing.campaign_orders", "sales.order_archive", "sales.orders"]);
        // An exact key outside the filters is not shown.
        let page = search(&app, &app.reviewer, "q=sales.orders&domain=marketing").await;
        assert!(!keys(&page).contains(&"sales.orders".to_owned()), "{page}");
    })
    .await;
}

#[tokio::test]
async fn singular_and_plural_find_the_same_products() {
    each_db(|app| async move {
        catalog(&app).await;
        let tok = &app.reviewer;
        let order = sorted(keys(&search(&app, tok, "q=order").await));
        let orders = sorted(keys(&search(&app, tok, "q=orders").await));
        assert_eq!(order, orders);
        assert_eq!(order, ["marketing.campaign_orders", "sales.order_archive", "sales.orders"]);
        // Not only the last word (which may be a prefix): a whole word folds too.
        let a = sorted(keys(&search(&app, tok, "q=orders+campaign").await));
        let b = sorted(keys(&search(&app, tok, "q=order+campaigns+result").await));
        assert_eq!(a, ["marketing.campaign_orders"]);
        assert_eq!(a, b);
        // -ies / -y, in descriptions and column names.
        let a = keys(&search(&app, tok, "q=category").await);
        let b = keys(&search(&app, tok, "q=categories").await);
        assert_eq!((a.clone(), b), (vec!["hr.people".to_owned()], vec!["hr.people".to_owned()]));
        let a = keys(&search(&app, tok, "q=employee+category+contract").await);
        assert_eq!(a, ["hr.people"]);
        // Folding undoes plurals only: no stemming of other endings.
        assert!(keys(&search(&app, tok, "q=ordering+sales").await).is_empty());
    })
    .await;
}

/// The last word is a prefix still being typed. Both databases expand it to
/// the exact words of the catalog's vocabulary (kept on publish), falling
/// back to a prefix match where the vocabulary has words outside plain
/// ASCII; either way the same products are found.
#[tokio::test]
async fn prefixes_find_words_published_later_and_in_other_scripts() {
    each_db(|app| async move {
        catalog(&app).await;
        let tok = &app.reviewer;
        assert_eq!(keys(&search(&app, tok, "q=campa").await), ["marketing.campaign_orders"]);
        assert!(keys(&search(&app, tok, "q=zebr").await).is_empty());
        let c = contract;
        let purpose = "Sightings per café and straße.";
        publish(&app, &c("zoo.stripes", "Stripes", "Zebra, zebra", purpose, "active", &["zebra_count"])).await;
        // A word published after the first searches is found by its prefix
        // (the vocabulary grew with the publish) and whole.
        assert_eq!(keys(&search(&app, tok, "q=zebr").await), ["zoo.stripes"]);
        assert_eq!(keys(&search(&app, tok, "q=zebra_c").await), ["zoo.stripes"]);
        // Non-ASCII words: the prefix form stays, and finds them.
        assert_eq!(keys(&search(&app, tok, "q=caf").await), ["zoo.stripes"]);
        assert_eq!(keys(&search(&app, tok, "q=sightings+stra").await), ["zoo.stripes"]);
        // A tag written twice in different case is one tag, counted once,
        // and the filter finds it in any case, with words or without.
        let page = search(&app, tok, "q=sightings").await;
        assert_eq!(facet(&page, "tags"), [("zebra".into(), 1, false)], "{page}");
        assert_eq!(keys(&search(&app, tok, "q=sightings&tag=ZEBRA").await), ["zoo.stripes"]);
        assert_eq!(keys(&search(&app, tok, "tag=zEbRa").await), ["zoo.stripes"]);
        // A prefix nothing in the catalog starts matches nothing (no error).
        let page = search(&app, tok, "q=qqqq").await;
        assert_eq!(page["total"], 0, "{page}");
    })
    .await;
}

#[tokio::test]
async fn matching_columns_are_named() {
    each_db(|app| async move {
        catalog(&app).await;
        let tok = &app.reviewer;
        let page = search(&app, tok, "q=customer_email").await;
        assert_eq!(hit(&page, "sales.orders")["matched_columns"], serde_json::json!(["customer_email"]), "{page}");
        // A plural finds the singular column word.
        let page = search(&app, tok, "q=emails").await;
        assert_eq!(hit(&page, "sales.orders")["matched_columns"], serde_json::json!(["customer_email"]), "{page}");
        // Most words matched first; only columns that match.
        let page = search(&app, tok, "q=order+ids").await;
        let cols = hit(&page, "sales.orders")["matched_columns"].clone();
        assert_eq!(cols[0], "order_id", "{page}");
        assert!(!cols.as_array().unwrap().iter().any(|c| c == "sku"), "{page}");
        // A product found by its description names no column.
        let page = search(&app, tok, "q=categories").await;
        assert_eq!(hit(&page, "hr.people")["matched_columns"], serde_json::json!([]), "no column says category");
        // Without words there is nothing to match.
        let page = search(&app, tok, "domain=sales").await;
        assert_eq!(hit(&page, "sales.orders")["matched_columns"], serde_json::json!([]));
        // A new version's columns replace the old ones (the narrow row of
        // column names is rewritten on publish).
        let page = search(&app, tok, "q=grade").await;
        assert_eq!(hit(&page, "hr.people")["matched_columns"], serde_json::json!(["grade"]), "{page}");
        let columns = ["employee_id", "grade", "grade_band"];
        let people = contract("hr.people", "People", "hr", "Employee categories and contracts.", "active", &columns)
            .replace("version: 1.0.0", "version: 1.1.0");
        publish(&app, &people).await;
        let page = search(&app, tok, "q=grade").await;
        assert_eq!(hit(&page, "hr.people")["matched_columns"], serde_json::json!(["grade", "grade_band"]), "{page}");
    })
    .await;
}

#[tokio::test]
async fn facets_are_case_insensitive_multi_select_with_counts() {
    each_db(|app| async move {
        catalog(&app).await;
        let tok = &app.reviewer;
        // `orders` and `Orders` are one tag; the facet counts both products.
        let page = search(&app, tok, "q=order").await;
        let tags = facet(&page, "tags");
        assert!(tags.contains(&("orders".into(), 2, false)), "{tags:?}");
        assert!(tags.contains(&("archive".into(), 1, false)), "{tags:?}");
        assert_eq!(facet(&page, "domains"), [("marketing".into(), 1, false), ("sales".into(), 2, false)], "{page}");
        assert_eq!(page["facets"]["capped"], false);
        // Filtering by the tag in another case keeps both.
        let page = search(&app, tok, "q=order&tag=ORDERS").await;
        assert_eq!(sorted(keys(&page)), ["marketing.campaign_orders", "sales.orders"]);
        assert!(facet(&page, "tags").contains(&("orders".into(), 2, true)), "{page}");
        // Multi-select: two tags are either one; repeated or comma-separated.
        let a = sorted(keys(&search(&app, tok, "q=order&tag=archive&tag=revenue").await));
        let b = sorted(keys(&search(&app, tok, "q=order&tag=archive,Revenue").await));
        assert_eq!(a, ["sales.order_archive", "sales.orders"]);
        assert_eq!(a, b);
        // A selected domain still lists the others with their counts (to add
        // them), and the tag facet counts what the domain filter leaves.
        let page = search(&app, tok, "q=order&domain=SALES").await;
        assert_eq!(sorted(keys(&page)), ["sales.order_archive", "sales.orders"]);
        assert_eq!(facet(&page, "domains"), [("marketing".into(), 1, false), ("sales".into(), 2, true)], "{page}");
        assert!(facet(&page, "tags").contains(&("orders".into(), 1, false)), "{page}");
        let page = search(&app, tok, "q=order&domain=sales&domain=Marketing").await;
        assert_eq!(page["total"], 3);
        // Without words: every product, facets over all of them.
        let page = search(&app, tok, "").await;
        assert_eq!(page["total"], 5);
        let domains = facet(&page, "domains");
        assert_eq!(domains.len(), 4, "{domains:?}");
        assert!(domains.contains(&("sales".into(), 2, false)));
        // A selected value nothing matches is listed with 0, to be unselected.
        let page = search(&app, tok, "q=order&domain=nowhere").await;
        assert!(facet(&page, "domains").contains(&("nowhere".into(), 0, true)), "{page}");
        assert_eq!(page["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn you_have_access_only_for_your_own_accounts() {
    each_db(|app| async move {
        catalog(&app).await;
        app.grant_consumer().await; // account 123456789012 on sales.orders
        let root = app.principal(&app.admin).await;
        let other = app
            .service
            .create_token(&root, "otto", None, Role::Consumer, vec!["210987654321".into()])
            .await
            .unwrap()
            .token;
        let mine = search(&app, &app.consumer, "q=order").await;
        assert_eq!(hit(&mine, "sales.orders")["has_access"], true, "{mine}");
        assert_eq!(hit(&mine, "sales.order_archive")["has_access"], false);
        assert_eq!(hit(&mine, "marketing.campaign_orders")["has_access"], false);
        for token in [&other, &app.reviewer, &app.admin, &app.producer] {
            let page = search(&app, token, "q=order").await;
            assert!(page["items"].as_array().unwrap().iter().all(|i| i["has_access"] == false), "{page}");
            // Nothing about the grant's account reaches anyone else.
            assert!(!page.to_string().contains("123456789012"), "{page}");
        }
        // A revoked grant is no access.
        let mut sql = app.sql().await;
        sqlx::query("UPDATE grants SET status = 'revoked' WHERE product_key = 'sales.orders'")
            .execute(&mut sql)
            .await
            .unwrap();
        let mine = search(&app, &app.consumer, "q=sales.orders").await;
        assert_eq!(hit(&mine, "sales.orders")["has_access"], false);
    })
    .await;
}

#[tokio::test]
async fn slo_health_and_badges_are_marked() {
    each_db(|app| async move {
        catalog(&app).await;
        // A breaking change waiting for review.
        let (s, body) = app.submit(&app.producer, &steward_testkit::sales_orders_without_quantity("2.0.0")).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        // SLO states as the monitor keeps them: an open breach, a late last
        // delivery, a met one; `hr.people` has none judged.
        let mut sql = app.sql().await;
        sqlx::query("DELETE FROM slo_state").execute(&mut sql).await.unwrap();
        let state = |breach: &str| {
            format!(
                r#"{{"settled_through":"2026-11-30T05:00:00Z","window_start":null,"credited":null,"missed_through":null,"breach":{breach}}}"#
            )
        };
        for (key, breach, tick) in [
            ("sales.orders", r#"{"since":"2026-11-29T05:00:00Z","missed_ticks":2}"#, "missed"),
            ("sales.order_archive", "null", "late"),
            ("marketing.campaign_orders", "null", "met"),
        ] {
            sqlx::query(
                "INSERT INTO slo_state (product_key, spec_index, version, schedule, state, updated_at, next_deadline)
                 VALUES ($1, 0, '1.0.0', 's', $2, '2026-11-30T05:00:00.000000Z', '9999-12-31T00:00:00.000000Z')",
            )
            .bind(key)
            .bind(state(breach))
            .execute(&mut sql)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO slo_ticks (product_key, spec_index, table_name, due, deadline, status, refresh_at)
                 VALUES ($1, 0, NULL, '2026-11-30T05:00:00.000000Z', '2026-11-30T05:30:00.000000Z', $2, NULL)",
            )
            .bind(key)
            .bind(tick)
            .execute(&mut sql)
            .await
            .unwrap();
        }
        let page = search(&app, &app.reviewer, "q=order").await;
        assert_eq!(hit(&page, "sales.orders")["slo_health"], "breached", "{page}");
        assert_eq!(hit(&page, "sales.order_archive")["slo_health"], "late");
        assert_eq!(hit(&page, "marketing.campaign_orders")["slo_health"], "on_time");
        assert_eq!(hit(&page, "sales.orders")["breaking_change_pending"], true);
        assert_eq!(hit(&page, "sales.order_archive")["breaking_change_pending"], false);
        let page = search(&app, &app.reviewer, "q=people").await;
        assert_eq!(hit(&page, "hr.people")["slo_health"], "unknown");
        let page = search(&app, &app.reviewer, "q=ledger").await;
        assert_eq!(hit(&page, "finance.ledger")["status"], "deprecated", "{page}");
        // An entry whose deadline has passed unjudged is late.
        sqlx::query("UPDATE slo_state SET next_deadline = '2026-01-01T00:00:00.000000Z' WHERE product_key = $1")
            .bind("marketing.campaign_orders")
            .execute(&mut sql)
            .await
            .unwrap();
        let page = search(&app, &app.reviewer, "q=campaign").await;
        assert_eq!(hit(&page, "marketing.campaign_orders")["slo_health"], "late");
    })
    .await;
}
