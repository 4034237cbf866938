//! `steward admin token create|list|revoke`, `steward admin outbox`, `steward admin rebuild-catalog`,
//! `steward admin events`, `steward admin hooks add|list|remove`.

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use reqwest::Method;
use steward_api::{self as api, time};

use crate::EXIT_OK;
use crate::client::{Body, Client, ClientArgs, ClientError, block_on};

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
        /// Only effects in this state.
        #[arg(long, value_enum)]
        status: Option<OutboxStatus>,
        /// Requeue this dead-lettered effect instead of listing (the jobs it blocks run after it).
        #[arg(long, value_name = "ID")]
        retry: Option<i64>,
    },
    /// The CloudEvents feed of every change, oldest first (docs/events.md).
    Events {
        /// Only events after this sequence (printed as `next:` by the previous call).
        #[arg(long, value_name = "SEQUENCE")]
        after: Option<String>,
        /// Only event types starting with this, e.g. io.steward.access.
        #[arg(long = "type", value_name = "PREFIX")]
        type_prefix: Option<String>,
        /// At most this many events (up to 1000).
        #[arg(long, default_value_t = 100, value_parser = crate::positive_i64)]
        limit: i64,
    },
    /// Where events are delivered besides the feed: webhooks and SNS topics.
    Hooks {
        #[command(subcommand)]
        command: crate::events::HookCommand,
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
        /// The token stops working after this many days (1 to 3650); default: until revoked.
        #[arg(long, value_name = "N", value_parser = expiry_days)]
        expires_in_days: Option<i64>,
    },
    /// List tokens: role, scopes, e-mail, created, last used, expiry, revocation (never secrets).
    List,
    /// Revoke a token: it is refused from its next request on.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// Value parser for `--expires-in-days`: the server's bounds, checked before anything is sent.
fn expiry_days(s: &str) -> Result<i64, String> {
    match crate::positive_i64(s)? {
        n if n <= 3650 => Ok(n),
        _ => Err("must be at most 3650 (ten years)".to_owned()),
    }
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

impl From<Role> for api::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => api::Role::Admin,
            Role::Reviewer => api::Role::Reviewer,
            Role::Producer => api::Role::Producer,
            Role::Consumer => api::Role::Consumer,
        }
    }
}

/// Which side effects `admin outbox` lists.
#[derive(Clone, Copy, ValueEnum)]
pub enum OutboxStatus {
    /// Not done yet (due, retrying later, or waiting for another effect).
    Pending,
    /// Done.
    Done,
    /// Dead-lettered: failed for good or too often; waits for `--retry`.
    Dead,
    /// Pending behind a dead effect: runs only after that one is retried.
    Blocked,
}

impl From<OutboxStatus> for api::StatusFilter {
    fn from(s: OutboxStatus) -> Self {
        match s {
            OutboxStatus::Pending => api::StatusFilter::Pending,
            OutboxStatus::Done => api::StatusFilter::Done,
            OutboxStatus::Dead => api::StatusFilter::Dead,
            OutboxStatus::Blocked => api::StatusFilter::Blocked,
        }
    }
}

pub fn run(args: AdminArgs) -> u8 {
    block_on(async move {
        let client = Client::new(&args.client);
        match args.command {
            AdminCommand::Token {
                command: TokenCommand::Create { name, role, email, domains, accounts, expires_in_days },
            } => {
                let body = api::NewToken {
                    name,
                    email,
                    role: role.into(),
                    scopes: domains.into_iter().chain(accounts).collect(),
                    expires_in_days,
                };
                let text = client.call(Method::POST, "/api/v1/tokens", Some(Body::json(&body))).await?;
                if args.client.json {
                    outln!("{}", text.compact());
                } else {
                    let created: api::CreatedToken = text.json()?;
                    let until = match &created.expires_at {
                        Some(at) => format!(" (expires {})", minute(at)),
                        None => String::new(),
                    };
                    eprintln!(
                        "created {} token `{}`{until}; the secret is shown only now:",
                        created.role.as_str(),
                        created.name
                    );
                    outln!("{}", created.token);
                }
            }
            AdminCommand::Token { command: TokenCommand::List } => {
                let text = client.call(Method::GET, "/api/v1/tokens", None).await?;
                if args.client.json {
                    outln!("{}", text.compact());
                } else {
                    out!("{}", token_table(&text.json::<Vec<api::TokenInfo>>()?));
                }
            }
            AdminCommand::Token { command: TokenCommand::Revoke { name } } => {
                let path = format!("/api/v1/tokens/{}/revoke", crate::client::enc(&name));
                let text = client.call(Method::POST, &path, None).await?;
                if args.client.json {
                    outln!("{}", text.compact());
                } else {
                    outln!("revoked token `{name}`; it is refused from its next request on");
                }
            }
            AdminCommand::Outbox { status, retry: Some(id) } => {
                let _ = status;
                client.call(Method::POST, &format!("/api/v1/admin/outbox/{id}/retry"), None).await?;
                println!("effect {id} requeued; the jobs it blocked run after it");
            }
            AdminCommand::Outbox { status, retry: None } => {
                let q = status
                    .map(|s| format!("?status={}", crate::client::enc(api::StatusFilter::from(s).as_str())))
                    .unwrap_or_default();
                let text = client.call(Method::GET, &format!("/api/v1/admin/outbox{q}"), None).await?;
                if args.client.json {
                    println!("{}", text.compact());
                } else {
                    // Ids and attempts are not padded: the text has always been `12  pending ...`.
                    for e in text.json::<Vec<api::EffectRow>>()? {
                        let status = match e.blocked_by {
                            Some(b) => format!("blocked by {b}"),
                            None => e.status.as_str().to_owned(),
                        };
                        println!(
                            "{}  {:<14} {:<16} attempts {} {}  {}",
                            e.id,
                            status,
                            e.kind.as_str(),
                            e.attempts,
                            e.dedup_key,
                            e.last_error.as_deref().unwrap_or("")
                        );
                    }
                }
            }
            AdminCommand::Events { after, type_prefix, limit } => {
                crate::events::feed(&client, args.client.json, after, type_prefix, limit).await?;
            }
            AdminCommand::Hooks { command } => crate::events::hooks(&client, args.client.json, command).await?,
            AdminCommand::RebuildCatalog => {
                let text = client.call(Method::POST, "/api/v1/admin/rebuild-catalog", None).await?;
                if args.client.json {
                    println!("{}", text.compact());
                } else {
                    let done = text.json::<api::Reconciled>()?;
                    println!("republished {} product(s) from the registry's main", done.republished.len());
                    for r in &done.refused {
                        println!(
                            "refused {} at {}: it merges proposal {}, which is {}",
                            r.product, r.commit, r.proposal, r.status
                        );
                    }
                    for e in &done.external {
                        let verdict = match &e.refused_because {
                            None => "published".to_owned(),
                            Some(why) => format!("not published: {why}"),
                        };
                        println!("changed outside Steward: {} at {} by {}, {verdict}", e.product, e.commit, e.author);
                    }
                    for f in &done.failed {
                        println!("failed {} at {}: {}", f.product, f.commit, f.error);
                    }
                }
            }
        }
        Ok::<u8, ClientError>(EXIT_OK)
    })
}

/// `2026-11-02T09:00:00.000000Z` as `2026-11-02 09:00`.
fn minute(t: &DateTime<Utc>) -> String {
    let ts = time::format(t);
    ts.get(..16).map_or_else(|| ts.clone(), |m| m.replacen('T', " ", 1))
}

/// The tokens as an aligned table, one per line, with a header.
fn token_table(tokens: &[api::TokenInfo]) -> String {
    let when = |t: &Option<DateTime<Utc>>| t.as_ref().map_or_else(|| "-".to_owned(), minute);
    let mut rows = vec![
        ["NAME", "ROLE", "STATUS", "SCOPES", "EMAIL", "CREATED", "LAST USED", "EXPIRES", "REVOKED"].map(str::to_owned),
    ];
    for t in tokens {
        rows.push([
            t.name.clone(),
            t.role.as_str().to_owned(),
            t.status.as_str().to_owned(),
            if t.scopes.is_empty() { "-".to_owned() } else { t.scopes.join(",") },
            t.email.clone(),
            minute(&t.created_at),
            when(&t.last_used_at),
            when(&t.expires_at),
            when(&t.revoked_at),
        ]);
    }
    let mut widths = [0usize; 9];
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r.iter().zip(widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_table_is_aligned_and_shows_no_secret() {
        let at = |s: &str| time::parse(s).unwrap();
        let t = token_table(&[
            api::TokenInfo {
                name: "admin".to_owned(),
                role: api::Role::Admin,
                scopes: vec![],
                email: "admin@steward.invalid".to_owned(),
                created_at: at("2026-11-02T09:00:00.000000Z"),
                last_used_at: None,
                expires_at: None,
                revoked_at: None,
                status: api::TokenStatus::Active,
            },
            api::TokenInfo {
                name: "ci".to_owned(),
                role: api::Role::Producer,
                scopes: vec!["sales".to_owned(), "hr".to_owned()],
                email: "ci@example.com".to_owned(),
                created_at: at("2026-11-02T09:00:00.000000Z"),
                last_used_at: Some(at("2026-11-03T10:11:12.000000Z")),
                expires_at: Some(at("2026-12-02T09:00:00.000000Z")),
                revoked_at: Some(at("2026-11-04T00:00:00.000000Z")),
                status: api::TokenStatus::Revoked,
            },
        ]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 3, "{t}");
        assert!(lines[0].starts_with("NAME   ROLE      STATUS   SCOPES"), "{t}");
        assert!(lines[2].contains("sales,hr") && lines[2].contains("2026-11-04 00:00"), "{t}");
        assert_eq!(lines[0].find("LAST USED"), lines[2].find("2026-11-03 10:11"), "{t}");
        assert!(!t.contains("token"));
    }

    #[test]
    fn expiry_days_are_bounded() {
        assert_eq!(expiry_days("30"), Ok(30));
        assert_eq!(expiry_days("3650"), Ok(3650));
        assert!(expiry_days("0").is_err() && expiry_days("-1").is_err() && expiry_days("3651").is_err());
    }
}
