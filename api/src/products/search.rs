//! `GET /api/v1/products`: a page of search hits with their facets.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ProductStatus;

/// How a product's deliveries stand against its SLOs, from the state the
/// SLO monitor keeps (the worst of the product's SLO entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SloHealth {
    /// The last judged delivery met its deadline and nothing is overdue.
    OnTime,
    /// The last judged delivery came after its deadline, or a deadline has
    /// passed that the monitor has not judged yet.
    Late,
    /// A missed delivery has opened a breach that no refresh has ended.
    Breached,
    /// No SLO, or nothing judged yet.
    Unknown,
}

wire_names!(SloHealth, "SLO health", [OnTime = "on_time", Late = "late", Breached = "breached", Unknown = "unknown"]);

/// One search hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProductSummary {
    /// `domain.product`.
    pub key: String,
    pub domain: String,
    /// The product's display name.
    pub name: String,
    /// The published version.
    pub version: String,
    /// The contract's status (e.g. `active`; `deprecated` is shown as a badge).
    pub status: ProductStatus,
    /// The contract's purpose.
    pub description: String,
    pub owner_team: String,
    /// The product's classification (the policy's levels, e.g. `internal`).
    pub classification: String,
    pub tags: Vec<String>,
    /// Column names matching the query's words (plurals folded), most
    /// words matched first, at most 5; empty without words.
    pub matched_columns: Vec<String>,
    /// SLO health from the monitor's state.
    pub slo_health: SloHealth,
    /// One of the caller's own accounts holds an active grant on the
    /// product. Only consumers have accounts: `false` for everyone else.
    pub has_access: bool,
    /// A proposal with a breaking change to this product waits for review
    /// or publication.
    pub breaking_change_pending: bool,
}

/// How many of the matches have one value of a facet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FacetCount {
    /// The value as to filter by it (domains as written, tags as first
    /// written; filters compare without regard to case).
    pub value: String,
    /// Matches with this value (among the first 1,001 when `Facets::capped`).
    pub count: i64,
    /// The query filters by this value.
    pub selected: bool,
}

/// Counts of the matches by domain and by tag, for multi-select filters.
/// Each facet counts the matches of the words and of the *other* filters,
/// so selecting a domain still lists the other domains to add.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Facets {
    /// Most matches first (selected values always listed), at most 30.
    pub domains: Vec<FacetCount>,
    /// Most matches first (selected values always listed), at most 30.
    pub tags: Vec<FacetCount>,
    /// More than 1,000 products matched: the counts are of the first 1,001
    /// matches only, so each is a lower bound (shown as `12+`).
    pub capped: bool,
}

/// A page of search hits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SearchPage {
    /// Matches, counted up to 1,000 (see `total_capped`).
    pub total: i64,
    /// More matches exist than `total` says.
    #[serde(default)]
    pub total_capped: bool,
    pub items: Vec<ProductSummary>,
    /// Absent from older servers' answers: read as none.
    #[serde(default)]
    pub facets: Facets,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::round_trip;

    #[test]
    fn search_pages_round_trip() {
        let page: SearchPage = round_trip(
            r#"{"total":1,"total_capped":false,"items":[{"key":"sales.orders","domain":"sales","name":"Orders",
                "version":"0.1.0","status":"active","description":"Orders, one row per order line",
                "owner_team":"sales-data","classification":"internal","tags":["sales","orders"],
                "matched_columns":["order_id"],"slo_health":"on_time","has_access":true,"breaking_change_pending":false}],
                "facets":{"domains":[{"value":"sales","count":1,"selected":false}],
                "tags":[{"value":"Orders","count":1,"selected":true}],"capped":false}}"#,
        );
        assert_eq!(page.items[0].key, "sales.orders");
        assert_eq!(page.items[0].slo_health, SloHealth::OnTime);
        round_trip::<SearchPage>(
            r#"{"total":1000,"total_capped":true,"items":[],"facets":{"domains":[],"tags":[],"capped":true}}"#,
        );
    }

    #[test]
    fn slo_health_names_match_serde() {
        for h in SloHealth::ALL {
            assert_eq!(serde_json::to_string(h).unwrap(), format!("\"{}\"", h.as_str()));
        }
    }
}
