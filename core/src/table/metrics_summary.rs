//! Summaries of the metrics tables for front ends: one row per series, and the sections of a
//! `promtool tsdb analyze`-like overview.

use std::collections::{BTreeMap, HashMap, HashSet};

use polars::prelude::*;

use super::metrics::MetricsStore;
use crate::sources::FileSet;

/// `a="1", b="2"`.
pub(crate) fn labels_text(labels: &[(String, String)]) -> String {
    let mut s = String::new();
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(k);
        s.push_str("=\"");
        crate::metrics::write::escape_label(v, &mut s);
        s.push('"');
    }
    s
}

/// One row per series: `name`, `labels` (as text), `type`, `samples`, `first_ts`,
/// `last_ts`, `last_value`, `target`, `source`.
pub fn series_rows(store: &MetricsStore, set: &FileSet) -> crate::Result<DataFrame> {
    let ranges = store.series_ranges();
    let mut last = vec![None; store.series.len()];
    for (s, _, v) in store.samples() {
        last[s as usize] = Some(v);
    }
    let ms =
        |name: &str, v: Vec<Option<i64>>| super::datetime_column(name, TimeUnit::Milliseconds, v);
    Ok(DataFrame::new(vec![
        Column::new(
            "name".into(),
            store
                .series
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "labels".into(),
            store
                .series
                .iter()
                .map(|s| labels_text(&s.labels))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "type".into(),
            store
                .series
                .iter()
                .map(|s| store.families[s.family as usize].kind.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "samples".into(),
            ranges.iter().map(|r| r.0).collect::<Vec<u64>>(),
        ),
        ms("first_ts", ranges.iter().map(|r| r.1).collect()),
        ms("last_ts", ranges.iter().map(|r| r.2).collect()),
        Column::new("last_value".into(), last),
        Column::new(
            "target".into(),
            store
                .series
                .iter()
                .map(|s| s.target.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "source".into(),
            store
                .series
                .iter()
                .map(|s| set.entries()[s.source].path.as_str())
                .collect::<Vec<_>>(),
        ),
    ])?)
}

/// A summary like `promtool tsdb analyze`, as titled tables: the files and where their
/// times came from, an overview, the highest-cardinality metric names and labels, the most
/// common label pairs, and the labels with the longest values in all.
pub fn summary(
    store: &MetricsStore,
    set: &FileSet,
    top: usize,
) -> crate::Result<Vec<(String, DataFrame)>> {
    let mut sections: Vec<(String, DataFrame)> = Vec::new();

    // Files.
    let files = &store.files;
    sections.push((
        "Files".into(),
        DataFrame::new(vec![
            Column::new(
                "file".into(),
                files
                    .iter()
                    .map(|f| set.entries()[f.file].path.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "format".into(),
                files.iter().map(|f| f.format).collect::<Vec<_>>(),
            ),
            Column::new(
                "series".into(),
                files.iter().map(|f| f.series).collect::<Vec<_>>(),
            ),
            Column::new(
                "samples".into(),
                files.iter().map(|f| f.samples).collect::<Vec<_>>(),
            ),
            Column::new(
                "time".into(),
                files
                    .iter()
                    .map(|f| f.time_note.as_str())
                    .collect::<Vec<_>>(),
            ),
        ])?,
    ));

    // Prometheus's storage: each block and WAL with the time it covers.
    let tsdb: Vec<_> = files
        .iter()
        .filter(|f| f.format == "prometheus-tsdb")
        .collect();
    if !tsdb.is_empty() {
        let what = |f: &super::metrics::MetricsFileInfo| -> String {
            let path = set.entries()[f.file].path.as_str();
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
            if name == "index" {
                format!("block {}", dir.rsplit('/').next().unwrap_or(dir))
            } else {
                let wal = dir
                    .trim_end_matches(|c: char| c != '/')
                    .trim_end_matches('/');
                let wal = if dir.ends_with("wal") || dir.ends_with("wbl") {
                    dir
                } else {
                    wal
                };
                format!("WAL {wal}")
            }
        };
        let t = |v: Option<i64>| v.map(crate::time::format_rfc3339_ms);
        sections.push((
            "Prometheus storage".into(),
            DataFrame::new(vec![
                Column::new("".into(), tsdb.iter().map(|f| what(f)).collect::<Vec<_>>()),
                Column::new(
                    "from".into(),
                    tsdb.iter()
                        .map(|f| t(f.span.map(|s| s.0)))
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "to".into(),
                    tsdb.iter()
                        .map(|f| t(f.span.map(|s| s.1)))
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "duration".into(),
                    tsdb.iter()
                        .map(|f| {
                            f.span
                                .map(|(a, b)| human_duration(b.saturating_sub(a)))
                                .unwrap_or_default()
                        })
                        .collect::<Vec<_>>(),
                ),
                Column::new(
                    "series".into(),
                    tsdb.iter().map(|f| f.series).collect::<Vec<_>>(),
                ),
                Column::new(
                    "samples".into(),
                    tsdb.iter().map(|f| f.samples).collect::<Vec<_>>(),
                ),
            ])?,
        ));
    }

    // Overview.
    let mut label_values: BTreeMap<&str, HashSet<&str>> = BTreeMap::new();
    let mut label_bytes: HashMap<&str, u64> = HashMap::new();
    let mut pairs: HashMap<(&str, &str), u64> = HashMap::new();
    let mut per_name: BTreeMap<&str, (u64, u64, u32)> = BTreeMap::new();
    let ranges = store.series_ranges();
    for (s, r) in store.series.iter().zip(&ranges) {
        let e = per_name.entry(&s.name).or_insert((0, 0, s.family));
        e.0 += 1;
        e.1 += r.0;
        for (k, v) in &s.labels {
            if label_values.entry(k).or_default().insert(v) {
                *label_bytes.entry(k).or_default() += v.len() as u64;
            }
            *pairs.entry((k, v)).or_default() += 1;
        }
    }
    let all_ts = || {
        store
            .sample_ts
            .iter()
            .chain(store.histograms.iter().map(|h| &h.1))
    };
    let first = all_ts().min().copied();
    let last = all_ts().max().copied();
    let range = match (first, last) {
        (Some(f), Some(l)) => format!(
            "{} to {} ({})",
            crate::time::format_rfc3339_ms(f),
            crate::time::format_rfc3339_ms(l),
            human_duration(l.saturating_sub(f))
        ),
        _ => "no samples".into(),
    };
    let overview: Vec<(&str, String)> = vec![
        ("series", store.series.len().to_string()),
        ("samples", store.len().to_string()),
        (
            "native histogram samples",
            store.histograms.len().to_string(),
        ),
        ("metric names", per_name.len().to_string()),
        ("metric families", store.families.len().to_string()),
        ("label names", label_values.len().to_string()),
        ("label pairs", pairs.len().to_string()),
        ("time range", range),
        ("duplicate samples left out", store.duplicates.to_string()),
        ("exemplars", store.exemplars.len().to_string()),
    ];
    sections.push((
        "Overview".into(),
        DataFrame::new(vec![
            Column::new("".into(), overview.iter().map(|o| o.0).collect::<Vec<_>>()),
            Column::new(
                "value".into(),
                overview.iter().map(|o| o.1.as_str()).collect::<Vec<_>>(),
            ),
        ])?,
    ));

    let mut names: Vec<(&str, (u64, u64, u32))> = per_name.into_iter().collect();
    names.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    names.truncate(top);
    sections.push((
        "Highest cardinality metric names".into(),
        DataFrame::new(vec![
            Column::new("name".into(), names.iter().map(|n| n.0).collect::<Vec<_>>()),
            Column::new(
                "type".into(),
                names
                    .iter()
                    .map(|n| store.families[n.1.2 as usize].kind.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "series".into(),
                names.iter().map(|n| n.1.0).collect::<Vec<_>>(),
            ),
            Column::new(
                "samples".into(),
                names.iter().map(|n| n.1.1).collect::<Vec<_>>(),
            ),
        ])?,
    ));

    let mut labels: Vec<(&str, usize)> = label_values.iter().map(|(k, v)| (*k, v.len())).collect();
    labels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    labels.truncate(top);
    sections.push((
        "Highest cardinality labels".into(),
        DataFrame::new(vec![
            Column::new(
                "label".into(),
                labels.iter().map(|l| l.0).collect::<Vec<_>>(),
            ),
            Column::new(
                "values".into(),
                labels.iter().map(|l| l.1 as u64).collect::<Vec<_>>(),
            ),
        ])?,
    ));

    let mut common: Vec<((&str, &str), u64)> = pairs.into_iter().collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    common.truncate(top);
    sections.push((
        "Most common label pairs".into(),
        DataFrame::new(vec![
            Column::new(
                "pair".into(),
                common
                    .iter()
                    .map(|((k, v), _)| format!("{k}={v:?}"))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "series".into(),
                common.iter().map(|c| c.1).collect::<Vec<_>>(),
            ),
        ])?,
    ));

    let mut lengths: Vec<(&str, u64)> = label_bytes.into_iter().collect();
    lengths.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    lengths.truncate(top);
    sections.push((
        "Label names with the highest cumulative value length".into(),
        DataFrame::new(vec![
            Column::new(
                "label".into(),
                lengths.iter().map(|l| l.0).collect::<Vec<_>>(),
            ),
            Column::new(
                "bytes".into(),
                lengths.iter().map(|l| l.1).collect::<Vec<_>>(),
            ),
        ])?,
    ));
    Ok(sections)
}

fn human_duration(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        0 => format!("{ms}ms"),
        1..60 => format!("{s}s"),
        60..3600 => format!("{}m{}s", s / 60, s % 60),
        3600..86400 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{}h", s / 86400, s % 86400 / 3600),
    }
}
