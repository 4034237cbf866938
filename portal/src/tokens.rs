//! API tokens for admins: who holds one, in what role, when it was last
//! used, when it expires; and a revoke button per live token.
//!
//! The service decides: [`Service::list_tokens`] and [`Service::revoke_token`]
//! refuse anyone but admins (the page shows the 403), and refuse revoking
//! the last active admin token (409, shown above the list). Secrets are
//! never on this page: the service does not have them.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use steward_catalog::service::Service;
use steward_catalog::service::tokens::TokenStatus;

use crate::page::{self, Nav, PageError, enc, flash, when};
use crate::session::{CSRF_FIELD, Session};

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    /// The name of the token just revoked, for the notice.
    pub revoked: Option<String>,
}

/// `GET /admin/tokens`.
pub async fn page(State(service): State<Service>, session: Session, Query(p): Query<Params>) -> Response {
    tokens_page(&service, &session, StatusCode::OK, None, p.revoked.as_deref()).await
}

/// `revoked`: a token named in the query; the notice appears only if that
/// token really is revoked, so a crafted link cannot announce a revocation.
async fn tokens_page(
    service: &Service,
    session: &Session,
    code: StatusCode,
    mut notice: Option<(&str, String)>,
    revoked: Option<&str>,
) -> Response {
    let list = match service.list_tokens(&session.who).await {
        Ok(l) => l,
        Err(e) => return PageError::from(e).signed_in(session).into_response(),
    };
    if let Some(n) = revoked
        && list.iter().any(|t| t.name == n && t.status == TokenStatus::Revoked)
    {
        notice = Some(("ok", format!("Revoked `{n}`; it is refused from its next request on.")));
    }
    let never = || "never".to_owned();
    let body = html! {
        h1 { "API tokens" }
        p.muted { "Create tokens with " code { "steward admin token create" } "; the secret is shown once, there." }
        @if let Some((kind, message)) = &notice { (flash(kind, message)) }
        div.scroll tabindex="0" role="region" aria-label="API tokens" {
            table.tokens {
                thead { tr {
                    th { "Name" } th { "Role" } th { "Scopes" } th { "E-mail" } th { "Created" }
                    th { "Last used" } th { "Expires" } th { "Status" } th {}
                } }
                tbody {
                    @for t in &list {
                        tr id={ "token-" (t.name) } {
                            td { (t.name) }
                            td { span.badge { (t.role) } }
                            td { @for s in &t.scopes { code { (s) } " " } }
                            td { (t.email) }
                            td { (when(&t.created_at)) }
                            td { (t.last_used_at.as_ref().map(when).unwrap_or_else(never)) }
                            td { (t.expires_at.as_ref().map(when).unwrap_or_else(never)) }
                            td {
                                span class={ "badge t-" (t.status.as_str()) } { (t.status.as_str()) }
                                @if let Some(at) = &t.revoked_at { br; small.muted { (when(at)) } }
                            }
                            td {
                                @if t.status != TokenStatus::Revoked {
                                    form.inline method="post" action={ "/admin/tokens/" (enc(&t.name)) "/revoke" } {
                                        input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
                                        button.danger type="submit" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    (code, page::shell("API tokens", Some((session, Nav::Tokens)), body)).into_response()
}

/// The revoke form carries only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct RevokeForm {}

/// `POST /admin/tokens/{name}/revoke`.
pub async fn revoke(
    State(service): State<Service>,
    session: Session,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = session.form::<RevokeForm>(&headers, &body) {
        return e.into_response();
    }
    match service.revoke_token(&session.who, &name).await {
        // Revoking one's own token ends this session: the redirect goes to sign-in.
        Ok(_) => Redirect::to(&format!("/admin/tokens?revoked={}", enc(&name))).into_response(),
        Err(e) => {
            let (code, message) = page::describe(&e);
            if session.who.is_admin() {
                tokens_page(&service, &session, code, Some(("error", message)), None).await
            } else {
                PageError::page(code, "Not allowed", message).signed_in(&session).into_response()
            }
        }
    }
}
