//! The Steward service: REST API, sqlx store (SQLite or PostgreSQL), the
//! embedded catalog, tokens and audit, on top of the git registry.
//!
//! Public: [`api`] (the router, the HTTP error mapping, OpenAPI),
//! [`service`] (the operations, with authorization and audit: the only way
//! to the store), [`model`] (the catalog model and the values operations
//! return), [`config`], [`server`] (start-up and the background workers),
//! and the small [`auth`], [`clock`], [`error`], [`redact`] and
//! [`datadir`] modules they use. Private: `store` (SQL, one module per
//! aggregate), `effects` (typed outbox jobs and the backends they run
//! through) and `worker` (the outbox worker and the SLO monitor); nothing
//! outside this crate can reach the database except through [`service`].
//! The `testing` feature (dev-dependencies only) adds `testing`: bulk
//! seeding of generated products for benches, bypassing review.

pub mod api;
pub mod auth;
pub mod clock;
pub mod config;
pub mod datadir;
mod effects;
pub mod error;
pub mod events;
pub mod model;
pub mod redact;
pub mod server;
pub mod service;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod worker;
