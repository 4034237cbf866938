//! The types describe the API the server documents today (`docs/openapi.json`,
//! written from the server's own types): the same properties, the same
//! required ones, the same enum names; timestamps are `date-time` strings.

use std::collections::BTreeSet;

use serde_json::Value;
use steward_api::*;
use utoipa::PartialSchema;

fn documented() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("docs/openapi.json")).unwrap()
}

fn schema<T: PartialSchema>() -> Value {
    serde_json::to_value(T::schema()).unwrap()
}

fn names(v: &Value) -> BTreeSet<String> {
    match v {
        Value::Object(m) => m.keys().cloned().collect(),
        Value::Array(a) => a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect(),
        _ => BTreeSet::new(),
    }
}

/// Same properties and required properties as the documented schema `name`.
fn same_shape(name: &str, ours: Value) {
    let doc = documented();
    let theirs = &doc["components"]["schemas"][name];
    assert!(theirs.is_object(), "{name} is not documented");
    assert_eq!(names(&ours["properties"]), names(&theirs["properties"]), "{name}: properties");
    assert_eq!(names(&ours["required"]), names(&theirs["required"]), "{name}: required");
    assert_eq!(ours["enum"], theirs["enum"], "{name}: enum names");
    assert_eq!(ours["additionalProperties"], theirs["additionalProperties"], "{name}: unknown fields");
}

#[test]
fn every_documented_schema_has_its_type() {
    same_shape("AccessCheck", schema::<AccessCheck>());
    same_shape("AccessDecision", schema::<AccessDecision>());
    same_shape("AccessRequest", schema::<AccessRequest>());
    same_shape("AccessRequestInput", schema::<AccessRequestInput>());
    same_shape("AuditEvent", schema::<AuditEvent>());
    same_shape("CatalogTable", schema::<CatalogTable>());
    same_shape("Column", schema::<Column>());
    same_shape("Contact", schema::<Contact>());
    same_shape("CreatedToken", schema::<CreatedToken>());
    same_shape("Decision", schema::<Decision>());
    same_shape("Description", schema::<Description>());
    same_shape("DiffBody", schema::<DiffBody>());
    same_shape("EffectRow", schema::<EffectRow>());
    same_shape("ErrorBody", schema::<ErrorBody>());
    same_shape("FailedEntry", schema::<FailedEntry>());
    same_shape("FindingDocument", schema::<FindingDocument>());
    same_shape("Grant", schema::<Grant>());
    same_shape("JobKind", schema::<JobKind>());
    same_shape("JobStatus", schema::<JobStatus>());
    same_shape("MarkerState", schema::<MarkerState>());
    same_shape("MarkerStatus", schema::<MarkerStatus>());
    same_shape("NewToken", schema::<NewToken>());
    same_shape("NotificationStatus", schema::<NotificationStatus>());
    same_shape("Partition", schema::<Partition>());
    same_shape("ProductDetail", schema::<ProductDetail>());
    same_shape("ProductSummary", schema::<ProductSummary>());
    same_shape("ProductVersion", schema::<ProductVersion>());
    same_shape("Proposal", schema::<Proposal>());
    same_shape("ProposalStatus", schema::<ProposalStatus>());
    same_shape("Reconciled", schema::<Reconciled>());
    same_shape("Refresh", schema::<Refresh>());
    same_shape("RefreshInput", schema::<RefreshInput>());
    same_shape("RefreshOutcome", schema::<RefreshOutcome>());
    same_shape("RefreshStatus", schema::<RefreshStatus>());
    same_shape("RefusedMerge", schema::<RefusedMerge>());
    same_shape("Role", schema::<Role>());
    same_shape("SearchPage", schema::<SearchPage>());
    same_shape("Slo", schema::<Slo>());
    same_shape("SloStatus", schema::<SloStatus>());
    same_shape("SpecStatus", schema::<SpecStatus>());
    same_shape("Finding", schema::<Finding>());
    same_shape("Tick", schema::<Tick>());
    same_shape("Subscription", schema::<Subscription>());
    same_shape("SubscriptionInput", schema::<SubscriptionInput>());
    same_shape("TokenInfo", schema::<TokenInfo>());
    same_shape("TokenStatus", schema::<TokenStatus>());
}

#[test]
fn the_view_is_the_proposal_and_its_diff() {
    let ours = schema::<ProposalView>();
    let text = ours.to_string();
    assert!(text.contains("\"diff\"") && text.contains("Proposal"), "{ours:#}");
}

#[test]
fn timestamps_are_date_time_strings() {
    let grant = schema::<Grant>();
    let granted = &grant["properties"]["granted_at"];
    assert_eq!(
        (&granted["type"], &granted["format"]),
        (&Value::from("string"), &Value::from("date-time")),
        "{grant:#}"
    );
    let expires = &grant["properties"]["expires_at"];
    assert_eq!(expires["type"], serde_json::json!(["string", "null"]), "{grant:#}");
    assert_eq!(expires["format"], "date-time", "{grant:#}");
}
