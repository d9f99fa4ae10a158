//! The `events` table: Kubernetes Events (`core/v1` and `events.k8s.io/v1`) from `kubectl get
//! events -o json|yaml` (lists), JSON arrays, single objects, and `--watch -o json` output (one
//! `{"type": ..., "object": ...}` per change). A watched event seen several times is kept once,
//! in its last state.

use std::collections::HashMap;

use polars::prelude::*;
use serde_json::Value;

use super::kube::{first_time as ts, objects, read_documents, text as s};

use crate::formats::EntryFormat;
use crate::ingest::{Accounting, FileStats};
use crate::schema::events as col;
use crate::sources::FileSet;
use crate::sources::plan::{FileRole, FileStatus, Plan};

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

/// The events in one parsed document.
fn collect(doc: Value, out: &mut Vec<Value>) {
    objects(doc, out, &|m| {
        m.contains_key("involvedObject") || m.contains_key("regarding")
    });
}

/// Reads every events file of `plan` into the `events` table (by last time) and records each
/// file's accounting in `report`: `entries` are the events, the other lines are `joined`.
pub fn read_events(
    set: &FileSet,
    plan: &Plan,
    report: &mut Accounting,
) -> crate::Result<DataFrame> {
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
    Ok(df.sort(
        [col::LAST_TS],
        SortMultipleOptions::default().with_maintain_order(true),
    )?)
}
