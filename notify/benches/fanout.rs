//! Notification fan-out: one refresh event to 1,000 signed-webhook subscribers.
//!
//! Goal (DESIGN.md, "Performance goals"): < 2 s. Receivers are in-process sinks on
//! loopback, so the figure measures Steward's side (signing, the HTTP client, bounded
//! concurrency) plus the sinks sharing the same cores, not a network. Two layouts:
//! 4 receivers with 250 distinct URLs each (connections get reused), and 1,000
//! receivers on distinct ports (every subscriber needs its own TCP connection, as
//! real subscribers on distinct hosts would). Prints figures; asserts only that every
//! delivery arrived.
//!
//! As in the product, each subscriber is its own delivery: one `post_signed` per
//! subscriber with its own secret, at most `concurrency` in flight (the outbox worker
//! runs one job per subscriber, `outbox.concurrency` at a time).

use std::sync::Arc;
use std::time::{Duration, Instant};

use steward_notify::testing::WebhookSink;
use steward_notify::{NotifyError, WebhookSender, WebhookSettings};
use tokio::sync::Semaphore;

const SUBSCRIBERS: usize = 1_000;
const GOAL: Duration = Duration::from_secs(2);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    runtime.block_on(async {
        println!("fan-out: 1 event -> {SUBSCRIBERS} signed-webhook subscribers on loopback (goal < {GOAL:?})");
        run(4).await;
        run(SUBSCRIBERS).await;
    });
}

async fn run(receivers: usize) {
    let mut sinks = Vec::with_capacity(receivers);
    for _ in 0..receivers {
        sinks.push(WebhookSink::start().await);
    }
    let targets: Vec<Target> = (0..SUBSCRIBERS)
        .map(|i| Target {
            url: sinks[i % receivers].url(&format!("/subscribers/{i}/events")),
            secret: format!("whsec_subscriber_{i}"),
        })
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({
        "type": "product.refreshed",
        "product": "sales.orders",
        "version": "1.4.0",
        "partition": "2026-11-22",
        "refreshed_at": "2026-11-22T05:00:00Z",
    }))
    .expect("serialize");

    println!("{receivers} receivers:");
    for concurrency in [16, 64, 256] {
        // A fresh sender per level: "cold" opens its connections, "warm" may reuse the pool.
        let sender =
            WebhookSender::new(&WebhookSettings { allow_private: true, ..WebhookSettings::default() }).expect("sender");
        for round in ["cold", "warm"] {
            let before: usize = sinks.iter().map(WebhookSink::count).sum();
            let started = Instant::now();
            let event_id = format!("evt-{receivers}-{concurrency}-{round}");
            let results = fan_out(&sender, &targets, &event_id, &body, concurrency).await;
            let took = started.elapsed();
            let after: usize = sinks.iter().map(WebhookSink::count).sum();
            assert!(results.iter().all(Result::is_ok), "failed: {:?}", results.iter().find(|r| r.is_err()));
            assert_eq!(after - before, SUBSCRIBERS);
            println!(
                "  concurrency {concurrency:>3} {round}: {:>8.1} ms total, {:>7.0} deliveries/s, {:>5.1}% of the 2 s goal",
                took.as_secs_f64() * 1e3,
                SUBSCRIBERS as f64 / took.as_secs_f64(),
                took.as_secs_f64() / GOAL.as_secs_f64() * 100.0
            );
        }
    }
}

/// One subscriber: where to post and the secret to sign with.
#[derive(Clone)]
struct Target {
    url: String,
    secret: String,
}

/// One `post_signed` per target, each in its own task, at most `concurrency` at once.
async fn fan_out(
    sender: &WebhookSender,
    targets: &[Target],
    event_id: &str,
    body: &[u8],
    concurrency: usize,
) -> Vec<Result<(), NotifyError>> {
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let (body, event_id): (Arc<[u8]>, Arc<str>) = (Arc::from(body), Arc::from(event_id));
    let mut tasks = tokio::task::JoinSet::new();
    for target in targets.iter().cloned() {
        let (sender, permits, body, event_id) = (sender.clone(), permits.clone(), body.clone(), event_id.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("the semaphore is never closed");
            sender.post_signed(&target.url, &target.secret, &event_id, &body).await
        });
    }
    tasks.join_all().await
}
