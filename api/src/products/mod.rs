//! The catalog: `/api/v1/products` (search, in [`search`]), `/api/v1/products/{key}`
//! (detail, in [`detail`]), `.../versions` and `.../diff`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod detail;
mod search;
mod status;

pub use detail::{CatalogTable, Column, Contact, Description, ProductDetail, Slo};
pub use search::{FacetCount, Facets, ProductSummary, SearchPage, SloHealth};
pub use status::ProductStatus;

/// A published version of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductVersion {
    pub version: String,
    /// The merge commit on the registry's `main`.
    pub commit_id: String,
    /// The proposal that published it; `null` when written from `main` without one.
    pub proposal_id: Option<i64>,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub published_at: DateTime<Utc>,
}

/// One major of a product: the newest major, or an older one published
/// beside it until its end of life (`GET /api/v1/products/{key}/majors`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductMajor {
    pub major: i64,
    /// Its newest version.
    pub version: String,
    /// The catalog database it is published as (`<domain>_<product>`, from
    /// major 2 on `<domain>_<product>_v<N>`).
    pub database: String,
    /// `current`, `supported` (an older major before its end of support),
    /// `ending` (past its end of support, before its end of life) or `retired`.
    pub state: String,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub published_at: DateTime<Utc>,
    #[serde(with = "crate::time::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub end_of_support: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub end_of_life: Option<DateTime<Utc>>,
    #[serde(with = "crate::time::option", default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub retired_at: Option<DateTime<Utc>>,
    /// Active grants on this major.
    pub grants: i64,
}

/// The diff of a product's contract between two versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DiffBody {
    /// The older version.
    pub from: String,
    /// The newer version.
    pub to: String,
    /// Unified diff of the contract text.
    pub diff: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::round_trip;

    #[test]
    fn versions_and_diffs_round_trip() {
        let v: Vec<ProductVersion> = round_trip(
            r#"[{"version":"2.0.0","commit_id":"0123abcd","proposal_id":3,"published_at":"2026-11-21T06:00:00.000000Z"},
                {"version":"0.1.0","commit_id":"4567ef01","proposal_id":null,"published_at":"2026-11-20T06:00:00.000000Z"}]"#,
        );
        assert_eq!(v[1].proposal_id, None);
        round_trip::<DiffBody>(r#"{"from":"0.1.0","to":"2.0.0","diff":"-  - name: id\n+  - name: order_id\n"}"#);
    }
}
