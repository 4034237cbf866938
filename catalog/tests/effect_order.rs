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
        // Approved while version 1 was still being published: it waits for that job.
        let first = rows.iter().find(|r| r.1 == "share.grant" && r.2.contains(":request:")).unwrap();
        assert_eq!(first.3, Some(publishes[0].0), "{rows:?}");
    }
}

/// An access request approved while the product's publish job is pending (or
/// dead) gets a share job that waits for it; once the publish is done, a new
/// approval's share runs on its own.
#[tokio::test]
async fn an_approvals_share_waits_for_a_pending_publish_only() {
    for backend in backends().await {
        eprintln!("-- on {backend}");
        let choices =
            BackendChoices { catalog: CatalogBackend::Glue, shares: SharesBackend::Aws, ..Default::default() };
        let app = TestApp::builder(backend).backends(choices).start().await;
        let grant = app.published_with_grant().await;
        let share_after = |rows: &[(i64, String, String, Option<i64>)], grant: i64| {
            rows.iter()
                .find(|r| r.1 == "share.grant" && r.2.starts_with(&format!("share.grant:{grant}:request:")))
                .map(|r| r.3)
        };
        let rows = outbox(&app).await;
        let publish = rows.iter().find(|r| r.1 == "catalog.publish").unwrap().0;
        assert_eq!(share_after(&rows, grant), Some(Some(publish)), "{rows:?}");

        // The publish job succeeds; the grant ends and a new approval follows.
        sqlx::query("UPDATE outbox SET status = 'done' WHERE id = $1")
            .bind(publish)
            .execute(&mut app.sql().await)
            .await
            .unwrap();
        let (s, body) = app
            .call(
                "POST",
                &format!("/api/v1/grants/{grant}/revoke"),
                Some(&app.reviewer),
                Some(("application/json", r#"{"comment":"rotate"}"#.into())),
            )
            .await;
        assert!(s.is_success(), "{body}");
        let again = app.grant_consumer().await;
        let rows = outbox(&app).await;
        assert_eq!(share_after(&rows, again), Some(None), "nothing to wait for: {rows:?}");
    }
}

async fn outbox(app: &TestApp) -> Vec<(i64, String, String, Option<i64>)> {
    sqlx::query_as("SELECT id, kind, dedup_key, after_id FROM outbox ORDER BY id")
        .fetch_all(&mut app.sql().await)
        .await
        .unwrap()
}
