//! Publishing a product to the external catalog (Glue).

use serde::{Deserialize, Serialize};

use super::backends::database_spec;
use super::job::{EffectError, Job, JobContext};
use crate::store::outbox::JobKind;
use crate::store::products;

/// The Glue backend, which a job enqueued while it was on needs.
fn glue(ctx: &JobContext) -> Result<&steward_aws::GlueCatalog, EffectError> {
    ctx.backends
        .glue
        .as_ref()
        .ok_or_else(|| EffectError::permanent("the Glue catalog backend is off (catalog.backend)"))
}

/// Publish a product version to Glue and register its locations with Lake
/// Formation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PublishCatalog {
    pub product_key: String,
    pub version: String,
    /// The registry commit that published it (one job per merge).
    #[serde(default)]
    pub commit: String,
}

impl Job for PublishCatalog {
    const KIND: JobKind = JobKind::CatalogPublish;

    fn occasion(&self) -> String {
        format!("{}:{}", self.product_key, self.commit)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        let glue = glue(ctx)?;
        // Publish what is current: a later version's job will find the same state.
        let Some(mut detail) = products::get(&mut *ctx.conn().await?, &self.product_key).await? else {
            return Err(EffectError::permanent(format!("product {} is not in the catalog", self.product_key)));
        };
        // Glue table parameters are readable by every account the tables are
        // shared with: contact webhooks go there redacted.
        crate::redact::product_detail(&mut detail);
        let spec = database_spec(&detail);
        // Lake Formation governs what is registered: the product's common
        // prefix once per bucket, not one registration per table.
        let locations: Vec<&str> =
            spec.tables.iter().map(|t| t.location.as_str()).filter(|l| l.starts_with("s3://")).collect();
        glue.register_locations(&locations).await?;
        glue.publish(&spec).await?;
        Ok(())
    }
}

/// Drops a retired major's database from Glue (policy
/// `breaking_changes.retired_catalog: drop`). Glue tables are metadata: the
/// data stays where it is, and Lake Formation forgets the permissions on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RetireCatalog {
    pub product_key: String,
    pub major: i64,
    pub database: String,
    /// The outbox ids `(after, upto]` of the share revokes the retirement
    /// enqueued: the database goes only once they have run, so that Lake
    /// Formation revokes on tables that still exist.
    #[serde(default)]
    pub revokes: Option<(i64, i64)>,
}

impl Job for RetireCatalog {
    const KIND: JobKind = JobKind::CatalogRetire;

    fn occasion(&self) -> String {
        format!("{}:{}", self.product_key, self.major)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        let glue = glue(ctx)?;
        if let Some((after, upto)) = self.revokes {
            let waiting =
                crate::store::outbox::pending_between(&mut *ctx.conn().await?, JobKind::ShareRevoke, after, upto)
                    .await?;
            if waiting > 0 {
                return Err(EffectError::retry(format!(
                    "waiting for {waiting} share revoke(s) of the retired major before dropping {}",
                    self.database
                )));
            }
        }
        glue.drop_database(&self.database).await?;
        tracing::info!(product = %self.product_key, major = self.major, database = %self.database, "retired major dropped from Glue");
        Ok(())
    }
}
