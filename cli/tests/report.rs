//! End-to-end tests of the `podsift` binary. `podsift report`: planted failures, rules, sections,
//! diffs, HTML.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

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
    assert_eq!(spikes, ["2024-01-01T00:10:00Z"]);
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
        md.contains("- 2024-01-01T00:10:00Z: 12 errors") && md.contains("nothing for 19m,"),
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
    let Some(root) = need::realdata().map(|r| r.join("04_audit_and_events")) else {
        return;
    };
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
    if !need::chromium() {
        return;
    }
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
