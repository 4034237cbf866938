//! The HTTP client the producer, reviewer and admin commands share.
//! Reads STEWARD_URL (default http://127.0.0.1:8080) and STEWARD_TOKEN.
//!
//! Answers are typed ([`steward_api`]): [`Client::call`] returns the body of a
//! 2xx answer as it came ([`Answer`]), which a command reads as the type the
//! endpoint answers with ([`Answer::json`]) or prints for `--json`.

use clap::Args;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use steward_api::ErrorBody;

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

    /// Sends a request and returns the body of a 2xx answer (empty for 204),
    /// to be read as its type ([`Answer::json`]) or printed as it came for
    /// `--json`. Any other status is an error worded from the server's
    /// [`ErrorBody`].
    pub async fn call(&self, method: Method, path: &str, body: Option<Body>) -> Result<Answer, ClientError> {
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
            Some(Body::Json(bytes)) => req.header("content-type", "application/json").body(bytes),
            None => req,
        };
        let resp = req.send().await.map_err(|e| ClientError {
            message: format!("cannot reach Steward at {}: {e}", self.base),
            rejected: false,
        })?;
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if status.is_success() {
            return Ok(Answer(text));
        }
        let message = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(error) => {
                let mut message = error.message;
                for f in error.findings.iter().flatten() {
                    message.push('\n');
                    message.push_str(&render_finding_json(None, f));
                }
                message
            }
            Err(_) => format!("HTTP {status}: {}", Answer(text).compact()),
        };
        Err(ClientError {
            message,
            rejected: matches!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            ),
        })
    }
}

/// A request body.
pub enum Body {
    /// A contract, as YAML text.
    Yaml(String),
    /// A serialized JSON request (see [`Body::json`]).
    Json(Vec<u8>),
}

impl Body {
    /// The JSON of a request type of [`steward_api`].
    pub fn json(request: &impl Serialize) -> Body {
        Body::Json(serde_json::to_vec(request).expect("API requests serialize"))
    }
}

/// The body of a 2xx answer, as the server sent it.
pub struct Answer(String);

impl Answer {
    /// The body read as the endpoint's type ([`steward_api`]); an answer of
    /// another shape is an error (the server and this client disagree).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_str(&self.0).map_err(|e| ClientError {
            message: format!("unexpected answer from Steward (not a {}): {e}", short_type_name::<T>()),
            rejected: false,
        })
    }

    /// The server's JSON, indented (`--json` of most commands).
    pub fn pretty(&self) -> String {
        serde_json::to_string_pretty(&self.value()).unwrap_or_default()
    }

    /// The server's JSON on one line (`--json` of `submit` and `admin`).
    pub fn compact(&self) -> String {
        self.value().to_string()
    }

    /// The server's JSON object, indented, with `key` set to another
    /// answer's JSON (`refresh --json` adds the marker's status to the report).
    pub fn pretty_with(&self, key: &str, member: &Answer) -> String {
        let mut v = self.value();
        if let Value::Object(map) = &mut v {
            map.insert(key.to_owned(), member.value());
        }
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }

    /// The JSON as a value; a body that is not JSON (empty, for 204) as a string.
    fn value(&self) -> Value {
        serde_json::from_str(&self.0).unwrap_or_else(|_| Value::String(self.0.clone()))
    }
}

/// `steward_api::proposals::Proposal` as `Proposal`, `Vec<...Grant>` as `Vec<Grant>`.
fn short_type_name<T>() -> String {
    let full = std::any::type_name::<T>();
    let mut out = String::new();
    let mut word = String::new();
    for c in full.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            out.push_str(word.rsplit("::").next().unwrap_or(""));
            word.clear();
            if c != ' ' {
                out.push(c);
            }
        }
    }
    out
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

/// The name a closed-set argument (a `ValueEnum`) has on the command line.
#[cfg(test)]
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

/// An optional number as the server's JSON shows it: `null` when absent
/// (what the text output has always printed).
pub fn or_null(n: Option<i64>) -> String {
    n.map_or_else(|| "null".to_owned(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_output_is_the_servers_json() {
        let text = r#"{"b":1,"a":[true,null]}"#;
        let answer = Answer(text.to_owned());
        assert_eq!(answer.compact(), serde_json::from_str::<Value>(text).unwrap().to_string());
        assert_eq!(Answer(String::new()).pretty(), "\"\"", "a 204 prints as before: an empty string");
        let merged = answer.pretty_with("status", &Answer(r#"{"x":"y"}"#.to_owned()));
        assert_eq!(
            serde_json::from_str::<Value>(&merged).unwrap(),
            serde_json::json!({"a": [true, null], "b": 1, "status": {"x": "y"}})
        );
    }

    #[test]
    fn a_wrong_answer_names_the_type_expected() {
        let err = Answer("{}".to_owned()).json::<Vec<steward_api::Grant>>().unwrap_err();
        assert!(err.message.starts_with("unexpected answer from Steward (not a Vec<Grant>)"), "{}", err.message);
        assert!(!err.rejected);
    }
}
