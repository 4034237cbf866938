//! `steward aws doctor` and `steward aws setup`, the real binary against
//! moto, in a fresh random account.
//!
//! The binary cannot send moto's `x-moto-account-id` header, but moto takes
//! the account from the access key when the key is one it issued: the test
//! calls `sts:AssumeRole` for `arn:aws:iam::<account>:role/steward` and gives
//! the binary the temporary credentials. `GetCallerIdentity` then answers
//! with the session ARN `arn:aws:sts::<account>:assumed-role/steward/doctor`,
//! which the doctor turns into the role ARN `DataLakeAdmins` holds.

mod common;

use std::process::{Command, Output};

use common::STEWARD;
use steward_aws::testing::{Moto, REGION, account, moto, unique};

struct Creds {
    key: String,
    secret: String,
    token: String,
}

/// Temporary credentials of `role_arn`'s account from moto's STS.
async fn assume(moto: &Moto, role_arn: &str) -> Creds {
    let body = format!(
        "Action=AssumeRole&Version=2011-06-15&RoleSessionName=doctor&RoleArn={}",
        role_arn.replace(':', "%3A").replace('/', "%2F")
    );
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={}/20260101/{REGION}/sts/aws4_request, SignedHeaders=host, Signature=0",
        steward_aws::testing::ACCESS_KEY_ID
    );
    let xml = reqwest::Client::new()
        .post(moto.url())
        .header("authorization", auth)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let field = |name: &str| {
        let open = format!("<{name}>");
        let start = xml.find(&open).unwrap_or_else(|| panic!("no {name} in {xml}")) + open.len();
        let end = start + xml[start..].find(&format!("</{name}>")).unwrap();
        xml[start..end].to_owned()
    };
    Creds { key: field("AccessKeyId"), secret: field("SecretAccessKey"), token: field("SessionToken") }
}

fn steward(endpoint: &str, gov: &str, creds: &Creds, args: &[&str]) -> Output {
    let mut cmd = Command::new(STEWARD);
    if creds.token.is_empty() {
        cmd.env_remove("AWS_SESSION_TOKEN");
    } else {
        cmd.env("AWS_SESSION_TOKEN", &creds.token);
    }
    cmd.args(args)
        .env("STEWARD__AWS__REGION", REGION)
        .env("STEWARD__AWS__ENDPOINT_URL", endpoint)
        .env("STEWARD__AWS__GOVERNANCE_ACCOUNT_ID", gov)
        .env("AWS_ACCESS_KEY_ID", &creds.key)
        .env("AWS_SECRET_ACCESS_KEY", &creds.secret)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("STEWARD_POLICY")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_every_missing_step_then_none_after_setup_apply() {
    let Some(moto) = moto().await else { return };
    let gov = account();
    let creds = assume(&moto, &format!("arn:aws:iam::{gov}:role/steward")).await;
    let location = format!("s3://{}/sales/", unique("lake-"));
    let run = |args: &[&str]| steward(moto.url(), &gov, &creds, args);

    // A fresh account: exit 1 and every missing step, each with why and fix.
    let out = run(&["aws", "doctor", "--location", &location]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let human = text(&out);
    for line in [
        "✗ data-lake-admin",
        "✗ cross-account-version",
        "✗ default-permissions",
        "✗ location-unregistered",
        "note org-sharing",
        "4 findings",
    ] {
        assert!(human.contains(line), "{line:?} in\n{human}");
    }
    // The assumed-role session became the role's IAM ARN.
    assert!(human.contains(&format!("principal arn:aws:iam::{gov}:role/steward;")), "{human}");
    assert!(human.contains("why: ") && human.contains("https://docs.aws.amazon.com/lake-formation/"), "{human}");

    let out = run(&["aws", "doctor", "--location", &location, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["account"], gov.as_str());
    assert_eq!(report["principal"], format!("arn:aws:iam::{gov}:role/steward"));
    assert_eq!(report["sharing"], "named");
    assert_eq!(report["hybrid_access"], false);
    assert_eq!(report["findings"], 4);
    let findings: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "finding")
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(findings, ["data-lake-admin", "cross-account-version", "default-permissions", "location-unregistered"]);
    for c in report["checks"].as_array().unwrap().iter().filter(|c| c["status"] == "finding") {
        assert!(
            c["message"].is_string() && c["why"].is_string() && c["doc"].is_string() && c["fix"].is_string(),
            "{c}"
        );
    }

    // The plan changes nothing.
    let out = run(&["aws", "setup", "--location", &location]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("nothing changed"), "{}", text(&out));
    assert!(text(&out).contains("AWSLakeFormationCrossAccountManager"), "{}", text(&out));
    assert_eq!(run(&["aws", "doctor", "--location", &location]).status.code(), Some(1));

    // Apply, then the doctor reports none.
    let out = run(&["aws", "setup", "--apply", "--location", &location]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Changed in"), "{}", text(&out));
    let out = run(&["aws", "doctor", "--location", &location]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("no findings"), "{}", text(&out));
    assert!(!text(&out).contains('✗'), "{}", text(&out));

    // A second apply changes nothing; its JSON carries the IAM policies.
    let out = run(&["aws", "setup", "--apply", "--location", &location, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let setup = json(&out);
    assert_eq!(setup["applied"], true);
    assert_eq!(setup["changes"], serde_json::json!([]));
    assert_eq!(
        setup["iam_policies"]["governance_role"]["managed_policy_arns"][0],
        "arn:aws:iam::aws:policy/AWSLakeFormationCrossAccountManager"
    );
    assert_eq!(
        setup["iam_policies"]["registration_role"]["trust_policy"]["Statement"][0]["Principal"]["Service"][0],
        "lakeformation.amazonaws.com"
    );
    assert!(setup["iam_policies"]["consumer_role"]["policy"]["Statement"].is_array());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_aws_failures_have_their_own_exit_codes() {
    let creds = Creds { key: "AKIASTEWARDTEST".into(), secret: "x".into(), token: String::new() };
    let gov = "123456789012";
    // Usage: a location that is not s3://, a role that is not an IAM ARN.
    let out = steward("http://127.0.0.1:9", gov, &creds, &["aws", "doctor", "--location", "https://bucket/x"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = steward("http://127.0.0.1:9", gov, &creds, &["aws", "setup", "--role-arn", "steward"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // No `aws` settings at all.
    let out = Command::new(STEWARD).args(["aws", "doctor"]).env_remove("STEWARD__AWS__REGION").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // AWS cannot be reached: exit 3 (EXIT_AWS), naming the call.
    let out = steward(
        "http://127.0.0.1:9",
        gov,
        &creds,
        &["aws", "doctor", "--role-arn", "arn:aws:iam::123456789012:role/steward"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("GetCallerIdentity"), "{}", text(&out));
}
