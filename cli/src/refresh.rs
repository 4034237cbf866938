//! `steward refresh <domain.product>`: report new data, then wait (briefly)
//! for its `_SUCCESS` marker and say where it stands.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::Args;
use reqwest::Method;
use steward_api::{MarkerState, RefreshInput, RefreshOutcome, RefreshStatus, time};

use crate::client::{Answer, Body, Client, ClientArgs, ClientError, block_on, enc, or_null};
use crate::{EXIT_FINDINGS, EXIT_OK, usage_error};

/// Report a refresh: records it, adds the partition to the catalog, writes the
/// `_SUCCESS` marker and notifies subscribers (producers of the domain).
///
/// The marker is written in the background; the command waits up to `--wait`
/// seconds for it and prints its state. Exit code 1 when the marker is dead
/// (it will not be written, and subscribers are not told, until an admin
/// retries it after fixing the cause).
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
    /// Rows written (0 or more).
    #[arg(long, value_parser = crate::non_negative_i64, allow_negative_numbers = true)]
    rows: Option<i64>,
    /// The major the refresh is of, while an older one is published beside
    /// the newest (default: the newest); its subscribers are told.
    #[arg(long, value_name = "N")]
    major: Option<u32>,
    /// Seconds to wait for the marker to be written (0: do not wait).
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = wait_secs, allow_negative_numbers = true)]
    wait: f64,
    /// Show refresh ID of the product (its marker and notifications) instead of reporting one.
    #[arg(long, value_name = "ID", value_parser = crate::positive_i64, allow_negative_numbers = true,
          conflicts_with_all = ["table", "partition", "snapshot", "id", "rows"])]
    show: Option<i64>,
    #[command(flatten)]
    client: ClientArgs,
}

pub fn run(args: RefreshArgs) -> u8 {
    let mut partition = BTreeMap::new();
    for p in &args.partition {
        let Some((k, v)) = p.split_once('=') else {
            return usage_error(format!("--partition `{p}`: use KEY=VALUE, e.g. --partition dt=2026-11-21"));
        };
        partition.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    if !args.wait.is_finite() || !(0.0..=3600.0).contains(&args.wait) {
        return usage_error(format!("--wait {}: use 0 to 3600 seconds", args.wait));
    }
    // One key per invocation, reused by the client's own retries.
    let key = args.id.clone().unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    block_on(async move {
        let client = Client::new(&args.client);
        if let Some(id) = args.show {
            let (status, text) = status(&client, &args.product, id).await?;
            if args.client.json {
                outln!("{}", text.pretty());
            } else {
                let r = &status.refresh;
                outln!(
                    "refresh {id}: {} {} {} reported {} by {}",
                    r.product_key,
                    r.table,
                    r.partition,
                    time::format(&r.reported_at),
                    r.reported_by
                );
                print_marker(&status);
            }
            return Ok(exit_for(&status));
        }
        let body = RefreshInput {
            table: args.table.clone(),
            partition,
            snapshot_id: args.snapshot.clone(),
            idempotency_key: Some(key),
            row_count: args.rows,
            major: args.major.map(i64::from),
        };
        let path = format!("/api/v1/products/{}/refreshes", enc(&args.product));
        let text = client.call(Method::POST, &path, Some(Body::json(&body))).await?;
        let v: RefreshOutcome = text.json()?;
        let id = v.refresh.id;
        // The refresh is recorded: failing to see its marker is a warning, not a failed report.
        let state = match wait_for_marker(&client, &args.product, id, Duration::from_secs_f64(args.wait)).await {
            Ok(st) => st,
            Err(e) => {
                eprintln!("steward: warning: refresh {id} is recorded, but its marker could not be checked: {e}");
                None
            }
        };
        if args.client.json {
            match &state {
                Some((_, st)) => outln!("{}", text.pretty_with("status", st)),
                None => outln!("{}", text.pretty()),
            }
            return Ok::<u8, ClientError>(state.as_ref().map_or(EXIT_OK, |(st, _)| exit_for(st)));
        }
        let r = &v.refresh;
        if v.replayed {
            outln!("refresh {} was already recorded with key {}; nothing done again", r.id, r.idempotency_key);
        } else {
            let part = &r.partition;
            outln!(
                "refresh {} recorded: {} {}{}",
                r.id,
                r.product_key,
                r.table,
                if part.is_empty() { String::new() } else { format!(" {part}") }
            );
            outln!(
                "  marker {}{}; {} subscriber(s) to notify",
                v.marker,
                if v.partition_added { "; new partition" } else { "" },
                v.notifications
            );
        }
        match &state {
            Some((st, _)) => {
                print_marker(st);
                Ok(exit_for(st))
            }
            None => Ok(EXIT_OK),
        }
    })
}

/// The refresh's status, typed and as the server's JSON (for `--json`).
async fn status(client: &Client, product: &str, id: i64) -> Result<(RefreshStatus, Answer), ClientError> {
    let answer = client.call(Method::GET, &format!("/api/v1/products/{}/refreshes/{id}", enc(product)), None).await?;
    Ok((answer.json()?, answer))
}

/// Polls the refresh until its marker is written or dead, or `wait` passes;
/// `None` when not asked to wait.
async fn wait_for_marker(
    client: &Client,
    product: &str,
    id: i64,
    wait: Duration,
) -> Result<Option<(RefreshStatus, Answer)>, ClientError> {
    if wait.is_zero() {
        return Ok(None);
    }
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(50);
    loop {
        let st = status(client, product, id).await?;
        if matches!(st.0.marker.state, MarkerState::Written | MarkerState::Dead | MarkerState::Missing)
            || Instant::now() >= deadline
        {
            return Ok(Some(st));
        }
        tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

fn print_marker(st: &RefreshStatus) {
    let m = &st.marker;
    let uri = &m.uri;
    let error = m.error.as_deref().unwrap_or("");
    match m.state {
        MarkerState::Written => outln!("  marker written: {uri}"),
        MarkerState::Dead => {
            eprintln!(
                "steward: error: the marker {uri} was not written and will not be: {error}\n  its {} notification(s) wait for it; an admin can retry it after fixing the cause: steward admin outbox --retry {}",
                st.notifications.pending,
                or_null(m.job_id)
            );
        }
        MarkerState::Failed => outln!(
            "  marker not written yet: attempt {} failed ({error}); trying again at {}",
            m.attempts,
            m.next_attempt_at.as_ref().map(time::format).unwrap_or_default()
        ),
        MarkerState::Missing => eprintln!("steward: error: no marker job exists for this refresh"),
        MarkerState::Pending => outln!(
            "  marker pending: not written yet (see `steward refresh {} --show {}`)",
            st.refresh.product_key,
            st.refresh.id
        ),
    }
}

/// A dead (or missing) marker fails the command: nothing will write it.
fn exit_for(st: &RefreshStatus) -> u8 {
    if matches!(st.marker.state, MarkerState::Dead | MarkerState::Missing) { EXIT_FINDINGS } else { EXIT_OK }
}

/// `--wait`: seconds from 0 to 600 (a refresh is recorded before the wait;
/// waiting longer only delays the answer).
fn wait_secs(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=600.0).contains(&v) => Ok(v),
        Ok(_) => Err("must be between 0 and 600 seconds".to_owned()),
        Err(_) => Err("must be a number of seconds".to_owned()),
    }
}
