//! End-to-end tests of the `podsift` binary: `podsift query` over a real Prometheus's data
//! directory (testdata/prometheus), against what that Prometheus answers to the same queries
//! through its HTTP API (Debian's prometheus 2.42, started on a copy of the directory).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// The time of the data's last scrape.
const AT: &str = "1796487449.524";

/// A Prometheus serving a copy of testdata/prometheus/data, stopped on drop.
struct Prometheus {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn start_prometheus() -> Option<Prometheus> {
    if !podsift_testgen::need::tool(
        &["prometheus", "--version"],
        "prometheus",
        "apt-get install prometheus (bash .ci/setup installs it)",
    ) {
        return None;
    }
    let dir = TempDir::new("promql-prometheus");
    copy_dir(
        &repo().join("testdata/prometheus/data"),
        &dir.path().join("data"),
    );
    let config = dir.write("prometheus.yml", b"global:\n  scrape_interval: 1h\n");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--storage.tsdb.retention.time=100y")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let p = Prometheus {
        child,
        port,
        _dir: dir,
    };
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if get(p.port, "/-/ready").is_some_and(|b| b.contains("Ready")) {
            return Some(p);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("prometheus did not get ready in 60 s");
}

/// The body of a GET on 127.0.0.1.
fn get(port: u16, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A result's series: (labels as JSON, [(time, value)]).
type Series = Vec<(String, Vec<(f64, f64)>)>;

/// A result's type and series sorted by labels, for comparing.
fn series(data: &Value) -> (String, Series) {
    let kind = data["resultType"].as_str().unwrap().to_string();
    let point = |p: &Value| {
        (
            p[0].as_f64().unwrap(),
            p[1].as_str().unwrap().parse::<f64>().unwrap(),
        )
    };
    let mut out: Series = match kind.as_str() {
        "scalar" => vec![(String::new(), vec![point(&data["result"])])],
        _ => data["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let labels = r["metric"].to_string();
                let points = match r.get("values") {
                    Some(v) => v.as_array().unwrap().iter().map(point).collect(),
                    None => vec![point(&r["value"])],
                };
                (labels, points)
            })
            .collect(),
    };
    out.sort_by(|a, b| a.0.cmp(&b.0));
    (kind, out)
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

#[test]
fn promql_answers_as_prometheus_answers_over_the_same_data() {
    let Some(p) = start_prometheus() else {
        return;
    };
    let data = repo().join("testdata/prometheus/data");
    let d = data.to_str().unwrap();
    let instant = [
        "up",
        "count(demo_requests_total)",
        "sum by (code) (rate(demo_requests_total[10s]))",
        "increase(demo_requests_total[30s])",
        "demo_requests_total offset 10s",
        "topk(2, demo_requests_total)",
        "avg without (method) (demo_requests_total)",
        "demo_requests_total / ignoring(method) group_left sum without (method) (demo_requests_total)",
        "max_over_time(demo_requests_total[20s]) - min_over_time(demo_requests_total[20s])",
        "deriv(demo_requests_total{code=\"200\"}[30s])",
        "predict_linear(demo_requests_total[30s], 60)",
        "quantile(0.5, demo_requests_total)",
        "count_over_time(up[1m])",
        "rate(demo_requests_total[5s:1s])",
        "label_replace(up, \"port\", \"$1\", \"instance\", \".*:(.*)\")",
        "scalar(sum(up))",
        "demo_requests_total > 100",
        "absent(nothing_here)",
        "time() - timestamp(up)",
    ];
    for q in instant {
        let theirs: Value = serde_json::from_str(
            &get(
                p.port,
                &format!("/api/v1/query?query={}&time={AT}", encode(q)),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(theirs["status"], "success", "{q}: {theirs}");
        let out = podsift(&["query", q, d, "--time", AT, "-o", "prom-json"]);
        assert!(out.status.success(), "{q}: {}", stderr(&out));
        let ours: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(ours["status"], "success");
        let (tk, ts) = series(&theirs["data"]);
        let (ok, os) = series(&ours["data"]);
        assert_eq!(ok, tk, "{q}");
        assert_eq!(
            os.iter().map(|s| &s.0).collect::<Vec<_>>(),
            ts.iter().map(|s| &s.0).collect::<Vec<_>>(),
            "{q}"
        );
        for (o, t) in os.iter().zip(&ts) {
            assert_eq!(o.1.len(), t.1.len(), "{q}");
            for (a, b) in o.1.iter().zip(&t.1) {
                assert!(
                    close(a.0, b.0) && close(a.1, b.1),
                    "{q}: {} ours {a:?}, theirs {b:?}",
                    o.0
                );
            }
        }
    }
    // A range query. (Not over the series' first seconds: there Prometheus 2.42 extrapolates
    // a counter's rate to its zero point before the 110% rule, which Prometheus 3, whose
    // semantics podsift follows and whose suite checks it, does after.)
    let q = "sum(rate(demo_requests_total[5s]))";
    let (start, end) = ("1796487420", "1796487448");
    let theirs: Value = serde_json::from_str(
        &get(
            p.port,
            &format!(
                "/api/v1/query_range?query={}&start={start}&end={end}&step=2",
                encode(q)
            ),
        )
        .unwrap(),
    )
    .unwrap();
    let out = podsift(&[
        "query",
        q,
        d,
        "--start",
        &format!("@{start}"),
        "--end",
        &format!("@{end}"),
        "--step",
        "2s",
        "-o",
        "prom-json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ours: Value = serde_json::from_slice(&out.stdout).unwrap();
    let (tk, ts) = series(&theirs["data"]);
    let (ok, os) = series(&ours["data"]);
    assert_eq!((ok.as_str(), os.len()), (tk.as_str(), ts.len()));
    assert_eq!(os[0].1.len(), 15);
    for (a, b) in os[0].1.iter().zip(&ts[0].1) {
        assert!(
            close(a.0, b.0) && close(a.1, b.1),
            "ours {a:?}, theirs {b:?}"
        );
    }
}

#[test]
fn query_table_output_times_and_errors() {
    let data = repo().join("testdata/prometheus/data");
    let d = data.to_str().unwrap();
    let out = podsift(&["query", "count(demo_requests_total)", d, "--time", AT]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{{}} => 4 @[{AT}]\n")
    );
    // `end`, `end-10s`, and the default: the last sample's time.
    for (time, want) in [
        (None, AT),
        (Some("end"), AT),
        (Some("end-10s"), "1796487439.524"),
    ] {
        let mut args = vec!["query", "scalar(count(up))", d];
        if let Some(t) = time {
            args.extend(["--time", t]);
        }
        let out = podsift(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("scalar: 1 @[{want}]\n")
        );
    }
    // A query that does not parse: exit 2, the parser's words.
    let out = podsift(&["query", "rate(x[5m", d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("rate(x[5m"), "{}", stderr(&out));
    // What the engine does not do yet says so.
    let out = podsift(&["query", "histogram_count(demo_latency_seconds)", d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not supported yet"),
        "{}",
        stderr(&out)
    );
}
