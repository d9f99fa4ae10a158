//! Bundles as their writers lay them out, written from the writers' documentation and source
//! (sonobuoy's `pkg/discovery` and results reader, oc's `pkg/cli/admin/inspect`): sonobuoy
//! results of the 0.10 and the current layout, and an OpenShift must-gather tree, each with
//! pod, event and node lists, JUnit reports, status JSON and logs whose truth the tests state.
//! `podsift-testgen OUT --bundles` writes them (the sonobuoy ones as `.tar.gz`, as sonobuoy
//! ships them).

use std::io::{self, Write};
use std::path::Path;

/// A bundle: paths below its root and their bytes.
pub type Tree = Vec<(String, Vec<u8>)>;

/// A Pod as a typed list item writes it (no `kind`, no `apiVersion`).
pub const POD_TYPED: &str = r#"{"metadata":{"name":"web-1","namespace":"shop","uid":"u-1","creationTimestamp":"2024-03-01T09:00:00Z"},"spec":{"nodeName":"node-a","containers":[{"name":"app","image":"app:1"}]},"status":{"phase":"Running","containerStatuses":[{"name":"app","ready":true,"restartCount":3,"state":{"running":{}}}]}}"#;

/// A second Pod, pending, with no uid.
pub const POD_TYPED_2: &str = r#"{"metadata":{"name":"db-0","namespace":"shop"},"spec":{"containers":[{"name":"db","image":"pg"}]},"status":{"phase":"Pending"}}"#;

/// A Node with a bad `Ready` and memory pressure, roles, a taint, capacity in quantities.
pub const NODE: &str = r#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"ip-10-0-9-16.us-west-2.compute.internal","labels":{"node-role.kubernetes.io/control-plane":"","node-role.kubernetes.io/master":""},"creationTimestamp":"2024-03-01T08:00:00Z"},"spec":{"podCIDR":"10.244.0.0/24","taints":[{"key":"node-role.kubernetes.io/master","effect":"NoSchedule"}]},"status":{"capacity":{"cpu":"4","memory":"16393916Ki","pods":"110"},"allocatable":{"cpu":"3800m","memory":"15243964Ki","pods":"110"},"conditions":[{"type":"MemoryPressure","status":"True","reason":"KubeletHasInsufficientMemory","message":"low","lastHeartbeatTime":"2024-03-01T10:00:00Z","lastTransitionTime":"2024-03-01T09:55:00Z"},{"type":"Ready","status":"False","reason":"KubeletNotReady","message":"PLEG is not healthy","lastHeartbeatTime":"2024-03-01T10:00:00Z","lastTransitionTime":"2024-03-01T09:58:00Z"}],"nodeInfo":{"kubeletVersion":"v1.29.2","containerRuntimeVersion":"containerd://1.7.13","osImage":"Ubuntu 22.04.4 LTS","kernelVersion":"5.15.0","architecture":"amd64"}}}"#;

/// `obj` (a typed object) with `apiVersion` and `kind`, as an unstructured list item.
pub fn with_kind(obj: &str, kind: &str) -> String {
    obj.replacen('{', &format!(r#"{{"apiVersion":"v1","kind":"{kind}","#), 1)
}

/// `obj` without `apiVersion` and `kind`, as a typed list item.
pub fn typed(obj: &str, kind: &str) -> String {
    obj.replacen(&format!(r#""apiVersion":"v1","kind":"{kind}","#), "", 1)
}

/// sonobuoy's results as of 0.10: `meta/`, typed resources (`Pods.json`, `Nodes.json`),
/// `hosts/<node>/{configz,healthz}.json`, the systemd_logs plugin's file per node, e2e's log
/// and JUnit report at `plugins/e2e/results/`.
pub fn sonobuoy_010() -> Tree {
    let node = "ip-10-0-9-16.us-west-2.compute.internal";
    let journal = |msg: &str, us: u64| {
        format!(
            r#"{{"__REALTIME_TIMESTAMP":"{us}","_HOSTNAME":"ip-10-0-9-16","_SYSTEMD_UNIT":"kubelet.service","PRIORITY":"6","MESSAGE":"{msg}"}}"#
        ) + "\n"
    };
    vec![
        ("r/meta/config.json".into(), br#"{"Description":"DEFAULT","UUID":"x","Version":"v0.10.0"}"#.to_vec()),
        ("r/meta/query-time.json".into(), br#"[{"queryobj":"Pods","namespace":"kube-system","time":"12.345ms","error":null}]"#.to_vec()),
        ("r/meta/run.log".into(), b"time=\"2018-01-01T10:00:00Z\" level=info msg=\"Starting server Expected Results: [{e2e global}]\"\n".to_vec()),
        ("r/serverversion.json".into(), br#"{"major":"1","minor":"8","gitVersion":"v1.8.4","buildDate":"2017-11-20T05:17:43Z"}"#.to_vec()),
        (format!("r/hosts/{node}/configz.json"), br#"{"kubeletconfig":{"podManifestPath":"/etc/kubernetes/manifests","clusterDNS":["10.96.0.10"]}}"#.to_vec()),
        (format!("r/hosts/{node}/healthz.json"), br#"{"status":200}"#.to_vec()),
        (format!("r/plugins/systemd_logs/results/{node}"), [journal("Started Kubernetes kubelet.", 1_514_800_800_000_000), journal("E0101 10:00:01.000000 1 kubelet.go:1] boom", 1_514_800_801_000_000)].concat().into_bytes()),
        ("r/plugins/e2e/results/e2e.log".into(), "Jan  1 10:00:00.000: INFO: starting\n\u{2022} Failure [1.500 seconds]\n[sig-apps] works\n/go/src/e2e.go:12\n  Expected true\nSummarizing 1 Failure:\n[Fail] [sig-apps] works \nFAIL! -- 1 Passed | 1 Failed | 0 Pending | 3 Skipped\n".as_bytes().to_vec()),
        ("r/plugins/e2e/results/junit_01.xml".into(), br#"<?xml version="1.0" encoding="UTF-8"?>
  <testsuite name="Kubernetes e2e suite" tests="5" failures="1" errors="0" time="10">
      <testcase name="[sig-apps] passes" classname="Kubernetes e2e suite" time="2.5"></testcase>
      <testcase name="[sig-apps] works" classname="Kubernetes e2e suite" time="1.5">
          <failure type="Failure">/go/src/e2e.go:12&#xA;Expected true&#xA;</failure>
          <system-out>lots</system-out>
      </testcase>
      <testcase name="[sig-storage] skipped" classname="Kubernetes e2e suite" time="0"><skipped></skipped></testcase>
  </testsuite>"#.to_vec()),
        ("r/plugins/e2e/results/nethealth.txt".into(), Vec::new()),
        ("r/podlogs/heptio-sonobuoy/sonobuoy/logs/kube-sonobuoy.txt".into(), b"time=\"2018-01-01T10:00:00Z\" level=info msg=\"Scanning plugins\"\n".to_vec()),
        ("r/resources/ns/shop/Pods.json".into(), format!("[{POD_TYPED}]").into_bytes()),
        ("r/resources/ns/shop/ServiceAccounts.json".into(), br#"[{"metadata":{"name":"default","namespace":"shop","uid":"s-1","creationTimestamp":"2017-12-13T17:00:00Z"},"secrets":[{"name":"default-token"}]}]"#.to_vec()),
        ("r/resources/cluster/Nodes.json".into(), format!("[{}]", typed(NODE, "Node")).into_bytes()),
    ]
}

/// sonobuoy's current layout: no `meta/` needed, unstructured lists with their kind after the
/// items (`core_v1_pods.json`), per-node plugin results under `results/<node>/`, global ones
/// under `results/global/`; the node's journal says another `_HOSTNAME`.
pub fn sonobuoy_current() -> Tree {
    let pods = format!(
        r#"{{"apiVersion":"v1","items":[{}],"kind":"PodList","metadata":{{"resourceVersion":"1"}}}}"#,
        with_kind(POD_TYPED, "Pod")
    );
    let journal = r#"{"__REALTIME_TIMESTAMP":"1709287200000000","_HOSTNAME":"kind-worker","_SYSTEMD_UNIT":"containerd.service","MESSAGE":"time=\"2024-03-01T10:00:00Z\" level=error msg=\"failed to pull\""}"#;
    let files: [(&str, &[u8]); 8] = [
        ("x/hosts/kind-control-plane/configz.json", br#"{"kubeletconfig":{}}"#),
        (
            "x/plugins/systemd-logs/results/kind-control-plane/systemd_logs",
            journal.as_bytes(),
        ),
        (
            "x/plugins/e2e/results/global/e2e.log",
            b"Mar  1 10:00:00.000: INFO: ok\n",
        ),
        (
            "x/plugins/e2e/sonobuoy_results.yaml",
            b"name: e2e\nstatus: passed\nitems:\n- name: global\n  status: passed\n",
        ),
        (
            "x/podlogs/sonobuoy/sonobuoy/logs/kube-sonobuoy.txt",
            b"time=\"2024-03-01T10:00:00Z\" level=info msg=up\n",
        ),
        ("x/resources/ns/shop/core_v1_pods.json", pods.as_bytes()),
        (
            "x/resources/cluster/apiextensions.k8s.io_v1_customresourcedefinitions.json",
            br#"{"apiVersion":"apiextensions.k8s.io/v1","items":[{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"a.example.com"},"spec":{"group":"example.com"}}],"kind":"CustomResourceDefinitionList"}"#,
        ),
        (
            "x/servergroups.json",
            br#"{"kind":"APIGroupList","apiVersion":"v1","groups":[]}"#,
        ),
    ];
    files
        .into_iter()
        .map(|(p, b)| (p.to_string(), b.to_vec()))
        .collect()
}

/// OpenShift's must-gather (`oc adm inspect` writes the same below `namespaces/`): a pod's
/// current and previous logs (with `--timestamps`), its YAML, the namespace's events, a node.
pub fn must_gather() -> Tree {
    let pod_yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: api-1\n  namespace: shop\n  uid: u-9\nspec:\n  containers:\n  - name: app\n    image: app:2\nstatus:\n  phase: Running\n  containerStatuses:\n  - name: app\n    ready: true\n    restartCount: 1\n    state:\n      running: {}\n";
    let files: [(&str, &[u8]); 8] = [
        ("mg/timestamp", b"2024-03-01 10:05:00.000000000 +0000 UTC m=+0.1\n"),
        (
            "mg/namespaces/shop/shop.yaml",
            b"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n",
        ),
        ("mg/namespaces/shop/pods/api-1/api-1.yaml", pod_yaml.as_bytes()),
        (
            "mg/namespaces/shop/pods/api-1/app/app/logs/current.log",
            b"2024-03-01T10:00:00.000000000Z INFO serving\n2024-03-01T10:00:01.000000000Z ERROR lost connection\n",
        ),
        (
            "mg/namespaces/shop/pods/api-1/app/app/logs/previous.log",
            b"2024-03-01T09:00:00.000000000Z INFO serving\n2024-03-01T09:59:59.000000000Z FATAL out of memory\n",
        ),
        (
            "mg/namespaces/shop/core/events.yaml",
            b"apiVersion: v1\nitems:\n- apiVersion: v1\n  involvedObject:\n    kind: Pod\n    name: api-1\n    namespace: shop\n  kind: Event\n  message: Back-off\n  metadata:\n    name: api-1.1\n    namespace: shop\n  reason: BackOff\n  type: Warning\nkind: EventList\nmetadata:\n  resourceVersion: \"\"\n",
        ),
        (
            "mg/cluster-scoped-resources/core/nodes/n1.yaml",
            b"apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\nstatus:\n  nodeInfo:\n    kubeletVersion: v1.28.1\n",
        ),
        (
            "mg/host_service_logs/masters/kubelet_service.log",
            b"Mar 01 10:00:00 n1 kubenswrapper[1]: I0301 10:00:00.000000 1 kubelet.go:1] ok\n",
        ),
    ];
    files
        .into_iter()
        .map(|(p, b)| (p.to_string(), b.to_vec()))
        .collect()
}

/// `files` as a gzip-compressed tar, the way sonobuoy ships its results.
pub fn tar_gz(files: &Tree) -> io::Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    for (path, bytes) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_709_287_200);
        h.set_cksum();
        tar.append_data(&mut h, path, bytes.as_slice())?;
    }
    let tar = tar.into_inner()?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar)?;
    gz.finish()
}

/// Writes `sonobuoy-0.10.tar.gz`, `sonobuoy.tar.gz` and the `must-gather/` tree under `root`.
pub fn write_bundles(root: &Path) -> io::Result<()> {
    std::fs::create_dir_all(root)?;
    std::fs::write(root.join("sonobuoy-0.10.tar.gz"), tar_gz(&sonobuoy_010())?)?;
    std::fs::write(root.join("sonobuoy.tar.gz"), tar_gz(&sonobuoy_current())?)?;
    for (path, bytes) in must_gather() {
        let path = root
            .join("must-gather")
            .join(path.trim_start_matches("mg/"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, bytes)?;
    }
    Ok(())
}
