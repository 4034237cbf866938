//! `steward subscriptions add|list|remove`.

use clap::{Args, Subcommand};
use reqwest::Method;
use steward_api::{Channel, Subscription, SubscriptionInput};

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
        let text = match &args.command {
            SubscriptionsCommand::Add { product, account, email, webhook, sns } => {
                let (channel, target) = match (email, webhook, sns) {
                    (Some(e), _, _) => (Channel::Email, e),
                    (_, Some(w), _) => (Channel::Webhook, w),
                    (_, _, Some(t)) => (Channel::Sns, t),
                    _ => {
                        return Err(ClientError {
                            message: "say where to notify: --email ADDRESS, --webhook URL or --sns TOPIC-ARN".into(),
                            rejected: false,
                        });
                    }
                };
                let body = SubscriptionInput { account: account.clone(), channel, target: target.clone() };
                let path = format!("/api/v1/products/{}/subscriptions", enc(product));
                client.call(Method::POST, &path, Some(Body::json(&body))).await?
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
            outln!("{}", text.pretty());
            return Ok::<u8, ClientError>(EXIT_OK);
        }
        match &args.command {
            SubscriptionsCommand::Add { .. } => {
                let sub: Subscription = text.json()?;
                outln!("subscription {} added: {} -> {}", sub.id, sub.channel.as_str(), sub.target);
                if let Some(secret) = &sub.secret {
                    outln!("  signing secret (shown once; see docs/notifications.md to verify): {secret}");
                }
            }
            SubscriptionsCommand::List { .. } => {
                // The id is not padded: the text has always been `3  sales.orders ...`.
                for x in text.json::<Vec<Subscription>>()? {
                    let major = format!("v{}", x.major);
                    outln!(
                        "{}  {:<28} {:<4} {:<14} {:<8} {}",
                        x.id,
                        x.product_key,
                        major,
                        x.account,
                        x.channel.as_str(),
                        x.target
                    );
                }
            }
            SubscriptionsCommand::Remove { id } => outln!("subscription {id} removed"),
        }
        Ok(EXIT_OK)
    })
}
