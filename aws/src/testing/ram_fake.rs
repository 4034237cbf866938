//! An in-memory fake of the AWS RAM REST-JSON API, for what moto lacks:
//! `AssociateResourceShare`, `DisassociateResourceShare`, invitations and
//! `AcceptResourceShareInvitation`, `ListResources` for shared-with-me
//! resources, and state shared across accounts.
//!
//! The calling account comes from the `x-moto-account-id` header, else from a
//! 12-digit access key id in the SigV4 `Authorization` credential, else
//! moto's default `123456789012`. Signatures are not checked.
//!
//! Semantics kept from RAM: share names need not be unique (clients must find
//! before they create); sharing with a principal in another account creates a
//! PENDING invitation for that account, and the principal association stays
//! `ASSOCIATING` until it is accepted; only shares' owners see and change
//! them; deleted shares remain listed with status `DELETED`. List calls answer
//! in pages of 3 unless `maxResults` says otherwise, so that clients'
//! pagination is exercised.
//!
//! An AWS Organization with RAM sharing enabled can be declared
//! ([`RamFake::set_organization`]): sharing between two of its accounts then
//! associates the principal at once and sends no invitation, as RAM does for
//! accounts of the sharer's organization when sharing with AWS Organizations
//! is enabled (for Lake Formation's shares: "The data lake administrator in
//! account B must accept the share. (This isn't necessary if accounts A and B
//! are in the same organization …)",
//! https://docs.aws.amazon.com/lake-formation/latest/dg/cross-account-read-data.html;
//! https://docs.aws.amazon.com/lake-formation/latest/dg/viewing-shared-resources.html).
//! [`RamFake::hide_shared_resources`] plays RAM's eventual consistency: the
//! next calls of `ListResources` list nothing, as right after an acceptance.
//! What Lake Formation itself does with RAM is modelled in
//! [`super::lf_share_model`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const DEFAULT_ACCOUNT: &str = "123456789012";
const PAGE: usize = 3;

#[derive(Debug, Clone)]
struct Assoc {
    entity: String,
    status: &'static str,
    external: bool,
}

#[derive(Debug)]
struct Share {
    arn: String,
    name: String,
    owner: String,
    allow_external: bool,
    status: &'static str,
    time: f64,
    principals: Vec<Assoc>,
    resources: Vec<Assoc>,
}

#[derive(Debug)]
struct Invitation {
    arn: String,
    share_arn: String,
    share_name: String,
    sender: String,
    receiver: String,
    status: &'static str,
    time: f64,
}

#[derive(Debug, Default)]
struct Inner {
    shares: Vec<Share>,
    invitations: Vec<Invitation>,
    calls: Vec<(String, String)>,
    seq: u64,
    /// Accounts of the one AWS Organization (RAM org sharing enabled).
    organization: Vec<String>,
    /// `ListResources` calls still to answer with nothing.
    hidden_lists: usize,
}

/// An invitation as the fake holds it (for tests' assertions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeInvitation {
    /// The invitation ARN.
    pub arn: String,
    /// The share it invites to.
    pub share_arn: String,
    /// The share's name.
    pub share_name: String,
    /// The sending (owning) account.
    pub sender: String,
    /// The invited account.
    pub receiver: String,
    /// `PENDING`, `ACCEPTED`, ...
    pub status: String,
}

/// What [`RamFake::upsert_share`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Upserted {
    pub share_arn: String,
    pub share_name: String,
    pub created: bool,
    pub invitation: Option<String>,
}

/// A running fake; the server stops when this is dropped.
#[derive(Debug)]
pub struct RamFake {
    url: String,
    state: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RamFake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RamFake {
    /// Starts a fake on a free loopback port.
    pub async fn start() -> RamFake {
        let state = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().route("/{op}", axum::routing::any(dispatch)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind RAM fake");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        RamFake { url, state, task }
    }

    /// The endpoint URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `(account, operation)` of every call so far, operations by their URI
    /// name (e.g. `createresourceshare`).
    pub fn calls(&self) -> Vec<(String, String)> {
        self.lock().calls.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Declares `accounts` one AWS Organization with RAM sharing enabled
    /// (replacing any earlier one): shares between two of them need no
    /// invitation from now on.
    pub fn set_organization(&self, accounts: &[&str]) {
        self.lock().organization = accounts.iter().map(|a| (*a).to_owned()).collect();
    }

    /// The next `calls` calls of `ListResources` (any account) list nothing,
    /// as RAM may right after an invitation was accepted.
    pub fn hide_shared_resources(&self, calls: usize) {
        self.lock().hidden_lists = calls;
    }

    /// Every invitation the fake holds, oldest first.
    pub fn invitations(&self) -> Vec<FakeInvitation> {
        self.lock()
            .invitations
            .iter()
            .map(|i| FakeInvitation {
                arn: i.arn.clone(),
                share_arn: i.share_arn.clone(),
                share_name: i.share_name.clone(),
                sender: i.sender.clone(),
                receiver: i.receiver.clone(),
                status: i.status.to_owned(),
            })
            .collect()
    }

    /// As `owner`, adds `principal` and `resources` to the ACTIVE share of
    /// `owner` whose name starts with `name_prefix` and that already has
    /// `principal`, or else to a new share named `new_name` in `region`.
    /// Invitations follow the organization as for API calls.
    pub(crate) fn upsert_share(
        &self,
        owner: &str,
        region: &str,
        name_prefix: &str,
        new_name: &str,
        principal: &str,
        resources: &[String],
    ) -> Upserted {
        let mut st = self.lock();
        let Inner { shares, invitations, seq, organization, .. } = &mut *st;
        let existing = shares.iter().position(|s| {
            s.owner == owner
                && s.status == "ACTIVE"
                && s.name.starts_with(name_prefix)
                && s.principals.iter().any(|a| a.entity == principal && a.status != "DISASSOCIATED")
        });
        let created = existing.is_none();
        let index = existing.unwrap_or_else(|| {
            *seq += 1;
            shares.push(Share {
                arn: format!("arn:aws:ram:{region}:{owner}:resource-share/share-{:06}", *seq),
                name: new_name.to_owned(),
                owner: owner.to_owned(),
                allow_external: true,
                status: "ACTIVE",
                time: now(),
                principals: Vec::new(),
                resources: Vec::new(),
            });
            shares.len() - 1
        });
        let share = &mut shares[index];
        add_resources(share, resources);
        let before = invitations.len();
        add_principals(share, invitations, seq, organization, &[principal.to_owned()]);
        Upserted {
            share_arn: share.arn.clone(),
            share_name: share.name.clone(),
            created,
            invitation: invitations.get(before).map(|i| i.arn.clone()),
        }
    }
}

type Shared = Arc<Mutex<Inner>>;

fn error(code: &str, message: impl Into<String>) -> Response {
    let message = message.into();
    (
        StatusCode::BAD_REQUEST,
        [("x-amzn-ErrorType", code.to_owned())],
        axum::Json(json!({ "__type": code, "message": message })),
    )
        .into_response()
}

/// The calling account and region, from the headers.
fn caller(headers: &HeaderMap) -> (String, String) {
    let credential = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .map(|c| c.split([',', ' ']).next().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let mut scope = credential.split('/');
    let key = scope.next().unwrap_or_default();
    let region = scope.nth(1).filter(|r| !r.is_empty()).unwrap_or("us-east-1").to_owned();
    let account = headers
        .get("x-moto-account-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| is_account(key).then(|| key.to_owned()))
        .unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned());
    (account, region)
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account of a principal (an account id or an IAM ARN).
fn principal_account(p: &str) -> Option<String> {
    if is_account(p) {
        return Some(p.to_owned());
    }
    let account = p.strip_prefix("arn:aws:iam::")?.split(':').next()?;
    is_account(account).then(|| account.to_owned())
}

fn strings(body: &Value, key: &str) -> Vec<String> {
    body.get(key)
        .and_then(Value::as_array)
        .map_or_else(Vec::new, |a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

fn now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// One page of `items` after `nextToken`.
fn page(items: Vec<Value>, body: &Value, key: &str) -> Response {
    let start = body.get("nextToken").and_then(Value::as_str).and_then(|t| t.parse::<usize>().ok()).unwrap_or(0);
    let size = body.get("maxResults").and_then(Value::as_u64).map_or(PAGE, |n| n.max(1) as usize);
    let end = (start + size).min(items.len());
    let mut out = json!({ key: items.get(start..end).unwrap_or_default() });
    if end < items.len() {
        out["nextToken"] = json!(end.to_string());
    }
    axum::Json(out).into_response()
}

fn share_json(s: &Share) -> Value {
    json!({
        "resourceShareArn": s.arn, "name": s.name, "owningAccountId": s.owner,
        "allowExternalPrincipals": s.allow_external, "status": s.status,
        "creationTime": s.time, "lastUpdatedTime": s.time, "featureSet": "STANDARD",
    })
}

fn assoc_json(s: &Share, a: &Assoc, kind: &str) -> Value {
    json!({
        "resourceShareArn": s.arn, "resourceShareName": s.name, "associatedEntity": a.entity,
        "associationType": kind, "status": a.status, "external": a.external,
        "creationTime": s.time, "lastUpdatedTime": s.time,
    })
}

fn invitation_json(i: &Invitation) -> Value {
    json!({
        "resourceShareInvitationArn": i.arn, "resourceShareName": i.share_name, "resourceShareArn": i.share_arn,
        "senderAccountId": i.sender, "receiverAccountId": i.receiver, "invitationTimestamp": i.time, "status": i.status,
    })
}

/// The RAM resource type of an ARN, e.g. `glue:Table`.
fn resource_type(arn: &str) -> String {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let (service, resource) = (parts.get(2).copied().unwrap_or(""), parts.get(5).copied().unwrap_or(""));
    let kind = resource.split(['/', ':']).next().unwrap_or("");
    let mut chars = kind.chars();
    let kind = chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default();
    format!("{service}:{kind}")
}

async fn dispatch(
    State(state): State<Shared>,
    Path(op): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (account, region) = caller(&headers);
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return error("MalformedRequest", e.to_string()),
        }
    };
    let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
    st.calls.push((account.clone(), op.clone()));
    match (method, op.as_str()) {
        (Method::POST, "createresourceshare") => create(&mut st, &account, &region, &body),
        (Method::POST, "getresourceshares") => get_shares(&st, &account, &body),
        (Method::POST, "associateresourceshare") => associate(&mut st, &account, &body, true),
        (Method::POST, "disassociateresourceshare") => associate(&mut st, &account, &body, false),
        (Method::POST, "getresourceshareassociations") => associations(&st, &account, &body),
        (Method::POST, "getresourceshareinvitations") => {
            let arns = strings(&body, "resourceShareInvitationArns");
            let shares = strings(&body, "resourceShareArns");
            let items = st
                .invitations
                .iter()
                .filter(|i| i.receiver == account)
                .filter(|i| arns.is_empty() || arns.contains(&i.arn))
                .filter(|i| shares.is_empty() || shares.contains(&i.share_arn))
                .map(invitation_json)
                .collect();
            page(items, &body, "resourceShareInvitations")
        }
        (Method::POST, "acceptresourceshareinvitation") => accept(&mut st, &account, &body),
        (Method::POST, "listpendinginvitationresources") => pending_resources(&st, &account, &body),
        (Method::POST, "listresources") => {
            if st.hidden_lists > 0 {
                st.hidden_lists -= 1;
                return axum::Json(json!({ "resources": [] })).into_response();
            }
            list_resources(&st, &account, &body)
        }
        (Method::DELETE, "deleteresourceshare") => {
            let arn = query.get("resourceShareArn").cloned().unwrap_or_default();
            let Some(share) = st.shares.iter_mut().find(|s| s.arn == arn && s.owner == account) else {
                return error("UnknownResourceException", format!("ResourceShare {arn} could not be found."));
            };
            if share.status == "DELETED" {
                return error("UnknownResourceException", format!("ResourceShare {arn} is already deleted."));
            }
            share.status = "DELETED";
            for a in share.principals.iter_mut().chain(share.resources.iter_mut()) {
                a.status = "DISASSOCIATED";
            }
            axum::Json(json!({ "returnValue": true })).into_response()
        }
        (_, other) => error("UnsupportedOperation", format!("the RAM fake does not implement {other}")),
    }
}

/// Adds `principals` to `share`, inviting external accounts (those outside
/// `organization` or, when they are in it, the owner's organization too: no
/// invitation, associated at once).
fn add_principals(
    share: &mut Share,
    invitations: &mut Vec<Invitation>,
    seq: &mut u64,
    organization: &[String],
    principals: &[String],
) {
    for p in principals {
        if share.principals.iter().any(|a| &a.entity == p && a.status != "DISASSOCIATED") {
            continue;
        }
        let in_org = |a: &str| organization.iter().any(|o| o == a);
        let external = principal_account(p).is_some_and(|a| a != share.owner && !(in_org(&a) && in_org(&share.owner)));
        share.principals.retain(|a| &a.entity != p);
        share.principals.push(Assoc {
            entity: p.clone(),
            status: if external { "ASSOCIATING" } else { "ASSOCIATED" },
            external,
        });
        if let Some(receiver) = principal_account(p).filter(|_| external) {
            *seq += 1;
            let region = share.arn.split(':').nth(3).unwrap_or("us-east-1");
            invitations.push(Invitation {
                arn: format!("arn:aws:ram:{region}:{}:resource-share-invitation/inv-{:06}", share.owner, *seq),
                share_arn: share.arn.clone(),
                share_name: share.name.clone(),
                sender: share.owner.clone(),
                receiver,
                status: "PENDING",
                time: now(),
            });
        }
    }
}

fn add_resources(share: &mut Share, resources: &[String]) {
    for r in resources {
        share.resources.retain(|a| &a.entity != r);
        share.resources.push(Assoc { entity: r.clone(), status: "ASSOCIATED", external: false });
    }
}

/// Checks principals and resources a share of `owner` may take.
fn check(owner: &str, allow_external: bool, principals: &[String], resources: &[String]) -> Option<Response> {
    for p in principals {
        match principal_account(p) {
            None => return Some(error("InvalidParameterException", format!("principal {p} is not valid"))),
            Some(a) if a != owner && !allow_external => {
                return Some(error("OperationNotPermittedException", format!("{p} is outside your organization")));
            }
            Some(_) => {}
        }
    }
    for r in resources {
        if r.split(':').nth(4) != Some(owner) {
            return Some(error("MalformedArnException", format!("{r} is not a resource of account {owner}")));
        }
    }
    None
}

fn create(st: &mut Inner, account: &str, region: &str, body: &Value) -> Response {
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
    if name.is_empty() {
        return error("InvalidParameterException", "name is required");
    }
    let allow_external = body.get("allowExternalPrincipals").and_then(Value::as_bool).unwrap_or(true);
    let (principals, resources) = (strings(body, "principals"), strings(body, "resourceArns"));
    if let Some(e) = check(account, allow_external, &principals, &resources) {
        return e;
    }
    st.seq += 1;
    let mut share = Share {
        arn: format!("arn:aws:ram:{region}:{account}:resource-share/share-{:06}", st.seq),
        name,
        owner: account.to_owned(),
        allow_external,
        status: "ACTIVE",
        time: now(),
        principals: Vec::new(),
        resources: Vec::new(),
    };
    add_resources(&mut share, &resources);
    let Inner { invitations, seq, organization, .. } = st;
    add_principals(&mut share, invitations, seq, organization, &principals);
    let out = json!({ "resourceShare": share_json(&share) });
    st.shares.push(share);
    axum::Json(out).into_response()
}

fn get_shares(st: &Inner, account: &str, body: &Value) -> Response {
    let owner = body.get("resourceOwner").and_then(Value::as_str).unwrap_or_default();
    let name = body.get("name").and_then(Value::as_str);
    let status = body.get("resourceShareStatus").and_then(Value::as_str);
    let arns = strings(body, "resourceShareArns");
    let visible = |s: &&Share| match owner {
        "SELF" => s.owner == account,
        "OTHER-ACCOUNTS" => s.principals.iter().any(|a| a.entity == account && a.status == "ASSOCIATED"),
        _ => false,
    };
    if owner != "SELF" && owner != "OTHER-ACCOUNTS" {
        return error("InvalidParameterException", "resourceOwner must be SELF or OTHER-ACCOUNTS");
    }
    let items = st
        .shares
        .iter()
        .filter(visible)
        .filter(|s| name.is_none_or(|n| s.name == n))
        .filter(|s| status.is_none_or(|x| s.status == x))
        .filter(|s| arns.is_empty() || arns.contains(&s.arn))
        .map(share_json)
        .collect();
    page(items, body, "resourceShares")
}

fn associate(st: &mut Inner, account: &str, body: &Value, add: bool) -> Response {
    let arn = body.get("resourceShareArn").and_then(Value::as_str).unwrap_or_default().to_owned();
    let (principals, resources) = (strings(body, "principals"), strings(body, "resourceArns"));
    let Inner { shares, invitations, seq, organization, .. } = st;
    let Some(share) = shares.iter_mut().find(|s| s.arn == arn && s.owner == account && s.status == "ACTIVE") else {
        return error("UnknownResourceException", format!("ResourceShare {arn} could not be found."));
    };
    if add {
        if let Some(e) = check(account, share.allow_external, &principals, &resources) {
            return e;
        }
        add_resources(share, &resources);
        add_principals(share, invitations, seq, organization, &principals);
    } else {
        for a in share.principals.iter_mut().filter(|a| principals.contains(&a.entity)) {
            a.status = "DISASSOCIATED";
        }
        for a in share.resources.iter_mut().filter(|a| resources.contains(&a.entity)) {
            a.status = "DISASSOCIATED";
        }
    }
    let share = &*share;
    let items: Vec<Value> = share
        .principals
        .iter()
        .filter(|a| principals.contains(&a.entity))
        .map(|a| assoc_json(share, a, "PRINCIPAL"))
        .chain(
            share.resources.iter().filter(|a| resources.contains(&a.entity)).map(|a| assoc_json(share, a, "RESOURCE")),
        )
        .collect();
    axum::Json(json!({ "resourceShareAssociations": items })).into_response()
}

fn associations(st: &Inner, account: &str, body: &Value) -> Response {
    let kind = body.get("associationType").and_then(Value::as_str).unwrap_or_default();
    let arns = strings(body, "resourceShareArns");
    let status = body.get("associationStatus").and_then(Value::as_str);
    let mut items = Vec::new();
    for s in st.shares.iter().filter(|s| s.owner == account && (arns.is_empty() || arns.contains(&s.arn))) {
        let list = match kind {
            "PRINCIPAL" => &s.principals,
            "RESOURCE" => &s.resources,
            _ => return error("InvalidParameterException", "associationType must be PRINCIPAL or RESOURCE"),
        };
        items.extend(list.iter().filter(|a| status.is_none_or(|x| a.status == x)).map(|a| assoc_json(s, a, kind)));
    }
    page(items, body, "resourceShareAssociations")
}

fn accept(st: &mut Inner, account: &str, body: &Value) -> Response {
    let arn = body.get("resourceShareInvitationArn").and_then(Value::as_str).unwrap_or_default();
    let Some(inv) = st.invitations.iter_mut().find(|i| i.arn == arn && i.receiver == account) else {
        return error("ResourceShareInvitationArnNotFoundException", format!("invitation {arn} not found"));
    };
    match inv.status {
        "PENDING" => inv.status = "ACCEPTED",
        "ACCEPTED" => return error("ResourceShareInvitationAlreadyAcceptedException", "already accepted"),
        _ => return error("ResourceShareInvitationExpiredException", format!("invitation is {}", inv.status)),
    }
    let out = json!({ "resourceShareInvitation": invitation_json(inv) });
    let share_arn = inv.share_arn.clone();
    if let Some(share) = st.shares.iter_mut().find(|s| s.arn == share_arn) {
        for a in share.principals.iter_mut().filter(|a| a.entity == account && a.status == "ASSOCIATING") {
            a.status = "ASSOCIATED";
        }
    }
    axum::Json(out).into_response()
}

fn resource_json(s: &Share, arn: &str) -> Value {
    json!({
        "arn": arn, "type": resource_type(arn), "resourceShareArn": s.arn, "status": "AVAILABLE",
        "creationTime": s.time, "lastUpdatedTime": s.time, "resourceRegionScope": "REGIONAL",
    })
}

/// `ListPendingInvitationResources`: what an invitation would give, so that a
/// consumer can look before it accepts. Only the invited account may ask.
fn pending_resources(st: &Inner, account: &str, body: &Value) -> Response {
    let arn = body.get("resourceShareInvitationArn").and_then(Value::as_str).unwrap_or_default();
    let Some(inv) = st.invitations.iter().find(|i| i.arn == arn && i.receiver == account) else {
        return error("ResourceShareInvitationArnNotFoundException", format!("invitation {arn} not found"));
    };
    match inv.status {
        "PENDING" => {}
        "ACCEPTED" => return error("ResourceShareInvitationAlreadyAcceptedException", "already accepted"),
        other => return error("ResourceShareInvitationExpiredException", format!("invitation is {other}")),
    }
    let items = st
        .shares
        .iter()
        .filter(|s| s.arn == inv.share_arn && s.status == "ACTIVE")
        .flat_map(|s| s.resources.iter().filter(|r| r.status == "ASSOCIATED").map(move |r| resource_json(s, &r.entity)))
        .collect();
    page(items, body, "resources")
}

fn list_resources(st: &Inner, account: &str, body: &Value) -> Response {
    let owner = body.get("resourceOwner").and_then(Value::as_str).unwrap_or_default();
    let arns = strings(body, "resourceShareArns");
    let wanted_type = body.get("resourceType").and_then(Value::as_str);
    let mut items = Vec::new();
    for s in st.shares.iter().filter(|s| s.status == "ACTIVE" && (arns.is_empty() || arns.contains(&s.arn))) {
        let visible = match owner {
            "SELF" => s.owner == account,
            "OTHER-ACCOUNTS" => s.principals.iter().any(|a| a.entity == account && a.status == "ASSOCIATED"),
            _ => return error("InvalidParameterException", "resourceOwner must be SELF or OTHER-ACCOUNTS"),
        };
        if !visible {
            continue;
        }
        for r in s.resources.iter().filter(|r| r.status == "ASSOCIATED") {
            let kind = resource_type(&r.entity);
            if wanted_type.is_some_and(|t| !t.eq_ignore_ascii_case(&kind)) {
                continue;
            }
            items.push(resource_json(s, &r.entity));
        }
    }
    page(items, body, "resources")
}
