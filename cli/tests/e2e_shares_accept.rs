//! `steward shares accept`, the real binary, as an out-of-org consumer: moto
//! for Glue and Lake Formation, the RAM fake for RAM (moto has no
//! invitations), `steward_aws::testing::lf_share_model` playing the RAM share
//! Lake Formation makes for the governance account's grant
//! (https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-permissions.html).
//! Exit codes: 0 done, 2 bad arguments before any AWS call, 3 an AWS failure.
//!
//! The CLI sends no moto account header: the consumer is moto's default
//! account for Glue and Lake Formation, and the RAM fake reads it from the
//! 12-digit access key.

use std::process::{Command, Output};

use serde_json::Value;
use steward_aws::testing::lf_share_model::LakeFormationRam;
use steward_aws::testing::ram_fake::RamFake;
use steward_aws::testing::{REGION, account, moto, unique};

const STEWARD: &str = env!("CARGO_BIN_EXE_steward");
/// moto's default account, which the CLI's calls act as.
const CONSUMER: &str = "123456789012";

fn accept(gov: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(STEWARD);
    cmd.args(["shares", "accept", "--account", CONSUMER, "--governance-account", gov, "--region", REGION])
        .args(extra)
        .env("AWS_ACCESS_KEY_ID", CONSUMER)
        .env("AWS_SECRET_ACCESS_KEY", "consumer-secret")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_PROFILE")
        .env_remove("STEWARD_GOVERNANCE_ACCOUNT");
    cmd
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Out of the governance account's Organization, the consumer's data-lake
/// administrator accepts Lake Formation's invitation
/// (https://docs.aws.amazon.com/lake-formation/latest/dg/viewing-shared-resources.html)
/// and only that one; the shared tables are re-granted to a query role
/// (https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-read-data.html).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_accept_binary_exit_codes_and_json() {
    let Some(moto) = moto().await else { return };
    let fake = RamFake::start().await;
    let gov = account();
    let db = unique("sales_orders_");
    let gov_cfg = moto.config_with_ram(&gov, fake.url()).await;
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
            column_classifications: Default::default(),
        }],
        lf_tags: Default::default(),
    };
    steward_aws::GlueCatalog::new(&gov_cfg).publish(&spec).await.unwrap();
    let lf = LakeFormationRam::new(&fake, REGION);
    let share = lf.grant(&gov, CONSUMER, &[lf.database_arn(&gov, &db), lf.table_arn(&gov, &db, "order_lines")]);
    // An unrelated invitation from the same account: left pending.
    aws_sdk_ram::Client::new(&gov_cfg)
        .create_resource_share()
        .name("vpc-subnets")
        .principals(CONSUMER)
        .resource_arns(format!("arn:aws:ec2:{REGION}:{gov}:subnet/subnet-0abc"))
        .send()
        .await
        .unwrap();
    let endpoints = |mut c: Command| {
        c.env("AWS_ENDPOINT_URL_RAM", fake.url())
            .env("AWS_ENDPOINT_URL_GLUE", moto.url())
            .env("AWS_ENDPOINT_URL_LAKEFORMATION", moto.url());
        c
    };
    let role = format!("arn:aws:iam::{CONSUMER}:role/analyst");
    // The set-up's own RAM calls (as the governance account) so far.
    let setup_calls = fake.calls().len();

    // Bad arguments: exit 2, and no AWS call at all.
    for extra in [vec!["--grant-to", "arn:aws:iam::999999999999:role/analyst"], vec!["--link-prefix", "Team-A-"]] {
        let out = endpoints(accept(&gov, &extra)).output().unwrap();
        let (_, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains("steward: error:"), "{stderr}");
    }
    let bad = endpoints(accept("12345", &[])).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).1.contains("not a 12-digit AWS account id"));
    assert_eq!(fake.calls().len(), setup_calls, "a bad argument reached RAM: {:?}", &fake.calls()[setup_calls..]);

    // JSON: the accepted and the skipped invitation, the prefixed link, the grants.
    let out = endpoints(accept(&gov, &["--json", "--grant-to", &role])).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let link = format!("steward_{gov}_{db}");
    assert_eq!(report["consumer_account"], CONSUMER);
    assert_eq!(report["governance_account"], gov.as_str());
    assert_eq!(report["accepted_invitations"][0]["share_arn"], share.share_arn.as_str());
    assert_eq!(report["accepted_invitations"][0]["reason"], Value::Null);
    assert_eq!(report["skipped_invitations"][0]["share_name"], "vpc-subnets");
    assert_eq!(report["skipped_invitations"][0]["resource_types"][0], "ec2:Subnet");
    assert_eq!(report["links"][0]["name"], link.as_str());
    assert_eq!(report["links"][0]["target_catalog_id"], gov.as_str());
    assert_eq!(report["links"][0]["target_database"], db.as_str());
    assert_eq!(report["links"][0]["region"], REGION);
    assert_eq!(report["links"][0]["created"], true);
    let grants = report["grants"].as_array().unwrap();
    assert_eq!(grants.len(), 2, "{grants:?}");
    assert_eq!(grants[0]["catalog_id"], CONSUMER);
    assert_eq!(grants[0]["permissions"], serde_json::json!(["DESCRIBE"]));
    assert_eq!(grants[1]["catalog_id"], gov.as_str());
    assert_eq!(grants[1]["table"], "order_lines");
    assert_eq!(grants[1]["permissions"], serde_json::json!(["SELECT", "DESCRIBE"]));
    assert_eq!(report["not_yet_listed"], serde_json::json!([]));
    let statuses: Vec<(String, String)> = fake.invitations().into_iter().map(|i| (i.share_name, i.status)).collect();
    assert!(statuses.contains(&("vpc-subnets".into(), "PENDING".into())), "{statuses:?}");
    assert!(statuses.contains(&(share.share_name.clone(), "ACCEPTED".into())), "{statuses:?}");

    // Text, run again: nothing new, the refusal, the link and the grants held.
    let out = endpoints(accept(&gov, &["--grant-to", &role])).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stdout.contains("accepted "), "{stdout}");
    assert!(stdout.contains("skipped invitation") && stdout.contains("vpc-subnets"), "{stdout}");
    assert!(stdout.contains(&format!("resource link {link} -> {gov}:{db} (exists)")), "{stdout}");
    assert!(
        stdout.contains(&format!("already held: SELECT+DESCRIBE on table {gov}:{db}.order_lines to {role}")),
        "{stdout}"
    );

    // The help explains in-org vs out-of-org and the credential chain.
    let help = Command::new(STEWARD).args(["shares", "accept", "--help"]).output().unwrap();
    let (help, _) = text(&help);
    for needle in
        ["Organization", "no invitation", "LakeFormation", "--link-prefix", "--grant-to", "SSO", "credential_process"]
    {
        assert!(help.contains(needle), "help lacks {needle}: {help}");
    }

    // An AWS failure (nothing listens at the endpoint) exits 3.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let out = accept(&gov, &[])
        .env("AWS_ENDPOINT_URL", format!("http://{closed}"))
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("steward: error:"), "{stderr}");

    // A taken link name is a conflict: exit 3, naming the database.
    let glue = aws_sdk_glue::Client::new(&moto.config(CONSUMER).await);
    let taken = format!("taken_{db}");
    let input = aws_sdk_glue::types::DatabaseInput::builder().name(&taken).build().unwrap();
    glue.create_database().database_input(input).send().await.unwrap();
    let out = endpoints(accept(&gov, &["--link-prefix", "taken_"])).output().unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains(&format!("database {taken} exists")), "{stderr}");
}
