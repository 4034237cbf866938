//! One tick of a schedule and the rule that judges it.
//!
//! The rule lives in one function, `judge`, used both by the history
//! ([`crate::evaluate`]) and by the monitor ([`crate::advance`]), so the two
//! can never disagree about a tick.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The state of a tick as of some `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TickStatus {
    /// The deadline has not passed and no refresh counts for the tick yet.
    Pending,
    /// A refresh arrived in the window `(window_start, deadline]`.
    Met,
    /// No refresh by the deadline; one arrived after it but no later than the next due time.
    Late,
    /// No refresh by the deadline (and, once final, none before the next due time either).
    Missed,
}

impl TickStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Met => "met",
            Self::Late => "late",
            Self::Missed => "missed",
        }
    }
}

impl fmt::Display for TickStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One due time of a schedule and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tick {
    pub due: DateTime<Utc>,
    /// `due + grace`: the last instant a refresh meets the tick.
    pub deadline: DateTime<Utc>,
    /// The previous due time (or, for the first tick a monitor state sees, the
    /// schedule's due time before it): refreshes must be strictly after this.
    pub window_start: DateTime<Utc>,
    pub status: TickStatus,
    /// The refresh credited to the tick (met or late).
    pub refresh_at: Option<DateTime<Utc>>,
}

/// The judgement of one tick as of `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub status: TickStatus,
    pub refresh_at: Option<DateTime<Utc>>,
    /// The status can no longer change, whatever `now` and refreshes come later.
    pub settled: bool,
}

/// Judges one tick.
///
/// * `lower`: refreshes at or before this do not count: the later of the window
///   start and the last refresh that met a tick (a refresh meets one tick only;
///   a late refresh is not consumed, it also counts for the next tick, whose
///   window it lies in);
/// * `next_due`: the following tick, which closes the late window (`None`: the
///   schedule never fires again, and a missed tick is final at once);
/// * `refreshes`: sorted; those after `now` are ignored (not seen yet).
///
/// Boundaries: a refresh exactly at the deadline meets the tick, one exactly at
/// the next due time makes it late; the tick is missed only once `now` is
/// strictly past the deadline, and final-missed once `now` is strictly past the
/// next due time.
pub(crate) fn judge(
    lower: DateTime<Utc>,
    deadline: DateTime<Utc>,
    next_due: Option<DateTime<Utc>>,
    refreshes: &[DateTime<Utc>],
    now: DateTime<Utc>,
) -> Verdict {
    let i = refreshes.partition_point(|r| *r <= lower);
    let first = refreshes.get(i).copied().filter(|r| *r <= now);
    match first {
        Some(r) if r <= deadline => Verdict { status: TickStatus::Met, refresh_at: Some(r), settled: true },
        _ if now <= deadline => Verdict { status: TickStatus::Pending, refresh_at: None, settled: false },
        Some(r) if next_due.is_none_or(|n| r <= n) => {
            Verdict { status: TickStatus::Late, refresh_at: Some(r), settled: true }
        }
        _ => {
            let settled = next_due.is_none_or(|n| now > n);
            Verdict { status: TickStatus::Missed, refresh_at: None, settled }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-11-22T{s}:00Z")).unwrap().with_timezone(&Utc)
    }

    fn v(refs: &[&str], now: &str) -> (TickStatus, Option<String>, bool) {
        let refs: Vec<_> = refs.iter().map(|r| t(r)).collect();
        // Tick due 10:00, grace 30 minutes, previous due 09:00, next 11:00.
        let x = judge(t("09:00"), t("10:30"), Some(t("11:00")), &refs, t(now));
        (x.status, x.refresh_at.map(|r| r.format("%H:%M").to_string()), x.settled)
    }

    #[test]
    fn window_boundaries() {
        use TickStatus::*;
        assert_eq!(v(&["09:00"], "12:00"), (Missed, None, true), "at the window start: previous tick's");
        assert_eq!(v(&["09:01"], "09:30"), (Met, Some("09:01".into()), true), "met before its due is final");
        assert_eq!(v(&["10:30"], "10:30"), (Met, Some("10:30".into()), true), "the deadline is inclusive");
        assert_eq!(v(&[], "10:30"), (Pending, None, false));
        assert_eq!(v(&[], "10:31"), (Missed, None, false), "missed, may still turn late");
        assert_eq!(v(&["10:31"], "10:40"), (Late, Some("10:31".into()), true));
        assert_eq!(v(&["11:00"], "11:05"), (Late, Some("11:00".into()), true), "the next due is inclusive");
        assert_eq!(v(&["11:01"], "11:05"), (Missed, None, true), "after the next due: the next tick's");
        assert_eq!(v(&[], "11:00"), (Missed, None, false));
        assert_eq!(v(&[], "11:01"), (Missed, None, true));
        assert_eq!(v(&["10:10"], "10:05"), (Pending, None, false), "refreshes after now are not seen yet");
        assert_eq!(v(&["09:10", "09:20", "10:40"], "12:00"), (Met, Some("09:10".into()), true), "first refresh");
    }

    #[test]
    fn status_text() {
        assert_eq!(TickStatus::Late.to_string(), "late");
        assert_eq!(serde_json::to_string(&TickStatus::Missed).unwrap(), "\"missed\"");
        assert_eq!(serde_json::from_str::<TickStatus>("\"met\"").unwrap(), TickStatus::Met);
    }
}
