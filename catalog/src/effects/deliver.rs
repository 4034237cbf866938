//! Delivering one recorded event to one event hook (`event.deliver`).

use serde::{Deserialize, Serialize};
use steward_api::{CloudEvent, HookChannel, events::CLOUDEVENTS_JSON};

use super::job::{EffectError, Job, JobContext};
use crate::store::events::{self, StoredEvent};
use crate::store::outbox::JobKind;

/// Send event `seq` to hook `hook_id`. Both are read when the job runs: a
/// hook removed in between receives nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DeliverEvent {
    pub hook_id: i64,
    pub seq: i64,
}

/// The CloudEvent of a stored event, as the feed and the hooks show it.
pub(crate) fn cloud_event(e: StoredEvent, source: &str) -> CloudEvent {
    CloudEvent {
        specversion: steward_api::events::SPEC_VERSION.to_owned(),
        id: e.event_id,
        source: source.to_owned(),
        kind: e.kind,
        subject: e.subject,
        time: e.at,
        datacontenttype: "application/json".to_owned(),
        sequence: crate::events::sequence(e.seq),
        data: e.data,
    }
}

impl Job for DeliverEvent {
    const KIND: JobKind = JobKind::EventDeliver;

    fn occasion(&self) -> String {
        format!("{}:{}", self.seq, self.hook_id)
    }

    async fn run(self, ctx: &JobContext) -> Result<(), EffectError> {
        let mut conn = ctx.conn().await?;
        let Some(hook) = events::active_hook_with_secret(&mut conn, self.hook_id).await? else {
            return Ok(()); // removed since
        };
        let Some(stored) = events::get(&mut conn, self.seq).await? else {
            return Err(EffectError::permanent(format!("event {} is not in the event log", self.seq)));
        };
        drop(conn);
        let event = cloud_event(stored, &ctx.event_source);
        let body = serde_json::to_vec(&event).map_err(|e| EffectError::permanent(e.to_string()))?;
        match hook.channel {
            HookChannel::Webhook => {
                let secret = hook.secret.as_deref().unwrap_or_default();
                ctx.backends.webhooks.post_signed_as(&hook.target, secret, &event.id, &body, CLOUDEVENTS_JSON).await?;
            }
            HookChannel::Sns => {
                let sns = ctx
                    .backends
                    .sns
                    .as_ref()
                    .ok_or_else(|| EffectError::permanent("SNS needs the aws settings (aws.region)"))?;
                let subject = format!("[steward] {} {}", event.kind, event.subject.as_deref().unwrap_or_default());
                let text = String::from_utf8(body).map_err(|e| EffectError::permanent(e.to_string()))?;
                sns.publish_event(&hook.target, &subject, &text, &event.id).await?;
            }
        }
        Ok(())
    }
}
