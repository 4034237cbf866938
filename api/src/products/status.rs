//! A contract's lifecycle `status` (ODCS).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A product's lifecycle status, as its contract gives it: one of the five
/// names Steward knows, or another word (rule STW016 warns about those, it
/// does not refuse them), kept as written so the JSON never changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ProductStatus {
    Proposed,
    Draft,
    Active,
    Deprecated,
    Retired,
    /// A status outside the five, as written.
    Other(String),
}

impl ProductStatus {
    const NAMED: [(ProductStatus, &'static str); 5] = [
        (ProductStatus::Proposed, "proposed"),
        (ProductStatus::Draft, "draft"),
        (ProductStatus::Active, "active"),
        (ProductStatus::Deprecated, "deprecated"),
        (ProductStatus::Retired, "retired"),
    ];

    /// The status written as `s` (any case for the five names).
    pub fn parse(s: &str) -> ProductStatus {
        Self::NAMED
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(s))
            .map_or_else(|| ProductStatus::Other(s.to_owned()), |(status, _)| status.clone())
    }

    pub fn as_str(&self) -> &str {
        match self {
            ProductStatus::Other(s) => s,
            known => Self::NAMED.iter().find(|(status, _)| status == known).map_or("", |(_, name)| name),
        }
    }

    /// Deprecated or retired: no new consumers.
    pub fn is_withdrawn(&self) -> bool {
        matches!(self, ProductStatus::Deprecated | ProductStatus::Retired)
    }
}

impl Default for ProductStatus {
    /// A contract without a status is taken as active.
    fn default() -> Self {
        ProductStatus::Active
    }
}

impl fmt::Display for ProductStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for ProductStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProductStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ProductStatus::parse(&String::deserialize(deserializer)?))
    }
}

impl utoipa::PartialSchema for ProductStatus {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("The contract's lifecycle status: proposed, draft, active, deprecated, retired (or another word, kept as written)."))
            .into()
    }
}

impl utoipa::ToSchema for ProductStatus {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_words_are_kept() {
        for s in ["proposed", "draft", "active", "deprecated", "retired", "sunset"] {
            let status: ProductStatus = serde_json::from_str(&format!("\"{s}\"")).unwrap();
            assert_eq!(serde_json::to_string(&status).unwrap(), format!("\"{s}\""));
        }
        assert_eq!(ProductStatus::parse("Deprecated"), ProductStatus::Deprecated);
        assert!(ProductStatus::parse("retired").is_withdrawn());
        assert!(!ProductStatus::parse("sunset").is_withdrawn());
        assert_eq!(ProductStatus::parse("sunset"), ProductStatus::Other("sunset".into()));
    }
}
