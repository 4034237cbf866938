//! Schema evolution: which changes between two versions of a contract break
//! consumers (STW101–STW107). A breaking change is an error unless the major
//! version went up, in which case it is reported as a warning so reviewers
//! still see it. A moved data location (STW108) is reported whatever the
//! version: a major version does not move grants along.
//!
//! Findings about something removed point into the previous version (the new
//! one no longer has it); all others into the new one.

/// The evolution rules whose findings mark a change that breaks consumers
/// (a major version makes them warnings; the portal marks them in the diff).
pub const BREAKING_RULES: [&str; 5] = ["STW101", "STW102", "STW103", "STW104", "STW105"];

/// Does a finding of `rule` mark a breaking change?
pub fn is_breaking(rule: &str) -> bool {
    BREAKING_RULES.contains(&rule)
}

use std::collections::HashMap;

use steward_schemas::model::{Contract, Property, SchemaObject};
use steward_schemas::{Document, FieldPath};

use crate::config::Policy;
use crate::finding::{Finding, Severity, Source};
use crate::rules::{column_path, new_finding, table_path};
use crate::validate::Previous;

/// Compares `new` (read from `doc`) against `previous` and reports every
/// breaking change.
pub fn check_evolution(policy: &Policy, previous: &Previous, doc: &Document, new: &Contract) -> Vec<Finding> {
    let mut out = Vec::new();
    let old_doc = (&previous.doc, Source::Previous);
    let doc = (doc, Source::Current);
    let previous = &previous.contract;
    let same_product = previous.domain == new.domain && previous.data_product == new.data_product;
    if !same_product {
        push(
            &mut out,
            policy,
            doc,
            "STW107",
            None,
            FieldPath::root().key("dataProduct"),
            format!(
                "the previous contract is of product `{}.{}`, this one of `{}.{}`; compare versions of the same product",
                previous.domain.as_deref().unwrap_or("?"),
                previous.data_product.as_deref().unwrap_or("?"),
                new.domain.as_deref().unwrap_or("?"),
                new.data_product.as_deref().unwrap_or("?"),
            ),
        );
        return out;
    }

    let (old_v, new_v) = (previous.semver(), new.semver());
    let major_bump = match (&old_v, &new_v) {
        (Some(o), Some(n)) => {
            if n <= o {
                push(
                    &mut out,
                    policy,
                    doc,
                    "STW106",
                    None,
                    FieldPath::root().key("version"),
                    format!(
                        "version {n} is not greater than the previous version {o}; raise it (major for breaking changes)"
                    ),
                );
            }
            (n.major > o.major).then(|| format!("{} to {}", o.major, n.major))
        }
        _ => None,
    };
    let bump = major_bump.as_deref();

    // The catalog places every table under the first server's location.
    if let Some(old_loc) = previous.servers.first().and_then(|s| s.data_location())
        && let Some(server) = new.servers.first()
        && let Some(new_loc) = server.data_location()
        && old_loc.trim_end_matches('/') != new_loc.trim_end_matches('/')
    {
        push(
            &mut out,
            policy,
            doc,
            "STW108",
            None,
            FieldPath::root().key("servers").index(0).key(server.location_field()),
            format!(
                "the data location changed from `{old_loc}` to `{new_loc}`: consumers' grants and Lake Formation \
                 registrations point at the old location; keep the old location, or move the data and have \
                 access granted again"
            ),
        );
    }

    let new_tables: HashMap<&str, (usize, &SchemaObject)> =
        new.schema.iter().enumerate().filter_map(|(i, t)| t.name.as_deref().map(|n| (n, (i, t)))).collect();

    for (old_ti, old_table) in previous.schema.iter().enumerate() {
        let Some(tname) = old_table.name.as_deref() else {
            continue;
        };
        let Some(&(ti, new_table)) = new_tables.get(tname) else {
            push(
                &mut out,
                policy,
                old_doc,
                "STW105",
                bump,
                table_path(old_ti),
                format!("table `{tname}` was removed; consumers reading it will break"),
            );
            continue;
        };
        let new_cols: HashMap<&str, (usize, &Property)> = new_table
            .properties
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.name.as_deref().map(|n| (n, (i, c))))
            .collect();
        for (old_ci, old_col) in old_table.properties.iter().enumerate() {
            let Some(cname) = old_col.name.as_deref() else {
                continue;
            };
            let Some(&(ci, new_col)) = new_cols.get(cname) else {
                push(
                    &mut out,
                    policy,
                    old_doc,
                    "STW101",
                    bump,
                    column_path(old_ti, old_ci),
                    format!("column `{tname}.{cname}` was removed; queries selecting it will fail"),
                );
                continue;
            };
            if let Some(change) = type_change(old_col, new_col) {
                // The finding points at the line that changed, so the diff
                // marks it: a narrowed `physicalType` is on its own line, not
                // on `logicalType`; a dropped one is only in the old version.
                let (at, path) = match change.field {
                    TypeField::Logical => (doc, column_path(ti, ci).key("logicalType")),
                    TypeField::Physical => (doc, column_path(ti, ci).key("physicalType")),
                    TypeField::PhysicalDropped => (old_doc, column_path(old_ti, old_ci).key("physicalType")),
                };
                push(&mut out, policy, at, "STW102", bump, path, format!("column `{tname}.{cname}`: {}", change.why));
            }
            if new_col.is_required() && !old_col.is_required() {
                push(
                    &mut out,
                    policy,
                    doc,
                    "STW104",
                    bump,
                    column_path(ti, ci).key("required"),
                    format!("column `{tname}.{cname}` became required; data already delivered may hold nulls"),
                );
            }
        }
        let old_names: Vec<&str> = old_table.properties.iter().filter_map(|c| c.name.as_deref()).collect();
        for (ci, col) in new_table.properties.iter().enumerate() {
            if let Some(cname) = col.name.as_deref()
                && col.is_required()
                && !old_names.contains(&cname)
            {
                push(
                    &mut out,
                    policy,
                    doc,
                    "STW104",
                    bump,
                    column_path(ti, ci).key("required"),
                    format!("new column `{tname}.{cname}` is required; data already delivered has no value for it"),
                );
            }
        }
        let (old_keys, new_keys) = (partition_keys(old_table), partition_keys(new_table));
        if old_keys != new_keys {
            push(
                &mut out,
                policy,
                doc,
                "STW103",
                bump,
                table_path(ti).key("properties"),
                format!(
                    "table `{tname}` partition keys changed from [{}] to [{}]; existing partitions and consumer queries no longer match",
                    describe_keys(&old_keys),
                    describe_keys(&new_keys)
                ),
            );
        }
    }
    out
}

fn push(
    out: &mut Vec<Finding>,
    policy: &Policy,
    (doc, source): (&Document, Source),
    rule: &'static str,
    major_bump: Option<&str>,
    path: FieldPath,
    message: String,
) {
    let Some(mut severity) = policy.severity_of(rule) else {
        return;
    };
    let message = match major_bump {
        Some(bump) => {
            severity = Severity::Warning;
            format!("{message} (allowed: major version raised from {bump})")
        }
        None if severity == Severity::Error && is_breaking(rule) => {
            format!("{message}; this is a breaking change: raise the major version or keep the old shape")
        }
        None => message,
    };
    out.push(Finding { source, ..new_finding(doc, rule, severity, path, message) });
}

/// Ordered partition keys as (name, logical type).
fn partition_keys(table: &SchemaObject) -> Vec<(String, String)> {
    let mut keys: Vec<(i64, String, String)> = table
        .properties
        .iter()
        .filter(|c| c.is_partitioned())
        .map(|c| {
            (
                c.partition_key_position.unwrap_or(i64::MAX),
                c.name.clone().unwrap_or_default(),
                c.logical_type.clone().unwrap_or_default(),
            )
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, n, t)| (n, t)).collect()
}

fn describe_keys(keys: &[(String, String)]) -> String {
    keys.iter().map(|(n, t)| format!("{n} {t}")).collect::<Vec<_>>().join(", ")
}

/// Which field of a column a breaking type change is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeField {
    Logical,
    Physical,
    /// `physicalType` is gone from the new version.
    PhysicalDropped,
}

pub(crate) struct TypeChange {
    field: TypeField,
    pub(crate) why: String,
}

/// Why the type change from `old` to `new` breaks readers, if it does.
pub(crate) fn type_change(old: &Property, new: &Property) -> Option<TypeChange> {
    let (ol, nl) = (old.logical_type.as_deref(), new.logical_type.as_deref());
    if ol != nl && !(ol == Some("integer") && nl == Some("number")) {
        let why = format!("logicalType changed from `{}` to `{}`", ol.unwrap_or("(none)"), nl.unwrap_or("(none)"));
        return Some(TypeChange { field: TypeField::Logical, why });
    }
    match (old.physical_type.as_deref(), new.physical_type.as_deref()) {
        (Some(o), Some(n)) if !physical_widens(o, n) => Some(TypeChange {
            field: TypeField::Physical,
            why: format!("physicalType narrowed or changed from `{o}` to `{n}`"),
        }),
        (Some(o), None) => {
            Some(TypeChange { field: TypeField::PhysicalDropped, why: format!("physicalType `{o}` was dropped") })
        }
        _ => None,
    }
}

#[derive(Debug, PartialEq)]
enum Phys {
    Int(u8),
    Float(u8),
    Decimal(u32, u32),
    Text(Option<u32>),
    Other(String),
}

fn parse_phys(t: &str) -> Phys {
    let t: String = t.to_ascii_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
    let (base, args) = match t.split_once('(') {
        Some((b, rest)) => {
            (b.to_owned(), rest.trim_end_matches(')').split(',').map(|a| a.parse::<u32>().ok()).collect::<Vec<_>>())
        }
        None => (t.clone(), Vec::new()),
    };
    match base.as_str() {
        "tinyint" | "byte" => Phys::Int(1),
        "smallint" | "short" => Phys::Int(2),
        "int" | "integer" | "int4" => Phys::Int(3),
        "bigint" | "long" | "int8" => Phys::Int(4),
        "float" | "real" | "float4" => Phys::Float(1),
        "double" | "float8" | "doubleprecision" => Phys::Float(2),
        "decimal" | "numeric" => {
            Phys::Decimal(args.first().copied().flatten().unwrap_or(10), args.get(1).copied().flatten().unwrap_or(0))
        }
        "varchar" | "char" | "character" | "charactervarying" => Phys::Text(args.first().copied().flatten()),
        "string" | "text" => Phys::Text(None),
        _ => Phys::Other(t),
    }
}

/// Can every value of physical type `old` be read as `new`?
fn physical_widens(old: &str, new: &str) -> bool {
    match (parse_phys(old), parse_phys(new)) {
        (Phys::Int(a), Phys::Int(b)) => b >= a,
        (Phys::Int(a), Phys::Float(2)) => a <= 3,
        (Phys::Float(a), Phys::Float(b)) => b >= a,
        (Phys::Decimal(p, s), Phys::Decimal(p2, s2)) => s2 >= s && p2.saturating_sub(s2) >= p.saturating_sub(s),
        (Phys::Int(a), Phys::Decimal(p, s)) => p.saturating_sub(s) >= [0, 3, 5, 10, 19][usize::from(a)],
        (Phys::Text(a), Phys::Text(b)) => match (a, b) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => b >= a,
        },
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening() {
        for (o, n) in [
            ("int", "bigint"),
            ("varchar(10)", "varchar(20)"),
            ("varchar(10)", "string"),
            ("decimal(10,2)", "decimal(12,2)"),
            ("float", "double"),
            ("int", "double"),
            ("INT", "int"),
            ("timestamp", "timestamp"),
        ] {
            assert!(physical_widens(o, n), "{o} -> {n}");
        }
        for (o, n) in [
            ("bigint", "int"),
            ("varchar(20)", "varchar(10)"),
            ("string", "varchar(10)"),
            ("decimal(10,2)", "decimal(10,3)"),
            ("double", "float"),
            ("bigint", "double"),
            ("date", "timestamp"),
        ] {
            assert!(!physical_widens(o, n), "{o} -> {n}");
        }
    }
}
