//! OpenLineage out: each recorded refresh is sent to the configured
//! endpoint (Marquez, OpenMetadata, DataZone, ...) as a `START` and a
//! `COMPLETE` run event.
//!
//! Why a pair: `spec/OpenLineage.json` (`$defs/RunEvent`, `eventType`) says
//! "It is required to issue 1 START event and 1 of [ COMPLETE, ABORT, FAIL ]
//! event per run"; receivers that build runs from events (Marquez) show a
//! run without its START as never started. Both carry the same run id and
//! event time (Steward sees a refresh as one instant), the refreshed table
//! as the output (named per the naming conventions: `s3://bucket` + key,
//! `file` + absolute path), the contract's columns as the `schema` facet, the
//! Glue table as a `symlinks` identifier when the Glue catalog is on, and on
//! `COMPLETE` the partition (`subset`) and row count (`outputStatistics`).
//!
//! The run id is derived from the refresh (product, id and idempotency
//! key), so a retried job sends the same events and a receiver keeps one
//! run. Failures retry and dead-letter like every other job: 5xx, 429 and
//! network errors are retried, other 4xx are permanent.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::backends::hive_type;
use super::job::{EffectError, Job, JobContext};
use crate::config::OpenLineageSettings;
use crate::model::{CatalogTable, ProductDetail};
use crate::service::lineage::naming::dataset_of;
use crate::store::outbox::JobKind;
use crate::store::{products, refreshes};

const SCHEMA_URL: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const SCHEMA_FACET: &str = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet";
const SYMLINKS_FACET: &str =
    "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet";
const STATISTICS_FACET: &str = "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet";
const SUBSET_FACET: &str =
    "https://openlineage.io/spec/facets/1-0-0/BaseSubsetDatasetFacet.json#/$defs/OutputSubsetOutputDatasetFacet";
const JOB_TYPE_FACET: &str = "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet";

/// Steward's `producer` URI in the events it sends.
pub fn producer() -> String {
    format!("urn:steward:catalog:{}", env!("CARGO_PKG_VERSION"))
}

/// Sends events to one OpenLineage endpoint. Cheap to clone.
#[derive(Clone)]
pub struct LineageEmitter {
    client: reqwest::Client,
    url: String,
    api_key: Option<String>,
    namespace: String,
    /// `arn:aws:glue:{region}:{account}`, when tables are in Glue.
    glue_namespace: Option<String>,
    data_dir: Option<PathBuf>,
}

impl std::fmt::Debug for LineageEmitter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the API key.
        f.debug_struct("LineageEmitter").field("url", &self.url).field("namespace", &self.namespace).finish()
    }
}

impl LineageEmitter {
    /// An emitter for `settings`; `glue_namespace` names tables in Glue,
    /// `data_dir` makes lake paths absolute.
    pub fn new(
        settings: &OpenLineageSettings,
        glue_namespace: Option<String>,
        data_dir: Option<PathBuf>,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("openlineage client: {e}"))?;
        Ok(Self {
            client,
            url: settings.endpoint_url(),
            api_key: settings.api_key.clone().filter(|k| !k.is_empty()),
            namespace: settings.namespace.clone(),
            glue_namespace,
            data_dir,
        })
    }

    async fn post(&self, event: &Value) -> Result<(), EffectError> {
        let mut req = self.client.post(&self.url).json(event);
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key);
        }
        let what = format!("OpenLineage endpoint {}", crate::redact::url(&self.url));
        let resp = req.send().await.map_err(|e| EffectError::retry(format!("{what}: {}", e.without_url())))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let message = format!("{what} answered {status}");
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(EffectError::retry(message))
        } else {
            Err(EffectError::permanent(message))
        }
    }
}

/// Send one refresh to the OpenLineage endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct EmitLineage {
    pub refresh_id: i64,
    pub product_key: String,
}

/// A UUID (RFC 9562 version 8: application-defined) from `seed`.
pub fn run_id(seed: &str) -> String {
    let mut b: [u8; 16] = Sha256::digest(seed.as_bytes())[..16].try_into().unwrap_or_default();
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn facet(schema_url: &str, body: Value) -> Value {
    let mut v = json!({"_producer": producer(), "_schemaURL": schema_url});
    if let (Some(o), Value::Object(b)) = (v.as_object_mut(), body) {
        o.extend(b);
    }
    v
}

/// The `schema` facet of a table: its columns, in order.
pub(crate) fn schema_facet(t: &CatalogTable) -> Value {
    let fields: Vec<Value> = t
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut f = json!({"name": c.name, "type": hive_type(c), "ordinal_position": i + 1});
            if let Some(d) = c.description.as_deref().filter(|d| !d.is_empty()) {
                f["description"] = json!(d);
            }
            f
        })
        .collect();
    facet(SCHEMA_FACET, json!({ "fields": fields }))
}

impl EmitLineage {
    /// The `START` and `COMPLETE` events of a refresh.
    pub(crate) fn events(
        emitter: &LineageEmitter,
        product: &ProductDetail,
        refresh: &refreshes::Refresh,
    ) -> Option<[Value; 2]> {
        let table = product.tables.iter().find(|t| t.name == refresh.table)?;
        let id = run_id(&format!("steward:{}:{}:{}", refresh.product_key, refresh.id, refresh.idempotency_key));
        let time = refresh.reported_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let dataset = dataset_of(&table.location, emitter.data_dir.as_deref());
        let mut facets = json!({ "schema": schema_facet(table) });
        if let Some(ns) = &emitter.glue_namespace {
            let name = format!("table/{}/{}", table.database, table.name);
            facets["symlinks"] =
                facet(SYMLINKS_FACET, json!({"identifiers": [{"namespace": ns, "name": name, "type": "TABLE"}]}));
        }
        let mut output_facets = json!({});
        if let Some(n) = refresh.row_count {
            output_facets["outputStatistics"] = facet(STATISTICS_FACET, json!({ "rowCount": n }));
        }
        if !refresh.partition.is_empty() {
            let dims: serde_json::Map<String, Value> =
                table.partition_keys.iter().cloned().zip(refresh.partition_values.iter().map(|v| json!(v))).collect();
            output_facets["subset"] = facet(
                SUBSET_FACET,
                json!({"outputCondition": {"type": "partition", "partitions": [{"identifier": refresh.partition, "dimensions": dims}]}}),
            );
        }
        let event = |event_type: &str, output_facets: Value| {
            json!({
                "eventType": event_type,
                "eventTime": time,
                "producer": producer(),
                "schemaURL": SCHEMA_URL,
                "run": {"runId": id},
                "job": {
                    "namespace": emitter.namespace,
                    "name": format!("{}.{}", refresh.product_key, refresh.table),
                    "facets": {"jobType": facet(JOB_TYPE_FACET, json!({"processingType": "BATCH", "integration": "STEWARD", "jobType": "REFRESH"}))},
                },
                "inputs": [],
                "outputs": [{
                    "namespace": dataset.namespace,
                    "name": dataset.name,
                    "facets": facets,
                    "outputFacets": output_facets,
                }],
            })
        };
        Some([event("START", json!({})), event("COMPLETE", output_facets)])
    }
}

impl Job for EmitLineage {
    const KIND: JobKind = JobKind::LineageEmit;

    fn occasion(&self) -> String {
        self.refresh_id.to_string()
    }

    async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        let Some(emitter) = &ctx.openlineage else {
            return Err(EffectError::permanent("no OpenLineage endpoint is configured (openlineage.url)"));
        };
        let mut conn = ctx.conn().await?;
        let refresh = refreshes::get(&mut conn, &self.product_key, self.refresh_id).await?;
        let product = products::get(&mut conn, &self.product_key).await?;
        drop(conn);
        let (Some(refresh), Some(product)) = (refresh, product) else {
            return Ok(()); // gone since: nothing to tell
        };
        let Some(events) = Self::events(emitter, &product, &refresh) else {
            return Ok(()); // the table is no longer in the product
        };
        for event in &events {
            emitter.post(event).await?;
        }
        Ok(())
    }
}
