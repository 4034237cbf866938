//! `/api/v1/proposals/{id}/withdraw`: a producer takes back a proposal
//! still pending review (the producer's workspace; the portal's "My
//! proposals" calls the same [`Service::withdraw_proposal`]).

use axum::Json;
use axum::extract::State;

use super::auth::Auth;
use super::error::{ApiResult, ErrorBody};
use super::extract::Path;
use super::json::JsonBody;
use crate::service::Service;
use crate::service::proposals::Proposal;
use steward_api::Decision;

/// Withdraw a proposal pending review (its submitter, or a producer of its
/// domain); it ends `withdrawn` and its version may be proposed again.
#[utoipa::path(post, path = "/api/v1/proposals/{id}/withdraw", tag = "proposals", params(("id" = i64, Path)),
    request_body(content = Decision, description = "`comment`: optional, why (shown to reviewers, kept in the audit)"),
    responses((status = 200, body = Proposal, description = "Withdrawn"),
        (status = 403, body = ErrorBody, description = "Reviewers and consumers withdraw nothing"),
        (status = 404, body = ErrorBody, description = "No such proposal, or not of the caller's domains"),
        (status = 409, body = ErrorBody, description = "No longer pending review (decided or already withdrawn)")),
    security(("bearer" = [])))]
pub async fn withdraw(
    State(service): State<Service>,
    Auth(who): Auth,
    Path(id): Path<i64>,
    body: Option<JsonBody<Decision>>,
) -> ApiResult<Json<Proposal>> {
    let decision = body.map(|JsonBody(d)| d).unwrap_or_default();
    Ok(Json(service.withdraw_proposal(&who, id, decision.comment.as_deref()).await?))
}
