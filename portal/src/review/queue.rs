//! What every reviewer queue page shares: the query string (status tab,
//! domain, product, order, page), tabs with counts, the filter form, and a
//! pager that reaches the last page, so no item is ever out of reach.

use maud::{Markup, html};
use serde::Deserialize;
use steward_catalog::service::proposals::{Order, QueuePage, QueueQuery};

use crate::page::enc;

/// Rows on a queue page.
pub const PAGE_SIZE: i64 = 50;
/// The tab that lists every status.
pub const ALL: &str = "all";

/// A queue's query string.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueueParams {
    pub status: Option<String>,
    pub domain: Option<String>,
    pub product: Option<String>,
    pub order: Option<String>,
    /// 1-based.
    pub page: Option<i64>,
    /// What was just decided (`approved`, `rejected`, `revoked`) and its id:
    /// the success message names the item, read back from the service.
    pub done: Option<String>,
    pub id: Option<i64>,
}

impl QueueParams {
    /// The status tab's name: the parameter, or `default` when absent.
    pub fn status_or<'a>(&'a self, default: &'a str) -> &'a str {
        self.status.as_deref().filter(|s| !s.is_empty()).unwrap_or(default)
    }

    pub fn order(&self) -> Order {
        Order::parse(self.order.as_deref())
    }

    pub fn page(&self) -> i64 {
        self.page.unwrap_or(1).max(1)
    }

    fn domain(&self) -> Option<&str> {
        self.domain.as_deref().map(str::trim).filter(|d| !d.is_empty())
    }

    fn product(&self) -> Option<&str> {
        self.product.as_deref().map(str::trim).filter(|p| !p.is_empty())
    }

    /// The store query for status `status` (`None`: every status).
    pub fn query(&self, status: Option<&str>) -> QueueQuery {
        QueueQuery {
            status: status.map(str::to_owned),
            domain: self.domain().map(str::to_owned),
            product: self.product().map(str::to_owned),
            order: self.order(),
            limit: PAGE_SIZE,
            offset: (self.page() - 1).saturating_mul(PAGE_SIZE),
        }
    }

    /// A link to `base` with these filters, the given status and page.
    pub fn href(&self, base: &str, status: &str, page: i64) -> String {
        let mut out = format!("{base}?status={}", enc(status));
        if let Some(d) = self.domain() {
            out.push_str(&format!("&domain={}", enc(d)));
        }
        if let Some(p) = self.product() {
            out.push_str(&format!("&product={}", enc(p)));
        }
        if self.order() != Order::default() {
            out.push_str(&format!("&order={}", self.order().as_str()));
        }
        if page > 1 {
            out.push_str(&format!("&page={page}"));
        }
        out
    }
}

/// Status tabs with their counts (under the current filters), then "All".
pub fn tabs<T>(base: &str, p: &QueueParams, names: &[(&str, String)], current: &str, q: &QueuePage<T>) -> Markup {
    html! {
        nav.tabs aria-label="Status" {
            @for (value, label) in names {
                a href=(p.href(base, value, 1)) aria-current=[(*value == current).then_some("page")] {
                    (label) " " span.count { "(" (q.count(value)) ")" }
                }
            }
            a href=(p.href(base, ALL, 1)) aria-current=[(current == ALL).then_some("page")] {
                "All " span.count { "(" (q.all()) ")" }
            }
        }
    }
}

/// The filter form: domain (with the catalog's domains to pick from),
/// product, order; the status stays.
pub fn filters(base: &str, p: &QueueParams, status: &str, domains: &[String]) -> Markup {
    let order = p.order();
    html! {
        form.search.filters.queue-filter method="get" action=(base) role="search" aria-label="Filter the queue" {
            input type="hidden" name="status" value=(status);
            div.row {
                label for="f-domain" { "Domain" }
                input #f-domain type="text" name="domain" list="f-domains" size="14" value=[p.domain()]
                    autocomplete="off" spellcheck="false";
                datalist #f-domains { @for d in domains { option value=(d) {} } }
                label for="f-product" { "Product" }
                input #f-product type="text" name="product" size="18" value=[p.product()]
                    placeholder="sales.orders or orders" spellcheck="false";
                label for="f-order" { "Order" }
                select #f-order name="order" {
                    option value="oldest" selected[order == Order::Oldest] { "Oldest first" }
                    option value="newest" selected[order == Order::Newest] { "Newest first" }
                }
                button type="submit" { "Filter" }
                @if p.domain().is_some() || p.product().is_some() {
                    a href=(QueueParams { order: p.order.clone(), ..Default::default() }.href(base, status, 1)) { "Clear filters" }
                }
            }
        }
    }
}

/// "Showing 51–100 of 250, oldest first" and the pager.
pub fn summary<T>(what: &str, q: &QueuePage<T>, p: &QueueParams) -> Markup {
    let first = if q.items.is_empty() { 0 } else { q.offset + 1 };
    let last = q.offset + q.items.len() as i64;
    let order = match p.order() {
        Order::Oldest => "oldest first",
        Order::Newest => "newest first",
    };
    html! {
        p.muted.queue-summary role="status" {
            @if q.total == 0 { "No " (what) " match." }
            @else if q.items.is_empty() { "This page is past the end of the " (q.total) " " (what) "." }
            @else { "Showing " (first) "–" (last) " of " strong.total { (q.total) } " " (what) ", " (order) "." }
        }
    }
}

/// First / previous / page n of m / next / last.
pub fn pager<T>(base: &str, q: &QueuePage<T>, p: &QueueParams, status: &str) -> Markup {
    let size = q.limit.max(1);
    let pages = ((q.total + size - 1) / size).max(1);
    let page = p.page().min(pages.max(1));
    html! {
        @if pages > 1 {
            nav.pager aria-label="Pages" {
                @if page > 1 {
                    a rel="first" href=(p.href(base, status, 1)) { "« First" }
                    a rel="prev" href=(p.href(base, status, page - 1)) { "‹ Previous" }
                }
                span.muted { "Page " (page) " of " (pages) }
                @if page < pages {
                    a rel="next" href=(p.href(base, status, page + 1)) { "Next ›" }
                    a rel="last" href=(p.href(base, status, pages)) { "Last »" }
                }
            }
        }
    }
}
