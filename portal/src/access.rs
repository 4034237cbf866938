//! Access: the request queue (approve or reject with a comment), the grants
//! list (revoke, after a confirmation step that asks why), and "who has
//! access" on the product page. Both lists page through everything with
//! counts, oldest first unless asked otherwise, filtered by domain and
//! product (see [`crate::review::queue`]).
//!
//! As with proposals, the forms appear only for reviewers and admins, and
//! the service decides: [`Service::approve_access`], [`Service::reject_access`]
//! and [`Service::revoke_grant`] refuse anyone else (and a reviewer deciding
//! their own request), and the page shows that refusal with its status.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use steward_catalog::service::Service;
use steward_catalog::service::access::{AccessFilter, AccessRequest, Grant, GrantStatus, RequestStatus};

use crate::page::{self, Nav, PageError, flash, when};
use crate::review::queue::{self, ALL, QueueParams};
use crate::session::{CSRF_FIELD, Session};

/// Longest revocation reason (the audit event keeps it).
const MAX_REASON: usize = 2000;

/// A tab's label: the status name, capitalised (`pending` → `Pending`).
fn label(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The status a tab shows: `all` is none, an unknown name the default.
fn tab<S: std::str::FromStr + Copy>(name: &str, default: S) -> Option<S> {
    match name {
        ALL => None,
        name => Some(name.parse().unwrap_or(default)),
    }
}

/// `GET /access`: access requests, pending and oldest first by default.
pub async fn requests(State(service): State<Service>, session: Session, Query(p): Query<QueueParams>) -> Response {
    let notice = match (p.done.as_deref().and_then(|d| d.parse::<RequestStatus>().ok()), p.id) {
        (Some(done), Some(id)) => match service.access_request(&session.who, id).await {
            Ok(r) if r.status == done => Some(("ok", decided_message(&r))),
            _ => None,
        },
        _ => None,
    };
    requests_page(&service, &session, &p, StatusCode::OK, notice).await
}

/// "Approved access request 12 (sales.orders for account 123456789012) …".
fn decided_message(r: &AccessRequest) -> String {
    let item = format!("access request {} ({} for account {})", r.id, r.product_key, r.account);
    match r.status {
        RequestStatus::Approved => format!("Approved {item}: the grant is recorded and the share is on its way."),
        RequestStatus::Rejected => format!("Rejected {item}; the requester sees your comment."),
        other => format!("{} {item}.", label(other.as_str())),
    }
}

async fn requests_page(
    service: &Service,
    session: &Session,
    p: &QueueParams,
    code: StatusCode,
    notice: Option<(&str, String)>,
) -> Response {
    let current = p.status_or(RequestStatus::Pending.as_str()).to_owned();
    let status = tab(&current, RequestStatus::Pending);
    let current = status.map_or(ALL, RequestStatus::as_str);
    let list = match service.access_queue(&session.who, &p.query(status.map(RequestStatus::as_str))).await {
        Ok(l) => l,
        Err(e) => return PageError::from(e).signed_in(session).into_response(),
    };
    let domains = service.queue_domains().await.unwrap_or_default();
    let names: Vec<(&str, String)> = RequestStatus::ALL.iter().map(|s| (s.as_str(), label(s.as_str()))).collect();
    let body = html! {
        h1 { "Access requests" }
        @if let Some((kind, message)) = &notice { (flash(kind, message)) }
        (queue::tabs("/access", p, &names, current, &list))
        (queue::filters("/access", p, current, &domains))
        (queue::summary("requests", &list, p))
        @for r in &list.items { (request(session, r)) }
        (queue::pager("/access", &list, p, current))
        p { a href="/grants" { "Active grants →" } }
    };
    (code, page::shell("Access requests", Some((session, Nav::Access)), body)).into_response()
}

fn request(session: &Session, r: &AccessRequest) -> Markup {
    let who = &session.who;
    let item = format!("request {} ({} for account {})", r.id, r.product_key, r.account);
    html! {
        article.request id={ "request-" (r.id) } {
            h3 {
                "#" (r.id) " " a href={ "/products/" (r.product_key) } { (r.product_key) }
                " for account " code { (r.account) } " "
                span class={ "badge a-" (r.status) } { (r.status) }
            }
            p.muted {
                "requested by " strong { (r.requested_by) } " on " (when(&r.requested_at))
                @if let Some(d) = r.duration_days { ", for " (d) " days" } @else { ", until revoked" }
            }
            blockquote.comment dir="auto" { (r.justification) }
            @if let Some(by) = &r.decided_by {
                p.muted { "decided by " (by) @if let Some(at) = &r.decided_at { " on " (when(at)) }
                    @if let Some(c) = &r.comment { ": " (c) } }
            }
            @if r.status == RequestStatus::Pending && who.can_review() && r.requested_by != who.name {
                div.decide {
                    form method="post" action={ "/access/" (r.id) "/approve" } {
                        input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                        textarea name="comment" rows="1" maxlength="2000" placeholder="Comment (optional)" aria-label={ "Comment on " (item) } {}
                        button.primary type="submit" aria-label={ "Approve " (item) } { "Approve" }
                    }
                    form method="post" action={ "/access/" (r.id) "/reject" } {
                        input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                        textarea name="comment" rows="1" maxlength="2000" required placeholder="Why reject? (required)" aria-label={ "Why reject " (item) } {}
                        button.danger type="submit" aria-label={ "Reject " (item) } { "Reject" }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CommentForm {
    pub comment: Option<String>,
}

/// `POST /access/{id}/approve`.
pub async fn approve(
    State(service): State<Service>,
    session: Session,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: CommentForm = match session.form(&headers, &body) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let comment = form.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
    match service.approve_access(&session.who, id, comment).await {
        Ok(_) => Redirect::to(&format!("/access?done={}&id={id}", RequestStatus::Approved)).into_response(),
        Err(e) => refused(&service, &session, e).await,
    }
}

/// `POST /access/{id}/reject`.
pub async fn reject(
    State(service): State<Service>,
    session: Session,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: CommentForm = match session.form(&headers, &body) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    match service.reject_access(&session.who, id, form.comment.as_deref().unwrap_or("").trim()).await {
        Ok(_) => Redirect::to(&format!("/access?done={}&id={id}", RequestStatus::Rejected)).into_response(),
        Err(e) => refused(&service, &session, e).await,
    }
}

/// A refused decision: the queue again, with the service's message and status.
async fn refused(service: &Service, session: &Session, e: steward_catalog::error::ServiceError) -> Response {
    let (code, message) = page::describe(&e);
    if session.who.can_review() {
        requests_page(service, session, &QueueParams::default(), code, Some(("error", message))).await
    } else {
        PageError::page(code, "Not allowed", message).signed_in(session).into_response()
    }
}

/// `GET /grants`: grants (active by default, oldest first), with revoke for reviewers.
pub async fn grants(State(service): State<Service>, session: Session, Query(p): Query<QueueParams>) -> Response {
    let notice = match (p.done.as_deref().and_then(|d| d.parse::<GrantStatus>().ok()), p.id) {
        (Some(GrantStatus::Revoked), Some(id)) => match service.grant(&session.who, id).await {
            Ok(g) if g.status == GrantStatus::Revoked => Some((
                "ok",
                format!(
                    "Revoked grant {} ({} for account {}); the share is being removed.",
                    g.id, g.product_key, g.account
                ),
            )),
            _ => None,
        },
        _ => None,
    };
    grants_page(&service, &session, &p, StatusCode::OK, notice).await
}

async fn grants_page(
    service: &Service,
    session: &Session,
    p: &QueueParams,
    code: StatusCode,
    notice: Option<(&str, String)>,
) -> Response {
    let current = p.status_or(GrantStatus::Active.as_str()).to_owned();
    let status = tab(&current, GrantStatus::Active);
    let current = status.map_or(ALL, GrantStatus::as_str);
    let list = match service.grant_queue(&session.who, &p.query(status.map(GrantStatus::as_str))).await {
        Ok(l) => l,
        Err(e) => return PageError::from(e).signed_in(session).into_response(),
    };
    let domains = service.queue_domains().await.unwrap_or_default();
    let names: Vec<(&str, String)> = GrantStatus::ALL.iter().map(|s| (s.as_str(), label(s.as_str()))).collect();
    let body = html! {
        h1 { "Grants" }
        @if let Some((kind, message)) = &notice { (flash(kind, message)) }
        (queue::tabs("/grants", p, &names, current, &list))
        (queue::filters("/grants", p, current, &domains))
        (queue::summary("grants", &list, p))
        @if !list.items.is_empty() { (grants_table(session, &list.items, true)) }
        (queue::pager("/grants", &list, p, current))
        p { a href="/access" { "← Access requests" } }
    };
    (code, page::shell("Grants", Some((session, Nav::Access)), body)).into_response()
}

/// Grants as a table; `revoke` adds, for reviewers, the button that opens
/// the revocation's confirmation step.
pub fn grants_table(session: &Session, list: &[Grant], revoke: bool) -> Markup {
    html! {
        @if list.is_empty() {
            p.muted { "No grants." }
        } @else {
            // `.stack`: one block per grant on a phone, so the revoke button
            // stays on screen (no sideways scrolling to reach it).
            div.scroll tabindex="0" role="region" aria-label="Grants" {
                table.grants.stack {
                    thead { tr { th { "Product" } th { "Account" } th { "Status" } th { "Granted" } th { "Expires" } @if revoke { th { span.sr-only { "Action" } } } } }
                    tbody {
                        @for g in list {
                            tr {
                                td data-label="Product" { a href={ "/products/" (g.product_key) } { (g.product_key) } }
                                td data-label="Account" { code { (g.account) } }
                                td data-label="Status" { span class={ "badge g-" (g.status) } { (g.status) } }
                                td data-label="Granted" { (when(&g.granted_at)) br; small.muted { "by " (g.granted_by) } }
                                td data-label="Expires" { (g.expires_at.as_ref().map(when).unwrap_or_else(|| "never".to_owned())) }
                                @if revoke {
                                    td.action {
                                        @if g.status == GrantStatus::Active && session.who.can_review() {
                                            // A GET: the next page asks for confirmation and a reason.
                                            form.inline method="get" action={ "/grants/" (g.id) "/revoke" } {
                                                button.danger type="submit"
                                                    aria-label={ "Revoke grant " (g.id) " (" (g.product_key) " for account " (g.account) ")…" } { "Revoke…" }
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
    }
}

/// `GET /grants/{id}/revoke`: what revoking takes away, and the reason asked for.
pub async fn confirm_revoke(State(service): State<Service>, session: Session, Path(id): Path<i64>) -> Response {
    confirm_page(&service, &session, id, StatusCode::OK, None, "").await
}

async fn confirm_page(
    service: &Service,
    session: &Session,
    id: i64,
    code: StatusCode,
    error: Option<String>,
    reason: &str,
) -> Response {
    let g = match service.grant(&session.who, id).await {
        Ok(g) => g,
        Err(e) => return PageError::from(e).signed_in(session).into_response(),
    };
    let item = format!("grant {} ({} for account {})", g.id, g.product_key, g.account);
    let body = html! {
        h1 { "Revoke " (item) "?" }
        @if let Some(message) = &error { (flash("error", message)) }
        @if g.status != GrantStatus::Active {
            p { "This grant is " strong { (g.status) } " already; there is nothing to revoke." }
        } @else if !session.who.can_review() {
            p.muted { "Only reviewers and admins revoke grants; you are signed in as a " (session.who.roles_label()) "." }
        } @else {
            p {
                "Account " code { (g.account) } " loses read access to every table of "
                a href={ "/products/" (g.product_key) } { (g.product_key) }
                ": the share is removed and its subscriptions stop receiving notifications. "
                "Granted on " (when(&g.granted_at)) " by " (g.granted_by)
                @if let Some(e) = &g.expires_at { ", until " (when(e)) } "."
            }
            form.revoke method="post" action={ "/grants/" (g.id) "/revoke" } {
                input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                label for="revoke-reason" { "Why revoke it? (required; the audit log and the consumer keep it)" }
                textarea #revoke-reason name="comment" rows="3" maxlength=(MAX_REASON) required { (reason) }
                button.danger #revoke type="submit" { "Revoke " (item) }
                " "
                a.button href={ "/grants?product=" (page::enc(&g.product_key)) } { "Cancel" }
            }
        }
    };
    (code, page::shell("Revoke grant", Some((session, Nav::Access)), body)).into_response()
}

/// `POST /grants/{id}/revoke`: needs a reason; without one the confirmation
/// page comes back (422) with the form.
pub async fn revoke(
    State(service): State<Service>,
    session: Session,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: CommentForm = match session.form(&headers, &body) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let reason = form.comment.as_deref().map(str::trim).unwrap_or("");
    // Whoever may not revoke hears that from the service, reason or not.
    if session.who.can_review() {
        let missing = if reason.is_empty() {
            Some("Say why the grant is revoked: the reason is required.".to_owned())
        } else if reason.chars().count() > MAX_REASON {
            Some(format!("The reason is longer than {MAX_REASON} characters."))
        } else {
            None
        };
        if let Some(message) = missing {
            return confirm_page(&service, &session, id, StatusCode::UNPROCESSABLE_ENTITY, Some(message), "").await;
        }
    }
    match service.revoke_grant(&session.who, id, Some(reason).filter(|r| !r.is_empty())).await {
        Ok(_) => Redirect::to(&format!("/grants?done={}&id={id}", GrantStatus::Revoked)).into_response(),
        Err(e) => {
            let (code, message) = page::describe(&e);
            confirm_page(&service, &session, id, code, Some(message), reason).await
        }
    }
}

/// "Who has access" on a product page: its active grants and open requests.
pub async fn for_product(service: &Service, session: &Session, key: &str) -> Markup {
    let active = AccessFilter {
        status: Some(GrantStatus::Active),
        product_key: Some(key.to_owned()),
        accounts: None,
        limit: 100,
    };
    let grants = service.grants(&session.who, &active).await;
    html! {
        @match grants {
            Ok(list) => (grants_table(session, &list, false)),
            Err(e) => p.muted { (page::describe(&e).1) },
        }
        @if session.who.can_review() {
            p { a href={ "/access?status=pending&product=" (page::enc(key)) } { "Open access requests for this product →" } }
        }
    }
}
