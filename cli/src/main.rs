//! `steward`: the one binary. Each subcommand lives in its own module; this
//! file only parses arguments and maps outcomes to exit codes.

// First, so the `outln!`/`out!` macros are in scope in every module below.
#[macro_use]
mod output;
mod access;
mod admin;
mod client;
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
/// Exit code: standard output was closed before everything was printed
/// (`steward proposals list | head -1`). 128 + SIGPIPE: what a shell reports
/// for a tool the signal ended, so pipelines read it the usual way.
pub const EXIT_BROKEN_PIPE: u8 = 141;

#[derive(Parser)]
#[command(
    name = "steward",
    version,
    about = "Steward: data contracts, catalog and data-mesh governance",
    long_about = "Steward: data contracts, catalog and data-mesh governance.\n\n\
                  Producers write ODCS v3.1 contracts, check them offline with `steward validate`, and submit them; \
                  reviewers approve them; Steward publishes the tables and manages access and refresh signals."
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
    };
    ExitCode::from(code)
}

/// Prints an error for a usage or I/O problem and returns [`EXIT_USAGE`].
pub fn usage_error(err: impl std::fmt::Display) -> u8 {
    eprintln!("steward: error: {err}");
    EXIT_USAGE
}

/// Loads the policy from `--policy`/`STEWARD_POLICY`, or the built-in one.
pub fn load_policy(path: Option<&std::path::Path>) -> Result<steward_policies::Policy, String> {
    let Some(path) = path else {
        return Ok(steward_policies::Policy::default());
    };
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read policy file {}: {e}", path.display()))?;
    steward_policies::Policy::from_yaml(&text).map_err(|e| format!("{}: {e}", path.display()))
}
