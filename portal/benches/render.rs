//! `STEWARD_BENCH_PRODUCTS=100000 cargo bench -p steward-portal --bench render`
//!
//! Server-side rendering time of every portal page that reads the catalog at
//! scale, each through its axum handler (extractors given directly) from the
//! service calls to the finished HTML, on SQLite with 100,000 published
//! products (plus a published `sales.orders` with a pending breaking change
//! and a consumer's grant, pending request and subscription on it, 60 new
//! product proposals, a consumer with 150 requests (100 granted, 50
//! subscriptions), and 300 pending access requests). Goal: p99 < 50 ms per page.
//!
//! Pages: discovery (mixed queries), product (as a reviewer; as the consumer,
//! with "Your access", "How to use it" and the breaking-change notice),
//! proposal (the breaking one: diff, findings, who it affects; a new
//! product's preview), My access, My products (a producer of one domain,
//! paged), My proposals, and the proposal, access and grant queues, each paged
//! to a random page of its list.
//!
//! Environment: STEWARD_BENCH_PRODUCTS (default 100000), STEWARD_BENCH_RENDERS
//! (default 300 per page kind).

use std::time::{Duration, Instant};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use steward_catalog::auth::Role;
use steward_catalog::model::{self, ProductDetail};
use steward_catalog::service::access::AccessRequestInput;
use steward_portal::review::queue::QueueParams;
use steward_portal::session::{Session, csrf_token};
use steward_portal::{access, consumer, discover, producer, product, review};
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
    let renders = env_or("STEWARD_BENCH_RENDERS", 300);
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
    let admin = std::fs::read_to_string(dir.path().join("admin.token")).unwrap().trim().to_owned();
    let root = service.authenticate(&admin).await.unwrap().unwrap();
    let login = async |name: &str, role: Role, scopes: Vec<String>| {
        let token = service.create_token(&root, name, None, role, scopes).await.unwrap().token;
        Session { who: service.authenticate(&token).await.unwrap().unwrap(), csrf: csrf_token(&token) }
    };
    let session = login("rita", Role::Reviewer, vec![]).await;
    let carla = login("carla", Role::Consumer, vec!["123456789012".into()]).await;
    let paul = login("paul", Role::Producer, vec![generate::domain(0)]).await;

    // The new panels' data: a real product with a pending breaking change...
    let started = Instant::now();
    let orders = service.submit(&root.clone(), &steward_testkit::sales_orders()).await.unwrap().id;
    service.approve(&session.who, orders, Some("ok")).await.unwrap();
    let breaking = service.submit(&root, &steward_testkit::sales_orders_without_quantity("2.0.0")).await.unwrap().id;
    // ... 60 new products' proposals, in domain_0 (the producer's) and others ...
    let mut new_products = Vec::new();
    for j in 0..60 {
        let i = n + j * (generate::DOMAINS / 2);
        let g = generate::contract(i, &mut rng, SHAPE);
        new_products.push(service.submit(&root, &g.yaml).await.unwrap().id);
    }
    // ... the consumer's 150 requests (100 granted), 50 subscriptions, one on sales.orders ...
    let ask = |account: &str, why: String| AccessRequestInput {
        account: account.to_owned(),
        justification: why,
        duration_days: Some(90),
    };
    let mut consumer_keys = vec!["sales.orders".to_owned()];
    consumer_keys.extend((0..149).map(|_| keys[rng.draw() % keys.len()].clone()));
    consumer_keys.sort();
    consumer_keys.dedup();
    for (j, key) in consumer_keys.iter().enumerate() {
        let r = service.request_access(&carla.who, key, &ask("123456789012", format!("Model {j}"))).await.unwrap();
        if j % 3 != 2 {
            service.approve_access(&session.who, r.id, None).await.unwrap();
        }
        if j % 3 == 0 {
            let sub = steward_catalog::service::subscriptions::SubscriptionInput {
                account: "123456789012".into(),
                channel: steward_api::subscriptions::Channel::Email,
                target: "carla@example.com".into(),
            };
            service.subscribe(&carla.who, key, &sub).await.unwrap();
        }
    }
    // ... and 300 pending requests from other accounts (a third on domain_0's products).
    for j in 0..300usize {
        let key = if j % 3 == 0 {
            &keys[(rng.draw() % (n / generate::DOMAINS).max(1)) * generate::DOMAINS % n]
        } else {
            &keys[rng.draw() % keys.len()]
        };
        let account = format!("{:012}", 100_000_000_000usize + j);
        service.request_access(&root, key, &ask(&account, format!("Dashboards, request {j}"))).await.unwrap();
    }
    println!("[sqlite] panels' data seeded in {:.1}s", started.elapsed().as_secs_f64());

    let mut results: Vec<(&str, Vec<Duration>, usize)> = Vec::new();

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
    results.push(("discovery", discovery, bytes / renders));

    let mut pages = Vec::with_capacity(renders);
    bytes = 0;
    for _ in 0..renders {
        let key = &keys[rng.draw() % keys.len()];
        let t = Instant::now();
        let html = product::render(&service, &session, key, &product::DiffParams::default()).await.unwrap();
        pages.push(t.elapsed());
        bytes += html.0.len();
    }
    results.push(("product", pages, bytes / renders));

    let svc = &service;
    let state = || State(svc.clone());
    let d = product::DiffParams::default;
    results.push(
        time(renders, async |i| {
            // Her products, sales.orders (notice, grant, subscription) every 4th time.
            let key = if i % 4 == 0 { "sales.orders" } else { consumer_keys[i % consumer_keys.len()].as_str() };
            product::render(svc, &carla, key, &d()).await.into_response()
        })
        .await
        .named("product (consumer)"),
    );
    results.push(
        time(renders, async |_| {
            review::page(state(), session.clone(), Path(breaking), Query(Default::default())).await
        })
        .await
        .named("proposal (breaking)"),
    );
    results.push(
        time(renders, async |i| {
            let id = new_products[i % new_products.len()];
            review::page(state(), session.clone(), Path(id), Query(Default::default())).await
        })
        .await
        .named("proposal (new)"),
    );
    results.push(
        time(renders, async |_| consumer::my::page(state(), carla.clone(), Query(Default::default())).await)
            .await
            .named("My access"),
    );
    let per_domain = (n / generate::DOMAINS) as i64;
    results.push(
        time(renders, async |i| {
            let offset = Some((i as i64 * 25) % per_domain.max(1));
            producer::products(state(), paul.clone(), Query(producer::ProductsParams { offset })).await
        })
        .await
        .named("My products"),
    );
    results.push(
        time(renders, async |_| producer::proposals(state(), paul.clone(), Query(Default::default())).await)
            .await
            .named("My proposals"),
    );
    let queue = |i: usize, pages: i64, status: &str| QueueParams {
        status: Some(status.to_owned()),
        page: Some(i as i64 % pages + 1),
        order: (i % 2 == 1).then(|| "newest".to_owned()),
        ..Default::default()
    };
    results.push(
        time(renders, async |i| {
            review::queue(state(), session.clone(), Query(queue(i, 2, "pending_review"))).await.into_response()
        })
        .await
        .named("proposal queue"),
    );
    results.push(
        time(renders, async |i| access::requests(state(), session.clone(), Query(queue(i, 7, "pending"))).await)
            .await
            .named("access queue"),
    );
    results.push(
        time(renders, async |i| access::grants(state(), session.clone(), Query(queue(i, 3, "active"))).await)
            .await
            .named("grant queue"),
    );

    println!("{:<20} {:>8} {:>8} {:>8} {:>10}   goal", "page", "p50 ms", "p99 ms", "max ms", "avg bytes");
    for (name, mut v, bytes) in results {
        report(name, &mut v, bytes);
    }
}

trait Named {
    fn named(self, name: &'static str) -> (&'static str, Vec<Duration>, usize);
}

impl Named for (Vec<Duration>, usize) {
    fn named(self, name: &'static str) -> (&'static str, Vec<Duration>, usize) {
        (name, self.0, self.1)
    }
}

/// Times `renders` calls of a page handler; every answer must be a 200.
/// Returns the times and the average page size.
async fn time(renders: usize, mut page: impl AsyncFnMut(usize) -> Response) -> (Vec<Duration>, usize) {
    let mut times = Vec::with_capacity(renders);
    let mut bytes = 0;
    for i in 0..renders {
        let t = Instant::now();
        let resp = page(i).await;
        let status = resp.status();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
        times.push(t.elapsed());
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        bytes += body.len();
    }
    (times, bytes / renders)
}

fn report(name: &str, v: &mut [Duration], bytes: usize) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |p: f64| ms(v[((v.len() as f64 * p) as usize).min(v.len() - 1)]);
    let p99 = at(0.99);
    let verdict = if p99 < 50.0 { "p99 < 50 ms: met" } else { "p99 < 50 ms: MISSED" };
    println!("{name:<20} {:>8.2} {:>8.2} {:>8.2} {bytes:>10}   {verdict}", at(0.5), p99, ms(v[v.len() - 1]));
}
