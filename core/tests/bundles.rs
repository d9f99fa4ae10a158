//! Bundles as they are shipped: each layout written by the test as a folder tree, packed into
//! every archive kind (and nested), read in place; hostile and broken archives with their exact
//! outcome.

use std::io::Write;

use podsift_core::ingest::{Accounting, NoFilter, Progress};
use podsift_core::sources::FileSet;
use podsift_core::sources::archive::ArchiveLimits;
use podsift_core::sources::plan::{FileStatus, PlanOptions, plan};
use podsift_core::table::pods::read_pods;
use podsift_core::table::read_logs;
use polars::prelude::*;

type Tree = Vec<(String, Vec<u8>)>;

fn cri(ts_sec: u32, msg: &str) -> String {
    format!(
        "2024-03-01T10:00:{:02}.000000000Z stdout F {msg}\n",
        ts_sec % 60
    )
}

/// `kind export logs`: two nodes, journald-style component logs, pods/, containers/ links,
/// an audit log under kubernetes/.
fn kind_tree() -> (Tree, Vec<(String, String)>) {
    let mut files = Vec::new();
    let mut links = Vec::new();
    for node in ["kind-control-plane", "kind-worker"] {
        files.push((
            format!("kind-logs/{node}/kubelet.log"),
            format!(
                "Mar 01 10:00:01 {node} kubelet[311]: I0301 10:00:01.000000     311 server.go:1] Started kubelet\nMar 01 10:00:02 {node} kubelet[311]: E0301 10:00:02.000000     311 pod_workers.go:9] Error syncing pod\n"
            )
            .into_bytes(),
        ));
        files.push((format!("kind-logs/{node}/containerd.log"), format!("Mar 01 10:00:01 {node} containerd[200]: time=\"2024-03-01T10:00:01Z\" level=info msg=\"starting containerd\"\n").into_bytes()));
        files.push((
            format!("kind-logs/{node}/inspect.json"),
            b"[{\"Id\": \"x\"}]\n".to_vec(),
        ));
        let pod_dir =
            format!("kind-logs/{node}/pods/kube-system_coredns-1_0123456789abcdef/coredns");
        let body: String = (0..5)
            .map(|i| cri(i, &format!("coredns {node} {i}")))
            .collect();
        files.push((format!("{pod_dir}/0.log"), body.into_bytes()));
        links.push((
            format!(
                "kind-logs/{node}/containers/coredns-1_kube-system_coredns-{}.log",
                "a".repeat(64)
            ),
            "/var/log/pods/kube-system_coredns-1_0123456789abcdef/coredns/0.log".to_string(),
        ));
    }
    files.push((
        "kind-logs/kind-control-plane/kubernetes/kube-apiserver-audit.log".into(),
        br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"1","stage":"ResponseComplete","requestURI":"/api/v1/pods","verb":"list","user":{"username":"admin"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2024-03-01T10:00:01.000000Z","stageTimestamp":"2024-03-01T10:00:01.001000Z"}
"#.to_vec(),
    ));
    files.push(("kind-logs/kind-version.txt".into(), b"v0.22.0\n".to_vec()));
    (files, links)
}

fn pod_list(ns: &str) -> Vec<u8> {
    format!(
        r#"{{
    "apiVersion": "v1",
    "items": [
        {{
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {{"name": "web-1", "namespace": "{ns}", "uid": "u-1",
                "ownerReferences": [{{"kind": "ReplicaSet", "name": "web-5d9", "controller": true}}]}},
            "spec": {{"nodeName": "node-a", "initContainers": [{{"name": "init", "image": "busybox"}}],
                "containers": [{{"name": "app", "image": "app:1"}}, {{"name": "proxy", "image": "envoy"}}]}},
            "status": {{"phase": "Running", "startTime": "2024-03-01T09:00:00Z",
                "initContainerStatuses": [{{"name": "init", "ready": true, "restartCount": 0,
                    "state": {{"terminated": {{"reason": "Completed", "exitCode": 0,
                        "startedAt": "2024-03-01T09:00:01Z", "finishedAt": "2024-03-01T09:00:02Z"}}}}}}],
                "containerStatuses": [
                    {{"name": "app", "ready": false, "restartCount": 7, "image": "app:1",
                     "state": {{"waiting": {{"reason": "CrashLoopBackOff"}}}},
                     "lastState": {{"terminated": {{"reason": "OOMKilled", "exitCode": 137, "signal": 9,
                        "startedAt": "2024-03-01T09:59:00Z", "finishedAt": "2024-03-01T10:00:00Z"}}}}}},
                    {{"name": "proxy", "ready": true, "restartCount": 0, "state": {{"running": {{"startedAt": "2024-03-01T09:00:03Z"}}}}}}
                ]}}
        }},
        {{
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {{"name": "job-x", "namespace": "{ns}", "uid": "u-2"}},
            "spec": {{"containers": [{{"name": "main", "image": "job"}}]}},
            "status": {{"phase": "Pending"}}
        }}
    ],
    "kind": "List",
    "metadata": {{"resourceVersion": ""}}
}}
"#
    )
    .into_bytes()
}

fn events_list(ns: &str) -> Vec<u8> {
    format!(
        r#"{{"apiVersion": "v1", "kind": "EventList", "items": [{{"apiVersion": "v1", "kind": "Event",
  "metadata": {{"name": "web-1.1", "namespace": "{ns}", "uid": "e-1"}},
  "involvedObject": {{"kind": "Pod", "name": "web-1", "namespace": "{ns}"}},
  "reason": "BackOff", "message": "Back-off restarting failed container", "type": "Warning", "count": 12,
  "firstTimestamp": "2024-03-01T09:10:00Z", "lastTimestamp": "2024-03-01T10:00:00Z"}}]}}
"#
    )
    .into_bytes()
}

fn sonobuoy_tree() -> Tree {
    vec![
        ("sonobuoy/meta/config.json".into(), b"{\"UUID\": \"x\"}\n".to_vec()),
        ("sonobuoy/meta/run.log".into(), b"time=\"2024-03-01T10:00:00Z\" level=info msg=\"Starting server\"\n".to_vec()),
        ("sonobuoy/podlogs/kube-system/coredns-1/logs/coredns.txt".into(), b"[INFO] plugin/reload: Running configuration\n[ERROR] plugin/errors: 2 example. A: read udp: i/o timeout\n".to_vec()),
        ("sonobuoy/podlogs/default/web-1/logs/app.txt".into(), b"{\"level\":\"error\",\"ts\":\"2024-03-01T10:00:00Z\",\"msg\":\"oom soon\"}\n".to_vec()),
        ("sonobuoy/plugins/systemd-logs/results/node-a/systemd_logs".into(), b"{\"__REALTIME_TIMESTAMP\":\"1709287200000000\",\"_HOSTNAME\":\"node-a\",\"SYSLOG_IDENTIFIER\":\"kubelet\",\"_SYSTEMD_UNIT\":\"kubelet.service\",\"PRIORITY\":\"6\",\"MESSAGE\":\"I0301 10:00:00.000000 1 x.go:1] hello\"}\n".to_vec()),
        ("sonobuoy/resources/ns/default/Pods.json".into(), pod_list("default")),
        ("sonobuoy/resources/ns/default/Events.json".into(), events_list("default")),
        ("sonobuoy/resources/cluster/Nodes.json".into(), b"{\"apiVersion\": \"v1\", \"kind\": \"NodeList\", \"items\": []}\n".to_vec()),
        ("sonobuoy/hosts/node-a/configz.json".into(), b"{\"kubeletconfig\": {}}\n".to_vec()),
    ]
}

fn cluster_info_tree() -> Tree {
    vec![
        ("dump/nodes.json".into(), b"{\"apiVersion\": \"v1\", \"kind\": \"NodeList\", \"items\": []}\n".to_vec()),
        ("dump/default/pods.json".into(), pod_list("default")),
        ("dump/default/events.json".into(), events_list("default")),
        ("dump/default/services.json".into(), b"{\"apiVersion\": \"v1\", \"kind\": \"ServiceList\", \"items\": []}\n".to_vec()),
        (
            "dump/default/web-1/logs.txt".into(),
            b"==== START logs for container app of pod default/web-1 ====\nI0301 10:00:00.000000       1 main.go:1] starting\nE0301 10:00:01.000000       1 main.go:2] out of memory\n  goroutine 1 [running]:\n==== END logs for container app of pod default/web-1 ====\n==== START logs for container proxy of pod default/web-1 ====\n[2024-03-01 10:00:02.000][info] envoy ready\n==== END logs for container proxy of pod default/web-1 ====\n".to_vec(),
        ),
    ]
}

fn support_bundle_tree() -> Tree {
    vec![
        ("support-bundle-2024-03-01T10_00_00/version.yaml".into(), b"apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n".to_vec()),
        ("support-bundle-2024-03-01T10_00_00/cluster-resources/pods/default.json".into(), pod_list("default")),
        ("support-bundle-2024-03-01T10_00_00/cluster-resources/events/default.json".into(), events_list("default")),
        ("support-bundle-2024-03-01T10_00_00/cluster-resources/nodes.json".into(), b"{\"apiVersion\": \"v1\", \"kind\": \"NodeList\", \"items\": []}\n".to_vec()),
        ("support-bundle-2024-03-01T10_00_00/cluster-resources/pods/logs/default/web-1/app.log".into(), b"2024-03-01T10:00:00Z ERROR out of memory\n".to_vec()),
        ("support-bundle-2024-03-01T10_00_00/cluster-resources/pods/logs/default/web-1/app-previous.log".into(), b"2024-03-01T09:59:00Z INFO started\n".to_vec()),
    ]
}

fn e2e_tree() -> Tree {
    vec![
        (
            "artifacts/node-1/kubelet.log".into(),
            b"I0301 10:00:00.000000    1000 kubelet.go:1] Starting kubelet\n".to_vec(),
        ),
        (
            "artifacts/node-1/kern.log".into(),
            b"Mar  1 10:00:00 node-1 kernel: [ 1.0] Linux version 6.1\n".to_vec(),
        ),
        (
            "artifacts/master/kube-apiserver.log".into(),
            b"I0301 10:00:00.000000      10 server.go:1] Serving\n".to_vec(),
        ),
    ]
}

fn tar_of(files: &Tree, links: &[(String, String)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, &data[..]).unwrap();
    }
    for (path, target) in links {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, path, target).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zip_of(files: &Tree) -> Vec<u8> {
    let mut w = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (i, (path, data)) in files.iter().enumerate() {
        let method = if i % 2 == 0 {
            ::zip::CompressionMethod::Deflated
        } else {
            ::zip::CompressionMethod::Stored
        };
        w.start_file(
            path.as_str(),
            ::zip::write::SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

struct Read {
    set: FileSet,
    plan: podsift_core::sources::plan::Plan,
    logs: DataFrame,
    report: Accounting,
}

fn read(files: Vec<(&str, Vec<u8>)>, limits: ArchiveLimits) -> Read {
    let mut set = FileSet::new();
    for (name, bytes) in files {
        set.add_bytes(name, bytes);
    }
    set.open_archives(limits);
    let plan = plan(&set, &PlanOptions::default());
    let (logs, report) = read_logs(&set, &plan, &NoFilter, &Progress::default()).unwrap();
    Read {
        set,
        plan,
        logs,
        report,
    }
}

fn col(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let c = df.column(name).unwrap().cast(&DataType::String).unwrap();
    c.str()
        .unwrap()
        .into_iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

/// (node, namespace, pod, container, component) per entry, sorted.
fn metas(r: &Read) -> Vec<[Option<String>; 5]> {
    let cols: Vec<_> = ["node", "namespace", "pod", "container", "component"]
        .iter()
        .map(|c| col(&r.logs, c))
        .collect();
    let mut out: Vec<[Option<String>; 5]> = (0..r.logs.height())
        .map(|i| std::array::from_fn(|k| cols[k][i].clone()))
        .collect();
    out.sort();
    out
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn kind_export_in_every_archive_kind_reads_the_same() {
    let (files, links) = kind_tree();
    let tar = tar_of(&files, &links);
    let folder = {
        let mut set = FileSet::new();
        for (p, d) in &files {
            set.add_bytes(format!("/in/{p}"), d.clone());
        }
        for (p, t) in &links {
            set.add_link(format!("/in/{p}"), t.clone());
        }
        set.open_archives(ArchiveLimits::default());
        let plan = plan(&set, &PlanOptions::default());
        let (logs, report) = read_logs(&set, &plan, &NoFilter, &Progress::default()).unwrap();
        Read {
            set,
            plan,
            logs,
            report,
        }
    };
    let expected = metas(&folder);
    // 2 nodes x (2 kubelet + 1 containerd + 5 coredns), and kind-version.txt's line (a `.txt`
    // file of text is read as a plain log).
    assert_eq!(expected.len(), 17);
    assert_eq!(
        expected
            .iter()
            .filter(|m| m[0] == some("kind-worker") && m[4] == some("kubelet"))
            .count(),
        2
    );
    let bz = {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(&tar).unwrap();
        e.finish().unwrap()
    };
    let zst =
        ruzstd::encoding::compress_to_vec(&tar[..], ruzstd::encoding::CompressionLevel::Fastest);
    let xz = {
        let mut e =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::default()).unwrap();
        e.write_all(&tar).unwrap();
        e.finish().unwrap()
    };
    // Named without extensions: detection is by magic bytes.
    for (name, bytes) in [
        ("/in/kind.tar", tar.clone()),
        ("/in/kind.tgz", gz(&tar)),
        ("/in/kind-bundle", gz(&tar)),
        ("/in/kind.tar.bz2", bz),
        ("/in/kind.tar.zst", zst),
        ("/in/kind.tar.xz", xz),
        ("/in/kind.zip", zip_of(&files)),
    ] {
        let r = read(vec![(name, bytes)], ArchiveLimits::default());
        let got = metas(&r);
        if name.ends_with(".zip") {
            // The zip holds no links: coredns read from pods/ all the same.
            assert_eq!(got, expected, "{name}");
        } else {
            assert_eq!(got, expected, "{name}");
            // The containers/ links are duplicates of the pods/ files inside the archive.
            let dups = r
                .plan
                .files
                .iter()
                .filter(|f| matches!(f.status, FileStatus::Duplicate(_)))
                .count();
            assert_eq!(dups, 2, "{name}");
        }
        let i = r
            .set
            .entries()
            .iter()
            .position(|e| e.path.ends_with("kind-worker/kubelet.log"))
            .unwrap();
        let e = &r.set.entries()[i];
        assert_eq!(e.path, format!("{name}/kind-logs/kind-worker/kubelet.log"));
        assert_eq!(e.archive.as_deref(), Some(name));
        assert_eq!(r.plan.files[i].layout.map(|l| l.as_str()), Some("kind"));
        // The audit log under kubernetes/ is the control plane's and goes to the audit table.
        let a = r
            .set
            .entries()
            .iter()
            .position(|e| e.path.ends_with("kube-apiserver-audit.log"))
            .unwrap();
        assert_eq!(r.plan.files[a].role.as_str(), "audit");
        assert_eq!(
            r.plan.files[a].meta.node.as_deref(),
            Some("kind-control-plane")
        );
        assert_eq!(r.set.archives.len(), 1);
        assert_eq!(r.set.archives[0].stopped, None);
    }
}

#[test]
fn node_tarballs_inside_a_tarball_name_their_nodes() {
    // A tarball of per-node tarballs whose members start at pods/ (as `tar -C /var/log`).
    let node = |n: &str| {
        let body: String = (0..3).map(|i| cri(i, &format!("{n} line {i}"))).collect();
        gz(&tar_of(
            &vec![
                (
                    format!("pods/default_web-{n}_0123456789abcdef/app/0.log"),
                    body.into_bytes(),
                ),
                (
                    "syslog".into(),
                    format!("Mar  1 10:00:00 node-{n} kubelet[1]: started\n").into_bytes(),
                ),
            ],
            &[],
        ))
    };
    let outer = gz(&tar_of(
        &vec![
            ("node-a.tar.gz".into(), node("a")),
            ("node-b.tgz".into(), node("b")),
        ],
        &[],
    ));
    let r = read(
        vec![("/in/cluster.tar.gz", outer)],
        ArchiveLimits::default(),
    );
    let m = metas(&r);
    assert_eq!(m.len(), 8);
    assert_eq!(
        m.iter().filter(|x| x[0] == some("node-a")).count(),
        4,
        "{m:?}"
    );
    assert_eq!(
        m.iter()
            .filter(|x| x[0] == some("node-b") && x[4] == some("kubelet"))
            .count(),
        1
    );
    let paths: Vec<&str> = r.set.entries().iter().map(|e| e.path.as_str()).collect();
    assert!(
        paths.contains(&"/in/cluster.tar.gz/node-a.tar.gz/syslog"),
        "{paths:?}"
    );
    assert_eq!(r.set.archives.len(), 3);
}

#[test]
fn sonobuoy_results() {
    let r = read(
        vec![(
            "/in/202403011000_sonobuoy_x.tar.gz",
            gz(&tar_of(&sonobuoy_tree(), &[])),
        )],
        ArchiveLimits::default(),
    );
    let m = metas(&r);
    assert!(
        m.contains(&[
            None,
            some("kube-system"),
            some("coredns-1"),
            some("coredns"),
            None
        ]),
        "{m:?}"
    );
    assert!(m.contains(&[None, some("default"), some("web-1"), some("app"), None]));
    assert!(
        m.iter()
            .any(|x| x[0] == some("node-a") && x[4] == some("kubelet")),
        "{m:?}"
    );
    let mut report = Accounting::default();
    let pods = read_pods(&r.set, &r.plan, &mut report).unwrap();
    assert_eq!(pods.height(), 4);
    // Nodes.json is read into `nodes` (a list of none here); configz.json is data, not a log.
    for (e, f) in r.set.entries().iter().zip(&r.plan.files) {
        if e.path.ends_with("Nodes.json") {
            assert_eq!((f.role.as_str(), f.status.as_str()), ("node-list", "read"));
        }
        if e.path.ends_with("configz.json") {
            assert_eq!(
                (f.role.as_str(), f.status.as_str(), f.resource.as_deref()),
                ("resources", "metadata", Some("JSON"))
            );
        }
        assert_eq!(f.layout.map(|l| l.as_str()), Some("sonobuoy"), "{}", e.path);
    }
}

#[test]
fn cluster_info_dump_sections_give_containers() {
    let files = cluster_info_tree();
    let r = read(
        files.iter().map(|(p, d)| (p.as_str(), d.clone())).collect(),
        ArchiveLimits::default(),
    );
    let m = metas(&r);
    assert_eq!(
        m,
        vec![
            [None, some("default"), some("web-1"), some("app"), None],
            [None, some("default"), some("web-1"), some("app"), None],
            [None, some("default"), some("web-1"), some("proxy"), None],
        ]
    );
    let i = r
        .set
        .entries()
        .iter()
        .position(|e| e.path.ends_with("logs.txt"))
        .unwrap();
    let s = &r.report.files[i];
    // 8 lines: 3 entries, the goroutine line joined, 4 markers counted as joined.
    assert_eq!((s.lines, s.entries, s.joined), (8, 3, 5));
    let levels = col(&r.logs, "level");
    assert_eq!(
        levels
            .iter()
            .filter(|l| l.as_deref() == Some("error"))
            .count(),
        1
    );
    let mut report = Accounting::default();
    let pods = read_pods(&r.set, &r.plan, &mut report).unwrap();
    let app = pods
        .clone()
        .lazy()
        .filter(
            polars::prelude::col("container")
                .cast(DataType::String)
                .eq(lit("app")),
        )
        .collect()
        .unwrap();
    assert_eq!(col(&app, "last_reason"), vec![some("OOMKilled")]);
    assert_eq!(
        app.column("exit_code").unwrap().i32().unwrap().get(0),
        Some(137)
    );
    assert_eq!(app.column("signal").unwrap().i32().unwrap().get(0), Some(9));
    assert_eq!(
        app.column("restarts").unwrap().u32().unwrap().get(0),
        Some(7)
    );
    assert_eq!(col(&app, "state_reason"), vec![some("CrashLoopBackOff")]);
    assert_eq!(col(&app, "owner_kind"), vec![some("ReplicaSet")]);
    assert_eq!(col(&app, "node"), vec![some("node-a")]);
    let init = col(&pods, "state");
    assert!(init.contains(&some("terminated")));
    // The pending pod has a row for its container, status empty.
    let pending = col(&pods, "phase")
        .iter()
        .filter(|p| p.as_deref() == Some("Pending"))
        .count();
    assert_eq!(pending, 1);
    // services.json and nodes.json are resources, not logs.
    let roles: Vec<_> = r
        .set
        .entries()
        .iter()
        .zip(&r.plan.files)
        .map(|(e, f)| {
            (
                e.path.rsplit('/').next().unwrap().to_string(),
                f.role.as_str(),
            )
        })
        .collect();
    assert!(
        roles.contains(&("services.json".into(), "resources")),
        "{roles:?}"
    );
    assert!(roles.contains(&("events.json".into(), "events")));
    assert!(roles.contains(&("pods.json".into(), "pod-list")));
}

#[test]
fn support_bundle_and_e2e() {
    let r = read(
        vec![("/in/sb.tar.gz", gz(&tar_of(&support_bundle_tree(), &[])))],
        ArchiveLimits::default(),
    );
    let m = metas(&r);
    assert_eq!(
        m.iter()
            .filter(|x| x[2] == some("web-1") && x[3] == some("app"))
            .count(),
        2,
        "{m:?}"
    );
    let prev = r
        .set
        .entries()
        .iter()
        .position(|e| e.path.ends_with("app-previous.log"))
        .unwrap();
    assert!(
        r.plan.files[prev]
            .note
            .as_deref()
            .unwrap()
            .contains("previous run")
    );
    assert_eq!(
        r.plan.files[prev].layout.map(|l| l.as_str()),
        Some("support-bundle")
    );

    let r = read(
        vec![("/in/e2e.zip", zip_of(&e2e_tree()))],
        ArchiveLimits::default(),
    );
    let m = metas(&r);
    assert!(
        m.contains(&[some("node-1"), None, None, None, some("kubelet")]),
        "{m:?}"
    );
    assert!(m.contains(&[some("master"), None, None, None, some("kube-apiserver")]));
}

fn stopped(r: &Read) -> String {
    r.set
        .archives
        .iter()
        .filter_map(|a| a.stopped.clone())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn bombs_stop_at_the_limits() {
    // A tar.gz that unpacks to 64 MiB of zeros in a 4 KiB-compressed file, under a 1 MiB limit.
    let big = vec![0u8; 64 << 20];
    let mut files: Tree = vec![("a/ok.log".into(), b"2024-03-01T10:00:00Z first\n".to_vec())];
    files.push(("a/zeros.log".into(), big.clone()));
    let limits = ArchiveLimits {
        max_bytes: 1 << 20,
        ..ArchiveLimits::default()
    };
    let r = read(vec![("/in/bomb.tar.gz", gz(&tar_of(&files, &[])))], limits);
    assert!(stopped(&r).contains("more than 1 MiB"), "{}", stopped(&r));
    // What came before the limit is read.
    assert_eq!(r.logs.height(), 1);
    assert!(
        r.set
            .problems
            .iter()
            .any(|d| d.to_string().contains("bomb.tar.gz"))
    );
    // A gzip bomb inside the archive (a member that is small compressed) fails when read, at
    // the limit, with a message.
    let text_bomb: Vec<u8> = b"2024-03-01T10:00:00Z spam\n".repeat(3 << 20);
    let files: Tree = vec![("a/spam.log.gz".into(), gz(&text_bomb))];
    let r = read(vec![("/in/inner.tar", tar_of(&files, &[]))], limits);
    assert_eq!(stopped(&r), "");
    assert!(
        r.report
            .diagnostics
            .iter()
            .any(|d| d.to_string().contains("decompression bomb")),
        "{:?}",
        r.report.diagnostics
    );
    // Loose compressed files share the limit: three of 400 KiB each under 1 MiB read two
    // whole and stop the third at what is left (the limit is for all of them, not each).
    let line: &[u8] = b"2024-03-01T10:00:00Z line of a rotated log\n";
    let n = 400 * 1024 / line.len();
    let part: Vec<u8> = line.repeat(n);
    let loose: Vec<(&str, Vec<u8>)> = vec![
        ("/in/n/app.log.1.gz", gz(&part)),
        ("/in/n/app.log.2.gz", gz(&part)),
        ("/in/n/app.log.3.gz", gz(&part)),
    ];
    let r = read(loose.clone(), limits);
    let all_message = "archives and compressed files decompress to more than 1 MiB in all";
    let over: Vec<String> = r
        .report
        .diagnostics
        .iter()
        .map(|d| d.to_string())
        .filter(|d| d.contains(all_message))
        .collect();
    assert_eq!(over.len(), 1, "{:?}", r.report.diagnostics);
    assert!(r.logs.height() > 2 * n, "{}", r.logs.height());
    assert!(r.logs.height() < 3 * n, "{}", r.logs.height());
    // Within a larger limit all three are read.
    let r = read(loose, ArchiveLimits::default());
    assert_eq!(r.logs.height(), 3 * n);
    // Too many entries.
    let files: Tree = (0..50)
        .map(|i| (format!("f{i}.log"), b"x\n".to_vec()))
        .collect();
    let r = read(
        vec![("/in/many.zip", zip_of(&files))],
        ArchiveLimits {
            max_entries: 10,
            ..ArchiveLimits::default()
        },
    );
    assert_eq!(r.set.entries().len(), 10);
    assert!(stopped(&r).contains("more than 10 archive members"));
}

#[test]
fn traversal_links_loops_and_duplicates() {
    // Names are written raw (the tar crate refuses `..`), as a hostile archive would.
    let raw = |name: &str, kind: u8, link: &str, data: &[u8]| {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = kind;
        h[157..157 + link.len()].copy_from_slice(link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        let mut out = h.to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    };
    let line = b"2024-03-01T10:00:00Z hello\n";
    let mut tar = Vec::new();
    tar.extend(raw("../../etc/evil.log", b'0', "", line));
    tar.extend(raw("/abs/app.log", b'0', "", line));
    tar.extend(raw("b/out.log", b'2', "../../../../etc/passwd", b""));
    tar.extend(raw("b/loop1.log", b'2', "loop2.log", b""));
    tar.extend(raw("b/loop2.log", b'2', "loop1.log", b""));
    tar.extend(raw("b/chain.log", b'2', "hop.log", b""));
    tar.extend(raw("b/hop.log", b'2', "../abs/app.log", b""));
    tar.extend(raw("b/dup.log", b'0', "", b"2024-03-01T10:00:00Z old\n"));
    tar.extend(raw("b/dup.log", b'0', "", b"2024-03-01T10:00:00Z new\n"));
    tar.extend(raw("b/hard.log", b'1', "b/dup.log", b""));
    tar.extend(raw("b/hard-gone.log", b'1', "b/never.log", b""));
    tar.extend([0u8; 1024]);
    let r = read(vec![("/in/evil.tar", tar)], ArchiveLimits::default());
    let by_name = |n: &str| {
        let i = r
            .set
            .entries()
            .iter()
            .position(|e| e.path.ends_with(n))
            .unwrap_or_else(|| panic!("{n}"));
        (&r.set.entries()[i], &r.plan.files[i])
    };
    let (e, f) = by_name("etc/evil.log");
    assert_eq!(e.path, "/in/evil.tar/etc/evil.log");
    assert_eq!(f.status, FileStatus::Read);
    assert!(e.remark.as_deref().unwrap().contains("points outside"));
    assert_eq!(
        by_name("/in/evil.tar/abs/app.log").0.layout_path,
        "/in/evil/abs/app.log"
    );
    let (_, f) = by_name("out.log");
    assert!(
        matches!(&f.status, FileStatus::Skipped(w) if w.contains("out of the archive")),
        "{:?}",
        f.status
    );
    let (_, f) = by_name("loop1.log");
    assert!(
        matches!(&f.status, FileStatus::Skipped(w) if w.contains("loop")),
        "{:?}",
        f.status
    );
    let (_, f) = by_name("chain.log");
    assert!(
        matches!(f.status, FileStatus::Duplicate(_)),
        "{:?}",
        f.status
    );
    let dups: Vec<_> = r
        .set
        .entries()
        .iter()
        .zip(&r.plan.files)
        .filter(|(e, _)| e.path.ends_with("b/dup.log"))
        .map(|(_, f)| f.status.as_str())
        .collect();
    assert_eq!(dups, vec!["skipped", "read"]);
    let (_, f) = by_name("hard.log");
    assert!(matches!(f.status, FileStatus::Duplicate(_)));
    // A hard link is not called a symbolic one.
    let (_, f) = by_name("hard-gone.log");
    assert!(
        matches!(&f.status, FileStatus::Skipped(w) if w == "hard link to b/never.log, which is not in the archive"),
        "{:?}",
        f.status
    );
    let msgs = col(&r.logs, "message");
    assert!(
        msgs.contains(&some("2024-03-01T10:00:00Z new"))
            || msgs.iter().any(|m| m.as_deref() == Some("new")),
        "{msgs:?}"
    );
    assert!(
        !msgs
            .iter()
            .any(|m| m.as_deref().is_some_and(|m| m.contains("old")))
    );
    // evil.log, app.log and the new dup.log.
    assert_eq!(r.logs.height(), 3);
}

#[test]
fn truncated_archives_keep_what_came_before() {
    let files: Tree = (0..4)
        .map(|i| {
            (
                format!("n/app{i}.log"),
                format!("2024-03-01T10:00:0{i}Z line {i} {}\n", "x".repeat(3000)).into_bytes(),
            )
        })
        .collect();
    let tar = tar_of(&files, &[]);
    // Cut in the middle of the third member's data (a 512-byte header, 3,029 bytes padded to
    // 3,072 each).
    let cut = 2 * (512 + 3072) + 512 + 1000;
    for (name, bytes) in [
        ("/in/cut.tar", tar[..cut].to_vec()),
        ("/in/cut.tar.gz", {
            let g = gz(&tar);
            g[..g.len() * 2 / 3].to_vec()
        }),
    ] {
        let r = read(vec![(name, bytes)], ArchiveLimits::default());
        let s = stopped(&r);
        assert!(
            s.contains("cut short") || s.contains("damaged"),
            "{name}: {s}"
        );
        assert!(r.logs.height() >= 2, "{name}: {}", r.logs.height());
        // Every line read is accounted for.
        for st in &r.report.files {
            assert_eq!(st.lines, st.entries + st.joined);
        }
    }
    let r = read(
        vec![("/in/cut.tar", tar[..cut].to_vec())],
        ArchiveLimits::default(),
    );
    assert_eq!(
        stopped(&r),
        format!(
            "cut short at byte {cut} of the tar stream, inside n/app2.log; the members before it are read"
        )
    );
    let last = r.set.entries().last().unwrap();
    assert!(
        last.remark
            .as_deref()
            .unwrap()
            .contains("the first 1000 of its 3029 bytes"),
        "{:?}",
        last.remark
    );
    // Cut at a block boundary where the next header should be, and inside the last member's
    // padding: each said (GNU tar: Unexpected EOF), every member before it read.
    let boundary = 2 * (512 + 3072);
    let r = read(
        vec![("/in/cut.tar", tar[..boundary].to_vec())],
        ArchiveLimits::default(),
    );
    assert_eq!(r.logs.height(), 2);
    assert!(
        stopped(&r).starts_with(&format!("cut short at byte {boundary} of the tar stream, where a header or the archive's end should be")),
        "{}",
        stopped(&r)
    );
    let in_padding = 4 * (512 + 3072) - 20;
    let r = read(
        vec![("/in/cut.tar", tar[..in_padding].to_vec())],
        ArchiveLimits::default(),
    );
    assert_eq!(r.logs.height(), 4);
    assert!(
        stopped(&r).contains("in the padding after the last member's data"),
        "{}",
        stopped(&r)
    );
    // The whole tar, with its end: nothing to say.
    let r = read(
        vec![("/in/whole.tar", tar.clone())],
        ArchiveLimits::default(),
    );
    assert_eq!((r.logs.height(), stopped(&r)), (4, String::new()));
    // A zip cut before its central directory: members read from local headers.
    let z = zip_of(&files);
    let r = read(
        vec![("/in/cut.zip", z[..z.len() - 200].to_vec())],
        ArchiveLimits::default(),
    );
    assert!(
        stopped(&r).contains("no central directory"),
        "{}",
        stopped(&r)
    );
    assert_eq!(r.logs.height(), 4);
    // Garbage named .tar.gz is not an archive: a plain (binary) file.
    let r = read(
        vec![("/in/fake.tar.gz", b"\x1f\x8b\x08\x00garbage".to_vec())],
        ArchiveLimits::default(),
    );
    assert!(r.set.archives.is_empty());
}

#[test]
fn mutated_archives_never_panic() {
    let (files, links) = kind_tree();
    let tar = tar_of(&files, &links);
    let seeds = [
        tar.clone(),
        gz(&tar),
        zip_of(&files),
        gz(&tar_of(&vec![("n.tar".into(), tar.clone())], &[])),
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for seed in &seeds {
        for _ in 0..60 {
            let mut b = seed.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() % b.len() as u64) as usize;
                match next() % 3 {
                    0 => b[i] = next() as u8,
                    1 => b.truncate(i.max(1)),
                    _ => b[i..].rotate_left(1),
                }
            }
            let limits = ArchiveLimits {
                max_bytes: 64 << 20,
                ..ArchiveLimits::default()
            };
            let r = read(vec![("/in/m.bin", b.clone())], limits);
            // No panic, and every line read is accounted for.
            for st in r.report.files.iter().filter(|s| s.read) {
                assert!(st.entries + st.joined >= st.lines, "{st:?}");
            }
            // Read as a stream: the same members (where damage cuts one, the bytes decoded
            // before it may differ by the decoder's buffer sizes), every line accounted for.
            let streamed = read_streamed(vec![("/in/m.bin", b)], limits);
            let paths = |r: &Read| -> Vec<String> {
                r.set.entries().iter().map(|e| e.path.clone()).collect()
            };
            assert_eq!(paths(&streamed), paths(&r));
            for st in streamed.report.files.iter().filter(|s| s.read) {
                assert!(st.entries + st.joined >= st.lines, "{st:?}");
            }
        }
    }
}

/// [`read`] as the browser viewer does it: compressed tars listed as streams a little at a
/// time, then the plan, then instances a step at a time (metrics files expected too).
fn read_streamed(files: Vec<(&str, Vec<u8>)>, limits: ArchiveLimits) -> Read {
    let mut set = FileSet::new();
    for (name, bytes) in files {
        set.add_bytes(name, bytes);
    }
    let mut opening = set.start_opening(limits, true);
    let mut steps = 0;
    while !opening.step(&mut set, 4096) {
        steps += 1;
        assert!(steps < 1_000_000, "the opening ends");
    }
    let plan = plan(&set, &PlanOptions::default());
    set.expect_reads(plan.files_of(podsift_core::sources::plan::FileRole::Metrics));
    let progress = Progress::default();
    let live = std::sync::Arc::new(podsift_core::query::discover::LiveCounts::default());
    // Packed, as the browser reads: the rows must come out the same.
    let mut stepwise = podsift_core::table::StepwiseLogs::new(&set, &plan, &progress, live, true);
    while !stepwise.step(&set, &plan, &progress, 1) {}
    let (logs, report) = stepwise.finish(&progress).unwrap();
    let logs = logs.to_frame().unwrap();
    Read {
        set,
        plan,
        logs,
        report,
    }
}

/// What a read found, file by file: path, status, note, lines, entries.
fn outcome(r: &Read) -> Vec<String> {
    r.set
        .entries()
        .iter()
        .zip(&r.plan.files)
        .zip(&r.report.files)
        .map(|((e, f), st)| {
            format!(
                "{} {:?} {:?} {:?} lines={} entries={} unparsed={}",
                e.path, f.status, f.note, e.remark, st.lines, st.entries, st.unparsed
            )
        })
        .collect()
}

#[test]
fn a_streamed_tar_reads_the_same_as_one_held_in_memory() {
    let (kind, links) = kind_tree();
    // Large members too (past the kept head), written out of the order they are read in:
    // the metrics first (read after the logs), the current log before its rotation (a gzip
    // file past the kept head too, so both are found again in the stream).
    let mut big: Tree = Vec::new();
    let dir = "n/var/log/pods/shop_api-1_0d9c1f6e-3b1a-4c55-9a61-0c6b2f4d8e11/app";
    let lines = |from: u32, n: u32| -> String {
        (from..from + n)
            .map(|i| {
                format!(
                    "2024-03-01T10:{:02}:{:02}.000000000Z stdout F {{\"level\":\"{}\",\"msg\":\"request {i} {:016x}{:016x} {}\"}}\n",
                    (i / 60) % 60,
                    i % 60,
                    if i % 7 == 0 { "error" } else { "info" },
                    u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                    u64::from(i).wrapping_mul(0xbf58_476d_1ce4_e5b9).rotate_left(17),
                    "x".repeat(i as usize % 200)
                )
            })
            .collect()
    };
    big.push(("n/metrics/node.prom".into(), {
        let mut m = String::from("# TYPE up gauge\n");
        for i in 0..2000 {
            m.push_str(&format!("up{{instance=\"host-{i}\"}} 1 1709287200000\n"));
        }
        m.into_bytes()
    }));
    big.push((format!("{dir}/0.log"), lines(3000, 3000).into_bytes()));
    let rotated = gz(lines(0, 3000).as_bytes());
    assert!(rotated.len() > 64 * 1024, "{}", rotated.len());
    big.push((format!("{dir}/0.log.20240301-100000.gz"), rotated));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("/in/kind.tar.gz", gz(&tar_of(&kind, &links))),
        ("/in/big.tgz", gz(&tar_of(&big, &[]))),
        ("/in/sonobuoy.tar.gz", gz(&tar_of(&sonobuoy_tree(), &[]))),
        (
            "/in/cluster-info.tar.gz",
            gz(&tar_of(&cluster_info_tree(), &[])),
        ),
        (
            "/in/support.tar.gz",
            gz(&tar_of(&support_bundle_tree(), &[])),
        ),
        (
            "/in/nested.tar.gz",
            gz(&tar_of(
                &vec![("kind-worker.tar.gz".into(), gz(&tar_of(&kind, &links)))],
                &[],
            )),
        ),
    ];
    for (name, bytes) in cases {
        let held = read(vec![(name, bytes.clone())], ArchiveLimits::default());
        let streamed = read_streamed(vec![(name, bytes.clone())], ArchiveLimits::default());
        assert!(held.logs.height() > 0, "{name}");
        assert_eq!(outcome(&streamed), outcome(&held), "{name}");
        assert!(
            streamed.logs.equals_missing(&held.logs),
            "{name}: same rows in the same order"
        );
        assert_eq!(streamed.set.archives.len(), held.set.archives.len());
        assert_eq!(
            format!("{:?}", streamed.set.problems),
            format!("{:?}", held.set.problems),
            "{name}"
        );
        // Read in the archive's order: decompressed once more, never again from the top.
        assert_eq!(streamed.set.stream_restarts(), 0, "{name}");
        let metrics = podsift_core::table::metrics::read_metrics(
            &streamed.set,
            &streamed.plan,
            &Default::default(),
            &mut Accounting::default(),
        );
        let held_metrics = podsift_core::table::metrics::read_metrics(
            &held.set,
            &held.plan,
            &Default::default(),
            &mut Accounting::default(),
        );
        assert_eq!(metrics.len(), held_metrics.len(), "{name}");
        assert_eq!(streamed.set.stream_restarts(), 0, "{name}: metrics kept");
    }
    // The big bundle: the held read keeps every member decompressed; the streamed one the
    // compressed archive and 64 KiB heads.
    let bytes = gz(&tar_of(&big, &[]));
    let held = read(
        vec![("/in/big.tgz", bytes.clone())],
        ArchiveLimits::default(),
    );
    let streamed = read_streamed(
        vec![("/in/big.tgz", bytes.clone())],
        ArchiveLimits::default(),
    );
    let unpacked: u64 = big.iter().map(|(_, d)| d.len() as u64).sum();
    assert!(
        held.set.held_bytes() >= unpacked,
        "{}",
        held.set.held_bytes()
    );
    // Once the metrics, kept for their read after the logs, are read: the compressed bytes
    // and the three members' heads.
    podsift_core::table::metrics::read_metrics(
        &streamed.set,
        &streamed.plan,
        &Default::default(),
        &mut Accounting::default(),
    );
    assert!(
        streamed.set.held_bytes() <= bytes.len() as u64 + 3 * 64 * 1024,
        "{} held of {} compressed, {unpacked} unpacked",
        streamed.set.held_bytes(),
        bytes.len()
    );
}

#[test]
fn streamed_tars_that_are_cut_or_damaged_keep_what_came_before() {
    let files: Tree = (0..4)
        .map(|i| {
            (
                format!("n/app{i}.log"),
                format!(
                    "2024-03-01T10:00:0{i}Z line {i} {}\n",
                    "x".repeat(100_000 + i * 1000)
                )
                .into_bytes(),
            )
        })
        .collect();
    let g = gz(&tar_of(&files, &[]));
    for cut in [g.len() / 3, g.len() / 2, g.len() * 2 / 3, g.len() - 10] {
        let bytes = g[..cut].to_vec();
        let held = read(
            vec![("/in/cut.tar.gz", bytes.clone())],
            ArchiveLimits::default(),
        );
        let streamed = read_streamed(vec![("/in/cut.tar.gz", bytes)], ArchiveLimits::default());
        // The members before the damage are the same; the one it cuts is read as far as the
        // decoder got (which depends on its buffer sizes), and said so.
        let (o, h) = (outcome(&streamed), outcome(&held));
        assert_eq!(o.len(), h.len(), "cut at {cut}");
        assert_eq!(o[..o.len() - 1], h[..h.len() - 1], "cut at {cut}");
        if o != h {
            let last = streamed.set.entries().last().unwrap();
            let remark = last.remark.as_deref().unwrap_or_default();
            assert!(
                remark.contains("damaged at byte") || remark.contains("cut short at byte"),
                "cut at {cut}: {remark}"
            );
            assert!(
                stopped(&streamed).ends_with("; the members before it are read"),
                "cut at {cut}: {}",
                stopped(&streamed)
            );
        } else {
            assert_eq!(stopped(&streamed), stopped(&held), "cut at {cut}");
        }
        assert!(
            streamed.logs.height() + 1 >= held.logs.height(),
            "cut at {cut}: {o:#?} {h:#?}"
        );
    }
    // Limits stop a streamed listing where they stop a held one.
    let limits = ArchiveLimits {
        max_bytes: 250_000,
        ..ArchiveLimits::default()
    };
    let held = read(vec![("/in/a.tar.gz", g.clone())], limits);
    let streamed = read_streamed(vec![("/in/a.tar.gz", g.clone())], limits);
    assert_eq!(stopped(&streamed), stopped(&held));
    assert!(
        stopped(&held).contains("unpack to more than"),
        "{}",
        stopped(&held)
    );
    assert_eq!(outcome(&streamed), outcome(&held));
}

/// Hostile names: a member 64k folders deep (a GNU long name of 128 KiB) is read under a short
/// name that says so, in time linear in its length (layout detection looks at every folder of
/// every path: at full depth this took seconds, and minutes at 512k).
#[test]
fn a_name_deeper_than_any_file_system_is_read_under_a_short_name() {
    let deep = format!("{}f.log", "d/".repeat(64 * 1024));
    let archive = gz(&tar_of(
        &vec![
            (deep, b"2024-01-01T00:00:00Z INFO hi\n".to_vec()),
            (
                "ok/app.log".into(),
                b"2024-01-01T00:00:01Z INFO there\n".to_vec(),
            ),
        ],
        &[],
    ));
    let r = read(vec![("/in/deep.tar.gz", archive)], ArchiveLimits::default());
    assert_eq!(r.logs.height(), 2);
    let e = &r.set.entries()[0];
    assert_eq!(e.path, "/in/deep.tar.gz/d/d/d/d/…/f.log");
    assert!(
        e.remark.as_deref().unwrap().contains("65537 folders deep"),
        "{:?}",
        e.remark
    );
}

/// An archive nested deeper than the limit says so, instead of "binary data".
#[test]
fn archives_nested_beyond_the_limit_say_so() {
    let mut bytes = gz(&tar_of(
        &vec![("a.log".into(), b"2024-01-01T00:00:00Z INFO deep\n".to_vec())],
        &[],
    ));
    for level in 2..=6 {
        bytes = gz(&tar_of(
            &vec![(format!("l{}.tar.gz", level - 1), bytes)],
            &[],
        ));
    }
    let r = read(vec![("/in/l6.tar.gz", bytes)], ArchiveLimits::default());
    assert_eq!(r.logs.height(), 0);
    let e = &r.set.entries()[0];
    assert_eq!(
        e.path,
        "/in/l6.tar.gz/l5.tar.gz/l4.tar.gz/l3.tar.gz/l2.tar.gz"
    );
    assert_eq!(
        e.skip.as_deref(),
        Some(
            "an archive nested 5 deep, beyond the limit of 4 archives inside archives: not opened"
        )
    );
}

/// A compressed tar that unpacks to more than may be held (`max_held`) is read as a stream
/// natively too: the same entries and accounting as when held, in one pass, holding a bounded
/// part of it; a member too big to hold is decompressed as it is read.
#[test]
fn a_compressed_tar_too_big_to_hold_is_read_as_a_stream() {
    let mut files: Tree = (0..24)
        .map(|i| {
            let lines: String = (0..400)
                .map(|k| cri(k, &format!("pod {i} line {k} with a few words")))
                .collect();
            (
                format!("node-a/pods/ns_web-{i}_uid{i}/app/0.log"),
                lines.into_bytes(),
            )
        })
        .collect();
    // One member larger than a quarter of the hold: read through a reader, never whole.
    let big: String = (0..40_000)
        .map(|k| cri(k, &format!("big line {k} of a chatty container")))
        .collect();
    files.push(("node-a/pods/ns_chatty_u/app/0.log".into(), big.into_bytes()));
    let unpacked: usize = files.iter().map(|(_, d)| d.len()).sum();
    let bundle = gz(&tar_of(&files, &[]));
    let held = read(
        vec![("/in/bundle.tar.gz", bundle.clone())],
        ArchiveLimits::default(),
    );
    let limits = ArchiveLimits {
        max_held: 1 << 20,
        ..ArchiveLimits::default()
    };
    let streamed = read(vec![("/in/bundle.tar.gz", bundle)], limits);
    assert_eq!(stopped(&streamed), "");
    assert_eq!(streamed.logs.height(), 24 * 400 + 40_000);
    assert_eq!(streamed.logs.height(), held.logs.height());
    assert_eq!(col(&streamed.logs, "message"), col(&held.logs, "message"));
    assert_eq!(col(&streamed.logs, "pod"), col(&held.logs, "pod"));
    // Decompressed once more than listed, in order: no pass started again.
    assert_eq!(streamed.set.stream_restarts(), 0);
    // Held: the compressed bytes and the members' heads, not the unpacked members.
    assert!(held.set.held_bytes() >= unpacked as u64);
    assert!(
        streamed.set.held_bytes() < unpacked as u64 / 2,
        "{} of {unpacked}",
        streamed.set.held_bytes()
    );
    let files_read = |r: &Read| r.report.files.iter().map(|f| f.lines).sum::<u64>();
    assert_eq!(files_read(&streamed), files_read(&held));
}
