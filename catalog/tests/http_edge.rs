//! The HTTP edge: connection timeouts and cap of the server loop, the bearer
//! scheme's case, token name and e-mail checks.

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::{TestApp, each_db};
use serde_json::json;
use steward_catalog::config::HttpSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Starts the server loop over `app` on a loopback port; stops when the sender drops.
async fn serve(app: axum::Router, limits: HttpSettings) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        steward_catalog::server::serve_http(listener, app, &limits, async {
            let _ = rx.await;
        })
        .await;
    });
    (addr, tx)
}

fn hello() -> axum::Router {
    axum::Router::new()
        .route("/", axum::routing::get(|| async { "ok" }))
        .route("/echo", axum::routing::post(|body: axum::body::Bytes| async move { body.len().to_string() }))
}

/// One request on a fresh connection; the response's status line.
async fn get(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    request_on(&mut s).await
}

async fn request_on(s: &mut TcpStream) -> String {
    s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await.expect("a response").unwrap();
    String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or_default().to_owned()
}

/// Waits until the server closes `s` (EOF or reset); how long it took.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), s.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue, // e.g. an error response before the close
        }
    }
}

#[tokio::test]
async fn half_sent_requests_are_closed_after_the_header_timeout() {
    let limits = HttpSettings { header_read_timeout_secs: 1, idle_timeout_secs: 30, max_connections: 1024 };
    let (addr, _stop) = serve(hello(), limits).await;
    let mut slow = Vec::new();
    for _ in 0..100 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nX-Slow: ").await.unwrap();
        slow.push(s);
    }
    // Others are served meanwhile.
    assert_eq!(get(addr).await, "HTTP/1.1 200 OK");
    for s in &mut slow {
        let took = closed_within(s, Duration::from_secs(6)).await.expect("a half-sent request is closed");
        assert!(took < Duration::from_secs(6), "{took:?}");
    }
    assert_eq!(get(addr).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn idle_connections_are_closed_after_the_idle_timeout_not_the_header_timeout() {
    let limits = HttpSettings { header_read_timeout_secs: 1, idle_timeout_secs: 3, max_connections: 1024 };
    let (addr, _stop) = serve(hello(), limits).await;
    let mut idle = TcpStream::connect(addr).await.unwrap();
    // Past the header timeout, with no byte sent: still open, and usable.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(request_on(&mut idle).await, "HTTP/1.1 200 OK");
    // Idle again after the response (keep-alive): closed after the idle timeout.
    let started = Instant::now();
    closed_within(&mut idle, Duration::from_secs(8)).await.expect("an idle connection is closed");
    assert!(started.elapsed() >= Duration::from_millis(2500), "closed too early: {:?}", started.elapsed());
    // A body that stalls fails the request within the idle timeout instead of waiting forever.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten b").await.unwrap();
    closed_within(&mut s, Duration::from_secs(8)).await.expect("a stalled body ends the connection");
}

#[tokio::test]
async fn the_connection_cap_holds() {
    let limits = HttpSettings { header_read_timeout_secs: 30, idle_timeout_secs: 30, max_connections: 3 };
    let (addr, _stop) = serve(hello(), limits).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        assert_eq!(request_on(&mut s).await, "HTTP/1.1 200 OK");
        held.push(s);
    }
    // A fourth connection waits in the backlog: no answer while three are open.
    let mut fourth = TcpStream::connect(addr).await.unwrap();
    fourth.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 256];
    assert!(
        tokio::time::timeout(Duration::from_millis(800), fourth.read(&mut buf)).await.is_err(),
        "the fourth connection was served beyond the cap"
    );
    // One closes: the fourth is served.
    drop(held.pop());
    let n = tokio::time::timeout(Duration::from_secs(5), fourth.read(&mut buf)).await.expect("served").unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200 OK"));
}

#[tokio::test]
async fn the_real_router_is_served_with_limits() {
    let app = TestApp::start("sqlite").await;
    let limits = HttpSettings { header_read_timeout_secs: 1, idle_timeout_secs: 5, max_connections: 8 };
    let (addr, _stop) = serve(app.router.clone(), limits).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    let mut buf = vec![0u8; 512];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200 OK"));
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::start("sqlite").await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let req = axum::http::Request::get("/api/v1/products")
            .header("authorization", format!("{scheme} {}", app.consumer))
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = tower::ServiceExt::oneshot(app.router.clone(), req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{scheme}");
    }
    let req = axum::http::Request::get("/api/v1/products")
        .header("authorization", format!("Basic {}", app.consumer))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(app.router.clone(), req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_names_and_emails_are_checked_at_creation() {
    each_db(|app: TestApp| async move {
        for (body, field) in [
            (json!({"name": "steward", "role": "reviewer"}), "name"),
            (json!({"name": "STEWARD", "role": "reviewer"}), "name"),
            (json!({"name": "-dash", "role": "reviewer"}), "name"),
            (json!({"name": "a b", "role": "reviewer"}), "name"),
            (json!({"name": "x".repeat(65), "role": "reviewer"}), "name"),
            (json!({"name": "ok", "role": "reviewer", "email": "not-an-address"}), "email"),
            (json!({"name": "ok", "role": "reviewer", "email": "a@b.com\r\nBcc: c@d.com"}), "email"),
            (json!({"name": "ok", "role": "reviewer", "email": "a b@c.com"}), "email"),
            (json!({"name": "ok", "role": "reviewer", "email": "a@localhost"}), "email"),
        ] {
            let (s, resp) = app.json("POST", "/api/v1/tokens", &app.admin, body.clone()).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {resp}");
            let message = resp["message"].as_str().unwrap();
            assert!(message.contains(field), "{body}: {message}");
        }
        let (s, resp) = app
            .json(
                "POST",
                "/api/v1/tokens",
                &app.admin,
                json!({"name": "ci.bot-1", "role": "reviewer", "email": "ci@example.com"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{resp}");
    })
    .await;
}
