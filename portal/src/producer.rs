//! Placeholder: the producer's pages (being built; see issue [M9]).

use axum::Router;
use steward_catalog::api::AppState;

/// The producer's routes, merged into the portal router.
pub fn routes() -> Router<AppState> {
    Router::new()
}
