//! The `pods` table ([`crate::schema::pods`]): pods and their containers' states from the pod
//! lists that bundles carry (`kubectl get pods -o json|yaml`, sonobuoy's `Pods.json`, a
//! cluster-info dump's `pods.json`, a support bundle's `cluster-resources/pods/<ns>.json`).

use std::collections::HashMap;

use polars::prelude::*;
use serde_json::Value;

use super::kube::{objects, read_documents, text as s, time as t};
use crate::ingest::{Accounting, FileStats};
use crate::schema::pods as col;
use crate::sources::FileSet;
use crate::sources::plan::{FileRole, FileStatus, Plan};

/// The pods in one parsed document: Pod objects, or objects with a pod's metadata, spec and
/// status.
fn collect(doc: Value, out: &mut Vec<Value>) {
    objects(doc, out, &|m| {
        m.get("kind").and_then(Value::as_str) == Some("Pod")
            || (m.contains_key("spec") && m.contains_key("metadata") && m.contains_key("status"))
    });
}

#[derive(Default)]
struct Rows {
    text: HashMap<&'static str, Vec<Option<String>>>,
    ts: HashMap<&'static str, Vec<Option<i64>>>,
    init: Vec<bool>,
    restarts: Vec<Option<u32>>,
    ready: Vec<Option<bool>>,
    exit_code: Vec<Option<i32>>,
    signal: Vec<Option<i32>>,
}

const TEXT: [&str; 14] = [
    col::NAMESPACE,
    col::POD,
    col::UID,
    col::NODE,
    col::OWNER_KIND,
    col::OWNER_NAME,
    col::PHASE,
    col::POD_REASON,
    col::CONTAINER,
    col::IMAGE,
    col::STATE,
    col::STATE_REASON,
    col::LAST_REASON,
    col::SOURCE,
];

impl Rows {
    fn push(&mut self, pod: &Value, c: &Value, status: Option<&Value>, init: bool, source: &str) {
        let owner = pod
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .and_then(|o| {
                o.iter()
                    .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
                    .or_else(|| o.first())
            });
        let (state, state_v) = match status
            .and_then(|st| st.get("state"))
            .and_then(Value::as_object)
        {
            Some(m) => match m.iter().next() {
                Some((k, v)) => (Some(k.clone()), Some(v)),
                None => (None, None),
            },
            None => (None, None),
        };
        // The last termination: lastState.terminated, else the current one.
        let term = status
            .and_then(|st| st.pointer("/lastState/terminated"))
            .or_else(|| {
                (state.as_deref() == Some("terminated"))
                    .then_some(state_v)
                    .flatten()
            });
        let mut text = |k: &'static str, v: Option<String>| self.text.entry(k).or_default().push(v);
        text(col::NAMESPACE, s(pod, "/metadata/namespace"));
        text(col::POD, s(pod, "/metadata/name"));
        text(col::UID, s(pod, "/metadata/uid"));
        text(col::NODE, s(pod, "/spec/nodeName"));
        text(col::OWNER_KIND, owner.and_then(|o| s(o, "/kind")));
        text(col::OWNER_NAME, owner.and_then(|o| s(o, "/name")));
        text(col::PHASE, s(pod, "/status/phase"));
        text(col::POD_REASON, s(pod, "/status/reason"));
        text(col::CONTAINER, s(c, "/name"));
        text(
            col::IMAGE,
            status
                .and_then(|st| s(st, "/image"))
                .or_else(|| s(c, "/image")),
        );
        text(col::STATE, state.clone());
        text(col::STATE_REASON, state_v.and_then(|v| s(v, "/reason")));
        text(col::LAST_REASON, term.and_then(|v| s(v, "/reason")));
        text(col::SOURCE, Some(source.to_string()));
        let mut ts = |k: &'static str, v: Option<i64>| self.ts.entry(k).or_default().push(v);
        ts(col::START_TS, t(pod, "/status/startTime"));
        ts(col::STARTED_TS, term.and_then(|v| t(v, "/startedAt")));
        ts(col::FINISHED_TS, term.and_then(|v| t(v, "/finishedAt")));
        self.init.push(init);
        self.restarts.push(
            status
                .and_then(|st| st.get("restartCount"))
                .and_then(Value::as_u64)
                .map(|n| n.min(u64::from(u32::MAX)) as u32),
        );
        self.ready.push(
            status
                .and_then(|st| st.get("ready"))
                .and_then(Value::as_bool),
        );
        let int = |k: &str| {
            term.and_then(|v| v.get(k))
                .and_then(Value::as_i64)
                .and_then(|n| i32::try_from(n).ok())
        };
        self.exit_code.push(int("exitCode"));
        self.signal.push(int("signal"));
    }
}

/// Reads every pod list of `plan` into the `pods` table and records each file's accounting in
/// `report` (`entries` are the containers' rows; the other lines are `joined`).
pub fn read_pods(set: &FileSet, plan: &Plan, report: &mut Accounting) -> crate::Result<DataFrame> {
    if report.files.len() < set.entries().len() {
        report
            .files
            .resize(set.entries().len(), FileStats::default());
    }
    let mut rows = Rows::default();
    let mut seen: HashMap<String, ()> = HashMap::new();
    for (i, f) in plan.files.iter().enumerate() {
        if f.role != FileRole::PodList || f.status != FileStatus::Read {
            continue;
        }
        let Some((docs, lines)) = read_documents(set, i, report) else {
            continue;
        };
        let path = &set.entries()[i].path;
        let mut pods = Vec::new();
        for d in docs {
            collect(d, &mut pods);
        }
        let before = rows.init.len();
        let mut bare = 0u64;
        for pod in &pods {
            // The same pod in two lists (a bundle's per-namespace and all-namespace files):
            // once.
            let key = s(pod, "/metadata/uid").unwrap_or_else(|| {
                format!(
                    "{}/{}",
                    s(pod, "/metadata/namespace").unwrap_or_default(),
                    s(pod, "/metadata/name").unwrap_or_default()
                )
            });
            if seen.insert(key, ()).is_some() {
                continue;
            }
            for (init, spec_key, status_key) in [
                (
                    true,
                    "/spec/initContainers",
                    "/status/initContainerStatuses",
                ),
                (false, "/spec/containers", "/status/containerStatuses"),
            ] {
                let statuses = pod.pointer(status_key).and_then(Value::as_array);
                let status_of = |name: &str| {
                    statuses.and_then(|st| {
                        st.iter()
                            .find(|x| x.get("name").and_then(Value::as_str) == Some(name))
                    })
                };
                // The containers the spec lists, else those the status knows of.
                let listed = pod
                    .pointer(spec_key)
                    .and_then(Value::as_array)
                    .filter(|a| !a.is_empty())
                    .or(statuses.filter(|_| !init));
                for c in listed.into_iter().flatten() {
                    let name = c.get("name").and_then(Value::as_str).unwrap_or_default();
                    rows.push(pod, c, status_of(name), init, path);
                }
                if !init && listed.is_none_or(Vec::is_empty) {
                    // A pod with no container listed is still a pod: one row, no container.
                    bare += 1;
                    rows.push(pod, &Value::Null, None, false, path);
                }
            }
        }
        let added = (rows.init.len() - before) as u64;
        let stats = &mut report.files[i];
        stats.entries = added;
        stats.joined = lines.saturating_sub(added);
        stats.time_note = match (pods.len(), bare) {
            (0, _) => Some("a list of no pods".to_string()),
            (_, 0) => None,
            (n, b) => Some(format!(
                "{b} of {n} pod{} list no containers (a row each, container empty)",
                if n == 1 { "" } else { "s" }
            )),
        };
    }
    let n = rows.init.len();
    let mut columns: Vec<Column> = Vec::new();
    let text = |rows: &mut Rows, k: &'static str| -> Column {
        Column::new(
            k.into(),
            rows.text.remove(k).unwrap_or_else(|| vec![None; n]),
        )
    };
    let dt = |rows: &mut Rows, k: &'static str| -> Column {
        let v = rows.ts.remove(k).unwrap_or_else(|| vec![None; n]);
        Int64Chunked::from_iter_options(k.into(), v.into_iter())
            .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
            .into_series()
            .into_column()
    };
    for k in &TEXT[..8] {
        columns.push(text(&mut rows, k));
    }
    columns.push(dt(&mut rows, col::START_TS));
    columns.push(text(&mut rows, col::CONTAINER));
    columns.push(Column::new(
        col::INIT.into(),
        std::mem::take(&mut rows.init),
    ));
    columns.push(text(&mut rows, col::IMAGE));
    columns.push(Column::new(
        col::RESTARTS.into(),
        std::mem::take(&mut rows.restarts),
    ));
    columns.push(Column::new(
        col::READY.into(),
        std::mem::take(&mut rows.ready),
    ));
    for k in [col::STATE, col::STATE_REASON, col::LAST_REASON] {
        columns.push(text(&mut rows, k));
    }
    columns.push(Column::new(
        col::EXIT_CODE.into(),
        std::mem::take(&mut rows.exit_code),
    ));
    columns.push(Column::new(
        col::SIGNAL.into(),
        std::mem::take(&mut rows.signal),
    ));
    columns.push(dt(&mut rows, col::STARTED_TS));
    columns.push(dt(&mut rows, col::FINISHED_TS));
    columns.push(text(&mut rows, col::SOURCE));
    let mut df = DataFrame::new_with_height(n, columns)?;
    super::cast_to_categorical(
        &mut df,
        &[col::NAMESPACE, col::POD, col::NODE, col::CONTAINER],
    )?;
    Ok(df.sort(
        [col::NAMESPACE, col::POD],
        SortMultipleOptions::default().with_maintain_order(true),
    )?)
}
