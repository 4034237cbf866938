//! Glue catalog and Lake Formation registration against moto.

use std::collections::BTreeMap;

use steward_aws::testing::proxy::RecordingProxy;
use steward_aws::testing::{account, config_for, moto, unique};
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
                column_classifications: BTreeMap::new(),
            },
            TableSpec {
                name: "order_lines".into(),
                description: None,
                columns: vec![col("order_id", "bigint", None), col("quantity", "int", Some("Units"))],
                partition_keys: vec![],
                location: format!("s3://{bucket}/sales/orders/order_lines/"),
                parameters: params(&[("classification", "json")]),
                column_classifications: BTreeMap::new(),
            },
        ],
        lf_tags: BTreeMap::new(),
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

/// What Steward sends to Glue and Lake Formation when publishing, as the
/// recording proxy in front of moto saw it (moto stores little of it).
#[tokio::test]
async fn publishing_sends_what_lake_formation_accepts() {
    let Some(moto) = moto().await else { return };
    let proxy = RecordingProxy::start(moto.url()).await;
    let gov = account();
    let cfg = config_for(proxy.url(), &gov).await;
    let bucket = unique("lake-");
    let mut settings = moto.settings(&gov);
    settings.registration_role_arn = Some(format!("arn:aws:iam::{gov}:role/steward-lf-registration"));
    let catalog = GlueCatalog::with_settings(&cfg, &settings);
    let mut db = product(&unique("sales_orders_"), &bucket);
    db.tables.push(TableSpec {
        name: "returns".into(),
        description: None,
        columns: vec![col("order_id", "bigint", None)],
        partition_keys: vec![col("dt", "string", None)],
        location: format!("s3://{bucket}/sales/orders/returns/"),
        parameters: [("classification".to_owned(), "csv".to_owned())].into(),
        column_classifications: BTreeMap::new(),
    });

    // RegisterResource once per product prefix, with the registration role
    // (LF API reference, RegisterResource: `RoleArn` "The identifier for the
    // role that registers the resource"; LF guide "Service-linked role
    // limitations": the SLR's inline policy grows with every registered path).
    let locations: Vec<&str> = db.tables.iter().map(|t| t.location.as_str()).collect();
    catalog.register_locations(&locations).await.unwrap();
    // A table location inside a registered prefix is not registered again.
    catalog.register_location(&db.tables[0].location).await.unwrap();
    let registered = proxy.calls_to("lakeformation", "RegisterResource");
    assert_eq!(registered.len(), 1, "{registered:?}");
    let body = registered[0].json();
    assert_eq!(body["ResourceArn"], format!("arn:aws:s3:::{bucket}/sales/orders"));
    assert_eq!(body["RoleArn"], format!("arn:aws:iam::{gov}:role/steward-lf-registration"));
    assert!(body.get("UseServiceLinkedRole").is_none(), "{body}");

    catalog.publish(&db).await.unwrap();
    // Glue model, DatabaseInput.CreateTableDefaultPermissions; LF guide,
    // "Cross-account data sharing prerequisites": IAMAllowedPrincipals
    // permissions on a resource block LF cross-account grants, so new tables
    // must get none: an empty list, not an absent one.
    let created = proxy.calls_to("glue", "CreateDatabase");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].json()["DatabaseInput"]["CreateTableDefaultPermissions"], serde_json::json!([]));

    // CSV: LazySimpleSerDe with `field.delim` (Athena guide, "LazySimpleSerDe
    // for CSV, TSV, and custom-delimited files") and a header skip.
    let tables = proxy.calls_to("glue", "CreateTable");
    let returns = tables.iter().map(|c| c.json()).find(|b| b["TableInput"]["Name"] == "returns").unwrap();
    assert_eq!(returns["TableInput"]["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"], ",");
    assert_eq!(returns["TableInput"]["Parameters"]["skip.header.line.count"], "1");

    // Partitions carry the table's storage descriptor with their own location
    // (Glue model, PartitionInput.StorageDescriptor; Athena guide, "Updates
    // in tables with partitions": partitions are read with their own SerDe).
    let parts: Vec<PartitionSpec> = (1..=3)
        .map(|d| PartitionSpec {
            values: vec![format!("2026-11-0{d}")],
            location: format!("s3://{bucket}/sales/orders/orders/dt=2026-11-0{d}/"),
        })
        .collect();
    catalog.add_partitions(&db.name, "orders", &parts).await.unwrap();
    let batch = proxy.calls_to("glue", "BatchCreatePartition");
    assert_eq!(batch.len(), 1);
    for (i, p) in batch[0].json()["PartitionInputList"].as_array().unwrap().iter().enumerate() {
        let sd = &p["StorageDescriptor"];
        assert_eq!(sd["Location"], parts[i].location);
        assert_eq!(
            sd["SerdeInfo"]["SerializationLibrary"],
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
        );
        assert!(sd["InputFormat"].as_str().unwrap().contains("Parquet"), "{sd}");
        assert_eq!(sd["Columns"][0]["Name"], "order_id");
    }
    // moto stores them so.
    let glue = aws_sdk_glue::Client::new(&cfg);
    let got = glue.get_partitions().database_name(&db.name).table_name("orders").send().await.unwrap();
    for p in got.partitions() {
        let sd = p.storage_descriptor().unwrap();
        assert!(sd.serde_info().and_then(|s| s.serialization_library()).unwrap().contains("Parquet"));
    }

    // Glue (JSON 1.1) errors as the proxy gives them: permanent, with the reason.
    proxy.fail("glue", "GetTable", 1, 400, "AccessDeniedException", "User is not authorized to perform: glue:GetTable");
    let err = catalog.add_partitions(&db.name, "orders", &parts).await.unwrap_err();
    assert_eq!(err.code(), Some("AccessDeniedException"), "{err}");
    assert!(!err.is_retryable() && err.to_string().contains("glue:GetTable"), "{err}");

    // A Lake Formation quota is a permanent error (not worth retrying).
    proxy.fail("lakeformation", "RegisterResource", 1, 400, "ResourceNumberLimitExceededException", "too many");
    let err = catalog.register_location(&format!("s3://{}/x/", unique("other-"))).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
}

/// 1,000 refreshes of one table in flight at once (the worker runs up to 128
/// marker jobs concurrently) share `BatchCreatePartition` calls of up to 100
/// (Glue API reference, BatchCreatePartition: `PartitionInputList`, at most
/// 100) instead of one call each. Prints the call counts for
/// docs/performance.md ("AWS calls for 1,000 partitions").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_share_partition_calls() {
    let Some(moto) = moto().await else { return };
    let proxy = RecordingProxy::start(moto.url()).await;
    let gov = account();
    let cfg = config_for(proxy.url(), &gov).await;
    let catalog = GlueCatalog::new(&cfg);
    let db = product(&unique("sales_orders_"), &unique("lake-"));
    catalog.publish(&db).await.unwrap();
    proxy.clear();

    const N: usize = 1000;
    let part = |i: usize| PartitionSpec {
        values: vec![format!("p{i:04}")],
        location: format!("s3://lake/sales/orders/orders/dt=p{i:04}/"),
    };
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(128));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..N {
        let (catalog, name, gate) = (catalog.clone(), db.name.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            catalog.add_partition(&name, "orders", part(i)).await
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap().unwrap();
    }
    let batches = proxy.calls_to("glue", "BatchCreatePartition");
    let get_table = proxy.calls_to("glue", "GetTable");
    let sizes: Vec<usize> =
        batches.iter().map(|c| c.json()["PartitionInputList"].as_array().map_or(0, Vec::len)).collect();
    assert_eq!(sizes.iter().sum::<usize>(), N, "every partition sent once: {sizes:?}");
    assert!(sizes.iter().all(|&n| n <= 100), "{sizes:?}");
    println!(
        "1,000 partitions, 128 in flight: {} BatchCreatePartition + {} GetTable calls (one call per partition: {} + {})",
        batches.len(),
        get_table.len(),
        N,
        N
    );
    assert!(batches.len() <= 40, "calls are shared: {} for {N} partitions ({sizes:?})", batches.len());
    let glue = aws_sdk_glue::Client::new(&cfg);
    let mut seen = 0;
    let mut token = None;
    loop {
        let page = glue
            .get_partitions()
            .database_name(&db.name)
            .table_name("orders")
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        seen += page.partitions().len();
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(seen, N, "all of them in Glue");

    // A failed call fails every partition it carried, as the original error
    // (throttling stays retryable), and the next round goes through.
    // The SDK retries throttling itself (3 attempts, standard mode) under
    // each of Steward's 2 attempts: 6 refusals exhaust both.
    proxy.fail("glue", "BatchCreatePartition", 6, 400, "ThrottlingException", "Rate exceeded");
    let fast = steward_aws::Backoff {
        base: std::time::Duration::from_millis(1),
        max_delay: std::time::Duration::from_millis(5),
        max_attempts: 2,
    };
    let catalog = catalog.with_partition_window(std::time::Duration::from_millis(50)).with_backoff(fast);
    let (a, b) = tokio::join!(
        catalog.add_partition(&db.name, "orders", part(N + 1)),
        catalog.add_partition(&db.name, "orders", part(N + 2))
    );
    let (a, b) = (a.unwrap_err(), b.unwrap_err());
    assert_eq!((a.code(), b.code()), (Some("ThrottlingException"), Some("ThrottlingException")), "{a}");
    assert!(a.is_retryable() && b.is_retryable());
    catalog.add_partition(&db.name, "orders", part(N + 1)).await.unwrap();
}
