//! Column types (STW007) and partition keys (STW008).

use steward_schemas::model::LOGICAL_TYPES;

use super::{Ctx, column_label, column_path, table_label};

pub fn check(ctx: &mut Ctx<'_>) {
    let c = ctx.contract;
    for (t, table) in c.schema.iter().enumerate() {
        for (i, col) in table.properties.iter().enumerate() {
            match col.logical_type.as_deref() {
                None => {
                    let label = column_label(c, t, i);
                    ctx.report(
                        "STW007",
                        column_path(t, i).key("logicalType"),
                        format!("column `{label}` has no logicalType: use one of {}", LOGICAL_TYPES.join(", ")),
                    );
                }
                Some(lt) if !LOGICAL_TYPES.contains(&lt) => {
                    let label = column_label(c, t, i);
                    ctx.report(
                        "STW007",
                        column_path(t, i).key("logicalType"),
                        format!(
                            "column `{label}` has unknown logicalType `{lt}`: use one of {}",
                            LOGICAL_TYPES.join(", ")
                        ),
                    );
                }
                Some(_) => {}
            }
        }

        // Partition keys: every `partitioned: true` column has a position, positions are 1..n.
        let mut positions: Vec<(i64, usize)> = Vec::new();
        for (i, col) in table.properties.iter().enumerate() {
            let pos = col.partition_key_position.filter(|p| *p >= 0);
            let label = column_label(c, t, i);
            match (col.is_partitioned(), pos) {
                (true, Some(p)) if p >= 1 => positions.push((p, i)),
                (true, _) => ctx.report(
                    "STW008",
                    column_path(t, i).key("partitionKeyPosition"),
                    format!("partition key `{label}` needs `partitionKeyPosition` (1 for the first key, 2 for the next, ...)"),
                ),
                (false, Some(p)) if p >= 1 => ctx.report(
                    "STW008",
                    column_path(t, i).key("partitioned"),
                    format!("column `{label}` has partitionKeyPosition {p} but is not `partitioned: true`"),
                ),
                _ => {}
            }
            if col.is_partitioned() {
                match col.logical_type.as_deref() {
                    Some("object" | "array") | None => ctx.report(
                        "STW008",
                        column_path(t, i).key("logicalType"),
                        format!("partition key `{label}` must have a scalar logicalType (string, date, integer, ...)"),
                    ),
                    _ => {}
                }
            }
        }
        positions.sort();
        for (expected, (p, i)) in (1..).zip(&positions) {
            if *p != expected {
                let label = table_label(c, t);
                let msg = if positions.iter().filter(|(q, _)| q == p).count() > 1 {
                    format!(
                        "table `{label}` has two partition keys at position {p}; number them 1..{}",
                        positions.len()
                    )
                } else {
                    format!(
                        "table `{label}` partition key positions skip {expected}; number them 1..{}",
                        positions.len()
                    )
                };
                ctx.report("STW008", column_path(t, *i).key("partitionKeyPosition"), msg);
                break;
            }
        }
    }
}
