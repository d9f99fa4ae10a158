//! Bundles as the world writes them: Kubernetes documents in every shape the API and the tools
//! that dump it write (lists, bare arrays of typed items, single objects, watch events, YAML
//! documents), sonobuoy results of the 0.10 and current layouts, an OpenShift must-gather tree,
//! JUnit reports, status JSON that is not a log, a journal whose `_HOSTNAME` is not its node's
//! name. Each written here from the formats' documentation and their writers' source (sonobuoy's
//! `pkg/discovery`, oc's `pkg/cli/admin/inspect`), with the exact tables they give.

use podsift_core::bundle::{Bundle, OpenOptions, ReadOptions, Tables};
use podsift_core::ingest::Progress;
use podsift_core::sources::FileSet;
use podsift_testgen::bundles::{self, NODE, POD_TYPED, POD_TYPED_2, typed};
use polars::prelude::*;

fn read(files: &[(&str, &[u8])]) -> (Bundle, Tables) {
    let mut set = FileSet::new();
    for (path, bytes) in files {
        set.add_bytes(*path, bytes.to_vec());
    }
    let bundle = Bundle::open(set, &OpenOptions::default());
    let tables = bundle
        .read(&ReadOptions::default(), &Progress::default())
        .unwrap();
    (bundle, tables)
}

fn read_tree(files: &bundles::Tree) -> (Bundle, Tables) {
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    read(&refs)
}

/// A column's values as text (nulls as "-").
fn col(df: &DataFrame, name: &str) -> Vec<String> {
    let c = df.column(name).unwrap().cast(&DataType::String).unwrap();
    c.str()
        .unwrap()
        .into_iter()
        .map(|v| v.unwrap_or("-").to_string())
        .collect()
}

/// `(file, kind, status, resource)` of `sources`, for files whose path ends with `suffix`.
fn source(bundle: &Bundle, tables: &Tables, suffix: &str) -> (String, String, String) {
    let s = bundle.sources(Some(&tables.accounting)).unwrap();
    let files = col(&s, "file");
    let i = files
        .iter()
        .position(|f| f.ends_with(suffix))
        .unwrap_or_else(|| panic!("{suffix} not in {files:?}"));
    (
        col(&s, "kind")[i].clone(),
        col(&s, "status")[i].clone(),
        col(&s, "resource")[i].clone(),
    )
}

/// Every line of every file read is accounted for: as entries and the lines joined to them,
/// or, for a document whose rows outnumber its lines (a one-line list), all in its rows.
fn accounted(tables: &Tables) {
    for (i, f) in tables.accounting.files.iter().enumerate() {
        if f.read && !(f.joined == 0 && f.entries > f.lines) {
            assert_eq!(f.lines, f.entries + f.joined, "file {i}: {f:?}");
        }
    }
}

fn pod_names(files: &[(&str, &[u8])]) -> Vec<String> {
    let (bundle, t) = read(files);
    accounted(&t);
    let _ = bundle;
    let mut names = col(&t.pods, "pod");
    names.dedup();
    names
}

#[test]
fn pod_lists_in_every_shape() {
    let unstructured = format!(
        r#"{{"apiVersion":"v1","items":[{},{}],"kind":"PodList","metadata":{{"resourceVersion":"9"}}}}"#,
        POD_TYPED.replacen('{', r#"{"apiVersion":"v1","kind":"Pod","#, 1),
        POD_TYPED_2.replacen('{', r#"{"apiVersion":"v1","kind":"Pod","#, 1),
    );
    let bare_array = format!("[{POD_TYPED},{POD_TYPED_2}]");
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(&unstructured).unwrap(),
    )
    .unwrap();
    let yaml_list = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: db-0\n    namespace: shop\n  spec:\n    containers:\n    - image: pg\n      name: db\n  status:\n    phase: Pending\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: web-1\n    namespace: shop\n    uid: u-1\n  spec:\n    containers:\n    - name: app\n  status:\n    phase: Running\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
    let single_yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  namespace: shop\nspec:\n  containers:\n  - name: app\n";
    let multi_doc = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: db-0\n  namespace: shop\nspec:\n  containers:\n  - name: db\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  namespace: shop\nspec:\n  containers:\n  - name: app\n";
    let watch = format!(
        "{{\"type\":\"ADDED\",\"object\":{}}}\n{{\"type\":\"MODIFIED\",\"object\":{}}}\n",
        POD_TYPED.replacen('{', r#"{"apiVersion":"v1","kind":"Pod","#, 1),
        POD_TYPED_2.replacen('{', r#"{"apiVersion":"v1","kind":"Pod","#, 1),
    );
    let both = ["db-0", "web-1"];
    // sonobuoy's current `core_v1_pods.json`, its older `Pods.json` (typed items, no kind),
    // kubectl's pretty lists, YAML lists, one Pod, several documents, watch output.
    for (name, body, want) in [
        (
            "resources/ns/shop/core_v1_pods.json",
            unstructured.as_str(),
            &both[..],
        ),
        (
            "resources/ns/shop/Pods.json",
            bare_array.as_str(),
            &both[..],
        ),
        ("pods.json", pretty.as_str(), &both[..]),
        ("namespaces/shop/core/pods.yaml", yaml_list, &both[..]),
        ("web-1.yaml", single_yaml, &["web-1"][..]),
        ("all.yaml", multi_doc, &both[..]),
        ("watch.json", watch.as_str(), &both[..]),
    ] {
        assert_eq!(pod_names(&[(name, body.as_bytes())]), want, "{name}");
    }
    // An empty list still counts what it has (nothing) and says so; a list of Endpoints is
    // not a pod list.
    let (b, t) = read(&[
        (
            "empty.json",
            br#"{"apiVersion":"v1","items":[],"kind":"PodList","metadata":{}}"#,
        ),
        (
            "core_v1_endpoints.json",
            br#"{"apiVersion":"v1","items":[{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"kubernetes"},"subsets":[]}],"kind":"EndpointsList"}"#,
        ),
    ]);
    assert_eq!(t.pods.height(), 0);
    assert_eq!(
        source(&b, &t, "empty.json"),
        ("pod-list".into(), "read".into(), "Pod".into())
    );
    assert_eq!(
        source(&b, &t, "core_v1_endpoints.json"),
        ("resources".into(), "metadata".into(), "Endpoints".into())
    );
}

#[test]
fn events_in_every_shape() {
    let core = r#"{"metadata":{"name":"web-1.1","namespace":"shop"},"involvedObject":{"kind":"Pod","name":"web-1","namespace":"shop"},"reason":"BackOff","message":"Back-off restarting failed container","type":"Warning","count":4,"firstTimestamp":"2024-03-01T09:10:00Z","lastTimestamp":"2024-03-01T10:00:00Z"}"#;
    let new_api = r#"{"kind":"EventList","apiVersion":"events.k8s.io/v1","items":[{"metadata":{"name":"db-0.2","namespace":"shop"},"regarding":{"kind":"Pod","name":"db-0","namespace":"shop"},"reason":"FailedScheduling","note":"0/3 nodes are available","type":"Warning","eventTime":"2024-03-01T09:30:00.000000Z","reportingController":"default-scheduler"}]}"#;
    for (name, body) in [
        ("resources/ns/shop/Events.json", format!("[{core}]")),
        (
            "core_v1_events.json",
            format!(
                r#"{{"apiVersion":"v1","items":[{}],"kind":"EventList"}}"#,
                core.replacen('{', r#"{"apiVersion":"v1","kind":"Event","#, 1)
            ),
        ),
        ("events.k8s.io_v1_events.json", new_api.to_string()),
        (
            "namespaces/shop/core/events.yaml",
            "apiVersion: v1\nitems:\n- apiVersion: v1\n  involvedObject:\n    kind: Pod\n    name: web-1\n    namespace: shop\n  kind: Event\n  message: Back-off restarting failed container\n  metadata:\n    name: web-1.1\n    namespace: shop\n  reason: BackOff\n  type: Warning\nkind: EventList\n".to_string(),
        ),
    ] {
        let (_, t) = read(&[(name, body.as_bytes())]);
        accounted(&t);
        assert_eq!(t.events.height(), 1, "{name}");
        let reason = col(&t.events, "reason");
        assert!(
            reason == ["BackOff"] || reason == ["FailedScheduling"],
            "{name}: {reason:?}"
        );
    }
}

#[test]
fn nodes_table() {
    let list = format!(r#"{{"apiVersion":"v1","items":[{NODE}],"kind":"List"}}"#);
    let (b, t) = read(&[("resources/cluster/core_v1_nodes.json", list.as_bytes())]);
    accounted(&t);
    assert_eq!(
        source(&b, &t, "core_v1_nodes.json"),
        ("node-list".into(), "read".into(), "Node".into())
    );
    let n = &t.nodes;
    assert_eq!(n.height(), 1);
    let row = |c: &str| col(n, c)[0].clone();
    assert_eq!(row("node"), "ip-10-0-9-16.us-west-2.compute.internal");
    assert_eq!(row("roles"), "control-plane,master");
    assert_eq!(row("ready"), "False");
    assert_eq!(row("ready_since"), "2024-03-01 09:58:00.000000000+00:00");
    assert_eq!(row("problems"), "MemoryPressure");
    assert_eq!(row("taints"), "node-role.kubernetes.io/master:NoSchedule");
    assert_eq!(row("kubelet_version"), "v1.29.2");
    assert_eq!(row("container_runtime"), "containerd://1.7.13");
    assert_eq!(row("cpu_capacity"), "4.0");
    assert_eq!(row("cpu_allocatable"), "3.8");
    assert_eq!(row("memory_capacity"), (16_393_916u64 * 1024).to_string());
    assert_eq!(row("pods_allocatable"), "110");
    let c = &t.node_conditions;
    assert_eq!(col(c, "type"), ["MemoryPressure", "Ready"]);
    assert_eq!(col(c, "status"), ["True", "False"]);
    assert_eq!(col(c, "reason")[1], "KubeletNotReady");
    // Older sonobuoy's typed Nodes.json (no kind) gives the same node.
    let array = format!("[{}]", typed(NODE, "Node"));
    let (_, t) = read(&[("resources/cluster/Nodes.json", array.as_bytes())]);
    assert_eq!(col(&t.nodes, "kubelet_version"), ["v1.29.2"]);
}

/// sonobuoy's results as of 0.10 ([`bundles::sonobuoy_010`]).
#[test]
fn sonobuoy_010_layout() {
    let (b, t) = read_tree(&bundles::sonobuoy_010());
    accounted(&t);
    let kinds: Vec<(&str, (&str, &str, &str))> = vec![
        ("meta/config.json", ("resources", "metadata", "JSON")),
        ("meta/query-time.json", ("resources", "metadata", "JSON")),
        ("meta/run.log", ("text", "read", "-")),
        ("serverversion.json", ("resources", "metadata", "JSON")),
        ("configz.json", ("resources", "metadata", "JSON")),
        ("healthz.json", ("resources", "metadata", "JSON")),
        ("e2e.log", ("text", "read", "-")),
        ("junit_01.xml", ("junit", "read", "-")),
        (
            "ServiceAccounts.json",
            ("resources", "metadata", "ServiceAccounts"),
        ),
        ("Pods.json", ("pod-list", "read", "Pod")),
        ("Nodes.json", ("node-list", "read", "Node")),
    ];
    for (suffix, (kind, status, resource)) in kinds {
        assert_eq!(
            source(&b, &t, suffix),
            (kind.into(), status.into(), resource.into()),
            "{suffix}"
        );
    }
    // The journal is the node's (from its folder), its short `_HOSTNAME` the `host` field;
    // the full and short names are one node.
    let logs = &t.logs;
    let nodes = col(logs, "node");
    let components = col(logs, "component");
    let journal: Vec<&String> = nodes
        .iter()
        .zip(&components)
        .filter(|(_, c)| *c == "kubelet")
        .map(|(n, _)| n)
        .collect();
    assert_eq!(journal, ["ip-10-0-9-16.us-west-2.compute.internal"; 2]);
    assert!(!nodes.iter().any(|n| n == "ip-10-0-9-16"), "{nodes:?}");
    // The ginkgo failure is an error entry of its own, with its lines folded in.
    let messages = col(logs, "message");
    let levels = col(logs, "level");
    let errors: Vec<&str> = messages
        .iter()
        .zip(&levels)
        .filter(|(_, l)| *l == "error")
        .map(|(m, _)| m.lines().next().unwrap_or_default())
        .collect();
    assert!(
        errors.contains(&"\u{2022} Failure [1.500 seconds]"),
        "{errors:?}"
    );
    assert!(errors.contains(&"Summarizing 1 Failure:"), "{errors:?}");
    assert!(errors.contains(&"[Fail] [sig-apps] works "), "{errors:?}");
    assert!(errors.contains(&"FAIL! -- 1 Passed | 1 Failed | 0 Pending | 3 Skipped"));
    // The JUnit report.
    assert_eq!(col(&t.tests, "status"), ["passed", "failed", "skipped"]);
    assert_eq!(col(&t.tests, "message")[1], "Expected true");
    assert_eq!(col(&t.pods, "pod"), ["web-1"]);
    assert_eq!(
        col(&t.nodes, "node"),
        ["ip-10-0-9-16.us-west-2.compute.internal"]
    );
}

/// sonobuoy's current layout ([`bundles::sonobuoy_current`]).
#[test]
fn sonobuoy_current_layout() {
    let (b, t) = read_tree(&bundles::sonobuoy_current());
    accounted(&t);
    let s = b.sources(Some(&t.accounting)).unwrap();
    assert!(
        col(&s, "layout").iter().all(|l| l == "sonobuoy"),
        "{:?}",
        col(&s, "layout")
    );
    assert_eq!(
        source(&b, &t, "sonobuoy_results.yaml"),
        ("resources".into(), "metadata".into(), "YAML".into())
    );
    assert_eq!(
        source(&b, &t, "customresourcedefinitions.json"),
        (
            "resources".into(),
            "metadata".into(),
            "CustomResourceDefinition".into()
        )
    );
    assert_eq!(
        source(&b, &t, "servergroups.json"),
        ("resources".into(), "metadata".into(), "APIGroupList".into())
    );
    // The journal of kind-control-plane's folder says `_HOSTNAME=kind-worker`: it stays on
    // kind-control-plane, kind-worker its host.
    let nodes = col(&t.logs, "node");
    let components = col(&t.logs, "component");
    let i = components.iter().position(|c| c == "containerd").unwrap();
    assert_eq!(nodes[i], "kind-control-plane");
    assert_eq!(col(&t.pods, "pod"), ["web-1"]);
    assert_eq!(
        b.plan().resource_counts(),
        [
            ("APIGroupList".to_string(), 1),
            ("CustomResourceDefinition".to_string(), 1),
            ("JSON".to_string(), 1),
            ("YAML".to_string(), 1)
        ]
    );
}

/// OpenShift's must-gather ([`bundles::must_gather`]).
#[test]
fn must_gather_tree() {
    let (b, t) = read_tree(&bundles::must_gather());
    accounted(&t);
    let s = b.sources(Some(&t.accounting)).unwrap();
    assert!(col(&s, "layout").iter().all(|l| l == "must-gather"));
    // The pod's logs: namespace, pod and container from the path; the previous run first.
    let logs = &t.logs;
    let pods = col(logs, "pod");
    let restarts = col(logs, "restart");
    let messages = col(logs, "message");
    let of_pod: Vec<(&str, &str)> = pods
        .iter()
        .zip(&restarts)
        .zip(&messages)
        .filter(|((p, _), _)| *p == "api-1")
        .map(|((_, r), m)| (r.as_str(), m.as_str()))
        .collect();
    assert_eq!(of_pod.len(), 4);
    assert_eq!(of_pod[0].0, "0");
    assert_eq!(
        of_pod[3],
        ("1", "2024-03-01T10:00:01.000000000Z ERROR lost connection")
    );
    assert_eq!(
        col(logs, "container")
            .iter()
            .filter(|c| *c == "app")
            .count(),
        4
    );
    assert_eq!(col(&t.pods, "pod"), ["api-1"]);
    assert_eq!(col(&t.events, "reason"), ["BackOff"]);
    assert_eq!(col(&t.nodes, "kubelet_version"), ["v1.28.1"]);
    assert_eq!(
        source(&b, &t, "shop/shop.yaml"),
        ("resources".into(), "metadata".into(), "Namespace".into())
    );
}

/// A JSON log file is a log; JSON that holds no log records is data, listed, not read.
#[test]
fn json_is_read_as_logs_only_when_its_records_are_log_records() {
    let (b, t) = read(&[
        (
            "a/app.json",
            b"{\"level\":\"info\",\"msg\":\"up\",\"ts\":\"2024-03-01T10:00:00Z\"}\n",
        ),
        (
            "a/records.json",
            b"[\n  {\"MESSAGE\": \"hi\", \"__REALTIME_TIMESTAMP\": \"1709287200000000\"}\n]\n",
        ),
        ("a/status.json", b"{\"status\":200}\n"),
        (
            "a/version.json",
            b"{\"major\":\"1\",\"minor\":\"29\",\"buildDate\":\"2024-01-01T00:00:00Z\"}\n",
        ),
        (
            "a/durations.json",
            b"[{\"queryobj\":\"Pods\",\"time\":\"12.3ms\"}]\n",
        ),
    ]);
    accounted(&t);
    for (f, want) in [
        ("app.json", ("text", "read", "-")),
        ("records.json", ("text", "read", "-")),
        ("status.json", ("resources", "metadata", "JSON")),
        ("version.json", ("resources", "metadata", "JSON")),
        ("durations.json", ("resources", "metadata", "JSON")),
    ] {
        assert_eq!(
            source(&b, &t, f),
            (want.0.into(), want.1.into(), want.2.into()),
            "{f}"
        );
    }
    assert_eq!(t.logs.height(), 2);
}
