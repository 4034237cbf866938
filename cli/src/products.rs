//! `steward products search|show|history|diff`.

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::Value;

use crate::EXIT_OK;
use crate::client::{Client, ClientArgs, ClientError, block_on, enc};

/// Explore the catalog.
#[derive(Args)]
pub struct ProductsArgs {
    #[command(subcommand)]
    command: ProductsCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Subcommand)]
enum ProductsCommand {
    /// Search by words in names, descriptions, column names and tags.
    Search {
        /// Words to find (all must match; prefixes match too).
        words: Vec<String>,
        #[arg(long)]
        domain: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        #[arg(long)]
        classification: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
    /// Show a product: owner, SLO, tables and columns.
    Show { product: String },
    /// Published versions, newest first.
    History { product: String },
    /// Diff of the contract between two versions.
    Diff { product: String, from: String, to: String },
}

pub fn run(args: ProductsArgs) -> u8 {
    block_on(async move {
        let client = Client::new(&args.client);
        let path = match &args.command {
            ProductsCommand::Search { words, domain, tag, classification, limit, offset } => {
                let mut q = vec![format!("limit={limit}"), format!("offset={offset}")];
                if !words.is_empty() {
                    q.push(format!("q={}", enc(&words.join(" "))));
                }
                for (k, v) in [("domain", domain), ("tag", tag), ("classification", classification)] {
                    if let Some(v) = v {
                        q.push(format!("{k}={}", enc(v)));
                    }
                }
                format!("/api/v1/products?{}", q.join("&"))
            }
            ProductsCommand::Show { product } => format!("/api/v1/products/{}", enc(product)),
            ProductsCommand::History { product } => {
                format!("/api/v1/products/{}/versions", enc(product))
            }
            ProductsCommand::Diff { product, from, to } => {
                format!("/api/v1/products/{}/diff?from={}&to={}", enc(product), enc(from), enc(to))
            }
        };
        let v = client.call(Method::GET, &path, None).await?;
        if args.client.json {
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            return Ok::<u8, ClientError>(EXIT_OK);
        }
        match &args.command {
            ProductsCommand::Search { offset, .. } => {
                let items = v["items"].as_array().cloned().unwrap_or_default();
                for p in &items {
                    outln!(
                        "{:<32} {:<8} {:<13} {}",
                        s(&p["key"]),
                        s(&p["version"]),
                        s(&p["classification"]),
                        s(&p["description"])
                    );
                }
                let plus = if v["total_capped"] == true { "+" } else { "" };
                outln!("{} of {}{plus} product(s), from {}", items.len(), v["total"], offset + 1);
            }
            ProductsCommand::Show { .. } => print_product(&v),
            ProductsCommand::History { .. } => {
                for ver in v.as_array().into_iter().flatten() {
                    outln!(
                        "{:<10} {}  commit {}  proposal {}",
                        s(&ver["version"]),
                        s(&ver["published_at"]),
                        s(&ver["commit_id"]),
                        ver["proposal_id"]
                    );
                }
            }
            ProductsCommand::Diff { .. } => out!("{}", s(&v["diff"])),
        }
        Ok(EXIT_OK)
    })
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn print_product(p: &Value) {
    outln!("{} {} ({})", s(&p["key"]), s(&p["version"]), s(&p["status"]));
    outln!("  {}", s(&p["description"]["purpose"]));
    outln!(
        "  owner: {}   classification: {}   database: {}",
        s(&p["owner_team"]),
        s(&p["classification"]),
        s(&p["database"])
    );
    for slo in p["slo"].as_array().into_iter().flatten() {
        outln!("  SLO: `{}` {} (grace {} min)", s(&slo["schedule"]), s(&slo["timezone"]), slo["grace_minutes"]);
    }
    for t in p["tables"].as_array().into_iter().flatten() {
        outln!("\n  table {} at {}", s(&t["name"]), s(&t["location"]));
        for c in t["columns"].as_array().into_iter().flatten() {
            let part = c["partition_position"].as_i64().map(|n| format!(" partition key {n}")).unwrap_or_default();
            outln!(
                "    {:<24} {:<10} {:<14} {:<13}{part}",
                s(&c["name"]),
                s(&c["logical_type"]),
                s(&c["physical_type"]),
                s(&c["classification"])
            );
        }
    }
}
