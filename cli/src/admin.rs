//! `steward admin token create|...`, `steward admin rebuild-catalog`.

use clap::{Args, Subcommand, ValueEnum};
use reqwest::Method;
use serde_json::json;

use crate::EXIT_OK;
use crate::client::{Body, Client, ClientArgs, ClientError, block_on, value_name};

/// Administration (STEWARD_TOKEN of an admin; the first one is in <data-dir>/admin.token).
#[derive(Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    command: AdminCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Replay the registry's `main` into the catalog (git is the source of truth).
    RebuildCatalog,
    /// Side effects (AWS calls, markers, notifications): pending, done or
    /// dead-lettered; a pending job behind a dead one shows `blocked by <id>`.
    Outbox {
        /// pending, done, dead, or blocked (pending behind a dead job).
        #[arg(long)]
        status: Option<String>,
        /// Requeue this dead-lettered effect instead of listing (the jobs it blocks run after it).
        #[arg(long, value_name = "ID")]
        retry: Option<i64>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token; prints the secret once.
    Create {
        /// A name for the token's holder (shown in audit and git history).
        #[arg(long)]
        name: String,
        /// What the holder may do.
        #[arg(long, value_enum)]
        role: Role,
        /// E-mail address for git commits (default <name>@steward.invalid).
        #[arg(long)]
        email: Option<String>,
        /// Domains a producer may act in (repeatable).
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// Accounts a consumer may request access for (repeatable).
        #[arg(long = "account")]
        accounts: Vec<String>,
    },
}

/// A token's role, as the server names it.
#[derive(Clone, Copy, ValueEnum)]
pub enum Role {
    /// Everything, including tokens and the outbox.
    Admin,
    /// Approves and rejects proposals and access requests.
    Reviewer,
    /// Submits contracts and reports refreshes for its domains.
    Producer,
    /// Searches, requests access and subscribes for its accounts.
    Consumer,
}

pub fn run(args: AdminArgs) -> u8 {
    block_on(async move {
        let client = Client::new(&args.client);
        match args.command {
            AdminCommand::Token { command: TokenCommand::Create { name, role, email, domains, accounts } } => {
                let scopes: Vec<String> = domains.into_iter().chain(accounts).collect();
                let body = json!({"name": name, "role": value_name(&role), "email": email, "scopes": scopes});
                let v = client.call(Method::POST, "/api/v1/tokens", Some(Body::Json(body))).await?;
                if args.client.json {
                    outln!("{v}");
                } else {
                    eprintln!(
                        "created {} token `{}`; the secret is shown only now:",
                        v["role"].as_str().unwrap_or("?"),
                        v["name"].as_str().unwrap_or("?")
                    );
                    outln!("{}", v["token"].as_str().unwrap_or(""));
                }
            }
            AdminCommand::Outbox { status, retry: Some(id) } => {
                let _ = status;
                client.call(Method::POST, &format!("/api/v1/admin/outbox/{id}/retry"), None).await?;
                println!("effect {id} requeued; the jobs it blocked run after it");
            }
            AdminCommand::Outbox { status, retry: None } => {
                let q = status.map(|s| format!("?status={}", crate::client::enc(&s))).unwrap_or_default();
                let v = client.call(Method::GET, &format!("/api/v1/admin/outbox{q}"), None).await?;
                if args.client.json {
                    println!("{v}");
                } else {
                    for e in v.as_array().into_iter().flatten() {
                        let status = match e["blocked_by"].as_i64() {
                            Some(b) => format!("blocked by {b}"),
                            None => e["status"].as_str().unwrap_or("").to_owned(),
                        };
                        println!(
                            "{:>6}  {:<14} {:<16} attempts {:<2} {}  {}",
                            e["id"],
                            status,
                            e["kind"].as_str().unwrap_or(""),
                            e["attempts"],
                            e["dedup_key"].as_str().unwrap_or(""),
                            e["last_error"].as_str().unwrap_or("")
                        );
                    }
                }
            }
            AdminCommand::RebuildCatalog => {
                let v = client.call(Method::POST, "/api/v1/admin/rebuild-catalog", None).await?;
                if args.client.json {
                    println!("{v}");
                } else {
                    let n = v["republished"].as_array().map_or(0, Vec::len);
                    println!("republished {n} product(s) from the registry's main");
                }
            }
        }
        Ok::<u8, ClientError>(EXIT_OK)
    })
}
