//! What a consumer should know before relying on a product: a breaking
//! change waiting for review, and a deprecation with its successor.
//!
//! Consumers may not read proposals (their contracts are the producers'
//! drafts), but a breaking change to a product they read is their business:
//! [`Service::product_notices`] tells anyone signed in which pending
//! proposals of the product are breaking, at which version, and the
//! breaking findings' rule, path and message (schema facts of the public
//! contract, never the draft's text).
//!
//! The successor of a deprecated product is the contract's top-level
//! custom property `successor` (a product key), e.g.
//!
//! ```yaml
//! status: deprecated
//! customProperties:
//!   - property: successor
//!     value: sales.orders_v2
//! ```
//!
//! ODCS has no field for it; a value that is not a product key is ignored.

use chrono::{DateTime, Utc};
use steward_api::ProductStatus;

use crate::auth::Principal;
use crate::error::ServiceError;
use crate::service::{Service, parse_key};
use crate::store::products;
use crate::store::proposals::{self, ProposalFilter, ProposalStatus};

/// Pending breaking proposals listed at most.
const MAX_PENDING: i64 = 20;

/// A breaking change of a product waiting for a reviewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingChange {
    pub proposal_id: i64,
    /// The version it would publish.
    pub version: String,
    pub submitted_at: DateTime<Utc>,
    /// `(rule, path, message)` of each breaking finding.
    pub findings: Vec<(String, String, String)>,
}

/// A deprecated product and its successor, if the contract names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecation {
    pub successor: Option<String>,
}

/// Notices for a product page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductNotices {
    /// Breaking proposals pending review, newest first.
    pub breaking: Vec<PendingChange>,
    /// Set when the published contract is `deprecated`.
    pub deprecation: Option<Deprecation>,
}

impl Service {
    /// The notices of a published product (see the module docs); any
    /// signed-in principal may read them.
    pub async fn product_notices(&self, _who: &Principal, key: &str) -> Result<ProductNotices, ServiceError> {
        let key = parse_key(key)?.to_string();
        let mut conn = self.conn().await?;
        let detail = products::get(&mut conn, &key)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no published product `{key}`")))?;
        let filter = ProposalFilter {
            status: Some(ProposalStatus::PendingReview),
            product_key: Some(key.clone()),
            limit: MAX_PENDING,
            ..Default::default()
        };
        let breaking = proposals::list(&mut conn, &filter)
            .await?
            .into_iter()
            .filter(|p| p.breaking)
            .map(|p| PendingChange {
                proposal_id: p.id,
                version: p.version,
                submitted_at: p.submitted_at,
                findings: p
                    .findings
                    .into_iter()
                    .filter(|f| steward_policies::is_breaking(&f.rule))
                    .map(|f| (f.rule, f.path, f.message))
                    .collect(),
            })
            .collect();
        let deprecation = if detail.status == ProductStatus::Deprecated {
            let contract = products::published(&mut conn, &key).await?.map(|p| p.contract).unwrap_or_default();
            drop(conn);
            // Parsing up to 1 MiB is CPU work: off the async threads.
            let successor = crate::service::cpu(move || successor(&contract)).await?;
            Some(Deprecation { successor })
        } else {
            None
        };
        Ok(ProductNotices { breaking, deprecation })
    }
}

/// The `successor` custom property, when it is a product key.
fn successor(contract: &str) -> Option<String> {
    let doc = steward_schemas::Document::from_bytes(contract.as_bytes()).ok()?;
    let c = doc.contract().ok()?;
    let (_, value) = c.custom_property("successor")?;
    steward_schemas::ProductKey::parse(value.trim()).ok().map(|k| k.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor_is_a_product_key_or_nothing() {
        let base = minimal_contract();
        assert_eq!(successor(&base), None);
        let named = format!("{base}customProperties:\n  - property: successor\n    value: sales.orders_v2\n");
        assert_eq!(successor(&named).as_deref(), Some("sales.orders_v2"));
        let junk = format!("{base}customProperties:\n  - property: successor\n    value: \"<b>nope</b>\"\n");
        assert_eq!(successor(&junk), None);
    }

    fn minimal_contract() -> String {
        "apiVersion: v3.1.0\nkind: DataContract\nid: x\nversion: 1.0.0\nstatus: deprecated\ndomain: sales\ndataProduct: orders\n"
            .to_owned()
    }
}
