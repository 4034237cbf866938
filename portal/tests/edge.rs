//! The portal's edge: where sign-in may redirect to, and its routes in `/metrics`.

mod common;

use axum::http::StatusCode;
use common::Portal;

/// Signs in with `next` (already form-encoded); the response.
async fn sign_in_with_next(app: &Portal, next: &str) -> common::Page {
    let form = app.get("/signin", None).await;
    let nonce = form.csrf();
    app.post(
        "/signin",
        Some(&format!("steward_signin={nonce}")),
        &format!("csrf={nonce}&token={}&next={next}", app.reviewer),
    )
    .await
}

#[tokio::test]
async fn sign_in_never_redirects_off_site_or_fails_on_odd_next_values() {
    let app = Portal::start().await;
    for next in [
        // A tab (browsers drop it: `//evil.example/x`), raw and percent-encoded in the value.
        "%2F%09%2Fevil.example%2Fx",
        "%2F%2509%2Fevil.example%2Fx",
        "%2F%0A%2Fevil.example",
        "%2F%5Cevil.example",
        "%2F%20%2Fevil.example",
        // CR/LF: header injection, and a 500 before.
        "%2F%0D%0ASet-Cookie%3A%20x%3D1",
        "%2Fx%0D%0A",
        "%2F%00",
        "%2F%2F%2Fevil.example",
    ] {
        let done = sign_in_with_next(&app, next).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "next={next}: {}", done.body);
        assert_eq!(done.location(), "/", "next={next}");
        assert!(done.set_cookies().iter().any(|c| c.starts_with("steward_session=stw_")), "next={next}");
    }
    let done = sign_in_with_next(&app, "%2Fproposals%3Fstatus%3Dall").await;
    assert_eq!(done.location(), "/proposals?status=all");
}

#[tokio::test]
async fn portal_routes_are_counted_in_metrics_by_route_template() {
    let app = Portal::start().await;
    let cookie = app.sign_in(&app.reviewer).await;
    assert_eq!(app.get("/products/sales.nothing", Some(&cookie)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/proposals", Some(&cookie)).await.status, StatusCode::OK);
    let metrics = app.get("/metrics", None).await.body;
    for line in [
        "steward_http_requests_total{method=\"GET\",route=\"/signin\",status=\"200\"} 1",
        "steward_http_requests_total{method=\"POST\",route=\"/signin\",status=\"303\"} 1",
        "steward_http_requests_total{method=\"GET\",route=\"/products/{key}\",status=\"404\"} 1",
        "steward_http_requests_total{method=\"GET\",route=\"/proposals\",status=\"200\"} 1",
    ] {
        assert!(metrics.contains(line), "missing {line} in\n{metrics}");
    }
    assert!(!metrics.contains("sales.nothing"), "raw paths must not be labels");
}

/// Search words reach the service from the portal's form without the API's
/// edge checks: a NUL (which PostgreSQL refuses in text) is a 400 page.
#[tokio::test]
async fn control_characters_in_a_portal_search_are_a_400_page() {
    let app = Portal::start().await;
    let cookie = app.sign_in(&app.reviewer).await;
    for query in ["/?q=a%00b", "/?domain=%00", "/?tag=x%1B", "/?classification=%7F"] {
        let page = app.get(query, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}: {}", page.body);
        assert!(page.body.contains("control character"), "{query}: {}", page.body);
    }
    assert_eq!(app.get("/?q=orders", Some(&cookie)).await.status, StatusCode::OK);
}

/// An unknown path reached from a browser is a portal page; an unknown API
/// path keeps the API's JSON error shape.
#[tokio::test]
async fn unknown_paths_get_a_portal_page_and_unknown_api_paths_json() {
    let app = Portal::start().await;
    let page = app.get("/no/such/page", None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"), "{:?}", page.headers);
    assert!(page.body.contains("There is no page at /no/such/page"), "{}", page.body);
    let api = app.get("/api/v1/no-such-endpoint", None).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    assert!(api.body.contains("\"error\":\"not_found\""), "{}", api.body);
    // Known routes are unaffected.
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/openapi.json", None).await.status, StatusCode::OK);
}
