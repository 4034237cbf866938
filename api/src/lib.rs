//! The wire types of Steward's REST API (`/api/v1/...`): every request and
//! response body, and the closed sets the API uses as enums.
//!
//! The server serializes these types and the CLI deserializes them, so a
//! renamed field fails to compile on both sides instead of at run time. The
//! JSON they produce is the API's JSON, byte for byte: field names and order,
//! `null` for absent optional values (except where a field says it is left
//! out), enum spellings, and timestamps in one form (see [`time`]).
//!
//! One module per resource; everything is re-exported at the root.

#[macro_use]
mod names;
#[cfg(test)]
#[macro_use]
mod testing;

pub mod access;
pub mod admin;
pub mod error;
pub mod events;
pub mod lineage;
pub mod products;
pub mod proposals;
pub mod refreshes;
pub mod slo;
pub mod subscriptions;
pub mod time;
pub mod tokens;

pub use access::{AccessCheck, AccessDecision, AccessRequest, AccessRequestInput, Grant, GrantStatus, RequestStatus};
pub use admin::{
    AuditEvent, EffectRow, ExternalMerge, FailedEntry, JobKind, JobStatus, Reconciled, RefusedMerge, StatusFilter,
};
pub use error::{ErrorBody, ErrorKind};
pub use events::{CloudEvent, CloudEventType, EventHook, EventHookInput, EventPage, HookChannel};
pub use lineage::{
    DatasetRef, EventType, IgnoredOutput, LineageGraph, LineageLink, LineageNode, LineageOutcome, NodeKind,
    OpenLineageEvent, RecordedRefresh,
};
pub use names::UnknownName;
pub use products::{
    CatalogTable, Column, Contact, Description, DiffBody, ProductDetail, ProductMajor, ProductStatus, ProductSummary,
    ProductVersion, SearchPage, Slo,
};
pub use proposals::{
    BaseKind, Consumer, Decision, Finding, FindingDocument, Impact, Proposal, ProposalStatus, ProposalView, Retyped,
    Severity, SubmitJson,
};
pub use refreshes::{
    MarkerState, MarkerStatus, NotificationStatus, Partition, Refresh, RefreshEvent, RefreshInput, RefreshOutcome,
    RefreshStatus,
};
pub use slo::{SloState, SloStatus, SpecStatus, Tick, TickStatus};
pub use subscriptions::{BreakingChangeNotice, Channel, MajorSunsetNotice, Subscription, SubscriptionInput};
pub use tokens::{CreatedToken, NewToken, Role, TokenInfo, TokenStatus};
