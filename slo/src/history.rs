//! The history of a spec: every tick due in a period, judged as of `now`, and
//! the compliance figures computed from it.
//!
//! This recomputes from the refreshes alone (no monitor state), so the portal
//! can show a product's record even for periods the monitor never saw; it
//! applies the same tick rule (`tick::judge`) as the monitor, so the settled ticks
//! the monitor stores agree with it.

use chrono::{DateTime, Utc};
use steward_schemas::slo::SloSpec;

use crate::schedule::{DueTimes, previous_due};
use crate::tick::{Tick, TickStatus, judge};

/// Every tick of `spec` due in `(from, now]`, judged as of `now`.
///
/// The first tick's window starts at the schedule's due time at or before
/// `from` (so a refresh shortly before `from` still counts for it, as it would
/// have with an earlier start). `refreshes` must be sorted; those after `now`
/// are ignored. The last ticks may be `Pending` (deadline not passed) or
/// `Missed` but still able to turn `Late` (see [`crate::TickStatus`]).
pub fn evaluate(spec: &SloSpec, refreshes: &[DateTime<Utc>], from: DateTime<Utc>, now: DateTime<Utc>) -> Vec<Tick> {
    debug_assert!(refreshes.is_sorted(), "refreshes must be sorted");
    let mut ticks = Vec::new();
    let mut window_start = previous_due(spec, from).unwrap_or(from);
    let mut credited: Option<DateTime<Utc>> = None;
    let mut dues = DueTimes::after(spec, from).peekable();
    while let Some(due) = dues.next() {
        if due > now {
            break;
        }
        let deadline = due + spec.grace;
        let lower = credited.map_or(window_start, |c| c.max(window_start));
        let verdict = judge(lower, deadline, dues.peek().copied(), refreshes, now);
        ticks.push(Tick { due, deadline, window_start, status: verdict.status, refresh_at: verdict.refresh_at });
        if verdict.status == TickStatus::Met {
            credited = verdict.refresh_at;
        }
        window_start = due;
    }
    ticks
}

/// The share of ticks due at or after `since` that were met, in `[0, 1]`;
/// `None` when no such tick is decided yet.
///
/// Met, late and missed ticks count (late and missed as not met); pending ones
/// do not. A missed tick that may still turn late counts as not met, which is
/// already its final effect on the figure.
pub fn compliance(ticks: &[Tick], since: DateTime<Utc>) -> Option<f64> {
    let (mut met, mut total) = (0u32, 0u32);
    for t in ticks.iter().filter(|t| t.due >= since) {
        match t.status {
            TickStatus::Pending => {}
            TickStatus::Met => {
                met += 1;
                total += 1;
            }
            TickStatus::Late | TickStatus::Missed => total += 1,
        }
    }
    (total > 0).then(|| f64::from(met) / f64::from(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use chrono_tz::Tz;
    use steward_schemas::cron::CronSchedule;

    fn spec(cron: &str) -> SloSpec {
        SloSpec {
            index: 0,
            table: None,
            schedule: CronSchedule::parse(cron).unwrap(),
            timezone: Tz::UTC,
            grace: Duration::minutes(30),
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-11-{s}:00Z")).unwrap().with_timezone(&Utc)
    }

    fn statuses(ticks: &[Tick]) -> Vec<String> {
        ticks
            .iter()
            .map(|t| {
                let r = t.refresh_at.map(|r| r.format(" %H:%M").to_string()).unwrap_or_default();
                format!("{} {}{r}", t.due.format("%H:%M"), t.status)
            })
            .collect()
    }

    #[test]
    fn hourly_history_with_each_outcome() {
        let s = spec("0 * * * *");
        let refreshes = [
            t("22T08:50"), // 09:00 met
            t("22T10:20"), // 10:00 met in its grace
            t("22T11:45"), // 11:00 late; also the first refresh in the window of 12:00
            t("22T11:59"), // unused: 12:00 took the 11:45 one
            t("22T15:10"), // 13:00 and 14:00 missed, 15:00 met in grace
        ];
        let ticks = evaluate(&s, &refreshes, t("22T08:00"), t("22T16:40"));
        assert_eq!(
            statuses(&ticks),
            [
                "09:00 met 08:50",
                "10:00 met 10:20",
                "11:00 late 11:45",
                "12:00 met 11:45",
                "13:00 missed",
                "14:00 missed",
                "15:00 met 15:10",
                "16:00 missed", // still open: no refresh yet, may turn late before 17:00
            ]
        );
        assert_eq!(ticks[0].window_start, t("22T08:00"));
        assert_eq!(ticks[1].window_start, t("22T09:00"));
        assert_eq!(ticks[1].deadline, t("22T10:30"));
        // 4 met out of 8 decided.
        assert_eq!(compliance(&ticks, t("22T00:00")), Some(0.5));
        assert_eq!(compliance(&ticks, t("22T15:00")), Some(0.5));
        assert_eq!(compliance(&ticks, t("22T17:00")), None);
    }

    #[test]
    fn one_refresh_counts_for_one_tick() {
        let s = spec("0 * * * *");
        // A single refresh in the grace of 10:00 is also inside the window of
        // 11:00, but it is credited to 10:00 only.
        let ticks = evaluate(&s, &[t("22T10:10")], t("22T09:30"), t("22T12:00"));
        assert_eq!(statuses(&ticks), ["10:00 met 10:10", "11:00 missed", "12:00 pending"]);
        // Two refreshes in that grace: the second one counts for 11:00.
        let ticks = evaluate(&s, &[t("22T10:10"), t("22T10:20")], t("22T09:30"), t("22T12:00"));
        assert_eq!(statuses(&ticks), ["10:00 met 10:10", "11:00 met 10:20", "12:00 pending"]);
        // A refresh before the due time leaves the grace refresh to the next tick.
        let ticks = evaluate(&s, &[t("22T09:55"), t("22T10:10")], t("22T09:30"), t("22T11:31"));
        assert_eq!(statuses(&ticks), ["10:00 met 09:55", "11:00 met 10:10"]);
    }

    #[test]
    fn first_window_starts_at_the_previous_due() {
        let s = spec("0 6 * * *");
        // Evaluated from 12:00: the 06:00 tick of the 23rd may use a refresh from 07:00 on the 22nd.
        let ticks = evaluate(&s, &[t("22T07:00")], t("22T12:00"), t("23T07:00"));
        assert_eq!(statuses(&ticks), ["06:00 met 07:00"]);
        assert_eq!(ticks[0].window_start, t("22T06:00"));
    }

    #[test]
    fn grace_longer_than_the_interval() {
        // Every 15 minutes with a 1 hour grace: windows overlap, still one refresh per tick.
        let mut s = spec("*/15 * * * *");
        s.grace = Duration::hours(1);
        let ticks = evaluate(&s, &[t("22T10:50"), t("22T10:55")], t("22T10:00"), t("22T11:20"));
        assert_eq!(
            statuses(&ticks),
            ["10:15 met 10:50", "10:30 met 10:55", "10:45 pending", "11:00 pending", "11:15 pending"]
        );
        let ticks = evaluate(&s, &[], t("22T10:00"), t("22T11:20"));
        assert_eq!(statuses(&ticks)[0], "10:15 missed", "no late window when the grace spans the interval");
    }
}
