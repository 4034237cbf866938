//! A product's lineage graph: a breadth-first walk over the stored edges,
//! upstream and downstream, as far as `depth` hops. A dataset that matched
//! a product when its event arrived is that product's node; any other is an
//! external dataset node (walked through too, so a chain product → external
//! staging dataset → product stays connected).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use steward_api::{DatasetRef, LineageGraph, LineageLink, LineageNode, NodeKind};

use super::super::{Service, parse_key};
use crate::error::ServiceError;
use crate::store::lineage::{self, DatasetName, Edge, Side};
use crate::store::products;

/// Hops at most, and the default.
pub const MAX_DEPTH: u32 = 5;
pub const DEFAULT_DEPTH: u32 = 2;
/// Nodes at most in one graph; edges read per node at most.
const MAX_NODES: usize = 200;
const EDGES_PER_NODE: i64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    Product(String),
    Dataset(DatasetName),
}

impl Node {
    fn id(&self) -> String {
        match self {
            Node::Product(k) => format!("product:{k}"),
            Node::Dataset(d) => format!("dataset:{}/{}", d.namespace, d.name),
        }
    }

    fn of(product: Option<&String>, d: &DatasetName) -> Node {
        match product {
            Some(p) => Node::Product(p.clone()),
            None => Node::Dataset(d.clone()),
        }
    }
}

impl Service {
    /// `GET /products/{key}/lineage?depth=`.
    pub async fn lineage(&self, key: &str, depth: Option<u32>) -> Result<LineageGraph, ServiceError> {
        let key = parse_key(key)?.to_string();
        let depth = depth.unwrap_or(DEFAULT_DEPTH);
        if !(1..=MAX_DEPTH).contains(&depth) {
            return Err(ServiceError::BadRequest(format!("depth: {depth} must be between 1 and {MAX_DEPTH}")));
        }
        let mut conn = self.conn().await?;
        if products::get(&mut conn, &key).await?.is_none() {
            return Err(ServiceError::NotFound(format!("product {key} is not published")));
        }
        let start = Node::Product(key.clone());
        let mut distance: BTreeMap<Node, i32> = BTreeMap::from([(start.clone(), 0)]);
        let mut links = BTreeSet::new();
        let mut truncated = false;
        for (side, sign) in [(Side::Output, -1), (Side::Input, 1)] {
            let mut queue = VecDeque::from([(start.clone(), 0u32)]);
            let mut seen = BTreeSet::from([start.clone()]);
            while let Some((node, hops)) = queue.pop_front() {
                if hops == depth {
                    continue;
                }
                let edges: Vec<Edge> = match &node {
                    Node::Product(k) => lineage::edges_of_product(&mut conn, side, k, EDGES_PER_NODE).await?,
                    Node::Dataset(d) => lineage::edges_of_dataset(&mut conn, side, d, EDGES_PER_NODE).await?,
                };
                for e in edges {
                    let from = Node::of(e.input_product.as_ref(), &e.input);
                    let to = Node::of(e.output_product.as_ref(), &e.output);
                    let next = if side == Side::Output { from.clone() } else { to.clone() };
                    if from == to {
                        continue; // a product reading and writing itself
                    }
                    if !distance.contains_key(&next) && distance.len() >= MAX_NODES {
                        truncated = true;
                        continue;
                    }
                    links.insert(LineageLink {
                        from: from.id(),
                        to: to.id(),
                        job: format!("{}/{}", e.job.namespace, e.job.name),
                    });
                    distance.entry(next.clone()).or_insert(sign * (hops as i32 + 1));
                    if seen.insert(next.clone()) {
                        queue.push_back((next, hops + 1));
                    }
                }
            }
        }
        let mut nodes: Vec<LineageNode> = distance
            .into_iter()
            .map(|(node, distance)| LineageNode {
                id: node.id(),
                kind: match node {
                    Node::Product(_) => NodeKind::Product,
                    Node::Dataset(_) => NodeKind::Dataset,
                },
                product: match &node {
                    Node::Product(k) => Some(k.clone()),
                    Node::Dataset(_) => None,
                },
                dataset: match &node {
                    Node::Product(_) => None,
                    Node::Dataset(d) => Some(DatasetRef { namespace: d.namespace.clone(), name: d.name.clone() }),
                },
                distance,
            })
            .collect();
        nodes.sort_by(|a, b| (a.distance != 0, a.distance, &a.id).cmp(&(b.distance != 0, b.distance, &b.id)));
        Ok(LineageGraph { product: key, depth, nodes, edges: links.into_iter().collect(), truncated })
    }
}
