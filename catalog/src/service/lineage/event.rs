//! Reading an OpenLineage event: the required fields of
//! `spec/OpenLineage.json` (`$defs/BaseEvent`, `RunEvent`, `Run`, `Job`,
//! `Dataset`), checked with a JSON pointer naming the first wrong field,
//! and the facets Steward uses. Pure and synchronous: the service runs it
//! on the blocking pool.

use std::collections::BTreeMap;

use serde_json::Value;
use steward_api::EventType;

use crate::store::lineage::DatasetName;

/// Datasets per side read from one event; more are left out of lineage.
pub const MAX_DATASETS: usize = 500;
/// Longest namespace or name stored (PostgreSQL indexes them whole).
pub const MAX_NAME: usize = 1000;

/// A dataset of an event, with what its facets say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub id: DatasetName,
    /// Other names of the same data (`facets.symlinks.identifiers`,
    /// `spec/facets/SymlinksDatasetFacet.json`), e.g. its Glue table.
    pub symlinks: Vec<DatasetName>,
    /// Partitions written (`outputFacets.subset.outputCondition` of type
    /// `partition`, `spec/facets/BaseSubsetDatasetFacet.json`): the
    /// `dimensions` of each, values as text.
    pub partitions: Vec<BTreeMap<String, String>>,
    /// `outputFacets.outputStatistics.rowCount`
    /// (`spec/facets/OutputStatisticsOutputDatasetFacet.json`).
    pub row_count: Option<i64>,
}

/// A valid event, as far as Steward reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub event_type: Option<EventType>,
    /// Lower-case; `None` for a job event (static lineage, no run).
    pub run_id: Option<String>,
    /// `None` for a dataset event.
    pub job: Option<DatasetName>,
    pub inputs: Vec<Dataset>,
    pub outputs: Vec<Dataset>,
}

/// A field that is missing or wrong: its JSON pointer (RFC 6901) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{}` ({pointer}): {message}", dotted(pointer))]
pub struct Invalid {
    pub pointer: String,
    pub message: String,
}

/// `/run/runId` → `run.runId`, `/outputs/0/name` → `outputs[0].name`.
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.chars().all(|c| c.is_ascii_digit()) && !part.is_empty() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part);
        }
    }
    if out.is_empty() { "body".into() } else { out }
}

fn invalid(pointer: impl Into<String>, message: impl Into<String>) -> Invalid {
    Invalid { pointer: pointer.into(), message: message.into() }
}

fn object<'a>(v: &'a Value, pointer: &str) -> Result<&'a serde_json::Map<String, Value>, Invalid> {
    v.as_object().ok_or_else(|| invalid(pointer, "must be an object"))
}

/// A required string member.
fn string<'a>(o: &'a serde_json::Map<String, Value>, pointer: &str, key: &str) -> Result<&'a str, Invalid> {
    let at = format!("{pointer}/{key}");
    match o.get(key) {
        None | Some(Value::Null) => Err(invalid(at, "is required")),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(invalid(at, "must be a string")),
    }
}

/// A name Steward stores: no control characters at all (tabs and line
/// breaks may appear in facets, such as SQL text, but not in names).
fn name(o: &serde_json::Map<String, Value>, pointer: &str, key: &str) -> Result<String, Invalid> {
    let s = string(o, pointer, key)?;
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(invalid(
            format!("{pointer}/{key}"),
            format!("contains the control character U+{:04X}", u32::from(c)),
        ));
    }
    Ok(s.to_owned())
}

/// `8-4-4-4-12` hexadecimal digits (JSON Schema `format: uuid`, RFC 4122).
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

/// An RFC 3339 time; a time without offset is taken as UTC (some clients
/// send `datetime.now().isoformat()`).
fn is_time(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
        || chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

/// A URI (JSON Schema `format: uri`): a scheme, `:`, and no spaces.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    !rest.is_empty()
        && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !s.chars().any(char::is_whitespace)
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The facets Steward reads; a facet of another shape is ignored (facets
/// are extensible and a producer's custom facet is no reason to refuse).
fn dataset(v: &Value, pointer: &str) -> Result<Dataset, Invalid> {
    let o = object(v, pointer)?;
    let id = DatasetName { namespace: name(o, pointer, "namespace")?, name: name(o, pointer, "name")? };
    for (key, facets) in ["facets", "inputFacets", "outputFacets"].iter().filter_map(|k| o.get(*k).map(|f| (k, f))) {
        if !facets.is_object() && !facets.is_null() {
            return Err(invalid(format!("{pointer}/{key}"), "must be an object"));
        }
    }
    let symlinks = v
        .pointer("/facets/symlinks/identifiers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| {
            let namespace = i.get("namespace")?.as_str()?;
            let name = i.get("name")?.as_str()?;
            (!namespace.chars().chain(name.chars()).any(char::is_control))
                .then(|| DatasetName { namespace: namespace.into(), name: name.into() })
        })
        .take(16)
        .collect();
    let condition = v.pointer("/outputFacets/subset/outputCondition");
    let partitions = condition
        .filter(|c| c.get("type").and_then(Value::as_str) == Some("partition"))
        .and_then(|c| c.get("partitions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("dimensions")?.as_object())
        .map(|d| d.iter().filter_map(|(k, v)| Some((k.clone(), text_of(v)?))).collect::<BTreeMap<_, _>>())
        .filter(|d| !d.is_empty())
        .take(MAX_DATASETS)
        .collect();
    let row_count = v.pointer("/outputFacets/outputStatistics/rowCount").and_then(Value::as_i64);
    Ok(Dataset { id, symlinks, partitions, row_count })
}

fn datasets(o: &serde_json::Map<String, Value>, key: &str) -> Result<Vec<Dataset>, Invalid> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => {
            items.iter().enumerate().take(MAX_DATASETS).map(|(i, d)| dataset(d, &format!("/{key}/{i}"))).collect()
        }
        Some(_) => Err(invalid(format!("/{key}"), "must be an array")),
    }
}

/// Refuses control characters in any string (keys too), except tab, CR
/// and LF, which facets may hold (SQL text, say): NUL cannot be stored in
/// PostgreSQL text and the others have no place in an event.
fn scan(v: &Value, pointer: &mut String) -> Result<(), Invalid> {
    let bad = |s: &str| s.chars().find(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'));
    let refuse = |p: &str, c: char| invalid(p, format!("contains the control character U+{:04X}", u32::from(c)));
    match v {
        Value::String(s) => bad(s).map_or(Ok(()), |c| Err(refuse(pointer, c))),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                scan(item, pointer)?;
                pointer.truncate(len);
            }
            Ok(())
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1").escape_debug().to_string());
                if let Some(c) = bad(key) {
                    return Err(refuse(pointer, c));
                }
                scan(item, pointer)?;
                pointer.truncate(len);
            }
            Ok(())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

/// Checks `v` against the spec's required fields and reads it.
pub fn read(v: &Value) -> Result<Event, Invalid> {
    scan(v, &mut String::new())?;
    let o = object(v, "")?;
    let time = string(o, "", "eventTime")?;
    if !is_time(time) {
        return Err(invalid("/eventTime", format!("`{time}` is not an RFC 3339 date-time")));
    }
    for key in ["producer", "schemaURL"] {
        let s = string(o, "", key)?;
        if !is_uri(s) {
            return Err(invalid(format!("/{key}"), format!("`{s}` is not a URI")));
        }
    }
    let event_type = match o.get("eventType") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.parse::<EventType>().map_err(|e| invalid("/eventType", e.to_string()))?),
        Some(_) => return Err(invalid("/eventType", "must be a string")),
    };
    // A dataset event (`$defs/DatasetEvent`) has neither job nor run.
    if o.get("run").is_none() && o.get("job").is_none() {
        if o.get("dataset").is_some_and(Value::is_object) {
            return Ok(Event { event_type, run_id: None, job: None, inputs: vec![], outputs: vec![] });
        }
        return Err(invalid("/run", "is required (a run event has `run` and `job`)"));
    }
    let run_id = match o.get("run") {
        None => None, // a job event (`$defs/JobEvent`)
        Some(run) => {
            let run = object(run, "/run")?;
            let id = string(run, "/run", "runId")?;
            if !is_uuid(id) {
                return Err(invalid("/run/runId", format!("`{id}` is not a UUID")));
            }
            Some(id.to_ascii_lowercase())
        }
    };
    let job = object(o.get("job").ok_or_else(|| invalid("/job", "is required"))?, "/job")?;
    let job = DatasetName { namespace: name(job, "/job", "namespace")?, name: name(job, "/job", "name")? };
    Ok(Event { event_type, run_id, job: Some(job), inputs: datasets(o, "inputs")?, outputs: datasets(o, "outputs")? })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event() -> Value {
        json!({
            "eventType": "COMPLETE",
            "eventTime": "2026-11-21T06:00:00.000Z",
            "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/integration/airflow",
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
            "run": {"runId": "3F5E83FA-3480-44FF-99C5-FF943904E5E8"},
            "job": {"namespace": "airflow", "name": "etl.load"},
            "outputs": [{"namespace": "s3://b", "name": "orders/order_lines", "outputFacets": {
                "subset": {"outputCondition": {"type": "partition", "partitions": [{"dimensions": {"dt": "2026-11-21"}}]}},
                "outputStatistics": {"rowCount": 12}}}]
        })
    }

    #[test]
    fn reads_a_run_event() {
        let e = read(&event()).unwrap();
        assert_eq!(e.event_type, Some(EventType::Complete));
        assert_eq!(e.run_id.as_deref(), Some("3f5e83fa-3480-44ff-99c5-ff943904e5e8"));
        assert_eq!(e.outputs[0].partitions[0]["dt"], "2026-11-21");
        assert_eq!(e.outputs[0].row_count, Some(12));
    }

    #[test]
    fn names_the_first_wrong_field_by_pointer() {
        let cases: [(&str, Value, &str); 6] = [
            ("/eventTime", Value::Null, "eventTime"),
            ("/run/runId", json!("nope"), "run.runId"),
            ("/job/name", json!(3), "job.name"),
            ("/eventType", json!("DONE"), "eventType"),
            ("/outputs/0/namespace", Value::Null, "outputs[0].namespace"),
            ("/schemaURL", json!("not a uri"), "schemaURL"),
        ];
        for (pointer, value, dotted) in cases {
            let mut v = event();
            *v.pointer_mut(pointer).unwrap() = value;
            let e = read(&v).unwrap_err();
            assert_eq!(e.pointer, pointer);
            assert!(e.to_string().contains(&format!("`{dotted}`")), "{e}");
        }
    }

    #[test]
    fn job_and_dataset_events_are_valid_without_a_run() {
        let mut v = event();
        v.as_object_mut().unwrap().remove("run");
        assert_eq!(read(&v).unwrap().run_id, None);
        let v = json!({"eventTime": "2026-11-21T06:00:00Z", "producer": "https://x", "schemaURL": "https://y",
                       "dataset": {"namespace": "s3://b", "name": "k"}});
        assert!(read(&v).unwrap().job.is_none());
    }
}
