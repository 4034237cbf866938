//! Identifier newtypes. Each can only hold a valid value: construct them with
//! `parse` (or `FromStr`/serde), never by wrapping a raw string.
//!
//! The grammar is lower snake case (`^[a-z][a-z0-9_]*$`, no `__`, no trailing
//! `_`) because these names become AWS Glue database, table and column names,
//! which Glue and Athena lower-case and limit to 255 characters. The limits
//! here are tighter so that `<domain>_<product>` (the catalog database) and
//! `<domain>.<product>` (the product key) always fit.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentError {
    #[error("{kind} is empty")]
    Empty { kind: &'static str },
    #[error("{kind} `{value}` is {len} characters long; the limit is {max}")]
    TooLong { kind: &'static str, value: String, len: usize, max: usize },
    #[error(
        "{kind} `{value}` is not lower snake case: use a-z, 0-9 and single `_`, starting with a letter (e.g. `{suggestion}`)"
    )]
    NotSnakeCase { kind: &'static str, value: String, suggestion: String },
    #[error("account id `{value}` is neither a 12-digit AWS account id nor a lower snake case tenant id")]
    BadAccount { value: String },
    #[error("product key `{value}` must be `<domain>.<product>`")]
    BadProductKey { value: String },
}

/// Checks the shared identifier grammar; `kind` names the thing in messages.
pub fn check_snake_case(kind: &'static str, value: &str, max: usize) -> Result<(), IdentError> {
    if value.is_empty() {
        return Err(IdentError::Empty { kind });
    }
    let len = value.chars().count();
    if len > max {
        return Err(IdentError::TooLong { kind, value: value.to_owned(), len, max });
    }
    let bytes = value.as_bytes();
    let valid = bytes[0].is_ascii_lowercase()
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && !value.contains("__")
        && !value.ends_with('_');
    if valid {
        Ok(())
    } else {
        Err(IdentError::NotSnakeCase { kind, value: value.to_owned(), suggestion: suggest_snake_case(value) })
    }
}

/// A best-effort lower snake case spelling of `value`, for error messages.
pub fn suggest_snake_case(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut prev_lower = false;
    for ch in value.chars() {
        if ch.is_ascii_alphanumeric() {
            if ch.is_ascii_uppercase() && prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
            prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        } else {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let trimmed = out.trim_matches('_');
    let mut s = trimmed.to_owned();
    if s.is_empty() {
        return "name".to_owned();
    }
    if !s.as_bytes()[0].is_ascii_lowercase() {
        s.insert_str(0, "x_");
    }
    s
}

macro_rules! snake_ident {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Longest accepted value, in characters.
            pub const MAX_LEN: usize = $max;
            /// What this identifier is called in messages.
            pub const KIND: &'static str = $kind;

            pub fn parse(value: &str) -> Result<Self, IdentError> {
                check_snake_case($kind, value, $max)?;
                Ok(Self(value.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdentError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

snake_ident!(
    /// A data-mesh domain (ODCS `domain`), e.g. `sales`.
    DomainName, "domain", 64
);
snake_ident!(
    /// A data product within a domain (ODCS `dataProduct`), e.g. `orders`.
    ProductName, "data product", 128
);
snake_ident!(
    /// A table: one ODCS `schema[]` object.
    TableName, "table name", 128
);
snake_ident!(
    /// A column: one ODCS `properties[]` entry of a table.
    ColumnName, "column name", 128
);

/// `<domain>.<product>`: how a product is named everywhere outside the contract.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProductKey {
    pub domain: DomainName,
    pub product: ProductName,
}

impl ProductKey {
    pub fn new(domain: DomainName, product: ProductName) -> Self {
        Self { domain, product }
    }

    pub fn parse(value: &str) -> Result<Self, IdentError> {
        let (d, p) = value.split_once('.').ok_or_else(|| IdentError::BadProductKey { value: value.to_owned() })?;
        Ok(Self { domain: DomainName::parse(d)?, product: ProductName::parse(p)? })
    }

    /// The catalog database that holds this product's tables: `<domain>_<product>`.
    pub fn database_name(&self) -> String {
        format!("{}_{}", self.domain, self.product)
    }

    /// Where the contract lives in the registry.
    pub fn registry_path(&self) -> String {
        format!("contracts/{}/{}.odcs.yaml", self.domain, self.product)
    }
}

impl fmt::Display for ProductKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.domain, self.product)
    }
}

impl FromStr for ProductKey {
    type Err = IdentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A consumer account: a 12-digit AWS account id, or a lower snake case tenant
/// id when Steward runs on its embedded share backend.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccountId {
    Aws(String),
    Tenant(String),
}

impl AccountId {
    pub fn parse(value: &str) -> Result<Self, IdentError> {
        let bad = || IdentError::BadAccount { value: value.to_owned() };
        if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
            return if value.len() == 12 { Ok(Self::Aws(value.to_owned())) } else { Err(bad()) };
        }
        check_snake_case("tenant id", value, 64).map_err(|_| bad())?;
        Ok(Self::Tenant(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Aws(s) | Self::Tenant(s) => s,
        }
    }

    pub fn is_aws(&self) -> bool {
        matches!(self, Self::Aws(_))
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AccountId {
    type Err = IdentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lower_snake_case() {
        for ok in ["sales", "orders_v2", "a", "x1_y2"] {
            assert!(DomainName::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_everything_else_with_a_suggestion() {
        for bad in ["Sales", "my quantum", "_x", "x_", "a__b", "1abc", "naïve", "a-b", ""] {
            assert!(ProductName::parse(bad).is_err(), "{bad}");
        }
        let err = ProductName::parse("my quantum").unwrap_err().to_string();
        assert!(err.contains("`my_quantum`"), "{err}");
        let err = TableName::parse("OrderLines").unwrap_err().to_string();
        assert!(err.contains("`order_lines`"), "{err}");
    }

    #[test]
    fn enforces_length_limits() {
        let long = "a".repeat(DomainName::MAX_LEN + 1);
        assert!(matches!(DomainName::parse(&long), Err(IdentError::TooLong { .. })));
        assert!(DomainName::parse(&"a".repeat(DomainName::MAX_LEN)).is_ok());
    }

    #[test]
    fn product_key_round_trips() {
        let key = ProductKey::parse("sales.orders").unwrap();
        assert_eq!(key.to_string(), "sales.orders");
        assert_eq!(key.database_name(), "sales_orders");
        assert_eq!(key.registry_path(), "contracts/sales/orders.odcs.yaml");
        assert!(ProductKey::parse("sales").is_err());
        assert!(ProductKey::parse("sales.Orders").is_err());
        assert!(ProductKey::parse("../etc.passwd").is_err());
    }

    #[test]
    fn account_ids() {
        assert!(AccountId::parse("123456789012").unwrap().is_aws());
        assert!(!AccountId::parse("team_analytics").unwrap().is_aws());
        for bad in ["12345", "1234567890123", "Team", "", "12345678901a"] {
            assert!(AccountId::parse(bad).is_err(), "{bad}");
        }
    }
}
