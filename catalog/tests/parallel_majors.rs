//! Parallel majors ([M11]) end to end, on SQLite and PostgreSQL, with a
//! manual clock, real SMTP and a webhook sink over HTTP: consumer A and
//! consumer B hold grants on 1.x; a 2.0.0 removing a column is proposed and
//! names them and the column; approved, both majors are listed and readable
//! (each in its own catalog database), refreshes reach the subscribers of the
//! major they name; everyone hears of the change with its dates, and of the
//! coming end of support; A migrates, B acknowledges instead and is revoked
//! at the end of life and told. A restart (a second service on the same database) between
//! the steps sends nothing twice and loses nothing.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::TimeZone;
use serde_json::{Value, json};
use steward_catalog::clock::ManualClock;
use steward_notify::testing::{SmtpSink, WebhookSink};

const A: &str = "123456789012";
const B: &str = "210987654321";

/// An access request for `account` by `token`, approved by the reviewer.
async fn granted(app: &common::TestApp, token: &str, account: &str) -> i64 {
    let body = json!({"account": account, "justification": "revenue dashboards"});
    let (s, req) = app.json("POST", "/api/v1/products/sales.orders/access-requests", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{req}");
    let (s, grant) =
        app.call("POST", &format!("/api/v1/access-requests/{}/approve", req["id"]), Some(&app.reviewer), None).await;
    assert_eq!(s, StatusCode::OK, "{grant}");
    assert_eq!(grant["major"], 1, "{grant}");
    grant["id"].as_i64().unwrap()
}

async fn subscribe(app: &common::TestApp, token: &str, account: &str, channel: &str, target: &str) {
    let body = json!({"account": account, "channel": channel, "target": target});
    let (s, sub) = app.json("POST", "/api/v1/products/sales.orders/subscriptions", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
}

async fn refresh(app: &common::TestApp, major: Option<i64>, day: &str) -> (StatusCode, Value) {
    let mut body = json!({"table": "order_lines", "partition": {"dt": day}});
    if let Some(m) = major {
        body["major"] = json!(m);
    }
    app.json("POST", "/api/v1/products/sales.orders/refreshes", &app.producer, body).await
}

async fn majors(app: &common::TestApp) -> Vec<Value> {
    let (s, list) = app.call("GET", "/api/v1/products/sales.orders/majors", Some(&app.consumer), None).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

async fn events(app: &common::TestApp, kind: &str) -> Vec<Value> {
    let (s, page) = app.call("GET", &format!("/api/v1/events?type={kind}"), Some(&app.admin), None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["events"].as_array().unwrap().clone()
}

/// Mails to `to` whose subject contains `about`.
fn mails_to(smtp: &SmtpSink, to: &str, about: &str) -> Vec<steward_notify::testing::ReceivedMail> {
    smtp.messages().into_iter().filter(|m| m.rcpt_to.iter().any(|r| r == to) && m.subject.contains(about)).collect()
}

#[tokio::test]
async fn a_new_major_runs_beside_the_old_one_until_its_end_of_life() {
    let Some(smtp) = SmtpSink::start() else { return };
    let hooks = WebhookSink::start().await;
    for backend in common::backends().await {
        let start = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let backends = steward_catalog::service::BackendChoices {
            webhooks: steward_notify::WebhookSettings { allow_private: true, ..Default::default() },
            ..Default::default()
        };
        let app = common::TestApp::builder(backend).clock(clock.clone()).backends(backends).start().await;
        let body = json!({"name": "bea", "role": "consumer", "scopes": [B]});
        let (s, token) = app.json("POST", "/api/v1/tokens", &app.admin, body).await;
        assert_eq!(s, StatusCode::CREATED, "{token}");
        let bea = token["token"].as_str().unwrap().to_owned();
        let (mail_a, mail_b) = (format!("a-{backend}@example.com"), format!("b-{backend}@example.com"));
        let hook_path = format!("/{backend}/majors-a");

        app.publish(&steward_testkit::sales_orders()).await;
        let grant_a = granted(&app, &app.consumer, A).await;
        let grant_b = granted(&app, &bea, B).await;
        subscribe(&app, &app.consumer, A, "email", &mail_a).await;
        subscribe(&app, &app.consumer, A, "webhook", &hooks.url(&hook_path)).await;
        subscribe(&app, &bea, B, "email", &mail_b).await;

        // The proposal names both consumers and the column they lose.
        let (s, p) = app.submit(&app.producer, &steward_testkit::sales_orders_without_quantity("2.0.0")).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let (_, view) = app.call("GET", &format!("/api/v1/proposals/{}", p["id"]), Some(&app.reviewer), None).await;
        assert_eq!(view["impact"]["columns"], json!(["order_lines.quantity"]), "{view}");
        let accounts: Vec<&str> =
            view["impact"]["consumers"].as_array().unwrap().iter().map(|c| c["account"].as_str().unwrap()).collect();
        assert!(accounts.contains(&A) && accounts.contains(&B), "{view}");
        let (s, body) = app.approve(&app.reviewer, p["id"].as_i64().unwrap()).await;
        assert_eq!(s, StatusCode::OK, "{body}");

        // Both majors are listed and readable, each in its own database.
        let listed = majors(&app).await;
        assert_eq!(listed.len(), 2, "{listed:?}");
        let end_of_life = "2027-03-01T09:00:00.000000Z"; // the policy's 90 days
        assert_eq!(
            (&listed[0]["major"], &listed[0]["state"], &listed[0]["database"], &listed[0]["grants"]),
            (&json!(2), &json!("current"), &json!("sales_orders_v2"), &json!(0)),
            "{listed:?}"
        );
        assert_eq!(
            (&listed[1]["major"], &listed[1]["state"], &listed[1]["database"], &listed[1]["grants"]),
            (&json!(1), &json!("supported"), &json!("sales_orders"), &json!(2)),
            "{listed:?}"
        );
        assert_eq!(listed[1]["end_of_life"], end_of_life, "{listed:?}");
        let columns = |d: &Value| d["tables"][0]["columns"].to_string();
        let (_, v1) = app.call("GET", "/api/v1/products/sales.orders?major=1", Some(&app.consumer), None).await;
        let (_, v2) = app.call("GET", "/api/v1/products/sales.orders", Some(&app.consumer), None).await;
        assert!(columns(&v1).contains("\"quantity\"") && v1["database"] == "sales_orders", "{v1}");
        assert!(!columns(&v2).contains("\"quantity\"") && v2["database"] == "sales_orders_v2", "{v2}");

        // Refreshes name their major; each major's subscribers hear of its own.
        let (s, r) = refresh(&app, Some(1), "2026-12-01").await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        assert_eq!(r["notifications"], 3, "A's two and B's one are on major 1: {r}");
        let (s, r) = refresh(&app, None, "2026-12-01").await;
        assert_eq!((s, &r["notifications"]), (StatusCode::CREATED, &json!(0)), "nobody is on 2 yet: {r}");
        let (s, e) = refresh(&app, Some(7), "2026-12-01").await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{e}");

        // The notice, with the dates, by email and webhook; once.
        for _ in 0..2 {
            app.worker(Some(smtp.settings())).drain().await.unwrap();
        }
        smtp.wait_for(1, Duration::from_secs(10)).await;
        let notices = mails_to(&smtp, &mail_a, "breaking change");
        assert_eq!(notices.len(), 1, "{notices:#?}");
        assert!(notices[0].text.contains("retired 2027-03-01"), "{}", notices[0].text);
        assert_eq!(mails_to(&smtp, &mail_b, "breaking change").len(), 1);
        let hooked: Vec<Value> = hooks
            .requests()
            .into_iter()
            .filter(|r| r.path == hook_path)
            .map(|r| serde_json::from_slice(&r.body).unwrap())
            .collect();
        let breaking: Vec<&Value> = hooked.iter().filter(|n| n["kind"] == "breaking_change").collect();
        assert_eq!(breaking.len(), 1, "{hooked:?}");
        assert_eq!(breaking[0]["end_of_life"], end_of_life);

        // 14 days before the end of support, everyone still on 1 is reminded.
        clock.advance(chrono::Duration::days(77));
        let done = app.service.sunset_pass().await.unwrap();
        assert_eq!((done.reminded, done.retired), (1, 0), "{done:?}");
        // A restart: another service on the same database reminds nobody again.
        let replica = app.replica().await;
        assert_eq!(replica.service.sunset_pass().await.unwrap(), Default::default());
        for _ in 0..2 {
            replica.worker(Some(smtp.settings())).drain().await.unwrap();
        }
        let wait = || smtp.wait_for(1, Duration::from_secs(10));
        wait().await;
        assert_eq!(mails_to(&smtp, &mail_a, "ends").len(), 1);
        let reminder = mails_to(&smtp, &mail_b, "ends");
        assert_eq!(reminder.len(), 1, "{reminder:#?}");
        assert!(reminder[0].text.contains(&format!("steward access migrate {grant_b}")), "{}", reminder[0].text);

        // A migrates; B does not, but acknowledges: it stays on 1 knowingly.
        let (s, moved) =
            app.call("POST", &format!("/api/v1/grants/{grant_a}/migrate"), Some(&app.consumer), None).await;
        assert_eq!((s, &moved["major"]), (StatusCode::OK, &json!(2)), "{moved}");
        let acknowledge = format!("/api/v1/grants/{grant_b}/acknowledge");
        let (s, _) = app.call("POST", &acknowledge, Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "not A's grant");
        let (s, kept) = app.call("POST", &acknowledge, Some(&bea), None).await;
        assert_eq!((s, &kept["major"], &kept["acknowledged_major"]), (StatusCode::OK, &json!(1), &json!(2)), "{kept}");
        let (s, e) = app.call("POST", &acknowledge, Some(&bea), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "once: {e}");
        let (s, e) =
            app.call("POST", &format!("/api/v1/grants/{grant_a}/acknowledge"), Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::CONFLICT, "A is on the newest major: {e}");
        let (_, view) = app.call("GET", &format!("/api/v1/proposals/{}", p["id"]), Some(&app.reviewer), None).await;
        let of = |account: &str| {
            view["impact"]["consumers"].as_array().unwrap().iter().find(|c| c["account"] == account).cloned().unwrap()
        };
        assert_eq!((&of(A)["major"], &of(A)["acknowledged_major"]), (&json!(2), &Value::Null), "{view}");
        assert_eq!((&of(B)["major"], &of(B)["acknowledged_major"]), (&json!(1), &json!(2)), "{view}");
        let (_, r) = refresh(&app, None, "2026-12-02").await;
        assert_eq!(r["notifications"], 2, "A's subscriptions moved along: {r}");

        // At the end of life, major 1 is retired: B's grant is revoked and B told.
        clock.advance(chrono::Duration::days(14));
        let done = replica.service.sunset_pass().await.unwrap();
        assert_eq!((done.retired, done.revoked), (1, 1), "{done:?}");
        assert_eq!(app.service.sunset_pass().await.unwrap(), Default::default(), "retired once");
        for _ in 0..2 {
            app.worker(Some(smtp.settings())).drain().await.unwrap();
        }
        wait().await;
        let told = mails_to(&smtp, &mail_b, "is retired");
        assert_eq!(told.len(), 1, "{told:#?}");
        assert!(told[0].text.contains(&format!("grant {grant_b}")), "{}", told[0].text);
        assert!(mails_to(&smtp, &mail_a, "is retired").is_empty(), "A had moved");
        let (_, grants) = app.call("GET", "/api/v1/grants?product=sales.orders", Some(&app.reviewer), None).await;
        let status =
            |id: i64| grants.as_array().unwrap().iter().find(|g| g["id"] == id).map(|g| g["status"].clone()).unwrap();
        assert_eq!((status(grant_a), status(grant_b)), (json!("active"), json!("revoked")), "{grants}");
        let listed = majors(&app).await;
        assert_eq!((&listed[1]["state"], &listed[1]["grants"]), (&json!("retired"), &json!(0)), "{listed:?}");
        // Kept read-only by the default policy; no refresh reaches it any more.
        let (s, _) = app.call("GET", "/api/v1/products/sales.orders?major=1", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::OK);
        let (s, e) = refresh(&app, Some(1), "2026-12-03").await;
        assert_eq!(s, StatusCode::CONFLICT, "{e}");
        assert!(e["message"].as_str().unwrap().contains("retired"), "{e}");

        // Announced once each, as CloudEvents.
        let retired = events(&app, "io.steward.product.retired").await;
        assert_eq!(retired.len(), 1, "{retired:?}");
        assert_eq!(retired[0]["subject"], "sales.orders");
        steward_testkit::cloudevents::validate(&retired[0]);
        let revoked = events(&app, "io.steward.access.revoked").await;
        assert_eq!(revoked.len(), 1, "{revoked:?}");
        assert_eq!(revoked[0]["data"]["grant"]["id"], grant_b, "{revoked:?}");
    }
}

/// `breaking_changes.retired_catalog: drop`: a retired major is gone from the
/// catalog (404 naming when), and the old contract's own `endOfLife` wins
/// over the policy's default.
#[tokio::test]
async fn a_retired_major_is_dropped_when_the_policy_says_so() {
    for backend in common::backends().await {
        let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()));
        let policy = steward_policies::Policy::from_yaml("breaking_changes:\n  retired_catalog: drop\n").unwrap();
        let app = common::TestApp::builder(backend).clock(clock.clone()).policy(policy).start().await;
        // 1.x says when it ends: support to 2027-01-01, life to 2027-01-15.
        let dated = steward_testkit::sales_orders().replace(
            "slaProperties:\n",
            "slaProperties:\n  - property: endOfSupport\n    value: 2027-01-01\n  - property: endOfLife\n    value: \"2027-01-15T00:00:00Z\"\n",
        );
        assert_ne!(dated, steward_testkit::sales_orders(), "the fixture has slaProperties");
        app.publish(&dated).await;
        app.publish(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;
        let listed = majors(&app).await;
        assert_eq!(
            (&listed[1]["end_of_support"], &listed[1]["end_of_life"]),
            (&json!("2027-01-01T00:00:00.000000Z"), &json!("2027-01-15T00:00:00.000000Z")),
            "{listed:?}"
        );
        clock.advance(chrono::Duration::days(44));
        assert_eq!(app.service.sunset_pass().await.unwrap().retired, 0, "not yet");
        clock.advance(chrono::Duration::days(2));
        assert_eq!(app.service.sunset_pass().await.unwrap().retired, 1);
        let (s, e) = app.call("GET", "/api/v1/products/sales.orders?major=1", Some(&app.consumer), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
        assert!(e["message"].as_str().unwrap().contains("retired on 2027-01-16"), "{e}");
        // A date that is not one is a validation finding, at its line.
        let bad = steward_testkit::sales_orders()
            .replace("version: 1.0.0", "version: 2.1.0")
            .replace("slaProperties:\n", "slaProperties:\n  - property: endOfLife\n    value: next spring\n");
        let (s, p) = app.submit(&app.producer, &bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert!(p.to_string().contains("endOfLife must be a date"), "{p}");
    }
}

/// What `who` holds on a table (or the database) in Lake Formation.
async fn held(
    client: &aws_sdk_lakeformation::Client,
    gov: &str,
    who: &str,
    database: &str,
    table: Option<&str>,
) -> Vec<String> {
    use steward_aws::testing::lf;
    let resource = match table {
        None => lf::database(gov, database),
        Some(t) => lf::table(gov, database, t),
    };
    lf::permissions(client, gov, who, resource).await
}

/// The column names of a Glue table.
async fn glue_columns(glue: &aws_sdk_glue::Client, database: &str, table: &str) -> Option<Vec<String>> {
    let out = glue.get_table().database_name(database).name(table).send().await.ok()?;
    let t = out.table()?;
    Some(t.storage_descriptor()?.columns().iter().map(|c| c.name().to_owned()).collect())
}

/// The same flow on AWS against moto (Glue, Lake Formation named-resource
/// grants): both majors' databases exist side by side, `sales_orders` and
/// `sales_orders_v2` (docs/breaking-changes.md); grants on 1.x are shared on
/// the old one; a migration moves the share; at the end of life the old
/// major's remaining share is revoked and, under `retired_catalog: drop`,
/// its database deleted (Glue model `DeleteDatabase`), after the revoke.
#[tokio::test]
async fn on_glue_both_majors_live_side_by_side_until_the_old_ones_end_of_life() {
    let Some(moto) = steward_aws::testing::moto().await else { return };
    let gov = steward_aws::testing::account();
    let (glue, lf) = {
        let cfg = moto.config(&gov).await;
        (aws_sdk_glue::Client::new(&cfg), aws_sdk_lakeformation::Client::new(&cfg))
    };
    // Steward's calls go through a recorder: moto deletes a database whatever
    // permissions remain on it, so the order of the calls is checked here.
    let proxy = steward_aws::testing::proxy::RecordingProxy::start(moto.url()).await;
    let cfg = steward_aws::testing::config_for(proxy.url(), &gov).await;
    let clock = Arc::new(ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()));
    let policy = steward_policies::Policy::from_yaml("breaking_changes:\n  retired_catalog: drop\n").unwrap();
    let choices = steward_catalog::service::BackendChoices {
        catalog: steward_catalog::service::CatalogBackend::Glue,
        shares: steward_catalog::service::SharesBackend::Aws,
        ..Default::default()
    };
    let app = common::TestApp::builder("sqlite").clock(clock.clone()).policy(policy).backends(choices).start().await;
    let drain = || async {
        let backends = steward_catalog::server::EffectBackends {
            glue: Some(steward_aws::GlueCatalog::new(&cfg)),
            shares: Some(steward_aws::Shares::new(&cfg, &gov)),
            markers: steward_aws::Markers::local(app.dir.path().join("objects")),
            mailer: None,
            webhooks: steward_notify::WebhookSender::new(&Default::default()).unwrap(),
            sns: None,
        };
        let worker = app.worker_for(backends);
        for _ in 0..3 {
            worker.drain().await.unwrap();
            // Past a retry's backoff (the drop waits for the revokes).
            clock.advance(chrono::Duration::seconds(2));
        }
        for status in ["dead", "pending"] {
            let (_, rows) =
                app.call("GET", &format!("/api/v1/admin/outbox?status={status}"), Some(&app.admin), None).await;
            assert_eq!(rows.as_array().map(Vec::len), Some(0), "no job {status}: {rows}");
        }
    };
    let body = json!({"name": "bea", "role": "consumer", "scopes": [B]});
    let (_, token) = app.json("POST", "/api/v1/tokens", &app.admin, body).await;
    let bea = token["token"].as_str().unwrap().to_owned();

    app.publish(&steward_testkit::sales_orders()).await;
    let grant_a = granted(&app, &app.consumer, A).await;
    granted(&app, &bea, B).await;
    drain().await;
    for who in [A, B] {
        assert!(held(&lf, &gov, who, "sales_orders", Some("order_lines")).await.contains(&"SELECT".to_owned()));
    }

    app.publish(&steward_testkit::sales_orders_without_quantity("2.0.0")).await;
    drain().await;
    let v1 = glue_columns(&glue, "sales_orders", "order_lines").await.expect("1.x stays in Glue");
    let v2 = glue_columns(&glue, "sales_orders_v2", "order_lines").await.expect("2.0.0 beside it");
    assert!(v1.contains(&"quantity".to_owned()) && !v2.contains(&"quantity".to_owned()), "{v1:?} {v2:?}");
    for who in [A, B] {
        assert!(held(&lf, &gov, who, "sales_orders", Some("order_lines")).await.contains(&"SELECT".to_owned()));
        assert!(held(&lf, &gov, who, "sales_orders_v2", Some("order_lines")).await.is_empty(), "on 1 until they move");
    }

    // A moves: its share moves to the new database.
    let (s, moved) = app.call("POST", &format!("/api/v1/grants/{grant_a}/migrate"), Some(&app.consumer), None).await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    drain().await;
    assert!(held(&lf, &gov, A, "sales_orders_v2", Some("order_lines")).await.contains(&"SELECT".to_owned()));
    assert!(held(&lf, &gov, A, "sales_orders", Some("order_lines")).await.is_empty());

    // End of life: B's share of 1 is revoked, then the old database dropped.
    clock.advance(chrono::Duration::days(91));
    let done = app.service.sunset_pass().await.unwrap();
    assert_eq!((done.retired, done.revoked), (1, 1), "{done:?}");
    drain().await;
    assert!(held(&lf, &gov, B, "sales_orders", Some("order_lines")).await.is_empty(), "B's share is revoked");
    let calls = proxy.calls();
    let at = |op: &str| calls.iter().rposition(|c| c.is("lakeformation", op) || c.is("glue", op));
    let (revoked, dropped) = (at("BatchRevokePermissions"), at("DeleteDatabase"));
    assert!(revoked.is_some() && revoked < dropped, "revoke, then drop: {revoked:?} {dropped:?}");
    let gone = glue.get_database().name("sales_orders").send().await;
    assert!(gone.is_err(), "the retired major's database is dropped");
    assert!(glue_columns(&glue, "sales_orders_v2", "order_lines").await.is_some());
    assert!(held(&lf, &gov, A, "sales_orders_v2", Some("order_lines")).await.contains(&"SELECT".to_owned()));
}
