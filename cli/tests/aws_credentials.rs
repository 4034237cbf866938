//! The CLI takes AWS credentials from the whole default chain, not only
//! from environment variables: here a profile whose `credential_process`
//! prints them (AWS SDKs and Tools reference guide, "Process credential
//! provider": the command prints JSON with `Version: 1`, `AccessKeyId`,
//! `SecretAccessKey`). The RAM fake names the calling account after the
//! access key, so its call log shows whose credentials were used.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use steward_aws::testing::ram_fake::RamFake;
use steward_aws::testing::{REGION, account, moto};

const STEWARD: &str = env!("CARGO_BIN_EXE_steward");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_accept_uses_a_profiles_credential_process() {
    let Some(moto) = moto().await else { return };
    let fake = RamFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let consumer = account();
    let script = dir.path().join("credentials.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho '{{\"Version\": 1, \"AccessKeyId\": \"{consumer}\", \"SecretAccessKey\": \"from-the-process\"}}'\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        format!(
            "[profile steward-test]\ncredential_process = {}\n\n[profile broken]\ncredential_process = /bin/false\n",
            script.display()
        ),
    )
    .unwrap();
    let run = |profile: &str| {
        Command::new(STEWARD)
            .args(["shares", "accept", "--account", &consumer, "--governance-account", &account(), "--region", REGION])
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("no-credentials-file"))
            .env("AWS_PROFILE", profile)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_MAX_ATTEMPTS", "1")
            .env("AWS_ENDPOINT_URL_RAM", fake.url())
            .env("AWS_ENDPOINT_URL_GLUE", moto.url())
            .env("AWS_ENDPOINT_URL_LAKEFORMATION", moto.url())
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("STEWARD_GOVERNANCE_ACCOUNT")
            .output()
            .unwrap()
    };
    let out = run("steward-test");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let calls = fake.calls();
    assert!(!calls.is_empty(), "no RAM call was made");
    assert!(calls.iter().all(|(who, _)| who == &consumer), "calls signed with the process's key: {calls:?}");

    // A profile whose process fails leaves no credentials: an AWS failure
    // (exit 3) that says so, not a usage error.
    let before = fake.calls().len();
    let out = run("broken");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("steward: error"), "{stderr}");
    assert_eq!(fake.calls().len(), before, "nothing reached RAM without credentials");
}
