//! Identifier grammar (STW006) and unique names (STW015).

use std::collections::HashMap;

use steward_schemas::ident::check_snake_case;
use steward_schemas::{ColumnName, DomainName, FieldPath, ProductName, TableName};

use super::{Ctx, column_path, table_label, table_path};

pub fn check(ctx: &mut Ctx<'_>) {
    let c = ctx.contract;
    let ident = |ctx: &mut Ctx<'_>, kind: &'static str, max: usize, value: Option<&str>, path: FieldPath| {
        if let Some(v) = value
            && let Err(e) = check_snake_case(kind, v, max)
        {
            ctx.report("STW006", path, e.to_string());
        }
    };
    ident(ctx, DomainName::KIND, DomainName::MAX_LEN, c.domain.as_deref(), FieldPath::root().key("domain"));
    ident(
        ctx,
        ProductName::KIND,
        ProductName::MAX_LEN,
        c.data_product.as_deref(),
        FieldPath::root().key("dataProduct"),
    );

    let mut tables: HashMap<&str, usize> = HashMap::new();
    for (t, table) in c.schema.iter().enumerate() {
        let name = table.name.as_deref();
        ident(ctx, TableName::KIND, TableName::MAX_LEN, name, table_path(t).key("name"));
        if let Some(n) = name
            && let Some(first) = tables.insert(n, t)
        {
            ctx.report(
                "STW015",
                table_path(t).key("name"),
                format!("table `{n}` is defined twice (also schema[{first}]): rename or merge one"),
            );
        }
        let mut columns: HashMap<&str, usize> = HashMap::new();
        for (i, col) in table.properties.iter().enumerate() {
            let name = col.name.as_deref();
            ident(ctx, ColumnName::KIND, ColumnName::MAX_LEN, name, column_path(t, i).key("name"));
            if let Some(n) = name
                && let Some(first) = columns.insert(n, i)
            {
                let label = table_label(c, t);
                ctx.report(
                    "STW015",
                    column_path(t, i).key("name"),
                    format!("column `{n}` appears twice in table `{label}` (also properties[{first}])"),
                );
            }
        }
    }
}
