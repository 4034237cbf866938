//! `steward admin token create|list|revoke`, `steward admin outbox`, `steward admin rebuild-catalog`.

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

pub fn run(args: AdminArgs) -> u8 {
    block_on(async move {
        let client = Client::new(&args.client);
        match args.command {
            AdminCommand::Token {
                command: TokenCommand::Create { name, role, email, domains, accounts, expires_in_days },
            } => {
                let scopes: Vec<String> = domains.into_iter().chain(accounts).collect();
                let mut body = json!({"name": name, "role": value_name(&role), "email": email, "scopes": scopes});
                if let Some(days) = expires_in_days {
                    body["expires_in_days"] = json!(days);
                }
                let v = client.call(Method::POST, "/api/v1/tokens", Some(Body::Json(body))).await?;
                if args.client.json {
                    outln!("{v}");
                } else {
                    let until = match v["expires_at"].as_str() {
                        Some(at) => format!(" (expires {})", minute(at)),
                        None => String::new(),
                    };
                    eprintln!(
                        "created {} token `{}`{until}; the secret is shown only now:",
                        v["role"].as_str().unwrap_or("?"),
                        v["name"].as_str().unwrap_or("?")
                    );
                    outln!("{}", v["token"].as_str().unwrap_or(""));
                }
            }
            AdminCommand::Token { command: TokenCommand::List } => {
                let v = client.call(Method::GET, "/api/v1/tokens", None).await?;
                if args.client.json {
                    outln!("{v}");
                } else {
                    out!("{}", token_table(v.as_array().map_or(&[][..], Vec::as_slice)));
                }
            }
            AdminCommand::Token { command: TokenCommand::Revoke { name } } => {
                let path = format!("/api/v1/tokens/{}/revoke", crate::client::enc(&name));
                let v = client.call(Method::POST, &path, None).await?;
                if args.client.json {
                    outln!("{v}");
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

/// `2026-11-02T09:00:00.000000Z` as `2026-11-02 09:00`.
fn minute(ts: &str) -> String {
    ts.get(..16).map_or_else(|| ts.to_owned(), |m| m.replacen('T', " ", 1))
}

/// The tokens as an aligned table, one per line, with a header.
fn token_table(tokens: &[serde_json::Value]) -> String {
    let when = |v: &serde_json::Value| v.as_str().map_or_else(|| "-".to_owned(), minute);
    let mut rows = vec![
        ["NAME", "ROLE", "STATUS", "SCOPES", "EMAIL", "CREATED", "LAST USED", "EXPIRES", "REVOKED"].map(str::to_owned),
    ];
    for t in tokens {
        let scopes: Vec<&str> = t["scopes"].as_array().into_iter().flatten().filter_map(|s| s.as_str()).collect();
        rows.push([
            t["name"].as_str().unwrap_or("").to_owned(),
            t["role"].as_str().unwrap_or("").to_owned(),
            t["status"].as_str().unwrap_or("").to_owned(),
            if scopes.is_empty() { "-".to_owned() } else { scopes.join(",") },
            t["email"].as_str().unwrap_or("").to_owned(),
            when(&t["created_at"]),
            when(&t["last_used_at"]),
            when(&t["expires_at"]),
            when(&t["revoked_at"]),
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
        let t = token_table(&[
            json!({"name": "admin", "role": "admin", "scopes": [], "email": "admin@steward.invalid",
                   "created_at": "2026-11-02T09:00:00.000000Z", "last_used_at": null, "expires_at": null,
                   "revoked_at": null, "status": "active"}),
            json!({"name": "ci", "role": "producer", "scopes": ["sales", "hr"], "email": "ci@example.com",
                   "created_at": "2026-11-02T09:00:00.000000Z", "last_used_at": "2026-11-03T10:11:12.000000Z",
                   "expires_at": "2026-12-02T09:00:00.000000Z", "revoked_at": "2026-11-04T00:00:00.000000Z",
                   "status": "revoked"}),
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
