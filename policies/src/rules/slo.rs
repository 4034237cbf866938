//! The SLO schedule (STW009, with the sunset dates `endOfSupport` and
//! `endOfLife`) and its frequency (STW010).

use steward_schemas::FieldPath;
use steward_schemas::slo::{slo_specs, sunset};

use super::Ctx;

pub fn check(ctx: &mut Ctx<'_>) {
    let c = ctx.contract;
    let (specs, mut issues) = slo_specs(c);
    issues.extend(sunset(c).1);
    for issue in issues {
        match issue.offset {
            Some(offset) => ctx.report_within("STW009", issue.path, offset, issue.message),
            None => ctx.report("STW009", issue.path, issue.message),
        }
    }
    let has_cron =
        c.sla_properties.iter().any(|p| p.scheduler.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("cron")));
    // An empty or missing `slaProperties` is already a profile finding (STW021).
    if !has_cron && !c.sla_properties.is_empty() {
        ctx.report(
            "STW009",
            FieldPath::root().key("slaProperties"),
            "no SLO schedule: add `{property: frequency, value: daily, scheduler: cron, schedule: \"0 6 * * *\"}` to slaProperties",
        );
    }
    for spec in &specs {
        let path = FieldPath::root().key("slaProperties").index(spec.index);
        if let Some(table) = &spec.table
            && !c.schema.iter().any(|t| t.name.as_deref() == Some(table))
        {
            ctx.report(
                "STW009",
                path.clone().key("element"),
                format!("SLO element `{table}` names no table of this contract"),
            );
        }
        let every = spec.schedule.min_interval_minutes();
        let min = ctx.policy.min_slo_interval_minutes;
        if every < min {
            ctx.report(
                "STW010",
                path.key("schedule"),
                format!(
                    "schedule `{}` fires every {every} minute(s); the policy allows at most one delivery every {min} minutes",
                    spec.schedule
                ),
            );
        }
    }
}
