//! The portal shows others' secrets as the API does (issue M14): a Slack
//! webhook in a contract's contacts only to the product's producers (page
//! and diff), subscription targets in the audit log redacted.

mod common;

use axum::http::StatusCode;
use common::Portal;
use steward_catalog::service::access::AccessRequestInput;
use steward_catalog::service::subscriptions::SubscriptionInput;

const SLACK_V1: &str = "https://hooks.slack.com/services/T000/B000/slackV1s3cret";
const SLACK_V2: &str = "https://hooks.slack.com/services/T000/B000/slackV2s3cret";

fn with_slack(url: &str, version: &str) -> String {
    steward_testkit::sales_orders()
        .replace("    tool: slack\n", &format!("    tool: slack\n    url: {url}\n"))
        .replace("version: 1.0.0", &format!("version: {version}"))
        .replace("\"#sales-data\"", &format!("\"#sales-{}\"", version.replace('.', "-")))
}

#[tokio::test]
async fn product_page_and_diff_show_a_slack_webhook_only_to_the_products_producers() {
    let app = Portal::start().await;
    app.publish(&with_slack(SLACK_V1, "1.0.0")).await;
    app.publish(&with_slack(SLACK_V2, "1.1.0")).await;
    let admin = std::fs::read_to_string(app.dir.path().join("admin.token")).unwrap();
    let root = app.principal(admin.trim()).await;
    let outsider = app
        .service
        .create_token(&root, "hanna", None, steward_catalog::auth::Role::Producer, vec!["hr".into()])
        .await
        .unwrap()
        .token;

    for token in [&app.consumer, &app.reviewer, &outsider] {
        let cookie = app.sign_in(token).await;
        let page = app.get("/products/sales.orders?from=1.0.0&to=1.1.0", Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("Changes from 1.0.0 to 1.1.0"), "the diff is on the page");
        assert!(!page.body.contains("s3cret"), "{}", page.body);
        assert!(!page.body.contains("href=\"https://hooks.slack.com"), "no link to a redacted URL");
        assert!(page.body.contains("#sales-1-1-0"), "the channel name is shown");
    }

    let cookie = app.sign_in(&app.producer).await;
    let page = app.get("/products/sales.orders?from=1.0.0&to=1.1.0", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(&format!("href=\"{SLACK_V2}\"")), "the producers read their contract as written");
    assert!(page.body.contains(SLACK_V1), "and its diff");
}

#[tokio::test]
async fn the_audit_page_shows_subscription_targets_redacted() {
    let app = Portal::start().await;
    app.publish(&with_slack(SLACK_V1, "1.0.0")).await;
    let consumer = app.principal(&app.consumer).await;
    let reviewer = app.principal(&app.reviewer).await;
    let input =
        AccessRequestInput { account: "123456789012".into(), justification: "dashboards".into(), duration_days: None };
    let req = app.service.request_access(&consumer, "sales.orders", &input).await.unwrap();
    app.service.approve_access(&reviewer, req.id, None).await.unwrap();
    let sub = SubscriptionInput {
        account: "123456789012".into(),
        channel: steward_catalog::service::subscriptions::Channel::Email,
        target: "jane.doe@example.com".into(),
    };
    app.service.subscribe(&consumer, "sales.orders", &sub).await.unwrap();

    let cookie = app.sign_in(&app.reviewer).await;
    let page = app.get("/audit?action=subscription.add", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("j***@example.com"), "{}", page.body);
    assert!(!page.body.contains("jane.doe"), "{}", page.body);
}
