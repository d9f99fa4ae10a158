//! Entry filters, as stern and `kubectl logs` users know them: regexes on namespace, pod and
//! container (with excludes), levels, regexes on the message, a time range and field equality.
//!
//! A [`LogFilter`] is pushed down into ingest: instances whose metadata cannot match are not
//! read at all, and entries are dropped before any sink sees them.

use polars::prelude::{BooleanChunked, DataFrame, DataType};
use regex::Regex;
use regex::bytes::Regex as BytesRegex;

use crate::ingest::{Entry, EntryFilter, Needs};
use crate::level::Level;
use crate::sources::plan::ContainerMeta;

/// Which levels pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LevelSet(u8);

impl LevelSet {
    /// Every level.
    pub const ALL: LevelSet = LevelSet(0x7f);

    /// The set of `levels`, or `None` when there are none.
    pub fn of(levels: impl IntoIterator<Item = Level>) -> Option<LevelSet> {
        let bits = levels.into_iter().fold(0u8, |b, l| b | 1 << l as u8);
        (bits != 0).then_some(LevelSet(bits))
    }

    /// Whether `level` is in the set.
    pub fn contains(self, level: Level) -> bool {
        self.0 & (1 << level as u8) != 0
    }

    /// Parses `error`, `warn,error`, or `warn+` (warn and everything more severe).
    pub fn parse(s: &str) -> crate::Result<LevelSet> {
        let mut bits = 0u8;
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, and_above) = match part.strip_suffix('+') {
                Some(n) => (n, true),
                None => (part, false),
            };
            let level = Level::parse_cli(name).ok_or_else(|| {
                format!(
                    "unknown level {name:?}: use trace, debug, info, warn, error, fatal or unknown, \
                     a comma-separated list, or LEVEL+ for that level and above"
                )
            })?;
            for l in Level::ALL {
                if l == level || (and_above && l > level) {
                    bits |= 1 << l as u8;
                }
            }
        }
        if bits == 0 {
            return Err("empty level list".into());
        }
        Ok(LevelSet(bits))
    }
}

/// A field condition: `key=value` (exact) or `key~regex`.
#[derive(Clone, Debug)]
pub enum FieldMatch {
    /// The field equals this value.
    Equals(String, String),
    /// The field matches this regex.
    Matches(String, Regex),
}

impl FieldMatch {
    /// Parses `key=value` or `key~regex`.
    pub fn parse(s: &str) -> crate::Result<FieldMatch> {
        let eq = s.find('=');
        let re = s.find('~');
        match (eq, re) {
            (Some(i), r) if r.is_none_or(|r| i < r) && i > 0 => Ok(FieldMatch::Equals(
                s[..i].to_string(),
                s[i + 1..].to_string(),
            )),
            (_, Some(i)) if i > 0 => Regex::new(&s[i + 1..])
                .map(|r| FieldMatch::Matches(s[..i].to_string(), r))
                .map_err(|e| format!("invalid regex in --field {s:?}: {e}").into()),
            _ => Err(format!("invalid --field {s:?}: expected key=value or key~regex").into()),
        }
    }

    fn matches(&self, fields: &crate::formats::FieldBuf) -> bool {
        match self {
            FieldMatch::Equals(k, v) => fields.iter().any(|(fk, fv)| fk == k && fv == v),
            FieldMatch::Matches(k, r) => fields.iter().any(|(fk, fv)| fk == k && r.is_match(fv)),
        }
    }
}

/// The filters of `podsift logs`, `stats` and `sql`. Empty parts match everything.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    /// Namespace must match one of these.
    pub namespace: Vec<Regex>,
    /// Pod must match one of these.
    pub pod: Vec<Regex>,
    /// Container must match one of these.
    pub container: Vec<Regex>,
    /// Pod must match none of these.
    pub exclude_pod: Vec<Regex>,
    /// Container must match none of these.
    pub exclude_container: Vec<Regex>,
    /// Node must match one of these.
    pub node: Vec<Regex>,
    /// Levels that pass (`None`: all).
    pub levels: Option<LevelSet>,
    /// The message must match one of these.
    pub include: Vec<BytesRegex>,
    /// The message must match none of these.
    pub exclude: Vec<BytesRegex>,
    /// Entries at or after this time (ns) pass.
    pub since_nanos: Option<i64>,
    /// Entries at or before this time (ns) pass.
    pub until_nanos: Option<i64>,
    /// Every one of these must hold.
    pub fields: Vec<FieldMatch>,
}

fn any_match(res: &[Regex], value: &Option<String>) -> bool {
    let v = value.as_deref().unwrap_or("");
    res.iter().any(|r| r.is_match(v))
}

impl LogFilter {
    /// Whether the filter lets everything through.
    pub fn is_empty(&self) -> bool {
        self.namespace.is_empty()
            && self.pod.is_empty()
            && self.container.is_empty()
            && self.exclude_pod.is_empty()
            && self.exclude_container.is_empty()
            && self.node.is_empty()
            && self.levels.is_none()
            && self.include.is_empty()
            && self.exclude.is_empty()
            && self.since_nanos.is_none()
            && self.until_nanos.is_none()
            && self.fields.is_empty()
    }
}

impl LogFilter {
    fn pod_parts_match(
        &self,
        ns: Option<&str>,
        pod: Option<&str>,
        container: Option<&str>,
    ) -> bool {
        let any = |res: &[Regex], v: Option<&str>| {
            let v = v.unwrap_or("");
            res.iter().any(|r| r.is_match(v))
        };
        (self.namespace.is_empty() || any(&self.namespace, ns))
            && (self.pod.is_empty() || any(&self.pod, pod))
            && (self.container.is_empty() || any(&self.container, container))
            && !any(&self.exclude_pod, pod)
            && !any(&self.exclude_container, container)
    }
}

/// The columns of a table beside `logs` (`pods`, `events`, `audit`) that a [`LogFilter`] looks
/// at: those a table lacks are not asked about.
#[derive(Clone, Copy, Debug, Default)]
pub struct TableColumns {
    /// The namespace.
    pub namespace: Option<&'static str>,
    /// The pod's name.
    pub pod: Option<&'static str>,
    /// When set, the `pod` column names a pod only in rows whose column (the first) holds the
    /// value (the second): an Event's object, an audit request's resource.
    pub pod_when: Option<(&'static str, &'static str)>,
    /// The container.
    pub container: Option<&'static str>,
    /// The node.
    pub node: Option<&'static str>,
    /// The row's time span: its first and last time (the same column for one time).
    pub time: Option<(&'static str, &'static str)>,
}

impl TableColumns {
    /// `pods`: one row per container.
    pub const PODS: TableColumns = TableColumns {
        namespace: Some(crate::schema::pods::NAMESPACE),
        pod: Some(crate::schema::pods::POD),
        pod_when: None,
        container: Some(crate::schema::pods::CONTAINER),
        node: Some(crate::schema::pods::NODE),
        time: None,
    };
    /// `events`: a pod's when its object is a Pod; from its first to its last time.
    pub const EVENTS: TableColumns = TableColumns {
        namespace: Some(crate::schema::events::NAMESPACE),
        pod: Some(crate::schema::events::OBJECT_NAME),
        pod_when: Some((crate::schema::events::OBJECT_KIND, "Pod")),
        container: None,
        node: None,
        time: Some((
            crate::schema::events::FIRST_TS,
            crate::schema::events::LAST_TS,
        )),
    };
    /// `nodes` and `node_conditions`: by node.
    pub const NODES: TableColumns = TableColumns {
        namespace: None,
        pod: None,
        pod_when: None,
        container: None,
        node: Some(crate::schema::nodes::NODE),
        time: None,
    };
    /// `audit`: a pod's when the request's resource is `pods`.
    pub const AUDIT: TableColumns = TableColumns {
        namespace: Some(crate::schema::audit::NAMESPACE),
        pod: Some(crate::schema::audit::NAME),
        pod_when: Some((crate::schema::audit::RESOURCE, "pods")),
        container: None,
        node: None,
        time: Some((crate::schema::audit::TS, crate::schema::audit::TS)),
    };
}

impl LogFilter {
    /// Whether the filter says anything a table beside `logs` can answer: namespace, pod,
    /// container, node or time.
    pub fn applies_to_tables(&self) -> bool {
        !(self.namespace.is_empty()
            && self.pod.is_empty()
            && self.container.is_empty()
            && self.exclude_pod.is_empty()
            && self.exclude_container.is_empty()
            && self.node.is_empty()
            && self.since_nanos.is_none()
            && self.until_nanos.is_none())
    }

    /// The rows of `df` (a table beside `logs`) the filter keeps: namespace, pod, container
    /// and node as for log entries (a column the table lacks is not asked about; a row not
    /// about a pod has none), and a row whose time span overlaps `--since`/`--until` (a row
    /// without a time is kept only without them). Levels, message and field filters are the
    /// log entries' own.
    pub fn filter_table(&self, df: &DataFrame, columns: &TableColumns) -> crate::Result<DataFrame> {
        if df.height() == 0 || !self.applies_to_tables() {
            return Ok(df.clone());
        }
        let text = |name: Option<&str>| -> crate::Result<Option<Vec<Option<String>>>> {
            let Some(name) = name else { return Ok(None) };
            let c = df.column(name)?.cast(&DataType::String)?;
            Ok(Some(
                c.str()?
                    .into_iter()
                    .map(|v| v.map(str::to_string))
                    .collect(),
            ))
        };
        let times = |name: &str| -> crate::Result<Vec<Option<i64>>> {
            let c = df.column(name)?.cast(&DataType::Int64)?;
            Ok(c.i64()?.into_iter().collect())
        };
        let ns = text(columns.namespace)?;
        let mut pod = text(columns.pod)?;
        if let (Some(pod), Some((kind_col, kind))) = (&mut pod, columns.pod_when) {
            for (p, k) in pod
                .iter_mut()
                .zip(text(Some(kind_col))?.unwrap_or_default())
            {
                if k.as_deref() != Some(kind) {
                    *p = None;
                }
            }
        }
        let container = text(columns.container)?;
        let node = text(columns.node)?;
        let span = match columns.time {
            Some((first, last)) => Some((times(first)?, times(last)?)),
            None => None,
        };
        let get = |v: &Option<Vec<Option<String>>>, i: usize| -> Option<String> {
            v.as_ref().and_then(|v| v[i].clone())
        };
        let keep: BooleanChunked = (0..df.height())
            .map(|i| {
                let ns_ok = ns.is_none()
                    || self.namespace.is_empty()
                    || any_match(&self.namespace, &get(&ns, i));
                let pod_ok = pod.is_none()
                    || ((self.pod.is_empty() || any_match(&self.pod, &get(&pod, i)))
                        && !any_match(&self.exclude_pod, &get(&pod, i)));
                let container_ok = container.is_none()
                    || ((self.container.is_empty()
                        || any_match(&self.container, &get(&container, i)))
                        && !any_match(&self.exclude_container, &get(&container, i)));
                let node_ok =
                    node.is_none() || self.node.is_empty() || any_match(&self.node, &get(&node, i));
                let time_ok = match &span {
                    _ if self.since_nanos.is_none() && self.until_nanos.is_none() => true,
                    None => true,
                    Some((first, last)) => match (first[i].or(last[i]), last[i].or(first[i])) {
                        (Some(a), Some(b)) => {
                            self.since_nanos.is_none_or(|s| b >= s)
                                && self.until_nanos.is_none_or(|u| a <= u)
                        }
                        _ => false,
                    },
                };
                Some(ns_ok && pod_ok && container_ok && node_ok && time_ok)
            })
            .collect();
        Ok(df.filter(&keep)?)
    }
}

impl EntryFilter for LogFilter {
    fn needs(&self) -> Needs {
        Needs {
            payload: self.levels.is_some() || !self.fields.is_empty(),
            app_ts: false,
            fields: !self.fields.is_empty(),
            accounting: false,
        }
    }

    fn instance(&self, m: &ContainerMeta) -> bool {
        if self.node.is_empty() || any_match(&self.node, &m.node) {
            // A log outside pods/ may name the pod of each entry (`kubectl logs --prefix`):
            // its entries are checked one by one.
            m.pod.is_none()
                || self.pod_parts_match(
                    m.namespace.as_deref(),
                    m.pod.as_deref(),
                    m.container.as_deref(),
                )
        } else {
            false
        }
    }

    fn entry(&self, meta: &ContainerMeta, e: &Entry<'_>) -> bool {
        if meta.pod.is_none()
            && !self.pod_parts_match(e.namespace(meta), e.pod(meta), e.container(meta))
        {
            return false;
        }
        if let Some(levels) = self.levels
            && !levels.contains(e.level)
        {
            return false;
        }
        if self.since_nanos.is_some() || self.until_nanos.is_some() {
            let Some(ts) = e.ts_nanos else { return false };
            if self.since_nanos.is_some_and(|s| ts < s) || self.until_nanos.is_some_and(|u| ts > u)
            {
                return false;
            }
        }
        if !self.include.is_empty() && !self.include.iter().any(|r| r.is_match(e.message)) {
            return false;
        }
        if self.exclude.iter().any(|r| r.is_match(e.message)) {
            return false;
        }
        self.fields.iter().all(|f| f.matches(e.fields))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_sets() {
        let s = LevelSet::parse("warn+").unwrap();
        assert!(s.contains(Level::Warn) && s.contains(Level::Fatal) && !s.contains(Level::Info));
        let s = LevelSet::parse("info, error").unwrap();
        assert!(s.contains(Level::Info) && s.contains(Level::Error) && !s.contains(Level::Warn));
        assert!(LevelSet::parse("loud").is_err());
        assert!(LevelSet::parse("").is_err());
    }

    #[test]
    fn field_matches() {
        assert!(
            matches!(FieldMatch::parse("user=bob").unwrap(), FieldMatch::Equals(k, v) if k == "user" && v == "bob")
        );
        assert!(
            matches!(FieldMatch::parse("url=/a?b~c").unwrap(), FieldMatch::Equals(k, v) if k == "url" && v == "/a?b~c")
        );
        assert!(
            matches!(FieldMatch::parse("code~^5").unwrap(), FieldMatch::Matches(k, _) if k == "code")
        );
        assert!(FieldMatch::parse("=x").is_err());
        assert!(FieldMatch::parse("nothing").is_err());
        assert!(FieldMatch::parse("a~(").is_err());
    }

    #[test]
    fn instance_filters() {
        let meta = ContainerMeta {
            namespace: Some("kube-system".into()),
            pod: Some("coredns-abc".into()),
            container: Some("coredns".into()),
            ..ContainerMeta::default()
        };
        let mut f = LogFilter {
            pod: vec![Regex::new("^coredns").unwrap()],
            ..LogFilter::default()
        };
        assert!(f.instance(&meta));
        f.exclude_container = vec![Regex::new("dns").unwrap()];
        assert!(!f.instance(&meta));
        let f = LogFilter {
            namespace: vec![Regex::new("^default$").unwrap()],
            ..LogFilter::default()
        };
        assert!(!f.instance(&meta));
        assert!(LogFilter::default().is_empty());
    }
}
