//! Refreshes: a producer reports that a table (or one partition of it) has
//! new data.
//!
//! In one transaction: the refresh is recorded (the SLO monitor's input), the
//! partition is added to the embedded catalog if new, the marker job is
//! enqueued and, after it, one notification job per live subscription whose
//! account holds an active grant. The marker job registers the partition in
//! Glue (when on) before it writes `_SUCCESS`, so a consumer may rely on:
//! marker present ⇒ refresh recorded and partition in the catalog. A retry
//! with the same idempotency key returns the first refresh and does nothing.
//!
//! Before anything is recorded the marker's target is checked: an `s3://`
//! location must name a bucket and key, a local one must stay inside the
//! data dir's lake (no `..`, no absolute path elsewhere, no symlink leading
//! out) and is refused when markers go to S3. A report that is accepted can
//! still fail later (S3 down, a disk full); [`Service::refresh_status`]
//! shows the marker's state so the producer sees it.

use serde_json::json;

use super::SignalsBackend;
use super::parse_key;
use super::{Service, require};
use crate::auth::Principal;
use crate::effects::lake::{Lake, LakeError, LocationKind, location_kind};
use crate::effects::{self, NotifyRefresh, RefreshEvent, WriteMarker};
use crate::error::{ServiceError, StoreError};
use crate::events::Change;
use crate::model::{CatalogTable, Column};
use crate::store::outbox::{self, DependentCounts, JobStatus};
use crate::store::products;
use crate::store::refreshes::{self, NewRefresh};
pub use steward_api::{MarkerStatus, NotificationStatus, RefreshInput, RefreshOutcome, RefreshStatus};

pub use crate::store::refreshes::{Partition, Refresh};
use crate::store::subscriptions;

const MAX_KEY: usize = 200;
const MAX_VALUE: usize = 256;

fn bad(m: String) -> ServiceError {
    ServiceError::BadRequest(m)
}

pub use steward_api::MarkerState;

/// Checks a partition value against its column type; names what is wrong.
fn check_value(column: &Column, value: &str) -> Result<(), ServiceError> {
    let name = &column.name;
    if value.is_empty() || value.len() > MAX_VALUE {
        return Err(bad(format!("partition.{name}: value must be 1 to {MAX_VALUE} characters")));
    }
    if value == "." || value == ".." || value.chars().any(|c| c == '/' || c == '\\' || c.is_control()) {
        return Err(bad(format!(
            "partition.{name}: `{value}` may not contain `/`, `\\`, control characters or be `.`/`..`"
        )));
    }
    let ty = column.logical_type.to_ascii_lowercase();
    let ok = match ty.as_str() {
        "date" => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_ok(),
        "integer" => value.parse::<i64>().is_ok(),
        "number" => value.parse::<f64>().is_ok_and(f64::is_finite),
        "boolean" => matches!(value, "true" | "false"),
        "timestamp" => {
            chrono::DateTime::parse_from_rfc3339(value).is_ok()
                || chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M:%S").is_ok()
        }
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        let example = match ty.as_str() {
            "date" => " (YYYY-MM-DD, e.g. 2026-11-21)",
            "integer" => " (a whole number)",
            "boolean" => " (true or false)",
            "timestamp" => " (RFC 3339, e.g. 2026-11-21T06:00:00Z)",
            _ => "",
        };
        Err(bad(format!("partition.{name}: `{value}` is not a valid {ty}{example}")))
    }
}

/// Resolves the table and the partition path (`k=v/...`) of a report.
fn resolve<'a>(
    tables: &'a [CatalogTable],
    key: &str,
    input: &RefreshInput,
) -> Result<(&'a CatalogTable, String, Vec<String>), ServiceError> {
    let names = || tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", ");
    let table = match &input.table {
        Some(t) => tables
            .iter()
            .find(|x| &x.name == t)
            .ok_or_else(|| bad(format!("table: {key} has no table `{t}`; its tables are {}", names())))?,
        None if tables.len() == 1 => &tables[0],
        None => return Err(bad(format!("table: {key} has several tables ({}); name one", names()))),
    };
    if table.partition_keys.is_empty() {
        if let Some(k) = input.partition.keys().next() {
            return Err(bad(format!(
                "partition.{k}: table {} is not partitioned; report a snapshot id or nothing",
                table.name
            )));
        }
        return Ok((table, String::new(), Vec::new()));
    }
    if input.snapshot_id.is_some() && input.partition.is_empty() {
        return Err(bad(format!(
            "snapshot_id: table {} is partitioned by {}; report the partition instead",
            table.name,
            table.partition_keys.join(", ")
        )));
    }
    for k in input.partition.keys() {
        if !table.partition_keys.contains(k) {
            return Err(bad(format!(
                "partition.{k}: table {} is partitioned by {}, not `{k}`",
                table.name,
                table.partition_keys.join(", ")
            )));
        }
    }
    let mut path = Vec::new();
    let mut values = Vec::new();
    for k in &table.partition_keys {
        let v = input.partition.get(k).ok_or_else(|| {
            bad(format!(
                "partition.{k}: missing; table {} is partitioned by {}",
                table.name,
                table.partition_keys.join(", ")
            ))
        })?;
        if let Some(col) = table.columns.iter().find(|c| &c.name == k) {
            check_value(col, v)?;
        }
        path.push(format!("{k}={v}"));
        values.push(v.clone());
    }
    Ok((table, path.join("/"), values))
}

fn join_location(base: &str, partition: &str) -> String {
    let base = base.trim_end_matches('/');
    if partition.is_empty() { format!("{base}/") } else { format!("{base}/{partition}/") }
}

impl Service {
    /// A producer reports a refresh of one of its products.
    pub async fn report_refresh(
        &self,
        who: &Principal,
        key: &str,
        input: &RefreshInput,
    ) -> Result<RefreshOutcome, ServiceError> {
        let key = parse_key(key)?;
        require(
            who.produces_for(key.domain.as_str()),
            format!("token `{}` does not produce for domain {}", who.name, key.domain),
        )?;
        let idem = match &input.idempotency_key {
            Some(k) if k.is_empty() || k.len() > MAX_KEY || k.chars().any(char::is_control) => {
                return Err(bad(format!("idempotency_key: 1 to {MAX_KEY} printable characters")));
            }
            Some(k) => k.clone(),
            None => crate::auth::random_id(32),
        };
        if let Some(n) = input.row_count
            && n < 0
        {
            return Err(bad(format!("row_count: {n} is negative")));
        }
        if let Some(s) = &input.snapshot_id
            && (s.is_empty() || s.len() > MAX_KEY)
        {
            return Err(bad(format!("snapshot_id: 1 to {MAX_KEY} characters")));
        }
        let key_s = key.to_string();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let detail = products::get(&mut tx, &key_s)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("product {key} is not published")))?;
        let (major, detail) = of_major(&mut tx, detail, input.major).await?;
        let (table, partition, values) = resolve(&detail.tables, &key_s, input)?;
        let location = join_location(&table.location, &partition);
        let marker = format!("{location}_SUCCESS");
        self.check_marker_target(&key_s, &table.name, &location).await?;
        let new = NewRefresh {
            product_key: &key_s,
            table: &table.name,
            idempotency_key: &idem,
            partition: &partition,
            partition_values: &values,
            snapshot_id: input.snapshot_id.as_deref(),
            row_count: input.row_count,
            location: &location,
            reported_by: &who.name,
            now,
        };
        let Some(refresh) = refreshes::insert(&mut tx, &new).await? else {
            drop(tx);
            let first = refreshes::by_key(&mut *self.conn().await?, &key_s, &idem)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("refresh {idem}")))?;
            if first.table != table.name || first.partition != partition || first.snapshot_id != input.snapshot_id {
                return Err(ServiceError::Conflict(format!(
                    "idempotency_key `{idem}` was used for another refresh ({} {}); use a new key",
                    first.table, first.partition
                )));
            }
            return Ok(RefreshOutcome {
                marker: format!("{}_SUCCESS", first.location),
                refresh: first,
                replayed: true,
                partition_added: false,
                notifications: 0,
            });
        };
        let id = refresh.id;
        let partition_added = !partition.is_empty()
            && refreshes::add_partition(&mut tx, &key_s, &table.name, &partition, &values, &location, now).await?;
        let marker_job = WriteMarker {
            refresh_id: id,
            product_key: key_s.clone(),
            database: detail.database.clone(),
            table: table.name.clone(),
            partition: partition.clone(),
            partition_values: values.clone(),
            location: location.clone(),
        };
        let marker_id = effects::enqueue(&mut tx, &marker_job, None, now).await?;
        if self.backends.openlineage {
            // Not after the marker: its dependents are the subscribers' notifications.
            effects::enqueue(&mut tx, &effects::EmitLineage { refresh_id: id, product_key: key_s.clone() }, None, now)
                .await?;
        }
        let mut recipients = subscriptions::recipients(&mut tx, &key_s).await?;
        // Each major's subscribers hear of its own refreshes.
        recipients.retain(|s| s.major == major);
        let jobs: Vec<NotifyRefresh> = recipients
            .iter()
            .map(|s| NotifyRefresh {
                subscription_id: s.id,
                event: RefreshEvent {
                    event_id: format!("refresh-{id}-sub-{}", s.id),
                    product: key_s.clone(),
                    table: table.name.clone(),
                    partition: (!partition.is_empty()).then(|| partition.clone()),
                    partition_values: values.clone(),
                    snapshot_id: input.snapshot_id.clone(),
                    location: location.clone(),
                    marker: marker.clone(),
                    refresh_id: id,
                    reported_at: now,
                    row_count: input.row_count,
                },
            })
            .collect();
        effects::enqueue_all(&mut tx, &jobs, Some(marker_id), now).await?;
        self.audit(
            &mut tx,
            &who.name,
            "refresh.report",
            &format!("product:{key}"),
            None,
            Some(json!({"refresh": id, "table": table.name, "partition": partition, "snapshot_id": input.snapshot_id, "rows": input.row_count, "major": major})),
        )
        .await?;
        let data = json!({
            "refresh": id, "product": key_s, "table": table.name,
            "partition": (!partition.is_empty()).then_some(&partition), "partition_values": values,
            "snapshot_id": input.snapshot_id, "location": location, "marker": marker,
            "row_count": input.row_count, "reported_by": who.name, "major": major,
        });
        self.announce(&mut tx, &Change::RefreshRecorded { refresh_id: id, product: &key_s, data }).await?;
        tx.commit().await?;
        Ok(RefreshOutcome { refresh, replayed: false, partition_added, notifications: recipients.len(), marker })
    }

    /// The embedded lake, for `type: local` locations.
    pub fn lake(&self) -> Result<Lake, LakeError> {
        let dir = self.backends.data_dir.as_deref().ok_or_else(|| {
            LakeError::Refused("this deployment has no data dir, so local locations cannot be signalled".into())
        })?;
        Lake::new(dir)
    }

    /// Refuses a refresh whose marker could not be written with the
    /// configured signals backend (a 400 naming the location), so that
    /// nothing is recorded that would only fail in the outbox.
    async fn check_marker_target(&self, key: &str, table: &str, location: &str) -> Result<(), ServiceError> {
        let refuse = |why: String| {
            bad(format!("location: the `_SUCCESS` marker of {key} table {table} cannot be written: {why}"))
        };
        match location_kind(location).map_err(|e| refuse(e.to_string()))? {
            LocationKind::S3 => {
                steward_aws::Markers::marker_uri(location).map_err(|e| refuse(e.to_string()))?;
            }
            LocationKind::Local if self.backends.signals == SignalsBackend::S3 => {
                return Err(refuse(format!(
                    "`{location}` is a local path, and this deployment writes markers to S3 \
                     (backends.signals = s3); publish the product with an s3 server instead"
                )));
            }
            LocationKind::Local => {
                let lake = self.lake().map_err(|e| refuse(e.to_string()))?;
                let location = location.to_owned();
                // A few filesystem calls: off the async threads.
                tokio::task::spawn_blocking(move || lake.check(&location))
                    .await
                    .map_err(|e| refuse(format!("checking the lake failed: {e}")))?
                    .map_err(|e| refuse(e.to_string()))?;
            }
        }
        Ok(())
    }

    /// One refresh of a product, with where its marker and notifications stand.
    pub async fn refresh_status(&self, key: &str, id: i64) -> Result<RefreshStatus, ServiceError> {
        let key = parse_key(key)?.to_string();
        let mut conn = self.conn().await?;
        let refresh = refreshes::get(&mut conn, &key, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("{key} has no refresh {id}")))?;
        let job = outbox::by_dedup_key(&mut conn, &WriteMarker::key_of(id)).await?;
        let counts = match &job {
            Some(j) => outbox::dependents(&mut conn, j.id).await?,
            None => DependentCounts::default(),
        };
        let uri = format!("{}_SUCCESS", refresh.location);
        let marker = match job {
            None => MarkerStatus {
                uri,
                state: MarkerState::Missing,
                job_id: None,
                attempts: 0,
                error: None,
                next_attempt_at: None,
                written_at: None,
            },
            Some(j) => {
                let state = match j.status {
                    JobStatus::Done => MarkerState::Written,
                    JobStatus::Dead => MarkerState::Dead,
                    JobStatus::Pending if j.last_error.is_some() => MarkerState::Failed,
                    JobStatus::Pending => MarkerState::Pending,
                };
                MarkerStatus {
                    uri,
                    state,
                    job_id: Some(j.id),
                    attempts: j.attempts,
                    error: j.last_error.filter(|_| state != MarkerState::Written),
                    next_attempt_at: (j.status == JobStatus::Pending).then_some(j.next_attempt_at),
                    written_at: j.done_at,
                }
            }
        };
        let notifications = NotificationStatus {
            total: counts.pending + counts.done + counts.dead,
            pending: counts.pending,
            done: counts.done,
            dead: counts.dead,
            blocked: marker.state == MarkerState::Dead && counts.pending > 0,
        };
        Ok(RefreshStatus { refresh, marker, notifications })
    }

    /// A product's latest refreshes of all its tables, or of `table` only (a
    /// name the product has no table of matches nothing), newest first.
    ///
    /// An unknown product is a 404, not an empty list: a pipeline waiting
    /// for a refresh of a misspelt product would otherwise wait forever.
    pub async fn refreshes(&self, key: &str, table: Option<&str>, limit: i64) -> Result<Vec<Refresh>, ServiceError> {
        let key = parse_key(key)?.to_string();
        let mut conn = self.conn().await?;
        let found = refreshes::recent(&mut conn, &key, table, limit).await?;
        if found.is_empty() {
            known_product(&mut conn, &key).await?;
        }
        Ok(found)
    }

    /// A product's partitions in the embedded catalog, newest first (an
    /// unknown product is a 404, as for its refreshes).
    pub async fn partitions(&self, key: &str, table: Option<&str>, limit: i64) -> Result<Vec<Partition>, ServiceError> {
        let key = parse_key(key)?.to_string();
        let mut conn = self.conn().await?;
        let found = refreshes::partitions(&mut conn, &key, table, limit).await?;
        if found.is_empty() {
            known_product(&mut conn, &key).await?;
        }
        Ok(found)
    }
}

/// 404 unless `key` is in the catalog (only asked when a list came back
/// empty, so a busy product costs no extra statement).
async fn known_product(conn: &mut sqlx::AnyConnection, key: &str) -> Result<(), ServiceError> {
    match products::published(conn, key).await? {
        Some(_) => Ok(()),
        None => Err(ServiceError::NotFound(format!("no product {key} in the catalog"))),
    }
}

/// The major a refresh is of and its detail: the newest (`current`) unless
/// `asked` names an older one still published beside it.
async fn of_major(
    tx: &mut crate::store::Tx,
    current: crate::model::ProductDetail,
    asked: Option<i64>,
) -> Result<(i64, crate::model::ProductDetail), ServiceError> {
    let newest = products::major_of(&current.version).unwrap_or(1);
    let Some(major) = asked.filter(|m| *m != newest) else {
        return Ok((newest, current));
    };
    match crate::store::majors::get(tx, &current.key, major).await? {
        Some(m) if m.retired_at.is_none() && major < newest => Ok((major, m.detail)),
        Some(m) if m.retired_at.is_some() => Err(ServiceError::Conflict(format!(
            "major: {} major {major} was retired on {}; report refreshes of {}",
            current.key,
            steward_api::time::format(&m.retired_at.unwrap_or_default()),
            current.version
        ))),
        _ => Err(ServiceError::NotFound(format!(
            "major: {} has no published major {major}; its newest is {newest} ({})",
            current.key, current.version
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str) -> Column {
        Column {
            name: name.into(),
            logical_type: ty.into(),
            physical_type: None,
            description: None,
            required: true,
            classification: None,
            partition_position: None,
            tags: vec![],
        }
    }

    #[test]
    fn partition_values_are_checked_against_their_type() {
        assert!(check_value(&col("dt", "date"), "2026-11-21").is_ok());
        let e = check_value(&col("dt", "date"), "21.11.2026").unwrap_err().to_string();
        assert!(e.contains("partition.dt") && e.contains("YYYY-MM-DD"), "{e}");
        assert!(check_value(&col("n", "integer"), "12").is_ok());
        assert!(check_value(&col("n", "integer"), "1.5").is_err());
        assert!(check_value(&col("s", "string"), "../etc").is_err());
        assert!(check_value(&col("s", "string"), "..").is_err());
        assert!(check_value(&col("s", "string"), "eu-west").is_ok());
    }

    #[test]
    fn locations_join_with_one_slash() {
        assert_eq!(join_location("s3://b/t/", "dt=1"), "s3://b/t/dt=1/");
        assert_eq!(join_location("s3://b/t", ""), "s3://b/t/");
    }
}
