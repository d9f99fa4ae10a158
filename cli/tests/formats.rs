//! End-to-end tests of the `podsift` binary. Formats: detection per file, fields, user and forced
//! formats, years, folding, journal exports and `kubectl logs` output.

mod common;

use common::*;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

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
    let Some(root) = need::realdata() else {
        return;
    };
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
    let Some(root) = need::realdata() else {
        return;
    };
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

    // A file with no pod of its own takes the one given with the --set flags; the filters
    // filter it as they filter everything else.
    let plain = dir.write("out/app.log", b"2024-05-01T10:00:00Z INFO hello\n");
    let filtered = podsift(&["logs", plain.to_str().unwrap(), "-n", "shop", "-o", "json"]);
    assert!(ndjson(&filtered).is_empty());
    let rows = ndjson(&podsift(&[
        "logs",
        plain.to_str().unwrap(),
        "--set-namespace",
        "shop",
        "--set-pod",
        "cart-0",
        "--set-container",
        "app",
        "-n",
        "shop",
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
fn realdata_plain_logs_are_read_and_folded() {
    let Some(root) = need::realdata() else {
        return;
    };
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

/// Runs podsift with `input` on its standard input.
fn podsift_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_podsift"))
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("podsift runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("written");
    child.wait_with_output().expect("podsift ends")
}

#[test]
fn standard_input_pipes_and_fifos_are_read() {
    // `kubectl logs ... | podsift logs -`: plain lines, a stack trace folded, labelled on
    // request.
    let kubectl =
        b"2024-05-01T10:00:00Z INFO hello\n2024-05-01T10:00:01Z ERROR boom\n  at x.y(Z.java:1)\n";
    let out = podsift_stdin(&["logs", "-", "--set-pod", "web-1", "-o", "json"], kubectl);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = ndjson(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["level"], "error");
    assert_eq!(rows[1]["joined"], 1);
    assert_eq!(rows[0]["pod"], "web-1");
    assert_eq!(rows[0]["source"], "-");
    // `journalctl -o json | podsift stats -`.
    let journal = br#"{"__REALTIME_TIMESTAMP":"1714557600000000","PRIORITY":"3","MESSAGE":"oops","_HOSTNAME":"n1","SYSLOG_IDENTIFIER":"kubelet"}
{"__REALTIME_TIMESTAMP":"1714557601000000","PRIORITY":"6","MESSAGE":"fine","_HOSTNAME":"n1","SYSLOG_IDENTIFIER":"kubelet"}
"#;
    let out = podsift_stdin(
        &["stats", "-", "--by", "component,level", "-o", "json"],
        journal,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rows = ndjson(&out);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r["component"] == "kubelet"));
    // /dev/stdin, named as a path.
    let out = podsift_stdin(&["logs", "/dev/stdin", "-o", "json"], kubectl);
    assert_eq!(ndjson(&out).len(), 2, "{}", stderr(&out));
    // A FIFO named on the command line is read to its end.
    let dir = TempDir::new("fifo");
    let fifo = dir.path().join("app.log");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, b"2024-05-01T10:00:00Z WARN from a fifo\n"))
    };
    let out = podsift(&["logs", fifo.to_str().unwrap(), "-o", "json"]);
    writer.join().unwrap().unwrap();
    let rows = ndjson(&out);
    assert_eq!(rows.len(), 1, "{}", stderr(&out));
    assert_eq!(rows[0]["level"], "warn");
    // Empty standard input is nothing read.
    let out = podsift_stdin(&["logs", "-"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nothing read"), "{}", stderr(&out));
}

#[test]
fn follow_prints_what_is_written_next_through_rotations_and_new_pods() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};
    let dir = TempDir::new("follow");
    let log = dir.write(
        "node/pods/default_web-1_u1/app/0.log",
        b"2024-05-01T10:00:00.000000000Z stdout F first\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_podsift"))
        .args(["logs", dir.path().to_str().unwrap(), "-f", "-o", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("podsift runs");
    let (tx, rx) = mpsc::channel::<Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(serde_json::from_str(&line).unwrap()).is_err() {
                break;
            }
        }
    });
    // Waits for `n` more entries (or the time it may take), and returns their messages.
    let within = |n: usize, wait: Duration| -> Vec<String> {
        let until = Instant::now() + wait;
        let mut got = Vec::new();
        while got.len() < n && Instant::now() < until {
            if let Ok(v) = rx.recv_timeout(Duration::from_millis(100)) {
                got.push(format!(
                    "{}/{}",
                    v["pod"].as_str().unwrap(),
                    v["message"].as_str().unwrap()
                ));
            }
        }
        got
    };
    let next = |n: usize| within(n, Duration::from_secs(10));
    assert_eq!(next(1), ["web-1/first"]);
    let append = |path: &Path, text: &str| {
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    };
    // A line appended, and one still being written (no newline yet) waits for its end.
    append(
        &log,
        "2024-05-01T10:00:01.000000000Z stdout F second\n2024-05-01T10:00:02.000000000Z stdout F thi",
    );
    assert_eq!(next(1), ["web-1/second"]);
    append(&log, "rd\n");
    assert_eq!(next(1), ["web-1/third"]);
    // Kubelet rotates: the file renamed (a last line written to it first), a new one, then
    // the old one compressed: every line once.
    append(&log, "2024-05-01T10:00:03.000000000Z stdout F fourth\n");
    let rotated = log.with_file_name("0.log.20240501-100003");
    std::fs::rename(&log, &rotated).unwrap();
    std::fs::write(&log, "2024-05-01T10:00:04.000000000Z stdout F fifth\n").unwrap();
    assert_eq!(next(2), ["web-1/fourth", "web-1/fifth"]);
    let gz = Command::new("gzip").arg(&rotated).status().unwrap();
    assert!(gz.success());
    // A new pod's log.
    dir.write(
        "node/pods/shop_cart-1_u2/app/0.log",
        b"2024-05-01T10:00:05.000000000Z stderr F ERROR new pod\n",
    );
    assert_eq!(next(1), ["cart-1/ERROR new pod"]);
    // Nothing more comes: the compressed rotation is not read again.
    assert_eq!(within(1, Duration::from_secs(2)), Vec::<String>::new());
    let _ = child.kill();
    let _ = child.wait();
}
