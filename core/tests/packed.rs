//! A packed `logs` table (the browser's: `message` and `fields` compressed a block at a time)
//! must be the plain table: the same rows in the same order, cell for cell, and every query,
//! sample and cell a view asks for gives the same answer.

use std::path::Path;
use std::sync::Arc;

use podsift_core::ingest::{NoFilter, Progress};
use podsift_core::query::discover::LiveCounts;
use podsift_core::query::search::Query;
use podsift_core::sources::FileSet;
use podsift_core::sources::plan::{PlanOptions, plan};
use podsift_core::table::{LogTable, PackedLogs, PackedRows, StepwiseLogs, read_logs};
use polars::prelude::*;

const UID: &str = "0d9c1f6e-3b1a-4c55-9a61-0c6b2f4d8e11";

/// The plain table and the packed one, read stepwise as the browser reads.
fn both(set: &FileSet) -> (DataFrame, LogTable) {
    let p = plan(set, &PlanOptions::default());
    let (plain, _) = read_logs(set, &p, &NoFilter, &Progress::default()).expect("reads");
    let progress = Progress::default();
    let mut read = StepwiseLogs::new(set, &p, &progress, Arc::new(LiveCounts::default()), true);
    while !read.step(set, &p, &progress, 64 << 10) {}
    let (packed, _) = read.finish(&progress).expect("finishes");
    assert!(matches!(packed, LogTable::Packed(_)));
    // Built a few hundred entries a step, as the browser builds it over frames: the same
    // order and the same index as built at once.
    let mut read = StepwiseLogs::new(set, &p, &progress, Arc::new(LiveCounts::default()), true);
    while !read.step(set, &p, &progress, 64 << 10) {}
    let (out, _) = read.read_out(&progress);
    let mut steps = out.into_steps().expect("starts");
    let (mut last, total) = steps.progress();
    let mut calls = 0u64;
    loop {
        calls += 1;
        let done_all = steps.step(333).expect("steps");
        let (done, all) = steps.progress();
        assert_eq!(all, total, "the work in all stays put");
        assert!(
            done > last || total == 0,
            "each step gets on: {done} after {last}"
        );
        last = done;
        if done_all {
            break;
        }
        assert!(done < all);
    }
    assert_eq!(steps.progress(), (total, total));
    // A step stops once past its budget: a block's entries or a sorted run (4,096 entries)
    // beyond it at most, or a copy of runs already in order (charged a sixteenth).
    assert!(
        calls >= total / (333 + 4096) / 2,
        "{calls} steps for {total} entries handled: a step went far past its budget"
    );
    let (stepped, index) = steps.finish().expect("finishes");
    let (LogTable::Packed(a), LogTable::Packed(b)) = (&packed, &stepped) else {
        panic!("packed tables")
    };
    assert_eq!(
        a.entry_of_row(),
        b.entry_of_row(),
        "time order built in steps"
    );
    let whole = packed.index().unwrap();
    assert_eq!(index.ts, whole.ts);
    assert_eq!(index.level, whole.level);
    assert_eq!(index.sorted, whole.sorted);
    for r in 0..plain.height() as u32 {
        assert_eq!(index.pod.get(r), whole.pod.get(r));
        assert_eq!(index.node.get(r), whole.node.get(r));
    }
    (plain, packed)
}

fn assert_same_frame(got: &DataFrame, want: &DataFrame, what: &str) {
    assert_eq!(got.height(), want.height(), "{what}: rows");
    assert_eq!(
        got.get_column_names(),
        want.get_column_names(),
        "{what}: columns"
    );
    for c in want.get_column_names() {
        let (g, w) = (got.column(c).unwrap(), want.column(c).unwrap());
        assert_eq!(g.dtype(), w.dtype(), "{what}: type of {c}");
        assert!(g.equals_missing(w), "{what}: column {c}");
    }
}

/// Everything a view asks of a table, asked of both.
fn assert_same_answers(plain: &DataFrame, packed: &LogTable, queries: &[&str], keys: &[&str]) {
    let frame = LogTable::Frame(plain.clone());
    assert_eq!(packed.height(), plain.height());
    assert_same_frame(&packed.to_frame().unwrap(), plain, "whole table");
    for text in queries {
        let q = Query::parse(text).expect("parses");
        let want = frame.matching_rows(std::slice::from_ref(&q)).unwrap();
        let got = packed.matching_rows(std::slice::from_ref(&q)).unwrap();
        assert_eq!(got, want, "query {text}");
    }
    // Two queries at once (the bar's and a chip).
    let qs = [
        Query::parse(queries[0]).unwrap(),
        Query::parse(queries[1]).unwrap(),
    ];
    assert_eq!(
        packed.matching_rows(&qs).unwrap(),
        frame.matching_rows(&qs).unwrap()
    );
    let all: Vec<u32> = (0..plain.height() as u32).collect();
    for sample in [7, 5_000, usize::MAX] {
        assert_eq!(
            packed.field_keys(&all, sample).unwrap(),
            frame.field_keys(&all, sample).unwrap(),
            "field keys, sample {sample}"
        );
        for key in keys.iter().chain(&["pod", "level"]) {
            assert_eq!(
                packed.top_values(&all, key, 5, sample).unwrap(),
                frame.top_values(&all, key, 5, sample).unwrap(),
                "top values of {key}, sample {sample}"
            );
        }
    }
    // Cells and rows a view shows, here and there, in any order.
    let n = plain.height() as u32;
    let picked: Vec<u32> = (0..200)
        .map(|k| (k * 7919) % n.max(1))
        .filter(|_| n > 0)
        .collect();
    for &row in &picked {
        for column in ["message", "fields", "pod", "ts", "line"] {
            assert_eq!(
                packed.cell_text(row, column),
                frame.cell_text(row, column),
                "row {row} {column}"
            );
        }
    }
    // The view's index: times, levels and names row by row.
    let (pi, fi) = (packed.index().unwrap(), frame.index().unwrap());
    assert_eq!(pi.ts, fi.ts);
    assert_eq!(pi.level, fi.level);
    assert!(pi.sorted);
    for r in 0..n {
        assert_eq!(pi.pod.get(r), fi.pod.get(r));
        assert_eq!(pi.container.get(r), fi.container.get(r));
        assert_eq!(pi.namespace.get(r), fi.namespace.get(r));
        assert_eq!(pi.node.get(r), fi.node.get(r));
    }
    for name in ["pod", "level", "stream", "line"] {
        assert!(packed.has_codes(name));
        let (p, f) = (packed.codes(name).unwrap(), frame.codes(name).unwrap());
        assert!((0..n).all(|r| p.get(r) == f.get(r)), "codes of {name}");
    }
    assert!(!packed.has_codes("message") && !packed.has_codes("fields"));
    if let Some(&row) = picked.first() {
        assert_eq!(packed.entry_json(row), frame.entry_json(row));
    }
    assert_same_frame(
        &packed.take(&picked).unwrap(),
        &frame.take(&picked).unwrap(),
        "rows taken",
    );
    let chunks: Vec<DataFrame> = packed.chunks(&picked, 33).map(Result::unwrap).collect();
    assert_eq!(chunks.len(), picked.len().div_ceil(33).max(1));
    let mut stacked = chunks[0].clone();
    for c in &chunks[1..] {
        stacked.vstack_mut(c).unwrap();
    }
    assert_same_frame(&stacked, &frame.take(&picked).unwrap(), "rows in chunks");
}

#[test]
fn a_packed_table_of_json_logfmt_and_text_answers_as_the_plain_one() {
    let mut set = FileSet::new();
    for (p, pod) in ["api-1", "api-2", "web-1"].iter().enumerate() {
        for container in ["app", "sidecar"] {
            let mut body = String::new();
            for i in 0..3000i64 {
                let secs = i * (3 + p as i64) / 2 + if container == "app" { 0 } else { 1 };
                let line = match i % 5 {
                    0 => format!(
                        r#"{{"level":"error","msg":"req {i} failed","user":"u{}","status":{}}}"#,
                        i % 7,
                        500 + i % 4
                    ),
                    1 => format!(
                        "level=info msg=\"tick {i}\" peer=10.0.0.{} ünïcode=ok",
                        i % 9
                    ),
                    2 => format!("plain text line {i} with no fields at all"),
                    3 => String::new(),
                    // Long enough that some blocks hold one entry.
                    _ => format!(
                        "{{\"level\":\"warn\",\"msg\":\"{}\",\"k\":\"v{i}\"}}",
                        "x".repeat((i as usize * 37) % 40_000)
                    ),
                };
                body.push_str(&format!(
                    "2024-01-01T{:02}:{:02}:{:02}.{:09}Z {} F {line}\n",
                    secs / 3600,
                    secs / 60 % 60,
                    secs % 60,
                    i,
                    if i % 2 == 0 { "stdout" } else { "stderr" },
                ));
            }
            set.add_bytes(
                format!("n/var/log/pods/shop_{pod}_{UID}/{container}/0.log"),
                body.into_bytes(),
            );
        }
    }
    let (plain, packed) = both(&set);
    assert_eq!(plain.height(), 18_000);
    let LogTable::Packed(p) = &packed else {
        unreachable!()
    };
    // Packing is worth it: the text takes a fraction of what the plain columns hold.
    let plain_text = plain
        .column("message")
        .unwrap()
        .as_materialized_series()
        .estimated_size()
        + plain
            .column("fields")
            .unwrap()
            .as_materialized_series()
            .estimated_size();
    assert!(
        p.packed_bytes() * 3 < plain_text,
        "packed {} of {plain_text}",
        p.packed_bytes()
    );
    assert_same_answers(
        &plain,
        &packed,
        &[
            "failed",
            "level:error OR tick",
            r#"msg:/req \d+7 /"#,
            "user:u3",
            "status:>=502 -user:u1",
            "peer:* pod:api-*",
            "-text",
            "ünïcode:ok container:sidecar",
            "k:v1* OR stream:stderr",
            "restart:0 line:>100",
            "level:warn+",
        ],
        &["user", "status", "peer", "k"],
    );
}

#[test]
fn packed_tables_of_the_sample_bundle_and_real_logs_answer_as_plain_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut dirs = vec![root.join("testdata/sample")];
    // The real data too, when it is there (the sample alone otherwise, said on the terminal).
    if let Some(real) = podsift_testgen::need::realdata() {
        for d in [
            "01_container_runtime_logs",
            "02_node_log_layouts",
            "03_component_logs",
            "07_app_logs",
        ] {
            dirs.push(real.join(d));
        }
    }
    for dir in dirs {
        let mut set = FileSet::new();
        podsift_core::sources::native::add_path(&mut set, &dir).expect("lists");
        set.open_archives(Default::default());
        let (plain, packed) = both(&set);
        assert!(plain.height() > 0, "{}", dir.display());
        assert_same_answers(
            &plain,
            &packed,
            &[
                "error",
                "level:warn+ OR timeout",
                "-level:info",
                "msg:/[0-9]{3}/",
            ],
            &["status", "caller", "user"],
        );
    }
}

#[test]
fn nulls_empty_text_and_empty_fields_survive_packing() {
    let message = Column::new(
        "message".into(),
        [
            Some("a long message of more than twelve bytes"),
            None,
            Some(""),
            Some("ü"),
        ],
    );
    let fields = {
        let keys = Series::new("key".into(), ["k", "", "long key of many bytes"]);
        let values = Series::new("value".into(), ["", "v", "long value of many bytes"]);
        let s = StructChunked::from_series("x".into(), 3, [keys, values].iter())
            .unwrap()
            .into_series();
        let one = |range: std::ops::Range<i64>| {
            Some(s.slice(range.start, (range.end - range.start) as usize))
        };
        Series::new("fields".into(), [one(0..1), None, one(1..3), one(3..3)])
    };
    let rest = DataFrame::new(vec![
        Column::new("ts".into(), [1i64, 2, 3, 4])
            .cast(&DataType::Datetime(
                TimeUnit::Nanoseconds,
                Some(TimeZone::UTC),
            ))
            .unwrap(),
        Column::new("source_id".into(), [0u32; 4]),
        Column::new("line".into(), [4u64, 3, 2, 1]),
    ])
    .unwrap();
    let mut rows = PackedRows::default();
    rows.push(&message, &fields.clone().into_column(), &rest)
        .unwrap();
    assert_eq!(rows.len(), 4);
    let packed = PackedLogs::new(vec![rows]).unwrap();
    // Rows in time order: the lines 4, 3, 2, 1 come as they were read (their times climb).
    let lines = packed.take(&[0, 1, 2, 3], Some(&["line"])).unwrap();
    assert_eq!(
        lines
            .column("line")
            .unwrap()
            .u64()
            .unwrap()
            .into_no_null_iter()
            .collect::<Vec<_>>(),
        [4, 3, 2, 1]
    );
    let got = packed
        .take(&[0, 1, 2, 3], Some(&["message", "fields"]))
        .unwrap();
    assert!(got.column("message").unwrap().equals_missing(&message));
    let want_fields = fields.cast(got.column("fields").unwrap().dtype()).unwrap();
    assert!(
        got.column("fields")
            .unwrap()
            .as_materialized_series()
            .equals_missing(&want_fields),
        "{got:?}"
    );
}
