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
use steward_catalog::service::Service;
use steward_catalog::store::Store;
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
}

/// The databases every store test runs on: SQLite always, PostgreSQL when reachable.
pub async fn databases(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let mut out = vec![("sqlite", steward_testkit::sqlite_url(dir))];
    if let Some(url) = steward_testkit::postgres().await {
        out.push(("postgres", url));
    }
    out
}

/// Runs `f` once per database.
pub async fn each_db<F, Fut>(f: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let probe = tempfile::tempdir().unwrap();
    for (backend, _) in databases(probe.path()).await {
        let app = TestApp::start(backend).await;
        eprintln!("-- on {backend}");
        f(app).await;
    }
}

impl TestApp {
    pub async fn start(backend: &'static str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = match backend {
            "sqlite" => steward_testkit::sqlite_url(dir.path()),
            _ => steward_testkit::postgres().await.expect("postgres available"),
        };
        let store = Store::connect(&url).await.unwrap();
        let registry = Registry::open_or_init(&dir.path().join("registry.git")).unwrap();
        let service = Service {
            store,
            registry: SharedRegistry::new(registry),
            policy: Arc::new(Policy::default()),
            clock: Arc::new(SystemClock),
            upstream: None,
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
        Self { dir, service, router, admin, reviewer, reviewer2, producer, hr_producer, consumer, backend }
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
