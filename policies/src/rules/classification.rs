//! Column classifications (STW011) and the product's ceiling (STW012).

use steward_schemas::FieldPath;

use super::{Ctx, column_label, column_path};

pub fn check(ctx: &mut Ctx<'_>) {
    let c = ctx.contract;
    let policy = ctx.policy;
    let levels = policy.classifications.join(", ");

    let (product_level, product_name) = match c.classification() {
        Some((i, name)) => match policy.level(name) {
            Some(level) => (level, name.to_owned()),
            None => {
                ctx.report(
                    "STW012",
                    FieldPath::root().key("customProperties").index(i).key("value"),
                    format!("product classification `{name}` is not one of {levels}"),
                );
                return;
            }
        },
        None => {
            let d = &policy.default_product_classification;
            (policy.level(d).unwrap_or(0), d.clone())
        }
    };
    let pii_min = policy.level(&policy.pii.min_product_classification).unwrap_or(0);

    for (t, table) in c.schema.iter().enumerate() {
        for (i, col) in table.properties.iter().enumerate() {
            let path = column_path(t, i);
            let label = column_label(c, t, i);
            match col.classification.as_deref() {
                None => ctx.report(
                    "STW011",
                    path.clone().key("classification"),
                    format!("column `{label}` has no classification: add `classification:` with one of {levels}"),
                ),
                Some(name) => match policy.level(name) {
                    None => ctx.report(
                        "STW011",
                        path.clone().key("classification"),
                        format!("column `{label}` has classification `{name}`, which is not one of {levels}"),
                    ),
                    Some(level) if level > product_level => ctx.report(
                        "STW012",
                        path.clone().key("classification"),
                        format!(
                            "column `{label}` is `{name}` but the product is classified `{product_name}`: raise the product's \
                             `classification` custom property to `{name}` or move the column to a product that allows it"
                        ),
                    ),
                    Some(_) => {}
                },
            }
            if let Some(tag) = col.tags.iter().find(|t| policy.pii.tags.contains(t))
                && product_level < pii_min
            {
                ctx.report(
                    "STW012",
                    path.key("tags"),
                    format!(
                        "column `{label}` is tagged `{tag}` (personal data) but the product is classified `{product_name}`: \
                         personal data needs a product classified at least `{}`",
                        policy.pii.min_product_classification
                    ),
                );
            }
        }
    }
}
