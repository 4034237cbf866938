//! `/healthz`, `/readyz`, `/metrics` and the request-metrics middleware.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;

/// Latency buckets in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Request counts and latencies by method, route and status.
#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
    slo: Mutex<SloSeries>,
    /// Registry polls (replicas with an upstream): [succeeded, failed].
    registry_polls: Mutex<[u64; 2]>,
}

/// SLO monitor figures: passes, their duration, and alerts raised.
#[derive(Default)]
struct SloSeries {
    passes: u64,
    seconds_sum: f64,
    last_seconds: f64,
    alerts: u64,
}

impl Metrics {
    /// Records one SLO monitor pass.
    pub fn record_slo_pass(&self, took: std::time::Duration, alerts: u64) {
        let mut s = self.slo.lock().expect("metrics lock");
        s.passes += 1;
        s.seconds_sum += took.as_secs_f64();
        s.last_seconds = took.as_secs_f64();
        s.alerts += alerts;
    }

    /// Records one registry poll of the monitor lease holder (fetch from the
    /// upstream, recovery, replay); a failed one usually means the git server
    /// is unreachable or refuses the credentials.
    pub fn record_registry_poll(&self, ok: bool) {
        let mut polls = self.registry_polls.lock().expect("metrics lock");
        polls[usize::from(!ok)] += 1;
    }

    /// Records one answered request (what [`track`] does after each response).
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut map = self.series.lock().expect("metrics lock");
        let s = map.entry((method.to_owned(), route.to_owned(), status)).or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    /// Prometheus text exposition format.
    pub fn render(&self) -> String {
        let map = self.series.lock().expect("metrics lock");
        let mut out = String::from(
            "# HELP steward_http_requests_total HTTP requests by method, route and status.\n# TYPE steward_http_requests_total counter\n",
        );
        for ((m, r, s), v) in map.iter() {
            out.push_str(&format!(
                "steward_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{s}\"}} {}\n",
                v.count
            ));
        }
        out.push_str("# HELP steward_http_request_duration_seconds HTTP request latency.\n# TYPE steward_http_request_duration_seconds histogram\n");
        for ((m, r, s), v) in map.iter() {
            let labels = format!("method=\"{m}\",route=\"{r}\",status=\"{s}\"");
            for (i, b) in BUCKETS.iter().enumerate() {
                out.push_str(&format!(
                    "steward_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}\n",
                    v.buckets[i]
                ));
            }
            out.push_str(&format!(
                "steward_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n",
                v.count
            ));
            out.push_str(&format!("steward_http_request_duration_seconds_sum{{{labels}}} {}\n", v.sum));
            out.push_str(&format!("steward_http_request_duration_seconds_count{{{labels}}} {}\n", v.count));
        }
        let slo = self.slo.lock().expect("metrics lock");
        out.push_str(&format!(
            "# HELP steward_slo_evaluation_seconds Duration of SLO monitor passes.\n# TYPE steward_slo_evaluation_seconds summary\nsteward_slo_evaluation_seconds_sum {}\nsteward_slo_evaluation_seconds_count {}\n\
             # HELP steward_slo_last_evaluation_seconds Duration of the last SLO monitor pass.\n# TYPE steward_slo_last_evaluation_seconds gauge\nsteward_slo_last_evaluation_seconds {}\n\
             # HELP steward_slo_alerts_total SLO alerts raised (missed, summaries, recoveries).\n# TYPE steward_slo_alerts_total counter\nsteward_slo_alerts_total {}\n",
            slo.seconds_sum, slo.passes, slo.last_seconds, slo.alerts
        ));
        let [ok, failed] = *self.registry_polls.lock().expect("metrics lock");
        out.push_str(&format!(
            "# HELP steward_registry_polls_total Polls of the registry's upstream by the monitor lease holder.
\
             # TYPE steward_registry_polls_total counter
\
             steward_registry_polls_total{{outcome=\"ok\"}} {ok}
steward_registry_polls_total{{outcome=\"failed\"}} {failed}
"
        ));
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
    ([("content-type", "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}
