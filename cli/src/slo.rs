//! `steward slo status [<domain.product>]`.

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::Value;

use crate::EXIT_OK;
use crate::client::{Client, ClientArgs, ClientError, block_on, enc};

/// SLO status and history.
#[derive(Args)]
pub struct SloArgs {
    #[command(subcommand)]
    command: SloCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Subcommand)]
enum SloCommand {
    /// A product's SLO state, next due time, last refresh and compliance;
    /// without a product, the breaches of the last 7 days across the mesh.
    Status {
        /// `domain.product` (default: every product's breaches).
        product: Option<String>,
    },
}

pub fn run(args: SloArgs) -> u8 {
    block_on(async move {
        let client = Client::new(&args.client);
        let SloCommand::Status { product } = &args.command;
        let path = match product {
            Some(p) => format!("/api/v1/products/{}/slo", enc(p)),
            None => "/api/v1/slo/breaches".to_owned(),
        };
        let v = client.call(Method::GET, &path, None).await?;
        if args.client.json {
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            return Ok::<u8, ClientError>(EXIT_OK);
        }
        if product.is_none() {
            let rows = v.as_array().cloned().unwrap_or_default();
            for t in &rows {
                outln!("{:<28} {:<12} missed tick due {}", s(&t["product_key"]), s(&t["table"]), s(&t["due"]));
            }
            outln!("{} missed tick(s) in the last 7 days", rows.len());
            return Ok(EXIT_OK);
        }
        outln!("{} (version {})", s(&v["product"]), s(&v["version"]));
        let pct = |x: &Value| x.as_f64().map_or_else(|| "-".to_owned(), |p| format!("{p:.1}%"));
        for spec in v["specs"].as_array().into_iter().flatten() {
            outln!(
                "  `{}` {} grace {}m{}: {}",
                s(&spec["schedule"]),
                s(&spec["timezone"]),
                spec["grace_minutes"],
                spec["table"].as_str().map(|t| format!(" (table {t})")).unwrap_or_default(),
                s(&spec["state"]).to_uppercase()
            );
            outln!(
                "    next due {}   last refresh {}   compliance 7d {}  30d {}",
                s(&spec["next_due"]),
                spec["last_refresh"].as_str().unwrap_or("never"),
                pct(&spec["compliance_7d"]),
                pct(&spec["compliance_30d"])
            );
            if let Some(since) = spec["breach_since"].as_str() {
                outln!("    in breach since {since} ({} missed tick(s))", spec["missed_ticks"]);
            }
        }
        let history = v["history"].as_array().cloned().unwrap_or_default();
        if !history.is_empty() {
            outln!("  last ticks:");
            for t in history.iter().rev().take(10) {
                outln!("    {}  {:<7} {}", s(&t["due"]), s(&t["status"]), t["refresh_at"].as_str().unwrap_or(""));
            }
        }
        Ok(EXIT_OK)
    })
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}
