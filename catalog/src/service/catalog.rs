//! Publishing to the embedded catalog, recovery, rebuild and discovery.
//!
//! Git is the source of truth for contracts. Approval merges into `main`
//! first and writes the catalog second; if the process dies in between,
//! [`Service::reconcile`] (run at every start) finds `main` ahead of the
//! catalog and finishes the job. Publishing rewrites a product's rows, so
//! doing it twice leaves the same state.

use serde_json::json;
use steward_schemas::ProductKey;
use steward_schemas::parse::parse_contract;

use super::Service;
use crate::auth::Principal;
use crate::effects;
use crate::error::{ServiceError, StoreError};
use crate::model::{self, ProductDetail};
use crate::store::access::{self, AccessFilter};
use crate::store::products::{self, ProductVersion, Provenance, SearchPage, SearchQuery};
use crate::store::proposals::{self, Proposal, ProposalStatus};

/// Products written by one catalog sync above which it refreshes the
/// planner's statistics (search plans at scale depend on them).
const BULK_WRITE: usize = 1_000;

/// What [`Service::reconcile`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reconciled {
    pub reopened: Vec<i64>,
    pub recovered: Vec<i64>,
    pub republished: Vec<String>,
}

impl Service {
    fn detail_of(&self, key: &ProductKey, text: &str) -> Result<ProductDetail, ServiceError> {
        let (_, contract) = parse_contract(text)
            .map_err(|e| ServiceError::Conflict(format!("contract of {key} on main does not parse: {e}")))?;
        Ok(model::build(key, &contract, &self.policy.default_product_classification))
    }

    /// Marks a merged proposal published and writes the catalog, in one transaction.
    pub(crate) async fn publish_merged(
        &self,
        proposal: &Proposal,
        key: &ProductKey,
        merge_commit: &str,
        decision: Option<(&Principal, Option<&str>)>,
    ) -> Result<(), ServiceError> {
        let detail = self.detail_of(key, &proposal.contract)?;
        let now = self.clock.now();
        let id = proposal.id;
        let (actor, action) = match decision {
            Some((who, _)) => (who.name.clone(), "proposal.approve"),
            None => ("steward".to_owned(), "proposal.recovered"),
        };
        let mut tx = self.store.begin().await?;
        proposals::transition(
            &mut tx,
            id,
            &[ProposalStatus::PendingReview, ProposalStatus::Approved],
            ProposalStatus::Published,
        )
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => ServiceError::Conflict(m),
            other => other.into(),
        })?;
        let comment = decision.and_then(|(_, c)| c);
        proposals::record_decision(&mut tx, id, &actor, now, comment, Some(merge_commit)).await?;
        products::publish(
            &mut tx,
            self.store.dialect,
            &detail,
            &Provenance { contract: &proposal.contract, commit: merge_commit, proposal_id: Some(id), now },
        )
        .await?;
        self.after_publish(&mut tx, &detail, merge_commit, now).await?;
        let target = format!("proposal:{id}");
        self.audit(
            &mut tx,
            &actor,
            action,
            &target,
            Some(json!({"status": proposal.status})),
            Some(json!({"status": ProposalStatus::Published, "merge_commit": merge_commit, "comment": comment})),
        )
        .await?;
        self.audit(
            &mut tx,
            &actor,
            "product.publish",
            &format!("product:{key}"),
            None,
            Some(json!({"version": detail.version, "commit": merge_commit, "proposal": id})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Effects of publishing a version, in its transaction: the Glue copy
    /// of the catalog, and extending every active share to the new tables.
    async fn after_publish(
        &self,
        tx: &mut crate::store::Tx,
        detail: &ProductDetail,
        commit: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        if self.backends.glue {
            let job = effects::PublishJob { product_key: detail.key.clone(), version: detail.version.clone() };
            effects::enqueue_publish(tx, &job, commit, now).await?;
        }
        if self.backends.aws_shares {
            let filter = AccessFilter {
                status: Some("active".into()),
                product_key: Some(detail.key.clone()),
                accounts: None,
                limit: 10_000,
            };
            for g in access::list_grants(tx, &filter).await? {
                let job = effects::ShareJob { product_key: g.product_key, account: g.account, grant_id: g.id };
                effects::enqueue_share(tx, &job, effects::SHARE_GRANT, &format!("publish:{commit}"), now).await?;
            }
        }
        Ok(())
    }

    /// Pushes `main` upstream if configured. A failure is logged and retried
    /// at the next merge: the local registry stays the source of truth.
    pub(crate) async fn push_upstream(&self) {
        if let Some(url) = &self.upstream
            && let Err(e) = self.registry.push_main(url.clone()).await
        {
            tracing::warn!(error = %e, upstream = %url, "pushing the registry upstream failed; will retry after the next merge");
        }
    }

    /// Brings the store in line with git after a crash: re-opens proposals
    /// stuck before their branch commit, publishes proposals merged but not
    /// published, and republishes any product whose `main` commit the
    /// catalog does not have.
    pub async fn reconcile(&self) -> Result<Reconciled, ServiceError> {
        let mut done = Reconciled::default();
        let mut conn = self.conn().await?;
        let stuck = proposals::in_status(&mut conn, ProposalStatus::Submitted).await?;
        let open = [
            proposals::in_status(&mut conn, ProposalStatus::PendingReview).await?,
            proposals::in_status(&mut conn, ProposalStatus::Approved).await?,
        ]
        .concat();
        drop(conn);

        for p in stuck {
            let key = ProductKey::parse(&p.product_key).map_err(|e| ServiceError::Conflict(e.to_string()))?;
            let email = format!("{}@steward.invalid", p.submitted_by);
            self.open_for_review(p.id, &key, &p.version, &p.contract, &p.submitted_by, &email).await?;
            done.reopened.push(p.id);
        }
        for p in open {
            if let Some(merge) = self.registry.merged_in(p.id as u64).await? {
                let key = ProductKey::parse(&p.product_key).map_err(|e| ServiceError::Conflict(e.to_string()))?;
                self.publish_merged(&p, &key, &merge, None).await?;
                done.recovered.push(p.id);
            }
        }
        done.republished = self.sync_catalog(false).await?;
        Ok(done)
    }

    /// Replays `main` into the catalog: every product whose commit differs
    /// (or every product, with `all`). Returns the keys written. After a bulk
    /// write the tables' statistics are refreshed.
    pub async fn sync_catalog(&self, all: bool) -> Result<Vec<String>, ServiceError> {
        let entries = self.registry.list_main().await?;
        let mut conn = self.conn().await?;
        let known: std::collections::HashMap<String, String> =
            products::commits(&mut conn).await?.into_iter().collect();
        drop(conn);
        let mut written = Vec::new();
        for entry in entries {
            let key = entry.key.to_string();
            if !all && known.get(&key) == Some(&entry.commit) {
                continue;
            }
            let text = String::from_utf8(entry.contents)
                .map_err(|_| ServiceError::Conflict(format!("contract of {key} on main is not UTF-8")))?;
            let detail = self.detail_of(&entry.key, &text)?;
            let mut tx = self.store.begin().await?;
            products::publish(
                &mut tx,
                self.store.dialect,
                &detail,
                &Provenance { contract: &text, commit: &entry.commit, proposal_id: None, now: self.clock.now() },
            )
            .await?;
            self.after_publish(&mut tx, &detail, &entry.commit, self.clock.now()).await?;
            self.audit(
                &mut tx,
                "steward",
                "product.republish",
                &format!("product:{key}"),
                known.get(&key).map(|c| json!({"commit": c})),
                Some(json!({"commit": entry.commit, "version": detail.version})),
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            written.push(key);
        }
        if written.len() >= BULK_WRITE {
            self.store.analyze().await?;
        }
        Ok(written)
    }

    pub async fn product(&self, key: &str) -> Result<ProductDetail, ServiceError> {
        let mut conn = self.conn().await?;
        products::get(&mut conn, key)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no published product `{key}`")))
    }

    pub async fn search(&self, q: &SearchQuery) -> Result<SearchPage, ServiceError> {
        let mut conn = self.conn().await?;
        Ok(products::search(&mut conn, self.store.dialect, q).await?)
    }

    pub async fn versions(&self, key: &str) -> Result<Vec<ProductVersion>, ServiceError> {
        let mut conn = self.conn().await?;
        let v = products::versions(&mut conn, key).await?;
        if v.is_empty() {
            return Err(ServiceError::NotFound(format!("no published product `{key}`")));
        }
        Ok(v)
    }

    /// Unified diff of a product's contract between two published versions.
    pub async fn diff(&self, key: &str, from: &str, to: &str) -> Result<String, ServiceError> {
        let versions = self.versions(key).await?;
        let commit = |v: &str| {
            versions.iter().find(|x| x.version == v).map(|x| x.commit_id.clone()).ok_or_else(|| {
                let known: Vec<&str> = versions.iter().map(|x| x.version.as_str()).collect();
                ServiceError::NotFound(format!("{key} has no version `{v}`; known: {}", known.join(", ")))
            })
        };
        let (a, b) = (commit(from)?, commit(to)?);
        let key = ProductKey::parse(key).map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        Ok(self.registry.diff(key, a, b).await?)
    }
}
