//! Discovery: the catalog search with filters and paging, the portal's home.
//!
//! It calls [`Service::search`] with the same limits the API enforces (20 a
//! page here, paging stops at the counted matches), so the portal can never
//! ask the store for more than the API could.

use axum::extract::{Query, State};
use axum::response::Html;
use maud::{Markup, html};
use serde::Deserialize;
use steward_catalog::service::Service;
use steward_catalog::service::catalog::{COUNT_CAP, ProductSummary, SearchPage, SearchQuery};

use crate::page::{self, Nav, PageError, classification, enc};
use crate::session::Session;

pub const PAGE_SIZE: i64 = 20;

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub q: Option<String>,
    pub domain: Option<String>,
    pub tag: Option<String>,
    pub classification: Option<String>,
    pub offset: Option<i64>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// `GET /`: search box, filters, results.
pub async fn page(
    State(service): State<Service>,
    session: Session,
    Query(p): Query<Params>,
) -> Result<Html<String>, PageError> {
    render(&service, &session, &p).await
}

/// Renders the discovery page (also used by the benchmark).
pub async fn render(service: &Service, session: &Session, p: &Params) -> Result<Html<String>, PageError> {
    let offset = p.offset.unwrap_or(0).clamp(0, COUNT_CAP - PAGE_SIZE);
    let query = SearchQuery {
        q: non_empty(&p.q),
        domain: non_empty(&p.domain),
        tag: non_empty(&p.tag),
        classification: non_empty(&p.classification),
        limit: PAGE_SIZE,
        offset,
        scored_max: None,
    };
    let results = service.search(&query).await.map_err(|e| PageError::from(e).signed_in(session))?;
    let levels = &service.policy().classifications;
    let body = html! {
        h1 { "Discover data products" }
        form.search method="get" action="/" role="search" {
            div.row {
                input type="search" name="q" value=[query.q.as_deref()] placeholder="Search names, descriptions, columns, tags"
                    aria-label="Search";
                button.primary type="submit" { "Search" }
            }
            div.row.filters {
                label { "Domain " input type="text" name="domain" value=[query.domain.as_deref()] size="12"; }
                label { "Tag " input type="text" name="tag" value=[query.tag.as_deref()] size="12"; }
                label { "Classification "
                    select name="classification" {
                        option value="" { "any" }
                        @for level in levels {
                            option value=(level) selected[query.classification.as_deref() == Some(level.as_str())] { (level) }
                        }
                    }
                }
            }
        }
        (results_list(&query, &results))
    };
    Ok(page::shell("Discover", Some((session, Nav::Discover)), body))
}

fn results_list(q: &SearchQuery, r: &SearchPage) -> Markup {
    let plus = if r.total_capped { "+" } else { "" };
    let first = q.offset + 1;
    let last = q.offset + r.items.len() as i64;
    html! {
        p.count aria-live="polite" {
            @if r.items.is_empty() { "No products match." }
            @else { "Showing " (first) "–" (last) " of " (r.total) (plus) " products" }
        }
        ol.results {
            @for item in &r.items { (result(item)) }
        }
        nav.pager aria-label="Pages" {
            @if q.offset > 0 {
                a rel="prev" href=(page_link(q, (q.offset - PAGE_SIZE).max(0))) { "← Previous" }
            }
            @if last < r.total && last < COUNT_CAP {
                a rel="next" href=(page_link(q, last)) { "Next →" }
            }
        }
    }
}

fn result(p: &ProductSummary) -> Markup {
    html! {
        li.result {
            div.title {
                a href={ "/products/" (p.key) } { (p.name) }
                " " span.key { (p.key) } " " span.ver { "v" (p.version) }
            }
            p.desc { (p.description) }
            div.meta {
                span { "Owner: " (p.owner_team) }
                (classification(&p.classification))
                @for t in &p.tags { span.tag { (t) } }
            }
        }
    }
}

fn page_link(q: &SearchQuery, offset: i64) -> String {
    let mut s = String::from("/?");
    for (k, v) in [("q", &q.q), ("domain", &q.domain), ("tag", &q.tag), ("classification", &q.classification)] {
        if let Some(v) = v {
            s.push_str(&format!("{k}={}&", enc(v)));
        }
    }
    s.push_str(&format!("offset={offset}"));
    s
}
