//! Due times: the ticks of a cron schedule as UTC instants.
//!
//! Cron fields are wall-clock times in the spec's time zone, but the monitor
//! compares instants, so every tick is mapped to UTC here, once, with a fixed
//! rule for the two hours a year where wall clocks misbehave:
//!
//! * a wall time that does not exist (spring forward, e.g. 02:30 in
//!   Europe/Berlin on 2026-03-29) fires at the first instant after the gap
//!   (03:00 local, 01:00 UTC); several skipped times collapse into that one tick;
//! * a wall time that happens twice (fall back, e.g. 02:30 in Europe/Berlin on
//!   2026-10-25) fires once, at its first occurrence (02:30 CEST, 00:30 UTC).
//!
//! Due times are therefore strictly increasing, which the evaluation relies on.
//! The iterator walks the schedule from a starting point without allocating,
//! so the monitor only pays for the ticks since its last evaluation.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use steward_schemas::slo::SloSpec;

/// The longest wall-clock gap searched for its end (the largest real one,
/// Samoa skipping 2011-12-30, is a day).
const MAX_GAP_MINUTES: i64 = 2 * 24 * 60;

/// The UTC instant a wall-clock tick fires at, under the rules in the module docs.
pub fn fire_instant(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {
            // In a gap: the first wall-clock minute that exists again is the end
            // of the gap, i.e. the transition instant.
            let mut m = local;
            for _ in 0..MAX_GAP_MINUTES {
                m += Duration::minutes(1);
                match tz.from_local_datetime(&m) {
                    LocalResult::Single(t) => return Some(t.with_timezone(&Utc)),
                    LocalResult::Ambiguous(a, b) => return Some(a.min(b).with_timezone(&Utc)),
                    LocalResult::None => {}
                }
            }
            None
        }
    }
}

/// Iterator over the due times of a spec in `(after, until]`, see [`due_times`].
#[derive(Debug, Clone)]
pub struct DueTimes<'a> {
    spec: &'a SloSpec,
    /// The last wall-clock tick looked at.
    local: NaiveDateTime,
    /// Due times at or before this are not yielded (the last one yielded, or the start).
    floor: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    done: bool,
}

impl<'a> DueTimes<'a> {
    /// Due times strictly after `after`, without an end.
    pub fn after(spec: &'a SloSpec, after: DateTime<Utc>) -> Self {
        let local = after.with_timezone(&spec.timezone).naive_local();
        Self { spec, local, floor: after, until: None, done: false }
    }
}

impl Iterator for DueTimes<'_> {
    type Item = DateTime<Utc>;

    fn next(&mut self) -> Option<DateTime<Utc>> {
        while !self.done {
            let Some(local) = self.spec.schedule.next_after(self.local) else {
                self.done = true;
                break;
            };
            self.local = local;
            let Some(due) = fire_instant(self.spec.timezone, local) else {
                continue;
            };
            // Repeated wall times (fall back) and skipped ones that collapse onto
            // the end of a gap map to instants already passed: skip them.
            if due <= self.floor {
                continue;
            }
            if self.until.is_some_and(|u| due > u) {
                self.done = true;
                break;
            }
            self.floor = due;
            return Some(due);
        }
        None
    }
}

/// The due times of `spec` in `(after, until]`, in increasing order, DST-correct
/// (see the module docs).
pub fn due_times(spec: &SloSpec, after: DateTime<Utc>, until: DateTime<Utc>) -> DueTimes<'_> {
    DueTimes { until: Some(until), ..DueTimes::after(spec, after) }
}

/// The first due time strictly after `now`, or `None` if the schedule never
/// fires again within the cron search horizon (five years).
pub fn next_due(spec: &SloSpec, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    DueTimes::after(spec, now).next()
}

/// The last due time at or before `t`, searched up to about five years back.
///
/// Cron schedules only run forwards, so this walks forward from increasingly
/// distant starting points; the first window with a tick answers, which keeps
/// frequent schedules cheap.
pub fn previous_due(spec: &SloSpec, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    const LOOKBACK_DAYS: [i64; 6] = [1, 2, 8, 32, 367, 5 * 366];
    let mut later = t;
    for days in LOOKBACK_DAYS {
        let start = t - Duration::days(days);
        // Only the part not searched yet: (start, later], plus t itself.
        let found = due_times(spec, start, later).last();
        if found.is_some() {
            return found;
        }
        later = start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;
    use chrono_tz::Europe::Berlin;
    use steward_schemas::cron::CronSchedule;

    pub(crate) fn spec(cron: &str, tz: Tz, grace_minutes: i64) -> SloSpec {
        SloSpec {
            index: 0,
            table: None,
            schedule: CronSchedule::parse(cron).unwrap(),
            timezone: tz,
            grace: Duration::minutes(grace_minutes),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn dues(s: &SloSpec, after: &str, until: &str) -> Vec<String> {
        due_times(s, utc(after), utc(until)).map(|d| d.format("%m-%d %H:%M").to_string()).collect()
    }

    #[test]
    fn utc_hourly_bounds_are_exclusive_then_inclusive() {
        let s = spec("0 * * * *", Tz::UTC, 30);
        assert_eq!(
            dues(&s, "2026-11-22T10:00:00Z", "2026-11-22T13:00:00Z"),
            ["11-22 11:00", "11-22 12:00", "11-22 13:00"]
        );
        assert_eq!(dues(&s, "2026-11-22T10:00:01Z", "2026-11-22T11:00:00Z"), ["11-22 11:00"]);
        assert_eq!(next_due(&s, utc("2026-11-22T10:59:59Z")), Some(utc("2026-11-22T11:00:00Z")));
        assert_eq!(previous_due(&s, utc("2026-11-22T11:00:00Z")), Some(utc("2026-11-22T11:00:00Z")));
        assert_eq!(previous_due(&s, utc("2026-11-22T11:59:00Z")), Some(utc("2026-11-22T11:00:00Z")));
    }

    #[test]
    fn berlin_spring_forward_fires_at_the_end_of_the_gap() {
        // 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
        let daily = spec("30 2 * * *", Berlin, 30);
        assert_eq!(
            dues(&daily, "2026-03-27T12:00:00Z", "2026-03-30T12:00:00Z"),
            ["03-28 01:30", "03-29 01:00", "03-30 00:30"],
            "02:30 does not exist on the 29th: it fires at 03:00 CEST"
        );
        // Every 15 minutes: 02:00..02:45 and 03:00 all collapse into one tick.
        let q = spec("*/15 * * * *", Berlin, 7);
        assert_eq!(
            dues(&q, "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z"),
            ["03-29 00:45", "03-29 01:00", "03-29 01:15", "03-29 01:30"]
        );
    }

    #[test]
    fn berlin_fall_back_fires_once_at_the_first_occurrence() {
        // 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00 UTC).
        let daily = spec("30 2 * * *", Berlin, 30);
        assert_eq!(
            dues(&daily, "2026-10-24T12:00:00Z", "2026-10-26T12:00:00Z"),
            ["10-25 00:30", "10-26 01:30"],
            "02:30 CEST, not again at 02:30 CET"
        );
        let hourly = spec("0 * * * *", Berlin, 30);
        assert_eq!(
            dues(&hourly, "2026-10-24T23:30:00Z", "2026-10-25T03:00:00Z"),
            ["10-25 00:00", "10-25 02:00", "10-25 03:00"],
            "02:00 CEST (00:00 UTC) fires, 02:00 CET (01:00 UTC) does not"
        );
        // Starting inside the repeated hour finds no tick in its second half.
        assert_eq!(next_due(&hourly, utc("2026-10-25T01:10:00Z")), Some(utc("2026-10-25T02:00:00Z")));
    }

    #[test]
    fn new_york_transitions() {
        // 2026-03-08 02:00 EST -> 03:00 EDT (07:00 UTC); 2026-11-01 02:00 EDT -> 01:00 EST (06:00 UTC).
        let s = spec("30 1,2 * * *", New_York, 15);
        assert_eq!(
            dues(&s, "2026-03-07T12:00:00Z", "2026-03-08T12:00:00Z"),
            ["03-08 06:30", "03-08 07:00"],
            "01:30 EST, then 02:30 (skipped) at 03:00 EDT"
        );
        assert_eq!(
            dues(&s, "2026-10-31T12:00:00Z", "2026-11-01T12:00:00Z"),
            ["11-01 05:30", "11-01 07:30"],
            "01:30 EDT once, then 02:30 EST"
        );
        assert_eq!(previous_due(&s, utc("2026-11-01T07:00:00Z")), Some(utc("2026-11-01T05:30:00Z")));
    }

    #[test]
    fn weekday_and_rare_schedules() {
        let s = spec("0 9 * * mon-fri", Tz::UTC, 60);
        // 2026-11-20 is a Friday.
        assert_eq!(next_due(&s, utc("2026-11-20T09:00:00Z")), Some(utc("2026-11-23T09:00:00Z")));
        assert_eq!(previous_due(&s, utc("2026-11-23T08:00:00Z")), Some(utc("2026-11-20T09:00:00Z")));
        let leap = spec("0 0 29 2 *", Tz::UTC, 30);
        assert_eq!(next_due(&leap, utc("2026-01-01T00:00:00Z")), Some(utc("2028-02-29T00:00:00Z")));
        let yearly = spec("0 0 1 1 *", Tz::UTC, 30);
        assert_eq!(previous_due(&yearly, utc("2026-11-22T00:00:00Z")), Some(utc("2026-01-01T00:00:00Z")));
    }
}
