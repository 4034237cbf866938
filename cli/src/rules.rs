//! `steward rules`: the rule catalogue, as the policy in force sees it.

use std::path::PathBuf;

use clap::Args;

use crate::{EXIT_OK, load_policy, usage_error};

/// List every governance rule with its id and severity.
#[derive(Args)]
pub struct RulesArgs {
    /// Policy file (defaults to the built-in policy).
    #[arg(long, env = "STEWARD_POLICY", value_name = "FILE")]
    policy: Option<PathBuf>,
}

pub fn run(args: RulesArgs) -> u8 {
    let policy = match load_policy(args.policy.as_deref()) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    for rule in steward_policies::RULES {
        let severity = policy.severity_of(rule.id).map_or("off", |s| s.as_str());
        outln!("{}  {:<7}  {:<22}  {}", rule.id, severity, rule.name, rule.summary);
    }
    EXIT_OK
}
