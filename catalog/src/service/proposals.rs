//! Submitting, approving and rejecting proposals.

use serde_json::json;
use steward_policies::{Report, validate_document};
use steward_schemas::ProductKey;

use super::{Service, require, require_reviewer};
use crate::auth::{Principal, Role};
use crate::error::ServiceError;
use crate::store::products;
use crate::store::proposals::{self, NewProposal};
pub use steward_api::ProposalView;

pub use crate::store::proposals::{FindingDocument, Proposal, ProposalFilter, ProposalStatus, StoredFinding, finding};

impl Service {
    /// Validates a contract against the policy and, if the product is
    /// published, against the published version. The document is read once,
    /// off the async threads (see [`super::cpu`]).
    async fn check(&self, text: &str) -> Result<Report, ServiceError> {
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
            Err(e) => return Ok(Report::unreadable(&e)),
        };
        let published = match &key {
            Some(key) => products::published(&mut *self.conn().await?, &key.to_string()).await?,
            None => None,
        };
        let policy = self.policy.clone();
        super::cpu(move || {
            let previous = match published {
                Some(p) => Some(steward_policies::read_previous(p.contract.as_bytes()).map_err(|e| {
                    ServiceError::Conflict(format!(
                        "the published contract (version {}) no longer parses: {e}",
                        p.version
                    ))
                })?),
                None => None,
            };
            Ok(validate_document(&doc, &policy, previous.as_ref()))
        })
        .await?
    }

    /// A producer submits a contract. Valid ones become a commit on
    /// `proposals/<id>` and wait for review; invalid ones are recorded as
    /// `rejected_by_validation` and answered with their findings.
    pub async fn submit(&self, who: &Principal, text: &str) -> Result<Proposal, ServiceError> {
        require(
            matches!(who.role, Role::Producer | Role::Admin),
            format!("only producers submit contracts; token `{}` has role {}", who.name, who.role),
        )?;
        let report = self.check(text).await?;
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
                who.scopes.join(", "),
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
        self.open_for_review(id, &key, &version, text, &who.name, &who.email).await?;
        self.proposal(id).await
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
        let signature = steward_registry::Signature { name: author.to_owned(), email: email.to_owned() };
        let commit = self
            .registry
            .propose(id as u64, key.clone(), version.to_owned(), text.as_bytes().to_vec(), signature)
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
        tx.commit().await.map_err(crate::error::StoreError::from)?;
        Ok(())
    }

    pub async fn proposal(&self, id: i64) -> Result<Proposal, ServiceError> {
        let mut conn = self.conn().await?;
        proposals::get(&mut conn, id).await?.ok_or_else(|| ServiceError::NotFound(format!("no proposal {id}")))
    }

    /// A proposal with its diff against the published version. Reviewers
    /// and admins read every proposal; producers those of their domains;
    /// nobody else (404, so that ids reveal nothing).
    pub async fn proposal_view(&self, who: &Principal, id: i64) -> Result<ProposalView, ServiceError> {
        let proposal = self.proposal(id).await?;
        if !may_read(who, &proposal.product_key) {
            return Err(ServiceError::NotFound(format!("no proposal {id}")));
        }
        let mut conn = self.conn().await?;
        let published = products::published(&mut conn, &proposal.product_key).await?;
        let old = published.map(|p| p.contract).unwrap_or_default();
        let diff = similar::TextDiff::from_lines(old.as_str(), proposal.contract.as_str())
            .unified_diff()
            .context_radius(3)
            .header("published", &format!("proposal {id}"))
            .to_string();
        Ok(ProposalView { proposal, diff })
    }

    /// Proposals `who` may read (see [`Self::proposal_view`]): a producer's
    /// listing is narrowed to their domains; consumers read none.
    pub async fn proposals(&self, who: &Principal, filter: &ProposalFilter) -> Result<Vec<Proposal>, ServiceError> {
        let mut filter = filter.clone();
        match who.role {
            Role::Admin | Role::Reviewer => {}
            Role::Producer => filter.domains = Some(who.scopes.clone()),
            Role::Consumer => {
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
        let report = self.check(&proposal.contract).await?;
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
        self.claim_approval(who, id, comment).await?;
        let proposal = self.proposal(id).await?;
        let merge = match self.merge(&proposal, &key, who.signature()).await {
            Ok(merge) => merge,
            Err(e) => {
                self.release_claim(&who.name, id, &e).await?;
                return Err(e);
            }
        };
        self.publish_merged(&proposal, &key, &merge, Some((who, comment))).await?;
        self.push_upstream().await;
        self.proposal(id).await
    }

    /// Merges an approved proposal's branch into `main`. A failure after the
    /// merge landed (the registry answers late) counts as merged.
    pub(crate) async fn merge(
        &self,
        proposal: &Proposal,
        key: &ProductKey,
        reviewer: steward_registry::Signature,
    ) -> Result<String, ServiceError> {
        let id = proposal.id;
        let merged = self
            .registry
            .merge_proposal(id as u64, key.clone(), proposal.version.clone(), reviewer, proposal.comment.clone())
            .await;
        match merged {
            Ok(merge) => Ok(merge),
            Err(e) => match self.registry.merged_in(id as u64).await {
                Ok(Some(merge)) => Ok(merge),
                _ => Err(e.into()),
            },
        }
    }

    /// Compare-and-set `pending_review → approved`, recording who decided.
    async fn claim_approval(&self, who: &Principal, id: i64, comment: Option<&str>) -> Result<(), ServiceError> {
        let mut tx = self.store.begin().await?;
        proposals::transition(&mut tx, id, &[ProposalStatus::PendingReview], ProposalStatus::Approved)
            .await
            .map_err(|e| conflict_or(e, id))?;
        proposals::record_decision(&mut tx, id, &who.name, self.clock.now(), comment, None).await?;
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
        self.audit(
            &mut tx,
            actor,
            "proposal.approve_failed",
            &format!("proposal:{id}"),
            Some(json!({"status": ProposalStatus::Approved})),
            Some(json!({"status": ProposalStatus::PendingReview, "error": why.to_string()})),
        )
        .await?;
        tx.commit().await.map_err(crate::error::StoreError::from)?;
        Ok(())
    }

    /// A reviewer rejects, with a comment. The branch stays for the record.
    pub async fn reject(&self, who: &Principal, id: i64, comment: &str) -> Result<Proposal, ServiceError> {
        require_reviewer(who, "reject proposals")?;
        if comment.trim().is_empty() {
            return Err(ServiceError::BadRequest("a rejection needs a comment that tells the producer why".to_owned()));
        }
        self.proposal(id).await?;
        let mut tx = self.store.begin().await?;
        proposals::transition(&mut tx, id, &[ProposalStatus::PendingReview], ProposalStatus::Rejected)
            .await
            .map_err(|e| conflict_or(e, id))?;
        proposals::record_decision(&mut tx, id, &who.name, self.clock.now(), Some(comment), None).await?;
        self.audit(
            &mut tx,
            &who.name,
            "proposal.reject",
            &format!("proposal:{id}"),
            Some(json!({"status": ProposalStatus::PendingReview})),
            Some(json!({"status": ProposalStatus::Rejected, "comment": comment})),
        )
        .await?;
        tx.commit().await.map_err(crate::error::StoreError::from)?;
        self.proposal(id).await
    }
}

/// Reviewers and admins read every proposal, producers those of their domains.
fn may_read(who: &Principal, product_key: &str) -> bool {
    who.can_review() || product_key.split_once('.').is_some_and(|(domain, _)| who.produces_for(domain))
}

/// A lost compare-and-set says what happened instead of a store error.
fn conflict_or(e: crate::error::StoreError, id: i64) -> ServiceError {
    match e {
        crate::error::StoreError::Conflict(_) => {
            ServiceError::Conflict(format!("proposal {id} was decided by someone else meanwhile; reload it"))
        }
        other => other.into(),
    }
}
