//! What the metrics view computes over a [`MetricsStore`], for the desktop app and the browser
//! viewer alike: the series a search and label filters pick, a series' points within a time
//! range (counters as per-second rates, thinned to what a chart can show without losing a
//! spike), every series' value at one time (the hover tooltip), and units read from metric
//! names (`_bytes`, `_seconds`).
//!
//! Times here are milliseconds since the epoch, as the samples store them; chart points are
//! `[seconds, value]`, as a plot's x axis wants them.

use std::collections::BTreeMap;

use crate::metrics::MetricType;
use crate::metrics::selector::Selector;
use crate::table::metrics::MetricsStore;

/// How long a sample stays the current value for a hover (Prometheus' lookback delta).
pub(crate) const LOOKBACK_MS: i64 = 5 * 60 * 1000;

/// What a series' values measure, read from its name (or its family's `# UNIT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `_bytes`.
    Bytes,
    /// `_seconds`.
    Seconds,
    /// `_milliseconds`, `_ms`.
    Milliseconds,
    /// `_ratio`: 0 to 1, shown as a percentage.
    Ratio,
    /// `_percent`.
    Percent,
    /// `_celsius`.
    Celsius,
    /// `_hertz`.
    Hertz,
    /// `_volts`.
    Volts,
    /// `_joules`.
    Joules,
    /// `_watts`.
    Watts,
    /// `_meters`.
    Meters,
    /// Anything else: a count or a plain number.
    None,
}

impl Unit {
    /// The unit a metric's name ends with, before `_total`, `_sum`, `_count`, `_bucket` and
    /// `_created`; else the family's declared unit; else none. `_count` and `_bucket` are
    /// counts of observations whatever the name says.
    pub fn of(name: &str, declared: Option<&str>) -> Unit {
        if name.ends_with("_count") || name.ends_with("_bucket") {
            return Unit::None;
        }
        let base = ["_total", "_sum", "_created"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        let from = |word: &str| match word {
            "bytes" => Some(Unit::Bytes),
            "seconds" => Some(Unit::Seconds),
            "milliseconds" | "ms" => Some(Unit::Milliseconds),
            "ratio" => Some(Unit::Ratio),
            "percent" => Some(Unit::Percent),
            "celsius" => Some(Unit::Celsius),
            "hertz" => Some(Unit::Hertz),
            "volts" => Some(Unit::Volts),
            "joules" => Some(Unit::Joules),
            "watts" => Some(Unit::Watts),
            "meters" => Some(Unit::Meters),
            _ => None,
        };
        base.rsplit('_')
            .next()
            .and_then(from)
            .or_else(|| declared.and_then(from))
            .unwrap_or(Unit::None)
    }

    /// A value in this unit, short and readable: `1.5 MiB`, `250 ms`, `12.5%`, `3.2k`;
    /// `per_second` adds `/s` (a counter's rate).
    pub fn format(self, v: f64, per_second: bool) -> String {
        let rate = if per_second { "/s" } else { "" };
        if v.is_nan() {
            return "NaN".into();
        }
        if v.is_infinite() {
            return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
        }
        match self {
            Unit::Bytes => format!("{}{rate}", binary(v, "B")),
            Unit::Seconds => format!("{}{rate}", duration(v)),
            Unit::Milliseconds => format!("{}{rate}", duration(v / 1000.0)),
            Unit::Ratio => format!("{}%{rate}", sig(v * 100.0)),
            Unit::Percent => format!("{}%{rate}", sig(v)),
            Unit::Celsius => format!("{} °C{rate}", sig(v)),
            Unit::Hertz => format!("{}{rate}", si(v, "Hz")),
            Unit::Volts => format!("{}{rate}", si(v, "V")),
            Unit::Joules => format!("{}{rate}", si(v, "J")),
            Unit::Watts => format!("{}{rate}", si(v, "W")),
            Unit::Meters => format!("{}{rate}", si(v, "m")),
            Unit::None => format!("{}{rate}", si(v, "")),
        }
    }
}

/// Three significant digits, without trailing zeros.
fn sig(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 9) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn binary(v: f64, unit: &str) -> String {
    const PREFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let mut x = v.abs();
    let mut k = 0;
    while x >= 1024.0 && k + 1 < PREFIXES.len() {
        x /= 1024.0;
        k += 1;
    }
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}{} {}{unit}", sig(x), PREFIXES[k])
}

fn si(v: f64, unit: &str) -> String {
    let x = v.abs();
    let (scaled, prefix) = if x >= 1e12 {
        (v / 1e12, "T")
    } else if x >= 1e9 {
        (v / 1e9, "G")
    } else if x >= 1e6 {
        (v / 1e6, "M")
    } else if x >= 1e3 {
        (v / 1e3, "k")
    } else if x > 0.0 && x < 1e-3 && !unit.is_empty() {
        (v * 1e6, "µ")
    } else if x > 0.0 && x < 1.0 && !unit.is_empty() {
        (v * 1e3, "m")
    } else {
        (v, "")
    };
    if unit.is_empty() {
        format!("{}{prefix}", sig(scaled))
    } else {
        format!("{} {prefix}{unit}", sig(scaled))
    }
}

fn duration(secs: f64) -> String {
    let x = secs.abs();
    if x == 0.0 {
        "0 s".into()
    } else if x < 1e-6 {
        format!("{} ns", sig(secs * 1e9))
    } else if x < 1e-3 {
        format!("{} µs", sig(secs * 1e6))
    } else if x < 1.0 {
        format!("{} ms", sig(secs * 1e3))
    } else if x < 120.0 {
        format!("{} s", sig(secs))
    } else if x < 7200.0 {
        format!("{} min", sig(secs / 60.0))
    } else if x < 2.0 * 86_400.0 {
        format!("{} h", sig(secs / 3600.0))
    } else {
        format!("{} d", sig(secs / 86_400.0))
    }
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The values as stored.
    Raw,
    /// Per-second increase between samples; a drop is a counter reset (the new value is the
    /// increase since it), as Prometheus' `rate` counts it.
    Rate,
}

/// One series as the picker lists it.
#[derive(Clone, Debug)]
pub struct SeriesInfo {
    /// Index in [`MetricsStore::series`].
    pub id: u32,
    /// `name{label="value",...}`, and the target when two targets expose it.
    pub title: String,
    /// Its family's type.
    pub kind: MetricType,
    /// Whether it only goes up (counters, and histograms' and summaries' `_count`, `_sum`,
    /// `_bucket`, or an untyped `_total`): drawn as a rate by default.
    pub counter: bool,
    /// Its unit.
    pub unit: Unit,
    /// Samples.
    pub samples: usize,
}

/// The series of a store, ready for picking and charting (built once per store).
#[derive(Clone, Debug, Default)]
pub struct SeriesIndex {
    /// Per series.
    pub series: Vec<SeriesInfo>,
    /// Series `i`'s samples are `starts[i]..starts[i + 1]` of the store's sample vectors.
    starts: Vec<usize>,
    /// For series of native histograms only: their observation counts over time (what
    /// PromQL's `histogram_count` gives), charted in their place; series `i`'s are
    /// `hist_starts[i]..hist_starts[i + 1]`.
    hist_ts: Vec<i64>,
    hist_count: Vec<f64>,
    hist_starts: Vec<usize>,
}

impl SeriesIndex {
    /// Indexes `store` (whose samples are in (series, time) order, as it keeps them).
    pub fn new(store: &MetricsStore) -> SeriesIndex {
        let mut starts = vec![0usize; store.series.len() + 1];
        for &s in &store.sample_series {
            starts[s as usize + 1] += 1;
        }
        for i in 0..store.series.len() {
            starts[i + 1] += starts[i];
        }
        // Series with native histograms and no float samples: their counts, in (series, time)
        // order as the store keeps its histograms.
        let mut hist_starts = vec![0usize; store.series.len() + 1];
        let mut hist_ts = Vec::new();
        let mut hist_count = Vec::new();
        for (s, t, h) in &store.histograms {
            let i = *s as usize;
            if starts[i + 1] == starts[i] {
                hist_starts[i + 1] += 1;
                hist_ts.push(*t);
                hist_count.push(h.count);
            }
        }
        for i in 0..store.series.len() {
            hist_starts[i + 1] += hist_starts[i];
        }
        type NameAndLabels<'a> = (&'a str, &'a [(String, String)]);
        let mut names: BTreeMap<NameAndLabels<'_>, usize> = BTreeMap::new();
        for s in &store.series {
            *names.entry((&s.name, &s.labels)).or_default() += 1;
        }
        let series = store
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let family = store.families.get(s.family as usize);
                let kind = family.map_or(MetricType::Unknown, |f| f.kind);
                let mut title = s.name.clone();
                if !s.labels.is_empty() {
                    title.push('{');
                    for (k, (name, value)) in s.labels.iter().enumerate() {
                        if k > 0 {
                            title.push(',');
                        }
                        title.push_str(name);
                        title.push_str("=\"");
                        title.push_str(value);
                        title.push('"');
                    }
                    title.push('}');
                }
                if names[&(s.name.as_str(), s.labels.as_slice())] > 1 {
                    title.push_str(" @ ");
                    title.push_str(&s.target);
                }
                let monotonic_part = ["_count", "_sum", "_bucket"]
                    .iter()
                    .any(|p| s.name.ends_with(p));
                let counter = match kind {
                    MetricType::Counter => !s.name.ends_with("_created"),
                    MetricType::Histogram | MetricType::Summary => monotonic_part,
                    MetricType::Unknown => s.name.ends_with("_total"),
                    _ => false,
                };
                let histograms = hist_starts[i + 1] - hist_starts[i];
                if histograms > 0 {
                    // What is charted is the count of observations: a counter, unless the
                    // histogram is a gauge histogram.
                    title.push_str(" (native histogram: count)");
                }
                SeriesInfo {
                    id: i as u32,
                    title,
                    kind,
                    counter: counter || (histograms > 0 && kind != MetricType::GaugeHistogram),
                    unit: if histograms > 0 {
                        Unit::None
                    } else {
                        Unit::of(&s.name, family.and_then(|f| f.unit.as_deref()))
                    },
                    samples: starts[i + 1] - starts[i] + histograms,
                }
            })
            .collect();
        SeriesIndex {
            series,
            starts,
            hist_ts,
            hist_count,
            hist_starts,
        }
    }

    /// Series `id`'s samples as (ts_ms, value) slices (for a series of native histograms,
    /// their counts).
    pub fn samples<'a>(&'a self, store: &'a MetricsStore, id: u32) -> (&'a [i64], &'a [f64]) {
        let i = id as usize;
        if let (Some(&a), Some(&b)) = (self.hist_starts.get(i), self.hist_starts.get(i + 1))
            && b > a
        {
            return (&self.hist_ts[a..b], &self.hist_count[a..b]);
        }
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) if b <= store.sample_ts.len() => {
                (&store.sample_ts[a..b], &store.sample_value[a..b])
            }
            _ => (&[], &[]),
        }
    }

    /// The first and last sample time of all series (ms).
    pub fn extent(&self, store: &MetricsStore) -> Option<(i64, i64)> {
        let mut out: Option<(i64, i64)> = None;
        for s in &self.series {
            let (ts, _) = self.samples(store, s.id);
            if let (Some(&a), Some(&b)) = (ts.first(), ts.last()) {
                out = Some(out.map_or((a, b), |(x, y)| (x.min(a), y.max(b))));
            }
        }
        out
    }

    /// Series `id`'s points within `range_ms` (`[from, to]`, with one sample either side so
    /// the line reaches the edges), as `[seconds, value]`; at most about `max_points`: when
    /// there are more, each of `max_points / 2` time buckets keeps its lowest and highest
    /// point, in time order, so spikes survive. Not-a-number and infinite values are left out
    /// (a chart has no place for them; the line is drawn across).
    pub fn points(
        &self,
        store: &MetricsStore,
        id: u32,
        mode: Mode,
        range_ms: Option<(i64, i64)>,
        max_points: usize,
    ) -> Vec<[f64; 2]> {
        let (ts, vs) = self.samples(store, id);
        let (a, b) = match range_ms {
            Some((from, to)) => {
                let a = ts.partition_point(|&t| t < from).saturating_sub(1);
                let b = (ts.partition_point(|&t| t <= to) + 1).min(ts.len());
                (a, b.max(a))
            }
            None => (0, ts.len()),
        };
        // A rate needs the sample before the first.
        let from = if mode == Mode::Rate {
            a.saturating_sub(1)
        } else {
            a
        };
        let mut out: Vec<[f64; 2]> = Vec::with_capacity(b - a);
        let mut prev: Option<(i64, f64)> = None;
        for k in from..b {
            let (t, v) = (ts[k], vs[k]);
            if !v.is_finite() {
                continue;
            }
            let y = match mode {
                Mode::Raw => Some(v),
                Mode::Rate => prev.and_then(|before| rate(before, (t, v))),
            };
            prev = Some((t, v));
            if k >= a
                && let Some(y) = y
                && y.is_finite()
            {
                out.push([t as f64 / 1000.0, y]);
            }
        }
        thin(out, max_points)
    }

    /// Series `id`'s value at `t_ms`: its last sample at or before it, if not older than
    /// [`LOOKBACK_MS`] (for a rate: between that sample and the one before it).
    pub fn value_at(&self, store: &MetricsStore, id: u32, mode: Mode, t_ms: i64) -> Option<f64> {
        let (ts, vs) = self.samples(store, id);
        let k = ts.partition_point(|&t| t <= t_ms).checked_sub(1)?;
        if t_ms - ts[k] > LOOKBACK_MS {
            return None;
        }
        match mode {
            Mode::Raw => Some(vs[k]),
            Mode::Rate => {
                let j = k.checked_sub(1)?;
                rate((ts[j], vs[j]), (ts[k], vs[k])).filter(|r| r.is_finite())
            }
        }
    }

    /// The series `filter` keeps, in title order.
    pub fn search(&self, store: &MetricsStore, filter: &SeriesFilter) -> crate::Result<Vec<u32>> {
        let selector = filter.selector()?;
        let labels: Vec<CompiledLabelFilter<'_>> =
            filter.labels.iter().map(LabelFilter::compiled).collect();
        let words: Vec<String> = if selector.is_some() {
            Vec::new()
        } else {
            filter
                .text
                .split_whitespace()
                .map(str::to_lowercase)
                .collect()
        };
        let mut out: Vec<u32> = self
            .series
            .iter()
            .filter(|info| {
                let s = &store.series[info.id as usize];
                (words.is_empty() || {
                    let title = info.title.to_lowercase();
                    words.iter().all(|w| title.contains(w.as_str()))
                }) && selector
                    .as_ref()
                    .is_none_or(|sel| sel.matches(&s.name, &s.labels))
                    && labels.iter().all(|l| l.holds(s.label(&l.filter.name)))
            })
            .map(|info| info.id)
            .collect();
        out.sort_by(|a, b| {
            self.series[*a as usize]
                .title
                .cmp(&self.series[*b as usize].title)
        });
        Ok(out)
    }
}

/// The per-second increase from sample `(t0, v0)` to `(t1, v1)` (ms, value); a drop is a
/// counter reset, so the increase is the new value, as Prometheus' `rate` counts it.
fn rate((t0, v0): (i64, f64), (t1, v1): (i64, f64)) -> Option<f64> {
    let dt = (t1 - t0) as f64 / 1000.0;
    (dt > 0.0).then(|| if v1 >= v0 { v1 - v0 } else { v1 } / dt)
}

/// Keeps about `max` of `points` (in time order): the lowest and highest of each of `max / 2`
/// buckets of equal time.
fn thin(points: Vec<[f64; 2]>, max: usize) -> Vec<[f64; 2]> {
    let buckets = max / 2;
    if points.len() <= max.max(2) || buckets == 0 {
        return points;
    }
    let (x0, x1) = (points[0][0], points[points.len() - 1][0]);
    let width = (x1 - x0) / buckets as f64;
    if width <= 0.0 {
        return points;
    }
    let mut out = Vec::with_capacity(buckets * 2 + 2);
    let mut k = 0;
    while k < points.len() {
        let bucket = (((points[k][0] - x0) / width) as usize).min(buckets - 1);
        let (mut lo, mut hi) = (k, k);
        let mut j = k + 1;
        while j < points.len()
            && (((points[j][0] - x0) / width) as usize).min(buckets - 1) == bucket
        {
            if points[j][1] < points[lo][1] {
                lo = j;
            }
            if points[j][1] > points[hi][1] {
                hi = j;
            }
            j += 1;
        }
        let (first, second) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(points[first]);
        if second != first {
            out.push(points[second]);
        }
        k = j;
    }
    out
}

/// A label condition of the series picker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelFilter {
    /// The label.
    pub name: String,
    /// How it compares.
    pub op: LabelOp,
    /// The value (a regex for `=~` and `!~`, matched whole as PromQL does).
    pub value: String,
}

/// How a label filter compares, as PromQL's label matchers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
    /// `=~`
    Matches,
    /// `!~`
    NotMatches,
}

impl LabelOp {
    /// As PromQL writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            LabelOp::Equal => "=",
            LabelOp::NotEqual => "!=",
            LabelOp::Matches => "=~",
            LabelOp::NotMatches => "!~",
        }
    }
}

impl LabelFilter {
    /// Whether a series whose label has `value` (`None`: it has not the label, which PromQL
    /// reads as the empty value) passes.
    pub fn holds(&self, value: Option<&str>) -> bool {
        self.compiled().holds(value)
    }

    /// The filter with its regex compiled once, for testing many series.
    fn compiled(&self) -> CompiledLabelFilter<'_> {
        let regex = matches!(self.op, LabelOp::Matches | LabelOp::NotMatches)
            .then(|| regex::Regex::new(&format!("^(?:{})$", self.value)).ok());
        CompiledLabelFilter {
            filter: self,
            regex,
        }
    }
}

/// A [`LabelFilter`] ready to test series with.
struct CompiledLabelFilter<'a> {
    filter: &'a LabelFilter,
    /// For `=~` and `!~`: the whole-value regex, `None` when it does not compile (it then
    /// matches nothing).
    regex: Option<Option<regex::Regex>>,
}

impl CompiledLabelFilter<'_> {
    fn holds(&self, value: Option<&str>) -> bool {
        let v = value.unwrap_or("");
        match (self.filter.op, &self.regex) {
            (LabelOp::Equal, _) => v == self.filter.value,
            (LabelOp::NotEqual, _) => v != self.filter.value,
            (op, re) => {
                let m = re
                    .as_ref()
                    .and_then(Option::as_ref)
                    .is_some_and(|re| re.is_match(v));
                m == (op == LabelOp::Matches)
            }
        }
    }
}

/// The series picker's search: words that must all appear in a series' title (name and
/// labels, ignoring case), or a PromQL selector (`http_requests_total{code=~"5.."}`), and
/// label filters.
#[derive(Clone, Debug, Default)]
pub struct SeriesFilter {
    /// The search text.
    pub text: String,
    /// Label conditions, all of which must hold.
    pub labels: Vec<LabelFilter>,
}

impl SeriesFilter {
    /// The search text as a selector, when it is written as one (it has a `{`).
    fn selector(&self) -> Result<Option<Selector>, String> {
        let t = self.text.trim();
        if t.contains('{') {
            Selector::parse(t).map(Some).map_err(|e| e.to_string())
        } else {
            Ok(None)
        }
    }
}

/// A short name for each of `series` (a chart's legend): the labels whose values are not the
/// same for all of them (`pod="api-1"` rather than the whole `name{...}`), as `k="v"` joined
/// by commas; all labels when there is one series; the metric name when it has none.
pub fn distinct_labels(store: &MetricsStore, series: &[u32]) -> Vec<String> {
    let all = |k: &str, v: &str| {
        series.len() > 1
            && series
                .iter()
                .all(|&s| store.series[s as usize].label(k) == Some(v))
    };
    series
        .iter()
        .map(|&s| {
            let st = &store.series[s as usize];
            let mut parts: Vec<String> = st
                .labels
                .iter()
                .filter(|(k, v)| !all(k, v))
                .map(|(k, v)| format!("{k}=\"{v}\""))
                .collect();
            let same_target = series
                .iter()
                .all(|&o| store.series[o as usize].target == st.target);
            if !same_target {
                parts.push(format!("@ {}", st.target));
            }
            if parts.is_empty() {
                st.name.clone()
            } else {
                parts.join(",")
            }
        })
        .collect()
}

/// The label names of `series` with how many of them have each, by name.
pub fn label_names(store: &MetricsStore, series: &[u32]) -> Vec<(String, usize)> {
    let mut out: BTreeMap<&str, usize> = BTreeMap::new();
    for &s in series {
        for (k, _) in &store.series[s as usize].labels {
            *out.entry(k).or_default() += 1;
        }
    }
    out.into_iter().map(|(k, n)| (k.to_string(), n)).collect()
}

/// The values label `name` takes among `series`, with how many series have each, most first.
pub fn label_values(store: &MetricsStore, series: &[u32], name: &str) -> Vec<(String, usize)> {
    let mut out: BTreeMap<&str, usize> = BTreeMap::new();
    for &s in series {
        if let Some(v) = store.series[s as usize].label(name) {
            *out.entry(v).or_default() += 1;
        }
    }
    let mut v: Vec<(String, usize)> = out.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_from_names() {
        for (name, declared, unit) in [
            ("container_memory_working_set_bytes", None, Unit::Bytes),
            ("node_network_receive_bytes_total", None, Unit::Bytes),
            ("http_request_duration_seconds_sum", None, Unit::Seconds),
            ("http_request_duration_seconds_count", None, Unit::None),
            ("http_request_duration_seconds_bucket", None, Unit::None),
            ("process_cpu_seconds_total", None, Unit::Seconds),
            ("node_filesystem_avail_ratio", None, Unit::Ratio),
            ("apiserver_latency_ms", None, Unit::Milliseconds),
            ("node_hwmon_temp_celsius", None, Unit::Celsius),
            ("up", None, Unit::None),
            ("my_size", Some("bytes"), Unit::Bytes),
            ("kube_pod_container_status_restarts_total", None, Unit::None),
        ] {
            assert_eq!(Unit::of(name, declared), unit, "{name}");
        }
    }

    #[test]
    fn values_are_formatted_in_their_unit() {
        assert_eq!(Unit::Bytes.format(1536.0 * 1024.0, false), "1.5 MiB");
        assert_eq!(Unit::Bytes.format(512.0, true), "512 B/s");
        assert_eq!(Unit::Seconds.format(0.25, false), "250 ms");
        assert_eq!(Unit::Seconds.format(0.000_042, false), "42 µs");
        assert_eq!(Unit::Seconds.format(90.0, false), "90 s");
        assert_eq!(Unit::Seconds.format(5400.0, false), "90 min");
        assert_eq!(Unit::Milliseconds.format(1500.0, false), "1.5 s");
        assert_eq!(Unit::Ratio.format(0.125, false), "12.5%");
        assert_eq!(Unit::None.format(3210.0, true), "3.21k/s");
        assert_eq!(Unit::None.format(0.5, false), "0.5");
        assert_eq!(Unit::None.format(-2.0e6, false), "-2M");
        assert_eq!(Unit::None.format(f64::NAN, false), "NaN");
        assert_eq!(Unit::Celsius.format(45.26, false), "45.3 °C");
    }

    #[test]
    fn thinning_keeps_extremes_in_order() {
        let points: Vec<[f64; 2]> = (0..1000)
            .map(|i| [f64::from(i), if i == 537 { 99.0 } else { f64::from(i % 7) }])
            .collect();
        let thin = thin(points.clone(), 100);
        assert!(thin.len() <= 102, "{}", thin.len());
        assert!(thin.windows(2).all(|w| w[0][0] < w[1][0]));
        assert!(thin.contains(&[537.0, 99.0]), "the spike survives");
        assert_eq!(thin.first(), points.first());
        let few = super::thin(points[..50].to_vec(), 100);
        assert_eq!(few.len(), 50);
    }

    #[test]
    fn label_filters_as_promql() {
        let f = |op, value: &str| LabelFilter {
            name: "code".into(),
            op,
            value: value.into(),
        };
        assert!(f(LabelOp::Equal, "500").holds(Some("500")));
        assert!(!f(LabelOp::Equal, "500").holds(None));
        assert!(f(LabelOp::NotEqual, "500").holds(None));
        assert!(f(LabelOp::Matches, "5..").holds(Some("503")));
        assert!(
            !f(LabelOp::Matches, "5..").holds(Some("5030")),
            "whole value"
        );
        assert!(f(LabelOp::NotMatches, "2..").holds(Some("503")));
        assert!(
            !f(LabelOp::Matches, "(").holds(Some("(")),
            "a bad regex matches nothing"
        );
    }
}
