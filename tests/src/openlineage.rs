//! OpenLineage for tests: a local receiver standing in for Marquez, and a
//! validator of run events against the spec's JSON schemas.
//!
//! The schemas are vendored in `tests/data/openlineage/` (see its README)
//! and compiled into this crate, so `$ref`s resolve from those files and
//! never from the network.

use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use jsonschema::{Draft, Registry};
use serde_json::{Value, json};

/// The core spec: its `$id` is the document part of the `schemaURL` the
/// events name.
const CORE: &str = include_str!("../data/openlineage/OpenLineage.json");

/// The facet schemas, one per facet Steward emits. A facet whose
/// `_schemaURL` is not one of these is refused, so a new facet needs its
/// schema here before its events pass.
const FACETS: &[&str] = &[
    include_str!("../data/openlineage/facets/SchemaDatasetFacet.json"),
    include_str!("../data/openlineage/facets/SymlinksDatasetFacet.json"),
    include_str!("../data/openlineage/facets/OutputStatisticsOutputDatasetFacet.json"),
    include_str!("../data/openlineage/facets/BaseSubsetDatasetFacet.json"),
    include_str!("../data/openlineage/facets/JobTypeJobFacet.json"),
];

struct Schemas {
    core_id: String,
    /// The `$id` of every vendored document (the core spec's first).
    ids: Vec<String>,
    registry: Registry<'static>,
}

static SCHEMAS: LazyLock<Schemas> = LazyLock::new(|| {
    let docs: Vec<Value> = std::iter::once(CORE)
        .chain(FACETS.iter().copied())
        .map(|text| serde_json::from_str(text).expect("a vendored OpenLineage schema is JSON"))
        .collect();
    let ids: Vec<String> =
        docs.iter().map(|d| d["$id"].as_str().expect("a vendored OpenLineage schema has an $id").to_owned()).collect();
    let registry = Registry::new()
        .extend(ids.iter().cloned().zip(docs))
        .and_then(|b| b.prepare())
        .expect("the vendored OpenLineage schemas resolve among themselves");
    Schemas { core_id: ids[0].clone(), ids, registry }
});

/// Errors of `instance` against the schema at `url` (a document of the
/// registry and a fragment), each prefixed with `at`, the instance's place
/// in the event.
fn check(instance: &Value, url: &str, at: &str, errors: &mut Vec<String>) {
    let schemas = &*SCHEMAS;
    let validator = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .with_registry(&schemas.registry)
        .offline()
        // Formats are annotations by default in 2020-12; the spec relies on
        // them for `eventTime` (date-time), `runId` (uuid) and the URIs.
        .should_validate_formats(true)
        .build(&json!({ "$ref": url }));
    match validator {
        Ok(v) => errors.extend(v.iter_errors(instance).map(|e| format!("{at}{}: {e}", e.instance_path()))),
        Err(e) => errors.push(format!("{at}: schema {url} does not resolve: {e}")),
    }
}

/// The facets of a run event, with their JSON pointers: run, job, and each
/// dataset's `facets`, `inputFacets` and `outputFacets`.
fn facets(event: &Value) -> Vec<(String, &Value)> {
    let mut containers: Vec<(String, &Value)> =
        vec![("/run/facets".into(), &event["run"]["facets"]), ("/job/facets".into(), &event["job"]["facets"])];
    for side in ["inputs", "outputs"] {
        for (i, ds) in event[side].as_array().into_iter().flatten().enumerate() {
            for key in ["facets", "inputFacets", "outputFacets"] {
                containers.push((format!("/{side}/{i}/{key}"), &ds[key]));
            }
        }
    }
    containers
        .into_iter()
        .filter_map(|(at, c)| c.as_object().map(|o| (at, o)))
        .flat_map(|(at, o)| o.iter().map(move |(name, f)| (format!("{at}/{name}"), f)))
        .collect()
}

/// Validates an OpenLineage run event: its `schemaURL` must be the vendored
/// spec's `#/$defs/RunEvent`, the event must validate against it (formats
/// included), and each facet against the schema its `_schemaURL` names,
/// which must be a `$defs` entry of a vendored facet schema.
pub fn validate_run_event(event: &Value) -> Result<(), Vec<String>> {
    let schemas = &*SCHEMAS;
    let run_event = format!("{}#/$defs/RunEvent", schemas.core_id);
    let mut errors = Vec::new();
    if event["schemaURL"].as_str() != Some(run_event.as_str()) {
        errors.push(format!("/schemaURL: {} is not {run_event}, the vendored spec", event["schemaURL"]));
    }
    check(event, &run_event, "", &mut errors);
    for (at, facet) in facets(event) {
        let Some(url) = facet["_schemaURL"].as_str() else {
            continue; // not an object, or no _schemaURL: the core schema already refused it
        };
        // A facet's own schema is a `$defs` entry; the document root
        // describes the facet's container, and would accept almost anything.
        match url.split_once("#/$defs/") {
            Some((doc, _)) if doc != schemas.core_id && schemas.ids.iter().any(|id| id == doc) => {
                check(facet, url, &at, &mut errors)
            }
            _ => errors.push(format!("{at}/_schemaURL: {url} is not a $defs entry of a vendored facet schema")),
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Panics with every error when `event` is not a valid run event.
pub fn assert_valid_run_event(event: &Value) {
    if let Err(errors) = validate_run_event(event) {
        panic!("not a valid OpenLineage run event:\n  {}\n{event:#}", errors.join("\n  "));
    }
}

/// One request the [`Receiver`] got.
#[derive(Debug, Clone)]
pub struct Received {
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    pub event: Value,
}

/// A local OpenLineage endpoint: records what is posted to
/// `/api/v1/lineage` (the HTTP transport's default) and answers 200, as
/// the spec's API (`spec/OpenLineage.yml`) says. Stops when dropped.
#[derive(Debug)]
pub struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let sink = got.clone();
        let app = axum::Router::new().route(
            "/api/v1/lineage",
            axum::routing::post(move |headers: HeaderMap, axum::Json(event): axum::Json<Value>| {
                let sink = sink.clone();
                async move {
                    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                    sink.lock().expect("receiver lock").push(Received { authorization, event });
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("OpenLineage receiver stopped: {e}");
            }
        });
        Receiver { url, got, server }
    }

    /// The base URL (`openlineage.url`), without the endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Everything received so far, in arrival order.
    pub fn events(&self) -> Vec<Received> {
        self.got.lock().expect("receiver lock").clone()
    }

    /// Waits until at least `n` events arrived or `timeout` passed; returns what is there.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        while self.got.lock().expect("receiver lock").len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.events()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run event as Steward emits one (effects/openlineage.rs), every facet included.
    fn event() -> Value {
        let facet = |name: &str, def: &str, version: &str| {
            json!({"_producer": "urn:steward:catalog:0.1.0",
                   "_schemaURL": format!("https://openlineage.io/spec/facets/{version}/{name}.json#/$defs/{def}")})
        };
        let mut schema = facet("SchemaDatasetFacet", "SchemaDatasetFacet", "1-2-0");
        schema["fields"] = json!([{"name": "order_id", "type": "varchar(36)", "ordinal_position": 1}]);
        let mut symlinks = facet("SymlinksDatasetFacet", "SymlinksDatasetFacet", "1-0-1");
        symlinks["identifiers"] =
            json!([{"namespace": "arn:aws:glue:eu-west-1:1", "name": "table/d/t", "type": "TABLE"}]);
        let mut stats = facet("OutputStatisticsOutputDatasetFacet", "OutputStatisticsOutputDatasetFacet", "1-0-2");
        stats["rowCount"] = json!(7);
        let mut subset = facet("BaseSubsetDatasetFacet", "OutputSubsetOutputDatasetFacet", "1-0-0");
        subset["outputCondition"] = json!({"type": "partition", "partitions": [{"identifier": "dt=2026-11-21", "dimensions": {"dt": "2026-11-21"}}]});
        let mut job_type = facet("JobTypeJobFacet", "JobTypeJobFacet", "2-0-4");
        job_type.as_object_mut().unwrap().extend(
            json!({"processingType": "BATCH", "integration": "STEWARD", "jobType": "REFRESH"})
                .as_object()
                .unwrap()
                .clone(),
        );
        json!({
            "eventType": "COMPLETE",
            "eventTime": "2026-11-21T05:12:44.123Z",
            "producer": "urn:steward:catalog:0.1.0",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": "0176a8c2-fe01-8439-87e6-56a1a1b4029f"},
            "job": {"namespace": "steward", "name": "sales.orders.order_lines", "facets": {"jobType": job_type}},
            "inputs": [],
            "outputs": [{"namespace": "s3://steward-sales", "name": "orders/order_lines",
                         "facets": {"schema": schema, "symlinks": symlinks},
                         "outputFacets": {"outputStatistics": stats, "subset": subset}}],
        })
    }

    fn refused(e: &Value) -> String {
        validate_run_event(e).expect_err("the validator must refuse this event").join("\n")
    }

    #[test]
    fn a_complete_event_with_every_facet_steward_emits_is_valid() {
        assert_valid_run_event(&event());
    }

    #[test]
    fn a_missing_run_id_or_a_bad_event_time_is_refused() {
        let mut e = event();
        e["run"].as_object_mut().unwrap().remove("runId");
        assert!(refused(&e).contains("runId"), "{}", refused(&e));
        let mut e = event();
        e["eventTime"] = json!("yesterday");
        assert!(refused(&e).contains("/eventTime"), "{}", refused(&e));
        let mut e = event();
        e["run"]["runId"] = json!("run-1");
        assert!(refused(&e).contains("/run/runId"), "{}", refused(&e));
        let mut e = event();
        e["eventType"] = json!("DONE");
        assert!(refused(&e).contains("/eventType"), "{}", refused(&e));
    }

    #[test]
    fn facets_are_checked_against_their_own_schema() {
        // A schema field without its required name.
        let mut e = event();
        e["outputs"][0]["facets"]["schema"]["fields"][0].as_object_mut().unwrap().remove("name");
        assert!(refused(&e).contains("/outputs/0/facets/schema/fields/0"), "{}", refused(&e));
        // A row count that is not an integer.
        let mut e = event();
        e["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] = json!("7");
        assert!(refused(&e).contains("/outputs/0/outputFacets/outputStatistics/rowCount"), "{}", refused(&e));
        // A facet without _producer (BaseFacet, through the facet's allOf).
        let mut e = event();
        e["job"]["facets"]["jobType"].as_object_mut().unwrap().remove("_producer");
        assert!(refused(&e).contains("/job/facets/jobType"), "{}", refused(&e));
    }

    #[test]
    fn an_unknown_facet_schema_or_another_spec_version_is_refused() {
        let mut e = event();
        e["run"]["facets"] = json!({"nominalTime": {"_producer": "https://x",
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
            "nominalStartTime": "2026-11-21T05:00:00Z"}});
        assert!(refused(&e).contains("/run/facets/nominalTime/_schemaURL"), "{}", refused(&e));
        // A vendored document's root is the facet's container, not the facet.
        let mut e = event();
        e["outputs"][0]["facets"]["schema"]["_schemaURL"] =
            json!("https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json");
        assert!(refused(&e).contains("/outputs/0/facets/schema/_schemaURL"), "{}", refused(&e));
        // A $defs entry the document does not have.
        let mut e = event();
        e["outputs"][0]["facets"]["schema"]["_schemaURL"] =
            json!("https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/Nothing");
        assert!(refused(&e).contains("does not resolve"), "{}", refused(&e));
        let mut e = event();
        e["schemaURL"] = json!("https://openlineage.io/spec/2-0-0/OpenLineage.json#/$defs/RunEvent");
        assert!(refused(&e).contains("/schemaURL"), "{}", refused(&e));
    }
}
