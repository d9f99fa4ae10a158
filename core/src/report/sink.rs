//! What a report needs from the entries, gathered while they stream past (as `stats` does):
//! counts per container, crash evidence, errors per minute, silences, the first lines of
//! error and warning entries for the pattern miner, and the matches of rules' patterns. No
//! table of all entries is built.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};

use regex::bytes::Regex;

use super::{ContainerRow, MINUTE, SilenceRow, rfc3339};
use crate::ingest::{Entry, EntrySink, Needs};
use crate::level::Level;
use crate::query::health::evidence;
use crate::query::patterns::{Messages, MinerConfig, message_body};
use crate::sources::FileSet;
use crate::sources::plan::ContainerMeta;

/// (namespace, pod or component, container).
pub type Key = (String, String, String);

/// A rule pattern the sink looks for, with its scope.
#[derive(Debug)]
pub struct ForbidPattern {
    /// The message pattern.
    pub pattern: Regex,
    /// Scope regexes (whole names): namespace, pod, container.
    pub scope: [Option<regex::Regex>; 3],
}

/// Settings shared by every instance's sink.
#[derive(Debug, Default)]
pub struct SinkOptions {
    /// A silence is a gap longer than this (ns).
    pub silence_ns: i64,
    /// Rules' `forbid_pattern`s, by rule.
    pub forbid: Vec<ForbidPattern>,
}

/// Gathers one instance's share of a report.
#[derive(Debug)]
pub struct ReportSink {
    options: Arc<SinkOptions>,
    meta: ContainerMeta,
    pub(super) rows: Vec<ContainerRow>,
    index: HashMap<Key, usize>,
    current: Option<usize>,
    pub(super) silences: Vec<SilenceRow>,
    /// Per container row (when it had a time): errors per minute.
    pub(super) error_minutes: Vec<BTreeMap<i64, u64>>,
    /// Error and warning messages of this instance, for the pattern miner (which takes
    /// every instance's in instance order).
    pub(super) messages: [Messages; 2],
    /// Per container row: first and last entry time in this instance.
    pub(super) spans: Vec<Option<(i64, i64)>>,
    /// Per forbid pattern: matches (the first 21) and how many in all.
    pub(super) forbid_hits: Vec<(Vec<String>, u64)>,
}

/// Literals one of which every piece of crash evidence contains (a fast first look).
static EVIDENCE_HINT: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    // Leftmost-first, so the fast SIMD searcher is used.
    aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .build([
            "OOM",
            "oom-kill",
            "Out of memory",
            "out of memory",
            "OutOfMemoryError",
            "Cannot allocate",
            "MemoryError",
            "panic: ",
            "fatal error: ",
            "Traceback",
            "SIGSEGV",
            "segfault",
            "Segmentation fault",
            "Exception in thread",
            "\tat ",
            "    at ",
            "Caused by: ",
        ])
        .expect("valid")
});

/// A message as text: as is when it is UTF-8 (checked the fast way), else with
/// replacement characters.
fn text_of(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

impl ReportSink {
    /// A sink for one instance.
    pub fn new(options: Arc<SinkOptions>) -> ReportSink {
        let n = options.forbid.len();
        ReportSink {
            options,
            meta: ContainerMeta::default(),
            rows: Vec::new(),
            index: HashMap::new(),
            current: None,
            silences: Vec::new(),
            error_minutes: Vec::new(),
            messages: [
                Messages::new(&MinerConfig::default()),
                Messages::new(&MinerConfig::default()),
            ],
            spans: Vec::new(),
            forbid_hits: vec![(Vec::new(), 0); n],
        }
    }
}

/// The index of the row of (namespace, pod, container), added when new; the last one is
/// remembered, as entries come in runs of one container.
fn row_of(
    rows: &mut Vec<ContainerRow>,
    index: &mut HashMap<Key, usize>,
    current: &mut Option<usize>,
    (ns, pod, container): (&str, &str, &str),
) -> usize {
    if let Some(c) = *current {
        let r = &rows[c];
        if r.namespace == ns && r.pod == pod && r.container == container {
            return c;
        }
    }
    let key = (ns.to_string(), pod.to_string(), container.to_string());
    let next = rows.len();
    let i = *index.entry(key).or_insert(next);
    if i == next {
        rows.push(ContainerRow {
            namespace: ns.to_string(),
            pod: pod.to_string(),
            container: container.to_string(),
            ..ContainerRow::default()
        });
    }
    *current = Some(i);
    i
}

impl ReportSink {
    /// Entries seen.
    pub fn entries(&self) -> u64 {
        self.rows.iter().map(|r| r.entries).sum()
    }
}

impl EntrySink for ReportSink {
    fn needs(&self) -> Needs {
        Needs {
            payload: true,
            ..Needs::default()
        }
    }

    fn begin_instance(&mut self, _: usize, meta: &ContainerMeta, _: &FileSet, _: &[usize]) {
        self.meta = meta.clone();
        self.current = None;
    }

    fn entry(&mut self, e: &Entry<'_>) {
        let i = {
            let m = &self.meta;
            let ns = e.namespace(m).unwrap_or("");
            let pod = e.pod(m).or_else(|| e.component(m)).unwrap_or("");
            let container = e.container(m).unwrap_or("");
            row_of(
                &mut self.rows,
                &mut self.index,
                &mut self.current,
                (ns, pod, container),
            )
        };
        let restart = self.meta.restart;
        let row = &mut self.rows[i];
        row.entries += 1;
        if let Some(r) = restart {
            row.restarts = Some(row.restarts.map_or(r, |have| have.max(r)));
        }
        let is_error = e.level >= Level::Error;
        let is_warn = e.level == Level::Warn;
        // A crash's own output (a panic, a traceback, the kernel's OOM line) has no level
        // or a severe one: entries logged at info and below are not searched.
        if (e.level == Level::Unknown || e.level >= Level::Warn)
            && EVIDENCE_HINT.is_match(e.message)
            && let Some(ev) = evidence(&text_of(e.message))
        {
            *row.evidence.entry(ev.as_str().to_string()).or_default() += 1;
        }
        if is_error {
            row.errors += 1;
        } else if is_warn {
            row.warnings += 1;
        }
        let row = &self.rows[i];
        if let Some(t) = e.ts_nanos {
            if self.spans.len() < self.rows.len() {
                self.spans.resize(self.rows.len(), None);
                self.error_minutes
                    .resize_with(self.rows.len(), BTreeMap::new);
            }
            if is_error {
                *self.error_minutes[i]
                    .entry(t.div_euclid(MINUTE))
                    .or_default() += 1;
            }
            let span = self.spans[i].get_or_insert((t, t));
            if t - span.1 > self.options.silence_ns {
                self.silences.push(SilenceRow {
                    namespace: row.namespace.clone(),
                    pod: row.pod.clone(),
                    container: row.container.clone(),
                    from: rfc3339(span.1),
                    to: rfc3339(t),
                    seconds: (t - span.1) / 1_000_000_000,
                });
            }
            span.0 = span.0.min(t);
            span.1 = span.1.max(t);
        }
        if is_error || is_warn {
            let msg = text_of(e.message);
            let first = match memchr::memchr(b'\n', msg.as_bytes()) {
                Some(end) => msg[..end].strip_suffix('\r').unwrap_or(&msg[..end]),
                None => &msg,
            };
            self.messages[usize::from(!is_error)].add_with_sample(
                message_body(first),
                &msg,
                e.ts_nanos,
                Some(&row.pod),
                None,
            );
        }
        for (k, f) in self.options.forbid.iter().enumerate() {
            let in_scope = [&row.namespace, &row.pod, &row.container]
                .iter()
                .zip(&f.scope)
                .all(|(v, re)| re.as_ref().is_none_or(|re| re.is_match(v)));
            if in_scope && f.pattern.is_match(e.message) {
                let hits = &mut self.forbid_hits[k];
                hits.1 += 1;
                if hits.0.len() <= 20 {
                    let msg = text_of(e.message);
                    let first: String =
                        msg.lines().next().unwrap_or("").chars().take(200).collect();
                    hits.0.push(format!(
                        "{} {}/{}/{}: {first}",
                        e.ts_nanos.map(rfc3339).unwrap_or_default(),
                        row.namespace,
                        row.pod,
                        row.container
                    ));
                }
            }
        }
    }
}
