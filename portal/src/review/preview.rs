//! Two panels of the proposal page: a new product's rendered preview (what
//! publishing it would put in the catalog: tables, columns, classification,
//! PII, SLO, location) and who a breaking change affects.

use maud::{Markup, html};
use steward_api::{Consumer, Impact};
use steward_catalog::service::proposals::StoredFinding;

use crate::diff::is_breaking_rule;
use crate::page::{classification, when};

/// A new product as the catalog would show it. `pii_tags` are the policy's
/// tags that mark personal data on a column.
pub fn product(d: &steward_api::ProductDetail, pii_tags: &[String]) -> Markup {
    let is_pii = |tags: &[String]| tags.iter().any(|t| pii_tags.contains(t));
    let pii_columns: usize = d.tables.iter().flat_map(|t| &t.columns).filter(|c| is_pii(&c.tags)).count();
    html! {
        section #preview aria-labelledby="preview-h" {
            h2 #preview-h { "New product: what publishing it creates" }
            dl.facts {
                dt { "Name" } dd { (d.name) " " span.key { (d.key) } " " span.ver { "v" (d.version) } }
                dt { "Owner" } dd { bdi { (d.owner_team) } }
                dt { "Classification" } dd { (classification(&d.classification)) }
                dt { "Personal data" } dd {
                    @if pii_columns == 0 { "none marked" }
                    @else { span.badge.pii.c-restricted { "PII" } " in " (pii_columns) " column(s)" }
                }
                dt { "Catalog database" } dd { code { (d.database) } }
                dt { "SLO" } dd {
                    @if d.slo.is_empty() { span.muted { "none" } }
                    @for s in &d.slo {
                        code { (s.schedule) } " " (s.timezone) ", grace " (s.grace_minutes) " min"
                        @if let Some(t) = &s.table { " (table " code { (t) } ")" }
                        br;
                    }
                }
            }
            p.purpose.text dir="auto" { (d.description.purpose) }
            @for t in &d.tables {
                h3 { "Table " code { (t.name) } }
                p.muted { (t.description) }
                p { "Location " code { (t.location) } " · format " (t.format)
                    @if !t.partition_keys.is_empty() { " · partitioned by " code { (t.partition_keys.join(", ")) } } }
                div.scroll tabindex="0" role="region" aria-label={ "Columns of " (t.name) } {
                    table.columns {
                        thead { tr { th { "Column" } th { "Type" } th { "Required" } th { "Classification" } th { "PII" } th { "Description" } } }
                        tbody {
                            @for c in &t.columns {
                                tr {
                                    td { code { (c.name) } @if let Some(p) = c.partition_position { " " small.muted { "partition " (p) } } }
                                    td { (c.logical_type) @if let Some(p) = &c.physical_type { br; small.muted { (p) } } }
                                    td { @if c.required { "yes" } @else { "no" } }
                                    td { @if let Some(cl) = &c.classification { (classification(cl)) } }
                                    td { @if is_pii(&c.tags) { span.badge.pii.c-restricted { "PII" } } @else { span.muted { "–" } } }
                                    td dir="auto" { (c.description.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Who a breaking change affects, and what they lose (the breaking findings).
/// `published_major`: the proposal's major once it is published, so the
/// table says which accounts have moved their grant to it and which have not.
pub fn affected(who: &Impact, findings: &[StoredFinding], key: &str, published_major: Option<i64>) -> Markup {
    let losses: Vec<&StoredFinding> = findings.iter().filter(|f| is_breaking_rule(&f.rule)).collect();
    html! {
        section #affected aria-labelledby="affected-h" {
            h2 #affected-h { "Who this breaking change affects" }
            @if who.consumers_total == 0 {
                p { "No account holds a grant on or a subscription to " code { (key) } " now: nobody reads it through Steward." }
            } @else {
                p {
                    strong { (who.consumers_total) " account(s)" } " hold an active grant on or a subscription to " code { (key) }
                    @if published_major.is_some() { ". This version took from each of them:" } @else { ". Publishing this version, each of them loses:" }
                }
                ul.losses {
                    @for f in &losses { li { code { (f.rule) } " " (f.message) } }
                }
                div.scroll tabindex="0" role="region" aria-label="Affected accounts" {
                    table.affected {
                        thead { tr {
                            th { "Account" } th { "Grant" } th { "Subscriptions" }
                            @if let Some(m) = published_major { th { "On v" (m) "?" } }
                        } }
                        tbody { @for a in &who.consumers { (row(a, published_major)) } }
                    }
                }
                @if let Some(from) = &who.approvable_from {
                    p.notice { "The policy gives consumers notice of breaking changes: this proposal may be approved from "
                        strong { (steward_api::time::format(from).get(..16).unwrap_or_default().replacen('T', " ", 1)) " UTC" } "." }
                }
                @if (who.consumers.len() as i64) < who.consumers_total {
                    p.muted { "Showing " (who.consumers.len()) " of " (who.consumers_total) " accounts; "
                        a href={ "/grants?status=active&product=" (crate::page::enc(key)) } { "all grants on " (key) } "." }
                }
            }
        }
    }
}

fn row(a: &Consumer, published_major: Option<i64>) -> Markup {
    html! {
        tr {
            td { code { (a.account) } }
            td {
                @match a.grant_id {
                    Some(id) => { "grant " (id) @if let Some(m) = a.major { " (v" (m) ")" } @match &a.expires_at { Some(e) => { ", until " (when(e)) }, None => { ", no end date" } } },
                    None => span.muted { "none (subscription only)" },
                }
            }
            td { (a.subscriptions) }
            @if let Some(new) = published_major {
                td.migration {
                    @match a.major {
                        Some(m) if m >= new => { "migrated" }
                        Some(m) if a.acknowledged_major >= Some(new) => { "stays on v" (m) " until its end of life (acknowledged)" }
                        Some(m) => { strong { "not yet" } " (still on v" (m) ")" }
                        None => span.muted { "no grant" },
                    }
                }
            }
        }
    }
}
