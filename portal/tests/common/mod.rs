//! A Steward service on a temp data dir (opened the way `steward serve`
//! opens it), the portal router over it, and helpers to sign in and post
//! forms like a browser would.

#![allow(dead_code)]

pub mod browser;
pub mod seed;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use steward_catalog::api::{self, AppState};
use steward_catalog::auth::{Principal, Role};
use steward_catalog::service::Service;
use tower::ServiceExt;

pub struct Portal {
    pub dir: tempfile::TempDir,
    pub service: Service,
    pub state: AppState,
    pub router: Router,
    pub reviewer: String,
    pub producer: String,
    pub consumer: String,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").expect("page has a CSRF field") + 19;
        self.body[at..].split('"').next().unwrap().to_owned()
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_owned()).collect()
    }
}

/// `sales.orders` with another product name, description or version.
pub fn contract(product: &str, version: &str, purpose: Option<&str>) -> String {
    let mut yaml = steward_testkit::sales_orders()
        .replace("dataProduct: orders", &format!("dataProduct: {product}"))
        .replace("s3://steward-sales/orders/", &format!("s3://steward-sales/{product}/"))
        .replace("version: 1.0.0", &format!("version: {version}"));
    if let Some(p) = purpose {
        let line = "  purpose: Every confirmed customer order, one row per order line, as booked by the order service.";
        assert!(yaml.contains(line), "example changed; update the fixture");
        yaml = yaml.replace(line, &format!("  purpose: {}", serde_json::to_string(p).unwrap()));
    }
    yaml
}

impl Portal {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = steward_catalog::config::Config::load(None).unwrap();
        config.data_dir = dir.path().to_owned();
        config.database_url = None;
        let service = steward_catalog::server::open(&config).await.unwrap();
        service.bootstrap_admin(dir.path()).await.unwrap().expect("first start creates the admin token");
        let admin = std::fs::read_to_string(dir.path().join("admin.token")).unwrap().trim().to_owned();
        let root = service.authenticate(&admin).await.unwrap().unwrap();
        let reviewer = service.create_token(&root, "rita", None, Role::Reviewer, vec![]).await.unwrap().token;
        let producer =
            service.create_token(&root, "paul", None, Role::Producer, vec!["sales".into()]).await.unwrap().token;
        let consumer = service
            .create_token(&root, "carla", None, Role::Consumer, vec!["123456789012".into()])
            .await
            .unwrap()
            .token;
        let state = AppState { service: service.clone(), metrics: Arc::new(api::ops::Metrics::default()) };
        // Exactly how `steward serve` mounts the portal: beside the API.
        let router = steward_portal::router(state.clone()).merge(api::router(state.clone()));
        Self { dir, service, state, router, reviewer, producer, consumer }
    }

    /// The admin token `steward serve` wrote on first start.
    pub fn admin_token(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("admin.token")).unwrap().trim().to_owned()
    }

    /// Serves the portal and API on 127.0.0.1:0 (as `steward serve` mounts
    /// them); returns the base URL and the server task (abort it at the end).
    pub async fn serve(&self) -> (String, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let router = self.router.clone();
        (base, tokio::spawn(async move { axum::serve(listener, router).await.unwrap() }))
    }

    /// A JSON call to the API mounted beside the portal.
    pub async fn api(
        &self,
        method: &str,
        uri: &str,
        token: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let page = self.send(req).await;
        (page.status, serde_json::from_str(&page.body).unwrap_or(serde_json::Value::String(page.body)))
    }

    pub async fn principal(&self, token: &str) -> Principal {
        self.service.authenticate(token).await.unwrap().unwrap()
    }

    /// Submits as the producer; returns the proposal id.
    pub async fn submit(&self, yaml: &str) -> i64 {
        let who = self.principal(&self.producer).await;
        self.service.submit(&who, yaml).await.unwrap().id
    }

    /// Submits and approves; returns the proposal id.
    pub async fn publish(&self, yaml: &str) -> i64 {
        let id = self.submit(yaml).await;
        let who = self.principal(&self.reviewer).await;
        self.service.approve(&who, id, Some("ok")).await.unwrap();
        id
    }

    pub async fn send(&self, req: Request<Body>) -> Page {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&self, uri: &str, cookie: Option<&str>) -> Page {
        let mut req = Request::get(uri);
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    pub async fn post(&self, uri: &str, cookie: Option<&str>, form: &str) -> Page {
        let mut req = Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::from(form.to_owned())).unwrap()).await
    }

    /// Signs in through the form; returns the `Cookie` header value for the session.
    pub async fn sign_in(&self, token: &str) -> String {
        let form = self.get("/signin", None).await;
        let nonce = form.csrf();
        let done = self
            .post("/signin", Some(&format!("steward_signin={nonce}")), &format!("csrf={nonce}&token={token}&next=%2F"))
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let session = done
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("steward_session="))
            .expect("sign-in sets the session cookie");
        session.split(';').next().unwrap().to_owned()
    }
}
