//! `steward shares accept`: the consumer account's side of a grant.

use clap::{Args, Subcommand};

use crate::{EXIT_AWS, EXIT_OK};

/// Consumer-side share set-up on AWS (runs with the consumer account's credentials).
#[derive(Args)]
pub struct SharesArgs {
    #[command(subcommand)]
    command: SharesCommand,
}

#[derive(Subcommand)]
enum SharesCommand {
    /// Accept pending RAM invitations from the governance account and create a
    /// Glue resource link for every shared database, so query engines in this
    /// account see the shared tables. Safe to run again.
    ///
    /// Credentials and endpoints come from the standard AWS chain
    /// (AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL[_RAM|_GLUE], ...).
    Accept {
        /// This (consumer) account id.
        #[arg(long)]
        account: String,
        /// The governance account that owns the catalog and the shares.
        #[arg(long, env = "STEWARD_GOVERNANCE_ACCOUNT")]
        governance_account: String,
        /// AWS region of the governance catalog.
        #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
        region: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: SharesArgs) -> u8 {
    let SharesCommand::Accept { account, governance_account, region, json } = args.command;
    for (name, id) in [("--account", &account), ("--governance-account", &governance_account)] {
        if !steward_schemas::AccountId::parse(id).is_ok_and(|a| a.is_aws()) {
            return crate::usage_error(format!("{name} `{id}` is not a 12-digit AWS account id"));
        }
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return crate::usage_error(format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async move {
        // Endpoints come from the environment (AWS_ENDPOINT_URL and the per-service variants).
        let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region))
            .load()
            .await;
        match steward_aws::ConsumerShares::new(&cfg, &account).accept(&governance_account).await {
            Ok(accepted) => {
                if json {
                    outln!("{}", serde_json::to_string_pretty(&accepted).unwrap_or_default());
                } else if accepted.is_empty() {
                    outln!(
                        "no shares from account {governance_account} (ask a reviewer to approve your access request)"
                    );
                } else {
                    for a in &accepted {
                        outln!("accepted {}", a.share_arn);
                        for link in &a.resource_links {
                            outln!("  resource link {link} -> {governance_account}:{link}");
                        }
                    }
                }
                EXIT_OK
            }
            Err(e) => {
                eprintln!("steward: error: {e}");
                EXIT_AWS
            }
        }
    })
}
