//! Deserializing YAML into `serde_json::Value`, refusing duplicate keys.
//!
//! serde_json's own `Value` keeps the last of two equal keys, so a second
//! `version:` would silently win. This is the same visitor with one check:
//! `Map::insert` already says whether the key was there, so valid documents
//! pay nothing. The error carries no position; the caller finds both keys
//! with the position pass.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The message of the error a duplicate key raises. serde_yaml prefixes
/// the path, so the caller looks for it anywhere in the message.
pub(crate) const DUPLICATE_KEY: &str = "duplicate mapping key";

/// Deserializes one value, refusing duplicate mapping keys at any depth.
pub(crate) struct Checked;

impl<'de> DeserializeSeed<'de> for Checked {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        serde::Deserialize::deserialize(de::value::I128Deserializer::<E>::new(v)).map(Value::Number)
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        serde::Deserialize::deserialize(de::value::U128Deserializer::<E>::new(v)).map(Value::Number)
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Checked.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Checked)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let value = map.next_value_seed(Checked)?;
            if out.insert(key, value).is_some() {
                return Err(de::Error::custom(DUPLICATE_KEY));
            }
        }
        Ok(Value::Object(out))
    }
}

/// A mapping key: a string, as serde_json's own key classifier reads it.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for Key {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E>(self, v: String) -> Result<String, E> {
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(yaml: &str) -> Result<Value, String> {
        Checked.deserialize(serde_yaml::Deserializer::from_str(yaml)).map_err(|e| e.to_string())
    }

    #[test]
    fn same_value_as_serde_json() {
        let yaml = "a: 1\nb: -2\nc: 1.5\nd: .nan\ne: [x, ~, true]\nf: {g: 'h'}\ni: !!str 3\nj: 0x1F\n";
        let plain: Value = serde_yaml::from_str(yaml).unwrap();
        assert_eq!(read(yaml).unwrap(), plain);
        for bad in ["!t x", "h: 99999999999999999999", "{[a]: 1}"] {
            assert_eq!(read(bad).unwrap_err(), serde_yaml::from_str::<Value>(bad).unwrap_err().to_string());
        }
    }

    #[test]
    fn refuses_duplicates_at_any_depth() {
        assert!(read("a: 1\na: 2\n").unwrap_err().contains(DUPLICATE_KEY));
        assert!(read("x: [{a: 1, 'a': 2}]\n").unwrap_err().contains(DUPLICATE_KEY));
        assert!(read("a: 1\nb: 2\n").is_ok());
    }
}
