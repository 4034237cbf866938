//! The event feed and event hooks (admins only), and announcing grants that
//! end soon. What is recorded and when: [`crate::events`].
//!
//! Admins only, because an event carries what its change touched (an access
//! request's justification, a grant's account) across every domain.

use chrono::Duration;
use serde_json::json;
use steward_api::{EventHook, EventHookInput, EventPage, HookChannel};

use super::{Service, require};
use crate::auth::Principal;
use crate::error::{ServiceError, StoreError};
use crate::events::{Change, sequence};
use crate::store::access;
use crate::store::events::{self, NewHook};

/// The most events one feed page holds.
pub const MAX_PAGE: i64 = 1_000;

fn require_admin(who: &Principal, what: &str) -> Result<(), ServiceError> {
    require(who.is_admin(), format!("only admins may {what}; token `{}` has role {}", who.name, who.roles_label()))
}

/// Reads a feed cursor: a `sequence` from an earlier page (or any
/// non-negative integer); empty or absent is the start.
pub fn parse_after(after: Option<&str>) -> Result<i64, ServiceError> {
    match after.map(str::trim).filter(|a| !a.is_empty()) {
        None => Ok(0),
        Some(a) => a.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ServiceError::BadRequest(format!(
                "after: `{a}` is not an event sequence (the `sequence` or `next_after` of an earlier page)"
            ))
        }),
    }
}

fn check_types(types: &[String]) -> Result<(), ServiceError> {
    for t in types {
        let known = steward_api::CloudEventType::ALL.iter().any(|k| k.as_str().starts_with(t.as_str()));
        if t.is_empty() || !known {
            return Err(ServiceError::BadRequest(format!(
                "types: `{t}` is not the start of any event type (e.g. `io.steward.access.` or `io.steward.proposal.approved`)"
            )));
        }
    }
    Ok(())
}

impl Service {
    /// Events after `after` (a sequence), oldest first, at most `limit`;
    /// `type_prefix` keeps the types that start with it.
    pub async fn events(
        &self,
        who: &Principal,
        after: i64,
        type_prefix: Option<&str>,
        limit: i64,
    ) -> Result<EventPage, ServiceError> {
        require_admin(who, "read the event feed")?;
        if let Some(p) = type_prefix {
            check_types(&[p.to_owned()])
                .map_err(|_| ServiceError::BadRequest(format!("type: `{p}` is not the start of any event type")))?;
        }
        let limit = limit.clamp(1, MAX_PAGE);
        let stored = events::list(&mut *self.conn().await?, after, type_prefix, limit).await?;
        let next_after = stored.last().map_or(after, |e| e.seq);
        let source = &self.backends.events.source;
        let events = stored.into_iter().map(|e| crate::effects::cloud_event(e, source)).collect();
        Ok(EventPage { events, next_after: sequence(next_after) })
    }

    /// Registers a hook every matching event is delivered to from now on.
    /// A webhook's signing secret is in this answer only.
    pub async fn add_event_hook(&self, who: &Principal, input: &EventHookInput) -> Result<EventHook, ServiceError> {
        require_admin(who, "register event hooks")?;
        let target = input.target.trim();
        check_types(&input.types)?;
        let secret = match input.channel {
            HookChannel::Webhook => {
                steward_notify::check_target(target, &self.backends.webhooks)
                    .await
                    .map_err(|e| ServiceError::BadRequest(format!("target: {e}")))?;
                Some(crate::auth::new_webhook_secret())
            }
            HookChannel::Sns => {
                super::subscriptions::check_sns(target)?;
                None
            }
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let id = events::insert_hook(
            &mut tx,
            &NewHook {
                channel: input.channel,
                target,
                types: &input.types,
                secret: secret.as_deref(),
                created_by: &who.name,
                now,
            },
        )
        .await?;
        self.audit(
            &mut tx,
            &who.name,
            "event_hook.add",
            &format!("event_hook:{id}"),
            None,
            Some(json!({"channel": input.channel, "target": crate::redact::text(target), "types": input.types})),
        )
        .await?;
        tx.commit().await?;
        Ok(EventHook {
            id,
            channel: input.channel,
            target: target.to_owned(),
            types: input.types.clone(),
            created_by: who.name.clone(),
            created_at: now,
            secret,
        })
    }

    pub async fn event_hooks(&self, who: &Principal) -> Result<Vec<EventHook>, ServiceError> {
        require_admin(who, "list event hooks")?;
        Ok(events::active_hooks(&mut *self.conn().await?).await?)
    }

    /// Removes a hook: deliveries not yet made to it are dropped.
    pub async fn remove_event_hook(&self, who: &Principal, id: i64) -> Result<(), ServiceError> {
        require_admin(who, "remove event hooks")?;
        let mut tx = self.store.begin().await?;
        if !events::remove_hook(&mut tx, id, self.clock.now()).await? {
            return Err(ServiceError::NotFound(format!("no event hook {id}")));
        }
        self.audit(&mut tx, &who.name, "event_hook.remove", &format!("event_hook:{id}"), None, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Announces (`io.steward.access.expiring`) every active grant that ends
    /// within `events.expiring_days`, once per end date; returns how many.
    pub async fn announce_expiring_grants(&self) -> Result<usize, ServiceError> {
        let days = self.backends.events.expiring_days;
        if days == 0 {
            return Ok(0);
        }
        let now = self.clock.now();
        let horizon = now + Duration::days(i64::from(days));
        let due = access::expiring_unannounced(&mut *self.conn().await?, horizon, 500).await?;
        let mut n = 0;
        for grant in &due {
            let Some(expires_at) = grant.expires_at else { continue };
            let mut tx = self.store.begin().await?;
            // Another replica, a renewal or a revoke may have come first.
            if !access::mark_expiry_announced(&mut tx, grant.id, expires_at).await? {
                continue;
            }
            self.announce(&mut tx, &Change::AccessExpiring { grant, expires_at }).await?;
            tx.commit().await.map_err(StoreError::from)?;
            n += 1;
        }
        Ok(n)
    }
}
