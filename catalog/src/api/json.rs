//! A JSON body extractor whose rejections are [`ApiError`]s naming what is
//! wrong, and the one check of strings in bodies for control characters.
//!
//! Every body is parsed into a `serde_json::Value` first and every string in
//! it (keys too) is checked before the typed deserialisation, so no handler
//! can forget: NUL and the other control characters (Unicode `Cc`) have no
//! place in names, keys, accounts or URLs, and PostgreSQL refuses NUL in
//! text outright (which would otherwise surface as a 500). Free-text fields
//! ([`FREE_TEXT`]) may hold tab, newline and carriage return.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;

/// Body fields that are prose (or YAML): tab, CR and LF are allowed there.
pub const FREE_TEXT: &[&str] = &["comment", "justification", "contract"];

/// The first character of `s` that API input must not hold: any `Cc`
/// character, except tab, LF and CR when `free_text`.
pub fn forbidden_char(s: &str, free_text: bool) -> Option<char> {
    s.chars().find(|&c| c.is_control() && !(free_text && matches!(c, '\t' | '\n' | '\r')))
}

/// The 400 for a control character in `field`.
pub fn control_char_error(field: &str, c: char) -> ApiError {
    ApiError::bad_request(format!(
        "`{field}` contains the control character U+{:04X}; remove it (only comments and justifications may hold \
         tabs and line breaks)",
        u32::from(c)
    ))
}

/// Checks every string (and object key) in `value`; `path` names the field.
pub fn check_strings(value: &Value, path: &mut String, free_text: bool) -> Result<(), ApiError> {
    match value {
        Value::String(s) => match forbidden_char(s, free_text) {
            Some(c) => Err(control_char_error(if path.is_empty() { "body" } else { path }, c)),
            None => Ok(()),
        },
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_strings(item, path, free_text)?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                // Show a bad key escaped, not raw.
                match forbidden_char(key, false) {
                    Some(c) => {
                        path.push_str(&key.escape_debug().to_string());
                        return Err(control_char_error(path, c));
                    }
                    None => path.push_str(key),
                }
                check_strings(item, path, free_text || FREE_TEXT.contains(&key.as_str()))?;
                path.truncate(len);
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// Checks `value`'s strings, then deserialises it, naming the field on error.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    check_strings(&value, &mut String::new(), false)?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            ApiError::bad_request(format!("request body: {}", e.inner()))
        } else {
            ApiError::bad_request(format!("request body: `{path}`: {}", e.inner()))
        }
    })
}

/// Parses JSON bytes through [`from_value`].
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("request body is not valid JSON: {e}")))?;
    from_value(value)
}

pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<Value>::from_request(req, state).await {
            Ok(axum::Json(v)) => from_value(v).map(Self),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::unsupported_media_type("send a JSON body with `Content-Type: application/json`"))
            }
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::payload_too_large(format!("request body is larger than {} bytes", super::MAX_BODY_BYTES)))
            }
            Err(e) => Err(ApiError::bad_request(format!("request body: {}", e.body_text()))),
        }
    }
}

/// An optional body: none when the request has no body (no content type),
/// else the parsed JSON or a 400 naming what is wrong.
impl<S, T> axum::extract::OptionalFromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        if req.headers().get(axum::http::header::CONTENT_TYPE).is_none() {
            return Ok(None);
        }
        <Self as FromRequest<S>>::from_request(req, state).await.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn field_of(v: Value) -> Option<String> {
        check_strings(&v, &mut String::new(), false).err().map(|e| e.message().to_owned())
    }

    #[test]
    fn names_the_field_holding_a_control_character() {
        let m = field_of(json!({"account": "12\u{0}3"})).unwrap();
        assert!(m.contains("`account`") && m.contains("U+0000"), "{m}");
        let m = field_of(json!({"partition": {"dt": "2026\u{1b}"}})).unwrap();
        assert!(m.contains("`partition.dt`"), "{m}");
        let m = field_of(json!({"scopes": ["ok", "x\u{85}"]})).unwrap();
        assert!(m.contains("`scopes[1]`") && m.contains("U+0085"), "{m}");
        let m = field_of(json!({"k\u{0}": 1})).unwrap();
        assert!(m.contains("`k\\0`"), "{m}");
        // Prose may hold tabs and line breaks, never NUL.
        assert_eq!(field_of(json!({"comment": "a\tb\r\nc", "justification": "x\ny"})), None);
        assert!(field_of(json!({"comment": "a\u{0}"})).is_some());
        assert!(field_of(json!({"name": "a\nb"})).is_some());
    }
}
