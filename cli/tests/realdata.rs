//! End-to-end tests of the `podsift` binary. Real data written by others: container runtime logs
//! and node log layouts, every line accounted for.

mod common;

use common::*;

use serde_json::Value;

#[test]
fn realdata_container_runtime_logs_are_accounted_for() {
    let Some(dir) = need::realdata().map(|r| r.join("01_container_runtime_logs")) else {
        return;
    };
    // 107 read: 95 CRI/json-file logs, 4 plain logs (fluent-bit's tail test inputs), one
    // pretty-printed journal record (fluent-bit's kairosdb expected output) and 7 Pod objects
    // (fluent-bit's `.meta` fixtures, read into the pods table); 63 are data listed as what
    // they are (metadata: 56 JSON documents without a log record's time, message or level,
    // 6 configuration files, one Namespace object); the 70 skipped are other expected outputs
    // and binary fixtures.
    // The oracle's CRI joins give 237 entries and 133 joined lines; then the 17 `\tat ...`
    // frames of fluent-bit's avro multiline case (one CRI line each) fold into their exception.
    assert_eq!(source_totals(&dir), (240, 107, 70, [370, 220, 150, 5]));
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
    let Some(dir) = need::realdata().map(|r| r.join("02_node_log_layouts")) else {
        return;
    };
    // 36 read: 18 container logs, 7 plain text files (lists of paths, read as text), one
    // pretty-printed journal record and fluent-bit's 10 `.meta` Pod objects (the pods table);
    // one JSON document is data (metadata), 8 files are skipped.
    assert_eq!(source_totals(&dir), (45, 36, 8, [42, 40, 2, 0]));
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
fn realdata_loghub_times_in_every_layout() {
    let Some(dir) = need::realdata().map(|r| r.join("08_loghub")) else {
        return;
    };
    // Each set's every line is an entry with its time read from the layout its writer used
    // (loghub's own structured files give the same dates); the year-less syslog sets have no
    // time alone (nothing beside them gives a year) and get one with --year.
    let expected = [
        (
            "Apache",
            2000,
            "2005-12-04T04:47:44",
            "2005-12-05T19:15:57",
            "apache-error",
        ),
        (
            "HDFS",
            2000,
            "2008-11-09T20:36:15",
            "2008-11-11T10:20:17",
            "log4j-yymmdd",
        ),
        (
            "Hadoop",
            2000,
            "2015-10-18T18:01:47",
            "2015-10-18T18:10:55",
            "text",
        ),
        (
            "HealthApp",
            2000,
            "2017-12-23T22:15:29",
            "2017-12-24T01:02:35",
            "compact-stamp",
        ),
        ("Linux", 0, "", "", "syslog"),
        ("OpenSSH", 0, "", "", "syslog"),
        (
            "Spark",
            2000,
            "2017-06-09T20:10:40",
            "2017-06-09T20:11:11",
            "log4j-yy",
        ),
        (
            "Zookeeper",
            2000,
            "2015-07-29T17:41:44",
            "2015-08-25T11:26:28",
            "text",
        ),
    ];
    for (set, timed, first, last, format) in expected {
        let file = dir.join(set).join(format!("{set}_2k.log"));
        let f = file.to_str().unwrap();
        let rows = ndjson(&podsift(&[
            "sql",
            f,
            "SELECT count(*) AS n, count(ts) AS timed, CAST(min(ts) AS STRING) AS first, CAST(max(ts) AS STRING) AS last, min(format) AS format FROM logs",
            "-o",
            "json",
        ]));
        let r = &rows[0];
        assert_eq!(u(&r["n"]), 2000, "{set}");
        assert_eq!(u(&r["timed"]), timed, "{set}");
        let text = |v: &Value| v.as_str().unwrap_or("").replace(' ', "T");
        assert!(text(&r["first"]).starts_with(first), "{set}: {r}");
        assert!(text(&r["last"]).starts_with(last), "{set}: {r}");
        assert_eq!(r["format"], format, "{set}");
        if timed == 0 {
            let s = ndjson(&podsift(&["sources", f, "-o", "json"]));
            assert_eq!(u(&s[0]["untimed"]), 2000);
            assert!(
                s[0]["note"]
                    .as_str()
                    .unwrap()
                    .starts_with("no entry has a time"),
                "{}",
                s[0]["note"]
            );
            let rows = ndjson(&podsift(&[
                "sql",
                f,
                "SELECT count(ts) AS timed FROM logs",
                "--year",
                "2005",
                "-o",
                "json",
            ]));
            assert_eq!(u(&rows[0]["timed"]), 2000, "{set} with --year");
        }
    }
}
