//! RAM shares and Lake Formation grants: the governance side against moto,
//! extension of a share and the consumer side against the RAM fake (with
//! moto's Glue for the resource link).

use aws_sdk_lakeformation::types::{DataLakePrincipal, DatabaseResource, Resource, TableResource};
use aws_sdk_ram::types::{ResourceOwner, ResourceShareAssociationType, ResourceShareStatus};
use steward_aws::testing::ram_fake::RamFake;
use steward_aws::testing::{REGION, account, moto, unique};
use steward_aws::{ConsumerShares, DatabaseSpec, GlueCatalog, ShareGrant, Shares};

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

/// Live shares named `name` owned by the caller of `ram`.
async fn live_shares(ram: &aws_sdk_ram::Client, name: &str) -> Vec<String> {
    let out = ram.get_resource_shares().resource_owner(ResourceOwner::SelfValue).send().await.unwrap();
    out.resource_shares()
        .iter()
        .filter(|s| s.name() == Some(name) && s.status() == Some(&ResourceShareStatus::Active))
        .filter_map(|s| s.resource_share_arn().map(str::to_owned))
        .collect()
}

async fn entities(ram: &aws_sdk_ram::Client, arn: &str, kind: ResourceShareAssociationType) -> Vec<String> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = ram
            .get_resource_share_associations()
            .association_type(kind.clone())
            .resource_share_arns(arn)
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        out.extend(page.resource_share_associations().iter().filter_map(|a| a.associated_entity().map(str::to_owned)));
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            out.sort();
            return out;
        }
    }
}

async fn lf_permissions(lf: &aws_sdk_lakeformation::Client, gov: &str, who: &str, resource: Resource) -> Vec<String> {
    let out = lf
        .list_permissions()
        .catalog_id(gov)
        .principal(DataLakePrincipal::builder().data_lake_principal_identifier(who).build())
        .resource(resource)
        .send()
        .await
        .unwrap();
    let mut perms: Vec<String> = out
        .principal_resource_permissions()
        .iter()
        .flat_map(|p| p.permissions().iter().map(|x| x.as_str().to_owned()))
        .collect();
    perms.sort();
    perms.dedup();
    perms
}

fn db_resource(gov: &str, db: &str) -> Resource {
    Resource::builder().database(DatabaseResource::builder().catalog_id(gov).name(db).build().unwrap()).build()
}

fn table_resource(gov: &str, db: &str, t: &str) -> Resource {
    let t = TableResource::builder().catalog_id(gov).database_name(db).name(t).build().unwrap();
    Resource::builder().table(t).build()
}

#[tokio::test]
async fn grant_and_revoke_against_moto() {
    let Some(moto) = moto().await else { return };
    let (gov, consumer) = (account(), account());
    let cfg = moto.config(&gov).await;
    let db = database(&unique("sales_orders_"));
    GlueCatalog::new(&cfg).publish(&db).await.unwrap();

    let shares = Shares::new(&cfg, &gov);
    let grant = ShareGrant {
        share_name: unique(&format!("steward-sales-orders-{consumer}-")),
        consumer_account: consumer.clone(),
        database: db.name.clone(),
        tables: vec!["orders".into(), "order_lines".into()],
    };
    let receipt = shares.grant(&grant).await.unwrap();

    let ram = aws_sdk_ram::Client::new(&cfg);
    assert_eq!(live_shares(&ram, &grant.share_name).await, vec![receipt.share_arn.clone()]);
    assert_eq!(
        entities(&ram, &receipt.share_arn, ResourceShareAssociationType::Principal).await,
        vec![consumer.clone()]
    );
    let mut want = vec![
        format!("arn:aws:glue:{REGION}:{gov}:database/{}", db.name),
        format!("arn:aws:glue:{REGION}:{gov}:table/{}/order_lines", db.name),
        format!("arn:aws:glue:{REGION}:{gov}:table/{}/orders", db.name),
    ];
    want.sort();
    assert_eq!(entities(&ram, &receipt.share_arn, ResourceShareAssociationType::Resource).await, want);

    let lf = aws_sdk_lakeformation::Client::new(&cfg);
    assert_eq!(lf_permissions(&lf, &gov, &consumer, db_resource(&gov, &db.name)).await, ["DESCRIBE"]);
    for t in ["orders", "order_lines"] {
        assert_eq!(
            lf_permissions(&lf, &gov, &consumer, table_resource(&gov, &db.name, t)).await,
            ["DESCRIBE", "SELECT"]
        );
    }

    // Granting again (an outbox retry) creates no second share.
    let again = shares.grant(&grant).await.unwrap();
    assert_eq!(again, receipt);
    assert_eq!(live_shares(&ram, &grant.share_name).await.len(), 1);

    let state = shares.describe(&grant.share_name).await.unwrap().expect("share exists");
    assert_eq!(state.share_arn, receipt.share_arn);
    assert_eq!(state.principals, vec![consumer.clone()]);
    assert_eq!(state.resource_arns.len(), 3);
    let mut lf_state = state.lf_permissions.clone();
    lf_state.sort();
    let perms = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        lf_state,
        [
            (consumer.clone(), format!("database:{}", db.name), perms(&["DESCRIBE"])),
            (consumer.clone(), format!("table:{}.order_lines", db.name), perms(&["DESCRIBE", "SELECT"])),
            (consumer.clone(), format!("table:{}.orders", db.name), perms(&["DESCRIBE", "SELECT"])),
        ]
    );

    shares.revoke(&grant).await.unwrap();
    assert!(live_shares(&ram, &grant.share_name).await.is_empty());
    assert!(shares.describe(&grant.share_name).await.unwrap().is_none());
    assert!(lf_permissions(&lf, &gov, &consumer, db_resource(&gov, &db.name)).await.is_empty());
    assert!(lf_permissions(&lf, &gov, &consumer, table_resource(&gov, &db.name, "orders")).await.is_empty());
    // Revoking again is fine.
    shares.revoke(&grant).await.unwrap();

    // Bad account ids never reach AWS.
    let bad = ShareGrant { consumer_account: "12345".into(), ..grant };
    assert!(!shares.grant(&bad).await.unwrap_err().is_retryable());
}

#[tokio::test]
async fn extend_accept_and_link_with_ram_fake() {
    let Some(moto) = moto().await else { return };
    let ram_fake = RamFake::start().await;
    let (gov, consumer) = (account(), account());
    let gov_cfg = moto.config_with_ram(&gov, ram_fake.url()).await;
    let consumer_cfg = moto.config_with_ram(&consumer, ram_fake.url()).await;
    let db = database(&unique("sales_orders_"));
    GlueCatalog::new(&gov_cfg).publish(&db).await.unwrap();

    // Contract version 1 shares one table.
    let shares = Shares::new(&gov_cfg, &gov);
    let mut grant = ShareGrant {
        share_name: format!("steward-sales-orders-{consumer}"),
        consumer_account: consumer.clone(),
        database: db.name.clone(),
        tables: vec!["orders".into()],
    };
    let receipt = shares.grant(&grant).await.unwrap();
    assert_eq!(shares.grant(&grant).await.unwrap(), receipt);
    let gov_ram = aws_sdk_ram::Client::new(&gov_cfg);
    assert_eq!(live_shares(&gov_ram, &grant.share_name).await.len(), 1);

    // The consumer accepts and gets a resource link in its own Glue catalog.
    let consumer_side = ConsumerShares::new(&consumer_cfg, &consumer);
    let accepted = consumer_side.accept(&gov).await.unwrap();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].share_arn, receipt.share_arn);
    assert_eq!(accepted[0].databases, vec![db.name.clone()]);
    assert_eq!(accepted[0].resource_links, vec![db.name.clone()]);
    let consumer_glue = aws_sdk_glue::Client::new(&consumer_cfg);
    let link = consumer_glue.get_database().name(&db.name).send().await.unwrap();
    let target = link.database().unwrap().target_database().expect("a resource link");
    assert_eq!(target.catalog_id(), Some(gov.as_str()));
    assert_eq!(target.database_name(), Some(db.name.as_str()));
    // Accepting again changes nothing and does not fail.
    assert_eq!(consumer_side.accept(&gov).await.unwrap(), accepted);
    // Another account's view: nothing from this governance account.
    let stranger = account();
    let stranger_cfg = moto.config_with_ram(&stranger, ram_fake.url()).await;
    assert!(ConsumerShares::new(&stranger_cfg, &stranger).accept(&gov).await.unwrap().is_empty());

    // Version 2 adds a table: the same share is extended, not replaced.
    grant.tables.push("order_lines".into());
    let extended = shares.grant(&grant).await.unwrap();
    assert_eq!(extended, receipt);
    let calls: Vec<String> = ram_fake.calls().into_iter().filter(|(a, _)| *a == gov).map(|(_, op)| op).collect();
    assert_eq!(calls.iter().filter(|op| *op == "createresourceshare").count(), 1, "{calls:?}");
    assert_eq!(calls.iter().filter(|op| *op == "associateresourceshare").count(), 1, "{calls:?}");
    let resources = entities(&gov_ram, &receipt.share_arn, ResourceShareAssociationType::Resource).await;
    assert!(resources.contains(&format!("arn:aws:glue:{REGION}:{gov}:table/{}/order_lines", db.name)), "{resources:?}");
    let state = shares.describe(&grant.share_name).await.unwrap().unwrap();
    assert_eq!(state.resource_arns.len(), 3);
    assert_eq!(state.principals, vec![consumer.clone()]);
    assert_eq!(state.lf_permissions.len(), 3, "{:?}", state.lf_permissions);

    // The consumer sees the new table through the accepted share.
    let consumer_ram = aws_sdk_ram::Client::new(&consumer_cfg);
    let listed = consumer_ram
        .list_resources()
        .resource_owner(ResourceOwner::OtherAccounts)
        .resource_share_arns(&receipt.share_arn)
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.resources().len(), 3);

    // Revoking deletes the share for the consumer too.
    shares.revoke(&grant).await.unwrap();
    assert!(shares.describe(&grant.share_name).await.unwrap().is_none());
    let listed = consumer_ram.list_resources().resource_owner(ResourceOwner::OtherAccounts).send().await.unwrap();
    assert!(listed.resources().is_empty());
    shares.revoke(&grant).await.unwrap();

    // A fresh grant after a revoke makes a new share and a new invitation.
    let regranted = shares.grant(&grant).await.unwrap();
    assert_ne!(regranted.share_arn, receipt.share_arn);
    let accepted = consumer_side.accept(&gov).await.unwrap();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].share_arn, regranted.share_arn);
    assert_eq!(accepted[0].resource_links, vec![db.name.clone()]);
}

#[tokio::test]
async fn ram_fake_disassociation_hides_resources_from_the_consumer() {
    // The fake alone (no moto): the SDK talks to it for RAM.
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
