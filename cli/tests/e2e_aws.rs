//! End to end against moto: the real `steward serve` with the Glue catalog,
//! AWS share and S3 signal backends. A product is published to Glue (tables,
//! columns, parameters, partitions visible through the Glue API, its location
//! registered with Lake Formation), a refresh writes its partition and marker,
//! a consumer's approved request becomes Lake Formation permissions (the grant
//! is the share: Lake Formation makes the RAM share itself), and a revoke
//! removes them. Then the worker is killed between the commit and the AWS
//! call (and once after the call) and the permissions after the restart are
//! those of one grant.
//!
//! The server talks to moto without an account header, so the governance
//! account is moto's default, 123456789012.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Server, cli, ok, start_with, token};
use steward_aws::testing::Moto;

const GOV: &str = "123456789012";
const CONSUMER: &str = "111122223333";

fn server(data: &Path, moto: &Moto, fault: Option<(&str, &str)>) -> Server {
    let mut env = vec![
        ("STEWARD__BACKENDS__CATALOG", "glue"),
        ("STEWARD__BACKENDS__SHARES", "aws"),
        ("STEWARD__BACKENDS__SIGNALS", "s3"),
        ("STEWARD__AWS__REGION", steward_aws::testing::REGION),
        ("STEWARD__AWS__ENDPOINT_URL", moto.url()),
        ("STEWARD__AWS__GOVERNANCE_ACCOUNT_ID", GOV),
        ("STEWARD__OUTBOX__POLL_MS", "50"),
        ("STEWARD__OUTBOX__BASE_BACKOFF_MS", "100"),
        // A killed worker's claims expire after this; the restarted one takes them over.
        ("STEWARD__OUTBOX__CLAIM_SECS", "3"),
        ("AWS_ACCESS_KEY_ID", steward_aws::testing::ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", steward_aws::testing::SECRET_ACCESS_KEY),
    ];
    if let Some(f) = fault {
        env.push(f);
    }
    start_with(data, None, &env)
}

/// Polls `check` until it returns `Some`, for at most 30 s.
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits for a server killed by a fault point to exit.
fn wait_exit(server: &mut Server) -> Option<i32> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status.code();
        }
        assert!(Instant::now() < deadline, "the fault point did not stop the server");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The consumer account's Lake Formation permissions, as `resource:PERMISSION`
/// (sorted, one line each): the grant is the share, and Lake Formation makes
/// (or extends) the RAM share itself
/// (https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-permissions.html).
/// moto filters `ListPermissions` by principal only with a resource, so the
/// filtering is done here.
async fn consumer_permissions(lf: &aws_sdk_lakeformation::Client) -> Vec<String> {
    let all = lf.list_permissions().send().await.unwrap();
    let mut out: Vec<String> = all
        .principal_resource_permissions()
        .iter()
        .filter(|p| p.principal().and_then(|x| x.data_lake_principal_identifier()) == Some(CONSUMER))
        .flat_map(|p| {
            let resource = match p.resource() {
                Some(r) if r.table().is_some() => {
                    let t = r.table().unwrap();
                    format!("table:{}.{}", t.database_name(), t.name().unwrap_or("*"))
                }
                Some(r) if r.database().is_some() => format!("database:{}", r.database().unwrap().name()),
                _ => "other".to_owned(),
            };
            p.permissions().iter().map(move |x| format!("{resource}:{}", x.as_str())).collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glue_and_lake_formation_end_to_end() {
    let Some(moto) = steward_aws::testing::moto().await else { return };
    let cfg = moto.config(GOV).await;
    let glue = aws_sdk_glue::Client::new(&cfg);
    let lf = aws_sdk_lakeformation::Client::new(&cfg);
    let markers = moto.markers();
    // The bucket the contract's location names.
    reqwest::Client::new().put(format!("{}/steward-sales", moto.url())).send().await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut srv = server(&data, &moto, None);
    let admin = std::fs::read_to_string(data.join("admin.token")).unwrap().trim().to_owned();
    let producer = token(&srv, &admin, &["--name", "paul", "--role", "producer", "--domain", "sales"]);
    let reviewer = token(&srv, &admin, &["--name", "rita", "--role", "reviewer"]);
    let consumer = token(&srv, &admin, &["--name", "carla", "--role", "consumer", "--account", CONSUMER]);

    // Publish: Glue database and tables, Lake Formation location.
    let contract = steward_testkit::repo_root().join("examples/sales-orders.odcs.yaml");
    ok(cli(&srv, &producer, &["submit", contract.to_str().unwrap()]));
    ok(cli(&srv, &reviewer, &["proposals", "approve", "1", "--comment", "ship it"]));
    let tables = eventually("the Glue tables", || async {
        let out = glue.get_tables().database_name("sales_orders").send().await.ok()?;
        (out.table_list().len() == 2).then(|| out.table_list().to_vec())
    })
    .await;
    let lines = tables.iter().find(|t| t.name() == "order_lines").expect("order_lines in Glue");
    let sd = lines.storage_descriptor().unwrap();
    assert_eq!(sd.location(), Some("s3://steward-sales/orders/order_lines/"));
    let cols: Vec<(&str, &str)> = sd.columns().iter().map(|c| (c.name(), c.r#type().unwrap_or(""))).collect();
    assert!(cols.contains(&("amount", "decimal(12,2)")) && cols.contains(&("order_id", "varchar(36)")), "{cols:?}");
    assert!(!cols.iter().any(|(n, _)| *n == "dt"), "partition keys are not data columns: {cols:?}");
    let keys: Vec<&str> = lines.partition_keys().iter().map(|c| c.name()).collect();
    assert_eq!(keys, ["dt"]);
    let params = lines.parameters().unwrap();
    assert_eq!(params.get("steward.owner").map(String::as_str), Some("sales-data"));
    assert_eq!(params.get("steward.contract_version").map(String::as_str), Some("1.0.0"));
    assert_eq!(params.get("steward.slo.schedule").map(String::as_str), Some("0 6 * * *"));
    let registered = eventually("the Lake Formation location", || async {
        let out = lf.list_resources().send().await.ok()?;
        let arns: Vec<String> =
            out.resource_info_list().iter().filter_map(|r| r.resource_arn().map(str::to_owned)).collect();
        arns.iter().any(|a| a.contains("steward-sales/orders")).then_some(arns)
    })
    .await;
    // One registration for the product's prefix, not one per table.
    let mine: Vec<&String> = registered.iter().filter(|a| a.contains("steward-sales")).collect();
    assert_eq!(mine.len(), 1, "{registered:?}");
    assert!(mine[0].trim_end_matches('/').ends_with("arn:aws:s3:::steward-sales/orders"), "{registered:?}");

    // A refresh: the partition in Glue, then the 0-byte marker in S3.
    let out = ok(cli(
        &srv,
        &producer,
        &["refresh", "sales.orders", "--table", "order_lines", "--partition", "dt=2026-11-21", "--id", "r1"],
    ));
    assert!(out.contains("refresh 1 recorded"), "{out}");
    eventually("the S3 marker", || async {
        markers.exists("s3://steward-sales/orders/order_lines/dt=2026-11-21/").await.ok()?.then_some(())
    })
    .await;
    let parts = glue.get_partitions().database_name("sales_orders").table_name("order_lines").send().await.unwrap();
    let values: Vec<Vec<String>> = parts.partitions().iter().map(|p| p.values().to_vec()).collect();
    assert_eq!(values, [vec!["2026-11-21".to_owned()]], "the partition was in Glue before the marker");

    // Access: request, approve, the Lake Formation grant (which is the share).
    let out = ok(cli(
        &srv,
        &consumer,
        &["access", "request", "sales.orders", "--account", CONSUMER, "--justification", "forecasting"],
    ));
    assert!(out.contains("access request 1"), "{out}");
    ok(cli(&srv, &reviewer, &["access", "approve", "1", "--comment", "fine"]));
    let perms = eventually("the Lake Formation grant", || async {
        let p = consumer_permissions(&lf).await;
        (!p.is_empty()).then_some(p)
    })
    .await;
    assert!(perms.contains(&"database:sales_orders:DESCRIBE".to_owned()), "{perms:?}");
    assert!(perms.contains(&"table:sales_orders.order_lines:SELECT".to_owned()), "{perms:?}");
    assert!(perms.contains(&"table:sales_orders.order_lines:DESCRIBE".to_owned()), "{perms:?}");
    let granted = perms.clone();

    // Revoke removes the permissions (and with them, on AWS, the share).
    ok(cli(&srv, &reviewer, &["access", "revoke", "1", "--reason", "project over"]));
    eventually("the permissions to go", || async { consumer_permissions(&lf).await.is_empty().then_some(()) }).await;

    // Kill the worker between the commit and the AWS call: after a restart,
    // the same permissions as one grant.
    drop(srv);
    srv = server(&data, &moto, Some(("STEWARD__FAULTS__EXIT_BEFORE", "share.grant")));
    ok(cli(&srv, &consumer, &["access", "request", "sales.orders", "--account", CONSUMER, "--justification", "again"]));
    ok(cli(&srv, &reviewer, &["access", "approve", "2"]));
    assert_eq!(wait_exit(&mut srv), Some(86), "died at the fault point");
    assert!(consumer_permissions(&lf).await.is_empty(), "the AWS call never happened");
    drop(srv);
    srv = server(&data, &moto, None);
    eventually("the grant after restart", || async { (consumer_permissions(&lf).await == granted).then_some(()) })
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(consumer_permissions(&lf).await, granted, "the same permissions, once each");

    // Kill it right after the AWS call, before the job is marked done: the
    // job runs again after the restart and the grant stays as it was.
    ok(cli(&srv, &reviewer, &["access", "revoke", "2"]));
    eventually("the permissions to go", || async { consumer_permissions(&lf).await.is_empty().then_some(()) }).await;
    drop(srv);
    srv = server(&data, &moto, Some(("STEWARD__FAULTS__EXIT_AFTER", "share.grant")));
    ok(cli(&srv, &consumer, &["access", "request", "sales.orders", "--account", CONSUMER, "--justification", "third"]));
    ok(cli(&srv, &reviewer, &["access", "approve", "3"]));
    assert_eq!(wait_exit(&mut srv), Some(87));
    assert_eq!(consumer_permissions(&lf).await, granted);
    drop(srv);
    let srv = server(&data, &moto, None);
    let admin_view = eventually("the grant job done", || async {
        let out = cli(&srv, &admin, &["admin", "outbox", "--status", "pending", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        v.as_array()?.is_empty().then_some(v)
    })
    .await;
    assert!(admin_view.as_array().unwrap().is_empty());
    assert_eq!(consumer_permissions(&lf).await, granted, "the repeated grant changed nothing");
}

/// The consumer's side, through the real CLI: `steward shares accept` with the
/// consumer's credentials accepts the governance account's RAM invitation (the
/// RAM fake: moto has no invitations) and creates the Glue resource link
/// (moto's Glue). The consumer is moto's default account (no account header
/// from the CLI); the fake knows it from the 12-digit access key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_accepts_the_share_with_the_cli() {
    let Some(moto) = steward_aws::testing::moto().await else { return };
    let ram = steward_aws::testing::ram_fake::RamFake::start().await;
    let gov = steward_aws::testing::account();
    let gov_cfg = moto.config_with_ram(&gov, ram.url()).await;
    let db = steward_aws::testing::unique("sales_orders_");
    let spec = steward_aws::DatabaseSpec {
        name: db.clone(),
        description: None,
        location: None,
        parameters: Default::default(),
        tables: vec![steward_aws::TableSpec {
            name: "order_lines".into(),
            description: None,
            columns: vec![steward_aws::ColumnSpec { name: "sku".into(), data_type: "string".into(), comment: None }],
            partition_keys: vec![],
            location: "s3://steward-sales/orders/order_lines/".into(),
            parameters: Default::default(),
        }],
    };
    steward_aws::GlueCatalog::new(&gov_cfg).publish(&spec).await.unwrap();
    let grant = steward_aws::ShareGrant {
        share_name: format!("steward-{db}-{GOV}"),
        consumer_account: GOV.into(),
        database: db.clone(),
        tables: vec!["order_lines".into()],
    };
    steward_aws::Shares::new(&gov_cfg, &gov).grant(&grant).await.unwrap();
    // What Lake Formation does on AWS for that grant (moto does not): its own
    // RAM share of the database and table to the consumer
    // (https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-permissions.html).
    let share = aws_sdk_ram::Client::new(&gov_cfg)
        .create_resource_share()
        .name(format!("LakeFormation-V3-{}", steward_aws::testing::unique("")))
        .principals(GOV)
        .resource_arns(format!("arn:aws:glue:{}:{gov}:database/{db}", steward_aws::testing::REGION))
        .resource_arns(format!("arn:aws:glue:{}:{gov}:table/{db}/order_lines", steward_aws::testing::REGION))
        .send()
        .await
        .unwrap();
    let share_arn = share.resource_share().unwrap().resource_share_arn().unwrap().to_owned();

    // `steward shares accept` as the consumer; each call says where AWS is.
    let accept = || {
        let mut cmd = std::process::Command::new(common::STEWARD);
        cmd.args(["shares", "accept", "--account", GOV, "--governance-account", &gov])
            .args(["--region", steward_aws::testing::REGION])
            .env("AWS_ACCESS_KEY_ID", GOV)
            .env("AWS_SECRET_ACCESS_KEY", "consumer-secret")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_PROFILE");
        cmd
    };
    let run =
        || accept().env("AWS_ENDPOINT_URL_RAM", ram.url()).env("AWS_ENDPOINT_URL_GLUE", moto.url()).output().unwrap();
    let out = ok(run());
    assert!(out.contains(&format!("accepted {share_arn}")), "{out}");
    assert!(out.contains(&format!("resource link {db} -> {gov}:{db}")), "{out}");
    let consumer_glue = aws_sdk_glue::Client::new(&moto.config(GOV).await);
    let link = consumer_glue.get_database().name(&db).send().await.unwrap();
    let target = link.database().unwrap().target_database().expect("a resource link");
    assert_eq!((target.catalog_id(), target.database_name()), (Some(gov.as_str()), Some(db.as_str())));
    // Running it again is harmless.
    let again = ok(run());
    assert!(again.contains(&format!("resource link {db}")), "{again}");
    // A bad account id never reaches AWS.
    let bad = std::process::Command::new(common::STEWARD)
        .args(["shares", "accept", "--account", "12345", "--governance-account", &gov])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a 12-digit AWS account id"));
    // An AWS failure (here: nothing listens at the RAM endpoint) is not a
    // usage error: it exits 3 and says what failed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let unreachable =
        accept().env("AWS_ENDPOINT_URL", format!("http://{closed}")).env("AWS_MAX_ATTEMPTS", "1").output().unwrap();
    let stderr = String::from_utf8_lossy(&unreachable.stderr);
    assert_eq!(unreachable.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("steward: error:"), "{stderr}");
}
