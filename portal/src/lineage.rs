//! "Lineage" on the product page: the products and external datasets
//! upstream and downstream of a product, learnt from OpenLineage events
//! (`Service::lineage`, the same call as `GET /api/v1/products/{key}/lineage`).
//!
//! Two lists carry the content (screen readers, text browsers); a small
//! inline SVG draws the same nodes in columns by distance, hidden from
//! assistive technology since it repeats the lists. No script.

use maud::{Markup, html};
use steward_api::{LineageGraph, LineageNode, NodeKind};
use steward_catalog::error::ServiceError;

use crate::page;

/// Hops shown in each direction.
pub const DEPTH: u32 = 2;

const COLUMN: i32 = 190;
const ROW: i32 = 34;
const BOX_W: i32 = 170;
const BOX_H: i32 = 24;

fn label(n: &LineageNode) -> String {
    match (&n.product, &n.dataset) {
        (Some(k), _) => k.clone(),
        (None, Some(d)) => format!("{}/{}", d.namespace, d.name),
        _ => n.id.clone(),
    }
}

fn short(s: &str) -> String {
    if s.chars().count() <= 24 {
        s.to_owned()
    } else {
        format!("…{}", s.chars().rev().take(23).collect::<Vec<_>>().into_iter().rev().collect::<String>())
    }
}

fn item(n: &LineageNode) -> Markup {
    html! {
        li {
            @match n.kind {
                NodeKind::Product => a href={ "/products/" (n.product.as_deref().unwrap_or_default()) } { (label(n)) },
                NodeKind::Dataset => { code { (label(n)) } " " span.muted { "(external dataset)" } },
            }
            @if n.distance.abs() > 1 { " " span.muted { "(" (n.distance.abs()) " hops)" } }
        }
    }
}

/// Node positions: column by distance, row by order within the column.
fn layout(g: &LineageGraph) -> (Vec<(&LineageNode, i32, i32)>, i32, i32) {
    let min = g.nodes.iter().map(|n| n.distance).min().unwrap_or(0);
    let max = g.nodes.iter().map(|n| n.distance).max().unwrap_or(0);
    let mut rows = std::collections::BTreeMap::<i32, i32>::new();
    let placed = g
        .nodes
        .iter()
        .map(|n| {
            let row = rows.entry(n.distance).or_insert(0);
            let at = (n, 10 + (n.distance - min) * COLUMN, 10 + *row * ROW);
            *row += 1;
            at
        })
        .collect();
    let width = 20 + (max - min) * COLUMN + BOX_W;
    let height = 20 + rows.values().max().copied().unwrap_or(1) * ROW;
    (placed, width, height)
}

fn svg(g: &LineageGraph) -> Markup {
    let (placed, width, height) = layout(g);
    let at = |id: &str| placed.iter().find(|(n, _, _)| n.id == id).map(|(_, x, y)| (*x, *y));
    html! {
        svg.lineage xmlns="http://www.w3.org/2000/svg" width=(width) height=(height)
            viewBox={ "0 0 " (width) " " (height) } aria-hidden="true" focusable="false" {
            @for e in &g.edges {
                @if let (Some((x1, y1)), Some((x2, y2))) = (at(&e.from), at(&e.to)) {
                    line x1=(x1 + BOX_W) y1=(y1 + BOX_H / 2) x2=(x2) y2=(y2 + BOX_H / 2) stroke="currentColor" stroke-width="1" {}
                }
            }
            @for (n, x, y) in &placed {
                rect x=(x) y=(y) width=(BOX_W) height=(BOX_H) rx="4"
                    fill=(if n.distance == 0 { "#dbeafe" } else if n.kind == NodeKind::Product { "#f1f5f9" } else { "#ffffff" })
                    stroke="currentColor" stroke-dasharray=(if n.kind == NodeKind::Dataset { "4 3" } else { "none" }) {}
                text x=(x + 6) y=(y + 16) font-size="12" { (short(&label(n))) }
            }
        }
    }
}

/// The section, or the error that kept it from being read.
pub fn section(graph: &Result<LineageGraph, ServiceError>) -> Markup {
    html! {
        section #lineage {
            h2 { "Lineage" }
            @match graph {
                Err(e) => p.muted { (page::describe(e).1) },
                Ok(g) if g.nodes.len() <= 1 => p.muted {
                    "No lineage known yet. Pipelines that send OpenLineage events to Steward "
                    "(POST /api/v1/lineage) show up here."
                },
                Ok(g) => {
                    @let up: Vec<&LineageNode> = g.nodes.iter().filter(|n| n.distance < 0).collect();
                    @let down: Vec<&LineageNode> = g.nodes.iter().filter(|n| n.distance > 0).collect();
                    h3 { "Upstream" }
                    @if up.is_empty() { p.muted { "None known." } } @else { ul { @for n in &up { (item(n)) } } }
                    h3 { "Downstream" }
                    @if down.is_empty() { p.muted { "None known." } } @else { ul { @for n in &down { (item(n)) } } }
                    (svg(g))
                    @if g.truncated { p.muted { "Only part of the lineage is shown." } }
                },
            }
        }
    }
}
