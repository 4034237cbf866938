//! The consumer's data and the pieces of markup both pages use: "Your
//! access" and "How to use it" on the product page, and the rows and forms
//! of My access.

use maud::{Markup, html};
use steward_catalog::auth::Role;
use steward_catalog::error::ServiceError;
use steward_catalog::model::ProductDetail;
use steward_catalog::service::access::{AccessFilter, AccessRequest, Grant, GrantStatus, RequestStatus};
use steward_catalog::service::subscriptions::Subscription;
use steward_catalog::service::{Service, SharesBackend};

use super::Back;
use crate::page::when;
use crate::session::{CSRF_FIELD, Session};

/// Rows listed per kind (requests, grants).
const LIMIT: i64 = 200;

/// A consumer's requests, grants and subscriptions (on one product, or all).
pub struct Mine {
    pub requests: Vec<AccessRequest>,
    pub grants: Vec<Grant>,
    pub subscriptions: Vec<Subscription>,
}

impl Mine {
    /// What the service lets `session` read of its own accounts' access;
    /// `None` for other roles (their accounts are not "theirs").
    pub async fn load(service: &Service, session: &Session, key: Option<&str>) -> Option<Result<Mine, ServiceError>> {
        let who = &session.who;
        if !who.holds(Role::Consumer) {
            return None;
        }
        let load = async {
            let product_key = key.map(str::to_owned);
            let requests =
                AccessFilter { status: None, product_key: product_key.clone(), accounts: None, limit: LIMIT };
            // With a product the service shows every account's grants (who has
            // access is public); only this token's accounts are "mine".
            let accounts = who.accounts();
            let grants = AccessFilter { status: None, product_key, accounts: Some(accounts.clone()), limit: LIMIT };
            // Someone who also produces reads their domains' requests too; only their accounts' are "mine".
            let mut requests = service.access_requests(who, &requests).await?;
            requests.retain(|r| accounts.contains(&r.account));
            Ok::<_, ServiceError>(Mine {
                requests,
                grants: service.grants(who, &grants).await?,
                subscriptions: service.subscriptions(who, key).await?,
            })
        };
        Some(load.await)
    }

    fn active_grant(&self, key: &str, account: &str) -> Option<&Grant> {
        self.grants.iter().find(|g| g.status == GrantStatus::Active && g.product_key == key && g.account == account)
    }

    fn pending(&self, key: &str, account: &str) -> Option<&AccessRequest> {
        self.requests
            .iter()
            .find(|r| r.status == RequestStatus::Pending && r.product_key == key && r.account == account)
    }

    /// The success message after a consumer form, naming the item.
    pub fn done_message(&self, done: &str, id: i64) -> Option<String> {
        let request = self.requests.iter().find(|r| r.id == id);
        let named =
            |r: &AccessRequest| format!("access request #{} for account {} on {}", r.id, r.account, r.product_key);
        Some(match (done, request) {
            ("requested", Some(r)) => format!("Sent {}: a reviewer decides.", named(r)),
            ("renewal", Some(r)) => format!(
                "Asked to renew grant #{} ({}): a reviewer decides; approval moves its end date.",
                r.renews.unwrap_or_default(),
                named(r)
            ),
            ("cancelled", Some(r)) => format!("Cancelled {}.", named(r)),
            ("subscribed", _) => {
                let s = self.subscriptions.iter().find(|s| s.id == id)?;
                format!(
                    "Subscribed account {} to {} by {} to {} (subscription #{}).",
                    s.account, s.product_key, s.channel, s.target, s.id
                )
            }
            ("unsubscribed", _) => format!("Removed subscription #{id}."),
            _ => return None,
        })
    }
}

/// Hidden fields every consumer form carries: the CSRF token and where to come back to.
fn hidden(session: &Session, back: Back, key: &str) -> Markup {
    html! {
        input type="hidden" name=(CSRF_FIELD) value=(session.csrf);
        input type="hidden" name="back" value=(back.value());
        input type="hidden" name="product" value=(key);
    }
}

/// "Cancel request #N": only for the token that asked (the service allows no one else).
pub fn cancel_form(session: &Session, r: &AccessRequest, back: Back) -> Markup {
    html! {
        @if r.status == RequestStatus::Pending && r.requested_by == session.who.name {
            form.inline.cancel method="post" action={ "/access/" (r.id) "/cancel" } {
                (hidden(session, back, &r.product_key))
                button.danger type="submit" aria-label={ "Cancel access request #" (r.id) " for account " (r.account) } {
                    "Cancel request #" (r.id)
                }
            }
        }
    }
}

/// "Renew": a folded form for an active grant with an end date.
pub fn renew_form(session: &Session, g: &Grant, back: Back) -> Markup {
    let id = format!("renew-{}", g.id);
    html! {
        @if g.status == GrantStatus::Active && g.expires_at.is_some() {
            details.renew {
                summary { "Renew grant #" (g.id) }
                form method="post" action={ "/grants/" (g.id) "/renew" } {
                    (hidden(session, back, &g.product_key))
                    label for={ (id) "-why" } { "Why does account " (g.account) " still need it?" }
                    textarea id={ (id) "-why" } name="justification" rows="2" maxlength="2000" required {}
                    label for={ (id) "-days" } { "Days past the current end (empty: until revoked)" }
                    input id={ (id) "-days" } type="number" name="duration_days" min="1" max="3650" value="90";
                    button.primary type="submit" { "Ask to renew grant #" (g.id) }
                }
            }
        }
    }
}

/// The subscriptions, with a remove button each.
pub fn subscriptions_table(session: &Session, subs: &[Subscription], back: Back, with_product: bool) -> Markup {
    html! {
        @if subs.is_empty() {
            p.muted { "No subscriptions." }
        } @else {
            div.scroll tabindex="0" role="region" aria-label="Subscriptions" {
                table.subscriptions {
                    thead { tr {
                        th { "#" } @if with_product { th { "Product" } } th { "Account" } th { "Channel" } th { "Target" } th { "Since" } th { span.muted { "Remove" } }
                    } }
                    tbody {
                        @for s in subs {
                            tr id={ "subscription-" (s.id) } {
                                td { (s.id) }
                                @if with_product { td { a href={ "/products/" (s.product_key) } { (s.product_key) } } }
                                td { code { (s.account) } }
                                td { (s.channel) }
                                td { code.wrap { (s.target) } }
                                td { (when(&s.created_at)) }
                                td {
                                    form.inline method="post" action={ "/subscriptions/" (s.id) "/remove" } {
                                        (hidden(session, back, &s.product_key))
                                        button.link type="submit" aria-label={ "Remove subscription #" (s.id) " (" (s.channel) ")" } { "Remove" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// "Your access" on a product page: per account of the token, its grant
/// or pending request, and the request, renew, cancel and subscribe forms.
pub fn your_access(session: &Session, p: &ProductDetail, mine: &Result<Mine, ServiceError>) -> Markup {
    let mine = match mine {
        Ok(m) => m,
        Err(e) => return html! { section #mine { h2 { "Your access" } p.muted { (crate::page::describe(e).1) } } },
    };
    let accounts = &session.who.accounts();
    let free: Vec<&String> = accounts
        .iter()
        .filter(|a| mine.active_grant(&p.key, a).is_none() && mine.pending(&p.key, a).is_none())
        .collect();
    let granted: Vec<&String> = accounts.iter().filter(|a| mine.active_grant(&p.key, a).is_some()).collect();
    html! {
        section #mine {
            h2 { "Your access" }
            @if accounts.is_empty() {
                p.muted { "Your token holds no account; ask an admin for one that does." }
            } @else {
                div.scroll tabindex="0" role="region" aria-label="Your access" {
                    table.mine {
                        thead { tr { th { "Account" } th { "Access" } th { "Ends" } th { span.muted { "Actions" } } } }
                        tbody {
                            @for a in accounts {
                                @let grant = mine.active_grant(&p.key, a);
                                @let pending = mine.pending(&p.key, a);
                                tr id={ "mine-" (a) } {
                                    td { code { (a) } }
                                    td {
                                        @if let Some(g) = grant {
                                            span.badge.g-active { "active" } " grant #" (g.id)
                                            " since " (when(&g.granted_at))
                                        }
                                        @if let Some(r) = pending {
                                            @if grant.is_some() { br; }
                                            span.badge.a-pending { "pending" } " "
                                            @if let Some(g) = r.renews { "renewal of grant #" (g) ", " }
                                            "request #" (r.id) " of " (when(&r.requested_at))
                                            @if let Some(d) = r.duration_days { ", for " (d) " days" }
                                        }
                                        @if grant.is_none() && pending.is_none() { span.muted { "no access" } }
                                    }
                                    td {
                                        @if let Some(g) = grant {
                                            @match &g.expires_at {
                                                Some(e) => span.expires { (when(e)) },
                                                None => "until revoked",
                                            }
                                        }
                                    }
                                    td {
                                        @if let Some(r) = pending { (cancel_form(session, r, Back::Product)) }
                                        @else if let Some(g) = grant { (renew_form(session, g, Back::Product)) }
                                    }
                                }
                            }
                        }
                    }
                }
                (request_form(session, p, &free))
                h3 { "Subscriptions to refreshes" }
                (subscriptions_table(session, &mine.subscriptions, Back::Product, false))
                @if granted.is_empty() {
                    p.muted { "Once an account has access, subscribe it to refreshes by email, webhook or SNS." }
                } @else {
                    (subscribe_form(session, &p.key, &granted))
                }
            }
            p { a href="/my/access" { "My access: all your requests, grants and subscriptions →" } }
        }
    }
}

fn request_form(session: &Session, p: &ProductDetail, free: &[&String]) -> Markup {
    html! {
        @if p.status.is_withdrawn() {
            p.muted { "This product is " (p.status) ": no new access is granted." }
        } @else if !free.is_empty() {
            form.request-access method="post" action={ "/products/" (p.key) "/request-access" } {
                h3 { "Request access" }
                (hidden(session, Back::Product, &p.key))
                label for="req-account" { "Account" }
                select #req-account name="account" {
                    @for a in free { option value=(a) { (a) } }
                }
                label for="req-justification" { "Why does the account need the data? (the reviewer reads this)" }
                textarea #req-justification name="justification" rows="3" maxlength="2000" required {}
                label for="req-duration" { "Duration in days (empty: until revoked)" }
                input #req-duration type="number" name="duration_days" min="1" max="3650" value="90";
                button.primary type="submit" { "Request access" }
            }
        }
    }
}

fn subscribe_form(session: &Session, key: &str, granted: &[&String]) -> Markup {
    html! {
        form.subscribe method="post" action={ "/products/" (key) "/subscribe" } {
            h3 { "Subscribe" }
            (hidden(session, Back::Product, key))
            label for="sub-account" { "Account" }
            select #sub-account name="account" { @for a in granted { option value=(a) { (a) } } }
            label for="sub-channel" { "Channel" }
            select #sub-channel name="channel" {
                option value="email" { "E-mail" }
                option value="webhook" { "Webhook (signed POST; the secret is shown once)" }
                option value="sns" { "SNS topic" }
            }
            label for="sub-target" { "Address, https URL or topic ARN" }
            input #sub-target type="text" name="target" required maxlength="2048"
                placeholder="team@example.com · https://hooks.example.com/steward · arn:aws:sns:…";
            button.primary type="submit" { "Subscribe" }
        }
    }
}

/// The account and region in a RAM share ARN
/// (`arn:PARTITION:ram:REGION:ACCOUNT:resource-share/…`): the governance
/// account that owns the share, and its region.
fn share_owner(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "ram", region, account, _]
            if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !region.is_empty() =>
        {
            Some((account, region))
        }
        _ => None,
    }
}

/// "How to use it": the catalog database and tables, and on AWS the share
/// state of the consumer's grants and the `steward shares accept` step.
pub fn how_to_use(service: &Service, p: &ProductDetail, mine: Option<&Result<Mine, ServiceError>>) -> Markup {
    let aws = service.backends().shares == SharesBackend::Aws;
    let grants: Vec<&Grant> = match mine {
        Some(Ok(m)) => m.grants.iter().filter(|g| g.status == GrantStatus::Active && g.product_key == p.key).collect(),
        _ => Vec::new(),
    };
    let owner = grants.iter().find_map(|g| g.share_arn.as_deref().and_then(share_owner));
    let account = grants.first().map_or("YOUR_ACCOUNT", |g| g.account.as_str());
    let example = p.tables.first().map(|t| format!("SELECT * FROM {}.{} LIMIT 10;", p.database, t.name));
    html! {
        section #use {
            h2 { "How to use it" }
            dl.facts {
                dt { "Catalog database" } dd { code { (p.database) } }
                dt { "Tables" }
                dd { @for (i, t) in p.tables.iter().enumerate() { @if i > 0 { ", " } code { (p.database) "." (t.name) } } }
            }
            @if let Some(sql) = example { pre { code { (sql) } } }
            @if aws {
                h3 { "On AWS" }
                p {
                    "An approved request is a Lake Formation grant from the governance account on "
                    code { (p.database) } " and its tables; Lake Formation shares them with your account "
                    "in a RAM share named " code { "LakeFormation-…" } "."
                }
                @if !grants.is_empty() {
                    ul.shares {
                        @for g in &grants {
                            li {
                                "Account " code { (g.account) } ": "
                                @match &g.share_arn {
                                    Some(arn) => { span.badge.g-active { "shared" } " " code.wrap { (arn) } },
                                    None => { span.badge.a-pending { "being shared" } " the grant is recorded; Lake Formation has not reported the share yet" },
                                }
                            }
                        }
                    }
                }
                p { "Then, in your account, as its Lake Formation data-lake administrator:" }
                pre {
                    code {
                        "steward shares accept --account " (account) " --governance-account "
                        (owner.map_or("GOVERNANCE_ACCOUNT", |(a, _)| a))
                        @if let Some((_, region)) = owner { " --region " (region) }
                    }
                }
                p.muted {
                    "It accepts the invitation (accounts outside the governance account's AWS Organization get one), "
                    "creates a resource link to the shared database and, with " code { "--grant-to ROLE_ARN" }
                    ", lets your query roles read the tables. Safe to run again."
                    @if owner.is_none() { " The governance account id is your platform team's (" code { "STEWARD_GOVERNANCE_ACCOUNT" } ")." }
                }
            } @else {
                p {
                    "Steward's embedded share backend records grants; whether an account may read the product is "
                    code { "GET /api/v1/products/" (p.key) "/access/" (account) } "."
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_owner_is_read_from_the_arn() {
        assert_eq!(
            share_owner("arn:aws:ram:eu-west-1:111111111111:resource-share/LakeFormation-V3-abc"),
            Some(("111111111111", "eu-west-1"))
        );
        assert_eq!(share_owner("arn:aws:ram:eu-west-1:12:resource-share/x"), None);
        assert_eq!(share_owner("not an arn"), None);
    }
}
