//! A report of what went wrong in a bundle, for CI: what was read, each container's entries,
//! errors, warnings, restarts and terminations, crash evidence, the top error and warning
//! patterns, errors per minute with spikes, and silences. Built from the tables; the same
//! input gives the same report (no wall-clock time, stable orders), so reports diff between
//! runs. [`Report::to_json`] and [`Report::to_markdown`] render it.

pub mod html;
pub mod rules;
pub mod sink;

mod build;
mod diff;
mod markdown;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use build::{MINUTE, rfc3339};
pub use diff::ReportDiff;

use crate::query::patterns::{Messages, Pattern};

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
    pub(crate) fn troubled(&self) -> bool {
        self.errors > 0
            || self.restarts.is_some_and(|r| r > 0)
            || self.last_reason.is_some()
            || !self.evidence.is_empty()
    }

    /// `OOMKilled (exit 137)`, `exit 1`, or empty.
    pub(crate) fn termination(&self) -> String {
        match (&self.last_reason, self.exit_code) {
            (Some(r), Some(e)) => format!("{r} (exit {e})"),
            (Some(r), None) => r.clone(),
            (None, Some(e)) => format!("exit {e}"),
            (None, None) => String::new(),
        }
    }

    /// `go-panic 1, oom 2`.
    pub(crate) fn evidence_text(&self) -> String {
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
    /// Test cases of the JUnit reports, by status (none without a report).
    #[serde(default)]
    pub tests: Option<TestCounts>,
    /// The test cases that failed or errored, in report order.
    #[serde(default)]
    pub failed_tests: Vec<FailedTestRow>,
    /// Node conditions in a bad state (not `Ready`, memory, disk or PID pressure, network
    /// unavailable), from the node lists.
    #[serde(default)]
    pub node_problems: Vec<NodeProblemRow>,
}

/// A node condition in a bad state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeProblemRow {
    /// The node.
    pub node: String,
    /// The condition (`Ready`, `MemoryPressure`, ...).
    pub condition: String,
    /// Its status (`False` for `Ready`, `True` for a pressure).
    pub status: String,
    /// Why (`KubeletNotReady`).
    pub reason: String,
    /// Since when (its last transition).
    pub since: Option<String>,
    /// What the kubelet said.
    pub message: String,
}

/// Test cases by status, over every JUnit report read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCounts {
    /// Passed.
    pub passed: u64,
    /// Failed.
    pub failed: u64,
    /// Errored.
    pub error: u64,
    /// Skipped.
    pub skipped: u64,
}

/// A test case that failed or errored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FailedTestRow {
    /// Its suite.
    pub suite: String,
    /// The test case.
    pub name: String,
    /// `failed` or `error`.
    pub status: String,
    /// Seconds it ran.
    pub duration_s: Option<f64>,
    /// The failure's message, else the first line of its text.
    pub message: String,
}

impl Report {
    /// Reads a report written by [`Report::to_json`].
    pub fn from_json(bytes: &[u8]) -> crate::Result<Report> {
        serde_json::from_slice(bytes).map_err(|e| crate::Error::Invalid(e.to_string()))
    }

    /// The report as pretty JSON (stable: the same input gives the same bytes).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}
