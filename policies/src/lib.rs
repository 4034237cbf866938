//! Steward governance policies: what a good contract is.
//!
//! [`validate`] runs, in order: safe YAML reading (STW000), the ODCS v3.1 and
//! Steward-profile JSON Schemas (STW020/STW021), typing (STW022), the contract
//! rules (STW001–STW016) and, given a previous version, the schema-evolution
//! checks (STW101–STW108). Rule ids are stable; [`rules::RULES`] is the
//! catalogue and `docs/contracts.md` explains each with a failing example.
//! The policy file ([`Policy`]) configures classifications, location prefixes
//! per domain, supported server types, SLO frequency and severities.

pub mod config;
pub mod evolution;
pub mod finding;
pub mod impact;
pub mod rules;
pub mod validate;

pub use config::{BreakingChangePolicy, DEFAULT_POLICY_YAML, Policy, PolicyError, RetiredCatalog};
pub use evolution::{BREAKING_RULES, is_breaking};
pub use finding::{Finding, Severity, Source};
pub use impact::{Losses, losses};
pub use rules::{FIXED_SEVERITY, RULES, RuleInfo};
pub use validate::{Previous, Report, read_previous, validate, validate_document};
