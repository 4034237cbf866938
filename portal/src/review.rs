//! The reviewer queue: proposals by status, paged with counts and filtered
//! by domain and product, oldest first; and one proposal with its validation
//! findings (rule ids), the schema diff it is judged on with breaking
//! changes marked, who a breaking change affects, a rendered preview of a
//! new product, and the approve/reject forms.
//!
//! The forms are shown only to principals the service would let decide, but
//! that is a courtesy: the POST handlers call [`Service::approve`] and
//! [`Service::reject`], which decide. A refused decision re-renders the
//! proposal with the service's message and status (403, 409, 422).

pub mod preview;
pub mod queue;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use steward_catalog::service::Service;
use steward_catalog::service::proposals::{BaseKind, Proposal, ProposalStatus, ProposalView, StoredFinding};
use steward_policies::rules::rule_info;

use crate::diff;
use crate::page::{self, Nav, PageError, flash, when};
use crate::session::{CSRF_FIELD, Session};
use queue::{ALL, QueueParams};

/// Routes of the review pages beyond the queue and proposal page (merged
/// into the portal router): the grant revocation's confirmation step.
pub fn routes() -> axum::Router<steward_catalog::api::AppState> {
    axum::Router::new().route("/grants/{id}/revoke", axum::routing::get(crate::access::confirm_revoke))
}

/// The queue's tabs: a status and its label (then "All").
const STATUSES: [(ProposalStatus, &str); 4] = [
    (ProposalStatus::PendingReview, "Pending"),
    (ProposalStatus::Published, "Published"),
    (ProposalStatus::Rejected, "Rejected"),
    (ProposalStatus::RejectedByValidation, "Invalid"),
];

/// `GET /proposals`: the queue, pending and oldest first by default.
pub async fn queue(
    State(service): State<Service>,
    session: Session,
    Query(q): Query<QueueParams>,
) -> Result<Html<String>, PageError> {
    let current = q.status_or(ProposalStatus::PendingReview.as_str()).to_owned();
    let status =
        match current.as_str() {
            ALL => None,
            s => Some(s.parse::<ProposalStatus>().map_err(|m| {
                PageError::page(StatusCode::BAD_REQUEST, "Bad filter", m.to_string()).signed_in(&session)
            })?),
        };
    let err = |e| PageError::from(e).signed_in(&session);
    let list = service.proposal_queue(&session.who, &q.query(status.map(ProposalStatus::as_str))).await.map_err(err)?;
    let domains = service.queue_domains().await.map_err(err)?;
    let names: Vec<(&str, String)> = STATUSES.iter().map(|(s, l)| (s.as_str(), (*l).to_owned())).collect();
    let body = html! {
        h1 { "Reviews" }
        (queue::tabs("/proposals", &q, &names, &current, &list))
        (queue::filters("/proposals", &q, &current, &domains))
        (queue::summary("proposals", &list, &q))
        @if !list.items.is_empty() {
            div.scroll tabindex="0" role="region" aria-label="Proposals" {
                table.queue {
                    thead { tr { th { "#" } th { "Product" } th { "Version" } th { "Status" } th { "Submitted" } th { "Findings" } } }
                    tbody {
                        @for p in &list.items {
                            tr {
                                td { a href={ "/proposals/" (p.id) } { "#" (p.id) } }
                                td { a href={ "/proposals/" (p.id) } { (p.product_key) } }
                                td { (p.version) @if p.breaking { " " span.badge.breaking { "breaking" } } }
                                td { (status_badge(p.status)) }
                                td { (p.submitted_by) br; small.muted { (when(&p.submitted_at)) } }
                                td { (p.findings.len()) }
                            }
                        }
                    }
                }
            }
        }
        (queue::pager("/proposals", &list, &q, &current))
    };
    Ok(page::shell("Reviews", Some((&session, Nav::Reviews)), body))
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

/// `GET /proposals/{id}`.
pub async fn page(
    State(service): State<Service>,
    session: Session,
    Path(id): Path<i64>,
    Query(d): Query<Done>,
) -> Response {
    let done = d.done.as_deref().and_then(|d| d.parse::<ProposalStatus>().ok());
    render(&service, &session, id, StatusCode::OK, Notice::Done(done)).await
}

/// A message above the proposal.
enum Notice {
    /// After a redirect: what was decided (named from the proposal itself).
    Done(Option<ProposalStatus>),
    /// A refused decision: the service's message.
    Error(String),
}

/// "Approved proposal 12 (sales.orders 2.0.0) …": what a reviewer just did, naming it.
fn done_message(p: &Proposal, done: ProposalStatus) -> Option<String> {
    let item = format!("proposal {} ({} {})", p.id, p.product_key, p.version);
    // Only when the proposal is in that state: a stale `?done=` link says nothing.
    match (done, p.status) {
        (ProposalStatus::Approved, ProposalStatus::Published | ProposalStatus::Approved) => {
            Some(format!("Approved {item}; it is published."))
        }
        (ProposalStatus::Rejected, ProposalStatus::Rejected) => {
            Some(format!("Rejected {item}; the producer sees your comment."))
        }
        _ => None,
    }
}

async fn render(service: &Service, session: &Session, id: i64, status: StatusCode, notice: Notice) -> Response {
    let view = match service.proposal_view(&session.who, id).await {
        Ok(v) => v,
        Err(e) => return PageError::from(e).signed_in(session).into_response(),
    };
    let p = &view.proposal;
    let notice = match notice {
        Notice::Done(Some(done)) => done_message(p, done).map(|m| ("ok", m)),
        Notice::Done(None) => None,
        Notice::Error(m) => Some(("error", m)),
    };
    // Who a breaking change reaches matters while it can still be stopped.
    // Pending: who it would affect; published: who it did, and who has migrated.
    let affected =
        view.impact.as_ref().filter(|_| matches!(p.status, ProposalStatus::PendingReview | ProposalStatus::Published));
    let preview = if view.base_kind == BaseKind::NewProduct {
        service.proposal_preview(&session.who, id).await.ok().flatten()
    } else {
        None
    };
    let mut lines = diff::parse(&view.diff);
    let marked = diff::mark_breaking(&mut lines, &p.findings);
    let unmarked = diff::breaking_count(&p.findings).saturating_sub(marked);
    let published_major = (p.status == ProposalStatus::Published)
        .then(|| p.version.split('.').next().and_then(|m| m.parse::<i64>().ok()))
        .flatten();
    let body = html! {
        header.proposal {
            h1 { "Proposal #" (p.id) ": " (p.product_key) " " span.ver { "v" (p.version) } }
            div.meta {
                (status_badge(p.status))
                @if p.breaking { span.badge.breaking { "breaking change" } }
                span { "submitted by " strong { (p.submitted_by) } " on " (when(&p.submitted_at)) }
                @if let Some(by) = &p.decided_by {
                    span { "decided by " strong { (by) } @if let Some(at) = &p.decided_at { " on " (when(at)) } }
                }
            }
        }
        @if let Some((kind, message)) = &notice { (flash(kind, message)) }
        @if let Some(c) = &p.comment { blockquote.comment { (c) } }
        (banner(p))
        (findings(&p.findings))
        @if let Some(a) = affected { (preview::affected(a, &p.findings, &p.product_key, published_major)) }
        section #diff {
            (diff_heading(&view))
            @if view.diff.is_empty() {
                p.muted { (empty_diff(&view)) }
            } @else {
                @if marked > 0 { p.muted { (marked) " breaking finding(s) marked in the diff." } }
                @if unmarked > 0 {
                    p.flash.warn { (unmarked) " breaking finding(s) point at no changed line; see the findings above." }
                }
                (diff::render(&lines, &p.findings))
            }
        }
        @if let Some(d) = &preview { (preview::product(d, &service.policy().pii.tags)) }
        (decision(session, p))
        details.contract open[preview.is_some()] {
            summary { "Contract as submitted (YAML)" }
            pre tabindex="0" { code { (p.contract) } }
        }
    };
    (status, page::shell(&format!("Proposal #{}", p.id), Some((session, Nav::Reviews)), body)).into_response()
}

/// What the status and the findings mean for a decision. A proposal refused
/// by validation can never be approved, whatever its version says.
fn banner(p: &Proposal) -> Markup {
    let errors = p.findings.iter().filter(|f| f.severity == steward_api::Severity::Error).count();
    html! {
        @match p.status {
            ProposalStatus::RejectedByValidation => {
                p.flash.error.banner role="note" {
                    "Refused by validation with " (errors) " error(s): it was never open for review and cannot be approved. "
                    @if p.breaking { "It changes the published schema incompatibly without raising the major version. " }
                    "The producer fixes the findings below and submits again."
                }
            }
            ProposalStatus::PendingReview | ProposalStatus::Submitted if p.breaking => {
                p.flash.warn.banner role="note" {
                    "This proposal changes the published schema incompatibly: consumers must adapt. "
                    "It raises the major version, so it may be approved; the marked lines show what breaks "
                    "and the list below who it affects."
                }
            }
            ProposalStatus::Published | ProposalStatus::Approved if p.breaking => {
                p.flash.warn.banner role="note" { "This version changed the schema incompatibly (its major version was raised); the marked lines show what broke." }
            }
            ProposalStatus::Rejected if p.breaking => {
                p.flash.warn.banner role="note" { "This proposal would have changed the schema incompatibly; it was rejected." }
            }
            _ => {}
        }
    }
}

fn diff_heading(v: &ProposalView) -> Markup {
    html! {
        @match (v.base_kind, &v.base_version) {
            (BaseKind::Published, Some(ver)) => h2 { "Schema diff against the published version " span.ver { "v" (ver) } },
            (BaseKind::Judged, Some(ver)) => {
                h2 { "Schema diff against version " span.ver { (ver) } ", as judged" }
                p.muted { "The version that was published when this proposal was decided: later versions do not change this diff." }
            },
            (BaseKind::NewProduct, _) => h2 { "Schema diff: a new product" },
            _ => h2 { "Schema diff" },
        }
    }
}

fn empty_diff(v: &ProposalView) -> &'static str {
    match v.base_kind {
        BaseKind::NewProduct => "Nothing was published before: the whole contract is new (preview and YAML below).",
        BaseKind::Unknown => {
            "This proposal was decided before Steward recorded the version it was judged against, and that version \
             is not in the catalog any more, so no diff is shown (rather than one against today's version)."
        }
        _ => "No differences from that version.",
    }
}

fn status_badge(s: ProposalStatus) -> Markup {
    html! { span class={ "badge s-" (s.as_str()) } { (s.as_str().replace('_', " ")) } }
}

fn findings(list: &[StoredFinding]) -> Markup {
    html! {
        section #findings {
            h2 { "Validation findings" }
            @if list.is_empty() {
                p.muted { "No findings: the contract passed every rule." }
            } @else {
                // `.stack`: one block per finding on a phone.
                div.scroll tabindex="0" role="region" aria-label="Validation findings" {
                    table.findings.stack {
                        thead { tr { th { "Rule" } th { "Severity" } th { "Where" } th { "Message" } } }
                        tbody {
                            @for f in list {
                                tr.brk[diff::is_breaking_rule(&f.rule)] {
                                    td data-label="Rule" {
                                        code { (f.rule) }
                                        @if let Some(info) = rule_info(&f.rule) { br; small.muted { (info.name) } }
                                    }
                                    td data-label="Severity" { span class={ "badge sev-" (f.severity) } { (f.severity) } }
                                    td data-label="Where" { code { (f.path) } @if f.line > 0 { br; small.muted { "line " (f.line) ":" (f.column) } } }
                                    td data-label="Message" { (f.message) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The decision forms, for those the service would let decide.
fn decision(session: &Session, p: &Proposal) -> Markup {
    let who = &session.who;
    html! {
        @if p.status == ProposalStatus::PendingReview {
            section #decide {
                h2 { "Decision" }
                @if !who.can_review() {
                    p.muted { "Only reviewers and admins decide proposals; you are signed in as a " (who.roles_label()) "." }
                } @else if p.submitted_by == who.name {
                    p.muted { "You submitted this proposal; another reviewer must decide it." }
                } @else {
                    div.decide {
                        form.approve method="post" action={ "/proposals/" (p.id) "/approve" } {
                            input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                            label for="approve-comment" { "Comment (optional)" }
                            textarea #approve-comment name="comment" rows="2" maxlength="2000" {}
                            button.primary #approve type="submit" { "Approve and publish" }
                        }
                        form.reject method="post" action={ "/proposals/" (p.id) "/reject" } {
                            input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                            label for="reject-comment" { "Why reject? (required; the producer sees it)" }
                            textarea #reject-comment name="comment" rows="2" maxlength="2000" required {}
                            button.danger #reject type="submit" { "Reject" }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    pub comment: Option<String>,
}

/// `POST /proposals/{id}/approve`.
pub async fn approve(
    State(service): State<Service>,
    session: Session,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: DecisionForm = match session.form(&headers, &body) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let comment = form.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
    match service.approve(&session.who, id, comment).await {
        Ok(_) => Redirect::to(&format!("/proposals/{id}?done={}", ProposalStatus::Approved)).into_response(),
        Err(e) => {
            let (status, message) = page::describe(&e);
            render(&service, &session, id, status, Notice::Error(message)).await
        }
    }
}

/// `POST /proposals/{id}/reject`.
pub async fn reject(
    State(service): State<Service>,
    session: Session,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: DecisionForm = match session.form(&headers, &body) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    match service.reject(&session.who, id, form.comment.as_deref().unwrap_or("").trim()).await {
        Ok(_) => Redirect::to(&format!("/proposals/{id}?done={}", ProposalStatus::Rejected)).into_response(),
        Err(e) => {
            let (status, message) = page::describe(&e);
            render(&service, &session, id, status, Notice::Error(message)).await
        }
    }
}
