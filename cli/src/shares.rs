//! `steward shares accept`: the consumer account's side of a grant. All the
//! AWS work is `steward_aws::ConsumerShares::accept`; this module checks the
//! arguments (a usage error, exit 2, before any AWS call), loads the SDK
//! configuration through the full default credential chain, and prints what
//! was done as text or JSON (an AWS failure exits 3).

use clap::{ArgAction, Args, Subcommand};

use crate::{EXIT_AWS, EXIT_OK};

/// Consumer-side share set-up on AWS (runs with the consumer account's credentials).
#[derive(Args)]
pub struct SharesArgs {
    #[command(subcommand)]
    command: SharesCommand,
}

#[derive(Subcommand)]
enum SharesCommand {
    /// Make what the governance account shared usable in this account: accept
    /// its Lake Formation invitations, create Glue resource links, and
    /// optionally grant query roles access. Safe to run again.
    ///
    /// On AWS the governance account's Lake Formation grant is the share; Lake
    /// Formation puts the tables in a RAM share named `LakeFormation-…`.
    ///
    /// In the governance account's AWS Organization (RAM sharing with
    /// Organizations enabled) the shared databases and tables are available at
    /// once and there is no invitation: this command finds them with RAM
    /// ListResources and Glue GetDatabases(FOREIGN).
    ///
    /// Outside the Organization, run it as the data-lake administrator: it
    /// accepts only PENDING invitations sent by the governance account whose
    /// share name starts with `LakeFormation` and which share nothing but
    /// Glue resources. Other invitations from that account (a VPC subnet, a
    /// share not made by Lake Formation) are listed as skipped and left
    /// pending. RAM lists newly accepted resources after a short delay; the
    /// command lists again a few times before it gives up.
    ///
    /// Each shared database gets a resource link named <PREFIX><database>
    /// (default prefix `steward_<governance account>_`, so two accounts'
    /// `sales` databases cannot collide). A database of that name that is not
    /// the same link is a conflict (exit 3).
    ///
    /// With --grant-to, each role gets DESCRIBE on the links and SELECT and
    /// DESCRIBE on the shared tables (catalog = the governance account), which
    /// needs Lake Formation data-lake administrator rights here and the grant
    /// option from the governance side.
    ///
    /// Credentials come from the full AWS default chain: environment,
    /// AWS_PROFILE including IAM Identity Center (SSO) profiles after `aws sso
    /// login`, `credential_process`, web identity, container and instance
    /// roles. Endpoints: AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_RAM / _GLUE /
    /// _LAKEFORMATION.
    ///
    /// Exit codes: 0 done, 2 bad arguments (no AWS call made), 3 AWS refused
    /// or failed a call, or a link name is taken.
    #[command(verbatim_doc_comment)]
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
        /// Prefix of the local resource-link names (lower-case letters,
        /// digits, `_`); default `steward_<governance account>_`; '' keeps
        /// the governance database names.
        #[arg(long, value_name = "PREFIX")]
        link_prefix: Option<String>,
        /// IAM role ARN of this account to grant DESCRIBE on the links and
        /// SELECT + DESCRIBE on the shared tables to (repeatable).
        #[arg(long, value_name = "ROLE_ARN", action = ArgAction::Append, num_args = 1..)]
        grant_to: Vec<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: SharesArgs) -> u8 {
    let SharesCommand::Accept { account, governance_account, region, link_prefix, grant_to, json } = args.command;
    for (name, id) in [("--account", &account), ("--governance-account", &governance_account)] {
        if !steward_schemas::AccountId::parse(id).is_ok_and(|a| a.is_aws()) {
            return crate::usage_error(format!("{name} `{id}` is not a 12-digit AWS account id"));
        }
    }
    let options = steward_aws::AcceptOptions { link_prefix, grant_to };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return crate::usage_error(format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async move {
        // The full default chain (SSO and credential_process included); the
        // chain resolves lazily, so bad arguments are refused before any call.
        let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region))
            .load()
            .await;
        let consumer = steward_aws::ConsumerShares::new(&cfg, &account);
        if let Err(e) = consumer.check(&governance_account, &options) {
            return crate::usage_error(e);
        }
        match consumer.accept(&governance_account, &options).await {
            Ok(report) => {
                if json {
                    outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
                } else {
                    print_text(&report);
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

fn print_text(r: &steward_aws::AcceptReport) {
    let gov = &r.governance_account;
    for i in &r.accepted_invitations {
        outln!("accepted {} ({}, invitation {})", i.share_arn, i.share_name, i.invitation_arn);
    }
    for i in &r.skipped_invitations {
        outln!(
            "skipped invitation {} to {} ({}): {}; left pending",
            i.invitation_arn,
            i.share_name,
            i.share_arn,
            i.reason.as_deref().unwrap_or("not a Lake Formation share")
        );
    }
    for l in &r.links {
        let state = if l.created { "created" } else { "exists" };
        outln!("resource link {} -> {gov}:{} ({state})", l.name, l.target_database);
    }
    for g in &r.grants {
        let on = match &g.table {
            Some(t) => format!("table {}:{}.{t}", g.catalog_id, g.database),
            None => format!("database {}:{}", g.catalog_id, g.database),
        };
        let state = if g.granted { "granted" } else { "already held" };
        outln!("{state}: {} on {on} to {}", g.permissions.join("+"), g.role);
    }
    for arn in &r.not_yet_listed {
        outln!("not listed by RAM yet: {arn} (accepted; run again in a minute to link it)");
    }
    if r.links.is_empty() && r.accepted_invitations.is_empty() && r.not_yet_listed.is_empty() {
        outln!("nothing shared by account {gov} yet (ask a reviewer to approve your access request)");
    }
}
