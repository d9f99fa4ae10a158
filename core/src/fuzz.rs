//! Entry points for the fuzz targets in `fuzz/` (not a stable API; see FUZZING.md).
//!
//! Each takes the fuzzer's bytes and runs one parser, or the whole read, the way outside bytes
//! reach it; a panic, a hang or unbounded memory is the finding. The first byte of the input
//! picks the variant (a file's path, a format) where a target covers several, so one corpus
//! can hold them all. Kept in core so the targets stay one line each and the same calls are
//! replayed by the test suite (`core/tests/fuzz_replay.rs`: every input a fuzzer ever
//! crashed on, kept in `fuzz/regressions/`, and the seed corpus).

use std::sync::Arc;

use crate::bundle::{Bundle, OpenOptions, ReadOptions, Steps, Wanted};
use crate::formats::{EntryFormat, PayloadContext, PayloadParser};
use crate::ingest::Progress;
use crate::metrics::{self, MetricsFormat, expo};
use crate::sources::FileSet;
use crate::sources::archive::ArchiveLimits;
use crate::table::live::LiveCounts;
use crate::table::metrics::MetricsOptions;

/// Limits small enough that one input cannot take the fuzzer's memory (libFuzzer's default
/// `-rss_limit_mb` is 2 GiB): what the limits themselves promise is what is tested.
fn limits() -> ArchiveLimits {
    ArchiveLimits {
        max_bytes: 64 << 20,
        max_entries: 10_000,
        max_depth: 4,
        // Small, so that the streamed way of reading a compressed tar is fuzzed natively too.
        max_held: 1 << 20,
    }
}

/// Where a log file given to [`log_file`] sits: each path makes the planner pick a different
/// framing and reader (CRI, docker json-file, journald export, kubelet's klog, audit, events,
/// pods, nodes, JUnit, a plain application log, metrics).
pub const LOG_PATHS: &[&str] = &[
    "node-a/pods/shop_web-1_0d9c/app/0.log",
    "node-a/containers/web-1_shop_app-0123456789abcdef.log",
    "node-a/docker/containers/0123456789abcdef/0123456789abcdef-json.log",
    "node-a/journal/kubelet.export",
    "node-a/journal.json",
    "node-a/kubelet.log",
    "node-a/kube-apiserver-audit.log",
    "cluster/events.json",
    "cluster/pods.yaml",
    "cluster/nodes.json",
    "plugins/e2e/results/global/junit_01.xml",
    "app/server.log",
    "node-a/syslog",
    "node-a/nginx/access.log",
    "metrics/node-a.prom",
    "metrics/query.json",
];

/// One file read whole, as `podsift` reads a folder holding it: every table, then the report.
pub fn log_file(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let path = LOG_PATHS[usize::from(pick) % LOG_PATHS.len()];
    let mut set = FileSet::new();
    set.add_bytes(path, body.to_vec());
    read_all(set);
}

/// Names an archive given to [`archive`] has: the name and the first bytes pick the reader.
pub const ARCHIVE_NAMES: &[&str] = &[
    "bundle.tar",
    "bundle.tar.gz",
    "bundle.zip",
    "bundle.tar.xz",
    "bundle.tar.zst",
    "bundle.tar.bz2",
    "app.log.gz",
    "app.log.xz",
    "app.log.zst",
    "app.log.bz2",
];

/// One archive or compressed file, opened and read whole; with the first byte's high bit set,
/// the browser viewer's way (compressed tars streamed, a step at a time).
pub fn archive(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let name = ARCHIVE_NAMES[usize::from(pick & 0x7f) % ARCHIVE_NAMES.len()];
    let mut set = FileSet::new();
    set.add_bytes(name, body.to_vec());
    if pick & 0x80 == 0 {
        read_all(set);
        return;
    }
    let options = OpenOptions {
        limits: limits(),
        ..OpenOptions::default()
    };
    let live = Arc::new(LiveCounts::default());
    let mut steps = Steps::new(set, options, MetricsOptions::default(), live, true);
    let progress = Progress::default();
    while steps.step(&progress, &|| true).is_none() {}
}

fn read_all(set: FileSet) {
    let options = OpenOptions {
        limits: limits(),
        ..OpenOptions::default()
    };
    let bundle = Bundle::open(set, &options);
    let read = ReadOptions {
        wanted: Wanted::ALL,
        ..ReadOptions::default()
    };
    let progress = Progress::default();
    if let Ok(tables) = bundle.read(&read, &progress) {
        let _ = bundle.sources(Some(&tables.accounting));
        let problems = bundle.problems(Some(&tables.accounting));
        let _ = problems.summary();
    }
    let _ = bundle.report(
        &read,
        &Arc::default(),
        &crate::ReportOptions::default(),
        &progress,
    );
}

/// One payload (a container's message) through the parser of the format the first byte picks
/// (JSON, logfmt, klog, journald, each defined format), then through detection.
pub fn payload(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let formats = EntryFormat::all();
    let format = formats[usize::from(pick) % formats.len()];
    let ctx = PayloadContext {
        runtime_ts_nanos: Some(1_700_000_000_000_000_000),
        want_fields: true,
        want_app_ts: true,
        may_have_newlines: pick & 1 == 1,
    };
    let mut parser = PayloadParser::default();
    let _ = parser.parse_as(format, body, ctx, pick & 2 == 2);
    let _ = parser.parse(body, ctx);
    let _ = crate::formats::cri::parse_cri_line(body);
    let _ = crate::formats::docker::parse_docker_line(body);
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').take(16).collect();
    let _ = crate::formats::defined::detect(&lines);
}

/// One exposition file (Prometheus text, or OpenMetrics when the first byte is odd).
pub fn exposition(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let dialect = if pick & 1 == 1 {
        expo::Dialect::OpenMetrics
    } else {
        expo::Dialect::Text
    };
    let parsed = expo::parse(body, dialect);
    let _ = parsed.samples();
}

/// One metrics file in the format the first byte picks (API JSON, VictoriaMetrics JSON and
/// CSV, Influx, `kubectl top`, metrics.k8s.io, promtool's series JSON).
pub fn metrics_file(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let all = [
        MetricsFormat::Exposition,
        MetricsFormat::SeriesJson,
        MetricsFormat::PrometheusApi,
        MetricsFormat::VictoriaJson,
        MetricsFormat::VictoriaCsv,
        MetricsFormat::Influx,
        MetricsFormat::KubectlTop,
        MetricsFormat::MetricsApi,
    ];
    let parsed = metrics::parse(all[usize::from(pick) % all.len()], body);
    let _ = parsed.samples();
}

/// Prometheus's storage read as `podsift metrics` reads a data directory (and as `-o dump`
/// writes it, and as `--match` reads it by range): the input is split
/// into a block's `index`, `chunks/000001` and `tombstones` (each part's length a
/// little-endian u32 before it, the last part the rest), planned and read into the metrics
/// store; the chunk part is also decoded directly as one XOR chunk; then the whole input is
/// read as a WAL segment after a checkpoint holding its first part, with the chunk part as a
/// head chunk file beside it.
pub fn tsdb(data: &[u8]) {
    let mut parts: Vec<&[u8]> = Vec::with_capacity(3);
    let mut rest = data;
    for _ in 0..2 {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            break;
        };
        let n = (u32::from_le_bytes(*len) as usize).min(tail.len());
        parts.push(&tail[..n]);
        rest = &tail[n..];
    }
    parts.push(rest);
    let names = [
        "data/01B/index",
        "data/01B/chunks/000001",
        "data/01B/tombstones",
    ];
    let mut set = FileSet::new();
    for (name, part) in names.iter().zip(&parts) {
        set.add_bytes(*name, part.to_vec());
    }
    set.add_bytes(
        "data/01B/meta.json",
        br#"{"ulid":"01B","minTime":0,"maxTime":7200000,"version":1}"#.to_vec(),
    );
    let store = metrics_of(&set);
    let _ = store.export(crate::table::metrics::ExportOrder::LabelSet);
    // Some series asked for: the index read by range through its postings.
    if let Ok(select) = metrics::selector::Selector::parse(r#"{__name__=~".+", job!="x"}"#) {
        let plan = crate::sources::plan::plan(&set, &crate::sources::plan::PlanOptions::default());
        let options = MetricsOptions {
            select: Some(select),
            min_ts: Some(1000),
            ..MetricsOptions::default()
        };
        let mut accounting = crate::ingest::Accounting::default();
        let _ = crate::table::metrics::read_metrics(&set, &plan, &options, &mut accounting);
    }
    if let Some(chunk) = parts.get(1) {
        let _ = metrics::tsdb::chunk::xor_samples(chunk, |_, _| {});
    }
    // The whole input as a WAL segment of a data directory, with a checkpoint made of its
    // first part.
    let mut set = FileSet::new();
    set.add_bytes("data/wal/00000003", data.to_vec());
    set.add_bytes("data/wal/checkpoint.00000002/00000000", parts[0].to_vec());
    if let Some(chunks) = parts.get(1) {
        // A head chunk file's magic before the chunk part, so it is planned as one.
        let mut head = vec![0x01, 0x30, 0xBC, 0x91, 1, 0, 0, 0];
        head.extend_from_slice(chunks);
        set.add_bytes("data/chunks_head/000001", head);
    }
    let store = metrics_of(&set);
    let _ = store.frames(&set);
}

/// The metrics store of `set`, planned and read as `podsift metrics` reads it; and its dump
/// written as `-o dump` writes it (from storage, without the store).
fn metrics_of(set: &FileSet) -> crate::table::metrics::MetricsStore {
    let plan = crate::sources::plan::plan(set, &crate::sources::plan::PlanOptions::default());
    let mut accounting = crate::ingest::Accounting::default();
    let options = MetricsOptions::default();
    let mut dumped = crate::ingest::Accounting::default();
    let _ =
        crate::table::metrics::write_dump(set, &plan, &options, &mut dumped, &mut std::io::sink());
    crate::table::metrics::read_metrics(set, &plan, &options, &mut accounting)
}

/// One search query (the viewer's and `--query`'s language), its chips, and its evaluation on
/// a small `logs` table; a series selector (`--match`); a PromQL expression evaluated over a
/// few series.
pub fn query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = crate::query::search::chips(text);
    let _ = metrics::selector::Selector::parse(text);
    if let Ok(expr) = crate::promql::parse(text) {
        thread_local! {
            static SERIES: crate::promql::Storage = crate::promql::Storage {
                series: (0..3)
                    .map(|k| crate::promql::Series {
                        labels: vec![
                            ("__name__".into(), "x".into()),
                            ("le".into(), ["1", "2", "+Inf"][k].into()),
                        ],
                        samples: (0..20).map(|i| (i * 15_000, (i * (k as i64 + 1)) as f64)).collect(),
                    })
                    .collect(),
            };
        }
        SERIES.with(|s| {
            let _ = crate::promql::eval_instant(s, &expr, 300_000, 300_000);
            let _ = crate::promql::eval_range(s, &expr, (0, 300_000, 60_000), 300_000);
        });
    }
    let Ok(q) = crate::Query::parse(text) else {
        return;
    };
    thread_local! {
        static LOGS: polars::prelude::DataFrame = sample_logs();
    }
    LOGS.with(|logs| {
        let _ = q.evaluate(logs);
    });
}

fn sample_logs() -> polars::prelude::DataFrame {
    let mut set = FileSet::new();
    set.add_bytes(
        "node-a/pods/shop_web-1_0d9c/app/0.log",
        concat!(
            "2024-03-01T10:00:00.000000000Z stdout F {\"level\":\"error\",\"msg\":\"boom\",\"status\":503}\n",
            "2024-03-01T10:00:01.000000000Z stdout F level=info msg=\"ok\" latency=12ms user=ann\n",
            "2024-03-01T10:00:02.000000000Z stderr F E0301 10:00:02.000000       1 main.go:12] failed to sync\n",
            "2024-03-01T10:00:03.000000000Z stdout F GET /healthz 200 1.2ms\n",
        )
        .as_bytes()
        .to_vec(),
    );
    let bundle = Bundle::open(set, &OpenOptions::default());
    bundle
        .read(&ReadOptions::default(), &Progress::default())
        .map(|t| t.logs)
        .unwrap_or_default()
}

/// A file a user writes: a format definition file (TOML or JSON; every format compiled and
/// its samples checked) when the first byte is even, a report rules file when odd.
pub fn config(data: &[u8]) {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return;
    };
    if pick & 1 == 0 {
        let Ok(defs) = crate::formats::defined::read_defs(text) else {
            return;
        };
        for (i, def) in defs.into_iter().enumerate().take(8) {
            let id = EntryFormat(EntryFormat::FIRST_DEFINED + 200 + i as u16);
            if let Ok(f) = crate::formats::defined::DefinedFormat::compile(def, id, "fuzz") {
                let _ = f.check_samples();
            }
        }
    } else if let Ok(rules) = crate::report::rules::parse_rules(text) {
        let _ = crate::report::rules::sink_patterns(&rules);
    }
}
