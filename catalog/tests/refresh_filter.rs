//! `GET /products/{key}/refreshes?table=`: only that table's refreshes, newest
//! first, on SQLite and PostgreSQL; a name the product has no table of gives
//! an empty list.

mod common;

use axum::http::StatusCode;
use common::{TestApp, each_db};
use serde_json::{Value, json};

const REFRESHES: &str = "/api/v1/products/sales.orders/refreshes";

/// The `(table, partition)` of each listed refresh, in the order listed.
async fn listed(app: &TestApp, query: &str) -> Vec<(String, String)> {
    let (s, list) = app.call("GET", &format!("{REFRESHES}{query}"), Some(&app.consumer), None).await;
    assert_eq!(s, StatusCode::OK, "{query}: {list}");
    let items = list.as_array().unwrap_or_else(|| panic!("{query}: not a list: {list}"));
    items.iter().map(|r| (text(&r["table"]), text(&r["partition"]))).collect()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_owned()
}

fn pair(table: &str, partition: &str) -> (String, String) {
    (table.to_owned(), partition.to_owned())
}

#[tokio::test]
async fn refreshes_are_filtered_by_table() {
    each_db(|app| async move {
        // sales.orders has two tables, order_lines and daily_revenue, both by dt.
        app.publish(&steward_testkit::sales_orders()).await;
        let reports = [("order_lines", "2026-11-20"), ("daily_revenue", "2026-11-20"), ("order_lines", "2026-11-21")];
        for (table, dt) in reports {
            let body = json!({"table": table, "partition": {"dt": dt}, "idempotency_key": format!("{table}-{dt}")});
            let (s, out) = app.json("POST", REFRESHES, &app.producer, body).await;
            assert_eq!(s, StatusCode::CREATED, "{out}");
        }

        let all = vec![
            pair("order_lines", "dt=2026-11-21"),
            pair("daily_revenue", "dt=2026-11-20"),
            pair("order_lines", "dt=2026-11-20"),
        ];
        assert_eq!(listed(&app, "").await, all);
        assert_eq!(
            listed(&app, "?table=order_lines").await,
            [pair("order_lines", "dt=2026-11-21"), pair("order_lines", "dt=2026-11-20")]
        );
        assert_eq!(listed(&app, "?table=daily_revenue").await, [pair("daily_revenue", "dt=2026-11-20")]);
        assert_eq!(listed(&app, "?table=order_lines&limit=1").await, [pair("order_lines", "dt=2026-11-21")]);
        assert_eq!(listed(&app, "?table=orders").await, Vec::<(String, String)>::new());
        // The filter is the exact table name.
        assert_eq!(listed(&app, "?table=ORDER_LINES").await, Vec::<(String, String)>::new());

        // Without a table (the portal's call) every table's refreshes are listed.
        let unfiltered = app.service.refreshes("sales.orders", None, 10).await.unwrap();
        assert_eq!(unfiltered.iter().map(|r| pair(&r.table, &r.partition)).collect::<Vec<_>>(), all);
    })
    .await;
}
