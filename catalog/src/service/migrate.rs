//! Moving a grant to the product's newest major version
//! (`POST /api/v1/grants/{id}/migrate`, `steward access migrate`).
//!
//! A grant records the major it was approved against. After a breaking
//! version, its holder migrates it: the consumer may do so alone when the
//! new major does not widen what the grant reaches (no table the old major
//! did not have, no higher product classification); otherwise a reviewer
//! migrates it, which is the approval. Migration moves the account's
//! subscriptions to the product along, and is announced
//! (`io.steward.grant.migrated`).

use serde_json::json;
use steward_api::Grant;

use super::{Service, require};
use crate::auth::Principal;
use crate::effects::{self, GrantShare, RevokeShare, ShareTarget};
use crate::error::{ServiceError, StoreError};
use crate::events::Change;
use crate::model::ProductDetail;
use crate::store::access::{self, GrantStatus};
use crate::store::products;

fn major_of(version: &str) -> i64 {
    products::major_of(version).unwrap_or(1)
}

/// What a grant would reach on the new major that it did not on its own.
fn widening(policy: &steward_policies::Policy, old: &ProductDetail, new: &ProductDetail) -> Vec<String> {
    let mut why: Vec<String> = new
        .tables
        .iter()
        .filter(|t| !old.tables.iter().any(|o| o.name == t.name))
        .map(|t| format!("adds table {}", t.name))
        .collect();
    if policy.level(&new.classification) > policy.level(&old.classification) {
        why.push(format!("raises the classification from {} to {}", old.classification, new.classification));
    }
    why
}

impl Service {
    /// Moves grant `id` to the product's current major (see the module docs).
    pub async fn migrate_grant(&self, who: &Principal, id: i64) -> Result<Grant, ServiceError> {
        let grant = access::get_grant(&mut *self.conn().await?, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no grant {id}")))?;
        if !who.can_review() && !who.consumes_for(&grant.account) {
            return Err(ServiceError::NotFound(format!("no grant {id}")));
        }
        if grant.status != GrantStatus::Active {
            return Err(ServiceError::Conflict(format!(
                "grant {id} is {}; only an active grant migrates",
                grant.status
            )));
        }
        let current = products::get(&mut *self.conn().await?, &grant.product_key)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("product {} is not published", grant.product_key)))?;
        let to = major_of(&current.version);
        if grant.major >= to {
            return Err(ServiceError::Conflict(format!(
                "grant {id} is on major {} already, the newest of {} ({})",
                grant.major, grant.product_key, current.version
            )));
        }
        let old = self.latest_of_major(&grant.product_key, grant.major).await?;
        let why = match &old {
            Some(old) => widening(&self.policy, old, &current),
            None => Vec::new(),
        };
        require(
            why.is_empty() || who.can_review(),
            format!(
                "moving grant {id} to {} {} widens what it reaches ({}): a reviewer must migrate it",
                grant.product_key,
                current.version,
                why.join("; ")
            ),
        )?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !access::migrate_grant(&mut tx, &grant, grant.major, to).await? {
            return Err(ServiceError::Conflict(format!(
                "grant {id} changed meanwhile (ended or migrated); read it again"
            )));
        }
        if self.backends.aws_shares() {
            let job = GrantShare(ShareTarget {
                product_key: grant.product_key.clone(),
                account: grant.account.clone(),
                grant_id: id,
                occasion: format!("migrate:{to}"),
                major: None,
            });
            let publish = crate::store::outbox::unfinished_publish(&mut tx, &grant.product_key).await?;
            effects::enqueue(&mut tx, &job, publish, now).await?;
            // The old major's database is no longer the grant's: its share
            // goes, after the new one is made (one lane, in order).
            let old = RevokeShare(ShareTarget { major: Some(grant.major), ..job.0 });
            effects::enqueue(&mut tx, &old, publish, now).await?;
        }
        self.audit(
            &mut tx,
            &who.name,
            "grant.migrate",
            &format!("grant:{id}"),
            Some(json!({"major": grant.major})),
            Some(json!({"major": to, "version": current.version, "widened": why})),
        )
        .await?;
        let migrated =
            access::get_grant(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("grant {id}")))?;
        let change = Change::GrantMigrated { grant: &migrated, from_major: grant.major, migrated_by: &who.name };
        self.announce(&mut tx, &change).await?;
        tx.commit().await?;
        Ok(migrated)
    }

    /// The holder of grant `id` (or a reviewer) acknowledges the product's
    /// newest major instead of migrating: the grant stays on its major until
    /// that major's end of life, and reviewers see the choice on the
    /// proposal's page. Audited `grant.acknowledge`.
    pub async fn acknowledge_major(&self, who: &Principal, id: i64) -> Result<Grant, ServiceError> {
        let grant = access::get_grant(&mut *self.conn().await?, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no grant {id}")))?;
        if !who.can_review() && !who.consumes_for(&grant.account) {
            return Err(ServiceError::NotFound(format!("no grant {id}")));
        }
        let current = products::get(&mut *self.conn().await?, &grant.product_key)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("product {} is not published", grant.product_key)))?;
        let newest = major_of(&current.version);
        let mut tx = self.store.begin().await?;
        if !access::acknowledge(&mut tx, id, newest).await? {
            return Err(ServiceError::Conflict(format!(
                "grant {id} is {} on major {} and {} is at major {newest}: nothing to acknowledge{}",
                grant.status,
                grant.major,
                grant.product_key,
                if grant.acknowledged_major == Some(newest) { " (acknowledged already)" } else { "" }
            )));
        }
        let sunset = crate::store::majors::get(&mut tx, &grant.product_key, grant.major).await?;
        self.audit(
            &mut tx,
            &who.name,
            "grant.acknowledge",
            &format!("grant:{id}"),
            Some(json!({"major": grant.major})),
            Some(json!({
                "acknowledged_major": newest,
                "end_of_life": sunset.and_then(|m| m.end_of_life).map(|t| steward_api::time::format(&t)),
            })),
        )
        .await?;
        let acknowledged =
            access::get_grant(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("grant {id}")))?;
        tx.commit().await?;
        Ok(acknowledged)
    }

    /// The catalog model of the newest published version of `major`, built
    /// from its contract in the registry (not redacted).
    pub(crate) async fn latest_of_major(&self, key: &str, major: i64) -> Result<Option<ProductDetail>, ServiceError> {
        let versions = self.versions(key).await?;
        let Some(v) = versions.iter().find(|v| major_of(&v.version) == major) else {
            return Ok(None);
        };
        let product = steward_schemas::ProductKey::parse(key).map_err(|e| ServiceError::Conflict(e.to_string()))?;
        let text = self
            .read_through(|| self.registry.read(product.clone(), Some(v.commit_id.clone())))
            .await?
            .unwrap_or_default();
        let service = self.clone();
        let detail = super::cpu(move || service.detail_of(&product, &String::from_utf8_lossy(&text))).await??;
        Ok(Some(detail))
    }
}
