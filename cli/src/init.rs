//! `steward init`: write a starter contract that passes `steward validate`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use steward_schemas::{DomainName, ProductName};

use crate::{EXIT_OK, usage_error};

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ServerKind {
    /// A directory under Steward's embedded lake (`lake/<domain>/<product>`).
    Local,
    /// An S3 prefix (`s3://steward-<domain>/<product>/`).
    S3,
}

/// Write a starter ODCS v3.1 contract for a new data product.
///
/// The file passes `steward validate` with the built-in policy; replace the
/// example table, the descriptions and the contacts with your own.
#[derive(Args)]
pub struct InitArgs {
    /// Domain that owns the product (lower snake case), e.g. `sales`.
    #[arg(long)]
    domain: String,

    /// Product name within the domain (lower snake case), e.g. `orders`.
    #[arg(long)]
    product: String,

    /// Owning team (default: `<domain>-data`).
    #[arg(long)]
    team: Option<String>,

    /// Contact e-mail address (default: `<domain>-data@example.com`).
    #[arg(long)]
    email: Option<String>,

    /// Where the data lives.
    #[arg(long, value_enum, default_value = "local")]
    server: ServerKind,

    /// Output file, or `-` for standard output (default: `<product>.odcs.yaml`).
    #[arg(long, short)]
    output: Option<PathBuf>,

    /// Overwrite the output file if it exists.
    #[arg(long)]
    force: bool,
}

pub fn run(args: InitArgs) -> u8 {
    let domain = match DomainName::parse(&args.domain) {
        Ok(d) => d,
        Err(e) => return usage_error(format!("--domain: {e}")),
    };
    let product = match ProductName::parse(&args.product) {
        Ok(p) => p,
        Err(e) => return usage_error(format!("--product: {e}")),
    };
    let team = args.team.unwrap_or_else(|| format!("{domain}-data"));
    let email = args.email.unwrap_or_else(|| format!("{domain}-data@example.com"));
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return usage_error(format!("--email: `{email}` is not an e-mail address"));
    }
    let text = render(&domain, &product, &team, &email, args.server);

    let output = args.output.unwrap_or_else(|| PathBuf::from(format!("{product}.odcs.yaml")));
    if output.as_os_str() == "-" {
        out!("{text}");
        return EXIT_OK;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if args.force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let written = options.open(&output).and_then(|mut f| f.write_all(text.as_bytes()));
    match written {
        Ok(()) => {
            eprintln!(
                "wrote {}: edit the table, descriptions and contacts, then run `steward validate {}`",
                output.display(),
                output.display()
            );
            EXIT_OK
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => usage_error(format!(
            "{} already exists; pass --force to overwrite it or --output to choose another file",
            output.display()
        )),
        Err(e) => usage_error(format!("cannot write {}: {e}", output.display())),
    }
}

fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialize")
}

fn render(domain: &DomainName, product: &ProductName, team: &str, email: &str, server: ServerKind) -> String {
    let server_block = match server {
        ServerKind::Local => {
            format!("  - server: local\n    type: local\n    path: lake/{domain}/{product}\n    format: parquet\n")
        }
        ServerKind::S3 => format!(
            "  - server: production\n    type: s3\n    location: s3://steward-{}/{product}/\n    format: parquet\n",
            domain.as_str().replace('_', "-")
        ),
    };
    let id = uuid::Uuid::new_v4();
    let team = yaml_string(team);
    let email_s = yaml_string(email);
    let mailto = yaml_string(&format!("mailto:{email}"));
    format!(
        r#"# Data contract for {domain}.{product} (ODCS v3.1).
# Reference: docs/contracts.md. Check it with `steward validate <this file>`.
apiVersion: v3.1.0
kind: DataContract
id: {id}
version: 0.1.0
status: draft
domain: {domain}
dataProduct: {product}
description:
  purpose: What this data is, where it comes from and what it is for.
team:
  name: {team}
support:
  - channel: {email_s}
    tool: email
    url: {mailto}
servers:
{server_block}schema:
  - name: {product}
    physicalType: table
    description: One row per ... (replace this example table with yours).
    properties:
      - name: id
        logicalType: string
        physicalType: string
        description: Unique identifier of the row.
        required: true
        primaryKey: true
        primaryKeyPosition: 1
        classification: internal
      - name: dt
        logicalType: date
        physicalType: date
        description: Delivery date (partition key).
        required: true
        partitioned: true
        partitionKeyPosition: 1
        classification: internal
slaProperties:
  # The SLO: each tick of the schedule is a due time for a refresh.
  - property: frequency
    value: daily
    scheduler: cron
    schedule: "0 6 * * *"
  - property: timezone
    value: UTC
  - property: gracePeriod
    value: 30
    unit: m
customProperties:
  # Most sensitive classification any column may have: public, internal, confidential, restricted.
  - property: classification
    value: internal
"#
    )
}
