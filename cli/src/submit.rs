//! `steward submit`: send contracts for review.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::Method;

use steward_api::Proposal;

use crate::client::{Body, Client, ClientArgs, ClientError, block_on};
use crate::output::render_finding_json;
use crate::{EXIT_FINDINGS, EXIT_OK};

/// Submit contracts for review (STEWARD_URL, STEWARD_TOKEN of a producer).
///
/// Each valid contract becomes a proposal waiting for a reviewer; invalid
/// ones are answered with their findings. Exit 1 if any was rejected.
#[derive(Args)]
pub struct SubmitArgs {
    /// Contract files (ODCS v3.1 YAML), each sent as one proposal.
    #[arg(required = true, value_name = "FILES")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    client: ClientArgs,
}

pub fn run(args: SubmitArgs) -> u8 {
    block_on(submit(args))
}

async fn submit(args: SubmitArgs) -> Result<u8, ClientError> {
    let client = Client::new(&args.client);
    let bar = (args.files.len() > 1 && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new(args.files.len() as u64);
        b.set_style(
            ProgressStyle::with_template("{spinner} submitting {pos}/{len} {wide_bar} {msg}").expect("static template"),
        );
        b
    });
    let mut rejected = 0;
    for path in &args.files {
        let file = path.display().to_string();
        if let Some(b) = &bar {
            b.set_message(file.clone());
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| ClientError { message: format!("cannot read {file}: {e}"), rejected: false })?;
        let outcome = client.call(Method::POST, "/api/v1/proposals", Some(Body::Yaml(text))).await;
        let line = match outcome {
            Ok(p) if args.client.json => p.compact(),
            Ok(p) => {
                let p: Proposal = p.json()?;
                let mut s =
                    format!("{file}: proposal {} for {} {} is {}", p.id, p.product_key, p.version, p.status.as_str());
                if p.breaking {
                    s.push_str(" (breaking change: major version raised)");
                }
                for f in &p.findings {
                    s.push('\n');
                    s.push_str(&render_finding_json(Some(&file), f));
                }
                s
            }
            Err(e) if e.rejected => {
                rejected += 1;
                format!("{file}: rejected: {}", e.message.replace('\n', &format!("\n{file}:")))
            }
            Err(e) => return Err(e),
        };
        match &bar {
            Some(b) => b.println(line),
            None => outln!("{line}"),
        }
        if let Some(b) = &bar {
            b.inc(1);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(if rejected > 0 { EXIT_FINDINGS } else { EXIT_OK })
}
