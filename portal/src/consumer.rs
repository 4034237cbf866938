//! The consumer's side of the portal: on a product page, "Your access"
//! (request access, the pending request with cancel, the grant with its end
//! date and renew, subscriptions with subscribe and remove) and "How to use
//! it" (the catalog database and tables; on AWS the share and the
//! `steward shares accept` step); and the "My access" page at `/my/access`.
//!
//! Every form posts to a route here that calls the same
//! [`Service`](steward_catalog::service::Service) operation as the API
//! (`request_access`, `subscribe`, `cancel_access_request`, `renew_grant`,
//! `unsubscribe`), carries the session's CSRF token, and on success
//! redirects (post/redirect/get) to a page that names the item. The one
//! exception is a webhook subscription: its signing secret exists only in
//! the service's answer, so that page is rendered at once and the secret
//! shown once, never put in a URL. A refusal re-renders the page with the
//! service's message and status.
//!
//! What the page offers follows what the service allows (only a consumer's
//! own accounts are offered; a deprecated product offers no request form),
//! but the service decides: a forged form gets the service's refusal.

mod forms;
pub mod my;
mod panels;

use axum::Router;
use axum::routing::{get, post};
use steward_catalog::api::AppState;

pub use panels::{Mine, how_to_use, your_access};

/// The signed-in consumer's requests, grants and subscriptions on product
/// `key`; `None` for other roles.
pub async fn panels_data(
    service: &steward_catalog::service::Service,
    session: &crate::session::Session,
    key: &str,
) -> Option<Result<Mine, steward_catalog::error::ServiceError>> {
    Mine::load(service, session, Some(key)).await
}

/// The consumer's routes, merged into the portal router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/products/{key}/request-access", post(forms::request_access))
        .route("/products/{key}/subscribe", post(forms::subscribe))
        .route("/access/{id}/cancel", post(forms::cancel))
        .route("/grants/{id}/renew", post(forms::renew))
        .route("/subscriptions/{id}/remove", post(forms::unsubscribe))
        .route("/my/access", get(my::page))
}

/// Where a consumer form came from, so the answer goes back there: the
/// product page (default) or My access. Anything else is the product page
/// (a form cannot send the browser elsewhere).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Back {
    Product,
    My,
}

impl Back {
    fn parse(s: Option<&str>) -> Back {
        if s == Some("my") { Back::My } else { Back::Product }
    }

    fn value(self) -> &'static str {
        match self {
            Back::Product => "product",
            Back::My => "my",
        }
    }

    /// The page to redirect to after `done` on item `id` of `key`.
    fn url(self, key: &str, done: &str, id: i64) -> String {
        match self {
            Back::Product => format!("/products/{key}?done={done}&id={id}#mine"),
            Back::My => format!("/my/access?done={done}&id={id}"),
        }
    }
}
