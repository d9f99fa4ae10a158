//! Bundle layouts: the folder trees that `kind export logs`, the Kubernetes e2e log dump,
//! sonobuoy, `kubectl cluster-info dump` and troubleshoot.sh support bundles write, recognised
//! by the names in them and mapped to node, namespace, pod and container.
//!
//! Detection looks at the set of paths only (a layout is a shape of folders); what a file holds
//! is the planner's business. A tree that is none of these is still read: every file is then
//! classified by its own path and content.
//!
//! | layout | recognised by | mapped |
//! |---|---|---|
//! | `kind` | a folder with `kubelet.log`, `containerd.log` or `journal.log` beside `pods/`, `containers/`, `inspect.json`, `images.log` or `kubernetes-version.txt` | the folder is a node: every file below it |
//! | `e2e` | a folder with `kubelet.log`, `kube-apiserver.log` or `kube-proxy.log`, without `pods/`, not inside another layout | the folder is a node |
//! | `sonobuoy` | a folder with `meta/` and one of `plugins/`, `podlogs/`, `resources/`, `hosts/` | `podlogs/<ns>/<pod>/logs/<container>.txt`, `plugins/<p>/results/<node>/...`, `hosts/<node>/...`, `resources/ns/<ns>/...` |
//! | `cluster-info` | a folder with `nodes.json` and `<ns>/pods.json` or `<ns>/<pod>/logs.txt` | `<ns>/<pod>/logs.txt` (its `==== START logs for container c of pod ns/p ====` sections give the container), `<ns>/*.json` |
//! | `support-bundle` | a folder with `cluster-resources/` | `cluster-resources/pods/logs/<ns>/<pod>/<container>[-previous].log`, `<collector>/<pod>/<container>.log`, `node-metrics/<node>.json` |
//! | `must-gather` | a folder with `namespaces/` beside `cluster-scoped-resources/`, `host_service_logs/`, `event-filter.html` or `timestamp` (OpenShift `must-gather`, `oc adm inspect`) | `namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}[.insecure].log` and `logs/rotated/`, `namespaces/<ns>/...` |

use std::collections::{HashMap, HashSet};

/// A recognised layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layout {
    /// `kind export logs`.
    Kind,
    /// The Kubernetes e2e log dump (`cluster/log-dump`).
    E2e,
    /// A sonobuoy results tarball.
    Sonobuoy,
    /// `kubectl cluster-info dump --output-directory`.
    ClusterInfo,
    /// A troubleshoot.sh support bundle.
    SupportBundle,
    /// OpenShift's `must-gather` and `oc adm inspect`.
    MustGather,
}

impl Layout {
    /// The name in the `layout` column of `sources`.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Kind => "kind",
            Layout::E2e => "e2e",
            Layout::Sonobuoy => "sonobuoy",
            Layout::ClusterInfo => "cluster-info",
            Layout::SupportBundle => "support-bundle",
            Layout::MustGather => "must-gather",
        }
    }
}

/// What a layout says about one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hint {
    /// The layout it is part of.
    pub layout: Option<Layout>,
    /// Node.
    pub node: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Pod.
    pub pod: Option<String>,
    /// Container.
    pub container: Option<String>,
    /// The log of a container's previous run (`-previous.log`).
    pub previous: bool,
    /// The file holds `==== START logs for container ...` sections (cluster-info dump).
    pub sections: bool,
}

const KIND_LOGS: [&str; 3] = ["kubelet.log", "containerd.log", "journal.log"];
const KIND_MARKS: [&str; 5] = [
    "pods",
    "containers",
    "inspect.json",
    "images.log",
    "kubernetes-version.txt",
];
const E2E_LOGS: [&str; 3] = ["kubelet.log", "kube-apiserver.log", "kube-proxy.log"];

/// Hints for every path (`/`-separated layout paths), same order.
pub fn detect(paths: &[&str]) -> Vec<Hint> {
    // Children of every folder.
    let mut children: HashMap<&str, HashSet<&str>> = HashMap::new();
    for p in paths {
        let mut rest: &str = p;
        while let Some((dir, name)) = rest.rsplit_once('/') {
            let set = children.entry(dir).or_default();
            if !set.insert(name) {
                break;
            }
            rest = dir;
        }
    }
    let has = |dir: &str, name: &str| children.get(dir).is_some_and(|c| c.contains(name));
    let has_any = |dir: &str, names: &[&str]| names.iter().any(|n| has(dir, n));
    // Roots of each layout.
    let mut roots: HashMap<&str, Layout> = HashMap::new();
    for (&dir, kids) in &children {
        let sonobuoy_parts = ["plugins", "podlogs", "resources", "hosts"]
            .iter()
            .filter(|k| kids.contains(*k))
            .count();
        let sonobuoy_marks = [
            "meta",
            "serverversion.json",
            "servergroups.json",
            "serverversion",
        ]
        .iter()
        .any(|k| kids.contains(k));
        let layout = if sonobuoy_parts >= 2 || (sonobuoy_parts == 1 && sonobuoy_marks) {
            Some(Layout::Sonobuoy)
        } else if kids.contains("namespaces")
            && [
                "cluster-scoped-resources",
                "host_service_logs",
                "event-filter.html",
                "timestamp",
            ]
            .iter()
            .any(|k| kids.contains(k))
        {
            Some(Layout::MustGather)
        } else if kids.contains("cluster-resources")
            && children.contains_key(format!("{dir}/cluster-resources").as_str())
        {
            Some(Layout::SupportBundle)
        } else if kids.contains("nodes.json")
            && kids.iter().any(|k| {
                let sub = format!("{dir}/{k}");
                has(&sub, "pods.json")
                    || children.get(sub.as_str()).is_some_and(|pods| {
                        pods.iter().any(|p| has(&format!("{sub}/{p}"), "logs.txt"))
                    })
            })
        {
            Some(Layout::ClusterInfo)
        } else if has_any(dir, &KIND_LOGS) && has_any(dir, &KIND_MARKS) {
            Some(Layout::Kind)
        } else if has_any(dir, &E2E_LOGS) && !kids.contains("pods") {
            Some(Layout::E2e)
        } else {
            None
        };
        if let Some(l) = layout {
            roots.insert(dir, l);
        }
    }
    // A folder of component logs inside another layout (a kind node's `kubernetes/`) is part
    // of that one.
    let nested: Vec<&str> = roots
        .iter()
        .filter(|&(dir, l)| {
            *l == Layout::E2e && {
                let mut d: &str = dir;
                let mut inside = false;
                while let Some((up, _)) = d.rsplit_once('/') {
                    d = up;
                    inside |= roots.contains_key(d);
                }
                inside
            }
        })
        .map(|(d, _)| *d)
        .collect();
    for d in nested {
        roots.remove(d);
    }
    paths
        .iter()
        .map(|p| {
            // The deepest root above the file.
            let mut dir: &str = p;
            while let Some((d, _)) = dir.rsplit_once('/') {
                dir = d;
                if let Some(&l) = roots.get(dir) {
                    let rel = &p[dir.len() + 1..];
                    return hint(l, dir, rel);
                }
            }
            Hint::default()
        })
        .collect()
}

fn hint(layout: Layout, root: &str, rel: &str) -> Hint {
    let parts: Vec<&str> = rel.split('/').collect();
    let mut h = Hint {
        layout: Some(layout),
        ..Hint::default()
    };
    let s = |x: &str| Some(x.to_string());
    match layout {
        Layout::Kind | Layout::E2e => {
            h.node = root
                .rsplit('/')
                .next()
                .filter(|n| !n.is_empty())
                .map(str::to_string);
        }
        Layout::Sonobuoy => match parts.as_slice() {
            ["podlogs", ns, pod, "logs", file] | ["podlogs", ns, pod, file] => {
                h.namespace = s(ns);
                h.pod = s(pod);
                let c = file
                    .strip_suffix(".txt")
                    .or_else(|| file.strip_suffix(".log"));
                h.container = s(c.unwrap_or(file));
            }
            // A daemon set plugin's results per node (`results/<node>/...`, or the node's file
            // itself in 0.10's `systemd_logs/results/<node>`), and its errors.
            ["plugins", _, "results" | "errors", node, _, ..] if *node != "global" => {
                h.node = s(node);
            }
            ["plugins", plugin, "results", node] if plugin.contains("systemd") => {
                h.node = s(node);
            }
            ["hosts", node, ..] => h.node = s(node),
            ["resources", "ns", ns, ..] => h.namespace = s(ns),
            _ => {}
        },
        Layout::MustGather => match parts.as_slice() {
            [
                "namespaces",
                ns,
                "pods",
                pod,
                container,
                _,
                "logs",
                rest @ ..,
            ] => {
                h.namespace = s(ns);
                h.pod = s(pod);
                h.container = s(container);
                h.previous = matches!(rest, ["previous.log" | "previous.insecure.log"]);
            }
            ["namespaces", ns, ..] => h.namespace = s(ns),
            _ => {}
        },
        Layout::ClusterInfo => match parts.as_slice() {
            [ns, pod, "logs.txt"] => {
                h.namespace = s(ns);
                h.pod = s(pod);
                h.sections = true;
            }
            [ns, file] if file.ends_with(".json") => h.namespace = s(ns),
            _ => {}
        },
        Layout::SupportBundle => match parts.as_slice() {
            ["cluster-resources", "pods", "logs", ns, pod, file] => {
                h.namespace = s(ns);
                h.pod = s(pod);
                (h.container, h.previous) = container_log(file);
            }
            ["cluster-resources", "events" | "pods", file] if file.ends_with(".json") => {
                h.namespace = file.strip_suffix(".json").map(str::to_string);
            }
            ["node-metrics", file] => h.node = file.strip_suffix(".json").map(str::to_string),
            [first, pod, file]
                if !matches!(*first, "cluster-resources" | "host-collectors")
                    && file.ends_with(".log") =>
            {
                h.pod = s(pod);
                (h.container, h.previous) = container_log(file);
            }
            _ => {}
        },
    }
    h
}

/// A support bundle's `<container>[-previous].log`: the container, and whether it is the
/// previous run's log.
fn container_log(file: &str) -> (Option<String>, bool) {
    let c = file.strip_suffix(".log").unwrap_or(file);
    match c.strip_suffix("-previous") {
        Some(c) => (Some(c.to_string()), true),
        None => (Some(c.to_string()), false),
    }
}

/// Parses a cluster-info dump section marker: `==== START logs for container <c> of pod
/// <ns>/<pod> ====` gives `Some(Some((ns, pod, c)))`, an END marker `Some(None)`.
pub(crate) fn section_marker(line: &[u8]) -> Option<Option<(&str, &str, &str)>> {
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let body = line.strip_prefix("==== ")?.strip_suffix(" ====")?;
    if let Some(rest) = body.strip_prefix("START logs for container ") {
        let (container, pod) = rest.split_once(" of pod ")?;
        let (ns, pod) = pod.split_once('/')?;
        return Some(Some((ns, pod, container)));
    }
    body.strip_prefix("END logs for container ").map(|_| None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hints(paths: &[&str]) -> Vec<Hint> {
        detect(paths)
    }

    #[test]
    fn layouts_by_their_names() {
        let h = hints(&[
            "/b/kind/kind-worker/kubelet.log",
            "/b/kind/kind-worker/pods/ns_p_0123456789/c/0.log",
            "/b/kind/kind-worker/kubernetes/audit.log",
            "/b/e2e/node-1/kubelet.log",
            "/b/e2e/node-1/kern.log",
            "/s/podlogs/kube-system/coredns-1/logs/coredns.txt",
            "/s/plugins/systemd-logs/results/node-2/systemd_logs",
            "/s/plugins/e2e/results/global/e2e.log",
            "/s/meta/run.log",
            "/s/resources/ns/default/Pods.json",
            "/d/nodes.json",
            "/d/default/pods.json",
            "/d/default/web-1/logs.txt",
            "/sb/cluster-resources/pods/logs/default/web-1/app-previous.log",
            "/sb/cluster-resources/pods/default.json",
            "/sb/app-logs/web-1/app.log",
            "/plain/app.log",
            // sonobuoy 0.8 (no meta/, resources/non-ns) and 0.10's per-node journal file.
            "/s08/config.json",
            "/s08/hosts/node-3/healthz.json",
            "/s08/resources/non-ns/Nodes.json",
            "/s10/meta/config.json",
            "/s10/plugins/systemd_logs/results/node-4",
            "/s10/plugins/e2e/results/e2e.log",
            "/s10/podlogs/ns/p/c.log",
            // must-gather.
            "/mg/timestamp",
            "/mg/namespaces/ns1/pods/p-1/app/app/logs/current.log",
            "/mg/namespaces/ns1/pods/p-1/app/app/logs/previous.insecure.log",
            "/mg/namespaces/ns1/core/events.yaml",
            "/mg/cluster-scoped-resources/core/nodes/n1.yaml",
        ]);
        let l = |i: usize| h[i].layout.map(Layout::as_str);
        assert_eq!(l(0), Some("kind"));
        assert_eq!(h[2].node.as_deref(), Some("kind-worker"));
        assert_eq!((l(3), h[4].node.as_deref()), (Some("e2e"), Some("node-1")));
        assert_eq!(
            (
                h[5].namespace.as_deref(),
                h[5].pod.as_deref(),
                h[5].container.as_deref()
            ),
            (Some("kube-system"), Some("coredns-1"), Some("coredns"))
        );
        assert_eq!(h[6].node.as_deref(), Some("node-2"));
        assert_eq!(h[7].node, None);
        assert_eq!(l(8), Some("sonobuoy"));
        assert_eq!(h[9].namespace.as_deref(), Some("default"));
        assert_eq!(l(10), Some("cluster-info"));
        assert!(h[12].sections && h[12].pod.as_deref() == Some("web-1"));
        assert_eq!(l(13), Some("support-bundle"));
        assert!(h[13].previous && h[13].container.as_deref() == Some("app"));
        assert_eq!(h[14].namespace.as_deref(), Some("default"));
        assert_eq!(
            (h[15].pod.as_deref(), h[15].container.as_deref()),
            (Some("web-1"), Some("app"))
        );
        assert_eq!(h[16], Hint::default());
        assert_eq!((l(17), l(18)), (Some("sonobuoy"), Some("sonobuoy")));
        assert_eq!(h[18].node.as_deref(), Some("node-3"));
        assert_eq!(
            (l(21), h[21].node.as_deref()),
            (Some("sonobuoy"), Some("node-4"))
        );
        assert_eq!(h[22].node, None);
        assert_eq!(
            (h[23].pod.as_deref(), h[23].container.as_deref()),
            (Some("p"), Some("c"))
        );
        assert_eq!(l(24), Some("must-gather"));
        let mg = |i: usize| {
            (
                h[i].namespace.as_deref(),
                h[i].pod.as_deref(),
                h[i].container.as_deref(),
                h[i].previous,
            )
        };
        assert_eq!(mg(25), (Some("ns1"), Some("p-1"), Some("app"), false));
        assert_eq!(mg(26), (Some("ns1"), Some("p-1"), Some("app"), true));
        assert_eq!(mg(27), (Some("ns1"), None, None, false));
        assert_eq!(l(28), Some("must-gather"));
    }

    #[test]
    fn section_markers() {
        assert_eq!(
            section_marker(b"==== START logs for container kube-flannel of pod kube-system/kube-flannel-ds-7rxss ===="),
            Some(Some(("kube-system", "kube-flannel-ds-7rxss", "kube-flannel")))
        );
        assert_eq!(
            section_marker(b"==== END logs for container c of pod ns/p ====\r"),
            Some(None)
        );
        assert_eq!(section_marker(b"==== something else ===="), None);
    }
}
