//! With the Glue catalog and AWS shares on, publishing a new version enqueues
//! its `catalog.publish` job and re-shares every active grant, and each share
//! job runs only after that publish job: Lake Formation grants on tables
//! (`BatchGrantPermissions` on a `TableResource`) need the table in the Data
//! Catalog first (https://docs.aws.amazon.com/lake-formation/latest/dg/granting-table-permissions.html).
//! The jobs are read from the outbox; no AWS call is made.

mod common;

use common::{TestApp, backends};
use steward_catalog::service::{BackendChoices, CatalogBackend, SharesBackend};

#[tokio::test]
async fn a_new_versions_shares_wait_for_its_publish_job() {
    for backend in backends().await {
        eprintln!("-- on {backend}");
        let choices =
            BackendChoices { catalog: CatalogBackend::Glue, shares: SharesBackend::Aws, ..Default::default() };
        let app = TestApp::builder(backend).backends(choices).start().await;
        app.published_with_grant().await;
        let v2 = steward_testkit::sales_orders().replace("version: 1.0.0", "version: 1.1.0");
        app.publish(&v2).await;

        let rows: Vec<(i64, String, String, Option<i64>)> =
            sqlx::query_as("SELECT id, kind, dedup_key, after_id FROM outbox ORDER BY id")
                .fetch_all(&mut app.sql().await)
                .await
                .unwrap();
        let publishes: Vec<&(i64, String, String, Option<i64>)> =
            rows.iter().filter(|r| r.1 == "catalog.publish").collect();
        assert_eq!(publishes.len(), 2, "one per version: {rows:?}");
        let reshare = rows
            .iter()
            .find(|r| r.1 == "share.grant" && r.2.contains(":publish:"))
            .expect("the grant is shared again for the new version");
        let v2_publish = publishes[1];
        assert_eq!(reshare.3, Some(v2_publish.0), "the share waits for the new version's publish: {rows:?}");
        // The share made at approval (no publish pending for it) runs on its own.
        let first = rows.iter().find(|r| r.1 == "share.grant" && r.2.contains(":request:")).unwrap();
        assert_eq!(first.3, None, "{rows:?}");
    }
}
