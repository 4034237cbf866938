//! Telling subscribers about a refresh, and producers about their SLO.

use serde::{Deserialize, Serialize};

use super::job::{EffectError, Job, JobContext};
use crate::store::outbox::JobKind;
use crate::store::subscriptions::{Channel, Subscription};
use crate::store::{access, subscriptions};

pub use steward_api::{BreakingChangeNotice, MajorSunsetNotice, RefreshEvent};

/// Tell one subscription about a refresh.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NotifyRefresh {
    pub subscription_id: i64,
    pub event: RefreshEvent,
}

impl Job for NotifyRefresh {
    const KIND: JobKind = JobKind::NotifyRefresh;

    fn occasion(&self) -> String {
        format!("{}:{}", self.event.refresh_id, self.subscription_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        let Some(sub) = live_subscription(ctx, self.subscription_id).await? else {
            return Ok(()); // unsubscribed or revoked since the refresh
        };
        let e = &self.event;
        let what = match &e.partition {
            Some(p) => format!("{} {p}", e.table),
            None => e.table.clone(),
        };
        let subject = format!("[steward] {} refreshed: {what}", e.product);
        let text = format!(
            "{} has new data.\n\nTable:     {}\nPartition: {}\nLocation:  {}\nMarker:    {}\nRows:      {}\nReported:  {}\nRefresh:   {}\n\nYou receive this because account {} subscribed to {}.\n",
            e.product,
            e.table,
            e.partition.as_deref().unwrap_or("-"),
            e.location,
            e.marker,
            e.row_count.map_or_else(|| "-".to_owned(), |n| n.to_string()),
            steward_api::time::format(&e.reported_at),
            e.refresh_id,
            sub.account,
            e.product
        );
        let body = serde_json::to_vec(e).map_err(|x| EffectError::permanent(x.to_string()))?;
        tell(ctx, &sub, &Message { subject: &subject, text: &text, body: &body, event_id: &e.event_id }).await
    }
}

/// Tell one subscription that a breaking version of its product was published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NotifyBreaking {
    pub subscription_id: i64,
    pub notice: BreakingChangeNotice,
}

impl Job for NotifyBreaking {
    const KIND: JobKind = JobKind::NotifyBreaking;

    fn occasion(&self) -> String {
        format!("{}:{}", self.notice.proposal, self.subscription_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        let Some(sub) = live_subscription(ctx, self.subscription_id).await? else {
            return Ok(());
        };
        let n = &self.notice;
        let subject = format!("[steward] breaking change: {} {} replaces {}", n.product, n.version, n.previous_version);
        let mut lost: Vec<String> = n.tables.iter().map(|t| format!("  table {t} is gone")).collect();
        lost.extend(n.columns.iter().map(|c| format!("  column {c} is gone")));
        lost.extend(n.retyped.iter().map(|r| format!("  column {}: {}", r.column, r.why)));
        let when = |t: &Option<chrono::DateTime<chrono::Utc>>| t.as_ref().map(steward_api::time::format);
        let sunset = match (when(&n.end_of_support), when(&n.end_of_life)) {
            (Some(support), Some(life)) => format!(
                "\n\n{} stays published beside it for grants still on it: supported until {support}, retired {life} (grants on it are revoked then). Move yours with `steward access migrate GRANT`.",
                n.previous_version
            ),
            _ => String::new(),
        };
        let text = format!(
            "{} {} (major {}) is published and replaces {}. Queries written for {} may break:\n\n{}{sunset}\n\nProposal {} was approved {}. See `steward products diff {} --from {} --to {}`.\n\nYou receive this because account {} subscribed to {}.\n",
            n.product,
            n.version,
            n.major,
            n.previous_version,
            n.previous_version,
            lost.join("\n"),
            n.proposal,
            steward_api::time::format(&n.published_at),
            n.product,
            n.previous_version,
            n.version,
            sub.account,
            n.product
        );
        let body = serde_json::to_vec(n).map_err(|x| EffectError::permanent(x.to_string()))?;
        tell(ctx, &sub, &Message { subject: &subject, text: &text, body: &body, event_id: &n.event_id }).await
    }
}

/// Tell one subscription that its account's major ends soon or was retired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NotifySunset {
    pub subscription_id: i64,
    pub notice: MajorSunsetNotice,
}

impl NotifySunset {
    pub const REMINDER: &'static str = "end_of_support_reminder";
    pub const RETIRED: &'static str = "major_retired";
}

impl Job for NotifySunset {
    const KIND: JobKind = JobKind::NotifySunset;

    fn occasion(&self) -> String {
        let n = &self.notice;
        format!("{}:{}:{}:{}", n.kind, n.product, n.major, self.subscription_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        let n = &self.notice;
        let retired = n.kind == Self::RETIRED;
        let sub = if retired {
            // The grant was revoked with this notice: tell the subscription
            // unless it was removed since.
            subscriptions::get_with_secret(&mut *ctx.conn().await?, self.subscription_id)
                .await?
                .filter(|s| s.removed_at.is_none())
        } else {
            live_subscription(ctx, self.subscription_id).await?
        };
        let Some(sub) = sub else {
            return Ok(());
        };
        let when = steward_api::time::format;
        let (subject, what) = if retired {
            (
                format!("[steward] {} major {} is retired; grant {} revoked", n.product, n.major, n.grant),
                format!(
                    "Major {} of {} ({}) reached its end of life on {} and is retired: grant {} of account {} on it is revoked.\nRequest access to {} again for the newest major.",
                    n.major,
                    n.product,
                    n.version,
                    when(&n.end_of_life),
                    n.grant,
                    sub.account,
                    n.newest_version
                ),
            )
        } else {
            (
                format!(
                    "[steward] {} major {} ends {}: move to {}",
                    n.product,
                    n.major,
                    when(&n.end_of_support),
                    n.newest_version
                ),
                format!(
                    "Grant {} of account {} still reads major {} of {} ({}).\nIts support ends {} and it is retired {}: then the grant is revoked.\nMove it to {} with `steward access migrate {}`.",
                    n.grant,
                    sub.account,
                    n.major,
                    n.product,
                    n.version,
                    when(&n.end_of_support),
                    when(&n.end_of_life),
                    n.newest_version,
                    n.grant
                ),
            )
        };
        let text = format!("{what}\n\nYou receive this because account {} subscribed to {}.\n", sub.account, n.product);
        let body = serde_json::to_vec(n).map_err(|x| EffectError::permanent(x.to_string()))?;
        tell(ctx, &sub, &Message { subject: &subject, text: &text, body: &body, event_id: &n.event_id }).await
    }
}

/// The subscription, if it is still live and its account still holds a grant.
async fn live_subscription(ctx: &JobContext, id: i64) -> Result<Option<Subscription>, EffectError> {
    let mut conn = ctx.conn().await?;
    let Some(sub) = subscriptions::get_with_secret(&mut conn, id).await? else {
        return Ok(None);
    };
    let granted = access::active_grant(&mut conn, &sub.product_key, &sub.account).await?.is_some();
    Ok((sub.removed_at.is_none() && granted).then_some(sub))
}

/// What a subscription is told: the email's subject and text, the JSON body
/// of a webhook or SNS message, and its idempotency key.
struct Message<'a> {
    subject: &'a str,
    text: &'a str,
    body: &'a [u8],
    event_id: &'a str,
}

/// Sends `m` through the subscription's channel.
async fn tell(ctx: &JobContext, sub: &Subscription, m: &Message<'_>) -> Result<(), EffectError> {
    match sub.channel {
        Channel::Email => {
            let mail = steward_notify::Email {
                to: vec![sub.target.clone()],
                subject: m.subject.to_owned(),
                text: m.text.to_owned(),
            };
            mailer(ctx)?.send(&mail).await?;
        }
        Channel::Webhook => {
            let secret = sub.secret.as_deref().unwrap_or_default();
            ctx.backends.webhooks.post_signed(&sub.target, secret, m.event_id, m.body).await?;
        }
        Channel::Sns => {
            let sns = ctx
                .backends
                .sns
                .as_ref()
                .ok_or_else(|| EffectError::permanent("SNS needs the aws settings (aws.region)"))?;
            let body = std::str::from_utf8(m.body).map_err(|x| EffectError::permanent(x.to_string()))?;
            // The event id deduplicates on FIFO topics; the publisher
            // keeps the subject under SNS's 100 characters.
            sns.publish_event(&sub.target, m.subject, body, m.event_id).await?;
        }
    }
    Ok(())
}

/// Where an SLO alert goes: a producer channel taken from the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum AlertChannel {
    Email,
    Slack,
}

impl AlertChannel {
    const ALL: [AlertChannel; 2] = [AlertChannel::Email, AlertChannel::Slack];

    /// The stored name (also in the dedup key).
    pub const fn as_str(self) -> &'static str {
        match self {
            AlertChannel::Email => "email",
            AlertChannel::Slack => "slack",
        }
    }

    /// The channel a contract's support `tool` names, in any case.
    pub fn from_tool(tool: &str) -> Option<AlertChannel> {
        Self::ALL.into_iter().find(|c| c.as_str().eq_ignore_ascii_case(tool))
    }
}

/// An SLO alert to one producer channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SendAlert {
    pub product_key: String,
    pub channel: AlertChannel,
    pub target: String,
    pub subject: String,
    pub text: String,
    /// Names the alert (product, entry, tick and kind), so the same alert is
    /// never sent twice to a target.
    #[serde(default)]
    pub alert_key: String,
}

impl Job for SendAlert {
    const KIND: JobKind = JobKind::NotifyAlert;

    fn occasion(&self) -> String {
        format!("{}:{}:{}", self.alert_key, self.channel.as_str(), self.target)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        match self.channel {
            AlertChannel::Email => {
                let mail = steward_notify::Email { to: vec![self.target], subject: self.subject, text: self.text };
                mailer(ctx)?.send(&mail).await?;
            }
            AlertChannel::Slack => {
                ctx.backends.webhooks.post_slack(&self.target, &format!("*{}*\n{}", self.subject, self.text)).await?;
            }
        }
        Ok(())
    }
}

fn mailer(ctx: &JobContext) -> Result<&steward_notify::Mailer, EffectError> {
    ctx.backends
        .mailer
        .as_ref()
        .ok_or_else(|| EffectError::permanent("no SMTP server is configured (smtp.host); email cannot be sent"))
}
