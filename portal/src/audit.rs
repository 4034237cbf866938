//! The audit log with filters (actor, action, target) and paging backwards.
//!
//! The read is the service's [`Service::audit_log`], as for the API, so who
//! may read the log is decided in one place; its error (403 for producers
//! and consumers) is shown with its status and message.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use maud::html;
use serde::Deserialize;
use steward_catalog::service::Service;
use steward_catalog::service::admin::AuditFilter;

use crate::page::{self, Nav, PageError, enc, when};
use crate::session::Session;

const PAGE_SIZE: i64 = 100;
const ACTIONS: [&str; 14] = [
    "proposal.submit",
    "proposal.validated",
    "proposal.claim",
    "proposal.approve",
    "proposal.reject",
    "proposal.recovered",
    "product.publish",
    "product.republish",
    "registry.merge_refused",
    "catalog.rebuild",
    "outbox.retry",
    "token.create",
    "token.revoke",
    "access.approve",
];

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub before: Option<i64>,
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// `GET /audit`.
pub async fn page(
    State(service): State<Service>,
    session: Session,
    Query(p): Query<Params>,
) -> Result<Html<String>, PageError> {
    let (actor, action, target) = (non_empty(&p.actor), non_empty(&p.action), non_empty(&p.target));
    let filter = AuditFilter {
        actor: actor.clone(),
        action: action.clone(),
        target: target.clone(),
        before_id: p.before,
        limit: PAGE_SIZE,
    };
    let events = match service.audit_log(&session.who, &filter).await {
        Ok(events) => events,
        Err(e) => {
            let (status, message) = page::describe(&e);
            let title = if status == StatusCode::FORBIDDEN { "Not allowed" } else { "Audit log unavailable" };
            return Err(PageError::page(status, title, message).signed_in(&session));
        }
    };
    let filter_link = |before: i64| {
        let mut s = format!("/audit?before={before}");
        for (k, v) in [("actor", &actor), ("action", &action), ("target", &target)] {
            if let Some(v) = v {
                s.push_str(&format!("&{k}={}", enc(v)));
            }
        }
        s
    };
    let body = html! {
        h1 { "Audit log" }
        form.search method="get" action="/audit" {
            div.row.filters {
                label { "Actor " input type="text" name="actor" value=[actor.as_deref()] size="12"; }
                label { "Action "
                    input type="text" name="action" value=[action.as_deref()] list="actions" size="16";
                    datalist #actions { @for a in ACTIONS { option value=(a) {} } }
                }
                label { "Target " input type="text" name="target" value=[target.as_deref()] size="18" placeholder="proposal:12"; }
                button.primary type="submit" { "Filter" }
            }
        }
        @if events.is_empty() {
            p.muted { "No events match." }
        } @else {
            div.scroll tabindex="0" role="region" aria-label="Audit log entries" {
                table.audit {
                    thead { tr { th { "#" } th { "When" } th { "Actor" } th { "Action" } th { "Target" } th { "Before → after" } } }
                    tbody {
                        @for e in &events {
                            tr {
                                td { (e.id) }
                                td { (when(&e.at)) }
                                td { (e.actor) }
                                td { code { (e.action) } }
                                td { (target_link(&e.target)) }
                                td.change {
                                    @if let Some(b) = &e.before { code { (b.to_string()) } " → " }
                                    @if let Some(a) = &e.after { code { (a.to_string()) } }
                                }
                            }
                        }
                    }
                }
            }
            @if events.len() as i64 == PAGE_SIZE {
                @if let Some(last) = events.last() {
                    nav.pager { a rel="next" href=(filter_link(last.id)) { "Older →" } }
                }
            }
        }
    };
    Ok(page::shell("Audit", Some((&session, Nav::Audit)), body))
}

/// Targets that are portal pages become links.
fn target_link(target: &str) -> maud::Markup {
    let href = match target.split_once(':') {
        Some(("proposal", id)) if id.bytes().all(|b| b.is_ascii_digit()) => Some(format!("/proposals/{id}")),
        Some(("product", key)) => Some(format!("/products/{}", enc(key))),
        _ => None,
    };
    html! {
        @match href { Some(h) => a href=(h) { (target) }, None => code { (target) } }
    }
}
