//! Discovery: the catalog search with filters, facets and paging, the portal's home.
//!
//! It calls [`Service::search`] with the same limits the API enforces (20 a
//! page here, paging stops at the counted matches), so the portal can never
//! ask the store for more than the API could. Domains and tags are
//! multi-select facets (checkboxes with counts); a hit's domain, tags and
//! owner link to the search filtered by them.

use axum::extract::{Query, State};
use axum::response::Html;
use maud::{Markup, html};
use steward_catalog::service::Service;
use steward_catalog::service::catalog::{COUNT_CAP, FacetCount, ProductSummary, SearchPage, SearchQuery, SloHealth};

use crate::page::{self, Nav, PageError, classification, enc};
use crate::session::Session;

pub const PAGE_SIZE: i64 = 20;

/// A description in the results is cut to this many characters.
pub const SHORT_DESCRIPTION: usize = 240;

/// `text` on one line (runs of whitespace, line breaks included, as one
/// space), cut at a word boundary to at most `max` characters plus "…"
/// (mid-word when one word is longer than that).
pub fn shorten(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    let at = match cut.rfind(' ') {
        Some(i) if i > max / 2 => i,
        _ => cut.len(),
    };
    format!("{}…", cut[..at].trim_end_matches([' ', ',', ';', ':', '.']))
}

/// The page's query string: `domain` and `tag` may repeat (one per checked box).
#[derive(Debug, Default, Clone)]
pub struct Params {
    pub q: Option<String>,
    pub domain: Vec<String>,
    pub tag: Vec<String>,
    pub classification: Option<String>,
    pub owner: Option<String>,
    pub offset: Option<i64>,
}

impl Params {
    /// From the query pairs; other names are ignored, and an offset that is
    /// not a number is the first page.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut p = Params::default();
        for (name, value) in pairs {
            let v = value.trim();
            if v.is_empty() {
                continue;
            }
            match name.as_str() {
                "q" => p.q = Some(v.to_owned()),
                "domain" => p.domain.push(v.to_owned()),
                "tag" => p.tag.push(v.to_owned()),
                "classification" => p.classification = Some(v.to_owned()),
                "owner" => p.owner = Some(v.to_owned()),
                "offset" => p.offset = v.parse().ok(),
                _ => {}
            }
        }
        p
    }
}

/// `GET /`: search box, filters, facets, results.
pub async fn page(
    State(service): State<Service>,
    session: Session,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Html<String>, PageError> {
    render(&service, &session, &Params::from_pairs(&pairs)).await
}

/// Renders the discovery page (also used by the benchmark).
pub async fn render(service: &Service, session: &Session, p: &Params) -> Result<Html<String>, PageError> {
    let offset = p.offset.unwrap_or(0).clamp(0, COUNT_CAP - PAGE_SIZE);
    let query = SearchQuery {
        q: p.q.clone(),
        domains: p.domain.clone(),
        tags: p.tag.clone(),
        classification: p.classification.clone(),
        owner: p.owner.clone(),
        limit: PAGE_SIZE,
        offset,
        scored_max: None,
    };
    let results = service.search(&session.who, &query).await.map_err(|e| PageError::from(e).signed_in(session))?;
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
                label { "Classification "
                    select name="classification" {
                        option value="" { "any" }
                        @for level in levels {
                            option value=(level) selected[query.classification.as_deref() == Some(level.as_str())] { (level) }
                        }
                    }
                }
                @if let Some(owner) = &query.owner {
                    label { input type="checkbox" name="owner" value=(owner) checked; " Owner " strong { (owner) } }
                }
                // A new search keeps the facets chosen so far.
                @for d in &query.domains { input type="hidden" name="domain" value=(d); }
                @for t in &query.tags { input type="hidden" name="tag" value=(t); }
            }
        }
        div.discover {
            (facets(&query, &results))
            div.hits { (results_list(&query, &results)) }
        }
    };
    Ok(page::shell("Discover", Some((session, Nav::Discover)), body))
}

/// The domain and tag facets: a form of checkboxes with counts that keeps
/// the words and the other filters.
fn facets(q: &SearchQuery, r: &SearchPage) -> Markup {
    let plus = if r.facets.capped { "+" } else { "" };
    let group = |legend: &str, name: &str, values: &[FacetCount]| {
        html! {
            fieldset {
                legend { (legend) }
                @if values.is_empty() { p.muted { "None" } }
                @else {
                    ul {
                        @for f in values {
                            li { label {
                                input type="checkbox" name=(name) value=(f.value) checked[f.selected];
                                " " (f.value) " " span.n { "(" (f.count) (plus) ")" }
                            } }
                        }
                    }
                }
            }
        }
    };
    html! {
        form.facets method="get" action="/" aria-label="Filter by domain and tag" {
            @if let Some(v) = &q.q { input type="hidden" name="q" value=(v); }
            @if let Some(v) = &q.classification { input type="hidden" name="classification" value=(v); }
            @if let Some(v) = &q.owner { input type="hidden" name="owner" value=(v); }
            (group("Domains", "domain", &r.facets.domains))
            (group("Tags", "tag", &r.facets.tags))
            @if r.facets.capped { p.muted { small { "Counts of the first 1,000 matches." } } }
            button type="submit" { "Apply filters" }
        }
    }
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

fn health(h: SloHealth) -> Markup {
    let text = match h {
        SloHealth::OnTime => "on time",
        SloHealth::Late => "late",
        SloHealth::Breached => "breached",
        SloHealth::Unknown => "unknown",
    };
    html! { span class={ "badge slo slo-" (h.as_str()) } { "SLO " (text) } }
}

fn result(p: &ProductSummary) -> Markup {
    html! {
        li.result {
            div.title {
                a href={ "/products/" (p.key) } { bdi { (p.name) } }
                " " span.key { (p.key) } " " span.ver { "v" (p.version) }
                @if p.breaking_change_pending { " " span.badge.breaking { "Breaking change pending" } }
                @if p.status.is_withdrawn() { " " span.badge.deprecated { (p.status.as_str()) } }
                @if p.has_access { " " span.badge.access { "✓ You have access" } }
            }
            // Shortened to one paragraph of up to SHORT_DESCRIPTION characters;
            // the product page has it all, with its line breaks.
            p.desc dir="auto" { (shorten(&p.description, SHORT_DESCRIPTION)) }
            @if !p.matched_columns.is_empty() {
                p.cols {
                    @if p.matched_columns.len() == 1 { "Matches column " } @else { "Matches columns " }
                    @for (i, c) in p.matched_columns.iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (c) }
                    }
                }
            }
            div.meta {
                span { "Domain " a href={ "/?domain=" (enc(&p.domain)) } { (p.domain) } }
                span { "Owner " a href={ "/?owner=" (enc(&p.owner_team)) } { bdi { (p.owner_team) } } }
                (classification(&p.classification))
                (health(p.slo_health))
                @for t in &p.tags { a.tag href={ "/?tag=" (enc(t)) } { (t) } }
            }
        }
    }
}

fn page_link(q: &SearchQuery, offset: i64) -> String {
    let mut s = String::from("/?");
    let mut add = |k: &str, v: &str| s.push_str(&format!("{k}={}&", enc(v)));
    if let Some(v) = &q.q {
        add("q", v);
    }
    for v in &q.domains {
        add("domain", v);
    }
    for v in &q.tags {
        add("tag", v);
    }
    for (k, v) in [("classification", &q.classification), ("owner", &q.owner)] {
        if let Some(v) = v {
            add(k, v);
        }
    }
    s.push_str(&format!("offset={offset}"));
    s
}

#[cfg(test)]
mod tests {
    use super::shorten;

    #[test]
    fn descriptions_are_flattened_and_cut_at_a_word() {
        assert_eq!(shorten("One line.\nTwo  lines.", 100), "One line. Two lines.");
        assert_eq!(shorten("alpha beta gamma delta", 12), "alpha beta…");
        let word = "x".repeat(50);
        assert_eq!(shorten(&word, 10), format!("{}…", "x".repeat(10)));
        assert_eq!(shorten("עברית ועוד מילים רבות מאוד", 12).chars().count(), 11);
    }
}
