//! End-to-end tests of the `podsift` binary. Kubernetes documents: the `audit` and `events` tables.

mod common;

use common::*;

use serde_json::Value;

#[test]
fn realdata_audit_and_events_tables() {
    let Some(dir) = need::realdata().map(|r| r.join("04_audit_and_events")) else {
        return;
    };
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
        // fluent-bit's own output records ([time, event], the event without a kind): its
        // involvedObject and reason make it an Event.
        (
            "eventlist_v1_with_creationTimestamp.out",
            "events",
            "event 1",
        ),
        ("eventlist_v1_with_lastTimestamp.out", "events", "event 1"),
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
fn sonobuoy_results_nodes_tests_and_resources() {
    let dir = TempDir::new("sonobuoy");
    let node = r#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"kind-control-plane","labels":{"node-role.kubernetes.io/control-plane":""}},"status":{"capacity":{"cpu":"8","memory":"30823900Ki","pods":"110"},"conditions":[{"type":"DiskPressure","status":"True","reason":"KubeletHasDiskPressure","lastTransitionTime":"2024-03-01T09:50:00Z"},{"type":"Ready","status":"True","lastTransitionTime":"2024-03-01T08:00:00Z"}],"nodeInfo":{"kubeletVersion":"v1.29.2","containerRuntimeVersion":"containerd://1.7.13"}}}"#;
    dir.write(
        "r/resources/cluster/core_v1_nodes.json",
        format!(r#"{{"apiVersion":"v1","items":[{node}],"kind":"NodeList"}}"#).as_bytes(),
    );
    dir.write(
        "r/resources/ns/default/core_v1_configmaps.json",
        r#"{"apiVersion":"v1","items":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":{}}],"kind":"ConfigMapList"}"#.as_bytes(),
    );
    dir.write(
        "r/hosts/kind-control-plane/healthz.json",
        br#"{"status":200}"#,
    );
    dir.write(
        "r/plugins/e2e/results/global/junit_01.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="Kubernetes e2e suite" tests="2" failures="1" time="3">
  <testcase name="[sig-apps] passes" time="1"></testcase>
  <testcase name="[sig-apps] fails" time="2"><failure type="Failure">/go/e2e.go:1&#xA;pods did not start</failure></testcase>
</testsuite>
"#.as_bytes(),
    );
    dir.write(
        "r/plugins/e2e/results/global/e2e.log",
        b"Mar  1 10:00:00.000: INFO: starting\n",
    );
    dir.write("r/meta/config.json", br#"{"UUID":"x"}"#);
    let r = dir.path().join("r");
    let r = r.to_str().unwrap();

    let out = podsift(&["nodes", r]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("control-plane"), "{text}");
    assert!(text.contains("DiskPressure"), "{text}");
    assert!(text.contains("KubeletHasDiskPressure"), "{text}");
    let rows = ndjson(&podsift(&["nodes", r, "-o", "json"]));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["problems"], "DiskPressure");
    assert_eq!(rows[0]["memory_capacity"], 30_823_900u64 * 1024);

    let out = podsift(&["tests", r]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Failed tests"), "{text}");
    assert!(text.contains("pods did not start"), "{text}");

    let out = podsift(&["sources", r]);
    let text = stdout(&out);
    assert!(
        text.contains("not logs: 3 files of resources and data (JSON 2, ConfigMap 1)"),
        "{text}"
    );
    let report = stdout(&podsift(&["report", r]));
    assert!(
        report.contains("## Tests: 1 failed, 0 errors, 1 passed, 0 skipped"),
        "{report}"
    );
    assert!(report.contains("[sig-apps] fails"), "{report}");
    assert!(
        report.contains("| kind-control-plane | DiskPressure | True | KubeletHasDiskPressure | 2024-03-01T09:50:00Z |"),
        "{report}"
    );
    let sql = ndjson(&podsift(&[
        "sql",
        r,
        "SELECT t.status, count(*) AS n FROM tests t GROUP BY t.status ORDER BY t.status",
        "-o",
        "json",
    ]));
    assert_eq!(sql.len(), 2);
    assert_eq!(
        (&sql[0]["status"], &sql[0]["n"]),
        (&Value::from("failed"), &Value::from(1))
    );
}

#[test]
fn shipped_bundles_from_their_archives() {
    // sonobuoy ships its results as a .tar.gz; must-gather as a folder.
    let dir = TempDir::new("bundles");
    podsift_testgen::bundles::write_bundles(dir.path()).unwrap();
    let old = dir.path().join("sonobuoy-0.10.tar.gz");
    let old = old.to_str().unwrap();
    let rows = ndjson(&podsift(&["tests", old, "-o", "json"]));
    let status: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["passed", "failed", "skipped"]);
    let nodes = ndjson(&podsift(&["nodes", old, "-o", "json"]));
    assert_eq!(
        (&nodes[0]["node"], &nodes[0]["ready"], &nodes[0]["problems"]),
        (
            &Value::from("ip-10-0-9-16.us-west-2.compute.internal"),
            &Value::from("False"),
            &Value::from("MemoryPressure")
        )
    );
    // The journal's entries are the node's, its short _HOSTNAME a field.
    let logs = ndjson(&podsift(&["logs", old, "-o", "json"]));
    let kubelet: Vec<&Value> = logs
        .iter()
        .filter(|l| l["component"] == "kubelet")
        .collect();
    assert_eq!(kubelet.len(), 2);
    for l in kubelet {
        assert_eq!(l["node"], "ip-10-0-9-16.us-west-2.compute.internal");
    }
    let current = dir.path().join("sonobuoy.tar.gz");
    let out = podsift(&["sources", current.to_str().unwrap()]);
    let text = stdout(&out);
    assert!(
        text.contains("layout sonobuoy: 8 files, node kind-control-plane"),
        "{text}"
    );
    let mg = dir.path().join("must-gather");
    let rows = ndjson(&podsift(&[
        "logs",
        mg.to_str().unwrap(),
        "api-1",
        "-o",
        "json",
    ]));
    let got: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| (u(&r["restart"]), r["level"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [(0, "info"), (0, "fatal"), (1, "info"), (1, "error")]);
}
