//! The consumer side of a share (`ConsumerShares::accept`) against moto's Glue
//! and Lake Formation, with the RAM fake playing RAM and
//! `testing::lf_share_model` playing what Lake Formation does with RAM when
//! the governance account grants to another account (moto's Lake Formation
//! stores the grant but makes no RAM share; moto's RAM has no invitations).
//! Each test names the AWS documentation it encodes.

use std::time::Duration;

use aws_sdk_ram::types::{ResourceOwner, ResourceShareAssociationType};
use serde_json::{Value, json};
use steward_aws::testing::lf_share_model::{LakeFormationRam, config_with_ram_at};
use steward_aws::testing::proxy::RecordingProxy;
use steward_aws::testing::ram_fake::RamFake;
use steward_aws::testing::{Moto, REGION, account, moto, unique};
use steward_aws::{
    AcceptOptions, AcceptReport, AwsError, Backoff, ConsumerShares, DatabaseSpec, GlueCatalog, ShareGrant, Shares,
};

fn database(name: &str) -> DatabaseSpec {
    serde_json::from_value(json!({
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

/// The governance side's grant of `tables` of `database` to `consumer` (as
/// the outbox stores it: fields it does not name take their defaults).
fn share_grant(consumer: &str, database: &str, tables: Vec<&str>) -> ShareGrant {
    serde_json::from_value(json!({
        "share_name": format!("steward-{database}-{consumer}"), "consumer_account": consumer,
        "database": database, "tables": tables,
    }))
    .expect("grant JSON")
}

/// Listing again after 1, 2, 4 ms: tests need not wait for RAM.
fn fast() -> Backoff {
    Backoff { base: Duration::from_millis(1), max_delay: Duration::from_millis(4), max_attempts: 4 }
}

/// The governance account `gov` publishes `db` and grants it to `consumer`
/// in Lake Formation (moto), and Lake Formation shares it through RAM (the
/// model on the fake). Returns the RAM side of the grant.
async fn publish_and_grant(
    moto: &Moto,
    fake: &RamFake,
    gov: &str,
    consumer: &str,
    db: &DatabaseSpec,
) -> steward_aws::testing::lf_share_model::LfShare {
    let gov_cfg = moto.config_with_ram(gov, fake.url()).await;
    GlueCatalog::new(&gov_cfg).publish(db).await.unwrap();
    let grant = share_grant(consumer, &db.name, db.tables.iter().map(|t| t.name.as_str()).collect());
    Shares::new(&gov_cfg, gov).grant(&grant).await.unwrap();
    let lf = LakeFormationRam::new(fake, REGION);
    let mut arns = vec![lf.database_arn(gov, &db.name)];
    arns.extend(db.tables.iter().map(|t| lf.table_arn(gov, &db.name, &t.name)));
    lf.grant(gov, consumer, &arns)
}

async fn consumer(moto: &Moto, fake: &RamFake, consumer: &str) -> (ConsumerShares, aws_sdk_glue::Client) {
    let cfg = moto.config_with_ram(consumer, fake.url()).await;
    (ConsumerShares::new(&cfg, consumer).with_discovery_backoff(fast()), aws_sdk_glue::Client::new(&cfg))
}

/// The link's `TargetDatabase` as `(catalog, database, region)`.
async fn target(glue: &aws_sdk_glue::Client, name: &str) -> (String, String, Option<String>) {
    let out = glue.get_database().name(name).send().await.unwrap();
    let t = out.database().unwrap().target_database().expect("a resource link");
    (t.catalog_id().unwrap().to_owned(), t.database_name().unwrap().to_owned(), t.region().map(str::to_owned))
}

fn link_names(r: &AcceptReport) -> Vec<String> {
    r.links.iter().map(|l| l.name.clone()).collect()
}

fn status_of(fake: &RamFake, invitation_arn: &str) -> String {
    fake.invitations().into_iter().find(|i| i.arn == invitation_arn).expect("invitation").status
}

/// In the governance account's Organization, a Lake Formation share arrives
/// with no invitation ("The data lake administrator in account B must accept
/// the share. (This isn't necessary if accounts A and B are in the same
/// organization …)",
/// https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-read-data.html;
/// https://docs.aws.amazon.com/lake-formation/latest/dg/viewing-shared-resources.html):
/// accept finds it through RAM ListResources and links it under a prefixed
/// name, so two governance accounts' databases of the same name both get a
/// link (resource links exist to give shared databases local names:
/// https://docs.aws.amazon.com/lake-formation/latest/dg/resource-links-about.html).
#[tokio::test]
async fn in_org_consumer_gets_prefixed_links_without_an_invitation() {
    let Some(moto) = moto().await else { return };
    let fake = RamFake::start().await;
    let (gov, gov2, me) = (account(), account(), account());
    fake.set_organization(&[&gov, &gov2, &me]);
    let db = database(&unique("sales_"));
    let share = publish_and_grant(&moto, &fake, &gov, &me, &db).await;
    let share2 = publish_and_grant(&moto, &fake, &gov2, &me, &db).await;
    assert_eq!((share.invitation_arn.as_ref(), share2.invitation_arn.as_ref()), (None, None), "no invitation in-org");
    assert!(share.share_name.starts_with("LakeFormation-V3-"), "{}", share.share_name);
    assert!(fake.invitations().is_empty());

    let (side, glue) = consumer(&moto, &fake, &me).await;
    let report = side.accept(&gov, &AcceptOptions::default()).await.unwrap();
    let link = format!("steward_{gov}_{}", db.name);
    assert_eq!(link_names(&report), [link.as_str()]);
    assert!(report.accepted_invitations.is_empty() && report.skipped_invitations.is_empty());
    let l = &report.links[0];
    assert!(l.created);
    assert_eq!((l.target_catalog_id.as_str(), l.target_database.as_str()), (gov.as_str(), db.name.as_str()));
    assert_eq!(l.tables, ["order_lines", "orders"]);
    assert_eq!(l.share_arns, [share.share_arn.as_str()]);
    assert_eq!(l.region.as_deref(), Some(REGION));
    assert_eq!(target(&glue, &link).await, (gov.clone(), db.name.clone(), Some(REGION.to_owned())));

    // The second governance account's database of the same name.
    let report2 = side.accept(&gov2, &AcceptOptions::default()).await.unwrap();
    let link2 = format!("steward_{gov2}_{}", db.name);
    assert_eq!(link_names(&report2), [link2.as_str()]);
    assert_eq!(target(&glue, &link2).await.0, gov2);

    // Again: the same links, kept.
    let again = side.accept(&gov, &AcceptOptions::default()).await.unwrap();
    assert_eq!(link_names(&again), [link.as_str()]);
    assert!(!again.links[0].created);
    // `--link-prefix ''`: the governance database's own name.
    let same_name = AcceptOptions { link_prefix: Some(String::new()), ..AcceptOptions::default() };
    let plain = side.accept(&gov, &same_name).await.unwrap();
    assert_eq!(link_names(&plain), [db.name.as_str()]);
    assert_eq!(target(&glue, &db.name).await.0, gov);
}

/// Outside the Organization the consumer's data-lake administrator must
/// accept Lake Formation's RAM invitation
/// (https://docs.aws.amazon.com/lake-formation/latest/dg/viewing-shared-resources.html);
/// Lake Formation's shares are the `LakeFormation*` ones (the grantor's
/// managed policy AWSLakeFormationCrossAccountManager manages only those,
/// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLakeFormationCrossAccountManager.html)
/// and hold only Glue resources (RAM user guide, shareable resources: glue:Catalog,
/// glue:Database, glue:Table). Every other invitation from the same sender is
/// reported and stays PENDING; invitations from other accounts are not looked at.
#[tokio::test]
async fn out_of_org_consumer_accepts_only_the_lake_formation_invitation() {
    let Some(moto) = moto().await else { return };
    let fake = RamFake::start().await;
    let (gov, me, stranger) = (account(), account(), account());
    let db = database(&unique("sales_"));
    let share = publish_and_grant(&moto, &fake, &gov, &me, &db).await;
    let lf_invitation = share.invitation_arn.clone().expect("an invitation outside the organization");
    assert_eq!(status_of(&fake, &lf_invitation), "PENDING");

    // Unrelated invitations from the governance account, and one from a stranger.
    let gov_ram = aws_sdk_ram::Client::new(&moto.config_with_ram(&gov, fake.url()).await);
    let mut unrelated = Vec::new();
    for (name, arn) in [
        ("vpc-subnets", format!("arn:aws:ec2:{REGION}:{gov}:subnet/subnet-0abc")),
        ("steward-sales-orders", format!("arn:aws:glue:{REGION}:{gov}:database/{}", db.name)),
        ("LakeFormation-not-really", format!("arn:aws:ec2:{REGION}:{gov}:subnet/subnet-0def")),
    ] {
        let out = gov_ram.create_resource_share().name(name).principals(&me).resource_arns(arn).send().await.unwrap();
        unrelated.push(out.resource_share().unwrap().resource_share_arn().unwrap().to_owned());
    }
    let stranger_share = LakeFormationRam::new(&fake, REGION).grant(
        &stranger,
        &me,
        &[format!("arn:aws:glue:{REGION}:{stranger}:database/{}", db.name)],
    );

    let (side, glue) = consumer(&moto, &fake, &me).await;
    let report = side.accept(&gov, &AcceptOptions::default()).await.unwrap();
    assert_eq!(report.accepted_invitations.len(), 1, "{report:#?}");
    let accepted = &report.accepted_invitations[0];
    assert_eq!(
        (accepted.invitation_arn.as_str(), accepted.share_arn.as_str()),
        (lf_invitation.as_str(), share.share_arn.as_str())
    );
    assert_eq!(accepted.resource_types, ["glue:Database", "glue:Table"]);
    assert_eq!(status_of(&fake, &lf_invitation), "ACCEPTED");

    let skipped: Vec<(&str, &str)> = report
        .skipped_invitations
        .iter()
        .map(|i| (i.share_name.as_str(), i.reason.as_deref().unwrap_or_default()))
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped[0].0 == "vpc-subnets" && skipped[0].1.contains("not a Lake Formation share"), "{skipped:?}");
    assert!(skipped[1].0 == "steward-sales-orders" && skipped[1].1.contains("not a Lake Formation share"));
    assert!(skipped[2].0 == "LakeFormation-not-really" && skipped[2].1.contains("ec2:Subnet"), "{skipped:?}");
    for i in fake.invitations().iter().filter(|i| unrelated.contains(&i.share_arn)) {
        assert_eq!(i.status, "PENDING", "{} was accepted", i.share_name);
    }
    let from_stranger = stranger_share.invitation_arn.unwrap();
    assert_eq!(status_of(&fake, &from_stranger), "PENDING");
    assert!(!report.skipped_invitations.iter().any(|i| i.invitation_arn == from_stranger));

    let link = format!("steward_{gov}_{}", db.name);
    assert_eq!(link_names(&report), [link.as_str()]);
    assert_eq!(report.links[0].share_arns, [share.share_arn.as_str()], "only through the accepted share");
    assert_eq!(target(&glue, &link).await.0, gov);

    // Running again: nothing more to accept, the same refusals, the link kept.
    let again = side.accept(&gov, &AcceptOptions::default()).await.unwrap();
    assert!(again.accepted_invitations.is_empty());
    assert_eq!(again.skipped_invitations.len(), 3);
    assert_eq!(link_names(&again), [link]);
    assert!(!again.links[0].created);
}

/// RAM lists the resources of a just-accepted share only after a while;
/// AWS's sample (aws-samples/aws-data-mesh-utils) waits before ListResources.
/// Accept lists again until the accepted resources show up, and if they
/// never do within its attempts it says so instead of failing.
#[tokio::test]
async fn discovery_waits_for_ram_to_list_what_was_just_accepted() {
    let Some(moto) = moto().await else { return };
    let fake = RamFake::start().await;
    let (gov, me) = (account(), account());
    let db = database(&unique("sales_"));
    publish_and_grant(&moto, &fake, &gov, &me, &db).await;
    let (side, _) = consumer(&moto, &fake, &me).await;
    // Each listing asks for glue:Database and glue:Table: the first listing
    // and half of the second see nothing.
    fake.hide_shared_resources(3);
    let report = side.accept(&gov, &AcceptOptions::default()).await.unwrap();
    assert_eq!(link_names(&report), [format!("steward_{gov}_{}", db.name)]);
    assert!(report.not_yet_listed.is_empty());
    let listings = fake.calls().iter().filter(|(a, op)| *a == me && op == "listresources").count();
    assert_eq!(listings, 6, "three listings of two types");

    // A grant whose resources RAM never lists within the attempts.
    let other = account();
    let share = publish_and_grant(&moto, &fake, &gov, &other, &database(&unique("stock_"))).await;
    assert!(share.invitation_arn.is_some());
    let (side, _) = consumer(&moto, &fake, &other).await;
    fake.hide_shared_resources(100);
    let report = side.accept(&gov, &AcceptOptions::default()).await.unwrap();
    assert_eq!(report.accepted_invitations.len(), 1);
    assert!(report.links.is_empty());
    assert_eq!(report.not_yet_listed.len(), 3, "{report:#?}");
    // Later RAM lists them: the next run links them.
    fake.hide_shared_resources(0);
    let later = side.accept(&gov, &AcceptOptions::default()).await.unwrap();
    assert!(later.accepted_invitations.is_empty());
    assert_eq!(later.links.len(), 1);
}

/// A local database of the link's name that is not that link is never
/// overwritten: a conflict naming the database (Glue database names are
/// unique per catalog; a resource link is a database with a TargetDatabase,
/// https://docs.aws.amazon.com/lake-formation/latest/dg/creating-resource-links.html).
#[tokio::test]
async fn a_taken_link_name_is_a_conflict() {
    let Some(moto) = moto().await else { return };
    let fake = RamFake::start().await;
    let (gov, me) = (account(), account());
    fake.set_organization(&[&gov, &me]);
    let db = database(&unique("sales_"));
    publish_and_grant(&moto, &fake, &gov, &me, &db).await;
    let (side, glue) = consumer(&moto, &fake, &me).await;

    // A plain local database under the default link name.
    let link = format!("steward_{gov}_{}", db.name);
    let input = aws_sdk_glue::types::DatabaseInput::builder().name(&link).build().unwrap();
    glue.create_database().database_input(input).send().await.unwrap();
    let err = side.accept(&gov, &AcceptOptions::default()).await.unwrap_err();
    assert!(matches!(err, AwsError::Conflict(_)), "{err}");
    assert!(err.to_string().contains(&link) && err.to_string().contains("a local database"), "{err}");
    assert!(!err.is_retryable());

    // A link to another account's database under the same-name link.
    let elsewhere =
        aws_sdk_glue::types::DatabaseIdentifier::builder().catalog_id(account()).database_name(&db.name).build();
    let input =
        aws_sdk_glue::types::DatabaseInput::builder().name(&db.name).target_database(elsewhere).build().unwrap();
    glue.create_database().database_input(input).send().await.unwrap();
    let same_name = AcceptOptions { link_prefix: Some(String::new()), ..AcceptOptions::default() };
    let err = side.accept(&gov, &same_name).await.unwrap_err();
    assert!(err.to_string().contains(&format!("database {} exists", db.name)), "{err}");
    assert!(err.to_string().contains("a resource link to"), "{err}");

    // Another prefix is free.
    let other = AcceptOptions { link_prefix: Some("shared_".into()), ..AcceptOptions::default() };
    assert_eq!(link_names(&side.accept(&gov, &other).await.unwrap()), [format!("shared_{}", db.name)]);
}

/// `--grant-to`: the consumer's data-lake administrator passes the shared
/// permissions on to the roles that query. "The data lake administrator must
/// re-grant to the principal the Lake Formation SELECT permission that account
/// A granted on the shared table"
/// (https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-read-data.html),
/// and a principal needs DESCRIBE on the resource link itself
/// (https://docs.aws.amazon.com/lake-formation/latest/dg/granting-link-permissions.html):
/// DESCRIBE on the link in the consumer's catalog, SELECT + DESCRIBE on the
/// target tables with CatalogId = the governance account. Re-running grants nothing.
#[tokio::test]
async fn grant_to_regrants_on_the_links_and_the_shared_tables() {
    let Some(moto) = moto().await else { return };
    let fake = RamFake::start().await;
    let proxy = RecordingProxy::start(moto.url()).await;
    let (gov, me) = (account(), account());
    fake.set_organization(&[&gov, &me]);
    let db = database(&unique("sales_"));
    publish_and_grant(&moto, &fake, &gov, &me, &db).await;
    // A database shared without any table listed: all its tables (TableWildcard).
    let bare = unique("bare_");
    let gov_glue = aws_sdk_glue::Client::new(&moto.config(&gov).await);
    let input = aws_sdk_glue::types::DatabaseInput::builder().name(&bare).build().unwrap();
    gov_glue.create_database().database_input(input).send().await.unwrap();
    let lf_model = LakeFormationRam::new(&fake, REGION);
    lf_model.grant(&gov, &me, &[lf_model.database_arn(&gov, &bare)]);

    let cfg = config_with_ram_at(proxy.url(), &me, fake.url()).await;
    let side = ConsumerShares::new(&cfg, &me).with_discovery_backoff(fast());
    let roles = vec![format!("arn:aws:iam::{me}:role/analyst"), format!("arn:aws:iam::{me}:role/etl")];
    let options = AcceptOptions { link_prefix: None, grant_to: roles.clone() };

    // A role of another account: refused before any call.
    let stranger = AcceptOptions { grant_to: vec![format!("arn:aws:iam::{gov}:role/analyst")], ..options.clone() };
    let err = side.accept(&gov, &stranger).await.unwrap_err();
    assert!(matches!(err, AwsError::Invalid(_)), "{err}");
    assert!(proxy.calls().is_empty() && fake.calls().iter().all(|(a, _)| *a != me), "a call was made");

    let report = side.accept(&gov, &options).await.unwrap();
    let link = format!("steward_{gov}_{}", db.name);
    let bare_link = format!("steward_{gov}_{bare}");
    assert_eq!(link_names(&report), [bare_link.clone(), link.clone()]);
    let grants = proxy.calls_to("lakeformation", "GrantPermissions");
    let mut seen: Vec<Value> = grants
        .iter()
        .map(|c| {
            let b = c.json();
            assert!(b.get("PermissionsWithGrantOption").is_none_or(|g| g.as_array().is_some_and(Vec::is_empty)));
            json!([b["Principal"]["DataLakePrincipalIdentifier"], b["Resource"], b["Permissions"]])
        })
        .collect();
    let mut expected = Vec::new();
    for role in &roles {
        expected.push(json!([role, {"Database": {"CatalogId": me, "Name": bare_link}}, ["DESCRIBE"]]));
        expected.push(json!([role, {"Table": {"CatalogId": gov, "DatabaseName": bare, "TableWildcard": {}}}, ["SELECT", "DESCRIBE"]]));
        expected.push(json!([role, {"Database": {"CatalogId": me, "Name": link}}, ["DESCRIBE"]]));
        for t in ["order_lines", "orders"] {
            expected.push(json!([role, {"Table": {"CatalogId": gov, "DatabaseName": db.name, "Name": t}}, ["SELECT", "DESCRIBE"]]));
        }
    }
    seen.sort_by_key(|v| v.to_string());
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(seen, expected);
    assert!(grants.iter().all(|c| c.account.as_deref() == Some(me.as_str())), "granted in the consumer account");
    assert_eq!(report.grants.len(), 10);
    assert!(report.grants.iter().all(|g| g.granted));

    // Lake Formation (moto) holds them.
    let lf = aws_sdk_lakeformation::Client::new(&cfg);
    let held = lf
        .list_permissions()
        .catalog_id(&me)
        .principal(
            aws_sdk_lakeformation::types::DataLakePrincipal::builder()
                .data_lake_principal_identifier(&roles[0])
                .build(),
        )
        .resource(
            aws_sdk_lakeformation::types::Resource::builder()
                .table(
                    aws_sdk_lakeformation::types::TableResource::builder()
                        .catalog_id(&gov)
                        .database_name(&db.name)
                        .name("orders")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut perms: Vec<&str> =
        held.principal_resource_permissions().iter().flat_map(|p| p.permissions()).map(|p| p.as_str()).collect();
    perms.sort();
    assert_eq!(perms, ["DESCRIBE", "SELECT"]);

    // Again: no grant at all, everything reported as held.
    proxy.clear();
    let again = side.accept(&gov, &options).await.unwrap();
    assert!(proxy.calls_to("lakeformation", "GrantPermissions").is_empty());
    assert_eq!(again.grants.len(), 10);
    assert!(again.grants.iter().all(|g| !g.granted));
}

/// Glue lists databases shared into the consumer's catalog with
/// `GetDatabases(ResourceShareType = FOREIGN)` (Glue API, GetDatabases), which
/// also covers LF-Tag grants that under cross-account versions 1 and 2 use a
/// Glue resource policy instead of RAM
/// (https://docs.aws.amazon.com/lake-formation/latest/dg/optimize-ram.html).
/// moto ignores the parameter, so the recording proxy answers as AWS would.
#[tokio::test]
async fn databases_glue_lists_as_foreign_are_linked_too() {
    let Some(moto) = moto().await else { return };
    let fake = RamFake::start().await;
    let proxy = RecordingProxy::start(moto.url()).await;
    let (gov, me) = (account(), account());
    let db = unique("tagged_");
    proxy.answer(
        "glue",
        "GetDatabases",
        1,
        json!({"DatabaseList": [
            {"Name": db, "CatalogId": gov},
            {"Name": "someone_elses", "CatalogId": account()},
        ]}),
    );
    let cfg = config_with_ram_at(proxy.url(), &me, fake.url()).await;
    let report = ConsumerShares::new(&cfg, &me).accept(&gov, &AcceptOptions::default()).await.unwrap();
    assert_eq!(link_names(&report), [format!("steward_{gov}_{db}")]);
    assert!(report.links[0].share_arns.is_empty() && report.links[0].region.is_none());
    let asked = proxy.calls_to("glue", "GetDatabases");
    assert_eq!(asked[0].json()["ResourceShareType"], "FOREIGN");
}

/// Moved from tests/shares.rs: the share Lake Formation makes for a grant
/// (https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-permissions.html)
/// is accepted and linked, and the governance side makes no RAM call.
#[tokio::test]
async fn consumer_accepts_the_share_lake_formation_made() {
    let Some(moto) = moto().await else { return };
    let ram_fake = RamFake::start().await;
    let (gov, consumer) = (account(), account());
    let gov_cfg = moto.config_with_ram(&gov, ram_fake.url()).await;
    let consumer_cfg = moto.config_with_ram(&consumer, ram_fake.url()).await;
    let db = database(&unique("sales_orders_"));
    GlueCatalog::new(&gov_cfg).publish(&db).await.unwrap();

    let shares = Shares::new(&gov_cfg, &gov);
    let grant = share_grant(&consumer, &db.name, vec!["orders", "order_lines"]);
    shares.grant(&grant).await.unwrap();
    assert!(ram_fake.calls().iter().all(|(a, _)| *a != gov), "the governance side made RAM calls");

    // What Lake Formation does on AWS for that grant: its own RAM share.
    let gov_ram = aws_sdk_ram::Client::new(&gov_cfg);
    let share = gov_ram
        .create_resource_share()
        .name(format!("LakeFormation-V3-{}", unique("")))
        .principals(&consumer)
        .resource_arns(format!("arn:aws:glue:{REGION}:{gov}:database/{}", db.name))
        .resource_arns(format!("arn:aws:glue:{REGION}:{gov}:table/{}/orders", db.name))
        .send()
        .await
        .unwrap();
    let share_arn = share.resource_share().unwrap().resource_share_arn().unwrap().to_owned();
    let principals = gov_ram
        .get_resource_share_associations()
        .association_type(ResourceShareAssociationType::Principal)
        .resource_share_arns(&share_arn)
        .send()
        .await
        .unwrap();
    let entities: Vec<&str> =
        principals.resource_share_associations().iter().filter_map(|a| a.associated_entity()).collect();
    assert_eq!(entities, [consumer.as_str()]);

    let consumer_side = ConsumerShares::new(&consumer_cfg, &consumer).with_discovery_backoff(fast());
    let options = AcceptOptions { link_prefix: Some(String::new()), grant_to: Vec::new() };
    let report = consumer_side.accept(&gov, &options).await.unwrap();
    assert_eq!(report.accepted_invitations.len(), 1);
    assert_eq!(report.accepted_invitations[0].share_arn, share_arn);
    assert_eq!(link_names(&report), [db.name.as_str()]);
    assert_eq!(report.links[0].tables, ["orders"]);
    let consumer_glue = aws_sdk_glue::Client::new(&consumer_cfg);
    assert_eq!(target(&consumer_glue, &db.name).await.0, gov);
    let again = consumer_side.accept(&gov, &options).await.unwrap();
    assert_eq!(
        again.links.iter().map(|l| (&l.name, &l.share_arns)).collect::<Vec<_>>(),
        [(&db.name, &vec![share_arn])]
    );
    shares.revoke(&grant).await.unwrap();
}

/// Moved from tests/shares.rs: the fake alone (no moto) keeps RAM's rules:
/// only owners change shares, only their own resources, nothing visible
/// before acceptance, disassociation hides resources again.
#[tokio::test]
async fn ram_fake_disassociation_hides_resources_from_the_consumer() {
    let fake = RamFake::start().await;
    let (gov, consumer) = (account(), account());
    let gov_ram = aws_sdk_ram::Client::new(&steward_aws::testing::config_for(fake.url(), &gov).await);
    let consumer_ram = aws_sdk_ram::Client::new(&steward_aws::testing::config_for(fake.url(), &consumer).await);
    let db_arn = format!("arn:aws:glue:{REGION}:{gov}:database/sales");
    let table_arn = format!("arn:aws:glue:{REGION}:{gov}:table/sales/orders");
    let share = gov_ram
        .create_resource_share()
        .name("s")
        .principals(&consumer)
        .resource_arns(&db_arn)
        .resource_arns(&table_arn)
        .send()
        .await
        .unwrap();
    let share_arn = share.resource_share().unwrap().resource_share_arn().unwrap().to_owned();

    // Another account's resources cannot be shared.
    let foreign = format!("arn:aws:glue:{REGION}:{consumer}:database/x");
    let err = gov_ram.associate_resource_share().resource_share_arn(&share_arn).resource_arns(&foreign).send().await;
    assert_eq!(aws_sdk_ram::error::ProvideErrorMetadata::code(&err.unwrap_err()), Some("MalformedArnException"));
    // Only the owner can change a share.
    let err = consumer_ram.associate_resource_share().resource_share_arn(&share_arn).principals(&gov).send().await;
    assert_eq!(aws_sdk_ram::error::ProvideErrorMetadata::code(&err.unwrap_err()), Some("UnknownResourceException"));

    // Nothing is visible before the invitation is accepted.
    let visible = || async {
        let out = consumer_ram.list_resources().resource_owner(ResourceOwner::OtherAccounts).send().await.unwrap();
        let mut arns: Vec<String> = out.resources().iter().filter_map(|r| r.arn().map(str::to_owned)).collect();
        arns.sort();
        arns
    };
    assert!(visible().await.is_empty());
    let invitations = consumer_ram.get_resource_share_invitations().send().await.unwrap();
    let inv = &invitations.resource_share_invitations()[0];
    assert_eq!(inv.sender_account_id(), Some(gov.as_str()));
    consumer_ram
        .accept_resource_share_invitation()
        .resource_share_invitation_arn(inv.resource_share_invitation_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(visible().await, vec![db_arn.clone(), table_arn.clone()]);

    gov_ram
        .disassociate_resource_share()
        .resource_share_arn(&share_arn)
        .resource_arns(&table_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(visible().await, vec![db_arn.clone()]);
    gov_ram.disassociate_resource_share().resource_share_arn(&share_arn).principals(&consumer).send().await.unwrap();
    assert!(visible().await.is_empty());
}

/// The fake's model of Lake Formation's RAM use: one `LakeFormation-V3-…`
/// share per account pair, extended by later grants (cross-account version 2
/// and later, https://docs.aws.amazon.com/lake-formation/latest/dg/optimize-ram.html);
/// in-org consumers see it at once with no invitation, others get one
/// invitation (https://docs.aws.amazon.com/lake-formation/latest/dg/viewing-shared-resources.html,
/// https://docs.aws.amazon.com/lake-formation/latest/dg/sharing-catalog-resources.html).
#[tokio::test]
async fn lake_formation_model_extends_its_share_and_invites_only_outside_the_org() {
    let fake = RamFake::start().await;
    let (gov, inside, outside) = (account(), account(), account());
    fake.set_organization(&[&gov, &inside]);
    let lf = LakeFormationRam::new(&fake, REGION);
    let first = lf.grant(&gov, &inside, &[lf.database_arn(&gov, "sales")]);
    let second = lf.grant(&gov, &inside, &[lf.table_arn(&gov, "sales", "orders")]);
    assert!(first.created && !second.created);
    assert_eq!(first.share_arn, second.share_arn);
    assert_eq!((first.invitation_arn, second.invitation_arn), (None, None));
    let inside_ram = aws_sdk_ram::Client::new(&steward_aws::testing::config_for(fake.url(), &inside).await);
    let listed = inside_ram.list_resources().resource_owner(ResourceOwner::OtherAccounts).send().await.unwrap();
    assert_eq!(listed.resources().len(), 2, "visible at once in the organization");

    let out = lf.grant(&gov, &outside, &[lf.database_arn(&gov, "sales")]);
    assert!(out.created && out.share_arn != first.share_arn, "one share per account pair");
    let inv = out.invitation_arn.expect("an invitation outside the organization");
    let outside_ram = aws_sdk_ram::Client::new(&steward_aws::testing::config_for(fake.url(), &outside).await);
    let pending =
        outside_ram.list_pending_invitation_resources().resource_share_invitation_arn(&inv).send().await.unwrap();
    assert_eq!(pending.resources().iter().filter_map(|r| r.r#type()).collect::<Vec<_>>(), ["glue:Database"]);
    let listed = outside_ram.list_resources().resource_owner(ResourceOwner::OtherAccounts).send().await.unwrap();
    assert!(listed.resources().is_empty(), "nothing before the invitation is accepted");
    // A later grant to the same outside account extends the share without a new invitation.
    let more = lf.grant(&gov, &outside, &[lf.table_arn(&gov, "sales", "orders")]);
    assert_eq!((more.share_arn.as_str(), more.invitation_arn), (out.share_arn.as_str(), None));
    assert_eq!(fake.invitations().len(), 1);
}
