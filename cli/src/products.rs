//! `steward products search|show|history|majors|diff`.

use clap::{Args, Subcommand};
use reqwest::Method;
use steward_api::{DiffBody, ProductDetail, ProductMajor, ProductVersion, SearchPage, time};

use crate::EXIT_OK;
use crate::client::{Client, ClientArgs, ClientError, block_on, enc, or_null};

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
        /// Show the last version of this major (e.g. `1` after 2.0.0 is out).
        #[arg(long, value_name = "N")]
        major: Option<u32>,
    },
    /// Published versions, newest first.
    History {
        /// `domain.product`.
        product: String,
    },
    /// The product's majors: the current one and older ones published beside
    /// it, with their database, end of support, end of life and grants.
    Majors {
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
            ProductsCommand::Show { product, major: None } => format!("/api/v1/products/{}", enc(product)),
            ProductsCommand::Show { product, major: Some(major) } => {
                format!("/api/v1/products/{}?major={major}", enc(product))
            }
            ProductsCommand::History { product } => {
                format!("/api/v1/products/{}/versions", enc(product))
            }
            ProductsCommand::Majors { product } => format!("/api/v1/products/{}/majors", enc(product)),
            ProductsCommand::Diff { product, from, to } => {
                format!("/api/v1/products/{}/diff?from={}&to={}", enc(product), enc(from), enc(to))
            }
        };
        let text = client.call(Method::GET, &path, None).await?;
        if args.client.json {
            outln!("{}", text.pretty());
            return Ok::<u8, ClientError>(EXIT_OK);
        }
        match &args.command {
            ProductsCommand::Search { offset, .. } => {
                let page: SearchPage = text.json()?;
                for p in &page.items {
                    outln!("{:<32} {:<8} {:<13} {}", p.key, p.version, p.classification, p.description);
                }
                let plus = if page.total_capped { "+" } else { "" };
                outln!("{} of {}{plus} product(s), from {}", page.items.len(), page.total, offset + 1);
            }
            ProductsCommand::Show { .. } => print_product(&text.json()?),
            ProductsCommand::History { .. } => {
                for ver in text.json::<Vec<ProductVersion>>()? {
                    outln!(
                        "{:<10} {}  commit {}  proposal {}",
                        ver.version,
                        time::format(&ver.published_at),
                        ver.commit_id,
                        or_null(ver.proposal_id)
                    );
                }
            }
            ProductsCommand::Majors { .. } => {
                let when = |t: &Option<chrono::DateTime<chrono::Utc>>| t.as_ref().map_or("-".to_owned(), time::format);
                outln!(
                    "{:<6} {:<10} {:<10} {:<28} {:<28} {:<28} {:>6}",
                    "MAJOR",
                    "VERSION",
                    "STATE",
                    "DATABASE",
                    "END OF SUPPORT",
                    "END OF LIFE",
                    "GRANTS"
                );
                for m in text.json::<Vec<ProductMajor>>()? {
                    outln!(
                        "{:<6} {:<10} {:<10} {:<28} {:<28} {:<28} {:>6}",
                        format!("v{}", m.major),
                        m.version,
                        m.state,
                        m.database,
                        when(&m.end_of_support),
                        when(&m.end_of_life),
                        m.grants
                    );
                }
            }
            ProductsCommand::Diff { .. } => out!("{}", text.json::<DiffBody>()?.diff),
        }
        Ok(EXIT_OK)
    })
}

fn print_product(p: &ProductDetail) {
    outln!("{} {} ({})", p.key, p.version, p.status);
    outln!("  {}", p.description.purpose);
    outln!("  owner: {}   classification: {}   database: {}", p.owner_team, p.classification, p.database);
    for slo in &p.slo {
        outln!("  SLO: `{}` {} (grace {} min)", slo.schedule, slo.timezone, slo.grace_minutes);
    }
    for t in &p.tables {
        outln!("\n  table {} at {}", t.name, t.location);
        for c in &t.columns {
            let part = c.partition_position.map(|n| format!(" partition key {n}")).unwrap_or_default();
            outln!(
                "    {:<24} {:<10} {:<14} {:<13}{part}",
                c.name,
                c.logical_type,
                c.physical_type.as_deref().unwrap_or(""),
                c.classification.as_deref().unwrap_or("")
            );
        }
    }
}
