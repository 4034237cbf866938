//! Side effects and the outbox jobs that carry them.
//!
//! A service operation that implies work outside the store (an AWS call, a
//! `_SUCCESS` marker, a notification) enqueues a job here, inside its own
//! transaction; [`crate::worker::outbox`] runs the jobs after the commit
//! through the backends in [`backends`]. Every job is idempotent, because a
//! worker that dies after the effect but before marking it done will see it
//! again. Job payloads carry ids, not copies of mutable state: a job reads
//! the current product, grant or subscription when it runs (so a
//! subscription removed or a grant revoked in between is honoured).
//!
//! Each kind of job is a type implementing [`Job`]: its payload (the struct),
//! its dedup key and ordering lane (derived from the payload), and its run
//! function, which gets a [`JobContext`] (store, backends, lake) and not the
//! whole service. [`Queued`] turns a claimed row back into its typed job.

pub(crate) mod backends;
mod deliver;
mod job;
pub(crate) mod lake;
mod marker;
mod notify;
pub(crate) mod openlineage;
mod publish;
mod share;

pub(crate) use deliver::{DeliverEvent, cloud_event};
pub(crate) use job::{EffectError, JobContext, Lane, Queued, enqueue, enqueue_all};
pub(crate) use marker::WriteMarker;
pub(crate) use notify::{
    AlertChannel, BreakingChangeNotice, MajorSunsetNotice, NotifyBreaking, NotifyRefresh, NotifySunset, RefreshEvent,
    SendAlert,
};
pub(crate) use openlineage::EmitLineage;
pub(crate) use publish::{PublishCatalog, RetireCatalog};
pub(crate) use share::{GrantShare, RevokeShare, ShareTarget};
