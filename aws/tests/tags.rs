//! LF-Tag sharing (`aws.sharing = tags`), hybrid access opt-ins and
//! configured consumer roles, against moto through the recording proxy.
//!
//! What AWS documents and these tests hold Steward to:
//! * an LF-Tag key must exist with its values before a resource can carry it
//!   (LF API reference, `CreateLFTag`, `UpdateLFTag`, `AddLFTagsToResource`);
//!   tags on a database are inherited by its tables, and column tags are set
//!   on `TableWithColumns` (LF guide, "Assigning LF-Tags to Data Catalog resources");
//! * a TBAC grant is a `LFTagPolicy` resource with an expression and a
//!   resource type (DATABASE, TABLE), plus DESCRIBE on the tag so the
//!   consumer admin can see it; cross-account grants carry the grant option
//!   (LF guide, "Granting data lake permissions using the LF-TBAC method");
//! * hybrid access mode: register with `HybridAccessEnabled` and opt in the
//!   principals that get Lake Formation permissions (`CreateLakeFormationOptIn`;
//!   LF guide, "Hybrid access mode"). moto has no opt-ins: the proxy answers
//!   them as AWS does (an empty 200), and once as AWS does for a repeat.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use steward_aws::testing::proxy::RecordingProxy;
use steward_aws::testing::{account, config_for, moto, unique};
use steward_aws::{DatabaseSpec, GlueCatalog, ShareGrant, Shares, SharingMode};

fn tagged_database(name: &str, bucket: &str) -> DatabaseSpec {
    serde_json::from_value(json!({
        "name": name, "description": null, "location": null, "parameters": {},
        "tables": [
            {"name": "orders", "description": null,
             "columns": [{"name": "id", "data_type": "bigint", "comment": null},
                         {"name": "email", "data_type": "string", "comment": null}],
             "partition_keys": [], "location": format!("s3://{bucket}/sales/orders/orders/"), "parameters": {},
             "column_classifications": {"email": "Restricted"}}
        ],
        "lf_tags": {"product": "sales.orders", "domain": "sales", "classification": "internal"}
    }))
    .expect("spec JSON as the outbox stores it")
}

#[tokio::test]
async fn tags_mode_tags_what_it_publishes_and_grants_one_expression() {
    let Some(moto) = moto().await else { return };
    let proxy = RecordingProxy::start(moto.url()).await;
    let (gov, consumer) = (account(), account());
    let cfg = config_for(proxy.url(), &gov).await;
    let mut settings = moto.settings(&gov);
    settings.sharing = SharingMode::Tags;
    settings.hybrid_access = true;
    let bucket = unique("lake-");
    let db = tagged_database(&unique("sales_orders_"), &bucket);
    let catalog = GlueCatalog::with_settings(&cfg, &settings);
    catalog.register_locations(&[db.tables[0].location.as_str()]).await.unwrap();
    assert_eq!(proxy.calls_to("lakeformation", "RegisterResource")[0].json()["HybridAccessEnabled"], true);
    catalog.publish(&db).await.unwrap();

    // The tag keys exist with their values (lower case, as LF stores them).
    let lf = aws_sdk_lakeformation::Client::new(&cfg);
    let values = |key: &'static str| {
        let lf = lf.clone();
        let gov = gov.clone();
        async move { steward_aws::tags::lf_tag_values(&lf, &gov, key).await.unwrap().unwrap_or_default() }
    };
    assert!(values("product").await.contains(&"sales.orders".to_owned()));
    let mut levels = values("classification").await;
    levels.sort();
    assert_eq!(levels, ["internal", "restricted"]);
    // The database carries product, domain and classification; the classified column its own level.
    let adds: Vec<Value> = proxy.calls_to("lakeformation", "AddLFTagsToResource").iter().map(|c| c.json()).collect();
    let on_db = adds.iter().find(|b| b["Resource"]["Database"].is_object()).expect("database tagged");
    let mut pairs: Vec<String> = on_db["LFTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| format!("{}={}", t["TagKey"].as_str().unwrap(), t["TagValues"][0].as_str().unwrap()))
        .collect();
    pairs.sort();
    assert_eq!(pairs, ["classification=internal", "domain=sales", "product=sales.orders"]);
    let on_col = adds.iter().find(|b| b["Resource"]["TableWithColumns"].is_object()).expect("column tagged");
    assert_eq!(on_col["Resource"]["TableWithColumns"]["ColumnNames"], json!(["email"]));
    assert_eq!(on_col["LFTags"][0]["TagValues"], json!(["restricted"]));
    // Publishing again (a new version) creates no tag value twice.
    proxy.clear();
    catalog.publish(&db).await.unwrap();
    assert!(proxy.calls_to("lakeformation", "CreateLFTag").is_empty());
    assert!(proxy.calls_to("lakeformation", "UpdateLFTag").is_empty());
    // A second product adds its value to the existing key.
    let mut other = tagged_database(&unique("sales_returns_"), &bucket);
    other.lf_tags.insert("product".into(), "sales.returns".into());
    catalog.publish(&other).await.unwrap();
    let update = proxy.calls_to("lakeformation", "UpdateLFTag");
    assert_eq!(update.len(), 1, "{update:?}");
    assert_eq!(update[0].json()["TagValuesToAdd"], json!(["sales.returns"]));
    let mut products = values("product").await;
    products.sort();
    assert_eq!(products, ["sales.orders", "sales.returns"]);

    // The grant: one expression for databases and tables, DESCRIBE on the tag, all grantable.
    proxy.answer("lakeformation", "CreateLakeFormationOptIn", 1, json!({}));
    proxy.fail(
        "lakeformation",
        "CreateLakeFormationOptIn",
        1,
        400,
        "InvalidInputException",
        "Opt-in already exists for the principal and resource",
    );
    let shares = Shares::with_settings(&cfg, &settings);
    let grant = ShareGrant {
        share_name: format!("steward-sales-orders-{consumer}"),
        consumer_account: consumer.clone(),
        database: db.name.clone(),
        tables: vec!["orders".into()],
        product: "sales.orders".into(),
    };
    proxy.clear();
    let receipt = shares.grant(&grant).await.unwrap();
    assert_eq!(receipt.share_arn.as_deref(), None, "LF-Tag grants report no per-resource share");
    let entries = proxy.calls_to("lakeformation", "BatchGrantPermissions")[0].json()["Entries"].clone();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 3, "{entries:?}");
    for e in entries {
        assert_eq!(e["Principal"]["DataLakePrincipalIdentifier"], consumer.as_str());
        assert_eq!(e["PermissionsWithGrantOption"], e["Permissions"], "{e}");
    }
    assert_eq!(entries[0]["Resource"]["LFTagPolicy"]["ResourceType"], "DATABASE");
    assert_eq!(entries[1]["Resource"]["LFTagPolicy"]["ResourceType"], "TABLE");
    assert_eq!(entries[1]["Permissions"], json!(["SELECT", "DESCRIBE"]));
    assert_eq!(
        entries[1]["Resource"]["LFTagPolicy"]["Expression"],
        json!([{"TagKey": "product", "TagValues": ["sales.orders"]}])
    );
    assert_eq!(
        entries[2]["Resource"]["LFTag"],
        json!({"CatalogId": gov, "TagKey": "product", "TagValues": ["sales.orders"]})
    );
    // Opted in on the two policies (not on the tag); an existing opt-in is fine.
    let opt_ins = proxy.calls_to("lakeformation", "CreateLakeFormationOptIn");
    assert_eq!(opt_ins.len(), 2, "{opt_ins:?}");
    assert!(opt_ins.iter().all(|c| c.json()["Resource"]["LFTagPolicy"].is_object()));

    // What the consumer holds, read back.
    let state = shares.describe(&grant, &[]).await.unwrap().expect("held");
    assert_eq!(state.principals, std::slice::from_ref(&consumer));
    assert_eq!(state.lf_permissions.len(), 3, "{:?}", state.lf_permissions);

    // Revoke: the same entries; AWS's "nothing to revoke" for a repeat; opt-ins deleted.
    proxy.answer("lakeformation", "DeleteLakeFormationOptIn", 2, json!({}));
    proxy.clear();
    shares.revoke(&grant).await.unwrap();
    assert_eq!(
        proxy.calls_to("lakeformation", "BatchRevokePermissions")[0].json()["Entries"].as_array().unwrap().len(),
        3
    );
    assert_eq!(proxy.calls_to("lakeformation", "DeleteLakeFormationOptIn").len(), 2);
    assert!(shares.describe(&grant, &[]).await.unwrap().is_none());
    proxy.fail(
        "lakeformation",
        "BatchRevokePermissions",
        1,
        400,
        "InvalidInputException",
        "No permissions revoked. Grantee does not have:[DESCRIBE]",
    );
    proxy.fail("lakeformation", "DeleteLakeFormationOptIn", 2, 400, "EntityNotFoundException", "Opt-in not found");
    shares.revoke(&grant).await.unwrap();
    assert!(proxy.calls().iter().all(|c| c.service != "ram"), "no RAM call at all");
}

/// `aws.consumer_roles`: grants for a configured account go to its roles
/// (cross-account version 3 and later; LF guide, "Updating cross-account
/// data sharing version settings"), other accounts get account grants.
#[tokio::test]
async fn configured_consumer_roles_receive_the_grant() {
    let Some(moto) = moto().await else { return };
    let proxy = RecordingProxy::start(moto.url()).await;
    let (gov, with_roles, plain) = (account(), account(), account());
    let cfg = config_for(proxy.url(), &gov).await;
    let db = tagged_database(&unique("sales_orders_"), &unique("lake-"));
    GlueCatalog::new(&cfg).publish(&db).await.unwrap();
    let mut settings = moto.settings(&gov);
    let role = format!("arn:aws:iam::{with_roles}:role/analyst");
    settings.consumer_roles = BTreeMap::from([(with_roles.clone(), vec![role.clone()])]);
    let shares = Shares::with_settings(&cfg, &settings);
    let grant = |account: &str| ShareGrant {
        share_name: "steward-test".into(),
        consumer_account: account.to_owned(),
        database: db.name.clone(),
        tables: vec!["orders".into()],
        product: "sales.orders".into(),
    };
    shares.grant(&grant(&with_roles)).await.unwrap();
    shares.grant(&grant(&plain)).await.unwrap();
    let principals: Vec<String> = proxy
        .calls_to("lakeformation", "BatchGrantPermissions")
        .iter()
        .flat_map(|c| c.json()["Entries"].as_array().unwrap().clone())
        .filter_map(|e| e["Principal"]["DataLakePrincipalIdentifier"].as_str().map(str::to_owned))
        .collect();
    assert!(principals.contains(&role) && principals.contains(&plain), "{principals:?}");
    assert!(!principals.contains(&with_roles), "the configured account itself gets nothing: {principals:?}");
    shares.revoke(&grant(&with_roles)).await.unwrap();
    assert!(shares.describe(&grant(&with_roles), std::slice::from_ref(&role)).await.unwrap().is_none());
}
