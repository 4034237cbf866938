//! A recording, error-injecting HTTP proxy in front of moto.
//!
//! Point an SDK client at [`RecordingProxy::url`] (e.g. with
//! [`super::config_for`]) and every AWS call goes through it: it records the
//! service (from the SigV4 credential scope of the `Authorization` header),
//! the operation (from `X-Amz-Target` for JSON 1.1 services such as Glue,
//! from the `Action` parameter for query services such as SNS, else from the
//! last path segment for REST-JSON services such as Lake Formation and RAM),
//! and the body; then forwards the call to moto and relays moto's answer.
//!
//! [`RecordingProxy::fail`] makes the next `n` calls of an operation answer
//! with an AWS error in the service's protocol instead (what real AWS says
//! and moto never would); [`RecordingProxy::answer`] makes them answer with a
//! given JSON body (for operations moto lacks, or answers AWS shapes but moto
//! does not fill, e.g. per-entry `Failures` of Lake Formation batch calls).
//!
//! Protocols (botocore `service-2.json`, `metadata.protocol`): Glue `json`
//! (JSON 1.1, `X-Amz-Target: AWSGlue.<Op>`); Lake Formation and RAM
//! `rest-json` (`POST /<Op>`, RAM paths lower-case); SNS `query`. JSON errors
//! carry `__type` and the `X-Amzn-ErrorType` header; query errors an XML
//! `ErrorResponse`.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One recorded AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The SigV4 signing name, e.g. `glue`, `lakeformation`, `ram`, `sns`.
    pub service: String,
    /// The operation as the wire names it, e.g. `CreateDatabase`,
    /// `BatchGrantPermissions`, `createresourceshare`.
    pub operation: String,
    /// The calling account (`x-moto-account-id`), if sent.
    pub account: Option<String>,
    /// HTTP method and path with query.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The request body (JSON, or form-encoded for query services).
    pub body: String,
    /// Did the proxy answer it (an injection) instead of moto?
    pub injected: bool,
}

impl Call {
    /// Is this `service` `operation` (operation compared case-insensitively)?
    pub fn is(&self, service: &str, operation: &str) -> bool {
        self.service == service && self.operation.eq_ignore_ascii_case(operation)
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Debug, Clone)]
enum Reply {
    Error { status: u16, code: String, message: String },
    Json { status: u16, body: serde_json::Value },
}

#[derive(Debug)]
struct Injection {
    service: String,
    operation: String,
    remaining: usize,
    reply: Reply,
}

#[derive(Debug, Default)]
struct Inner {
    calls: Vec<Call>,
    injections: Vec<Injection>,
}

#[derive(Debug, Clone)]
struct Shared {
    upstream: String,
    inner: Arc<Mutex<Inner>>,
    /// The moto account for calls that name none (e.g. from `steward serve`).
    account: Option<String>,
}

/// The proxy; it stops when dropped.
#[derive(Debug)]
pub struct RecordingProxy {
    url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RecordingProxy {
    /// A proxy on a free loopback port forwarding to `upstream` (`http://host:port`).
    pub async fn start(upstream: &str) -> RecordingProxy {
        Self::start_with(upstream, None).await
    }

    /// A proxy that acts as moto account `account` for calls that carry no
    /// `x-moto-account-id` (a `steward serve` or CLI process cannot add
    /// it), so a test of the real binary gets an account of its own.
    pub async fn start_as(upstream: &str, account: &str) -> RecordingProxy {
        Self::start_with(upstream, Some(account.to_owned())).await
    }

    async fn start_with(upstream: &str, account: Option<String>) -> RecordingProxy {
        let shared = Shared { upstream: upstream.trim_end_matches('/').to_owned(), inner: Arc::default(), account };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the recording proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RecordingProxy { url, shared, task }
    }

    /// The endpoint URL to give SDK clients.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.inner().calls.clone()
    }

    /// The calls of `service` `operation` so far.
    pub fn calls_to(&self, service: &str, operation: &str) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.is(service, operation)).collect()
    }

    /// Forgets the calls recorded so far.
    pub fn clear(&self) {
        self.inner().calls.clear();
    }

    /// The next `times` calls of `service` `operation` answer with the AWS
    /// error `code` (e.g. `AccessDeniedException`), HTTP `status` and `message`.
    pub fn fail(&self, service: &str, operation: &str, times: usize, status: u16, code: &str, message: &str) {
        self.inject(service, operation, times, Reply::Error { status, code: code.into(), message: message.into() });
    }

    /// The next `times` calls of `service` `operation` answer HTTP 200 with `body`.
    pub fn answer(&self, service: &str, operation: &str, times: usize, body: serde_json::Value) {
        self.inject(service, operation, times, Reply::Json { status: 200, body });
    }

    fn inject(&self, service: &str, operation: &str, times: usize, reply: Reply) {
        self.inner().injections.push(Injection {
            service: service.into(),
            operation: operation.into(),
            remaining: times,
            reply,
        });
    }
}

/// The signing name in `Authorization: AWS4-HMAC-SHA256 Credential=AK/date/region/service/aws4_request`.
fn service_of(auth: &str) -> String {
    auth.split("Credential=")
        .nth(1)
        .and_then(|c| c.split(',').next())
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_owned()
}

fn operation_of(target: Option<&str>, body: &str, path: &str) -> String {
    if let Some(t) = target {
        return t.rsplit('.').next().unwrap_or(t).to_owned();
    }
    if let Some(action) = body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return action.to_owned();
    }
    let path = path.split('?').next().unwrap_or(path);
    path.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned()
}

async fn handle(State(shared): State<Shared>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&body).into_owned();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let path = parts.uri.path_and_query().map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let service = service_of(&header("authorization").unwrap_or_default());
    let operation = operation_of(header("x-amz-target").as_deref(), &text, &path);
    let reply = {
        let mut inner = shared.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let found = inner
            .injections
            .iter_mut()
            .find(|i| i.remaining > 0 && i.service == service && i.operation.eq_ignore_ascii_case(&operation));
        let reply = found.map(|i| {
            i.remaining -= 1;
            i.reply.clone()
        });
        inner.calls.push(Call {
            service: service.clone(),
            operation: operation.clone(),
            account: header(super::ACCOUNT_HEADER),
            method: parts.method.to_string(),
            path: path.clone(),
            body: text,
            injected: reply.is_some(),
        });
        reply
    };
    if let Some(reply) = reply {
        return render(&service, reply);
    }
    let mut parts = parts;
    if let Some(account) = &shared.account
        && !parts.headers.contains_key(super::ACCOUNT_HEADER)
        && let Ok(v) = HeaderValue::from_str(account)
    {
        parts.headers.insert(super::ACCOUNT_HEADER, v);
    }
    match forward(&shared.upstream, &parts, &path, &body).await {
        Ok(r) => r,
        Err(e) => plain(StatusCode::BAD_GATEWAY, format!("recording proxy: upstream failed: {e}")),
    }
}

fn plain(status: StatusCode, text: String) -> Response {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r
}

/// An injected answer in `service`'s protocol.
fn render(service: &str, reply: Reply) -> Response {
    let (status, content_type, body, error_type) = match reply {
        Reply::Json { status, body } => {
            let ct = if service == "glue" { "application/x-amz-json-1.1" } else { "application/json" };
            (status, ct, body.to_string(), None)
        }
        Reply::Error { status, code, message } if service == "sns" => {
            let xml = format!(
                "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>Sender</Type>\
                 <Code>{code}</Code><Message>{}</Message></Error><RequestId>steward-proxy</RequestId></ErrorResponse>",
                message.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
            );
            (status, "text/xml", xml, None)
        }
        Reply::Error { status, code, message } => {
            let ct = if service == "glue" { "application/x-amz-json-1.1" } else { "application/json" };
            let body = serde_json::json!({ "__type": code, "message": message, "Message": message });
            (status, ct, body.to_string(), Some(code))
        }
    };
    let mut r = plain(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), body);
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static(content_type));
    h.insert("x-amzn-requestid", HeaderValue::from_static("steward-proxy"));
    if let Some(code) = error_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
        h.insert("x-amzn-errortype", code);
    }
    r
}

/// Sends the request to `upstream` over HTTP/1.0 (so that the answer is not
/// chunked) and relays the answer.
async fn forward(
    upstream: &str,
    parts: &axum::http::request::Parts,
    path: &str,
    body: &[u8],
) -> Result<Response, std::io::Error> {
    let authority = upstream.strip_prefix("http://").unwrap_or(upstream);
    let mut head = format!("{} {path} HTTP/1.0\r\nHost: {authority}\r\n", parts.method);
    for (name, value) in &parts.headers {
        if matches!(name.as_str(), "host" | "connection" | "content-length" | "transfer-encoding" | "expect") {
            continue;
        }
        head.push_str(&format!("{}: {}\r\n", name, String::from_utf8_lossy(value.as_bytes())));
    }
    head.push_str(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()));
    let mut s = tokio::net::TcpStream::connect(authority).await?;
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers in the upstream answer"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut payload = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| std::io::Error::other("no status in the upstream answer"))?;
    let mut r = plain(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY), String::new());
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let name = name.trim().to_ascii_lowercase();
        if name == "transfer-encoding" {
            chunked = value.trim().eq_ignore_ascii_case("chunked");
            continue;
        }
        if matches!(name.as_str(), "content-length" | "connection") {
            continue;
        }
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_str(value.trim())) {
            r.headers_mut().append(n, v);
        }
    }
    if chunked {
        payload = dechunk(&payload);
    }
    *r.body_mut() = Body::from(payload);
    Ok(r)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).split(';').next().unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        let end = (start + size).min(data.len());
        out.extend_from_slice(&data[start..end]);
        data = data.get(end + 2..).unwrap_or_default();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_and_operations_from_the_wire() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIA/20261201/eu-west-1/lakeformation/aws4_request, SignedHeaders=host";
        assert_eq!(service_of(auth), "lakeformation");
        assert_eq!(operation_of(Some("AWSGlue.CreateDatabase"), "{}", "/"), "CreateDatabase");
        assert_eq!(operation_of(None, "Action=Publish&Version=2010-03-31", "/"), "Publish");
        assert_eq!(operation_of(None, "{}", "/BatchGrantPermissions"), "BatchGrantPermissions");
        assert_eq!(operation_of(None, "{}", "/createresourceshare?x=1"), "createresourceshare");
        assert_eq!(dechunk(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"), b"abcde");
    }
}
