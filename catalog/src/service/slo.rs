//! SLOs: the monitor pass, and the status and history people read.
//!
//! The rules of judgement (windows, met/late/missed, alert coalescing, DST)
//! are steward-slo's (docs/slo.md); this module feeds it the published
//! contracts and their refreshes, persists its state and settled ticks, and
//! turns its alerts into outbox jobs to the producer's channels from the
//! contract (`support` email and Slack webhook). All alerts of one product
//! found in one pass go out as one message per channel, so an outage spanning
//! many ticks and tables is one summary, not a storm. The state, the ticks and
//! the alert jobs of a product commit together, so a crash repeats nothing.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use steward_schemas::cron::CronSchedule;
use steward_schemas::slo::SloSpec;
use steward_slo::{Alert, MonitorState, Tick};

use super::Service;
use super::parse_key;
use crate::effects::{self, AlertChannel, SendAlert};
use crate::error::{ServiceError, StoreError};
use crate::events::Change;
use crate::model::{ProductDetail, Slo};
pub use steward_api::{SloState, SloStatus, SpecStatus};

pub use crate::store::slo::StoredTick;
use crate::store::slo::{self as slo_store, StoredState};
use crate::store::{parse_ts, products, refreshes};

/// What one monitor pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PassReport {
    pub products: usize,
    pub evaluated: usize,
    pub settled: usize,
    pub alerts: usize,
}

/// The SLO entries of a published product, rebuilt from the catalog model.
pub fn specs_of(slo: &[Slo]) -> Vec<SloSpec> {
    slo.iter()
        .enumerate()
        .filter_map(|(index, s)| {
            Some(SloSpec {
                index,
                table: s.table.clone(),
                schedule: CronSchedule::parse(&s.schedule).ok()?,
                timezone: s.timezone.parse::<Tz>().ok()?,
                grace: Duration::minutes(s.grace_minutes),
            })
        })
        .collect()
}

/// What identifies a schedule: a change starts a fresh monitor state.
fn schedule_id(spec: &SloSpec) -> String {
    format!(
        "{}|{}|{}|{}",
        spec.schedule,
        spec.timezone.name(),
        spec.grace.num_minutes(),
        spec.table.as_deref().unwrap_or("")
    )
}

/// The judgement's tick status as the API names it.
fn tick_status(s: steward_slo::TickStatus) -> steward_api::TickStatus {
    match s {
        steward_slo::TickStatus::Pending => steward_api::TickStatus::Pending,
        steward_slo::TickStatus::Met => steward_api::TickStatus::Met,
        steward_slo::TickStatus::Late => steward_api::TickStatus::Late,
        steward_slo::TickStatus::Missed => steward_api::TickStatus::Missed,
    }
}

fn stored_tick(key: &str, spec: &SloSpec, t: &Tick) -> StoredTick {
    StoredTick {
        product_key: key.to_owned(),
        spec_index: spec.index as i64,
        table: spec.table.clone(),
        due: t.due,
        deadline: t.deadline,
        status: tick_status(t.status),
        refresh_at: t.refresh_at,
    }
}

fn subject_of(table: &Option<String>, key: &str) -> String {
    match table {
        Some(t) => format!("{key} (table {t})"),
        None => key.to_owned(),
    }
}

/// One line per alert, for the message body.
fn alert_line(key: &str, a: &Alert) -> String {
    match a {
        Alert::Missed { table, due, deadline } => format!(
            "MISSED: {} was due at {due} and no refresh arrived by the deadline {deadline}.",
            subject_of(table, key)
        ),
        Alert::MissedSummary { table, first_due, last_due, count, still_missing } => format!(
            "MISSED {count} ticks: {} from {first_due} to {last_due}{}.",
            subject_of(table, key),
            if *still_missing { "; still no refresh" } else { "" }
        ),
        Alert::Recovered { table, refresh_at, breach_since, missed_ticks } => format!(
            "RECOVERED: {} refreshed at {refresh_at}, ending the breach that began at {breach_since} ({missed_ticks} missed ticks).",
            subject_of(table, key)
        ),
    }
}

fn alert_key(a: &Alert) -> String {
    match a {
        Alert::Missed { due, .. } => format!("missed:{}", due.timestamp()),
        Alert::MissedSummary { first_due, last_due, .. } => {
            format!("summary:{}-{}", first_due.timestamp(), last_due.timestamp())
        }
        Alert::Recovered { refresh_at, .. } => format!("recovered:{}", refresh_at.timestamp()),
    }
}

/// Where the producer hears about its SLO: the contract's support email and
/// Slack webhook URLs.
fn channels(detail: &ProductDetail) -> Vec<(AlertChannel, String)> {
    let mut out = Vec::new();
    for c in &detail.contacts {
        let url = c.url.as_deref().unwrap_or_default();
        // The contract's `tool` names the channel kind (ODCS support channel).
        let tool = c.tool.as_deref().and_then(AlertChannel::from_tool);
        if let Some(addr) = url.strip_prefix("mailto:") {
            out.push((AlertChannel::Email, addr.to_owned()));
        } else if tool == Some(AlertChannel::Email)
            && let Some(addr) = c.channel.as_deref().filter(|a| a.contains('@'))
        {
            out.push((AlertChannel::Email, addr.to_owned()));
        } else if url.starts_with("https://") && tool == Some(AlertChannel::Slack)
            || url.starts_with("https://hooks.slack.com/")
            || (tool == Some(AlertChannel::Slack) && url.starts_with("http://"))
        {
            out.push((AlertChannel::Slack, url.to_owned()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Where the monitor is: the time of its last pass. The first pass (after a
/// start or a lease change) judges every product, in batches by key; later
/// ones only products published or refreshed since (with a margin for
/// transactions that committed during the pass) and entries whose stored next
/// deadline has passed. Nothing else can change between passes, and at
/// 100,000 products reading everything every pass cost ~1.3 s and ~200 MiB.
#[derive(Default)]
pub struct MonitorProgress {
    last_pass: Option<DateTime<Utc>>,
}

/// How far before its last pass the monitor looks for publishes and refreshes
/// (a transaction stamped before the pass may commit after the pass read).
const CANDIDATE_MARGIN_SECS: i64 = 120;

/// Products read per batch by the first pass.
const FIRST_PASS_BATCH: i64 = 500;

impl Service {
    /// One monitor pass: judges every product that can have changed.
    pub async fn monitor_pass(&self, progress: &mut MonitorProgress) -> Result<PassReport, ServiceError> {
        let now = self.clock.now();
        let mut report = PassReport::default();
        match progress.last_pass {
            None => {
                let mut after = String::new();
                loop {
                    let keys = products::keys_after(&mut *self.conn().await?, &after, FIRST_PASS_BATCH).await?;
                    for key in &keys {
                        self.judge_product(key, now, &mut report).await?;
                    }
                    match keys.into_iter().last() {
                        Some(last) => after = last,
                        None => break,
                    }
                }
            }
            Some(last) => {
                let since = last - Duration::seconds(CANDIDATE_MARGIN_SECS);
                let keys = slo_store::monitor_candidates(&mut *self.conn().await?, since, now).await?;
                for key in &keys {
                    self.judge_product(key, now, &mut report).await?;
                }
            }
        }
        progress.last_pass = Some(now);
        Ok(report)
    }

    /// Judges every SLO entry of one product at `now`; its states, settled
    /// ticks and alert jobs commit together.
    async fn judge_product(&self, key: &str, now: DateTime<Utc>, report: &mut PassReport) -> Result<(), ServiceError> {
        let mut conn = self.conn().await?;
        let Some((version, slo)) = products::slo_of(&mut conn, key).await? else {
            return Ok(()); // gone since the candidates were listed
        };
        let specs = specs_of(&slo);
        if specs.is_empty() {
            return Ok(());
        }
        let mut states: HashMap<i64, StoredState> =
            slo_store::states_of(&mut conn, key).await?.into_iter().map(|s| (s.spec_index, s)).collect();
        report.products += 1;
        let mut alerts = Vec::new();
        let mut settled = Vec::new();
        let mut new_states = Vec::new();
        for spec in &specs {
            let sid = schedule_id(spec);
            let stored = states.remove(&(spec.index as i64));
            let state = match stored.as_ref().filter(|s| s.schedule == sid) {
                Some(s) => serde_json::from_str::<MonitorState>(&s.state).map_err(StoreError::from)?,
                None => MonitorState::starting_at(now),
            };
            let since = state.refreshes_needed_after(spec);
            let arrivals = refreshes::arrivals(&mut conn, key, spec.table.as_deref(), since).await?;
            let step = steward_slo::advance(&state, spec, &arrivals, now);
            report.evaluated += 1;
            // Nothing can change before the next deadline unless a refresh arrives.
            let next_deadline = steward_slo::next_due(spec, step.state.settled_through).map(|d| d + spec.grace);
            let changed = stored
                .as_ref()
                .is_none_or(|s| s.version != version || s.next_deadline != next_deadline || s.schedule != sid);
            if changed || step.state != state {
                new_states.push(StoredState {
                    product_key: key.to_owned(),
                    spec_index: spec.index as i64,
                    version: version.clone(),
                    schedule: sid,
                    state: serde_json::to_string(&step.state).map_err(StoreError::from)?,
                    next_deadline,
                });
            }
            settled.extend(step.settled.iter().map(|t| stored_tick(key, spec, t)));
            alerts.extend(step.alerts);
        }
        if new_states.is_empty() && settled.is_empty() && alerts.is_empty() {
            return Ok(());
        }
        // Who to tell and the owner, read only for products that alert.
        let detail = if alerts.is_empty() { None } else { products::get(&mut conn, key).await? };
        drop(conn);
        let mut tx = self.store.begin().await?;
        for s in &new_states {
            slo_store::put_state(&mut tx, s, now).await?;
        }
        slo_store::drop_states_from(&mut tx, key, specs.len() as i64).await?;
        for t in &settled {
            slo_store::put_tick(&mut tx, t).await?;
        }
        if let Some(detail) = &detail {
            let lines: Vec<String> = alerts.iter().map(|a| alert_line(key, a)).collect();
            let all_recovered = alerts.iter().all(|a| matches!(a, Alert::Recovered { .. }));
            let subject = if all_recovered {
                format!("[steward] SLO recovered: {key}")
            } else {
                format!("[steward] SLO missed: {key}")
            };
            let text = format!(
                "{}\n\nProduct {key} version {version}, owned by {}.\nSee `steward slo status {key}`.\n",
                lines.join("\n"),
                detail.owner_team
            );
            let dedup = format!("slo:{key}:{}", alerts.iter().map(alert_key).collect::<Vec<_>>().join(","));
            for (channel, target) in channels(detail) {
                let job = SendAlert {
                    product_key: key.to_owned(),
                    channel,
                    target,
                    subject: subject.clone(),
                    text: text.clone(),
                    alert_key: dedup.clone(),
                };
                effects::enqueue(&mut tx, &job, None, now).await?;
            }
            self.audit(
                &mut tx,
                "steward",
                if all_recovered { "slo.recovered" } else { "slo.breach" },
                &format!("product:{key}"),
                None,
                Some(serde_json::to_value(&alerts).map_err(StoreError::from)?),
            )
            .await?;
            for alert in &alerts {
                let table = match alert {
                    Alert::Missed { table, .. }
                    | Alert::MissedSummary { table, .. }
                    | Alert::Recovered { table, .. } => table.as_deref().unwrap_or("*"),
                };
                let key_of = format!("{table}/{}", alert_key(alert));
                let mut data = serde_json::to_value(alert).map_err(StoreError::from)?;
                data["product"] = serde_json::Value::from(key);
                data["version"] = serde_json::Value::from(version.as_str());
                let change = match alert {
                    Alert::Recovered { .. } => Change::SloRecovered { product: key, key: key_of, alert: data },
                    _ => Change::SloBreached { product: key, key: key_of, alert: data },
                };
                self.announce(&mut tx, &change).await?;
            }
            report.alerts += alerts.len();
        }
        tx.commit().await?;
        report.settled += settled.len();
        Ok(())
    }

    /// The SLO status and 30-day history of a product.
    pub async fn slo_status(&self, key: &str) -> Result<SloStatus, ServiceError> {
        let key = parse_key(key)?.to_string();
        let now = self.clock.now();
        let mut conn = self.conn().await?;
        let detail = products::get(&mut conn, &key)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("product {key} is not published")))?;
        let states: HashMap<i64, StoredState> =
            slo_store::states_of(&mut conn, &key).await?.into_iter().map(|s| (s.spec_index, s)).collect();
        let history = slo_store::ticks(&mut conn, &key, now - Duration::days(30)).await?;
        let last_refresh = refreshes::recent(&mut conn, &key, None, 1).await?.into_iter().next().map(|r| r.reported_at);
        let mut specs = Vec::new();
        for spec in specs_of(&detail.slo) {
            let idx = spec.index as i64;
            let state = states
                .get(&idx)
                .filter(|s| s.schedule == schedule_id(&spec))
                .and_then(|s| serde_json::from_str::<MonitorState>(&s.state).ok());
            let mine: Vec<&StoredTick> = history.iter().filter(|t| t.spec_index == idx).collect();
            let pct = |days: i64| -> Option<f64> {
                let since = now - Duration::days(days);
                let judged: Vec<_> = mine.iter().filter(|t| t.due >= since).collect();
                let met = judged.iter().filter(|t| t.status == steward_api::TickStatus::Met).count();
                (!judged.is_empty()).then(|| (met as f64) * 100.0 / judged.len() as f64)
            };
            let breach = state.and_then(|s| s.breach);
            let table_refresh = match &spec.table {
                Some(t) => {
                    refreshes::arrivals(&mut conn, &key, Some(t), now - Duration::days(3650)).await?.last().copied()
                }
                None => last_refresh,
            };
            specs.push(SpecStatus {
                index: idx,
                table: spec.table.clone(),
                schedule: spec.schedule.to_string(),
                timezone: spec.timezone.name().to_owned(),
                grace_minutes: spec.grace.num_minutes(),
                state: if breach.is_some() {
                    SloState::Breached
                } else if mine.is_empty() {
                    SloState::Pending
                } else {
                    SloState::Met
                },
                next_due: steward_slo::next_due(&spec, now),
                last_refresh: table_refresh,
                breach_since: breach.map(|b| b.since),
                missed_ticks: breach.map(|b| b.missed_ticks),
                compliance_7d: pct(7),
                compliance_30d: pct(30),
            });
        }
        Ok(SloStatus { product: key, version: detail.version, specs, history })
    }

    /// Missed ticks across the mesh since `since` (default: 7 days).
    pub async fn slo_breaches(
        &self,
        since: Option<DateTime<Utc>>,
        limit: i64,
    ) -> Result<Vec<StoredTick>, ServiceError> {
        let since = since.unwrap_or_else(|| self.clock.now() - Duration::days(7));
        Ok(slo_store::breaches(&mut *self.conn().await?, since, limit).await?)
    }
}

/// Parses an RFC 3339 query parameter.
pub fn parse_since(s: &str) -> Result<DateTime<Utc>, ServiceError> {
    parse_ts(s).map_err(|_| ServiceError::BadRequest(format!("since: `{s}` is not an RFC 3339 time")))
}
