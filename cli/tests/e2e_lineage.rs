//! End to end with the real binary (SQLite, and PostgreSQL when reachable):
//! a pipeline posts an OpenLineage `COMPLETE` event the way Airflow's
//! OpenLineage provider does over the HTTP transport (`POST
//! {url}/api/v1/lineage`, `Content-Type: application/json`,
//! `Authorization: Bearer <api key>`, see `client/python/.../transport/http.py`
//! of the OpenLineage repository) for the table of the contract `steward
//! init` writes; the `_SUCCESS` marker appears in the lake, a repeat of the
//! run changes nothing, and the refresh goes out again as OpenLineage events
//! to the endpoint configured with `STEWARD__OPENLINEAGE__URL`, each valid
//! against the spec's JSON schemas (`steward_testkit::openlineage`).

mod common;

use std::time::{Duration, Instant};

use common::{cli, init_contract, ok, start_with, token};
use serde_json::{Value, json};
use steward_testkit::openlineage::{Receiver, assert_valid_run_event};

/// The shape of the spec's run event examples, as Airflow's provider fills it.
fn airflow_complete(run_id: &str, table_dir: &str) -> Value {
    let producer = "https://github.com/apache/airflow/tree/providers-openlineage/2.3.0";
    json!({
        "eventType": "COMPLETE",
        "eventTime": "2026-11-21T05:31:07.415934+00:00",
        "producer": producer,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_id, "facets": {
            "parent": {"_producer": producer, "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet",
                       "run": {"runId": "0193d1c5-7a35-7b42-b3a5-8b1e0e3c1d10"}, "job": {"namespace": "default", "name": "orders_daily"}},
            "processing_engine": {"_producer": producer, "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet",
                                  "version": "2.10.3", "name": "Airflow", "openlineageAdapterVersion": "2.3.0"}}},
        "job": {"namespace": "default", "name": "orders_daily.write_orders", "facets": {
            "jobType": {"_producer": producer, "_schemaURL": "https://openlineage.io/spec/facets/2-0-3/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
                        "processingType": "BATCH", "integration": "AIRFLOW", "jobType": "TASK"}}},
        "inputs": [{"namespace": "postgres://orders-db:5432", "name": "shop.public.orders"}],
        "outputs": [{"namespace": "file", "name": table_dir, "outputFacets": {
            "subset": {"_producer": producer, "_schemaURL": "https://openlineage.io/spec/facets/1-0-0/BaseSubsetDatasetFacet.json#/$defs/OutputSubsetOutputDatasetFacet",
                       "outputCondition": {"type": "partition", "partitions": [{"dimensions": {"dt": "2026-11-21"}}]}},
            "outputStatistics": {"_producer": producer, "_schemaURL": "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet",
                                 "rowCount": 42}}}],
    })
}

#[tokio::test]
async fn an_airflow_complete_event_refreshes_the_init_contract_and_is_sent_on() {
    let pg = steward_testkit::postgres().await;
    let mut databases: Vec<(&str, Option<&str>)> = vec![("sqlite", None)];
    if let Some(url) = pg.as_deref() {
        databases.push(("postgres", Some(url)));
    }
    for (backend, url) in databases {
        eprintln!("-- on {backend}");
        let receiver = Receiver::start().await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let env = [
            ("STEWARD__OUTBOX__POLL_MS", "50"),
            ("STEWARD__OPENLINEAGE__URL", receiver.url()),
            ("STEWARD__OPENLINEAGE__API_KEY", "receiver-key"),
        ];
        let srv = start_with(&data, url, &env);
        let admin = std::fs::read_to_string(data.join("admin.token")).unwrap().trim().to_owned();
        let reviewer = token(&srv, &admin, &["--name", "rita", "--role", "reviewer"]);
        let producer = token(&srv, &admin, &["--name", "airflow", "--role", "producer", "--domain", "sales"]);
        let contract = dir.path().join("orders.odcs.yaml");
        init_contract(&contract);
        ok(cli(&srv, &producer, &["submit", contract.to_str().unwrap()]));
        ok(cli(&srv, &reviewer, &["proposals", "approve", "1"]));

        // The table directory as the task wrote it: an absolute path in the lake.
        let table_dir = data.join("lake/sales/orders/orders");
        let run_id = "0193d1c5-7a35-7b42-b3a5-8b1e0e3c1d11";
        let event = airflow_complete(run_id, table_dir.to_str().unwrap());
        let client = reqwest::Client::new();
        let post = || {
            client
                .post(format!("{}/api/v1/lineage", srv.url))
                .header("Content-Type", "application/json")
                .header("Authorization", format!("Bearer {producer}"))
                .body(event.to_string())
                .send()
        };
        let resp = post().await.unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        let rec = &body["recorded_refreshes"][0];
        assert_eq!(
            (rec["product"].as_str(), rec["partition"].as_str()),
            (Some("sales.orders"), Some("dt=2026-11-21")),
            "{body}"
        );
        assert_eq!(rec["marker"], "lake/sales/orders/orders/dt=2026-11-21/_SUCCESS");
        let marker = data.join("lake/sales/orders/orders/dt=2026-11-21/_SUCCESS");
        let start = Instant::now();
        while !marker.is_file() {
            assert!(start.elapsed() < Duration::from_secs(60), "no marker at {}", marker.display());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(std::fs::metadata(&marker).unwrap().len(), 0);

        // The client retries (the same run): nothing new.
        let again: Value = post().await.unwrap().json().await.unwrap();
        assert_eq!(again["recorded_refreshes"][0]["replayed"], true, "{again}");

        // Sent on to the configured endpoint: START and COMPLETE of one run.
        let events = receiver.wait_for(2, Duration::from_secs(60)).await;
        assert_eq!(events.len(), 2, "{events:?}");
        for r in &events {
            assert_eq!(r.authorization.as_deref(), Some("Bearer receiver-key"));
            // The whole event, against spec/OpenLineage.json and each facet's schema.
            assert_valid_run_event(&r.event);
        }
        assert_eq!(
            (events[0].event["eventType"].as_str(), events[1].event["eventType"].as_str()),
            (Some("START"), Some("COMPLETE"))
        );
        let out = &events[1].event["outputs"][0];
        assert_eq!(out["namespace"], "file");
        assert_eq!(out["name"], table_dir.to_str().unwrap());
        assert!(out["facets"]["schema"]["fields"].as_array().is_some_and(|f| !f.is_empty()), "{out}");
        assert_eq!(out["outputFacets"]["outputStatistics"]["rowCount"], 42);
    }
}
