//! OpenLineage in: run events from pipelines (Airflow's OpenLineage
//! provider, Spark's listener, dbt, the `openlineage-python` client).
//!
//! * Who may post: producers, consumers and admins (a pipeline of either
//!   side reads and writes datasets); reviewers get 403.
//! * What it may affect: a `COMPLETE` event's output that matches a product
//!   table is recorded as a refresh of that product — through
//!   [`Service::report_refresh`], the very operation behind
//!   `POST /products/{key}/refreshes`, with an idempotency key made from the
//!   run id — only when the token produces for the product's domain (admin:
//!   any). An output matching another domain's product is **ignored**, not
//!   refused: the event is a valid fact about a run that may also write the
//!   poster's own products, and a 4xx would make the client retry or drop
//!   the whole event (lineage included). The answer lists it in `ignored`
//!   with the reason, and nothing of that product changes.
//! * Every valid event with a job stores its input → output edges (per job)
//!   for the lineage graph, whatever its type; an event is never refused
//!   for matching nothing.
//!
//! Matching (see [`naming`]): an output's name against table locations (S3,
//! the local lake, with `k=v` segments below the table as the partition),
//! Glue `table/{database}/{table}` names, the contracts' explicit
//! `openlineage.datasets` mappings, and the same for each `symlinks` name.

mod event;
mod graph;
pub(crate) mod naming;

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};
use steward_api::{DatasetRef, EventType, IgnoredOutput, LineageOutcome, RecordedRefresh, RefreshInput, Role};

use super::{Service, require};
use crate::auth::Principal;
use crate::error::ServiceError;
use crate::store::lineage::{self, DatasetName, NewEdge, TableMatch};

pub use event::is_uuid;

/// Edges stored from one event at most (inputs × outputs).
const MAX_EDGES: usize = 2000;

fn refname(d: &DatasetName) -> DatasetRef {
    DatasetRef { namespace: d.namespace.clone(), name: d.name.clone() }
}

/// The idempotency key of the refresh a run records for one table and
/// partition: `openlineage:<runId>:<table>[:<partition>]`, hashed when it
/// would be over the refresh API's 200 characters.
fn idempotency_key(run_id: &str, table: &str, partition: &BTreeMap<String, String>) -> String {
    let mut key = format!("openlineage:{run_id}:{table}");
    if !partition.is_empty() {
        let path: Vec<String> = partition.iter().map(|(k, v)| format!("{k}={v}")).collect();
        key.push(':');
        key.push_str(&path.join("/"));
    }
    if key.len() > 200 {
        key = format!("openlineage:{run_id}:{}", &hex::encode(Sha256::digest(key.as_bytes()))[..48]);
    }
    key
}

impl Service {
    /// Tables a dataset matches (each at most once), with the partition its
    /// path names below the table's location.
    async fn match_dataset(
        &self,
        conn: &mut sqlx::AnyConnection,
        d: &event::Dataset,
    ) -> Result<Vec<(TableMatch, BTreeMap<String, String>)>, ServiceError> {
        let mut found: Vec<(TableMatch, BTreeMap<String, String>)> = Vec::new();
        let data_dir = self.backends.data_dir.as_deref();
        for name in std::iter::once(&d.id).chain(&d.symlinks) {
            let mut hits: Vec<(TableMatch, BTreeMap<String, String>)> =
                lineage::mapped(conn, &name.namespace, &name.name)
                    .await?
                    .into_iter()
                    .map(|t| (t, BTreeMap::new()))
                    .collect();
            let look = naming::lookup(name, data_dir);
            if let Some((db, table)) = &look.glue {
                hits.extend(lineage::table_named(conn, db, table).await?.into_iter().map(|t| (t, BTreeMap::new())));
            }
            let locations: Vec<String> = look.locations.iter().map(|(l, _)| l.clone()).collect();
            for t in lineage::tables_at(conn, &locations).await? {
                let partition = look.locations.iter().find(|(l, _)| *l == t.location).map(|(_, p)| p.clone());
                hits.push((t, partition.unwrap_or_default()));
            }
            for (t, p) in hits {
                if !found.iter().any(|(f, _)| f.product_key == t.product_key && f.table == t.table) {
                    found.push((t, p));
                }
            }
        }
        Ok(found)
    }

    /// `POST /lineage`: reads an OpenLineage event (the JSON bytes), records
    /// refreshes and lineage edges (see the module docs).
    pub async fn ingest_lineage(&self, who: &Principal, body: Vec<u8>) -> Result<LineageOutcome, ServiceError> {
        require(
            who.holds(Role::Producer) || who.holds(Role::Consumer) || who.is_admin(),
            format!(
                "token `{}` has role {}; OpenLineage events come from producer or consumer tokens",
                who.name,
                who.roles_label()
            ),
        )?;
        // Parsing is linear, and bounded by the body limit; still off the async threads.
        let event = super::cpu(move || {
            let value: serde_json::Value = serde_json::from_slice(&body)
                .map_err(|e| ServiceError::BadRequest(format!("request body is not valid JSON: {e}")))?;
            event::read(&value).map_err(|e| ServiceError::BadRequest(e.to_string()))
        })
        .await??;
        let mut outcome = LineageOutcome {
            event_type: event.event_type,
            run_id: event.run_id.clone(),
            recorded_refreshes: Vec::new(),
            lineage_edges: 0,
            ignored: Vec::new(),
        };
        let Some(job) = &event.job else { return Ok(outcome) }; // a dataset event
        let mut conn = self.conn().await?;
        let mut product_of: BTreeMap<&DatasetName, String> = BTreeMap::new();
        let mut output_matches = Vec::new();
        for (i, d) in event.inputs.iter().chain(&event.outputs).enumerate() {
            let matches = self.match_dataset(&mut conn, d).await?;
            if let Some((t, _)) = matches.first() {
                product_of.insert(&d.id, t.product_key.clone());
            }
            if i >= event.inputs.len() {
                output_matches.push((d, matches));
            }
        }
        drop(conn);

        // Refreshes: COMPLETE outputs that match, for the poster's own domains.
        let run_id = event.run_id.as_deref().filter(|_| event.event_type == Some(EventType::Complete));
        for (d, matches) in output_matches.iter().filter(|_| run_id.is_some()) {
            for (t, path_partition) in matches {
                let domain = t.product_key.split('.').next().unwrap_or_default();
                if !who.produces_for(domain) {
                    outcome.ignored.push(IgnoredOutput {
                        dataset: refname(&d.id),
                        product: t.product_key.clone(),
                        reason: format!(
                            "token `{}` does not produce for domain {domain}: the output is recorded as lineage only",
                            who.name
                        ),
                    });
                    continue;
                }
                let partitions: Vec<BTreeMap<String, String>> = if d.partitions.is_empty() {
                    vec![path_partition.clone()]
                } else {
                    // The facet names the partitions; the path may add keys it leaves out.
                    d.partitions
                        .iter()
                        .map(|p| {
                            let mut all = path_partition.clone();
                            all.extend(p.clone());
                            all
                        })
                        .collect()
                };
                for partition in partitions {
                    let input = RefreshInput {
                        table: Some(t.table.clone()),
                        idempotency_key: Some(idempotency_key(run_id.unwrap_or_default(), &t.table, &partition)),
                        partition,
                        snapshot_id: None,
                        row_count: d.row_count.filter(|n| *n >= 0),
                        major: None,
                    };
                    match self.report_refresh(who, &t.product_key, &input).await {
                        Ok(r) => outcome.recorded_refreshes.push(RecordedRefresh {
                            dataset: refname(&d.id),
                            product: t.product_key.clone(),
                            table: r.refresh.table.clone(),
                            partition: r.refresh.partition.clone(),
                            refresh_id: r.refresh.id,
                            replayed: r.replayed,
                            marker: r.marker,
                        }),
                        // The event is valid; what it says does not fit the
                        // contract (a partition key the table lacks, say).
                        Err(ServiceError::BadRequest(m) | ServiceError::Conflict(m) | ServiceError::NotFound(m)) => {
                            outcome.ignored.push(IgnoredOutput {
                                dataset: refname(&d.id),
                                product: t.product_key.clone(),
                                reason: m,
                            })
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }

        // Edges: every input × output pair of the job.
        let mut pairs = BTreeSet::new();
        for i in &event.inputs {
            for o in &event.outputs {
                if i.id != o.id && [&i.id, &o.id].iter().all(|d| d.namespace.len().max(d.name.len()) <= event::MAX_NAME)
                {
                    pairs.insert((&i.id, &o.id));
                }
            }
        }
        if !pairs.is_empty() {
            let now = self.clock.now();
            let run = event.run_id.as_deref().unwrap_or("");
            let event_type = event.event_type.map_or("", EventType::as_str);
            let mut tx = self.store.begin().await?;
            for (input, output) in pairs.iter().take(MAX_EDGES) {
                let edge = NewEdge {
                    job,
                    input,
                    output,
                    input_product: product_of.get(input).map(String::as_str),
                    output_product: product_of.get(output).map(String::as_str),
                    run_id: run,
                    event_type,
                    reported_by: &who.name,
                    now,
                };
                lineage::upsert_edge(&mut tx, &edge).await?;
            }
            tx.commit().await?;
            outcome.lineage_edges = pairs.len().min(MAX_EDGES);
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_name_the_run_and_stay_short() {
        let p: BTreeMap<String, String> = [("dt".to_owned(), "2026-11-21".to_owned())].into();
        assert_eq!(idempotency_key("r1", "t", &p), "openlineage:r1:t:dt=2026-11-21");
        let long: BTreeMap<String, String> = [("k".to_owned(), "v".repeat(300))].into();
        let k = idempotency_key("3f5e83fa-3480-44ff-99c5-ff943904e5e8", "t", &long);
        assert!(k.len() <= 200 && k.starts_with("openlineage:3f5e83fa"), "{k}");
        assert_eq!(k, idempotency_key("3f5e83fa-3480-44ff-99c5-ff943904e5e8", "t", &long));
    }
}
