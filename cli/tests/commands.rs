//! End-to-end tests of the `podsift` binary. `logs`, `stats`, `sql` and `patterns`: filters,
//! groups, SQL over every table, Arrow and Parquet output.

mod common;

use common::*;
use std::collections::BTreeMap;

use serde_json::Value;

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
    // Entries with and without a time are one group, on both counting paths (a small enum
    // key, and any other); with --every, the untimed ones are a bucket of their own.
    let plain = TempDir::new("stats-untimed");
    plain.write(
        "app.log",
        b"no time here\n2024-01-01T00:00:00Z INFO up\n2024-01-01T00:00:01Z ERROR down\n",
    );
    let p = plain.path().join("app.log");
    let p = p.to_str().unwrap();
    let csv = stdout(&podsift(&["stats", p, "--by", "component", "-o", "csv"]));
    assert_eq!(csv, "component,entries,bytes\r\napp,3,71\r\n");
    let csv = stdout(&podsift(&["stats", p, "--by", "stream", "-o", "csv"]));
    assert_eq!(csv, "stream,entries,bytes\r\n,3,71\r\n");
    let rows = ndjson(&podsift(&[
        "stats",
        p,
        "--by",
        "component",
        "--every",
        "1m",
        "-o",
        "json",
    ]));
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (u(&rows[0]["entries"]), &rows[1]["bucket"]),
        (2, &Value::Null)
    );
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
    if !need::duckdb() {
        return;
    }
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

#[test]
fn colours_tell_pods_apart_and_logs_cannot_drive_the_terminal() {
    let sample = repo().join("testdata/sample");
    let out = podsift(&["logs", sample.to_str().unwrap(), "--color", "always"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    // Each line starts with the pod in its colour: as many colours as pods (fewer than the
    // palette's 18).
    let mut colour_of: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        let rest = line.strip_prefix("\x1b[").expect("a colour first");
        let (code, rest) = rest.split_once('m').unwrap();
        let pod = rest.split("\x1b[0m").next().unwrap().to_string();
        let had = colour_of.insert(pod.clone(), code.to_string());
        assert!(had.is_none_or(|c| c == code), "{pod} changed colour");
    }
    let pods = colour_of.len();
    let colours: std::collections::BTreeSet<&String> = colour_of.values().collect();
    assert!(pods > 5, "{pods}");
    assert_eq!(colours.len(), pods, "{colour_of:?}");
    // A log's escape sequences (a window title, a cleared screen) are shown, not obeyed,
    // when the output goes to a terminal or is coloured; piped plain, they are kept as
    // written.
    let dir = TempDir::new("escapes");
    let file = dir.write(
        "app.log",
        b"2024-05-01T10:00:00Z INFO hi \x1b]0;pwned\x07 \x1b[2J done\n",
    );
    let f = file.to_str().unwrap();
    let coloured = stdout(&podsift(&["logs", f, "--color", "always"]));
    assert!(
        coloured.contains("hi ^[]0;pwned^G ^[[2J done"),
        "{coloured:?}"
    );
    assert!(!coloured.contains("\x1b]0") && !coloured.contains('\x07'));
    let plain = stdout(&podsift(&["logs", f, "--color", "never"]));
    assert!(plain.contains("hi \x1b]0;pwned\x07"), "{plain:?}");
    // Messages about the input (here a file name holding an OSC 52 clipboard write) show its
    // control characters on stderr, never send them.
    dir.write("x\x1b]52;c;cHduZWQ=\x07.log", b"\x00\x01binary\n");
    let out = podsift(&["logs", dir.path().to_str().unwrap()]);
    let err = stderr(&out);
    assert!(err.contains("x^[]52;c;cHduZWQ=^G.log"), "{err:?}");
    assert!(!err.contains('\x1b') && !err.contains('\x07'), "{err:?}");
}
