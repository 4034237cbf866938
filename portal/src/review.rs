//! The reviewer queue: proposals by status, and one proposal with its
//! validation findings (rule ids), the schema diff against the published
//! version with breaking changes marked, and the approve/reject forms.
//!
//! The forms are shown only to principals the service would let decide, but
//! that is a courtesy: the POST handlers call [`Service::approve`] and
//! [`Service::reject`], which decide. A refused decision re-renders the
//! proposal with the service's message and status (403, 409, 422).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use steward_catalog::service::Service;
use steward_catalog::service::proposals::{Proposal, ProposalFilter, ProposalStatus, StoredFinding};
use steward_policies::rules::rule_info;

use crate::diff;
use crate::page::{self, Nav, PageError, flash, when};
use crate::session::{CSRF_FIELD, Session};

/// Routes of the review pages beyond the queue and proposal page (merged
/// into the portal router).
pub fn routes() -> axum::Router<steward_catalog::api::AppState> {
    axum::Router::new()
}

/// The queue's tabs: a status and its label, or every status.
const STATUSES: [(Option<ProposalStatus>, &str); 5] = [
    (Some(ProposalStatus::PendingReview), "Pending"),
    (Some(ProposalStatus::Published), "Published"),
    (Some(ProposalStatus::Rejected), "Rejected"),
    (Some(ProposalStatus::RejectedByValidation), "Invalid"),
    (None, "All"),
];
/// The tab that lists every status.
const ALL: &str = "all";
const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct QueueParams {
    pub status: Option<String>,
    pub offset: Option<i64>,
}

/// `GET /proposals`: the queue, pending first by default.
pub async fn queue(
    State(service): State<Service>,
    session: Session,
    Query(q): Query<QueueParams>,
) -> Result<Html<String>, PageError> {
    let status =
        match q.status.as_deref() {
            None => Some(ProposalStatus::PendingReview),
            Some(ALL) => None,
            Some(s) => Some(s.parse::<ProposalStatus>().map_err(|m| {
                PageError::page(StatusCode::BAD_REQUEST, "Bad filter", m.to_string()).signed_in(&session)
            })?),
        };
    let status_name = status.map_or(ALL, ProposalStatus::as_str);
    let offset = q.offset.unwrap_or(0).max(0);
    let filter = ProposalFilter { status, limit: PAGE_SIZE, offset, ..Default::default() };
    let items = service.proposals(&session.who, &filter).await.map_err(|e| PageError::from(e).signed_in(&session))?;
    let body = html! {
        h1 { "Reviews" }
        nav.tabs aria-label="Status" {
            @for (value, label) in STATUSES {
                a href={ "/proposals?status=" (value.map_or(ALL, ProposalStatus::as_str)) } aria-current=[(value == status).then_some("page")] { (label) }
            }
        }
        @if items.is_empty() {
            p.muted { "No proposals here." }
        } @else {
            div.scroll {
                table.queue {
                    thead { tr { th { "#" } th { "Product" } th { "Version" } th { "Status" } th { "Submitted" } th { "Findings" } } }
                    tbody {
                        @for p in &items {
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
            nav.pager {
                @if offset > 0 { a href={ "/proposals?status=" (status_name) "&offset=" ((offset - PAGE_SIZE).max(0)) } { "← Newer" } }
                @if items.len() as i64 == PAGE_SIZE { a href={ "/proposals?status=" (status_name) "&offset=" (offset + PAGE_SIZE) } { "Older →" } }
            }
        }
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
    let notice = match d.done.as_deref().and_then(|d| d.parse::<ProposalStatus>().ok()) {
        Some(ProposalStatus::Approved) => Some(("ok", "Approved and published.".to_owned())),
        Some(ProposalStatus::Rejected) => Some(("ok", "Rejected; the producer sees your comment.".to_owned())),
        _ => None,
    };
    render(&service, &session, id, StatusCode::OK, notice).await
}

async fn render(
    service: &Service,
    session: &Session,
    id: i64,
    status: StatusCode,
    notice: Option<(&str, String)>,
) -> Response {
    let view = match service.proposal_view(&session.who, id).await {
        Ok(v) => v,
        Err(e) => return PageError::from(e).signed_in(session).into_response(),
    };
    let p = &view.proposal;
    let mut lines = diff::parse(&view.diff);
    let marked = diff::mark_breaking(&mut lines, &p.findings);
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
        @if p.breaking {
            p.flash.warn { "This proposal changes the published schema incompatibly: consumers must adapt. "
                "It raises the major version, so it may be approved; the marked lines show what breaks." }
        }
        (findings(&p.findings))
        section #diff {
            h2 { "Schema diff against the published version" }
            @if view.diff.is_empty() {
                p.muted { "Nothing published yet, or no differences." }
            } @else {
                @if marked > 0 { p.muted { (marked) " breaking change block(s) marked." } }
                (diff::render(&lines, &p.findings))
            }
        }
        (decision(session, p))
        details.contract {
            summary { "Contract as submitted" }
            pre { code { (p.contract) } }
        }
    };
    (status, page::shell(&format!("Proposal #{}", p.id), Some((session, Nav::Reviews)), body)).into_response()
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
                div.scroll {
                    table.findings {
                        thead { tr { th { "Rule" } th { "Severity" } th { "Where" } th { "Message" } } }
                        tbody {
                            @for f in list {
                                tr.brk[diff::is_breaking_rule(&f.rule)] {
                                    td {
                                        code { (f.rule) }
                                        @if let Some(info) = rule_info(&f.rule) { br; small.muted { (info.name) } }
                                    }
                                    td { span class={ "badge sev-" (f.severity) } { (f.severity) } }
                                    td { code { (f.path) } @if f.line > 0 { br; small.muted { "line " (f.line) ":" (f.column) } } }
                                    td { (f.message) }
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
                    p.muted { "Only reviewers and admins decide proposals; you are signed in as a " (who.role) "." }
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
            render(&service, &session, id, status, Some(("error", message))).await
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
            render(&service, &session, id, status, Some(("error", message))).await
        }
    }
}
