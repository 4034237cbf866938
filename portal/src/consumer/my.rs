//! `GET /my/access`: the signed-in consumer's requests (with cancel),
//! grants (with their end dates, share and renew) and subscriptions (with
//! remove), across every product, from the service's own scoping.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use steward_catalog::service::Service;

use super::Back;
use super::panels::{Mine, cancel_form, renew_form, subscriptions_table};
use crate::page::{self, Nav, flash, when};
use crate::session::Session;

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    pub done: Option<String>,
    pub id: Option<String>,
}

/// `GET /my/access`.
pub async fn page(State(service): State<Service>, session: Session, Query(p): Query<Params>) -> Response {
    let done = p.done.as_deref().zip(p.id.as_deref().and_then(|i| i.parse().ok()));
    render(&service, &session, StatusCode::OK, None, done).await
}

/// The page with an optional `notice` (a refusal) or the success message of `done` (kind, id).
pub(super) async fn render(
    service: &Service,
    session: &Session,
    code: StatusCode,
    notice: Option<Markup>,
    done: Option<(&str, i64)>,
) -> Response {
    let body = match Mine::load(service, session, None).await {
        None => html! {
            h1 { "My access" }
            @if let Some(n) = &notice { (n) }
            p {
                "My access lists the access requests, grants and subscriptions of a consumer's accounts. "
                "Token " strong { (session.who.name) } " has role " (session.who.roles_label()) "."
            }
            @if session.who.can_review() { p { a href="/access" { "Access requests to decide →" } } }
        },
        Some(Err(e)) => return crate::page::PageError::from(e).signed_in(session).into_response(),
        Some(Ok(mine)) => {
            let message = done.and_then(|(kind, id)| mine.done_message(kind, id));
            html! {
                h1 { "My access" }
                p.muted { "Accounts: " @for (i, a) in session.who.accounts().iter().enumerate() { @if i > 0 { ", " } code { (a) } } }
                @if let Some(n) = &notice { (n) }
                @if let Some(m) = &message { (flash("ok", m)) }
                section #my-requests {
                    h2 { "Access requests" }
                    (requests(session, &mine))
                }
                section #my-grants {
                    h2 { "Grants" }
                    (grants(session, &mine))
                }
                section #my-subscriptions {
                    h2 { "Subscriptions" }
                    (subscriptions_table(session, &mine.subscriptions, Back::My, true))
                }
                p.muted { "Request access and subscribe from a product's page; find products from " a href="/" { "Discover" } "." }
            }
        }
    };
    (code, page::shell("My access", Some((session, Nav::MyAccess)), body)).into_response()
}

fn requests(session: &Session, mine: &Mine) -> Markup {
    html! {
        @if mine.requests.is_empty() {
            p.muted { "No access requests yet." }
        } @else {
            div.scroll tabindex="0" role="region" aria-label="My access requests" {
                table.requests {
                    thead { tr {
                        th { "#" } th { "Product" } th { "Account" } th { "Status" } th { "Requested" } th { "Duration" } th { "Decision" } th { span.muted { "Cancel" } }
                    } }
                    tbody {
                        @for r in &mine.requests {
                            tr id={ "request-" (r.id) } {
                                td { (r.id) @if let Some(g) = r.renews { br; small.muted { "renews grant #" (g) } } }
                                td { a href={ "/products/" (r.product_key) } { (r.product_key) } }
                                td { code { (r.account) } }
                                td { span class={ "badge a-" (r.status) } { (r.status) } }
                                td { (when(&r.requested_at)) br; small.muted { "by " (r.requested_by) } }
                                td { @if let Some(d) = r.duration_days { (d) " days" } @else { "until revoked" } }
                                td {
                                    @if let Some(by) = &r.decided_by {
                                        (by) @if let Some(at) = &r.decided_at { ", " (when(at)) }
                                        @if let Some(c) = &r.comment { br; small { (c) } }
                                    }
                                }
                                td { (cancel_form(session, r, Back::My)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn grants(session: &Session, mine: &Mine) -> Markup {
    html! {
        @if mine.grants.is_empty() {
            p.muted { "No grants yet." }
        } @else {
            div.scroll tabindex="0" role="region" aria-label="My grants" {
                table.grants {
                    thead { tr {
                        th { "#" } th { "Product" } th { "Account" } th { "Status" } th { "Granted" } th { "Ends" } th { "Share" } th { span.muted { "Renew" } }
                    } }
                    tbody {
                        @for g in &mine.grants {
                            tr id={ "grant-" (g.id) } {
                                td { (g.id) }
                                td { a href={ "/products/" (g.product_key) } { (g.product_key) } }
                                td { code { (g.account) } }
                                td { span class={ "badge g-" (g.status) } { (g.status) } }
                                td { (when(&g.granted_at)) br; small.muted { "by " (g.granted_by) } }
                                td {
                                    @if let Some(at) = &g.ended_at { "ended " (when(at)) }
                                    @else if let Some(e) = &g.expires_at { span.expires { (when(e)) } }
                                    @else { "until revoked" }
                                }
                                td { @if let Some(arn) = &g.share_arn { code.wrap { (arn) } } }
                                td {
                                    @if !mine.requests.iter().any(|r| r.renews == Some(g.id) && r.status == steward_catalog::service::access::RequestStatus::Pending) {
                                        (renew_form(session, g, Back::My))
                                    } @else {
                                        small.muted { "renewal pending" }
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
