//! Glue catalog and Lake Formation registration against moto.

use std::collections::BTreeMap;

use steward_aws::testing::{account, moto, unique};
use steward_aws::{ColumnSpec, DatabaseSpec, GlueCatalog, PartitionReport, PartitionSpec, TableSpec};

fn col(name: &str, ty: &str, comment: Option<&str>) -> ColumnSpec {
    ColumnSpec { name: name.into(), data_type: ty.into(), comment: comment.map(str::to_owned) }
}

fn product(name: &str, bucket: &str) -> DatabaseSpec {
    let params = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    };
    DatabaseSpec {
        name: name.into(),
        description: Some("Sales orders product".into()),
        location: Some(format!("s3://{bucket}/sales/orders/")),
        parameters: params(&[("steward:product", "sales.orders"), ("steward:version", "1.0.0")]),
        tables: vec![
            TableSpec {
                name: "orders".into(),
                description: Some("One row per order".into()),
                columns: vec![col("order_id", "bigint", Some("Order key")), col("amount", "decimal(10,2)", None)],
                partition_keys: vec![col("dt", "string", Some("Order date"))],
                location: format!("s3://{bucket}/sales/orders/orders/"),
                parameters: params(&[("classification", "parquet"), ("steward:object", "orders")]),
            },
            TableSpec {
                name: "order_lines".into(),
                description: None,
                columns: vec![col("order_id", "bigint", None), col("quantity", "int", Some("Units"))],
                partition_keys: vec![],
                location: format!("s3://{bucket}/sales/orders/order_lines/"),
                parameters: params(&[("classification", "json")]),
            },
        ],
    }
}

#[tokio::test]
async fn publish_creates_then_updates_database_and_tables() {
    let Some(moto) = moto().await else { return };
    let gov = account();
    let cfg = moto.config(&gov).await;
    let catalog = GlueCatalog::new(&cfg);
    let glue = aws_sdk_glue::Client::new(&cfg);
    let mut db = product(&unique("sales_orders_"), "lake");

    catalog.publish(&db).await.unwrap();

    let got = glue.get_database().name(&db.name).send().await.unwrap();
    let got = got.database().unwrap();
    assert_eq!(got.description(), Some("Sales orders product"));
    assert_eq!(got.location_uri(), Some("s3://lake/sales/orders/"));
    assert_eq!(got.parameters().unwrap()["steward:version"], "1.0.0");

    let tables = glue.get_tables().database_name(&db.name).send().await.unwrap();
    let mut names: Vec<&str> = tables.table_list().iter().map(|t| t.name()).collect();
    names.sort_unstable();
    assert_eq!(names, ["order_lines", "orders"]);

    let t = glue.get_table().database_name(&db.name).name("orders").send().await.unwrap();
    let t = t.table().unwrap();
    assert_eq!(t.description(), Some("One row per order"));
    assert_eq!(t.table_type(), Some("EXTERNAL_TABLE"));
    let sd = t.storage_descriptor().unwrap();
    assert_eq!(sd.location(), Some("s3://lake/sales/orders/orders/"));
    let cols: Vec<(&str, Option<&str>, Option<&str>)> =
        sd.columns().iter().map(|c| (c.name(), c.r#type(), c.comment())).collect();
    assert_eq!(cols, [("order_id", Some("bigint"), Some("Order key")), ("amount", Some("decimal(10,2)"), None)]);
    assert!(sd.input_format().unwrap().contains("Parquet"));
    let keys: Vec<(&str, Option<&str>)> = t.partition_keys().iter().map(|c| (c.name(), c.r#type())).collect();
    assert_eq!(keys, [("dt", Some("string"))]);
    assert_eq!(t.parameters().unwrap()["steward:object"], "orders");

    // A new contract version: a new column, a new description; publishing
    // twice must neither fail nor duplicate anything.
    db.tables[0].columns.push(col("currency", "string", Some("ISO 4217")));
    db.parameters.insert("steward:version".into(), "1.1.0".into());
    catalog.publish(&db).await.unwrap();
    catalog.publish(&db).await.unwrap();
    let got = glue.get_database().name(&db.name).send().await.unwrap();
    assert_eq!(got.database().unwrap().parameters().unwrap()["steward:version"], "1.1.0");
    let t = glue.get_table().database_name(&db.name).name("orders").send().await.unwrap();
    let cols: Vec<&str> = t.table().unwrap().storage_descriptor().unwrap().columns().iter().map(|c| c.name()).collect();
    assert_eq!(cols, ["order_id", "amount", "currency"]);
    let tables = glue.get_tables().database_name(&db.name).send().await.unwrap();
    assert_eq!(tables.table_list().len(), 2);

    // moto keeps accounts apart: the database is in the governance account only.
    let other = aws_sdk_glue::Client::new(&moto.config(&account()).await);
    let err = other.get_database().name(&db.name).send().await.unwrap_err();
    assert_eq!(aws_sdk_glue::error::ProvideErrorMetadata::code(&err), Some("EntityNotFoundException"));
}

#[tokio::test]
async fn partitions_go_in_batches_and_repeat_as_existing() {
    let Some(moto) = moto().await else { return };
    let cfg = moto.config(&account()).await;
    let catalog = GlueCatalog::new(&cfg);
    let db = product(&unique("parts_"), "lake");
    catalog.publish(&db).await.unwrap();

    let part = |i: usize| PartitionSpec {
        values: vec![format!("2026-01-{i:03}")],
        location: format!("s3://lake/sales/orders/orders/dt=2026-01-{i:03}/"),
    };
    let parts: Vec<PartitionSpec> = (0..250).map(part).collect();
    let report = catalog.add_partitions(&db.name, "orders", &parts).await.unwrap();
    assert_eq!(report, PartitionReport { created: 250, existing: 0 });

    let glue = aws_sdk_glue::Client::new(&cfg);
    let mut seen = Vec::new();
    let mut token = None;
    loop {
        let out = glue
            .get_partitions()
            .database_name(&db.name)
            .table_name("orders")
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        for p in out.partitions() {
            seen.push((p.values().to_vec(), p.storage_descriptor().and_then(|s| s.location()).map(str::to_owned)));
        }
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen.len(), 250);
    seen.sort();
    assert_eq!(
        seen[7],
        (vec!["2026-01-007".to_owned()], Some("s3://lake/sales/orders/orders/dt=2026-01-007/".to_owned()))
    );

    // A repeated load (outbox retry) and an overlapping one.
    let again = catalog.add_partitions(&db.name, "orders", &parts).await.unwrap();
    assert_eq!(again, PartitionReport { created: 0, existing: 250 });
    let overlap: Vec<PartitionSpec> = (245..255).map(part).collect();
    let report = catalog.add_partitions(&db.name, "orders", &overlap).await.unwrap();
    assert_eq!(report, PartitionReport { created: 5, existing: 5 });

    // A missing table is an error, not a silent success, and not retryable.
    let err = catalog.add_partitions(&db.name, "no_such_table", &parts[..3]).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
}

#[tokio::test]
async fn register_location_is_visible_and_idempotent() {
    let Some(moto) = moto().await else { return };
    let cfg = moto.config(&account()).await;
    let catalog = GlueCatalog::new(&cfg);
    let bucket = unique("lake-");
    catalog.register_location(&format!("s3://{bucket}/sales/orders/")).await.unwrap();
    catalog.register_location(&format!("s3://{bucket}/sales/orders")).await.unwrap();

    let lf = aws_sdk_lakeformation::Client::new(&cfg);
    let out = lf.list_resources().send().await.unwrap();
    let arns: Vec<&str> = out.resource_info_list().iter().filter_map(|r| r.resource_arn()).collect();
    let want = format!("arn:aws:s3:::{bucket}/sales/orders");
    assert_eq!(arns.iter().filter(|a| **a == want).count(), 1, "{arns:?}");

    assert!(catalog.register_location("/local/path").await.is_err());
}
