//! The consumer's forms and pages through the portal router (tower
//! oneshot): request access, subscribe (a webhook's secret shown once),
//! cancel, renew and remove, each through the service, CSRF-checked, with
//! success messages naming the item and refusals showing the service's
//! message and status; My access; the notices and "How to use it" panel.

mod common;

use axum::http::StatusCode;
use common::{Page, Portal};
use steward_catalog::auth::Role;

const ACCOUNT: &str = "123456789012";

fn enc(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// Every request the principal of `token` may read.
async fn requests(app: &Portal, token: &str) -> Vec<steward_catalog::service::access::AccessRequest> {
    let filter = steward_catalog::service::access::RequestFilter { limit: 100, ..Default::default() };
    app.service.access_requests(&app.principal(token).await, &filter).await.unwrap()
}

/// A token made by the bootstrap admin.
async fn token(app: &Portal, name: &str, role: Role, scopes: &[&str]) -> String {
    let admin = std::fs::read_to_string(app.dir.path().join("admin.token")).unwrap();
    let root = app.principal(admin.trim()).await;
    let scopes = scopes.iter().map(|s| s.to_string()).collect();
    app.service.create_token(&root, name, None, role, scopes).await.unwrap().token
}

/// The text of `section#id` (up to the next section).
fn section<'a>(page: &'a Page, id: &str) -> &'a str {
    let at = page.body.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {}", page.body));
    let rest = &page.body[at..];
    &rest[..rest[1..].find("<section").map_or(rest.len(), |e| e + 1)]
}

/// The first id after `prefix` in the page.
fn id_after(page: &Page, prefix: &str) -> i64 {
    let at = page.body.find(prefix).unwrap_or_else(|| panic!("no {prefix:?} in {}", page.body)) + prefix.len();
    page.body[at..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
}

#[tokio::test]
async fn a_consumer_requests_cancels_and_requests_again_from_the_product_page() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let carla = app.sign_in(&app.consumer).await;
    let page = app.get("/products/sales.orders", Some(&carla)).await;
    assert_eq!(page.status, StatusCode::OK);
    let mine = section(&page, "mine");
    assert!(mine.contains("no access") && mine.contains("action=\"/products/sales.orders/request-access\""), "{mine}");
    assert!(mine.contains(&format!("<option value=\"{ACCOUNT}\">")), "the token's account is offered: {mine}");
    assert!(mine.contains("Once an account has access, subscribe"), "no subscribe form before a grant: {mine}");
    let csrf = page.csrf();

    // Without the CSRF token nothing happens.
    let forged = app
        .post("/products/sales.orders/request-access", Some(&carla), &format!("account={ACCOUNT}&justification=x"))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(requests(&app, &app.consumer).await.is_empty());

    // The service's refusals, with its status: an account not held, a bad duration.
    let other = app
        .post(
            "/products/sales.orders/request-access",
            Some(&carla),
            &format!("csrf={csrf}&account=999999999999&justification=x&duration_days=30"),
        )
        .await;
    assert_eq!(other.status, StatusCode::FORBIDDEN, "{}", other.body);
    assert!(other.body.contains("does not hold account 999999999999"), "{}", other.body);
    assert!(other.body.contains("id=\"mine\""), "the product page again");
    let days = app
        .post(
            "/products/sales.orders/request-access",
            Some(&carla),
            &format!("csrf={csrf}&account={ACCOUNT}&justification=x&duration_days=soon"),
        )
        .await;
    assert_eq!(days.status, StatusCode::BAD_REQUEST);
    assert!(days.body.contains("duration_days: `soon` is not a number of days"), "{}", days.body);

    let sent = app
        .post(
            "/products/sales.orders/request-access",
            Some(&carla),
            &format!(
                "csrf={csrf}&back=product&product=sales.orders&account={ACCOUNT}&justification={}&duration_days=30",
                enc("Churn model <q4>")
            ),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert!(sent.location().starts_with("/products/sales.orders?done=requested&id="), "{}", sent.location());
    let page = app.get(sent.location(), Some(&carla)).await;
    let id = id_after(&page, "action=\"/access/");
    assert!(
        page.body
            .contains(&format!("Sent access request #{id} for account {ACCOUNT} on sales.orders: a reviewer decides.")),
        "{}",
        page.body
    );
    let mine = section(&page, "mine");
    assert!(
        mine.contains("pending") && mine.contains(&format!("request #{id}")) && mine.contains("for 30 days"),
        "{mine}"
    );
    assert!(!mine.contains("request-access\""), "no second request form for the same account: {mine}");

    // Another consumer of the same account sees the request but no cancel
    // button, and a forged cancel is refused by the service.
    let cora = token(&app, "cora", Role::Consumer, &[ACCOUNT]).await;
    let cora = app.sign_in(&cora).await;
    let hers = app.get("/products/sales.orders", Some(&cora)).await;
    assert!(section(&hers, "mine").contains(&format!("request #{id}")));
    assert!(!hers.body.contains(&format!("action=\"/access/{id}/cancel\"")), "only the requester gets the button");
    let refused = app
        .post(
            &format!("/access/{id}/cancel"),
            Some(&cora),
            &format!("csrf={}&back=product&product=sales.orders", hers.csrf()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("only the requester (`carla`) may cancel"), "{}", refused.body);

    // The requester cancels; the success message names the request.
    let cancelled = app
        .post(&format!("/access/{id}/cancel"), Some(&carla), &format!("csrf={csrf}&back=product&product=sales.orders"))
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER, "{}", cancelled.body);
    let page = app.get(cancelled.location(), Some(&carla)).await;
    assert!(
        page.body.contains(&format!("Cancelled access request #{id} for account {ACCOUNT} on sales.orders.")),
        "{}",
        page.body
    );
    assert!(section(&page, "mine").contains("request-access"), "the request form is back");
    // Twice is a conflict, shown with the service's message.
    let again = app.post(&format!("/access/{id}/cancel"), Some(&carla), &format!("csrf={csrf}&back=my")).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("already cancelled") && again.body.contains("<h1>My access</h1>"), "{}", again.body);
}

#[tokio::test]
async fn with_a_grant_the_consumer_subscribes_renews_and_sees_it_all_on_my_access() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let who = app.principal(&app.consumer).await;
    let input = steward_catalog::service::access::AccessRequestInput {
        account: ACCOUNT.into(),
        justification: "dashboards".into(),
        duration_days: Some(30),
    };
    let request = app.service.request_access(&who, "sales.orders", &input).await.unwrap();
    let rita = app.principal(&app.reviewer).await;
    let grant = app.service.approve_access(&rita, request.id, None).await.unwrap();
    let carla = app.sign_in(&app.consumer).await;
    let page = app.get("/products/sales.orders", Some(&carla)).await;
    let mine = section(&page, "mine");
    let ends = steward_portal::page::when(&grant.expires_at.unwrap());
    assert!(mine.contains(&format!("grant #{}", grant.id)) && mine.contains(&ends), "{mine}");
    assert!(mine.contains(&format!("action=\"/grants/{}/renew\"", grant.id)), "{mine}");
    assert!(mine.contains("action=\"/products/sales.orders/subscribe\""), "{mine}");
    let used = section(&page, "use");
    assert!(used.contains("sales_orders") && used.contains("GET /api/v1/products/sales.orders/access/"), "{used}");
    let csrf = page.csrf();

    // A webhook: the secret is on the answer page, once.
    let sub = app
        .post(
            "/products/sales.orders/subscribe",
            Some(&carla),
            &format!("csrf={csrf}&account={ACCOUNT}&channel=webhook&target={}", enc("https://93.184.215.14/steward")),
        )
        .await;
    assert_eq!(sub.status, StatusCode::CREATED, "{}", sub.body);
    assert!(sub.body.contains("by webhook to <code>https://93.184.215.14/steward</code>"), "{}", sub.body);
    let secret_at = sub.body.find("whsec_").expect("the secret is shown");
    // `whsec_` and 32 bytes in standard base64 (`+`, `/` and `=` included).
    let base64 = |c: &char| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '/' | '=');
    let secret: String = sub.body[secret_at..].chars().take_while(base64).collect();
    assert_eq!(secret.len(), "whsec_".len() + 44, "{secret}");
    let later = app.get("/products/sales.orders", Some(&carla)).await;
    assert!(!later.body.contains(&secret), "shown once only");
    assert!(section(&later, "mine").contains("https://93.184.215.14/steward"), "the owner sees its target");
    // E-mail redirects with a named message; a bad target is the service's 400.
    let mail = app
        .post(
            "/products/sales.orders/subscribe",
            Some(&carla),
            &format!("csrf={csrf}&account={ACCOUNT}&channel=email&target=team%40example.com"),
        )
        .await;
    assert_eq!(mail.status, StatusCode::SEE_OTHER, "{}", mail.body);
    let page = app.get(mail.location(), Some(&carla)).await;
    assert!(
        page.body
            .contains("Subscribed account 123456789012 to sales.orders by email to team@example.com (subscription #")
    );
    let bad = app
        .post(
            "/products/sales.orders/subscribe",
            Some(&carla),
            &format!("csrf={csrf}&account={ACCOUNT}&channel=pigeon&target=x"),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("pigeon"), "{}", bad.body);

    // Renew from My access: a pending renewal request, named.
    let my = app.get("/my/access", Some(&carla)).await;
    assert_eq!(my.status, StatusCode::OK);
    assert!(section(&my, "my-grants").contains(&ends), "the grant with its end date");
    assert!(section(&my, "my-subscriptions").contains("team@example.com"));
    let renewed = app
        .post(
            &format!("/grants/{}/renew", grant.id),
            Some(&carla),
            &format!("csrf={}&back=my&justification=another+quarter&duration_days=30", my.csrf()),
        )
        .await;
    assert_eq!(renewed.status, StatusCode::SEE_OTHER, "{}", renewed.body);
    assert!(renewed.location().starts_with("/my/access?done=renewal"), "{}", renewed.location());
    let my = app.get(renewed.location(), Some(&carla)).await;
    assert!(my.body.contains(&format!("Asked to renew grant #{}", grant.id)), "{}", my.body);
    assert!(section(&my, "my-requests").contains(&format!("renews grant #{}", grant.id)));
    assert!(section(&my, "my-grants").contains("renewal pending"));
    // A reviewer approves; the end date moves by 30 days.
    let pending = requests(&app, &app.reviewer).await;
    let extended = app.service.approve_access(&rita, pending[0].id, None).await.unwrap();
    assert_eq!(extended.expires_at.unwrap(), grant.expires_at.unwrap() + chrono::Duration::days(30));
    let page = app.get("/products/sales.orders", Some(&carla)).await;
    assert!(section(&page, "mine").contains(&steward_portal::page::when(&extended.expires_at.unwrap())));

    // Remove a subscription from My access.
    let my = app.get("/my/access", Some(&carla)).await;
    let sub_id = id_after(&my, "action=\"/subscriptions/");
    let removed = app
        .post(&format!("/subscriptions/{sub_id}/remove"), Some(&carla), &format!("csrf={}&back=my", my.csrf()))
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let my = app.get(removed.location(), Some(&carla)).await;
    assert!(my.body.contains(&format!("Removed subscription #{sub_id}.")), "{}", my.body);
}

#[tokio::test]
async fn other_roles_get_no_consumer_forms_and_the_service_refuses_forgeries() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let paul = app.sign_in(&app.producer).await;
    let page = app.get("/products/sales.orders", Some(&paul)).await;
    assert!(!page.body.contains("id=\"mine\""), "no Your access for a producer");
    assert!(page.body.contains("id=\"use\""), "How to use it is for everyone");
    let forged = app
        .post(
            "/products/sales.orders/request-access",
            Some(&paul),
            &format!("csrf={}&account={ACCOUNT}&justification=x", page.csrf()),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("does not hold account"), "{}", forged.body);
    let my = app.get("/my/access", Some(&paul)).await;
    assert_eq!(my.status, StatusCode::OK);
    assert!(my.body.contains("has role producer"), "{}", my.body);
    // Not signed in: to the sign-in page.
    let anon = app.get("/my/access", None).await;
    assert_eq!(anon.status, StatusCode::SEE_OTHER);
    assert!(anon.location().starts_with("/signin"));
    // A hostile `product` field never leaves the portal.
    let carla = app.sign_in(&app.consumer).await;
    let c = app.get("/my/access", Some(&carla)).await;
    let odd = app
        .post("/access/999/cancel", Some(&carla), &format!("csrf={}&back=product&product=%2F%2Fevil.example", c.csrf()))
        .await;
    assert_eq!(odd.status, StatusCode::NOT_FOUND);
    assert!(odd.body.contains("<h1>My access</h1>"), "{}", odd.body);
}

#[tokio::test]
async fn notices_show_a_pending_breaking_change_and_a_deprecation() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let proposal = app.submit(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;
    let carla = app.sign_in(&app.consumer).await;
    let page = app.get("/products/sales.orders", Some(&carla)).await;
    assert!(page.body.contains("A breaking change is pending review"), "{}", page.body);
    assert!(page.body.contains(&format!("proposal #{proposal}")) && page.body.contains("STW101"));
    // The reviewer rejects it; a deprecation naming its successor follows.
    let rita = app.principal(&app.reviewer).await;
    app.service.reject(&rita, proposal, "not now").await.unwrap();
    let deprecated = steward_testkit::sales_orders()
        .replace("status: active", "status: deprecated")
        .replace("version: 1.0.0", "version: 1.1.0")
        .replacen(
            "\ncustomProperties:\n",
            "\ncustomProperties:\n  - property: successor\n    value: sales.orders_v2\n",
            1,
        );
    app.publish(&deprecated).await;
    let page = app.get("/products/sales.orders", Some(&carla)).await;
    assert!(!page.body.contains("A breaking change is pending review"));
    assert!(
        page.body.contains("Its successor is <a href=\"/products/sales.orders_v2\">sales.orders_v2</a>"),
        "{}",
        page.body
    );
    assert!(section(&page, "mine").contains("no new access is granted"), "no request form when deprecated");
}

/// After a breaking 2.0.0, the product page lists both majors side by side,
/// each with its database, state and dates; a product with one major shows
/// no such panel.
#[tokio::test]
async fn the_product_page_lists_the_majors_published_side_by_side() {
    let app = Portal::start().await;
    app.publish(&steward_testkit::sales_orders()).await;
    let carla = app.sign_in(&app.consumer).await;
    let page = app.get("/products/sales.orders", Some(&carla)).await;
    assert!(!page.body.contains("id=\"majors\""), "one major: no panel");
    app.publish(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;
    let page = app.get("/products/sales.orders", Some(&carla)).await;
    let majors = section(&page, "majors");
    let v2 = majors.find("<code>sales_orders_v2</code>").expect("the new major's database");
    let v1 = majors.find("<code>sales_orders</code>").expect("the old major's database");
    assert!(v2 < v1, "newest first: {majors}");
    assert!(majors.contains("m-current") && majors.contains("m-supported"), "{majors}");
    let ends = steward_portal::page::when(&(chrono::Utc::now() + chrono::Duration::days(90)));
    assert!(majors.contains(&ends[..10]), "the policy's 90 days: {ends} in {majors}");
}
