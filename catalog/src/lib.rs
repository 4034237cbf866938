//! The Steward service: REST API, sqlx store (SQLite or PostgreSQL), the
//! embedded catalog, tokens and audit, on top of the git registry.
//!
//! Layout: [`store`] (SQL, one module per aggregate), [`service`] (the
//! operations, with authorization and audit), [`api`] (axum handlers, the
//! HTTP error type, OpenAPI), [`model`] (the catalog model of a contract),
//! [`server`] (start-up), [`config`] (layered configuration), [`effects`]
//! (outbox jobs and the backends they run through), [`worker`] (the outbox
//! worker and the SLO monitor).

pub mod api;
pub mod auth;
pub mod clock;
pub mod config;
pub mod datadir;
pub mod effects;
pub mod error;
pub mod model;
pub mod redact;
pub mod server;
pub mod service;
pub mod store;
pub mod worker;
