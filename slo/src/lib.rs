//! Pure, deterministic SLO evaluation for data-product contracts.
//!
//! A contract's SLO (`steward_schemas::slo::slo_specs`) is a cron schedule in a
//! time zone plus a grace period. Each tick of the schedule is a due time; the
//! tick is met when a refresh of the product (or of the spec's table) arrives
//! after the previous tick and no later than due time + grace.
//!
//! This crate has no I/O and no clock: `now` is always a parameter, so the
//! monitor loop, the history pages and the tests all get the same answers for
//! the same inputs. The rules (windows, one refresh per tick, late ticks,
//! daylight-saving time, alert coalescing) are stated in `docs/slo.md` and in
//! the module docs:
//!
//! * [`schedule`]: due times as UTC instants, DST rules;
//! * [`tick`]: the judgement of one tick;
//! * [`history`]: every tick of a period, compliance;
//! * [`monitor`]: the incremental step with its persisted state and alerts.

pub mod history;
pub mod monitor;
pub mod schedule;
pub mod tick;

pub use history::{compliance, evaluate};
pub use monitor::{Advance, Alert, Breach, MonitorState, advance};
pub use schedule::{DueTimes, due_times, next_due, previous_due};
pub use tick::{Tick, TickStatus};
