//! OpenLineage dataset names ↔ Steward table locations, after the
//! OpenLineage naming conventions (`website/docs/spec/naming.md` of the
//! OpenLineage repository; `spec/Naming.md` points there):
//!
//! | platform | namespace | name |
//! |---|---|---|
//! | S3 | `s3://{bucket}` | `{object key}` |
//! | AWS Glue | `arn:aws:glue:{region}:{account id}` | `table/{database}/{table}` |
//! | local file system | `file` | `{path}` |
//!
//! A dataset matches a table when its name is the table's location, or the
//! location followed by `k=v` partition segments (Spark and Airflow report
//! the partition directory they wrote); those segments become the
//! refresh's partition.

use std::collections::BTreeMap;
use std::path::Path;

use crate::store::lineage::DatasetName;

/// Where to look a dataset up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lookup {
    /// Table locations (as published, with a trailing `/`), each with the
    /// partition the rest of the dataset's path names.
    pub locations: Vec<(String, BTreeMap<String, String>)>,
    /// A Glue table: `(database, table)`.
    pub glue: Option<(String, String)>,
}

/// `k=v` → `(k, v)`.
fn key_value(segment: &str) -> Option<(String, String)> {
    let (k, v) = segment.split_once('=')?;
    (!k.is_empty() && !v.is_empty()).then(|| (k.to_owned(), v.to_owned()))
}

/// `base` + each prefix of `segments` whose remainder is all `k=v`, longest first.
fn prefixes(base: &str, segments: &[&str]) -> Vec<(String, BTreeMap<String, String>)> {
    let mut out = Vec::new();
    for cut in (1..=segments.len()).rev() {
        let rest = &segments[cut..];
        let Some(partition) = rest.iter().map(|s| key_value(s)).collect::<Option<BTreeMap<_, _>>>() else {
            break; // a non-partition segment below: not a table directory
        };
        out.push((format!("{base}{}/", segments[..cut].join("/")), partition));
    }
    out
}

fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty() && *s != ".").collect()
}

/// Where `d` could be in the catalog. `data_dir`: local table locations
/// are relative to it (`lake/...`), while events name absolute paths.
pub fn lookup(d: &DatasetName, data_dir: Option<&Path>) -> Lookup {
    let ns = d.namespace.as_str();
    let mut out = Lookup::default();
    if let Some(bucket) =
        ["s3://", "s3a://", "s3n://"].iter().find_map(|p| ns.strip_prefix(p)).map(|b| b.trim_end_matches('/'))
    {
        if !bucket.is_empty() && !bucket.contains('/') {
            out.locations = prefixes(&format!("s3://{bucket}/"), &segments(&d.name));
        }
    } else if ns.starts_with("arn:aws:glue:") {
        let parts: Vec<&str> = d.name.split('/').collect();
        if let ["table", db, table] = parts.as_slice() {
            out.glue = Some(((*db).to_owned(), (*table).to_owned()));
        }
    } else if ns == "file" || ns.starts_with("file://") {
        let segs = segments(&d.name);
        if segs.contains(&"..") {
            return out;
        }
        if d.name.starts_with('/') {
            out.locations = prefixes("/", &segs);
            if let Some(dir) = data_dir.and_then(|p| p.to_str()) {
                let dir = segments(dir);
                if segs.len() > dir.len() && segs[..dir.len()] == dir[..] {
                    out.locations.extend(prefixes("", &segs[dir.len()..]));
                }
            }
        } else {
            out.locations = prefixes("", &segs);
        }
    }
    out
}

/// The dataset name of a table location (for events Steward sends).
pub fn dataset_of(location: &str, data_dir: Option<&Path>) -> DatasetName {
    if let Some(rest) = location.strip_prefix("s3://") {
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        return DatasetName { namespace: format!("s3://{bucket}"), name: key.trim_end_matches('/').to_owned() };
    }
    let path = Path::new(location.trim_end_matches('/'));
    let absolute = match data_dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    };
    DatasetName { namespace: "file".into(), name: absolute.to_string_lossy().into_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ds(ns: &str, name: &str) -> DatasetName {
        DatasetName { namespace: ns.into(), name: name.into() }
    }

    #[test]
    fn s3_names_match_the_table_and_its_partition_directories() {
        let l = lookup(&ds("s3://steward-sales", "orders/order_lines/dt=2026-11-21"), None);
        assert_eq!(l.locations[0].0, "s3://steward-sales/orders/order_lines/dt=2026-11-21/");
        assert_eq!(l.locations[1].0, "s3://steward-sales/orders/order_lines/");
        assert_eq!(l.locations[1].1["dt"], "2026-11-21");
        // A file below the table is not the table.
        let l = lookup(&ds("s3a://b", "orders/part-0.parquet/dt=1"), None);
        assert_eq!(l.locations.len(), 2);
        assert!(lookup(&ds("s3://b", "t/part-0.parquet"), None).locations.iter().all(|(_, p)| p.is_empty()));
    }

    #[test]
    fn glue_and_local_names() {
        let l = lookup(&ds("arn:aws:glue:eu-west-1:111111111111", "table/sales_orders/order_lines"), None);
        assert_eq!(l.glue, Some(("sales_orders".into(), "order_lines".into())));
        let l = lookup(&ds("file", "/srv/steward/lake/sales/orders/dt=1"), Some(Path::new("/srv/steward")));
        assert!(l.locations.iter().any(|(loc, p)| loc == "lake/sales/orders/" && p["dt"] == "1"), "{l:?}");
        assert!(l.locations.iter().any(|(loc, _)| loc == "/srv/steward/lake/sales/orders/"));
        assert!(lookup(&ds("file", "/srv/../etc"), None).locations.is_empty());
    }

    #[test]
    fn locations_name_datasets_as_the_convention_says() {
        assert_eq!(dataset_of("s3://b/orders/order_lines/", None), ds("s3://b", "orders/order_lines"));
        assert_eq!(dataset_of("lake/sales/t/", Some(Path::new("/d"))), ds("file", "/d/lake/sales/t"));
    }
}
