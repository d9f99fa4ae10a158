//! Prometheus TSDB blocks read in place: real blocks written by Prometheus
//! (../shared/realdata/05_prometheus), compared with their expected query response and with
//! `promtool tsdb dump`; and every kind of damage, made by cutting and flipping bytes of them.

// Tests run natively and read the blocks from disk.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Command;

use podsift_core::bundle::{Bundle, OpenOptions};
use podsift_core::diag::Severity;
use podsift_core::ingest::Accounting;
use podsift_core::metrics::selector::Selector;
use podsift_core::metrics::tsdb::{self, index};
use podsift_core::metrics::write::write_dump_all;
use podsift_core::metrics::{MetricsFormat, parse};
use podsift_core::sources::FileSet;
use podsift_core::sources::plan::{FileStatus, PlanOptions, plan};
use podsift_core::table::metrics::{ExportOrder, MetricsOptions, MetricsStore, read_metrics};

fn prometheus() -> Option<PathBuf> {
    podsift_testgen::need::realdata().map(|p| p.join("05_prometheus"))
}

/// The snapshot block (index format 2) and the folder holding its expected response.
fn snapshot(root: &Path) -> (PathBuf, PathBuf) {
    let base = root.join("tsdb_blocks/victoriametrics/apptest/tests/testdata/prometheus");
    let snaps = base.join("snapshots");
    let snap = std::fs::read_dir(&snaps)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let block = std::fs::read_dir(&snap)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    (block, base)
}

fn v1_block(root: &Path) -> PathBuf {
    root.join("prometheus_repo/tsdb/testdata/index_format_v1")
}

/// A block's files: (path inside the block, bytes).
type Files = Vec<(String, Vec<u8>)>;

/// A block's files, by their path inside the block.
fn block_files(dir: &Path) -> Files {
    let mut out = Vec::new();
    for name in ["index", "meta.json", "tombstones"] {
        if let Ok(b) = std::fs::read(dir.join(name)) {
            out.push((name.to_string(), b));
        }
    }
    if let Ok(rd) = std::fs::read_dir(dir.join("chunks")) {
        for e in rd {
            let e = e.unwrap();
            out.push((
                format!("chunks/{}", e.file_name().to_string_lossy()),
                std::fs::read(e.path()).unwrap(),
            ));
        }
    }
    out.sort();
    out
}

/// Reads `files` (paths inside a block folder `data/<ULID>/`) into the metrics store.
fn read(files: &[(String, Vec<u8>)]) -> (MetricsStore, Accounting, FileSet) {
    let mut set = FileSet::new();
    for (name, bytes) in files {
        set.add_bytes(format!("data/01BLOCK/{name}"), bytes.clone());
    }
    let plan = plan(&set, &PlanOptions::default());
    let mut report = Accounting::default();
    let store = read_metrics(&set, &plan, &MetricsOptions::default(), &mut report);
    (store, report, set)
}

fn dump(store: &MetricsStore) -> String {
    let e = store.export(ExportOrder::LabelSet);
    let mut out = Vec::new();
    write_dump_all(&mut out, &e.series, &e.samples, &e.histograms).unwrap();
    String::from_utf8(out).unwrap()
}

/// (severity, file, message) of every message.
fn messages(report: &Accounting) -> Vec<(Severity, String, String)> {
    report
        .diagnostics
        .iter()
        .map(|d| (d.severity, d.path.clone(), d.message.clone()))
        .collect()
}

fn errors(report: &Accounting) -> Vec<String> {
    messages(report)
        .into_iter()
        .filter(|m| m.0 == Severity::Error)
        .map(|m| format!("{}: {}", m.1, m.2))
        .collect()
}

fn file_mut<'a>(files: &'a mut [(String, Vec<u8>)], name: &str) -> &'a mut Vec<u8> {
    &mut files.iter_mut().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn a_snapshot_block_holds_what_its_query_response_says() {
    let Some(root) = prometheus() else { return };
    let (block, base) = snapshot(&root);
    let files = block_files(&block);
    let (store, report, set) = read(&files);
    assert!(errors(&report).is_empty(), "{:?}", errors(&report));
    assert_eq!((store.series.len(), store.len()), (2434, 2434));
    // Every file of the block is read, the index's row speaks for the block.
    let p = plan(&set, &PlanOptions::default());
    assert!(
        p.files.iter().all(|f| f.status == FileStatus::Read),
        "{:?}",
        p.files
    );
    assert_eq!(p.blocks.len(), 1);
    assert_eq!(
        p.files[p.blocks[0].index].metrics,
        Some(MetricsFormat::TsdbBlock)
    );

    // The expected response of a query over the snapshot (VictoriaMetrics' import test):
    // the same series and samples for the same selector.
    let want = parse(
        MetricsFormat::PrometheusApi,
        &std::fs::read(base.join("expected_response.json")).unwrap(),
    );
    assert_eq!(want.samples(), 2);
    let mut store = store;
    store.retain(
        &Selector::parse(r#"vm_log_messages_total{location=~".*/opentsdb/server.go:(48|59)"}"#)
            .unwrap(),
    );
    let ours: Vec<String> = store
        .samples()
        .map(|(s, t, v)| {
            let s = &store.series[s as usize];
            format!("{}{:?} {t} {v}", s.name, s.labels)
        })
        .collect();
    let theirs: Vec<String> = (0..want.samples())
        .map(|i| {
            let s = &want.series[want.sample_series[i] as usize];
            format!(
                "{}{:?} {} {}",
                s.name, s.labels, want.sample_ts[i], want.sample_value[i]
            )
        })
        .collect();
    assert_eq!(ours, theirs);
}

#[test]
fn an_index_format_1_block_reads_whole() {
    let Some(root) = prometheus() else { return };
    let files = block_files(&v1_block(&root));
    let (store, report, _) = read(&files);
    assert!(report.diagnostics.is_empty(), "{:?}", messages(&report));
    let meta = tsdb::read_meta(&std::fs::read(v1_block(&root).join("meta.json")).unwrap()).unwrap();
    assert_eq!((meta.series, meta.samples), (102, 102));
    assert_eq!((store.series.len() as u64, store.len() as u64), (102, 102));
    // Series without a metric name: `{bar="0"}`.
    let d = dump(&store);
    assert!(
        d.starts_with("{bar=\"0\"} 0 0\n{bar=\"1\"} 0 0\n{bar=\"10\"} 0 0\n"),
        "{d}"
    );
}

#[test]
fn an_index_prometheus_2_1_mislabelled_is_read_as_format_2() {
    let Some(root) = prometheus() else { return };
    let dir =
        root.join("prometheus_repo/tsdb/testdata/repair_index_version/01BZJ9WJQPWHGNC2W4J9TA62KC");
    let files = block_files(&dir);
    let (store, report, _) = read(&files);
    assert!(errors(&report).is_empty(), "{:?}", errors(&report));
    assert!(
        messages(&report)
            .iter()
            .any(|m| m.2.contains("the index says format 1 but is format 2")),
        "{:?}",
        messages(&report)
    );
    let labels: Vec<_> = store.series.iter().map(|s| s.labels.clone()).collect();
    assert_eq!(
        labels,
        vec![
            vec![("a".to_string(), "1".to_string()), ("b".into(), "1".into())],
            vec![("a".to_string(), "2".to_string()), ("b".into(), "1".into())],
        ]
    );
}

/// Copies a block into a data directory promtool can open (it wants a `wal/`).
fn promtool_dump(block: &Path, name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("podsift-tsdb-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let into = dir.join(name);
    std::fs::create_dir_all(into.join("chunks")).unwrap();
    std::fs::create_dir_all(dir.join("wal")).unwrap();
    for (n, b) in block_files(block) {
        std::fs::write(into.join(&n), b).unwrap();
    }
    let out = Command::new("promtool")
        .args(["tsdb", "dump"])
        .arg(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn blocks_dump_byte_for_byte_as_promtool_dumps_them() {
    let Some(root) = prometheus() else { return };
    if !podsift_testgen::need::tool(
        &["promtool", "--version"],
        "promtool",
        "apt-get install prometheus (bash .ci/setup installs it)",
    ) {
        return;
    }
    let (snap, _) = snapshot(&root);
    for (block, ulid) in [
        (snap, "01JWS713P2E4MQW7T643GYGD69"),
        (v1_block(&root), "01DXXFZDYD1MQW6079WK0K6EDQ"),
    ] {
        let theirs = promtool_dump(&block, ulid);
        let (store, _, _) = read(&block_files(&block));
        let ours = dump(&store);
        assert!(!theirs.is_empty());
        assert!(ours == theirs, "{ulid}: dumps differ");
    }
}

/// The snapshot block's files, and its index read.
fn snapshot_files() -> Option<(Files, index::Index)> {
    let root = prometheus()?;
    let files = block_files(&snapshot(&root).0);
    let idx = index::read(&files.iter().find(|f| f.0 == "index").unwrap().1, false);
    Some((files, idx))
}

/// The text podsift gives series in messages.
fn series_text(s: &index::IndexSeries) -> String {
    let name = s
        .labels
        .iter()
        .find(|l| l.0 == "__name__")
        .unwrap()
        .1
        .clone();
    let rest: Vec<String> = s
        .labels
        .iter()
        .filter(|l| l.0 != "__name__")
        .map(|(k, v)| format!("{k}=\"{v}\""))
        .collect();
    format!("{name}{{{}}}", rest.join(","))
}

#[test]
fn a_flipped_byte_in_a_chunk_costs_that_chunk() {
    let Some((mut files, idx)) = snapshot_files() else {
        return;
    };
    let victim = &idx.series[100];
    let at = victim.chunks[0].offset() as usize;
    file_mut(&mut files, "chunks/000001")[at + 5] ^= 0x40;
    let (store, report, _) = read(&files);
    assert_eq!(store.len(), 2433);
    assert_eq!(
        errors(&report),
        vec![format!(
            "data/01BLOCK/chunks/000001: at byte {at}: chunk fails its checksum; chunk of {} skipped",
            series_text(victim)
        )]
    );
    assert_eq!(report.files.iter().map(|f| f.errors).sum::<u64>(), 1);
}

#[test]
fn a_cut_chunk_file_keeps_the_chunks_before_the_cut() {
    let Some((mut files, idx)) = snapshot_files() else {
        return;
    };
    // Cut inside the chunk of series 2000 (chunks are in series order).
    let at = idx.series[2000].chunks[0].offset() as usize;
    file_mut(&mut files, "chunks/000001").truncate(at + 3);
    let (store, report, _) = read(&files);
    assert_eq!(store.len(), 2000);
    let errs = errors(&report);
    // 434 chunks lost: 20 messages and a count of the rest.
    assert_eq!(errs.len(), 21, "{errs:?}");
    assert!(
        errs[0].contains(&format!("at byte {at}: a chunk of")),
        "{}",
        errs[0]
    );
    assert!(
        errs[0].contains("runs past the segment's end"),
        "{}",
        errs[0]
    );
    assert!(
        errs[20].ends_with("414 more damaged chunks in this file"),
        "{}",
        errs[20]
    );
}

#[test]
fn a_missing_chunk_file_is_named_with_what_it_held() {
    let Some((mut files, _)) = snapshot_files() else {
        return;
    };
    files.retain(|f| f.0 != "chunks/000001");
    let (store, report, _) = read(&files);
    assert_eq!((store.series.len(), store.len()), (2434, 0));
    assert_eq!(
        errors(&report),
        vec![
            "data/01BLOCK/index: refers to chunk segment 1 of the block (chunks/000001 when \
             numbered from 1), which is not there: 2434 chunks of 2434 series not read"
                .to_string()
        ]
    );
}

#[test]
fn a_flipped_byte_in_the_index_costs_one_series() {
    let Some((mut files, idx)) = snapshot_files() else {
        return;
    };
    let victim = &idx.series[7];
    let at = (victim.series_ref * 16) as usize;
    file_mut(&mut files, "index")[at + 2] ^= 0x01;
    let (store, report, _) = read(&files);
    assert_eq!((store.series.len(), store.len()), (2433, 2433));
    assert_eq!(
        errors(&report),
        vec![format!(
            "data/01BLOCK/index: at byte {at}: series entry fails its checksum; that series \
             (ref {}) is skipped",
            victim.series_ref
        )]
    );
}

#[test]
fn a_cut_index_loses_its_table_of_contents_and_says_so() {
    let Some((mut files, _)) = snapshot_files() else {
        return;
    };
    let index = file_mut(&mut files, "index");
    index.truncate(index.len() / 2);
    let (store, report, _) = read(&files);
    assert_eq!(store.len(), 0);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0]
            .contains("the table of contents at the end of the index is cut or fails its checksum"),
        "{errs:?}"
    );
}

/// Rewrites the encoding byte of the chunk at `at` and its checksum.
fn set_encoding(seg: &mut [u8], at: usize, encoding: u8) {
    let (len, n) = {
        let mut v = 0u64;
        let mut i = 0;
        loop {
            let b = seg[at + i];
            v |= u64::from(b & 0x7f) << (7 * i);
            i += 1;
            if b < 0x80 {
                break (v as usize, i);
            }
        }
    };
    let body = at + n..at + n + 1 + len;
    seg[body.start] = encoding;
    let crc = tsdb_crc(&seg[body.clone()]);
    seg[body.end..body.end + 4].copy_from_slice(&crc.to_be_bytes());
}

fn tsdb_crc(b: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &x in b {
        crc ^= u32::from(x);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn chunk_encodings_not_decoded_are_named_not_misread() {
    let Some((mut files, idx)) = snapshot_files() else {
        return;
    };
    let seg = file_mut(&mut files, "chunks/000001");
    set_encoding(seg, idx.series[3].chunks[0].offset() as usize, 5);
    set_encoding(seg, idx.series[4].chunks[0].offset() as usize, 4);
    set_encoding(seg, idx.series[5].chunks[0].offset() as usize, 77);
    let (store, report, _) = read(&files);
    assert_eq!(store.len(), 2431);
    let warnings: Vec<String> = messages(&report)
        .into_iter()
        .filter(|m| m.0 == Severity::Warning)
        .map(|m| m.2)
        .collect();
    assert_eq!(
        warnings,
        vec![
            "1 newer chunks (encoding XOR2) not read: podsift does not decode them yet",
            "1 newer chunks (encoding histogramST) not read: podsift does not decode them yet",
            "1 newer chunks (encoding unknown) not read: podsift does not decode them yet",
        ]
    );
}

#[test]
fn tombstones_delete_what_they_name() {
    let Some((mut files, idx)) = snapshot_files() else {
        return;
    };
    let victim = &idx.series[42];
    let t = victim.chunks[0].min_t;
    // magic, version, then (series ref, min, max) as varints, then the CRC of the entries.
    let mut entries = Vec::new();
    let mut uvarint = |mut v: u64| {
        while v >= 0x80 {
            entries.push(v as u8 | 0x80);
            v >>= 7;
        }
        entries.push(v as u8);
    };
    uvarint(victim.series_ref);
    let zig = |v: i64| ((v << 1) ^ (v >> 63)) as u64;
    uvarint(zig(t));
    uvarint(zig(t));
    let mut stones = vec![0x01, 0x30, 0xBA, 0x30, 1];
    stones.extend_from_slice(&entries);
    stones.extend_from_slice(&tsdb_crc(&entries).to_be_bytes());
    *file_mut(&mut files, "tombstones") = stones;
    let (store, report, set) = read(&files);
    assert!(report.diagnostics.is_empty(), "{:?}", messages(&report));
    assert_eq!(store.len(), 2433);
    let chunks = set
        .entries()
        .iter()
        .position(|e| e.path.ends_with("chunks/000001"))
        .unwrap();
    assert_eq!(
        report.files[chunks].time_note.as_deref(),
        Some("2434 chunks, 2433 samples, 1 deleted by tombstones")
    );
    // A damaged tombstones file is said, and nothing is deleted.
    file_mut(&mut files, "tombstones")[6] ^= 1;
    let (store, report, _) = read(&files);
    assert_eq!(store.len(), 2434);
    assert_eq!(
        errors(&report),
        vec!["data/01BLOCK/index: tombstones fail their checksum; no deletions applied"]
    );
}

/// Mutated blocks never panic, and whatever is read is counted.
#[test]
fn mutated_blocks_never_panic() {
    let Some((files, _)) = snapshot_files() else {
        return;
    };
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..60 {
        let mut f = files.clone();
        let k = (next() % f.len() as u64) as usize;
        let b = &mut f[k].1;
        if b.is_empty() {
            continue;
        }
        match round % 3 {
            0 => {
                for _ in 0..8 {
                    let i = (next() % b.len() as u64) as usize;
                    b[i] = next() as u8;
                }
            }
            1 => {
                let n = (next() % b.len() as u64) as usize;
                b.truncate(n);
            }
            _ => {
                let i = (next() % b.len() as u64) as usize;
                b.splice(i..i, (0..16).map(|_| next() as u8));
            }
        }
        let (store, _, _) = read(&f);
        assert!(store.len() <= 2434);
    }
}

/// testdata/prometheus: a real Prometheus's data directory (see its gen.sh).
fn prometheus_run() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/prometheus")
}

fn gunzip(p: &Path) -> String {
    use std::io::Read;
    let mut out = String::new();
    flate2::read::GzDecoder::new(&std::fs::read(p).unwrap()[..])
        .read_to_string(&mut out)
        .unwrap();
    out
}

fn read_dir_metrics(dir: &Path) -> (MetricsStore, Accounting) {
    let bundle = Bundle::open_paths(&[dir], &OpenOptions::default()).unwrap();
    let mut report = Accounting::default();
    let store = bundle.read_metrics(&MetricsOptions::default(), &mut report);
    (store, report)
}

/// A snapshot block written by Prometheus 2.42: its float series dump as promtool dumps them
/// (which leaves native histograms out).
#[test]
fn a_snapshot_of_a_real_prometheus_dumps_as_promtool_does() {
    let run = prometheus_run();
    let (store, report) = read_dir_metrics(&run.join("data/snapshots"));
    assert!(errors(&report).is_empty(), "{:?}", errors(&report));
    let e = store.export(ExportOrder::LabelSet);
    let mut out = Vec::new();
    podsift_core::metrics::write::write_dump(&mut out, &e.series, e.samples.into_iter()).unwrap();
    let theirs = gunzip(&run.join("dump-snapshot.txt.gz"));
    assert!(theirs.lines().count() > 2000);
    assert!(String::from_utf8(out).unwrap() == theirs, "dumps differ");
}

/// The native histograms in that block, sample by sample, equal what the scrape target served
/// (its observations put in buckets by serve.py; the scrape a sample came from is told by a
/// counter that counts scrapes).
#[test]
fn native_histograms_read_back_as_the_target_served_them() {
    let run = prometheus_run();
    let (store, _) = read_dir_metrics(&run.join("data/snapshots"));
    let scrape_of: std::collections::HashMap<i64, u64> = {
        let s = store
            .series
            .iter()
            .position(|s| {
                s.name == "demo_requests_total"
                    && s.label("code") == Some("200")
                    && s.label("method") == Some("GET")
            })
            .unwrap() as u32;
        store
            .samples()
            .filter(|x| x.0 == s)
            .map(|(_, t, v)| (t, v as u64))
            .collect()
    };
    let mut want = std::collections::HashMap::new();
    for line in gunzip(&run.join("histograms-expected.jsonl.gz")).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        want.insert(
            (
                v["scrape"].as_u64().unwrap(),
                v["path"].as_str().unwrap().to_string(),
            ),
            v,
        );
    }
    let buckets = |spans: &[(i32, u32)], counts: &[f64]| -> Vec<(i64, f64)> {
        let mut out = Vec::new();
        let mut idx = 0i64;
        let mut k = 0;
        for (n, &(offset, length)) in spans.iter().enumerate() {
            idx = if n == 0 {
                i64::from(offset)
            } else {
                idx + i64::from(offset)
            };
            for _ in 0..length {
                if counts[k] != 0.0 {
                    out.push((idx, counts[k]));
                }
                k += 1;
                idx += 1;
            }
        }
        out
    };
    let json_buckets = |v: &serde_json::Value| -> Vec<(i64, f64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_i64().unwrap(), p[1].as_f64().unwrap()))
            .collect()
    };
    assert_eq!(store.histograms.len(), 2 * scrape_of.len());
    let mut resets = 0;
    for (s, t, h) in &store.histograms {
        let series = &store.series[*s as usize];
        assert_eq!(series.name, "demo_latency_seconds");
        assert_eq!(
            store.families[series.family as usize].kind,
            podsift_core::metrics::MetricType::Histogram
        );
        let n = scrape_of[t];
        let w = &want[&(n, series.label("path").unwrap().to_string())];
        assert_eq!(h.schema, w["schema"].as_i64().unwrap() as i32, "scrape {n}");
        let float = |k: &str| w[k].as_str().unwrap().parse::<f64>().unwrap();
        assert_eq!(h.zero_threshold, float("zero_threshold"));
        assert_eq!(h.count, w["count"].as_f64().unwrap(), "scrape {n}");
        assert_eq!(h.sum, float("sum"), "scrape {n}");
        assert_eq!(
            h.zero_count,
            w["zero_count"].as_f64().unwrap(),
            "scrape {n}"
        );
        assert_eq!(
            buckets(&h.positive_spans, &h.positive),
            json_buckets(&w["positive"]),
            "scrape {n}"
        );
        assert_eq!(
            buckets(&h.negative_spans, &h.negative),
            json_buckets(&w["negative"]),
            "scrape {n}"
        );
        assert!(!h.float);
        resets += usize::from(n == 150);
    }
    // The target's counters reset on scrape 150; the block holds it.
    assert_eq!(resets, 2);
}

/// `--match` and `--since/--until` reach the block: only the chunks of the series asked for,
/// inside the range, are read (a damaged chunk of another series is never touched).
#[test]
fn a_selector_and_a_range_read_only_the_chunks_asked_for() {
    let Some((mut files, idx)) = snapshot_files() else {
        return;
    };
    // Damage every chunk but those of `up` series.
    let keep: Vec<usize> = idx
        .series
        .iter()
        .enumerate()
        .filter(|(_, s)| s.labels.iter().any(|l| l.0 == "__name__" && l.1 == "up"))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keep.len(), 3);
    let seg = file_mut(&mut files, "chunks/000001");
    for (k, s) in idx.series.iter().enumerate() {
        if !keep.contains(&k) {
            seg[s.chunks[0].offset() as usize + 3] ^= 0xff;
        }
    }
    let mut set = FileSet::new();
    for (name, bytes) in &files {
        set.add_bytes(format!("data/01BLOCK/{name}"), bytes.clone());
    }
    let plan = plan(&set, &PlanOptions::default());
    let read = |options: &MetricsOptions| {
        let mut report = Accounting::default();
        let store = read_metrics(&set, &plan, options, &mut report);
        (store, report)
    };
    let (store, report) = read(&MetricsOptions {
        select: Some(Selector::parse("up").unwrap()),
        ..MetricsOptions::default()
    });
    assert!(errors(&report).is_empty(), "{:?}", errors(&report));
    assert_eq!((store.series.len(), store.len()), (3, 3));
    // A range that ends before the samples: no chunk read, no sample.
    let t = idx.series[keep[0]].chunks[0].min_t;
    let (store, report) = read(&MetricsOptions {
        select: Some(Selector::parse("up").unwrap()),
        max_ts: Some(t - 1),
        ..MetricsOptions::default()
    });
    assert!(errors(&report).is_empty());
    assert_eq!(store.len(), 0);
    let (store, _) = read(&MetricsOptions {
        select: Some(Selector::parse("up").unwrap()),
        min_ts: Some(t),
        max_ts: Some(t),
        ..MetricsOptions::default()
    });
    assert!(store.samples().all(|x| x.1 == t));
    assert!(store.len() >= 1);
    // Without the selector, the damage is found.
    let (_, report) = read(&MetricsOptions::default());
    assert_eq!(errors(&report).len(), 21);
}
