//! The consumer's form posts: each checks the CSRF token, calls one service
//! operation, and redirects to a page naming the item, or re-renders the
//! page it came from with the service's refusal and status.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;
use steward_catalog::error::ServiceError;
use steward_catalog::service::Service;
use steward_catalog::service::access::{AccessRequestInput, GrantRenewalInput};
use steward_catalog::service::subscriptions::{Channel, SubscriptionInput};

use super::{Back, my};
use crate::page;
use crate::product;
use crate::session::Session;

/// Fields any consumer form may carry; each handler reads its own.
#[derive(Debug, Default, Deserialize)]
pub struct ConsumerForm {
    pub account: Option<String>,
    pub justification: Option<String>,
    pub duration_days: Option<String>,
    pub channel: Option<String>,
    pub target: Option<String>,
    pub back: Option<String>,
    pub product: Option<String>,
}

impl ConsumerForm {
    fn back(&self) -> Back {
        Back::parse(self.back.as_deref())
    }

    /// `duration_days`: empty is none (until revoked); otherwise a number
    /// (the service checks its range).
    fn duration(&self) -> Result<Option<i64>, ServiceError> {
        match self.duration_days.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(d) => d
                .parse()
                .map(Some)
                .map_err(|_| ServiceError::BadRequest(format!("duration_days: `{d}` is not a number of days"))),
        }
    }
}

// The error is the page to send back, once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn parse(session: &Session, headers: &HeaderMap, body: &[u8]) -> Result<ConsumerForm, Response> {
    session.form(headers, body).map_err(IntoResponse::into_response)
}

/// A refused action: the page the form came from again, with the service's
/// message and status. The product page is re-rendered only for a well-formed
/// key (the form's own hidden field); otherwise My access.
async fn refused(service: &Service, session: &Session, back: Back, key: Option<&str>, e: ServiceError) -> Response {
    let (code, message) = page::describe(&e);
    let notice = html! { p.flash.error role="alert" { (message) } };
    match (back, key.filter(|k| product::is_key(k))) {
        (Back::Product, Some(key)) => product_page(service, session, key, code, notice).await,
        _ => my::render(service, session, code, Some(notice), None).await,
    }
}

async fn product_page(
    service: &Service,
    session: &Session,
    key: &str,
    code: StatusCode,
    notice: maud::Markup,
) -> Response {
    match product::render_with(service, session, key, &product::DiffParams::default(), Some(notice)).await {
        Ok(html) => (code, html).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `POST /products/{key}/request-access`: [`Service::request_access`].
pub async fn request_access(
    State(service): State<Service>,
    session: Session,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match parse(&session, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let result = async {
        let input = AccessRequestInput {
            account: form.account.clone().unwrap_or_default(),
            justification: form.justification.clone().unwrap_or_default(),
            duration_days: form.duration()?,
        };
        service.request_access(&session.who, &key, &input).await
    }
    .await;
    match result {
        Ok(r) => Redirect::to(&Back::Product.url(&r.product_key, "requested", r.id)).into_response(),
        Err(e) => refused(&service, &session, Back::Product, Some(&key), e).await,
    }
}

/// `POST /products/{key}/subscribe`: [`Service::subscribe`]. A webhook's
/// signing secret is in the service's answer only, so that answer is shown
/// at once (once); the others redirect.
pub async fn subscribe(
    State(service): State<Service>,
    session: Session,
    Path(key): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match parse(&session, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let result = async {
        let raw = form.channel.as_deref().unwrap_or_default();
        let channel: Channel =
            raw.parse().map_err(|e: steward_api::UnknownName| ServiceError::BadRequest(e.to_string()))?;
        let input = SubscriptionInput {
            account: form.account.clone().unwrap_or_default(),
            channel,
            target: form.target.clone().unwrap_or_default(),
        };
        service.subscribe(&session.who, &key, &input).await
    }
    .await;
    let sub = match result {
        Ok(s) => s,
        Err(e) => return refused(&service, &session, Back::Product, Some(&key), e).await,
    };
    let Some(secret) = &sub.secret else {
        return Redirect::to(&Back::Product.url(&sub.product_key, "subscribed", sub.id)).into_response();
    };
    let notice = html! {
        div.flash.ok role="status" {
            p {
                "Subscribed account " (sub.account) " to " (sub.product_key) " by webhook to " code { (sub.target) }
                " (subscription #" (sub.id) ")."
            }
            p {
                "Its signing secret, shown only now (Steward signs each delivery with it; keep it with the receiver): "
                code.secret { (secret) }
            }
        }
    };
    product_page(&service, &session, &sub.product_key, StatusCode::CREATED, notice).await
}

/// `POST /access/{id}/cancel`: [`Service::cancel_access_request`].
pub async fn cancel(
    State(service): State<Service>,
    session: Session,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match parse(&session, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match service.cancel_access_request(&session.who, id).await {
        Ok(r) => Redirect::to(&form.back().url(&r.product_key, "cancelled", r.id)).into_response(),
        Err(e) => refused(&service, &session, form.back(), form.product.as_deref(), e).await,
    }
}

/// `POST /grants/{id}/renew`: [`Service::renew_grant`].
pub async fn renew(
    State(service): State<Service>,
    session: Session,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match parse(&session, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let result = async {
        let input = GrantRenewalInput {
            justification: form.justification.clone().unwrap_or_default(),
            duration_days: form.duration()?,
        };
        service.renew_grant(&session.who, id, &input).await
    }
    .await;
    match result {
        Ok(r) => Redirect::to(&form.back().url(&r.product_key, "renewal", r.id)).into_response(),
        Err(e) => refused(&service, &session, form.back(), form.product.as_deref(), e).await,
    }
}

/// `POST /subscriptions/{id}/remove`: [`Service::unsubscribe`].
pub async fn unsubscribe(
    State(service): State<Service>,
    session: Session,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match parse(&session, &headers, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    match service.unsubscribe(&session.who, id).await {
        Ok(()) => {
            // The service answers nothing to name the product by; the form's
            // own field is used only when it is a product key.
            let key = form.product.as_deref().filter(|k| product::is_key(k));
            let back = if key.is_some() { form.back() } else { Back::My };
            Redirect::to(&back.url(key.unwrap_or_default(), "unsubscribed", id)).into_response()
        }
        Err(e) => refused(&service, &session, form.back(), form.product.as_deref(), e).await,
    }
}
