use aws_sdk_lakeformation::types::{DataLakePrincipal, Permission, PrincipalPermissions};

use super::setup::desired_settings;
use super::*;

/// Settings read as the config file would (so fields added later take their defaults).
fn settings() -> AwsSettings {
    serde_json::from_value(serde_json::json!({
        "region": "eu-west-1",
        "endpoint_url": null,
        "governance_account_id": "111111111111",
    }))
    .unwrap()
}

fn iam_allowed() -> PrincipalPermissions {
    PrincipalPermissions::builder()
        .principal(DataLakePrincipal::builder().data_lake_principal_identifier(IAM_ALLOWED_PRINCIPALS).build())
        .permissions(Permission::All)
        .build()
}

/// What moto and a fresh account answer: no admins, IAM-only defaults.
fn fresh() -> AccountState {
    AccountState {
        caller: Caller {
            account: "111111111111".into(),
            arn: "arn:aws:sts::111111111111:assumed-role/steward/s".into(),
        },
        settings: DataLakeSettings::builder()
            .create_database_default_permissions(iam_allowed())
            .create_table_default_permissions(iam_allowed())
            .build(),
        registered: vec![],
        tags: vec![],
    }
}

fn target() -> Target {
    Target {
        principal: "arn:aws:iam::111111111111:role/steward".into(),
        locations: vec![],
        classifications: vec!["public".into(), "PII".into()],
    }
}

#[test]
fn session_arns_become_role_arns() {
    assert_eq!(
        iam_principal("arn:aws:sts::123456789012:assumed-role/steward-gov/i-0abc"),
        "arn:aws:iam::123456789012:role/steward-gov"
    );
    assert_eq!(iam_principal("arn:aws-cn:sts::1:assumed-role/r/s"), "arn:aws-cn:iam::1:role/r");
    assert_eq!(iam_principal("arn:aws:iam::1:user/u"), "arn:aws:iam::1:user/u");
    assert_eq!(iam_principal("arn:aws:iam::1:role/path/r"), "arn:aws:iam::1:role/path/r");
}

#[test]
fn a_fresh_account_has_every_finding() {
    let r = diagnose(&fresh(), &target(), &settings(), "aws").unwrap();
    let ids: Vec<&str> = r.findings().map(|c| c.id).collect();
    assert_eq!(ids, ["data-lake-admin", "cross-account-version", "default-permissions"]);
    let version = r.checks.iter().find(|c| c.id == "cross-account-version").unwrap();
    assert!(version.message.contains("1 (not set"), "{}", version.message);
    assert!(r.findings().all(|c| c.why.is_some() && c.doc.is_some() && c.fix.is_some()));
    // Hybrid mode keeps the defaults but needs version 4.
    let hybrid = AwsSettings { hybrid_access: true, ..settings() };
    let r = diagnose(&fresh(), &target(), &hybrid, "aws").unwrap();
    let ids: Vec<&str> = r.findings().map(|c| c.id).collect();
    assert_eq!(ids, ["data-lake-admin", "cross-account-version"]);
}

#[test]
fn settings_are_read_modified_written() {
    let mut s = fresh().settings;
    s.data_lake_admins =
        Some(vec![DataLakePrincipal::builder().data_lake_principal_identifier("arn:aws:iam::1:role/other").build()]);
    s.read_only_admins =
        Some(vec![DataLakePrincipal::builder().data_lake_principal_identifier("arn:aws:iam::1:role/ro").build()]);
    s.trusted_resource_owners = Some(vec!["222222222222".into()]);
    s.parameters = Some([("SET_CONTEXT".to_owned(), "TRUE".to_owned())].into());
    let (next, changes) = desired_settings(&s, "arn:aws:iam::1:role/steward", false);
    let next = next.unwrap();
    assert_eq!(changes.len(), 4, "{changes:?}");
    let admins: Vec<_> = next.data_lake_admins().iter().filter_map(|a| a.data_lake_principal_identifier()).collect();
    assert_eq!(admins, ["arn:aws:iam::1:role/other", "arn:aws:iam::1:role/steward"]);
    assert_eq!(next.read_only_admins, s.read_only_admins);
    assert_eq!(next.trusted_resource_owners, s.trusted_resource_owners);
    let p = next.parameters.as_ref().unwrap();
    assert_eq!((p["SET_CONTEXT"].as_str(), p[CROSS_ACCOUNT_VERSION].as_str()), ("TRUE", "4"));
    assert_eq!(next.create_database_default_permissions(), &[]);
    assert_eq!(next.create_table_default_permissions(), &[]);
    // Applied once, nothing more to do.
    assert_eq!(desired_settings(&next, "arn:aws:iam::1:role/steward", false), (None, vec![]));
    // A higher version is never lowered; hybrid mode keeps the defaults.
    let mut v5 = fresh().settings;
    v5.data_lake_admins = next.data_lake_admins.clone();
    v5.parameters = Some([(CROSS_ACCOUNT_VERSION.to_owned(), "5".to_owned())].into());
    assert_eq!(desired_settings(&v5, "arn:aws:iam::1:role/steward", true), (None, vec![]));
}

#[test]
fn tags_and_locations() {
    let tags = AwsSettings {
        sharing: SharingMode::Tags,
        registration_role_arn: Some("arn:aws:iam::1:role/reg".into()),
        ..settings()
    };
    let mut state = fresh();
    state.tags = vec![
        ("product", None),
        ("domain", Some(vec!["sales".into()])),
        ("classification", Some(vec!["public".into()])),
    ];
    state.registered = vec![Registered { arn: "arn:aws:s3:::lake/sales".into(), role_arn: None, hybrid: None }];
    let t = Target { locations: vec!["s3://lake/sales/orders/".into(), "s3://lake/hr".into()], ..target() };
    let r = diagnose(&state, &t, &tags, "aws").unwrap();
    let of =
        |id: &str| r.checks.iter().filter(|c| c.id == id).map(|c| (c.status, c.subject.clone())).collect::<Vec<_>>();
    assert_eq!(of("lf-tag-product"), [(Status::Note, Some("product".into()))]);
    assert_eq!(of("lf-tag-domain"), [(Status::Ok, Some("domain".into()))]);
    assert_eq!(of("lf-tag-classification"), [(Status::Finding, Some("classification".into()))]);
    assert_eq!(of("location"), [(Status::Ok, Some("s3://lake/sales/orders/".into()))]);
    assert_eq!(of("location-unregistered"), [(Status::Finding, Some("s3://lake/hr".into()))]);
    assert_eq!(of("location-role"), [(Status::Warning, Some("arn:aws:s3:::lake/sales".into()))]);
    let plan = setup::plan(&state, &t, &tags, "aws").unwrap();
    let ids: Vec<&str> = plan.changes.iter().map(|c| c.id).collect();
    assert_eq!(
        ids,
        [
            "data-lake-admin",
            "cross-account-version",
            "default-permissions",
            "default-permissions",
            "lf-tag-classification",
            "location-unregistered"
        ]
    );
    assert!(plan.changes[4].action.contains("add pii"), "{:?}", plan.changes[4]);
}

#[test]
fn policies_name_the_locations_and_roles() {
    let s = AwsSettings { registration_role_arn: Some("arn:aws:iam::111111111111:role/reg".into()), ..settings() };
    let p = policies::iam_policies(&s, &["s3://lake/sales/".into()]);
    let gov = serde_json::to_value(&p.governance_role).unwrap();
    let text = gov.to_string();
    for needle in [
        "lakeformation:GetDataAccess",
        "arn:aws:iam::aws:policy/AWSLakeFormationCrossAccountManager",
        "arn:aws:s3:::lake/sales/*",
        "iam:PassRole",
        "sns:Publish",
        "sts:GetCallerIdentity",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    assert_eq!(gov["policy"]["Version"], "2012-10-17");
    let reg = serde_json::to_value(&p.registration_role).unwrap();
    assert_eq!(reg["trust_policy"]["Statement"][0]["Principal"]["Service"][0], "lakeformation.amazonaws.com");
    assert_eq!(reg["policy"]["Statement"][1]["Resource"][0], "arn:aws:s3:::lake");
    let consumer = serde_json::to_value(&p.consumer_role).unwrap().to_string();
    assert!(consumer.contains("ram:AcceptResourceShareInvitation") && consumer.contains("glue:CreateDatabase"));
}
