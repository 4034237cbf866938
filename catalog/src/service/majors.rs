//! Parallel majors ([M11], `docs/breaking-changes.md`).
//!
//! Approving a new major publishes it beside the previous one: each major
//! has its own catalog database ([`crate::model::database_of`]), its row in
//! `product_majors` (the newest version of that major and its detail), and
//! grants stay on the major they were approved against, with the share of
//! that major's database. Publishing a new major gives the older live ones
//! their sunset: the end of support and end of life the old contract
//! declares (ODCS `slaProperties` `endOfSupport` / `endOfLife`), else the
//! policy's `breaking_changes.support_days` / `end_of_life_days` from now.
//!
//! The monitor (one replica, under its lease) then, per major and each in
//! one transaction so that nothing is sent twice or lost across a restart:
//! - reminds the subscribers whose account still holds a grant on it,
//!   `reminder_days` before its end of support (`notify.sunset`);
//! - at its end of life retires it: its active grants are revoked (their
//!   shares removed on AWS), their accounts' subscribers told, its Glue
//!   database dropped when the policy says `retired_catalog: drop`, and
//!   `io.steward.product.retired` announced for its last version.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use steward_api::{GrantStatus, ProductMajor as MajorInfo};
use steward_policies::RetiredCatalog;

use super::Service;
use crate::auth::Principal;
use crate::effects::{self, MajorSunsetNotice, NotifySunset, RetireCatalog};
use crate::error::{ServiceError, StoreError};
use crate::events::Change;
use crate::model::ProductDetail;
use crate::store::majors::{self, ProductMajor};
use crate::store::{Tx, access, products, subscriptions};

/// Majors handled per monitor pass (the rest wait for the next pass).
const PER_PASS: i64 = 50;

/// The end of support and end of life of the major a publish replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sunset {
    pub end_of_support: DateTime<Utc>,
    pub end_of_life: DateTime<Utc>,
}

/// What a monitor pass did to majors.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SunsetPass {
    pub reminded: usize,
    pub retired: usize,
    pub revoked: usize,
}

impl Service {
    /// The sunset that publishing `detail` starts for the product's previous
    /// major: `None` unless `detail` raises the major. Read before the
    /// publishing transaction (parsing the old contract is CPU work).
    pub(crate) async fn sunset_for(&self, detail: &ProductDetail) -> Result<Option<Sunset>, ServiceError> {
        let Some(new) = products::major_of(&detail.version) else { return Ok(None) };
        let Some(previous) = products::published(&mut *self.conn().await?, &detail.key).await? else {
            return Ok(None);
        };
        if products::major_of(&previous.version).is_none_or(|old| old >= new) {
            return Ok(None);
        }
        let declared = super::cpu(move || {
            steward_schemas::parse::parse_contract(&previous.contract)
                .map(|(_, c)| steward_schemas::slo::sunset(&c).0)
                .unwrap_or_default()
        })
        .await?;
        let now = self.clock.now();
        let b = &self.policy.breaking_changes;
        let end_of_support = declared.end_of_support.unwrap_or(now + Duration::days(i64::from(b.support_days)));
        let end_of_life =
            declared.end_of_life.unwrap_or(now + Duration::days(i64::from(b.end_of_life_days))).max(end_of_support);
        Ok(Some(Sunset { end_of_support, end_of_life }))
    }

    /// Gives the majors below `detail`'s their sunset, in the publishing
    /// transaction (audited).
    pub(crate) async fn start_sunset(
        &self,
        tx: &mut Tx,
        actor: &str,
        detail: &ProductDetail,
        sunset: Sunset,
    ) -> Result<(), StoreError> {
        let Some(new) = products::major_of(&detail.version) else { return Ok(()) };
        let set = majors::set_sunset(tx, &detail.key, new, sunset.end_of_support, sunset.end_of_life).await?;
        for major in set {
            self.audit(
                tx,
                actor,
                "product.major_sunset",
                &format!("product:{}", detail.key),
                None,
                Some(json!({
                    "major": major,
                    "replaced_by": detail.version,
                    "end_of_support": steward_api::time::format(&sunset.end_of_support),
                    "end_of_life": steward_api::time::format(&sunset.end_of_life),
                })),
            )
            .await?;
        }
        Ok(())
    }

    /// The majors of a published product, newest first, with their state and
    /// active grants; anyone signed in may read them.
    pub async fn majors(&self, _who: &Principal, key: &str) -> Result<Vec<MajorInfo>, ServiceError> {
        let key = super::parse_key(key)?.to_string();
        let mut conn = self.conn().await?;
        let current = products::current_major(&mut conn, &key)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no published product `{key}`")))?;
        let grants = access::active_by_major(&mut conn, &key).await?;
        let now = self.clock.now();
        let rows = majors::list(&mut conn, &key).await?;
        Ok(rows
            .into_iter()
            .map(|m| MajorInfo {
                state: state(&m, current, now).to_owned(),
                grants: grants.get(&m.major).copied().unwrap_or(0),
                major: m.major,
                version: m.version,
                database: m.detail.database,
                published_at: m.published_at,
                end_of_support: m.end_of_support,
                end_of_life: m.end_of_life,
                retired_at: m.retired_at,
            })
            .collect())
    }

    /// A product as published under one major version: the current detail
    /// for the current major, otherwise the last version of that major
    /// (a consumer still on 1.x reads what 1.x promised after 2.0.0 is out).
    /// A major retired under `retired_catalog: drop` is gone (404).
    /// Redacted as [`Self::product`].
    pub async fn product_major(&self, who: &Principal, key: &str, major: i64) -> Result<ProductDetail, ServiceError> {
        let current = self.product(who, key).await?;
        if products::major_of(&current.version) == Some(major) {
            return Ok(current);
        }
        let row = majors::get(&mut *self.conn().await?, key, major).await?;
        let detail = match row {
            Some(m)
                if m.retired_at.is_some() && self.policy.breaking_changes.retired_catalog == RetiredCatalog::Drop =>
            {
                return Err(ServiceError::NotFound(format!(
                    "major {major} of {key} was retired on {} and dropped from the catalog; its newest major is {}",
                    steward_api::time::format(&m.retired_at.unwrap_or_default()),
                    current.version
                )));
            }
            Some(m) => Some(m.detail),
            // Majors published before `product_majors` existed: from the registry.
            None => self.latest_of_major(key, major).await?,
        };
        let Some(mut detail) = detail else {
            let mut known: Vec<i64> =
                self.versions(key).await?.iter().filter_map(|v| products::major_of(&v.version)).collect();
            known.sort_unstable();
            known.dedup();
            let known: Vec<String> = known.iter().map(i64::to_string).collect();
            return Err(ServiceError::NotFound(format!(
                "{key} has no published major {major}; its majors: {}",
                known.join(", ")
            )));
        };
        if !crate::redact::owns_contract(who, &detail.domain) {
            crate::redact::product_detail(&mut detail);
        }
        Ok(detail)
    }

    /// One monitor pass over the majors: retire those past their end of
    /// life, then remind grantees of those whose end of support is near.
    pub async fn sunset_pass(&self) -> Result<SunsetPass, ServiceError> {
        let mut done = SunsetPass::default();
        let now = self.clock.now();
        for m in majors::due_retirement(&mut *self.conn().await?, now, PER_PASS).await? {
            if let Some(revoked) = self.retire_major(&m).await? {
                done.retired += 1;
                done.revoked += revoked;
            }
        }
        let horizon = now + Duration::days(i64::from(self.policy.breaking_changes.reminder_days));
        for m in majors::due_reminders(&mut *self.conn().await?, horizon, PER_PASS).await? {
            if self.remind_major(&m).await? {
                done.reminded += 1;
            }
        }
        Ok(done)
    }

    /// Tells each subscription whose account still holds a grant on `m` that
    /// its end of support comes; false if another pass did it first.
    async fn remind_major(&self, m: &ProductMajor) -> Result<bool, ServiceError> {
        let now = self.clock.now();
        let newest = self.newest_version(&m.product_key).await?;
        let mut tx = self.store.begin().await?;
        if !majors::mark_reminded(&mut tx, &m.product_key, m.major, now).await? {
            return Ok(false);
        }
        let grants = access::active_on_major(&mut tx, &m.product_key, m.major).await?;
        let jobs = notices(&mut tx, m, &grants, NotifySunset::REMINDER, &newest).await?;
        effects::enqueue_all(&mut tx, &jobs, None, now).await?;
        self.audit(
            &mut tx,
            "steward",
            "product.major_reminder",
            &format!("product:{}", m.product_key),
            None,
            Some(json!({"major": m.major, "grants": grants.len(), "notices": jobs.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Retires `m` (see the module docs) in one transaction; the number of
    /// grants revoked, or `None` if another pass retired it first.
    async fn retire_major(&self, m: &ProductMajor) -> Result<Option<usize>, ServiceError> {
        let now = self.clock.now();
        let newest = self.newest_version(&m.product_key).await?;
        let mut tx = self.store.begin().await?;
        if !majors::mark_retired(&mut tx, &m.product_key, m.major, now).await? {
            return Ok(None);
        }
        let grants = access::active_on_major(&mut tx, &m.product_key, m.major).await?;
        let reason = format!(
            "major {} of {} reached its end of life on {}; request access to {} again",
            m.major,
            m.product_key,
            steward_api::time::format(&m.end_of_life.unwrap_or(now)),
            newest
        );
        let revokes_after = crate::store::outbox::max_id(&mut tx).await?;
        let mut revoked = Vec::new();
        for g in &grants {
            if self.end_grant_in(&mut tx, "steward", g, GrantStatus::Revoked, Some(&reason)).await? {
                revoked.push(g.clone());
            }
        }
        let jobs = notices(&mut tx, m, &revoked, NotifySunset::RETIRED, &newest).await?;
        effects::enqueue_all(&mut tx, &jobs, None, now).await?;
        let revokes_upto = crate::store::outbox::max_id(&mut tx).await?;
        let drop = self.policy.breaking_changes.retired_catalog == RetiredCatalog::Drop;
        if drop && self.backends.glue() {
            let job = RetireCatalog {
                product_key: m.product_key.clone(),
                major: m.major,
                database: m.detail.database.clone(),
                revokes: Some((revokes_after, revokes_upto)),
            };
            effects::enqueue(&mut tx, &job, None, now).await?;
        }
        self.audit(
            &mut tx,
            "steward",
            "product.major_retire",
            &format!("product:{}", m.product_key),
            None,
            Some(json!({
                "major": m.major,
                "version": m.version,
                "revoked": revoked.iter().map(|g| g.id).collect::<Vec<_>>(),
                "notices": jobs.len(),
                "catalog": if drop { "dropped" } else { "kept" },
            })),
        )
        .await?;
        self.announce(&mut tx, &Change::ProductRetired { product: &m.product_key, version: &m.version }).await?;
        tx.commit().await?;
        tracing::info!(product = %m.product_key, major = m.major, revoked = revoked.len(), "major retired at its end of life");
        Ok(Some(revoked.len()))
    }

    async fn newest_version(&self, key: &str) -> Result<String, ServiceError> {
        Ok(products::published(&mut *self.conn().await?, key).await?.map(|p| p.version).unwrap_or_default())
    }
}

/// `current`, `supported`, `ending` or `retired` at `now`.
fn state(m: &ProductMajor, current: i64, now: DateTime<Utc>) -> &'static str {
    if m.retired_at.is_some() {
        "retired"
    } else if m.major == current {
        "current"
    } else if m.end_of_support.is_some_and(|t| t <= now) {
        "ending"
    } else {
        "supported"
    }
}

/// One `notify.sunset` job per live subscription of a grant's account.
async fn notices(
    tx: &mut Tx,
    m: &ProductMajor,
    grants: &[steward_api::Grant],
    kind: &str,
    newest: &str,
) -> Result<Vec<NotifySunset>, StoreError> {
    if grants.is_empty() {
        return Ok(Vec::new());
    }
    let subs = subscriptions::list(tx, Some(&m.product_key)).await?;
    let (Some(end_of_support), Some(end_of_life)) = (m.end_of_support, m.end_of_life) else {
        return Ok(Vec::new());
    };
    let mut jobs = Vec::new();
    for g in grants {
        for sub in subs.iter().filter(|s| s.account == g.account) {
            jobs.push(NotifySunset {
                subscription_id: sub.id,
                notice: MajorSunsetNotice {
                    event_id: format!("{kind}-{}-v{}-sub-{}", m.product_key, m.major, sub.id),
                    kind: kind.to_owned(),
                    product: m.product_key.clone(),
                    major: m.major,
                    version: m.version.clone(),
                    newest_version: newest.to_owned(),
                    end_of_support,
                    end_of_life,
                    grant: g.id,
                },
            });
        }
    }
    Ok(jobs)
}
