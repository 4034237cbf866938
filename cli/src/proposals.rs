//! `steward proposals list|show|approve|reject|withdraw`.

use clap::{Args, Subcommand, ValueEnum};
use reqwest::Method;
use steward_api::{self as api, Proposal, ProposalView};

use crate::EXIT_OK;
use crate::client::{Body, Client, ClientArgs, ClientError, block_on, enc};
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
    /// Withdraw your own pending proposal (STEWARD_TOKEN of its submitter or
    /// a producer of its domain) before a reviewer decides it.
    Withdraw {
        /// Proposal id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
        /// Why, for the reviewers and the audit trail.
        #[arg(long, short)]
        comment: Option<String>,
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
    /// Withdrawn by its producer before a decision.
    Withdrawn,
}

impl From<ProposalStatus> for api::ProposalStatus {
    fn from(s: ProposalStatus) -> Self {
        match s {
            ProposalStatus::Submitted => api::ProposalStatus::Submitted,
            ProposalStatus::PendingReview => api::ProposalStatus::PendingReview,
            ProposalStatus::RejectedByValidation => api::ProposalStatus::RejectedByValidation,
            ProposalStatus::Approved => api::ProposalStatus::Approved,
            ProposalStatus::Rejected => api::ProposalStatus::Rejected,
            ProposalStatus::Published => api::ProposalStatus::Published,
            ProposalStatus::Withdrawn => api::ProposalStatus::Withdrawn,
        }
    }
}

pub fn run(args: ProposalsArgs) -> u8 {
    block_on(async move {
        let client = Client::new(&args.client);
        let decision = |comment: &Option<String>| Body::json(&api::Decision { comment: comment.clone() });
        let (method, path, body) = match &args.command {
            ProposalsCommand::List { status, product } => {
                let mut q = Vec::new();
                if let Some(s) = status {
                    q.push(format!("status={}", enc(api::ProposalStatus::from(*s).as_str())));
                }
                if let Some(p) = product {
                    q.push(format!("product={}", enc(p)));
                }
                (Method::GET, format!("/api/v1/proposals?{}", q.join("&")), None)
            }
            ProposalsCommand::Show { id } => (Method::GET, format!("/api/v1/proposals/{id}"), None),
            ProposalsCommand::Approve { id, comment } => {
                (Method::POST, format!("/api/v1/proposals/{id}/approve"), Some(decision(comment)))
            }
            ProposalsCommand::Reject { id, comment } => {
                (Method::POST, format!("/api/v1/proposals/{id}/reject"), Some(decision(&Some(comment.clone()))))
            }
            ProposalsCommand::Withdraw { id, comment } => {
                (Method::POST, format!("/api/v1/proposals/{id}/withdraw"), Some(decision(comment)))
            }
        };
        let text = client.call(method, &path, body).await?;
        if args.client.json {
            outln!("{}", text.pretty());
            return Ok::<u8, ClientError>(EXIT_OK);
        }
        match &args.command {
            ProposalsCommand::List { .. } => {
                for p in text.json::<Vec<Proposal>>()? {
                    outln!("{}", summary(&p));
                }
            }
            ProposalsCommand::Show { .. } => {
                let view: ProposalView = text.json()?;
                let p = &view.proposal;
                outln!("{}", summary(p));
                if let Some(c) = &p.comment {
                    outln!("comment: {c}");
                }
                for f in &p.findings {
                    outln!("{}", render_finding_json(Some("contract"), f));
                }
                if let Some(impact) = &view.impact {
                    print_impact(impact, view.base_version.as_deref().unwrap_or("the published version"));
                }
                if !view.diff.is_empty() {
                    outln!("\n{}", view.diff);
                }
            }
            ProposalsCommand::Approve { .. } | ProposalsCommand::Reject { .. } | ProposalsCommand::Withdraw { .. } => {
                outln!("{}", summary(&text.json::<Proposal>()?))
            }
        }
        Ok(EXIT_OK)
    })
}

/// What a breaking proposal takes from whom.
fn print_impact(impact: &api::Impact, base: &str) {
    outln!("\nimpact on consumers of {base}:");
    for t in &impact.tables {
        outln!("  loses table {t}");
    }
    for c in &impact.columns {
        outln!("  loses column {c}");
    }
    for r in &impact.retyped {
        outln!("  column {}: {}", r.column, r.why);
    }
    if impact.consumers_total == 0 {
        outln!("  no account holds a grant or a subscription on it");
        return;
    }
    outln!("  {} consumer account(s):", impact.consumers_total);
    for c in &impact.consumers {
        let grant = match (c.grant_id, c.major) {
            (Some(g), Some(m)) => format!("grant {g} (v{m})"),
            (Some(g), None) => format!("grant {g}"),
            _ => "no grant".to_owned(),
        };
        outln!("    {}  {grant}, {} subscription(s)", c.account, c.subscriptions);
    }
    if impact.consumers_total > impact.consumers.len() as i64 {
        outln!("    ... and {} more", impact.consumers_total - impact.consumers.len() as i64);
    }
    if let Some(from) = &impact.approvable_from {
        outln!("  may be approved from {} (the policy's notice of breaking changes)", api::time::format(from));
    }
}

fn summary(p: &Proposal) -> String {
    // The id is not padded: the text has always been `#12 ...`.
    let mut s =
        format!("#{} {:<28} {:<10} {:<22} by {}", p.id, p.product_key, p.version, p.status.as_str(), p.submitted_by);
    if let Some(d) = &p.decided_by {
        s.push_str(&format!(", decided by {d}"));
    }
    if p.breaking {
        s.push_str(" [breaking]");
    }
    s
}
