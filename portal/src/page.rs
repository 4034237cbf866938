//! The page shell (head, navigation, sign-out form) and the error page.
//!
//! Errors from the service keep their meaning: the same status the API would
//! answer (403 for a refused approval, 404 for an unknown product, ...) and
//! the service's own message, shown inside the normal page so the person can
//! carry on. 5xx pages show an error id and log the cause, like the API.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use steward_catalog::error::ServiceError;

use crate::session::{CSRF_FIELD, Session};

/// Which navigation entry is current.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Discover,
    Reviews,
    Access,
    Audit,
    Tokens,
    MyAccess,
    MyProducts,
    MyProposals,
    None,
}

/// A full page. `session` is `None` on the sign-in page.
/// A page that moves on to `to` (a local path) by itself: a same-site
/// navigation, so SameSite=Strict cookies set with it go along.
pub fn shell_with_refresh(title: &str, to: &str, body: Markup) -> Html<String> {
    let refresh = format!("0;url={to}");
    let page = shell(title, None, body).0;
    let meta = html! { meta http-equiv="refresh" content=(refresh); }.into_string();
    Html(page.replacen("<head>", &format!("<head>{meta}"), 1))
}

pub fn shell(title: &str, session: Option<(&Session, Nav)>, body: Markup) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Steward" }
                link rel="stylesheet" href=(crate::CSS_PATH);
                script src=(crate::JS_PATH) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "Steward" }
                    @if let Some((s, current)) = session {
                        nav aria-label="Main" {
                            a href="/" aria-current=[(current == Nav::Discover).then_some("page")] { "Discover" }
                            a href="/proposals" aria-current=[(current == Nav::Reviews).then_some("page")] { "Reviews" }
                            @if s.who.holds(steward_catalog::auth::Role::Consumer) {
                                a href="/my/access" aria-current=[(current == Nav::MyAccess).then_some("page")] { "My access" }
                            }
                            @if !s.who.only_consumer() {
                                // Producers read the requests of their own products there.
                                a href="/access" aria-current=[(current == Nav::Access).then_some("page")] { "Access" }
                                a href="/my/products" aria-current=[(current == Nav::MyProducts).then_some("page")] { "My products" }
                                a href="/my/proposals" aria-current=[(current == Nav::MyProposals).then_some("page")] { "My proposals" }
                            }
                            @if s.who.can_review() {
                                a href="/audit" aria-current=[(current == Nav::Audit).then_some("page")] { "Audit" }
                            }
                            @if s.who.is_admin() {
                                a href="/admin/tokens" aria-current=[(current == Nav::Tokens).then_some("page")] { "Tokens" }
                            }
                        }
                        div.who {
                            span title=(s.who.name) {
                                (s.who.display_name.as_deref().unwrap_or(&s.who.name)) " " span.badge { (s.who.roles_label()) }
                            }
                            form.inline method="post" action="/signout" {
                                input type="hidden" name=(CSRF_FIELD) value=(s.csrf);
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" { (body) }
            }
        }
    };
    Html(markup.into_string())
}

/// Why a page could not be shown.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the token was revoked): go to the sign-in page, then back.
    SignIn {
        next: String,
    },
    Page {
        status: StatusCode,
        title: String,
        message: String,
        session: Option<Box<Session>>,
    },
}

impl PageError {
    pub fn page(status: StatusCode, title: impl Into<String>, message: impl Into<String>) -> Self {
        PageError::Page { status, title: title.into(), message: message.into(), session: None }
    }

    /// Shows the error inside the signed-in shell.
    pub fn signed_in(mut self, s: &Session) -> Self {
        if let PageError::Page { session, .. } = &mut self {
            *session = Some(Box::new(s.clone()));
        }
        self
    }

    pub fn status(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::Page { status, .. } => *status,
        }
    }
}

/// The status and message the API gives for a service error (the API's own
/// mapping); a refused contract's findings are added to the message.
pub fn describe(e: &ServiceError) -> (StatusCode, String) {
    let d = steward_catalog::api::error::describe(e);
    match e {
        ServiceError::Invalid { findings, .. } if !findings.is_empty() => {
            let rules: Vec<String> = findings.iter().map(|f| format!("{} {}", f.rule, f.message)).collect();
            (d.status, format!("{}: {}", d.message, rules.join("; ")))
        }
        _ => (d.status, d.message),
    }
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        let (status, message) = describe(&e);
        PageError::page(status, status.canonical_reason().unwrap_or("Error"), message)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn { next } => {
                let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
                Redirect::to(&format!("/signin?next={next}")).into_response()
            }
            PageError::Page { status, title, message, session } => {
                let body = html! {
                    h1 { (title) }
                    p.flash.error role="alert" { (message) }
                    p { a href="/" { "Back to discovery" } }
                };
                (status, shell(&title, session.as_deref().map(|s| (s, Nav::None)), body)).into_response()
            }
        }
    }
}

/// A flash message above a page's content.
pub fn flash(kind: &str, message: &str) -> Markup {
    html! { p class={ "flash " (kind) } role="status" { (message) } }
}

/// `2026-11-22T04:55:18.123456Z` as `2026-11-22 04:55 UTC`.
pub fn when(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A classification as a coloured badge.
pub fn classification(level: &str) -> Markup {
    let class = match level {
        "public" => "c-public",
        "internal" => "c-internal",
        "confidential" => "c-confidential",
        _ => "c-restricted",
    };
    html! { span class={ "badge " (class) } { (level) } }
}

/// Query-string encoding of one value.
pub fn enc(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}
