//! Delivery on the product page: SLO status with a 30-day compliance chart
//! (inline SVG, so it needs no script and passes the CSP) and the recent
//! refreshes producers reported.
//!
//! The chart has one bar per day: green when every judged delivery that day
//! was on time, amber when one arrived late, red when one was missed, grey
//! when nothing was due. Not by colour alone: a bar's height says it too
//! (full: on time, two thirds: late, one third: missed, a line: nothing due),
//! a legend below names the four, each bar has a `<title>` tooltip, the chart
//! an `aria-label` with the 30-day compliance, and "The 30 days as a table"
//! (a `<details>`) lists every day for screen readers and keyboards.

use chrono::{Duration, Utc};
use maud::{Markup, html};
use steward_api::TickStatus;
use steward_catalog::service::refreshes::Refresh;
use steward_catalog::service::slo::SloStatus;
use steward_catalog::service::slo::StoredTick;

use crate::page::when;

const DAYS: i64 = 30;
const BAR: i64 = 20;
const HEIGHT: i64 = 48;

/// The worst outcome among a day's ticks.
fn day_class(ticks: &[&StoredTick]) -> (&'static str, String) {
    let count = |s: TickStatus| ticks.iter().filter(|t| t.status == s).count();
    let (missed, late, met) = (count(TickStatus::Missed), count(TickStatus::Late), count(TickStatus::Met));
    let class = if missed > 0 {
        TickStatus::Missed.as_str()
    } else if late > 0 {
        TickStatus::Late.as_str()
    } else if met > 0 {
        TickStatus::Met.as_str()
    } else {
        "none"
    };
    let text =
        if ticks.is_empty() { "nothing due".to_owned() } else { format!("{met} met, {late} late, {missed} missed") };
    (class, text)
}

/// The 30-day chart over `history` (judged ticks, oldest first).
pub fn chart(history: &[StoredTick], compliance: Option<f64>) -> Markup {
    let today = Utc::now().date_naive();
    let label = match compliance {
        Some(pct) => format!("SLO compliance over 30 days: {pct:.1}% of deliveries on time"),
        None => "SLO compliance over 30 days: no delivery judged yet".to_owned(),
    };
    let days: Vec<(String, &'static str, String)> = (0..DAYS)
        .map(|i| {
            let date = today - Duration::days(DAYS - 1 - i);
            let ticks: Vec<&StoredTick> = history.iter().filter(|t| t.due.date_naive() == date).collect();
            let (class, text) = day_class(&ticks);
            (date.format("%Y-%m-%d").to_string(), class, text)
        })
        .collect();
    html! {
        figure.slo-chart {
            svg.slo viewBox={ "0 0 " (DAYS * BAR) " " (HEIGHT + 16) } role="img" aria-label=(label) {
                @for (i, (day, class, text)) in days.iter().enumerate() {
                    @let h = bar_height(class);
                    rect class=(class) x=(i as i64 * BAR + 2) y=(HEIGHT - h) width=(BAR - 4) height=(h) rx="2" {
                        title { (day) ": " (text) }
                    }
                }
                text x="0" y=(HEIGHT + 13) { ((today - Duration::days(DAYS - 1)).format("%b %d").to_string()) }
                text x=(DAYS * BAR) y=(HEIGHT + 13) text-anchor="end" { "today" }
            }
            figcaption {
                ul.legend {
                    li { span.swatch.met {} "on time (full bar)" }
                    li { span.swatch.late {} "late (two thirds)" }
                    li { span.swatch.missed {} "missed (one third)" }
                    li { span.swatch.none {} "nothing due (a line)" }
                }
                details.slo-days {
                    summary { "The 30 days as a table" }
                    div.scroll tabindex="0" role="region" aria-label="SLO days" {
                        table {
                            thead { tr { th { "Day" } th { "Outcome" } th { "Deliveries" } } }
                            tbody {
                                @for (day, class, text) in &days {
                                    tr { td { (day) } td { (outcome(class)) } td { (text) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A bar's height by outcome, so the chart reads without colour.
fn bar_height(class: &str) -> i64 {
    match class {
        "met" => HEIGHT,
        "late" => HEIGHT * 2 / 3,
        "missed" => HEIGHT / 3,
        _ => 4,
    }
}

fn outcome(class: &str) -> &'static str {
    match class {
        "met" => "on time",
        "late" => "late",
        "missed" => "missed",
        _ => "nothing due",
    }
}

/// The SLO section: per entry state, compliance, next due, and the chart.
pub fn slo(status: &SloStatus) -> Markup {
    html! {
        @if status.specs.is_empty() {
            p.muted { "This contract declares no delivery schedule." }
        } @else {
            div.scroll tabindex="0" role="region" aria-label="SLO status" {
                table.slo-status {
                    thead { tr { th { "Schedule" } th { "State" } th { "7 days" } th { "30 days" } th { "Next due" } th { "Last refresh" } } }
                    tbody {
                        @for s in &status.specs {
                            tr {
                                td {
                                    code { (s.schedule) } " " (s.timezone) ", grace " (s.grace_minutes) " min"
                                    @if let Some(t) = &s.table { br; small.muted { "table " (t) } }
                                }
                                td {
                                    span class={ "badge slo-" (s.state) } { (s.state) }
                                    @if let (Some(since), Some(n)) = (&s.breach_since, s.missed_ticks) {
                                        br; small.muted { (n) " missed since " (when(since)) }
                                    }
                                }
                                td { (pct(s.compliance_7d)) }
                                td { (pct(s.compliance_30d)) }
                                td { (s.next_due.as_ref().map(when).unwrap_or_default()) }
                                td { (s.last_refresh.as_ref().map(when).unwrap_or_else(|| "never".to_owned())) }
                            }
                        }
                    }
                }
            }
            (chart(&status.history, overall(status)))
        }
    }
}

/// 30-day compliance over all judged ticks of the product.
fn overall(status: &SloStatus) -> Option<f64> {
    let judged = status.history.len();
    let met = status.history.iter().filter(|t| t.status == TickStatus::Met).count();
    (judged > 0).then(|| met as f64 * 100.0 / judged as f64)
}

fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "–".to_owned())
}

/// Recent refreshes, newest first.
pub fn refreshes(list: &[Refresh]) -> Markup {
    html! {
        @if list.is_empty() {
            p.muted { "No refresh reported yet." }
        } @else {
            div.scroll tabindex="0" role="region" aria-label="Recent refreshes" {
                table.refreshes {
                    thead { tr { th { "Reported" } th { "Table" } th { "Partition" } th { "Rows" } th { "By" } } }
                    tbody {
                        @for r in list {
                            tr {
                                td { (when(&r.reported_at)) }
                                td { code { (r.table) } }
                                td { @if r.partition.is_empty() { "—" } @else { code { (r.partition) } } }
                                td { (r.row_count.map(|n| n.to_string()).unwrap_or_default()) }
                                td { (r.reported_by) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(due: &str, status: TickStatus) -> StoredTick {
        let due = steward_api::time::parse(due).unwrap();
        StoredTick {
            product_key: "sales.orders".into(),
            spec_index: 0,
            table: None,
            deadline: due,
            due,
            status,
            refresh_at: None,
        }
    }

    #[test]
    fn one_bar_a_day_coloured_by_the_worst_delivery() {
        let today = Utc::now().format("%Y-%m-%d").to_string();
        let yesterday = (Utc::now() - Duration::days(1)).format("%Y-%m-%d").to_string();
        let history = vec![
            tick(&format!("{yesterday}T06:00:00.000000Z"), TickStatus::Met),
            tick(&format!("{today}T06:00:00.000000Z"), TickStatus::Met),
            tick(&format!("{today}T18:00:00.000000Z"), TickStatus::Missed),
        ];
        let svg = chart(&history, Some(66.7)).into_string();
        assert_eq!(svg.matches("<rect").count(), 30);
        assert_eq!(svg.matches("class=\"missed\"").count(), 1);
        assert_eq!(svg.matches("class=\"met\"").count(), 1);
        assert_eq!(svg.matches("class=\"none\"").count(), 28);
        assert!(svg.contains(&format!("{today}: 1 met, 0 late, 1 missed")));
        assert!(svg.contains("66.7% of deliveries on time"));
    }
}
