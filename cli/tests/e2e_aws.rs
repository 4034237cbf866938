//! End to end against moto: the real `steward serve` with the Glue catalog,
//! AWS share and S3 signal backends, talking to AWS through a recording proxy
//! in front of moto. A product is published to Glue (tables, columns,
//! parameters, partitions visible through the Glue API, its location
//! registered with Lake Formation), a refresh writes its partition and marker,
//! a consumer's approved request becomes Lake Formation permissions (the grant
//! is the share: Lake Formation makes the RAM share itself), a new version's
//! table is shared after it exists, and a revoke removes them. Then the worker
//! is killed between the commit and the AWS call (and once after the call) and
//! the permissions after the restart are those of one grant. The same flow
//! runs in LF-Tag mode with hybrid access.
//!
//! What the proxy checks of every call the server made is what AWS requires
//! and moto does not enforce (see [`assert_governance_calls`]).
//!
//! The server talks to moto without an account header, so the governance
//! account is moto's default, 123456789012.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Server, cli, ok, start_with, token};
use serde_json::Value;
use steward_aws::testing::proxy::{Call, RecordingProxy};

const GOV: &str = "123456789012";
const CONSUMER: &str = "111122223333";

fn server(data: &Path, endpoint: &str, extra: &[(&str, &str)]) -> Server {
    let mut env = vec![
        ("STEWARD__BACKENDS__CATALOG", "glue"),
        ("STEWARD__BACKENDS__SHARES", "aws"),
        ("STEWARD__BACKENDS__SIGNALS", "s3"),
        ("STEWARD__AWS__REGION", steward_aws::testing::REGION),
        ("STEWARD__AWS__ENDPOINT_URL", endpoint),
        ("STEWARD__AWS__GOVERNANCE_ACCOUNT_ID", GOV),
        ("STEWARD__OUTBOX__POLL_MS", "50"),
        ("STEWARD__OUTBOX__BASE_BACKOFF_MS", "100"),
        // A killed worker's claims expire after this; the restarted one takes them over.
        ("STEWARD__OUTBOX__CLAIM_SECS", "3"),
        // Shown only when a test fails (start_with echoes into the test's capture).
        ("STEWARD_LOG", "info"),
        ("AWS_ACCESS_KEY_ID", steward_aws::testing::ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", steward_aws::testing::SECRET_ACCESS_KEY),
    ];
    env.extend_from_slice(extra);
    start_with(data, None, &env)
}

/// Polls `check` until it returns `Some`, for at most 90 s (the whole
/// workspace's tests share the machine and one moto).
async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the consumer holds no Lake Formation permissions; on a
/// timeout, says what it still holds and what Steward last asked of Lake
/// Formation.
async fn permissions_gone(lf: &aws_sdk_lakeformation::Client, proxy: &RecordingProxy) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let held = consumer_permissions(lf).await;
        if held.is_empty() {
            return;
        }
        if Instant::now() >= deadline {
            let calls: Vec<String> = proxy
                .calls()
                .iter()
                .filter(|c| c.service == "lakeformation")
                .map(|c| format!("{} {}", c.operation, c.body))
                .collect();
            let recent = &calls[calls.len().saturating_sub(12)..];
            panic!(
                "timed out waiting for the permissions to go; the consumer still holds {held:?}; the last Lake Formation calls:\n{}",
                recent.join("\n")
            );
        }
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
                // LF-Tag grants are the tag-sharing test's: it runs at the same
                // time in the same moto account, and this test grants named
                // resources only.
                _ => return Vec::new(),
            };
            p.permissions().iter().map(move |x| format!("{resource}:{}", x.as_str())).collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn glue_and_lake_formation_end_to_end() {
    // Its own moto: it checks that the consumer holds no Lake Formation
    // permissions at all after a revoke, which the shared server's state
    // from the rest of the workspace's tests can falsify (it timed out in
    // full CI runs and passed alone).
    let Some(moto) = steward_aws::testing::moto_of_its_own().await else { return };
    let cfg = moto.config(GOV).await;
    let glue = aws_sdk_glue::Client::new(&cfg);
    let lf = aws_sdk_lakeformation::Client::new(&cfg);
    let markers = moto.markers();
    // The bucket the contract's location names.
    reqwest::Client::new().put(format!("{}/steward-sales", moto.url())).send().await.unwrap();
    let proxy = RecordingProxy::start(moto.url()).await;

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut srv = server(&data, proxy.url(), &[]);
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
    let grant = ok(cli(&srv, &reviewer, &["access", "grants", "--json"]));
    assert!(grant.contains("\"share_arn\""), "grants show the Lake Formation share (none on moto): {grant}");

    // A new version adds a table while the grant is active: its share is
    // extended, after the table exists.
    let v11 = dir.path().join("v1.1.0.yaml");
    std::fs::write(&v11, with_returns_table("1.1.0")).unwrap();
    ok(cli(&srv, &producer, &["submit", v11.to_str().unwrap()]));
    ok(cli(&srv, &reviewer, &["proposals", "approve", "2", "--comment", "adds returns"]));
    let perms = eventually("the new table's grant", || async {
        let p = consumer_permissions(&lf).await;
        p.contains(&"table:sales_orders.returns:SELECT".to_owned()).then_some(p)
    })
    .await;
    let granted = perms.clone();
    assert_governance_calls(&proxy);
    assert_table_before_grant(&proxy.calls(), "returns");

    // Revoke removes the permissions (and with them, on AWS, the share).
    ok(cli(&srv, &reviewer, &["access", "revoke", "1", "--reason", "project over"]));
    permissions_gone(&lf, &proxy).await;

    // Kill the worker between the commit and the AWS call: after a restart,
    // the same permissions as one grant.
    drop(srv);
    srv = server(&data, proxy.url(), &[("STEWARD__FAULTS__EXIT_BEFORE", "share.grant")]);
    ok(cli(&srv, &consumer, &["access", "request", "sales.orders", "--account", CONSUMER, "--justification", "again"]));
    ok(cli(&srv, &reviewer, &["access", "approve", "2"]));
    assert_eq!(wait_exit(&mut srv), Some(86), "died at the fault point");
    assert!(consumer_permissions(&lf).await.is_empty(), "the AWS call never happened");
    drop(srv);
    srv = server(&data, proxy.url(), &[]);
    eventually("the grant after restart", || async { (consumer_permissions(&lf).await == granted).then_some(()) })
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(consumer_permissions(&lf).await, granted, "the same permissions, once each");

    // Kill it right after the AWS call, before the job is marked done: the
    // job runs again after the restart and the grant stays as it was.
    ok(cli(&srv, &reviewer, &["access", "revoke", "2", "--reason", "account closed"]));
    permissions_gone(&lf, &proxy).await;
    drop(srv);
    srv = server(&data, proxy.url(), &[("STEWARD__FAULTS__EXIT_AFTER", "share.grant")]);
    ok(cli(&srv, &consumer, &["access", "request", "sales.orders", "--account", CONSUMER, "--justification", "third"]));
    ok(cli(&srv, &reviewer, &["access", "approve", "3"]));
    assert_eq!(wait_exit(&mut srv), Some(87));
    assert_eq!(consumer_permissions(&lf).await, granted);
    drop(srv);
    let srv = server(&data, proxy.url(), &[]);
    let admin_view = eventually("the grant job done", || async {
        let out = cli(&srv, &admin, &["admin", "outbox", "--status", "pending", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        v.as_array()?.is_empty().then_some(v)
    })
    .await;
    assert!(admin_view.as_array().unwrap().is_empty());
    assert_eq!(consumer_permissions(&lf).await, granted, "the repeated grant changed nothing");
    assert_governance_calls(&proxy);
}

/// The same flow with `aws.sharing = tags` and `aws.hybrid_access`: publish
/// tags the database (product, domain, classification) and the classified
/// columns; the approval is one LF-Tag expression grant (`product =
/// sales.orders`) with the grant option, plus DESCRIBE on the tag (LF guide,
/// "Granting data lake permissions using the LF-TBAC method",
/// https://docs.aws.amazon.com/lake-formation/latest/dg/granting-catalog-perms-TBAC.html);
/// a new version's table is shared with no new grant; the consumer is opted
/// in on the shared resources
/// (https://docs.aws.amazon.com/lake-formation/latest/dg/hybrid-access-mode.html);
/// the revoke removes grant and opt-ins. moto has no hybrid opt-ins: the
/// proxy answers them as AWS does (an empty 200).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lf_tags_and_hybrid_access_end_to_end() {
    let Some(moto) = steward_aws::testing::moto().await else { return };
    // An account of its own: the other test uses moto's default one.
    let gov = steward_aws::testing::account();
    let lf = aws_sdk_lakeformation::Client::new(&moto.config(&gov).await);
    let glue = aws_sdk_glue::Client::new(&moto.config(&gov).await);
    let proxy = RecordingProxy::start_as(moto.url(), &gov).await;
    reqwest::Client::new()
        .put(format!("{}/steward-sales", proxy.url()))
        .header(steward_aws::testing::ACCOUNT_HEADER, &gov)
        .send()
        .await
        .unwrap();
    proxy.answer("lakeformation", "CreateLakeFormationOptIn", usize::MAX, serde_json::json!({}));
    proxy.answer("lakeformation", "DeleteLakeFormationOptIn", usize::MAX, serde_json::json!({}));
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let srv = server(
        &data,
        proxy.url(),
        &[
            ("STEWARD__AWS__SHARING", "tags"),
            ("STEWARD__AWS__HYBRID_ACCESS", "true"),
            ("STEWARD__AWS__GOVERNANCE_ACCOUNT_ID", &gov),
        ],
    );
    let admin = std::fs::read_to_string(data.join("admin.token")).unwrap().trim().to_owned();
    let producer = token(&srv, &admin, &["--name", "paul", "--role", "producer", "--domain", "sales"]);
    let reviewer = token(&srv, &admin, &["--name", "rita", "--role", "reviewer"]);
    let consumer = token(&srv, &admin, &["--name", "carla", "--role", "consumer", "--account", CONSUMER]);

    // A database of its own in moto's shared default account.
    let contract = steward_testkit::sales_orders();
    let path = dir.path().join("c.yaml");
    std::fs::write(&path, &contract).unwrap();
    ok(cli(&srv, &producer, &["submit", path.to_str().unwrap()]));
    ok(cli(&srv, &reviewer, &["proposals", "approve", "1", "--comment", "ship it"]));
    let db_tags = eventually("the database's LF-Tags", || async {
        let db = aws_sdk_lakeformation::types::DatabaseResource::builder().name("sales_orders").build().ok()?;
        let db = aws_sdk_lakeformation::types::Resource::builder().database(db).build();
        let out = lf.get_resource_lf_tags().resource(db).send().await.ok()?;
        let tags: Vec<(String, Vec<String>)> =
            out.lf_tag_on_database().iter().map(|t| (t.tag_key().to_owned(), t.tag_values().to_vec())).collect();
        (!tags.is_empty()).then_some(tags)
    })
    .await;
    for (k, v) in [("product", "sales.orders"), ("domain", "sales"), ("classification", "confidential")] {
        assert!(db_tags.contains(&(k.to_owned(), vec![v.to_owned()])), "{k}={v} on the database: {db_tags:?}");
    }
    // The database is tagged before its tables and columns, so the column
    // call may still be on its way when the database's tags show.
    let email = eventually("the PII column tagged at column level", || async {
        proxy.calls_to("lakeformation", "AddLFTagsToResource").into_iter().map(|c| c.json()).find(|b| {
            b["Resource"]["TableWithColumns"]["ColumnNames"]
                .as_array()
                .is_some_and(|c| c.iter().any(|n| n == "customer_email"))
        })
    })
    .await;
    assert_eq!(email["LFTags"][0]["TagKey"], "classification");
    assert_eq!(email["LFTags"][0]["TagValues"][0], "confidential");
    // Registered in hybrid access mode.
    let register = proxy.calls_to("lakeformation", "RegisterResource");
    assert!(!register.is_empty() && register.iter().all(|c| c.json()["HybridAccessEnabled"] == true), "{register:?}");

    ok(cli(
        &srv,
        &consumer,
        &["access", "request", "sales.orders", "--account", CONSUMER, "--justification", "forecasting"],
    ));
    ok(cli(&srv, &reviewer, &["access", "approve", "1", "--comment", "fine"]));
    let grant = eventually("the LF-Tag grant", || async {
        proxy.calls_to("lakeformation", "BatchGrantPermissions").into_iter().next()
    })
    .await;
    let entries = grant.json()["Entries"].as_array().unwrap().clone();
    let kinds: Vec<String> = entries
        .iter()
        .map(|e| {
            let r = &e["Resource"];
            if r["LFTagPolicy"].is_object() {
                format!("policy:{}:{}", r["LFTagPolicy"]["ResourceType"].as_str().unwrap(), e["Permissions"])
            } else {
                format!(
                    "tag:{}={}:{}",
                    r["LFTag"]["TagKey"].as_str().unwrap(),
                    r["LFTag"]["TagValues"][0],
                    e["Permissions"]
                )
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            r#"policy:DATABASE:["DESCRIBE"]"#,
            r#"policy:TABLE:["SELECT","DESCRIBE"]"#,
            r#"tag:product="sales.orders":["DESCRIBE"]"#
        ],
        "{entries:?}"
    );
    for e in &entries {
        assert_eq!(e["Principal"]["DataLakePrincipalIdentifier"], CONSUMER);
        if e["Resource"]["LFTagPolicy"].is_object() {
            assert_eq!(e["Resource"]["LFTagPolicy"]["Expression"][0]["TagKey"], "product");
            assert_eq!(e["Resource"]["LFTagPolicy"]["Expression"][0]["TagValues"][0], "sales.orders");
        }
    }
    let opt_ins = eventually("the hybrid opt-ins", || async {
        let c = proxy.calls_to("lakeformation", "CreateLakeFormationOptIn");
        (c.len() >= 2).then_some(c)
    })
    .await;
    assert!(opt_ins.iter().all(|c| c.json()["Principal"]["DataLakePrincipalIdentifier"] == CONSUMER), "{opt_ins:?}");

    // A new version's table: tagged by inheritance, shared with no new grant.
    let v11 = dir.path().join("v1.1.0.yaml");
    std::fs::write(&v11, with_returns_table("1.1.0")).unwrap();
    ok(cli(&srv, &producer, &["submit", v11.to_str().unwrap()]));
    ok(cli(&srv, &reviewer, &["proposals", "approve", "2", "--comment", "adds returns"]));
    eventually("the new table", || async {
        glue.get_table().database_name("sales_orders").name("returns").send().await.ok()
    })
    .await;
    eventually("the outbox to drain", || async {
        let out = cli(&srv, &admin, &["admin", "outbox", "--status", "pending", "--json"]);
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        v.as_array()?.is_empty().then_some(())
    })
    .await;
    assert_eq!(proxy.calls_to("lakeformation", "BatchGrantPermissions").len(), 1, "no new grant for a new table");

    ok(cli(&srv, &reviewer, &["access", "revoke", "1", "--reason", "project over"]));
    let revoke = eventually("the LF-Tag revoke", || async {
        proxy.calls_to("lakeformation", "BatchRevokePermissions").into_iter().next()
    })
    .await;
    assert_eq!(revoke.json()["Entries"].as_array().unwrap().len(), 3, "{}", revoke.body);
    eventually("the opt-outs", || async {
        (proxy.calls_to("lakeformation", "DeleteLakeFormationOptIn").len() >= 2).then_some(())
    })
    .await;
    assert_governance_calls(&proxy);
}

/// `sales.orders` at `version` with a third table, `returns`.
fn with_returns_table(version: &str) -> String {
    let returns = "  - name: returns\n    physicalName: returns\n    physicalType: table\n    description: Returned order lines.\n    properties:\n      - name: order_id\n        logicalType: string\n        physicalType: varchar(36)\n        description: Order identifier (UUID).\n        required: true\n        classification: internal\nslaProperties:\n";
    let base = steward_testkit::sales_orders();
    assert!(base.contains("\nslaProperties:\n"), "example changed; update the fixture");
    base.replacen("\nslaProperties:\n", &format!("\n{returns}"), 1)
        .replace("version: 1.0.0", &format!("version: {version}"))
}

/// What the governance side sent, checked against what AWS requires:
/// * no RAM share writes: Lake Formation makes and maintains the share
///   itself, and the AWS-managed grantor policy
///   `AWSLakeFormationCrossAccountManager` allows RAM writes only on
///   `LakeFormation*` shares
///   (https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-permissions.html);
/// * every cross-account grant carries the grant option: "When granting
///   permissions to an external account or organization, you must include
///   the grant option"
///   (https://docs.aws.amazon.com/lake-formation/latest/dg/granting-catalog-permissions.html);
/// * partitions carry the table's storage descriptor (formats, SerDe,
///   columns): Athena needs them to read a partition
///   (https://docs.aws.amazon.com/athena/latest/ug/updates-and-partitions.html).
fn assert_governance_calls(proxy: &RecordingProxy) {
    let calls = proxy.calls();
    let ram: Vec<&str> = calls.iter().filter(|c| c.service == "ram").map(|c| c.operation.as_str()).collect();
    assert!(ram.is_empty(), "the governance side made RAM calls: {ram:?}");
    for c in calls.iter().filter(|c| c.is("lakeformation", "BatchGrantPermissions")) {
        for e in c.json()["Entries"].as_array().expect("grant entries") {
            let perms = e["Permissions"].as_array().expect("permissions");
            assert!(!perms.is_empty(), "{e}");
            assert_eq!(&e["PermissionsWithGrantOption"], &e["Permissions"], "every grant is grantable: {e}");
        }
    }
    assert!(calls.iter().all(|c| !c.is("lakeformation", "GrantPermissions")), "grants go in batches");
    for c in calls.iter().filter(|c| c.is("glue", "BatchCreatePartition")) {
        for p in c.json()["PartitionInputList"].as_array().expect("partitions") {
            let sd = &p["StorageDescriptor"];
            assert!(sd["SerdeInfo"]["SerializationLibrary"].as_str().is_some_and(|s| !s.is_empty()), "{p}");
            assert!(sd["InputFormat"].as_str().is_some_and(|s| !s.is_empty()), "{p}");
            assert!(sd["Columns"].as_array().is_some_and(|c| !c.is_empty()), "{p}");
        }
    }
}

/// Every Lake Formation grant naming `table` comes after a Glue call that
/// created or updated it (LF cannot grant on a table the catalog lacks).
fn assert_table_before_grant(calls: &[Call], table: &str) {
    let made = calls
        .iter()
        .position(|c| {
            (c.is("glue", "CreateTable") || c.is("glue", "UpdateTable")) && c.json()["TableInput"]["Name"] == table
        })
        .unwrap_or_else(|| panic!("no CreateTable/UpdateTable of {table}"));
    let granted: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.is("lakeformation", "BatchGrantPermissions"))
        .filter(|(_, c)| {
            c.json()["Entries"].as_array().is_some_and(|es| es.iter().any(|e| e["Resource"]["Table"]["Name"] == table))
        })
        .map(|(i, _)| i)
        .collect();
    assert!(!granted.is_empty(), "{table} was never granted");
    assert!(granted.iter().all(|&i| i > made), "{table} granted (calls {granted:?}) before Glue had it (call {made})");
}
