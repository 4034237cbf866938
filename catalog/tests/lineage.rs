//! OpenLineage in and out, on SQLite and PostgreSQL.
//!
//! Events follow `spec/OpenLineage.json` of the OpenLineage repository
//! (`$defs/RunEvent`: `eventTime`, `producer`, `schemaURL` required by
//! `$defs/BaseEvent`; `run.runId` a UUID by `$defs/Run`; `job.namespace`
//! and `job.name` by `$defs/Job`), dataset names the naming conventions
//! (`website/docs/spec/naming.md`: S3 `s3://{bucket}` + object key, local
//! files `file` + path), partitions the `subset` output facet
//! (`spec/facets/BaseSubsetDatasetFacet.json`, `PartitionSubsetCondition`).
//! The events Steward sends are validated against the vendored schemas
//! (`steward_testkit::openlineage`).

mod common;

use axum::http::StatusCode;
use common::{TestApp, each_db};
use serde_json::{Value, json};
use steward_catalog::auth::Role;
use steward_catalog::config::OpenLineageSettings;
use steward_catalog::server::LineageEmitter;
use steward_catalog::service::BackendChoices;
use steward_testkit::openlineage::{Receiver, assert_valid_run_event};

const RUN: &str = "0176a8c2-fe01-7439-87e6-56a1a1b4029f";

/// A run event as Airflow's OpenLineage provider sends one (the shape of
/// the spec's examples), with the given type, run, inputs and outputs.
fn event(event_type: &str, run: &str, inputs: Value, outputs: Value) -> Value {
    json!({
        "eventType": event_type,
        "eventTime": "2026-11-21T05:12:44.123456+00:00",
        "producer": "https://github.com/apache/airflow/tree/providers-openlineage/2.3.0",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run, "facets": {"nominalTime": {
            "_producer": "https://github.com/apache/airflow/tree/providers-openlineage/2.3.0",
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
            "nominalStartTime": "2026-11-21T05:00:00Z"}}},
        "job": {"namespace": "airflow-prod", "name": "sales_etl.load_order_lines", "facets": {"sql": {
            "_producer": "https://github.com/apache/airflow", "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json",
            "query": "INSERT INTO order_lines\n\tSELECT * FROM staging"}}},
        "inputs": inputs,
        "outputs": outputs,
    })
}

fn ds(namespace: &str, name: &str) -> Value {
    json!({"namespace": namespace, "name": name})
}

/// `sales.orders` `order_lines` with the `subset` partition facet and a row count.
fn order_lines_with_facet(dt: &str) -> Value {
    json!({"namespace": "s3://steward-sales", "name": "orders/order_lines", "outputFacets": {
        "subset": {"_producer": "https://x", "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/BaseSubsetDatasetFacet.json",
                   "outputCondition": {"type": "partition", "partitions": [{"dimensions": {"dt": dt}}]}},
        "outputStatistics": {"_producer": "https://x", "_schemaURL": "https://y", "rowCount": 1234}}})
}

async fn post(app: &TestApp, token: &str, body: &Value) -> (StatusCode, Value) {
    app.json("POST", "/api/v1/lineage", token, body.clone()).await
}

async fn refreshes(app: &TestApp, key: &str) -> Vec<Value> {
    let (s, list) = app.call("GET", &format!("/api/v1/products/{key}/refreshes"), Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

/// Publishes the marketing example (a local lake location) with a marketing producer.
async fn publish_marketing(app: &TestApp) -> String {
    let root = app.principal(&app.admin).await;
    let mia = app.service.create_token(&root, "mia", None, Role::Producer, vec!["marketing".into()]).await.unwrap();
    let yaml =
        std::fs::read_to_string(steward_testkit::repo_root().join("examples/marketing-campaigns.odcs.yaml")).unwrap();
    let (s, body) = app.submit(&mia.token, &yaml).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let (s, body) = app.approve(&app.reviewer, body["id"].as_i64().unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    mia.token
}

#[tokio::test]
async fn a_complete_event_is_a_refresh_once_per_run_with_its_marker_in_the_lake() {
    for backend in common::backends().await {
        let app = TestApp::builder(backend).knows_data_dir().start().await;
        let mia = publish_marketing(&app).await;
        // An absolute path under the data dir, partition in the path (`hour=...`).
        let dir = app.dir.path().join("lake/marketing/campaign_stats/hourly_clicks");
        let name = format!("{}/hour=2026-11-21T06:00:00Z", dir.display());
        let ev = event("COMPLETE", RUN, json!([ds("s3://raw", "clicks")]), json!([ds("file", &name)]));
        let (s, first) = post(&app, &mia, &ev).await;
        assert_eq!(s, StatusCode::OK, "{first}");
        let rec = &first["recorded_refreshes"][0];
        assert_eq!(rec["product"], "marketing.campaign_stats", "{first}");
        assert_eq!(rec["partition"], "hour=2026-11-21T06:00:00Z");
        assert_eq!(rec["replayed"], false);
        assert_eq!(first["lineage_edges"], 1);
        // The same run again (a client retry): recorded once.
        let (s, again) = post(&app, &mia, &ev).await;
        assert_eq!(s, StatusCode::OK, "{again}");
        assert_eq!(again["recorded_refreshes"][0]["replayed"], true, "{again}");
        assert_eq!(again["recorded_refreshes"][0]["refresh_id"], rec["refresh_id"]);
        let list = refreshes(&app, "marketing.campaign_stats").await;
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0]["idempotency_key"], format!("openlineage:{RUN}:hourly_clicks:hour=2026-11-21T06:00:00Z"));
        assert_eq!(list[0]["reported_by"], "mia");
        // The marker follows as for any refresh.
        app.worker(None).drain().await.unwrap();
        let marker = dir.join("hour=2026-11-21T06:00:00Z/_SUCCESS");
        assert!(marker.is_file(), "{} missing on {backend}", marker.display());
        assert_eq!(std::fs::metadata(&marker).unwrap().len(), 0);
    }
}

#[tokio::test]
async fn partitions_come_from_the_subset_facet_and_row_counts_from_output_statistics() {
    each_db(|app: TestApp| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let ev = event("COMPLETE", RUN, json!([]), json!([order_lines_with_facet("2026-11-21")]));
        let (s, out) = post(&app, &app.producer, &ev).await;
        assert_eq!(s, StatusCode::OK, "{out}");
        assert_eq!(
            out["recorded_refreshes"][0]["marker"],
            "s3://steward-sales/orders/order_lines/dt=2026-11-21/_SUCCESS"
        );
        let list = refreshes(&app, "sales.orders").await;
        assert_eq!((list[0]["partition"].as_str(), list[0]["row_count"].as_i64()), (Some("dt=2026-11-21"), Some(1234)));
        // The S3 marker, written by the local stand-in under `<dir>/objects`.
        app.worker(None).drain().await.unwrap();
        assert!(app.dir.path().join("objects/steward-sales/orders/order_lines/dt=2026-11-21/_SUCCESS").is_file());
        // A partition key the table does not have: valid event, nothing recorded, and the answer says why.
        let bad = event(
            "COMPLETE",
            "0176a8c2-fe01-7439-87e6-56a1a1b40300",
            json!([]),
            json!([ds("s3://steward-sales", "orders/order_lines/region=eu")]),
        );
        let (s, out) = post(&app, &app.producer, &bad).await;
        assert_eq!(s, StatusCode::OK, "{out}");
        assert_eq!(out["recorded_refreshes"], json!([]));
        assert!(out["ignored"][0]["reason"].as_str().unwrap().contains("region"), "{out}");
    })
    .await;
}

#[tokio::test]
async fn other_event_types_store_edges_and_record_no_refresh() {
    each_db(|app: TestApp| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        for (i, t) in ["START", "RUNNING", "FAIL", "ABORT", "OTHER"].iter().enumerate() {
            let run = format!("0176a8c2-fe01-7439-87e6-56a1a1b4020{i}");
            let ev = event(t, &run, json!([ds("s3://raw", "orders")]), json!([order_lines_with_facet("2026-11-21")]));
            let (s, out) = post(&app, &app.producer, &ev).await;
            assert_eq!(s, StatusCode::OK, "{t}: {out}");
            assert_eq!((out["recorded_refreshes"].clone(), out["lineage_edges"].clone()), (json!([]), json!(1)), "{t}");
            assert_eq!(out["event_type"], *t);
        }
        // No eventType at all is valid too; an event matching nothing is lineage only.
        let mut ev = event("COMPLETE", RUN, json!([ds("s3://a", "x")]), json!([ds("s3://b", "y")]));
        ev.as_object_mut().unwrap().remove("eventType");
        let (s, out) = post(&app, &app.consumer, &ev).await;
        assert_eq!(
            (s, out["lineage_edges"].clone(), out["event_type"].clone()),
            (StatusCode::OK, json!(1), Value::Null)
        );
        assert!(refreshes(&app, "sales.orders").await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn an_invalid_event_is_a_400_naming_the_field() {
    each_db(|app: TestApp| async move {
        let good = event("COMPLETE", RUN, json!([]), json!([ds("s3://b", "k")]));
        let cases: Vec<(&str, Option<Value>, &str)> = vec![
            ("/eventTime", None, "`eventTime` (/eventTime)"),
            ("/eventTime", Some(json!("yesterday")), "`eventTime` (/eventTime)"),
            ("/producer", None, "`producer` (/producer)"),
            ("/schemaURL", None, "`schemaURL` (/schemaURL)"),
            ("/run/runId", None, "`run.runId` (/run/runId): is required"),
            ("/run/runId", Some(json!("run-1")), "`run.runId` (/run/runId)"),
            ("/job/namespace", None, "`job.namespace` (/job/namespace)"),
            ("/job/name", Some(json!(7)), "`job.name` (/job/name): must be a string"),
            ("/eventType", Some(json!("DONE")), "`eventType` (/eventType)"),
            ("/outputs/0/name", None, "`outputs[0].name` (/outputs/0/name)"),
            ("/outputs/0/name", Some(json!("k\u{0}")), "`outputs[0].name` (/outputs/0/name)"),
        ];
        for (pointer, value, expect) in cases {
            let mut ev = good.clone();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let obj = ev.pointer_mut(parent).unwrap().as_object_mut().unwrap();
            match value {
                Some(v) => obj.insert(key.to_owned(), v),
                None => obj.remove(key),
            };
            let (s, body) = post(&app, &app.producer, &ev).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{pointer}: {body}");
            assert!(body["message"].as_str().unwrap().contains(expect), "{pointer}: {body}");
        }
        let (s, body) =
            app.call("POST", "/api/v1/lineage", Some(&app.producer), Some(("application/json", "{".into()))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        // Deep nesting is refused by the parser's depth limit, not the stack.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let (s, _) = app.call("POST", "/api/v1/lineage", Some(&app.producer), Some(("application/json", deep))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) =
            app.call("POST", "/api/v1/lineage", Some(&app.producer), Some(("text/plain", good.to_string()))).await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let big = json!({"pad": "x".repeat(3 * 1024 * 1024)});
        let (s, _) = post(&app, &app.producer, &big).await;
        assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
        let (s, body) = post(&app, &app.reviewer, &good).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
        let (s, _) = app.call("POST", "/api/v1/lineage", None, Some(("application/json", good.to_string()))).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    })
    .await;
}

#[tokio::test]
async fn a_producer_of_another_domain_records_no_refresh_of_the_product() {
    each_db(|app: TestApp| async move {
        app.publish(&steward_testkit::sales_orders()).await;
        let ev =
            event("COMPLETE", RUN, json!([ds("s3://hr", "people")]), json!([order_lines_with_facet("2026-11-21")]));
        let (s, out) = post(&app, &app.hr_producer, &ev).await;
        assert_eq!(s, StatusCode::OK, "{out}");
        assert_eq!(out["recorded_refreshes"], json!([]));
        assert_eq!(out["ignored"][0]["product"], "sales.orders");
        assert!(out["ignored"][0]["reason"].as_str().unwrap().contains("does not produce for domain sales"), "{out}");
        assert!(refreshes(&app, "sales.orders").await.is_empty());
        // A consumer neither.
        let (_, out) = post(&app, &app.consumer, &ev).await;
        assert_eq!(out["recorded_refreshes"], json!([]));
        assert!(refreshes(&app, "sales.orders").await.is_empty());
        // The sales producer's same run is recorded.
        let (_, out) = post(&app, &app.producer, &ev).await;
        assert_eq!(out["recorded_refreshes"].as_array().unwrap().len(), 1, "{out}");
    })
    .await;
}

#[tokio::test]
async fn the_lineage_graph_shows_upstream_and_downstream_products_and_external_datasets() {
    for backend in common::backends().await {
        let app = TestApp::builder(backend).knows_data_dir().start().await;
        // sales.orders, with an explicit mapping of a Hive name to order_lines.
        let yaml = steward_testkit::sales_orders().replace(
            "customProperties:\n",
            "customProperties:\n  - property: openlineage.datasets\n    value:\n      - table: order_lines\n        namespace: hive://metastore:9083\n        name: sales.order_lines\n",
        );
        app.publish(&yaml).await;
        let mia = publish_marketing(&app).await;
        // raw → sales.orders (by its Hive name), sales.orders → marketing (a lake path).
        let ev = event(
            "COMPLETE",
            RUN,
            json!([ds("s3://raw", "orders")]),
            json!([ds("hive://metastore:9083", "sales.order_lines")]),
        );
        let (s, out) = post(&app, &app.producer, &ev).await;
        assert_eq!(s, StatusCode::OK, "{out}");
        assert_eq!(out["ignored"][0]["product"], "sales.orders", "unpartitioned name of a partitioned table: {out}");
        let clicks = "lake/marketing/campaign_stats/hourly_clicks";
        let ev = event(
            "START",
            "0176a8c2-fe01-7439-87e6-56a1a1b40301",
            json!([ds("s3://steward-sales", "orders/order_lines")]),
            json!([ds("file", clicks), ds("s3://exports", "partners")]),
        );
        let (s, _) = post(&app, &mia, &ev).await;
        assert_eq!(s, StatusCode::OK);
        let (s, g) = app.call("GET", "/api/v1/products/sales.orders/lineage", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::OK, "{g}");
        let node = |id: &str| g["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id).cloned();
        assert_eq!(g["nodes"][0]["id"], "product:sales.orders");
        assert_eq!(node("dataset:s3://raw/orders").unwrap()["distance"], -1, "{g}");
        let m = node("product:marketing.campaign_stats").unwrap();
        assert_eq!((m["distance"].clone(), m["kind"].clone()), (json!(1), json!("product")), "{g}");
        assert_eq!(node("dataset:s3://exports/partners").unwrap()["distance"], 1);
        assert!(
            g["edges"].as_array().unwrap().iter().any(|e| e["from"] == "product:sales.orders"
                && e["to"] == "product:marketing.campaign_stats"
                && e["job"] == "airflow-prod/sales_etl.load_order_lines"),
            "{g}"
        );
        // And from the other side, two hops: raw → sales.orders → marketing.
        let (_, g) = app
            .call("GET", "/api/v1/products/marketing.campaign_stats/lineage?depth=2", Some(&app.consumer), None)
            .await;
        let ids: Vec<(&str, i64)> = g["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["id"].as_str().unwrap(), n["distance"].as_i64().unwrap()))
            .collect();
        assert!(
            ids.contains(&("product:sales.orders", -1)) && ids.contains(&("dataset:s3://raw/orders", -2)),
            "{ids:?}"
        );
        let (s, _) = app.call("GET", "/api/v1/products/sales.orders/lineage?depth=9", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = app.call("GET", "/api/v1/products/sales.nothing/lineage", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
}

fn is_uuid(s: &str) -> bool {
    steward_catalog::service::lineage::is_uuid(s)
}

#[tokio::test]
async fn each_refresh_is_sent_out_as_a_start_and_complete_pair_with_the_schema_facet() {
    for backend in common::backends().await {
        let app = TestApp::builder(backend)
            .backends(BackendChoices { openlineage: true, ..Default::default() })
            .start()
            .await;
        app.publish(&steward_testkit::sales_orders()).await;
        let receiver = Receiver::start().await;
        let mut settings = OpenLineageSettings::new(receiver.url());
        settings.api_key = Some("marquez-key".into());
        settings.namespace = "steward-test".into();
        let emitter = LineageEmitter::new(&settings, None, None).unwrap();
        let body =
            json!({"table": "order_lines", "partition": {"dt": "2026-11-21"}, "idempotency_key": "k1", "row_count": 7});
        let (s, r) = app.json("POST", "/api/v1/products/sales.orders/refreshes", &app.producer, body).await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        app.worker(None).openlineage(Some(emitter)).drain().await.unwrap();
        let events: Vec<(Option<String>, Value)> =
            receiver.events().into_iter().map(|r| (r.authorization, r.event)).collect();
        assert_eq!(events.len(), 2, "{events:?}");
        let types: Vec<&str> = events.iter().map(|(_, e)| e["eventType"].as_str().unwrap()).collect();
        assert_eq!(types, ["START", "COMPLETE"]);
        for (auth, e) in &events {
            assert_eq!(auth.as_deref(), Some("Bearer marquez-key"));
            // The whole event, against spec/OpenLineage.json and each facet's schema.
            assert_valid_run_event(e);
            // spec/OpenLineage.json $defs/BaseEvent: required eventTime, producer, schemaURL.
            assert!(chrono::DateTime::parse_from_rfc3339(e["eventTime"].as_str().unwrap()).is_ok(), "{e}");
            assert!(e["producer"].as_str().unwrap().contains(':'));
            assert!(e["schemaURL"].as_str().unwrap().starts_with("https://openlineage.io/spec/2-0-2/OpenLineage.json"));
            // $defs/Run: runId a UUID; $defs/Job: namespace and name.
            assert!(is_uuid(e["run"]["runId"].as_str().unwrap()), "{e}");
            assert_eq!(e["job"]["namespace"], "steward-test");
            assert_eq!(e["job"]["name"], "sales.orders.order_lines");
            // Naming: S3 namespace s3://{bucket}, name the object key.
            let out = &e["outputs"][0];
            assert_eq!(
                (out["namespace"].as_str(), out["name"].as_str()),
                (Some("s3://steward-sales"), Some("orders/order_lines"))
            );
            // spec/facets/SchemaDatasetFacet.json: fields[] with name (required), type.
            let schema = &out["facets"]["schema"];
            assert!(
                schema["_producer"].is_string()
                    && schema["_schemaURL"].as_str().unwrap().contains("SchemaDatasetFacet.json")
            );
            let fields: Vec<&str> =
                schema["fields"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
            assert_eq!(fields, ["order_id", "line_number", "customer_email", "sku", "quantity", "amount", "dt"]);
            assert_eq!(schema["fields"][0]["type"], "varchar(36)");
        }
        assert_eq!(events[0].1["run"]["runId"], events[1].1["run"]["runId"]);
        let complete = &events[1].1["outputs"][0]["outputFacets"];
        assert_eq!(complete["outputStatistics"]["rowCount"], 7);
        assert_eq!(complete["subset"]["outputCondition"]["partitions"][0]["dimensions"]["dt"], "2026-11-21");
        // Retried (an admin retry of a done job is refused; run it again as a
        // worker that died before recording would): the same run id. This
        // emitter names the Glue table too, so the `symlinks` facet is sent
        // and validated.
        let mut conn = app.sql().await;
        sqlx::query("UPDATE outbox SET status = 'pending', attempts = 0 WHERE kind = 'lineage.emit'")
            .execute(&mut conn)
            .await
            .unwrap();
        let glue = Some("arn:aws:glue:eu-west-1:123456789012".to_owned());
        let emitter = LineageEmitter::new(&settings, glue, None).unwrap();
        app.worker(None).openlineage(Some(emitter)).drain().await.unwrap();
        let events = receiver.events();
        assert_eq!(events.len(), 4);
        assert_eq!(events[3].event["run"]["runId"], events[1].event["run"]["runId"]);
        for r in &events[2..] {
            assert_valid_run_event(&r.event);
            let symlink = &r.event["outputs"][0]["facets"]["symlinks"]["identifiers"][0];
            let name = symlink["name"].as_str().unwrap_or_default();
            assert!(name.starts_with("table/") && name.ends_with("/order_lines"), "{}", r.event);
        }
        // A replayed report sends nothing more.
        let body =
            json!({"table": "order_lines", "partition": {"dt": "2026-11-21"}, "idempotency_key": "k1", "row_count": 7});
        let (s, _) = app.json("POST", "/api/v1/products/sales.orders/refreshes", &app.producer, body).await;
        assert_eq!(s, StatusCode::OK);
        let (_, rows) = app.call("GET", "/api/v1/admin/outbox?status=pending", Some(&app.admin), None).await;
        assert!(rows.as_array().unwrap().iter().all(|r| r["kind"] != "lineage.emit"), "{rows}");
    }
}

/// Ingest throughput beside the refresh API's, same process and database:
/// `cargo test -p steward-catalog --test lineage throughput -- --ignored --nocapture`
/// (in a debug build, compare the two figures, not their size).
#[tokio::test]
#[ignore]
async fn throughput_of_complete_events_beside_the_refresh_api() {
    const N: usize = 300;
    for backend in common::backends().await {
        let app = TestApp::start(backend).await;
        app.publish(&steward_testkit::sales_orders()).await;
        let days: Vec<String> = (0..N)
            .map(|i| (chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(i as u64)).to_string())
            .collect();
        let started = std::time::Instant::now();
        for (i, dt) in days.iter().enumerate() {
            let body = json!({"table": "order_lines", "partition": {"dt": dt}, "idempotency_key": format!("api-{i}")});
            let (s, r) = app.json("POST", "/api/v1/products/sales.orders/refreshes", &app.producer, body).await;
            assert_eq!(s, StatusCode::CREATED, "{r}");
        }
        let api = N as f64 / started.elapsed().as_secs_f64();
        let started = std::time::Instant::now();
        for (i, dt) in days.iter().enumerate() {
            let run = format!("0176a8c2-fe01-7439-87e6-{i:012x}");
            let ev = event(
                "COMPLETE",
                &run,
                json!([ds("s3://raw", "orders")]),
                json!([ds("s3://steward-sales", &format!("orders/daily_revenue/dt={dt}"))]),
            );
            let (s, r) = post(&app, &app.producer, &ev).await;
            assert_eq!((s, r["recorded_refreshes"].as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{r}");
        }
        let ol = N as f64 / started.elapsed().as_secs_f64();
        eprintln!(
            "{backend}: refresh API {api:.0}/s, OpenLineage COMPLETE {ol:.0}/s ({N} each, one client, {} build)",
            if cfg!(debug_assertions) { "debug" } else { "optimized" }
        );
    }
}
