//! Admin writes that are not about one aggregate: retrying a dead-lettered
//! side effect. Authorized and audited here like every other state change.

use serde_json::json;

use super::{Service, require};
use crate::auth::Principal;
use crate::error::{ServiceError, StoreError};
use crate::store::outbox;

impl Service {
    /// Puts a dead-lettered effect back in the queue, audited as the admin
    /// who asked. The jobs it blocks run once it is done.
    pub async fn retry_effect(&self, who: &Principal, id: i64) -> Result<(), ServiceError> {
        require(who.is_admin(), format!("only admins retry effects; token `{}` has role {}", who.name, who.role))?;
        let mut tx = self.store.begin().await?;
        if outbox::retry_dead(&mut tx, id, self.clock.now()).await? {
            let effect = outbox::get(&mut tx, id).await?;
            let kind = effect.as_ref().map(|e| e.kind.as_str().to_owned());
            self.audit(
                &mut tx,
                &who.name,
                "outbox.retry",
                &format!("effect:{id}"),
                Some(json!({"status": "dead"})),
                Some(json!({"status": "pending", "kind": kind})),
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
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
