//! `bundle::Bundle`, the one door every front end reads through: its read gives each table
//! the lower-level readers give, its step-by-step read (the browser's) gives the same tables
//! from the same bytes in phases, and its problems count what was skipped and left unparsed.

use std::io::Write;
use std::sync::Arc;

use podsift_core::bundle::{Bundle, OpenOptions, Phase, ReadOptions, Steps, Wanted};
use podsift_core::ingest::{Accounting, NoFilter, Progress};
use podsift_core::query::filter::{LevelSet, LogFilter};
use podsift_core::sources::FileSet;
use podsift_core::table::metrics::MetricsOptions;
use podsift_core::table::{audit, events, pods, read_logs};
use polars::prelude::*;

fn cri(sec: u32, msg: &str) -> String {
    format!("2024-03-01T10:00:{sec:02}.000000000Z stdout F {msg}\n")
}

/// A node's pods/ folder, an audit log, a pod list, an event list, a scrape, a binary file
/// and a line that is no entry of any format.
fn tree() -> Vec<(String, Vec<u8>)> {
    let pods = br#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Pod",
   "metadata": {"name": "web-1", "namespace": "shop", "uid": "u-1"},
   "spec": {"nodeName": "node-a", "containers": [{"name": "app", "image": "app:1"}]},
   "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": true,
     "restartCount": 2, "state": {"running": {"startedAt": "2024-03-01T09:00:00Z"}}}]}}]}
"#;
    let events = br#"{"apiVersion": "v1", "kind": "EventList", "items": [{"apiVersion": "v1", "kind": "Event",
  "metadata": {"name": "web-1.1", "namespace": "shop", "uid": "e-1"},
  "involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "shop"},
  "reason": "BackOff", "message": "Back-off restarting failed container", "type": "Warning", "count": 3,
  "firstTimestamp": "2024-03-01T09:10:00Z", "lastTimestamp": "2024-03-01T10:00:00Z"}]}
"#;
    let audit = br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"1","stage":"ResponseComplete","requestURI":"/api/v1/pods","verb":"list","user":{"username":"admin"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2024-03-01T10:00:01.000000Z","stageTimestamp":"2024-03-01T10:00:01.001000Z"}
"#;
    let mut app = String::new();
    for i in 0..40 {
        let level = ["info", "warn", "error"][i as usize % 3];
        app.push_str(&cri(
            i,
            &format!(r#"{{"level":"{level}","msg":"request {i}"}}"#),
        ));
    }
    // Not a CRI line: kept as an `unparsed` entry and counted.
    app.push_str("garbage that no runtime wrote\n");
    vec![
        (
            "node-a/pods/shop_web-1_u-1/app/0.log".into(),
            app.into_bytes(),
        ),
        (
            "node-a/pods/kube-system_dns-1_u-2/dns/0.log".into(),
            (0..7)
                .map(|i| {
                    cri(
                        i,
                        &format!("I0301 10:00:{i:02}.000000       1 dns.go:1] query {i}"),
                    )
                })
                .collect::<String>()
                .into_bytes(),
        ),
        (
            "node-a/kubernetes/kube-apiserver-audit.log".into(),
            audit.to_vec(),
        ),
        ("resources/Pods.json".into(), pods.to_vec()),
        ("resources/Events.json".into(), events.to_vec()),
        (
            "metrics/scrape.prom".into(),
            b"# TYPE up gauge\nup{job=\"a\"} 1 1709287200000\nup{job=\"b\"} 0 1709287200000\n"
                .to_vec(),
        ),
        ("node-a/core.bin".into(), vec![0u8, 1, 2, 3, 0, 0, 7]),
    ]
}

fn set_of(files: &[(String, Vec<u8>)]) -> FileSet {
    let mut set = FileSet::new();
    for (name, bytes) in files {
        set.add_bytes(name.clone(), bytes.clone());
    }
    set
}

fn tar_gz(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, &data[..]).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&tar).unwrap();
    e.finish().unwrap()
}

/// The frame's rows as text, row by row (for comparing tables read two ways).
fn rows(df: &DataFrame) -> Vec<String> {
    (0..df.height())
        .map(|i| {
            df.get_columns()
                .iter()
                .map(|c| c.get(i).unwrap().str_value().into_owned())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

#[test]
fn one_read_gives_every_table_the_readers_give() {
    let bundle = Bundle::open(set_of(&tree()), &OpenOptions::default());
    let tables = bundle
        .read(&ReadOptions::default(), &Progress::default())
        .unwrap();

    // Each table is what its own reader gives from the same plan.
    let (set, plan) = (bundle.set(), bundle.plan());
    let (logs, _) = read_logs(set, plan, &NoFilter, &Progress::default()).unwrap();
    let mut acc = Accounting::default();
    assert_eq!(rows(&tables.logs), rows(&logs));
    assert_eq!(
        rows(&tables.audit),
        rows(&audit::read_audit(set, plan, &mut acc).unwrap())
    );
    assert_eq!(
        rows(&tables.events),
        rows(&events::read_events(set, plan, &mut acc).unwrap())
    );
    assert_eq!(
        rows(&tables.pods),
        rows(&pods::read_pods(set, plan, &mut acc).unwrap())
    );
    // 40 + 1 unparsed + 7 entries, one audit event, one Event, one container, two samples.
    assert_eq!(tables.logs.height(), 48);
    assert_eq!(
        (
            tables.audit.height(),
            tables.events.height(),
            tables.pods.height()
        ),
        (1, 1, 1)
    );
    assert_eq!(tables.metrics.len(), 2);

    // Every file is accounted for in `sources`: read with its entries, or skipped with why.
    let sources = bundle.sources(Some(&tables.accounting)).unwrap();
    assert_eq!(sources.height(), tree().len());
    let problems = bundle.problems(Some(&tables.accounting));
    assert_eq!(problems.skipped.len(), 1, "{:?}", problems.skipped);
    assert!(
        problems.skipped[0].to_string().contains("core.bin"),
        "{}",
        problems.skipped[0]
    );
    assert_eq!(problems.unparsed_lines, 1);
    assert!(problems.any());
    assert_eq!(
        problems.summary().as_deref(),
        Some("1 file skipped, 1 unparsed line")
    );

    // SQL sees every table.
    let count = |table: &str| -> i64 {
        let df = tables
            .sql(&bundle, &format!("SELECT COUNT(*) AS n FROM {table}"))
            .unwrap();
        let n = df.column("n").unwrap().cast(&DataType::Int64).unwrap();
        n.i64().unwrap().get(0).unwrap()
    };
    let got: Vec<i64> = ["logs", "pods", "events", "audit", "samples", "sources"]
        .into_iter()
        .map(count)
        .collect();
    assert_eq!(got, [48, 1, 1, 1, 2, 7]);
}

#[test]
fn a_filter_and_the_wanted_tables_shape_the_read() {
    let bundle = Bundle::open(set_of(&tree()), &OpenOptions::default());
    let errors = LogFilter {
        levels: Some(LevelSet::parse("error").unwrap()),
        ..LogFilter::default()
    };
    let only_logs = ReadOptions {
        wanted: Wanted {
            logs: true,
            ..Wanted::NONE
        },
        filter: Some(Arc::new(errors)),
        ..ReadOptions::default()
    };
    let t = bundle.read(&only_logs, &Progress::default()).unwrap();
    // Every third of the 40 requests is an error.
    assert_eq!(t.logs.height(), 13);
    assert_eq!(t.pods.height(), 0);
    assert!(t.metrics.is_empty());

    // A read without tables still counts every container log's entries.
    let none = ReadOptions {
        wanted: Wanted::NONE,
        ..ReadOptions::default()
    };
    let t = bundle.read(&none, &Progress::default()).unwrap();
    assert_eq!(t.logs.height(), 0);
    let entries: u64 = t.accounting.files.iter().map(|f| f.entries).sum();
    assert_eq!(entries, 48);
}

/// A step-by-step read of `set` with the default options.
fn steps_of(set: FileSet, pack: bool) -> Steps {
    Steps::new(
        set,
        OpenOptions::default(),
        MetricsOptions::default(),
        Arc::default(),
        pack,
    )
}

/// Steps until done; says how many steps it took and which phases it went through.
fn run_steps(steps: &mut Steps) -> (podsift_core::bundle::StepsDone, usize, Vec<Phase>) {
    let progress = Progress::default();
    let mut phases = vec![steps.phase()];
    for n in 1.. {
        // Out of time at once: every step does one unit of work.
        let done = steps.step(&progress, &|| true);
        if phases.last() != Some(&steps.phase()) {
            phases.push(steps.phase());
        }
        if let Some(done) = done {
            return (done.unwrap(), n, phases);
        }
        assert!(n < 10_000, "the read never ends");
    }
    unreachable!()
}

#[test]
fn the_step_by_step_read_gives_the_same_tables_in_phases() {
    let files = tree();
    let whole = Bundle::open(set_of(&files), &OpenOptions::default())
        .read(&ReadOptions::default(), &Progress::default())
        .unwrap();
    // As the browser gets it: one .tar.gz given as bytes, streamed, the text packed.
    for pack in [false, true] {
        let mut set = FileSet::new();
        set.add_bytes("bundle.tar.gz", tar_gz(&files));
        let mut steps = steps_of(set, pack);
        let (done, n, phases) = run_steps(&mut steps);
        assert_eq!(
            phases,
            [Phase::Opening, Phase::Reading, Phase::Sorting, Phase::Done]
        );
        assert!(n >= 4, "{n} steps");
        let logs = done.logs.to_frame().unwrap();
        // The same entries (the source column names the archive's members).
        let messages = |df: &DataFrame| {
            let mut v: Vec<String> = df
                .column("message")
                .unwrap()
                .str()
                .unwrap()
                .into_iter()
                .map(|m| m.unwrap_or_default().to_string())
                .collect();
            v.sort();
            v
        };
        assert_eq!(messages(&logs), messages(&whole.logs));
        // The message as a person reads it: the JSON entries' msg, the klog lines' text.
        let shown: std::collections::BTreeSet<String> = (0..done.logs.height() as u32)
            .map(|r| done.logs.shown_message(r))
            .collect();
        assert!(shown.contains("request 7"), "{shown:?}");
        assert!(shown.contains("query 3"), "{shown:?}");
        assert_eq!(done.index.len(), logs.height());
        // The other tables are read too, as the whole read reads them.
        assert_eq!(
            (
                done.tables.audit.height(),
                done.tables.events.height(),
                done.tables.pods.height(),
                done.tables.metrics.len()
            ),
            (1, 1, 1, 2)
        );
        // The archive's members, each listed.
        assert_eq!(done.sources.height(), files.len());
        assert_eq!(done.skipped.len(), 1, "{:?}", done.skipped);
        assert_eq!(done.tables.accounting.unparsed_lines(), 1);
    }
}

#[test]
fn a_cancelled_or_stopped_step_by_step_read_says_so() {
    let mut steps = steps_of(set_of(&tree()), false);
    let progress = Progress::default();
    progress
        .cancel
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let out = steps.step(&progress, &|| false).unwrap();
    assert!(out.unwrap_err().to_string().contains("cancelled"));
    assert_eq!(steps.phase(), Phase::Done);
    assert!(steps.step(&progress, &|| false).is_none());

    // Stopped once reading: what was read is kept, every file left is listed with why.
    let mut steps = steps_of(set_of(&tree()), false);
    let progress = Progress::default();
    while steps.phase() != Phase::Reading {
        assert!(steps.step(&progress, &|| true).is_none());
    }
    let left = steps.stop("out of memory");
    assert!(!left.is_empty());
    let (done, ..) = run_steps(&mut steps);
    for path in &left {
        assert!(
            done.skipped
                .iter()
                .any(|(p, why)| p == path && why == "out of memory"),
            "{path} not listed: {:?}",
            done.skipped
        );
    }
}

#[test]
fn the_filter_keeps_the_rows_of_every_table() {
    let bundle = Bundle::open(set_of(&tree()), &OpenOptions::default());
    let read = |f: LogFilter| {
        let options = ReadOptions {
            filter: Some(Arc::new(f)),
            ..ReadOptions::default()
        };
        let t = bundle.read(&options, &Progress::default()).unwrap();
        (
            t.logs.height(),
            t.pods.height(),
            t.events.height(),
            t.audit.height(),
        )
    };
    let re = |s: &str| vec![regex::Regex::new(s).unwrap()];
    // The shop namespace: the app's entries, its pod, the Event about it; the audit request
    // (a list of every pod) names no namespace.
    let shop = LogFilter {
        namespace: re("^shop$"),
        ..LogFilter::default()
    };
    assert_eq!(read(shop), (41, 1, 1, 0));
    let system = LogFilter {
        namespace: re("^kube-system$"),
        ..LogFilter::default()
    };
    assert_eq!(read(system), (7, 0, 0, 0));
    // A pod: only rows about that pod.
    let web = LogFilter {
        pod: re("^web-"),
        ..LogFilter::default()
    };
    assert_eq!(read(web), (41, 1, 1, 0));
    // After the Event's last time (10:00:00Z): the Event is gone, the audit request at
    // 10:00:01 stays, the pod list (no time) stays.
    let later = LogFilter {
        since_nanos: Some(1_709_287_201_000_000_000),
        ..LogFilter::default()
    };
    let (_, pods, events, audit) = read(later);
    assert_eq!((pods, events, audit), (1, 0, 1));
    // An Event spanning the bound is kept.
    let spanning = LogFilter {
        since_nanos: Some(1_709_284_000_000_000_000),
        until_nanos: Some(1_709_285_000_000_000_000),
        ..LogFilter::default()
    };
    assert_eq!(read(spanning).2, 1);
}

#[test]
fn every_string_function_works_on_every_text_column() {
    let bundle = Bundle::open(set_of(&tree()), &OpenOptions::default());
    let tables = bundle
        .read(&ReadOptions::default(), &Progress::default())
        .unwrap();
    let metrics = tables.metrics.frames(bundle.set()).unwrap();
    let frames: Vec<(&str, DataFrame)> = vec![
        ("logs", tables.logs.clone()),
        ("sources", bundle.sources(Some(&tables.accounting)).unwrap()),
        ("audit", tables.audit.clone()),
        ("events", tables.events.clone()),
        ("pods", tables.pods.clone()),
        ("series", metrics.series),
    ];
    // What polars' SQL offers for text, as people write it first (C: the column).
    let functions = [
        "C LIKE 'a%'",
        "C NOT LIKE 'a%'",
        "C ILIKE '%A%'",
        "C ~ '^a'",
        "C ~* 'A'",
        "C !~ 'a'",
        "lower(C)",
        "upper(C)",
        "length(C)",
        "char_length(C)",
        "octet_length(C)",
        "starts_with(C, 'a')",
        "ends_with(C, 'a')",
        "regexp_like(C, '^[a-z]')",
        "substr(C, 1, 2)",
        "left(C, 2)",
        "right(C, 2)",
        "ltrim(C)",
        "rtrim(C)",
        "trim(C)",
        "replace(C, 'a', 'b')",
        "reverse(C)",
        "strpos(C, 'a')",
        "split_part(C, '-', 1)",
        "concat(C, '!')",
        "C || '!'",
        "concat_ws('-', C, C)",
        "position('a' IN C)",
    ];
    let mut tried = 0;
    let mut failed = Vec::new();
    for (table, df) in &frames {
        assert!(df.height() > 0, "{table} has rows to try");
        for (name, dtype) in df.schema().iter() {
            if !matches!(dtype, DataType::String | DataType::Categorical(..)) {
                continue;
            }
            for f in functions {
                let expr = f.replace('C', &format!("\"{name}\""));
                let q = format!("SELECT {expr} AS r FROM {table}");
                tried += 1;
                if let Err(e) = tables.sql(&bundle, &q) {
                    failed.push(format!("{q}: {e}"));
                }
            }
        }
    }
    assert!(tried > 500, "{tried}");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    // `count(*)` is `count`.
    let df = tables
        .sql(&bundle, "SELECT pod, count(*) FROM logs GROUP BY pod")
        .unwrap();
    assert!(df.schema().contains("count"), "{:?}", df.schema());
}

#[test]
fn pod_lists_without_uids_or_containers_still_count_their_pods() {
    let mut set = FileSet::new();
    set.add_bytes(
        "resources/pods.json",
        br#"{"apiVersion": "v1", "kind": "PodList", "items": [
  {"metadata": {"name": "bare-1", "namespace": "a"}, "spec": {}, "status": {"phase": "Pending"}},
  {"metadata": {"name": "known-1", "namespace": "a"}, "spec": {"nodeName": "n1"},
   "status": {"phase": "Running", "containerStatuses": [{"name": "app", "restartCount": 3,
     "state": {"running": {}}}]}}]}
"#
        .to_vec(),
    );
    set.add_bytes(
        "resources/empty.json",
        br#"{"apiVersion": "v1", "kind": "PodList", "items": []}"#.to_vec(),
    );
    let bundle = Bundle::open(set, &OpenOptions::default());
    let t = bundle
        .read(&ReadOptions::default(), &Progress::default())
        .unwrap();
    let rows: Vec<(String, Option<String>, Option<u32>)> = (0..t.pods.height())
        .map(|i| {
            let get = |c: &str| {
                let v = t.pods.column(c).unwrap().get(i).unwrap();
                (!v.is_null()).then(|| v.str_value().into_owned())
            };
            (
                get("pod").unwrap(),
                get("container"),
                get("restarts").map(|r| r.parse().unwrap()),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("bare-1".to_string(), None, None),
            ("known-1".to_string(), Some("app".to_string()), Some(3))
        ]
    );
    // Each file says what it lacked.
    let sources = bundle.sources(Some(&t.accounting)).unwrap();
    let notes: Vec<String> = sources
        .column("note")
        .unwrap()
        .str()
        .unwrap()
        .into_iter()
        .map(|n| n.unwrap_or_default().to_string())
        .collect();
    assert!(notes.iter().any(|n| n == "a list of no pods"), "{notes:?}");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("1 of 2 pods list no containers")),
        "{notes:?}"
    );
}

/// A file that grows while it is read is read up to the size it had when it was listed.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn a_growing_file_is_read_as_it_was_listed() {
    let dir = std::env::temp_dir().join(format!("podsift-growing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("app.log");
    std::fs::write(
        &file,
        "2024-01-01T00:00:00Z INFO one\n2024-01-01T00:00:01Z INFO two\n",
    )
    .unwrap();
    let bundle = Bundle::open_paths(&[&dir], &OpenOptions::default()).unwrap();
    // Written after the listing: not read by this read.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap();
    f.write_all(b"2024-01-01T00:00:02Z INFO three\n").unwrap();
    drop(f);
    let tables = bundle
        .read(&ReadOptions::default(), &Progress::default())
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(tables.logs.height(), 2);
    let f = &tables.accounting.files[0];
    assert_eq!((f.lines, f.entries), (2, 2));
}

/// A Prometheus data directory as the browser viewer gets it (a .tar.gz of it, streamed a step
/// at a time): the same series and samples as read natively from the folder.
#[test]
#[allow(clippy::disallowed_methods)] // the test reads the repo's data directory
fn a_prometheus_data_directory_in_a_tarball_reads_in_the_browser_as_natively() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/prometheus/data");
    let mut files = Vec::new();
    let mut todo = vec![root.clone()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.push((format!("prometheus/{rel}"), std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    let whole = Bundle::open(set_of(&files), &OpenOptions::default())
        .read(&ReadOptions::default(), &Progress::default())
        .unwrap();
    assert!(whole.metrics.len() > 2500);
    assert!(whole.metrics.histograms.len() > 400);
    let mut set = FileSet::new();
    set.add_bytes("prometheus.tar.gz", tar_gz(&files));
    let (done, _, _) = run_steps(&mut steps_of(set, true));
    let m = &done.tables.metrics;
    assert_eq!(m.series.len(), whole.metrics.series.len());
    assert_eq!(m.sample_ts, whole.metrics.sample_ts);
    assert_eq!(m.sample_value.len(), whole.metrics.sample_value.len());
    assert_eq!(m.histograms, whole.metrics.histograms);
    assert!(done.skipped.is_empty(), "{:?}", done.skipped);
}
