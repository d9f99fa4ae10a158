//! End-to-end tests of the `podsift` binary: generated trees with known truth, the shipped
//! sample, real data written by others, and broken input.

mod common;
use common::duckdb;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A temporary folder, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("podsift-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn podsift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_podsift"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("podsift runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn ndjson(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

const UID: &str = "0d5ad0a5-6b8a-4a3a-9c51-2f7e3c1b8a11";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn realdata() -> PathBuf {
    let p = std::env::var_os("PODSIFT_REALDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/realdata"));
    assert!(
        p.is_dir(),
        "real data not found at {} (set PODSIFT_REALDATA)",
        p.display()
    );
    p
}

/// Per instance and level, as `stats` reports them, keyed like the generator's truth.
fn stats_by_instance(root: &Path) -> BTreeMap<String, BTreeMap<String, u64>> {
    let out = podsift(&[
        "stats",
        root.to_str().unwrap(),
        "--by",
        "node,namespace,pod,container,restart,level",
        "-o",
        "json",
    ]);
    let mut got: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for r in ndjson(&out) {
        let key = format!(
            "{}/{}/{}/{}/{}",
            r["node"].as_str().unwrap(),
            r["namespace"].as_str().unwrap(),
            r["pod"].as_str().unwrap(),
            r["container"].as_str().unwrap(),
            r["restart"]
        );
        got.entry(key)
            .or_default()
            .insert(r["level"].as_str().unwrap().to_string(), u(&r["entries"]));
    }
    got
}

#[test]
fn generated_tree_matches_its_truth() {
    let dir = TempDir::new("truth");
    let truth = podsift_testgen::generate(dir.path(), &podsift_testgen::Spec::small(11)).unwrap();
    assert!(
        truth.unparsed > 0 && truth.joined > 0 && truth.duplicates > 0,
        "the spec plants all cases"
    );
    let want: BTreeMap<String, BTreeMap<String, u64>> = truth
        .instances
        .iter()
        .map(|(k, v)| (k.clone(), v.levels.clone()))
        .collect();
    assert_eq!(stats_by_instance(dir.path()), want);

    // sources: every line accounted for, duplicates not read, totals equal the truth.
    let out = podsift(&["sources", dir.path().to_str().unwrap(), "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "planted unparsed lines give exit code 1"
    );
    let rows = ndjson(&out);
    let read: Vec<&Value> = rows.iter().filter(|r| r["status"] == "read").collect();
    let sum = |k: &str| read.iter().map(|r| u(&r[k])).sum::<u64>();
    assert_eq!(sum("lines"), truth.lines);
    assert_eq!(sum("entries"), truth.entries);
    assert_eq!(sum("joined"), truth.joined);
    assert_eq!(sum("unparsed"), truth.unparsed);
    assert_eq!(
        rows.iter().filter(|r| r["status"] == "duplicate").count() as u64,
        truth.duplicates
    );
    for r in &read {
        assert_eq!(
            u(&r["lines"]),
            u(&r["entries"]) + u(&r["joined"]),
            "{}",
            r["file"]
        );
    }
    let files: u64 = truth.instances.values().map(|i| i.files).sum();
    assert_eq!(read.len() as u64, files);
    // Each unparsed line is reported with its file and line.
    let err = stderr(&out);
    assert_eq!(
        err.matches("unparsed line kept as is").count() as u64,
        truth.unparsed
    );
    assert!(
        err.contains(&format!("{} unparsed lines", truth.unparsed)),
        "{err}"
    );
}

#[test]
fn shipped_sample_matches_its_truth_and_generator() {
    let sample = repo().join("testdata/sample");
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("testdata/sample.truth.json")).unwrap(),
    )
    .unwrap();
    let want: BTreeMap<String, BTreeMap<String, u64>> = truth["instances"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v["levels"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(l, n)| (l.clone(), u(n)))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(stats_by_instance(&sample), want);
    let out = podsift(&[
        "stats",
        sample.to_str().unwrap(),
        "--by",
        "namespace,pod,level",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // The generator still writes exactly the shipped sample.
    let dir = TempDir::new("sample");
    podsift_testgen::generate(dir.path(), &podsift_testgen::Spec::sample()).unwrap();
    let listing = |root: &Path| -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                let p = e.path();
                let meta = std::fs::symlink_metadata(&p).unwrap();
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                if meta.is_dir() {
                    stack.push(p);
                } else if meta.file_type().is_symlink() {
                    out.insert(
                        rel,
                        std::fs::read_link(&p)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned()
                            .into_bytes(),
                    );
                } else {
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
        out
    };
    assert!(
        listing(dir.path()) == listing(&sample),
        "testdata/sample differs from `podsift-testgen testdata/sample --sample`"
    );
}

#[test]
fn logs_are_one_stream_in_time_order() {
    let dir = TempDir::new("order");
    podsift_testgen::generate(dir.path(), &podsift_testgen::Spec::small(3)).unwrap();
    let out = podsift(&["logs", dir.path().to_str().unwrap(), "-o", "json"]);
    let rows = ndjson(&out);
    assert!(rows.len() > 1000);
    let ts: Vec<&str> = rows.iter().map(|r| r["ts"].as_str().unwrap()).collect();
    assert!(ts.windows(2).all(|w| w[0] <= w[1]), "not in time order");
    // Every column is there.
    for c in [
        "ts",
        "node",
        "namespace",
        "pod",
        "pod_uid",
        "container",
        "restart",
        "stream",
        "level",
        "level_raw",
        "format",
        "message",
        "app_ts",
        "fields",
        "source",
        "source_id",
        "line",
        "joined",
        "partial",
        "truncated",
    ] {
        assert!(rows[0].get(c).is_some(), "missing column {c}");
    }
    // The same query twice gives the same bytes.
    assert_eq!(
        stdout(&podsift(&[
            "logs",
            dir.path().to_str().unwrap(),
            "-o",
            "json"
        ])),
        stdout(&out)
    );

    // --tail keeps the last N per container.
    let tail = ndjson(&podsift(&[
        "logs",
        dir.path().to_str().unwrap(),
        "--tail",
        "2",
        "-o",
        "json",
    ]));
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for r in &tail {
        *per.entry(format!(
            "{}/{}/{}",
            r["namespace"], r["pod"], r["container"]
        ))
        .or_default() += 1;
    }
    assert!(per.values().all(|&n| n == 2), "{per:?}");
    let last_ts_per_container = |rows: &[Value]| -> BTreeMap<String, String> {
        rows.iter()
            .map(|r| {
                (
                    format!("{}/{}/{}", r["namespace"], r["pod"], r["container"]),
                    r["ts"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(last_ts_per_container(&tail), last_ts_per_container(&rows));
}

#[test]
fn filters_select_what_stern_would() {
    let dir = TempDir::new("filters");
    let line = |t: u32, l: &str| format!("2024-01-01T00:00:{t:02}Z stdout F {l}\n");
    dir.write(
        &format!("n1/pods/prod_api-7_{UID}/app/0.log"),
        (line(1, "INFO start") + &line(2, "ERROR boom id=7") + &line(50, "WARN slow")).as_bytes(),
    );
    dir.write(
        &format!("n1/pods/prod_api-7_{UID}/istio-proxy/0.log"),
        line(3, "ERROR envoy").as_bytes(),
    );
    dir.write(
        &format!("n1/pods/dev_web-1_{UID}/app/0.log"),
        (line(4, r#"{"level":"error","user":"bob"}"#)
            + &line(5, r#"{"level":"info","user":"amy"}"#))
            .as_bytes(),
    );
    let root = dir.path().to_str().unwrap();
    let msgs = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["logs", root];
        a.extend_from_slice(args);
        a.extend_from_slice(&["-o", "json"]);
        ndjson(&podsift(&a))
            .iter()
            .map(|r| r["message"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        msgs(&["api"]),
        ["INFO start", "ERROR boom id=7", "ERROR envoy", "WARN slow"]
    );
    assert_eq!(
        msgs(&["--pod", "^api", "--exclude-container", "istio"]),
        ["INFO start", "ERROR boom id=7", "WARN slow"]
    );
    assert_eq!(msgs(&["-n", "dev"]).len(), 2);
    assert_eq!(
        msgs(&["--level", "error"]),
        [
            "ERROR boom id=7",
            "ERROR envoy",
            r#"{"level":"error","user":"bob"}"#
        ]
    );
    assert_eq!(
        msgs(&["--level", "warn+", "-e", "envoy"]),
        [
            "ERROR boom id=7",
            r#"{"level":"error","user":"bob"}"#,
            "WARN slow"
        ]
    );
    assert_eq!(msgs(&["-i", "boom|slow"]), ["ERROR boom id=7", "WARN slow"]);
    assert_eq!(
        msgs(&["--field", "user=amy"]),
        [r#"{"level":"info","user":"amy"}"#]
    );
    // Relative times count back from the last entry (00:00:50).
    assert_eq!(msgs(&["--since", "10s"]), ["WARN slow"]);
    assert_eq!(
        msgs(&[
            "--since",
            "2024-01-01T00:00:04Z",
            "--until",
            "2024-01-01T00:00:05Z"
        ])
        .len(),
        2
    );
    // Text output: pod, container, message; timestamps on request; namespace shown when
    // there is more than one.
    let text = stdout(&podsift(&["logs", root, "--pod", "web", "-t"]));
    assert_eq!(
        text.lines().next().unwrap(),
        r#"2024-01-01T00:00:04.000000000Z web-1 app {"level":"error","user":"bob"}"#
    );
    let text = stdout(&podsift(&["logs", root, "-l", "warn"]));
    assert_eq!(
        text, "api-7 app WARN slow\n",
        "one namespace in the output: no prefix"
    );
    // Colour only when asked (stdout is not a terminal here).
    assert!(!stdout(&podsift(&["logs", root])).contains('\x1b'));
    assert!(stdout(&podsift(&["logs", root, "--color", "always"])).contains("\x1b["));
}

#[test]
fn stats_group_by_time_buckets_and_fields() {
    let dir = TempDir::new("stats");
    let body: String = (0..6)
        .map(|i| {
            format!(
                "2024-01-01T00:0{i}:30Z stdout F {{\"level\":\"{}\",\"code\":\"{}\"}}\n",
                if i % 2 == 0 { "info" } else { "error" },
                200 + i % 3
            )
        })
        .collect();
    dir.write(&format!("n/pods/a_b_{UID}/c/0.log"), body.as_bytes());
    let root = dir.path().to_str().unwrap();
    let rows = ndjson(&podsift(&[
        "stats", root, "--by", "level", "--every", "2m", "-o", "json",
    ]));
    let got: Vec<(String, String, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["bucket"].as_str().unwrap()[11..16].to_string(),
                r["level"].as_str().unwrap().to_string(),
                u(&r["entries"]),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("00:00".into(), "info".into(), 1),
            ("00:00".into(), "error".into(), 1),
            ("00:02".into(), "info".into(), 1),
            ("00:02".into(), "error".into(), 1),
            ("00:04".into(), "info".into(), 1),
            ("00:04".into(), "error".into(), 1)
        ]
    );
    let rows = ndjson(&podsift(&[
        "stats",
        root,
        "--by",
        "field.code",
        "-o",
        "json",
    ]));
    let got: Vec<(String, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["field.code"].as_str().unwrap().to_string(),
                u(&r["entries"]),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("200".into(), 2), ("201".into(), 2), ("202".into(), 2)]
    );
    let csv = stdout(&podsift(&["stats", root, "--by", "pod", "-o", "csv"]));
    assert_eq!(csv, "pod,entries,bytes\r\nb,6,177\r\n");
}

#[test]
fn sql_over_logs_sources_and_fields() {
    let sample = repo().join("testdata/sample");
    let s = sample.to_str().unwrap();
    let out = podsift(&[
        "sql",
        s,
        "SELECT level, count(*) AS n FROM logs GROUP BY level ORDER BY n DESC, level",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = ndjson(&out);
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("testdata/sample.truth.json")).unwrap(),
    )
    .unwrap();
    for r in &rows {
        assert_eq!(r["n"], truth["levels"][r["level"].as_str().unwrap()], "{r}");
    }
    let out = podsift(&[
        "sql",
        s,
        "SELECT count(*) AS n FROM sources WHERE status = 'duplicate'",
        "-o",
        "csv",
    ]);
    assert_eq!(stdout(&out), format!("n\r\n{}\r\n", truth["duplicates"]));
    let out = podsift(&[
        "sql",
        s,
        "SELECT count(DISTINCT key) AS keys FROM fields WHERE key = 'request_id'",
        "-o",
        "csv",
    ]);
    assert_eq!(stdout(&out), "keys\r\n1\r\n", "{}", stderr(&out));
    let bad = podsift(&["sql", s, "SELECT nope FROM logs"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("SQL query failed"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn arrow_output_reads_back() {
    let sample = repo().join("testdata/sample");
    let out = podsift(&[
        "logs",
        sample.to_str().unwrap(),
        "--level",
        "error",
        "-o",
        "arrow",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let reader =
        arrow::ipc::reader::FileReader::try_new(std::io::Cursor::new(out.stdout), None).unwrap();
    let schema = reader.schema();
    assert_eq!(schema.fields().len(), podsift_core::schema::logs::ALL.len());
    assert!(
        matches!(schema.field_with_name("ts").unwrap().data_type(), arrow::datatypes::DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, Some(tz)) if tz.as_ref() == "UTC")
    );
    let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("testdata/sample.truth.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(rows as u64, u(&truth["levels"]["error"]));
}

#[test]
fn parquet_output_reads_back_in_duckdb() {
    let sample = repo().join("testdata/sample");
    let dir = TempDir::new("parquet");
    let out = podsift(&["logs", sample.to_str().unwrap(), "-o", "parquet"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let file = dir.path().join("logs.parquet");
    std::fs::write(&file, &out.stdout).unwrap();
    let json = podsift(&["logs", sample.to_str().unwrap(), "-o", "json"]);
    let rows: Vec<Value> = stdout(&json)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let f = file.display();
    // Every row, per level, as the NDJSON output has them.
    let by_level = duckdb(&format!(
        "SELECT level::VARCHAR, count(*) FROM '{f}' GROUP BY 1 ORDER BY 1"
    ));
    let mut want: std::collections::BTreeMap<String, usize> = Default::default();
    for r in &rows {
        *want
            .entry(r["level"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let want: String = want.iter().map(|(l, n)| format!("{l}\t{n}\n")).collect();
    assert_eq!(by_level, want);
    // Times keep their zone and nanoseconds; messages and structured fields survive.
    let first = duckdb(&format!(
        "SELECT strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%nZ'), pod::VARCHAR, message, len(fields) \
         FROM '{f}' ORDER BY ts, source_id, line LIMIT 1"
    ));
    let r = &rows[0];
    let cols: Vec<&str> = first.trim_end_matches('\n').split('\t').collect();
    assert_eq!(cols[0], r["ts"].as_str().unwrap());
    assert_eq!(cols[1], r["pod"].as_str().unwrap_or("None"));
    assert_eq!(cols[2], r["message"].as_str().unwrap());
    assert_eq!(
        cols[3].parse::<usize>().unwrap(),
        r["fields"].as_object().map_or(0, |o| o.len())
    );
}

#[test]
fn links_and_copies_in_containers_are_read_once() {
    let dir = TempDir::new("links");
    let body = b"2024-01-01T00:00:00Z stdout F one\n2024-01-01T00:00:01Z stdout F two\n";
    let id = "169fdd862df8b8c312648ea6e279ce4ce2cb287cf1365d3982f0db06c26b2419";
    dir.write(
        &format!("node1/pods/kube-system_coredns-1_{UID}/coredns/0.log"),
        body,
    );
    dir.write(
        &format!("node2/pods/kube-system_coredns-2_{UID}/coredns/0.log"),
        body,
    );
    dir.write(
        &format!("node2/containers/coredns-2_kube-system_coredns-{id}.log"),
        body,
    );
    std::fs::create_dir_all(dir.path().join("node1/containers")).unwrap();
    std::os::unix::fs::symlink(
        format!("../pods/kube-system_coredns-1_{UID}/coredns/0.log"),
        dir.path().join(format!(
            "node1/containers/coredns-1_kube-system_coredns-{id}.log"
        )),
    )
    .unwrap();
    // An absolute link to the node's own /var/log/pods, as copied with `cp -a`.
    std::fs::create_dir_all(dir.path().join("node3/containers")).unwrap();
    dir.write(
        &format!("node3/pods/kube-system_coredns-3_{UID}/coredns/0.log"),
        body,
    );
    std::os::unix::fs::symlink(
        format!("/var/log/pods/kube-system_coredns-3_{UID}/coredns/0.log"),
        dir.path().join(format!(
            "node3/containers/coredns-3_kube-system_coredns-{id}.log"
        )),
    )
    .unwrap();
    // A link to a container whose pods/ folder was not copied.
    std::os::unix::fs::symlink(
        "/var/log/pods/default_gone_x/app/0.log",
        dir.path()
            .join(format!("node3/containers/gone_default_app-{id}.log")),
    )
    .unwrap();
    let root = dir.path().to_str().unwrap();
    let rows = ndjson(&podsift(&["stats", root, "--by", "node", "-o", "json"]));
    let got: Vec<(String, u64)> = rows
        .iter()
        .map(|r| (r["node"].as_str().unwrap().to_string(), u(&r["entries"])))
        .collect();
    assert_eq!(
        got,
        [
            ("node1".into(), 2),
            ("node2".into(), 2),
            ("node3".into(), 2)
        ]
    );
    let out = podsift(&["sources", root, "-o", "json"]);
    let rows = ndjson(&out);
    let status: BTreeMap<String, String> = rows
        .iter()
        .map(|r| {
            (
                r["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .chars()
                    .take(12)
                    .collect(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(status["coredns-1_ku"], "duplicate");
    assert_eq!(status["coredns-2_ku"], "duplicate");
    assert_eq!(status["coredns-3_ku"], "duplicate");
    assert_eq!(status["gone_default"], "skipped");
    assert_eq!(
        out.status.code(),
        Some(1),
        "a dangling link is a skipped file"
    );
    assert!(stderr(&out).contains("1 file skipped"));
}

#[test]
fn damaged_and_odd_files_never_panic() {
    let dir = TempDir::new("damage");
    // A rotated .gz cut short: the lines that decompress are kept, the damage reported.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for i in 0..5000 {
        writeln!(
            gz,
            "2024-01-01T00:00:00.{i:09}Z stdout F line {i} {}",
            "x".repeat(i % 50)
        )
        .unwrap();
    }
    let full = gz.finish().unwrap();
    let pod = format!("n/pods/ns_pod_{UID}");
    dir.write(
        &format!("{pod}/app/0.log.20240101-000000.gz"),
        &full[..full.len() / 2],
    );
    dir.write(
        &format!("{pod}/app/0.log"),
        b"2024-01-01T00:00:01Z stdout F after rotation\n",
    );
    // Empty files: a container log (read, nothing in it) and another file (listed as skipped).
    dir.write(&format!("{pod}/empty/0.log"), b"");
    dir.write("n/notes.txt", b"");
    // Binary garbage where a container log should be.
    let garbage: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    dir.write(&format!("{pod}/garbage/0.log"), &garbage);
    // A 100 MB line without a newline.
    let big = dir.write(&format!("{pod}/big/0.log"), b"");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
        f.write_all(b"2024-01-01T00:00:02Z stdout F ").unwrap();
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&chunk).unwrap();
        }
    }
    let root = dir.path().to_str().unwrap();
    let out = podsift(&["sources", root, "-o", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let rows = ndjson(&out);
    let by_name = |suffix: &str| {
        rows.iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(suffix))
            .unwrap()
            .clone()
    };
    let gz_row = by_name(".gz");
    let kept = u(&gz_row["lines"]);
    assert!(
        kept > 100 && kept < 5000,
        "kept {kept} lines of the damaged file"
    );
    assert_eq!(u(&gz_row["errors"]), 1);
    assert_eq!(u(&by_name("empty/0.log")["lines"]), 0);
    assert_eq!(by_name("empty/0.log")["status"], "read");
    assert_eq!(by_name("notes.txt")["status"], "skipped");
    let g = by_name("garbage/0.log");
    assert_eq!(u(&g["lines"]), u(&g["unparsed"]));
    assert_eq!(
        u(&g["lines"]),
        garbage.iter().filter(|&&b| b == b'\n').count() as u64 + 1
    );
    let b = by_name("big/0.log");
    assert_eq!(
        (u(&b["lines"]), u(&b["entries"]), u(&b["errors"])),
        (1, 1, 1)
    );
    let err = stderr(&out);
    assert!(err.contains("the file is cut short after line"), "{err}");
    assert!(
        err.contains("big/0.log:1: line is 104857630 bytes long: kept its first 16 MiB"),
        "{err}"
    );
    assert!(
        err.contains("garbage/0.log:1: unparsed line kept as is"),
        "{err}"
    );
    // The entry continues across the damaged file into 0.log, in order.
    let last = ndjson(&podsift(&[
        "logs",
        root,
        "--container",
        "app",
        "-o",
        "json",
    ]));
    assert_eq!(last.last().unwrap()["message"], "after rotation");
    assert_eq!(last.len() as u64, kept + 1);
}

#[test]
fn usage_errors_exit_2() {
    let out = podsift(&["logs", "/definitely/not/here"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no such file or folder"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        podsift(&["stats", "."]).status.code().map(|c| c != 2),
        Some(true)
    );
    assert_eq!(
        podsift(&["stats", ".", "--by", "bogus"]).status.code(),
        Some(2)
    );
    assert_eq!(
        podsift(&["logs", ".", "--level", "loud"]).status.code(),
        Some(2)
    );
    assert_eq!(
        podsift(&["logs", ".", "--since", "yesterday"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(podsift(&["bogus"]).status.code(), Some(2));
}

/// Totals of `podsift sources -o json` over a folder.
fn source_totals(dir: &Path) -> (usize, usize, usize, [u64; 4]) {
    let out = podsift(&["sources", dir.to_str().unwrap(), "-o", "json"]);
    let rows = ndjson(&out);
    let read: Vec<&Value> = rows.iter().filter(|r| r["status"] == "read").collect();
    for r in &read {
        assert_eq!(
            u(&r["lines"]),
            u(&r["entries"]) + u(&r["joined"]),
            "{}",
            r["file"]
        );
    }
    // Plain logs: every physical line counted, by an independent count of the file's lines.
    for r in read.iter().filter(|r| r["kind"] == "text") {
        let bytes = std::fs::read(r["file"].as_str().unwrap()).unwrap();
        let newlines = bytes.iter().filter(|&&c| c == b'\n').count() as u64;
        let unterminated = u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
        assert_eq!(u(&r["lines"]), newlines + unterminated, "{}", r["file"]);
    }
    // Totals over the runtime-framed files (CRI and json-file), which the oracle checked.
    let runtime: Vec<&&Value> = read
        .iter()
        .filter(|r| ["pods", "containers", "docker", "log"].contains(&r["kind"].as_str().unwrap()))
        .collect();
    let sum = |k: &str| runtime.iter().map(|r| u(&r[k])).sum::<u64>();
    let skipped = rows.iter().filter(|r| r["status"] == "skipped").count();
    (
        rows.len(),
        read.len(),
        skipped,
        [sum("lines"), sum("entries"), sum("joined"), sum("unparsed")],
    )
}

// Expected counts below were derived by an independent implementation of the CRI and
// json-file rules (a Python oracle) and checked against podsift file by file.
#[test]
fn realdata_container_runtime_logs_are_accounted_for() {
    let dir = realdata().join("01_container_runtime_logs");
    // 107 read: 95 CRI/json-file logs, 4 plain logs (fluent-bit's tail test inputs), one
    // pretty-printed journal record (fluent-bit's kairosdb expected output) and 7 Pod objects
    // (fluent-bit's `.meta` fixtures, read into the pods table); the 132 skipped are
    // configuration, other expected outputs and binary fixtures; one Namespace object is
    // listed as a resource (metadata).
    // The oracle's CRI joins give 237 entries and 133 joined lines; then the 17 `\tat ...`
    // frames of fluent-bit's avro multiline case (one CRI line each) fold into their exception.
    assert_eq!(source_totals(&dir), (240, 107, 132, [370, 220, 150, 5]));
    let file = |name: &str| dir.join("extracted_from_test_sources").join(name);
    // vector's CRI cases, one after another in one file: the stdout partials join across the
    // stderr line between them and, never completed, stay one entry flagged partial.
    let rows = ndjson(&podsift(&[
        "logs",
        file("vector__cri.rs__valid_cases.cri.log")
            .to_str()
            .unwrap(),
        "-o",
        "json",
    ]));
    let msgs: Vec<&str> = rows
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(msgs[0], "The content of the log entry 1");
    assert!(msgs[1].starts_with(
        "First line of log entry 2Second line of the log entry 2very long message very long message"
    ));
    assert_eq!(
        (&rows[1]["joined"], &rows[1]["partial"], &rows[1]["stream"]),
        (&Value::from(2), &Value::from(true), &Value::from("stdout"))
    );
    assert_eq!(msgs[2], "Last line of the log entry 2");
    // A partial line split inside a UTF-8 sequence, at the end of the file: kept, flagged.
    let rows = ndjson(&podsift(&[
        "logs",
        file("vector__cri.rs__non_utf8_partial.cri.log")
            .to_str()
            .unwrap(),
        "-o",
        "json",
    ]));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["partial"], true);
    // beats' corrupted json-file: the line missing its `{` is kept as unparsed, in place.
    let out = podsift(&[
        "logs",
        dir.join("beats/filebeat/tests/files/logs/docker_corrupted.log")
            .to_str()
            .unwrap(),
        "-o",
        "json",
    ]);
    let rows = ndjson(&out);
    assert_eq!(rows.len(), 21);
    assert_eq!(rows[6]["format"], "unparsed");
    assert_eq!(rows[6]["ts"], rows[5]["ts"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("docker_corrupted.log:7: unparsed line kept as is"));
}

#[test]
fn realdata_node_log_layouts_are_accounted_for() {
    let dir = realdata().join("02_node_log_layouts");
    // 36 read: 18 container logs, 7 plain text files (lists of paths, read as text), one
    // pretty-printed journal record and fluent-bit's 10 `.meta` Pod objects (the pods table).
    assert_eq!(source_totals(&dir), (45, 36, 9, [42, 40, 2, 0]));
    // /var/log/pods copies carry namespace, pod and container in their paths; the 2019
    // /var/log/containers names carry them in the file name.
    let rows = ndjson(&podsift(&[
        "stats",
        dir.to_str().unwrap(),
        "--by",
        "namespace,pod,container,component",
        "-o",
        "json",
    ]));
    let keys: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{}/{}/{}",
                r["namespace"].as_str().unwrap_or("-"),
                r["pod"].as_str().unwrap_or("-"),
                r["container"].as_str().unwrap_or("-")
            )
        })
        .collect();
    for k in [
        "containerd/logs-0/logs",
        "crio/logs-0/logs",
        "docker/logs-0/logs",
        "otel/otel/otel-collector",
        "socks/session-db-fdd649d68-cq5sp/istio-proxy",
        "default/json-logs/json-logs",
    ] {
        assert!(keys.contains(&k.to_string()), "{k} not in {keys:?}");
    }
    // Only fluent-bit's expected-output records (`*.out`, json-file shaped) have no metadata;
    // plain text files have a component.
    let unknown = rows
        .iter()
        .find(|r| r["pod"].is_null() && r["component"].is_null())
        .unwrap();
    assert_eq!(u(&unknown["entries"]), 3);
}

#[test]
fn realdata_plain_logs_are_read_and_folded() {
    let root = realdata();
    for dir in ["03_component_logs", "07_app_logs"] {
        let (_, _, skipped, _) = source_totals(&root.join(dir));
        // Every file is a log (beats' pretty-printed journal JSON and docker compose's
        // `name | line` output included).
        assert_eq!(skipped, 0, "{dir}");
    }
    let lnav = root.join("07_app_logs/lnav_test_logs/test");
    let logs = |file: &Path, extra: &[&str]| {
        let mut args = vec!["logs", file.to_str().unwrap(), "-o", "json"];
        args.extend_from_slice(extra);
        ndjson(&podsift(&args))
    };

    // zap's console encoder with a Go stack trace under an error: the frames fold into it.
    let rows = logs(&lnav.join("logfile_zap_console.0"), &[]);
    let error = rows.iter().find(|r| r["level"] == "error").unwrap();
    assert_eq!(u(&error["joined"]), 6);
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("Exporting failed. Dropping data."));
    assert!(message.ends_with(
        "\n     go.opentelemetry.io/collector/exporter@v0.120.0/exporterqueue/async_queue.go:47"
    ));
    assert_eq!(error["ts"], "2025-04-24T22:09:20.856000000Z");
    assert_eq!(error["component"], "logfile_zap_console");

    // JSON split over two lines is one entry, and parses as JSON.
    let rows = logs(
        &root.join("03_component_logs/kubernetes_logs_benchmark_data/split.log"),
        &[],
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (&rows[0]["format"], u(&rows[0]["joined"])),
        (&Value::from("json"), 1)
    );

    // klog without a year: from --year, else nothing in this file tells.
    let glog = lnav.join("logfile_glog.0");
    let rows = logs(&glog, &["--year", "2023"]);
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0]["ts"], "2023-05-17T15:04:22.619632000Z");
    assert_eq!(rows[0]["level"], "error");
    assert_eq!(rows[3]["level"], "warn");
}

#[test]
fn klog_year_rolls_over_and_comes_from_the_pods_beside_it() {
    let dir = TempDir::new("klog-year");
    dir.write(
        "node-a/pods/default_web_1f0e2c1a-0000-4000-8000-000000000001/app/0.log",
        b"2024-01-01T00:00:05.000000000Z stdout F hello\n",
    );
    dir.write(
        "node-a/kubelet.log",
        b"I1231 23:59:58.000000    1 a.go:1] last of the year\n\
          E0101 00:00:01.000000    1 a.go:2] first of the next\n\
          goroutine 1 [running]:\n\
          \tmain.main()\n",
    );
    let node = dir.path().join("node-a");
    let rows = ndjson(&podsift(&["logs", node.to_str().unwrap(), "-o", "json"]));
    let kubelet: Vec<&Value> = rows
        .iter()
        .filter(|r| r["component"] == "kubelet")
        .collect();
    assert_eq!(kubelet.len(), 2);
    assert_eq!(kubelet[0]["ts"], "2023-12-31T23:59:58.000000000Z");
    assert_eq!(kubelet[1]["ts"], "2024-01-01T00:00:01.000000000Z");
    assert_eq!(u(&kubelet[1]["joined"]), 2);
    assert_eq!(kubelet[1]["node"], "node-a");
    // Time order across the pod and the component.
    let order: Vec<&str> = rows
        .iter()
        .map(|r| r["message"].as_str().unwrap())
        .collect();
    assert!(order[0].ends_with("] last of the year"));
    // As text, node and component stand where pod and container would.
    let text = stdout(&podsift(&[
        "logs",
        node.to_str().unwrap(),
        "--color",
        "never",
    ]));
    assert!(
        text.starts_with("node-a kubelet I1231 23:59:58.000000    1 a.go:1] last of the year\n"),
        "{text}"
    );
    assert!(order[1].ends_with("] first of the next\ngoroutine 1 [running]:\n\tmain.main()"));
    assert_eq!(order[2], "hello");
}

/// Every file of the component and application samples is read in the format it is written in,
/// with every line accounted for.
#[test]
fn realdata_formats_are_detected_per_file() {
    let root = realdata();
    let expected: &[(&str, &str)] = &[
        (
            "03_component_logs/journald_json/beats/corner-cases.json",
            "journald 2",
        ),
        (
            "03_component_logs/journald_json/beats/sample-journal-event.json",
            "journald 1",
        ),
        (
            "03_component_logs/journald_json/vector/vector__tests_data_journalctl.entries.jsonl",
            "journald 8",
        ),
        // A comment line, then a kubelet syslog line holding JSON.
        (
            "03_component_logs/kubernetes_logs_benchmark_data/container.log",
            "text 1, syslog 1",
        ),
        (
            "03_component_logs/kubernetes_logs_benchmark_data/error-value.log",
            "json 1",
        ),
        (
            "03_component_logs/kubernetes_logs_benchmark_data/error.log",
            "json 1",
        ),
        (
            "03_component_logs/kubernetes_logs_benchmark_data/simple.log",
            "json 1",
        ),
        (
            "03_component_logs/kubernetes_logs_benchmark_data/split.log",
            "json 2",
        ),
        (
            "03_component_logs/kubernetes_logs_benchmark_data/values.log",
            "json 1",
        ),
        (
            "03_component_logs/kubernetes_logs_benchmark_data/versionresponse.log",
            "json 1",
        ),
        ("07_app_logs/hl_samples/sample/kitchen-sink.log", "json 23"),
        ("07_app_logs/hl_samples/sample/prometheus.log", "json 33"),
        (
            "07_app_logs/lnav_test_logs/test/logfile_access_log.0",
            "access 3",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_access_log.1",
            "access 1",
        ),
        // Its second line lacks the ident and user fields.
        (
            "07_app_logs/lnav_test_logs/test/logfile_bad_access_log.0",
            "access 2, text 1",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_bunyan.0",
            "json 10",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_docker_compose.0",
            "docker-compose 22",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_docker_compose_with_ts.0",
            "docker-compose 22",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_ecs_log.json",
            "json 5",
        ),
        ("07_app_logs/lnav_test_logs/test/logfile_glog.0", "klog 7"),
        (
            "07_app_logs/lnav_test_logs/test/logfile_journald.json",
            "journald 2",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_json.json",
            "json 14",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_logfmt.0",
            "logfmt 5",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_muxed_syslog.0",
            "json 14",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_otel_collector.jsonl",
            "json 6",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_shop_access_log.0",
            "access 1000",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_syslog.0",
            "syslog 4",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_syslog.3",
            "syslog 7",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_syslog_with_mixed_times.0",
            "syslog 13",
        ),
        (
            "07_app_logs/lnav_test_logs/test/logfile_zap_console.0",
            "text 3",
        ),
        (
            "07_app_logs/nginx/elastic_integrations/nginx/test-access.log",
            "access 14",
        ),
        (
            "07_app_logs/nginx/elastic_integrations/nginx_ingress_controller/test-ingest-raw.log",
            "access 24",
        ),
    ];
    let out = podsift(&[
        "sources",
        root.join("03_component_logs").to_str().unwrap(),
        root.join("07_app_logs").to_str().unwrap(),
        "-o",
        "json",
    ]);
    let rows = ndjson(&out);
    assert_eq!(rows.len(), expected.len(), "{rows:#?}");
    for (file, formats) in expected {
        let row = rows
            .iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("{file} not listed"));
        assert_eq!(row["status"], "read", "{file}");
        assert_eq!(row["formats"], *formats, "{file}");
        assert_eq!(
            u(&row["lines"]),
            u(&row["entries"]) + u(&row["joined"]),
            "{file}"
        );
        assert_eq!(u(&row["unparsed"]), 0, "{file}");
    }
    let joined = |f: &str| {
        let row = rows
            .iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(f))
            .unwrap();
        u(&row["joined"])
    };
    // Pretty-printed records: all their lines but the first of each are joined.
    assert_eq!(joined("corner-cases.json"), 94);
    assert_eq!(joined("logfile_syslog.3"), 10);
}

#[test]
fn realdata_format_fields() {
    let root = realdata();
    let lnav = root.join("07_app_logs/lnav_test_logs/test");
    let logs = |file: &Path, extra: &[&str]| {
        let mut args = vec!["logs", file.to_str().unwrap(), "-o", "json"];
        args.extend_from_slice(extra);
        ndjson(&podsift(&args))
    };
    let field = |r: &Value, k: &str| r["fields"][k].as_str().map(str::to_string);

    // nginx ingress: method, path, status, bytes, latency and upstream; level from the status.
    let rows = logs(
        &root.join(
            "07_app_logs/nginx/elastic_integrations/nginx_ingress_controller/test-ingest-raw.log",
        ),
        &[],
    );
    let r = &rows[0];
    assert_eq!(r["ts"], "2020-02-07T11:48:51.000000000Z");
    assert_eq!(r["level"], "info");
    for (k, v) in [
        ("method", "POST"),
        ("path", "/products"),
        ("status", "200"),
        ("bytes", "59"),
        ("latency", "0.001"),
        ("upstream_addr", "172.17.0.5:8080"),
    ] {
        assert_eq!(field(r, k).as_deref(), Some(v), "{k}");
    }
    let bad: Vec<&Value> = rows.iter().filter(|r| r["level"] == "warn").collect();
    assert_eq!(bad.len(), 2, "two 400s");
    assert_eq!(field(bad[0], "method").as_deref(), Some("PATCHp"));

    // Access log offsets: +0330 is subtracted.
    let rows = logs(&lnav.join("logfile_shop_access_log.0"), &[]);
    assert_eq!(rows[0]["ts"], "2019-01-22T00:26:14.000000000Z");

    // syslog: the program is the component, pid and host are fields, the year from --year.
    let rows = logs(&lnav.join("logfile_syslog.0"), &["--year", "2007"]);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["ts"], "2007-11-03T09:23:38.000000000Z");
    assert_eq!(rows[0]["component"], "automount");
    assert_eq!(field(&rows[0], "pid").as_deref(), Some("7998"));
    assert_eq!(field(&rows[0], "host").as_deref(), Some("veridian"));
    assert_eq!(rows[3]["component"], "sudo");
    // Indented lines continue the syslog entry before them.
    let rows = logs(&lnav.join("logfile_syslog.3"), &["--year", "2022"]);
    let notice = rows.iter().find(|r| u(&r["joined"]) == 2).unwrap();
    assert!(
        notice["message"].as_str().unwrap().starts_with(
            "Aug 16 00:32:15 Tims-Air syslogd[314]: Configuration Notice:\n\tASL Module"
        )
    );

    // journald: MESSAGE as bytes, unit as component, PRIORITY as level, source time first.
    let rows = logs(
        &root.join(
            "03_component_logs/journald_json/vector/vector__tests_data_journalctl.entries.jsonl",
        ),
        &[],
    );
    assert_eq!(rows.len(), 8);
    let bad = rows.iter().find(|r| r["component"] == "badunit").unwrap();
    assert_eq!(bad["message"], "\u{bf}Hello?");
    assert_eq!(bad["level"], "info");
    let both = rows
        .iter()
        .find(|r| r["message"] == "Different timestamps")
        .unwrap();
    assert_eq!(both["ts"], "2020-01-09T00:30:39.140005000Z");
    assert_eq!(both["level"], "error");
    let kernel = rows.iter().find(|r| r["message"] == "audit log").unwrap();
    assert_eq!(kernel["component"], "kernel");
    // Pretty-printed: the host is the node, a multi-line MESSAGE kept whole.
    let rows = logs(
        &root.join("03_component_logs/journald_json/beats/corner-cases.json"),
        &[],
    );
    assert_eq!(rows.len(), 2);
    let core = rows.iter().find(|r| r["level"] == "fatal").unwrap();
    assert_eq!(core["node"], "millennium-falcon");
    assert_eq!(core["component"], "systemd-coredump@0-3732-0");
    assert!(
        core["message"]
            .as_str()
            .unwrap()
            .contains("\n#1  0x00007f27c5650a30 raise")
    );

    // docker compose: the service is the component, the time after the bar.
    let rows = logs(&lnav.join("logfile_docker_compose_with_ts.0"), &[]);
    let web = rows.iter().find(|r| r["component"] == "web-1").unwrap();
    assert_eq!(web["ts"], "2024-04-25T05:32:35.584725130Z");
    assert!(rows.iter().any(|r| r["component"] == "redis-1"));
}

#[test]
fn user_formats_and_forced_formats() {
    let dir = TempDir::new("formats");
    let defs = dir.write(
        "myapp.toml",
        br#"
[[format]]
name = "myapp"
description = "myapp's text log"
regex = '(?P<ts>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) <(?P<level>\w+)> \{(?P<thread>[^}]*)\} (?P<msg>.*)'
time = "%Y/%m/%d %H:%M:%S"
levels = [["E*", "error"], ["W*", "warn"], ["*", "info"]]
[[format.sample]]
line = "2024/01/02 03:04:05 <Eek> {main} boom"
ts = "2024-01-02T03:04:05Z"
level = "error"
fields = { thread = "main" }
"#,
    );
    let log = dir.write(
        "app/server.log",
        b"2024/01/02 03:04:05 <Eek> {main} boom\n  at frame 1\n2024/01/02 03:04:06 <Wow> {io} slow\n",
    );
    let out = podsift(&["formats", "--check", defs.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("ok      myapp (1 samples)"));
    let listed = podsift(&["formats", "--formats", defs.to_str().unwrap()]);
    assert!(stdout(&listed).contains("myapp"));
    assert!(stdout(&listed).contains("syslog"));

    let rows = ndjson(&podsift(&[
        "logs",
        log.to_str().unwrap(),
        "--formats",
        defs.to_str().unwrap(),
        "-o",
        "json",
    ]));
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["format"], "myapp");
    assert_eq!(rows[0]["level"], "error");
    assert_eq!(u(&rows[0]["joined"]), 1);
    assert_eq!(rows[1]["level"], "warn");
    assert_eq!(rows[1]["fields"]["thread"], "io");
    assert_eq!(rows[1]["ts"], "2024-01-02T03:04:06.000000000Z");

    // A failing sample fails the check with exit code 1 and says which.
    let bad = dir.write(
        "bad.toml",
        b"[[format]]\nname = \"bad\"\nregex = '(?P<level>\\w+) (?P<msg>.*)'\n[[format.sample]]\nline = \"INFO hi\"\nlevel = \"error\"\n",
    );
    let out = podsift(&["formats", "--check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("sample 1: level is \"info\", expected \"error\""),
        "{}",
        stdout(&out)
    );
    // A broken file is a usage error naming it.
    let broken = dir.write("broken.toml", b"[[format]]\nname = \"x\"\nregex = '('\n");
    let out = podsift(&["formats", "--check", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad regex"), "{}", stderr(&out));

    // --format forces one: lines that do not match it are text, and nothing else is tried.
    let mixed = dir.write(
        "mixed/app.log",
        b"{\"level\":\"error\",\"msg\":\"json\"}\nlevel=warn msg=logfmt\n",
    );
    let rows = ndjson(&podsift(&[
        "logs",
        mixed.to_str().unwrap(),
        "--format",
        "logfmt",
        "-o",
        "json",
    ]));
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (&rows[0]["format"], &rows[0]["level"]),
        (&Value::from("text"), &Value::from("unknown"))
    );
    assert_eq!(
        (&rows[1]["format"], &rows[1]["level"]),
        (&Value::from("logfmt"), &Value::from("warn"))
    );
    let out = podsift(&["logs", mixed.to_str().unwrap(), "--format", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown format \"nope\""));
}

#[test]
fn realdata_audit_and_events_tables() {
    let dir = realdata().join("04_audit_and_events");
    let rows = ndjson(&podsift(&["sources", dir.to_str().unwrap(), "-o", "json"]));
    let expected: &[(&str, &str, &str)] = &[
        ("audit2rbac/testdata/demo.log", "audit", "audit 37"),
        (
            "elastic_integrations_k8s_audit/test-audit.log",
            "audit",
            "audit 5",
        ),
        (
            "elastic_integrations_k8s_audit/test-kube-audit.log",
            "audit",
            "audit 1",
        ),
        (
            "eventlist_v1_with_creationTimestamp.json",
            "events",
            "event 1",
        ),
        ("eventlist_v1_with_lastTimestamp.json", "events", "event 1"),
        ("watch_v1_with_lastTimestamp.json", "events", "event 1"),
        ("watch_v1_with_lastTimestamp.out", "events", "event 1"),
        // fluent-bit's own output records ([time, event] without a kind): JSON log lines.
        ("eventlist_v1_with_creationTimestamp.out", "text", "json 1"),
        ("eventlist_v1_with_lastTimestamp.out", "text", "json 1"),
    ];
    for (file, kind, formats) in expected {
        let row = rows
            .iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(file))
            .unwrap();
        assert_eq!(
            (&row["kind"], &row["formats"]),
            (&Value::from(*kind), &Value::from(*formats)),
            "{file}"
        );
        assert_eq!(
            u(&row["lines"]),
            u(&row["entries"]) + u(&row["joined"]),
            "{file}"
        );
        assert_eq!(u(&row["unparsed"]), 0, "{file}");
    }
    // The audit policy is a Kubernetes resource document: listed, not read as a log.
    assert_eq!(rows.iter().filter(|r| r["status"] == "skipped").count(), 0);
    let policy = rows
        .iter()
        .find(|r| r["file"].as_str().unwrap().ends_with("demo-policy.yaml"))
        .unwrap();
    assert_eq!(
        (&policy["kind"], &policy["status"]),
        (&Value::from("resources"), &Value::from("metadata"))
    );
    assert!(policy["note"].as_str().unwrap().contains("(Policy)"));

    let audit = ndjson(&podsift(&["audit", dir.to_str().unwrap(), "-o", "json"]));
    assert_eq!(audit.len(), 43);
    let first = &audit[0];
    assert_eq!(first["ts"], "2017-09-11T19:55:05.000000000Z");
    for (k, v) in [
        ("user", "system:admin"),
        ("impersonated_user", "bob"),
        ("verb", "list"),
        ("resource", "pods"),
        ("namespace", "default"),
        ("groups", "system:masters,system:authenticated"),
        ("reason", "Forbidden"),
    ] {
        assert_eq!(first[k], v, "{k}");
    }
    assert_eq!(first["code"], 403);
    let forbidden = audit.iter().filter(|r| r["code"] == 403).count();
    assert_eq!(forbidden, 11);
    // GKE's Cloud Audit Logs record, mapped.
    let gke = audit
        .iter()
        .find(|r| r["user"] == "system:gke-master-healthcheck")
        .unwrap();
    assert_eq!(
        (&gke["verb"], &gke["code"], &gke["decision"]),
        (
            &Value::from("get"),
            &Value::from(200),
            &Value::from("allow")
        )
    );
    // AKS: the event inside properties.log (a string in one file, an object in the other).
    assert_eq!(
        audit.iter().filter(|r| r["user"] == "aksService").count(),
        2
    );
    // Latency from request received to the stage.
    let kubectl = audit
        .iter()
        .find(|r| r["user_agent"] == "kubectl/v1.26.1")
        .unwrap();
    assert_eq!(kubectl["latency_ms"], 3.3);

    let events = ndjson(&podsift(&["events", dir.to_str().unwrap(), "-o", "json"]));
    // The watched event appears in two files and is kept once.
    assert_eq!(events.len(), 3);
    let mount = events
        .iter()
        .find(|r| r["reason"] == "FailedMount")
        .unwrap();
    assert_eq!(mount["count"], 16);
    assert_eq!(mount["type"], "Warning");
    assert_eq!(mount["object_kind"], "Pod");
    assert_eq!(mount["object_name"], "fluent-bit-78945dccd8-hvr55");
    assert_eq!(mount["source_component"], "kubelet");
    assert_eq!(mount["last_ts"], "2024-07-31T18:47:15.000000000Z");
    let summary = stdout(&podsift(&["events", dir.to_str().unwrap()]));
    assert!(summary.contains("Warning events by reason"));
    assert!(summary.contains("FailedScheduling"));
    let summary = stdout(&podsift(&["audit", dir.to_str().unwrap()]));
    assert!(summary.contains("Slowest requests"));
}

#[test]
fn events_yaml_join_logs_in_sql() {
    let dir = TempDir::new("events-yaml");
    dir.write(
        "node-a/pods/default_web-0_1f0e2c1a-0000-4000-8000-000000000001/app/0.log",
        b"2024-03-01T10:00:00.000000000Z stderr F panic: boom\n2024-03-01T10:00:01.000000000Z stdout F ok\n",
    );
    dir.write(
        "cluster/events.yaml",
        b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: events.k8s.io/v1\n  kind: Event\n  metadata:\n    name: web-0.1\n    namespace: default\n    uid: u1\n  regarding:\n    kind: Pod\n    name: web-0\n    namespace: default\n  reason: BackOff\n  note: Back-off restarting failed container\n  type: Warning\n  reportingController: kubelet\n  eventTime: 2024-03-01T10:00:02.000000Z\n  series:\n    count: 5\n    lastObservedTime: 2024-03-01T10:05:00.000000Z\n---\napiVersion: v1\nkind: Event\nmetadata:\n  name: web-0.2\n  namespace: default\ninvolvedObject:\n  kind: Pod\n  name: web-0\nreason: Pulled\nmessage: image pulled\ntype: Normal\ncount: 1\nfirstTimestamp: 2024-03-01T09:59:00Z\nlastTimestamp: 2024-03-01T09:59:00Z\n",
    );
    let rows = ndjson(&podsift(&[
        "events",
        dir.path().to_str().unwrap(),
        "-o",
        "json",
    ]));
    assert_eq!(rows.len(), 2);
    let backoff = rows.iter().find(|r| r["reason"] == "BackOff").unwrap();
    assert_eq!(backoff["count"], 5);
    assert_eq!(backoff["message"], "Back-off restarting failed container");
    assert_eq!(backoff["source_component"], "kubelet");
    assert_eq!(backoff["first_ts"], "2024-03-01T10:00:02.000000000Z");
    assert_eq!(backoff["last_ts"], "2024-03-01T10:05:00.000000000Z");
    let out = podsift(&[
        "sql",
        dir.path().to_str().unwrap(),
        "SELECT e.reason, COUNT(*) AS n FROM events e JOIN logs l ON l.pod = e.object_name WHERE l.level = 'fatal' OR l.stream = 'stderr' GROUP BY e.reason ORDER BY e.reason",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let joined = ndjson(&out);
    assert_eq!(joined.len(), 2, "{joined:?}");
    assert_eq!(
        (&joined[0]["reason"], u(&joined[0]["n"])),
        (&Value::from("BackOff"), 1)
    );
}

#[test]
fn syslog_year_rolls_over_from_a_journal_beside_it() {
    let dir = TempDir::new("syslog-year");
    dir.write(
        "node-a/syslog",
        b"Dec 31 23:59:58 node-a kubelet[9]: I1231 23:59:58.000000       9 a.go:1] last\n\
          Jan  1 00:00:03 node-a kubelet[9]: E0101 00:00:03.000000       9 a.go:2] first\n",
    );
    dir.write(
        "node-a/journal.json",
        b"{\"__REALTIME_TIMESTAMP\":\"1704067201000000\",\"_SYSTEMD_UNIT\":\"containerd.service\",\"_HOSTNAME\":\"node-a\",\"MESSAGE\":\"time=\\\"2024-01-01T00:00:01Z\\\" level=warning msg=hi\",\"PRIORITY\":\"6\"}\n",
    );
    let rows = ndjson(&podsift(&[
        "logs",
        dir.path().to_str().unwrap(),
        "-o",
        "json",
    ]));
    let got: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["ts"].as_str().unwrap(),
                r["node"].as_str().unwrap(),
                r["component"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "2023-12-31T23:59:58.000000000Z",
                "node-a",
                "kubelet",
                "info"
            ),
            (
                "2024-01-01T00:00:01.000000000Z",
                "node-a",
                "containerd",
                "warn"
            ),
            (
                "2024-01-01T00:00:03.000000000Z",
                "node-a",
                "kubelet",
                "error"
            ),
        ]
    );
}

/// A Java exception, a Go panic and a Python traceback, written raw to a file and the same
/// lines written by a container runtime (one CRI line each): folded into the same entries.
#[test]
fn stack_traces_fold_the_same_raw_and_through_cri() {
    let lines = [
        "2024-03-01T10:00:00.000Z INFO starting",
        "2024-03-01T10:00:01.000Z ERROR request failed",
        "java.lang.IllegalStateException: boom",
        "\tat com.example.A.run(A.java:10)",
        "\tat com.example.Main.main(Main.java:5)",
        "Caused by: java.io.IOException: disk",
        "\t... 2 more",
        "2024-03-01T10:00:01.500Z WARNING retry",
        "Traceback (most recent call last):",
        "  File \"app.py\", line 3, in <module>",
        "ValueError: bad",
        "2024-03-01T10:00:02.000Z INFO next",
        "panic: runtime error: index out of range [3] with length 2",
        "",
        "goroutine 1 [running]:",
        "main.main()",
        "\t/app/main.go:12 +0x1d",
    ];
    let dir = TempDir::new("fold");
    let raw: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let raw_file = dir.write("app/app.log", raw.as_bytes());
    let cri: String = lines
        .iter()
        .map(|l| format!("2024-03-01T10:00:02.000000000Z stdout F {l}\n"))
        .collect();
    dir.write(
        "node/pods/default_web_1f0e2c1a-0000-4000-8000-000000000001/app/0.log",
        cri.as_bytes(),
    );
    let entries = |path: &Path| -> Vec<(String, u64, String)> {
        ndjson(&podsift(&["logs", path.to_str().unwrap(), "-o", "json"]))
            .iter()
            .map(|r| {
                (
                    r["message"].as_str().unwrap().to_string(),
                    u(&r["joined"]),
                    r["level"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let raw_entries = entries(&raw_file);
    let cri_entries = entries(&dir.path().join("node"));
    let mut sorted_cri = cri_entries.clone();
    let mut sorted_raw = raw_entries.clone();
    sorted_cri.sort();
    sorted_raw.sort();
    assert_eq!(sorted_raw, sorted_cri);
    let joined: Vec<u64> = raw_entries.iter().map(|e| e.1).collect();
    assert_eq!(joined, vec![0, 5, 3, 5]);
    assert!(
        raw_entries[1]
            .0
            .ends_with("Caused by: java.io.IOException: disk\n\t... 2 more")
    );
    assert_eq!(raw_entries[1].2, "error");
    assert!(
        raw_entries[3]
            .0
            .contains("\n\ngoroutine 1 [running]:\nmain.main()")
    );
}

/// `journalctl -o export`: text fields, binary fields whose length prefix and value hold
/// newlines, records that end with a blank line, each record one entry.
#[test]
fn journal_export_records() {
    let mut b: Vec<u8> = Vec::new();
    b.extend_from_slice(b"__CURSOR=s=1\n__REALTIME_TIMESTAMP=1704067201000000\n_SYSTEMD_UNIT=kubelet.service\n_HOSTNAME=node-1\nPRIORITY=6\nMESSAGE=E0101 00:00:01.000000    812 kubelet.go:1] \"boom\"\n\n");
    let msg2: &[u8] = b"line one\nline two \xff";
    b.extend_from_slice(b"__CURSOR=s=2\n__REALTIME_TIMESTAMP=1704067202000000\n_SYSTEMD_UNIT=containerd.service\nMESSAGE\n");
    b.extend_from_slice(&(msg2.len() as u64).to_le_bytes());
    b.extend_from_slice(msg2);
    b.extend_from_slice(b"\nPRIORITY=4\n\n");
    // A length of 10 starts with a newline byte.
    b.extend_from_slice(b"__CURSOR=s=3\n__REALTIME_TIMESTAMP=1704067203000000\nMESSAGE\n");
    b.extend_from_slice(&10u64.to_le_bytes());
    b.extend_from_slice(b"0123456789\n");
    let dir = TempDir::new("journal-export");
    let file = dir.write("node-1/journal.export", &b);
    let rows = ndjson(&podsift(&["logs", file.to_str().unwrap(), "-o", "json"]));
    let got: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["ts"].as_str().unwrap(),
                r["component"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
                r["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "2024-01-01T00:00:01.000000000Z",
                "kubelet",
                "error",
                "E0101 00:00:01.000000    812 kubelet.go:1] \"boom\""
            ),
            (
                "2024-01-01T00:00:02.000000000Z",
                "containerd",
                "warn",
                "line one\nline two \u{FFFD}"
            ),
            (
                "2024-01-01T00:00:03.000000000Z",
                "journal.export",
                "unknown",
                "0123456789"
            ),
        ]
    );
    assert_eq!(rows[0]["node"], "node-1");
    let src = &ndjson(&podsift(&["sources", file.to_str().unwrap(), "-o", "json"]))[0];
    assert_eq!(
        (u(&src["lines"]), u(&src["entries"]), u(&src["joined"])),
        (20, 3, 17)
    );
    assert_eq!(
        (u(&src["invalid_utf8"]), &src["formats"]),
        (1, &Value::from("journald 3"))
    );
}

/// `kubectl logs` output: pods from file names, from `--prefix` lines, or from the flags.
#[test]
fn kubectl_logs_outputs() {
    let dir = TempDir::new("kubectl-logs");
    let named = dir.write(
        "out/web-7d4b9c8f6d-x2x9z-nginx.log",
        b"2024-05-01T10:00:00.000000001Z {\"level\":\"error\",\"msg\":\"upstream down\"}\n2024-05-01T10:00:01Z plain line\n",
    );
    let rows = ndjson(&podsift(&["logs", named.to_str().unwrap(), "-o", "json"]));
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (&rows[0]["pod"], &rows[0]["container"]),
        (&Value::from("web-7d4b9c8f6d-x2x9z"), &Value::from("nginx"))
    );
    assert_eq!(rows[0]["ts"], "2024-05-01T10:00:00.000000001Z");
    assert_eq!(rows[0]["level"], "error");
    assert_eq!(rows[0]["format"], "timestamped");
    assert!(rows[0]["component"].is_null());

    let prefixed = dir.write(
        "out/all.log",
        b"[pod/api-0/app] 2024-05-01T10:00:00Z level=info msg=start\n[pod/api-0/sidecar] 2024-05-01T10:00:01Z ready\n[pod/api-1/app] 2024-05-01T10:00:02Z level=error msg=boom\n",
    );
    let rows = ndjson(&podsift(&[
        "logs",
        prefixed.to_str().unwrap(),
        "-o",
        "json",
    ]));
    let got: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["pod"].as_str().unwrap(),
                r["container"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("api-0", "app", "info"),
            ("api-0", "sidecar", "unknown"),
            ("api-1", "app", "error")
        ]
    );
    // Filters see the pods the lines name.
    let rows = ndjson(&podsift(&[
        "logs",
        prefixed.to_str().unwrap(),
        "--pod",
        "api-1",
        "-o",
        "json",
    ]));
    assert_eq!(rows.len(), 1);
    let stats = ndjson(&podsift(&[
        "stats",
        prefixed.to_str().unwrap(),
        "--by",
        "pod,container",
        "-o",
        "json",
    ]));
    assert_eq!(stats.len(), 3, "{stats:?}");

    // A file with no pod of its own takes the one given with the flags.
    let plain = dir.write("out/app.log", b"2024-05-01T10:00:00Z INFO hello\n");
    let rows = ndjson(&podsift(&[
        "logs",
        plain.to_str().unwrap(),
        "-n",
        "shop",
        "--pod",
        "cart-0",
        "-c",
        "app",
        "-o",
        "json",
    ]));
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (
            &rows[0]["namespace"],
            &rows[0]["pod"],
            &rows[0]["container"]
        ),
        (
            &Value::from("shop"),
            &Value::from("cart-0"),
            &Value::from("app")
        )
    );
}

#[test]
fn metrics_bundle_summary_selectors_sql_and_dump() {
    let bundle = repo().join("testdata/metrics/bundle");
    let b = bundle.to_str().unwrap();
    let out = podsift(&["metrics", b, "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = ndjson(&out);
    assert_eq!(rows.len(), 17);
    assert_eq!(rows.iter().map(|r| u(&r["samples"])).sum::<u64>(), 29);
    // Two scrapes of node-a, named by their times, are one target: its series have 2 samples.
    let idle: Vec<&Value> = rows
        .iter()
        .filter(|r| {
            r["name"] == "node_cpu_seconds_total" && r["labels"] == "cpu=\"0\", mode=\"idle\""
        })
        .collect();
    assert_eq!(idle.len(), 1);
    assert_eq!(u(&idle[0]["samples"]), 2);
    assert_eq!(idle[0]["last_value"], 1015.5);
    assert_eq!(idle[0]["first_ts"], "2024-01-01T12:00:00.000000000Z");
    assert_eq!(idle[0]["last_ts"], "2024-01-01T12:00:15.000000000Z");
    // kubectl top: 250m cores, 255Mi.
    let top: Vec<f64> = rows
        .iter()
        .filter(|r| {
            r["labels"]
                .as_str()
                .unwrap()
                .contains("api-7d9f8b6c5-x2k4p")
                && r["name"].as_str().unwrap().starts_with("pod_")
        })
        .map(|r| r["last_value"].as_f64().unwrap())
        .collect();
    assert_eq!(top, vec![0.25, 255.0 * 1048576.0]);

    // Selectors as PromQL writes them.
    let out = podsift(&[
        "metrics",
        b,
        "--match",
        r#"{__name__=~"node_.*",mode="idle"}"#,
        "-o",
        "json",
    ]);
    assert_eq!(ndjson(&out).len(), 2);
    let out = podsift(&[
        "metrics",
        b,
        "--match",
        "node_load1",
        "--match",
        r#"kube_pod_container_status_restarts_total{pod=~"api-.*"}"#,
        "-o",
        "json",
    ]);
    let names: Vec<String> = ndjson(&out)
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        ["kube_pod_container_status_restarts_total", "node_load1"]
    );
    let out = podsift(&["metrics", b, "--match", "rate(x[5m])"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a series selector"),
        "{}",
        stderr(&out)
    );

    // promtool dump lines, series in label order then time.
    let out = podsift(&["metrics", b, "--match", "node_load1", "-o", "dump"]);
    assert_eq!(
        stdout(&out),
        "{__name__=\"node_load1\"} 0 1704110400000\n{__name__=\"node_load1\"} 0.15 1704110415000\n"
    );

    // SQL: the metrics view, and series joined with logs-style columns.
    let out = podsift(&[
        "sql",
        b,
        "SELECT name, COUNT(*) AS n, MAX(value) AS max FROM metrics WHERE namespace = 'shop' GROUP BY name ORDER BY name",
        "-o",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = ndjson(&out);
    let got: Vec<(String, u64)> = rows
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), u(&r["n"])))
        .collect();
    assert_eq!(
        got,
        [
            ("container_memory_working_set_bytes".to_string(), 8),
            ("kube_pod_container_resource_limits".into(), 2),
            ("kube_pod_container_status_last_terminated_reason".into(), 1),
            ("kube_pod_container_status_restarts_total".into(), 2),
            ("pod_cpu_usage_cores".into(), 2),
            ("pod_memory_working_set_bytes".into(), 2),
        ]
    );
    assert_eq!(rows[0]["max"], 268435456.0);
    let out = podsift(&[
        "sql",
        b,
        "SELECT f.name, f.type, f.help, f.series, f.samples FROM metric_families f WHERE f.name = 'node_cpu_seconds_total'",
        "-o",
        "json",
    ]);
    let r = &ndjson(&out)[0];
    assert_eq!(
        (r["type"].as_str(), u(&r["series"]), u(&r["samples"])),
        (Some("counter"), 4, 8)
    );
    assert_eq!(r["help"], "Seconds the CPUs spent in each mode.");
    // `sources` says what each metrics file is and where its time came from.
    let out = podsift(&["sources", b, "-o", "json"]);
    let kinds: Vec<(String, String, String)> = ndjson(&out)
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().into(),
                r["formats"].as_str().unwrap_or("").into(),
                r["note"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert!(kinds.iter().all(|k| k.0 == "metrics"), "{kinds:?}");
    assert!(
        kinds.contains(&(
            "metrics".into(),
            "kubectl-top 4".into(),
            "scrape time from its name (2024-01-01T12:00:30Z)".into()
        )),
        "{kinds:?}"
    );
}

#[test]
fn metrics_scrape_times_and_bad_input() {
    let dir = TempDir::new("metrics");
    let scrape = |v: u32| {
        format!("# TYPE up gauge\nup{{job=\"a\"}} {v}\n# TYPE x_total counter\nx_total {v}\n")
    };
    dir.write("seq/scrape-001.txt", scrape(1).as_bytes());
    dir.write("seq/scrape-002.txt", scrape(2).as_bytes());
    dir.write("seq/scrape-003.txt", scrape(3).as_bytes());
    // Three scrapes written one after another in one file.
    dir.write(
        "one/watch.txt",
        format!("{}{}{}", scrape(1), scrape(2), scrape(3)).as_bytes(),
    );
    let p = dir.path().to_str().unwrap();
    let q = "SELECT s.target, CAST(m.ts AS STRING) AS ts, m.value FROM metrics m JOIN series s ON m.series_id = s.series_id WHERE m.name = 'up' ORDER BY s.target, m.ts";
    let out = podsift(&[
        "sql",
        p,
        q,
        "--at",
        "2024-01-01T00:00:00Z",
        "--scrape-interval",
        "30s",
        "-o",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out)
        .replace(p, "D")
        .replace("\r\n", "\n")
        .replace("+00:00", " UTC");
    assert_eq!(
        text,
        "target,ts,value\n\
         D/one/watch.txt,2024-01-01 00:00:00.000 UTC,1.0\n\
         D/one/watch.txt,2024-01-01 00:00:30.000 UTC,2.0\n\
         D/one/watch.txt,2024-01-01 00:01:00.000 UTC,3.0\n\
         D/seq/scrape-#.txt,2024-01-01 00:00:00.000 UTC,1.0\n\
         D/seq/scrape-#.txt,2024-01-01 00:00:30.000 UTC,2.0\n\
         D/seq/scrape-#.txt,2024-01-01 00:01:00.000 UTC,3.0\n"
    );
    // Two targets exposing the same series stay apart in a dump, and a dump groups by name.
    let two = TempDir::new("metrics-two");
    two.write("node-a/metrics.prom", b"node_load1 1\nup 1\n");
    two.write("node-b/metrics.prom", b"node_load1 2\nup 1\n");
    let t = two.path().to_str().unwrap();
    let out = podsift(&["metrics", t, "--at", "@1700000000", "-o", "openmetrics"]);
    assert_eq!(
        stdout(&out).replace(t, "D"),
        "node_load1{podsift_target=\"D/node-a/metrics.prom\"} 1 1700000000.000\n\
         node_load1{podsift_target=\"D/node-b/metrics.prom\"} 2 1700000000.000\n\
         up{podsift_target=\"D/node-a/metrics.prom\"} 1 1700000000.000\n\
         up{podsift_target=\"D/node-b/metrics.prom\"} 1 1700000000.000\n# EOF\n"
    );

    // Without --at, podsift says it had no time.
    let out = podsift(&["metrics", p]);
    assert!(stdout(&out).contains("no scrape time: samples put at 1970-01-01T00:00:00Z (give --at), scrape 2 of 3 in a numbered sequence (+15s)"), "{}", stdout(&out));
    assert!(stdout(&out).contains("3 scrapes one after another, 15s apart"));

    // Bad lines: reported with file:line, the rest kept, exit 1; a series twice in one
    // scrape is reported and kept once.
    let bad = TempDir::new("metrics-bad");
    bad.write(
        "m.prom",
        b"# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2} 2\na{x=\"3\"} three\na{x=\"4\"} 4\na{x=\"1\"} 5\n",
    );
    let m = bad.path().to_str().unwrap();
    let out = podsift(&["metrics", m, "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("m.prom:3: unparsed line: label set without its closing `}`"),
        "{err}"
    );
    assert!(
        err.contains("m.prom:4: unparsed line: invalid value \"three\""),
        "{err}"
    );
    assert!(
        err.contains("m.prom:6: duplicate sample of a{x=\"1\"}"),
        "{err}"
    );
    assert!(err.contains("value 5 here, 1 kept"), "{err}");
    let rows = ndjson(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.iter().map(|r| u(&r["samples"])).sum::<u64>(), 2);
    let out = podsift(&["sources", m, "-o", "json"]);
    let r = &ndjson(&out)[0];
    assert_eq!(
        (
            u(&r["lines"]),
            u(&r["entries"]),
            u(&r["joined"]),
            u(&r["unparsed"])
        ),
        (6, 3, 1, 2)
    );
}

#[test]
fn realdata_metrics_tree_reads_without_a_panic_and_agrees_with_sql() {
    let root = realdata().join("05_prometheus");
    let r = root.to_str().unwrap();
    let out = podsift(&["metrics", r, "-o", "json"]);
    // The OpenMetrics suite's bad cases are in there: problems, so exit 1, never a crash.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not valid OpenMetrics"),
        "{}",
        stderr(&out)
    );
    let rows = ndjson(&out);
    let samples: u64 = rows.iter().map(|r| u(&r["samples"])).sum();
    let count = |q: &str| -> u64 {
        let out = podsift(&["sql", r, q, "-o", "json"]);
        u(&ndjson(&out)[0]["n"])
    };
    assert_eq!(count("SELECT COUNT(*) AS n FROM samples"), samples);
    assert_eq!(count("SELECT COUNT(*) AS n FROM series"), rows.len() as u64);
    let files = count("SELECT COUNT(*) AS n FROM sources WHERE kind = 'metrics'");
    // The ~100 exposition, dump and API files, and the OpenMetrics cases that look like
    // metrics at all (an empty file or a lone `# HELP` does not).
    assert!((250..=320).contains(&files), "{files}");
}

#[test]
fn patterns_group_messages_by_template() {
    let dir = TempDir::new("patterns");
    let mut log = String::new();
    for i in 0..30 {
        let t = format!("2024-01-01T00:{:02}:{:02}Z", i / 60, i % 60);
        if i % 3 == 0 {
            log.push_str(&format!(
                "{t} ERROR connection to 10.0.{i}.7:5432 refused after {i} retries\n"
            ));
        } else {
            log.push_str(&format!("{t} INFO request {i} served in {}ms\n", i * 7));
        }
    }
    log.push_str("2024-01-01T00:01:00Z WARN disk almost full\n");
    log.push_str("2024-01-01T00:01:01Z ERROR worker died\npanic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:12 +0x1d\n");
    dir.write("app.log", log.as_bytes());
    let d = dir.path().to_str().unwrap();
    let out = podsift(&["patterns", d, "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = ndjson(&out);
    let got: Vec<(String, u64)> = rows
        .iter()
        .map(|r| (r["template"].as_str().unwrap().to_string(), u(&r["count"])))
        .collect();
    assert_eq!(
        got,
        [
            ("request <NUM> served in <DUR>".to_string(), 20),
            ("connection to <IP> refused after <NUM> retries".into(), 10),
            ("disk almost full".into(), 1),
            ("worker died".into(), 1),
        ]
    );
    // The Go panic after it is folded into its entry, and named.
    assert_eq!(rows[3]["evidence"], "go-panic");
    assert!(rows[..3].iter().all(|r| r["evidence"].is_null()));
    assert_eq!(rows[1]["first_ts"], "2024-01-01T00:00:00.000000000Z");
    assert_eq!(rows[1]["last_ts"], "2024-01-01T00:00:27.000000000Z");
    assert_eq!(
        rows[1]["sample"],
        "2024-01-01T00:00:00Z ERROR connection to 10.0.0.7:5432 refused after 0 retries"
    );
    // Filters apply first: errors only.
    let out = podsift(&["patterns", d, "-l", "error", "-o", "json"]);
    let rows = ndjson(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(u(&rows[0]["count"]), 10);
}

/// A bundle with planted failures: a crash-looping pod whose last run panicked, a worker with
/// a burst of Java exceptions and an OOM kill, and a pod that went quiet.
fn planted_bundle(dir: &TempDir) {
    let cri = |t: &str, stream: &str, msg: &str| format!("2024-01-01T00:{t}Z {stream} F {msg}\n");
    let mut api = Vec::new();
    for run in 0..3 {
        let mut s = String::new();
        s.push_str(&cri(
            &format!("0{run}:00.000000000"),
            "stdout",
            "INFO starting api",
        ));
        s.push_str(&cri(
            &format!("0{run}:01.000000000"),
            "stderr",
            &format!("ERROR connection to 10.0.0.{run}:5432 refused"),
        ));
        if run == 2 {
            for line in [
                "panic: runtime error: index out of range [3] with length 3",
                "",
                "goroutine 1 [running]:",
                "main.main()",
                "\t/app/main.go:12 +0x1d",
            ] {
                s.push_str(&cri("02:02.000000000", "stderr", line));
            }
        }
        api.push(s);
    }
    for (run, s) in api.iter().enumerate() {
        dir.write(
            &format!("node-a/pods/shop_api-1_0d5ad0a5-6b8a-4a3a-9c51-000000000001/app/{run}.log"),
            s.as_bytes(),
        );
    }
    let mut worker = String::new();
    for m in 0..21 {
        let n = if m == 10 { 12 } else { 1 };
        for k in 0..n {
            worker.push_str(&cri(
                &format!("{m:02}:{k:02}.000000000"),
                "stderr",
                "ERROR java.lang.IllegalStateException: pool closed",
            ));
            worker.push_str(&cri(
                &format!("{m:02}:{k:02}.000000001"),
                "stderr",
                "\tat com.example.Pool.take(Pool.java:42)",
            ));
        }
        worker.push_str(&cri(
            &format!("{m:02}:30.000000000"),
            "stdout",
            "WARN queue depth 7 over 5",
        ));
    }
    dir.write(
        "node-a/pods/shop_worker-1_0d5ad0a5-6b8a-4a3a-9c51-000000000002/app/0.log",
        worker.as_bytes(),
    );
    let quiet = [
        cri("00:00.000000000", "stdout", "INFO tick"),
        // Info-level text naming a crash is not evidence of one.
        cri(
            "01:00.000000000",
            "stdout",
            "INFO watching for OOMKilled containers",
        ),
        cri("20:00.000000000", "stdout", "INFO tick"),
    ]
    .concat();
    dir.write(
        "node-a/pods/shop_quiet-1_0d5ad0a5-6b8a-4a3a-9c51-000000000003/app/0.log",
        quiet.as_bytes(),
    );
    let pod = |name: &str,
               uid: &str,
               restarts: u32,
               waiting: Option<&str>,
               reason: &str,
               code: i32| {
        serde_json::json!({
            "metadata": {"name": name, "namespace": "shop", "uid": uid},
            "spec": {"nodeName": "node-a", "containers": [{"name": "app", "image": "x"}]},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "app", "ready": false, "restartCount": restarts, "image": "x",
                "state": match waiting { Some(w) => serde_json::json!({"waiting": {"reason": w}}), None => serde_json::json!({"running": {}}) },
                "lastState": {"terminated": {"reason": reason, "exitCode": code}}
            }]}
        })
    };
    let list = serde_json::json!({"apiVersion": "v1", "kind": "PodList", "items": [
        pod("api-1", "0d5ad0a5-6b8a-4a3a-9c51-000000000001", 2, Some("CrashLoopBackOff"), "Error", 2),
        pod("worker-1", "0d5ad0a5-6b8a-4a3a-9c51-000000000002", 1, None, "OOMKilled", 137),
    ]});
    dir.write(
        "pods.json",
        serde_json::to_string_pretty(&list).unwrap().as_bytes(),
    );
}

#[test]
fn report_finds_planted_failures_and_is_stable() {
    let dir = TempDir::new("report");
    planted_bundle(&dir);
    let d = dir.path().to_str().unwrap();
    let out = podsift(&["report", d, "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = |pod: &str| -> &Value {
        r["containers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["pod"] == pod)
            .unwrap()
    };
    let api = row("api-1");
    assert_eq!(
        (
            u(&api["restarts"]),
            api["state_reason"].as_str(),
            api["last_reason"].as_str(),
            api["exit_code"].as_i64()
        ),
        (2, Some("CrashLoopBackOff"), Some("Error"), Some(2))
    );
    // Three refused connections and the panic.
    assert_eq!(u(&api["errors"]), 4, "{api}");
    assert_eq!(u(&api["evidence"]["go-panic"]), 1);
    let worker = row("worker-1");
    assert_eq!(
        (worker["last_reason"].as_str(), worker["exit_code"].as_i64()),
        (Some("OOMKilled"), Some(137))
    );
    assert_eq!(u(&worker["errors"]), 32, "{worker}");
    assert_eq!(u(&worker["warnings"]), 21);
    assert_eq!(u(&worker["evidence"]["java-exception"]), 32);
    // Patterns: the exception burst first, then the refused connections of the three runs.
    let errors = r["error_patterns"].as_array().unwrap();
    assert_eq!(
        errors[0]["template"],
        "java.lang.IllegalStateException: pool closed"
    );
    assert_eq!(u(&errors[0]["count"]), 32);
    assert_eq!(errors[1]["template"], "connection to <IP> refused");
    assert_eq!(u(&errors[1]["count"]), 3);
    assert_eq!(
        r["warning_patterns"][0]["template"],
        "queue depth <NUM> over <NUM>"
    );
    // The burst minute is a spike, and only it.
    let spikes: Vec<&str> = r["errors_per_minute"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["spike"] == true)
        .map(|m| m["minute"].as_str().unwrap())
        .collect();
    assert_eq!(spikes, ["2024-01-01T00:10:00.000000000Z"]);
    // The quiet pod's 19 minutes.
    let s = &r["silences"].as_array().unwrap()[0];
    assert_eq!(
        (s["pod"].as_str(), s["seconds"].as_i64()),
        (Some("quiet-1"), Some(1140))
    );
    assert_eq!(r["silences"].as_array().unwrap().len(), 1);

    // The same input, the same bytes (JSON and Markdown).
    for fmt in ["json", "md"] {
        let a = podsift(&["report", d, "-o", fmt]);
        let b = podsift(&["report", d, "-o", fmt]);
        assert_eq!(a.stdout, b.stdout, "{fmt}");
    }
    assert_eq!(row("quiet-1")["evidence"], serde_json::json!({}));
    // `--format` (as the issue writes it) is the output format; `--log-format` the input's.
    let long = podsift(&["report", d, "--format", "json", "--log-format", "json"]);
    assert_eq!(long.status.code(), Some(0), "{}", stderr(&long));
    let short = podsift(&["report", d, "-o", "json", "--log-format", "json"]);
    assert!(
        long.stdout == short.stdout,
        "--format json and -o json differ"
    );
    let bad = podsift(&["report", d, "--log-format", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("unknown format \"nope\""),
        "{}",
        stderr(&bad)
    );
    let md = stdout(&podsift(&["report", d]));
    assert!(
        md.contains("| shop | api-1 | app | 9 | 4 | 0 | 2 | Error (exit 2) | go-panic 1 |"),
        "{md}"
    );
    assert!(
        md.contains("- 2024-01-01T00:10:00.000000000Z: 12 errors"),
        "{md}"
    );
}

#[test]
fn report_rules_pass_and_fail_with_evidence_and_junit() {
    let dir = TempDir::new("report-rules");
    planted_bundle(&dir);
    let rules = dir.write(
        "rules.yaml",
        br#"rules:
  - name: few errors per pod
    max_errors: 10
  - name: few errors in shop
    max_errors: 100
    per: namespace
    namespace: shop
  - name: no OOM kills
    forbid_termination: [OOMKilled]
  - name: no panics
    forbid_pattern: 'panic:'
  - name: at most one restart
    max_restarts: 1
  - name: error rate
    max_error_rate_per_min: 20
  - name: api runs
    require_pod: 'api-.*'
  - name: db runs
    require_pod: 'db-.*'
"#,
    );
    let d = dir.path().join("node-a");
    let pods = dir.path().join("pods.json");
    let args = |fmt: &str| -> Vec<String> {
        vec![
            "report".into(),
            d.to_str().unwrap().into(),
            pods.to_str().unwrap().into(),
            "--rules".into(),
            rules.to_str().unwrap().into(),
            "-o".into(),
            fmt.into(),
        ]
    };
    let run = |fmt: &str| {
        let a = args(fmt);
        podsift(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let out = run("json");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<(String, bool, usize)> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["name"].as_str().unwrap().to_string(),
                x["passed"].as_bool().unwrap(),
                x["evidence"].as_array().unwrap().len(),
            )
        })
        .collect();
    let want = [
        ("few errors per pod", false, 1),
        ("few errors in shop", true, 0),
        ("no OOM kills", false, 1),
        ("no panics", false, 1),
        ("at most one restart", false, 1),
        ("error rate", true, 0),
        ("api runs", true, 0),
        ("db runs", false, 1),
    ];
    assert_eq!(
        got,
        want.iter()
            .map(|(n, p, e)| (n.to_string(), *p, *e))
            .collect::<Vec<_>>()
    );
    let ev = |i: usize| r["rules"][i]["evidence"][0].as_str().unwrap().to_string();
    assert_eq!(ev(0), "shop/worker-1: 32 errors (at most 10)");
    assert_eq!(
        ev(2),
        "shop/worker-1/app: last terminated OOMKilled (exit 137)"
    );
    assert!(
        ev(3).ends_with(
            "shop/api-1/app: panic: runtime error: index out of range [3] with length 3"
        ),
        "{}",
        ev(3)
    );
    assert_eq!(ev(4), "shop/api-1/app: 2 restarts (at most 1)");

    // JUnit: one test case per rule, failures with their evidence, as a parser reads it.
    let out = run("junit");
    assert_eq!(out.status.code(), Some(3));
    let mut reader = quick_xml::Reader::from_reader(&out.stdout[..]);
    let mut cases = 0;
    let mut failures = Vec::new();
    let mut in_failure = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)
                if e.name().as_ref() == b"testcase" =>
            {
                cases += 1;
            }
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"failure" => {
                in_failure = true;
            }
            quick_xml::events::Event::Text(t) if in_failure => {
                failures.push(t.decode().unwrap().into_owned());
                in_failure = false;
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    assert_eq!(cases, 8);
    assert_eq!(failures.len(), 5);
    assert!(
        failures.contains(&"shop/worker-1: 32 errors (at most 10)".to_string()),
        "{failures:?}"
    );

    // Markdown says which failed; without rules, exit 0.
    let md = stdout(&run("md"));
    assert!(md.contains("## Rules: 5 of 8 failed"), "{md}");
    assert!(
        md.contains("- **FAIL** no OOM kills (`forbid_termination`)"),
        "{md}"
    );
    let out = podsift(&["report", d.to_str().unwrap(), pods.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn report_audit_and_event_sections_agree_with_sql() {
    let root = realdata().join("04_audit_and_events");
    let r = root.to_str().unwrap();
    let out = podsift(&["report", r, "-o", "json", "--top", "50"]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    let rep: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failures: u64 = rep["audit_failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| u(&f["count"]))
        .sum();
    let sql = |q: &str| -> Vec<Value> { ndjson(&podsift(&["sql", r, q, "-o", "json"])) };
    let want = sql(
        "SELECT COUNT(DISTINCT audit_id) AS n FROM audit WHERE code >= 400 AND stage = 'ResponseComplete'",
    );
    assert!(failures > 0);
    assert_eq!(failures, u(&want[0]["n"]));
    let warnings: u64 = rep["warning_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| u(&w["count"]))
        .sum();
    let want = sql(
        "SELECT SUM(CASE WHEN count > 0 THEN count ELSE 1 END) AS n FROM events WHERE type = 'Warning'",
    );
    assert!(warnings > 0);
    assert_eq!(warnings, u(&want[0]["n"]));
    let slow = rep["slowest_requests"].as_array().unwrap();
    assert!(
        slow.windows(2)
            .all(|w| u(&w[0]["latency_ms"]) >= u(&w[1]["latency_ms"]))
    );
}

#[test]
fn report_diff_shows_new_and_vanished_patterns() {
    let before = TempDir::new("report-diff-a");
    planted_bundle(&before);
    let after = TempDir::new("report-diff-b");
    planted_bundle(&after);
    // The next run: the refused connections are gone, a TLS error is new, the burst grew.
    let p = "node-a/pods/shop_api-1_0d5ad0a5-6b8a-4a3a-9c51-000000000001/app";
    for run in 0..3 {
        after.write(
            &format!("{p}/{run}.log"),
            format!("2024-01-01T00:0{run}:00.000000000Z stderr F ERROR tls: handshake with 10.0.0.{run}:443 failed\n").as_bytes(),
        );
    }
    let w = "node-a/pods/shop_worker-1_0d5ad0a5-6b8a-4a3a-9c51-000000000002/app/0.log";
    let mut more = std::fs::read_to_string(after.path().join(w)).unwrap();
    more.push_str("2024-01-01T00:30:00.000000000Z stderr F ERROR java.lang.IllegalStateException: pool closed\n");
    after.write(w, more.as_bytes());
    let json = |d: &TempDir, name: &str| {
        let f = d.path().join(name);
        let out = podsift(&[
            "report",
            d.path().to_str().unwrap(),
            "-o",
            "json",
            "--out",
            f.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        f
    };
    let (a, b) = (json(&before, "a.json"), json(&after, "b.json"));
    let out = podsift(&[
        "report",
        "--diff",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let templates = |k: &str| -> Vec<String> {
        d[k].as_array()
            .unwrap()
            .iter()
            .map(|p| p["template"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(templates("new_errors"), ["tls: handshake with <IP> failed"]);
    assert_eq!(
        templates("vanished_errors"),
        [
            "connection to <IP> refused",
            "panic: runtime error: index out of range [<NUM>] with length <NUM>"
        ]
    );
    assert!(templates("new_warnings").is_empty());
    assert_eq!(
        d["changed"],
        serde_json::json!([["java.lang.IllegalStateException: pool closed", 32, 33]])
    );
    let md = stdout(&podsift(&[
        "report",
        "--diff",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]));
    assert!(
        md.contains("## New error patterns\n\n- 3 x ` tls: handshake with <IP> failed `"),
        "{md}"
    );
    // Both a diff and paths: a usage error.
    let out = podsift(&[
        "report",
        "x",
        "--diff",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// Headless Chromium's DOM of a page after it loaded (scripts run, as in a browser).
fn chromium_dom(page: &Path, profile: &Path) -> String {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=2000",
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("chromium (apt-get install chromium; .ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn report_html_is_self_contained_and_nothing_in_the_logs_runs() {
    let dir = TempDir::new("report-html");
    planted_bundle(&dir);
    let evil = [
        "<script>document.body.setAttribute('data-pwned','script')</script>",
        "\"><img src=x onerror=\"document.body.setAttribute('data-pwned','img')\">",
        "</code></pre></details><svg onload=\"document.body.setAttribute('data-pwned','svg')\">",
    ];
    let mut log = String::new();
    for (i, e) in evil.iter().enumerate() {
        log.push_str(&format!(
            "2024-01-01T00:00:0{i}.000000000Z stderr F ERROR {e}\n"
        ));
    }
    dir.write(
        "node-a/pods/shop_evil-1_0d5ad0a5-6b8a-4a3a-9c51-000000000009/app/0.log",
        log.as_bytes(),
    );
    let rules = dir.write(
        "rules.yaml",
        b"rules:\n  - name: '<b>no</b> scripts'\n    forbid_pattern: 'script|onerror|onload'\n",
    );
    let page = dir.path().join("report.html");
    let out = podsift(&[
        "report",
        dir.path().join("node-a").to_str().unwrap(),
        dir.path().join("pods.json").to_str().unwrap(),
        "--rules",
        rules.to_str().unwrap(),
        "-o",
        "html",
        "--out",
        page.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: no script, no external reference.
    assert!(!html.contains("<script"));
    for reference in ["src=\"", "href=\"", "url(", "<link", "@import"] {
        assert!(!html.contains(reference), "{reference} in the page");
    }
    assert!(html.contains("Content-Security-Policy"));
    // Escaping alone must hold: load the page without its CSP too.
    let no_csp = dir.path().join("report-no-csp.html");
    let stripped = html.replace("Content-Security-Policy", "X-Removed");
    std::fs::write(&no_csp, &stripped).unwrap();
    for (i, p) in [&page, &no_csp].into_iter().enumerate() {
        let profile = dir.path().join(format!("profile-{i}"));
        let dom = chromium_dom(p, &profile);
        assert!(dom.contains("podsift report"), "{dom}");
        // A payload that ran would have set the attribute on <body>.
        assert!(
            !dom.contains("data-pwned=\""),
            "a payload ran in {}",
            p.display()
        );
        assert!(dom.contains("<body>"), "{dom}");
        assert!(!dom.contains("<img") && !dom.contains("<script"), "{dom}");
        assert!(!dom.contains("<svg onload"), "{dom}");
        // The payloads are shown as text.
        assert!(
            dom.contains("&lt;script&gt;document.body.setAttribute"),
            "{dom}"
        );
        assert!(dom.contains("&lt;b&gt;no&lt;/b&gt; scripts"), "{dom}");
    }
}

#[test]
fn report_metric_highlights_from_the_metrics_bundle() {
    let b = repo().join("testdata/metrics/bundle");
    let out = podsift(&["report", b.to_str().unwrap(), "-o", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    // api's working set reached its 256Mi limit; web's 40Mi of 128Mi does not show.
    assert_eq!(
        r["memory_near_limit"],
        serde_json::json!([{"namespace": "shop", "pod": "api-7d9f8b6c5-x2k4p", "container": "api",
            "max_bytes": 268435456.0, "limit_bytes": 268435456.0, "ratio": 1.0}])
    );
    assert_eq!(
        r["restart_counters"],
        serde_json::json!([{"namespace": "shop", "pod": "api-7d9f8b6c5-x2k4p", "container": "api",
            "restarts": 7.0, "increase": 0.0}])
    );
    let md = stdout(&podsift(&["report", b.to_str().unwrap()]));
    assert!(
        md.contains("| shop | api-7d9f8b6c5-x2k4p | api | 268435456 | 268435456 | 1.000 |"),
        "{md}"
    );
}
