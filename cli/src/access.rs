//! `steward access request|list|grants|approve|reject|revoke`.

use clap::{Args, Subcommand, ValueEnum};
use reqwest::Method;
use serde_json::{Value, json};

use crate::EXIT_OK;
use crate::client::{Body, Client, ClientArgs, ClientError, block_on, enc, value_name};

/// Request, decide and revoke access to products.
#[derive(Args)]
pub struct AccessArgs {
    #[command(subcommand)]
    command: AccessCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Subcommand)]
enum AccessCommand {
    /// Ask for access to a product for one of your accounts (consumers).
    Request {
        /// `domain.product`.
        product: String,
        /// The account to grant: a 12-digit AWS account id (or a tenant id in embedded mode).
        #[arg(long)]
        account: String,
        /// Why the account needs the data (the reviewer reads this).
        #[arg(long)]
        justification: String,
        /// Days the grant should last (default: until revoked).
        #[arg(long, value_name = "DAYS", value_parser = crate::positive_i64, allow_negative_numbers = true)]
        duration: Option<i64>,
    },
    /// List access requests (reviewers: all; consumers: your accounts').
    List {
        /// Only requests in this state.
        #[arg(long, value_enum)]
        status: Option<RequestStatus>,
        /// Only requests for this product (domain.product).
        #[arg(long)]
        product: Option<String>,
    },
    /// List grants (active, revoked or expired).
    Grants {
        /// Only grants in this state.
        #[arg(long, value_enum)]
        status: Option<GrantStatus>,
        /// Only grants on this product (domain.product).
        #[arg(long)]
        product: Option<String>,
    },
    /// Approve a request (reviewers; never your own).
    Approve {
        /// Access request id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
        /// A note for the requester and the audit trail.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject a request, saying why (reviewers).
    Reject {
        /// Access request id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
        /// Why the request is refused (the requester reads this).
        #[arg(long)]
        comment: String,
    },
    /// Revoke a grant (reviewers).
    Revoke {
        /// Grant id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
        /// Why the grant ends (kept in the audit trail).
        #[arg(long)]
        reason: Option<String>,
    },
}

/// An access request's state.
#[derive(Clone, Copy, ValueEnum)]
pub enum RequestStatus {
    /// Waiting for a reviewer.
    Pending,
    /// Approved: a grant exists.
    Approved,
    /// Refused by a reviewer.
    Rejected,
}

/// A grant's state.
#[derive(Clone, Copy, ValueEnum)]
pub enum GrantStatus {
    /// In force.
    Active,
    /// Ended by a reviewer.
    Revoked,
    /// Ended by its end date.
    Expired,
}

fn query(status: Option<String>, product: &Option<String>) -> String {
    let mut q = Vec::new();
    if let Some(s) = status {
        q.push(format!("status={}", enc(&s)));
    }
    if let Some(p) = product {
        q.push(format!("product={}", enc(p)));
    }
    if q.is_empty() { String::new() } else { format!("?{}", q.join("&")) }
}

pub fn run(args: AccessArgs) -> u8 {
    block_on(async move {
        let client = Client::new(&args.client);
        let (method, path, body) = match &args.command {
            AccessCommand::Request { product, account, justification, duration } => (
                Method::POST,
                format!("/api/v1/products/{}/access-requests", enc(product)),
                Some(json!({"account": account, "justification": justification, "duration_days": duration})),
            ),
            AccessCommand::List { status, product } => (
                Method::GET,
                format!("/api/v1/access-requests{}", query(status.as_ref().map(value_name), product)),
                None,
            ),
            AccessCommand::Grants { status, product } => {
                (Method::GET, format!("/api/v1/grants{}", query(status.as_ref().map(value_name), product)), None)
            }
            AccessCommand::Approve { id, comment } => {
                (Method::POST, format!("/api/v1/access-requests/{id}/approve"), Some(json!({"comment": comment})))
            }
            AccessCommand::Reject { id, comment } => {
                (Method::POST, format!("/api/v1/access-requests/{id}/reject"), Some(json!({"comment": comment})))
            }
            AccessCommand::Revoke { id, reason } => {
                (Method::POST, format!("/api/v1/grants/{id}/revoke"), Some(json!({"comment": reason})))
            }
        };
        let v = client.call(method, &path, body.map(Body::Json)).await?;
        if args.client.json {
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            return Ok::<u8, ClientError>(EXIT_OK);
        }
        match &args.command {
            AccessCommand::Request { .. } => outln!(
                "access request {} for {} on {}: {} (a reviewer decides: steward access approve {})",
                v["id"],
                s(&v["account"]),
                s(&v["product_key"]),
                s(&v["status"]),
                v["id"]
            ),
            AccessCommand::List { .. } => {
                for r in v.as_array().into_iter().flatten() {
                    outln!(
                        "{:>5}  {:<9} {:<28} {:<14} by {:<12} {}",
                        r["id"],
                        s(&r["status"]),
                        s(&r["product_key"]),
                        s(&r["account"]),
                        s(&r["requested_by"]),
                        s(&r["justification"])
                    );
                }
            }
            AccessCommand::Grants { .. } => v.as_array().into_iter().flatten().for_each(print_grant),
            AccessCommand::Approve { .. } | AccessCommand::Revoke { .. } => print_grant(&v),
            AccessCommand::Reject { id, .. } => outln!("access request {id} rejected"),
        }
        Ok(EXIT_OK)
    })
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn print_grant(g: &Value) {
    outln!(
        "grant {:>5}  {:<8} {:<28} {:<14} since {}{}",
        g["id"],
        s(&g["status"]),
        s(&g["product_key"]),
        s(&g["account"]),
        s(&g["granted_at"]),
        g["expires_at"].as_str().map(|e| format!(" until {e}")).unwrap_or_default()
    );
}
