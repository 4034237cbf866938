//! The Steward contract model.
//!
//! A contract is an Open Data Contract Standard (ODCS) v3.1 YAML document.
//! This crate reads one safely ([`Document`]), types the fields Steward uses
//! ([`Contract`]), checks it against the official ODCS JSON Schema and the
//! Steward profile ([`schema_check`]), and provides the identifier and
//! schedule newtypes the rest of Steward works with.

pub mod cron;
pub mod ident;
pub mod model;
pub mod parse;
pub mod path;
pub mod positions;
pub mod prescan;
pub mod schema_check;
pub mod slo;
mod value;

pub use cron::{CronError, CronSchedule};
pub use ident::{AccountId, ColumnName, DomainName, IdentError, ProductKey, ProductName, TableName};
pub use model::Contract;
pub use parse::{Document, MAX_DOCUMENT_BYTES, ParseError, TypeError, parse_contract};
pub use path::FieldPath;
pub use positions::{DuplicateKey, Pos};
pub use prescan::{DepthScan, MAX_DEPTH, scan_depth};
