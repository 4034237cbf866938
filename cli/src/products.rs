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
        /// Only products of this domain.
        #[arg(long)]
        domain: Option<String>,
        /// Only products carrying this tag.
        #[arg(long)]
        tag: Option<String>,
        /// Only products of this classification (the policy's levels, e.g. internal).
        #[arg(long)]
        classification: Option<String>,
        /// Products per page (at most 500).
        #[arg(long, default_value_t = 20, value_parser = crate::positive_i64, allow_negative_numbers = true)]
        limit: i64,
        /// Products to skip, for the next page.
        #[arg(long, default_value_t = 0, value_parser = crate::non_negative_i64, allow_negative_numbers = true)]
        offset: i64,
    },
    /// Show a product: owner, SLO, tables and columns.
    Show {
        /// `domain.product`.
        product: String,
    },
    /// Published versions, newest first.
    History {
        /// `domain.product`.
        product: String,
    },
    /// Diff of the contract between two versions.
    Diff {
        /// `domain.product`.
        product: String,
        /// The older version, e.g. 1.0.0.
        from: String,
        /// The newer version, e.g. 2.0.0.
        to: String,
    },
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
