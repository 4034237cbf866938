//! Executing one outbox job through the backends.
//!
//! Each job re-reads the state it acts on (the grant, the product, the
//! subscription) so it honours what changed since it was enqueued, and every
//! call it makes is idempotent, so running a job twice (after a crash between
//! the effect and `complete`) converges on the same outside state. The one
//! exception is a notification: a crash right after a delivery and before it
//! is marked done repeats that delivery, so receivers get an event id to drop
//! repeats by (at-least-once, documented in docs/notifications.md).

use serde::de::DeserializeOwned;

use super::backends::{Backends, database_spec, share_name};
use super::lake::{LakeError, LocationKind, location_kind};
use super::{AlertJob, JobKind, MarkerJob, NotifyJob, PublishJob, ShareJob};
use crate::service::Service;
use crate::store::outbox::Claimed;
use crate::store::{access, products, subscriptions};

/// Why a job failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectError {
    pub message: String,
    pub retryable: bool,
}

impl EffectError {
    fn permanent(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: false }
    }
    fn retry(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: true }
    }
}

impl From<steward_aws::AwsError> for EffectError {
    fn from(e: steward_aws::AwsError) -> Self {
        Self { retryable: e.is_retryable(), message: e.to_string() }
    }
}

impl From<steward_notify::NotifyError> for EffectError {
    fn from(e: steward_notify::NotifyError) -> Self {
        Self { retryable: e.is_retryable(), message: e.to_string() }
    }
}

impl From<LakeError> for EffectError {
    fn from(e: LakeError) -> Self {
        match e {
            LakeError::Refused(m) => Self::permanent(m),
            LakeError::Io(m) => Self::retry(m),
        }
    }
}

impl From<crate::error::StoreError> for EffectError {
    fn from(e: crate::error::StoreError) -> Self {
        Self::retry(format!("store: {e}"))
    }
}

fn payload<T: DeserializeOwned>(job: &Claimed) -> Result<T, EffectError> {
    serde_json::from_value(job.payload.clone())
        .map_err(|e| EffectError::permanent(format!("payload of {} job {} is not readable: {e}", job.kind, job.id)))
}

/// Runs outbox jobs.
pub struct Executor {
    pub service: Service,
    pub backends: Backends,
}

impl Executor {
    /// Executes one job. `Ok` means the effect is in place (or no longer
    /// wanted: a revoked grant's share job, a removed subscription).
    pub async fn run(&self, job: &Claimed) -> Result<(), EffectError> {
        match job.kind {
            JobKind::ShareGrant => self.share(payload(job)?, true).await,
            JobKind::ShareRevoke => self.share(payload(job)?, false).await,
            JobKind::CatalogPublish => self.publish(payload(job)?).await,
            JobKind::SignalMarker => self.marker(payload(job)?).await,
            JobKind::NotifyRefresh => self.notify(payload(job)?).await,
            JobKind::NotifyAlert => self.alert(payload(job)?).await,
            JobKind::Unknown => Err(EffectError::permanent(format!(
                "job {} (`{}`) is of a kind this version does not know",
                job.id, job.dedup_key
            ))),
        }
    }

    async fn share(&self, job: ShareJob, grant: bool) -> Result<(), EffectError> {
        let shares = self.backends.shares.as_ref().ok_or_else(|| {
            EffectError::permanent(
                "the AWS share backend is off (shares.backend); this job was enqueued when it was on",
            )
        })?;
        let mut conn = self.service.store.pool.acquire().await.map_err(|e| EffectError::retry(e.to_string()))?;
        if grant {
            let current = access::get_grant(&mut conn, job.grant_id).await?;
            if current.is_none_or(|g| g.status != "active") {
                return Ok(()); // ended before the share was made; the revoke job cleans up
            }
        }
        let detail = products::get(&mut conn, &job.product_key).await?;
        drop(conn);
        let (database, tables) = match &detail {
            Some(d) => (d.database.clone(), d.tables.iter().map(|t| t.name.clone()).collect()),
            None => (job.product_key.replace('.', "_"), Vec::new()),
        };
        let spec = steward_aws::ShareGrant {
            share_name: share_name(&job.product_key, &job.account),
            consumer_account: job.account.clone(),
            database,
            tables,
        };
        if grant {
            let receipt = shares.grant(&spec).await?;
            tracing::info!(product = %job.product_key, account = %job.account, share = %receipt.share_arn, "share granted");
        } else {
            shares.revoke(&spec).await?;
            tracing::info!(product = %job.product_key, account = %job.account, "share revoked");
        }
        Ok(())
    }

    async fn publish(&self, job: PublishJob) -> Result<(), EffectError> {
        let glue = self
            .backends
            .glue
            .as_ref()
            .ok_or_else(|| EffectError::permanent("the Glue catalog backend is off (catalog.backend)"))?;
        let mut conn = self.service.store.pool.acquire().await.map_err(|e| EffectError::retry(e.to_string()))?;
        // Publish what is current: a later version's job will find the same state.
        let Some(mut detail) = products::get(&mut conn, &job.product_key).await? else {
            return Err(EffectError::permanent(format!("product {} is not in the catalog", job.product_key)));
        };
        drop(conn);
        // Glue table parameters are readable by every account the tables are
        // shared with: contact webhooks go there redacted.
        crate::redact::product_detail(&mut detail);
        let spec = database_spec(&detail);
        let mut locations: Vec<&str> = spec.tables.iter().map(|t| t.location.as_str()).collect();
        locations.sort_unstable();
        locations.dedup();
        for location in locations.into_iter().filter(|l| l.starts_with("s3://")) {
            glue.register_location(location).await?;
        }
        glue.publish(&spec).await?;
        Ok(())
    }

    async fn marker(&self, job: MarkerJob) -> Result<(), EffectError> {
        match location_kind(&job.location)? {
            LocationKind::S3 => {
                if let Some(glue) = &self.backends.glue
                    && !job.partition.is_empty()
                {
                    let part = steward_aws::PartitionSpec {
                        values: job.partition_values.clone(),
                        location: job.location.clone(),
                    };
                    glue.add_partitions(&job.database, &job.table, &[part]).await?;
                }
                let uri = self.backends.markers.put_success(&job.location).await?;
                tracing::debug!(refresh = job.refresh_id, marker = %uri, "marker written");
            }
            // Glue has no use for a path on this machine's disk: the lake's
            // partitions live in the embedded catalog only.
            LocationKind::Local => {
                let path = self.service.lake()?.put_success(&job.location).await?;
                tracing::debug!(refresh = job.refresh_id, marker = %path.display(), "marker written in the lake");
            }
        }
        Ok(())
    }

    async fn notify(&self, job: NotifyJob) -> Result<(), EffectError> {
        let mut conn = self.service.store.pool.acquire().await.map_err(|e| EffectError::retry(e.to_string()))?;
        let Some(sub) = subscriptions::get_with_secret(&mut conn, job.subscription_id).await? else {
            return Ok(());
        };
        let granted = access::active_grant(&mut conn, &sub.product_key, &sub.account).await?.is_some();
        drop(conn);
        if sub.removed_at.is_some() || !granted {
            return Ok(()); // unsubscribed or revoked since the refresh
        }
        let e = &job.event;
        let what = match &e.partition {
            Some(p) => format!("{} {p}", e.table),
            None => e.table.clone(),
        };
        let subject = format!("[steward] {} refreshed: {what}", e.product);
        match sub.channel.as_str() {
            "email" => {
                let mailer = self.mailer()?;
                let text = format!(
                    "{} has new data.\n\nTable:     {}\nPartition: {}\nLocation:  {}\nMarker:    {}\nRows:      {}\nReported:  {}\nRefresh:   {}\n\nYou receive this because account {} subscribed to {}.\n",
                    e.product,
                    e.table,
                    e.partition.as_deref().unwrap_or("-"),
                    e.location,
                    e.marker,
                    e.row_count.map_or_else(|| "-".to_owned(), |n| n.to_string()),
                    e.reported_at,
                    e.refresh_id,
                    sub.account,
                    e.product
                );
                mailer.send(&steward_notify::Email { to: vec![sub.target.clone()], subject, text }).await?;
            }
            "webhook" => {
                let secret = sub.secret.as_deref().unwrap_or_default();
                let body = serde_json::to_vec(e).map_err(|x| EffectError::permanent(x.to_string()))?;
                self.backends.webhooks.post_signed(&sub.target, secret, &e.event_id, &body).await?;
            }
            "sns" => {
                let sns = self
                    .backends
                    .sns
                    .as_ref()
                    .ok_or_else(|| EffectError::permanent("SNS needs the aws settings (aws.region)"))?;
                let body = serde_json::to_string(e).map_err(|x| EffectError::permanent(x.to_string()))?;
                // SNS subjects are at most 100 characters.
                let subject: String = subject.chars().take(100).collect();
                sns.publish(&sub.target, &subject, &body).await?;
            }
            other => return Err(EffectError::permanent(format!("unknown channel `{other}`"))),
        }
        Ok(())
    }

    async fn alert(&self, job: AlertJob) -> Result<(), EffectError> {
        match job.channel.as_str() {
            "email" => {
                let mail = steward_notify::Email { to: vec![job.target.clone()], subject: job.subject, text: job.text };
                self.mailer()?.send(&mail).await?;
            }
            "slack" => {
                self.backends.webhooks.post_slack(&job.target, &format!("*{}*\n{}", job.subject, job.text)).await?
            }
            other => return Err(EffectError::permanent(format!("unknown alert channel `{other}`"))),
        }
        Ok(())
    }

    fn mailer(&self) -> Result<&steward_notify::Mailer, EffectError> {
        self.backends
            .mailer
            .as_ref()
            .ok_or_else(|| EffectError::permanent("no SMTP server is configured (smtp.host); email cannot be sent"))
    }
}
