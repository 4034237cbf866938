//! `cargo bench -p steward-cli --bench validate`
//!
//! Validates generated contracts (10 tables x 30 columns each) and prints
//! contracts/s and MB/s beside, in the same run:
//!  (a) bare serde_yaml parsing of the same bytes: the floor any validator pays;
//!  (b) `datacontract lint` on a sample of the same files, run as its users run it.
//!
//! Goals (docs/performance.md): validation >= 0.5x the bare parse; the
//! `steward validate` command >= 1,000x `datacontract lint` in files/s.
//!
//! Environment: STEWARD_BENCH_CONTRACTS (default 10000), STEWARD_BENCH_DC_SAMPLE
//! (default 5), DATACONTRACT_BIN (default: `datacontract` from
//! /var/tmp/datacontract-venv, then PATH; see scripts/bench-datacontract.sh).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use steward_policies::{Policy, validate};

const TABLES: usize = 10;
const COLUMNS: usize = 30;

fn main() {
    let n: usize = env_or("STEWARD_BENCH_CONTRACTS", 10_000);
    let sample: usize = env_or("STEWARD_BENCH_DC_SAMPLE", 5);
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    let files: Vec<(PathBuf, Vec<u8>)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let text = generate(i);
            let path = dir.path().join(format!("c{i:05}.odcs.yaml"));
            std::fs::write(&path, &text).expect("write contract");
            (path, text.into_bytes())
        })
        .collect();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let mb = bytes as f64 / 1e6;
    println!(
        "generated {n} contracts ({TABLES} tables x {COLUMNS} columns), {mb:.1} MB, in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    println!("threads: {}", rayon::current_num_threads());

    let policy = Policy::default();
    // Sanity: the generated contracts are valid, so the timing covers a full validation.
    let report = validate(&files[0].1, &policy, None);
    assert!(report.findings.is_empty(), "generated contract has findings: {:?}", report.findings);

    let rows = [
        ("serde_yaml parse (1 thread)", time(|| files.iter().for_each(|(_, b)| bare_parse(b)))),
        ("steward validate library (1 thread)", time(|| files.iter().for_each(|(_, b)| check(b, &policy)))),
        ("serde_yaml parse (all threads)", time(|| files.par_iter().for_each(|(_, b)| bare_parse(b)))),
        ("steward validate library (all threads)", time(|| files.par_iter().for_each(|(_, b)| check(b, &policy)))),
    ];
    println!("\n{:<42} {:>10} {:>12} {:>9}", "what", "seconds", "contracts/s", "MB/s");
    for (what, d) in &rows {
        print_row(what, *d, n, mb);
    }
    let ratio_1 = rows[0].1.as_secs_f64() / rows[1].1.as_secs_f64();
    let ratio_n = rows[2].1.as_secs_f64() / rows[3].1.as_secs_f64();
    println!(
        "\nvalidation / bare parse throughput: {ratio_1:.2}x (1 thread), {ratio_n:.2}x (all threads); goal >= 0.5x"
    );

    // The command as producers and CI run it: process start, file I/O, output.
    let cli = time(|| {
        let out = Command::new(env!("CARGO_BIN_EXE_steward"))
            .args(["validate", "--format", "json"])
            .arg(dir.path())
            .output()
            .expect("run steward");
        assert_eq!(out.status.code(), Some(0), "steward validate failed");
    });
    print_row("`steward validate DIR` (command)", cli, n, mb);
    let steward_fps = n as f64 / cli.as_secs_f64();

    match datacontract_bin() {
        None => println!(
            "\ndatacontract: not found; run scripts/bench-datacontract.sh (or set DATACONTRACT_BIN) for the comparison"
        ),
        Some(bin) => {
            let picked: Vec<&Path> = files.iter().take(sample).map(|(p, _)| p.as_path()).collect();
            let mut failures = 0;
            let d = time(|| {
                for p in &picked {
                    let out = Command::new(&bin).arg("lint").arg(p).output().expect("run datacontract");
                    if !out.status.success() {
                        failures += 1;
                    }
                }
            });
            let sample_mb =
                picked.iter().map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).sum::<u64>() as f64 / 1e6;
            print_row(&format!("`datacontract lint FILE` ({} files)", picked.len()), d, picked.len(), sample_mb);
            let dc_fps = picked.len() as f64 / d.as_secs_f64();
            println!(
                "\nsteward validate / datacontract lint: {:.0}x files/s (goal >= 1000x); datacontract reported problems in {failures} of {} files",
                steward_fps / dc_fps,
                picked.len()
            );
        }
    }
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn print_row(what: &str, d: Duration, n: usize, mb: f64) {
    let s = d.as_secs_f64();
    println!("{what:<42} {s:>10.3} {:>12.0} {:>9.1}", n as f64 / s, mb / s);
}

fn bare_parse(bytes: &[u8]) {
    let v: serde_yaml::Value = serde_yaml::from_slice(bytes).expect("valid YAML");
    std::hint::black_box(v);
}

fn check(bytes: &[u8], policy: &Policy) {
    let r = validate(bytes, policy, None);
    assert!(r.is_ok());
    std::hint::black_box(r);
}

fn datacontract_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("DATACONTRACT_BIN") {
        return Some(PathBuf::from(p));
    }
    let venv = PathBuf::from("/var/tmp/datacontract-venv/bin/datacontract");
    if venv.exists() {
        return Some(venv);
    }
    Command::new("datacontract")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("datacontract"))
}

const TYPES: [(&str, &str); 6] = [
    ("string", "varchar(64)"),
    ("integer", "bigint"),
    ("number", "decimal(12,2)"),
    ("date", "date"),
    ("timestamp", "timestamp"),
    ("boolean", "boolean"),
];

/// A valid contract, different for every `i`.
fn generate(i: usize) -> String {
    let domain = format!("domain_{}", i % 50);
    let mut s = format!(
        "apiVersion: v3.1.0\nkind: DataContract\nid: bench-{i}\nversion: 1.{}.0\nstatus: active\ndomain: {domain}\ndataProduct: product_{i}\n\
         description:\n  purpose: Generated product {i} for the validation benchmark.\n  usage: Benchmarks only.\n\
         tags: [bench, generated]\nteam:\n  name: team-{}\nsupport:\n  - channel: team-{}@example.com\n    tool: email\n\
         servers:\n  - server: prod\n    type: s3\n    location: s3://steward-{}/product_{i}/\n    format: parquet\nschema:\n",
        i % 7,
        i % 50,
        i % 50,
        domain.replace('_', "-"),
    );
    for t in 0..TABLES {
        s.push_str(&format!(
            "  - name: table_{t}\n    physicalType: table\n    description: Table {t} of product {i}, one row per event.\n    properties:\n"
        ));
        for c in 0..COLUMNS {
            let (lt, pt) = TYPES[(c + t) % TYPES.len()];
            let partition =
                if c == COLUMNS - 1 { "\n        partitioned: true\n        partitionKeyPosition: 1" } else { "" };
            let lt = if c == COLUMNS - 1 { "date" } else { lt };
            let pt = if c == COLUMNS - 1 { "date" } else { pt };
            s.push_str(&format!(
                "      - name: column_{c}\n        logicalType: {lt}\n        physicalType: {pt}\n        description: Column {c} of table {t}, measured in units of {c}.\n        required: {}\n        classification: {}{partition}\n",
                c % 3 == 0,
                ["public", "internal"][c % 2],
            ));
        }
    }
    s.push_str(
        "slaProperties:\n  - property: frequency\n    value: daily\n    scheduler: cron\n    schedule: \"30 5 * * *\"\n  - property: timezone\n    value: Europe/Berlin\n\
         customProperties:\n  - property: classification\n    value: internal\n",
    );
    s
}
