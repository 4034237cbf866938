//! `steward aws doctor` and `steward aws setup`: the governance account's
//! one-time Lake Formation preparation, checked and made.
//!
//! Both read the configuration `steward serve` reads (defaults, `--config
//! FILE`, `STEWARD__AWS__*`), so the operator checks exactly the account,
//! region, sharing mode and registration role the server will use. The
//! checks and changes themselves live in `steward_aws` (the `account`
//! module); this module picks the principal, prints, and maps outcomes to
//! exit codes.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use steward_aws::{AwsError, DoctorReport, LakeFormationAccount, Status, Target, policies, setup::SetupPlan};
use steward_catalog::config::Config;

use crate::{EXIT_AWS, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, load_policy, usage_error};

/// Lake Formation set-up of the governance account (runs with its credentials).
#[derive(Args)]
pub struct AwsArgs {
    #[command(subcommand)]
    command: AwsCommand,
}

#[derive(Subcommand)]
enum AwsCommand {
    /// Check, read-only, that the governance account is ready for Steward's
    /// sharing: Steward's role is a data-lake administrator, the
    /// cross-account version, the IAMAllowedPrincipals defaults, registered
    /// locations and (aws.sharing = tags) the LF-Tags. Each finding says why,
    /// with the AWS doc, and how to fix it. Exits 0 with no findings, 1 with
    /// findings, 3 when an AWS call fails.
    Doctor(CommonArgs),
    /// Show what `--apply` would change (nothing is changed without it), or
    /// make the changes: add Steward's role to the data-lake administrators
    /// (keeping every other setting), set CROSS_ACCOUNT_VERSION to 4 (never
    /// lowered), remove the IAMAllowedPrincipals defaults (Lake Formation
    /// mode), create the classification LF-Tag (tags mode), register
    /// --location prefixes. Then prints, as JSON, the IAM policies it cannot
    /// attach itself. Safe to run again.
    Setup {
        #[command(flatten)]
        common: CommonArgs,
        /// Make the changes (without it: only show them).
        #[arg(long)]
        apply: bool,
    },
}

#[derive(Args)]
struct CommonArgs {
    /// The YAML configuration file `steward serve` uses; STEWARD__AWS__*
    /// variables override it (as for `serve`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The IAM ARN of the role Steward runs as (default: the caller of these
    /// credentials; an assumed-role session becomes its role's ARN, so a
    /// role with a path must be named here).
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,
    /// An S3 prefix that must be registered with Lake Formation
    /// (s3://bucket/prefix); repeatable.
    #[arg(long = "location", value_name = "S3_URI")]
    locations: Vec<String>,
    /// Policy file whose classification levels the classification LF-Tag must
    /// have (default: the configuration's policy_file, else the built-in policy).
    #[arg(long, env = "STEWARD_POLICY", value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: AwsArgs) -> u8 {
    let (common, apply) = match args.command {
        AwsCommand::Doctor(c) => (c, None),
        AwsCommand::Setup { common, apply } => (common, Some(apply)),
    };
    let config = match Config::load(common.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let Some(settings) = config.aws.clone() else {
        return usage_error(
            "no `aws` settings: set aws.region and aws.governance_account_id in --config FILE \
             or STEWARD__AWS__REGION and STEWARD__AWS__GOVERNANCE_ACCOUNT_ID",
        );
    };
    if let Some(arn) = &common.role_arn
        && !(arn.starts_with("arn:") && arn.contains(":iam::"))
    {
        return usage_error(format!("--role-arn `{arn}` is not an IAM ARN (arn:aws:iam::ACCOUNT:role/NAME)"));
    }
    for l in &common.locations {
        let bucket = l.strip_prefix("s3://").and_then(|r| r.split('/').next()).unwrap_or_default();
        if bucket.is_empty() {
            return usage_error(format!("--location `{l}` is not an s3://bucket/prefix URI"));
        }
    }
    let policy_path = common.policy.clone().or_else(|| config.policy_file.clone());
    let policy = match load_policy(policy_path.as_deref()) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return usage_error(format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(async move {
        let cfg = steward_aws::sdk_config(&settings).await;
        let account = LakeFormationAccount::new(&cfg, &settings);
        let principal = match common.role_arn.clone() {
            Some(arn) => arn,
            None => match account.caller().await {
                Ok(c) => c.principal(),
                Err(e) => return aws_error(&e),
            },
        };
        let target = Target { principal, locations: common.locations.clone(), classifications: policy.classifications };
        match apply {
            None => match account.doctor(&target).await {
                Ok(report) => {
                    print_report(&report, &settings, common.json);
                    if report.findings == 0 { EXIT_OK } else { EXIT_FINDINGS }
                }
                Err(e) => aws_error(&e),
            },
            Some(apply) => {
                let done = if apply { account.apply(&target).await } else { account.plan(&target).await };
                match done {
                    Ok(plan) => {
                        print_setup(&plan, &settings, &target, apply, common.json);
                        EXIT_OK
                    }
                    Err(e) => aws_error(&e),
                }
            }
        }
    })
}

/// A bad input AWS was not asked about is a usage error; anything else is AWS's.
fn aws_error(e: &AwsError) -> u8 {
    eprintln!("steward: error: {e}");
    if matches!(e, AwsError::Invalid(_)) { EXIT_USAGE } else { EXIT_AWS }
}

fn mark(s: Status) -> &'static str {
    match s {
        Status::Ok => "✓",
        Status::Finding => "✗",
        Status::Warning => "warning",
        Status::Note => "note",
    }
}

fn print_report(r: &DoctorReport, s: &steward_aws::AwsSettings, json: bool) {
    if json {
        outln!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
        return;
    }
    outln!(
        "Lake Formation set-up of account {} ({}), principal {}; sharing: {}, hybrid access: {}",
        r.account,
        s.region,
        r.principal,
        r.sharing.as_str(),
        if r.hybrid_access { "on" } else { "off" }
    );
    for c in &r.checks {
        outln!("{} {}: {}", mark(c.status), c.id, c.message);
        if c.status == Status::Ok {
            continue;
        }
        if let Some(why) = &c.why {
            outln!("    why: {why} ({})", c.doc.unwrap_or_default());
        }
        if let Some(fix) = &c.fix {
            outln!("    fix: {fix}");
        }
    }
    let plural = |n: usize, w: &str| if n == 1 { format!("1 {w}") } else { format!("{n} {w}s") };
    if r.findings == 0 {
        outln!("no findings ({}): the account is ready for Steward's sharing", plural(r.warnings, "warning"));
    } else {
        outln!(
            "{}, {}: `steward aws setup` shows what it would change, `--apply` makes it",
            plural(r.findings, "finding"),
            plural(r.warnings, "warning")
        );
    }
}

fn print_setup(plan: &SetupPlan, s: &steward_aws::AwsSettings, target: &Target, applied: bool, json: bool) {
    let iam = policies::iam_policies(s, &target.locations);
    if json {
        let out = serde_json::json!({
            "account": s.governance_account_id,
            "principal": target.principal,
            "applied": applied,
            "changes": plan.changes,
            "iam_policies": iam,
        });
        outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return;
    }
    let head = format!("account {} (principal {})", s.governance_account_id, target.principal);
    if plan.is_empty() {
        outln!("Nothing to change in {head}: it is set up.");
    } else if applied {
        outln!("Changed in {head}:");
    } else {
        outln!("Would change in {head} (nothing changed; run with --apply to make these changes):");
    }
    for c in &plan.changes {
        outln!("  - {}: {} ({})", c.id, c.action, c.call);
    }
    outln!();
    outln!("Not changed by setup (do these yourself):");
    outln!(
        "  - RAM sharing with the AWS Organization, so consumers in it need no invitation: in the management account, \
         `aws ram enable-sharing-with-aws-organization` ({})",
        steward_aws::docs::ORG
    );
    outln!("  - the IAM policies below (governance role, registration role, consumer's `shares accept` role):");
    outln!("{}", serde_json::to_string_pretty(&iam).unwrap_or_default());
}
