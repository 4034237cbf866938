//! Granting and revoking the AWS share of one product for one account.

use serde::{Deserialize, Serialize};

use super::backends::share_name;
use super::job::{EffectError, Job, JobContext, Lane};
use crate::store::access::GrantStatus;
use crate::store::outbox::JobKind;
use crate::store::{access, majors, products};

/// Which share, and why it is (re)made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ShareTarget {
    pub product_key: String,
    pub account: String,
    pub grant_id: i64,
    /// What caused this job (`request:7`, `publish:<commit>`, `end`): a new
    /// version extends a share again, a retried operation does not.
    #[serde(default)]
    pub occasion: String,
    /// The major whose database and tables are meant; `None`: the grant's
    /// own major (as it is when the job runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub major: Option<i64>,
}

impl ShareTarget {
    fn lane(&self) -> Lane {
        Lane::Share { product_key: self.product_key.clone(), account: self.account.clone() }
    }

    /// The share as the AWS backend takes it: the database and tables of the
    /// major meant (the grant's, unless the job names one), which is the
    /// product's current version for the newest major and the last version
    /// of an older one published beside it (or its default database name
    /// once the product is gone).
    async fn spec(&self, ctx: &JobContext) -> Result<steward_aws::ShareGrant, EffectError> {
        let mut conn = ctx.conn().await?;
        let major = match self.major {
            Some(m) => Some(m),
            None => access::get_grant(&mut conn, self.grant_id).await?.map(|g| g.major),
        };
        let mut detail = products::get(&mut conn, &self.product_key).await?;
        if let (Some(major), Some(current)) = (major, &detail)
            && products::major_of(&current.version) != Some(major)
            && let Some(old) = majors::get(&mut conn, &self.product_key, major).await?
        {
            detail = Some(old.detail);
        }
        let (database, tables) = match &detail {
            Some(d) => (d.database.clone(), d.tables.iter().map(|t| t.name.clone()).collect()),
            None => (self.product_key.replace('.', "_"), Vec::new()),
        };
        Ok(steward_aws::ShareGrant {
            share_name: share_name(&self.product_key, &self.account),
            consumer_account: self.account.clone(),
            database,
            tables,
            product: self.product_key.clone(),
        })
    }
}

fn shares(ctx: &JobContext) -> Result<&steward_aws::Shares, EffectError> {
    ctx.backends.shares.as_ref().ok_or_else(|| {
        EffectError::permanent("the AWS share backend is off (shares.backend); this job was enqueued when it was on")
    })
}

/// Shares a product with an account (after an approval, or again after a
/// new version adds tables).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct GrantShare(pub ShareTarget);

impl Job for GrantShare {
    const KIND: JobKind = JobKind::ShareGrant;

    fn occasion(&self) -> String {
        format!("{}:{}", self.0.grant_id, self.0.occasion)
    }

    fn lane(&self) -> Lane {
        self.0.lane()
    }

    async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        let shares = shares(ctx)?;
        if shares.mode() == steward_aws::SharingMode::Tags && self.0.occasion.starts_with("publish:") {
            // The grant is the tag expression `product = <key>`: the new
            // version's tables carry the tag and are shared already.
            return Ok(());
        }
        let current = access::get_grant(&mut *ctx.conn().await?, self.0.grant_id).await?;
        if current.is_none_or(|g| g.status != GrantStatus::Active) {
            return Ok(()); // ended before the share was made; the revoke job cleans up
        }
        let receipt = shares.grant(&self.0.spec(ctx).await?).await?;
        if let Some(arn) = receipt.share_arn.as_deref() {
            access::set_share_arn(&mut *ctx.conn().await?, self.0.grant_id, arn).await?;
        }
        tracing::info!(product = %self.0.product_key, account = %self.0.account, share = %receipt.share_arn, "share granted");
        Ok(())
    }
}

/// Removes a product's share with an account (a grant revoked or expired).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct RevokeShare(pub ShareTarget);

impl Job for RevokeShare {
    const KIND: JobKind = JobKind::ShareRevoke;

    fn occasion(&self) -> String {
        format!("{}:{}", self.0.grant_id, self.0.occasion)
    }

    fn lane(&self) -> Lane {
        self.0.lane()
    }

    async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        let shares = shares(ctx)?;
        if shares.mode() == steward_aws::SharingMode::Tags && self.0.major.is_some() {
            // One major's share within a live grant: the tag expression
            // `product = <key>` reaches every major, and the grant lives on.
            return Ok(());
        }
        shares.revoke(&self.0.spec(ctx).await?).await?;
        tracing::info!(product = %self.0.product_key, account = %self.0.account, "share revoked");
        Ok(())
    }
}
