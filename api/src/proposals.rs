//! `/api/v1/proposals`: submitted contracts, their findings and decisions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A proposal's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    /// Received, not yet recorded in the registry.
    Submitted,
    /// Waiting for a reviewer.
    PendingReview,
    /// The contract had errors; never reviewed.
    RejectedByValidation,
    /// Approved, being published.
    Approved,
    /// Rejected by a reviewer.
    Rejected,
    /// Merged and in the catalog.
    Published,
    /// Withdrawn by its submitter or a producer of its domain before a
    /// reviewer decided; like a rejection, the branch stays for the record.
    Withdrawn,
}

wire_names!(
    ProposalStatus,
    "status",
    [
        Submitted = "submitted",
        PendingReview = "pending_review",
        RejectedByValidation = "rejected_by_validation",
        Approved = "approved",
        Rejected = "rejected",
        Published = "published",
        Withdrawn = "withdrawn",
    ]
);

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The contract is refused.
    Error,
    /// Reported; the contract passes.
    Warning,
}

wire_names!(Severity, "severity", [Error = "error", Warning = "warning"]);

/// Which contract a finding's position is in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FindingDocument {
    /// The submitted contract.
    #[default]
    Proposal,
    /// The published version it was compared with: a removed table or column
    /// can only be shown where it was.
    Published,
}

wire_names!(FindingDocument, "document", [Proposal = "proposal", Published = "published"]);

/// A validation or evolution finding, as stored with a proposal and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    /// The rule id, e.g. `STW004` or `STW101`.
    pub rule: String,
    /// `error` or `warning` (after the policy's overrides).
    pub severity: Severity,
    /// What is wrong and how to fix it.
    pub message: String,
    /// Where in the contract, as a field path (e.g. `schema[0].properties[1].name`).
    pub path: String,
    /// Line of `path` in `document` (1-based).
    pub line: usize,
    /// Column of `path` in `document` (1-based).
    pub column: usize,
    /// The contract `path`, `line` and `column` are in. Findings stored
    /// before this field existed are all in the proposal.
    #[serde(default)]
    pub document: FindingDocument,
}

/// A submitted contract and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Proposal {
    /// Proposal id.
    pub id: i64,
    /// `domain.product`.
    pub product_key: String,
    /// The contract's version.
    pub version: String,
    pub status: ProposalStatus,
    /// The contract as submitted (YAML).
    pub contract: String,
    /// Findings of validation and of the evolution checks (warnings only, unless rejected by validation).
    pub findings: Vec<Finding>,
    /// Whether it changes the published version incompatibly (needs a major bump).
    pub breaking: bool,
    /// The token name that submitted it.
    pub submitted_by: String,
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: DateTime<Utc>,
    /// The reviewer who approved or rejected it.
    pub decided_by: Option<String>,
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decided_at: Option<DateTime<Utc>>,
    /// The reviewer's comment.
    pub comment: Option<String>,
    /// The commit on the proposal's branch in the registry.
    pub branch_commit: Option<String>,
    /// The merge commit on `main`, once approved.
    pub merge_commit: Option<String>,
}

/// What a proposal's diff is taken against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BaseKind {
    /// The version published now: the proposal waits for review, and
    /// approval checks it against this version.
    #[default]
    Published,
    /// The version the proposal was judged against when it was decided (or
    /// refused by validation); later versions do not change it.
    Judged,
    /// Nothing was published: the proposal makes a new product (no diff).
    NewProduct,
    /// Decided before Steward recorded what it was judged against, and that
    /// version cannot be found any more: no diff rather than a wrong one.
    Unknown,
}

wire_names!(
    BaseKind,
    "base kind",
    [Published = "published", Judged = "judged", NewProduct = "new_product", Unknown = "unknown"]
);

/// A proposal with its diff (`GET /api/v1/proposals/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProposalView {
    #[serde(flatten)]
    pub proposal: Proposal,
    /// Unified diff from `base_version` to the proposal (empty for a new
    /// product, and when the base is unknown).
    pub diff: String,
    /// The version the diff starts from (`None` for a new product or an unknown base).
    #[serde(default)]
    pub base_version: Option<String>,
    /// Which version that is: published now, or the one the decision was judged on.
    #[serde(default)]
    pub base_kind: BaseKind,
    /// For a breaking proposal: what consumers of the base version lose,
    /// and who they are. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impact: Option<Impact>,
}

/// What a breaking proposal takes from the consumers of the version it
/// replaces, and who they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Impact {
    /// Tables of the base version the proposal no longer has.
    pub tables: Vec<String>,
    /// Columns (`table.column`) of kept tables it no longer has.
    pub columns: Vec<String>,
    /// Kept columns whose type changes in a way that breaks readers.
    pub retyped: Vec<Retyped>,
    /// Accounts with an active grant or a live subscription on the product
    /// (at most 100, by account); each loses all of the above.
    pub consumers: Vec<Consumer>,
    /// How many such accounts there are in all.
    pub consumers_total: i64,
    /// While the proposal is pending: the earliest time a reviewer may
    /// approve it, when the policy gives consumers notice of breaking
    /// changes (`breaking_changes.notice_days`) and there are consumers;
    /// `null` otherwise.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub approvable_from: Option<DateTime<Utc>>,
}

/// A column whose type changes under its readers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Retyped {
    /// `table.column`.
    pub column: String,
    /// What changes.
    pub why: String,
}

/// A consumer a change reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Consumer {
    pub account: String,
    /// Its active grant, if it has one.
    pub grant_id: Option<i64>,
    /// The contract major that grant was approved against.
    pub major: Option<i64>,
    /// When that grant ends by itself.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<DateTime<Utc>>,
    /// Its live subscriptions.
    pub subscriptions: i64,
    /// The newer major the grant's holder acknowledged instead of migrating.
    #[serde(default)]
    pub acknowledged_major: Option<i64>,
}

/// The JSON form of a submission (`POST /api/v1/proposals` with
/// `content-type: application/json`; the YAML body is the other form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SubmitJson {
    /// The contract, as YAML text.
    pub contract: String,
}

/// A reviewer's decision on a proposal (approve, reject).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    /// Why; required to reject.
    pub comment: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::round_trip;

    /// What the server answers to `steward submit` of a contract with a warning.
    const PROPOSAL: &str = r#"{
        "id": 1, "product_key": "sales.orders", "version": "0.1.0", "status": "pending_review",
        "contract": "apiVersion: v3.1.0\nkind: DataContract\n",
        "findings": [{"rule": "STW012", "severity": "warning", "message": "no SLO", "path": "slaProperties",
                      "line": 3, "column": 1, "document": "proposal"}],
        "breaking": false, "submitted_by": "paul", "submitted_at": "2026-11-21T06:00:00.123456Z",
        "decided_by": null, "decided_at": null, "comment": null,
        "branch_commit": "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "merge_commit": null
    }"#;

    #[test]
    fn proposals_round_trip() {
        let p: Proposal = round_trip(PROPOSAL);
        assert_eq!(p.status, ProposalStatus::PendingReview);
        assert_eq!(p.findings[0].severity, Severity::Warning);
        let decided = PROPOSAL
            .replace(
                r#""decided_by": null, "decided_at": null, "comment": null"#,
                r#""decided_by": "rita", "decided_at": "2026-11-21T07:00:00.000000Z", "comment": "ship it""#,
            )
            .replace(r#""merge_commit": null"#, r#""merge_commit": "0123abcd""#)
            .replace("pending_review", "published");
        let p: Proposal = round_trip(&decided);
        assert_eq!(p.decided_by.as_deref(), Some("rita"));
    }

    #[test]
    fn the_view_is_the_proposal_and_its_diff() {
        let json =
            format!("{},\"diff\":\"--- published\\n+++ proposal\\n\"}}", PROPOSAL.trim_end().trim_end_matches('}'));
        // What older servers sent: read, with the defaults (written back with them).
        let v: ProposalView = serde_json::from_str(&json).unwrap();
        assert_eq!(v.proposal.id, 1);
        assert!(v.diff.starts_with("--- published"));
        assert_eq!((v.base_version.clone(), v.base_kind), (None, BaseKind::Published), "older servers sent neither");
        round_trip::<ProposalView>(&serde_json::to_string(&v).unwrap());
        let json = format!(
            "{},\"diff\":\"\",\"base_version\":\"1.0.0\",\"base_kind\":\"judged\"}}",
            PROPOSAL.trim_end().trim_end_matches('}')
        );
        let v: ProposalView = round_trip(&json);
        assert_eq!((v.base_version.as_deref(), v.base_kind), (Some("1.0.0"), BaseKind::Judged));
    }

    #[test]
    fn findings_stored_before_the_document_field_are_in_the_proposal() {
        let f: Finding = serde_json::from_str(
            r#"{"rule":"STW104","severity":"error","message":"removed","path":"schema[0]","line":9,"column":5}"#,
        )
        .unwrap();
        assert_eq!(f.document, FindingDocument::Proposal);
        round_trip::<Finding>(
            r#"{"rule":"STW104","severity":"error","message":"removed","path":"schema[0]","line":9,"column":5,"document":"published"}"#,
        );
    }

    #[test]
    fn requests() {
        round_trip::<Decision>(r#"{"comment":"ship it"}"#);
        round_trip::<Decision>(r#"{"comment":null}"#);
        assert_eq!(serde_json::from_str::<Decision>("{}").unwrap(), Decision::default());
        round_trip::<SubmitJson>(r#"{"contract":"kind: DataContract\n"}"#);
    }

    #[test]
    fn closed_sets() {
        check_names!(
            ProposalStatus,
            ["submitted", "pending_review", "rejected_by_validation", "approved", "rejected", "published", "withdrawn"]
        );
        check_names!(Severity, ["error", "warning"]);
        check_names!(FindingDocument, ["proposal", "published"]);
        check_names!(BaseKind, ["published", "judged", "new_product", "unknown"]);
        assert_eq!(
            "pending".parse::<ProposalStatus>().unwrap_err().to_string(),
            "unknown status `pending`: use submitted, pending_review, rejected_by_validation, approved, rejected, published or withdrawn"
        );
    }
}
