//! `steward subscriptions add|list|remove`.

use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{Value, json};

use crate::EXIT_OK;
use crate::client::{Body, Client, ClientArgs, ClientError, block_on, enc};

/// Be told when a product you have access to is refreshed.
#[derive(Args)]
pub struct SubscriptionsArgs {
    #[command(subcommand)]
    command: SubscriptionsCommand,
    #[command(flatten)]
    client: ClientArgs,
}

#[derive(Subcommand)]
enum SubscriptionsCommand {
    /// Subscribe an account with a grant: --email ADDRESS, --webhook URL or --sns TOPIC-ARN.
    Add {
        /// `domain.product`.
        product: String,
        /// The account with a grant on the product, whose refreshes you hear about.
        #[arg(long)]
        account: String,
        /// Notify this e-mail address.
        #[arg(long, group = "target")]
        email: Option<String>,
        /// POST to this URL. Deliveries are signed (HMAC-SHA256); the secret is printed once.
        #[arg(long, group = "target")]
        webhook: Option<String>,
        /// Publish to this SNS topic ARN.
        #[arg(long, group = "target", value_name = "TOPIC-ARN")]
        sns: Option<String>,
    },
    /// Your live subscriptions.
    List {
        /// Only subscriptions to this product (domain.product).
        #[arg(long)]
        product: Option<String>,
    },
    /// Remove a subscription.
    Remove {
        /// Subscription id.
        #[arg(value_parser = crate::positive_i64, allow_negative_numbers = true)]
        id: i64,
    },
}

pub fn run(args: SubscriptionsArgs) -> u8 {
    block_on(async move {
        let client = Client::new(&args.client);
        let v = match &args.command {
            SubscriptionsCommand::Add { product, account, email, webhook, sns } => {
                let (channel, target) = match (email, webhook, sns) {
                    (Some(e), _, _) => ("email", e),
                    (_, Some(w), _) => ("webhook", w),
                    (_, _, Some(t)) => ("sns", t),
                    _ => {
                        return Err(ClientError {
                            message: "say where to notify: --email ADDRESS, --webhook URL or --sns TOPIC-ARN".into(),
                            rejected: false,
                        });
                    }
                };
                let body = json!({"account": account, "channel": channel, "target": target});
                let path = format!("/api/v1/products/{}/subscriptions", enc(product));
                client.call(Method::POST, &path, Some(Body::Json(body))).await?
            }
            SubscriptionsCommand::List { product } => {
                let q = product.as_ref().map(|p| format!("?product={}", enc(p))).unwrap_or_default();
                client.call(Method::GET, &format!("/api/v1/subscriptions{q}"), None).await?
            }
            SubscriptionsCommand::Remove { id } => {
                client.call(Method::DELETE, &format!("/api/v1/subscriptions/{id}"), None).await?
            }
        };
        if args.client.json {
            outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            return Ok::<u8, ClientError>(EXIT_OK);
        }
        match &args.command {
            SubscriptionsCommand::Add { .. } => {
                outln!("subscription {} added: {} -> {}", v["id"], s(&v["channel"]), s(&v["target"]));
                if let Some(secret) = v["secret"].as_str() {
                    outln!("  signing secret (shown once; see docs/notifications.md to verify): {secret}");
                }
            }
            SubscriptionsCommand::List { .. } => {
                for x in v.as_array().into_iter().flatten() {
                    outln!(
                        "{:>5}  {:<28} {:<14} {:<8} {}",
                        x["id"],
                        s(&x["product_key"]),
                        s(&x["account"]),
                        s(&x["channel"]),
                        s(&x["target"])
                    );
                }
            }
            SubscriptionsCommand::Remove { id } => outln!("subscription {id} removed"),
        }
        Ok(EXIT_OK)
    })
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}
