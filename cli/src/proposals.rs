//! `steward proposals list|show|approve|reject`.

use clap::{Args, Subcommand, ValueEnum};
use reqwest::Method;
use serde_json::{Value, json};

use crate::EXIT_OK;
use crate::client::{Body, Client, ClientArgs, ClientError, block_on, enc, value_name};
use crate::output::render_finding_json;

/// Review proposals (STEWARD_TOKEN of a reviewer to decide).
#[derive(Args)]
pub struct ProposalsArgs {
    #[command(subcommand)]
    command: ProposalsCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Subcommand)]
enum ProposalsCommand {
    /// List proposals, newest first.
    List {
        /// Only proposals in this state.
        #[arg(long, value_enum)]
        status: Option<ProposalStatus>,
        /// Only this product (domain.product).
        #[arg(long)]
        product: Option<String>,
    },
    /// Show a proposal: contract findings and the diff against the published version.
    Show {
        /// Proposal id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
    },
    /// Approve: merge into the registry and publish to the catalog.
    Approve {
        /// Proposal id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
        /// A note for the producer and the audit trail.
        #[arg(long, short)]
        comment: Option<String>,
    },
    /// Reject with a comment that tells the producer why.
    Reject {
        /// Proposal id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
        /// Why: what the producer should change.
        #[arg(long, short)]
        comment: String,
    },
}

/// A proposal's state, as the server names it.
#[derive(Clone, Copy, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum ProposalStatus {
    /// Received, not yet recorded in the registry.
    Submitted,
    /// Waiting for a reviewer.
    PendingReview,
    /// The contract had errors; never reviewed.
    RejectedByValidation,
    /// Approved, being published.
    Approved,
    /// Rejected by a reviewer.
    Rejected,
    /// Merged and in the catalog.
    Published,
}

pub fn run(args: ProposalsArgs) -> u8 {
    block_on(async move {
        let client = Client::new(&args.client);
        let json_out = args.client.json;
        let value = match &args.command {
            ProposalsCommand::List { status, product } => {
                let mut q = Vec::new();
                if let Some(s) = status {
                    q.push(format!("status={}", enc(&value_name(s))));
                }
                if let Some(p) = product {
                    q.push(format!("product={}", enc(p)));
                }
                client.call(Method::GET, &format!("/api/v1/proposals?{}", q.join("&")), None).await?
            }
            ProposalsCommand::Show { id } => client.call(Method::GET, &format!("/api/v1/proposals/{id}"), None).await?,
            ProposalsCommand::Approve { id, comment } => {
                client
                    .call(
                        Method::POST,
                        &format!("/api/v1/proposals/{id}/approve"),
                        Some(Body::Json(json!({"comment": comment}))),
                    )
                    .await?
            }
            ProposalsCommand::Reject { id, comment } => {
                client
                    .call(
                        Method::POST,
                        &format!("/api/v1/proposals/{id}/reject"),
                        Some(Body::Json(json!({"comment": comment}))),
                    )
                    .await?
            }
        };
        if json_out {
            outln!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
            return Ok::<u8, ClientError>(EXIT_OK);
        }
        match &args.command {
            ProposalsCommand::List { .. } => {
                for p in value.as_array().into_iter().flatten() {
                    outln!("{}", summary(p));
                }
            }
            ProposalsCommand::Show { .. } => {
                outln!("{}", summary(&value));
                if let Some(c) = value["comment"].as_str() {
                    outln!("comment: {c}");
                }
                for f in value["findings"].as_array().into_iter().flatten() {
                    outln!("{}", render_finding_json(Some("contract"), f));
                }
                let diff = value["diff"].as_str().unwrap_or("");
                if !diff.is_empty() {
                    outln!("\n{diff}");
                }
            }
            ProposalsCommand::Approve { .. } | ProposalsCommand::Reject { .. } => {
                outln!("{}", summary(&value))
            }
        }
        Ok(EXIT_OK)
    })
}

fn summary(p: &Value) -> String {
    let mut s = format!(
        "#{:<5} {:<28} {:<10} {:<22} by {}",
        p["id"],
        p["product_key"].as_str().unwrap_or("?"),
        p["version"].as_str().unwrap_or("?"),
        p["status"].as_str().unwrap_or("?"),
        p["submitted_by"].as_str().unwrap_or("?")
    );
    if let Some(d) = p["decided_by"].as_str() {
        s.push_str(&format!(", decided by {d}"));
    }
    if p["breaking"] == true {
        s.push_str(" [breaking]");
    }
    s
}
