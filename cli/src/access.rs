//! `steward access request|list|grants|approve|reject|revoke|cancel|renew`.

use clap::{Args, Subcommand, ValueEnum};
use reqwest::Method;
use steward_api::{self as api, AccessRequest, Grant, time};

use crate::EXIT_OK;
use crate::client::{Body, Client, ClientArgs, ClientError, block_on, enc};

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
    /// List access requests (reviewers: all; consumers: your accounts'; producers: your domains').
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
        /// Why the grant ends (required; kept in the audit trail).
        #[arg(long)]
        reason: String,
    },
    /// Cancel your own pending request (only the token that asked).
    Cancel {
        /// Access request id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
    },
    /// Ask to renew an active grant before it ends: a reviewer decides, and
    /// approval moves its end date DAYS past the current one.
    Renew {
        /// Grant id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
        /// Why the account still needs the data (the reviewer reads this).
        #[arg(long)]
        justification: String,
        /// Days to add to the current end date (default: until revoked).
        #[arg(long, value_name = "DAYS", value_parser = crate::positive_i64, allow_negative_numbers = true)]
        duration: Option<i64>,
    },
    /// Move a grant to the product's newest major version (after a breaking
    /// change). You may when the new major reaches nothing more than yours did;
    /// otherwise a reviewer migrates it.
    Migrate {
        /// Grant id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
    },
    /// Acknowledge the product's newest major instead of migrating: the grant
    /// stays on its major until that major's end of life, when it is revoked.
    Acknowledge {
        /// Grant id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
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
    /// Withdrawn by its requester.
    Cancelled,
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

impl From<RequestStatus> for api::RequestStatus {
    fn from(s: RequestStatus) -> Self {
        match s {
            RequestStatus::Pending => api::RequestStatus::Pending,
            RequestStatus::Approved => api::RequestStatus::Approved,
            RequestStatus::Rejected => api::RequestStatus::Rejected,
            RequestStatus::Cancelled => api::RequestStatus::Cancelled,
        }
    }
}

impl From<GrantStatus> for api::GrantStatus {
    fn from(s: GrantStatus) -> Self {
        match s {
            GrantStatus::Active => api::GrantStatus::Active,
            GrantStatus::Revoked => api::GrantStatus::Revoked,
            GrantStatus::Expired => api::GrantStatus::Expired,
        }
    }
}

fn query(status: Option<&str>, product: &Option<String>) -> String {
    let mut q = Vec::new();
    if let Some(s) = status {
        q.push(format!("status={}", enc(s)));
    }
    if let Some(p) = product {
        q.push(format!("product={}", enc(p)));
    }
    if q.is_empty() { String::new() } else { format!("?{}", q.join("&")) }
}

pub fn run(args: AccessArgs) -> u8 {
    block_on(async move {
        let client = Client::new(&args.client);
        let decision = |comment: &Option<String>| Some(Body::json(&api::AccessDecision { comment: comment.clone() }));
        let (method, path, body) = match &args.command {
            AccessCommand::Request { product, account, justification, duration } => (
                Method::POST,
                format!("/api/v1/products/{}/access-requests", enc(product)),
                Some(Body::json(&api::AccessRequestInput {
                    account: account.clone(),
                    justification: justification.clone(),
                    duration_days: *duration,
                })),
            ),
            AccessCommand::List { status, product } => {
                let status = status.map(|s| api::RequestStatus::from(s).as_str());
                (Method::GET, format!("/api/v1/access-requests{}", query(status, product)), None)
            }
            AccessCommand::Grants { status, product } => {
                let status = status.map(|s| api::GrantStatus::from(s).as_str());
                (Method::GET, format!("/api/v1/grants{}", query(status, product)), None)
            }
            AccessCommand::Approve { id, comment } => {
                (Method::POST, format!("/api/v1/access-requests/{id}/approve"), decision(comment))
            }
            AccessCommand::Reject { id, comment } => {
                (Method::POST, format!("/api/v1/access-requests/{id}/reject"), decision(&Some(comment.clone())))
            }
            AccessCommand::Revoke { id, reason } => {
                (Method::POST, format!("/api/v1/grants/{id}/revoke"), decision(&Some(reason.clone())))
            }
            AccessCommand::Cancel { id } => (Method::POST, format!("/api/v1/access-requests/{id}/cancel"), None),
            AccessCommand::Migrate { id } => (Method::POST, format!("/api/v1/grants/{id}/migrate"), None),
            AccessCommand::Acknowledge { id } => (Method::POST, format!("/api/v1/grants/{id}/acknowledge"), None),
            AccessCommand::Renew { id, justification, duration } => (
                Method::POST,
                format!("/api/v1/grants/{id}/renew"),
                Some(Body::json(&api::access::GrantRenewalInput {
                    justification: justification.clone(),
                    duration_days: *duration,
                })),
            ),
        };
        let text = client.call(method, &path, body).await?;
        if args.client.json {
            outln!("{}", text.pretty());
            return Ok::<u8, ClientError>(EXIT_OK);
        }
        // Ids are not padded: the text has always been `grant 3 ...`.
        match &args.command {
            AccessCommand::Request { .. } => {
                let r: AccessRequest = text.json()?;
                outln!(
                    "access request {} for {} on {}: {} (a reviewer decides: steward access approve {})",
                    r.id,
                    r.account,
                    r.product_key,
                    r.status.as_str(),
                    r.id
                )
            }
            AccessCommand::List { .. } => {
                for r in text.json::<Vec<AccessRequest>>()? {
                    outln!(
                        "{}  {:<9} {:<28} {:<14} by {:<12} {}{}",
                        r.id,
                        r.status.as_str(),
                        r.product_key,
                        r.account,
                        r.requested_by,
                        r.renews.map(|g| format!("(renews grant {g}) ")).unwrap_or_default(),
                        r.justification
                    );
                }
            }
            AccessCommand::Grants { .. } => text.json::<Vec<Grant>>()?.iter().for_each(print_grant),
            AccessCommand::Approve { .. } | AccessCommand::Revoke { .. } | AccessCommand::Migrate { .. } => {
                print_grant(&text.json()?)
            }
            AccessCommand::Acknowledge { .. } => {
                let g: Grant = text.json()?;
                outln!(
                    "grant {} stays on {} v{} (v{} acknowledged) until that major's end of life: see steward products majors {}",
                    g.id,
                    g.product_key,
                    g.major,
                    g.acknowledged_major.unwrap_or_default(),
                    g.product_key
                );
            }
            AccessCommand::Reject { id, .. } => outln!("access request {id} rejected"),
            AccessCommand::Cancel { .. } => {
                let r: AccessRequest = text.json()?;
                outln!("access request {} for {} on {}: {}", r.id, r.account, r.product_key, r.status.as_str())
            }
            AccessCommand::Renew { id, .. } => {
                let r: AccessRequest = text.json()?;
                outln!(
                    "renewal of grant {id} requested: access request {} for {} on {}: {} (a reviewer decides: steward access approve {})",
                    r.id,
                    r.account,
                    r.product_key,
                    r.status.as_str(),
                    r.id
                )
            }
        }
        Ok(EXIT_OK)
    })
}

fn print_grant(g: &Grant) {
    outln!(
        "grant {}  {:<8} {:<28} {:<4} {:<14} since {}{}",
        g.id,
        g.status.as_str(),
        g.product_key,
        // The contract major it was approved against.
        format!("v{}", g.major),
        g.account,
        time::format(&g.granted_at),
        g.expires_at.map(|e| format!(" until {}", time::format(&e))).unwrap_or_default()
    );
    if let Some(arn) = &g.share_arn {
        // What the consumer's `steward shares accept` will find (out-of-org: as an invitation).
        outln!("  Lake Formation share {arn}");
    }
}
