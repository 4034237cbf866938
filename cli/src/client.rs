//! The HTTP client the producer, reviewer and admin commands share.
//! Reads STEWARD_URL (default http://127.0.0.1:8080) and STEWARD_TOKEN.

use clap::Args;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::output::render_finding_json;

#[derive(Args, Clone)]
pub struct ClientArgs {
    /// Steward server URL.
    #[arg(long, env = "STEWARD_URL", default_value = "http://127.0.0.1:8080", global = true)]
    pub url: String,
    /// API token.
    #[arg(long, env = "STEWARD_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Print the server's JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// A failed call, already worded for the terminal.
#[derive(Debug)]
pub struct ClientError {
    pub message: String,
    /// The server said the input was wrong (exit 1) rather than usage/transport (exit 2).
    pub rejected: bool,
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Client {
    pub fn new(args: &ClientArgs) -> Self {
        Self {
            http: reqwest::Client::builder().timeout(std::time::Duration::from_secs(60)).build().expect("HTTP client"),
            base: args.url.trim_end_matches('/').to_owned(),
            token: args.token.clone(),
        }
    }

    /// Sends a request and returns the JSON body of a 2xx answer.
    pub async fn call(&self, method: Method, path: &str, body: Option<Body>) -> Result<Value, ClientError> {
        let Some(token) = &self.token else {
            return Err(ClientError {
                message: "no token: set STEWARD_TOKEN (or pass --token)".to_owned(),
                rejected: false,
            });
        };
        let url = format!("{}{path}", self.base);
        let mut req = self.http.request(method, &url).bearer_auth(token);
        req = match body {
            Some(Body::Yaml(text)) => req.header("content-type", "application/yaml").body(text),
            Some(Body::Json(v)) => req.json(&v),
            None => req,
        };
        let resp = req.send().await.map_err(|e| ClientError {
            message: format!("cannot reach Steward at {}: {e}", self.base),
            rejected: false,
        })?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status.is_success() {
            return Ok(value);
        }
        let mut message =
            value["message"].as_str().map(str::to_owned).unwrap_or_else(|| format!("HTTP {status}: {value}"));
        if let Some(findings) = value["findings"].as_array() {
            for f in findings {
                message.push('\n');
                message.push_str(&render_finding_json(None, f));
            }
        }
        Err(ClientError {
            message,
            rejected: matches!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            ),
        })
    }
}

pub enum Body {
    Yaml(String),
    Json(Value),
}

/// Runs an async client command on a fresh runtime; maps errors to exit codes.
pub fn block_on(fut: impl std::future::Future<Output = Result<u8, ClientError>>) -> u8 {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return crate::usage_error(format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(fut) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("steward: error: {e}");
            if e.rejected { crate::EXIT_FINDINGS } else { crate::EXIT_USAGE }
        }
    }
}

/// The name a closed-set argument (a `ValueEnum`) has on the command line,
/// which is also the name the API uses.
pub fn value_name(v: &impl clap::ValueEnum) -> String {
    v.to_possible_value().map(|p| p.get_name().to_owned()).unwrap_or_default()
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
