//! Times each validation stage on one contract: `cargo run --release -p steward-policies --example profile_stages -- FILE`.
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let n = 200;
    let t = Instant::now();
    for _ in 0..n {
        let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        std::hint::black_box(v);
    }
    println!("serde_yaml::Value {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        let v: serde_json::Value = serde_yaml::from_str(&text).unwrap();
        std::hint::black_box(v);
    }
    println!("serde_json::Value via serde_yaml {:?}", t.elapsed() / n);
    let doc = steward_schemas::Document::from_str(&text).unwrap();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(steward_schemas::schema_check::check_odcs(doc.value()));
    }
    println!("odcs {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(steward_schemas::schema_check::check_profile(doc.value()));
    }
    println!("profile {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(doc.contract().unwrap());
    }
    println!("typed {:?}", t.elapsed() / n);
    let policy = steward_policies::Policy::default();
    let c = doc.contract().unwrap();
    let t = Instant::now();
    for _ in 0..n {
        let mut ctx = steward_policies::rules::Ctx::new(&doc, &c, &policy);
        steward_policies::rules::run_all(&mut ctx);
        std::hint::black_box(ctx.findings);
    }
    println!("rules {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(steward_schemas::Document::from_str(&text).unwrap());
    }
    println!("Document::from_str {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(steward_policies::validate(text.as_bytes(), &policy, None));
    }
    println!("full {:?}", t.elapsed() / n);

    // Scaling: the same work on 1 and 2 threads.
    let stage = |name: &str, f: &(dyn Fn() + Sync)| {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        let one = t.elapsed();
        let t = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    for _ in 0..n {
                        f();
                    }
                });
            }
        });
        let two = t.elapsed();
        println!("{name}: 2-thread speed-up {:.2}x", 2.0 * one.as_secs_f64() / two.as_secs_f64());
    };
    stage("parse", &|| {
        std::hint::black_box(steward_schemas::Document::from_str(&text).unwrap());
    });
    stage("odcs", &|| {
        std::hint::black_box(steward_schemas::schema_check::check_odcs(doc.value()));
    });
    stage("typed", &|| {
        std::hint::black_box(doc.contract().unwrap());
    });
    stage("rules", &|| {
        let mut ctx = steward_policies::rules::Ctx::new(&doc, &c, &policy);
        steward_policies::rules::run_all(&mut ctx);
        std::hint::black_box(ctx.findings);
    });
    stage("full", &|| {
        std::hint::black_box(steward_policies::validate(text.as_bytes(), &policy, None));
    });
}
