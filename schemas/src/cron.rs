//! `CronSchedule`: a parsed 5-field cron expression (minute hour day-of-month
//! month day-of-week), the format of ODCS `slaProperties[].schedule` with
//! `scheduler: cron`.
//!
//! Parsed into bit sets so that errors can name the field and column, the
//! shortest interval between two ticks can be computed exactly (the policy
//! rejects schedules more frequent than every 5 minutes), and the SLO monitor
//! can find the next tick without allocating.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// Why a schedule is not a valid cron expression. `column` is 1-based within
/// the schedule string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at column {column} of `{schedule}`)")]
pub struct CronError {
    pub schedule: String,
    pub column: usize,
    pub message: String,
}

#[derive(Clone, Copy)]
struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [FieldSpec; 5] = [
    FieldSpec { name: "minute", min: 0, max: 59, names: &[] },
    FieldSpec { name: "hour", min: 0, max: 23, names: &[] },
    FieldSpec { name: "day-of-month", min: 1, max: 31, names: &[] },
    FieldSpec {
        name: "month",
        min: 1,
        max: 12,
        names: &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    },
    FieldSpec { name: "day-of-week", min: 0, max: 7, names: &["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

/// A valid 5-field cron schedule that fires: a schedule no calendar date
/// matches (`0 0 31 2 *`) is refused when parsed.
#[derive(Clone, PartialEq, Eq)]
pub struct CronSchedule {
    source: String,
    minutes: u64,
    hours: u32,
    days_of_month: u32,
    months: u16,
    days_of_week: u8,
    /// The day-of-month and day-of-week fields begin with `*` (`*`, `*/2`):
    /// Vixie cron's rule for combining the two (see [`CronSchedule::fires_on`]).
    dom_star: bool,
    dow_star: bool,
}

/// Years the Gregorian calendar takes to repeat its weekdays and leap days
/// (within 1901–2099): a schedule that fires at all fires within any such span.
const CALENDAR_CYCLE_YEARS: i32 = 28;

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?})", self.source)
    }
}

impl fmt::Display for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl FromStr for CronSchedule {
    type Err = CronError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl CronSchedule {
    pub fn parse(schedule: &str) -> Result<Self, CronError> {
        let err = |column: usize, message: String| CronError { schedule: schedule.to_owned(), column, message };
        let expanded = match schedule.trim() {
            "@yearly" | "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" | "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            other if other.starts_with('@') => {
                return Err(err(
                    1,
                    format!("unknown macro `{other}`; use @hourly, @daily, @weekly, @monthly or @yearly"),
                ));
            }
            _ => schedule,
        };
        let macro_used = expanded.as_ptr() != schedule.as_ptr();

        let mut fields: Vec<(usize, &str)> = Vec::with_capacity(5);
        let mut start = None;
        for (i, ch) in expanded.char_indices() {
            match (ch.is_whitespace(), start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    fields.push((s, &expanded[s..i]));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            fields.push((s, &expanded[s..]));
        }
        if fields.len() != 5 {
            return Err(err(
                1,
                format!("expected 5 fields (minute hour day-of-month month day-of-week), found {}", fields.len()),
            ));
        }

        let mut sets = [0u64; 5];
        for (idx, (offset, text)) in fields.iter().enumerate() {
            let column = if macro_used { 1 } else { offset + 1 };
            sets[idx] = parse_field(FIELDS[idx], text).map_err(|(rel, msg)| err(column + rel, msg))?;
        }
        // Day-of-week 7 is Sunday, like 0.
        let mut dow = sets[4];
        if dow & (1 << 7) != 0 {
            dow = (dow | 1) & !(1 << 7);
        }
        let parsed = Self {
            source: schedule.to_owned(),
            minutes: sets[0],
            hours: sets[1] as u32,
            days_of_month: sets[2] as u32,
            months: sets[3] as u16,
            days_of_week: dow as u8,
            dom_star: fields[2].1.starts_with('*'),
            dow_star: fields[4].1.starts_with('*'),
        };
        if !parsed.fires_in_a_calendar_cycle() {
            let column = if macro_used { 1 } else { fields[2].0 + 1 };
            return Err(err(
                column,
                format!(
                    "never fires: no date has day-of-month `{}` in month `{}`{}",
                    fields[2].1,
                    fields[3].1,
                    if fields[4].1 != "*" { format!(" on day-of-week `{}`", fields[4].1) } else { String::new() }
                ),
            ));
        }
        Ok(parsed)
    }

    /// Does any date of a full calendar cycle match? (`next_after` scans one.)
    fn fires_in_a_calendar_cycle(&self) -> bool {
        NaiveDate::from_ymd_opt(2000, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 59, 0))
            .is_some_and(|before| self.next_after(before).is_some())
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The shortest time between two consecutive ticks, in minutes.
    ///
    /// Exact within a day; across midnight it assumes two consecutive days can
    /// both fire, which errs towards reporting a shorter interval.
    pub fn min_interval_minutes(&self) -> u32 {
        let mut first = None;
        let mut prev: Option<u32> = None;
        let mut min = u32::MAX;
        for h in 0..24 {
            if self.hours & (1 << h) == 0 {
                continue;
            }
            for m in 0..60 {
                if self.minutes & (1 << m) == 0 {
                    continue;
                }
                let t = h * 60 + m;
                if let Some(p) = prev {
                    min = min.min(t - p);
                }
                first.get_or_insert(t);
                prev = Some(t);
            }
        }
        if let (Some(f), Some(l)) = (first, prev) {
            min = min.min(24 * 60 - l + f);
        }
        min
    }

    /// Does the schedule fire on this calendar date? Follows Vixie cron: when
    /// the day-of-month or the day-of-week field begins with `*` (`*`, `*/2`),
    /// a date must match both; when neither does, either may match
    /// (`0 0 1 * mon`: the 1st and every Monday).
    pub fn fires_on(&self, date: NaiveDate) -> bool {
        if self.months & (1 << date.month()) == 0 {
            return false;
        }
        let dom = self.days_of_month & (1 << date.day()) != 0;
        let dow = self.days_of_week & (1 << date.weekday().num_days_from_sunday()) != 0;
        if self.dom_star || self.dow_star { dom && dow } else { dom || dow }
    }

    /// The first tick strictly after `after` (wall-clock time, minute
    /// precision). `None` only past the end of chrono's calendar: a parsed
    /// schedule fires within every calendar cycle (28 years).
    pub fn next_after(&self, after: NaiveDateTime) -> Option<NaiveDateTime> {
        let start = after.with_second(0)?.with_nanosecond(0)? + Duration::minutes(1);
        let mut date = start.date();
        let mut from = start.time();
        for _ in 0..(366 * CALENDAR_CYCLE_YEARS + 1) {
            if self.fires_on(date)
                && let Some(t) = self.first_time_at_or_after(from)
            {
                return Some(date.and_time(t));
            }
            date = date.succ_opt()?;
            from = NaiveTime::MIN;
        }
        None
    }

    fn first_time_at_or_after(&self, from: NaiveTime) -> Option<NaiveTime> {
        for h in from.hour()..24 {
            if self.hours & (1 << h) == 0 {
                continue;
            }
            let m0 = if h == from.hour() { from.minute() } else { 0 };
            for m in m0..60 {
                if self.minutes & (1 << m) != 0 {
                    return NaiveTime::from_hms_opt(h, m, 0);
                }
            }
        }
        None
    }
}

/// Parses one field into a bit set. Errors carry the 0-based offset within the field.
fn parse_field(spec: FieldSpec, text: &str) -> Result<u64, (usize, String)> {
    let mut set = 0u64;
    let mut offset = 0;
    for item in text.split(',') {
        set |= parse_item(spec, item).map_err(|m| (offset, m))?;
        offset += item.len() + 1;
    }
    Ok(set)
}

fn parse_item(spec: FieldSpec, item: &str) -> Result<u64, String> {
    if item.is_empty() {
        return Err(format!("empty list item in the {} field", spec.name));
    }
    let (range, step) = match item.split_once('/') {
        Some((r, s)) => {
            let step: u32 = s.parse().map_err(|_| format!("step `{s}` in the {} field is not a number", spec.name))?;
            if step == 0 || step > spec.max {
                return Err(format!("step {step} in the {} field must be between 1 and {}", spec.name, spec.max));
            }
            (r, step)
        }
        None => (item, 1),
    };
    let (lo, hi) = if range == "*" {
        (spec.min, spec.max)
    } else if let Some((a, b)) = range.split_once('-') {
        (value(spec, a)?, value(spec, b)?)
    } else {
        let v = value(spec, range)?;
        // `5/15` means from 5 to the end in steps of 15.
        (v, if item.contains('/') { spec.max } else { v })
    };
    if lo > hi {
        return Err(format!("range {lo}-{hi} in the {} field runs backwards", spec.name));
    }
    let mut set = 0u64;
    let mut v = lo;
    while v <= hi {
        set |= 1 << v;
        v += step;
    }
    Ok(set)
}

fn value(spec: FieldSpec, text: &str) -> Result<u32, String> {
    let lower = text.to_ascii_lowercase();
    if let Some(pos) = spec.names.iter().position(|n| *n == lower) {
        // Month names start at 1 (`jan`), weekday names at 0 (`sun`), as the ranges do.
        return Ok(pos as u32 + spec.min);
    }
    let v: u32 = text.parse().map_err(|_| {
        format!(
            "`{text}` is not a valid {} (expected {}-{}{})",
            spec.name,
            spec.min,
            spec.max,
            if spec.names.is_empty() { "" } else { " or a name like `mon`/`jan`" }
        )
    })?;
    if v < spec.min || v > spec.max {
        return Err(format!("{} {v} is out of range {}-{}", spec.name, spec.min, spec.max));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn parses_common_schedules() {
        for ok in [
            "0 6 * * *",
            "*/15 * * * *",
            "0 0 1 * *",
            "30 2 * * mon-fri",
            "0 6 * JAN,jul 0",
            "@daily",
            "5/10 1-3 * * 7",
        ] {
            CronSchedule::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }

    #[test]
    fn errors_name_field_and_column() {
        let e = CronSchedule::parse("0 25 * * *").unwrap_err();
        assert_eq!(e.column, 3);
        assert!(e.message.contains("hour 25 is out of range 0-23"), "{e}");
        let e = CronSchedule::parse("0 6 * * * *").unwrap_err();
        assert!(e.message.contains("expected 5 fields"), "{e}");
        let e = CronSchedule::parse("0 6 * * fun").unwrap_err();
        assert_eq!(e.column, 9);
        assert!(CronSchedule::parse("*/0 * * * *").is_err());
        assert!(CronSchedule::parse("5-1 * * * *").is_err());
        assert!(CronSchedule::parse("0,,1 * * * *").is_err());
        assert!(CronSchedule::parse("").is_err());
        assert!(CronSchedule::parse("@sometimes").is_err());
        // Schedules no date matches are refused, at the day-of-month field.
        let e = CronSchedule::parse("0 0 31 2 *").unwrap_err();
        assert_eq!(e.column, 5);
        assert!(e.message.contains("never fires") && e.message.contains("`31` in month `2`"), "{e}");
        assert!(CronSchedule::parse("0 0 30,31 feb *").is_err());
        CronSchedule::parse("0 0 30,31 feb,apr *").unwrap();
        assert!(CronSchedule::parse("0 0 31 4,6 */2").is_err());
        // Rare is not never: the 29th of February, the 31st in some month.
        CronSchedule::parse("0 0 29 2 *").unwrap();
        CronSchedule::parse("0 0 31 2,3 *").unwrap();
        // Either field may match when neither begins with `*`.
        CronSchedule::parse("0 0 31 2 mon").unwrap();
    }

    #[test]
    fn day_of_month_and_day_of_week_combine_as_in_vixie_cron() {
        let fires = |s: &str, d: &str| {
            CronSchedule::parse(s).unwrap().fires_on(NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap())
        };
        // 2026-11-23 is a Monday, 2026-11-24 a Tuesday.
        assert!(fires("0 0 1 * mon", "2026-11-23"), "a restricted day-of-week alone matches");
        assert!(fires("0 0 24 * mon", "2026-11-24"), "a restricted day-of-month alone matches");
        assert!(!fires("0 0 24 * mon", "2026-11-25"));
        // A field beginning with `*` makes both required.
        assert!(fires("0 0 */2 * mon", "2026-11-23"), "the 23rd is odd-numbered day 1 + 2k, and a Monday");
        assert!(!fires("0 0 */2 * mon", "2026-11-24"), "an even day, but a Tuesday");
        assert!(!fires("0 0 */2 * mon", "2026-11-30"), "a Monday, but the 30th");
        assert!(fires("0 0 24 * */2", "2026-11-24"), "the 24th, a Tuesday (day 2)");
        assert!(!fires("0 0 24 * */2", "2025-11-24"), "the 24th, but a Monday (day 1)");
    }

    #[test]
    fn min_interval() {
        let m = |s: &str| CronSchedule::parse(s).unwrap().min_interval_minutes();
        assert_eq!(m("0 6 * * *"), 24 * 60);
        assert_eq!(m("*/15 * * * *"), 15);
        assert_eq!(m("* * * * *"), 1);
        assert_eq!(m("0,3 * * * *"), 3);
        assert_eq!(m("0 * * * *"), 60);
        assert_eq!(m("0 6,18 * * *"), 12 * 60);
        assert_eq!(m("58 23 * * *"), 24 * 60);
        assert_eq!(m("0,58 0,23 * * *"), 2);
    }

    #[test]
    fn next_tick() {
        let c = CronSchedule::parse("0 6 * * *").unwrap();
        assert_eq!(c.next_after(dt("2026-11-21 05:59")), Some(dt("2026-11-21 06:00")));
        assert_eq!(c.next_after(dt("2026-11-21 06:00")), Some(dt("2026-11-22 06:00")));
        let c = CronSchedule::parse("30 9 * * mon").unwrap();
        // 2026-11-22 is a Sunday.
        assert_eq!(c.next_after(dt("2026-11-22 12:00")), Some(dt("2026-11-23 09:30")));
        let c = CronSchedule::parse("0 0 29 2 *").unwrap();
        assert_eq!(c.next_after(dt("2026-03-01 00:00")), Some(dt("2028-02-29 00:00")));
        // The 29th of February on a Sunday: next in 2032.
        let c = CronSchedule::parse("0 0 29 2 */7").unwrap();
        assert_eq!(c.next_after(dt("2026-01-01 00:00")), Some(dt("2032-02-29 00:00")));
        let c = CronSchedule::parse("0 0 1 * 1").unwrap();
        // Either the 1st or a Monday.
        assert_eq!(c.next_after(dt("2026-11-22 00:00")), Some(dt("2026-11-23 00:00")));
    }
}
