//! End-to-end tests of the `podsift` binary. `podsift metrics` and the metrics tables.

mod common;

use common::*;

use serde_json::Value;

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

    // Scrapes of one target named by their times keep those times under --at (it would put
    // them on one time and drop all but one); a scrape where some samples carry a time puts
    // the others at the latest of those, not at 1970.
    let named = TempDir::new("metrics-named");
    named.write("m-20240101-120000.prom", b"up 1\n");
    named.write("m-20240101-120015.prom", b"up 0\n");
    named.write(
        "mixed.prom",
        b"# TYPE a gauge\na 1\n# TYPE b gauge\nb 2 1709287200000\n",
    );
    let n = named.path().to_str().unwrap();
    let out = podsift(&[
        "sql",
        n,
        "SELECT name, CAST(ts AS STRING) AS ts, value FROM metrics ORDER BY name, ts",
        "--at",
        "2030-01-01T00:00:00Z",
        "-o",
        "csv",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).replace("\r\n", "\n").replace("+00:00", " UTC"),
        "name,ts,value\n\
         a,2024-03-01 10:00:00.000 UTC,1.0\n\
         b,2024-03-01 10:00:00.000 UTC,2.0\n\
         up,2024-01-01 12:00:00.000 UTC,1.0\n\
         up,2024-01-01 12:00:15.000 UTC,0.0\n"
    );

    // A duplicate across files points at the sample kept, in the file it came from.
    let dup = TempDir::new("metrics-dup");
    dup.write(
        "one.prom",
        b"up{job=\"a\"} 1 1700000000000\nup{job=\"a\"} 2 1700000015000\n",
    );
    dup.write(
        "two.prom",
        b"up{job=\"a\"} 1 1700000000000\nup{job=\"a\"} 3 1700000015000\n",
    );
    let out = podsift(&["metrics", dup.path().to_str().unwrap()]);
    let err = stderr(&out);
    assert!(
        err.contains("two.prom:2: duplicate sample of up{job=\"a\"} at 2023-11-14T22:13:35Z (value 3 here, 2 kept; first at ")
            && err.contains("one.prom:2): not counted twice"),
        "{err}"
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
    let Some(root) = need::realdata().map(|r| r.join("05_prometheus")) else {
        return;
    };
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
