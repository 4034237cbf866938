//! `cargo bench -p steward-cli --bench refresh`
//!
//! Refresh and notification figures (goals in docs/performance.md):
//!  * refreshes/s through the real router on PostgreSQL, against `pgbench`
//!    running the same statements in one transaction on the same database in
//!    the same run (goal ≥ 0.8×); the same API figure on SQLite;
//!  * one refresh fanned out to 1,000 webhook subscribers on loopback, from
//!    the POST until the last signed delivery arrived (goal < 2 s), through
//!    the real outbox worker with its default settings;
//!  * one breaking version approved over 10,000 accounts with grants and
//!    webhook subscriptions: the notices enqueued in the publishing
//!    transaction and delivered to loopback sinks (goal < 10 s from the
//!    approval to the last delivery).
//!
//! Environment: STEWARD_BENCH_REFRESHES (default 5000), STEWARD_BENCH_CLIENTS
//! (default 8), STEWARD_BENCH_SUBSCRIBERS (default 1000), STEWARD_BENCH_BREAKING
//! (default 10000; 0 skips it), STEWARD_BENCH_ONLY=breaking (only that part), STEWARD_BENCH_BACKENDS
//! (default `sqlite,postgres`), DATABASE_URL (PostgreSQL server; skipped if
//! unreachable), PGBENCH (default `pgbench`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use steward_catalog::api::{self, AppState};
use steward_catalog::auth::{Principal, Role};
use steward_catalog::config::{Faults, OutboxSettings};
use steward_catalog::server::{EffectBackends, OutboxWorker};
use steward_catalog::service::access::AccessRequestInput;
use steward_catalog::service::subscriptions::{Channel, SubscriptionInput};
use steward_catalog::service::{BackendChoices, Service, ServiceBuilder};
use steward_notify::testing::WebhookSink;
use tower::ServiceExt;

const PRODUCT: &str = "sales.orders";
const REFRESH: &str = "/api/v1/products/sales.orders/refreshes";

fn main() {
    let n: usize = env_or("STEWARD_BENCH_REFRESHES", 5_000);
    let clients: usize = env_or("STEWARD_BENCH_CLIENTS", 8).max(1);
    let subscribers: usize = env_or("STEWARD_BENCH_SUBSCRIBERS", 1_000);
    let breaking: usize = env_or("STEWARD_BENCH_BREAKING", 10_000);
    let backends = std::env::var("STEWARD_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    if std::env::var("STEWARD_BENCH_ONLY").is_ok_and(|o| o == "breaking") {
        return breaking_only(&runtime, &backends, breaking);
    }
    println!(
        "refreshes: {n}, clients: {clients}, fan-out subscribers: {subscribers}; {} cores, load average {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        loadavg()
    );
    let pg = if backends.contains("postgres") { runtime.block_on(steward_testkit::postgres()) } else { None };
    if let Some(url) = &pg {
        runtime.block_on(refresh_vs_pgbench(url, n, clients));
    }
    if backends.contains("sqlite") {
        let dir = tempfile::tempdir().unwrap();
        runtime.block_on(refresh_api_only("sqlite", &steward_testkit::sqlite_url(dir.path()), n, clients));
    }
    if pg.is_some()
        && let Some(url) = runtime.block_on(steward_testkit::postgres())
    {
        runtime.block_on(fanout("postgres", &url, subscribers, 8));
    }
    if backends.contains("sqlite") {
        let dir = tempfile::tempdir().unwrap();
        runtime.block_on(fanout("sqlite", &steward_testkit::sqlite_url(dir.path()), subscribers, 1));
    }
    breaking_only(&runtime, &backends, breaking);
}

fn breaking_only(runtime: &tokio::runtime::Runtime, backends: &str, n: usize) {
    if n == 0 {
        return;
    }
    if backends.contains("postgres")
        && let Some(url) = runtime.block_on(steward_testkit::postgres())
    {
        runtime.block_on(breaking_fanout("postgres", &url, n, 8));
    }
    if backends.contains("sqlite") {
        let dir = tempfile::tempdir().unwrap();
        runtime.block_on(breaking_fanout("sqlite", &steward_testkit::sqlite_url(dir.path()), n, 1));
    }
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The bench's own connection to the service's database, for the SQL the
/// service does not offer (timing raw reads, the pgbench script's inputs).
async fn connect(url: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    <sqlx::AnyConnection as sqlx::Connection>::connect(url).await.unwrap()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// A service on `url` with sales.orders published, and its tokens.
struct App {
    _dir: tempfile::TempDir,
    /// The database URL, for the bench's own SQL (the service offers none).
    url: String,
    service: Service,
    router: axum::Router,
    producer: String,
    producer_p: Principal,
    reviewer: Principal,
    consumer: Principal,
}

impl App {
    async fn start(url: &str, accounts: &[String]) -> App {
        let dir = tempfile::tempdir().unwrap();
        let service = ServiceBuilder::new(url, dir.path().join("registry.git"))
            .backends(BackendChoices {
                webhooks: steward_notify::WebhookSettings { allow_private: true, ..Default::default() },
                ..Default::default()
            })
            .build()
            .await
            .unwrap();
        service.bootstrap_admin(dir.path()).await.unwrap();
        let admin = std::fs::read_to_string(dir.path().join("admin.token")).unwrap().trim().to_owned();
        let admin = service.authenticate(&admin).await.unwrap().unwrap();
        let token = |name: &'static str, role: Role, scopes: Vec<String>| {
            let (service, admin) = (service.clone(), admin.clone());
            async move { service.create_token(&admin, name, None, role, scopes).await.unwrap().token }
        };
        let producer = token("paul", Role::Producer, vec!["sales".into()]).await;
        let reviewer = token("rita", Role::Reviewer, vec![]).await;
        let consumer = token("carla", Role::Consumer, accounts.to_vec()).await;
        let producer_p = service.authenticate(&producer).await.unwrap().unwrap();
        let reviewer = service.authenticate(&reviewer).await.unwrap().unwrap();
        let consumer = service.authenticate(&consumer).await.unwrap().unwrap();
        let proposal = service.submit(&producer_p, &steward_testkit::sales_orders()).await.unwrap();
        service.approve(&reviewer, proposal.id, None).await.unwrap();
        let router =
            api::router(AppState { service: service.clone(), metrics: Arc::new(api::ops::Metrics::default()) });
        App { _dir: dir, url: url.to_owned(), service, router, producer, producer_p, reviewer, consumer }
    }

    /// Grants `account` access (request + approve) and subscribes it to `targets`.
    async fn grant_and_subscribe(&self, account: &str, targets: &[(Channel, String)]) -> Vec<i64> {
        let input =
            AccessRequestInput { account: account.to_owned(), justification: "benchmark".into(), duration_days: None };
        let request = self.service.request_access(&self.consumer, PRODUCT, &input).await.unwrap();
        self.service.approve_access(&self.reviewer, request.id, None).await.unwrap();
        let mut ids = Vec::new();
        for (channel, target) in targets {
            let input = SubscriptionInput { account: account.to_owned(), channel: *channel, target: target.clone() };
            ids.push(self.service.subscribe(&self.consumer, PRODUCT, &input).await.unwrap().id);
        }
        ids
    }

    fn refresh_request(&self, dt: &str, key: &str) -> Request<Body> {
        let body = serde_json::json!({
            "table": "order_lines", "partition": {"dt": dt}, "idempotency_key": key, "row_count": 1200
        });
        Request::post(REFRESH)
            .header("authorization", format!("Bearer {}", self.producer))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    }

    /// POSTs one refresh through the router; returns the status and the body.
    async fn post_refresh(&self, dt: &str, key: &str) -> (u16, String) {
        let resp = self.router.clone().oneshot(self.refresh_request(dt, key)).await.unwrap();
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// A distinct partition date per request (a new partition each time, as in the pgbench script).
fn date(i: usize) -> String {
    let base = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    (base + chrono::Days::new(i as u64)).format("%Y-%m-%d").to_string()
}

struct Run {
    seconds: f64,
    ok: usize,
    failed: usize,
    first_error: Option<String>,
    latencies: Vec<Duration>,
}

/// `n` refreshes from `clients` concurrent tasks through the router; dates from `offset`.
async fn drive(app: &Arc<App>, n: usize, clients: usize, offset: usize, tag: &str) -> Run {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let app = app.clone();
        let tag = tag.to_owned();
        tasks.spawn(async move {
            let mut out = (0usize, 0usize, None::<String>, Vec::new());
            for i in (c..n).step_by(clients) {
                let t = Instant::now();
                let (status, body) = app.post_refresh(&date(offset + i), &format!("{tag}-{c}-{i}")).await;
                out.3.push(t.elapsed());
                if status == 201 {
                    out.0 += 1;
                } else {
                    out.1 += 1;
                    out.2.get_or_insert_with(|| format!("{status}: {}", body));
                }
            }
            out
        });
    }
    let mut run = Run { seconds: 0.0, ok: 0, failed: 0, first_error: None, latencies: Vec::with_capacity(n) };
    while let Some(r) = tasks.join_next().await {
        let (ok, failed, err, lat) = r.unwrap();
        run.ok += ok;
        run.failed += failed;
        if run.first_error.is_none() {
            run.first_error = err;
        }
        run.latencies.extend(lat);
    }
    run.seconds = started.elapsed().as_secs_f64();
    run
}

fn report(backend: &str, run: &mut Run) -> f64 {
    run.latencies.sort();
    let at = |p: f64| {
        run.latencies[((run.latencies.len() as f64 * p) as usize).min(run.latencies.len() - 1)].as_secs_f64() * 1000.0
    };
    let rate = run.ok as f64 / run.seconds;
    println!(
        "[{backend}] API: {} refreshes in {:.2}s = {rate:.0} req/s (latency p50 {:.2} ms, p99 {:.2} ms); failed: {}{}",
        run.ok,
        run.seconds,
        at(0.5),
        at(0.99),
        run.failed,
        run.first_error.as_deref().map(|e| format!(" (first: {e})")).unwrap_or_default()
    );
    rate
}

/// Publishes sales.orders, gives one account a grant and 2 subscriptions, warms up.
async fn refresh_app(url: &str) -> Arc<App> {
    let app = App::start(url, &["123456789012".to_owned()]).await;
    let sink = "http://127.0.0.1:9/hook".to_owned(); // never called: the worker does not run here
    app.grant_and_subscribe(
        "123456789012",
        &[(Channel::Email, "analyst@example.com".into()), (Channel::Webhook, sink)],
    )
    .await;
    let app = Arc::new(app);
    let warm = drive(&app, 200, 8, 900_000, "warm").await;
    if warm.failed > 0 {
        println!("warm-up: {} of 200 failed (first: {})", warm.failed, warm.first_error.unwrap_or_default());
    }
    app
}

/// When requests fail, the service error behind the 500 (the API hides it).
async fn probe_errors(app: &Arc<App>, clients: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..clients {
        let app = app.clone();
        tasks.spawn(async move {
            let input = steward_catalog::service::refreshes::RefreshInput {
                table: Some("order_lines".into()),
                partition: [("dt".to_owned(), date(400_000 + c))].into(),
                row_count: Some(1200),
                ..Default::default()
            };
            app.service.report_refresh(&app.producer_p, PRODUCT, &input).await.err().map(|e| format!("{e:?}"))
        });
    }
    let mut errors = Vec::new();
    while let Some(r) = tasks.join_next().await {
        errors.extend(r.unwrap());
    }
    if let Some(e) = errors.first() {
        println!("  {} of {clients} concurrent report_refresh calls failed; first error: {e}", errors.len());
    }
}

async fn refresh_api_only(backend: &str, url: &str, n: usize, clients: usize) {
    println!("\n== refreshes through the API on {backend} ==");
    let app = refresh_app(url).await;
    let mut run = drive(&app, n, clients, 0, "api").await;
    report(backend, &mut run);
    if run.failed > 0 {
        probe_errors(&app, clients).await;
    }
    if clients > 1 {
        let mut one = drive(&app, n.min(1000), 1, 100_000, "api1").await;
        report(&format!("{backend}, 1 client"), &mut one);
    }
}

async fn refresh_vs_pgbench(url: &str, n: usize, clients: usize) {
    println!("\n== refreshes through the API on postgres vs pgbench, same database ==");
    let app = refresh_app(url).await;
    let load_before = loadavg();
    let mut run = drive(&app, n, clients, 0, "api").await;
    let api = report("postgres", &mut run);
    breakdown(&app).await;

    let script = pgbench_script(&app).await;
    let file = tempfile::Builder::new().suffix(".sql").tempfile().unwrap();
    std::fs::write(file.path(), &script).unwrap();
    let per_client = n.div_ceil(clients);
    let Some(out) = pgbench(url, file.path(), clients, per_client) else { return };
    let tps = parse_tps(&out);
    println!(
        "[postgres] pgbench -n -c {clients} -j 2 -t {per_client} (same statements, one transaction): {tps:.0} tps{}",
        latency_line(&out)
    );
    // The serial picture: one client each.
    let one = pgbench(url, file.path(), 1, 500).map(|o| (parse_tps(&o), latency_line(&o)));
    let mut api_one = drive(&app, 500, 1, 200_000, "serial").await;
    let api1 = report("postgres, 1 client", &mut api_one);
    if let Some((tps1, lat)) = one {
        println!("[postgres] pgbench 1 client: {tps1:.0} tps{lat}; ratio 1 client: {:.2}×", api1 / tps1);
    }
    let ratio = api / tps;
    println!(
        "[postgres] API / pgbench with {clients} clients: {api:.0} / {tps:.0} = {ratio:.2}× (goal ≥ 0.8×: {}); load average {load_before} before, {} after",
        if ratio >= 0.8 { "met" } else { "NOT met" },
        loadavg()
    );
}

/// Serial timings of the parts of one refresh, to see where the API spends its time.
async fn breakdown(app: &App) {
    let k = 300;
    let mut conn = connect(&app.url).await;
    let t = Instant::now();
    for _ in 0..k {
        app.service.authenticate(&app.producer).await.unwrap().unwrap();
    }
    let auth = t.elapsed().as_secs_f64() * 1e6 / k as f64;
    let t = Instant::now();
    for _ in 0..k {
        sqlx::query("SELECT detail FROM products WHERE product_key = $1")
            .bind(PRODUCT)
            .fetch_one(&mut conn)
            .await
            .unwrap();
    }
    let read = t.elapsed().as_secs_f64() * 1e6 / k as f64;
    // The read and JSON parse of the detail, through the nearest public way
    // in: `Service::product` (the store's `products::get` on a pooled
    // connection, plus the redaction check; `paul` is a producer of the
    // product, so nothing is redacted). Was `store::products::get` on the
    // connection above, before the store became private.
    let t = Instant::now();
    let mut size = 0;
    for _ in 0..k {
        let d = app.service.product(&app.producer_p, PRODUCT).await.unwrap();
        size = d.tables.len();
    }
    let get = t.elapsed().as_secs_f64() * 1e6 / k as f64;
    let row: (String,) = sqlx::query_as("SELECT detail FROM products WHERE product_key = $1")
        .bind(PRODUCT)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let t = Instant::now();
    for _ in 0..k {
        sqlx::query("SELECT 1").execute(&mut conn).await.unwrap();
    }
    let rtt = t.elapsed().as_secs_f64() * 1e6 / k as f64;
    drop(conn);
    let t = Instant::now();
    for i in 0..k {
        let input = steward_catalog::service::refreshes::RefreshInput {
            table: Some("order_lines".into()),
            partition: [("dt".to_owned(), date(300_000 + i))].into(),
            idempotency_key: Some(format!("svc-{i}")),
            row_count: Some(1200),
            ..Default::default()
        };
        app.service.report_refresh(&app.producer_p, PRODUCT, &input).await.unwrap();
    }
    let service = t.elapsed().as_secs_f64() * 1e6 / k as f64;
    let t = Instant::now();
    for i in 0..k {
        let (s, body) = app.post_refresh(&date(310_000 + i), &format!("rt-{i}")).await;
        assert_eq!(s, 201, "{}", body);
    }
    let full = t.elapsed().as_secs_f64() * 1e6 / k as f64;
    println!(
        "[postgres] serial breakdown (µs per call, {k} calls): round trip `SELECT 1` {rtt:.0}; token lookup {auth:.0}; \
         detail read {read:.0} (+ JSON parse of {} bytes, {size} tables, through `Service::product`: {get:.0}); report_refresh (service, no HTTP/auth) \
         {service:.0}; full request through the router {full:.0}",
        row.0.len()
    );
}

/// The statements of one refresh, as `report_refresh` sends them, for pgbench.
async fn pgbench_script(app: &App) -> String {
    let mut conn = connect(&app.url).await;
    let hash: (String,) =
        sqlx::query_as("SELECT token_hash FROM tokens WHERE name = 'paul'").fetch_one(&mut conn).await.unwrap();
    let subs: Vec<(i64,)> =
        sqlx::query_as("SELECT id FROM subscriptions ORDER BY id").fetch_all(&mut conn).await.unwrap();
    // A timestamp as the store writes them.
    let ts = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    let dt = "(date '2000-01-01' + CAST(:d AS int))";
    let mut s = String::new();
    s.push_str("\\set k random(1, 9000000000000000000)\n\\set d random(0, 2000000)\n");
    s.push_str("BEGIN;\n");
    s.push_str(&format!(
        "SELECT id, name, email, role, scopes FROM tokens WHERE token_hash = '{}' AND revoked_at IS NULL;\n",
        hash.0
    ));
    s.push_str("SELECT detail FROM products WHERE product_key = 'sales.orders';\n");
    s.push_str(&format!(
        "INSERT INTO refreshes (product_key, table_name, idem_key, partition_path, partition_values, snapshot_id, row_count, location, reported_by, reported_at) \
         VALUES ('sales.orders', 'order_lines', 'pgb-' || CAST(:client_id AS text) || '-' || CAST(:k AS text), 'dt=' || {dt}, '[\"' || {dt} || '\"]', NULL, 1200, \
         's3://steward-sales/orders/order_lines/dt=' || {dt} || '/', 'paul', '{ts}') ON CONFLICT (product_key, idem_key) DO NOTHING RETURNING id AS rid \\gset\n"
    ));
    s.push_str(&format!(
        "INSERT INTO partitions (product_key, table_name, partition_path, partition_values, location, created_at) \
         VALUES ('sales.orders', 'order_lines', 'dt=' || {dt}, '[\"' || {dt} || '\"]', 's3://steward-sales/orders/order_lines/dt=' || {dt} || '/', '{ts}') \
         ON CONFLICT (product_key, table_name, partition_path) DO NOTHING;\n"
    ));
    s.push_str(&format!(
        "INSERT INTO outbox (kind, dedup_key, payload, status, attempts, next_attempt_at, after_id, created_at) \
         VALUES ('signal.marker', 'signal.marker:' || CAST(:rid AS text), '{{\"refresh_id\":' || CAST(:rid AS text) || ',\"product_key\":\"sales.orders\",\"database\":\"sales_orders\",\"table\":\"order_lines\",\"partition\":\"dt=' || {dt} || '\",\"partition_values\":[\"' || {dt} || '\"],\"location\":\"s3://steward-sales/orders/order_lines/dt=' || {dt} || '/\"}}', \
         'pending', 0, '{ts}', NULL, '{ts}') ON CONFLICT (dedup_key) DO NOTHING RETURNING id AS mid \\gset\n"
    ));
    s.push_str(
        "SELECT s.id, s.product_key, s.account, s.channel, s.target, s.secret, s.created_by, s.created_at, s.removed_at FROM subscriptions s \
         JOIN grants g ON g.product_key = s.product_key AND g.account = s.account AND g.status = 'active' \
         WHERE s.product_key = 'sales.orders' AND s.removed_at IS NULL ORDER BY s.id;\n",
    );
    for (sub,) in &subs {
        s.push_str(&format!(
            "INSERT INTO outbox (kind, dedup_key, payload, status, attempts, next_attempt_at, after_id, created_at) \
             VALUES ('notify.refresh', 'notify.refresh:' || CAST(:rid AS text) || ':{sub}', '{{\"subscription_id\":{sub},\"event\":{{\"event_id\":\"refresh-' || CAST(:rid AS text) || '-sub-{sub}\",\"product\":\"sales.orders\",\"table\":\"order_lines\",\"partition\":\"dt=' || {dt} || '\",\"partition_values\":[\"' || {dt} || '\"],\"snapshot_id\":null,\"location\":\"s3://steward-sales/orders/order_lines/dt=' || {dt} || '/\",\"marker\":\"s3://steward-sales/orders/order_lines/dt=' || {dt} || '/_SUCCESS\",\"refresh_id\":' || CAST(:rid AS text) || ',\"reported_at\":\"{ts}\",\"row_count\":1200}}}}', \
             'pending', 0, '{ts}', CAST(:mid AS bigint), '{ts}') ON CONFLICT (dedup_key) DO NOTHING RETURNING id;\n"
        ));
    }
    s.push_str(&format!(
        "INSERT INTO audit_events (at, actor, action, target, before, after) VALUES ('{ts}', 'paul', 'refresh.report', 'product:sales.orders', NULL, \
         '{{\"partition\":\"dt=' || {dt} || '\",\"refresh\":' || CAST(:rid AS text) || ',\"rows\":1200,\"snapshot_id\":null,\"table\":\"order_lines\"}}');\n"
    ));
    s.push_str("COMMIT;\n");
    s
}

fn pgbench(url: &str, script: &std::path::Path, clients: usize, per_client: usize) -> Option<String> {
    let bin = std::env::var("PGBENCH").unwrap_or_else(|_| "pgbench".into());
    let out = std::process::Command::new(&bin)
        // pgbench's default simple protocol: with `-M prepared` its variables
        // reach PostgreSQL untyped inside these concatenations and fail.
        .args(["-n", "-c", &clients.to_string(), "-j", "2", "-t", &per_client.to_string(), "-f"])
        .arg(script)
        .arg(url)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => {
            println!(
                "pgbench failed ({}): {}{}",
                o.status,
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            None
        }
        Err(e) => {
            println!("pgbench ({bin}) not runnable: {e}; no comparison");
            None
        }
    }
}

fn parse_tps(out: &str) -> f64 {
    out.lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|r| r.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

fn latency_line(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("latency average = "))
        .map(|l| format!(" (latency average {l})"))
        .unwrap_or_default()
}

/// One refresh to `subscribers` webhook subscribers on loopback, through the real worker.
async fn fanout(backend: &str, url: &str, subscribers: usize, seed_tasks: usize) {
    println!("\n== fan-out of one refresh to {subscribers} webhook subscribers on {backend} ==");
    let sinks: Vec<WebhookSink> = start_sinks(4).await;
    let accounts: Vec<String> = (0..subscribers).map(|i| format!("{:012}", 300_000_000_000u64 + i as u64)).collect();
    let app = Arc::new(App::start(url, &accounts).await);
    seed(backend, &app, &accounts, &sinks, seed_tasks).await;
    let dir = tempfile::tempdir().unwrap();
    let worker = webhook_worker(&app, dir.path());
    let before = worker.drain().await.unwrap(); // nothing should be due; clears anything that is
    let load = loadavg();

    let started = Instant::now();
    let (status, body) = app.post_refresh("2026-11-21", "fanout-1").await;
    let posted = started.elapsed();
    assert_eq!(status, 201, "{}", body);
    assert!(body.contains(&format!("\"notifications\":{subscribers}")), "{}", body);
    let drainer = {
        let worker = worker.clone();
        tokio::spawn(async move {
            let r = worker.drain().await.unwrap();
            (r, started.elapsed())
        })
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while sinks.iter().map(WebhookSink::count).sum::<usize>() < subscribers && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let (round, drained) = drainer.await.unwrap();
    let arrivals: Vec<Instant> = sinks.iter().flat_map(|s| s.requests()).map(|r| r.received_at).collect();
    let received = arrivals.len();
    let first = arrivals.iter().min().map(|t| t.duration_since(started));
    let last = arrivals.iter().max().map(|t| t.duration_since(started));
    let secs = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64());
    println!(
        "[{backend}] one refresh → {received}/{subscribers} signed webhook deliveries: POST answered in {:.1} ms, \
         first delivery at {:.3}s, last at {:.3}s; worker drained ({} done, {} retried, {} dead; {} before) at {:.3}s",
        posted.as_secs_f64() * 1000.0,
        secs(first),
        secs(last),
        round.done,
        round.retried,
        round.dead,
        before.done + before.dead,
        drained.as_secs_f64()
    );
    println!(
        "[{backend}] fan-out time (POST to last delivery received): {:.3}s (goal < 2 s: {}); load average {load} before",
        secs(last),
        if received == subscribers && secs(last) < 2.0 { "met" } else { "NOT met" }
    );
}

/// Gives each account a grant and one webhook subscription (to the sinks in
/// turn), through the service, from `tasks` concurrent tasks.
async fn seed(backend: &str, app: &Arc<App>, accounts: &[String], sinks: &[WebhookSink], tasks: usize) {
    let seeded = Instant::now();
    let urls: Vec<String> = (0..accounts.len()).map(|i| sinks[i % sinks.len()].url(&format!("/hook/{i}"))).collect();
    let mut set = tokio::task::JoinSet::new();
    for t in 0..tasks {
        let (app, accounts, urls) = (app.clone(), accounts.to_vec(), urls.clone());
        set.spawn(async move {
            for i in (t..accounts.len()).step_by(tasks) {
                app.grant_and_subscribe(&accounts[i], &[(Channel::Webhook, urls[i].clone())]).await;
            }
        });
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    println!(
        "[{backend}] seeded {} grants + webhook subscriptions in {:.1}s",
        accounts.len(),
        seeded.elapsed().as_secs_f64()
    );
}

/// The real outbox worker with its default settings, delivering webhooks over HTTP.
fn webhook_worker(app: &App, dir: &std::path::Path) -> Arc<OutboxWorker> {
    let webhooks = steward_notify::WebhookSettings { allow_private: true, ..Default::default() };
    let backends = EffectBackends {
        glue: None,
        shares: None,
        markers: steward_aws::Markers::local(dir.join("objects")),
        mailer: None,
        webhooks: steward_notify::WebhookSender::new(&webhooks).unwrap(),
        sns: None,
    };
    Arc::new(OutboxWorker::new(&app.service, backends, OutboxSettings::default(), Faults::default()))
}

/// One breaking version (2.0.0 drops a column) approved over `n` accounts
/// with a grant and a webhook subscription each: the approval (which
/// enqueues `n` notices in its publishing transaction), then the worker
/// until the last notice arrived.
async fn breaking_fanout(backend: &str, url: &str, n: usize, seed_tasks: usize) {
    println!("\n== one breaking change to {n} grants and webhook subscriptions on {backend} ==");
    let sinks: Vec<WebhookSink> = start_sinks(4).await;
    let accounts: Vec<String> = (0..n).map(|i| format!("{:012}", 400_000_000_000u64 + i as u64)).collect();
    let app = Arc::new(App::start(url, &accounts).await);
    seed(backend, &app, &accounts, &sinks, seed_tasks).await;
    let dir = tempfile::tempdir().unwrap();
    let worker = webhook_worker(&app, dir.path());
    worker.drain().await.unwrap();
    let already: usize = sinks.iter().map(WebhookSink::count).sum();
    let proposal =
        app.service.submit(&app.producer_p, &steward_testkit::sales_orders_without_quantity("2.0.0")).await.unwrap();
    let load = loadavg();

    let started = Instant::now();
    app.service.approve(&app.reviewer, proposal.id, None).await.unwrap();
    let approved = started.elapsed();
    let drainer = {
        let worker = worker.clone();
        tokio::spawn(async move { worker.drain().await.unwrap() })
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    let delivered = || sinks.iter().map(WebhookSink::count).sum::<usize>() - already;
    while delivered() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let last = started.elapsed();
    let round = drainer.await.unwrap();
    let notices = sinks
        .iter()
        .flat_map(|s| s.requests())
        .filter(|r| String::from_utf8_lossy(&r.body).contains("\"breaking_change\""))
        .count();
    println!(
        "[{backend}] approval (merge, publish, {n} notices enqueued in one transaction) answered in {:.3}s; \
         {notices}/{n} notices delivered, the last at {:.3}s; worker: {} done, {} retried, {} dead",
        approved.as_secs_f64(),
        last.as_secs_f64(),
        round.done,
        round.retried,
        round.dead
    );
    println!(
        "[{backend}] breaking-change fan-out (approval to last notice): {:.3}s (goal < 10 s: {}); load average {load} before",
        last.as_secs_f64(),
        if notices == n && last.as_secs_f64() < 10.0 { "met" } else { "NOT met" }
    );
}

async fn start_sinks(n: usize) -> Vec<WebhookSink> {
    let mut sinks = Vec::with_capacity(n);
    for _ in 0..n {
        sinks.push(WebhookSink::start().await);
    }
    sinks
}
