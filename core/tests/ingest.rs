//! Whole-path tests of podsift-core on in-memory inputs: files -> plan -> ingest -> tables.

use podsift_core::ingest::{NoFilter, Progress};
use podsift_core::query::filter::{LevelSet, LogFilter};
use podsift_core::query::stats::{GroupKey, StatsSink, StatsSpec, stats_frame};
use podsift_core::schema::logs as col;
use podsift_core::sources::FileSet;
use podsift_core::sources::plan::{PlanOptions, plan};
use podsift_core::table::read_logs;
use podsift_core::table::sources::sources_frame;
use polars::prelude::*;
use std::sync::Arc;

const UID: &str = "0d5ad0a5-6b8a-4a3a-9c51-2f7e3c1b8a11";

fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let s = df.column(name).unwrap().cast(&DataType::String).unwrap();
    s.str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

fn messages(df: &DataFrame) -> Vec<String> {
    strings(df, col::MESSAGE)
        .into_iter()
        .map(Option::unwrap)
        .collect()
}

fn u64s(df: &DataFrame, name: &str) -> Vec<u64> {
    let s = df.column(name).unwrap().cast(&DataType::UInt64).unwrap();
    s.u64().unwrap().iter().map(|v| v.unwrap()).collect()
}

fn read(set: &FileSet) -> (DataFrame, podsift_core::ingest::Accounting, DataFrame) {
    let p = plan(set, &PlanOptions::default());
    let (df, report) = read_logs(set, &p, &NoFilter, &Progress::default()).unwrap();
    let sources = sources_frame(set, &p, Some(&report)).unwrap();
    (df, report, sources)
}

#[test]
fn cri_partials_join_across_rotation_and_streams() {
    let mut set = FileSet::new();
    let dir = format!("node-a/pods/shop_cart-5d9f_{UID}/cart");
    // The rotated file ends inside a stdout partial and a stderr partial; both end in 0.log.
    set.add_bytes(
        format!("{dir}/0.log.20240101-000010"),
        b"2024-01-01T00:00:01.000000000Z stdout F {\"level\":\"info\",\"msg\":\"start\"}\n\
          2024-01-01T00:00:02.000000000Z stdout P first half \n\
          2024-01-01T00:00:02.500000000Z stderr P E0101 00:00:02.500000 1 a.go:1] err \n"
            .to_vec(),
    );
    set.add_bytes(
        format!("{dir}/0.log"),
        b"2024-01-01T00:00:03.000000000Z stdout F second half\n\
          2024-01-01T00:00:03.100000000Z stderr F part two\n\
          garbage that is not CRI\n\
          2024-01-01T00:00:04.000000000Z stdout P dangling"
            .to_vec(),
    );
    let (df, report, sources) = read(&set);
    assert_eq!(
        messages(&df),
        [
            "{\"level\":\"info\",\"msg\":\"start\"}",
            "first half second half",
            "E0101 00:00:02.500000 1 a.go:1] err part two",
            "garbage that is not CRI",
            "dangling",
        ]
    );
    assert_eq!(
        strings(&df, col::LEVEL)
            .into_iter()
            .map(Option::unwrap)
            .collect::<Vec<_>>(),
        ["info", "unknown", "error", "unknown", "unknown"]
    );
    assert_eq!(
        strings(&df, col::FORMAT)
            .into_iter()
            .map(Option::unwrap)
            .collect::<Vec<_>>(),
        ["json", "text", "klog", "unparsed", "text"]
    );
    assert_eq!(u64s(&df, col::JOINED), [0, 1, 1, 0, 0]);
    assert_eq!(
        df.column(col::PARTIAL)
            .unwrap()
            .bool()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        [
            Some(false),
            Some(false),
            Some(false),
            Some(false),
            Some(true)
        ]
    );
    // The unparsed line takes the time of the entry before it in the stream.
    let ts = df
        .column(col::TS)
        .unwrap()
        .datetime()
        .unwrap()
        .physical()
        .clone();
    assert_eq!(ts.get(3), Some(1_704_067_203_100_000_000));
    assert_eq!(strings(&df, col::POD)[0].as_deref(), Some("cart-5d9f"));
    assert_eq!(strings(&df, col::NODE)[0].as_deref(), Some("node-a"));
    assert_eq!(u64s(&df, col::RESTART), [0; 5]);
    // Every line accounted for: lines = entries + joined, per file.
    let lines = u64s(&sources, "lines");
    let entries = u64s(&sources, "entries");
    let joined = u64s(&sources, "joined");
    assert_eq!(lines, [3, 4]);
    assert_eq!(entries, [3, 2]);
    assert_eq!(joined, [0, 2]);
    assert_eq!(report.unparsed_lines(), 1);
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.line == Some(3) && d.path.ends_with("/0.log"))
    );
    // Fields of the JSON and klog entries.
    let fields = df
        .column(col::FIELDS)
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(0)
        .unwrap();
    assert_eq!(fields.len(), 2);
}

#[test]
fn docker_splits_join_and_stats_match_the_table() {
    let mut set = FileSet::new();
    let id = "0069869de9adf97f574c62029aeba65d1ecd85a2a112e87fbc28afe4dec2b843";
    let big = "x".repeat(16 * 1024);
    let lines = format!(
        "{{\"log\":\"{big}\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:00Z\"}}\n\
         {{\"log\":\"WARN between\\n\",\"stream\":\"stderr\",\"time\":\"2024-01-01T00:00:00.5Z\"}}\n\
         {{\"log\":\"{big}\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:01Z\"}}\n\
         {{\"log\":\"tail\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:01Z\"}}\n\
         {{\"log\":\"ERROR done\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:02Z\"}}\n"
    );
    set.add_bytes(
        format!("w1/var/lib/docker/containers/{id}/{id}-json.log"),
        lines.into_bytes(),
    );
    let (df, report, _) = read(&set);
    let m = messages(&df);
    assert_eq!(m.len(), 3);
    assert_eq!(m[0].len(), 2 * 16 * 1024 + 4);
    assert!(m[0].ends_with("tail"));
    assert_eq!(&m[1..], ["WARN between", "ERROR done"]);
    assert!(report.diagnostics.is_empty(), "{:?}", report.diagnostics);

    // stats over the same input agree with the table.
    let p = plan(&set, &PlanOptions::default());
    let spec = Arc::new(StatsSpec {
        by: vec![GroupKey::Level],
        every_nanos: None,
    });
    let (sinks, _) = podsift_core::ingest::ingest(
        &set,
        &p,
        &NoFilter,
        || StatsSink::new(spec.clone()),
        &Progress::default(),
    );
    let stats = stats_frame(&spec, sinks).unwrap();
    assert_eq!(
        strings(&stats, "level")
            .into_iter()
            .map(Option::unwrap)
            .collect::<Vec<_>>(),
        ["unknown", "warn", "error"]
    );
    assert_eq!(u64s(&stats, "entries"), [1, 1, 1]);
}

#[test]
fn filters_push_down() {
    let mut set = FileSet::new();
    for (pod, lines) in [
        ("api-1", "INFO a\nERROR b\nWARN c\n"),
        ("web-1", "ERROR d\n"),
    ] {
        let body: String = lines
            .lines()
            .enumerate()
            .map(|(i, l)| format!("2024-01-01T00:00:0{i}Z stdout F {l}\n"))
            .collect();
        set.add_bytes(
            format!("n/pods/prod_{pod}_{UID}/app/0.log"),
            body.into_bytes(),
        );
    }
    let p = plan(&set, &PlanOptions::default());
    let filter = LogFilter {
        pod: vec![regex::Regex::new("^api").unwrap()],
        levels: Some(LevelSet::parse("warn+").unwrap()),
        ..LogFilter::default()
    };
    let (df, report) = read_logs(&set, &p, &filter, &Progress::default()).unwrap();
    assert_eq!(messages(&df), ["ERROR b", "WARN c"]);
    // The web pod's file was never read.
    assert!(!report.files[1].read);
}

#[test]
fn sql_groups_over_logs_sources_and_fields() {
    let mut set = FileSet::new();
    let body = "2024-01-01T00:00:00Z stdout F {\"level\":\"error\",\"user\":\"bob\"}\n\
                2024-01-01T00:00:01Z stdout F {\"level\":\"info\",\"user\":\"amy\"}\n\
                2024-01-01T00:00:02Z stderr F {\"level\":\"error\",\"user\":\"bob\"}\n";
    set.add_bytes(
        format!("n/pods/prod_api-1_{UID}/app/0.log"),
        body.as_bytes().to_vec(),
    );
    let (logs, _, sources) = read(&set);
    // One and two plain keys: the shapes polars 0.52 runs on its streaming engine.
    let df = podsift_core::query::sql::run_sql(
        logs.clone(),
        sources.clone(),
        "SELECT pod, level, count(*) AS n FROM logs GROUP BY pod, level ORDER BY n DESC",
    )
    .unwrap();
    assert_eq!(
        strings(&df, "level")
            .into_iter()
            .map(Option::unwrap)
            .collect::<Vec<_>>(),
        ["error", "info"]
    );
    assert_eq!(u64s(&df, "n"), [2, 1]);
    let df = podsift_core::query::sql::run_sql(
        logs,
        sources,
        "SELECT value, count(*) AS n FROM fields WHERE key = 'user' GROUP BY value ORDER BY value",
    )
    .unwrap();
    assert_eq!(
        strings(&df, "value")
            .into_iter()
            .map(Option::unwrap)
            .collect::<Vec<_>>(),
        ["amy", "bob"]
    );
    assert_eq!(u64s(&df, "n"), [1, 2]);
}
