//! Mutated inputs through every parser and framing: nothing panics, and every line is still
//! accounted for (`lines = entries + joined` per file, or, for JSON documents and events, at
//! least one of them per line).

use podsift_core::formats::defined;
use podsift_core::formats::{EntryFormat, PayloadContext, PayloadParser};
use podsift_core::ingest::{Accounting, NoFilter, Progress};
use podsift_core::sources::FileSet;
use podsift_core::sources::plan::{FileRole, FileStatus, Framing, PlanOptions, plan};
use podsift_core::table::audit::read_audit;
use podsift_core::table::events::read_events;
use podsift_core::table::read_logs;
use podsift_core::timefmt::TimeFormat;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SPECIAL: &[u8] = b"{}[]\"\\=:<> \t\n\x00\xff\xc3,.-+Z0123456789IWEF|";

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(5) {
            0 if !b.is_empty() => {
                let i = rng.below(b.len());
                b[i] = SPECIAL[rng.below(SPECIAL.len())];
            }
            1 if !b.is_empty() => {
                let at = rng.below(b.len());
                b.truncate(at);
            }
            2 => {
                let i = rng.below(b.len() + 1);
                b.insert(i, SPECIAL[rng.below(SPECIAL.len())]);
            }
            3 if b.len() > 2 => {
                let i = rng.below(b.len() - 1);
                let j = i + rng.below(b.len() - i);
                let piece = b[i..j].to_vec();
                b.extend_from_slice(&piece);
            }
            _ => b.reverse(),
        }
    }
    b
}

fn seeds() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = vec![
        br#"{"level":"info","msg":"x","ts":1704110400.5,"nested":{"a":[1,2,{"b":null}]}}"#.to_vec(),
        br#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1704067201000000","MESSAGE":[104,105],"PRIORITY":"3","_SYSTEMD_UNIT":"kubelet.service"}"#.to_vec(),
        b"I0102 15:04:05.000000   1 main.go:10] \"hello\" data=<\n\tline\n > k=\"v\"".to_vec(),
        b"time=\"2024-01-01T00:00:00Z\" level=warning msg=\"a \\\"quoted\\\" word\" n=3".to_vec(),
        b"2024-01-02 03:04:05,678 ERROR [main] boom".to_vec(),
        br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a","stage":"ResponseComplete","verb":"get","user":{"username":"u","groups":["g"]},"responseStatus":{"code":200},"requestReceivedTimestamp":"2024-01-01T00:00:00Z","stageTimestamp":"2024-01-01T00:00:01Z"}"#.to_vec(),
        b"apiVersion: v1\nkind: EventList\nitems:\n- kind: Event\n  involvedObject: {kind: Pod, name: a}\n  reason: BackOff\n  count: 2\n".to_vec(),
    ];
    for f in defined::all() {
        for s in &f.def.samples {
            v.push(s.line.as_bytes().to_vec());
        }
    }
    v
}

#[test]
fn payload_parsers_survive_mutations() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let seeds = seeds();
    let mut p = PayloadParser::default();
    let formats = EntryFormat::all();
    let layouts: Vec<TimeFormat> = [
        "auto",
        "%b %e %H:%M:%S%.f",
        "%d/%b/%Y:%H:%M:%S %z",
        "%s",
        "%Y-%m-%dT%H:%M:%S%z",
    ]
    .iter()
    .map(|l| TimeFormat::parse(l).unwrap())
    .collect();
    for round in 0..40_000 {
        let input = mutate(&mut rng, &seeds[round % seeds.len()]);
        let ctx = PayloadContext {
            runtime_ts_nanos: [
                None,
                Some(1_704_067_200_000_000_000),
                Some(i64::MAX),
                Some(i64::MIN),
            ][round % 4],
            want_fields: round % 2 == 0,
            want_app_ts: round % 3 != 0,
            may_have_newlines: true,
        };
        let info = p.parse(&input, ctx);
        assert!(info.format.as_str() != "unknown");
        let f = formats[round % formats.len()];
        let _ = p.parse_as(f, &input, ctx, round % 2 == 0);
        for l in &layouts {
            let _ = l.read(&input, ctx.runtime_ts_nanos);
        }
    }
}

#[test]
fn framings_and_tables_survive_mutations_and_account_for_every_line() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let seeds = seeds();
    for round in 0..300 {
        let mut set = FileSet::new();
        // A plain log, a JSON-documents file, a journal export, an audit log, an events file,
        // and a container log, each built from mutated seeds.
        let mut plain = Vec::new();
        let mut cri = Vec::new();
        for _ in 0..1 + rng.below(12) {
            let pick = rng.below(seeds.len());
            let line = mutate(&mut rng, &seeds[pick]);
            plain.extend_from_slice(&line);
            plain.push(b'\n');
            cri.extend_from_slice(b"2024-01-01T00:00:00.000000000Z stdout ");
            cri.extend_from_slice(if rng.below(3) == 0 { b"P " } else { b"F " });
            cri.extend_from_slice(
                &line
                    .iter()
                    .map(|&c| if c == b'\n' { b' ' } else { c })
                    .collect::<Vec<_>>(),
            );
            cri.push(b'\n');
        }
        set.add_bytes(format!("r{round}/app.log"), plain);
        set.add_bytes(
            format!("r{round}/pods/ns_pod_0d5ad0a5-6b8a-4a3a-9c51-2f7e3c1b8a11/c/0.log"),
            cri,
        );
        let docs = mutate(&mut rng, b"[\n{\n \"MESSAGE\": \"a\",\n \"__REALTIME_TIMESTAMP\": \"1\"\n},\n{\"MESSAGE\": \"b\\n\", \"_HOSTNAME\": \"h\"}\n]\n");
        set.add_bytes(format!("r{round}/journal.json"), docs);
        let mut export = b"__CURSOR=s=1\n__REALTIME_TIMESTAMP=1704067201000000\nMESSAGE\n".to_vec();
        export.extend_from_slice(&(rng.below(40) as u64).to_le_bytes());
        export.extend_from_slice(&mutate(
            &mut rng,
            b"binary\nvalue\n\nPRIORITY=3\n\n__CURSOR=s=2\nMESSAGE=x\n",
        ));
        set.add_bytes(format!("r{round}/journal.export"), export);
        set.add_bytes(format!("r{round}/audit.log"), mutate(&mut rng, &seeds[5]));
        set.add_bytes(format!("r{round}/events.yaml"), mutate(&mut rng, &seeds[6]));

        let p = plan(&set, &PlanOptions::default());
        let (_, mut report) = read_logs(&set, &p, &NoFilter, &Progress::default()).unwrap();
        read_audit(&set, &p, &mut report).unwrap();
        read_events(&set, &p, &mut report).unwrap();
        check_accounting(&set, &p, &report);
    }
}

fn check_accounting(set: &FileSet, p: &podsift_core::sources::plan::Plan, report: &Accounting) {
    for (i, f) in report.files.iter().enumerate() {
        if !f.read {
            continue;
        }
        let path = &set.entries()[i].path;
        let docs = p.files[i]
            .instance
            .is_some_and(|n| p.instances[n].framing == Framing::JsonDocs);
        if docs || p.files[i].role == FileRole::Events {
            // Several records may share a line.
            assert!(f.entries + f.joined >= f.lines, "{path}: {f:?}");
        } else {
            assert_eq!(f.lines, f.entries + f.joined, "{path}: {f:?}");
        }
    }
}

#[test]
fn mutated_metrics_never_panic_and_lines_are_accounted_for() {
    use podsift_core::metrics::expo::{Dialect, parse as parse_expo};
    use podsift_core::metrics::{MetricsFormat, parse};
    let seeds: &[(MetricsFormat, &[u8])] = &[
        (
            MetricsFormat::Exposition,
            b"# HELP a_seconds x\n# TYPE a_seconds histogram\n# UNIT a_seconds seconds\na_seconds_bucket{le=\"1\",x=\"y # z\"} 1 1.5 # {t=\"1\"} 0.5 1.2\na_seconds_bucket{le=\"+Inf\"} 2\na_seconds_count 2\na_seconds_sum 1\n# EOF\n",
        ),
        (
            MetricsFormat::Exposition,
            b"# TYPE up gauge\nup{job=\"a\",instance=\"b\\\"c\\n\"} 1 1700000000000\n{__name__=\"m\", a=\"b\"} NaN 5\n  name {x=\"y\",} +Inf\n",
        ),
        (
            MetricsFormat::PrometheusApi,
            br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up"},"values":[[1,"1"],[2,"NaN"]]}]}}"#,
        ),
        (
            MetricsFormat::VictoriaJson,
            b"{\"metric\":{\"__name__\":\"up\"},\"values\":[1,2],\"timestamps\":[1,2]}\n{\"metric\":{},\"values\":[],\"timestamps\":[]}\n",
        ),
        (
            MetricsFormat::Influx,
            b"# DML\ncpu,host=a u=1,v=2i,s=\"x y\" 1465839830100400200\nmem f=t\n",
        ),
        (
            MetricsFormat::KubectlTop,
            b"NAME  CPU(cores)  CPU%  MEMORY(bytes)  MEMORY%\nn1    100m        5%    1Gi            50%\n",
        ),
        (
            MetricsFormat::VictoriaCsv,
            b"__name__,__value__,__timestamp__:unix_ms,job\nup,1,1,\"a,b\"\n",
        ),
        (
            MetricsFormat::MetricsApi,
            b"kind: PodMetricsList\napiVersion: metrics.k8s.io/v1beta1\nitems:\n- metadata: {name: p, namespace: n}\n  timestamp: 2024-01-01T00:00:00Z\n  containers: [{name: c, usage: {cpu: 1m, memory: 1Ki}}]\n",
        ),
    ];
    let mut rng = Rng(0x5eed_0006);
    for (format, seed) in seeds {
        for _ in 0..400 {
            let input = mutate(&mut rng, seed);
            let lines = podsift_core::metrics::count_lines(&input);
            for p in [
                parse(*format, &input),
                parse_expo(&input, Dialect::OpenMetrics),
                parse_expo(&input, Dialect::Text),
            ] {
                assert!(
                    p.sample_series
                        .iter()
                        .all(|&s| (s as usize) < p.series.len())
                );
                assert_eq!(p.sample_ts.len(), p.samples());
                if *format == MetricsFormat::Exposition || p.format.is_none() {
                    // One line holds at most one sample.
                    assert_eq!(
                        p.samples() as u64 + p.other_lines + p.unparsed,
                        lines,
                        "{format:?} {:?}",
                        String::from_utf8_lossy(&input)
                    );
                } else {
                    assert!(p.other_lines + p.unparsed <= lines.max(p.lines));
                }
            }
        }
    }
}

/// A compressed log of `lines` lines, cut at two thirds of its bytes, keeps the lines that
/// decode before the cut (and says where it stopped), as `gunzip` and `xz -dc` do.
fn assert_cut_file_keeps_its_first_lines(name: &str, compressed: &[u8], lines: usize) {
    let mut set = FileSet::new();
    set.add_bytes(
        format!("/in/{name}"),
        compressed[..compressed.len() * 2 / 3].to_vec(),
    );
    let p = plan(&set, &PlanOptions::default());
    assert_eq!(
        p.files[0].role,
        FileRole::Text,
        "{name}: {:?}",
        p.files[0].status
    );
    let (logs, report) = read_logs(&set, &p, &NoFilter, &Progress::default()).unwrap();
    let kept = logs.height();
    assert!(kept > lines / 4 && kept < lines, "{name}: {kept}");
    let f = &report.files[0];
    assert_eq!(f.lines, f.entries + f.joined);
    assert_eq!(f.errors, 1);
    assert!(
        report
            .diagnostics
            .iter()
            .any(|d| d.to_string().contains("cut short after line")),
        "{name}: {:?}",
        report.diagnostics
    );
}

fn log_text(lines: usize) -> String {
    (1..=lines)
        .map(|i| format!("2024-01-01T00:00:00Z INFO line {i} with some words to compress\n"))
        .collect()
}

/// A small `.gz` log cut short keeps the lines that decode before the cut (its head used to
/// fail as a whole, and the file was skipped with every line lost).
#[test]
fn a_cut_small_gzip_file_keeps_its_first_lines() {
    use std::io::Write;
    let text = log_text(200);
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text.as_bytes()).unwrap();
    assert_cut_file_keeps_its_first_lines("app.log.gz", &e.finish().unwrap(), 200);
}

/// A small `.zst` or `.bz2` log cut inside its first block has nothing that decodes (`zstd -d`
/// and `bzip2 -d` give nothing either): skipped, saying so in words, not with the decoder's
/// internal error alone. A small `.xz` cut inside its first chunk keeps the lines that decode
/// before the cut, as `xz -dc` does.
#[test]
fn a_cut_small_block_compressed_file_keeps_what_decodes_or_says_why_not() {
    use std::io::Write;
    let text = log_text(400);
    let zst = ruzstd::encoding::compress_to_vec(
        text.as_bytes(),
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    e.write_all(text.as_bytes()).unwrap();
    let bz2 = e.finish().unwrap();
    for (name, bytes, format) in [("app.log.zst", zst, "zstd"), ("app.log.bz2", bz2, "bzip2")] {
        let mut set = FileSet::new();
        set.add_bytes(format!("/in/{name}"), bytes[..bytes.len() * 2 / 3].to_vec());
        let p = plan(&set, &PlanOptions::default());
        let FileStatus::Skipped(why) = &p.files[0].status else {
            panic!("{name}: {:?}", p.files[0].status);
        };
        assert!(
            why.starts_with(&format!(
                "cannot read: {format} data cut short or damaged inside its first block"
            )),
            "{name}: {why}"
        );
    }
    let mut w = lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
    w.write_all(text.as_bytes()).unwrap();
    assert_cut_file_keeps_its_first_lines("app.log.xz", &w.finish().unwrap(), 400);
}
