//! Consumers subscribe their accounts to a product's refreshes by email,
//! signed webhook or SNS topic. Only an account with an active grant may
//! subscribe, and only while it holds one is it notified.
//!
//! Who reads a subscription (DESIGN.md, security model): its owner — a
//! consumer token holding its account — in full; the product's producers
//! and admins with the target redacted ([`crate::redact::target`]); nobody
//! else at all (reviewers, consumers of other accounts, producers of other
//! domains). The signing secret is shown once, to whoever made it.

use serde_json::json;

use super::parse_key;
use super::{Service, require};
use crate::auth::{Principal, Role};
use crate::error::{ServiceError, StoreError};
use crate::redact;
use crate::store::subscriptions::{self, NewSubscription};
pub use steward_api::SubscriptionInput;

pub use crate::store::subscriptions::{Channel, Subscription};
use crate::store::{access, products};

fn check_email(target: &str) -> Result<(), ServiceError> {
    let ok = target.len() <= 254
        && target.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.'))
        && !target.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    if ok { Ok(()) } else { Err(ServiceError::BadRequest(format!("target: `{target}` is not an email address"))) }
}

pub(crate) fn check_sns(target: &str) -> Result<(), ServiceError> {
    let parts: Vec<&str> = target.split(':').collect();
    let ok = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "sns"
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && !parts[5].is_empty();
    if ok {
        Ok(())
    } else {
        Err(ServiceError::BadRequest(format!(
            "target: `{target}` is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC)"
        )))
    }
}

impl Service {
    pub async fn subscribe(
        &self,
        who: &Principal,
        key: &str,
        input: &SubscriptionInput,
    ) -> Result<Subscription, ServiceError> {
        let key = parse_key(key)?;
        let account = self.require_account(who, &input.account)?;
        let target = input.target.trim();
        let channel = input.channel;
        let secret = match channel {
            Channel::Email => {
                check_email(target)?;
                None
            }
            Channel::Webhook => {
                steward_notify::check_target(target, &self.backends.webhooks)
                    .await
                    .map_err(|e| ServiceError::BadRequest(format!("target: {e}")))?;
                Some(crate::auth::new_webhook_secret())
            }
            Channel::Sns => {
                check_sns(target)?;
                None
            }
        };
        let key_s = key.to_string();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if products::get(&mut tx, &key_s).await?.is_none() {
            return Err(ServiceError::NotFound(format!("product {key} is not published")));
        }
        let Some(grant) = access::active_grant(&mut tx, &key_s, account.as_str()).await? else {
            return Err(ServiceError::Forbidden(format!(
                "account {account} has no grant on {key}; request access first (steward access request {key})"
            )));
        };
        let id = subscriptions::insert(
            &mut tx,
            &NewSubscription {
                product_key: &key_s,
                account: account.as_str(),
                channel,
                major: grant.major,
                target,
                secret: secret.as_deref(),
                created_by: &who.name,
                now,
            },
        )
        .await?;
        self.audit(
            &mut tx,
            &who.name,
            "subscription.add",
            &format!("subscription:{id}"),
            None,
            // The audit log is read by reviewers and admins, who are not the
            // target's owner: the secret never goes into it.
            Some(json!({"product": key_s, "account": account.as_str(), "channel": channel,
                        "target": redact::target(channel.as_str(), target)})),
        )
        .await?;
        let mut sub = subscriptions::get(&mut tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("{id}")))?;
        tx.commit().await?;
        sub.secret = secret;
        Ok(sub)
    }

    /// Live subscriptions `who` may see, as `who` may see them (see the
    /// module comment): the others are left out, not refused.
    pub async fn subscriptions(&self, who: &Principal, key: Option<&str>) -> Result<Vec<Subscription>, ServiceError> {
        let key = key.map(parse_key).transpose()?.map(|k| k.to_string());
        if !(who.holds(Role::Admin) || who.holds(Role::Producer) || who.holds(Role::Consumer)) {
            return Ok(Vec::new());
        }
        let all = subscriptions::list(&mut *self.conn().await?, key.as_deref()).await?;
        Ok(all.into_iter().filter_map(|s| shown_to(who, s)).collect())
    }

    pub async fn unsubscribe(&self, who: &Principal, id: i64) -> Result<(), ServiceError> {
        // One `who` may not see is answered like one that does not exist.
        let sub = subscriptions::get(&mut *self.conn().await?, id)
            .await?
            .and_then(|s| shown_to(who, s))
            .ok_or_else(|| ServiceError::NotFound(format!("no subscription {id}")))?;
        let owns = who.is_admin() || owner(who, &sub);
        require(owns, format!("token `{}` does not hold account {}", who.name, sub.account))?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !subscriptions::remove(&mut tx, id, now).await? {
            return Err(ServiceError::Conflict(format!("subscription {id} was already removed")));
        }
        self.audit(&mut tx, &who.name, "subscription.remove", &format!("subscription:{id}"), None, None).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Does `who` hold the subscription's account?
fn owner(who: &Principal, s: &Subscription) -> bool {
    who.holds(Role::Consumer) && who.accounts().contains(&s.account)
}

/// The subscription as `who` may read it, or `None` if `who` may not read it.
fn shown_to(who: &Principal, mut s: Subscription) -> Option<Subscription> {
    if owner(who, &s) {
        return Some(s);
    }
    let domain = s.product_key.split_once('.').map_or(s.product_key.as_str(), |(d, _)| d);
    let producer = who.domains().iter().any(|d| d == domain);
    if !(producer || who.is_admin()) {
        return None;
    }
    s.target = redact::target(s.channel.as_str(), &s.target);
    s.secret = None;
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_checked() {
        assert!(check_email("ops@example.com").is_ok());
        assert!(check_email("ops@localhost").is_err());
        assert!(check_email("a@b.com, c@d.com").is_err());
        assert!(check_sns("arn:aws:sns:eu-west-1:123456789012:orders").is_ok());
        assert!(check_sns("arn:aws:sqs:eu-west-1:123456789012:orders").is_err());
    }
}
