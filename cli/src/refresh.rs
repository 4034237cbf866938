//! `steward refresh <domain.product>`: report new data.

use clap::Args;
use reqwest::Method;
use serde_json::{Map, Value, json};

use crate::client::{Body, Client, ClientArgs, ClientError, block_on, enc};
use crate::{EXIT_OK, usage_error};

/// Report a refresh: records it, adds the partition to the catalog, writes the
/// `_SUCCESS` marker and notifies subscribers (producers of the domain).
#[derive(Args)]
pub struct RefreshArgs {
    /// `domain.product`.
    product: String,
    /// The table (may be left out when the product has one).
    #[arg(long)]
    table: Option<String>,
    /// Partition value as KEY=VALUE; repeat for each partition key.
    #[arg(long = "partition", value_name = "KEY=VALUE")]
    partition: Vec<String>,
    /// Snapshot id, for unpartitioned tables.
    #[arg(long)]
    snapshot: Option<String>,
    /// Idempotency key: a retry with the same key does nothing twice (default: a new key per run).
    #[arg(long = "id", value_name = "KEY")]
    id: Option<String>,
    /// Rows written.
    #[arg(long)]
    rows: Option<i64>,
    #[command(flatten)]
    client: ClientArgs,
}

pub fn run(args: RefreshArgs) -> u8 {
    let mut partition = Map::new();
    for p in &args.partition {
        let Some((k, v)) = p.split_once('=') else {
            return usage_error(format!("--partition `{p}`: use KEY=VALUE, e.g. --partition dt=2026-11-21"));
        };
        partition.insert(k.trim().to_owned(), Value::String(v.trim().to_owned()));
    }
    // One key per invocation, reused by the client's own retries.
    let key = args.id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    block_on(async move {
        let client = Client::new(&args.client);
        let body = json!({
            "table": args.table,
            "partition": partition,
            "snapshot_id": args.snapshot,
            "idempotency_key": key,
            "row_count": args.rows,
        });
        let path = format!("/api/v1/products/{}/refreshes", enc(&args.product));
        let v = client.call(Method::POST, &path, Some(Body::Json(body))).await?;
        if args.client.json {
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            return Ok::<u8, ClientError>(EXIT_OK);
        }
        let r = &v["refresh"];
        if v["replayed"] == true {
            println!(
                "refresh {} was already recorded with key {}; nothing done again",
                r["id"],
                s(&r["idempotency_key"])
            );
        } else {
            let part = s(&r["partition"]);
            println!(
                "refresh {} recorded: {} {}{}",
                r["id"],
                s(&r["product_key"]),
                s(&r["table"]),
                if part.is_empty() { String::new() } else { format!(" {part}") }
            );
            println!(
                "  marker {}{}; {} subscriber(s) to notify",
                s(&v["marker"]),
                if v["partition_added"] == true { "; new partition" } else { "" },
                v["notifications"]
            );
        }
        Ok(EXIT_OK)
    })
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}
