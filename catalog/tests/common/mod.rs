//! A Steward service on a temp data dir and a given database, driven through
//! the real router with `tower::ServiceExt::oneshot`.

#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use steward_catalog::api::{self, AppState};
use steward_catalog::auth::{Principal, Role};
use steward_catalog::clock::SystemClock;
use steward_catalog::effects::execute::Executor;
use steward_catalog::service::Service;
use steward_catalog::store::Store;
use steward_catalog::worker::outbox::{OutboxSettings, OutboxWorker};
use steward_policies::Policy;
use steward_registry::{Registry, SharedRegistry};
use tower::ServiceExt;

pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub service: Service,
    pub router: Router,
    pub admin: String,
    pub reviewer: String,
    pub reviewer2: String,
    pub producer: String,
    pub hr_producer: String,
    pub consumer: String,
    pub backend: &'static str,
    /// Dropped last: the test's PostgreSQL database, if any.
    _pg: Option<steward_testkit::PgDatabase>,
}

/// A database URL for a test; a PostgreSQL database is dropped with it.
pub struct DbUrl {
    url: String,
    _pg: Option<steward_testkit::PgDatabase>,
}

impl std::ops::Deref for DbUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.url
    }
}

/// The databases every store test runs on: SQLite always, PostgreSQL when reachable.
pub async fn databases(dir: &std::path::Path) -> Vec<(&'static str, DbUrl)> {
    let mut out = vec![("sqlite", DbUrl { url: steward_testkit::sqlite_url(dir), _pg: None })];
    if steward_testkit::postgres_available().await {
        let pg = steward_testkit::postgres().await.expect("postgres available");
        out.push(("postgres", DbUrl { url: pg.url().to_owned(), _pg: Some(pg) }));
    }
    out
}

/// The backends every store test runs on, without making databases.
pub async fn backends() -> Vec<&'static str> {
    let mut out = vec!["sqlite"];
    if steward_testkit::postgres_available().await {
        out.push("postgres");
    }
    out
}

/// Runs `f` once per database.
pub async fn each_db<F, Fut>(f: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for backend in backends().await {
        let app = TestApp::start(backend).await;
        eprintln!("-- on {backend}");
        f(app).await;
    }
}

impl TestApp {
    pub async fn start(backend: &'static str) -> Self {
        Self::start_with(backend, Arc::new(SystemClock), Default::default()).await
    }

    /// A service with a given clock and backend switches (e.g. a manual
    /// clock for SLO scenarios, a webhook policy that allows loopback).
    pub async fn start_with(
        backend: &'static str,
        clock: Arc<dyn steward_catalog::clock::Clock>,
        backends: steward_catalog::service::Backends,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let pg = match backend {
            "sqlite" => None,
            _ => Some(steward_testkit::postgres().await.expect("postgres available")),
        };
        let url = pg.as_ref().map_or_else(|| steward_testkit::sqlite_url(dir.path()), |pg| pg.url().to_owned());
        let store = Store::connect(&url).await.unwrap();
        let registry = Registry::open_or_init(&dir.path().join("registry.git")).unwrap();
        let service = Service {
            store,
            registry: SharedRegistry::new(registry),
            policy: Arc::new(Policy::default()),
            clock,
            upstream: None,
            backends: Arc::new(backends),
        };
        service.bootstrap_admin(dir.path()).await.unwrap().expect("first start creates the admin token");
        let admin = std::fs::read_to_string(dir.path().join("admin.token")).unwrap().trim().to_owned();
        let root = service.authenticate(&admin).await.unwrap().unwrap();
        let mk = |name: &'static str, role: Role, scopes: &[&str]| {
            let service = service.clone();
            let root = root.clone();
            let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
            async move { service.create_token(&root, name, None, role, scopes).await.unwrap().token }
        };
        let reviewer = mk("rita", Role::Reviewer, &[]).await;
        let reviewer2 = mk("rob", Role::Reviewer, &[]).await;
        let producer = mk("paul", Role::Producer, &["sales"]).await;
        let hr_producer = mk("hanna", Role::Producer, &["hr"]).await;
        let consumer = mk("carla", Role::Consumer, &["123456789012"]).await;
        let router =
            api::router(AppState { service: service.clone(), metrics: Arc::new(api::ops::Metrics::default()) });
        Self { dir, service, router, admin, reviewer, reviewer2, producer, hr_producer, consumer, backend, _pg: pg }
    }

    /// An outbox worker over this service: markers under `<dir>/objects`,
    /// webhooks allowed on loopback, email to `smtp` if given.
    pub fn worker(&self, smtp: Option<steward_notify::SmtpSettings>) -> OutboxWorker {
        let webhooks = steward_notify::WebhookSettings { allow_private: true, timeout_secs: 5, ..Default::default() };
        let backends = steward_catalog::effects::backends::Backends {
            glue: None,
            shares: None,
            markers: steward_aws::Markers::local(self.dir.path().join("objects")),
            mailer: smtp.as_ref().map(|s| steward_notify::Mailer::new(s).unwrap()),
            webhooks: steward_notify::WebhookSender::new(&webhooks).unwrap(),
            sns: None,
        };
        let executor = Arc::new(Executor { service: self.service.clone(), backends });
        let settings = OutboxSettings { base_backoff_ms: 1, max_backoff_secs: 1, ..Default::default() };
        OutboxWorker::new(executor, settings, Default::default())
    }

    /// Publishes sales.orders and gives the consumer's account a grant.
    pub async fn published_with_grant(&self) -> i64 {
        self.publish(&steward_testkit::sales_orders()).await;
        self.grant_consumer().await
    }

    /// Requests access for the consumer's account and approves it.
    pub async fn grant_consumer(&self) -> i64 {
        let (s, req) = self
            .call(
                "POST",
                "/api/v1/products/sales.orders/access-requests",
                Some(&self.consumer),
                Some((
                    "application/json",
                    r#"{"account": "123456789012", "justification": "revenue dashboards"}"#.into(),
                )),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{req}");
        let (s, grant) = self
            .call("POST", &format!("/api/v1/access-requests/{}/approve", req["id"]), Some(&self.reviewer), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{grant}");
        grant["id"].as_i64().unwrap()
    }

    /// The consumer subscribes its account to sales.orders; the created subscription.
    pub async fn subscribe(&self, channel: &str, target: &str) -> Value {
        let body = serde_json::json!({"account": "123456789012", "channel": channel, "target": target});
        let (s, sub) = self.json("POST", "/api/v1/products/sales.orders/subscriptions", &self.consumer, body).await;
        assert_eq!(s, StatusCode::CREATED, "{sub}");
        sub
    }

    pub async fn json(&self, method: &str, uri: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(method, uri, Some(token), Some(("application/json", body.to_string()))).await
    }

    pub async fn principal(&self, token: &str) -> Principal {
        self.service.authenticate(token).await.unwrap().unwrap()
    }

    /// Sends a request; returns the status and the body as JSON (or a JSON string for text).
    pub async fn call(
        &self,
        method: &str,
        uri: &str,
        token: Option<&str>,
        body: Option<(&str, String)>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some((content_type, b)) => req.header("content-type", content_type).body(Body::from(b)).unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    pub async fn submit(&self, token: &str, yaml: &str) -> (StatusCode, Value) {
        self.call("POST", "/api/v1/proposals", Some(token), Some(("application/yaml", yaml.to_owned()))).await
    }

    pub async fn approve(&self, token: &str, id: i64) -> (StatusCode, Value) {
        self.call(
            "POST",
            &format!("/api/v1/proposals/{id}/approve"),
            Some(token),
            Some(("application/json", "{\"comment\": \"looks good\"}".into())),
        )
        .await
    }

    /// Submits and approves; returns the proposal id.
    pub async fn publish(&self, yaml: &str) -> i64 {
        let (s, body) = self.submit(&self.producer, yaml).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let id = body["id"].as_i64().unwrap();
        let (s, body) = self.approve(&self.reviewer, id).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        id
    }
}
