//! Submitting, approving and rejecting proposals, and what a reviewer sees
//! of one: the diff it was judged on, who a breaking change affects, and (in
//! [`queues`]) the paged queues.

mod queues;

pub use crate::store::queues::{Order, QueuePage, QueueQuery};
pub use queues::{Affected, AffectedAccounts};

use serde_json::json;
use steward_policies::{Report, validate_document};
use steward_schemas::ProductKey;

use super::{Service, require, require_reviewer};
use crate::auth::{Principal, Role};
use crate::error::ServiceError;
use crate::events::Change;
use crate::store::products;
use crate::store::proposals::{self, Base, NewProposal};
pub use steward_api::{BaseKind, ProposalView};

pub use crate::store::proposals::{FindingDocument, Proposal, ProposalFilter, ProposalStatus, StoredFinding, finding};

/// Consumers listed in a proposal's impact (the total counts them all).
const IMPACT_CONSUMERS_SHOWN: i64 = 100;

impl Service {
    /// Validates a contract against the policy and, if the product is
    /// published, against the published version, which it returns as the
    /// base the report was made against (empty: nothing published, or the
    /// product unreadable). The document is read once, off the async threads
    /// (see [`super::cpu`]).
    pub(crate) async fn check(&self, text: &str) -> Result<(Report, Base), ServiceError> {
        let owned = text.to_owned();
        let parsed = super::cpu(move || {
            let doc = steward_schemas::Document::from_bytes(owned.as_bytes())?;
            let key = doc.contract().ok().and_then(|c| {
                ProductKey::parse(&format!("{}.{}", c.domain.as_deref()?, c.data_product.as_deref()?)).ok()
            });
            Ok::<_, steward_schemas::parse::ParseError>((doc, key))
        })
        .await?;
        let (doc, key) = match parsed {
            Ok(read) => read,
            Err(e) => return Ok((Report::unreadable(&e), Base::default())),
        };
        let published = match &key {
            Some(key) => products::published(&mut *self.conn().await?, &key.to_string()).await?,
            None => None,
        };
        let base = published
            .as_ref()
            .map(|p| Base { version: p.version.clone(), contract: p.contract.clone() })
            .unwrap_or_default();
        let policy = self.policy.clone();
        let report = super::cpu(move || {
            let previous = match published {
                Some(p) => Some(steward_policies::read_previous(p.contract.as_bytes()).map_err(|e| {
                    ServiceError::Conflict(format!(
                        "the published contract (version {}) no longer parses: {e}",
                        p.version
                    ))
                })?),
                None => None,
            };
            Ok::<_, ServiceError>(validate_document(&doc, &policy, previous.as_ref()))
        })
        .await??;
        Ok((report, base))
    }

    /// A producer submits a contract. Valid ones become a commit on
    /// `proposals/<id>` and wait for review; invalid ones are recorded as
    /// `rejected_by_validation` and answered with their findings.
    pub async fn submit(&self, who: &Principal, text: &str) -> Result<Proposal, ServiceError> {
        require(
            who.holds(Role::Producer) || who.is_admin(),
            format!("only producers submit contracts; token `{}` has role {}", who.name, who.roles_label()),
        )?;
        let (report, base) = self.check(text).await?;
        let findings: Vec<StoredFinding> = report.findings.iter().map(proposals::finding).collect();
        let Some(key) = report.key.clone() else {
            return Err(ServiceError::Invalid {
                message: "the contract names no valid `domain` and `dataProduct`; nothing was recorded".to_owned(),
                findings: report.findings,
                proposal_id: None,
            });
        };
        require(
            who.produces_for(key.domain.as_str()),
            format!(
                "token `{}` may submit only for domains [{}], not `{}`",
                who.name,
                who.domains().join(", "),
                key.domain
            ),
        )?;
        let version = report.contract.as_ref().and_then(|c| c.version.clone()).unwrap_or_default();
        let breaking = report.findings.iter().any(|f| steward_policies::is_breaking(f.rule));
        let ok = report.is_ok();
        let status = if ok { ProposalStatus::Submitted } else { ProposalStatus::RejectedByValidation };

        let mut tx = self.store.begin().await?;
        if ok && let Some(holder) = proposals::holding_version(&mut tx, &key.to_string(), &version).await? {
            return Err(ServiceError::Conflict(format!(
                "version {version} of {key} is already {} as proposal {}; raise `version` to propose a change",
                holder.status, holder.id
            )));
        }
        let id = proposals::insert(
            &mut tx,
            &NewProposal {
                product_key: &key.to_string(),
                version: &version,
                status,
                contract: text,
                findings: &findings,
                breaking,
                submitted_by: &who.name,
                now: self.clock.now(),
                base: &base,
            },
        )
        .await?;
        let target = format!("proposal:{id}");
        self.audit(
            &mut tx,
            &who.name,
            "proposal.submit",
            &target,
            None,
            Some(json!({"product": key.to_string(), "version": version, "status": status})),
        )
        .await?;
        tx.commit().await.map_err(crate::error::StoreError::from)?;

        if !ok {
            let errors = report.errors();
            return Err(ServiceError::Invalid {
                message: format!("contract has {errors} error(s); proposal {id} was rejected by validation"),
                findings: report.findings,
                proposal_id: Some(id),
            });
        }
        if self.exit_at == Some(crate::worker::outbox::FaultPoint::ProposalBranch) {
            eprintln!("steward: fault point: exiting after recording proposal {id}, before its branch");
            std::process::exit(88);
        }
        if let Err(e) = self.open_for_review(id, &key, &version, text, &who.name, &who.email).await {
            self.abandon_submission(id, &e).await?;
            return Err(e);
        }
        self.proposal(id).await
    }

    /// A submission whose branch could not be written (the registry or its
    /// upstream is unavailable) is withdrawn by Steward, so nothing is left
    /// half-done and the same version can be submitted again. Audited as
    /// `proposal.submit_failed` with the reason. If recovery on another
    /// replica opened it for review meanwhile, it stays open.
    async fn abandon_submission(&self, id: i64, why: &ServiceError) -> Result<(), ServiceError> {
        let mut tx = self.store.begin().await?;
        match proposals::transition(&mut tx, id, &[ProposalStatus::Submitted], ProposalStatus::Withdrawn).await {
            Ok(()) => {}
            Err(crate::error::StoreError::Conflict(_) | crate::error::StoreError::NotFound(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let change = (ProposalStatus::Submitted, ProposalStatus::Withdrawn);
        self.audit_failure(&mut tx, super::tokens::SYSTEM_ACTOR, "proposal.submit_failed", id, change, why).await?;
        tx.commit().await.map_err(crate::error::StoreError::from)?;
        Ok(())
    }

    /// Commits a valid proposal to its branch and opens it for review.
    /// Idempotent, so recovery can repeat it after a crash.
    pub(crate) async fn open_for_review(
        &self,
        id: i64,
        key: &ProductKey,
        version: &str,
        text: &str,
        author: &str,
        email: &str,
    ) -> Result<(), ServiceError> {
        let lock = self.lock_registry().await?;
        let result = self.open_for_review_locked(id, key, version, text, author, email).await;
        lock.release().await;
        result
    }

    /// [`Self::open_for_review`] with the registry writer lock held.
    pub(crate) async fn open_for_review_locked(
        &self,
        id: i64,
        key: &ProductKey,
        version: &str,
        text: &str,
        author: &str,
        email: &str,
    ) -> Result<(), ServiceError> {
        // Another replica's recovery may have opened it while this one waited.
        if self.proposal(id).await?.status != ProposalStatus::Submitted {
            return Ok(());
        }
        let signature = steward_registry::Signature { name: author.to_owned(), email: email.to_owned() };
        let commit = self
            .registry
            .propose_shared(
                self.upstream.clone(),
                id as u64,
                key.clone(),
                version.to_owned(),
                text.as_bytes().to_vec(),
                signature,
            )
            .await?;
        let mut tx = self.store.begin().await?;
        proposals::set_branch_commit(&mut tx, id, &commit).await?;
        proposals::transition(&mut tx, id, &[ProposalStatus::Submitted], ProposalStatus::PendingReview).await?;
        self.audit(
            &mut tx,
            "steward",
            "proposal.validated",
            &format!("proposal:{id}"),
            Some(json!({"status": ProposalStatus::Submitted})),
            Some(json!({"status": ProposalStatus::PendingReview, "commit": commit})),
        )
        .await?;
        let (product, submitted_by) = (key.to_string(), author);
        self.announce(&mut tx, &Change::ProposalSubmitted { id, product: &product, version, submitted_by }).await?;
        tx.commit().await.map_err(crate::error::StoreError::from)?;
        Ok(())
    }

    pub async fn proposal(&self, id: i64) -> Result<Proposal, ServiceError> {
        let mut conn = self.conn().await?;
        proposals::get(&mut conn, id).await?.ok_or_else(|| ServiceError::NotFound(format!("no proposal {id}")))
    }

    /// A proposal with its diff. Reviewers and admins read every proposal;
    /// producers those of their domains; nobody else (404, so that ids
    /// reveal nothing).
    ///
    /// The diff is against the version the proposal is judged on: for one
    /// waiting for review, the version published now (approval re-checks
    /// against it); for a decided or refused one, the version recorded when
    /// it was judged, never today's, so later versions do not change what a
    /// reviewer sees of a past decision.
    pub async fn proposal_view(&self, who: &Principal, id: i64) -> Result<ProposalView, ServiceError> {
        let proposal = self.proposal(id).await?;
        if !may_read(who, &proposal.product_key) {
            return Err(ServiceError::NotFound(format!("no proposal {id}")));
        }
        let mut conn = self.conn().await?;
        let open = matches!(proposal.status, ProposalStatus::Submitted | ProposalStatus::PendingReview);
        let (base, kind) = if open {
            match products::published(&mut conn, &proposal.product_key).await? {
                Some(p) => (Some(Base { version: p.version, contract: p.contract }), BaseKind::Published),
                None => (Some(Base::default()), BaseKind::NewProduct),
            }
        } else {
            let recorded = proposals::base(&mut conn, id).await?;
            let base = match recorded {
                Some(b) => Some(b),
                None => {
                    // Decided before bases were recorded: the version published before it.
                    let before = match proposals::published_at(&mut conn, id).await? {
                        Some(at) => Some(at),
                        None => proposal.decided_at.map(crate::store::ts),
                    };
                    match before {
                        Some(before) => {
                            proposals::reconstructed_base(&mut conn, &proposal.product_key, id, &before).await?
                        }
                        None => None,
                    }
                }
            };
            match base {
                Some(b) if b.is_new_product() => (Some(b), BaseKind::NewProduct),
                Some(b) => (Some(b), BaseKind::Judged),
                None => (None, BaseKind::Unknown),
            }
        };
        let diff = match &base {
            Some(b) if !b.is_new_product() => {
                let text = proposal.contract.clone();
                let old = b.contract.clone();
                let from = format!("version {}", b.version);
                super::cpu(move || {
                    similar::TextDiff::from_lines(old.as_str(), text.as_str())
                        .unified_diff()
                        .context_radius(3)
                        .header(&from, &format!("proposal {id}"))
                        .to_string()
                })
                .await?
            }
            _ => String::new(),
        };
        let impact = match &base {
            Some(b) if proposal.breaking && !b.is_new_product() => {
                Some(self.impact(&mut conn, &proposal, &b.contract).await?)
            }
            _ => None,
        };
        let base_version = base.filter(|b| !b.is_new_product()).map(|b| b.version);
        Ok(ProposalView { proposal, diff, base_version, base_kind: kind, impact })
    }

    /// What a breaking proposal takes from the consumers of `base` (the
    /// contract it is judged against), and who they are: today's grants and
    /// subscriptions on the product.
    async fn impact(
        &self,
        conn: &mut sqlx::AnyConnection,
        proposal: &Proposal,
        base: &str,
    ) -> Result<steward_api::Impact, ServiceError> {
        let (old, new) = (base.to_owned(), proposal.contract.clone());
        let losses =
            super::cpu(move || match (steward_schemas::parse_contract(&old), steward_schemas::parse_contract(&new)) {
                (Ok((_, old)), Ok((_, new))) => steward_policies::losses(&old, &new),
                _ => steward_policies::Losses::default(),
            })
            .await?;
        let (accounts, total) =
            crate::store::queues::affected(conn, &proposal.product_key, IMPACT_CONSUMERS_SHOWN).await?;
        Ok(steward_api::Impact {
            tables: losses.tables,
            columns: losses.columns,
            retyped: losses.retyped.into_iter().map(|(column, why)| steward_api::Retyped { column, why }).collect(),
            consumers: accounts
                .into_iter()
                .map(|a| steward_api::Consumer {
                    account: a.account,
                    grant_id: a.grant_id,
                    major: a.major,
                    expires_at: a.expires_at,
                    subscriptions: a.subscriptions,
                    acknowledged_major: a.acknowledged_major,
                })
                .collect(),
            consumers_total: total,
            approvable_from: (proposal.status == ProposalStatus::PendingReview)
                .then(|| self.notice_ends(proposal, total))
                .flatten(),
        })
    }

    /// When the policy's notice for a breaking change to `consumers`
    /// accounts ends (`None`: no notice is required).
    fn notice_ends(&self, proposal: &Proposal, consumers: i64) -> Option<chrono::DateTime<chrono::Utc>> {
        let days = self.policy.breaking_changes.notice_days;
        (days > 0 && consumers > 0).then(|| proposal.submitted_at + chrono::Duration::days(i64::from(days)))
    }

    /// Refuses to approve a breaking proposal before the consumers it
    /// affects have had the policy's notice (`breaking_changes.notice_days`).
    async fn require_notice(&self, proposal: &Proposal) -> Result<(), ServiceError> {
        if self.policy.breaking_changes.notice_days == 0 {
            return Ok(());
        }
        let (_, consumers) = crate::store::queues::affected(&mut *self.conn().await?, &proposal.product_key, 0).await?;
        match self.notice_ends(proposal, consumers) {
            Some(from) if self.clock.now() < from => Err(ServiceError::Conflict(format!(
                "proposal {} is a breaking change for {consumers} consumer account(s); the policy gives them {} days' notice (breaking_changes.notice_days): it may be approved from {}",
                proposal.id,
                self.policy.breaking_changes.notice_days,
                steward_api::time::format(&from)
            ))),
            _ => Ok(()),
        }
    }

    /// The catalog model of a proposal's contract (tables, columns,
    /// classification, SLO, location), as publishing it would write it;
    /// `None` if the contract does not parse. Readable by whoever may read
    /// the proposal.
    pub async fn proposal_preview(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<Option<steward_api::ProductDetail>, ServiceError> {
        let proposal = self.proposal(id).await?;
        if !may_read(who, &proposal.product_key) {
            return Err(ServiceError::NotFound(format!("no proposal {id}")));
        }
        let Ok(key) = ProductKey::parse(&proposal.product_key) else { return Ok(None) };
        let default = self.policy.default_product_classification.clone();
        super::cpu(move || {
            steward_schemas::parse_contract(&proposal.contract)
                .ok()
                .map(|(_, contract)| crate::model::build(&key, &contract, &default))
        })
        .await
    }

    /// Proposals `who` may read (see [`Self::proposal_view`]): a producer's
    /// listing is narrowed to their domains; consumers read none.
    pub async fn proposals(&self, who: &Principal, filter: &ProposalFilter) -> Result<Vec<Proposal>, ServiceError> {
        let mut filter = filter.clone();
        match who.holds(Role::Producer) {
            _ if who.can_review() => {}
            true => filter.domains = Some(who.domains()),
            false => {
                return Err(ServiceError::Forbidden(format!(
                    "proposals are read by reviewers and by the producers of their domain; token `{}` is a consumer",
                    who.name
                )));
            }
        }
        let mut conn = self.conn().await?;
        Ok(proposals::list(&mut conn, &filter).await?)
    }

    /// A reviewer approves: re-check against the current published version,
    /// claim the decision in the store, merge the branch into `main`, publish.
    ///
    /// The claim (compare-and-set `pending_review → approved`) commits before
    /// git is touched, so a concurrent reject or second approval loses in the
    /// store and never reaches git: `main` only ever holds merges of approved
    /// proposals. If the merge then fails, the claim is released.
    pub async fn approve(&self, who: &Principal, id: i64, comment: Option<&str>) -> Result<Proposal, ServiceError> {
        require_reviewer(who, "approve proposals")?;
        let proposal = self.proposal(id).await?;
        require(
            proposal.submitted_by != who.name,
            format!("`{}` submitted proposal {id} and cannot approve it; another reviewer must", who.name),
        )?;
        if proposal.status != ProposalStatus::PendingReview {
            return Err(ServiceError::Conflict(format!("proposal {id} is {}, not pending_review", proposal.status)));
        }
        // The published version may have moved since submission.
        let (report, base) = self.check(&proposal.contract).await?;
        if !report.is_ok() {
            let rules: Vec<&str> = report.findings.iter().filter(|f| f.is_error()).map(|f| f.rule).collect();
            return Err(ServiceError::Invalid {
                message: format!(
                    "proposal {id} cannot be approved: {} against the published version (raise the major version for breaking changes)",
                    rules.join(", ")
                ),
                findings: report.findings,
                proposal_id: Some(id),
            });
        }
        let key = ProductKey::parse(&proposal.product_key).map_err(|e| ServiceError::Conflict(e.to_string()))?;
        let findings: Vec<StoredFinding> = report.findings.iter().map(proposals::finding).collect();
        let breaking = report.findings.iter().any(|f| steward_policies::is_breaking(f.rule));
        if breaking {
            self.require_notice(&proposal).await?;
        }
        self.claim_approval(who, id, comment, &base, (&findings, breaking)).await?;
        let lock = match self.lock_registry().await {
            Ok(lock) => lock,
            Err(e) => {
                self.release_claim(&who.name, id, &e).await?;
                return Err(e);
            }
        };
        let finished = self.finish_approval(who, id, &key, comment).await;
        lock.release().await;
        finished?;
        self.proposal(id).await
    }

    /// Merges a claimed approval and publishes it; the caller holds the
    /// registry writer lock.
    async fn finish_approval(
        &self,
        who: &Principal,
        id: i64,
        key: &ProductKey,
        comment: Option<&str>,
    ) -> Result<(), ServiceError> {
        let proposal = self.proposal(id).await?;
        match proposal.status {
            ProposalStatus::Approved => {}
            // Finished by another replica's recovery while this one waited.
            ProposalStatus::Published => return Ok(()),
            other => {
                return Err(ServiceError::Conflict(format!(
                    "proposal {id} became {other} while its approval waited for the registry; look at it again"
                )));
            }
        }
        let merge = match self.merge(&proposal, key, who.signature()).await {
            Ok(merge) => merge,
            Err(MergeFailure::NotMerged(e)) => {
                self.release_claim(&who.name, id, &e).await?;
                return Err(e);
            }
            Err(MergeFailure::Unknown(e)) => {
                return Err(ServiceError::Busy(format!(
                    "proposal {id} is approved, but the registry's upstream did not confirm the merge ({e}); \
                     Steward finishes the approval once the upstream answers"
                )));
            }
        };
        self.publish_merged(&proposal, key, &merge, Some((who, comment))).await
    }

    /// Merges an approved proposal's branch into `main` (and pushes it to
    /// the upstream). A failure after the merge landed (the registry answers
    /// late) counts as merged.
    pub(crate) async fn merge(
        &self,
        proposal: &Proposal,
        key: &ProductKey,
        reviewer: steward_registry::Signature,
    ) -> Result<String, MergeFailure> {
        let id = proposal.id;
        let merged = self
            .registry
            .merge_shared(
                self.upstream.clone(),
                id as u64,
                key.clone(),
                proposal.version.clone(),
                reviewer,
                proposal.comment.clone(),
            )
            .await;
        match merged {
            Ok(merge) => Ok(merge),
            Err(e @ steward_registry::RegistryError::Upstream(_)) => Err(MergeFailure::Unknown(e.into())),
            Err(e) => match self.registry.merged_in(id as u64).await {
                Ok(Some(merge)) => Ok(merge),
                _ => Err(MergeFailure::NotMerged(e.into())),
            },
        }
    }

    /// Compare-and-set `pending_review → approved`, recording who decided
    /// and what the approval checked the proposal against (`base`, and the
    /// findings of that check), in the same transaction.
    async fn claim_approval(
        &self,
        who: &Principal,
        id: i64,
        comment: Option<&str>,
        base: &Base,
        (findings, breaking): (&[StoredFinding], bool),
    ) -> Result<(), ServiceError> {
        let mut tx = self.store.begin().await?;
        proposals::transition(&mut tx, id, &[ProposalStatus::PendingReview], ProposalStatus::Approved)
            .await
            .map_err(|e| conflict_or(e, id))?;
        proposals::record_decision(&mut tx, id, &who.name, self.clock.now(), comment, None).await?;
        proposals::record_judgement(&mut tx, id, base, Some((findings, breaking))).await?;
        self.audit(
            &mut tx,
            &who.name,
            "proposal.claim",
            &format!("proposal:{id}"),
            Some(json!({"status": ProposalStatus::PendingReview})),
            Some(json!({"status": ProposalStatus::Approved, "comment": comment})),
        )
        .await?;
        tx.commit().await.map_err(crate::error::StoreError::from)?;
        Ok(())
    }

    /// Gives a claimed proposal back to review after its merge failed;
    /// `actor` is the reviewer, or the system when recovery gives up.
    pub(crate) async fn release_claim(&self, actor: &str, id: i64, why: &ServiceError) -> Result<(), ServiceError> {
        let mut tx = self.store.begin().await?;
        proposals::transition(&mut tx, id, &[ProposalStatus::Approved], ProposalStatus::PendingReview).await?;
        proposals::clear_decision(&mut tx, id).await?;
        let change = (ProposalStatus::Approved, ProposalStatus::PendingReview);
        self.audit_failure(&mut tx, actor, "proposal.approve_failed", id, change, why).await?;
        tx.commit().await.map_err(crate::error::StoreError::from)?;
        Ok(())
    }

    /// Audits a proposal put back or set aside because an operation failed:
    /// the status it left, the one it has now, and the error.
    async fn audit_failure(
        &self,
        tx: &mut crate::store::Tx,
        actor: &str,
        action: &str,
        id: i64,
        (from, to): (ProposalStatus, ProposalStatus),
        why: &ServiceError,
    ) -> Result<(), ServiceError> {
        self.audit(
            tx,
            actor,
            action,
            &format!("proposal:{id}"),
            Some(json!({"status": from})),
            Some(json!({"status": to, "error": why.to_string()})),
        )
        .await?;
        Ok(())
    }

    /// A reviewer rejects, with a comment. The branch stays for the record.
    pub async fn reject(&self, who: &Principal, id: i64, comment: &str) -> Result<Proposal, ServiceError> {
        require_reviewer(who, "reject proposals")?;
        if comment.trim().is_empty() {
            return Err(ServiceError::BadRequest("a rejection needs a comment that tells the producer why".to_owned()));
        }
        let proposal = self.proposal(id).await?;
        // The reviewer judged the diff against the version published now.
        let base = self.published_base(&proposal.product_key).await?;
        let mut tx = self.store.begin().await?;
        proposals::transition(&mut tx, id, &[ProposalStatus::PendingReview], ProposalStatus::Rejected)
            .await
            .map_err(|e| conflict_or(e, id))?;
        proposals::record_decision(&mut tx, id, &who.name, self.clock.now(), Some(comment), None).await?;
        proposals::record_judgement(&mut tx, id, &base, None).await?;
        self.audit(
            &mut tx,
            &who.name,
            "proposal.reject",
            &format!("proposal:{id}"),
            Some(json!({"status": ProposalStatus::PendingReview})),
            Some(json!({"status": ProposalStatus::Rejected, "comment": comment})),
        )
        .await?;
        let change = Change::ProposalRejected {
            id,
            product: &proposal.product_key,
            version: &proposal.version,
            rejected_by: &who.name,
            comment,
        };
        self.announce(&mut tx, &change).await?;
        tx.commit().await.map_err(crate::error::StoreError::from)?;
        self.proposal(id).await
    }
}

impl Service {
    /// The version of `product_key` published now, as the base a decision
    /// (approval, rejection, withdrawal) records it was judged against; the
    /// empty base for a product not published yet.
    pub(crate) async fn published_base(&self, product_key: &str) -> Result<Base, ServiceError> {
        let published = products::published(&mut *self.conn().await?, product_key).await?;
        Ok(published.map(|p| Base { version: p.version, contract: p.contract }).unwrap_or_default())
    }
}

/// Reviewers and admins read every proposal, producers those of their domains.
fn may_read(who: &Principal, product_key: &str) -> bool {
    who.can_review() || product_key.split_once('.').is_some_and(|(domain, _)| who.produces_for(domain))
}

/// A lost compare-and-set says what happened instead of a store error.
/// Why a merge did not come back with a commit.
#[derive(Debug)]
pub(crate) enum MergeFailure {
    /// It did not land; the registry is as before.
    NotMerged(ServiceError),
    /// The upstream went away mid-push: it may have landed. Recovery finds out.
    Unknown(ServiceError),
}

fn conflict_or(e: crate::error::StoreError, id: i64) -> ServiceError {
    match e {
        crate::error::StoreError::Conflict(_) => {
            ServiceError::Conflict(format!("proposal {id} was decided by someone else meanwhile; reload it"))
        }
        other => other.into(),
    }
}
