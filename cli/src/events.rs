//! `steward admin events` (the CloudEvents feed) and `steward admin hooks`
//! (where events are delivered). See docs/events.md.

use clap::Subcommand;
use reqwest::Method;
use steward_api as api;

use crate::client::{Body, Client, ClientError, enc};

/// `steward admin hooks ...`
#[derive(Subcommand)]
pub enum HookCommand {
    /// Deliver events to a webhook (signed; the secret is printed once) or an SNS topic.
    Add {
        /// An https:// URL that receives each event as a POST.
        #[arg(long, conflicts_with = "sns", required_unless_present = "sns")]
        webhook: Option<String>,
        /// An SNS topic ARN each event is published to.
        #[arg(long)]
        sns: Option<String>,
        /// Only event types starting with this (repeatable), e.g. io.steward.access.
        #[arg(long = "type", value_name = "PREFIX")]
        types: Vec<String>,
    },
    /// List event hooks (never their secrets).
    List,
    /// Remove an event hook: deliveries not yet made are dropped.
    Remove {
        /// The hook's id.
        id: i64,
    },
}

/// Prints the feed from `after`: one line per event, or the JSON page.
pub async fn feed(
    client: &Client,
    json: bool,
    after: Option<String>,
    type_prefix: Option<String>,
    limit: i64,
) -> Result<(), ClientError> {
    let mut q = format!("?limit={limit}");
    if let Some(a) = after {
        q.push_str(&format!("&after={}", enc(&a)));
    }
    if let Some(t) = type_prefix {
        q.push_str(&format!("&type={}", enc(&t)));
    }
    let text = client.call(Method::GET, &format!("/api/v1/events{q}"), None).await?;
    if json {
        outln!("{}", text.compact());
        return Ok(());
    }
    let page: api::EventPage = text.json()?;
    for e in &page.events {
        outln!(
            "{}  {}  {:<30} {:<16} {}",
            e.sequence.trim_start_matches('0'),
            api::time::format(&e.time).get(..19).unwrap_or_default().replacen('T', " ", 1),
            e.kind.as_str().trim_start_matches("io.steward."),
            e.subject.as_deref().unwrap_or("-"),
            e.id
        );
    }
    eprintln!("next: --after {}", page.next_after.trim_start_matches('0').max("0"));
    Ok(())
}

pub async fn hooks(client: &Client, json: bool, command: HookCommand) -> Result<(), ClientError> {
    match command {
        HookCommand::Add { webhook, sns, types } => {
            let (channel, target) = match (webhook, sns) {
                (Some(url), _) => (api::HookChannel::Webhook, url),
                (None, Some(arn)) => (api::HookChannel::Sns, arn),
                (None, None) => unreachable!("clap requires --webhook or --sns"),
            };
            let body = api::EventHookInput { channel, target, types };
            let text = client.call(Method::POST, "/api/v1/event-hooks", Some(Body::json(&body))).await?;
            if json {
                outln!("{}", text.compact());
                return Ok(());
            }
            let hook: api::EventHook = text.json()?;
            eprintln!("event hook {} added: {} {}", hook.id, hook.channel.as_str(), hook.target);
            if let Some(secret) = hook.secret {
                eprintln!("its signing secret is shown only now:");
                outln!("{secret}");
            }
        }
        HookCommand::List => {
            let text = client.call(Method::GET, "/api/v1/event-hooks", None).await?;
            if json {
                outln!("{}", text.compact());
                return Ok(());
            }
            for h in text.json::<Vec<api::EventHook>>()? {
                let types = if h.types.is_empty() { "all events".to_owned() } else { h.types.join(",") };
                outln!("{}  {:<8} {}  {}  (by {})", h.id, h.channel.as_str(), h.target, types, h.created_by);
            }
        }
        HookCommand::Remove { id } => {
            client.call(Method::DELETE, &format!("/api/v1/event-hooks/{id}"), None).await?;
            if json {
                outln!("{{}}");
            } else {
                outln!("event hook {id} removed");
            }
        }
    }
    Ok(())
}
