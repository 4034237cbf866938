//! The product page: what a consumer needs to decide to use a product
//! (description, owner and contacts, tables, columns, classification,
//! partition keys, SLO) and what a reviewer needs to follow its history
//! (versions, and a diff between any two of them).
//!
//! Delivery (SLO status with a 30-day chart, recent refreshes) and who has
//! access come from the same service calls as the API's; a failure in one of
//! those sections is shown in that section and does not hide the rest.
//!
//! Above the description: a deprecation (with the successor the contract
//! names) and any breaking change waiting for review
//! ([`Service::product_notices`]), so a consumer learns of them before
//! building on the product. For a consumer, "Your access" (see
//! [`crate::consumer`]); for everyone, "How to use it".

use axum::extract::{Path, Query, State};
use axum::response::Html;
use maud::{Markup, html};
use serde::Deserialize;
use steward_catalog::model::{CatalogTable, Contact, ProductDetail};
use steward_catalog::service::Service;
use steward_catalog::service::catalog::ProductVersion;

use crate::page::{self, Nav, PageError, classification, when};
use crate::session::Session;
use crate::{consumer, delivery, diff};
use steward_catalog::error::ServiceError;
use steward_catalog::service::access::ProductNotices;

/// Refreshes listed on the page.
const RECENT_REFRESHES: i64 = 10;

#[derive(Debug, Default, Deserialize)]
pub struct DiffParams {
    pub from: Option<String>,
    pub to: Option<String>,
    /// After a consumer form: what was done (`requested`, `cancelled`, ...) to item `id`.
    pub done: Option<String>,
    pub id: Option<String>,
}

/// `GET /products/{key}` (with `?from=&to=` for a version diff).
pub async fn page(
    State(service): State<Service>,
    session: Session,
    Path(key): Path<String>,
    Query(d): Query<DiffParams>,
) -> Result<Html<String>, PageError> {
    render(&service, &session, &key, &d).await
}

/// Renders a product page (also used by the benchmark).
pub async fn render(
    service: &Service,
    session: &Session,
    key: &str,
    d: &DiffParams,
) -> Result<Html<String>, PageError> {
    render_with(service, session, key, d, None).await
}

/// A product page with a `notice` under its heading (a form's answer).
pub async fn render_with(
    service: &Service,
    session: &Session,
    key: &str,
    d: &DiffParams,
    notice: Option<Markup>,
) -> Result<Html<String>, PageError> {
    let err = |e| PageError::from(e).signed_in(session);
    let key = steward_schemas_key(key)
        .map_err(|m| PageError::page(axum::http::StatusCode::BAD_REQUEST, "Bad product key", m).signed_in(session))?;
    // As the API: credential fields of the contract are redacted for anyone
    // but the product's producers, on the page and in the diff.
    let p = service.product(&session.who, &key).await.map_err(err)?;
    let versions = service.versions(&key).await.map_err(err)?;
    let diff = match (&d.from, &d.to) {
        (Some(from), Some(to)) if !from.is_empty() && !to.is_empty() => {
            Some((from.as_str(), to.as_str(), service.diff(&session.who, &key, from, to).await.map_err(err)?))
        }
        _ => None,
    };
    let slo = service.slo_status(&key).await;
    let refreshes = service.refreshes(&key, None, RECENT_REFRESHES).await;
    let access = crate::access::for_product(service, session, &key).await;
    let notices = service.product_notices(&session.who, &key).await;
    let mine = consumer::panels_data(service, session, &key).await;
    let lineage = service.lineage(&key, Some(crate::lineage::DEPTH)).await;
    let majors = service.majors(&session.who, &key).await;
    let done = d.done.as_deref().zip(d.id.as_deref().and_then(|i| i.parse::<i64>().ok()));
    let message = match (&mine, done) {
        (Some(Ok(m)), Some((kind, id))) => m.done_message(kind, id),
        _ => None,
    };
    let body = html! {
        (heading(&p))
        @if let Some(n) = &notice { (n) }
        @if let Some(m) = &message { (page::flash("ok", m)) }
        (notices_section(&notices))
        (about(&p))
        @if let Some(m) = &mine { (consumer::your_access(session, &p, m)) }
        (consumer::how_to_use(service, &p, mine.as_ref()))
        section #tables {
            h2 { "Tables" }
            @for t in &p.tables { (table(t)) }
        }
        section #slo {
            h2 { "Delivery SLO" }
            @match &slo {
                Ok(status) => (delivery::slo(status)),
                Err(e) => p.muted { (page::describe(e).1) },
            }
        }
        section #refreshes {
            h2 { "Recent refreshes" }
            @match &refreshes {
                Ok(list) => (delivery::refreshes(list)),
                Err(e) => p.muted { (page::describe(e).1) },
            }
        }
        (crate::lineage::section(&lineage))
        section #access {
            h2 { "Who has access" }
            (access)
        }
        (crate::majors::section(&majors))
        (versions_section(&p.key, &versions, diff.as_ref().map(|(a, b, t)| (*a, *b, t.as_str()))))
    };
    Ok(page::shell(&p.name, Some((session, Nav::Discover)), body))
}

/// Is `raw` a well-formed product key (`domain.product`)?
pub(crate) fn is_key(raw: &str) -> bool {
    steward_schemas_key(raw).is_ok()
}

/// Product keys are validated like the API does (so a bad key is a 400 with the reason).
fn steward_schemas_key(raw: &str) -> Result<String, String> {
    let ok = |s: &str| {
        !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    };
    match raw.split_once('.') {
        Some((d, p)) if ok(d) && ok(p) => Ok(raw.to_owned()),
        _ => Err(format!("`{raw}` is not a product key (`domain.product`, lower snake case)")),
    }
}

fn heading(p: &ProductDetail) -> Markup {
    html! {
        header.product {
            h1 dir="auto" { (p.name) }
            div.meta {
                span.key { (p.key) }
                span.ver { "v" (p.version) }
                span.badge { (p.status) }
                (classification(&p.classification))
                @for t in &p.tags { span.tag { (t) } }
            }
        }
    }
}

/// A deprecation and pending breaking changes; a failure to read them is
/// said in place (the rest of the page stands).
fn notices_section(notices: &Result<ProductNotices, ServiceError>) -> Markup {
    let n = match notices {
        Ok(n) => n,
        Err(e) => return html! { p.muted { "Notices unavailable: " (page::describe(e).1) } },
    };
    html! {
        @if let Some(d) = &n.deprecation {
            div.flash.warn #deprecated role="note" {
                strong { "Deprecated." } " This product takes no new access requests. "
                @match &d.successor {
                    Some(s) => { "Its successor is " a href={ "/products/" (s) } { (s) } "." },
                    None => "Its contract names no successor; ask its owner.",
                }
            }
        }
        @for c in &n.breaking {
            div.flash.warn.breaking-pending role="note" {
                p {
                    span.badge.breaking { "breaking" } " "
                    strong { "A breaking change is pending review" } ": version " (c.version)
                    " (proposal #" (c.proposal_id) ", submitted " (when(&c.submitted_at)) ")."
                }
                @if !c.findings.is_empty() {
                    ul {
                        @for (rule, path, message) in &c.findings {
                            li { code { (rule) } " " code { (path) } ": " (message) }
                        }
                    }
                }
            }
        }
    }
}

fn about(p: &ProductDetail) -> Markup {
    html! {
        section #about .grid {
            div {
                h2 { "Description" }
                // Line breaks kept (`.text`: white-space pre-line); the
                // direction follows the text (`dir=auto` isolates it).
                p.purpose.text dir="auto" { (p.description.purpose) }
                @if let Some(u) = &p.description.usage { h3 { "Usage" } p.text dir="auto" { (u) } }
                @if let Some(l) = &p.description.limitations { h3 { "Limitations" } p.text dir="auto" { (l) } }
            }
            div {
                h2 { "Owner" }
                p { strong { bdi { (p.owner_team) } } }
                @if !p.contacts.is_empty() {
                    h3 { "Contacts" }
                    ul.contacts { @for c in &p.contacts { li { (contact(c)) } } }
                }
                h3 { "Catalog database" }
                p { code { (p.database) } }
            }
        }
    }
}

/// Contact links only for schemes that cannot run script, and not for a
/// redacted URL (`https://hooks.slack.com/…` leads nowhere).
fn contact(c: &Contact) -> Markup {
    let label = c.channel.as_deref().or(c.url.as_deref()).unwrap_or("?");
    let safe_url = c.url.as_deref().filter(|u| {
        let lower = u.to_ascii_lowercase();
        (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
            && !u.ends_with('…')
    });
    html! {
        @if let Some(tool) = &c.tool { span.badge { (tool) } " " }
        @match safe_url {
            Some(u) => a href=(u) rel="noopener noreferrer" { (label) },
            None => span { (label) },
        }
    }
}

/// Tables with more columns than this start collapsed, with a column filter.
pub const COLLAPSE_COLUMNS: usize = 25;

/// One table: its facts, then its columns in a `<details>` (open unless the
/// table has more than [`COLLAPSE_COLUMNS`] columns). Above the columns, a
/// filter by name that `portal.js` shows and runs; without script the whole
/// list is there to read (and the browser's find).
fn table(t: &CatalogTable) -> Markup {
    let n = t.columns.len();
    let many = n > COLLAPSE_COLUMNS;
    let id = format!("cols-{}", t.name);
    html! {
        article.table id={ "table-" (t.name) } {
            h3 { (t.name) }
            @if !t.description.is_empty() { p.text dir="auto" { (t.description) } }
            dl.facts {
                dt { "Location" } dd { code { (t.location) } }
                dt { "Format" } dd { (t.format) }
                dt { "Partition keys" }
                dd { @if t.partition_keys.is_empty() { "none" } @else { code { (t.partition_keys.join(", ")) } } }
            }
            details.columns open[!many] {
                summary { (n) @if n == 1 { " column" } @else { " columns" } }
                @if many {
                    div.col-filter hidden {
                        label for={ (id) "-filter" } { "Filter columns of " (t.name) " by name" }
                        " "
                        input type="search" id={ (id) "-filter" } data-filter-table=(id) autocomplete="off";
                        " " span.muted.col-count aria-live="polite" {}
                    }
                }
                div.scroll tabindex="0" role="region" aria-label={ "Columns of " (t.name) } {
                    table.cols id=(id) {
                        thead { tr { th { "Column" } th { "Type" } th { "Physical" } th { "Required" } th { "Classification" } th { "Description" } } }
                        tbody {
                            @for c in &t.columns {
                                tr data-name=(c.name) {
                                    td {
                                        code { (c.name) }
                                        @if let Some(pos) = c.partition_position { " " span.badge.part title="partition key" { "partition " (pos) } }
                                    }
                                    td { (c.logical_type) }
                                    td { code { (c.physical_type.as_deref().unwrap_or("")) } }
                                    td { @if c.required { "yes" } @else { "no" } }
                                    td { @if let Some(cl) = &c.classification { (classification(cl)) } }
                                    td dir="auto" {
                                        (c.description.as_deref().unwrap_or(""))
                                        @for tag in &c.tags { " " span.tag { (tag) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn versions_section(key: &str, versions: &[ProductVersion], diff: Option<(&str, &str, &str)>) -> Markup {
    let newest = versions.first().map(|v| v.version.as_str()).unwrap_or("");
    let second = versions.get(1).map(|v| v.version.as_str()).unwrap_or(newest);
    let (from, to) = diff.map(|(a, b, _)| (a, b)).unwrap_or((second, newest));
    html! {
        section #versions {
            h2 { "Versions" }
            div.scroll tabindex="0" role="region" aria-label="Versions" {
                table {
                    thead { tr { th { "Version" } th { "Published" } th { "Commit" } th { "Proposal" } } }
                    tbody {
                        @for v in versions {
                            tr {
                                td { (v.version) }
                                td { (when(&v.published_at)) }
                                td { code { (v.commit_id.get(..10).unwrap_or(&v.commit_id)) } }
                                td { @if let Some(id) = v.proposal_id { a href={ "/proposals/" (id) } { "#" (id) } } }
                            }
                        }
                    }
                }
            }
            @if versions.len() > 1 {
                form.inline.versions method="get" action={ "/products/" (key) "#diff" } {
                    label { "Compare " (version_select("from", versions, from)) }
                    label { " with " (version_select("to", versions, to)) }
                    button type="submit" { "Show diff" }
                }
            }
            @if let Some((a, b, text)) = diff {
                div #diff {
                    h3 { "Changes from " (a) " to " (b) }
                    @if text.is_empty() { p.muted { "No differences." } }
                    @else { (diff::render(&diff::parse(text), &[])) }
                }
            }
        }
    }
}

fn version_select(name: &str, versions: &[ProductVersion], selected: &str) -> Markup {
    html! {
        select name=(name) {
            @for v in versions { option value=(v.version) selected[v.version == selected] { (v.version) } }
        }
    }
}
