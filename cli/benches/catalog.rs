//! `cargo bench -p steward-cli --bench catalog`
//!
//! Catalog figures at scale (goals in docs/performance.md):
//!  * search latency p50/p99 at 100,000 products, on SQLite and PostgreSQL
//!    (goal p99 < 20 ms), through the real router;
//!  * `steward serve` RSS with that catalog after a burst of searches (goal < 100 MiB);
//!  * proposals processed per second end to end (submit + approve, with git).
//!
//! Environment: STEWARD_BENCH_PRODUCTS (default 100000), STEWARD_BENCH_QUERIES
//! (default 2000), STEWARD_BENCH_BACKENDS (default `sqlite,postgres`; the RSS
//! and proposal figures run with `sqlite`), DATABASE_URL (PostgreSQL server;
//! skipped if unreachable), STEWARD_BENCH_PG_DATABASE (an existing database to
//! search instead of a fresh one; loaded only if it has no products, kept
//! afterwards, for repeated runs), STEWARD_BENCH_DATA_DIR (the same for the
//! SQLite data dir), STEWARD_BENCH_SEARCH_ONLY=1 (skip the RSS and proposal
//! figures), STEWARD_BENCH_PG_ANALYZE=0 (search the
//! freshly loaded table without `VACUUM ANALYZE`, as before autovacuum's
//! first visit), STEWARD_BENCH_WARMUP (queries of the same mix asked first,
//! untimed; default 0). After the figures, each kind's slowest 1% is asked
//! again, to tell a slow query from a stall of the machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use steward_catalog::api::{self, AppState};
use steward_catalog::auth::Role;
use steward_catalog::model::{self, ProductDetail};
use steward_catalog::service::{Service, ServiceBuilder};
use steward_testkit::generate::{self, Rng, Shape};
use tower::ServiceExt;

/// The products searched: two tables of six plain columns (docs/performance.md).
const SHAPE: Shape = Shape { columns: 6, detailed: false };

fn main() {
    let n: usize = env_or("STEWARD_BENCH_PRODUCTS", 100_000);
    let queries: usize = env_or("STEWARD_BENCH_QUERIES", 2_000);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // STEWARD_BENCH_DATA_DIR keeps the SQLite catalog between runs (loaded once).
    let data = std::env::var_os("STEWARD_BENCH_DATA_DIR").map_or_else(|| dir.path().join("data"), Into::into);
    std::fs::create_dir_all(&data).unwrap();

    println!("products: {n}, queries per backend: {queries}");
    let backends = std::env::var("STEWARD_BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    if backends.contains("sqlite") {
        let sqlite = format!("sqlite://{}", data.join("steward.db").display());
        runtime.block_on(search_bench("sqlite", &sqlite, n, queries, &data));
    }
    if backends.contains("postgres") {
        // A database the bench made is dropped at the end; a named one is kept for reuse.
        let made = match std::env::var("STEWARD_BENCH_PG_DATABASE") {
            Ok(_) => None,
            Err(_) => runtime.block_on(steward_testkit::postgres()),
        };
        let pg = match std::env::var("STEWARD_BENCH_PG_DATABASE") {
            Ok(name) => Some(pg_database(&runtime, &name)),
            Err(_) => made.as_ref().map(|db| db.url().to_owned()),
        };
        if let Some(pg) = pg {
            let pg_dir = tempfile::tempdir().unwrap();
            runtime.block_on(search_bench("postgres", &pg, n, queries, pg_dir.path()));
        }
    }
    // STEWARD_BENCH_SEARCH_ONLY=1: the search figures alone (no server RSS, no proposals).
    if backends.contains("sqlite") && std::env::var("STEWARD_BENCH_SEARCH_ONLY").map_or(true, |v| v != "1") {
        rss_bench(&data, queries.min(500));
        runtime.block_on(proposals_bench(dir.path()));
    }
}

/// The URL of database `name` on the test server, created if missing.
fn pg_database(runtime: &tokio::runtime::Runtime, name: &str) -> String {
    assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "STEWARD_BENCH_PG_DATABASE: plain name");
    let admin = steward_testkit::postgres_admin_url();
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.unwrap();
        let exists = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(&mut conn)
            .await
            .unwrap()
            .is_some();
        if !exists {
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await.unwrap();
        }
    });
    format!("{}/{name}", admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b))
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn product(i: usize, rng: &mut Rng) -> ProductDetail {
    let generated = generate::contract(i, rng, SHAPE);
    let (_, contract) = steward_schemas::parse_contract(&generated.yaml).expect("generated contract parses");
    let key = steward_schemas::ProductKey::parse(&generated.key).unwrap();
    model::build(&key, &contract, "internal")
}

/// Publishes `n` generated products straight into the catalog (no review),
/// 1,000 per transaction.
async fn populate(service: &Service, n: usize) -> Duration {
    let started = Instant::now();
    let mut rng = Rng(42);
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let products: Vec<ProductDetail> = chunk.iter().map(|&i| product(i, &mut rng)).collect();
        steward_catalog::testing::publish_generated(service, &products).await.unwrap();
    }
    started.elapsed()
}

/// The bench's own connection to the service's database, for the SQL the
/// service does not offer (counting rows, `VACUUM ANALYZE`, clearing tokens).
async fn connect(url: &str) -> sqlx::AnyConnection {
    sqlx::any::install_default_drivers();
    <sqlx::AnyConnection as sqlx::Connection>::connect(url).await.unwrap()
}

async fn search_bench(backend: &str, url: &str, n: usize, queries: usize, token_dir: &std::path::Path) {
    // The registry is not read by searches; the service needs one.
    let dir = tempfile::tempdir().unwrap();
    let service = ServiceBuilder::new(url, dir.path().join("r.git")).build().await.unwrap();
    let mut conn = connect(url).await;
    let loaded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products").fetch_one(&mut conn).await.unwrap();
    if loaded == 0 {
        let took = populate(&service, n).await;
        println!(
            "\n[{backend}] published {n} products in {:.1}s ({:.0}/s)",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
    } else {
        println!("\n[{backend}] searching the {loaded} products already loaded");
    }
    // A reused database already has its admin; it gets a fresh one. The
    // searches are a consumer's, whose account holds a grant on every tenth
    // product, so each page also reads that account's grants ("you have access").
    // Set up before the statistics are taken: without them (a server whose
    // autovacuum has not yet seen the 10,000 grants) the planner read all of
    // the account's grants for a page's marks, 4 to 14 ms a query.
    sqlx::query("DELETE FROM tokens").execute(&mut conn).await.unwrap();
    sqlx::query("DELETE FROM grants WHERE granted_by = 'bench'").execute(&mut conn).await.unwrap();
    sqlx::query(
        "INSERT INTO grants (product_key, account, status, granted_by, granted_at)
         SELECT product_key, '123456789012', 'active', 'bench', '2026-11-01T00:00:00.000000Z' FROM products
         WHERE product_key LIKE '%0'",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    if url.starts_with("postgres") && std::env::var("STEWARD_BENCH_PG_ANALYZE").map_or(true, |v| v != "0") {
        // What autovacuum does shortly after a bulk load on a production server
        // (the test server here runs with autovacuum off).
        let t = Instant::now();
        sqlx::query("VACUUM ANALYZE").execute(&mut conn).await.unwrap();
        println!("[{backend}] VACUUM ANALYZE in {:.1}s", t.elapsed().as_secs_f64());
    }
    drop(conn);
    service.bootstrap_admin(token_dir).await.unwrap();
    let admin = std::fs::read_to_string(token_dir.join("admin.token")).unwrap().trim().to_owned();
    let root = service.authenticate(&admin).await.unwrap().unwrap();
    let token = service
        .create_token(&root, "bench-consumer", None, Role::Consumer, vec!["123456789012".into()])
        .await
        .unwrap()
        .token;
    let router = api::router(AppState { service, metrics: Arc::new(api::ops::Metrics::default()) });

    let mut rng = Rng(7);
    let mut slow_shown = 0;
    let mut kinds: Vec<(&str, Vec<(Duration, String)>)> = vec![
        ("one word", vec![]),
        ("two words", vec![]),
        ("word + domain filter", vec![]),
        ("column name", vec![]),
        ("product name", vec![]),
        ("product key", vec![]),
        ("plural / singular", vec![]),
        ("word + tag (any case)", vec![]),
        ("word + two domains", vec![]),
    ];
    // STEWARD_BENCH_WARMUP: queries of the same mix (other words) asked
    // first, untimed, so the pages a search reads are in memory as on a
    // server that has been answering; 0 (the default) measures from the
    // cache as the load and the machine left it.
    let warmup: usize = env_or("STEWARD_BENCH_WARMUP", 0);
    if warmup > 0 {
        let mut rng = Rng(11);
        let t = Instant::now();
        for q in 0..warmup {
            timed_get(&router, &search_uri(q, &mut rng, n), &token).await;
        }
        println!("[{backend}] warm-up: {warmup} queries in {:.1}s, untimed", t.elapsed().as_secs_f64());
    }
    for q in 0..queries {
        let kind = q % kinds.len();
        let uri = search_uri(q, &mut rng, n);
        let took = timed_get(&router, &uri, &token).await;
        // A query far off the goal is named, so a pathological kind shows itself.
        if took > SLOW && slow_shown < 20 {
            slow_shown += 1;
            println!("[{backend}] slow: {uri} took {:.0} ms", took.as_secs_f64() * 1000.0);
        }
        kinds[kind].1.push((took, uri));
    }
    let mut all: Vec<Duration> = kinds.iter().flat_map(|(_, v)| v.iter().map(|(d, _)| *d)).collect();
    println!("{:<24} {:>8} {:>8} {:>8}", "query", "p50 ms", "p99 ms", "max ms");
    for (name, v) in &mut kinds {
        let mut times: Vec<Duration> = v.iter().map(|(d, _)| *d).collect();
        print_pct(name, &mut times);
    }
    print_pct("all", &mut all);
    // Whether a kind's tail is its queries or the machine: its slowest 1%
    // asked again, five times each. A query that is slow again is a cost
    // to find; one that is fast again met a stall (other work, the VM).
    println!("[{backend}] each kind's slowest 1% asked again (first time -> median of 5 more, ms):");
    for (name, v) in &mut kinds {
        v.sort_by_key(|(took, _)| std::cmp::Reverse(*took));
        let mut line = Vec::new();
        for (first, uri) in v.iter().take((v.len() / 100).max(1)) {
            let mut again = Vec::new();
            for _ in 0..5 {
                again.push(timed_get(&router, uri, &token).await);
            }
            again.sort();
            let q = uri.trim_start_matches("/api/v1/products?");
            line.push(format!("{q} {:.1} -> {:.1}", ms(*first), ms(again[2])));
        }
        println!("  {name:<24} {}", line.join("; "));
    }
}

/// The `q`-th query of the mix: kind `q` mod 9, in the order of the kinds' names.
fn search_uri(q: usize, rng: &mut Rng, n: usize) -> String {
    match q % 9 {
        0 => format!("/api/v1/products?q={}", rng.word()),
        1 => format!("/api/v1/products?q={}+{}", rng.word(), rng.word()),
        2 => format!("/api/v1/products?q={}&domain={}", rng.word(), generate::domain(rng.draw())),
        3 => format!("/api/v1/products?q={}_{}", rng.word(), rng.pick(&["id", "amount", "code"])),
        4 => format!("/api/v1/products?q={}", generate::product(rng.draw() % n)),
        5 => {
            let i = rng.draw() % n;
            format!("/api/v1/products?q={}.{}", generate::domain(i), generate::product(i))
        }
        // The vocabulary is singular but for `orders`: ask for the other number.
        6 => match rng.word() {
            "orders" => "/api/v1/products?q=order".to_owned(),
            w => format!("/api/v1/products?q={w}s"),
        },
        7 => {
            let tag = rng.word();
            format!("/api/v1/products?q={}&tag={}{}", rng.word(), tag[..1].to_uppercase(), &tag[1..])
        }
        _ => format!(
            "/api/v1/products?q={}&domain={},{}",
            rng.word(),
            generate::domain(rng.draw()),
            generate::domain(rng.draw())
        ),
    }
}

/// One search through the router, read to the end, timed.
async fn timed_get(router: &axum::Router, uri: &str, token: &str) -> Duration {
    let req = Request::get(uri).header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
    let t = Instant::now();
    let resp = router.clone().oneshot(req).await.unwrap();
    assert!(resp.status().is_success(), "{uri}: {}", resp.status());
    let _ = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    t.elapsed()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Queries slower than this are printed with their URI (up to 20 per backend).
const SLOW: Duration = Duration::from_millis(100);

fn print_pct(name: &str, v: &mut [Duration]) {
    v.sort();
    let at = |p: f64| ms(v[((v.len() as f64 * p) as usize).min(v.len() - 1)]);
    println!("{name:<24} {:>8.2} {:>8.2} {:>8.2}", at(0.50), at(0.99), ms(v[v.len() - 1]));
}

/// Starts the real server on the SQLite catalog and reads its memory after
/// searches: once without the SLO monitor, once with it (after its first two
/// passes over every product, the first of which reads every contract).
fn rss_bench(data: &std::path::Path, queries: usize) {
    for monitor in [false, true] {
        let (rss, peak, passes) = serve_rss(data, queries, monitor);
        println!(
            "\n`steward serve` on the SQLite catalog, SLO monitor {}, after {queries} searches{passes}: RSS {rss:.1} MiB, peak {peak:.1} MiB (goal < 100 MiB)",
            if monitor { "on" } else { "off" },
        );
    }
}

/// RSS and peak RSS (MiB) of one server run, and a note on the monitor's passes.
fn serve_rss(data: &std::path::Path, queries: usize, monitor: bool) -> (f64, f64, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_steward"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .env("STEWARD_LOG", "warn")
        .env("STEWARD__SLO__ENABLED", monitor.to_string())
        .env("STEWARD__SLO__INTERVAL_SECS", "2")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(rest) = line.strip_prefix("steward: serving on ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let token = std::fs::read_to_string(data.join("admin.token")).unwrap().trim().to_owned();
    let client = reqwest::Client::new();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut rng = Rng(9);
    let passes = rt.block_on(async {
        for _ in 0..queries {
            let q = rng.word();
            let r = client.get(format!("{url}/api/v1/products?q={q}")).bearer_auth(&token).send().await.unwrap();
            assert!(r.status().is_success());
            let _ = r.bytes().await.unwrap();
        }
        if !monitor {
            return String::new();
        }
        let started = Instant::now();
        loop {
            let metrics = client.get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
            let value = |name: &str| -> f64 {
                metrics.lines().find_map(|l| l.strip_prefix(name)?.trim().parse().ok()).unwrap_or(0.0)
            };
            let passes = value("steward_slo_evaluation_seconds_count ");
            if passes >= 2.0 {
                let last = value("steward_slo_last_evaluation_seconds ");
                let sum = value("steward_slo_evaluation_seconds_sum ");
                return format!(
                    " and {passes} monitor passes (the first, over every product, {:.1} s; the last {:.1} ms)",
                    sum - last,
                    last * 1000.0
                );
            }
            assert!(started.elapsed() < Duration::from_secs(600), "the SLO monitor did not finish two passes");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap_or_default();
    let field = |k: &str| {
        status
            .lines()
            .find(|l| l.starts_with(k))
            .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
            .unwrap_or_default()
    };
    let rss_kib: f64 = field("VmRSS:").parse().unwrap_or(0.0);
    let hwm_kib: f64 = field("VmHWM:").parse().unwrap_or(0.0);
    let _ = child.kill();
    let _ = child.wait();
    (rss_kib / 1024.0, hwm_kib / 1024.0, passes)
}

/// Submit + approve through the router, with real git commits, on SQLite.
async fn proposals_bench(dir: &std::path::Path) {
    let base = dir.join("proposals");
    std::fs::create_dir_all(&base).unwrap();
    let service =
        ServiceBuilder::new(format!("sqlite://{}", base.join("steward.db").display()), base.join("registry.git"))
            .build()
            .await
            .unwrap();
    service.bootstrap_admin(&base).await.unwrap();
    let admin =
        service.authenticate(std::fs::read_to_string(base.join("admin.token")).unwrap().trim()).await.unwrap().unwrap();
    let producer = service
        .create_token(&admin, "p", None, steward_catalog::auth::Role::Producer, vec!["sales".into()])
        .await
        .unwrap();
    let producer = service.authenticate(&producer.token).await.unwrap().unwrap();
    let reviewer =
        service.create_token(&admin, "r", None, steward_catalog::auth::Role::Reviewer, vec![]).await.unwrap();
    let reviewer = service.authenticate(&reviewer.token).await.unwrap().unwrap();
    let base_yaml = steward_testkit::sales_orders();
    let count = 200;
    let started = Instant::now();
    for i in 0..count {
        let yaml = base_yaml
            .replace("dataProduct: orders", &format!("dataProduct: orders_{i}"))
            .replace("s3://steward-sales/orders/", &format!("s3://steward-sales/orders_{i}/"));
        let p = service.submit(&producer, &yaml).await.unwrap();
        service.approve(&reviewer, p.id, None).await.unwrap();
    }
    let took = started.elapsed();
    println!(
        "\nproposals end to end (validate, git branch, merge, catalog, audit) on SQLite: {count} in {:.2}s = {:.0}/s",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64()
    );
}
