//! Timestamps on the wire: `2026-11-21T06:00:00.000000Z`, always UTC with six
//! fraction digits: the form Steward stores, so a time read back from the
//! database and served again keeps its bytes.
//!
//! Fields use `#[serde(with = "crate::time")]` (or [`option`]); writing uses
//! [`FORMAT`], reading accepts any RFC 3339 time and converts it to UTC.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// The one stored and served form (`chrono` format string).
pub const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// `t` in the stored form, e.g. `2026-11-21T06:00:00.000000Z`.
pub fn format(t: &DateTime<Utc>) -> String {
    t.format(FORMAT).to_string()
}

/// Reads an RFC 3339 time (any offset, any number of fraction digits) as UTC.
pub fn parse(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc))
}

pub fn serialize<S: Serializer>(t: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&t.format(FORMAT))
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(deserializer)?;
    parse(&s).map_err(|e| serde::de::Error::custom(format!("`{s}` is not an RFC 3339 time: {e}")))
}

/// The same for `Option<DateTime<Utc>>`: `null` when absent. Pair it with
/// `#[serde(default)]` so a missing field reads as `None` too.
pub mod option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<DateTime<Utc>>, serializer: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::serialize(t, serializer),
            None => serializer.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            None => Ok(None),
            Some(s) => super::parse(&s)
                .map(Some)
                .map_err(|e| serde::de::Error::custom(format!("`{s}` is not an RFC 3339 time: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct At {
        #[serde(with = "crate::time")]
        at: DateTime<Utc>,
        #[serde(default, with = "crate::time::option")]
        until: Option<DateTime<Utc>>,
    }

    #[test]
    fn the_stored_form_has_six_fraction_digits_and_z() {
        let t = Utc.with_ymd_and_hms(2026, 11, 21, 6, 0, 0).unwrap();
        assert_eq!(format(&t), "2026-11-21T06:00:00.000000Z");
        let t = t + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(format(&t), "2026-11-21T06:00:00.123456Z", "truncated to microseconds");
    }

    #[test]
    fn stored_times_round_trip_byte_for_byte() {
        let json = r#"{"at":"2026-11-02T09:00:00.000000Z","until":"2026-12-02T09:00:00.250000Z"}"#;
        let at: At = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&at).unwrap(), json);
        let json = r#"{"at":"2026-11-02T09:00:00.000000Z","until":null}"#;
        let at: At = serde_json::from_str(json).unwrap();
        assert_eq!(at.until, None);
        assert_eq!(serde_json::to_string(&at).unwrap(), json);
    }

    #[test]
    fn any_rfc3339_time_is_read_as_utc() {
        let at: At = serde_json::from_str(r#"{"at":"2026-11-21T07:30:00+01:30"}"#).unwrap();
        assert_eq!(at, At { at: Utc.with_ymd_and_hms(2026, 11, 21, 6, 0, 0).unwrap(), until: None });
        assert_eq!(parse("2026-11-21T06:00:00Z").unwrap(), at.at);
        let err = serde_json::from_str::<At>(r#"{"at":"yesterday"}"#).unwrap_err().to_string();
        assert!(err.contains("`yesterday` is not an RFC 3339 time"), "{err}");
    }
}
