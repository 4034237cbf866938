//! `steward slo status [<domain.product>]`.

use clap::{Args, Subcommand};
use reqwest::Method;
use steward_api::{SloStatus, Tick, time};

use crate::EXIT_OK;
use crate::client::{Client, ClientArgs, ClientError, block_on, enc, or_null};

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
        let text = client.call(Method::GET, &path, None).await?;
        if args.client.json {
            outln!("{}", text.pretty());
            return Ok::<u8, ClientError>(EXIT_OK);
        }
        if product.is_none() {
            let rows: Vec<Tick> = text.json()?;
            for t in &rows {
                outln!(
                    "{:<28} {:<12} missed tick due {}",
                    t.product_key,
                    t.table.as_deref().unwrap_or(""),
                    time::format(&t.due)
                );
            }
            outln!("{} missed tick(s) in the last 7 days", rows.len());
            return Ok(EXIT_OK);
        }
        let v: SloStatus = text.json()?;
        outln!("{} (version {})", v.product, v.version);
        let pct = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |p| format!("{p:.1}%"));
        let when = |t: &Option<_>| t.as_ref().map(time::format);
        for spec in &v.specs {
            outln!(
                "  `{}` {} grace {}m{}: {}",
                spec.schedule,
                spec.timezone,
                spec.grace_minutes,
                spec.table.as_ref().map(|t| format!(" (table {t})")).unwrap_or_default(),
                spec.state.as_str().to_uppercase()
            );
            outln!(
                "    next due {}   last refresh {}   compliance 7d {}  30d {}",
                when(&spec.next_due).unwrap_or_default(),
                when(&spec.last_refresh).unwrap_or_else(|| "never".to_owned()),
                pct(spec.compliance_7d),
                pct(spec.compliance_30d)
            );
            if let Some(since) = when(&spec.breach_since) {
                outln!("    in breach since {since} ({} missed tick(s))", or_null(spec.missed_ticks.map(i64::from)));
            }
        }
        if !v.history.is_empty() {
            outln!("  last ticks:");
            for t in v.history.iter().rev().take(10) {
                outln!(
                    "    {}  {:<7} {}",
                    time::format(&t.due),
                    t.status.as_str(),
                    when(&t.refresh_at).unwrap_or_default()
                );
            }
        }
        Ok(EXIT_OK)
    })
}
