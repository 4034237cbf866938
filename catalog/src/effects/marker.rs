//! Writing a refresh's `_SUCCESS` marker (and its Glue partition).

use serde::{Deserialize, Serialize};

use super::job::{EffectError, Job, JobContext};
use super::lake::{LocationKind, location_kind};
use crate::store::outbox::JobKind;

/// Register a refresh's partition externally (Glue) and write its marker:
/// in S3 (or its local stand-in) for an `s3://` location, in the embedded
/// lake for a local one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct WriteMarker {
    pub refresh_id: i64,
    pub product_key: String,
    pub database: String,
    pub table: String,
    pub partition: String,
    pub partition_values: Vec<String>,
    pub location: String,
}

impl WriteMarker {
    /// The dedup key of a refresh's marker job (how the refresh finds it).
    pub fn key_of(refresh_id: i64) -> String {
        format!("{}:{refresh_id}", Self::KIND)
    }
}

impl Job for WriteMarker {
    const KIND: JobKind = JobKind::SignalMarker;

    fn occasion(&self) -> String {
        self.refresh_id.to_string()
    }

    async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        match location_kind(&self.location)? {
            LocationKind::S3 => {
                if let Some(glue) = &ctx.backends.glue
                    && !self.partition.is_empty()
                {
                    let part = steward_aws::PartitionSpec {
                        values: self.partition_values.clone(),
                        location: self.location.clone(),
                    };
                    // Shares one Glue call with the other refreshes of the table in flight.
                    glue.add_partition(&self.database, &self.table, part).await?;
                }
                let uri = ctx.backends.markers.put_success(&self.location).await?;
                tracing::debug!(refresh = self.refresh_id, marker = %uri, "marker written");
            }
            // Glue has no use for a path on this machine's disk: the lake's
            // partitions live in the embedded catalog only.
            LocationKind::Local => {
                let path = ctx.lake()?.put_success(&self.location).await?;
                tracing::debug!(refresh = self.refresh_id, marker = %path.display(), "marker written in the lake");
            }
        }
        Ok(())
    }
}
