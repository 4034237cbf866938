//! Admin reads and writes that are not about one aggregate: the audit log,
//! the outbox and retrying a dead-lettered side effect. Authorized here
//! like every other operation; the retry is audited.

use serde_json::json;

use super::{Service, require};
use crate::auth::Principal;
use crate::error::ServiceError;
pub use crate::store::audit::{AuditEvent, AuditFilter};
pub use crate::store::outbox::{EffectRow, JobStatus, StatusFilter};
use crate::store::{audit, outbox};

impl Service {
    /// The audit log, newest first (admins and reviewers). Nobody reading
    /// it owns the notification targets in it: they are shown redacted
    /// (new events are written without secrets; this covers older ones).
    pub async fn audit_log(&self, who: &Principal, filter: &AuditFilter) -> Result<Vec<AuditEvent>, ServiceError> {
        require(
            who.can_review(),
            format!(
                "only admins and reviewers read the audit log; token `{}` has role {}",
                who.name,
                who.roles_label()
            ),
        )?;
        super::plain_text("actor", filter.actor.as_deref())?;
        super::plain_text("action", filter.action.as_deref())?;
        super::plain_text("target", filter.target.as_deref())?;
        let mut events = audit::list(&mut *self.conn().await?, filter).await?;
        for e in &mut events {
            e.before.iter_mut().chain(e.after.iter_mut()).for_each(crate::redact::json);
        }
        Ok(events)
    }

    /// Outbox jobs (admins): pending, done, dead-lettered or blocked, newest
    /// first. Alert targets (Slack webhook URLs, e-mail addresses) that
    /// admins do not own are redacted in payloads, dedup keys and errors.
    pub async fn outbox(
        &self,
        who: &Principal,
        status: Option<StatusFilter>,
        limit: i64,
    ) -> Result<Vec<EffectRow>, ServiceError> {
        require(
            who.is_admin(),
            format!("only admins read the outbox; token `{}` has role {}", who.name, who.roles_label()),
        )?;
        let mut rows = outbox::list(&mut *self.conn().await?, status, limit).await?;
        for r in &mut rows {
            crate::redact::json(&mut r.payload);
            r.dedup_key = crate::redact::text(&r.dedup_key);
            r.last_error = r.last_error.as_deref().map(crate::redact::text);
        }
        Ok(rows)
    }

    /// Puts a dead-lettered effect back in the queue, audited as the admin
    /// who asked. The jobs it blocks run once it is done.
    pub async fn retry_effect(&self, who: &Principal, id: i64) -> Result<(), ServiceError> {
        require(
            who.is_admin(),
            format!("only admins retry effects; token `{}` has role {}", who.name, who.roles_label()),
        )?;
        let mut tx = self.store.begin().await?;
        if outbox::retry_dead(&mut tx, id, self.clock.now()).await? {
            let effect = outbox::get(&mut tx, id).await?;
            let kind = effect.as_ref().map(|e| e.kind.as_str().to_owned());
            self.audit(
                &mut tx,
                &who.name,
                "outbox.retry",
                &format!("effect:{id}"),
                Some(json!({"status": JobStatus::Dead})),
                Some(json!({"status": JobStatus::Pending, "kind": kind})),
            )
            .await?;
            tx.commit().await?;
            return Ok(());
        }
        match outbox::get(&mut tx, id).await? {
            None => Err(ServiceError::NotFound(format!("no effect {id}"))),
            Some(e) => Err(ServiceError::Conflict(match e.blocked_by {
                Some(b) => format!("effect {id} is not dead-lettered: it waits for effect {b}, which is; retry {b}"),
                None => format!("effect {id} is not dead-lettered (it is {})", e.status.as_str()),
            })),
        }
    }
}
