//! What a new version takes from the consumers of the previous one: the
//! tables and columns they lose and the columns whose type changes under
//! them ([M11], "impact before approval"). The same comparison as the
//! breaking-change rules in [`crate::evolution`], as data rather than
//! findings, so the API, the CLI and the portal can say per consumer what
//! breaks.

use std::collections::HashMap;

use serde::Serialize;
use steward_schemas::model::Contract;

use crate::evolution::type_change;

/// What consumers of `previous` lose in `new`. Names are `table` and
/// `table.column`, in the order of the previous contract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Losses {
    /// Tables of the previous version the new one does not have.
    pub tables: Vec<String>,
    /// Columns of kept tables the new version does not have.
    pub columns: Vec<String>,
    /// Columns kept with a type that breaks readers, with why.
    pub retyped: Vec<(String, String)>,
}

impl Losses {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty() && self.retyped.is_empty()
    }
}

/// Compares two versions of one product's contract (see [`Losses`]).
pub fn losses(previous: &Contract, new: &Contract) -> Losses {
    let mut out = Losses::default();
    let new_tables: HashMap<&str, _> = new.schema.iter().filter_map(|t| t.name.as_deref().map(|n| (n, t))).collect();
    for old_table in &previous.schema {
        let Some(tname) = old_table.name.as_deref() else { continue };
        let Some(new_table) = new_tables.get(tname) else {
            out.tables.push(tname.to_owned());
            continue;
        };
        let new_cols: HashMap<&str, _> =
            new_table.properties.iter().filter_map(|c| c.name.as_deref().map(|n| (n, c))).collect();
        for old_col in &old_table.properties {
            let Some(cname) = old_col.name.as_deref() else { continue };
            match new_cols.get(cname) {
                None => out.columns.push(format!("{tname}.{cname}")),
                Some(new_col) => {
                    if let Some(change) = type_change(old_col, new_col) {
                        out.retyped.push((format!("{tname}.{cname}"), change.why));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(yaml: &str) -> Contract {
        steward_schemas::parse_contract(yaml).expect("test contract parses").1
    }

    const V1: &str = "apiVersion: v3.1.0\nkind: DataContract\nid: a\nversion: 1.0.0\nstatus: active\n\
        domain: sales\ndataProduct: orders\nschema:\n\
        - name: orders\n  properties:\n\
        \x20 - {name: id, logicalType: integer}\n\
        \x20 - {name: quantity, logicalType: integer}\n\
        \x20 - {name: note, logicalType: string}\n\
        - name: lines\n  properties:\n\
        \x20 - {name: sku, logicalType: string}\n";

    #[test]
    fn removed_tables_and_columns_and_narrowed_types_are_losses() {
        let v2 = "apiVersion: v3.1.0\nkind: DataContract\nid: a\nversion: 2.0.0\nstatus: active\n\
            domain: sales\ndataProduct: orders\nschema:\n\
            - name: orders\n  properties:\n\
            \x20 - {name: id, logicalType: string}\n\
            \x20 - {name: note, logicalType: string}\n\
            \x20 - {name: added, logicalType: string}\n";
        let l = losses(&contract(V1), &contract(v2));
        assert_eq!(l.tables, ["lines"]);
        assert_eq!(l.columns, ["orders.quantity"]);
        assert_eq!(l.retyped.len(), 1, "{l:?}");
        assert_eq!(l.retyped[0].0, "orders.id");
        assert!(!l.is_empty());
    }

    #[test]
    fn an_additive_version_loses_nothing() {
        let v11 = V1.replace("version: 1.0.0", "version: 1.1.0").replace(
            "  - {name: note, logicalType: string}\n",
            "  - {name: note, logicalType: string}\n  - {name: extra, logicalType: string}\n",
        );
        let l = losses(&contract(V1), &contract(&v11));
        assert!(l.is_empty(), "{l:?}");
    }
}
