//! `steward aws doctor` / `setup` (the `account` module) against moto, each
//! test in a fresh random account (moto keeps state per account).
//!
//! moto starts an account as AWS does: no data-lake admins and the "Use only
//! IAM access control" defaults (`CreateDatabaseDefaultPermissions` and
//! `CreateTableDefaultPermissions` = ALL to `IAM_ALLOWED_PRINCIPALS`;
//! https://docs.aws.amazon.com/lake-formation/latest/dg/change-settings.html).
//! Where moto answers differently from AWS, a recording proxy in front of it
//! answers as AWS does (each place says which doc).

use aws_sdk_lakeformation::types::{DataLakePrincipal, DataLakeSettings, Permission, PrincipalPermissions};
use steward_aws::testing::proxy::RecordingProxy;
use steward_aws::testing::{Moto, account, config_for, moto, unique};
use steward_aws::{AwsSettings, DoctorReport, LakeFormationAccount, SharingMode, Status, Target};

const LEVELS: [&str; 4] = ["public", "internal", "confidential", "restricted"];

fn target(gov: &str, locations: &[String]) -> Target {
    Target {
        principal: format!("arn:aws:iam::{gov}:role/steward"),
        locations: locations.to_vec(),
        classifications: LEVELS.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn finding_ids(r: &DoctorReport) -> Vec<&'static str> {
    r.findings().map(|c| c.id).collect()
}

/// The account behind a recording proxy in front of moto.
async fn behind_proxy(moto: &Moto, gov: &str, settings: &AwsSettings) -> (RecordingProxy, LakeFormationAccount) {
    let proxy = RecordingProxy::start(moto.url()).await;
    let cfg = config_for(proxy.url(), gov).await;
    let acct = LakeFormationAccount::new(&cfg, settings);
    (proxy, acct)
}

async fn lf_settings(lf: &aws_sdk_lakeformation::Client, gov: &str) -> DataLakeSettings {
    lf.get_data_lake_settings().catalog_id(gov).send().await.unwrap().data_lake_settings.unwrap()
}

fn iam_allowed() -> PrincipalPermissions {
    PrincipalPermissions::builder()
        .principal(DataLakePrincipal::builder().data_lake_principal_identifier("IAM_ALLOWED_PRINCIPALS").build())
        .permissions(Permission::All)
        .build()
}

fn principal(arn: &str) -> DataLakePrincipal {
    DataLakePrincipal::builder().data_lake_principal_identifier(arn).build()
}

#[tokio::test]
async fn a_fresh_account_reports_every_missing_step_and_none_after_setup() {
    let Some(moto) = moto().await else { return };
    let gov = account();
    let settings = moto.settings(&gov);
    let (proxy, acct) = behind_proxy(&moto, &gov, &settings).await;
    let lf = aws_sdk_lakeformation::Client::new(&moto.config(&gov).await);
    let bucket = unique("lake-");
    let t = target(&gov, &[format!("s3://{bucket}/sales/orders/")]);

    // AWS reports a fresh account's version as "1" (terraform-provider-aws
    // `aws_lakeformation_data_lake_settings`: "In a fresh account, prior to
    // configuring, CROSS_ACCOUNT_VERSION is \"1\""); moto leaves Parameters
    // out. Both read as version 1: first AWS's answer, then moto's.
    proxy.answer(
        "lakeformation",
        "GetDataLakeSettings",
        1,
        serde_json::json!({"DataLakeSettings": {
            "DataLakeAdmins": [],
            "CreateDatabaseDefaultPermissions": [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}],
            "CreateTableDefaultPermissions": [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}],
            "Parameters": {"CROSS_ACCOUNT_VERSION": "1"},
            "TrustedResourceOwners": [],
        }}),
    );
    for _ in 0..2 {
        let r = acct.doctor(&t).await.unwrap();
        // Not an admin: only admins grant cross-account
        // (https://docs.aws.amazon.com/lake-formation/latest/dg/implicit-permissions.html);
        // version 1 < 3 (https://docs.aws.amazon.com/lake-formation/latest/dg/optimize-ram.html);
        // IAMAllowedPrincipals defaults block cross-account grants in LF mode
        // (https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-prereqs.html);
        // the location is not registered.
        assert_eq!(
            finding_ids(&r),
            ["data-lake-admin", "cross-account-version", "default-permissions", "location-unregistered"],
            "{r:#?}"
        );
        assert!(r.checks.iter().any(|c| c.id == "org-sharing" && c.status == Status::Note));
        assert!(r.findings().all(|c| c.fix.is_some() && c.doc.is_some_and(|d| d.starts_with("https://docs.aws"))));
        assert_eq!(r.findings, 4);
    }

    // The plan reads and changes nothing.
    let before = lf_settings(&lf, &gov).await;
    proxy.clear();
    let plan = acct.plan(&t).await.unwrap();
    let ids: Vec<&str> = plan.changes.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        [
            "data-lake-admin",
            "cross-account-version",
            "default-permissions",
            "default-permissions",
            "location-unregistered"
        ]
    );
    assert!(proxy.calls_to("lakeformation", "PutDataLakeSettings").is_empty());
    assert!(proxy.calls_to("lakeformation", "RegisterResource").is_empty());
    assert_eq!(lf_settings(&lf, &gov).await, before);

    // Apply: one read-modify-write of the settings, one registration.
    let applied = acct.apply(&t).await.unwrap();
    assert_eq!(applied.changes, plan.changes);
    let puts = proxy.calls_to("lakeformation", "PutDataLakeSettings");
    assert_eq!(puts.len(), 1);
    assert!(puts[0].json()["DataLakeSettings"]["CreateTableDefaultPermissions"].as_array().unwrap().is_empty());
    let reg = proxy.calls_to("lakeformation", "RegisterResource");
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].json()["ResourceArn"], format!("arn:aws:s3:::{bucket}/sales/orders"));
    assert_eq!(reg[0].json()["UseServiceLinkedRole"], true);
    let after = lf_settings(&lf, &gov).await;
    assert_eq!(after.parameters.unwrap()["CROSS_ACCOUNT_VERSION"], "4");

    let r = acct.doctor(&t).await.unwrap();
    assert_eq!(finding_ids(&r), Vec::<&str>::new(), "{r:#?}");
    assert_eq!(r.warnings, 0);

    // Again: nothing to change, and nothing written.
    proxy.clear();
    let again = acct.apply(&t).await.unwrap();
    assert!(again.is_empty(), "{:?}", again.changes);
    let writes: Vec<_> = proxy
        .calls()
        .into_iter()
        .filter(|c| !["GetDataLakeSettings", "ListResources", "GetCallerIdentity"].contains(&c.operation.as_str()))
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

#[tokio::test]
async fn setup_keeps_admins_parameters_and_other_settings() {
    let Some(moto) = moto().await else { return };
    let gov = account();
    let settings = moto.settings(&gov);
    let cfg = moto.config(&gov).await;
    let lf = aws_sdk_lakeformation::Client::new(&cfg);
    let acct = LakeFormationAccount::new(&cfg, &settings);
    let other = format!("arn:aws:iam::{gov}:role/platform-admin");
    let read_only = format!("arn:aws:iam::{gov}:role/auditor");
    let analyst_default = PrincipalPermissions::builder()
        .principal(principal(&format!("arn:aws:iam::{gov}:role/analyst")))
        .permissions(Permission::Describe)
        .build();
    // An account someone set up before: another admin, a read-only admin, a
    // trusted owner, version 5 and another parameter, external filtering.
    let existing = DataLakeSettings::builder()
        .data_lake_admins(principal(&other))
        .read_only_admins(principal(&read_only))
        .create_database_default_permissions(iam_allowed())
        .create_table_default_permissions(iam_allowed())
        .create_table_default_permissions(analyst_default.clone())
        .trusted_resource_owners("210987654321")
        .allow_external_data_filtering(true)
        .external_data_filtering_allow_list(principal("210987654321"))
        .parameters("CROSS_ACCOUNT_VERSION", "5")
        .parameters("SET_CONTEXT", "TRUE")
        .build();
    lf.put_data_lake_settings().catalog_id(&gov).data_lake_settings(existing.clone()).send().await.unwrap();

    let t = target(&gov, &[]);
    let r = acct.doctor(&t).await.unwrap();
    assert_eq!(finding_ids(&r), ["data-lake-admin", "default-permissions"]);
    let applied = acct.apply(&t).await.unwrap();
    assert_eq!(applied.changes.len(), 3, "{:?}", applied.changes);

    // PutDataLakeSettings replaces the whole object
    // (https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_PutDataLakeSettings.html),
    // so setup wrote back what it read with only its changes.
    let after = lf_settings(&lf, &gov).await;
    let admins: Vec<&str> =
        after.data_lake_admins().iter().filter_map(|a| a.data_lake_principal_identifier()).collect();
    assert_eq!(admins, [other.as_str(), t.principal.as_str()]);
    assert_eq!(after.read_only_admins, existing.read_only_admins);
    assert_eq!(after.trusted_resource_owners, existing.trusted_resource_owners);
    assert_eq!(after.allow_external_data_filtering, Some(true));
    assert_eq!(after.external_data_filtering_allow_list, existing.external_data_filtering_allow_list);
    let params = after.parameters.clone().unwrap();
    // Version 5 is newer than 4 and is never lowered.
    assert_eq!(params["CROSS_ACCOUNT_VERSION"], "5");
    assert_eq!(params["SET_CONTEXT"], "TRUE");
    assert_eq!(after.create_database_default_permissions(), &[]);
    assert_eq!(after.create_table_default_permissions(), &[analyst_default]);

    let r = acct.doctor(&t).await.unwrap();
    assert_eq!(finding_ids(&r), Vec::<&str>::new(), "{r:#?}");
    assert!(acct.apply(&t).await.unwrap().is_empty());
    assert_eq!(lf_settings(&lf, &gov).await, after);
}

#[tokio::test]
async fn tags_mode_needs_the_classification_tag_with_the_policy_levels() {
    let Some(moto) = moto().await else { return };
    let gov = account();
    let settings = AwsSettings { sharing: SharingMode::Tags, ..moto.settings(&gov) };
    let (proxy, acct) = behind_proxy(&moto, &gov, &settings).await;
    let lf = aws_sdk_lakeformation::Client::new(&moto.config(&gov).await);
    let t = target(&gov, &[]);
    // GetLFTag of a key that does not exist fails with
    // EntityNotFoundException on AWS
    // (https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_GetLFTag.html, Errors);
    // moto answers with no values instead. The doctor reads product, domain,
    // classification in that order; the proxy answers the missing ones.
    let not_found =
        |n| proxy.fail("lakeformation", "GetLFTag", n, 400, "EntityNotFoundException", "Tag key does not exist");

    not_found(3);
    let r = acct.doctor(&t).await.unwrap();
    assert_eq!(
        finding_ids(&r),
        ["data-lake-admin", "cross-account-version", "default-permissions", "lf-tag-classification"]
    );
    // product and domain are made by the first publish (their values are product keys): notes.
    let notes: Vec<_> = r.checks.iter().filter(|c| c.status == Status::Note).map(|c| c.id).collect();
    assert_eq!(notes, ["org-sharing", "registered-locations", "lf-tag-product", "lf-tag-domain"]);

    // Setup reads the three keys, then ensure_lf_tag reads classification again.
    not_found(3 + 1);
    let applied = acct.apply(&t).await.unwrap();
    assert!(applied.changes.iter().any(|c| c.id == "lf-tag-classification" && c.call == "lakeformation:CreateLFTag"));
    let created = proxy.calls_to("lakeformation", "CreateLFTag");
    assert_eq!(created.len(), 1);
    let mut values: Vec<String> =
        lf.get_lf_tag().catalog_id(&gov).tag_key("classification").send().await.unwrap().tag_values().to_vec();
    values.sort();
    assert_eq!(values, ["confidential", "internal", "public", "restricted"]);

    not_found(2);
    let r = acct.doctor(&t).await.unwrap();
    assert_eq!(finding_ids(&r), Vec::<&str>::new(), "{r:#?}");

    // A level the policy adds later is a finding, and setup adds it.
    let more =
        Target { classifications: [&LEVELS[..], &["secret"]].concat().iter().map(|s| s.to_string()).collect(), ..t };
    not_found(2);
    assert_eq!(finding_ids(&acct.doctor(&more).await.unwrap()), ["lf-tag-classification"]);
    not_found(2);
    let applied = acct.apply(&more).await.unwrap();
    assert_eq!(applied.changes.iter().map(|c| c.call).collect::<Vec<_>>(), ["lakeformation:UpdateLFTag"]);
    not_found(2);
    assert!(acct.apply(&more).await.unwrap().is_empty());
}

#[tokio::test]
async fn registration_role_locations_and_hybrid_mode() {
    let Some(moto) = moto().await else { return };
    let gov = account();
    let role = format!("arn:aws:iam::{gov}:role/steward-registration");
    let settings =
        AwsSettings { registration_role_arn: Some(role.clone()), hybrid_access: true, ..moto.settings(&gov) };
    let (proxy, acct) = behind_proxy(&moto, &gov, &settings).await;
    let lf = aws_sdk_lakeformation::Client::new(&moto.config(&gov).await);
    let bucket = unique("lake-");
    // Registered before with the service-linked role.
    lf.register_resource()
        .resource_arn(format!("arn:aws:s3:::{bucket}/old"))
        .use_service_linked_role(true)
        .send()
        .await
        .unwrap();
    let t = target(&gov, &[format!("s3://{bucket}/old/inside/"), format!("s3://{bucket}/new/")]);

    let r = acct.doctor(&t).await.unwrap();
    // Hybrid access mode keeps the IAMAllowedPrincipals defaults but shares
    // cross-account only at version 4 or later
    // (https://docs.aws.amazon.com/lake-formation/latest/dg/hybrid-access-prerequisites.html).
    assert_eq!(finding_ids(&r), ["data-lake-admin", "cross-account-version", "location-unregistered"], "{r:#?}");
    assert!(r.checks.iter().any(|c| c.id == "default-permissions" && c.status == Status::Ok));
    assert!(r.checks.iter().any(|c| c.id == "location" && c.status == Status::Ok));
    // A custom role is what the operator configured (needed for other
    // accounts' buckets, aws/s3 KMS, EMR:
    // https://docs.aws.amazon.com/lake-formation/latest/dg/registration-role.html): a warning, not a finding.
    let warnings: Vec<_> = r.checks.iter().filter(|c| c.status == Status::Warning).map(|c| c.id).collect();
    assert_eq!(warnings, ["location-role"]);

    acct.apply(&t).await.unwrap();
    let reg = proxy.calls_to("lakeformation", "RegisterResource");
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].json()["ResourceArn"], format!("arn:aws:s3:::{bucket}/new"));
    assert_eq!(reg[0].json()["RoleArn"], role);
    // Hybrid access mode registers with HybridAccessEnabled
    // (https://docs.aws.amazon.com/lake-formation/latest/dg/hybrid-access-mode.html).
    assert_eq!(reg[0].json()["HybridAccessEnabled"], true);
    let after = lf_settings(&lf, &gov).await;
    assert_eq!(after.create_table_default_permissions(), &[iam_allowed()], "hybrid mode keeps the defaults");
    let r = acct.doctor(&t).await.unwrap();
    assert_eq!(finding_ids(&r), Vec::<&str>::new(), "{r:#?}");
    assert_eq!(r.warnings, 1);
}

#[tokio::test]
async fn an_aws_failure_is_an_error_not_a_report() {
    let Some(moto) = moto().await else { return };
    let gov = account();
    let (proxy, acct) = behind_proxy(&moto, &gov, &moto.settings(&gov)).await;
    // What AWS answers a principal without lakeformation:GetDataLakeSettings
    // (https://docs.aws.amazon.com/lake-formation/latest/APIReference/API_GetDataLakeSettings.html, Errors).
    proxy.fail(
        "lakeformation",
        "GetDataLakeSettings",
        1,
        400,
        "AccessDeniedException",
        "User: arn:aws:sts::1:assumed-role/x/y is not authorized to perform: lakeformation:GetDataLakeSettings",
    );
    let e = acct.doctor(&target(&gov, &[])).await.unwrap_err();
    assert_eq!(e.code(), Some("AccessDeniedException"), "{e}");
    // The caller: moto's STS answers for the account of the request.
    let caller = acct.caller().await.unwrap();
    assert_eq!(caller.account, gov);
}
