//! The `nodes` and `node_conditions` tables ([`crate::schema::nodes`],
//! [`crate::schema::node_conditions`]): nodes, their versions, capacity and conditions, from the
//! node lists bundles carry (`kubectl get nodes -o json|yaml`, sonobuoy's `Nodes.json` and
//! `core_v1_nodes.json`, a cluster-info dump's `nodes.json`, a support bundle's
//! `cluster-resources/nodes.json`).

use std::collections::HashSet;

use polars::prelude::*;
use serde_json::Value;

use super::kube::{objects, read_documents, text as s, time as t};
use crate::ingest::{Accounting, FileStats};
use crate::metrics::json::parse_quantity;
use crate::schema::{node_conditions as cond, nodes as col};
use crate::sources::FileSet;
use crate::sources::plan::{FileRole, FileStatus, Plan};

/// The nodes in one parsed document: Node objects, or objects with a node's `status.nodeInfo`.
fn collect(doc: Value, out: &mut Vec<Value>) {
    objects(doc, out, &|m| {
        m.get("kind").and_then(Value::as_str) == Some("Node")
            || (m.contains_key("metadata")
                && m.get("status").and_then(|st| st.get("nodeInfo")).is_some())
    });
}

fn quantity_at(v: &Value, path: &str) -> Option<f64> {
    match v.pointer(path)? {
        Value::String(q) => parse_quantity(q),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// The node's roles from its labels: `node-role.kubernetes.io/<role>` and `kubernetes.io/role`.
fn roles(node: &Value) -> Option<String> {
    let labels = node.pointer("/metadata/labels")?.as_object()?;
    let mut roles: Vec<&str> = labels
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("node-role.kubernetes.io/")
                .filter(|r| !r.is_empty())
                .or_else(|| (k == "kubernetes.io/role").then(|| v.as_str()).flatten())
        })
        .collect();
    roles.sort_unstable();
    roles.dedup();
    (!roles.is_empty()).then(|| roles.join(","))
}

/// Conditions that are bad when true (every other one but `Ready`, which is bad when not).
fn bad(kind: &str, status: &str) -> bool {
    match kind {
        "Ready" => status != "True",
        _ => status == "True",
    }
}

#[derive(Default)]
struct Columns {
    node: Vec<Option<String>>,
    roles: Vec<Option<String>>,
    ready: Vec<Option<String>>,
    ready_since: Vec<Option<i64>>,
    problems: Vec<Option<String>>,
    unschedulable: Vec<bool>,
    taints: Vec<Option<String>>,
    info: [Vec<Option<String>>; 5],
    cpu: [Vec<Option<f64>>; 2],
    memory: [Vec<Option<u64>>; 2],
    pods: [Vec<Option<u32>>; 2],
    created: Vec<Option<i64>>,
    source: Vec<Option<String>>,
}

#[derive(Default)]
struct Conditions {
    node: Vec<Option<String>>,
    kind: Vec<Option<String>>,
    status: Vec<Option<String>>,
    reason: Vec<Option<String>>,
    message: Vec<Option<String>>,
    transition: Vec<Option<i64>>,
    heartbeat: Vec<Option<i64>>,
    source: Vec<Option<String>>,
}

const INFO: [(&str, &str); 5] = [
    (col::KUBELET_VERSION, "/status/nodeInfo/kubeletVersion"),
    (
        col::CONTAINER_RUNTIME,
        "/status/nodeInfo/containerRuntimeVersion",
    ),
    (col::OS_IMAGE, "/status/nodeInfo/osImage"),
    (col::KERNEL_VERSION, "/status/nodeInfo/kernelVersion"),
    (col::ARCHITECTURE, "/status/nodeInfo/architecture"),
];

impl Columns {
    fn push(&mut self, node: &Value, conditions: &mut Conditions, source: &str) {
        let name = s(node, "/metadata/name");
        let mut ready = None;
        let mut ready_since = None;
        let mut problems = Vec::new();
        for c in node
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = s(c, "/type");
            let status = s(c, "/status");
            let transition = t(c, "/lastTransitionTime");
            if let (Some(k), Some(st)) = (&kind, &status) {
                if k == "Ready" {
                    ready = Some(st.clone());
                    ready_since = transition;
                }
                if bad(k, st) && k != "Ready" {
                    problems.push(k.clone());
                }
            }
            conditions.node.push(name.clone());
            conditions.kind.push(kind);
            conditions.status.push(status);
            conditions.reason.push(s(c, "/reason"));
            conditions.message.push(s(c, "/message"));
            conditions.transition.push(transition);
            conditions.heartbeat.push(t(c, "/lastHeartbeatTime"));
            conditions.source.push(Some(source.to_string()));
        }
        let taints: Vec<String> = node
            .pointer("/spec/taints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| {
                let key = s(t, "/key")?;
                let value = s(t, "/value").map(|v| format!("={v}")).unwrap_or_default();
                let effect = s(t, "/effect").map(|e| format!(":{e}")).unwrap_or_default();
                Some(format!("{key}{value}{effect}"))
            })
            .collect();
        self.node.push(name);
        self.roles.push(roles(node));
        self.ready.push(ready);
        self.ready_since.push(ready_since);
        self.problems
            .push((!problems.is_empty()).then(|| problems.join(",")));
        self.unschedulable.push(
            node.pointer("/spec/unschedulable")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        );
        self.taints
            .push((!taints.is_empty()).then(|| taints.join(",")));
        for (column, (_, path)) in self.info.iter_mut().zip(INFO) {
            column.push(s(node, path));
        }
        for (i, part) in ["capacity", "allocatable"].into_iter().enumerate() {
            let q = |r: &str| quantity_at(node, &format!("/status/{part}/{r}"));
            self.cpu[i].push(q("cpu"));
            self.memory[i].push(q("memory").map(|b| b.round() as u64));
            self.pods[i].push(q("pods").map(|p| p.round().min(f64::from(u32::MAX)) as u32));
        }
        self.created.push(t(node, "/metadata/creationTimestamp"));
        self.source.push(Some(source.to_string()));
    }
}

fn datetime(name: &str, v: Vec<Option<i64>>) -> Column {
    super::datetime_column(name, TimeUnit::Nanoseconds, v)
}

/// Reads every node list of `plan` into the `nodes` and `node_conditions` tables and records
/// each file's accounting in `report` (`entries` are the nodes; the other lines are `joined`).
/// A node in two lists is kept once, from the first.
pub fn read_nodes(
    set: &FileSet,
    plan: &Plan,
    report: &mut Accounting,
) -> crate::Result<(DataFrame, DataFrame)> {
    if report.files.len() < set.entries().len() {
        report
            .files
            .resize(set.entries().len(), FileStats::default());
    }
    let mut rows = Columns::default();
    let mut conditions = Conditions::default();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, f) in plan.files.iter().enumerate() {
        if f.role != FileRole::NodeList || f.status != FileStatus::Read {
            continue;
        }
        let Some((docs, lines)) = read_documents(set, i, report) else {
            continue;
        };
        let path = &set.entries()[i].path;
        let mut nodes = Vec::new();
        for d in docs {
            collect(d, &mut nodes);
        }
        let mut added = 0u64;
        for node in &nodes {
            let key = s(node, "/metadata/name").unwrap_or_default();
            if !seen.insert(key) {
                continue;
            }
            rows.push(node, &mut conditions, path);
            added += 1;
        }
        let stats = &mut report.files[i];
        stats.entries = added;
        stats.joined = lines.saturating_sub(added);
        if nodes.is_empty() {
            stats.time_note = Some("a list of no nodes".to_string());
        }
    }
    let n = rows.node.len();
    let mut columns = vec![
        Column::new(col::NODE.into(), rows.node),
        Column::new(col::ROLES.into(), rows.roles),
        Column::new(col::READY.into(), rows.ready),
        datetime(col::READY_SINCE, rows.ready_since),
        Column::new(col::PROBLEMS.into(), rows.problems),
        Column::new(col::UNSCHEDULABLE.into(), rows.unschedulable),
        Column::new(col::TAINTS.into(), rows.taints),
    ];
    for (values, (name, _)) in rows.info.into_iter().zip(INFO) {
        columns.push(Column::new(name.into(), values));
    }
    let [cpu_cap, cpu_alloc] = rows.cpu;
    let [mem_cap, mem_alloc] = rows.memory;
    let [pods_cap, pods_alloc] = rows.pods;
    columns.extend([
        Column::new(col::CPU_CAPACITY.into(), cpu_cap),
        Column::new(col::CPU_ALLOCATABLE.into(), cpu_alloc),
        Column::new(col::MEMORY_CAPACITY.into(), mem_cap),
        Column::new(col::MEMORY_ALLOCATABLE.into(), mem_alloc),
        Column::new(col::PODS_CAPACITY.into(), pods_cap),
        Column::new(col::PODS_ALLOCATABLE.into(), pods_alloc),
        datetime(col::CREATED_TS, rows.created),
        Column::new(col::SOURCE.into(), rows.source),
    ]);
    let mut nodes = DataFrame::new_with_height(n, columns)?;
    super::cast_to_categorical(&mut nodes, &[col::NODE])?;
    let nodes = nodes.sort([col::NODE], SortMultipleOptions::default())?;

    let m = conditions.node.len();
    let mut conds = DataFrame::new_with_height(
        m,
        vec![
            Column::new(cond::NODE.into(), conditions.node),
            Column::new(cond::TYPE.into(), conditions.kind),
            Column::new(cond::STATUS.into(), conditions.status),
            Column::new(cond::REASON.into(), conditions.reason),
            Column::new(cond::MESSAGE.into(), conditions.message),
            datetime(cond::LAST_TRANSITION_TS, conditions.transition),
            datetime(cond::LAST_HEARTBEAT_TS, conditions.heartbeat),
            Column::new(cond::SOURCE.into(), conditions.source),
        ],
    )?;
    super::cast_to_categorical(&mut conds, &[cond::NODE])?;
    let conds = conds.sort(
        [cond::NODE, cond::TYPE],
        SortMultipleOptions::default().with_maintain_order(true),
    )?;
    Ok((nodes, conds))
}
