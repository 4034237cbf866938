//! `cargo bench -p steward-catalog --bench metrics`
//!
//! The cost of `/metrics` bookkeeping: recording one request (what the
//! `track` middleware does after every response) and rendering the
//! exposition text (what a scrape costs), with the series a busy server has.
//! Recording is measured on one thread and on several at once (the series map
//! is shared, so contention shows there). Prints figures; asserts nothing but
//! that the output holds every series. docs/performance.md ("Metrics") has
//! the figures and what they decided.
//!
//! Environment: STEWARD_BENCH_RECORDS (default 2,000,000 per run),
//! STEWARD_BENCH_RENDERS (default 2,000 per run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use steward_catalog::api::ops::Metrics;

const METHODS: [&str; 2] = ["GET", "POST"];
const STATUSES: [u16; 3] = [200, 404, 500];

fn main() {
    let records: usize = env_or("STEWARD_BENCH_RECORDS", 2_000_000);
    let renders: usize = env_or("STEWARD_BENCH_RENDERS", 2_000);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).max(2);
    println!("metrics: {records} records per run, {renders} renders per run, best of 5 runs");
    for routes in [10, 100] {
        let labels = series(routes);
        println!(
            "{} series ({routes} routes x {} methods x {} statuses):",
            labels.len(),
            METHODS.len(),
            STATUSES.len()
        );
        let one = best(|| record(&Metrics::default(), &labels, records, 1));
        println!("  record, 1 thread:   {:>7.1} ns per request", one);
        let many = best(|| record(&Metrics::default(), &labels, records, threads));
        println!("  record, {threads} threads:  {:>7.1} ns per request (wall time / requests)", many);
        let metrics = Metrics::default();
        record(&metrics, &labels, labels.len() * 10, 1);
        metrics.record_slo_pass(Duration::from_millis(12), 1);
        let text = metrics.render();
        for (method, route, status) in &labels {
            let line =
                format!("steward_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} ");
            assert!(text.contains(&line), "missing {line}");
        }
        let started = Instant::now();
        let mut bytes = 0;
        for _ in 0..renders {
            bytes += std::hint::black_box(metrics.render()).len();
        }
        let per = started.elapsed().as_secs_f64() / renders as f64;
        println!("  render:             {:>7.1} µs per scrape ({} bytes)", per * 1e6, bytes / renders);
    }
}

/// Every (method, route, status) a server with `routes` route templates answers.
fn series(routes: usize) -> Vec<(&'static str, String, u16)> {
    let mut out = Vec::new();
    for r in 0..routes {
        for method in METHODS {
            for status in STATUSES {
                out.push((method, format!("/api/v1/things{r}/{{key}}/parts"), status));
            }
        }
    }
    out
}

/// Records `n` requests spread over `labels` on `threads` threads; ns per request.
fn record(metrics: &Metrics, labels: &[(&'static str, String, u16)], n: usize, threads: usize) -> f64 {
    let labels = Arc::new(labels.to_vec());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let labels = labels.clone();
            scope.spawn(move || {
                for i in (t..n).step_by(threads) {
                    let (method, route, status) = &labels[i.wrapping_mul(7919) % labels.len()];
                    // Latencies from 0.1 ms to ~1 s, so every bucket sees some.
                    let seconds = ((i % 1000) as f64 + 0.1) * 1e-3;
                    metrics.observe(method, route, *status, seconds);
                }
            });
        }
    });
    started.elapsed().as_secs_f64() * 1e9 / n as f64
}

/// The smallest of 5 runs (the least disturbed by other work on the machine).
fn best(mut run: impl FnMut() -> f64) -> f64 {
    (0..5).map(|_| run()).fold(f64::INFINITY, f64::min)
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
