//! OpenLineage: `POST /api/v1/lineage` (run events in) and
//! `GET /api/v1/products/{key}/lineage` (the graph learnt from them).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A dataset as OpenLineage names it (`namespace` and `name`, see the
/// OpenLineage naming conventions).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
pub struct DatasetRef {
    pub namespace: String,
    pub name: String,
}

/// The `eventType` of an OpenLineage run event (`spec/OpenLineage.json`,
/// `$defs/RunEvent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum EventType {
    Start,
    Running,
    Complete,
    Abort,
    Fail,
    Other,
}

wire_names!(
    EventType,
    "OpenLineage eventType",
    [Start = "START", Running = "RUNNING", Complete = "COMPLETE", Abort = "ABORT", Fail = "FAIL", Other = "OTHER",]
);

/// An OpenLineage event (`spec/OpenLineage.json`): a `RunEvent`, or a
/// `JobEvent` (no `run`) or `DatasetEvent` (`dataset`), which are accepted
/// and give lineage only. Only the fields Steward reads are listed; facets
/// are read where named (`symlinks`, the `subset` output facet's partitions,
/// `outputStatistics`) and otherwise ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OpenLineageEvent {
    /// When the event occurred (RFC 3339).
    pub event_time: String,
    /// URI of the emitting integration.
    pub producer: String,
    /// URI of the spec version the event follows.
    #[serde(rename = "schemaURL")]
    pub schema_url: String,
    /// Optional; only `COMPLETE` records refreshes.
    pub event_type: Option<EventType>,
    /// `{"runId": "<uuid>", "facets": {...}}`; required in a run event.
    #[schema(value_type = Object)]
    pub run: Option<serde_json::Value>,
    /// `{"namespace", "name", "facets"}`.
    #[schema(value_type = Object)]
    pub job: Option<serde_json::Value>,
    /// Input datasets `{"namespace", "name", "facets", "inputFacets"}`.
    #[schema(value_type = Vec<Object>)]
    pub inputs: Option<Vec<serde_json::Value>>,
    /// Output datasets `{"namespace", "name", "facets", "outputFacets"}`.
    #[schema(value_type = Vec<Object>)]
    pub outputs: Option<Vec<serde_json::Value>>,
}

/// A refresh an event recorded (or found recorded: `replayed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RecordedRefresh {
    /// The output dataset it came from.
    pub dataset: DatasetRef,
    /// `domain.product`.
    pub product: String,
    pub table: String,
    /// `k=v/...`, empty for an unpartitioned table.
    pub partition: String,
    pub refresh_id: i64,
    /// True when the run had been recorded already (the same `runId` posted again).
    pub replayed: bool,
    /// Where the `_SUCCESS` marker is (being) written.
    pub marker: String,
}

/// An output that matched a product but was not recorded as its refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IgnoredOutput {
    pub dataset: DatasetRef,
    /// The product it matched.
    pub product: String,
    /// Why it was not recorded (another domain's product, a partition the
    /// table does not have, ...).
    pub reason: String,
}

/// What an event did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LineageOutcome {
    /// The event's `eventType` (none: not given).
    pub event_type: Option<EventType>,
    /// The run (none for a job or dataset event).
    pub run_id: Option<String>,
    /// Refreshes recorded from `COMPLETE` outputs that matched product tables.
    pub recorded_refreshes: Vec<RecordedRefresh>,
    /// Input → output edges stored (new or seen again).
    pub lineage_edges: usize,
    /// Outputs matching a product that were not recorded, and why.
    pub ignored: Vec<IgnoredOutput>,
}

/// What a lineage node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// A published product (its datasets matched its tables).
    Product,
    /// A dataset no product's table matched (external).
    Dataset,
}

/// A node of a product's lineage graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LineageNode {
    /// `product:<key>` or `dataset:<namespace>/<name>`.
    pub id: String,
    pub kind: NodeKind,
    /// The product's key, for a product node.
    pub product: Option<String>,
    /// The dataset, for a dataset node.
    pub dataset: Option<DatasetRef>,
    /// Hops from the product: negative upstream, positive downstream, 0 itself.
    pub distance: i32,
}

/// An edge of the graph: a job read `from` and wrote `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
pub struct LineageLink {
    pub from: String,
    pub to: String,
    /// The job, `namespace/name`.
    pub job: String,
}

/// Upstream and downstream of a product, as far as `depth` hops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LineageGraph {
    pub product: String,
    pub depth: u32,
    /// The product first, then by distance.
    pub nodes: Vec<LineageNode>,
    pub edges: Vec<LineageLink>,
    /// True when the node or edge cap cut the walk short.
    pub truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_sets() {
        check_names!(EventType, ["START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"]);
    }
}
