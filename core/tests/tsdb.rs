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
use podsift_core::table::metrics::{
    ExportOrder, MetricsOptions, MetricsStore, read_metrics, write_dump,
};

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
    read_under("data/01BLOCK", files)
}

/// Reads `files` (paths inside the folder `dir`) into the metrics store.
fn read_under(dir: &str, files: &[(String, Vec<u8>)]) -> (MetricsStore, Accounting, FileSet) {
    let mut set = FileSet::new();
    for (name, bytes) in files {
        set.add_bytes(format!("{dir}/{name}"), bytes.clone());
    }
    let plan = plan(&set, &PlanOptions::default());
    let mut report = Accounting::default();
    let store = read_metrics(&set, &plan, &MetricsOptions::default(), &mut report);
    same_when_streamed(&set, &plan, &MetricsOptions::default(), &store, &report);
    (store, report, set)
}

/// `-o dump` of the storage written series by series (without the tables) gives the lines
/// the tables give, and the same accounting and messages.
fn same_when_streamed(
    set: &FileSet,
    plan: &podsift_core::sources::plan::Plan,
    options: &MetricsOptions,
    store: &MetricsStore,
    report: &Accounting,
) {
    same_as_streamed(store, report, |streamed, out| {
        write_dump(set, plan, options, streamed, out).unwrap()
    });
}

/// [`same_when_streamed`] with the dump written by `stream`.
fn same_as_streamed(
    store: &MetricsStore,
    report: &Accounting,
    stream: impl FnOnce(&mut Accounting, &mut Vec<u8>) -> usize,
) {
    let mut streamed = Accounting::default();
    let mut out = Vec::new();
    let files = stream(&mut streamed, &mut out);
    assert_eq!(files > 0, !store.files.is_empty());
    assert!(
        String::from_utf8(out).unwrap() == dump(store),
        "streamed dump differs"
    );
    let sorted = |r: &Accounting| {
        let mut m = messages(r);
        m.sort_by(|a, b| (&a.1, &a.2).cmp(&(&b.1, &b.2)));
        m
    };
    assert_eq!(sorted(&streamed), sorted(report));
    let rows = |r: &Accounting| {
        r.files
            .iter()
            .map(|f| {
                (
                    f.read,
                    f.entries,
                    f.errors,
                    f.first_ts,
                    f.last_ts,
                    f.time_note.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(rows(&streamed), rows(report));
    // Chunk files are read by batch of series, each part about once.
    for (s, t) in streamed.files.iter().zip(&report.files) {
        assert!(
            s.bytes <= t.bytes + t.bytes / 10 + 8192,
            "{} read, {} stored",
            s.bytes,
            t.bytes
        );
    }
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
fn series_text(idx: &index::Index, s: &index::IndexSeries) -> String {
    let labels = idx.labels(s);
    let name = labels.iter().find(|l| l.0 == "__name__").unwrap().1.clone();
    let rest: Vec<String> = labels
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
            series_text(&idx, victim)
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

/// Two blocks holding the same samples (blocks not yet compacted, a snapshot copied beside
/// its data directory) read as one: one sample per series and time, as Prometheus's querier
/// merges them; a different value at the same time is named, the first block's kept.
#[test]
fn overlapping_blocks_give_one_sample_per_time() {
    let Some((files, idx)) = snapshot_files() else {
        return;
    };
    let (one, _, _) = read(&files);
    let mut other = files.clone();
    // The one sample of series 7's chunk, its value's last bit flipped (the chunk's last byte
    // is the bit stream's padding), the checksum made anew.
    let seg = file_mut(&mut other, "chunks/000001");
    let at = idx.series[7].chunks[0].offset() as usize;
    let len = seg[at] as usize;
    assert!(len < 0x80);
    let body = at + 1..at + 2 + len;
    seg[body.end - 2] ^= 1;
    let crc = tsdb_crc(&seg[body.clone()]);
    seg[body.end..body.end + 4].copy_from_slice(&crc.to_be_bytes());
    let twice: Files = files
        .iter()
        .map(|(n, b)| (format!("01AAAAAAAAAAAAAAAAAAAAAAAA/{n}"), b.clone()))
        .chain(
            other
                .into_iter()
                .map(|(n, b)| (format!("01BBBBBBBBBBBBBBBBBBBBBBBB/{n}"), b)),
        )
        .collect();
    let (store, report, _) = read_under("data", &twice);
    assert!(dump(&store) == dump(&one));
    let found = messages(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    let (severity, path, message) = &found[0];
    assert_eq!(*severity, Severity::Warning);
    assert_eq!(path, "data/01BBBBBBBBBBBBBBBBBBBBBBBB/index");
    assert!(message.starts_with(&format!(
        "duplicate sample of {}",
        series_text(&idx, &idx.series[7])
    )));
    assert!(
        message.ends_with("kept from data/01AAAAAAAAAAAAAAAAAAAAAAAA/index): not counted twice")
    );
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
    for round in 0..60 {
        let mut f = files.clone();
        let k = (seed % f.len() as u64) as usize;
        mutate(&mut f[k].1, round, &mut seed, 8);
        let (store, _, _) = read(&f);
        assert!(store.len() <= 2434);
    }
}

/// Mutates `b` in round `round`'s way (bytes overwritten, cut, or inserted), from `seed`.
fn mutate(b: &mut Vec<u8>, round: usize, seed: &mut u64, bytes: usize) {
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    if b.is_empty() {
        return;
    }
    match round % 3 {
        0 => {
            for _ in 0..bytes {
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
            let new: Vec<u8> = (0..bytes * 2).map(|_| next() as u8).collect();
            b.splice(i..i, new);
        }
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
    same_as_streamed(&store, &report, |streamed, out| {
        let options = MetricsOptions::default();
        bundle.write_metrics_dump(&options, streamed, out).unwrap()
    });
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
/// counter that counts scrapes), the counter reset on the 150th scrape included.
#[test]
fn native_histograms_read_back_as_the_target_served_them() {
    let run = prometheus_run();
    let (store, _) = read_dir_metrics(&run.join("data/snapshots"));
    assert!(check_histograms(&store) > 300);
    for (s, _, h) in &store.histograms {
        let series = &store.series[*s as usize];
        assert_eq!(series.name, "demo_latency_seconds");
        assert_eq!(
            store.families[series.family as usize].kind,
            podsift_core::metrics::MetricType::Histogram
        );
        assert!(!h.float);
    }
    // The target's counters reset on its 150th scrape: the counts fall back once per series.
    let falls = store
        .histograms
        .windows(2)
        .filter(|w| w[0].0 == w[1].0 && w[1].2.count < w[0].2.count)
        .count();
    assert_eq!(falls, 2);
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
        .filter(|(_, s)| {
            idx.labels(s)
                .iter()
                .any(|l| l.0 == "__name__" && l.1 == "up")
        })
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
        same_when_streamed(&set, &plan, options, &store, &report);
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
    assert!(!store.is_empty());
    // Without the selector, the damage is found.
    let (_, report) = read(&MetricsOptions::default());
    assert_eq!(errors(&report).len(), 21);

    // In a large segment, only the part holding the chunks asked for is read: the same
    // samples as from the whole file.
    let Some((mut files, _)) = snapshot_files() else {
        return;
    };
    file_mut(&mut files, "chunks/000001").extend(std::iter::repeat_n(0u8, 4 << 20));
    let mut set = FileSet::new();
    for (name, bytes) in &files {
        set.add_bytes(format!("data/01BLOCK/{name}"), bytes.clone());
    }
    let big = podsift_core::sources::plan::plan(&set, &PlanOptions::default());
    let select = |sel: Option<&str>| {
        let mut report = Accounting::default();
        let options = MetricsOptions {
            select: sel.map(|s| Selector::parse(s).unwrap()),
            ..MetricsOptions::default()
        };
        let store = read_metrics(&set, &big, &options, &mut report);
        same_when_streamed(&set, &big, &options, &store, &report);
        assert!(errors(&report).is_empty(), "{:?}", errors(&report));
        let chunks = set
            .entries()
            .iter()
            .position(|e| e.path.ends_with("chunks/000001"))
            .unwrap();
        (dump(&store), report.files[chunks].bytes)
    };
    let (part, read_bytes) = select(Some(r#"{__name__=~"up|flag"}"#));
    let (whole, whole_bytes) = select(None);
    assert!(read_bytes < 200 * 1024, "{read_bytes} bytes read");
    assert!(whole_bytes > 4 << 20);
    let want: String = whole
        .lines()
        .filter(|l| l.contains("__name__=\"up\"") || l.contains("__name__=\"flag\""))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(want.lines().count() > 600);
    assert_eq!(part, want);
}

/// The native histograms of `store`, sample by sample, against what the scrape target served.
fn check_histograms(store: &MetricsStore) -> usize {
    let run = prometheus_run();
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
    for (s, t, h) in &store.histograms {
        let series = &store.series[*s as usize];
        let n = scrape_of[t];
        let w = &want[&(n, series.label("path").unwrap().to_string())];
        let float = |k: &str| w[k].as_str().unwrap().parse::<f64>().unwrap();
        assert_eq!(h.schema, w["schema"].as_i64().unwrap() as i32, "scrape {n}");
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
            json_buckets(&w["positive"])
        );
        assert_eq!(
            buckets(&h.negative_spans, &h.negative),
            json_buckets(&w["negative"])
        );
    }
    store.histograms.len()
}

/// The whole data directory (its WAL, Snappy-compressed by Prometheus, and the snapshot
/// block beside it): the float samples dump as promtool dumps the head, the native
/// histograms are what the target served, and the snapshot's copies are merged silently.
#[test]
fn a_data_directory_reads_its_wal_as_promtool_reads_the_head() {
    let run = prometheus_run();
    let (store, report) = read_dir_metrics(&run.join("data"));
    assert!(report.diagnostics.is_empty(), "{:?}", messages(&report));
    let e = store.export(ExportOrder::LabelSet);
    let mut out = Vec::new();
    podsift_core::metrics::write::write_dump(&mut out, &e.series, e.samples.into_iter()).unwrap();
    assert!(String::from_utf8(out).unwrap() == gunzip(&run.join("dump-head.txt.gz")));
    assert!(check_histograms(&store) > 400);
    let kind = |name: &str| {
        store
            .families
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.kind)
            .unwrap()
    };
    // Prometheus 2.42 writes no metadata records: types are what the samples show.
    use podsift_core::metrics::MetricType;
    assert_eq!(kind("demo_requests_total"), MetricType::Unknown);
    assert_eq!(kind("demo_latency_seconds"), MetricType::Histogram);
}

/// Native histograms in SQL: each `histograms` row is a `<name>_count` and a `<name>_sum`
/// sample of `histogram_floats`, with the histogram's count and sum.
#[test]
fn native_histograms_read_as_count_and_sum_floats_in_sql() {
    use podsift_core::bundle::ReadOptions;
    use podsift_core::ingest::Progress;
    use polars::prelude::DataType;
    let dir = prometheus_run().join("data/snapshots");
    let bundle = Bundle::open_paths(&[dir.as_path()], &OpenOptions::default()).unwrap();
    let tables = bundle
        .read(&ReadOptions::default(), &Progress::default())
        .unwrap();
    let one = |q: &str| -> f64 {
        let df = tables.sql(&bundle, q).unwrap();
        let c = df.get_columns()[0].cast(&DataType::Float64).unwrap();
        c.f64().unwrap().get(0).unwrap()
    };
    let histograms = one("SELECT COUNT(*) FROM histograms");
    assert_eq!(histograms, 400.0);
    assert_eq!(
        one("SELECT COUNT(*) FROM histogram_floats"),
        2.0 * histograms
    );
    assert_eq!(
        one("SELECT COUNT(*) FROM histogram_floats WHERE name = 'demo_latency_seconds_count'"),
        histograms
    );
    assert_eq!(
        one("SELECT SUM(value) FROM histogram_floats WHERE name LIKE '%_sum'"),
        one("SELECT SUM(sum) FROM histograms")
    );
    assert_eq!(
        one("SELECT MAX(value) FROM histogram_floats WHERE name LIKE '%_count'"),
        one("SELECT MAX(count) FROM histograms")
    );
    // The series' labels come along, for joins.
    assert_eq!(
        one("SELECT COUNT(*) FROM histogram_floats WHERE labels IS NULL"),
        0.0
    );
    assert_eq!(
        one("SELECT COUNT(DISTINCT series_id) FROM histogram_floats"),
        one("SELECT COUNT(DISTINCT series_id) FROM histograms")
    );
}

/// The WAL segment of testdata/prometheus, as a set of files of a data directory.
fn wal_files() -> Files {
    vec![(
        "wal/00000000".to_string(),
        std::fs::read(prometheus_run().join("data/wal/00000000")).unwrap(),
    )]
}

fn read_data(files: &[(String, Vec<u8>)]) -> (MetricsStore, Accounting, FileSet) {
    read_under("prom", files)
}

#[test]
fn a_wal_cut_in_its_last_record_keeps_everything_before_it() {
    let mut files = wal_files();
    let (whole, _, _) = read_data(&files);
    // Cut a third of the way into the data Prometheus wrote.
    let used = files[0].1.iter().rposition(|&b| b != 0).unwrap() + 1;
    files[0].1.truncate(used / 3);
    let (store, report, _) = read_data(&files);
    assert!(errors(&report).is_empty(), "{:?}", errors(&report));
    assert!(!store.is_empty() && store.len() < whole.len());
    assert!(
        report.files[0]
            .time_note
            .as_deref()
            .unwrap()
            .contains("its last record is cut off, as Prometheus leaves it"),
        "{:?}",
        report.files[0].time_note
    );
    // Every sample kept is one of the whole WAL's.
    let all: std::collections::HashSet<(String, i64)> = whole
        .samples()
        .map(|(s, t, _)| (format!("{:?}", whole.series[s as usize].labels), t))
        .collect();
    assert!(
        store
            .samples()
            .all(|(s, t, _)| all.contains(&(format!("{:?}", store.series[s as usize].labels), t)))
    );
}

#[test]
fn a_damaged_wal_record_costs_its_page_and_is_reported() {
    let mut files = wal_files();
    let (whole, _, _) = read_data(&files);
    // A byte inside the second page's first fragment.
    files[0].1[32 * 1024 + 20] ^= 0x55;
    let (store, report, _) = read_data(&files);
    let errs = errors(&report);
    assert!(!errs.is_empty());
    assert!(
        errs[0]
            .starts_with("prom/wal/00000000: at byte 32768: a record fragment fails its checksum"),
        "{errs:?}"
    );
    assert!(store.len() < whole.len() && store.len() > whole.len() / 3);
}

#[test]
fn samples_without_their_series_records_are_counted_and_named() {
    let mut files = wal_files();
    // The series records are in the first records: lose the first page.
    for b in &mut files[0].1[..32 * 1024] {
        *b = 0;
    }
    let (_, report, _) = read_data(&files);
    let errs = errors(&report);
    assert!(
        errs.iter()
            .any(|e| e.contains("series refs that no series record names")),
        "{errs:?}"
    );
}

#[test]
fn a_checkpoint_is_read_and_the_segments_it_covers_are_not() {
    let files = wal_files();
    let (whole, _, _) = read_data(&files);
    // The segment as checkpoint 00000000's only file, and the segment itself still there
    // (Prometheus deletes it after checkpointing; a copy taken meanwhile may hold both).
    let mut both = files.clone();
    both.push((
        "wal/checkpoint.00000000/00000000".into(),
        files[0].1.clone(),
    ));
    let (store, report, set) = read_data(&both);
    assert!(report.diagnostics.is_empty(), "{:?}", messages(&report));
    assert_eq!(store.len(), whole.len());
    let p = plan(&set, &PlanOptions::default());
    let seg = set
        .entries()
        .iter()
        .position(|e| e.path == "prom/wal/00000000")
        .unwrap();
    assert_eq!(
        p.files[seg].status,
        FileStatus::Skipped(
            "WAL segment 00000000: its records are in checkpoint 00000000, which Prometheus \
             reads instead"
                .into()
        )
    );
}

/// WAL records as Prometheus writes them, for what the real WAL does not hold.
mod wal_writer {
    pub(super) fn uvarint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    pub(super) fn varint(out: &mut Vec<u8>, v: i64) {
        uvarint(out, ((v << 1) ^ (v >> 63)) as u64);
    }
    pub(super) fn string(out: &mut Vec<u8>, s: &str) {
        uvarint(out, s.len() as u64);
        out.extend_from_slice(s.as_bytes());
    }
    pub(super) fn series(r: u64, labels: &[(&str, &str)]) -> Vec<u8> {
        let mut out = vec![1];
        out.extend_from_slice(&r.to_be_bytes());
        uvarint(&mut out, labels.len() as u64);
        for (k, v) in labels {
            string(&mut out, k);
            string(&mut out, v);
        }
        out
    }
    pub(super) fn samples(base: u64, t0: i64, rows: &[(i64, i64, f64)]) -> Vec<u8> {
        let mut out = vec![2];
        out.extend_from_slice(&base.to_be_bytes());
        out.extend_from_slice(&t0.to_be_bytes());
        for &(dr, dt, v) in rows {
            varint(&mut out, dr);
            varint(&mut out, dt);
            out.extend_from_slice(&v.to_bits().to_be_bytes());
        }
        out
    }
    /// Records into one segment's pages; `flags` per record (0x08 Snappy, 0x10 zstd: the
    /// record's bytes are given already compressed).
    pub(super) fn segment(records: &[(u8, Vec<u8>)]) -> Vec<u8> {
        const PAGE: usize = 32 * 1024;
        let mut out: Vec<u8> = Vec::new();
        for (flags, rec) in records {
            let mut rest = &rec[..];
            let mut first = true;
            loop {
                let in_page = PAGE - out.len() % PAGE;
                if in_page < 8 {
                    out.resize(out.len() + in_page, 0);
                    continue;
                }
                let n = rest.len().min(in_page - 7);
                let last = n == rest.len();
                let typ = match (first, last) {
                    (true, true) => 1,
                    (true, false) => 2,
                    (false, false) => 3,
                    (false, true) => 4,
                };
                out.push(typ | flags);
                out.extend_from_slice(&(n as u16).to_be_bytes());
                out.extend_from_slice(&super::tsdb_crc(&rest[..n]).to_be_bytes());
                out.extend_from_slice(&rest[..n]);
                rest = &rest[n..];
                first = false;
                if last {
                    break;
                }
            }
        }
        out
    }
}

#[test]
fn wal_records_of_every_kind_read_as_prometheus_writes_them() {
    use wal_writer::*;
    let mut recs: Vec<(u8, Vec<u8>)> = Vec::new();
    recs.push((0, series(7, &[("__name__", "jobs_total"), ("job", "a")])));
    recs.push((0, series(8, &[("__name__", "queue_latency"), ("job", "a")])));
    // Metadata: jobs_total is a counter with help.
    let mut meta = vec![6];
    uvarint(&mut meta, 7);
    meta.push(1);
    uvarint(&mut meta, 2);
    string(&mut meta, "UNIT");
    string(&mut meta, "");
    string(&mut meta, "HELP");
    string(&mut meta, "Jobs done.");
    recs.push((0, meta));
    // Samples: a record zstd-compressed, and one long enough to span pages.
    let zstd = ruzstd::encoding::compress_to_vec(
        &samples(7, 1000, &[(0, 0, 1.0), (0, 15, 2.0), (0, 30, 3.0)])[..],
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    recs.push((0x10, zstd));
    let many: Vec<(i64, i64, f64)> = (0..4000)
        .map(|i| (0, 45 + i * 15, 4.0 + i as f64))
        .collect();
    recs.push((0, samples(7, 1000, &many)));
    // A tombstone deleting the sample at 1015.
    let mut stone = vec![3];
    stone.extend_from_slice(&7u64.to_be_bytes());
    varint(&mut stone, 1015);
    varint(&mut stone, 1015);
    recs.push((0, stone));
    // An exemplar on jobs_total at 1030.
    let mut ex = vec![4];
    ex.extend_from_slice(&7u64.to_be_bytes());
    ex.extend_from_slice(&1030i64.to_be_bytes());
    varint(&mut ex, 0);
    varint(&mut ex, 0);
    ex.extend_from_slice(&0.5f64.to_bits().to_be_bytes());
    uvarint(&mut ex, 1);
    string(&mut ex, "trace_id");
    string(&mut ex, "abc");
    recs.push((0, ex));
    // A float native histogram with custom bounds (type 10).
    let mut h = vec![10];
    h.extend_from_slice(&8u64.to_be_bytes());
    h.extend_from_slice(&2000i64.to_be_bytes());
    varint(&mut h, 0);
    varint(&mut h, 0);
    h.push(3); // gauge
    varint(&mut h, -53);
    h.extend_from_slice(&0f64.to_bits().to_be_bytes());
    for v in [0.0f64, 4.5, 9.0] {
        h.extend_from_slice(&v.to_bits().to_be_bytes()); // zero count, count, sum
    }
    uvarint(&mut h, 1); // one positive span
    varint(&mut h, 0);
    uvarint(&mut h, 2);
    uvarint(&mut h, 0); // no negative spans
    uvarint(&mut h, 2);
    for v in [1.5f64, 3.0] {
        h.extend_from_slice(&v.to_bits().to_be_bytes());
    }
    uvarint(&mut h, 0);
    uvarint(&mut h, 1); // one custom bound
    h.extend_from_slice(&0.25f64.to_bits().to_be_bytes());
    recs.push((0, h));
    // A newer record type.
    recs.push((0, vec![11, 0, 0]));
    let seg = segment(&recs);
    assert!(seg.len() > 32 * 1024);
    let (store, report, _) = read_data(&[("wal/00000000".into(), seg)]);
    let jobs = store
        .series
        .iter()
        .position(|s| s.name == "jobs_total")
        .unwrap() as u32;
    let ts: Vec<i64> = store
        .samples()
        .filter(|x| x.0 == jobs)
        .map(|x| x.1)
        .collect();
    assert_eq!(ts.len(), 4002);
    assert_eq!(&ts[..3], &[1000, 1030, 1045]);
    let f = &store.families[store.series[jobs as usize].family as usize];
    assert_eq!(f.kind, podsift_core::metrics::MetricType::Counter);
    assert_eq!(f.help.as_deref(), Some("Jobs done."));
    assert_eq!(store.exemplars.len(), 1);
    assert_eq!(store.exemplars[0].1, 1030);
    assert_eq!(
        store.exemplars[0].2.labels,
        vec![("trace_id".into(), "abc".into())]
    );
    assert_eq!(store.histograms.len(), 1);
    let (_, t, h) = &store.histograms[0];
    assert_eq!(*t, 2000);
    assert!(h.float);
    assert_eq!((h.count, h.sum, h.schema), (4.5, 9.0, -53));
    assert_eq!(h.positive, vec![1.5, 3.0]);
    assert_eq!(h.custom_values, vec![0.25]);
    assert_eq!(
        messages(&report),
        vec![(
            Severity::Warning,
            "prom/wal/00000000".to_string(),
            "1 WAL records of type 11 (SamplesV2) not read: podsift does not decode them yet"
                .to_string()
        )]
    );
}

/// Series picked through an index's postings are exactly those a scan of every entry and the
/// selector pick, in index formats 1 and 2.
#[test]
fn postings_pick_the_series_a_scan_picks() {
    let Some(root) = prometheus() else { return };
    let snap = std::fs::read(snapshot(&root).0.join("index")).unwrap();
    let v1 = std::fs::read(v1_block(&root).join("index")).unwrap();
    let run = std::fs::read(
        std::fs::read_dir(prometheus_run().join("data/snapshots"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
            .read_dir()
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path()
            .join("index"),
    )
    .unwrap();
    let names = |idx: &index::Index| -> Vec<Vec<(String, String)>> {
        idx.series.iter().map(|s| idx.labels(s)).collect()
    };
    for (bytes, selectors) in [
        (
            &snap,
            &[
                "up",
                r#"{job="vmagent"}"#,
                r#"{__name__=~"vm_.*", job!="vmagent"}"#,
                r#"{__name__=~".+"}"#,
                r#"flag{name="bigMergeConcurrency"} "#,
                r#"{job="", instance=~".+"}"#,
                r#"{job=~"vm.*|none", instance=~".*:8429"}"#,
                r#"nothing_by_this_name"#,
            ][..],
        ),
        (
            &v1,
            &[
                r#"{bar="1"}"#,
                r#"{bar=~"1.*"}"#,
                r#"{bar!="1", bar=~".+"}"#,
            ][..],
        ),
        (&run, &["demo_latency_seconds", r#"{room=~"a|c"}"#][..]),
    ] {
        let whole = index::read(bytes, false);
        for text in selectors {
            let sel = Selector::parse(text).unwrap();
            let picked = index::read_matching(bytes, false, Some(&sel));
            assert!(picked.problems.is_empty(), "{text}: {:?}", picked.problems);
            let matches = |l: &Vec<(String, String)>| {
                let name = l
                    .iter()
                    .find(|x| x.0 == "__name__")
                    .map_or("", |x| x.1.as_str());
                let rest: Vec<(String, String)> =
                    l.iter().filter(|x| x.0 != "__name__").cloned().collect();
                sel.matches(name, &rest)
            };
            let want: Vec<_> = names(&whole).into_iter().filter(|l| matches(l)).collect();
            let got: Vec<_> = names(&picked).into_iter().filter(|l| matches(l)).collect();
            assert_eq!(got, want, "{text}");
            // Every valid selector needs some label in each group: postings were used, and
            // only the series they name were decoded.
            assert!(picked.by_postings, "{text}");
            assert!(picked.series.len() <= whole.series.len());
            // Read by range, the same series come out, and the series section is not read.
            let src = Ranges(bytes, std::cell::Cell::new(0));
            let ranged = index::read_selected(&src, false, &sel).unwrap();
            assert_eq!(names(&ranged), names(&picked), "{text}");
            assert_eq!(ranged.problems, picked.problems);
            let read = src.1.get() as usize;
            assert!(read <= bytes.len());
            if bytes.len() > 100_000 && picked.series.len() <= 3 {
                // The symbol table and the postings offset table, about a third of it.
                assert!(
                    read * 100 < bytes.len() * 35,
                    "{text}: {read} of {} bytes read",
                    bytes.len()
                );
            }
        }
    }
}

/// An index in memory read by range, counting the bytes read.
struct Ranges<'a>(&'a [u8], std::cell::Cell<u64>);

impl index::IndexRanges for Ranges<'_> {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }

    fn read(&self, at: u64, len: u64) -> Option<Vec<u8>> {
        let from = (at as usize).min(self.0.len());
        let to = (at.saturating_add(len) as usize).min(self.0.len());
        self.1.set(self.1.get() + (to - from) as u64);
        Some(self.0[from..to].to_vec())
    }
}

/// Mutated WAL segments never panic; what is read is never more than the WAL holds.
#[test]
fn mutated_wal_segments_never_panic() {
    let files = wal_files();
    let (whole, _, _) = read_data(&files);
    let mut seed = 0x1234_5678_9ABC_DEF1u64;
    for round in 0..60 {
        let mut f = files.clone();
        mutate(&mut f[0].1, round, &mut seed, 16);
        let (store, _, _) = read_data(&f);
        assert!(store.len() <= whole.len() + 64, "round {round}");
    }
}

/// The head's chunk file of the real Prometheus run: with only the WAL's series records to
/// name its series, its samples are WAL samples, value for value.
#[test]
fn head_chunk_files_hold_what_the_wal_holds() {
    use podsift_core::metrics::tsdb::{chunk, wal};
    let run = prometheus_run();
    let seg = std::fs::read(run.join("data/wal/00000000")).unwrap();
    let heads = std::fs::read(run.join("data/chunks_head/000001")).unwrap();
    let rows = |p: podsift_core::metrics::Parsed| -> std::collections::BTreeSet<String> {
        (0..p.samples())
            .map(|i| {
                let s = &p.series[p.sample_series[i] as usize];
                format!(
                    "{}{:?} {} {}",
                    s.name, s.labels, p.sample_ts[i], p.sample_value[i]
                )
            })
            .chain(p.histograms.iter().map(|(s, t, h)| {
                let s = &p.series[*s as usize];
                format!("{}{:?} {t} {}", s.name, s.labels, h.count)
            }))
            .collect()
    };
    let mut stats = wal::SegmentStats::default();
    let mut all = wal::Wal::default();
    let mut names_only = wal::Wal::default();
    wal::records(
        &seg,
        |_, rec| {
            let mut s = wal::SegmentStats::default();
            all.record(rec, &mut s).unwrap();
            if rec.first() == Some(&1) {
                names_only.record(rec, &mut s).unwrap();
            }
        },
        &mut stats,
    );
    assert!(stats.problems.is_empty());
    let mut from_chunks = 0;
    let (n, problems) = chunk::head_chunks(&heads, |r, enc, data| {
        from_chunks += names_only.head_chunk(r, enc, data).unwrap();
    });
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(n, 16);
    let wal_rows = rows(all.finish().0);
    let (parsed, orphans, _) = names_only.finish();
    assert!(orphans.is_empty());
    let chunk_rows = rows(parsed);
    assert_eq!(chunk_rows.len() as u64, from_chunks);
    assert!(from_chunks > 1000);
    assert!(chunk_rows.is_subset(&wal_rows));
}
