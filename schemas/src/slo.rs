//! The SLO of a contract, read from `slaProperties`.
//!
//! Steward's convention (documented in `docs/contracts.md`):
//!
//! ```yaml
//! slaProperties:
//!   - property: frequency        # any name; `scheduler: cron` marks the SLO
//!     value: daily
//!     scheduler: cron
//!     schedule: "0 6 * * *"      # each tick is a due time
//!     element: orders            # optional: the table (or table.column) it covers
//!   - property: timezone         # optional, IANA name, default UTC
//!     value: Europe/Berlin
//!   - property: gracePeriod      # optional, default 30 minutes (at most half the tick interval)
//!     value: 45
//!     unit: m                    # m, h or d; or an ISO 8601 value like PT45M
//! ```
//!
//! `timezone` and `gracePeriod` entries with an `element` apply to that
//! element's schedule only; without one they apply to every schedule.

use chrono::Duration;
use chrono_tz::Tz;
use serde_json::Value;

use crate::cron::CronSchedule;
use crate::model::{Contract, SlaProperty};
use crate::path::FieldPath;

/// Grace period when the contract names none (capped at half the tick interval).
pub const DEFAULT_GRACE_MINUTES: i64 = 30;

/// One SLO schedule of a contract.
#[derive(Debug, Clone, PartialEq)]
pub struct SloSpec {
    /// Index of the entry in `slaProperties`.
    pub index: usize,
    /// The table the SLO covers; `None` covers the whole product.
    pub table: Option<String>,
    pub schedule: CronSchedule,
    pub timezone: Tz,
    pub grace: Duration,
}

/// A problem with the SLO entries, for the policies to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SloIssue {
    pub path: FieldPath,
    pub message: String,
    /// 0-based character offset of the problem within the value, if known.
    pub offset: Option<usize>,
}

fn sla_path(i: usize) -> FieldPath {
    FieldPath::root().key("slaProperties").index(i)
}

fn element_table(element: Option<&str>) -> Option<String> {
    element.map(|e| e.split('.').next().unwrap_or(e).trim().to_owned())
}

/// Reads every cron SLO of a contract, with the problems found on the way.
pub fn slo_specs(contract: &Contract) -> (Vec<SloSpec>, Vec<SloIssue>) {
    let mut issues = Vec::new();
    let sla = &contract.sla_properties;
    let find = |name: &str, table: &Option<String>| -> Option<(usize, &SlaProperty)> {
        let named = |p: &&SlaProperty| p.property.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name));
        let scoped = sla
            .iter()
            .enumerate()
            .find(|(_, p)| named(p) && table.is_some() && element_table(p.element.as_deref()) == *table);
        scoped.or_else(|| sla.iter().enumerate().find(|(_, p)| named(p) && p.element.is_none()))
    };

    let mut specs = Vec::new();
    for (i, entry) in sla.iter().enumerate() {
        let Some(scheduler) = entry.scheduler.as_deref() else {
            continue;
        };
        if !scheduler.eq_ignore_ascii_case("cron") {
            continue;
        }
        let Some(text) = entry.schedule.as_deref() else {
            issues.push(SloIssue {
                path: sla_path(i).key("schedule"),
                message: "`scheduler: cron` needs a `schedule`, e.g. `schedule: \"0 6 * * *\"`".to_owned(),
                offset: None,
            });
            continue;
        };
        let schedule = match CronSchedule::parse(text) {
            Ok(s) => s,
            Err(e) => {
                issues.push(SloIssue {
                    path: sla_path(i).key("schedule"),
                    message: format!("invalid cron schedule: {e}"),
                    offset: Some(e.column.saturating_sub(1)),
                });
                continue;
            }
        };
        let table = element_table(entry.element.as_deref());
        let timezone = match find("timezone", &table) {
            None => Tz::UTC,
            Some((ti, tz)) => match tz.value.as_ref().and_then(Value::as_str).map(str::parse::<Tz>) {
                Some(Ok(tz)) => tz,
                _ => {
                    issues.push(SloIssue {
                        path: sla_path(ti).key("value"),
                        message: "timezone must be an IANA time zone name such as `UTC` or `Europe/Berlin`".to_owned(),
                        offset: None,
                    });
                    Tz::UTC
                }
            },
        };
        let cap = Duration::minutes(i64::from(schedule.min_interval_minutes()) / 2);
        let grace = match find("gracePeriod", &table) {
            None => Duration::minutes(DEFAULT_GRACE_MINUTES).min(cap),
            Some((gi, g)) => match parse_grace(g) {
                Ok(d) => d,
                Err(message) => {
                    issues.push(SloIssue { path: sla_path(gi).key("value"), message, offset: None });
                    Duration::minutes(DEFAULT_GRACE_MINUTES).min(cap)
                }
            },
        };
        specs.push(SloSpec { index: i, table, schedule, timezone, grace });
    }
    (specs, issues)
}

/// The sunset a contract declares for its major: the ODCS SLA properties
/// `endOfSupport` and `endOfLife` (RFC 3339 date-times, or dates meaning
/// midnight UTC), read when a newer major replaces this one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sunset {
    pub end_of_support: Option<chrono::DateTime<chrono::Utc>>,
    pub end_of_life: Option<chrono::DateTime<chrono::Utc>>,
}

/// Reads [`Sunset`], with a problem for each value that is not a date and
/// for an end of life before the end of support.
pub fn sunset(contract: &Contract) -> (Sunset, Vec<SloIssue>) {
    let mut issues = Vec::new();
    let mut read = |name: &str| {
        let (i, entry) = contract.sla_properties.iter().enumerate().find(|(_, p)| {
            p.property.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)) && p.element.is_none()
        })?;
        let text = entry.value.as_ref().and_then(Value::as_str).unwrap_or_default();
        let at = parse_instant(text);
        if at.is_none() {
            issues.push(SloIssue {
                path: sla_path(i).key("value"),
                message: format!(
                    "{name} must be a date (`2027-03-31`) or an RFC 3339 date-time (`2027-03-31T00:00:00Z`)"
                ),
                offset: None,
            });
        }
        at.map(|at| (i, at))
    };
    let support = read("endOfSupport");
    let life = read("endOfLife");
    if let (Some((_, s)), Some((li, l))) = (support, life)
        && l < s
    {
        issues.push(SloIssue {
            path: sla_path(li).key("value"),
            message: "endOfLife must not be before endOfSupport".to_owned(),
            offset: None,
        });
    }
    (Sunset { end_of_support: support.map(|(_, t)| t), end_of_life: life.map(|(_, t)| t) }, issues)
}

fn parse_instant(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    let day = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc())
}

fn parse_grace(entry: &SlaProperty) -> Result<Duration, String> {
    let bad =
        || "gracePeriod must be a number with `unit: m`, `h` or `d`, or an ISO 8601 duration like `PT30M`".to_owned();
    let value = entry.value.as_ref().ok_or_else(bad)?;
    let d = if let Some(n) = value.as_f64() {
        let unit = entry.unit.as_deref().unwrap_or("m");
        let per = match unit {
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86400.0,
            _ => return Err(format!("unknown gracePeriod unit `{unit}`; use m, h or d")),
        };
        if !(0.0..=7.0 * 86400.0).contains(&(n * per)) {
            return Err("gracePeriod must be between 0 and 7 days".to_owned());
        }
        Duration::seconds((n * per) as i64)
    } else {
        parse_iso_duration(value.as_str().ok_or_else(bad)?).ok_or_else(bad)?
    };
    if d > Duration::days(7) {
        return Err("gracePeriod must be between 0 and 7 days".to_owned());
    }
    Ok(d)
}

/// `PT30M`, `PT1H30M`, `P1D`, `P1DT2H`.
fn parse_iso_duration(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut total = Duration::zero();
    let mut take = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut num = String::new();
        for ch in part.chars() {
            if ch.is_ascii_digit() {
                num.push(ch);
            } else {
                let secs = units.iter().find(|(u, _)| *u == ch)?.1;
                let n: i64 = num.parse().ok()?;
                total += Duration::seconds(n.checked_mul(secs)?);
                num.clear();
            }
        }
        num.is_empty().then_some(())
    };
    take(date, &[('D', 86400)])?;
    take(time, &[('H', 3600), ('M', 60), ('S', 1)])?;
    (!rest.is_empty() && rest != "T").then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_contract;

    fn specs(sla: &str) -> (Vec<SloSpec>, Vec<SloIssue>) {
        let (_, c) = parse_contract(&format!("slaProperties:\n{sla}")).unwrap();
        slo_specs(&c)
    }

    #[test]
    fn sunset_dates_are_read_and_checked() {
        let (_, c) = parse_contract(
            "slaProperties:\n  - property: endOfSupport\n    value: \"2032-05-12T09:30:10-08:00\"\n  - property: endOfLife\n    value: 2033-01-01\n",
        )
        .unwrap();
        let (s, i) = sunset(&c);
        assert!(i.is_empty(), "{i:?}");
        assert_eq!(s.end_of_support.unwrap().to_rfc3339(), "2032-05-12T17:30:10+00:00");
        assert_eq!(s.end_of_life.unwrap().to_rfc3339(), "2033-01-01T00:00:00+00:00");
        let (_, c) = parse_contract(
            "slaProperties:\n  - property: endOfSupport\n    value: soon\n  - property: endOfLife\n    value: 2020-01-01\n",
        )
        .unwrap();
        let (s, i) = sunset(&c);
        assert_eq!(s.end_of_support, None);
        assert_eq!(i.len(), 1, "{i:?}");
        assert_eq!(i[0].path.to_string(), "slaProperties[0].value");
        let (_, c) = parse_contract(
            "slaProperties:\n  - property: endOfSupport\n    value: 2030-01-01\n  - property: endOfLife\n    value: 2029-01-01\n",
        )
        .unwrap();
        let (_, i) = sunset(&c);
        assert_eq!(i[0].path.to_string(), "slaProperties[1].value", "{i:?}");
    }

    #[test]
    fn defaults() {
        let (s, i) =
            specs("  - property: frequency\n    value: daily\n    scheduler: cron\n    schedule: \"0 6 * * *\"\n");
        assert!(i.is_empty());
        assert_eq!(s[0].timezone, Tz::UTC);
        assert_eq!(s[0].grace, Duration::minutes(30));
        let (s, _) =
            specs("  - property: frequency\n    value: 5m\n    scheduler: cron\n    schedule: \"*/10 * * * *\"\n");
        assert_eq!(s[0].grace, Duration::minutes(5), "capped at half the interval");
    }

    #[test]
    fn timezone_and_grace() {
        let (s, i) = specs(
            "  - {property: frequency, value: daily, scheduler: cron, schedule: '0 6 * * *', element: orders.dt}\n  - {property: timezone, value: Europe/Berlin}\n  - {property: gracePeriod, value: 2, unit: h, element: orders}\n",
        );
        assert!(i.is_empty(), "{i:?}");
        assert_eq!(s[0].table.as_deref(), Some("orders"));
        assert_eq!(s[0].timezone, chrono_tz::Europe::Berlin);
        assert_eq!(s[0].grace, Duration::hours(2));
        let (s, _) = specs(
            "  - {property: f, value: 1, scheduler: cron, schedule: '0 6 * * *'}\n  - {property: gracePeriod, value: PT1H30M}\n",
        );
        assert_eq!(s[0].grace, Duration::minutes(90));
    }

    #[test]
    fn problems_are_reported_with_paths() {
        let (_, i) = specs(
            "  - {property: f, value: 1, scheduler: cron, schedule: '0 6 * *'}\n  - {property: f, value: 1, scheduler: cron}\n",
        );
        assert_eq!(i[0].path.to_string(), "slaProperties[0].schedule");
        assert_eq!(i[1].path.to_string(), "slaProperties[1].schedule");
        let (_, i) = specs(
            "  - {property: f, value: 1, scheduler: cron, schedule: '0 6 * * *'}\n  - {property: timezone, value: Mars/Olympus}\n  - {property: gracePeriod, value: 3, unit: fortnights}\n",
        );
        assert_eq!(i.len(), 2, "{i:?}");
        assert_eq!(i[0].path.to_string(), "slaProperties[1].value");
        assert!(i[1].message.contains("fortnights"));
    }
}
