//! `cargo bench -p steward-portal --bench render`
//!
//! Server-side rendering time of the two pages people open most, at catalog
//! scale: the discovery page (search, filters, paging) and a product page,
//! each from the service call to the finished HTML, on SQLite with 100,000
//! published products. Goal: p99 < 50 ms per page.
//!
//! Environment: STEWARD_BENCH_PRODUCTS (default 100000), STEWARD_BENCH_RENDERS
//! (default 500 per page kind).

use std::time::{Duration, Instant};

use steward_catalog::auth::Role;
use steward_catalog::model::{self, ProductDetail};
use steward_portal::session::{Session, csrf_token};
use steward_portal::{discover, product};
use steward_testkit::generate::{self, Rng, Shape};

/// Two tables of eight typed columns (two required, one partition key), a
/// product classification cycling public / internal / confidential.
const SHAPE: Shape = Shape { columns: 8, detailed: true };

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Generated product `i` as the catalog holds it once published.
fn detail(i: usize, rng: &mut Rng) -> ProductDetail {
    let generated = generate::contract(i, rng, SHAPE);
    let (_, contract) = steward_schemas::parse_contract(&generated.yaml).expect("generated contract parses");
    let key = steward_schemas::ProductKey::parse(&generated.key).unwrap();
    model::build(&key, &contract, "internal")
}

fn main() {
    let n = env_or("STEWARD_BENCH_PRODUCTS", 100_000);
    let renders = env_or("STEWARD_BENCH_RENDERS", 500);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(run(n, renders));
}

async fn run(n: usize, renders: usize) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = steward_catalog::config::Config::load(None).unwrap();
    config.data_dir = dir.path().to_owned();
    config.database_url = None;
    let service = steward_catalog::server::open(&config).await.unwrap();

    let started = Instant::now();
    let mut rng = Rng(0x5eed);
    let mut keys = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(2000) {
        let products: Vec<ProductDetail> = chunk.iter().map(|&i| detail(i, &mut rng)).collect();
        steward_catalog::testing::publish_generated(&service, &products).await.unwrap();
        keys.extend(products.into_iter().map(|p| p.key));
    }
    println!("[sqlite] {n} products published in {:.1}s", started.elapsed().as_secs_f64());

    service.bootstrap_admin(dir.path()).await.unwrap();
    let root = service
        .authenticate(std::fs::read_to_string(dir.path().join("admin.token")).unwrap().trim())
        .await
        .unwrap()
        .unwrap();
    let token = service.create_token(&root, "rita", None, Role::Reviewer, vec![]).await.unwrap().token;
    let session = Session { who: service.authenticate(&token).await.unwrap().unwrap(), csrf: csrf_token(&token) };

    let mut discovery = Vec::with_capacity(renders);
    let mut bytes = 0usize;
    for i in 0..renders {
        let p = match i % 4 {
            0 => discover::Params { q: Some(rng.word().to_owned()), ..Default::default() },
            1 => discover::Params {
                q: Some(format!("{} {}", rng.word(), rng.word())),
                domain: vec![generate::domain(rng.draw())],
                ..Default::default()
            },
            2 => discover::Params {
                classification: Some("confidential".into()),
                offset: Some((rng.draw() % 40) as i64 * 20),
                ..Default::default()
            },
            _ => discover::Params { q: Some(keys[rng.draw() % keys.len()].replace('.', " ")), ..Default::default() },
        };
        let t = Instant::now();
        let html = discover::render(&service, &session, &p).await.unwrap();
        discovery.push(t.elapsed());
        bytes += html.0.len();
    }
    let discovery_bytes = bytes / renders;

    let mut pages = Vec::with_capacity(renders);
    bytes = 0;
    for _ in 0..renders {
        let key = &keys[rng.draw() % keys.len()];
        let t = Instant::now();
        let html = product::render(&service, &session, key, &product::DiffParams::default()).await.unwrap();
        pages.push(t.elapsed());
        bytes += html.0.len();
    }
    let product_bytes = bytes / renders;

    println!("{:<18} {:>8} {:>8} {:>8} {:>10}   goal", "page", "p50 ms", "p99 ms", "max ms", "avg bytes");
    report("discovery", &mut discovery, discovery_bytes);
    report("product", &mut pages, product_bytes);
}

fn report(name: &str, v: &mut [Duration], bytes: usize) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |p: f64| ms(v[((v.len() as f64 * p) as usize).min(v.len() - 1)]);
    let p99 = at(0.99);
    let verdict = if p99 < 50.0 { "p99 < 50 ms: met" } else { "p99 < 50 ms: MISSED" };
    println!("{name:<18} {:>8.2} {:>8.2} {:>8.2} {bytes:>10}   {verdict}", at(0.5), p99, ms(v[v.len() - 1]));
}
