//! A report of what went wrong in a bundle, for CI: what was read, each container's entries,
//! errors, warnings, restarts and terminations, crash evidence, the top error and warning
//! patterns, errors per minute with spikes, and silences. Built from the tables; the same
//! input gives the same report (no wall-clock time, stable orders), so reports diff between
//! runs. [`Report::to_json`] and [`Report::to_markdown`] render it.

pub mod html;
pub mod rules;
pub mod sink;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::query::health::spikes;
use crate::query::patterns::{Messages, MinerConfig, Pattern, mine_top};
use crate::schema::pods as pcol;

/// What rules need from the entries besides the report: the matches of their patterns and
/// errors per minute per container.
#[derive(Clone, Debug, Default)]
pub struct RuleFacts {
    /// Per `forbid_pattern` (in the order given to the sinks): the first matches and how
    /// many in all.
    pub forbid_hits: Vec<(Vec<String>, u64)>,
    /// Per container (namespace, pod, container): errors per minute (minute index).
    pub error_minutes: BTreeMap<(String, String, String), BTreeMap<i64, u64>>,
}

/// What a report looks at and how.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Patterns per level.
    pub top: usize,
    /// A container silent longer than this (ns) between two entries is listed.
    pub silence_ns: i64,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            top: 10,
            silence_ns: 5 * 60 * 1_000_000_000,
        }
    }
}

/// What was read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcesSummary {
    /// Files found.
    pub files: u64,
    /// Files read (logs, and tables' files).
    pub read: u64,
    /// Files skipped (with a reason in `podsift sources`).
    pub skipped: u64,
    /// Log entries.
    pub entries: u64,
    /// Lines that did not parse.
    pub unparsed_lines: u64,
}

/// One container's line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerRow {
    /// Namespace.
    pub namespace: String,
    /// Pod (or the component, for logs outside pods).
    pub pod: String,
    /// Container.
    pub container: String,
    /// Entries.
    pub entries: u64,
    /// Entries at level error or above.
    pub errors: u64,
    /// Entries at level warn.
    pub warnings: u64,
    /// Restarts: from the pods table, else the highest `<n>.log` read.
    pub restarts: Option<u32>,
    /// The last termination's reason (`OOMKilled`, `Error`), from the pods table.
    pub last_reason: Option<String>,
    /// Its exit code.
    pub exit_code: Option<i32>,
    /// The container's state reason now (`CrashLoopBackOff`).
    pub state_reason: Option<String>,
    /// Crash evidence in its entries: kind and count (`go-panic: 1`).
    pub evidence: BTreeMap<String, u64>,
}

impl ContainerRow {
    /// Whether it belongs in the report's container table: errors, restarts, a termination
    /// or crash evidence.
    pub fn troubled(&self) -> bool {
        self.errors > 0
            || self.restarts.is_some_and(|r| r > 0)
            || self.last_reason.is_some()
            || !self.evidence.is_empty()
    }

    /// `OOMKilled (exit 137)`, `exit 1`, or empty.
    pub fn termination(&self) -> String {
        match (&self.last_reason, self.exit_code) {
            (Some(r), Some(e)) => format!("{r} (exit {e})"),
            (Some(r), None) => r.clone(),
            (None, Some(e)) => format!("exit {e}"),
            (None, None) => String::new(),
        }
    }

    /// `go-panic 1, oom 2`.
    pub fn evidence_text(&self) -> String {
        self.evidence
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A message pattern.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatternRow {
    /// The template.
    pub template: String,
    /// Entries.
    pub count: u64,
    /// First time (RFC 3339), when known.
    pub first: Option<String>,
    /// Last time.
    pub last: Option<String>,
    /// The first entry, as written.
    pub sample: String,
    /// Pods, sorted.
    pub pods: Vec<String>,
}

/// Errors in one minute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinuteRow {
    /// The minute (RFC 3339).
    pub minute: String,
    /// Entries at level error or above.
    pub errors: u64,
    /// Far above the minutes around it.
    pub spike: bool,
}

/// A container that wrote nothing for a while.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SilenceRow {
    /// Namespace.
    pub namespace: String,
    /// Pod.
    pub pod: String,
    /// Container.
    pub container: String,
    /// Its last entry before (RFC 3339).
    pub from: String,
    /// Its first entry after.
    pub to: String,
    /// Seconds between.
    pub seconds: i64,
}

/// Failed API requests of one kind (audit log).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFailureRow {
    /// User.
    pub user: String,
    /// Verb.
    pub verb: String,
    /// Resource (with subresource: `pods/exec`).
    pub resource: String,
    /// HTTP status code.
    pub code: u32,
    /// Requests.
    pub count: u64,
}

/// One slow API request (audit log).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlowRequestRow {
    /// When it completed.
    pub ts: Option<String>,
    /// User.
    pub user: String,
    /// Verb.
    pub verb: String,
    /// Request URI.
    pub uri: String,
    /// Status code.
    pub code: Option<u32>,
    /// Milliseconds from received to completed.
    pub latency_ms: u64,
}

/// Warning events of one reason and object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningEventRow {
    /// Reason (`BackOff`, `FailedScheduling`).
    pub reason: String,
    /// Object kind.
    pub kind: String,
    /// Namespace.
    pub namespace: String,
    /// Object name.
    pub name: String,
    /// Occurrences (the events' counts summed).
    pub count: u64,
    /// Last time.
    pub last: Option<String>,
    /// The latest message.
    pub message: String,
}

/// A container whose memory came near its limit (metrics).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryRow {
    /// Namespace.
    pub namespace: String,
    /// Pod.
    pub pod: String,
    /// Container.
    pub container: String,
    /// The highest working set seen (bytes).
    pub max_bytes: f64,
    /// Its memory limit (bytes).
    pub limit_bytes: f64,
    /// `max_bytes / limit_bytes`.
    pub ratio: f64,
}

/// A container's restart counter (metrics: kube-state-metrics).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestartCounterRow {
    /// Namespace.
    pub namespace: String,
    /// Pod.
    pub pod: String,
    /// Container.
    pub container: String,
    /// The counter's last value.
    pub restarts: f64,
    /// Its increase over the samples read.
    pub increase: f64,
}

/// The report.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// What was read.
    pub sources: SourcesSummary,
    /// Per container, by namespace, pod, container.
    pub containers: Vec<ContainerRow>,
    /// Top error patterns.
    pub error_patterns: Vec<PatternRow>,
    /// Top warning patterns.
    pub warning_patterns: Vec<PatternRow>,
    /// Errors per minute, from the first error's minute to the last's.
    pub errors_per_minute: Vec<MinuteRow>,
    /// Silences longer than the threshold.
    pub silences: Vec<SilenceRow>,
    /// Rules checked (empty without a rules file).
    pub rules: Vec<rules::RuleResult>,
    /// Failed API requests by user, verb, resource and code (from audit logs).
    pub audit_failures: Vec<AuditFailureRow>,
    /// The slowest API requests.
    pub slowest_requests: Vec<SlowRequestRow>,
    /// Warning events by reason and object.
    pub warning_events: Vec<WarningEventRow>,
    /// Containers whose working set reached 90% of their memory limit (metrics).
    pub memory_near_limit: Vec<MemoryRow>,
    /// Containers whose restart counter is above zero (metrics).
    pub restart_counters: Vec<RestartCounterRow>,
}

fn rfc3339(ns: i64) -> String {
    crate::time::format_rfc3339_nanos(ns)
}

const MINUTE: i64 = 60 * 1_000_000_000;

impl Report {
    /// Builds the report from the sinks of an ingest (in instance order) and the `pods`
    /// table; also returns what the rules need from the entries.
    pub fn from_sinks(
        sinks: Vec<sink::ReportSink>,
        pods: &DataFrame,
        sources: SourcesSummary,
        options: &ReportOptions,
    ) -> PolarsResult<(Report, RuleFacts)> {
        type Key = (String, String, String);
        let mut rows: BTreeMap<Key, ContainerRow> = BTreeMap::new();
        let mut minutes: BTreeMap<i64, u64> = BTreeMap::new();
        let mut facts = RuleFacts::default();
        let mut quiet = Vec::new();
        let config = MinerConfig::default();
        let errors: Vec<&Messages> = sinks.iter().map(|s| &s.messages[0]).collect();
        let warnings: Vec<&Messages> = sinks.iter().map(|s| &s.messages[1]).collect();
        #[cfg(not(target_arch = "wasm32"))]
        let mined = rayon::join(
            || mine_top(&errors, config, options.top),
            || mine_top(&warnings, config, options.top),
        );
        #[cfg(target_arch = "wasm32")]
        let mined = (
            mine_top(&errors, config, options.top),
            mine_top(&warnings, config, options.top),
        );
        // Per container: the time spans of its instances, for silences between them.
        let mut spans: BTreeMap<Key, Vec<(i64, i64)>> = BTreeMap::new();
        for sink in sinks {
            for (i, r) in sink.rows.into_iter().enumerate() {
                let key = (r.namespace.clone(), r.pod.clone(), r.container.clone());
                if let Some(&Some(span)) = sink.spans.get(i) {
                    spans.entry(key.clone()).or_default().push(span);
                }
                if let Some(m) = sink.error_minutes.get(i).filter(|m| !m.is_empty()) {
                    let scoped = facts.error_minutes.entry(key.clone()).or_default();
                    for (&minute, &n) in m {
                        *minutes.entry(minute).or_default() += n;
                        *scoped.entry(minute).or_default() += n;
                    }
                }
                match rows.get_mut(&key) {
                    Some(have) => {
                        have.entries += r.entries;
                        have.errors += r.errors;
                        have.warnings += r.warnings;
                        have.restarts = match (have.restarts, r.restarts) {
                            (Some(a), Some(b)) => Some(a.max(b)),
                            (a, b) => a.or(b),
                        };
                        for (k, n) in r.evidence {
                            *have.evidence.entry(k).or_default() += n;
                        }
                    }
                    None => {
                        rows.insert(key, r);
                    }
                }
            }
            quiet.extend(sink.silences);
            if facts.forbid_hits.is_empty() {
                facts.forbid_hits = vec![(Vec::new(), 0); sink.forbid_hits.len()];
            }
            for (have, (hits, n)) in facts.forbid_hits.iter_mut().zip(sink.forbid_hits) {
                have.1 += n;
                have.0.extend(hits);
            }
        }

        // The pods table: restarts and terminations.
        if pods.height() > 0 {
            let text = |name: &str| -> PolarsResult<StringChunked> {
                Ok(pods.column(name)?.cast(&DataType::String)?.str()?.clone())
            };
            let (pns, ppod, pc) = (
                text(pcol::NAMESPACE)?,
                text(pcol::POD)?,
                text(pcol::CONTAINER)?,
            );
            let reason = text(pcol::LAST_REASON)?;
            let state = text(pcol::STATE_REASON)?;
            let restarts = pods
                .column(pcol::RESTARTS)?
                .cast(&DataType::UInt32)?
                .u32()?
                .clone();
            let exit = pods
                .column(pcol::EXIT_CODE)?
                .cast(&DataType::Int32)?
                .i32()?
                .clone();
            for i in 0..pods.height() {
                let key = (
                    pns.get(i).unwrap_or("").to_string(),
                    ppod.get(i).unwrap_or("").to_string(),
                    pc.get(i).unwrap_or("").to_string(),
                );
                let row = rows.entry(key.clone()).or_insert_with(|| ContainerRow {
                    namespace: key.0.clone(),
                    pod: key.1.clone(),
                    container: key.2.clone(),
                    ..ContainerRow::default()
                });
                row.restarts = restarts.get(i);
                row.last_reason = reason.get(i).map(str::to_string);
                row.exit_code = exit.get(i);
                row.state_reason = state.get(i).map(str::to_string);
            }
        }

        let patterns = |m: Vec<Pattern>| -> Vec<PatternRow> {
            m.into_iter()
                .take(options.top)
                .map(|p| PatternRow {
                    template: p.template,
                    count: p.count,
                    first: p.first_ts.map(rfc3339),
                    last: p.last_ts.map(rfc3339),
                    sample: p.sample,
                    pods: p.pods.into_iter().collect(),
                })
                .collect()
        };

        let mut errors_per_minute = Vec::new();
        if let (Some((&start, _)), Some((&end, _))) =
            (minutes.first_key_value(), minutes.last_key_value())
            // At most a week of minutes; beyond that the series says nothing per minute.
            && end - start < 7 * 24 * 60
        {
            let mut counts = vec![0u64; (end - start + 1) as usize];
            for (m, n) in &minutes {
                counts[(m - start) as usize] += n;
            }
            let marks = spikes(&counts, 10, 5.0, 10);
            errors_per_minute = counts
                .iter()
                .zip(marks)
                .enumerate()
                .map(|(k, (c, spike))| MinuteRow {
                    minute: rfc3339((start + k as i64) * MINUTE),
                    errors: *c,
                    spike,
                })
                .collect();
        }
        // Gaps between a container's instances (a restart, a rotation that lost time).
        for ((ns, pod, c), mut list) in spans {
            list.sort_unstable();
            let mut end = list[0].1;
            for &(from, to) in &list[1..] {
                if from - end > options.silence_ns {
                    quiet.push(SilenceRow {
                        namespace: ns.clone(),
                        pod: pod.clone(),
                        container: c.clone(),
                        from: rfc3339(end),
                        to: rfc3339(from),
                        seconds: (from - end) / 1_000_000_000,
                    });
                }
                end = end.max(to);
            }
        }
        quiet.sort_by(|a, b| {
            b.seconds
                .cmp(&a.seconds)
                .then_with(|| a.from.cmp(&b.from))
                .then_with(|| {
                    (&a.namespace, &a.pod, &a.container).cmp(&(&b.namespace, &b.pod, &b.container))
                })
        });

        Ok((
            Report {
                sources,
                containers: rows.into_values().collect(),
                error_patterns: patterns(mined.0),
                warning_patterns: patterns(mined.1),
                errors_per_minute,
                silences: quiet,
                ..Report::default()
            },
            facts,
        ))
    }

    /// Adds the audit sections (failed requests, slowest requests) and Warning events, from
    /// the `audit` and `events` tables (either may be empty).
    pub fn add_audit_and_events(
        &mut self,
        audit: &DataFrame,
        events: &DataFrame,
        top: usize,
    ) -> PolarsResult<()> {
        use crate::schema::{audit as acol, events as ecol};
        let text = |df: &DataFrame, name: &str| -> PolarsResult<StringChunked> {
            Ok(df.column(name)?.cast(&DataType::String)?.str()?.clone())
        };
        if audit.height() > 0 {
            let stage = text(audit, acol::STAGE)?;
            let user = text(audit, acol::USER)?;
            let verb = text(audit, acol::VERB)?;
            let resource = text(audit, acol::RESOURCE)?;
            let sub = text(audit, acol::SUBRESOURCE)?;
            let uri = text(audit, acol::REQUEST_URI)?;
            let code = audit
                .column(acol::CODE)?
                .cast(&DataType::UInt32)?
                .u32()?
                .clone();
            let latency = audit
                .column(acol::LATENCY_MS)?
                .cast(&DataType::Float64)?
                .f64()?
                .clone();
            let ts = audit
                .column(acol::TS)?
                .cast(&DataType::Int64)?
                .i64()?
                .clone();
            // One row per request: its completion (or panic) stage when the log has stages.
            let staged = stage
                .iter()
                .any(|s| matches!(s, Some("ResponseComplete" | "Panic")));
            let id = text(audit, acol::AUDIT_ID)?;
            let mut seen = std::collections::HashSet::new();
            let mut failures: BTreeMap<(String, String, String, u32), u64> = BTreeMap::new();
            let mut slow: Vec<SlowRequestRow> = Vec::new();
            for i in 0..audit.height() {
                if staged && !matches!(stage.get(i), Some("ResponseComplete" | "Panic")) {
                    continue;
                }
                // The same event in two files (a copy, a rotation overlap) once.
                if let Some(id) = id.get(i).filter(|x| !x.is_empty())
                    && !seen.insert((id, stage.get(i)))
                {
                    continue;
                }
                let res = match (resource.get(i), sub.get(i)) {
                    (Some(r), Some(s)) if !s.is_empty() => format!("{r}/{s}"),
                    (Some(r), _) => r.to_string(),
                    _ => String::new(),
                };
                let c = code.get(i);
                if let Some(c) = c.filter(|c| *c >= 400) {
                    *failures
                        .entry((
                            user.get(i).unwrap_or("").to_string(),
                            verb.get(i).unwrap_or("").to_string(),
                            res,
                            c,
                        ))
                        .or_default() += 1;
                }
                if let Some(l) = latency.get(i).filter(|l| l.is_finite() && *l >= 0.0) {
                    slow.push(SlowRequestRow {
                        ts: ts.get(i).map(rfc3339),
                        user: user.get(i).unwrap_or("").to_string(),
                        verb: verb.get(i).unwrap_or("").to_string(),
                        uri: uri.get(i).unwrap_or("").to_string(),
                        code: c,
                        latency_ms: l.round() as u64,
                    });
                }
            }
            let mut f: Vec<AuditFailureRow> = failures
                .into_iter()
                .map(|((user, verb, resource, code), count)| AuditFailureRow {
                    user,
                    verb,
                    resource,
                    code,
                    count,
                })
                .collect();
            f.sort_by_key(|x| std::cmp::Reverse(x.count));
            f.truncate(top);
            self.audit_failures = f;
            slow.sort_by(|a, b| {
                b.latency_ms
                    .cmp(&a.latency_ms)
                    .then_with(|| a.ts.cmp(&b.ts))
                    .then_with(|| a.uri.cmp(&b.uri))
            });
            slow.truncate(top);
            self.slowest_requests = slow;
        }
        if events.height() > 0 {
            let kind = text(events, ecol::TYPE)?;
            let reason = text(events, ecol::REASON)?;
            let okind = text(events, ecol::OBJECT_KIND)?;
            let ns = text(events, ecol::NAMESPACE)?;
            let name = text(events, ecol::OBJECT_NAME)?;
            let message = text(events, ecol::MESSAGE)?;
            let count = events
                .column(ecol::COUNT)?
                .cast(&DataType::UInt64)?
                .u64()?
                .clone();
            let last = events
                .column(ecol::LAST_TS)?
                .cast(&DataType::Int64)?
                .i64()?
                .clone();
            type Key = (String, String, String, String);
            let mut rows: BTreeMap<Key, (u64, Option<i64>, String)> = BTreeMap::new();
            for i in 0..events.height() {
                if kind.get(i) != Some("Warning") {
                    continue;
                }
                let key = (
                    reason.get(i).unwrap_or("").to_string(),
                    okind.get(i).unwrap_or("").to_string(),
                    ns.get(i).unwrap_or("").to_string(),
                    name.get(i).unwrap_or("").to_string(),
                );
                let e = rows.entry(key).or_insert((0, None, String::new()));
                e.0 += count.get(i).unwrap_or(1).max(1);
                let t = last.get(i);
                if t >= e.1 {
                    e.1 = t;
                    e.2 = message.get(i).unwrap_or("").to_string();
                }
            }
            let mut w: Vec<WarningEventRow> = rows
                .into_iter()
                .map(
                    |((reason, kind, namespace, name), (count, last, message))| WarningEventRow {
                        reason,
                        kind,
                        namespace,
                        name,
                        count,
                        last: last.map(rfc3339),
                        message,
                    },
                )
                .collect();
            w.sort_by_key(|x| std::cmp::Reverse(x.count));
            w.truncate(top);
            self.warning_events = w;
        }
        Ok(())
    }

    /// Adds the metric highlights: containers whose working set
    /// (`container_memory_working_set_bytes`) reached 90% of their limit
    /// (`kube_pod_container_resource_limits{resource="memory"}` or cAdvisor's
    /// `container_spec_memory_limit_bytes`), and restart counters
    /// (`kube_pod_container_status_restarts_total`) above zero.
    pub fn add_metrics(&mut self, store: &crate::table::metrics::MetricsStore, top: usize) {
        type Key = (String, String, String);
        let key = |s: &crate::table::metrics::StoredSeries| -> Option<Key> {
            Some((
                s.label("namespace")?.to_string(),
                s.label("pod")?.to_string(),
                s.label("container")?.to_string(),
            ))
        };
        let mut max_ws: BTreeMap<Key, f64> = BTreeMap::new();
        let mut limit: BTreeMap<Key, f64> = BTreeMap::new();
        let mut restarts: BTreeMap<Key, (f64, f64, f64)> = BTreeMap::new();
        for (sid, _, v) in store.samples() {
            let s = &store.series[sid as usize];
            if !v.is_finite() {
                continue;
            }
            let Some(k) = key(s) else { continue };
            match s.name.as_str() {
                "container_memory_working_set_bytes" => {
                    let e = max_ws.entry(k).or_insert(v);
                    *e = e.max(v);
                }
                "kube_pod_container_resource_limits" if s.label("resource") == Some("memory") => {
                    limit.insert(k, v);
                }
                "container_spec_memory_limit_bytes" if v > 0.0 => {
                    limit.entry(k).or_insert(v);
                }
                "kube_pod_container_status_restarts_total" => {
                    let e = restarts.entry(k).or_insert((v, v, v));
                    e.1 = v;
                    // A counter reset (a new kube-state-metrics) starts the increase again.
                    if v < e.2 {
                        e.0 = v;
                    }
                    e.2 = v;
                }
                _ => {}
            }
        }
        let mut mem: Vec<MemoryRow> = max_ws
            .into_iter()
            .filter_map(|(k, m)| {
                let l = *limit.get(&k)?;
                (l > 0.0 && m / l >= 0.9).then(|| MemoryRow {
                    namespace: k.0,
                    pod: k.1,
                    container: k.2,
                    max_bytes: m,
                    limit_bytes: l,
                    ratio: (m / l * 1000.0).round() / 1000.0,
                })
            })
            .collect();
        mem.sort_by(|a, b| b.ratio.total_cmp(&a.ratio));
        mem.truncate(top);
        self.memory_near_limit = mem;
        let mut rc: Vec<RestartCounterRow> = restarts
            .into_iter()
            .filter(|(_, (_, last, _))| *last > 0.0)
            .map(|(k, (first, last, _))| RestartCounterRow {
                namespace: k.0,
                pod: k.1,
                container: k.2,
                restarts: last,
                increase: last - first,
            })
            .collect();
        rc.sort_by(|a, b| b.restarts.total_cmp(&a.restarts));
        rc.truncate(top);
        self.restart_counters = rc;
    }

    /// Reads a report written by [`Report::to_json`].
    pub fn from_json(bytes: &[u8]) -> Result<Report, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    /// The report as pretty JSON (stable: the same input gives the same bytes).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The report as GitHub-flavoured Markdown (for `$GITHUB_STEP_SUMMARY`). Log text is put
    /// in code spans with backticks and pipes neutralised.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let s = &self.sources;
        let _ = writeln!(out, "# podsift report\n");
        let _ = writeln!(
            out,
            "{} files found, {} read, {} skipped; {} entries, {} unparsed lines.\n",
            s.files, s.read, s.skipped, s.entries, s.unparsed_lines
        );
        if !self.rules.is_empty() {
            let failed = self.rules.iter().filter(|r| !r.passed).count();
            let _ = writeln!(out, "## Rules: {} of {} failed\n", failed, self.rules.len());
            for r in &self.rules {
                let mark = if r.passed { "pass" } else { "FAIL" };
                let _ = writeln!(out, "- **{mark}** {} (`{}`)", cell(&r.name), r.check);
                for e in &r.evidence {
                    let _ = writeln!(out, "  - {}", code(e));
                }
            }
            let _ = writeln!(out);
        }
        let troubled: Vec<&ContainerRow> =
            self.containers.iter().filter(|c| c.troubled()).collect();
        let _ = writeln!(out, "## Containers with errors, restarts or crashes\n");
        if troubled.is_empty() {
            let _ = writeln!(out, "None.\n");
        } else {
            let _ = writeln!(
                out,
                "| namespace | pod | container | entries | errors | warnings | restarts | last termination | evidence |\n|---|---|---|---:|---:|---:|---:|---|---|"
            );
            for c in troubled {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    cell(&c.namespace),
                    cell(&c.pod),
                    cell(&c.container),
                    c.entries,
                    c.errors,
                    c.warnings,
                    c.restarts.map(|r| r.to_string()).unwrap_or_default(),
                    cell(&c.termination()),
                    c.evidence_text()
                );
            }
            let _ = writeln!(out);
        }
        for (title, rows) in [
            ("Top error patterns", &self.error_patterns),
            ("Top warning patterns", &self.warning_patterns),
        ] {
            let _ = writeln!(out, "## {title}\n");
            if rows.is_empty() {
                let _ = writeln!(out, "None.\n");
                continue;
            }
            let _ = writeln!(
                out,
                "| count | first | last | pods | pattern |\n|---:|---|---|---|---|"
            );
            for p in rows {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    p.count,
                    p.first.as_deref().unwrap_or(""),
                    p.last.as_deref().unwrap_or(""),
                    cell(&p.pods.join(", ")),
                    code(&p.template)
                );
            }
            let _ = writeln!(out);
        }
        let spikes: Vec<&MinuteRow> = self.errors_per_minute.iter().filter(|m| m.spike).collect();
        let _ = writeln!(out, "## Error spikes\n");
        if spikes.is_empty() {
            let _ = writeln!(out, "None.\n");
        } else {
            for m in spikes {
                let _ = writeln!(out, "- {}: {} errors", m.minute, m.errors);
            }
            let _ = writeln!(out);
        }
        if !self.warning_events.is_empty() {
            let _ = writeln!(out, "## Warning events\n");
            let _ = writeln!(
                out,
                "| count | reason | object | last | message |\n|---:|---|---|---|---|"
            );
            for e in &self.warning_events {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} {}/{} | {} | {} |",
                    e.count,
                    cell(&e.reason),
                    cell(&e.kind),
                    cell(&e.namespace),
                    cell(&e.name),
                    e.last.as_deref().unwrap_or(""),
                    code(&e.message)
                );
            }
            let _ = writeln!(out);
        }
        if !self.audit_failures.is_empty() {
            let _ = writeln!(out, "## Failed API requests\n");
            let _ = writeln!(
                out,
                "| count | user | verb | resource | code |\n|---:|---|---|---|---:|"
            );
            for f in &self.audit_failures {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    f.count,
                    cell(&f.user),
                    cell(&f.verb),
                    cell(&f.resource),
                    f.code
                );
            }
            let _ = writeln!(out);
        }
        if !self.slowest_requests.is_empty() {
            let _ = writeln!(out, "## Slowest API requests\n");
            let _ = writeln!(
                out,
                "| ms | time | user | verb | uri | code |\n|---:|---|---|---|---|---:|"
            );
            for r in &self.slowest_requests {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    r.latency_ms,
                    r.ts.as_deref().unwrap_or(""),
                    cell(&r.user),
                    cell(&r.verb),
                    code(&r.uri),
                    r.code.map(|c| c.to_string()).unwrap_or_default()
                );
            }
            let _ = writeln!(out);
        }
        if !self.memory_near_limit.is_empty() {
            let _ = writeln!(out, "## Memory near the limit\n");
            let _ = writeln!(
                out,
                "| namespace | pod | container | max working set | limit | ratio |\n|---|---|---|---:|---:|---:|"
            );
            for m in &self.memory_near_limit {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {:.3} |",
                    cell(&m.namespace),
                    cell(&m.pod),
                    cell(&m.container),
                    m.max_bytes,
                    m.limit_bytes,
                    m.ratio
                );
            }
            let _ = writeln!(out);
        }
        if !self.restart_counters.is_empty() {
            let _ = writeln!(out, "## Restart counters\n");
            let _ = writeln!(
                out,
                "| namespace | pod | container | restarts | increase |\n|---|---|---|---:|---:|"
            );
            for r in &self.restart_counters {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    cell(&r.namespace),
                    cell(&r.pod),
                    cell(&r.container),
                    r.restarts,
                    r.increase
                );
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "## Silences\n");
        if self.silences.is_empty() {
            let _ = writeln!(out, "None.\n");
        } else {
            for s in &self.silences {
                let _ = writeln!(
                    out,
                    "- {}/{} {}: nothing for {} s, {} to {}",
                    cell(&s.namespace),
                    cell(&s.pod),
                    cell(&s.container),
                    s.seconds,
                    s.from,
                    s.to
                );
            }
            let _ = writeln!(out);
        }
        out
    }
}

/// How the patterns of two reports differ.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReportDiff {
    /// Error patterns in the new report only.
    pub new_errors: Vec<PatternRow>,
    /// Error patterns in the old report only.
    pub vanished_errors: Vec<PatternRow>,
    /// Warning patterns in the new report only.
    pub new_warnings: Vec<PatternRow>,
    /// Warning patterns in the old report only.
    pub vanished_warnings: Vec<PatternRow>,
    /// Patterns in both whose count changed: (template, old count, new count).
    pub changed: Vec<(String, u64, u64)>,
    /// Rules that failed in the new report and passed (or were absent) in the old.
    pub newly_failed_rules: Vec<String>,
}

impl ReportDiff {
    /// Compares two reports (`podsift report -o json` of two CI runs).
    pub fn between(old: &Report, new: &Report) -> ReportDiff {
        let templates = |rows: &[PatternRow]| -> BTreeMap<String, u64> {
            rows.iter().map(|p| (p.template.clone(), p.count)).collect()
        };
        let only = |a: &[PatternRow], b: &[PatternRow]| -> Vec<PatternRow> {
            let other = templates(b);
            a.iter()
                .filter(|p| !other.contains_key(&p.template))
                .cloned()
                .collect()
        };
        let mut changed = Vec::new();
        for (a, b) in [
            (&old.error_patterns, &new.error_patterns),
            (&old.warning_patterns, &new.warning_patterns),
        ] {
            let before = templates(a);
            for (t, n) in templates(b) {
                if let Some(&o) = before.get(&t)
                    && o != n
                {
                    changed.push((t, o, n));
                }
            }
        }
        let passed_before: std::collections::HashSet<&str> = old
            .rules
            .iter()
            .filter(|r| !r.passed)
            .map(|r| r.name.as_str())
            .collect();
        ReportDiff {
            new_errors: only(&new.error_patterns, &old.error_patterns),
            vanished_errors: only(&old.error_patterns, &new.error_patterns),
            new_warnings: only(&new.warning_patterns, &old.warning_patterns),
            vanished_warnings: only(&old.warning_patterns, &new.warning_patterns),
            changed,
            newly_failed_rules: new
                .rules
                .iter()
                .filter(|r| !r.passed && !passed_before.contains(r.name.as_str()))
                .map(|r| r.name.clone())
                .collect(),
        }
    }

    /// As pretty JSON.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// As Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# podsift report diff\n\n");
        for (title, rows) in [
            ("New error patterns", &self.new_errors),
            ("Vanished error patterns", &self.vanished_errors),
            ("New warning patterns", &self.new_warnings),
            ("Vanished warning patterns", &self.vanished_warnings),
        ] {
            let _ = writeln!(out, "## {title}\n");
            if rows.is_empty() {
                let _ = writeln!(out, "None.\n");
                continue;
            }
            for p in rows {
                let _ = writeln!(out, "- {} x {}", p.count, code(&p.template));
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "## Changed counts\n");
        if self.changed.is_empty() {
            let _ = writeln!(out, "None.\n");
        } else {
            for (t, a, b) in &self.changed {
                let _ = writeln!(out, "- {a} -> {b}: {}", code(t));
            }
            let _ = writeln!(out);
        }
        if !self.newly_failed_rules.is_empty() {
            let _ = writeln!(out, "## Newly failed rules\n");
            for r in &self.newly_failed_rules {
                let _ = writeln!(out, "- {}", cell(r));
            }
            let _ = writeln!(out);
        }
        out
    }
}

/// A table cell: pipes and newlines neutralised.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A code span that survives any backticks inside.
fn code(s: &str) -> String {
    let s = cell(s);
    let ticks = (1..).find(|n| !s.contains(&"`".repeat(*n))).unwrap_or(1);
    let fence = "`".repeat(ticks);
    format!("{fence} {s} {fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a|b"), "` a\\|b `");
        assert_eq!(code("x ` y"), "`` x ` y ``");
    }
}
