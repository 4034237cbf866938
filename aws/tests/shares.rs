//! Lake Formation grants, the governance side, against moto through the
//! recording proxy (which also answers with AWS's real error texts), and the
//! consumer side against the RAM fake (with moto's Glue for the resource link).
//!
//! What moto 5.2.1 lacks and the proxy or the fake stands in for: moto's
//! `BatchGrantPermissions`/`BatchRevokePermissions` read the grant option
//! from a misspelt key (`PermissionsWithGrantOptions`), so it never stores
//! grantable permissions (the tests read the grant option from the recorded
//! request instead); `ListPermissions` never fills
//! `AdditionalDetails.ResourceShare` (the proxy answers it); moto never
//! answers "No permissions revoked…", `ConcurrentModificationException`,
//! throttling or `AccessDeniedException` (the proxy injects them); moto's
//! RAM has no invitations or associations and Lake Formation makes no RAM
//! share in moto (the RAM fake, with the share made by the test as Lake
//! Formation would).

use std::time::Duration;

use serde_json::{Value, json};
use steward_aws::testing::lf::{database as db_resource, permissions as lf_permissions, table as table_resource};
use steward_aws::testing::proxy::RecordingProxy;
use steward_aws::testing::{REGION, account, config_for, moto, unique};
use steward_aws::{Backoff, DatabaseSpec, GlueCatalog, ShareArn, ShareGrant, Shares};

fn database(name: &str) -> DatabaseSpec {
    serde_json::from_value(serde_json::json!({
        "name": name, "description": null, "location": null, "parameters": {},
        "tables": [
            {"name": "orders", "description": null, "columns": [{"name": "id", "data_type": "bigint", "comment": null}],
             "partition_keys": [], "location": "s3://lake/orders/", "parameters": {}},
            {"name": "order_lines", "description": null, "columns": [{"name": "id", "data_type": "bigint", "comment": null}],
             "partition_keys": [], "location": "s3://lake/order_lines/", "parameters": {}}
        ]
    }))
    .expect("spec JSON as the outbox stores it")
}

fn lf_client(cfg: &aws_config::SdkConfig) -> aws_sdk_lakeformation::Client {
    aws_sdk_lakeformation::Client::new(cfg)
}

fn fast() -> Backoff {
    Backoff { base: Duration::from_millis(1), max_delay: Duration::from_millis(5), max_attempts: 4 }
}

fn grant_for(consumer: &str, db: &str) -> ShareGrant {
    ShareGrant {
        share_name: format!("steward-sales-orders-{consumer}"),
        consumer_account: consumer.to_owned(),
        database: db.to_owned(),
        tables: vec!["orders".into(), "order_lines".into()],
        product: "sales.orders".into(),
    }
}

/// The governance side never manages RAM shares itself: Lake Formation makes
/// them for cross-account grants (LF guide, "Sharing Data Catalog tables and
/// databases across AWS accounts": "Lake Formation uses AWS RAM to share the
/// resource"; the managed policy AWSLakeFormationCrossAccountManager allows
/// Associate/Delete only on `LakeFormation*` shares).
fn assert_no_ram_writes(proxy: &RecordingProxy) {
    for op in ["CreateResourceShare", "AssociateResourceShare", "DeleteResourceShare"] {
        assert!(proxy.calls_to("ram", op).is_empty(), "the governance side called RAM {op}");
    }
}

/// Every entry of every batch grant carries the grant option: "When granting
/// permissions to an external account or organization, you must include the
/// grant option" (LF guide, "Granting database permissions using the named
/// resource method"; botocore lakeformation model,
/// `BatchPermissionsRequestEntry.PermissionsWithGrantOption`).
fn granted_entries(proxy: &RecordingProxy) -> Vec<Value> {
    let mut entries = Vec::new();
    for call in proxy.calls_to("lakeformation", "BatchGrantPermissions") {
        for e in call.json()["Entries"].as_array().cloned().unwrap_or_default() {
            let grantable = e["PermissionsWithGrantOption"].as_array().cloned().unwrap_or_default();
            assert!(!grantable.is_empty(), "a grant without the grant option: {e}");
            assert_eq!(e["Permissions"], e["PermissionsWithGrantOption"], "{e}");
            entries.push(e);
        }
    }
    entries
}

#[tokio::test]
async fn grant_and_revoke_through_lake_formation_only() {
    let Some(moto) = moto().await else { return };
    let proxy = RecordingProxy::start(moto.url()).await;
    let (gov, consumer) = (account(), account());
    let cfg = config_for(proxy.url(), &gov).await;
    let db = database(&unique("sales_orders_"));
    GlueCatalog::new(&cfg).publish(&db).await.unwrap();

    let shares = Shares::new(&cfg, &gov);
    let grant = grant_for(&consumer, &db.name);
    let receipt = shares.grant(&grant).await.unwrap();
    // moto does not report Lake Formation's RAM share.
    assert_eq!(receipt.share_arn, ShareArn(None));

    let entries = granted_entries(&proxy);
    assert_eq!(entries.len(), 3, "{entries:?}");
    for e in &entries {
        assert_eq!(e["Principal"]["DataLakePrincipalIdentifier"], consumer.as_str());
        if e["Resource"].get("Database").is_some() {
            assert_eq!(e["Permissions"], json!(["DESCRIBE"]));
        } else {
            assert_eq!(e["Permissions"], json!(["SELECT", "DESCRIBE"]));
        }
    }
    let lf = aws_sdk_lakeformation::Client::new(&cfg);
    assert_eq!(lf_permissions(&lf, &gov, &consumer, db_resource(&gov, &db.name)).await, ["DESCRIBE"]);
    for t in ["orders", "order_lines"] {
        assert_eq!(
            lf_permissions(&lf, &gov, &consumer, table_resource(&gov, &db.name, t)).await,
            ["DESCRIBE", "SELECT"]
        );
    }

    // On AWS, ListPermissions reports the share Lake Formation made
    // (botocore model, DetailsMap.ResourceShare); the receipt records it.
    let lf_share = format!("arn:aws:ram:{REGION}:{gov}:resource-share/lakeformation-share");
    let held = |perms: &[&str]| {
        json!({"PrincipalResourcePermissions": [{
            "Principal": {"DataLakePrincipalIdentifier": consumer},
            "Permissions": perms, "PermissionsWithGrantOption": perms,
            "AdditionalDetails": {"ResourceShare": [lf_share]}
        }]})
    };
    proxy.answer("lakeformation", "ListPermissions", 1, held(&["DESCRIBE"]));
    proxy.answer("lakeformation", "ListPermissions", 2, held(&["SELECT", "DESCRIBE"]));
    proxy.answer("lakeformation", "ListPermissions", 1, held(&["DESCRIBE"]));
    proxy.clear();
    let again = shares.grant(&grant).await.unwrap();
    assert_eq!(again.share_arn, ShareArn(Some(lf_share.clone())));
    // Everything was held with the grant option: no write at all.
    assert!(proxy.calls_to("lakeformation", "BatchGrantPermissions").is_empty());

    let state = shares.describe(&grant, &[]).await.unwrap().expect("permissions held");
    assert_eq!(state.principals, vec![consumer.clone()]);
    assert_eq!(state.resource_arns.len(), 3);

    // A later version lists one table only: revoking still removes both.
    let narrowed = ShareGrant { tables: vec!["orders".into()], ..grant.clone() };
    shares.revoke(&narrowed).await.unwrap();
    assert!(shares.describe(&grant, &[]).await.unwrap().is_none());
    assert!(lf_permissions(&lf, &gov, &consumer, table_resource(&gov, &db.name, "order_lines")).await.is_empty());
    assert!(lf_permissions(&lf, &gov, &consumer, table_resource(&gov, &db.name, "orders")).await.is_empty());
    let revoked = proxy.calls_to("lakeformation", "BatchRevokePermissions");
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].json()["Entries"].as_array().unwrap().len(), 3, "the dropped table too");
    // Revoking again is fine.
    shares.revoke(&grant).await.unwrap();
    assert_no_ram_writes(&proxy);
    assert!(proxy.calls().iter().all(|c| c.service != "ram"), "no RAM call at all");

    // Bad account ids never reach AWS.
    let bad = ShareGrant { consumer_account: "12345".into(), ..grant };
    assert!(!shares.grant(&bad).await.unwrap_err().is_retryable());
}

#[tokio::test]
async fn grants_to_consumer_roles() {
    let Some(moto) = moto().await else { return };
    let proxy = RecordingProxy::start(moto.url()).await;
    let (gov, consumer) = (account(), account());
    let cfg = config_for(proxy.url(), &gov).await;
    let db = database(&unique("sales_orders_"));
    GlueCatalog::new(&cfg).publish(&db).await.unwrap();
    let shares = Shares::new(&cfg, &gov);
    let grant = grant_for(&consumer, &db.name);
    // Cross-account version 3 and later: grants to IAM principals of other
    // accounts (LF guide, "Updating cross-account data sharing version settings").
    let roles = vec![format!("arn:aws:iam::{consumer}:role/analyst"), format!("arn:aws:iam::{consumer}:role/etl")];
    shares.grant_to(&grant, &roles).await.unwrap();
    let entries = granted_entries(&proxy);
    assert_eq!(entries.len(), 6);
    let mut principals: Vec<&str> =
        entries.iter().filter_map(|e| e["Principal"]["DataLakePrincipalIdentifier"].as_str()).collect();
    principals.dedup();
    assert_eq!(principals, [roles[0].as_str(), roles[1].as_str()]);
    shares.revoke_from(&grant, &roles).await.unwrap();
    assert!(shares.describe(&grant, &roles).await.unwrap().is_none());
    // A role of another account is refused before any call.
    let stranger = vec![format!("arn:aws:iam::{}:role/x", account())];
    assert!(!shares.grant_to(&grant, &stranger).await.unwrap_err().is_retryable());
    assert_no_ram_writes(&proxy);
}

#[tokio::test]
async fn revoke_completes_on_aws_nothing_to_revoke_answers() {
    let Some(moto) = moto().await else { return };
    let proxy = RecordingProxy::start(moto.url()).await;
    let (gov, consumer) = (account(), account());
    let cfg = config_for(proxy.url(), &gov).await;
    let db = database(&unique("sales_orders_"));
    GlueCatalog::new(&cfg).publish(&db).await.unwrap();
    let shares = Shares::new(&cfg, &gov).with_backoff(fast());
    let grant = grant_for(&consumer, &db.name);
    shares.grant(&grant).await.unwrap();

    // AWS's real per-entry answers when a grantee holds nothing (text as
    // terraform-provider-aws matches it, internal/service/lakeformation/
    // permissions.go: "No permissions revoked. Grantee"), in other cases,
    // and a table that is gone (EntityNotFoundException).
    let failure = |id: &str, code: &str, message: &str| json!({"RequestEntry": {"Id": id}, "Error": {"ErrorCode": code, "ErrorMessage": message}});
    proxy.answer(
        "lakeformation",
        "BatchRevokePermissions",
        1,
        json!({"Failures": [
            failure("0", "InvalidInputException", "No permissions revoked. Grantee does not have:[DESCRIBE]"),
            failure("1", "InvalidInputException", "grantee has no permissions and no grantable permissions on resource"),
            failure("2", "EntityNotFoundException", "Table order_lines not found."),
        ]}),
    );
    shares.revoke(&grant).await.unwrap();
    // The same as a whole-call answer (RevokePermissions answers so).
    proxy.fail(
        "lakeformation",
        "BatchRevokePermissions",
        1,
        400,
        "InvalidInputException",
        "No permissions revoked. Grantee does not have:[SELECT, DESCRIBE]",
    );
    shares.revoke(&grant).await.unwrap();
    // Any other invalid input is not "done".
    proxy.answer(
        "lakeformation",
        "BatchRevokePermissions",
        1,
        json!({"Failures": [failure("1", "InvalidInputException", "Invalid principal")]}),
    );
    let err = shares.revoke(&grant).await.unwrap_err();
    assert!(!err.is_retryable() && err.to_string().contains("Invalid principal"), "{err}");
    assert_no_ram_writes(&proxy);
}

#[tokio::test]
async fn conflicts_and_throttling_are_retried_access_denied_is_not() {
    let Some(moto) = moto().await else { return };
    let proxy = RecordingProxy::start(moto.url()).await;
    let (gov, consumer) = (account(), account());
    let cfg = config_for(proxy.url(), &gov).await;
    let db = database(&unique("sales_orders_"));
    GlueCatalog::new(&cfg).publish(&db).await.unwrap();
    let shares = Shares::new(&cfg, &gov).with_backoff(fast());
    let grant = grant_for(&consumer, &db.name);

    // Botocore lakeformation model: BatchGrantPermissions itself only fails
    // with InvalidInputException or OperationTimeoutException; what a single
    // GrantPermissions fails with (ConcurrentModificationException among
    // them) comes back per entry in `Failures[].Error.ErrorCode`. Both a
    // conflicting entry and a timed-out or throttled call are retried with
    // backoff until they pass. (The injected answer stands for AWS: entry 1,
    // reported applied, never reaches moto.)
    let conflict = |id: &str| {
        json!({"RequestEntry": {"Id": id}, "Error": {"ErrorCode": "ConcurrentModificationException",
               "ErrorMessage": "Two processes are trying to modify a resource simultaneously."}})
    };
    proxy.answer("lakeformation", "BatchGrantPermissions", 1, json!({"Failures": [conflict("0"), conflict("2")]}));
    proxy.fail("lakeformation", "BatchGrantPermissions", 1, 400, "OperationTimeoutException", "Operation timed out");
    shares.grant(&grant).await.unwrap();
    let calls = proxy.calls_to("lakeformation", "BatchGrantPermissions");
    assert_eq!(calls.len(), 3, "{calls:?}");
    let ids: Vec<Value> = calls[2].json()["Entries"].as_array().unwrap().iter().map(|e| e["Id"].clone()).collect();
    assert_eq!(ids, [json!("0"), json!("2")], "only the conflicting entries go again");
    assert_eq!(lf_permissions(&lf_client(&cfg), &gov, &consumer, db_resource(&gov, &db.name)).await, ["DESCRIBE"]);

    // Per-entry throttling: only the throttled entries go again.
    shares.revoke(&grant).await.unwrap();
    proxy.clear();
    let throttled = json!({"RequestEntry": {"Id": "1"}, "Error": {"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"}});
    proxy.answer("lakeformation", "BatchGrantPermissions", 1, json!({"Failures": [throttled]}));
    shares.grant(&grant).await.unwrap();
    let calls = proxy.calls_to("lakeformation", "BatchGrantPermissions");
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(calls[1].json()["Entries"].as_array().unwrap().len(), 1);
    assert_eq!(calls[1].json()["Entries"][0]["Id"], "1");

    // Throttling that never ends: the outbox gets a retryable error.
    shares.revoke(&grant).await.unwrap();
    proxy.fail("lakeformation", "BatchGrantPermissions", 100, 400, "ThrottlingException", "Rate exceeded");
    let err = shares.grant(&grant).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");

    // AccessDeniedException is permanent, with AWS's reason in the message.
    let mut fresh = ShareGrant { consumer_account: account(), ..grant.clone() };
    fresh.share_name = format!("steward-sales-orders-{}", fresh.consumer_account);
    let proxy2 = RecordingProxy::start(moto.url()).await;
    let shares2 = Shares::new(&config_for(proxy2.url(), &gov).await, &gov).with_backoff(fast());
    let reason = "Insufficient Lake Formation permission(s): Required Grant Option on sales_orders";
    proxy2.fail("lakeformation", "BatchGrantPermissions", 1, 400, "AccessDeniedException", reason);
    let err = shares2.grant(&fresh).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert_eq!(err.code(), Some("AccessDeniedException"));
    assert!(err.to_string().contains(reason), "{err}");
    assert_eq!(proxy2.calls_to("lakeformation", "BatchGrantPermissions").len(), 1, "not retried");
    assert_no_ram_writes(&proxy);
    assert_no_ram_writes(&proxy2);
}
