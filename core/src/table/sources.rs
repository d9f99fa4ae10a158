//! Builds the `sources` table ([`crate::schema`]): one row per file found, what was done with it,
//! and what it held.

use polars::prelude::*;

use crate::ingest::Accounting;
use crate::schema::sources as col;
use crate::sources::FileSet;
use crate::sources::plan::{FileStatus, Plan};

/// The `sources` frame of a planned (and possibly ingested) file set. Without a report, the
/// counting columns are null.
pub fn sources_frame(
    set: &FileSet,
    plan: &Plan,
    report: Option<&Accounting>,
) -> crate::Result<DataFrame> {
    let entries = set.entries();
    let n = entries.len();
    let text =
        |f: &dyn Fn(usize) -> Option<String>| -> Vec<Option<String>> { (0..n).map(f).collect() };
    let stat = |f: &dyn Fn(&crate::ingest::FileStats) -> u64| -> Vec<Option<u64>> {
        (0..n)
            .map(|i| report.filter(|r| r.files[i].read).map(|r| f(&r.files[i])))
            .collect()
    };
    let ts = |name: &str,
              f: &dyn Fn(&crate::ingest::FileStats) -> Option<i64>|
     -> crate::Result<Column> {
        let v: Vec<Option<i64>> = (0..n)
            .map(|i| report.and_then(|r| f(&r.files[i])))
            .collect();
        Ok(super::datetime_column(name, TimeUnit::Nanoseconds, v))
    };
    let meta = |f: fn(&crate::sources::plan::ContainerMeta) -> &Option<String>| {
        text(&|i| f(&plan.files[i].meta).clone())
    };
    let note = |i: usize| -> Option<String> {
        let f = &plan.files[i];
        let own = match (&f.status, &f.note) {
            (FileStatus::Skipped(why), _) => Some(why.clone()),
            (_, Some(note)) => Some(note.clone()),
            (FileStatus::Duplicate(of), None) => Some(format!("same as {}", entries[*of].path)),
            _ => None,
        };
        // Log entries without a time: say so (all of them, or how many).
        let untimed = report
            .and_then(|r| r.files.get(i))
            .filter(|s| s.read && s.untimed > 0 && s.metrics_format.is_none())
            .map(|s| {
                if s.untimed == s.entries {
                    "no entry has a time (none podsift reads in its lines; --year for times without one)".to_string()
                } else {
                    format!("{} of {} entries without a time", s.untimed, s.entries)
                }
            });
        let time_note = report.and_then(|r| r.files.get(i)?.time_note.clone());
        let time_note = match (time_note, untimed) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        let own = match (own, time_note.as_deref()) {
            (Some(o), Some(t)) => Some(format!("{o}; {t}")),
            (None, Some(t)) => Some(t.to_string()),
            (o, None) => o,
        };
        match (&entries[i].remark, own) {
            (Some(r), Some(o)) if !o.contains(r.as_str()) => Some(format!("{o}; {r}")),
            (Some(r), None) => Some(r.clone()),
            (_, o) => o,
        }
    };
    let columns = vec![
        Column::new(col::ID.into(), (0..n as u32).collect::<Vec<u32>>()),
        Column::new(col::FILE.into(), text(&|i| Some(entries[i].path.clone()))),
        Column::new(
            col::KIND.into(),
            text(&|i| Some(plan.files[i].role.as_str().to_string())),
        ),
        Column::new(
            col::RESOURCE.into(),
            text(&|i| plan.files[i].resource.clone()),
        ),
        Column::new(
            col::STATUS.into(),
            text(&|i| Some(plan.files[i].status.as_str().to_string())),
        ),
        Column::new(col::NOTE.into(), text(&note)),
        Column::new(col::ARCHIVE.into(), text(&|i| entries[i].archive.clone())),
        Column::new(
            col::LAYOUT.into(),
            text(&|i| plan.files[i].layout.map(|l| l.as_str().to_string())),
        ),
        Column::new(col::NODE.into(), meta(|m| &m.node)),
        Column::new(col::NAMESPACE.into(), meta(|m| &m.namespace)),
        Column::new(col::POD.into(), meta(|m| &m.pod)),
        Column::new(col::POD_UID.into(), meta(|m| &m.pod_uid)),
        Column::new(col::CONTAINER.into(), meta(|m| &m.container)),
        Column::new(
            col::RESTART.into(),
            (0..n)
                .map(|i| plan.files[i].meta.restart)
                .collect::<Vec<Option<u32>>>(),
        ),
        Column::new(col::CONTAINER_ID.into(), meta(|m| &m.container_id)),
        Column::new(col::COMPONENT.into(), meta(|m| &m.component)),
        Column::new(
            col::BYTES.into(),
            entries.iter().map(|e| e.size).collect::<Vec<u64>>(),
        ),
        Column::new(col::BYTES_READ.into(), stat(&|s| s.bytes)),
        Column::new(col::LINES.into(), stat(&|s| s.lines)),
        Column::new(col::ENTRIES.into(), stat(&|s| s.entries)),
        Column::new(col::JOINED.into(), stat(&|s| s.joined)),
        Column::new(col::UNPARSED.into(), stat(&|s| s.unparsed)),
        Column::new(col::ERRORS.into(), stat(&|s| s.errors)),
        Column::new(col::UNTIMED.into(), stat(&|s| s.untimed)),
        Column::new(col::INVALID_UTF8.into(), stat(&|s| s.invalid_utf8)),
        Column::new(
            col::FORMATS.into(),
            text(&|i| {
                let r = report.filter(|r| r.files[i].read)?;
                if let Some(m) = r.files[i].metrics_format {
                    return Some(format!("{m} {}", r.files[i].entries));
                }
                let v = r.files[i].formats_sorted();
                if v.is_empty() {
                    return plan.files[i].format.map(|f| f.as_str().to_string());
                }
                Some(
                    v.iter()
                        .map(|(f, n)| format!("{} {n}", f.as_str()))
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            }),
        ),
        ts(col::FIRST_TS, &|s| s.first_ts)?,
        ts(col::LAST_TS, &|s| s.last_ts)?,
    ];
    Ok(DataFrame::new_with_height(n, columns)?)
}
