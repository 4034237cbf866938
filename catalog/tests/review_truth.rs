//! What reviewers see is the truth, on SQLite and PostgreSQL: a decided
//! proposal keeps the diff it was judged on after later versions are
//! published; the queues count and page through every row, oldest first,
//! filtered by status, domain, product and the reader's scope; and who a
//! breaking change affects.

mod common;

use common::{TestApp, each_db};
use steward_catalog::auth::Principal;
use steward_catalog::service::access::AccessRequestInput;
use steward_catalog::service::proposals::{BaseKind, Order, ProposalStatus, QueueQuery};
use steward_testkit::{sales_orders, sales_orders_without_quantity};

/// sales.orders at `version`, with the `quantity` column narrowed to `smallint`.
fn narrowed(version: &str) -> String {
    sales_orders().replacen("version: 1.0.0", &format!("version: {version}"), 1).replacen(
        "      - name: quantity\n        logicalType: integer\n        physicalType: int\n",
        "      - name: quantity\n        logicalType: integer\n        physicalType: smallint\n",
        1,
    )
}

async fn admin(app: &TestApp) -> Principal {
    let token = std::fs::read_to_string(app.dir.path().join("admin.token")).unwrap();
    app.principal(token.trim()).await
}

async fn sql(app: &TestApp, statement: &str) {
    use sqlx::Executor;
    app.sql().await.execute(sqlx::AssertSqlSafe(statement.to_owned())).await.unwrap();
}

#[tokio::test]
async fn a_decided_proposal_keeps_the_diff_it_was_judged_on() {
    each_db(|app: TestApp| async move {
        let rita = app.principal(&app.reviewer).await;
        let first = app.publish(&sales_orders()).await;
        let view = app.service.proposal_view(&rita, first).await.unwrap();
        assert_eq!(
            (view.base_kind, view.base_version.as_deref(), view.diff.as_str()),
            (BaseKind::NewProduct, None, "")
        );

        // 2.0.0 narrows a type: judged against 1.0.0.
        let second = app.publish(&narrowed("2.0.0")).await;
        let judged = app.service.proposal_view(&rita, second).await.unwrap();
        assert_eq!((judged.base_kind, judged.base_version.as_deref()), (BaseKind::Judged, Some("1.0.0")));
        assert!(judged.diff.contains("-        physicalType: int\n+        physicalType: smallint"), "{}", judged.diff);
        assert!(judged.diff.starts_with("--- version 1.0.0"), "{}", judged.diff);
        let narrowing = judged.proposal.findings.iter().find(|f| f.rule == "STW102").expect("the narrowing finding");
        let line = judged.proposal.contract.lines().nth(narrowing.line - 1).unwrap();
        assert_eq!(line.trim(), "physicalType: smallint", "the finding points at the changed line");

        // A rejected one, judged against 2.0.0.
        let (s, body) = app.submit(&app.producer, &sales_orders_without_quantity("3.0.0")).await;
        assert_eq!(s, axum::http::StatusCode::CREATED, "{body}");
        let rejected = body["id"].as_i64().unwrap();
        let pending = app.service.proposal_view(&rita, rejected).await.unwrap();
        assert_eq!((pending.base_kind, pending.base_version.as_deref()), (BaseKind::Published, Some("2.0.0")));
        app.service.reject(&rita, rejected, "not yet").await.unwrap();
        let rejected_view = app.service.proposal_view(&rita, rejected).await.unwrap();
        assert_eq!((rejected_view.base_kind, rejected_view.base_version.as_deref()), (BaseKind::Judged, Some("2.0.0")));

        // A withdrawn one, judged (by its producer) against 2.0.0 too.
        let (s, body) = app.submit(&app.producer, &sales_orders_without_quantity("3.1.0")).await;
        assert_eq!(s, axum::http::StatusCode::CREATED, "{body}");
        let withdrawn = body["id"].as_i64().unwrap();
        let paul = app.principal(&app.producer).await;
        app.service.withdraw_proposal(&paul, withdrawn, None).await.unwrap();
        let withdrawn_view = app.service.proposal_view(&rita, withdrawn).await.unwrap();
        assert_eq!(
            (withdrawn_view.base_kind, withdrawn_view.base_version.as_deref()),
            (BaseKind::Judged, Some("2.0.0"))
        );

        // Later versions change none of them.
        app.publish(&sales_orders_without_quantity("4.0.0")).await;
        app.publish(&sales_orders_without_quantity("4.1.0")).await;
        let later = app.service.proposal_view(&rita, second).await.unwrap();
        assert_eq!(later.diff, judged.diff, "published proposal {second} keeps its diff");
        assert_eq!(later.proposal.findings, judged.proposal.findings);
        let later = app.service.proposal_view(&rita, rejected).await.unwrap();
        assert_eq!(later.diff, rejected_view.diff, "rejected proposal {rejected} keeps its diff");
        assert_eq!(later.base_version.as_deref(), Some("2.0.0"));
        let later = app.service.proposal_view(&rita, withdrawn).await.unwrap();
        assert_eq!(later.diff, withdrawn_view.diff, "withdrawn proposal {withdrawn} keeps its diff");
        assert_eq!(later.base_version.as_deref(), Some("2.0.0"));

        // A proposal decided before bases were recorded: the version before it, from the store.
        sql(&app, &format!("UPDATE proposals SET base_version = NULL, base_contract = NULL WHERE id = {second}")).await;
        let rebuilt = app.service.proposal_view(&rita, second).await.unwrap();
        assert_eq!((rebuilt.base_kind, rebuilt.diff.as_str()), (BaseKind::Judged, judged.diff.as_str()));
        sql(&app, &format!("UPDATE proposals SET base_version = NULL, base_contract = NULL WHERE id = {first}")).await;
        let rebuilt = app.service.proposal_view(&rita, first).await.unwrap();
        assert_eq!(rebuilt.base_kind, BaseKind::NewProduct);
        // ... and one whose earlier version cannot be found says so instead of diffing against today's.
        sql(&app, &format!("UPDATE product_versions SET proposal_id = NULL WHERE proposal_id = {first}")).await;
        let unknown = app.service.proposal_view(&rita, second).await.unwrap();
        assert_eq!((unknown.base_kind, unknown.diff.as_str(), unknown.base_version), (BaseKind::Unknown, "", None));
    })
    .await;
}

#[tokio::test]
async fn a_refused_proposal_keeps_the_base_it_was_validated_against() {
    each_db(|app: TestApp| async move {
        let rita = app.principal(&app.reviewer).await;
        app.publish(&sales_orders()).await;
        // A breaking change without a major version: refused at submission.
        let (s, body) = app.submit(&app.producer, &sales_orders_without_quantity("1.1.0")).await;
        assert_eq!(s, axum::http::StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let refused = body["proposal_id"].as_i64().or_else(|| body["id"].as_i64()).expect("the refused proposal's id");
        let view = app.service.proposal_view(&rita, refused).await.unwrap();
        assert_eq!(view.proposal.status, ProposalStatus::RejectedByValidation);
        assert_eq!((view.base_kind, view.base_version.as_deref()), (BaseKind::Judged, Some("1.0.0")));
        app.publish(&sales_orders_without_quantity("2.0.0")).await;
        let after = app.service.proposal_view(&rita, refused).await.unwrap();
        assert_eq!(after.diff, view.diff);
        assert!(after.diff.contains("-      - name: quantity"), "{}", after.diff);
    })
    .await;
}

/// 250 pending requests over two domains; `n` of them for sales.orders.
async fn seed_requests(app: &TestApp) {
    let root = admin(app).await;
    app.publish(&sales_orders()).await;
    let hr = sales_orders()
        .replace("domain: sales", "domain: hr")
        .replace("dataProduct: orders", "dataProduct: staff")
        .replace("s3://steward-sales/orders/", "s3://steward-hr/staff/");
    let hanna = app.principal(&app.hr_producer).await;
    let id = app.service.submit(&hanna, &hr).await.unwrap_or_else(|e| panic!("{e}")).id;
    app.service.approve(&app.principal(&app.reviewer).await, id, None).await.unwrap();
    for i in 0..250 {
        let key = if i % 5 == 4 { "hr.staff" } else { "sales.orders" };
        let input = AccessRequestInput {
            account: format!("{:012}", 100_000_000_000u64 + i),
            justification: format!("request {i}"),
            duration_days: Some(30),
        };
        app.service.request_access(&root, key, &input).await.unwrap();
    }
}

#[tokio::test]
async fn access_queue_counts_and_pages_through_everything_oldest_first() {
    each_db(|app: TestApp| async move {
        seed_requests(&app).await;
        let rita = app.principal(&app.reviewer).await;
        let q = |status: Option<&str>, offset: i64| QueueQuery {
            status: status.map(str::to_owned),
            limit: 50,
            offset,
            ..Default::default()
        };
        let first = app.service.access_queue(&rita, &q(Some("pending"), 0)).await.unwrap();
        assert_eq!((first.total, first.count("pending"), first.all(), first.items.len()), (250, 250, 250, 50));
        assert_eq!(first.items[0].justification, "request 0", "oldest first by default");
        // Paging reaches every request exactly once, the oldest included.
        let mut seen = Vec::new();
        for page in 0..6 {
            let p = app.service.access_queue(&rita, &q(Some("pending"), page * 50)).await.unwrap();
            seen.extend(p.items.iter().map(|r| r.id));
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((seen.len(), unique.len()), (250, 250));
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "oldest first throughout");

        // Newest first: the oldest is last.
        let newest = QueueQuery { order: Order::Newest, ..q(Some("pending"), 200) };
        let last = app.service.access_queue(&rita, &newest).await.unwrap();
        assert_eq!(last.items.last().unwrap().justification, "request 0");

        // Filters: domain, product key, bare product name; counts follow them.
        let by_domain = QueueQuery { domain: Some("hr".into()), ..q(Some("pending"), 0) };
        let hr = app.service.access_queue(&rita, &by_domain).await.unwrap();
        assert_eq!((hr.total, hr.items.len()), (50, 50));
        assert!(hr.items.iter().all(|r| r.product_key == "hr.staff"));
        let by_key = QueueQuery { product: Some("sales.orders".into()), ..q(None, 0) };
        assert_eq!(app.service.access_queue(&rita, &by_key).await.unwrap().total, 200);
        let by_name = QueueQuery { product: Some("orders".into()), ..q(None, 0) };
        assert_eq!(app.service.access_queue(&rita, &by_name).await.unwrap().total, 200);
        // `_` is not a wildcard: `hr` does not match a domain like `h_`.
        let wild = QueueQuery { domain: Some("h_".into()), ..q(None, 0) };
        assert_eq!(app.service.access_queue(&rita, &wild).await.unwrap().total, 0);

        // Decided requests move tabs; the counts say so.
        let oldest = first.items[0].id;
        app.service.reject_access(&rita, oldest, "no").await.unwrap();
        let after = app.service.access_queue(&rita, &q(Some("pending"), 0)).await.unwrap();
        assert_eq!((after.total, after.count("rejected"), after.all()), (249, 1, 250));
        assert_ne!(after.items[0].id, oldest);

        // Scopes: a producer sees its domain's requests; a consumer its accounts'.
        let hanna = app.principal(&app.hr_producer).await;
        let hers = app.service.access_queue(&hanna, &q(None, 0)).await.unwrap();
        assert_eq!(hers.all(), 50);
        let carla = app.principal(&app.consumer).await;
        assert_eq!(app.service.access_queue(&carla, &q(None, 0)).await.unwrap().all(), 0);
        assert!(app.service.access_request(&hanna, oldest).await.is_err(), "a sales request is not hers");
        assert_eq!(app.service.access_request(&rita, oldest).await.unwrap().id, oldest);
        // Page sizes are bounded.
        let huge = QueueQuery { limit: 1_000_000, ..q(None, 0) };
        assert_eq!(app.service.access_queue(&rita, &huge).await.unwrap().items.len(), 200);
    })
    .await;
}

#[tokio::test]
async fn proposal_and_grant_queues_count_page_and_filter() {
    each_db(|app: TestApp| async move {
        let rita = app.principal(&app.reviewer).await;
        app.publish(&sales_orders()).await;
        let paul = app.principal(&app.producer).await;
        let mut pending = Vec::new();
        for minor in 1..=7 {
            let yaml = sales_orders().replacen("version: 1.0.0", &format!("version: 1.{minor}.0"), 1);
            pending.push(app.service.submit(&paul, &yaml).await.unwrap().id);
        }
        let q = QueueQuery { status: Some("pending_review".into()), limit: 3, ..Default::default() };
        let page = app.service.proposal_queue(&rita, &q).await.unwrap();
        assert_eq!((page.total, page.count("published"), page.all()), (7, 1, 8));
        assert_eq!(page.items.iter().map(|p| p.id).collect::<Vec<_>>(), pending[..3]);
        let last = QueueQuery { offset: 6, ..q.clone() };
        assert_eq!(
            app.service.proposal_queue(&rita, &last).await.unwrap().items.iter().map(|p| p.id).collect::<Vec<_>>(),
            [pending[6]]
        );
        let other = QueueQuery { domain: Some("hr".into()), ..q.clone() };
        assert_eq!(app.service.proposal_queue(&rita, &other).await.unwrap().total, 0);
        let hanna = app.principal(&app.hr_producer).await;
        assert_eq!(
            app.service.proposal_queue(&hanna, &QueueQuery { limit: 50, ..Default::default() }).await.unwrap().all(),
            0
        );
        assert_eq!(app.service.proposal_queue(&paul, &q).await.unwrap().total, 7);
        let carla = app.principal(&app.consumer).await;
        assert!(app.service.proposal_queue(&carla, &q).await.is_err(), "consumers read no proposals");

        // Grants: one active, then revoked.
        let grant = app.grant_consumer().await;
        let active = QueueQuery {
            status: Some("active".into()),
            product: Some("sales.orders".into()),
            limit: 50,
            ..Default::default()
        };
        let grants = app.service.grant_queue(&rita, &active).await.unwrap();
        assert_eq!((grants.total, grants.items[0].id), (1, grant));
        assert_eq!(app.service.grant_queue(&carla, &active).await.unwrap().total, 1, "the consumer's own grant");
        app.service.revoke_grant(&rita, grant, Some("left the company")).await.unwrap();
        let grants = app.service.grant_queue(&rita, &active).await.unwrap();
        assert_eq!((grants.total, grants.count("revoked")), (0, 1));
        assert_eq!(app.service.queue_domains().await.unwrap(), ["sales"]);
    })
    .await;
}

#[tokio::test]
async fn who_a_breaking_change_affects() {
    each_db(|app: TestApp| async move {
        let rita = app.principal(&app.reviewer).await;
        let grant = app.published_with_grant().await;
        app.subscribe("email", "ops@example.com").await;
        app.subscribe("email", "carla@example.com").await;
        // Another account with a grant and no subscription.
        let root = admin(&app).await;
        let input = AccessRequestInput {
            account: "210987654321".into(),
            justification: "audit".into(),
            duration_days: Some(7),
        };
        let req = app.service.request_access(&root, "sales.orders", &input).await.unwrap();
        app.service.approve_access(&rita, req.id, None).await.unwrap();

        let affected = app.service.affected_by(&rita, "sales.orders", 100).await.unwrap();
        assert_eq!(affected.total, 2);
        let carla = &affected.accounts[0];
        assert_eq!((carla.account.as_str(), carla.grant_id, carla.subscriptions), ("123456789012", Some(grant), 2));
        let other = &affected.accounts[1];
        assert_eq!((other.account.as_str(), other.subscriptions), ("210987654321", 0));
        assert!(other.expires_at.is_some());
        let one = app.service.affected_by(&rita, "sales.orders", 1).await.unwrap();
        assert_eq!((one.accounts.len(), one.total), (1, 2));

        // Revoked grants do not count; the producer may read it, a consumer may not.
        app.service.revoke_grant(&rita, grant, Some("gone")).await.unwrap();
        let paul = app.principal(&app.producer).await;
        let after = app.service.affected_by(&paul, "sales.orders", 100).await.unwrap();
        assert_eq!(after.total, 2, "carla still subscribes");
        assert_eq!(after.accounts[0].grant_id, None);
        let carla = app.principal(&app.consumer).await;
        assert!(app.service.affected_by(&carla, "sales.orders", 100).await.is_err());
    })
    .await;
}
