//! Building a [`Report`] from what an ingest's sinks gathered, the `pods`, `audit` and
//! `events` tables and the metrics store.

use std::collections::BTreeMap;

use polars::prelude::*;

use super::*;
use crate::query::health::spikes;
use crate::query::patterns::{MinerConfig, mine_top};
use crate::schema::pods as pcol;

/// A time in a report: RFC 3339 with the fraction digits it needs.
pub(super) fn rfc3339(ns: i64) -> String {
    crate::time::format_rfc3339(ns)
}

pub(super) const MINUTE: i64 = 60 * 1_000_000_000;

impl Report {
    /// Builds the report from the sinks of an ingest (in instance order) and the `pods`
    /// table; also returns what the rules need from the entries.
    pub fn from_sinks(
        sinks: Vec<sink::ReportSink>,
        pods: &DataFrame,
        sources: SourcesSummary,
        options: &ReportOptions,
    ) -> crate::Result<(Report, RuleFacts)> {
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
            let text = |name: &str| -> crate::Result<StringChunked> {
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

    /// Adds the test counts and the failed tests, from the `tests` table (empty without a
    /// JUnit report).
    pub fn add_tests(&mut self, tests: &DataFrame) -> crate::Result<()> {
        use crate::schema::tests as tcol;
        if tests.height() == 0 {
            return Ok(());
        }
        let text = |name: &str| -> crate::Result<StringChunked> {
            Ok(tests.column(name)?.cast(&DataType::String)?.str()?.clone())
        };
        let (suite, name, status, message, body) = (
            text(tcol::SUITE)?,
            text(tcol::NAME)?,
            text(tcol::STATUS)?,
            text(tcol::MESSAGE)?,
            text(tcol::TEXT)?,
        );
        let duration = tests.column(tcol::DURATION_S)?.f64()?.clone();
        let mut counts = TestCounts::default();
        for i in 0..tests.height() {
            let st = status.get(i).unwrap_or_default();
            match st {
                "failed" => counts.failed += 1,
                "error" => counts.error += 1,
                "skipped" => counts.skipped += 1,
                _ => counts.passed += 1,
            }
            if matches!(st, "failed" | "error") {
                let message = message
                    .get(i)
                    .or_else(|| {
                        body.get(i)
                            .and_then(|t| t.lines().find(|l| !l.trim().is_empty()))
                    })
                    .unwrap_or_default();
                self.failed_tests.push(FailedTestRow {
                    suite: suite.get(i).unwrap_or_default().to_string(),
                    name: name.get(i).unwrap_or_default().to_string(),
                    status: st.to_string(),
                    duration_s: duration.get(i),
                    message: message.to_string(),
                });
            }
        }
        self.tests = Some(counts);
        Ok(())
    }

    /// Adds the node conditions in a bad state, from the `node_conditions` table.
    pub fn add_node_problems(&mut self, conditions: &DataFrame) -> crate::Result<()> {
        use crate::schema::node_conditions as ncol;
        if conditions.height() == 0 {
            return Ok(());
        }
        let text = |name: &str| -> crate::Result<StringChunked> {
            Ok(conditions
                .column(name)?
                .cast(&DataType::String)?
                .str()?
                .clone())
        };
        let (node, kind, status, reason, message) = (
            text(ncol::NODE)?,
            text(ncol::TYPE)?,
            text(ncol::STATUS)?,
            text(ncol::REASON)?,
            text(ncol::MESSAGE)?,
        );
        let since = conditions
            .column(ncol::LAST_TRANSITION_TS)?
            .cast(&DataType::Int64)?
            .i64()?
            .clone();
        for i in 0..conditions.height() {
            let (k, st) = (
                kind.get(i).unwrap_or_default(),
                status.get(i).unwrap_or_default(),
            );
            let bad = if k == "Ready" {
                st != "True"
            } else {
                st == "True"
            };
            if !bad {
                continue;
            }
            self.node_problems.push(NodeProblemRow {
                node: node.get(i).unwrap_or_default().to_string(),
                condition: k.to_string(),
                status: st.to_string(),
                reason: reason.get(i).unwrap_or_default().to_string(),
                since: since.get(i).map(crate::time::format_rfc3339),
                message: message.get(i).unwrap_or_default().to_string(),
            });
        }
        Ok(())
    }

    /// Adds the audit sections (failed requests, slowest requests) and Warning events, from
    /// the `audit` and `events` tables (either may be empty).
    pub fn add_audit_and_events(
        &mut self,
        audit: &DataFrame,
        events: &DataFrame,
        top: usize,
    ) -> crate::Result<()> {
        use crate::schema::{audit as acol, events as ecol};
        let text = |df: &DataFrame, name: &str| -> crate::Result<StringChunked> {
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
}
