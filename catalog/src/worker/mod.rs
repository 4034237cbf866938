//! Background work inside `steward serve`: the outbox worker (every replica),
//! the SLO monitor (one replica at a time, under a lease) and grant expiry.

pub mod monitor;
pub mod outbox;
