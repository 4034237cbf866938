//! The SLO monitor loop and grant expiry.
//!
//! With several replicas on one PostgreSQL, exactly one runs the monitor: it
//! holds the `slo-monitor` lease in the store and renews it every pass; a
//! replica that dies stops renewing and another takes the lease once it
//! expires (`lease_secs`, default 30 s, so within a minute). Grant expiry is
//! idempotent (compare-and-set per grant) and runs under the same lease, as
//! do the registry poll when replicas share an upstream (recovery of work a
//! dead replica left, changes made on the remote: see `service::upstream`)
//! and the pass over old majors (reminders before their end of support,
//! retirement at their end of life: `service::majors`).

use std::time::Duration;

use serde::Deserialize;
use tokio::sync::watch;

use crate::service::Service;
use crate::service::slo::MonitorProgress;
use crate::store::slo as leases;

pub const LEASE: &str = "slo-monitor";

/// `slo.*` settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonitorSettings {
    pub enabled: bool,
    /// Seconds between passes.
    pub interval_secs: u64,
    /// How long the lease lasts without renewal.
    pub lease_secs: i64,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        Self { enabled: true, interval_secs: 10, lease_secs: 30 }
    }
}

pub struct Monitor {
    pub service: Service,
    pub settings: MonitorSettings,
    pub holder: String,
    pub metrics: std::sync::Arc<crate::api::ops::Metrics>,
}

impl Monitor {
    /// Takes or renews the lease; true if this replica holds it.
    pub async fn lead(&self) -> Result<bool, crate::error::StoreError> {
        let mut conn = self.service.store.pool.acquire().await?;
        leases::acquire_lease(
            &mut conn,
            LEASE,
            &self.holder,
            self.service.clock.now(),
            chrono::Duration::seconds(self.settings.lease_secs),
        )
        .await
    }

    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut progress = MonitorProgress::default();
        let mut leading = false;
        loop {
            if *stop.borrow() {
                break;
            }
            match self.lead().await {
                Ok(now_leading) => {
                    if now_leading != leading {
                        tracing::info!(holder = %self.holder, leading = now_leading, "SLO monitor lease changed");
                    }
                    leading = now_leading;
                }
                Err(e) => tracing::error!(error = %e, "SLO monitor lease"),
            }
            if leading {
                let started = std::time::Instant::now();
                match self.service.monitor_pass(&mut progress).await {
                    Ok(r) => {
                        self.metrics.record_slo_pass(started.elapsed(), r.alerts as u64);
                        if r.alerts > 0 || r.settled > 0 {
                            tracing::info!(?r, "SLO monitor pass");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "SLO monitor pass failed"),
                }
                match self.service.expire_grants().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(expired = n, "grants expired"),
                    Err(e) => tracing::error!(error = %e, "grant expiry failed"),
                }
                if self.service.upstream().is_some() {
                    let polled = self.service.poll_registry().await;
                    self.metrics.record_registry_poll(polled.is_ok());
                    match polled {
                        Ok(done) if done != Default::default() => {
                            tracing::warn!(?done, "the registry poll finished or replayed work");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "polling the registry's upstream failed"),
                    }
                }
                match self.service.announce_expiring_grants().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(announced = n, "grants ending soon announced"),
                    Err(e) => tracing::error!(error = %e, "announcing grants that end soon failed"),
                }
                match self.service.sunset_pass().await {
                    Ok(done) if done != Default::default() => tracing::info!(?done, "old majors reminded or retired"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "the pass over old majors failed"),
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(self.settings.interval_secs)) => {}
                _ = stop.changed() => {}
            }
        }
        if leading && let Ok(mut conn) = self.service.store.pool.acquire().await {
            let _ = leases::release_lease(&mut conn, LEASE, &self.holder).await;
        }
    }
}
