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
use steward_catalog::clock::{Clock, SystemClock};
use steward_catalog::config::OutboxSettings;
use steward_catalog::server::{EffectBackends, OutboxWorker};
use steward_catalog::service::{BackendChoices, Service, ServiceBuilder};
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
    /// The database URL, for tests that read or write rows as an older
    /// version (or an operator with psql) would.
    pub db_url: String,
    /// What the in-memory mailer and webhook sink of
    /// [`TestApp::memory_worker`] sent.
    pub mail: steward_notify::MailLog,
    pub hooks: steward_notify::WebhookLog,
    memory: (steward_notify::Mailer, steward_notify::WebhookSender),
    /// Dropped last: the test's PostgreSQL database, if any.
    _pg: Option<steward_testkit::PgDatabase>,
}

fn fast_retries() -> OutboxSettings {
    OutboxSettings { base_backoff_ms: 1, max_backoff_secs: 1, ..Default::default() }
}

/// Builds a [`TestApp`]: a database (`sqlite` or `postgres`), a clock and
/// backend switches; then [`TestAppBuilder::start`].
pub struct TestAppBuilder {
    backend: &'static str,
    clock: Arc<dyn Clock>,
    backends: BackendChoices,
    knows_data_dir: bool,
    upstream: Option<steward_registry::Upstream>,
    accept_external_merges: bool,
    identity: Option<Arc<steward_identity::Verifier>>,
    policy: steward_policies::Policy,
}

impl TestAppBuilder {
    /// A governance policy other than the built-in one.
    pub fn policy(mut self, policy: steward_policies::Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Accept JWTs of trusted issuers (workload identity).
    pub fn identity(mut self, verifier: steward_identity::Verifier) -> Self {
        self.identity = Some(Arc::new(verifier));
        self
    }

    /// A manual clock for SLO scenarios, say.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Backend switches (e.g. a webhook policy that allows loopback).
    pub fn backends(mut self, backends: BackendChoices) -> Self {
        self.backends = backends;
        self
    }

    /// The git remote holding the registry's truth (a path or URL).
    pub fn upstream(mut self, upstream: String) -> Self {
        self.upstream = Some(steward_registry::Upstream::new(upstream));
        self
    }

    /// The upstream with credentials.
    pub fn upstream_with(mut self, upstream: steward_registry::Upstream) -> Self {
        self.upstream = Some(upstream);
        self
    }

    /// `registry.accept_external_merges`.
    pub fn accept_external_merges(mut self) -> Self {
        self.accept_external_merges = true;
        self
    }

    /// The service knows its data dir (as `steward serve` does), so local
    /// locations resolve in its `lake/`.
    pub fn knows_data_dir(mut self) -> Self {
        self.knows_data_dir = true;
        self
    }

    pub async fn start(self) -> TestApp {
        TestApp::start_with(self).await
    }
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

/// A reviewer principal that no token stands for, for calling service
/// methods directly (search at scale, migrations).
pub fn reader() -> Principal {
    Principal {
        id: 0,
        name: "reader".into(),
        email: String::new(),
        role: Role::Reviewer,
        scopes: vec![],
        subject: None,
        issuer: None,
        also: Vec::new(),
        display_name: None,
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
        Self::builder(backend).start().await
    }

    pub fn builder(backend: &'static str) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            clock: Arc::new(SystemClock),
            backends: BackendChoices::default(),
            knows_data_dir: false,
            upstream: None,
            accept_external_merges: false,
            identity: None,
            policy: steward_policies::Policy::default(),
        }
    }

    /// A second replica: its own data dir and registry cache, this app's
    /// database, upstream and tokens. Its workers are the test's to start.
    pub async fn replica(&self) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let service = ServiceBuilder::new(self.db_url.clone(), dir.path().join("registry.git"))
            .clock(self.service.clock().clone())
            .policy(self.service.policy().clone())
            .backends(self.service.backends().clone())
            .upstream(self.service.upstream().cloned())
            .build()
            .await
            .unwrap();
        let router =
            api::router(AppState { service: service.clone(), metrics: Arc::new(api::ops::Metrics::default()) });
        TestApp {
            dir,
            service,
            router,
            admin: self.admin.clone(),
            reviewer: self.reviewer.clone(),
            reviewer2: self.reviewer2.clone(),
            producer: self.producer.clone(),
            hr_producer: self.hr_producer.clone(),
            consumer: self.consumer.clone(),
            backend: self.backend,
            db_url: self.db_url.clone(),
            mail: self.mail.clone(),
            hooks: self.hooks.clone(),
            memory: self.memory.clone(),
            _pg: None,
        }
    }

    /// A connection of the test's own to the service's database.
    pub async fn sql(&self) -> sqlx::AnyConnection {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.db_url).await.unwrap()
    }

    /// A service with a given clock and backend switches (e.g. a manual
    /// clock for SLO scenarios, a webhook policy that allows loopback).
    async fn start_with(b: TestAppBuilder) -> Self {
        let TestAppBuilder {
            backend,
            clock,
            mut backends,
            knows_data_dir,
            upstream,
            accept_external_merges,
            identity,
            policy,
        } = b;
        let dir = tempfile::tempdir().unwrap();
        if knows_data_dir {
            backends.data_dir = Some(dir.path().to_owned());
        }
        let pg = match backend {
            "sqlite" => None,
            _ => Some(steward_testkit::postgres().await.expect("postgres available")),
        };
        let url = pg.as_ref().map_or_else(|| steward_testkit::sqlite_url(dir.path()), |pg| pg.url().to_owned());
        let service = ServiceBuilder::new(url.clone(), dir.path().join("registry.git"))
            .clock(clock)
            .policy(policy)
            .backends(backends)
            .upstream(upstream)
            .accept_external_merges(accept_external_merges)
            .identity(identity)
            .build()
            .await
            .unwrap();
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
        let (mailer, mail) = steward_notify::Mailer::memory();
        let (webhooks, hooks) = steward_notify::WebhookSender::memory(&steward_notify::WebhookSettings {
            allow_private: true,
            ..Default::default()
        });
        Self {
            dir,
            service,
            router,
            admin,
            reviewer,
            reviewer2,
            producer,
            hr_producer,
            consumer,
            backend,
            db_url: url,
            mail,
            hooks,
            memory: (mailer, webhooks),
            _pg: pg,
        }
    }

    /// An outbox worker over this service with markers under
    /// `<dir>/objects`: email to `smtp` if given (none: email jobs
    /// dead-letter, as on a server without `smtp`); webhooks over HTTP
    /// (loopback allowed).
    pub fn worker(&self, smtp: Option<steward_notify::SmtpSettings>) -> OutboxWorker {
        let webhooks = steward_notify::WebhookSettings { allow_private: true, timeout_secs: 5, ..Default::default() };
        let mailer = smtp.map(|s| steward_notify::Mailer::new(&s).unwrap());
        self.worker_with(mailer, steward_notify::WebhookSender::new(&webhooks).unwrap())
    }

    /// An outbox worker whose email and webhooks go to the in-memory
    /// [`TestApp::mail`] and [`TestApp::hooks`]: no SMTP or HTTP server needed.
    pub fn memory_worker(&self) -> OutboxWorker {
        self.worker_with(Some(self.memory.0.clone()), self.memory.1.clone())
    }

    fn worker_with(
        &self,
        mailer: Option<steward_notify::Mailer>,
        webhooks: steward_notify::WebhookSender,
    ) -> OutboxWorker {
        self.worker_for(EffectBackends {
            glue: None,
            shares: None,
            markers: steward_aws::Markers::local(self.dir.path().join("objects")),
            mailer,
            webhooks,
            sns: None,
        })
    }

    /// An outbox worker over this service through `backends`, retrying fast.
    pub fn worker_for(&self, backends: EffectBackends) -> OutboxWorker {
        OutboxWorker::new(&self.service, backends, fast_retries(), Default::default())
    }

    /// [`TestApp::worker`] (no SMTP) with its settings changed by `tune`.
    pub fn worker_tuned(&self, tune: impl FnOnce(&mut OutboxSettings)) -> OutboxWorker {
        let mut settings = fast_retries();
        tune(&mut settings);
        let webhooks = steward_notify::WebhookSettings { allow_private: true, timeout_secs: 5, ..Default::default() };
        let backends = EffectBackends {
            glue: None,
            shares: None,
            markers: steward_aws::Markers::local(self.dir.path().join("objects")),
            mailer: None,
            webhooks: steward_notify::WebhookSender::new(&webhooks).unwrap(),
            sns: None,
        };
        OutboxWorker::new(&self.service, backends, settings, Default::default())
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
