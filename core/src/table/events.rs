//! The `events` table: Kubernetes Events (`core/v1` and `events.k8s.io/v1`) from `kubectl get
//! events -o json|yaml` (lists), JSON arrays, single objects, and `--watch -o json` output (one
//! `{"type": ..., "object": ...}` per change). A watched event seen several times is kept once,
//! in its last state.

use std::collections::HashMap;
use std::io::Read;

use polars::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::diag::{Diagnostic, Severity};
use crate::formats::EntryFormat;
use crate::ingest::{Accounting, FileStats};
use crate::schema::events as col;
use crate::sources::FileSet;
use crate::sources::plan::{FileRole, FileStatus, Plan};
use crate::time::parse_rfc3339_nanos;

/// Where an event's first and last times are, best first (core/v1, then events.k8s.io/v1).
const FIRST_TS: [&str; 4] = [
    "/firstTimestamp",
    "/eventTime",
    "/metadata/creationTimestamp",
    "/lastTimestamp",
];
const LAST_TS: [&str; 5] = [
    "/lastTimestamp",
    "/series/lastObservedTime",
    "/eventTime",
    "/firstTimestamp",
    "/metadata/creationTimestamp",
];

fn s(v: &Value, path: &str) -> Option<String> {
    match v.pointer(path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn ts(v: &Value, paths: &[&str]) -> Option<i64> {
    paths
        .iter()
        .find_map(|p| parse_rfc3339_nanos(v.pointer(p)?.as_str()?.as_bytes()))
}

/// The events in one parsed document.
fn collect(doc: Value, out: &mut Vec<Value>) {
    match doc {
        Value::Array(items) => items.into_iter().for_each(|i| collect(i, out)),
        Value::Object(ref m) if m.contains_key("items") => {
            if let Some(Value::Array(items)) = doc.get("items").cloned() {
                items.into_iter().for_each(|i| collect(i, out));
            }
        }
        Value::Object(ref m) if m.contains_key("object") && m.contains_key("type") => {
            if let Some(o) = doc.get("object").cloned() {
                collect(o, out);
            }
        }
        Value::Object(ref m) if m.contains_key("involvedObject") || m.contains_key("regarding") => {
            out.push(doc);
        }
        _ => {}
    }
}

/// Parses a file into documents: JSON values one after another, else YAML documents.
fn documents(bytes: &[u8]) -> Result<Vec<Value>, (u64, String)> {
    let first = bytes.iter().find(|c| !c.is_ascii_whitespace());
    if matches!(first, Some(b'{' | b'[')) {
        let mut docs = Vec::new();
        for v in serde_json::Deserializer::from_slice(bytes).into_iter::<Value>() {
            match v {
                Ok(v) => docs.push(v),
                Err(e) => return Err((e.line() as u64, e.to_string())),
            }
        }
        return Ok(docs);
    }
    let text = String::from_utf8_lossy(bytes);
    let mut docs = Vec::new();
    for d in serde_norway::Deserializer::from_str(&text) {
        match Value::deserialize(d) {
            Ok(v) => docs.push(v),
            Err(e) => {
                let line = e.location().map_or(0, |l| l.line() as u64);
                return Err((line, e.to_string()));
            }
        }
    }
    Ok(docs)
}

/// Reads file `i` whole and parses it into JSON or YAML documents, recording its bytes, lines
/// and problems in `report`. `None` when it does not parse: a document parses whole or not at
/// all, so its lines are all counted as unparsed. Returns the documents and the line count.
pub(crate) fn read_documents(
    set: &FileSet,
    i: usize,
    report: &mut Accounting,
) -> Option<(Vec<Value>, u64)> {
    let path = &set.entries()[i].path;
    let stats = &mut report.files[i];
    stats.read = true;
    let mut bytes = Vec::new();
    if let Err(e) = set.open(i).and_then(|mut r| r.read_to_end(&mut bytes)) {
        report.diagnostics.push(Diagnostic::file(
            path.clone(),
            Severity::Error,
            format!("read error: {e}"),
        ));
        stats.errors += 1;
    }
    stats.bytes = bytes.len() as u64;
    let lines = bytes.iter().filter(|&&c| c == b'\n').count() as u64
        + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
    stats.lines = lines;
    match documents(&bytes) {
        Ok(d) => Some((d, lines)),
        Err((line, msg)) => {
            report.diagnostics.push(Diagnostic::line(
                path.clone(),
                line.max(1),
                Severity::Error,
                format!("not valid JSON or YAML ({msg}): its lines are counted as unparsed"),
            ));
            stats.errors += 1;
            stats.unparsed = lines;
            stats.entries = lines;
            None
        }
    }
}

/// Reads every events file of `plan` into the `events` table (by last time) and records each
/// file's accounting in `report`: `entries` are the events, the other lines are `joined`.
pub fn read_events(set: &FileSet, plan: &Plan, report: &mut Accounting) -> PolarsResult<DataFrame> {
    if report.files.len() < set.entries().len() {
        report
            .files
            .resize(set.entries().len(), FileStats::default());
    }
    let mut rows: Vec<(Value, String)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (i, f) in plan.files.iter().enumerate() {
        if f.role != FileRole::Events || f.status != FileStatus::Read {
            continue;
        }
        let Some((docs, lines)) = read_documents(set, i, report) else {
            continue;
        };
        let path = &set.entries()[i].path;
        let stats = &mut report.files[i];
        let mut events = Vec::new();
        for d in docs {
            collect(d, &mut events);
        }
        // Several events may share a line (a one-line list): entries can exceed lines.
        stats.entries = events.len() as u64;
        if !events.is_empty() {
            stats.formats = vec![(EntryFormat::EVENT, events.len() as u64)];
        }
        stats.joined = lines.saturating_sub(stats.entries);
        for e in events {
            let t = ts(&e, &LAST_TS);
            if let Some(t) = t {
                stats.first_ts = Some(stats.first_ts.map_or(t, |f| f.min(t)));
                stats.last_ts = Some(stats.last_ts.map_or(t, |l| l.max(t)));
            }
            let key = s(&e, "/metadata/uid").unwrap_or_else(|| {
                format!(
                    "{}/{}/{}",
                    s(&e, "/metadata/namespace").unwrap_or_default(),
                    s(&e, "/metadata/name").unwrap_or_default(),
                    rows.len()
                )
            });
            match index.get(&key) {
                Some(&k) => rows[k] = (e, path.clone()),
                None => {
                    index.insert(key, rows.len());
                    rows.push((e, path.clone()));
                }
            }
        }
    }
    let text = |paths: &[&str]| -> Vec<Option<String>> {
        rows.iter()
            .map(|(e, _)| paths.iter().find_map(|p| s(e, p)))
            .collect()
    };
    let dt = |name: &str, paths: &[&str]| -> Column {
        let v: Vec<Option<i64>> = rows.iter().map(|(e, _)| ts(e, paths)).collect();
        Int64Chunked::from_iter_options(name.into(), v.into_iter())
            .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
            .into_series()
            .into_column()
    };
    let count: Vec<Option<u32>> = rows
        .iter()
        .map(|(e, _)| {
            e.get("count")
                .or_else(|| e.pointer("/series/count"))
                .and_then(Value::as_u64)
                .map(|c| c as u32)
                .or(Some(1))
        })
        .collect();
    let n = rows.len();
    let df = DataFrame::new_with_height(
        n,
        vec![
            dt(col::FIRST_TS, &FIRST_TS),
            dt(col::LAST_TS, &LAST_TS),
            Column::new(col::COUNT.into(), count),
            Column::new(col::TYPE.into(), text(&["/type"])),
            Column::new(col::REASON.into(), text(&["/reason"])),
            Column::new(
                col::OBJECT_KIND.into(),
                text(&["/involvedObject/kind", "/regarding/kind"]),
            ),
            Column::new(
                col::NAMESPACE.into(),
                text(&[
                    "/involvedObject/namespace",
                    "/regarding/namespace",
                    "/metadata/namespace",
                ]),
            ),
            Column::new(
                col::OBJECT_NAME.into(),
                text(&["/involvedObject/name", "/regarding/name"]),
            ),
            Column::new(col::MESSAGE.into(), text(&["/message", "/note"])),
            Column::new(
                col::SOURCE_COMPONENT.into(),
                text(&[
                    "/source/component",
                    "/reportingController",
                    "/reportingComponent",
                    "/deprecatedSource/component",
                ]),
            ),
            Column::new(
                col::HOST.into(),
                text(&[
                    "/source/host",
                    "/reportingInstance",
                    "/deprecatedSource/host",
                ]),
            ),
            Column::new(col::NAME.into(), text(&["/metadata/name"])),
            Column::new(col::API_VERSION.into(), text(&["/apiVersion"])),
            Column::new(
                col::SOURCE.into(),
                rows.iter().map(|(_, p)| p.clone()).collect::<Vec<_>>(),
            ),
        ],
    )?;
    let mut df = df;
    super::cast_to_categorical(
        &mut df,
        &[col::NAMESPACE, col::OBJECT_NAME, col::OBJECT_KIND],
    )?;
    df.sort(
        [col::LAST_TS],
        SortMultipleOptions::default().with_maintain_order(true),
    )
}
