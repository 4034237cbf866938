//! `cargo bench -p steward-portal --bench render`
//!
//! Server-side rendering time of the two pages people open most, at catalog
//! scale: the discovery page (search, filters, paging) and a product page,
//! each from the service call to the finished HTML, on SQLite with 100,000
//! published products. Goal: p99 < 50 ms per page.
//!
//! Environment: STEWARD_BENCH_PRODUCTS (default 100000), STEWARD_BENCH_RENDERS
//! (default 500 per page kind).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use steward_catalog::auth::Role;
use steward_catalog::model::{CatalogTable, Column, Contact, Description, ProductDetail, Slo};
use steward_catalog::store::products::{self, Provenance};
use steward_portal::session::{Session, csrf_token};
use steward_portal::{discover, product};

const WORDS: [&str; 24] = [
    "orders",
    "revenue",
    "customer",
    "shipment",
    "invoice",
    "payment",
    "refund",
    "stock",
    "warehouse",
    "supplier",
    "campaign",
    "click",
    "session",
    "device",
    "region",
    "currency",
    "basket",
    "churn",
    "ledger",
    "account",
    "merchant",
    "rating",
    "delivery",
    "sensor",
];
const DOMAINS: usize = 40;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A xorshift generator: deterministic figures without another dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as usize
    }
    fn word(&mut self) -> &'static str {
        WORDS[self.next() % WORDS.len()]
    }
}

/// A product with two tables of eight columns, built directly as catalog rows.
fn detail(i: usize, rng: &mut Rng) -> ProductDetail {
    let domain = format!("d{}", i % DOMAINS);
    let product = format!("p{i}_{}", rng.word());
    let key = format!("{domain}.{product}");
    let classification = ["public", "internal", "confidential"][i % 3].to_owned();
    let tables = (0..2)
        .map(|t| {
            let columns = (0..8)
                .map(|c| Column {
                    name: format!("{}_{c}", rng.word()),
                    logical_type: ["string", "integer", "number", "date"][c % 4].to_owned(),
                    physical_type: Some("varchar(64)".to_owned()),
                    description: Some(format!("The {} of the {}.", rng.word(), rng.word())),
                    required: c < 2,
                    classification: Some("internal".to_owned()),
                    partition_position: (c == 7).then_some(1),
                    tags: vec![],
                })
                .collect();
            CatalogTable {
                database: format!("{domain}_{product}"),
                name: format!("{}_{t}", rng.word()),
                description: format!("{} by {}.", rng.word(), rng.word()),
                location: format!("s3://steward-{domain}/{product}/t{t}/"),
                format: "parquet".to_owned(),
                columns,
                partition_keys: vec![format!("dt_{t}")],
                parameters: BTreeMap::new(),
            }
        })
        .collect();
    ProductDetail {
        key: key.clone(),
        domain: domain.clone(),
        product: product.clone(),
        version: "1.0.0".to_owned(),
        status: "active".to_owned(),
        name: format!("{} {}", rng.word(), rng.word()),
        description: Description {
            purpose: format!("{} and {} data for {} teams.", rng.word(), rng.word(), rng.word()),
            usage: Some("Reporting.".to_owned()),
            limitations: None,
        },
        owner_team: format!("team_{}", i % 97),
        contacts: vec![Contact { channel: Some("t@example.com".into()), tool: Some("email".into()), url: None }],
        classification,
        tags: vec![rng.word().to_owned(), rng.word().to_owned()],
        slo: vec![Slo { schedule: "0 6 * * *".into(), timezone: "UTC".into(), grace_minutes: 30, table: None }],
        database: format!("{domain}_{product}"),
        tables,
    }
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
    let now = chrono::Utc::now();
    for chunk in (0..n).collect::<Vec<_>>().chunks(2000) {
        let mut tx = service.store.begin().await.unwrap();
        for &i in chunk {
            let p = detail(i, &mut rng);
            let from = Provenance { contract: "(generated)", commit: "0000000000", proposal_id: None, now };
            products::publish(&mut tx, service.store.dialect, &p, &from).await.unwrap();
            keys.push(p.key);
        }
        tx.commit().await.unwrap();
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
                domain: Some(format!("d{}", rng.next() % DOMAINS)),
                ..Default::default()
            },
            2 => discover::Params {
                classification: Some("confidential".into()),
                offset: Some((rng.next() % 40) as i64 * 20),
                ..Default::default()
            },
            _ => discover::Params { q: Some(keys[rng.next() % keys.len()].replace('.', " ")), ..Default::default() },
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
        let key = &keys[rng.next() % keys.len()];
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
