//! `podsift stats`: entries and message bytes grouped by any columns, optionally per time bucket,
//! computed while reading so that memory holds counts, never messages.
//!
//! Each instance's sink keeps a small map from an encoded key (the entry-level parts of the
//! group: level, stream, format, field values, bucket) to counts; the instance-level parts
//! (node, namespace, pod, ...) are constant per sink. [`stats_frame`] decodes every sink's map
//! into rows and merges equal keys across instances with a polars group-by.

use std::collections::HashMap;
use std::sync::Arc;

use polars::prelude::*;

use crate::formats::{EntryFormat, Stream};
use crate::ingest::{Entry, EntrySink, Needs};
use crate::level::Level;
use crate::schema::{self, logs as col};
use crate::sources::FileSet;
use crate::sources::plan::ContainerMeta;

/// A column `stats` can group by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupKey {
    /// Node.
    Node,
    /// Namespace.
    Namespace,
    /// Pod.
    Pod,
    /// Pod UID.
    PodUid,
    /// Container.
    Container,
    /// Component (logs outside `pods/`).
    Component,
    /// Restart count.
    Restart,
    /// stdout/stderr.
    Stream,
    /// Normalized level.
    Level,
    /// Level as written.
    LevelRaw,
    /// Payload format.
    Format,
    /// Source file.
    Source,
    /// Partial flag.
    Partial,
    /// The value of a structured field (`field.NAME`).
    Field(String),
}

impl GroupKey {
    /// Parses a `--by` name: a `logs` column or `field.NAME`.
    pub fn parse(name: &str) -> crate::Result<GroupKey> {
        Ok(match name.trim() {
            col::NODE => GroupKey::Node,
            col::NAMESPACE | "ns" => GroupKey::Namespace,
            col::POD => GroupKey::Pod,
            col::POD_UID => GroupKey::PodUid,
            col::CONTAINER => GroupKey::Container,
            col::COMPONENT => GroupKey::Component,
            col::RESTART => GroupKey::Restart,
            col::STREAM => GroupKey::Stream,
            col::LEVEL => GroupKey::Level,
            col::LEVEL_RAW => GroupKey::LevelRaw,
            col::FORMAT => GroupKey::Format,
            col::SOURCE => GroupKey::Source,
            col::PARTIAL => GroupKey::Partial,
            other => match other
                .strip_prefix("field.")
                .or_else(|| other.strip_prefix("fields."))
            {
                Some(f) if !f.is_empty() => GroupKey::Field(f.to_string()),
                _ => {
                    return Err(format!(
                        "cannot group by {other:?}: use node, namespace, pod, pod_uid, container, component, \
                         restart, stream, level, level_raw, format, source, partial or field.NAME"
                    ).into());
                }
            },
        })
    }

    /// The output column's name.
    pub(crate) fn column_name(&self) -> String {
        match self {
            GroupKey::Node => col::NODE.into(),
            GroupKey::Namespace => col::NAMESPACE.into(),
            GroupKey::Pod => col::POD.into(),
            GroupKey::PodUid => col::POD_UID.into(),
            GroupKey::Container => col::CONTAINER.into(),
            GroupKey::Component => col::COMPONENT.into(),
            GroupKey::Restart => col::RESTART.into(),
            GroupKey::Stream => col::STREAM.into(),
            GroupKey::Level => col::LEVEL.into(),
            GroupKey::LevelRaw => col::LEVEL_RAW.into(),
            GroupKey::Format => col::FORMAT.into(),
            GroupKey::Source => col::SOURCE.into(),
            GroupKey::Partial => col::PARTIAL.into(),
            GroupKey::Field(f) => format!("field.{f}"),
        }
    }

    fn per_instance(&self) -> bool {
        matches!(
            self,
            GroupKey::Node
                | GroupKey::Namespace
                | GroupKey::Pod
                | GroupKey::PodUid
                | GroupKey::Container
                | GroupKey::Component
                | GroupKey::Restart
        )
    }
}

/// What to count by.
#[derive(Clone, Debug, Default)]
pub struct StatsSpec {
    /// Group columns, in output order.
    pub by: Vec<GroupKey>,
    /// Bucket width in nanoseconds (`--every`).
    pub every_nanos: Option<i64>,
}

/// Name of the time bucket column.
pub(crate) const BUCKET: &str = "bucket";
/// Name of the entry count column.
pub(crate) const ENTRIES: &str = "entries";
/// Name of the message bytes column.
pub(crate) const BYTES: &str = "bytes";

/// A decoded key part. Ordered as output rows sort: levels and formats by their rank, text
/// with nulls last.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Value {
    Text(Option<String>),
    /// A level, format or stream: its rank and name.
    Ranked(u8, &'static str),
    Count(Option<u32>),
    Flag(bool),
}

impl Value {
    fn sort_key(&self) -> (u8, u64, &str) {
        match self {
            Value::Text(Some(s)) => (0, 0, s),
            Value::Ranked(r, s) => (0, u64::from(*r), s),
            Value::Count(Some(c)) => (0, u64::from(*c), ""),
            Value::Flag(b) => (0, u64::from(*b), ""),
            Value::Text(None) | Value::Count(None) => (1, 0, ""),
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => t.as_deref(),
            Value::Ranked(_, s) => Some(s),
            _ => None,
        }
    }
}

/// Counts entries of one instance by key.
#[derive(Debug)]
pub struct StatsSink {
    spec: Arc<StatsSpec>,
    /// Instance-level key parts, `None` at entry-level positions.
    prefix: Vec<Option<Value>>,
    /// The instance's files and their paths (for `source`).
    sources: Vec<(usize, String)>,
    /// Keys and their (entries, bytes), in first-seen order.
    slots: Vec<(Vec<u8>, [u64; 2])>,
    index: foldhash::HashMap<Vec<u8>, usize>,
    /// The slot of the last entry: consecutive entries mostly share their key.
    last: Option<usize>,
    scratch: Vec<u8>,
    /// When every entry-level key is a small enum and there are no time buckets (the usual
    /// `--by namespace,pod,level`): the radix of each, and counts indexed by their combination.
    small_radix: Option<Vec<u8>>,
    small_counts: Vec<[u64; 2]>,
    /// Rows of earlier instances, when a sink is reused.
    done: Vec<(Vec<Value>, Option<i64>, [u64; 2])>,
    /// Grouped by namespace, pod, container or component, which entries may give themselves.
    overridable: bool,
    /// Counts of entries that did.
    own_meta: HashMap<(Vec<Value>, Option<i64>), [u64; 2]>,
}

/// Format ids fit a byte: the families and at most [`crate::formats::defined::MAX_DEFINED`]
/// definitions.
fn format_radix() -> u8 {
    (usize::from(EntryFormat::FIRST_DEFINED) + crate::formats::defined::all().len()).min(255) as u8
}

/// How many values a small enum key takes, encoded as in [`StatsSink::entry`]'s byte keys.
fn small_radix(key: &GroupKey) -> Option<u8> {
    match key {
        GroupKey::Stream => Some(3),
        GroupKey::Level => Some(Level::ALL.len() as u8),
        GroupKey::Format => Some(format_radix()),
        GroupKey::Partial => Some(2),
        _ => None,
    }
}

impl StatsSink {
    /// A sink counting by `spec`.
    pub fn new(spec: Arc<StatsSpec>) -> Self {
        let small_radix: Option<Vec<u8>> = if spec.every_nanos.is_none() {
            spec.by
                .iter()
                .filter(|k| !k.per_instance())
                .map(small_radix)
                .collect()
        } else {
            None
        };
        let small_len = small_radix.as_ref().map_or(0, |r| {
            r.iter().map(|&x| usize::from(x)).product::<usize>() * 2
        });
        StatsSink {
            small_radix,
            small_counts: vec![[0, 0]; small_len],
            prefix: Vec::new(),
            sources: Vec::new(),
            slots: Vec::new(),
            index: foldhash::HashMap::default(),
            last: None,
            scratch: Vec::new(),
            done: Vec::new(),
            overridable: spec.by.iter().any(|k| {
                matches!(
                    k,
                    GroupKey::Node
                        | GroupKey::Namespace
                        | GroupKey::Pod
                        | GroupKey::Container
                        | GroupKey::Component
                )
            }),
            own_meta: HashMap::new(),
            spec,
        }
    }

    fn flush(&mut self) {
        // Small counters go through the byte keys of the general path, to be decoded alike.
        if let Some(radix) = self.small_radix.clone() {
            for idx in 0..self.small_counts.len() {
                let c = std::mem::take(&mut self.small_counts[idx]);
                if c[0] == 0 {
                    continue;
                }
                let mut rest = idx / 2;
                let mut key = vec![0u8; radix.len()];
                for (slot, &r) in key.iter_mut().zip(&radix).rev() {
                    *slot = (rest % usize::from(r)) as u8;
                    rest /= usize::from(r);
                }
                let bucket: i64 = if idx % 2 == 1 { i64::MIN } else { 0 };
                key.extend_from_slice(&bucket.to_le_bytes());
                self.slots.push((key, c));
            }
        }
        for ((values, bucket), c) in std::mem::take(&mut self.own_meta) {
            self.done.push((values, bucket, c));
        }
        self.index.clear();
        self.last = None;
        let slots = std::mem::take(&mut self.slots);
        for (key, c) in slots {
            let (values, bucket) = self.decode(&key);
            self.done.push((values, bucket, c));
        }
    }

    fn decode(&self, key: &[u8]) -> (Vec<Value>, Option<i64>) {
        let mut at = 0;
        let mut take = |n: usize| {
            let s = &key[at..at + n];
            at += n;
            s
        };
        let mut values = Vec::with_capacity(self.spec.by.len());
        for (k, pre) in self.spec.by.iter().zip(&self.prefix) {
            if let Some(v) = pre {
                values.push(v.clone());
                continue;
            }
            values.push(match k {
                GroupKey::Stream => match take(1)[0] {
                    0 => Value::Ranked(0, Stream::Stdout.as_str()),
                    1 => Value::Ranked(1, Stream::Stderr.as_str()),
                    _ => Value::Text(None),
                },
                GroupKey::Level => {
                    let l = Level::ALL[take(1)[0] as usize];
                    Value::Ranked(l as u8, l.as_str())
                }
                GroupKey::Format => {
                    let f = EntryFormat(u16::from(take(1)[0]));
                    Value::Ranked(f.0 as u8, f.as_str())
                }
                GroupKey::Partial => Value::Flag(take(1)[0] == 1),
                GroupKey::Source => {
                    let file = u32::from_le_bytes(take(4).try_into().expect("4 bytes")) as usize;
                    Value::Text(
                        self.sources
                            .iter()
                            .find(|(f, _)| *f == file)
                            .map(|(_, p)| p.clone()),
                    )
                }
                GroupKey::LevelRaw | GroupKey::Field(_) => {
                    let len = u32::from_le_bytes(take(4).try_into().expect("4 bytes"));
                    if len == u32::MAX {
                        Value::Text(None)
                    } else {
                        Value::Text(Some(
                            String::from_utf8_lossy(take(len as usize)).into_owned(),
                        ))
                    }
                }
                _ => unreachable!("instance-level keys are in the prefix"),
            });
        }
        let b = i64::from_le_bytes(take(8).try_into().expect("8 bytes"));
        (values, (b != i64::MIN).then_some(b))
    }
}

fn push_text(key: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => {
            key.extend_from_slice(&(s.len() as u32).to_le_bytes());
            key.extend_from_slice(s.as_bytes());
        }
        None => key.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
}

/// Byte equality for short keys, eight bytes at a time (a `memcmp` call costs more here).
#[inline]
fn short_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().expect("8 bytes"));
    for (x, y) in (&mut ca).zip(&mut cb) {
        if word(x) != word(y) {
            return false;
        }
    }
    ca.remainder()
        .iter()
        .zip(cb.remainder())
        .all(|(x, y)| x == y)
}

impl EntrySink for StatsSink {
    fn needs(&self) -> Needs {
        let by = &self.spec.by;
        Needs {
            app_ts: false,
            payload: by
                .iter()
                .any(|k| matches!(k, GroupKey::Level | GroupKey::LevelRaw | GroupKey::Format)),
            fields: by.iter().any(|k| matches!(k, GroupKey::Field(_))),
            accounting: false,
        }
    }

    fn begin_instance(
        &mut self,
        _instance: usize,
        meta: &ContainerMeta,
        set: &FileSet,
        files: &[usize],
    ) {
        self.flush();
        self.prefix = self
            .spec
            .by
            .iter()
            .map(|k| {
                Some(match k {
                    GroupKey::Node => Value::Text(meta.node.clone()),
                    GroupKey::Namespace => Value::Text(meta.namespace.clone()),
                    GroupKey::Pod => Value::Text(meta.pod.clone()),
                    GroupKey::PodUid => Value::Text(meta.pod_uid.clone()),
                    GroupKey::Container => Value::Text(meta.container.clone()),
                    GroupKey::Component => Value::Text(meta.component.clone()),
                    GroupKey::Restart => Value::Count(meta.restart),
                    _ => return None,
                })
            })
            .collect();
        if self.spec.by.contains(&GroupKey::Source) {
            self.sources = files
                .iter()
                .map(|&f| (f, set.entries()[f].path.clone()))
                .collect();
        }
    }

    fn entry(&mut self, e: &Entry<'_>) {
        if let Some(m) = e.meta
            && self.overridable
        {
            self.entry_with_own_meta(e, m);
            return;
        }
        if let Some(radix) = &self.small_radix {
            let mut idx = 0usize;
            let mut r = radix.iter();
            for k in self.spec.by.iter().filter(|k| !k.per_instance()) {
                let v = match k {
                    GroupKey::Stream => e.stream.map_or(2, |s| s as usize),
                    GroupKey::Level => e.level as usize,
                    GroupKey::Format => usize::from(e.format.0),
                    _ => usize::from(e.partial),
                };
                idx = idx * usize::from(*r.next().expect("a radix per key")) + v;
            }
            // Timed or not, one group (there are no time buckets on this path).
            let c = &mut self.small_counts[idx * 2];
            c[0] += 1;
            c[1] += e.message.len() as u64;
            return;
        }
        self.build_key(e);
        let key = &self.scratch;
        let bytes = e.message.len() as u64;
        let slot = match self.last {
            Some(i) if short_eq(&self.slots[i].0, key) => i,
            _ => match self.index.get(key.as_slice()) {
                Some(&i) => i,
                None => {
                    self.slots.push((key.clone(), [0, 0]));
                    self.index.insert(key.clone(), self.slots.len() - 1);
                    self.slots.len() - 1
                }
            },
        };
        self.last = Some(slot);
        let c = &mut self.slots[slot].1;
        c[0] += 1;
        c[1] += bytes;
    }
}

impl StatsSink {
    /// The byte key of an entry's entry-level group values and time bucket, into `scratch`.
    #[inline]
    fn build_key(&mut self, e: &Entry<'_>) {
        let key = &mut self.scratch;
        key.clear();
        for k in self.spec.by.iter().filter(|k| !k.per_instance()) {
            match k {
                GroupKey::Stream => key.push(e.stream.map_or(2, |s| s as u8)),
                GroupKey::Level => key.push(e.level as u8),
                GroupKey::Format => key.push(e.format.0 as u8),
                GroupKey::Partial => key.push(u8::from(e.partial)),
                GroupKey::Source => key.extend_from_slice(&(e.file as u32).to_le_bytes()),
                GroupKey::LevelRaw => {
                    push_text(key, (!e.level_raw.is_empty()).then_some(e.level_raw));
                }
                GroupKey::Field(f) => push_text(key, e.fields.get(f)),
                _ => {}
            }
        }
        // Without `--every` every entry is in the one bucket, timed or not (one row per group).
        let bucket = match (self.spec.every_nanos, e.ts_nanos) {
            (Some(every), Some(ts)) => ts.div_euclid(every) * every,
            (Some(_), None) => i64::MIN,
            (None, _) => 0,
        };
        key.extend_from_slice(&bucket.to_le_bytes());
    }

    /// An entry that names its own namespace, pod, container or component (journald units,
    /// syslog programs, `kubectl logs --prefix`), grouped by one of those: the slow path.
    fn entry_with_own_meta(&mut self, e: &Entry<'_>, m: &crate::formats::defined::EntryMeta) {
        self.build_key(e);
        let key = self.scratch.clone();
        let (mut values, bucket) = self.decode(&key);
        for (v, k) in values.iter_mut().zip(&self.spec.by) {
            let own = match k {
                GroupKey::Node => &m.node,
                GroupKey::Namespace => &m.namespace,
                GroupKey::Pod => &m.pod,
                GroupKey::Container => &m.container,
                GroupKey::Component => &m.component,
                _ => continue,
            };
            if !own.is_empty() {
                *v = Value::Text(Some(own.clone()));
            }
        }
        let c = self.own_meta.entry((values, bucket)).or_default();
        c[0] += 1;
        c[1] += e.message.len() as u64;
    }
}

/// Merges the sinks into the stats frame: the group columns (and `bucket` first with `--every`),
/// then `entries` and `bytes`. Without `--every`, rows come most entries first; with it, in time
/// order. Ties are broken by the group columns (levels by severity), so output is deterministic.
pub fn stats_frame(spec: &StatsSpec, sinks: Vec<StatsSink>) -> crate::Result<DataFrame> {
    let mut merged: HashMap<(Vec<Value>, Option<i64>), [u64; 2]> = HashMap::new();
    for mut s in sinks {
        s.flush();
        for (values, bucket, c) in s.done {
            let m = merged.entry((values, bucket)).or_default();
            m[0] += c[0];
            m[1] += c[1];
        }
    }
    type Row = ((Vec<Value>, Option<i64>), [u64; 2]);
    let mut rows: Vec<Row> = merged.into_iter().collect();
    let by_keys = |a: &Vec<Value>, b: &Vec<Value>| {
        a.iter()
            .map(Value::sort_key)
            .cmp(b.iter().map(Value::sort_key))
    };
    if spec.every_nanos.is_some() {
        rows.sort_by(|((ka, ba), _), ((kb, bb), _)| {
            (ba.is_none(), ba)
                .cmp(&(bb.is_none(), bb))
                .then_with(|| by_keys(ka, kb))
        });
    } else {
        rows.sort_by(|((ka, _), ca), ((kb, _), cb)| {
            cb[0].cmp(&ca[0]).then_with(|| by_keys(ka, kb))
        });
    }

    let mut columns = Vec::with_capacity(spec.by.len() + 3);
    if spec.every_nanos.is_some() {
        columns.push(
            Int64Chunked::from_iter_options(BUCKET.into(), rows.iter().map(|((_, b), _)| *b))
                .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
                .into_series()
                .into_column(),
        );
    }
    for (i, key) in spec.by.iter().enumerate() {
        let name = PlSmallStr::from(key.column_name());
        let column = match key {
            GroupKey::Restart => Column::new(
                name,
                rows.iter()
                    .map(|((v, _), _)| match &v[i] {
                        Value::Count(c) => *c,
                        _ => None,
                    })
                    .collect::<Vec<Option<u32>>>(),
            ),
            GroupKey::Partial => Column::new(
                name,
                rows.iter()
                    .map(|((v, _), _)| matches!(v[i], Value::Flag(true)))
                    .collect::<Vec<bool>>(),
            ),
            GroupKey::Level | GroupKey::Format => {
                let text: Vec<Option<&str>> = rows.iter().map(|((v, _), _)| v[i].text()).collect();
                let dtype = if *key == GroupKey::Level {
                    schema::level_dtype()
                } else {
                    schema::categorical_dtype()
                };
                Column::new(name, text).cast(&dtype)?
            }
            _ => Column::new(
                name,
                rows.iter()
                    .map(|((v, _), _)| v[i].text())
                    .collect::<Vec<Option<&str>>>(),
            ),
        };
        columns.push(column);
    }
    columns.push(Column::new(
        ENTRIES.into(),
        rows.iter().map(|(_, c)| c[0]).collect::<Vec<u64>>(),
    ));
    columns.push(Column::new(
        BYTES.into(),
        rows.iter().map(|(_, c)| c[1]).collect::<Vec<u64>>(),
    ));
    Ok(DataFrame::new_with_height(rows.len(), columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_keys() {
        assert_eq!(GroupKey::parse("ns").unwrap(), GroupKey::Namespace);
        assert_eq!(
            GroupKey::parse("field.user").unwrap(),
            GroupKey::Field("user".into())
        );
        assert_eq!(GroupKey::parse("level").unwrap().column_name(), "level");
        assert!(GroupKey::parse("bogus").is_err());
        assert!(GroupKey::parse("field.").is_err());
    }
}
