//! An in-process webhook receiver (axum on 127.0.0.1:0) that records every request
//! and can be told to answer a path slowly or with a given status, to exercise the
//! sender's timeouts and retry classification.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};

/// One request as the sink received it.
#[derive(Debug, Clone)]
pub struct ReceivedRequest {
    pub method: String,
    /// Path and query, e.g. `/hooks/1?x=y`.
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub received_at: Instant,
}

impl ReceivedRequest {
    /// A header's value as text (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Debug, Default)]
struct Behaviour {
    status: Option<u16>,
    delay: Option<Duration>,
    retry_after: Option<u64>,
}

#[derive(Debug, Default)]
struct Shared {
    requests: Mutex<Vec<ReceivedRequest>>,
    behaviours: Mutex<HashMap<String, Behaviour>>,
}

/// The running receiver; the server stops accepting when this is dropped.
#[derive(Debug)]
pub struct WebhookSink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

impl WebhookSink {
    /// Starts the receiver on a free loopback port. Every path answers 200 unless told otherwise.
    pub async fn start() -> WebhookSink {
        let shared = Arc::new(Shared::default());
        let app = Router::new().fallback(record).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("webhook sink on {addr} stopped: {e}");
            }
        });
        WebhookSink { addr, shared, server }
    }

    /// The address the sink listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port><path>`; `path` should start with `/`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Makes `path` answer with `status` (still recording the request).
    pub fn respond_with(&self, path: &str, status: u16) {
        self.shared.behaviours.lock().expect("sink lock").entry(path.to_owned()).or_default().status = Some(status);
    }

    /// Makes `path` answer with a `Retry-After: <secs>` header too.
    pub fn retry_after(&self, path: &str, secs: u64) {
        self.shared.behaviours.lock().expect("sink lock").entry(path.to_owned()).or_default().retry_after = Some(secs);
    }

    /// Makes `path` wait `delay` before answering.
    pub fn delay(&self, path: &str, delay: Duration) {
        self.shared.behaviours.lock().expect("sink lock").entry(path.to_owned()).or_default().delay = Some(delay);
    }

    /// Every request received so far, in arrival order (recorded on arrival, before any delay).
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.shared.requests.lock().expect("sink lock").clone()
    }

    /// The number of requests received so far.
    pub fn count(&self) -> usize {
        self.shared.requests.lock().expect("sink lock").len()
    }

    /// Waits until at least `n` requests arrived or `timeout` passed; returns what is there.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedRequest> {
        let deadline = Instant::now() + timeout;
        while self.count() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.requests()
    }
}

impl Drop for WebhookSink {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn record(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, HeaderMap) {
    let path = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| uri.path().to_owned());
    let (status, delay, retry_after) = {
        let behaviours = shared.behaviours.lock().expect("sink lock");
        match behaviours.get(uri.path()) {
            Some(b) => (b.status.unwrap_or(200), b.delay, b.retry_after),
            None => (200, None, None),
        }
    };
    shared.requests.lock().expect("sink lock").push(ReceivedRequest {
        method: method.to_string(),
        path,
        headers,
        body: body.to_vec(),
        received_at: Instant::now(),
    });
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let mut reply = HeaderMap::new();
    if let Some(secs) = retry_after {
        reply.insert("retry-after", secs.into());
    }
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), reply)
}
