//! Test helpers: JSON round trips compared byte for byte, and closed-set checks.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// `json` without the whitespace between its tokens (strings are kept as they are).
pub fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// Reads `json` (as the server sends it) as `T` and writes it again: the
/// same bytes, in the same order.
pub fn round_trip<T: Serialize + DeserializeOwned>(json: &str) -> T {
    let name = std::any::type_name::<T>();
    let value: T = serde_json::from_str(json).unwrap_or_else(|e| panic!("{name} does not read {json}: {e}"));
    assert_eq!(serde_json::to_string(&value).unwrap(), minify(json), "{name} does not write what it read");
    value
}

/// The OpenAPI schema of `T`, as JSON.
pub fn schema<T: utoipa::PartialSchema>() -> serde_json::Value {
    serde_json::to_value(T::schema()).unwrap()
}

/// A closed set's serde names, `as_str`, `FromStr`, `Display` and schema agree.
macro_rules! check_names {
    ($ty:ty, [$($name:literal),+ $(,)?]) => {{
        let expected: Vec<&str> = vec![$($name),+];
        let names: Vec<&str> = <$ty>::ALL.iter().map(|v| v.as_str()).collect();
        assert_eq!(names, expected, "{}", stringify!($ty));
        for v in <$ty>::ALL {
            let json = serde_json::to_string(v).unwrap();
            assert_eq!(json, format!("\"{}\"", v.as_str()), "serde name of {v:?}");
            assert_eq!(serde_json::from_str::<$ty>(&json).unwrap(), *v);
            assert_eq!(v.as_str().parse::<$ty>().unwrap(), *v);
            assert_eq!(v.to_string(), v.as_str());
        }
        assert_eq!(format!("[{:<9}]", <$ty>::ALL[0]), format!("[{:<9}]", <$ty>::ALL[0].as_str()), "Display pads");
        let err = "no-such-name".parse::<$ty>().unwrap_err().to_string();
        assert!(err.contains("`no-such-name`") && err.contains(expected[0]), "{err}");
        let schema = $crate::testing::schema::<$ty>();
        assert_eq!(schema["enum"], serde_json::json!(expected), "schema of {}", stringify!($ty));
    }};
}
