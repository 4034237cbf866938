//! SLOs: `/api/v1/products/{key}/slo` (status and history) and
//! `/api/v1/slo/breaches` (missed ticks across the mesh).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How one due time of a schedule went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
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

wire_names!(TickStatus, "tick status", [Pending = "pending", Met = "met", Late = "late", Missed = "missed"]);

/// Where one SLO of a product stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SloState {
    /// No open breach.
    Met,
    /// A tick was missed and no refresh has ended the breach yet.
    Breached,
    /// No tick judged yet.
    Pending,
}

wire_names!(SloState, "SLO state", [Met = "met", Breached = "breached", Pending = "pending"]);

/// A judged tick: one due time of an SLO schedule and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Tick {
    /// `domain.product`.
    pub product_key: String,
    /// The SLO's position in the contract's list.
    pub spec_index: i64,
    /// The table the SLO covers; `null` for the whole product.
    pub table: Option<String>,
    /// The due time.
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub due: DateTime<Utc>,
    /// `due` plus the grace: the last instant a refresh meets the tick.
    #[serde(with = "crate::time")]
    #[schema(value_type = String, format = DateTime)]
    pub deadline: DateTime<Utc>,
    /// `met`, `late` or `missed`.
    pub status: TickStatus,
    /// The refresh that counted for the tick.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub refresh_at: Option<DateTime<Utc>>,
}

/// The SLO of one contract entry as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpecStatus {
    /// The SLO's position in the contract's list.
    pub index: i64,
    /// The table it covers; `null` for the whole product.
    pub table: Option<String>,
    /// Cron expression of the due times.
    pub schedule: String,
    /// IANA time zone of the schedule.
    pub timezone: String,
    /// Minutes after a due time a refresh still meets it.
    pub grace_minutes: i64,
    /// `met`, `breached`, or `pending` (no tick judged yet).
    pub state: SloState,
    /// The next due time.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_due: Option<DateTime<Utc>>,
    /// The last refresh of the table (or of the product).
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_refresh: Option<DateTime<Utc>>,
    /// First missed tick of the open breach.
    #[serde(default, with = "crate::time::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub breach_since: Option<DateTime<Utc>>,
    /// Ticks missed in the open breach.
    pub missed_ticks: Option<u32>,
    /// Share of judged ticks met, in percent; `None` without judged ticks.
    pub compliance_7d: Option<f64>,
    /// The same over 30 days.
    pub compliance_30d: Option<f64>,
}

/// A product's SLO status and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SloStatus {
    /// `domain.product`.
    pub product: String,
    /// The published version the SLOs are from.
    pub version: String,
    pub specs: Vec<SpecStatus>,
    /// Judged ticks of the last 30 days, oldest first.
    pub history: Vec<Tick>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::round_trip;

    const MISSED: &str = r#"{"product_key":"sales.orders","spec_index":0,"table":null,"due":"2026-11-21T05:00:00.000000Z",
        "deadline":"2026-11-21T06:00:00.000000Z","status":"missed","refresh_at":null}"#;

    #[test]
    fn statuses_round_trip() {
        let s: SloStatus = round_trip(&format!(
            r#"{{"product":"sales.orders","version":"0.1.0","specs":[
                {{"index":0,"table":null,"schedule":"0 6 * * *","timezone":"Europe/Paris","grace_minutes":60,
                  "state":"breached","next_due":"2026-11-22T05:00:00.000000Z","last_refresh":null,
                  "breach_since":"2026-11-21T05:00:00.000000Z","missed_ticks":1,"compliance_7d":85.71428571428571,
                  "compliance_30d":null}},
                {{"index":1,"table":"orders","schedule":"0 * * * *","timezone":"UTC","grace_minutes":5,
                  "state":"met","next_due":null,"last_refresh":"2026-11-21T06:00:00.000000Z","breach_since":null,
                  "missed_ticks":null,"compliance_7d":100.0,"compliance_30d":100.0}}],
              "history":[{MISSED},
                {{"product_key":"sales.orders","spec_index":1,"table":"orders","due":"2026-11-21T06:00:00.000000Z",
                  "deadline":"2026-11-21T06:05:00.000000Z","status":"met","refresh_at":"2026-11-21T06:00:00.000000Z"}}]}}"#
        ));
        assert_eq!(s.specs[0].state, SloState::Breached);
        assert_eq!(s.history[1].status, TickStatus::Met);
        let breaches: Vec<Tick> = round_trip(&format!("[{MISSED}]"));
        assert_eq!(breaches[0].status, TickStatus::Missed);
    }

    #[test]
    fn closed_sets() {
        check_names!(TickStatus, ["pending", "met", "late", "missed"]);
        check_names!(SloState, ["met", "breached", "pending"]);
    }
}
