//! The REST API through the real router, on SQLite and PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::{TestApp, each_db};
use steward_testkit::{sales_orders, sales_orders_without_quantity};

#[tokio::test]
async fn submit_review_publish_search() {
    each_db(|app: TestApp| async move {
        let (s, body) = app.submit(&app.producer, &sales_orders()).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        assert_eq!(body["status"], "pending_review");
        assert_eq!(body["product_key"], "sales.orders");
        let id = body["id"].as_i64().unwrap();
        // The branch exists with the submitted file, authored by the producer.
        let on_branch = app.service.registry().proposal_contents(id as u64).await.unwrap().unwrap();
        assert_eq!(on_branch, sales_orders().into_bytes());

        // Not searchable before approval.
        let (_, page) = app.call("GET", "/api/v1/products?q=customer_email", Some(&app.consumer), None).await;
        assert_eq!(page["total"], 0);

        let (s, body) = app.approve(&app.reviewer, id).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "published");
        assert_eq!(body["decided_by"], "rita");
        assert!(body["merge_commit"].as_str().is_some());

        // Found by a column name, by a word of a description, with filters.
        for q in ["customer_email", "customer", "basket", "order_lines"] {
            let (s, page) = app.call("GET", &format!("/api/v1/products?q={q}"), Some(&app.consumer), None).await;
            assert_eq!(s, StatusCode::OK);
            assert_eq!(page["total"], 1, "q={q}: {page}");
            assert_eq!(page["items"][0]["key"], "sales.orders");
        }
        let (_, page) = app.call("GET", "/api/v1/products?q=customer&domain=hr", Some(&app.consumer), None).await;
        assert_eq!(page["total"], 0);
        let (_, page) = app
            .call("GET", "/api/v1/products?tag=revenue&classification=confidential", Some(&app.consumer), None)
            .await;
        assert_eq!(page["total"], 1);

        // The catalog: one database, one table per schema object, partition keys, parameters.
        let (s, p) = app.call("GET", "/api/v1/products/sales.orders", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(p["database"], "sales_orders");
        let t = &p["tables"][0];
        assert_eq!(t["name"], "order_lines");
        assert_eq!(t["location"], "s3://steward-sales/orders/order_lines/");
        assert_eq!(t["partition_keys"], serde_json::json!(["dt"]));
        assert_eq!(t["parameters"]["steward.owner"], "sales-data");
        assert_eq!(t["parameters"]["steward.slo.schedule"], "0 6 * * *");
        assert_eq!(t["parameters"]["steward.slo.timezone"], "Europe/Berlin");
        assert_eq!(t["parameters"]["steward.contract_version"], "1.0.0");
        assert_eq!(t["parameters"]["steward.classification"], "confidential");
        assert_eq!(p["tables"].as_array().unwrap().len(), 2);

        // Audit trail of every state change.
        let (s, events) = app.call("GET", "/api/v1/audit?target=proposal:1", Some(&app.reviewer), None).await;
        assert_eq!(s, StatusCode::OK);
        let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(
            actions,
            ["proposal.approve", "proposal.claim", "proposal.validated", "proposal.submit"],
            "{events}"
        );
    })
    .await;
}

#[tokio::test]
async fn breaking_changes_need_a_major_version() {
    each_db(|app: TestApp| async move {
        app.publish(&sales_orders()).await;
        let (s, body) = app.submit(&app.producer, &sales_orders_without_quantity("1.1.0")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"], "invalid_contract");
        let rules: Vec<&str> =
            body["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
        assert!(rules.contains(&"STW101"), "{body}");
        let rejected = body["proposal_id"].as_i64().unwrap();
        let (_, p) = app.call("GET", &format!("/api/v1/proposals/{rejected}"), Some(&app.reviewer), None).await;
        assert_eq!(p["status"], "rejected_by_validation");

        let (s, body) = app.submit(&app.producer, &sales_orders_without_quantity("2.0.0")).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        assert_eq!(body["breaking"], true);
        let id = body["id"].as_i64().unwrap();
        let (_, view) = app.call("GET", &format!("/api/v1/proposals/{id}"), Some(&app.reviewer), None).await;
        assert!(view["diff"].as_str().unwrap().contains("-      - name: quantity"), "{view}");
        let (s, _) = app.approve(&app.reviewer, id).await;
        assert_eq!(s, StatusCode::OK);

        let (_, versions) = app.call("GET", "/api/v1/products/sales.orders/versions", Some(&app.consumer), None).await;
        let v: Vec<&str> = versions.as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap()).collect();
        assert_eq!(v, ["2.0.0", "1.0.0"]);
        let (s, d) =
            app.call("GET", "/api/v1/products/sales.orders/diff?from=1.0.0&to=2.0.0", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(d["diff"].as_str().unwrap().contains("-version: 1.0.0\n+version: 2.0.0"), "{d}");
        let (s, e) =
            app.call("GET", "/api/v1/products/sales.orders/diff?from=1.0.0&to=9.9.9", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        assert!(e["message"].as_str().unwrap().contains("known: 2.0.0, 1.0.0"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn stale_approval_is_refused_with_the_rule_named() {
    each_db(|app: TestApp| async move {
        app.publish(&sales_orders()).await;
        // Two proposals, each valid against 1.0.0...
        let first = sales_orders().replace("version: 1.0.0", "version: 2.0.0");
        let second = sales_orders()
            .replace("version: 1.0.0", "version: 1.1.0")
            .replace("Units ordered.", "Units ordered, net of returns.");
        let (_, a) = app.submit(&app.producer, &first).await;
        let (_, b) = app.submit(&app.producer, &second).await;
        // A second proposal of a version already pending is refused up front.
        let (s, body) = app.submit(&app.producer, &first).await;
        assert_eq!(s, StatusCode::CONFLICT, "{body}");
        let (s, _) = app.approve(&app.reviewer, a["id"].as_i64().unwrap()).await;
        assert_eq!(s, StatusCode::OK);
        // ...but once 2.0.0 is published the second no longer raises the version.
        let (s, body) = app.approve(&app.reviewer, b["id"].as_i64().unwrap()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["message"].as_str().unwrap().contains("STW106"), "{body}");
        let (_, p) = app.call("GET", &format!("/api/v1/proposals/{}", b["id"]), Some(&app.reviewer), None).await;
        assert_eq!(p["status"], "pending_review", "a refused approval changes nothing");
    })
    .await;
}

#[tokio::test]
async fn tokens_and_separation_of_duties() {
    each_db(|app: TestApp| async move {
        let (s, e) = app.call("GET", "/api/v1/products", None, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(e["message"].as_str().unwrap().contains("Authorization: Bearer"), "{e}");
        let (s, e) = app.call("GET", "/api/v1/products", Some("stw_nope"), None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(e["message"], "unknown or revoked token");

        // Producers submit only in their domains.
        let (s, e) = app.submit(&app.hr_producer, &sales_orders()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
        assert!(e["message"].as_str().unwrap().contains("only for domains [hr], not `sales`"), "{e}");
        // Consumers and reviewers do not submit.
        let (s, _) = app.submit(&app.consumer, &sales_orders()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // A location under another domain's prefix is refused by policy.
        let stolen = sales_orders().replace("s3://steward-sales/orders/", "s3://steward-hr/salaries/");
        let (s, e) = app.submit(&app.producer, &stolen).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e["findings"].to_string().contains("STW013"), "{e}");

        let (_, p) = app.submit(&app.producer, &sales_orders()).await;
        let id = p["id"].as_i64().unwrap();
        // A producer cannot approve; nobody approves their own proposal.
        let (s, e) = app.approve(&app.producer, id).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(e["message"].as_str().unwrap().contains("only reviewers and admins"), "{e}");
        let admin_yaml = sales_orders()
            .replace("dataProduct: orders", "dataProduct: returns")
            .replace("s3://steward-sales/orders/", "s3://steward-sales/returns/");
        let (s, mine) = app.submit(&app.admin, &admin_yaml).await;
        assert_eq!(s, StatusCode::CREATED, "{mine}");
        let (s, e) = app.approve(&app.admin, mine["id"].as_i64().unwrap()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(e["message"].as_str().unwrap().contains("cannot approve it"), "{e}");

        // Audit is for reviewers and admins.
        let (s, _) = app.call("GET", "/api/v1/audit", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Only admins create tokens; bad roles and scopes are clear 4xx.
        let t = |body: &str| Some(("application/json", body.to_owned()));
        let (s, _) =
            app.call("POST", "/api/v1/tokens", Some(&app.reviewer), t(r#"{"name":"x","role":"reviewer"}"#)).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A malformed body is a 400 naming the field (422 is for contract findings).
        let (s, e) = app.call("POST", "/api/v1/tokens", Some(&app.admin), t(r#"{"name":"x","role":"root"}"#)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert!(e["message"].as_str().unwrap().contains("`role`"), "{e}");
        let (s, e) = app
            .call("POST", "/api/v1/tokens", Some(&app.admin), t(r#"{"name":"x","role":"consumer","scopes":["12345"]}"#))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(e["message"].as_str().unwrap().contains("12345"), "{e}");
        let (s, e) =
            app.call("POST", "/api/v1/tokens", Some(&app.admin), t(r#"{"name":"rita","role":"reviewer"}"#)).await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
    })
    .await;
}

#[tokio::test]
async fn reject_keeps_the_branch_and_needs_a_comment() {
    each_db(|app: TestApp| async move {
        let (_, p) = app.submit(&app.producer, &sales_orders()).await;
        let id = p["id"].as_i64().unwrap();
        let uri = format!("/api/v1/proposals/{id}/reject");
        let (s, e) = app.call("POST", &uri, Some(&app.reviewer), Some(("application/json", "{}".into()))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(e["message"].as_str().unwrap().contains("needs a comment"));
        let (s, p) = app
            .call(
                "POST",
                &uri,
                Some(&app.reviewer),
                Some(("application/json", r#"{"comment":"add a retention SLA"}"#.into())),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(p["status"], "rejected");
        assert_eq!(p["comment"], "add a retention SLA");
        assert!(app.service.registry().proposal_contents(id as u64).await.unwrap().is_some());
        // Deciding twice is a conflict; unknown ids are 404.
        let (s, _) = app.approve(&app.reviewer2, id).await;
        assert_eq!(s, StatusCode::CONFLICT);
        let (s, _) = app.approve(&app.reviewer2, 999).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = app
            .call(
                "POST",
                "/api/v1/proposals/999/reject",
                Some(&app.reviewer),
                Some(("application/json", r#"{"comment":"x"}"#.into())),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_and_changes_nothing() {
    each_db(|app: TestApp| async move {
        let (s, e) = app.submit(&app.producer, "domain: [unclosed").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e["findings"][0]["rule"], "STW000");
        assert!(e["proposal_id"].is_null());
        let (s, e) = app
            .call("POST", "/api/v1/proposals", Some(&app.producer), Some(("application/json", "{\"x\":1}".into())))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(e["message"].as_str().unwrap().contains("contract"), "{e}");
        let big = format!("{}# {}\n", sales_orders(), "x".repeat(1_100_000));
        let (s, e) = app.submit(&app.producer, &big).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(e["findings"][0]["message"].as_str().unwrap().contains("1 MiB"), "{e}");
        let (s, _) = app.call("GET", "/api/v1/products/Sales.orders", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = app.call("GET", "/api/v1/products/sales.nothing", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = app.call("GET", "/api/v1/proposals?status=maybe", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (s, _) = app.call("GET", "/api/v1/products?limit=100000", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        let (_, list) = app.call("GET", "/api/v1/proposals", Some(&app.reviewer), None).await;
        assert_eq!(list.as_array().unwrap().len(), 0, "nothing was recorded: {list}");
        let (s, _) = app.call("GET", "/nope", None, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn crash_between_merge_and_catalog_write_is_recovered_once() {
    each_db(|app: TestApp| async move {
        let (_, p) = app.submit(&app.producer, &sales_orders()).await;
        let id = p["id"].as_i64().unwrap();
        // The reviewer's claim commits and the merge lands in git, then the
        // process "dies" before the catalog write.
        {
            use sqlx::Executor;
            let claim = format!(
                "UPDATE proposals SET status = 'approved', decided_by = 'rita', comment = 'fine' WHERE id = {id}"
            );
            app.sql().await.execute(sqlx::AssertSqlSafe(claim)).await.unwrap();
        }
        let key = steward_schemas::ProductKey::parse("sales.orders").unwrap();
        let reviewer = app.principal(&app.reviewer).await.signature();
        app.service.registry().merge_proposal(id as u64, key, "1.0.0".into(), reviewer, None).await.unwrap();
        let (s, _) = app.call("GET", "/api/v1/products/sales.orders", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        let done = app.service.reconcile().await.unwrap();
        assert_eq!(done.recovered, vec![id]);
        let done = app.service.reconcile().await.unwrap();
        assert!(done.recovered.is_empty() && done.republished.is_empty(), "{done:?}");

        let (s, p) = app.call("GET", &format!("/api/v1/proposals/{id}"), Some(&app.reviewer), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(p["status"], "published");
        // The reviewer and comment survive recovery (not `steward`).
        assert_eq!(p["decided_by"], "rita");
        assert_eq!(p["comment"], "fine");
        let (_, versions) = app.call("GET", "/api/v1/products/sales.orders/versions", Some(&app.consumer), None).await;
        assert_eq!(versions.as_array().unwrap().len(), 1, "{versions}");
        let (_, events) = app.call("GET", "/api/v1/audit?action=product.publish", Some(&app.admin), None).await;
        assert_eq!(events.as_array().unwrap().len(), 1, "{events}");

        // Rebuild replays main into the catalog without duplicating anything.
        let (s, done) = app.call("POST", "/api/v1/admin/rebuild-catalog", Some(&app.admin), None).await;
        assert_eq!(s, StatusCode::OK, "{done}");
        assert_eq!(done["republished"], serde_json::json!(["sales.orders"]));
        let (_, page) = app.call("GET", "/api/v1/products", Some(&app.consumer), None).await;
        assert_eq!(page["total"], 1);
        let (_, versions) = app.call("GET", "/api/v1/products/sales.orders/versions", Some(&app.consumer), None).await;
        assert_eq!(versions.as_array().unwrap().len(), 1);
        assert_eq!(versions[0]["proposal_id"], id, "rebuild keeps the version's proposal link");
    })
    .await;
}

#[tokio::test]
async fn ops_endpoints() {
    let app = TestApp::start("sqlite").await;
    let (s, body) = app.call("GET", "/healthz", None, None).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, Some("ok\n")));
    let (s, _) = app.call("GET", "/readyz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    app.call("GET", "/api/v1/products", Some(&app.consumer), None).await;
    let (_, metrics) = app.call("GET", "/metrics", None, None).await;
    let text = metrics.as_str().unwrap();
    assert!(
        text.contains("steward_http_requests_total{method=\"GET\",route=\"/api/v1/products\",status=\"200\"} 1"),
        "{text}"
    );
}

#[tokio::test]
async fn openapi_document_is_generated_from_the_handlers_and_checked_in() {
    let app = TestApp::start("sqlite").await;
    let (s, doc) = app.call("GET", "/api/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    for path in ["/api/v1/proposals", "/api/v1/proposals/{id}/approve", "/api/v1/products", "/api/v1/audit", "/healthz"]
    {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    let generated = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let file = steward_testkit::repo_root().join("docs/openapi.json");
    if std::env::var("STEWARD_UPDATE_OPENAPI").is_ok() {
        std::fs::write(&file, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is stale: run `STEWARD_UPDATE_OPENAPI=1 cargo test -p steward-catalog openapi` and commit it"
    );
}

#[tokio::test]
async fn search_ranks_filters_and_pages() {
    each_db(|app: TestApp| async move {
        // Three products: `basket` is in one product's name, in another's description only.
        let orders = sales_orders();
        let basket = sales_orders()
            .replace("dataProduct: orders", "dataProduct: basket_stats")
            .replace("s3://steward-sales/orders/", "s3://steward-sales/basket_stats/")
            .replace("Revenue reporting, demand forecasting, basket analysis.", "Conversion analysis.")
            .replace("tags: [orders, revenue]", "tags: [web]");
        let returns = sales_orders()
            .replace("dataProduct: orders", "dataProduct: returns")
            .replace("s3://steward-sales/orders/", "s3://steward-sales/returns/")
            .replace("Revenue reporting, demand forecasting, basket analysis.", "Refund reporting.")
            .replace("tags: [orders, revenue]", "tags: [refunds]");
        for yaml in [&orders, &basket, &returns] {
            app.publish(yaml).await;
        }
        let marketing =
            std::fs::read_to_string(steward_testkit::repo_root().join("examples/marketing-campaigns.odcs.yaml"))
                .unwrap();
        let admin = app.principal(&app.admin).await;
        let mk = app
            .service
            .create_token(&admin, "mia", None, steward_catalog::auth::Role::Producer, vec!["marketing".into()])
            .await
            .unwrap();
        let (s, p) = app.submit(&mk.token, &marketing).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        app.approve(&app.reviewer, p["id"].as_i64().unwrap()).await;

        let keys = |page: &serde_json::Value| -> Vec<String> {
            page["items"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap().to_owned()).collect()
        };
        let get = |uri: String| {
            let app = &app;
            async move { app.call("GET", &uri, Some(&app.consumer), None).await.1 }
        };
        // A name match outranks a description match.
        let page = get("/api/v1/products?q=basket".into()).await;
        assert_eq!(keys(&page), ["sales.basket_stats", "sales.orders"], "{page}");
        // Prefixes match; all words must match.
        assert_eq!(get("/api/v1/products?q=bask".into()).await["total"], 2);
        assert_eq!(keys(&get("/api/v1/products?q=refund+reporting".into()).await), ["sales.returns"]);
        // Filters, with and without words.
        assert_eq!(keys(&get("/api/v1/products?q=clicks&domain=marketing".into()).await), ["marketing.campaign_stats"]);
        assert_eq!(get("/api/v1/products?q=clicks&domain=sales".into()).await["total"], 0);
        assert_eq!(get("/api/v1/products?domain=sales".into()).await["total"], 3);
        assert_eq!(keys(&get("/api/v1/products?classification=public".into()).await), ["marketing.campaign_stats"]);
        assert_eq!(keys(&get("/api/v1/products?q=order&tag=refunds".into()).await), ["sales.returns"]);
        assert_eq!(keys(&get("/api/v1/products?tag=web".into()).await), ["sales.basket_stats"]);
        // Paging keeps the total.
        let first = get("/api/v1/products?q=order&limit=2".into()).await;
        let rest = get("/api/v1/products?q=order&limit=2&offset=2".into()).await;
        assert_eq!((first["total"].as_i64(), rest["total"].as_i64()), (Some(3), Some(3)));
        let mut all = keys(&first);
        all.extend(keys(&rest));
        all.sort();
        assert_eq!(all, ["sales.basket_stats", "sales.orders", "sales.returns"]);
        // Broad queries (forced here with a threshold of 1) rank names matches first, and page.
        let query = |offset: i64| steward_catalog::service::catalog::SearchQuery {
            q: Some("basket".into()),
            limit: 1,
            offset,
            scored_max: Some(1),
            ..Default::default()
        };
        let who = app.principal(&app.admin).await;
        let p0 = app.service.search(&who, &query(0)).await.unwrap();
        let p1 = app.service.search(&who, &query(1)).await.unwrap();
        let p2 = app.service.search(&who, &query(2)).await.unwrap();
        assert_eq!((p0.total, p0.items[0].key.as_str()), (2, "sales.basket_stats"));
        assert_eq!(p1.items[0].key, "sales.orders");
        assert!(p2.items.is_empty());
        // Query syntax is inert.
        assert_eq!(get("/api/v1/products?q=%22OR%20*%20NEAR(".into()).await["total"], 0);
    })
    .await;
}

#[tokio::test]
async fn approved_main_is_pushed_upstream() {
    let remote_dir = tempfile::tempdir().unwrap();
    let upstream = remote_dir.path().join("upstream.git");
    git2::Repository::init_bare(&upstream).unwrap();
    let app = TestApp::builder("sqlite").upstream(upstream.display().to_string()).start().await;
    app.publish(&sales_orders()).await;
    let remote = git2::Repository::open_bare(&upstream).unwrap();
    let tip = remote.find_reference("refs/heads/main").unwrap().peel_to_commit().unwrap();
    assert!(tip.message().unwrap().contains("Merge proposal 1: sales.orders 1.0.0"), "{:?}", tip.message());
    assert_eq!(tip.id().to_string(), app.service.registry().main_tip().await.unwrap());
}
