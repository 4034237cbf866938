//! `/healthz`, `/readyz`, `/metrics` and the request-metrics middleware.
//!
//! The metrics are kept and written in the Prometheus text format by
//! `prometheus-client`, the Prometheus project's Rust client: requests by
//! method, route template and status (a counter and a latency histogram) and
//! the SLO monitor's passes. The cost of recording a request and of a scrape
//! is measured by `cargo bench -p steward-catalog --bench metrics`
//! (docs/performance.md, "Metrics").

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::AppState;

/// Request latency buckets in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// SLO monitor pass buckets in seconds.
const SLO_BUCKETS: [f64; 6] = [0.01, 0.1, 1.0, 10.0, 60.0, 300.0];

/// The labels of a request series, in the order they are written.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    /// The route template (`/api/v1/products/{key}`), never the raw path.
    route: String,
    status: u16,
}

type HistogramFamily = Family<HttpLabels, Histogram, fn() -> Histogram>;

/// Request counts and latencies by method, route and status, and the SLO
/// monitor's figures. Every metric is registered once, at construction.
pub struct Metrics {
    registry: Registry,
    requests: Family<HttpLabels, Counter>,
    durations: HistogramFamily,
    slo_passes: Histogram,
    slo_last: Gauge<f64, AtomicU64>,
    slo_alerts: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<HttpLabels, Counter>::default();
        let durations = HistogramFamily::new_with_constructor(|| Histogram::new(BUCKETS));
        let slo_passes = Histogram::new(SLO_BUCKETS);
        let slo_last = Gauge::<f64, AtomicU64>::default();
        let slo_alerts = Counter::default();
        // The registry appends the final period to each help text.
        let mut registry = Registry::default();
        registry.register("steward_http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register("steward_http_request_duration_seconds", "HTTP request latency", durations.clone());
        registry.register("steward_slo_evaluation_seconds", "Duration of SLO monitor passes", slo_passes.clone());
        registry.register(
            "steward_slo_last_evaluation_seconds",
            "Duration of the last SLO monitor pass",
            slo_last.clone(),
        );
        registry.register(
            "steward_slo_alerts",
            "SLO alerts raised (missed, summaries, recoveries)",
            slo_alerts.clone(),
        );
        Metrics { registry, requests, durations, slo_passes, slo_last, slo_alerts }
    }
}

impl Metrics {
    /// Records one SLO monitor pass.
    pub fn record_slo_pass(&self, took: std::time::Duration, alerts: u64) {
        self.slo_passes.observe(took.as_secs_f64());
        self.slo_last.set(took.as_secs_f64());
        self.slo_alerts.inc_by(alerts);
    }

    /// Records one answered request (what [`track`] does after each response).
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let labels = HttpLabels { method: method.to_owned(), route: route.to_owned(), status };
        self.requests.get_or_create(&labels).inc();
        self.durations.get_or_create(&labels).observe(seconds);
    }

    /// Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_text::encode(&mut out, &self.registry).expect("writing to a String does not fail");
        out
    }
}

pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    // The route template, not the raw path, so ids do not explode the series.
    let route =
        req.extensions().get::<MatchedPath>().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "unmatched".to_owned());
    let response = next.run(req).await;
    state.metrics.observe(&method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, description = "alive")))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the store answers.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200, description = "ready"), (status = 503, description = "store unavailable")))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.service.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
        }
    }
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200, description = "Prometheus text format")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    ([("content-type", prometheus_text::CONTENT_TYPE)], state.metrics.render()).into_response()
}
