//! What a Discover view (the desktop app and the browser viewer) computes over a `logs` frame:
//! the rows a set of queries keeps, those in a time range, a time histogram stacked by level,
//! the cluster tree (node, namespace, pod, container) with counts, each field's top values, and
//! an entry's context (the entries around it in the same container).
//!
//! [`LogIndex`] is built once per frame: the times and levels of every row as plain vectors,
//! and the categorical columns' ids, so that a histogram or a count over millions of rows is
//! one pass over integers. Row lists ([`Rows`]) are ascending row numbers; a `logs` table built
//! for viewing is in time order, so the rows in a time range are found by binary search.

use std::borrow::Cow;
use std::collections::HashMap;

use polars::prelude::*;

use super::search::Query;
use crate::schema::logs as col;
use crate::table::FieldPairs;
pub use crate::table::index::{Codes, LogIndex, NO_TS, Rows};
pub use crate::table::live::LiveCounts;
use crate::table::live::MINUTE;

impl LogIndex {
    /// The first and last time of the rows that have one.
    pub fn extent(&self, rows: &[u32]) -> Option<(i64, i64)> {
        let mut times = rows
            .iter()
            .map(|&r| self.ts[r as usize])
            .filter(|&t| t != NO_TS);
        if self.sorted {
            // Rows without a time come first.
            let first = times.next()?;
            let last = self.ts[*rows.last()? as usize];
            return Some((first, last));
        }
        times.fold(None, |acc, t| match acc {
            None => Some((t, t)),
            Some((lo, hi)) => Some((lo.min(t), hi.max(t))),
        })
    }

    /// The first and last time of the whole frame.
    pub fn extent_all(&self) -> Option<(i64, i64)> {
        if self.sorted {
            let first = *self.ts.iter().find(|&&t| t != NO_TS)?;
            return Some((first, *self.ts.last()?));
        }
        self.extent(&self.all_rows())
    }

    /// Where the rows of `rows` with a time in `[from, to)` start and end in it, when the
    /// frame is in time order (`None` otherwise).
    pub fn range_bounds(&self, rows: &[u32], (from, to): (i64, i64)) -> Option<(usize, usize)> {
        if !self.sorted {
            return None;
        }
        let t = |r: &u32| self.ts[*r as usize];
        let lo = rows.partition_point(|r| t(r) < from);
        Some((lo, rows.partition_point(|r| t(r) < to).max(lo)))
    }

    /// The rows of `rows` with a time in `[from, to)` (all of them without a range).
    pub fn in_range<'a>(&self, rows: &'a [u32], range: Option<(i64, i64)>) -> Cow<'a, [u32]> {
        let Some((from, to)) = range else {
            return Cow::Borrowed(rows);
        };
        match self.range_bounds(rows, (from, to)) {
            Some((lo, hi)) => Cow::Borrowed(&rows[lo..hi]),
            None => Cow::Owned(
                rows.iter()
                    .copied()
                    .filter(|&r| {
                        let t = self.ts[r as usize];
                        t != NO_TS && (from..to).contains(&t)
                    })
                    .collect(),
            ),
        }
    }

    /// Counts of `rows` per time bucket and level over `range` (`[from, to)`), in at most
    /// about `max_buckets` buckets of a round width (1 s, 5 s, 1 min, 1 h, ...), starting on
    /// a multiple of it.
    pub fn histogram(&self, rows: &[u32], range: (i64, i64), max_buckets: usize) -> Histogram {
        let (from, to) = (range.0, range.1.max(range.0 + 1));
        let step = nice_step(to - from, max_buckets.max(1));
        let start = from.div_euclid(step) * step;
        let n = ((to - start + step - 1) / step).max(1) as usize;
        let mut counts = vec![[0u64; 7]; n];
        for &r in self.in_range(rows, Some((from, to))).iter() {
            let t = self.ts[r as usize];
            let k = ((t - start) / step) as usize;
            if let Some(c) = counts.get_mut(k) {
                c[self.level[r as usize] as usize] += 1;
            }
        }
        Histogram {
            start,
            step,
            counts,
        }
    }

    /// Rows per node, namespace, pod and container, sorted by those names.
    pub fn tree(&self, rows: &[u32]) -> Vec<TreeRow> {
        let mut counts: HashMap<[u32; 4], (u64, [u64; 7])> = HashMap::new();
        for &r in rows {
            let i = r as usize;
            let key = [
                self.node.ids[i],
                self.namespace.ids[i],
                self.pod.ids[i],
                self.container.ids[i],
            ];
            let e = counts.entry(key).or_default();
            e.0 += 1;
            e.1[self.level[i] as usize] += 1;
        }
        let name = |c: &Codes, id: u32| c.names.get(id as usize).cloned().unwrap_or_default();
        let mut out: Vec<TreeRow> = counts
            .into_iter()
            .map(|([n, ns, p, c], (count, levels))| TreeRow {
                node: name(&self.node, n),
                namespace: name(&self.namespace, ns),
                pod: name(&self.pod, p),
                container: name(&self.container, c),
                count,
                levels,
            })
            .collect();
        // By node, namespace, pod and container (the fields' order).
        out.sort();
        out
    }

    /// The rows around `row` in its container (same node, namespace, pod and container): up
    /// to `before` rows before it, the row itself, and up to `after` after it, in order.
    pub fn context(&self, row: u32, before: usize, after: usize) -> Rows {
        let i = row as usize;
        if i >= self.len() {
            return Rows::new();
        }
        let key = |r: usize| {
            (
                self.node.ids[r],
                self.namespace.ids[r],
                self.pod.ids[r],
                self.container.ids[r],
            )
        };
        let want = key(i);
        let mut out: Rows = (0..i)
            .rev()
            .filter(|&r| key(r) == want)
            .take(before)
            .map(|r| r as u32)
            .collect();
        out.reverse();
        out.push(row);
        out.extend(
            (i + 1..self.len())
                .filter(|&r| key(r) == want)
                .take(after)
                .map(|r| r as u32),
        );
        out
    }
}

/// The rows a query keeps, arranged so that counts over a time range cost binary searches
/// instead of a pass over the rows: per level, and per container and level, the rows in
/// order. A view builds one per query and then zooms and scrolls without touching every row.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// The rows, ascending.
    pub rows: Rows,
    /// Per level (`Level as usize`): its rows.
    by_level: [Rows; 7],
    /// Per node, namespace, pod and container (as ids of the index's codes): rows per level.
    groups: Vec<([u32; 4], [Rows; 7])>,
}

impl Selection {
    /// Arranges `rows` (ascending row numbers of the index's frame).
    pub fn new(index: &LogIndex, rows: Rows) -> Selection {
        let mut by_level: [Rows; 7] = Default::default();
        let mut group_of: HashMap<[u32; 4], usize> = HashMap::new();
        let mut groups: Vec<([u32; 4], [Rows; 7])> = Vec::new();
        for &r in &rows {
            let i = r as usize;
            let level = index.level[i] as usize;
            by_level[level].push(r);
            let key = [
                index.node.ids[i],
                index.namespace.ids[i],
                index.pod.ids[i],
                index.container.ids[i],
            ];
            let g = *group_of.entry(key).or_insert_with(|| {
                groups.push((key, Default::default()));
                groups.len() - 1
            });
            groups[g].1[level].push(r);
        }
        Selection {
            rows,
            by_level,
            groups,
        }
    }

    /// [`LogIndex::histogram`] of these rows.
    pub fn histogram(&self, index: &LogIndex, range: (i64, i64), max_buckets: usize) -> Histogram {
        if !index.sorted {
            return index.histogram(&self.rows, range, max_buckets);
        }
        let (from, to) = (range.0, range.1.max(range.0 + 1));
        let step = nice_step(to - from, max_buckets.max(1));
        let start = from.div_euclid(step) * step;
        let n = ((to - start + step - 1) / step).max(1) as usize;
        let mut counts = vec![[0u64; 7]; n];
        for (level, rows) in self.by_level.iter().enumerate() {
            if rows.is_empty() {
                continue;
            }
            let at = |t: i64| rows.partition_point(|&r| index.ts[r as usize] < t);
            let mut lo = at(from.max(start));
            for (k, c) in counts.iter_mut().enumerate() {
                let end = (start + (k as i64 + 1) * step).min(to);
                let hi = at(end);
                c[level] = (hi - lo) as u64;
                lo = hi;
            }
        }
        Histogram {
            start,
            step,
            counts,
        }
    }

    /// [`LogIndex::tree`] of these rows within `range`.
    pub fn tree(&self, index: &LogIndex, range: Option<(i64, i64)>) -> Vec<TreeRow> {
        if !index.sorted {
            return index.tree(&index.in_range(&self.rows, range));
        }
        let name = |c: &Codes, id: u32| c.names.get(id as usize).cloned().unwrap_or_default();
        let mut out: Vec<TreeRow> = Vec::new();
        for ([n, ns, p, c], lists) in &self.groups {
            let mut levels = [0u64; 7];
            for (l, rows) in lists.iter().enumerate() {
                levels[l] = match range {
                    None => rows.len() as u64,
                    Some((from, to)) => {
                        let at = |t: i64| rows.partition_point(|&r| index.ts[r as usize] < t);
                        (at(to) - at(from)) as u64
                    }
                };
            }
            let count = levels.iter().sum();
            if count == 0 {
                continue;
            }
            out.push(TreeRow {
                node: name(&index.node, *n),
                namespace: name(&index.namespace, *ns),
                pod: name(&index.pod, *p),
                container: name(&index.container, *c),
                count,
                levels,
            });
        }
        // By node, namespace, pod and container (the fields' order).
        out.sort();
        out
    }
}

impl LiveCounts {
    /// The counts so far, in at most about `max_buckets` buckets (whole minutes).
    pub fn histogram(&self, max_buckets: usize) -> Option<Histogram> {
        let m = self.minutes();
        let (&first, _) = m.first_key_value()?;
        let (&last, _) = m.last_key_value()?;
        let step = nice_step((last - first + 1) * MINUTE, max_buckets).max(MINUTE);
        let step = step.div_euclid(MINUTE).max(1) * MINUTE;
        let start = (first * MINUTE).div_euclid(step) * step;
        let n = ((last * MINUTE - start) / step + 1) as usize;
        let mut counts = vec![[0u64; 7]; n];
        for (&minute, c) in m.iter() {
            let k = ((minute * MINUTE - start) / step) as usize;
            for (a, b) in counts[k].iter_mut().zip(c) {
                *a += b;
            }
        }
        Some(Histogram {
            start,
            step,
            counts,
        })
    }
}

/// Row counts per time bucket and level.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// The first bucket's start (ns).
    pub start: i64,
    /// Bucket width (ns).
    pub step: i64,
    /// Per bucket: rows per level, indexed by `Level as usize`.
    pub counts: Vec<[u64; 7]>,
}

impl Histogram {
    /// Rows counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// The most rows in one bucket.
    pub fn max(&self) -> u64 {
        self.counts
            .iter()
            .map(|c| c.iter().sum())
            .max()
            .unwrap_or(0)
    }

    /// Bucket `k`'s time span.
    pub fn bucket(&self, k: usize) -> (i64, i64) {
        let s = self.start + k as i64 * self.step;
        (s, s + self.step)
    }
}

/// A bucket width of 1, 2 or 5 times a power of ten nanoseconds up to a second, then a round
/// clock span (1, 2, 5, 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6, 12 h, 1, 2, 7 d,
/// then multiples of 30 days), the smallest that cuts `span` into at most `max_buckets`.
pub fn nice_step(span: i64, max_buckets: usize) -> i64 {
    const S: i64 = 1_000_000_000;
    const CLOCK: [i64; 21] = [
        S,
        2 * S,
        5 * S,
        10 * S,
        15 * S,
        30 * S,
        60 * S,
        120 * S,
        300 * S,
        600 * S,
        900 * S,
        1800 * S,
        3600 * S,
        7200 * S,
        3 * 3600 * S,
        6 * 3600 * S,
        12 * 3600 * S,
        86400 * S,
        2 * 86400 * S,
        7 * 86400 * S,
        30 * 86400 * S,
    ];
    let want = (span.max(1) as f64 / max_buckets.max(1) as f64).ceil() as i64;
    if want < S {
        let mut p = 1i64;
        loop {
            for m in [1, 2, 5] {
                if m * p >= want {
                    return m * p;
                }
            }
            p *= 10;
        }
    }
    if let Some(&s) = CLOCK.iter().find(|&&s| s >= want) {
        return s;
    }
    let month = 30 * 86400 * S;
    (want + month - 1) / month * month
}

/// Rows of one node, namespace, pod and container (ordered by those, then the counts).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TreeRow {
    /// Node name (empty when none).
    pub node: String,
    /// Namespace.
    pub namespace: String,
    /// Pod.
    pub pod: String,
    /// Container.
    pub container: String,
    /// Rows.
    pub count: u64,
    /// Rows per level, indexed by `Level as usize`.
    pub levels: [u64; 7],
}

/// The rows of `logs` every query matches.
pub fn matching_rows(logs: &DataFrame, queries: &[Query]) -> crate::Result<Rows> {
    let mut keep: Option<Vec<bool>> = None;
    for q in queries.iter().filter(|q| !q.is_all()) {
        let bits = q.evaluate(logs)?;
        let k = keep.get_or_insert_with(|| vec![true; logs.height()]);
        for (k, b) in k.iter_mut().zip(bits.iter()) {
            *k &= b == Some(true);
        }
    }
    Ok(rows_kept(keep, logs.height()))
}

/// The rows `keep` says yes to; every one of `height` rows without it.
pub(crate) fn rows_kept(keep: Option<Vec<bool>>, height: usize) -> Rows {
    match keep {
        None => (0..height as u32).collect(),
        Some(k) => k
            .iter()
            .enumerate()
            .filter(|(_, b)| **b)
            .map(|(i, _)| i as u32)
            .collect(),
    }
}

/// A field's most frequent values among some rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldValues {
    /// Values and their counts, most first (then by value).
    pub values: Vec<(String, u64)>,
    /// Rows looked at.
    pub rows_seen: usize,
    /// Rows looked at that had the field.
    pub rows_with: usize,
    /// Distinct values seen.
    pub distinct: usize,
}

/// Columns of a `logs` frame worth a top-values list, in the order a sidebar shows them.
pub const VALUE_COLUMNS: [&str; 11] = [
    col::LEVEL,
    col::NODE,
    col::NAMESPACE,
    col::POD,
    col::CONTAINER,
    col::COMPONENT,
    col::STREAM,
    col::FORMAT,
    col::LEVEL_RAW,
    col::RESTART,
    col::SOURCE,
];

/// The `n` most frequent values of `field` among `rows`: a column of the table (every row is
/// counted), or a structured field's key (counted in at most `sample` rows spread evenly over
/// `rows`, as Kibana counts a sample).
pub fn top_values(
    logs: &DataFrame,
    rows: &[u32],
    field: &str,
    n: usize,
    sample: usize,
) -> crate::Result<FieldValues> {
    if logs.schema().contains(field) && field != col::FIELDS {
        return Ok(count_values(&Codes::of(logs, field)?, rows, n));
    }
    let mut counts: HashMap<&str, u64> = HashMap::new();
    let picked = spread(rows, sample);
    let pairs = FieldPairs::of(logs.column(col::FIELDS)?)?;
    let mut rows_with = 0;
    for &r in &picked {
        if let Some(v) = pairs.get(r as usize, field) {
            rows_with += 1;
            *counts.entry(v).or_default() += 1;
        }
    }
    Ok(ranked(
        counts
            .into_iter()
            .map(|(v, c)| (v.to_string(), c))
            .collect(),
        picked.len(),
        rows_with,
        n,
    ))
}

/// The `n` most frequent values of a column (as [`Codes`], built once by the caller and kept
/// while the rows change) among `rows`, every row counted.
pub fn count_values(codes: &Codes, rows: &[u32], n: usize) -> FieldValues {
    let mut by_id = vec![0u64; codes.names.len()];
    let mut rows_with = 0;
    for &r in rows {
        if let Some(c) = by_id.get_mut(codes.ids[r as usize] as usize) {
            *c += 1;
            rows_with += 1;
        }
    }
    let values = codes
        .names
        .iter()
        .zip(by_id)
        .filter(|(_, c)| *c > 0)
        .map(|(name, c)| (name.clone(), c))
        .collect();
    ranked(values, rows.len(), rows_with, n)
}

fn ranked(
    mut values: Vec<(String, u64)>,
    rows_seen: usize,
    rows_with: usize,
    n: usize,
) -> FieldValues {
    let distinct = values.len();
    values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    values.truncate(n);
    FieldValues {
        values,
        rows_seen,
        rows_with,
        distinct,
    }
}

/// Structured field keys among at most `sample` rows spread over `rows`, with the rows that
/// have them, most first (then by name).
pub fn field_keys(
    logs: &DataFrame,
    rows: &[u32],
    sample: usize,
) -> crate::Result<Vec<(String, u64)>> {
    let pairs = FieldPairs::of(logs.column(col::FIELDS)?)?;
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for r in spread(rows, sample) {
        for (k, _) in pairs.row(r as usize) {
            *counts.entry(k).or_default() += 1;
        }
    }
    let mut out: Vec<(String, u64)> = counts
        .into_iter()
        .map(|(k, c)| (k.to_string(), c))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// At most `n` of `rows`, evenly spread (all of them when there are no more than `n`).
pub(crate) fn spread(rows: &[u32], n: usize) -> Rows {
    if rows.len() <= n {
        return rows.to_vec();
    }
    (0..n).map(|k| rows[k * rows.len() / n]).collect()
}

/// Fields that hold an entry's message, in the order they are looked for.
const MESSAGE_FIELDS: [&str; 6] = ["msg", "message", "MESSAGE", "log", "text", "event"];

/// The message of an entry as a person reads it, as Kibana shows `message`: a structured
/// entry's `msg`/`message` field; a klog line's text after its header; a line's text after
/// the time and the level word it starts with; the line as written otherwise (the detail pane
/// keeps the raw line).
pub fn shown_message<'a>(
    format: &str,
    message: &'a str,
    field: impl Fn(&str) -> Option<&'a str>,
) -> std::borrow::Cow<'a, str> {
    use std::borrow::Cow;
    if let Some(m) = MESSAGE_FIELDS
        .iter()
        .find_map(|k| field(k).filter(|v| !v.trim().is_empty()))
    {
        return Cow::Borrowed(m);
    }
    let bytes = message.as_bytes();
    let mut at = 0;
    // A leading time, bracketed or not (`timestamped`, and text that starts with one).
    let (open, rest) = match bytes.first() {
        Some(b'[') => (1, &bytes[1..]),
        _ => (0, bytes),
    };
    if let Some((_, n)) = crate::time::parse_leading_timestamp(rest) {
        at = open + n;
        if open == 1 && bytes.get(at) == Some(&b']') {
            at += 1;
        }
    }
    let after_time = message[at..].trim_start();
    // A klog header (also after a time: `kubectl logs --timestamps` of a klog container).
    if let Some(h) = crate::formats::klog::parse_klog_header(after_time.as_bytes()) {
        return Cow::Borrowed(after_time[h.msg_start..].trim_start());
    }
    if format == "klog" || at == 0 {
        return Cow::Borrowed(message);
    }
    // A level word right after the time (`INFO`, `[warn]`, `E`), then separators.
    let word_end = after_time
        .find(|c: char| c.is_whitespace() || c == ':')
        .unwrap_or(after_time.len());
    let word = after_time[..word_end].trim_matches(|c| c == '[' || c == ']');
    // (Not one letter: "I" may start a sentence.)
    let body = if word.len() > 1 && crate::level::Level::from_name(word).is_some() {
        after_time[word_end..].trim_start_matches([':', ' ', '-', '|'])
    } else {
        after_time
    };
    if body.is_empty() {
        Cow::Borrowed(message)
    } else {
        Cow::Borrowed(body)
    }
}

/// Row `row` of `logs` as pretty JSON: every column, structured fields as an object.
pub fn entry_json(logs: &DataFrame, row: u32) -> String {
    let mut out = Vec::new();
    let one = logs.slice(i64::from(row), 1);
    if crate::export::write_ndjson(&one, &mut out).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&out);
    match serde_json::from_str::<serde_json::Value>(text.trim()) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.into_owned()),
        Err(_) => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_as_people_read_them() {
        let none = |_: &str| None;
        let cases: &[(&str, &str, &str)] = &[
            (
                "klog",
                "I0501 10:00:00.000000       1 a.go:1] started",
                "started",
            ),
            (
                "timestamped",
                "2024-01-02T03:04:05Z E0102 02:04:05.000000 1 main.go:1] boom",
                "boom",
            ),
            (
                "timestamped",
                "2024-05-01T10:00:00Z INFO hello world",
                "hello world",
            ),
            (
                "text",
                "[2024-05-01 10:00:00] [error] disk full",
                "disk full",
            ),
            ("text", "2024-05-01 10:00:00,123 WARN: slow", "slow"),
            ("timestamped", "2024-05-01T10:00:00Z I am here", "I am here"),
            ("text", "panic: boom", "panic: boom"),
            (
                "access",
                "10.0.0.1 - - [01/May/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5",
                "10.0.0.1 - - [01/May/2024:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5",
            ),
        ];
        for (format, message, want) in cases {
            assert_eq!(shown_message(format, message, none), *want, "{message}");
        }
        // A structured entry's message field wins.
        let fields = |k: &str| (k == "msg").then_some("hello");
        assert_eq!(
            shown_message("json", r#"{"level":"info","msg":"hello"}"#, fields),
            "hello"
        );
    }

    #[test]
    fn steps_are_round_and_fit() {
        const S: i64 = 1_000_000_000;
        assert_eq!(nice_step(60 * S, 60), S);
        assert_eq!(nice_step(61 * S, 60), 2 * S);
        assert_eq!(nice_step(3600 * S, 100), 60 * S);
        assert_eq!(nice_step(24 * 3600 * S, 100), 900 * S);
        assert_eq!(nice_step(1000, 100), 10);
        assert_eq!(nice_step(1, 100), 1);
        assert_eq!(nice_step(400 * 86400 * S, 10), 60 * 86400 * S);
        for span in [1, 999, 10_000_000, 7 * S, 86_399 * S, 86_401 * S] {
            for max in [1, 7, 50, 200] {
                let s = nice_step(span, max);
                assert!((span + s - 1) / s <= max as i64, "{span} {max} {s}");
            }
        }
    }

    #[test]
    fn spread_keeps_order_and_ends() {
        let rows: Rows = (0..100).collect();
        assert_eq!(spread(&rows, 4), vec![0, 25, 50, 75]);
        assert_eq!(spread(&rows[..3], 4), vec![0, 1, 2]);
    }
}
