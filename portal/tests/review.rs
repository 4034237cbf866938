//! Reviewers see the truth, through the portal's router: the type-narrowing
//! finding marked in the diff, a refused proposal's banner, the diff a
//! decision was judged on kept after later versions, a new product's
//! preview, who a breaking change affects, paged queues with counts and
//! filters, revocation with a confirmation and a reason, and success
//! messages that name what was decided.

mod common;

use axum::http::StatusCode;
use common::{Portal, contract};
use steward_catalog::auth::Principal;
use steward_catalog::service::access::AccessRequestInput;
use steward_catalog::service::proposals::ProposalStatus;

/// sales.orders at `version`, with `quantity` narrowed from `int` to `smallint`.
fn narrowed(version: &str) -> String {
    let yaml = steward_testkit::sales_orders();
    let from = "      - name: quantity\n        logicalType: integer\n        physicalType: int\n";
    assert!(yaml.contains(from), "example changed; update the fixture");
    yaml.replacen("version: 1.0.0", &format!("version: {version}"), 1).replacen(
        from,
        &from.replace("physicalType: int", "physicalType: smallint"),
        1,
    )
}

async fn admin(app: &Portal) -> Principal {
    let token = std::fs::read_to_string(app.dir.path().join("admin.token")).unwrap();
    app.principal(token.trim()).await
}

/// `n` pending requests for sales.orders from distinct accounts, oldest first.
async fn requests(app: &Portal, n: u64) -> Vec<i64> {
    let root = admin(app).await;
    let mut ids = Vec::new();
    for i in 0..n {
        let input = AccessRequestInput {
            account: format!("{:012}", 100_000_000_000u64 + i),
            justification: format!("request number {i}"),
            duration_days: Some(30),
        };
        ids.push(app.service.request_access(&root, "sales.orders", &input).await.unwrap().id);
    }
    ids
}

/// The diff section of a proposal page.
fn diff_of(body: &str) -> &str {
    body.split("id=\"diff\"").nth(1).expect("a diff section").split("</section>").next().unwrap()
}

#[tokio::test]
async fn the_narrowed_type_is_marked_and_the_judged_diff_is_kept() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let id = app.submit(&narrowed("2.0.0")).await;
    let reviewer = app.sign_in(&app.reviewer).await;

    let page = app.get(&format!("/proposals/{id}"), Some(&reviewer)).await;
    assert_eq!(page.status, StatusCode::OK);
    let diff = diff_of(&page.body);
    assert!(diff.contains("Schema diff against the published version"), "{diff}");
    let marked: Vec<&str> =
        diff.split("class=\"l add brk\"").skip(1).map(|s| s.split("</div>").next().unwrap()).collect();
    assert!(marked.iter().any(|l| l.contains("physicalType: smallint")), "the narrowed line is marked: {diff}");
    assert!(diff.contains("brk-note") && diff.contains("STW102"), "{diff}");
    assert!(!diff.contains("point at no changed line"), "{diff}");

    // Approve through the form: the message names the proposal.
    let done = app
        .post(&format!("/proposals/{id}/approve"), Some(&reviewer), &format!("csrf={}&comment=fine", page.csrf()))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = app.get(done.location(), Some(&reviewer)).await;
    assert!(after.body.contains(&format!("Approved proposal {id} (sales.orders 2.0.0)")), "{}", after.body);

    // Two later versions are published; the decided proposal keeps its diff against 1.0.0.
    app.publish(&steward_testkit::sales_orders_without_quantity("3.0.0")).await;
    app.publish(&steward_testkit::sales_orders_without_quantity("3.1.0")).await;
    let later = app.get(&format!("/proposals/{id}"), Some(&reviewer)).await;
    let diff = diff_of(&later.body);
    assert!(diff.contains("Schema diff against version <span class=\"ver\">1.0.0</span>, as judged"), "{diff}");
    assert!(diff.contains("physicalType: smallint") && diff.contains("brk-note"), "{diff}");
    assert!(!diff.contains("name: quantity</span></div><div class=\"l del"), "no diff against 3.x: {diff}");
    assert!(!diff.contains("3.1.0"), "{diff}");
}

#[tokio::test]
async fn a_refused_proposal_never_says_it_may_be_approved() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let who = app.principal(&app.producer).await;
    // Breaking without a major version: refused by validation.
    let refused = app.service.submit(&who, &steward_testkit::sales_orders_without_quantity("1.1.0")).await;
    let id = match refused {
        Err(steward_catalog::error::ServiceError::Invalid { proposal_id: Some(id), .. }) => id,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(app.service.proposal(id).await.unwrap().status, ProposalStatus::RejectedByValidation);
    let reviewer = app.sign_in(&app.reviewer).await;
    let page = app.get(&format!("/proposals/{id}"), Some(&reviewer)).await;
    assert!(!page.body.contains("may be approved"), "{}", page.body);
    assert!(page.body.contains("cannot be approved"), "{}", page.body);
    assert!(!page.body.contains("id=\"approve\""));

    // A valid breaking one with a major version may be, and lists who it affects.
    let carla = app.principal(&app.consumer).await;
    let input =
        AccessRequestInput { account: "123456789012".into(), justification: "dashboards".into(), duration_days: None };
    let request = app.service.request_access(&carla, "sales.orders", &input).await.unwrap();
    let granted = app.service.approve_access(&app.principal(&app.reviewer).await, request.id, None).await.unwrap();
    let major = app.submit(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;
    let page = app.get(&format!("/proposals/{major}"), Some(&reviewer)).await;
    assert!(page.body.contains("may be approved"));
    let affected =
        page.body.split("id=\"affected\"").nth(1).expect("who it affects").split("</section>").next().unwrap();
    assert!(affected.contains("123456789012") && affected.contains("order_lines.quantity"), "{affected}");
    assert!(!affected.contains("not yet"), "no migration column before it is published: {affected}");

    // Published, the page says who has moved their grant to v2 and who has not.
    app.service.approve(&app.principal(&app.reviewer).await, major, None).await.unwrap();
    let migration = |body: &str| {
        body.split("id=\"affected\"").nth(1).expect("who it affects").split("</section>").next().unwrap().to_owned()
    };
    let page = app.get(&format!("/proposals/{major}"), Some(&reviewer)).await;
    let affected = migration(&page.body);
    assert!(
        affected.contains("On v2?") && affected.contains("not yet") && affected.contains("still on v1"),
        "{affected}"
    );
    app.service.migrate_grant(&carla, granted.id).await.unwrap();
    let affected = migration(&app.get(&format!("/proposals/{major}"), Some(&reviewer)).await.body);
    assert!(affected.contains("migrated") && !affected.contains("not yet"), "{affected}");
}

#[tokio::test]
async fn a_new_product_is_previewed_as_well_as_shown_as_yaml() {
    let app = Portal::start().await;
    let id = app.submit(&contract("refunds", "1.0.0", Some("Refunds <paid> per order line."))).await;
    let reviewer = app.sign_in(&app.reviewer).await;
    let page = app.get(&format!("/proposals/{id}"), Some(&reviewer)).await;
    let preview = page.body.split("id=\"preview\"").nth(1).expect("a preview").split("</section>").next().unwrap();
    for shown in [
        "order_lines",
        "customer_email",
        "PII",
        "confidential",
        "s3://steward-sales/refunds/",
        "0 6 * * *",
        "sales_refunds",
        "Refunds &lt;paid&gt; per order line.",
    ] {
        assert!(preview.contains(shown), "{shown} in {preview}");
    }
    assert!(page.body.contains("Contract as submitted (YAML)"));
    assert!(page.body.contains("a new product"));
}

#[tokio::test]
async fn the_access_queue_pages_to_the_oldest_with_counts_and_filters() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let ids = requests(&app, 120).await;
    let reviewer = app.sign_in(&app.reviewer).await;

    let page = app.get("/access", Some(&reviewer)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Pending <span class=\"count\">(120)</span>"), "{}", page.body);
    assert!(page.body.contains("Showing 1–50 of <strong class=\"total\">120</strong> requests, oldest first."));
    let first = page.body.find(&format!("id=\"request-{}\"", ids[0])).expect("the oldest on page 1");
    assert!(first < page.body.find(&format!("id=\"request-{}\"", ids[1])).unwrap());
    assert!(
        page.body.contains("Page 1 of 3")
            && page.body.contains("rel=\"last\" href=\"/access?status=pending&amp;page=3\"")
    );

    let last = app.get("/access?status=pending&page=3", Some(&reviewer)).await;
    assert!(last.body.contains(&format!("id=\"request-{}\"", ids[119])));
    assert!(last.body.contains("Showing 101–120 of"));
    let newest = app.get("/access?status=pending&order=newest&page=3", Some(&reviewer)).await;
    assert!(newest.body.contains(&format!("id=\"request-{}\"", ids[0])), "newest first ends with the oldest");

    let none = app.get("/access?status=pending&domain=hr", Some(&reviewer)).await;
    assert!(none.body.contains("No requests match."), "{}", none.body);
    let product = app.get("/access?status=all&product=orders", Some(&reviewer)).await;
    assert!(product.body.contains("All <span class=\"count\">(120)</span>"));

    // Approving names the request.
    let done = app
        .post(&format!("/access/{}/approve", ids[0]), Some(&reviewer), &format!("csrf={}&comment=ok", page.csrf()))
        .await;
    assert_eq!(done.location(), format!("/access?done=approved&id={}", ids[0]));
    let after = app.get(done.location(), Some(&reviewer)).await;
    assert!(
        after.body.contains(&format!("Approved access request {} (sales.orders for account 100000000000)", ids[0])),
        "{}",
        after.body
    );
    assert!(after.body.contains("Pending <span class=\"count\">(119)</span>"));
}

#[tokio::test]
async fn revoking_asks_for_confirmation_and_a_reason() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let ids = requests(&app, 1).await;
    let rita = app.principal(&app.reviewer).await;
    let grant = app.service.approve_access(&rita, ids[0], None).await.unwrap();
    let reviewer = app.sign_in(&app.reviewer).await;

    let grants = app.get("/grants", Some(&reviewer)).await;
    assert!(grants.body.contains(&format!("method=\"get\" action=\"/grants/{}/revoke\"", grant.id)), "{}", grants.body);
    let confirm = app.get(&format!("/grants/{}/revoke", grant.id), Some(&reviewer)).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.body.contains("loses read access") && confirm.body.contains("required"), "{}", confirm.body);

    let blank = app
        .post(&format!("/grants/{}/revoke", grant.id), Some(&reviewer), &format!("csrf={}&comment=+", confirm.csrf()))
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(blank.body.contains("the reason is required"));
    assert_eq!(
        app.service.grant(&rita, grant.id).await.unwrap().status,
        steward_catalog::service::access::GrantStatus::Active
    );

    let done = app
        .post(
            &format!("/grants/{}/revoke", grant.id),
            Some(&reviewer),
            &format!("csrf={}&comment=contract+ended", confirm.csrf()),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = app.get(done.location(), Some(&reviewer)).await;
    assert!(
        after.body.contains(&format!("Revoked grant {} (sales.orders for account 100000000000)", grant.id)),
        "{}",
        after.body
    );

    // A producer cannot, reason or not.
    let producer = app.sign_in(&app.producer).await;
    let page = app.get("/grants", Some(&producer)).await;
    let refused = app
        .post(&format!("/grants/{}/revoke", grant.id), Some(&producer), &format!("csrf={}&comment=x", page.csrf()))
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
}
