//! The monitor step: from a persisted state, the refreshes and `now`, find the
//! ticks that became final, the alerts to send, and the next state.
//!
//! Alerting is built so that a producer gets one mail per breach, not one per
//! tick, and never the same mail twice:
//!
//! * a tick is counted as missed once (the state remembers the last one,
//!   `missed_through`), so repeated calls with the same or a later `now` never
//!   re-alert it;
//! * a breach opens at the first missed tick and ends at the first refresh
//!   credited after it (a late refresh, or one meeting a later tick);
//! * within one call: one newly missed tick that opens a breach gives `Missed`;
//!   one newly missed tick in a breach already alerted gives nothing (on a
//!   15-minute schedule an outage of a day is one mail, not 96); two or more
//!   newly missed ticks (the monitor was down, or fell behind a tick interval)
//!   give exactly one `MissedSummary`, whatever the breach state;
//! * a breach that was alerted gives `Recovered` when it ends. A breach that
//!   opens and ends between two calls (the tick turned late before the monitor
//!   looked) sends no `Missed`/`Recovered` pair: it is in the history as late,
//!   and in a `MissedSummary` if the call found other missed ticks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use steward_schemas::slo::SloSpec;

use crate::schedule::{DueTimes, previous_due};
use crate::tick::{Tick, TickStatus, judge};

/// An open breach: consecutive ticks that missed their deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    /// Due time of the first missed tick.
    pub since: DateTime<Utc>,
    /// Ticks that missed their deadline in this breach so far.
    pub missed_ticks: u32,
}

/// What the monitor remembers per (product, spec) between calls; persisted as JSON.
///
/// It only grows forward: `advance` never revisits a settled tick. Equal
/// states mean nothing changed, so the caller may skip the write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorState {
    /// Ticks due at or before this are settled, or predate the state.
    pub settled_through: DateTime<Utc>,
    /// Start of the first unsettled tick's window (the previous due time);
    /// `None` until the first `advance`, which sets it to the schedule's due
    /// time at or before `settled_through`.
    pub window_start: Option<DateTime<Utc>>,
    /// The last refresh that met a tick: it cannot count for another one.
    pub credited: Option<DateTime<Utc>>,
    /// Due time of the last tick counted as missed (alerted or summarised).
    pub missed_through: Option<DateTime<Utc>>,
    /// The open breach, if any; it has always been alerted.
    pub breach: Option<Breach>,
}

impl MonitorState {
    /// A state for a schedule that starts at `t` (a new product, or a new
    /// contract version's schedule): ticks due at or before `t` are never
    /// judged nor alerted.
    pub fn starting_at(t: DateTime<Utc>) -> Self {
        Self { settled_through: t, window_start: None, credited: None, missed_through: None, breach: None }
    }

    /// `advance` needs the refreshes strictly after this instant (fewer is wrong,
    /// more is harmless).
    pub fn refreshes_needed_after(&self, spec: &SloSpec) -> DateTime<Utc> {
        self.window_start.unwrap_or_else(|| previous_due(spec, self.settled_through).unwrap_or(self.settled_through))
    }
}

/// A message for the producer. `table` is the spec's table (`None`: the product).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Alert {
    /// The first tick of a breach missed its deadline.
    Missed { table: Option<String>, due: DateTime<Utc>, deadline: DateTime<Utc> },
    /// Several ticks found missed at once (after downtime, or in a continuing breach).
    MissedSummary {
        table: Option<String>,
        first_due: DateTime<Utc>,
        last_due: DateTime<Utc>,
        count: u32,
        /// The breach is still open at the end of the call (no refresh since).
        still_missing: bool,
    },
    /// A refresh ended a breach that had been alerted.
    Recovered { table: Option<String>, refresh_at: DateTime<Utc>, breach_since: DateTime<Utc>, missed_ticks: u32 },
}

impl Alert {
    /// The instant the alert is about, for ordering.
    fn at(&self) -> DateTime<Utc> {
        match self {
            Self::Missed { due, .. } => *due,
            Self::MissedSummary { first_due, .. } => *first_due,
            Self::Recovered { refresh_at, .. } => *refresh_at,
        }
    }
}

/// The result of one monitor step.
#[derive(Debug, Clone, PartialEq)]
pub struct Advance {
    pub state: MonitorState,
    /// In chronological order; at most one `Missed` or `MissedSummary` and one `Recovered`.
    pub alerts: Vec<Alert>,
    /// Ticks that became final (met, late or missed) in this step, oldest first.
    pub settled: Vec<Tick>,
}

/// Newly missed ticks found by one call.
#[derive(Default)]
struct NewlyMissed {
    count: u32,
    first: Option<DateTime<Utc>>,
    last: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// One monitor step as of `now` (see the module docs for the alert rules).
///
/// `refreshes` must be sorted and hold at least those after
/// [`MonitorState::refreshes_needed_after`]; refreshes after `now` are ignored.
pub fn advance(state: &MonitorState, spec: &SloSpec, refreshes: &[DateTime<Utc>], now: DateTime<Utc>) -> Advance {
    debug_assert!(refreshes.is_sorted(), "refreshes must be sorted");
    let mut st = *state;
    let mut window_start = st.refreshes_needed_after(spec);
    // A persisted open breach has been alerted; one opened in this call not yet.
    let mut breach_alerted = st.breach.is_some();
    let mut newly = NewlyMissed::default();
    let mut recovered = None;
    let mut settled = Vec::new();

    let mut dues = DueTimes::after(spec, st.settled_through).peekable();
    while let Some(due) = dues.next() {
        if due > now {
            break;
        }
        let deadline = due + spec.grace;
        let lower = st.credited.map_or(window_start, |c| c.max(window_start));
        let verdict = judge(lower, deadline, dues.peek().copied(), refreshes, now);

        if matches!(verdict.status, TickStatus::Missed | TickStatus::Late) && st.missed_through.is_none_or(|m| due > m)
        {
            st.missed_through = Some(due);
            newly.count += 1;
            newly.first.get_or_insert(due);
            newly.last = Some((due, deadline));
            match &mut st.breach {
                Some(b) => b.missed_ticks += 1,
                None => {
                    st.breach = Some(Breach { since: due, missed_ticks: 1 });
                    breach_alerted = false;
                }
            }
        }
        if let Some(refresh_at) = verdict.refresh_at {
            if let Some(b) = st.breach.take()
                && breach_alerted
            {
                recovered = Some(Alert::Recovered {
                    table: spec.table.clone(),
                    refresh_at,
                    breach_since: b.since,
                    missed_ticks: b.missed_ticks,
                });
            }
            breach_alerted = false;
            if verdict.status == TickStatus::Met {
                st.credited = Some(refresh_at);
            }
        }
        if !verdict.settled {
            break;
        }
        settled.push(Tick { due, deadline, window_start, status: verdict.status, refresh_at: verdict.refresh_at });
        st.settled_through = due;
        window_start = due;
    }
    st.window_start = Some(window_start);

    let mut alerts = Vec::new();
    if let (Some(first_due), Some((last_due, deadline))) = (newly.first, newly.last) {
        if newly.count >= 2 {
            alerts.push(Alert::MissedSummary {
                table: spec.table.clone(),
                first_due,
                last_due,
                count: newly.count,
                still_missing: st.breach.is_some(),
            });
        } else if st.breach.is_some() && !breach_alerted {
            alerts.push(Alert::Missed { table: spec.table.clone(), due: last_due, deadline });
        }
    }
    alerts.extend(recovered);
    alerts.sort_by_key(Alert::at);
    Advance { state: st, alerts, settled }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use chrono_tz::Tz;
    use steward_schemas::cron::CronSchedule;

    fn hourly() -> SloSpec {
        SloSpec {
            index: 0,
            table: None,
            schedule: CronSchedule::parse("0 * * * *").unwrap(),
            timezone: Tz::UTC,
            grace: Duration::minutes(30),
        }
    }

    fn t(hm: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-11-22T{hm}:00Z")).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn breach_continues_silently_one_tick_per_call() {
        let s = hourly();
        let mut st = MonitorState::starting_at(t("09:30"));
        let mut sent = vec![];
        for now in ["10:31", "10:45", "11:31", "12:31", "12:31", "13:31"] {
            let out = advance(&st, &s, &[], t(now));
            sent.extend(out.alerts);
            st = out.state;
        }
        assert_eq!(sent, [Alert::Missed { table: None, due: t("10:00"), deadline: t("10:30") }]);
        assert_eq!(st.breach, Some(Breach { since: t("10:00"), missed_ticks: 4 }));
        assert_eq!(st.settled_through, t("12:00"), "13:00 may still turn late");
    }

    #[test]
    fn recovery_and_a_new_breach_in_one_call_in_order() {
        let s = hourly();
        let first = advance(&MonitorState::starting_at(t("09:30")), &s, &[], t("10:35"));
        assert_eq!(first.alerts.len(), 1);
        // Down until 12:40; 10:50 made 10:00 late and met 11:00, nothing for 12:00.
        let out = advance(&first.state, &s, &[t("10:50")], t("12:40"));
        assert_eq!(
            out.alerts,
            [
                Alert::Recovered { table: None, refresh_at: t("10:50"), breach_since: t("10:00"), missed_ticks: 1 },
                Alert::Missed { table: None, due: t("12:00"), deadline: t("12:30") },
            ]
        );
        let statuses: Vec<_> = out.settled.iter().map(|k| (k.due, k.status)).collect();
        assert_eq!(statuses, [(t("10:00"), TickStatus::Late), (t("11:00"), TickStatus::Met)]);
    }

    #[test]
    fn refreshes_after_now_are_not_seen_yet() {
        let s = hourly();
        let out = advance(&MonitorState::starting_at(t("09:30")), &s, &[t("10:50")], t("10:40"));
        assert_eq!(out.alerts, [Alert::Missed { table: None, due: t("10:00"), deadline: t("10:30") }]);
        assert!(out.settled.is_empty());
    }

    #[test]
    fn alerts_serialize_with_a_kind() {
        let a = Alert::MissedSummary {
            table: Some("orders".into()),
            first_due: t("10:00"),
            last_due: t("12:00"),
            count: 3,
            still_missing: true,
        };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["kind"], "missed_summary");
        assert_eq!(json["first_due"], "2026-11-22T10:00:00Z");
        assert_eq!(serde_json::from_value::<Alert>(json).unwrap(), a);
    }
}
