//! The producer's workspace: "My products" (`/my/products`: each product of
//! the producer's domains with its SLO state, last refresh, consumers with
//! grants, pending access requests and dead-lettered jobs) and "My
//! proposals" (`/my/proposals`: status and findings, and a confirmed
//! Withdraw for a proposal still pending review).
//!
//! Reviewers and admins see every domain here; consumers get the service's
//! 403. The withdraw form posts to [`Service::withdraw_proposal`], which
//! decides; the button is shown only where it would succeed, as a courtesy.
//! The confirmation is a `<details>` disclosure holding the real form, so it
//! needs no script (the CSP allows none inline) and a stray click never
//! withdraws anything.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;
use steward_catalog::api::AppState;
use steward_catalog::service::Service;
use steward_catalog::service::proposals::{Proposal, ProposalFilter, ProposalStatus};
use steward_catalog::service::workspace::{MyProducts, SloHealth, WorkspaceProduct};

use crate::page::{self, Nav, PageError, enc, flash, when};
use crate::session::{CSRF_FIELD, Session};

/// Products per page of "My products" (each is a card with four lists).
const PRODUCTS_PAGE: i64 = 25;
/// Proposals per page of "My proposals".
const PROPOSALS_PAGE: i64 = 50;
/// The tab that lists every status.
const ALL: &str = "all";
/// The tabs of "My proposals": a status and its label, or every status.
const TABS: [(Option<ProposalStatus>, &str); 6] = [
    (Some(ProposalStatus::PendingReview), "Pending review"),
    (Some(ProposalStatus::Published), "Published"),
    (Some(ProposalStatus::Rejected), "Rejected"),
    (Some(ProposalStatus::RejectedByValidation), "Invalid"),
    (Some(ProposalStatus::Withdrawn), "Withdrawn"),
    (None, "All"),
];

/// The producer's routes, merged into the portal router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/my/products", get(products))
        .route("/my/proposals", get(proposals))
        .route("/my/proposals/{id}/withdraw", post(withdraw))
}

#[derive(Debug, Default, Deserialize)]
pub struct ProductsParams {
    pub offset: Option<i64>,
}

/// `GET /my/products`.
pub async fn products(State(service): State<Service>, session: Session, Query(q): Query<ProductsParams>) -> Response {
    let offset = q.offset.unwrap_or(0).max(0);
    let page = match service.my_products(&session.who, offset, PRODUCTS_PAGE).await {
        Ok(p) => p,
        Err(e) => return PageError::from(e).signed_in(&session).into_response(),
    };
    let body = html! {
        h1 { "My products" }
        p.muted { (scope_line(&page.domains)) }
        @if page.products.is_empty() {
            p.muted { "No published products here yet. Submit a contract with " code { "steward submit" }
                "; your proposals are under " a href="/my/proposals" { "My proposals" } "." }
        } @else {
            p.count { (page.total) " product(s)"
                @if page.total > page.limit { ", " (page.offset + 1) "–" (page.offset + page.products.len() as i64) " shown" } }
            @for p in &page.products { (product_card(p)) }
            (products_pager(&page))
        }
    };
    page::shell("My products", Some((&session, Nav::MyProducts)), body).into_response()
}

fn scope_line(domains: &Option<Vec<String>>) -> String {
    match domains {
        None => "Every domain (you review for all of them).".to_owned(),
        Some(d) if d.is_empty() => "Your token holds no domain.".to_owned(),
        Some(d) => format!("Domain{}: {}", if d.len() == 1 { "" } else { "s" }, d.join(", ")),
    }
}

fn products_pager(page: &MyProducts) -> Markup {
    let (offset, limit) = (page.offset, page.limit);
    html! {
        nav.pager aria-label="Pages" {
            @if offset > 0 { a href={ "/my/products?offset=" ((offset - limit).max(0)) } { "← Previous" } }
            @if offset + limit < page.total { a href={ "/my/products?offset=" (offset + limit) } { "Next →" } }
        }
    }
}

fn slo_badge(h: &SloHealth) -> Markup {
    match h {
        SloHealth::NoSlo => html! { span.badge { "no SLO" } },
        SloHealth::Pending => html! { span.badge.slo-pending { "SLO pending" } },
        SloHealth::Met => html! { span.badge.slo-met { "SLO met" } },
        SloHealth::Breached { since, missed_ticks } => html! {
            span.badge.slo-breached { "SLO breached" }
            " " small.muted { "since " (when(since)) ", " (missed_ticks) " missed tick(s)" }
        },
    }
}

fn product_card(w: &WorkspaceProduct) -> Markup {
    let p = &w.product;
    let key = &p.key;
    html! {
        article.table.product id={ "product-" (key) } aria-labelledby={ "title-" (key) } {
            h2 id={ "title-" (key) } {
                a href={ "/products/" (key) } { (p.name) } " " span.key { (key) } " " span.ver { "v" (p.version) }
            }
            dl.facts {
                dt { "SLO" } dd.slo { (slo_badge(&w.slo)) " " a href={ "/products/" (key) "#slo" } { "history" } }
                dt { "Last refresh" }
                dd.refresh { @if let Some(t) = &w.last_refresh { (when(t)) } @else { span.muted { "none reported" } } }
                dt { "Consumers" } dd { (w.grants.len()) " account(s) with a grant" }
                dt { "Pending requests" } dd { (w.pending_requests.len()) }
                dt { "Dead-lettered jobs" } dd { (w.dead_jobs.len()) }
            }
            (requests(w))
            (grants(w))
            (dead_jobs(w))
        }
    }
}

fn requests(w: &WorkspaceProduct) -> Markup {
    let key = &w.product.key;
    html! {
        section.requests aria-label={ "Pending access requests for " (key) } {
            h3 { "Pending access requests" }
            @if w.pending_requests.is_empty() {
                p.muted { "None waiting." }
            } @else {
                div.scroll tabindex="0" role="region" aria-label="Pending access requests" {
                    table.requests {
                        thead { tr { th { "#" } th { "Account" } th { "Requested by" } th { "For" } th { "Why" } } }
                        tbody {
                            @for r in &w.pending_requests {
                                tr id={ "request-" (r.id) } {
                                    td { "#" (r.id) }
                                    td { code { (r.account) } }
                                    td { (r.requested_by) br; small.muted { (when(&r.requested_at)) } }
                                    td { @if let Some(d) = r.duration_days { (d) " days" } @else { "until revoked" } }
                                    td dir="auto" { (r.justification) }
                                }
                            }
                        }
                    }
                }
                p.muted { "A reviewer decides them: " a href={ "/access?status=pending&product=" (enc(key)) } { "the access queue" } "." }
            }
        }
    }
}

fn grants(w: &WorkspaceProduct) -> Markup {
    html! {
        section.grants aria-label={ "Consumers of " (w.product.key) } {
            h3 { "Consumers with grants" }
            @if w.grants.is_empty() {
                p.muted { "No account has access yet." }
            } @else {
                div.scroll tabindex="0" role="region" aria-label="Grants" {
                    table.grants {
                        thead { tr { th { "Account" } th { "Since" } th { "Until" } } }
                        tbody {
                            @for g in &w.grants {
                                tr id={ "grant-" (g.id) } {
                                    td { code { (g.account) } }
                                    td { (when(&g.granted_at)) }
                                    td { @if let Some(t) = &g.expires_at { (when(t)) } @else { "until revoked" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn dead_jobs(w: &WorkspaceProduct) -> Markup {
    html! {
        section.dead aria-label={ "Dead-lettered jobs of " (w.product.key) } {
            h3 { "Dead-lettered jobs" }
            @if w.dead_jobs.is_empty() {
                p.muted { "None: every side effect ran or is on its way." }
            } @else {
                p.flash.warn { "These side effects failed for good and wait for an admin to fix the cause and retry them ("
                    code { "steward admin outbox --retry ID" } ")." }
                div.scroll tabindex="0" role="region" aria-label="Dead-lettered jobs" {
                    table.dead {
                        thead { tr { th { "Job" } th { "Kind" } th { "Attempts" } th { "Reason" } } }
                        tbody {
                            @for d in &w.dead_jobs {
                                tr id={ "job-" (d.id) } {
                                    td { "#" (d.id) br; small.muted { (when(&d.created_at)) } }
                                    td { code { (d.kind.as_str()) } }
                                    td { (d.attempts) }
                                    td.reason { @if let Some(e) = &d.last_error { (e) } @else { span.muted { "no error recorded" } } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ProposalsParams {
    pub status: Option<String>,
    pub offset: Option<i64>,
    /// The id of a proposal just withdrawn (after the redirect).
    pub withdrawn: Option<i64>,
}

/// `GET /my/proposals`: pending review first by default.
pub async fn proposals(State(service): State<Service>, session: Session, Query(q): Query<ProposalsParams>) -> Response {
    let notice = match q.withdrawn {
        // Named from the store, through the same read rule as the page.
        Some(id) => match service.proposal_view(&session.who, id).await {
            Ok(v) if v.proposal.status == ProposalStatus::Withdrawn => {
                Some(("ok", format!("Withdrew proposal #{id}: {} v{}.", v.proposal.product_key, v.proposal.version)))
            }
            _ => None,
        },
        None => None,
    };
    proposals_page(&service, &session, q.status.as_deref(), q.offset.unwrap_or(0), StatusCode::OK, notice).await
}

async fn proposals_page(
    service: &Service,
    session: &Session,
    status: Option<&str>,
    offset: i64,
    code: StatusCode,
    notice: Option<(&str, String)>,
) -> Response {
    let status = match status {
        None => Some(ProposalStatus::PendingReview),
        Some(ALL) => None,
        Some(s) => match s.parse::<ProposalStatus>() {
            Ok(s) => Some(s),
            Err(m) => {
                return PageError::page(StatusCode::BAD_REQUEST, "Bad filter", m.to_string())
                    .signed_in(session)
                    .into_response();
            }
        },
    };
    let status_name = status.map_or(ALL, ProposalStatus::as_str);
    let offset = offset.max(0);
    let filter = ProposalFilter { status, limit: PROPOSALS_PAGE, offset, ..Default::default() };
    let items = match service.my_proposals(&session.who, &filter).await {
        Ok(items) => items,
        Err(e) => return PageError::from(e).signed_in(session).into_response(),
    };
    // `my_proposals` answered, so the caller has a workspace.
    let domains = service.workspace_domains(&session.who).unwrap_or(None);
    let body = html! {
        h1 { "My proposals" }
        p.muted { (scope_line(&domains)) }
        nav.tabs aria-label="Status" {
            @for (value, label) in TABS {
                a href={ "/my/proposals?status=" (value.map_or(ALL, ProposalStatus::as_str)) }
                    aria-current=[(value == status).then_some("page")] { (label) }
            }
        }
        @if let Some((kind, message)) = &notice { (flash(kind, message)) }
        @if items.is_empty() {
            p.muted { "No proposals here." }
        } @else {
            div.scroll tabindex="0" role="region" aria-label="My proposals" {
                table.queue.mine {
                    thead { tr { th { "#" } th { "Product" } th { "Version" } th { "Status" } th { "Submitted" } th { "Findings" } th { "Action" } } }
                    tbody { @for p in &items { (proposal_row(session, p)) } }
                }
            }
            nav.pager aria-label="Pages" {
                @if offset > 0 { a href={ "/my/proposals?status=" (status_name) "&offset=" ((offset - PROPOSALS_PAGE).max(0)) } { "← Newer" } }
                @if items.len() as i64 == PROPOSALS_PAGE { a href={ "/my/proposals?status=" (status_name) "&offset=" (offset + PROPOSALS_PAGE) } { "Older →" } }
            }
        }
    };
    (code, page::shell("My proposals", Some((session, Nav::MyProposals)), body)).into_response()
}

fn proposal_row(session: &Session, p: &Proposal) -> Markup {
    html! {
        tr id={ "proposal-" (p.id) } {
            td { a href={ "/proposals/" (p.id) } { "#" (p.id) } }
            td { a href={ "/proposals/" (p.id) } { (p.product_key) } }
            td { (p.version) @if p.breaking { " " span.badge.breaking { "breaking" } } }
            td {
                span class={ "badge s-" (p.status.as_str()) } { (p.status.as_str().replace('_', " ")) }
                @if let Some(by) = &p.decided_by { br; small.muted { "by " (by) } }
            }
            td { (p.submitted_by) br; small.muted { (when(&p.submitted_at)) } }
            td.findings {
                @if p.findings.is_empty() { span.muted { "none" } }
                @for f in &p.findings {
                    span.finding title=(f.message) {
                        code { (f.rule) } " " span class={ "badge sev-" (f.severity) } { (f.severity) }
                    }
                    " "
                }
            }
            td { (withdraw_form(session, p)) }
        }
    }
}

/// Whether the service would let `session` withdraw `p` (the same rule as
/// [`Service::withdraw_proposal`]; it decides, this only hides the button).
fn may_withdraw(session: &Session, p: &Proposal) -> bool {
    let who = &session.who;
    let domain = p.product_key.split_once('.').map_or("", |(d, _)| d);
    p.status == ProposalStatus::PendingReview
        && (who.holds(steward_catalog::auth::Role::Producer) || who.is_admin())
        && (p.submitted_by == who.name || who.produces_for(domain))
}

fn withdraw_form(session: &Session, p: &Proposal) -> Markup {
    let id = p.id;
    html! {
        @if may_withdraw(session, p) {
            details.withdraw {
                summary { "Withdraw…" }
                form method="post" action={ "/my/proposals/" (id) "/withdraw" } {
                    input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                    p { "Withdraw proposal #" (id) " (" (p.product_key) " v" (p.version) ")? "
                        "Reviewers will no longer see it; this cannot be undone." }
                    label for={ "withdraw-comment-" (id) } { "Why (optional)" }
                    textarea id={ "withdraw-comment-" (id) } name="comment" rows="2" maxlength="2000" {}
                    button.danger type="submit" id={ "withdraw-" (id) } aria-label={ "Confirm: withdraw proposal #" (id) } {
                        "Confirm withdrawal"
                    }
                }
            }
        } @else {
            span.muted { "—" }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct WithdrawForm {
    pub comment: Option<String>,
}

/// `POST /my/proposals/{id}/withdraw`.
pub async fn withdraw(
    State(service): State<Service>,
    session: Session,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: WithdrawForm = match session.form(&headers, &body) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    match service.withdraw_proposal(&session.who, id, form.comment.as_deref()).await {
        Ok(_) => Redirect::to(&format!("/my/proposals?status=withdrawn&withdrawn={id}")).into_response(),
        Err(e) => {
            let (status, message) = page::describe(&e);
            proposals_page(&service, &session, None, 0, status, Some(("error", message))).await
        }
    }
}
