//! Placeholder: the consumer's pages (being built; see issue [M9]).

use axum::Router;
use steward_catalog::api::AppState;

/// The consumer's routes, merged into the portal router.
pub fn routes() -> Router<AppState> {
    Router::new()
}
