//! Discover's computations over a real `logs` table, each checked against the generated
//! entries counted directly: rows a query keeps, rows in a time range, the histogram, the
//! cluster tree, top values, field keys and context.

use podsift_core::ingest::{NoFilter, Progress};
use podsift_core::level::Level;
use podsift_core::query::discover::{
    LiveCounts, LogIndex, Selection, field_keys, matching_rows, nice_step, top_values,
};
use podsift_core::query::search::Query;
use podsift_core::sources::FileSet;
use podsift_core::sources::plan::{PlanOptions, plan};
use podsift_core::table::{read_logs, read_logs_live};
use polars::prelude::DataFrame;

const UID: &str = "0d9c1f6e-3b1a-4c55-9a61-0c6b2f4d8e11";
const S: i64 = 1_000_000_000;

/// (pod, container, level, seconds after the start, the `user` field's number if it has one)
type Row = (String, &'static str, Level, i64, Option<i64>);

fn fileset() -> (FileSet, Vec<Row>) {
    let mut set = FileSet::new();
    let mut rows = Vec::new();
    let levels = [
        ("info", Level::Info),
        ("warn", Level::Warn),
        ("error", Level::Error),
        ("debug", Level::Debug),
    ];
    for (p, pod) in ["api-1", "api-2", "web-1"].iter().enumerate() {
        for container in ["app", "sidecar"] {
            let mut body = String::new();
            for i in 0..97i64 {
                // Spread over about 16 minutes, each stream at its own pace.
                let secs = i * (7 + p as i64) + if container == "app" { 0 } else { 3 };
                let (name, level) = levels[(i as usize * 7 + p) % 4];
                let user = i % 3 == 0;
                let line = if user {
                    format!(
                        r#"{{"level":"{name}","msg":"req {i}","user":"u{}"}}"#,
                        i % 5
                    )
                } else {
                    format!(r#"{{"level":"{name}","msg":"tick {i}"}}"#)
                };
                body.push_str(&format!(
                    "2024-01-01T00:{:02}:{:02}.000000000Z stdout F {line}\n",
                    secs / 60,
                    secs % 60
                ));
                rows.push((
                    pod.to_string(),
                    container,
                    level,
                    secs,
                    user.then_some(i % 5),
                ));
            }
            set.add_bytes(
                format!("n/var/log/pods/shop_{pod}_{UID}/{container}/0.log"),
                body.into_bytes(),
            );
        }
    }
    (set, rows)
}

fn generate() -> (DataFrame, Vec<Row>) {
    let (set, rows) = fileset();
    let p = plan(&set, &PlanOptions::default());
    let (df, _) = read_logs(&set, &p, &NoFilter, &Progress::default()).expect("reads");
    (df, rows)
}

#[test]
fn a_stepwise_read_gives_the_same_table_one_instance_at_a_time() {
    let (set, rows) = fileset();
    let p = plan(&set, &PlanOptions::default());
    let (whole, report) = read_logs(&set, &p, &NoFilter, &Progress::default()).expect("reads");
    let progress = Progress::default();
    let live = std::sync::Arc::new(LiveCounts::default());
    let mut read = podsift_core::table::StepwiseLogs::new(&set, &p, &progress, live.clone(), false);
    let mut steps = 0;
    let mut seen = Vec::new();
    while !read.step(&set, &p, &progress, 1) {
        steps += 1;
        seen.push(live.histogram(100).map_or(0, |h| h.total()));
    }
    // Six instances: five steps that leave more to read, then the last.
    assert_eq!(steps, 5);
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "the live counts grow: {seen:?}"
    );
    let (df, stepped_report) = read.finish(&progress).expect("finishes");
    let df = df.to_frame().unwrap();
    assert_eq!(df.height(), rows.len());
    assert!(df.equals_missing(&whole), "same rows, same order");
    let lines = |r: &podsift_core::ingest::Accounting| -> Vec<u64> {
        r.files.iter().map(|f| f.lines).collect()
    };
    assert_eq!(lines(&stepped_report), lines(&report));
    use std::sync::atomic::Ordering;
    assert_eq!(
        progress.bytes_done.load(Ordering::Relaxed),
        progress.bytes_total.load(Ordering::Relaxed)
    );
}

#[test]
fn live_counts_while_reading_match_the_table() {
    let (set, rows) = fileset();
    let p = plan(&set, &PlanOptions::default());
    let live = std::sync::Arc::new(LiveCounts::default());
    assert_eq!(live.histogram(100), None);
    let (df, _) = read_logs_live(&set, &p, &NoFilter, &Progress::default(), &live).expect("reads");
    assert_eq!(df.height(), rows.len());
    let h = live.histogram(100).expect("counted");
    assert_eq!(h.step % (60 * S), 0);
    assert_eq!(h.total() as usize, rows.len());
    // Per minute and level, as the table's own histogram counts them.
    let index = LogIndex::new(&df).unwrap();
    let end = h.start + h.step * h.counts.len() as i64;
    let from_table = index.histogram(&index.all_rows(), (h.start, end), h.counts.len());
    assert_eq!(from_table.step, h.step);
    assert_eq!(from_table.counts, h.counts);
}

fn t0() -> i64 {
    // 2024-01-01T00:00:00Z
    1_704_067_200 * S
}

#[test]
fn field_groups_and_structured_fields_agree_with_the_entries() {
    let (df, rows) = generate();
    let q = |text: &str| Query::parse(text).unwrap();
    let count = |text: &str| matching_rows(&df, &[q(text)]).unwrap().len();
    let want = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    let n = count("user:(u1 OR u3) pod:(api-* -api-2)");
    assert_eq!(
        n,
        want(&|r| matches!(r.4, Some(1 | 3)) && r.0 == "api-1"),
        "structured field group and glob group"
    );
    assert!(n > 0);
    assert_eq!(count("user:*"), want(&|r| r.4.is_some()));
    assert_eq!(count("-user:*"), want(&|r| r.4.is_none()));
    assert_eq!(
        count("level:(error OR warn) container:(sidecar)"),
        want(&|r| matches!(r.2, Level::Error | Level::Warn) && r.1 == "sidecar")
    );
    // A categorical column compared case-insensitively and as a glob, both per category.
    assert_eq!(count("pod:API-1"), want(&|r| r.0 == "api-1"));
    assert_eq!(count("pod:*-1"), want(&|r| r.0.ends_with("-1")));
    // A field no row has matches none, and its negation every row.
    assert_eq!(count("nope:x"), 0);
    assert_eq!(count("-nope:x"), rows.len());
}

#[test]
fn queries_ranges_and_histograms_agree_with_the_entries() {
    let (df, rows) = generate();
    let index = LogIndex::new(&df).unwrap();
    assert_eq!(index.len(), rows.len());
    assert!(index.sorted);
    assert_eq!(
        index.extent(&index.all_rows()),
        Some((t0(), t0() + rows.iter().map(|r| r.3).max().unwrap() * S))
    );

    let q = |text: &str| Query::parse(text).unwrap();
    let kept = matching_rows(&df, &[q("level:error OR level:warn"), q("-pod:api-2")]).unwrap();
    let want = |r: &&Row| matches!(r.2, Level::Error | Level::Warn) && r.0 != "api-2";
    assert_eq!(kept.len(), rows.iter().filter(want).count());
    assert!(kept.windows(2).all(|w| w[0] < w[1]));

    // A range: minutes 3 to 9.
    let range = (t0() + 180 * S, t0() + 540 * S);
    let in_range = index.in_range(&kept, Some(range));
    let want_in = |r: &&Row| want(r) && (180..540).contains(&r.3);
    assert_eq!(in_range.len(), rows.iter().filter(want_in).count());

    // The histogram over that range: one-minute... or whatever fits 20 buckets, by level.
    let h = index.histogram(&kept, range, 20);
    assert_eq!(h.step, nice_step(360 * S, 20));
    assert_eq!(h.step, 30 * S);
    assert_eq!(h.start, range.0);
    assert_eq!(h.counts.len(), 12);
    assert_eq!(h.total() as usize, in_range.len());
    for (k, c) in h.counts.iter().enumerate() {
        let (from, to) = h.bucket(k);
        for level in [Level::Error, Level::Warn, Level::Info] {
            let n = rows
                .iter()
                .filter(|r| want(r) && r.2 == level)
                .filter(|r| (from..to).contains(&(t0() + r.3 * S)))
                .count();
            assert_eq!(c[level as usize] as usize, n, "bucket {k} {level:?}");
        }
    }
    // A Selection counts by binary search what the index counts row by row.
    let sel = Selection::new(&index, kept.clone());
    let (lo, hi) = index.extent(&kept).unwrap();
    for (k, (a, b)) in [
        (lo, hi + 1),
        range,
        (lo + 17 * S, lo + 18 * S),
        (hi, hi + 1),
    ]
    .into_iter()
    .enumerate()
    {
        for buckets in [1, 7, 60] {
            assert_eq!(
                sel.histogram(&index, (a, b), buckets),
                index.histogram(&kept, (a, b), buckets),
                "range {k}, {buckets} buckets"
            );
        }
        assert_eq!(
            sel.tree(&index, Some((a, b))),
            index.tree(&index.in_range(&kept, Some((a, b)))),
            "range {k}"
        );
    }
    assert_eq!(sel.tree(&index, None), index.tree(&kept));
    // No range: the bucket start is a multiple of the step.
    let all = index.all_rows();
    let (lo, hi) = index.extent(&all).unwrap();
    let h = index.histogram(&all, (lo, hi + 1), 100);
    assert_eq!(h.start % h.step, 0);
    assert_eq!(h.total() as usize, rows.len());
}

#[test]
fn tree_values_keys_and_context_agree_with_the_entries() {
    let (df, rows) = generate();
    let index = LogIndex::new(&df).unwrap();
    let all = index.all_rows();

    let tree = index.tree(&all);
    assert_eq!(tree.len(), 6);
    for t in &tree {
        let n = rows
            .iter()
            .filter(|r| r.0 == t.pod && r.1 == t.container)
            .count();
        assert_eq!(t.count as usize, n, "{t:?}");
        assert_eq!(t.namespace, "shop");
        let errors = rows
            .iter()
            .filter(|r| r.0 == t.pod && r.1 == t.container && r.2 == Level::Error)
            .count();
        assert_eq!(t.levels[Level::Error as usize] as usize, errors);
    }

    // Top values of a column: every row counted.
    let v = top_values(&df, &all, "level", 10, 100).unwrap();
    assert_eq!(v.rows_seen, rows.len());
    for (name, count) in &v.values {
        let level = Level::from_name(name).unwrap();
        assert_eq!(
            *count as usize,
            rows.iter().filter(|r| r.2 == level).count()
        );
    }
    let v = top_values(&df, &all, "pod", 2, 100).unwrap();
    assert_eq!(v.values.len(), 2);
    assert_eq!(v.distinct, 3);
    // A structured field, counted in every row when the sample is large enough.
    let v = top_values(&df, &all, "user", 10, 1_000_000).unwrap();
    assert_eq!(v.rows_with, rows.iter().filter(|r| r.4.is_some()).count());
    assert_eq!(v.distinct, 5);
    assert_eq!(
        v.values.iter().map(|x| x.1).sum::<u64>() as usize,
        v.rows_with
    );
    // ... or in a sample.
    let v = top_values(&df, &all, "user", 10, 50).unwrap();
    assert_eq!(v.rows_seen, 50);
    let keys = field_keys(&df, &all, 1_000_000).unwrap();
    let names: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    assert_eq!(names, ["level", "msg", "user"]);
    assert_eq!(
        keys[2].1 as usize,
        rows.iter().filter(|r| r.4.is_some()).count()
    );

    // Context: the rows around one, from its own container, in order.
    let mid = (all.len() / 2) as u32;
    let ctx = index.context(mid, 5, 5);
    assert_eq!(ctx.len(), 11);
    assert!(ctx.contains(&mid));
    assert!(ctx.windows(2).all(|w| w[0] < w[1]));
    let key = |r: u32| (index.pod.get(r), index.container.get(r));
    assert!(ctx.iter().all(|&r| key(r) == key(mid)));
    // Nothing from the container between its first and last context row is left out.
    let (first, last) = (ctx[0], *ctx.last().unwrap());
    let between = (first..=last).filter(|&r| key(r) == key(mid)).count();
    assert_eq!(between, ctx.len());
    // At the start of a container: nothing before.
    let first_row = (0..all.len() as u32).find(|&r| key(r) == key(mid)).unwrap();
    assert_eq!(index.context(first_row, 5, 0), vec![first_row]);
}

#[test]
fn stacking_and_sorting_instance_frames_keeps_every_row_whole() {
    use polars::prelude::*;
    let (mut set, mut rows) = fileset();
    // A container writing plain text: rows without fields among those with.
    let text: String = (0..50)
        .map(|i| {
            format!(
                "2024-01-01T00:{:02}:30.000000000Z stderr F plain line {i}\n",
                i % 16
            )
        })
        .collect();
    set.add_bytes(
        format!("n/var/log/pods/shop_api-1_{UID}/text/0.log"),
        text.into_bytes(),
    );
    rows.extend((0..50).map(|_| ("api-1".to_string(), "text", Level::Unknown, 0, None)));
    let p = plan(&set, &PlanOptions::default());
    let (builders, _) = podsift_core::ingest::ingest(
        &set,
        &p,
        &NoFilter,
        podsift_core::table::LogsBuilder::new,
        &Progress::default(),
    );
    let frames: Vec<DataFrame> = builders.into_iter().map(|b| b.finish().unwrap()).collect();
    assert!(frames.len() > 1);
    // polars' own stack and sort, as the table was sorted before.
    let mut want = frames[0].clone();
    for f in &frames[1..] {
        want.vstack_mut(f).unwrap();
    }
    let want = want
        .sort(
            ["ts", "source_id", "line"],
            SortMultipleOptions::default()
                .with_maintain_order(true)
                .with_nulls_last(false),
        )
        .unwrap();
    let got = podsift_core::table::concat_sorted(frames).unwrap();
    assert_eq!(got.height(), rows.len());
    assert_eq!(got.get_column_names(), want.get_column_names());
    for c in want.get_column_names() {
        assert!(
            got.column(c)
                .unwrap()
                .equals_missing(want.column(c).unwrap()),
            "column {c}"
        );
    }
    // Rows with no fields, two and three: each kept with its own.
    let lengths = |df: &DataFrame| -> Vec<u32> {
        df.column("fields")
            .unwrap()
            .list()
            .unwrap()
            .lst_lengths()
            .into_no_null_iter()
            .collect()
    };
    assert_eq!(lengths(&got).iter().filter(|&&n| n == 0).count(), 50);
    assert!(
        got.column("fields")
            .unwrap()
            .list()
            .unwrap()
            .lst_lengths()
            .into_no_null_iter()
            .any(|n| n > 2)
    );
}
