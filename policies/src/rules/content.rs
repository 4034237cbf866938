//! Ownership, contacts, descriptions and status: STW001–STW005, STW016.

use steward_schemas::FieldPath;

use super::{Ctx, blank, column_label, column_path, table_label, table_path};

const STATUSES: [&str; 5] = ["proposed", "draft", "active", "deprecated", "retired"];

pub fn check(ctx: &mut Ctx<'_>) {
    let c = ctx.contract;
    if c.team.as_ref().is_none_or(|t| blank(&t.name)) {
        ctx.report(
            "STW001",
            FieldPath::root().key("team").key("name"),
            "no owning team: add `team: {name: <your-team>}` so consumers and alerts know who owns this product",
        );
    }
    if !c.support.is_empty() && !c.support.iter().any(|s| s.email().is_some() || s.slack().is_some()) {
        ctx.report(
            "STW002",
            FieldPath::root().key("support"),
            "no e-mail or Slack contact: add a `support` entry like `{channel: team@example.com, tool: email}` or `{channel: '#team-data', tool: slack}`",
        );
    }
    if c.description.as_ref().is_none_or(|d| blank(&d.purpose)) {
        ctx.report(
            "STW003",
            FieldPath::root().key("description").key("purpose"),
            "no product description: add `description: {purpose: <what this data is and why it exists>}`",
        );
    }
    for (t, table) in c.schema.iter().enumerate() {
        if blank(&table.description) {
            let label = table_label(c, t);
            ctx.report(
                "STW004",
                table_path(t).key("description"),
                format!("table `{label}` has no description: add `description:` to the schema object"),
            );
        }
        for (i, col) in table.properties.iter().enumerate() {
            if blank(&col.description) {
                let label = column_label(c, t, i);
                ctx.report(
                    "STW005",
                    column_path(t, i).key("description"),
                    format!("column `{label}` has no description: add `description:` to the property"),
                );
            }
        }
    }
    if let Some(status) = c.status.as_deref()
        && !STATUSES.contains(&status)
    {
        ctx.report(
            "STW016",
            FieldPath::root().key("status"),
            format!("status `{status}` is not one of {}", STATUSES.join(", ")),
        );
    }
}
