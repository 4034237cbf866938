//! `steward`: the one binary. Each subcommand lives in its own module; this
//! file only parses arguments and maps outcomes to exit codes.

// First, so the `outln!`/`out!` macros are in scope in every module below.
#[macro_use]
mod output;
mod access;
mod admin;
mod aws;
mod client;
mod events;
mod init;
mod products;
mod proposals;
mod refresh;
mod rules;
mod serve;
mod shares;
mod slo;
mod submit;
mod subscriptions;
mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code: every contract is fine (warnings allowed).
pub const EXIT_OK: u8 = 0;
/// Exit code: at least one contract has errors.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: bad usage, or a file could not be read or written.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: AWS refused or failed a call (`shares accept`, `aws doctor`, `aws setup`): permissions,
/// throttling, an unreachable endpoint; the message names the call.
pub const EXIT_AWS: u8 = 3;
/// Exit code: standard output was closed before everything was printed
/// (`steward proposals list | head -1`). 128 + SIGPIPE: what a shell reports
/// for a tool the signal ended, so pipelines read it the usual way.
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// The exit codes and environment, under `steward --help`; docs/cli.md says the same.
const AFTER_HELP: &str = "\
Environment:
  STEWARD_URL      Steward server for client commands (default http://127.0.0.1:8080)
  STEWARD_TOKEN    API token for client commands (each role its own)
  STEWARD_POLICY   Policy file for `validate` and `rules` (default: the built-in policy)

Exit status:
  0    success (`validate`: no contract has errors; warnings are fine)
  1    refused: a contract has errors, or the server refused the request
       (403, 404, 409, 422: e.g. findings, not allowed, already decided);
       `refresh`: the _SUCCESS marker is dead; `aws doctor`: findings
  2    usage: bad arguments (before anything is sent), a file that cannot be
       read or written, no token, the server unreachable or another error (400, 401, 5xx)
  3    AWS refused or failed a call (`shares accept`, `aws doctor`, `aws setup`): the message says which and why
  141  standard output was closed early (e.g. `| head`); nothing else went wrong";

#[derive(Parser)]
#[command(
    name = "steward",
    version,
    about = "Steward: data contracts, catalog and data-mesh governance",
    long_about = "Steward: data contracts, catalog and data-mesh governance.\n\n\
                  Producers write ODCS v3.1 contracts, check them offline with `steward validate`, and submit them; \
                  reviewers approve them; Steward publishes the tables and manages access and refresh signals.",
    after_help = AFTER_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Validate(validate::ValidateArgs),
    Init(init::InitArgs),
    Rules(rules::RulesArgs),
    Serve(serve::ServeArgs),
    Submit(submit::SubmitArgs),
    Proposals(proposals::ProposalsArgs),
    Products(products::ProductsArgs),
    Access(access::AccessArgs),
    Shares(shares::SharesArgs),
    Refresh(refresh::RefreshArgs),
    Subscriptions(subscriptions::SubscriptionsArgs),
    Slo(slo::SloArgs),
    Admin(admin::AdminArgs),
    Aws(aws::AwsArgs),
}

fn main() -> ExitCode {
    output::quiet_closed_stdout_panics();
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Init(args) => init::run(args),
        Command::Rules(args) => rules::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Submit(args) => submit::run(args),
        Command::Proposals(args) => proposals::run(args),
        Command::Products(args) => products::run(args),
        Command::Access(args) => access::run(args),
        Command::Shares(args) => shares::run(args),
        Command::Refresh(args) => refresh::run(args),
        Command::Subscriptions(args) => subscriptions::run(args),
        Command::Slo(args) => slo::run(args),
        Command::Admin(args) => admin::run(args),
        Command::Aws(args) => aws::run(args),
    };
    ExitCode::from(code)
}

/// Prints an error for a usage or I/O problem and returns [`EXIT_USAGE`].
pub fn usage_error(err: impl std::fmt::Display) -> u8 {
    eprintln!("steward: error: {err}");
    EXIT_USAGE
}

/// Value parser for ids, counts and durations: a whole number of 1 or more.
/// Checked by clap, so a bad value is a usage error (exit 2) naming the
/// argument, before anything is sent. Pair it with `allow_negative_numbers`
/// so `-5` reaches it instead of being taken for a flag.
pub fn positive_i64(s: &str) -> Result<i64, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n > 0 => Ok(n),
        Ok(_) => Err("must be positive (1 or more)".to_owned()),
        Err(_) => Err("must be a positive whole number".to_owned()),
    }
}

/// Value parser for offsets: a whole number of 0 or more.
pub fn non_negative_i64(s: &str) -> Result<i64, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        Ok(_) => Err("must not be negative (0 or more)".to_owned()),
        Err(_) => Err("must be a whole number of 0 or more".to_owned()),
    }
}

/// Loads the policy from `--policy`/`STEWARD_POLICY`, or the built-in one.
pub fn load_policy(path: Option<&std::path::Path>) -> Result<steward_policies::Policy, String> {
    let Some(path) = path else {
        return Ok(steward_policies::Policy::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read policy file {}: {e}", path.display()))?;
    steward_policies::Policy::from_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    /// `--help` is the CLI's manual: a new argument, subcommand or value
    /// without a `///` doc comment fails here.
    #[test]
    fn every_argument_subcommand_and_value_has_help() {
        let mut cmd = Cli::command();
        cmd.build();
        let mut missing = Vec::new();
        walk(&cmd, "steward", &mut missing);
        assert!(missing.is_empty(), "no help text (add a /// doc comment):\n{}", missing.join("\n"));
    }

    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let name = arg.get_long().map_or_else(|| format!("<{}>", arg.get_id()), |l| format!("--{l}"));
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {name}"));
            }
            // Closed sets list their values in --help; each says what it means.
            if arg.get_action().takes_values() {
                for value in arg.get_possible_values() {
                    if value.get_help().is_none() && !value.is_hide_set() {
                        missing.push(format!("{path} {name} {}", value.get_name()));
                    }
                }
            }
        }
        for sub in cmd.get_subcommands() {
            let sub_path = format!("{path} {}", sub.get_name());
            if sub.get_about().is_none() && sub.get_long_about().is_none() {
                missing.push(sub_path.clone());
            }
            walk(sub, &sub_path, missing);
        }
    }

    /// The closed sets the CLI checks are the API's: each value's name on
    /// the command line is its wire name (help and docs show the one name).
    #[test]
    fn closed_sets_match_the_server() {
        use clap::ValueEnum;
        fn check<C: ValueEnum, A: From<C> + std::fmt::Display>(all: &[A]) {
            let names: Vec<String> = C::value_variants().iter().map(client::value_name).collect();
            let api: Vec<String> = C::value_variants().iter().map(|v| A::from(v.clone()).to_string()).collect();
            assert_eq!(names, api, "{}", std::any::type_name::<C>());
            assert_eq!(names.len(), all.len(), "every {} is offered", std::any::type_name::<A>());
        }
        check::<admin::Role, steward_api::Role>(steward_api::Role::ALL);
        check::<admin::OutboxStatus, steward_api::StatusFilter>(steward_api::StatusFilter::ALL);
        check::<proposals::ProposalStatus, steward_api::ProposalStatus>(steward_api::ProposalStatus::ALL);
        check::<access::RequestStatus, steward_api::RequestStatus>(steward_api::RequestStatus::ALL);
        check::<access::GrantStatus, steward_api::GrantStatus>(steward_api::GrantStatus::ALL);
    }

    #[test]
    fn positive_and_non_negative_numbers() {
        assert_eq!(positive_i64("1"), Ok(1));
        assert_eq!(positive_i64("0"), Err("must be positive (1 or more)".to_owned()));
        assert_eq!(positive_i64("-5"), Err("must be positive (1 or more)".to_owned()));
        assert!(positive_i64("five").unwrap_err().contains("positive"));
        assert_eq!(non_negative_i64("0"), Ok(0));
        assert!(non_negative_i64("-1").is_err());
    }
}
