//! Access: the request queue (approve or reject with a comment), the grants
//! list (revoke), and "who has access" on the product page.
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
use crate::session::{CSRF_FIELD, Session};

const LIMIT: i64 = 200;
/// The tab that lists every status.
const ALL: &str = "all";

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub status: Option<String>,
    pub product: Option<String>,
    pub done: Option<String>,
}

/// The status a tab shows: `all` is none, an unknown name the default.
fn tab<S: std::str::FromStr>(param: Option<&str>, default: S) -> Option<S> {
    match param {
        Some(ALL) => None,
        Some(name) => Some(name.parse().unwrap_or(default)),
        None => Some(default),
    }
}

fn filter<S>(status: Option<S>, product: Option<&str>) -> AccessFilter<S> {
    AccessFilter {
        status,
        product_key: product.map(str::to_owned).filter(|p| !p.is_empty()),
        accounts: None,
        limit: LIMIT,
    }
}

/// Tabs for each status `names` gives and one for all; `current` is marked.
fn tabs(base: &str, names: &[(&'static str, String)], current: &str) -> Markup {
    html! {
        nav.tabs aria-label="Status" {
            @for (value, label) in names.iter().cloned().chain([(ALL, "All".to_owned())]) {
                a href={ (base) "?status=" (value) } aria-current=[(value == current).then_some("page")] { (label) }
            }
        }
    }
}

fn request_tabs(current: Option<RequestStatus>) -> Markup {
    let names: Vec<(&'static str, String)> =
        RequestStatus::ALL.iter().map(|s| (s.as_str(), label(s.as_str()))).collect();
    tabs("/access", &names, current.map_or(ALL, RequestStatus::as_str))
}

fn grant_tabs(current: Option<GrantStatus>) -> Markup {
    let names: Vec<(&'static str, String)> = GrantStatus::ALL.iter().map(|s| (s.as_str(), label(s.as_str()))).collect();
    tabs("/grants", &names, current.map_or(ALL, GrantStatus::as_str))
}

/// A tab's label: the status name, capitalised (`pending` → `Pending`).
fn label(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// `GET /access`: access requests, pending first.
pub async fn requests(State(service): State<Service>, session: Session, Query(p): Query<Params>) -> Response {
    let status = tab(p.status.as_deref(), RequestStatus::Pending);
    let notice = match p.done.as_deref().and_then(|d| d.parse::<RequestStatus>().ok()) {
        Some(RequestStatus::Approved) => {
            Some(("ok", "Approved: the grant is recorded and the share is on its way.".to_owned()))
        }
        Some(RequestStatus::Rejected) => Some(("ok", "Rejected; the requester sees your comment.".to_owned())),
        _ => None,
    };
    requests_page(&service, &session, status, p.product.as_deref(), StatusCode::OK, notice).await
}

async fn requests_page(
    service: &Service,
    session: &Session,
    status: Option<RequestStatus>,
    product: Option<&str>,
    code: StatusCode,
    notice: Option<(&str, String)>,
) -> Response {
    let list = match service.access_requests(&session.who, &filter(status, product)).await {
        Ok(l) => l,
        Err(e) => return PageError::from(e).signed_in(session).into_response(),
    };
    let body = html! {
        h1 { "Access requests" }
        (request_tabs(status))
        @if let Some((kind, message)) = &notice { (flash(kind, message)) }
        @if list.is_empty() {
            p.muted { "No requests here." }
        } @else {
            @for r in &list { (request(session, r)) }
        }
        p { a href="/grants" { "Active grants →" } }
    };
    (code, page::shell("Access requests", Some((session, Nav::Access)), body)).into_response()
}

fn request(session: &Session, r: &AccessRequest) -> Markup {
    let who = &session.who;
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
            blockquote.comment { (r.justification) }
            @if let Some(by) = &r.decided_by {
                p.muted { "decided by " (by) @if let Some(at) = &r.decided_at { " on " (when(at)) }
                    @if let Some(c) = &r.comment { ": " (c) } }
            }
            @if r.status == RequestStatus::Pending && who.can_review() && r.requested_by != who.name {
                div.decide {
                    form method="post" action={ "/access/" (r.id) "/approve" } {
                        input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                        textarea name="comment" rows="1" maxlength="2000" placeholder="Comment (optional)" aria-label="Comment" {}
                        button.primary type="submit" { "Approve" }
                    }
                    form method="post" action={ "/access/" (r.id) "/reject" } {
                        input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                        textarea name="comment" rows="1" maxlength="2000" required placeholder="Why reject? (required)" aria-label="Reason" {}
                        button.danger type="submit" { "Reject" }
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
        Ok(_) => Redirect::to(&format!("/access?done={}", RequestStatus::Approved)).into_response(),
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
        Ok(_) => Redirect::to(&format!("/access?done={}", RequestStatus::Rejected)).into_response(),
        Err(e) => refused(&service, &session, e).await,
    }
}

/// A refused decision: the queue again, with the service's message and status.
async fn refused(service: &Service, session: &Session, e: steward_catalog::error::ServiceError) -> Response {
    let (code, message) = page::describe(&e);
    if session.who.can_review() {
        requests_page(service, session, Some(RequestStatus::Pending), None, code, Some(("error", message))).await
    } else {
        PageError::page(code, "Not allowed", message).signed_in(session).into_response()
    }
}

/// `GET /grants`: grants (active by default), with revoke for reviewers.
pub async fn grants(State(service): State<Service>, session: Session, Query(p): Query<Params>) -> Response {
    let notice = (p.done.as_deref().and_then(|d| d.parse::<GrantStatus>().ok()) == Some(GrantStatus::Revoked))
        .then(|| ("ok", "Revoked; the share is being removed.".to_owned()));
    grants_page(&service, &session, tab(p.status.as_deref(), GrantStatus::Active), StatusCode::OK, notice).await
}

async fn grants_page(
    service: &Service,
    session: &Session,
    status: Option<GrantStatus>,
    code: StatusCode,
    notice: Option<(&str, String)>,
) -> Response {
    let list = match service.grants(&session.who, &filter(status, None)).await {
        Ok(l) => l,
        Err(e) => return PageError::from(e).signed_in(session).into_response(),
    };
    let body = html! {
        h1 { "Grants" }
        (grant_tabs(status))
        @if let Some((kind, message)) = &notice { (flash(kind, message)) }
        (grants_table(session, &list, true))
        p { a href="/access" { "← Access requests" } }
    };
    (code, page::shell("Grants", Some((session, Nav::Access)), body)).into_response()
}

/// Grants as a table; `revoke` adds the revoke form for reviewers.
pub fn grants_table(session: &Session, list: &[Grant], revoke: bool) -> Markup {
    html! {
        @if list.is_empty() {
            p.muted { "No grants." }
        } @else {
            div.scroll {
                table.grants {
                    thead { tr { th { "Product" } th { "Account" } th { "Status" } th { "Granted" } th { "Expires" } @if revoke { th {} } } }
                    tbody {
                        @for g in list {
                            tr {
                                td { a href={ "/products/" (g.product_key) } { (g.product_key) } }
                                td { code { (g.account) } }
                                td { span class={ "badge g-" (g.status) } { (g.status) } }
                                td { (when(&g.granted_at)) br; small.muted { "by " (g.granted_by) } }
                                td { (g.expires_at.as_ref().map(when).unwrap_or_else(|| "never".to_owned())) }
                                @if revoke {
                                    td {
                                        @if g.status == GrantStatus::Active && session.who.can_review() {
                                            form.inline method="post" action={ "/grants/" (g.id) "/revoke" } {
                                                input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                                                input type="text" name="comment" placeholder="Reason" aria-label="Reason" size="12";
                                                " " button.danger type="submit" { "Revoke" }
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

/// `POST /grants/{id}/revoke`.
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
    let reason = form.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
    match service.revoke_grant(&session.who, id, reason).await {
        Ok(_) => Redirect::to(&format!("/grants?done={}", GrantStatus::Revoked)).into_response(),
        Err(e) => {
            let (code, message) = page::describe(&e);
            grants_page(&service, &session, Some(GrantStatus::Active), code, Some(("error", message))).await
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
            p { a href={ "/access?status=pending&product=" (key) } { "Open access requests for this product →" } }
        }
    }
}
