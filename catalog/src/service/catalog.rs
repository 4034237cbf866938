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
use crate::events::Change;
use crate::model::{self, ProductDetail};
use crate::store::access::{self, GrantFilter, GrantStatus};
use crate::store::products::{self, Provenance};
pub use crate::store::products::{
    COUNT_CAP, FacetCount, Facets, ProductSummary, ProductVersion, SearchPage, SearchQuery, SloHealth, Viewer,
};
use crate::store::proposals::{self, Proposal, ProposalStatus};
use steward_api::ProductStatus;

/// Products written by one catalog sync above which it refreshes the
/// planner's statistics (search plans at scale depend on them).
const BULK_WRITE: usize = 1_000;

pub use steward_api::{ExternalMerge, FailedEntry, Reconciled, RefusedMerge};

pub(crate) fn absorb(into: &mut Reconciled, synced: Synced) {
    into.republished.extend(synced.written);
    into.refused.extend(synced.refused);
    into.failed.extend(synced.failed);
    into.external.extend(synced.external);
}

/// What [`Service::sync_catalog`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Synced {
    pub written: Vec<String>,
    pub refused: Vec<RefusedMerge>,
    pub failed: Vec<FailedEntry>,
    pub external: Vec<ExternalMerge>,
}

impl Service {
    pub(crate) fn detail_of(&self, key: &ProductKey, text: &str) -> Result<ProductDetail, ServiceError> {
        let (_, contract) = parse_contract(text)
            .map_err(|e| ServiceError::Conflict(format!("contract of {key} on main does not parse: {e}")))?;
        Ok(model::build(key, &contract, &self.policy.default_product_classification))
    }

    /// Marks a merged, approved proposal published and writes the catalog, in
    /// one transaction. `decision` is the reviewer's call when it is made now;
    /// recovery passes `None` and keeps the decision the claim recorded.
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
        let reviewer = proposal.decided_by.clone().unwrap_or_else(|| "steward".to_owned());
        let (actor, action) = match decision {
            Some((who, _)) => (who.name.clone(), "proposal.approve"),
            None => ("steward".to_owned(), "proposal.recovered"),
        };
        let comment = decision.map_or(proposal.comment.as_deref(), |(_, c)| c);
        let losses = if proposal.breaking { self.losses_of(proposal).await? } else { None };
        let sunset = self.sunset_for(&detail).await?;
        let mut tx = self.store.begin().await?;
        // A lost compare-and-set is a `StoreError::Conflict`: 409 like any other.
        proposals::transition(&mut tx, id, &[ProposalStatus::Approved], ProposalStatus::Published).await?;
        proposals::set_merge_commit(&mut tx, id, merge_commit).await?;
        let before = products::get(&mut tx, &detail.key).await?.map(|d| d.status);
        products::publish(
            &mut tx,
            self.store.dialect,
            &detail,
            &Provenance { contract: &proposal.contract, commit: merge_commit, proposal_id: Some(id), now },
        )
        .await?;
        self.after_publish(&mut tx, &detail, merge_commit, now).await?;
        if let Some(sunset) = sunset {
            self.start_sunset(&mut tx, &actor, &detail, sunset).await?;
        }
        let target = format!("proposal:{id}");
        self.audit(
            &mut tx,
            &actor,
            action,
            &target,
            Some(json!({"status": proposal.status})),
            Some(json!({
                "status": ProposalStatus::Published,
                "merge_commit": merge_commit,
                "approved_by": reviewer,
                "comment": comment,
            })),
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
        self.announce(
            &mut tx,
            &Change::ProposalApproved {
                id,
                product: &detail.key,
                version: &detail.version,
                approved_by: &reviewer,
                merge_commit,
            },
        )
        .await?;
        self.announce_publication(&mut tx, before, &detail, merge_commit, Some(id)).await?;
        if let Some((previous_version, losses)) = losses {
            self.notify_breaking(&mut tx, proposal, &detail, (previous_version, losses), sunset, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What a breaking proposal takes from readers of the version published
    /// now, and that version; `None` for a new product.
    async fn losses_of(&self, proposal: &Proposal) -> Result<Option<(String, steward_policies::Losses)>, ServiceError> {
        let base = self.published_base(&proposal.product_key).await?;
        if base.is_new_product() {
            return Ok(None);
        }
        let (old, new) = (base.contract, proposal.contract.clone());
        let losses = super::cpu(move || match (parse_contract(&old), parse_contract(&new)) {
            (Ok((_, old)), Ok((_, new))) => steward_policies::losses(&old, &new),
            _ => steward_policies::Losses::default(),
        })
        .await?;
        Ok(Some((base.version, losses)))
    }

    /// Tells every live subscription of the product (its account holding a
    /// grant) what a breaking version takes away: one `notify.breaking` job
    /// each, enqueued in the publishing transaction (a few multi-row inserts
    /// for thousands of subscribers).
    async fn notify_breaking(
        &self,
        tx: &mut crate::store::Tx,
        proposal: &Proposal,
        detail: &ProductDetail,
        (previous_version, losses): (String, steward_policies::Losses),
        sunset: Option<super::majors::Sunset>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let recipients = crate::store::subscriptions::recipients(tx, &detail.key).await?;
        let major = products::major_of(&detail.version).unwrap_or(1);
        let retyped: Vec<steward_api::Retyped> =
            losses.retyped.into_iter().map(|(column, why)| steward_api::Retyped { column, why }).collect();
        let jobs: Vec<effects::NotifyBreaking> = recipients
            .iter()
            .map(|sub| effects::NotifyBreaking {
                subscription_id: sub.id,
                notice: effects::BreakingChangeNotice {
                    event_id: format!("breaking-{}-sub-{}", proposal.id, sub.id),
                    kind: "breaking_change".to_owned(),
                    product: detail.key.clone(),
                    previous_version: previous_version.clone(),
                    version: detail.version.clone(),
                    major,
                    proposal: proposal.id,
                    tables: losses.tables.clone(),
                    columns: losses.columns.clone(),
                    retyped: retyped.clone(),
                    published_at: now,
                    end_of_support: sunset.map(|s| s.end_of_support),
                    end_of_life: sunset.map(|s| s.end_of_life),
                },
            })
            .collect();
        effects::enqueue_all(tx, &jobs, None, now).await
    }

    /// The events of a version entering the catalog: published, and
    /// deprecated or retired when the version moves the product there.
    /// Republishing a version (rebuild, recovery) announces nothing again.
    async fn announce_publication(
        &self,
        tx: &mut crate::store::Tx,
        before: Option<ProductStatus>,
        detail: &ProductDetail,
        commit: &str,
        proposal: Option<i64>,
    ) -> Result<(), StoreError> {
        let (product, version) = (detail.key.as_str(), detail.version.as_str());
        let status = detail.status.as_str();
        self.announce(tx, &Change::ProductPublished { product, version, commit, proposal, status }).await?;
        if before.as_ref() != Some(&detail.status) {
            match detail.status {
                ProductStatus::Deprecated => self.announce(tx, &Change::ProductDeprecated { product, version }).await?,
                ProductStatus::Retired => self.announce(tx, &Change::ProductRetired { product, version }).await?,
                _ => {}
            }
        }
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
        // The shares of a new version run only after its tables are in Glue:
        // Lake Formation cannot grant on a table that does not exist yet, and
        // a publish that fails for good holds them (`blocked_by` in the outbox).
        let mut published = None;
        if self.backends.glue() {
            let job = effects::PublishCatalog {
                product_key: detail.key.clone(),
                version: detail.version.clone(),
                commit: commit.to_owned(),
            };
            published = Some(effects::enqueue(tx, &job, None, now).await?);
        }
        if self.backends.aws_shares() {
            let filter = GrantFilter {
                status: Some(GrantStatus::Active),
                product_key: Some(detail.key.clone()),
                accounts: None,
                limit: 10_000,
            };
            // Grants on older majors keep their major's own database.
            let major = products::major_of(&detail.version);
            for g in access::list_grants(tx, &filter).await?.into_iter().filter(|g| Some(g.major) == major) {
                let job = effects::GrantShare(effects::ShareTarget {
                    product_key: g.product_key,
                    account: g.account,
                    grant_id: g.id,
                    occasion: format!("publish:{commit}"),
                    major: None,
                });
                effects::enqueue(tx, &job, published, now).await?;
            }
        }
        Ok(())
    }

    /// Brings the store in line with git after a crash: re-opens proposals
    /// stuck before their branch commit, finishes approvals whose claim
    /// committed (merging if the crash came before the merge, publishing if it
    /// came after), and republishes any product whose `main` commit the
    /// catalog does not have, unless that commit merged a proposal that was
    /// not approved (reported in `refused`, never published).
    pub async fn reconcile(&self) -> Result<Reconciled, ServiceError> {
        self.replay_main(false).await
    }

    /// Under the registry writer lock: follow the upstream, recover the
    /// proposals, then sync the catalog with `main` (all of it with `all`).
    async fn replay_main(&self, all: bool) -> Result<Reconciled, ServiceError> {
        let lock = self.lock_registry().await?;
        let result = async {
            self.fetch_upstream().await?;
            let mut done = self.recover_proposals_locked().await?;
            absorb(&mut done, self.sync_catalog(all).await?);
            Ok(done)
        }
        .await;
        lock.release().await;
        result
    }

    /// The proposal half of [`Self::reconcile`]; the caller holds the
    /// registry writer lock. With an upstream, work younger than
    /// `registry.recovery_after_secs` is left to the replica doing it.
    pub(crate) async fn recover_proposals_locked(&self) -> Result<Reconciled, ServiceError> {
        let mut done = Reconciled::default();
        let mut conn = self.conn().await?;
        let stuck = proposals::in_status(&mut conn, ProposalStatus::Submitted).await?;
        let approved = proposals::in_status(&mut conn, ProposalStatus::Approved).await?;
        drop(conn);
        let cutoff = self.clock.now() - chrono::Duration::seconds(self.recovery_after_secs as i64);
        let shared = self.upstream.is_some();
        let left_behind = |at: Option<chrono::DateTime<chrono::Utc>>| !shared || at.is_none_or(|at| at < cutoff);
        let stuck = stuck.into_iter().filter(|p| left_behind(Some(p.submitted_at)));
        let approved = approved.into_iter().filter(|p| left_behind(p.decided_at));

        for p in stuck {
            let key = ProductKey::parse(&p.product_key).map_err(|e| ServiceError::Conflict(e.to_string()))?;
            let email = format!("{}@steward.invalid", p.submitted_by);
            self.open_for_review_locked(p.id, &key, &p.version, &p.contract, &p.submitted_by, &email).await?;
            done.reopened.push(p.id);
        }
        for p in approved {
            let key = ProductKey::parse(&p.product_key).map_err(|e| ServiceError::Conflict(e.to_string()))?;
            let merge = match self.registry.merged_in(p.id as u64).await? {
                Some(merge) => merge,
                None => {
                    let reviewer = p.decided_by.clone().unwrap_or_else(|| "steward".to_owned());
                    let signature = steward_registry::Signature::new(&reviewer, format!("{reviewer}@steward.invalid"));
                    match self.merge(&p, &key, signature).await {
                        Ok(merge) => merge,
                        Err(super::proposals::MergeFailure::Unknown(e)) => {
                            tracing::warn!(proposal = p.id, error = %e, "an approval cannot be finished until the registry's upstream answers");
                            continue;
                        }
                        Err(super::proposals::MergeFailure::NotMerged(e)) => {
                            tracing::warn!(proposal = p.id, error = %e, "an approval interrupted before its merge cannot be finished; back to review");
                            self.release_claim(super::tokens::SYSTEM_ACTOR, p.id, &e).await?;
                            done.reopened.push(p.id);
                            continue;
                        }
                    }
                }
            };
            match self.publish_merged(&p, &key, &merge, None).await {
                Ok(()) => done.recovered.push(p.id),
                Err(e) => {
                    tracing::error!(proposal = p.id, error = %e, "an approved proposal cannot be written to the catalog; skipped");
                    done.failed.push(FailedEntry {
                        product: p.product_key.clone(),
                        commit: merge,
                        error: e.to_string(),
                    });
                }
            }
        }
        Ok(done)
    }

    /// Replays `main` into the catalog: every product whose commit differs
    /// (or every product, with `all`). A commit that merged a proposal the
    /// store knows as anything but approved or published is refused (the
    /// catalog keeps what it had) and reported. After a bulk write the
    /// tables' statistics are refreshed.
    pub async fn sync_catalog(&self, all: bool) -> Result<Synced, ServiceError> {
        let entries = self.registry.list_main().await?;
        let mut conn = self.conn().await?;
        let known: std::collections::HashMap<String, String> =
            products::commits(&mut conn).await?.into_iter().collect();
        drop(conn);
        let mut synced = Synced::default();
        for entry in entries {
            let key = entry.key.to_string();
            if !all && known.get(&key) == Some(&entry.commit) {
                continue;
            }
            let proposal = match entry.proposal {
                Some(id) => proposals::get(&mut *self.conn().await?, id as i64).await?,
                None => None,
            };
            if let Some(p) = &proposal
                && (p.product_key != key || !matches!(p.status, ProposalStatus::Approved | ProposalStatus::Published))
            {
                let refused = RefusedMerge {
                    product: key.clone(),
                    commit: entry.commit.clone(),
                    proposal: p.id,
                    status: p.status,
                };
                self.refuse_merge(&refused).await?;
                synced.refused.push(refused);
                continue;
            }
            let external = if entry.proposal.is_none() {
                let judged = self.judge_external(&entry).await?;
                if !judged.published {
                    synced.external.push(judged);
                    continue;
                }
                Some(judged)
            } else {
                None
            };
            let proposal_id = proposal.as_ref().map(|p| p.id);
            match self.write_entry(&entry, proposal_id, known.get(&key)).await {
                Ok(()) => {}
                Err(e) => {
                    // One bad entry must not keep the others (or the server) down.
                    tracing::error!(product = %key, commit = %entry.commit, error = %e, "a contract on main cannot be written to the catalog; skipped");
                    synced.failed.push(FailedEntry {
                        product: key,
                        commit: entry.commit.clone(),
                        error: e.to_string(),
                    });
                    continue;
                }
            }
            synced.external.extend(external);
            synced.written.push(key);
        }
        if synced.written.len() >= BULK_WRITE {
            self.store.analyze().await?;
        }
        Ok(synced)
    }

    /// A contract changed on `main` by a commit Steward did not make: checked
    /// with the rules a proposal meets (against the published version), then
    /// accepted if `registry.accept_external_merges` says so; a refusal is
    /// audited (`registry.external_merge_refused`) and logged for admins.
    async fn judge_external(&self, entry: &steward_registry::MainEntry) -> Result<ExternalMerge, ServiceError> {
        let key = entry.key.to_string();
        let author = self
            .registry
            .history(entry.key.clone())
            .await?
            .into_iter()
            .find(|c| c.id == entry.commit)
            .map_or_else(|| "unknown".to_owned(), |c| c.author.to_string());
        let refusal = match std::str::from_utf8(&entry.contents) {
            Err(_) => Some("the contract is not UTF-8".to_owned()),
            Ok(text) => {
                let (report, _) = self.check(text).await?;
                if !report.is_ok() {
                    let rules: Vec<&str> = report.findings.iter().filter(|f| f.is_error()).map(|f| f.rule).collect();
                    Some(format!("it does not pass validation: {}", rules.join(", ")))
                } else if report.key.as_ref() != Some(&entry.key) {
                    Some("its domain and dataProduct do not match its path in the registry".to_owned())
                } else if !self.accept_external_merges {
                    Some(
                        "registry.accept_external_merges is off: changes reach the catalog through proposals"
                            .to_owned(),
                    )
                } else {
                    None
                }
            }
        };
        let judged = ExternalMerge {
            product: key.clone(),
            commit: entry.commit.clone(),
            author,
            published: refusal.is_none(),
            refused_because: refusal,
        };
        let action =
            if judged.published { "registry.external_merge_published" } else { "registry.external_merge_refused" };
        if judged.published {
            tracing::warn!(product = %key, commit = %entry.commit, author = %judged.author, "publishing a change made on the registry's main outside Steward");
        } else {
            tracing::error!(product = %key, commit = %entry.commit, author = %judged.author, reason = ?judged.refused_because, "main holds a change made outside Steward; not published (revert it on the git server, or propose it)");
        }
        let mut tx = self.store.begin().await?;
        self.audit(&mut tx, "steward", action, &format!("product:{key}"), None, Some(json!(judged))).await?;
        tx.commit().await?;
        Ok(judged)
    }

    /// Writes one contract from `main` to the catalog, with its effects and audit.
    async fn write_entry(
        &self,
        entry: &steward_registry::MainEntry,
        proposal_id: Option<i64>,
        previous_commit: Option<&String>,
    ) -> Result<(), ServiceError> {
        let key = &entry.key;
        let text = std::str::from_utf8(&entry.contents)
            .map_err(|_| ServiceError::Conflict(format!("contract of {key} on main is not UTF-8")))?;
        let detail = self.detail_of(key, text)?;
        let now = self.clock.now();
        let provenance = Provenance { contract: text, commit: &entry.commit, proposal_id, now };
        let sunset = self.sunset_for(&detail).await?;
        let mut tx = self.store.begin().await?;
        let before = products::get(&mut tx, &detail.key).await?.map(|d| d.status);
        products::publish(&mut tx, self.store.dialect, &detail, &provenance).await?;
        self.after_publish(&mut tx, &detail, &entry.commit, now).await?;
        if let Some(sunset) = sunset {
            self.start_sunset(&mut tx, "steward", &detail, sunset).await?;
        }
        self.audit(
            &mut tx,
            "steward",
            "product.republish",
            &format!("product:{key}"),
            previous_commit.map(|c| json!({"commit": c})),
            Some(json!({"commit": entry.commit, "version": detail.version})),
        )
        .await?;
        self.announce_publication(&mut tx, before, &detail, &entry.commit, proposal_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// `admin rebuild-catalog`: reconcile, then replay every product of
    /// `main`; audited as the admin who asked.
    pub async fn rebuild_catalog(&self, who: &Principal) -> Result<Reconciled, ServiceError> {
        super::require(
            who.is_admin(),
            format!("only admins rebuild the catalog; token `{}` has role {}", who.name, who.roles_label()),
        )?;
        let done = self.replay_main(true).await?;
        let mut tx = self.store.begin().await?;
        self.audit(
            &mut tx,
            &who.name,
            "catalog.rebuild",
            "catalog",
            None,
            Some(json!({
                "republished": done.republished.len(),
                "refused": done.refused.len(),
                "failed": done.failed.len(),
            })),
        )
        .await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Records (audit, log) that `main` holds a merge the store did not approve.
    async fn refuse_merge(&self, refused: &RefusedMerge) -> Result<(), ServiceError> {
        tracing::error!(
            product = %refused.product, commit = %refused.commit, proposal = refused.proposal, status = %refused.status,
            "main holds the merge of a proposal that is not approved; it is not published (revert it in the registry)"
        );
        let mut tx = self.store.begin().await?;
        self.audit(
            &mut tx,
            "steward",
            "registry.merge_refused",
            &format!("product:{}", refused.product),
            None,
            Some(json!(refused)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A published product as `who` may read it: the declared credential
    /// fields of its contract (Slack webhook URLs in contacts, ...) are
    /// redacted unless `who` is one of its producers (see [`crate::redact`]).
    pub async fn product(&self, who: &Principal, key: &str) -> Result<ProductDetail, ServiceError> {
        let mut conn = self.conn().await?;
        let mut detail = products::get(&mut conn, key)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no published product `{key}`")))?;
        if !crate::redact::owns_contract(who, &detail.domain) {
            crate::redact::product_detail(&mut detail);
        }
        Ok(detail)
    }

    /// Searches the catalog as `who`: the hits say whether one of `who`'s
    /// own accounts holds an active grant (consumers; nobody else has accounts).
    pub async fn search(&self, who: &Principal, q: &SearchQuery) -> Result<SearchPage, ServiceError> {
        // The API refuses control characters at its edge; the portal's forms
        // reach here directly, and PostgreSQL refuses NUL in text.
        super::plain_text("q", q.q.as_deref())?;
        super::plain_text("classification", q.classification.as_deref())?;
        super::plain_text("owner", q.owner.as_deref())?;
        for (field, values) in [("domain", &q.domains), ("tag", &q.tags)] {
            for v in values {
                super::plain_text(field, Some(v))?;
            }
        }
        if q.offset >= COUNT_CAP {
            return Err(ServiceError::BadRequest(format!(
                "offset {} is past the first {COUNT_CAP} results; narrow the query (words, domain, tag, classification)",
                q.offset
            )));
        }
        let accounts = who.accounts();
        let viewer = Viewer { accounts, now: self.clock.now() };
        let mut conn = self.conn().await?;
        // An idle second connection lets independent search statements run
        // side by side (PostgreSQL backends; SQLite readers under WAL, each
        // connection on its own thread); never waited for, so searches
        // holding one connection cannot deadlock the pool waiting for a second.
        let words = q.q.as_deref().is_some_and(|w| !w.trim().is_empty());
        let mut spare = if words { self.store.pool.try_acquire() } else { None };
        Ok(products::search(&mut conn, spare.as_deref_mut(), self.store.dialect, q, &viewer).await?)
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
    /// For anyone but the product's producers both versions have their
    /// declared credential fields redacted *before* diffing
    /// ([`crate::redact::contract_texts`]), so neither side of a change
    /// shows a secret and a changed secret still shows as a changed line.
    pub async fn diff(&self, who: &Principal, key: &str, from: &str, to: &str) -> Result<String, ServiceError> {
        let versions = self.versions(key).await?;
        let commit = |v: &str| {
            versions.iter().find(|x| x.version == v).map(|x| x.commit_id.clone()).ok_or_else(|| {
                let known: Vec<&str> = versions.iter().map(|x| x.version.as_str()).collect();
                ServiceError::NotFound(format!("{key} has no version `{v}`; known: {}", known.join(", ")))
            })
        };
        let (a, b) = (commit(from)?, commit(to)?);
        let key = ProductKey::parse(key).map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        if crate::redact::owns_contract(who, key.domain.as_str()) {
            return self.read_through(|| self.registry.diff(key.clone(), a.clone(), b.clone())).await;
        }
        let old = self.read_through(|| self.registry.read(key.clone(), Some(a.clone()))).await?.unwrap_or_default();
        let new = self.read_through(|| self.registry.read(key.clone(), Some(b.clone()))).await?.unwrap_or_default();
        let path = key.registry_path();
        // Parsing two contracts of up to 1 MiB is CPU work: off the async threads.
        tokio::task::spawn_blocking(move || {
            let (old, new) = (String::from_utf8_lossy(&old), String::from_utf8_lossy(&new));
            let shown = crate::redact::contract_texts(&[&old, &new]);
            similar::TextDiff::from_lines(shown[0].as_str(), shown[1].as_str())
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string()
        })
        .await
        .map_err(|e| ServiceError::Store(StoreError::Corrupt(format!("redacting a diff failed: {e}"))))
    }
}
