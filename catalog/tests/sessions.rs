//! Portal sessions of people signed in through single sign-on, on SQLite
//! and PostgreSQL: a session holds the union of the roles the person's
//! claims mapped to, and the scopes combine as a union too (someone who
//! produces for `hr` and consumes for an account reads both their domain's
//! and their account's requests, not only rows that are both); sign-out,
//! expiry and the provider's logout end it; audit names subject and issuer.

mod common;

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use common::{TestApp, backends};
use steward_catalog::auth::{HeldRole, Role};
use steward_catalog::clock::{Clock, ManualClock};
use steward_catalog::service::access::{AccessRequestInput, RequestFilter};
use steward_catalog::service::admin::AuditFilter;
use steward_catalog::service::proposals::QueueQuery;
use steward_catalog::service::sessions::NewSession;

const ISSUER: &str = "https://sso.example.com/realms/acme";

fn ann() -> NewSession {
    NewSession {
        issuer: ISSUER.into(),
        subject: "ann".into(),
        display_name: "Ann Both".into(),
        email: "ann@example.com".into(),
        roles: vec![
            HeldRole { role: Role::Consumer, scopes: vec!["999988887777".into()] },
            HeldRole { role: Role::Producer, scopes: vec!["hr".into()] },
        ],
        provider_sid: Some("sid-1".into()),
    }
}

#[tokio::test]
async fn a_session_holds_the_union_of_roles_and_ends() {
    for backend in backends().await {
        eprintln!("-- on {backend}");
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 2, 9, 0, 0).unwrap()));
        let app = TestApp::builder(backend).clock(clock.clone() as Arc<dyn Clock>).start().await;
        app.published_with_grant().await; // carla (123456789012) asked for and holds sales.orders
        let s = &app.service;

        let secret = s.start_portal_session(&ann(), Duration::hours(12)).await.unwrap();
        assert!(secret.starts_with("sts_") && secret.len() == 68, "{secret}");
        let who = s.portal_session(&secret).await.unwrap().expect("a live session");
        assert_eq!(who.name, format!("ann ({ISSUER})"));
        assert_eq!(who.display_name.as_deref(), Some("Ann Both"));
        assert_eq!(who.role, Role::Producer, "the most powerful role leads");
        assert!(who.produces_for("hr") && !who.produces_for("sales"));
        assert!(who.consumes_for("999988887777") && !who.consumes_for("123456789012"));
        assert!(s.authenticate(&secret).await.unwrap().is_none(), "a session secret is no API token");

        // Their own request on another domain's product: a consumer's row.
        let input = AccessRequestInput {
            account: "999988887777".into(),
            justification: "headcount model".into(),
            duration_days: Some(30),
        };
        let mine = s.request_access(&who, "sales.orders", &input).await.unwrap();
        let seen: Vec<i64> = s
            .access_requests(&who, &RequestFilter { limit: 50, ..Default::default() })
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(seen, [mine.id], "their account's request (not only rows in hr AND their account); not carla's");
        let q = QueueQuery { limit: 50, ..Default::default() };
        let page = s.access_queue(&who, &q).await.unwrap();
        assert_eq!(page.items.iter().map(|r| r.id).collect::<Vec<_>>(), [mine.id], "the paged queue agrees");
        assert!(s.proposal_queue(&who, &q).await.is_ok(), "a producer reads proposals (their domain's)");

        // Sign-out ends it; audit names the person by subject and issuer.
        s.end_portal_session(&who, &secret).await.unwrap();
        assert!(s.portal_session(&secret).await.unwrap().is_none(), "ended");
        let admin = s.authenticate(&app.admin).await.unwrap().unwrap();
        let filter =
            AuditFilter { actor: Some(who.name.clone()), action: None, target: None, before_id: None, limit: 20 };
        let mut actions: Vec<String> =
            s.audit_log(&admin, &filter).await.unwrap().into_iter().map(|e| e.action).collect();
        actions.sort();
        assert_eq!(actions, ["access.request", "session.end", "session.start"]);

        // Expiry, by the service's clock.
        let secret = s.start_portal_session(&ann(), Duration::hours(12)).await.unwrap();
        clock.advance(Duration::hours(11));
        assert!(s.portal_session(&secret).await.unwrap().is_some());
        clock.advance(Duration::hours(1));
        assert!(s.portal_session(&secret).await.unwrap().is_none(), "past session_hours");

        // The provider's logout: by its session id, or every session of a subject.
        let a = s.start_portal_session(&ann(), Duration::hours(12)).await.unwrap();
        let b = s
            .start_portal_session(&NewSession { provider_sid: Some("sid-2".into()), ..ann() }, Duration::hours(12))
            .await
            .unwrap();
        assert_eq!(s.end_provider_sessions(ISSUER, None, Some("sid-1")).await.unwrap(), 1);
        assert!(s.portal_session(&a).await.unwrap().is_none() && s.portal_session(&b).await.unwrap().is_some());
        assert_eq!(
            s.end_provider_sessions("https://other.example.com", Some("ann"), None).await.unwrap(),
            0,
            "another issuer's ann"
        );
        assert_eq!(s.end_provider_sessions(ISSUER, Some("ann"), None).await.unwrap(), 1);
        assert!(s.portal_session(&b).await.unwrap().is_none());

        // Nothing malformed is looked up, and a session needs a role.
        assert!(s.portal_session("sts_zz").await.unwrap().is_none());
        let none = NewSession { roles: vec![], ..ann() };
        assert!(s.start_portal_session(&none, Duration::hours(1)).await.is_err());
    }
}
