//! Simulated weeks: a monitor calls `advance` every few minutes of simulated
//! time against a producer's refresh log, with incidents, monitor downtime,
//! DST changes and a schedule change, and the alerts and history are checked.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use steward_schemas::cron::CronSchedule;
use steward_schemas::slo::SloSpec;
use steward_slo::{Alert, MonitorState, Tick, TickStatus, advance, compliance, evaluate};

fn spec(cron: &str, tz: Tz, grace_minutes: i64, table: Option<&str>) -> SloSpec {
    SloSpec {
        index: 0,
        table: table.map(str::to_owned),
        schedule: CronSchedule::parse(cron).unwrap(),
        timezone: tz,
        grace: Duration::minutes(grace_minutes),
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A monitor driving one (product, spec) through simulated time.
struct Sim {
    spec: SloSpec,
    state: MonitorState,
    refreshes: Vec<DateTime<Utc>>,
    alerts: Vec<(DateTime<Utc>, Alert)>,
    settled: Vec<Tick>,
    start: DateTime<Utc>,
}

impl Sim {
    fn new(spec: SloSpec, start: DateTime<Utc>, refreshes: Vec<DateTime<Utc>>) -> Self {
        assert!(refreshes.is_sorted());
        Self { spec, state: MonitorState::starting_at(start), refreshes, alerts: vec![], settled: vec![], start }
    }

    /// Calls `advance` every `step` in `(from, to]`, except during `down`.
    fn run(&mut self, from: DateTime<Utc>, to: DateTime<Utc>, step: Duration, down: &[(DateTime<Utc>, DateTime<Utc>)]) {
        let mut now = from;
        while now < to {
            now += step;
            if down.iter().any(|(a, b)| now > *a && now < *b) {
                continue;
            }
            self.step(now);
        }
    }

    fn step(&mut self, now: DateTime<Utc>) {
        // Like the lead's store: only the refreshes the state asks for.
        let after = self.state.refreshes_needed_after(&self.spec);
        let from = self.refreshes.partition_point(|r| *r <= after);
        let out = advance(&self.state, &self.spec, &self.refreshes[from..], now);
        // No repeats: the same call again changes and sends nothing.
        let again = advance(&out.state, &self.spec, &self.refreshes[from..], now);
        assert!(again.alerts.is_empty() && again.settled.is_empty(), "repeat at {now}: {again:?}");
        assert_eq!(again.state, out.state);
        // The state survives its JSON form.
        let json = serde_json::to_string(&out.state).unwrap();
        self.state = serde_json::from_str(&json).unwrap();
        assert_eq!(self.state, out.state);
        self.alerts.extend(out.alerts.into_iter().map(|a| (now, a)));
        self.settled.extend(out.settled);
    }

    /// The settled ticks agree with the history computed from scratch.
    fn check_history(&self, now: DateTime<Utc>) {
        let history = evaluate(&self.spec, &self.refreshes, self.start, now);
        assert_eq!(&history[..self.settled.len()], &self.settled[..]);
        let dues: Vec<_> = self.settled.iter().map(|t| t.due).collect();
        assert!(dues.windows(2).all(|w| w[0] < w[1]), "each tick settled once, in order");
    }

    fn statuses(&self) -> (usize, usize, usize) {
        let n = |s| self.settled.iter().filter(|t| t.status == s).count();
        (n(TickStatus::Met), n(TickStatus::Late), n(TickStatus::Missed))
    }
}

/// Refreshes at `minute` past every hour in `[from, to)`, except in the `gaps`.
fn hourly_refreshes(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    minute: i64,
    gaps: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<DateTime<Utc>> {
    let mut out = vec![];
    let mut t = from + Duration::minutes(minute);
    while t < to {
        if !gaps.iter().any(|(a, b)| t >= *a && t < *b) {
            out.push(t);
        }
        t += Duration::hours(1);
    }
    out
}

#[test]
fn hourly_week_on_time_late_missed_recovered_and_downtime() {
    let start = utc("2026-11-16T00:00:00Z");
    let end = start + Duration::days(7);
    // Producer: every hour at :50, before the next due time, with incidents.
    let mut refreshes = hourly_refreshes(
        start,
        end,
        50,
        &[
            (utc("2026-11-17T09:00:00Z"), utc("2026-11-17T10:00:00Z")), // day 2: 09:50 skipped ...
            (utc("2026-11-18T08:00:00Z"), utc("2026-11-18T14:00:00Z")), // day 3: out 08:00-14:00
            (utc("2026-11-20T13:00:00Z"), utc("2026-11-20T16:00:00Z")), // day 5: out during monitor downtime
            (utc("2026-11-21T08:00:00Z"), utc("2026-11-21T15:00:00Z")), // day 6: out across monitor downtime
        ],
    );
    refreshes.push(utc("2026-11-17T10:45:00Z")); // ... and run late
    refreshes.sort();
    let mut sim = Sim::new(spec("0 * * * *", Tz::UTC, 30, Some("orders")), start, refreshes);
    let down = [
        (utc("2026-11-19T00:00:00Z"), utc("2026-11-19T06:00:00Z")), // day 4: producer healthy
        (utc("2026-11-20T12:00:00Z"), utc("2026-11-20T18:00:00Z")), // day 5
        (utc("2026-11-21T10:00:00Z"), utc("2026-11-21T12:00:00Z")), // day 6
    ];
    sim.run(start, end, Duration::minutes(5), &down);
    sim.check_history(end);

    let table = Some("orders".to_owned());
    let missed = |at: &str, due: &str, deadline: &str| {
        (utc(at), Alert::Missed { table: table.clone(), due: utc(due), deadline: utc(deadline) })
    };
    let recovered = |at: &str, since: &str, missed_ticks| {
        let refresh_at = utc(at);
        (refresh_at, Alert::Recovered { table: table.clone(), refresh_at, breach_since: utc(since), missed_ticks })
    };
    let summary = |at: &str, first: &str, last: &str, count, still_missing| {
        let (first_due, last_due) = (utc(first), utc(last));
        (utc(at), Alert::MissedSummary { table: table.clone(), first_due, last_due, count, still_missing })
    };
    let expected = vec![
        // Day 2: 10:00 misses its deadline (seen at 10:35); the 10:45 refresh makes it late.
        missed("2026-11-17T10:35:00Z", "2026-11-17T10:00:00Z", "2026-11-17T10:30:00Z"),
        recovered("2026-11-17T10:45:00Z", "2026-11-17T10:00:00Z", 1),
        // Day 3: 09:00..13:00 missed, 14:00 late: one mail when the breach opens, one when it ends.
        missed("2026-11-18T09:35:00Z", "2026-11-18T09:00:00Z", "2026-11-18T09:30:00Z"),
        recovered("2026-11-18T14:50:00Z", "2026-11-18T09:00:00Z", 6),
        // Day 4: nothing. Day 5: the breach (14:00, 15:00 missed, 16:00 late) happened
        // entirely while the monitor was down: exactly one summary, nothing else.
        summary("2026-11-20T18:00:00Z", "2026-11-20T14:00:00Z", "2026-11-20T16:00:00Z", 3, false),
        // Day 6: the breach was alerted before the downtime; after it, one summary
        // of the ticks missed meanwhile, silence, then the recovery.
        missed("2026-11-21T09:35:00Z", "2026-11-21T09:00:00Z", "2026-11-21T09:30:00Z"),
        summary("2026-11-21T12:00:00Z", "2026-11-21T10:00:00Z", "2026-11-21T11:00:00Z", 2, true),
        recovered("2026-11-21T15:50:00Z", "2026-11-21T09:00:00Z", 7),
    ];
    assert_eq!(sim.alerts, expected);

    // 168 ticks in the week; late: 4 (one per incident); missed: 5 + 2 + 6.
    assert_eq!(sim.settled.len(), 168);
    assert_eq!(sim.statuses(), (151, 4, 13));
    let history = evaluate(&sim.spec, &sim.refreshes, start, end + Duration::hours(1));
    assert_eq!(history.last().unwrap().status, TickStatus::Pending);
    let week = compliance(&history, start).unwrap();
    assert!((week - 151.0 / 168.0).abs() < 1e-12, "{week}");
    let last_day = compliance(&history, end - Duration::days(1)).unwrap();
    assert!((last_day - 1.0).abs() < 1e-12, "{last_day}");
}

#[test]
fn fast_schedule_long_breach_sends_two_mails() {
    // Every 15 minutes, monitor every minute, producer out for a day: 95 missed ticks, 2 mails.
    // (The refresh at 23:48 still meets the 00:00 tick; the one at 00:03 the next day meets 00:00.)
    let start = utc("2026-11-16T00:00:00Z");
    let end = start + Duration::days(3);
    let gap = (utc("2026-11-17T00:00:00Z"), utc("2026-11-18T00:00:00Z"));
    let refreshes: Vec<_> =
        (0..3 * 96).map(|i| start + Duration::minutes(15 * i + 3)).filter(|t| !(*t >= gap.0 && *t < gap.1)).collect();
    let mut sim = Sim::new(spec("*/15 * * * *", Tz::UTC, 7, None), start, refreshes);
    sim.run(start, end, Duration::minutes(1), &[]);
    sim.check_history(end);
    let kinds: Vec<_> = sim.alerts.iter().map(|(at, a)| (at.to_rfc3339(), a.clone())).collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(matches!(&kinds[0].1, Alert::Missed { due, .. } if *due == utc("2026-11-17T00:15:00Z")));
    assert!(
        matches!(&kinds[1].1, Alert::Recovered { missed_ticks: 95, refresh_at, .. } if *refresh_at == utc("2026-11-18T00:03:00Z"))
    );
}

#[test]
fn daily_week_with_late_missed_and_monthly_compliance() {
    // Daily at 06:00 Berlin with a 2 hour grace; refresh normally at 05:00 local.
    let berlin = chrono_tz::Europe::Berlin;
    let local = |d: u32, h: u32, m: u32| {
        berlin
            .from_local_datetime(&NaiveDate::from_ymd_opt(2026, 11, d).unwrap().and_hms_opt(h, m, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    let mut refreshes = vec![];
    for d in 1..=29 {
        match d {
            17 => refreshes.push(local(17, 9, 0)),  // late: after 08:00, before the next 06:00
            19 | 20 => {} // 19th missed; the 21st's 05:00 refresh makes the 20th late and meets the 21st
            23 => refreshes.push(local(23, 7, 30)), // in the grace: met
            _ => refreshes.push(local(d, 5, 0)),
        }
    }
    let s = spec("0 6 * * *", berlin, 120, None);
    let start = local(16, 0, 0);
    let end = local(23, 0, 0);
    let mut sim = Sim::new(s.clone(), start, refreshes.clone());
    sim.run(start, end, Duration::minutes(10), &[]);
    sim.check_history(end);

    let summary: Vec<String> = sim
        .alerts
        .iter()
        .map(|(at, a)| {
            let what = match a {
                Alert::Missed { due, .. } => format!("missed {}", due.with_timezone(&berlin).format("%d")),
                Alert::Recovered { missed_ticks, .. } => format!("recovered after {missed_ticks}"),
                Alert::MissedSummary { count, .. } => format!("summary {count}"),
            };
            format!("{} {what}", at.with_timezone(&berlin).format("%d %H:%M"))
        })
        .collect();
    assert_eq!(
        summary,
        ["17 08:10 missed 17", "17 09:00 recovered after 1", "19 08:10 missed 19", "21 05:00 recovered after 2"]
    );
    let by_day: Vec<String> =
        sim.settled.iter().map(|t| format!("{}:{}", t.due.with_timezone(&berlin).format("%d"), t.status)).collect();
    // The 17th's late 09:00 refresh also lies in the 18th's window and meets it.
    assert_eq!(by_day, ["16:met", "17:late", "18:met", "19:missed", "20:late", "21:met", "22:met"]);

    // Compliance over 7 and 30 days of history, evaluated on the 30th.
    let now = local(30, 12, 0);
    let history = evaluate(&s, &refreshes, local(1, 0, 0) - Duration::days(1), now);
    assert_eq!(history.len(), 31, "Oct 31st and Nov 1st..30th");
    // Oct 31st had no refresh in its window but Nov 1st's 05:00 came before the next due: late.
    assert_eq!(history[0].status, TickStatus::Late);
    // The 30th has no refresh: missed. Last 7 days (24th..30th): 6 of 7 met.
    assert!((compliance(&history, local(24, 0, 0)).unwrap() - 6.0 / 7.0).abs() < 1e-12);
    // 30 days (Nov 1st..30th): the 17th and 20th late, the 19th and 30th missed: 26 of 30 met.
    assert!((compliance(&history, now - Duration::days(30)).unwrap() - 26.0 / 30.0).abs() < 1e-12);
}

#[test]
fn dst_transitions_in_a_simulated_week() {
    let berlin = chrono_tz::Europe::Berlin;
    // Fall back (2026-10-25): daily at 02:30 local fires once, at 02:30 CEST.
    let s = spec("30 2 * * *", berlin, 30, None);
    let start = utc("2026-10-21T12:00:00Z");
    let end = utc("2026-10-28T12:00:00Z");
    // Producer refreshes daily at 00:15 UTC (02:15 CEST, 01:15 CET).
    let refreshes: Vec<_> = (0..8).map(|d| utc("2026-10-21T00:15:00Z") + Duration::days(d)).collect();
    let mut sim = Sim::new(s, start, refreshes);
    sim.run(start, end, Duration::minutes(5), &[]);
    sim.check_history(end);
    let dues: Vec<String> = sim.settled.iter().map(|t| t.due.format("%d %H:%M").to_string()).collect();
    assert_eq!(dues, ["22 00:30", "23 00:30", "24 00:30", "25 00:30", "26 01:30", "27 01:30", "28 01:30"]);
    assert!(sim.alerts.is_empty(), "{:?}", sim.alerts);
    assert_eq!(sim.statuses(), (7, 0, 0));

    // Spring forward (2026-03-29): the skipped 02:30 fires at 03:00 CEST (01:00 UTC).
    let s = spec("30 2 * * *", berlin, 30, None);
    let start = utc("2026-03-26T12:00:00Z");
    let end = utc("2026-04-01T12:00:00Z");
    let refreshes: Vec<_> = (0..7).map(|d| utc("2026-03-26T00:20:00Z") + Duration::days(d)).collect();
    let mut sim = Sim::new(s, start, refreshes);
    sim.run(start, end, Duration::minutes(5), &[]);
    sim.check_history(end);
    let dues: Vec<String> = sim.settled.iter().map(|t| t.due.format("%d %H:%M").to_string()).collect();
    assert_eq!(dues, ["27 01:30", "28 01:30", "29 01:00", "30 00:30", "31 00:30", "01 00:30"]);
    // On the 30th onwards the due time (00:30 UTC) is only 10 minutes after the
    // refresh, which is still before it: all met.
    assert_eq!(sim.statuses(), (6, 0, 0));

    // Hourly in New York over fall back (2026-11-01): 01:00 happens twice and fires
    // once (05:00 UTC), so the 07:00 UTC tick's window starts at 05:00 UTC.
    let ny = chrono_tz::America::New_York;
    let s = spec("0 * * * *", ny, 30, None);
    let start = utc("2026-10-31T12:00:00Z");
    let end = utc("2026-11-02T12:00:00Z");
    let refreshes = hourly_refreshes(start, end, 5, &[]);
    let mut sim = Sim::new(s, start, refreshes);
    sim.run(start, end, Duration::minutes(5), &[]);
    sim.check_history(end);
    assert_eq!(sim.settled.len(), 47, "48 hours of UTC, one repeated wall-clock hour");
    let t7 = sim.settled.iter().find(|t| t.due == utc("2026-11-01T07:00:00Z")).unwrap();
    assert_eq!(t7.window_start, utc("2026-11-01T05:00:00Z"));
    assert!(!sim.settled.iter().any(|t| t.due == utc("2026-11-01T06:00:00Z")));
    assert_eq!(sim.statuses(), (47, 0, 0));
    assert!(sim.alerts.is_empty());
}

#[test]
fn schedule_change_starts_clean() {
    // Hourly until a new contract version (published 2026-11-18 12:20) makes it daily at 06:00.
    let start = utc("2026-11-16T00:00:00Z");
    let publish = utc("2026-11-18T12:20:00Z");
    let end = utc("2026-11-21T00:00:00Z");
    // The producer was out since 10:00 under the old schedule (breach open), and
    // after the change refreshes at 05:30 daily.
    let mut refreshes = hourly_refreshes(start, utc("2026-11-18T10:00:00Z"), 10, &[]);
    refreshes.extend([utc("2026-11-19T05:30:00Z"), utc("2026-11-20T05:30:00Z")]);
    let mut old = Sim::new(spec("0 * * * *", Tz::UTC, 30, None), start, refreshes.clone());
    old.run(start, publish, Duration::minutes(5), &[]);
    assert_eq!(old.alerts.len(), 1, "the old breach was alerted once: {:?}", old.alerts);

    // The lead drops the old state and starts the new spec at the publish time.
    let mut new = Sim::new(spec("0 6 * * *", Tz::UTC, 30, None), publish, refreshes);
    new.run(publish, end, Duration::minutes(5), &[]);
    new.check_history(end);
    assert!(new.alerts.is_empty(), "no alert for ticks before the change: {:?}", new.alerts);
    let dues: Vec<_> = new.settled.iter().map(|t| (t.due, t.status)).collect();
    assert_eq!(
        dues,
        [(utc("2026-11-19T06:00:00Z"), TickStatus::Met), (utc("2026-11-20T06:00:00Z"), TickStatus::Met)],
        "the 06:00 tick of the 18th predates the new version"
    );
    assert_eq!(new.settled[0].window_start, utc("2026-11-18T06:00:00Z"));

    // A new state a minute before a tick with a refresh just before the start still meets it.
    let s = spec("0 6 * * *", Tz::UTC, 30, None);
    let st = MonitorState::starting_at(utc("2026-11-19T05:59:00Z"));
    let out = advance(&st, &s, &[utc("2026-11-19T05:00:00Z")], utc("2026-11-19T07:00:00Z"));
    assert_eq!(out.settled.len(), 1);
    assert_eq!(out.settled[0].status, TickStatus::Met);
    assert!(out.alerts.is_empty());
}

#[test]
fn missed_then_late_before_the_monitor_looks_is_quiet() {
    // The tick turned late between two calls: history says late, no mail pair.
    let s = spec("0 * * * *", Tz::UTC, 30, None);
    let st = MonitorState::starting_at(utc("2026-11-22T09:30:00Z"));
    let out = advance(&st, &s, &[utc("2026-11-22T10:31:00Z")], utc("2026-11-22T10:34:00Z"));
    assert!(out.alerts.is_empty(), "{:?}", out.alerts);
    assert_eq!(out.settled[0].status, TickStatus::Late);
    assert_eq!(out.state.breach, None);
    assert_eq!(out.state.missed_through, Some(utc("2026-11-22T10:00:00Z")));
}
