//! Metrics: Prometheus scrapes and exports, read offline into the `series`, `samples`,
//! `metric_families` and `exemplars` tables ([`crate::schema::metrics`]).
//!
//! Each format is a parser over bytes that fills a [`Parsed`] (per-file series, samples and
//! families, with problems by line); [`crate::table::metrics`] merges the files into tables.
//!
//! - [`expo`]: the Prometheus text format 0.0.4, OpenMetrics 1.0 text, and `promtool tsdb dump`
//!   and `dump-openmetrics` output (the same line grammar).
//! - [`json`]: the Prometheus HTTP API (query, query_range, series), VictoriaMetrics
//!   `/api/v1/export` JSON lines, `promtool tsdb dump --format seriesjson`, and metrics.k8s.io
//!   (`kubectl get --raw /apis/metrics.k8s.io/...`).
//! - [`other`]: InfluxDB line protocol (with `influx_inspect export` headers), VictoriaMetrics
//!   CSV export (with a header naming its columns), and `kubectl top pods|nodes` output.
//! - Which of these a file holds is told by content in [`crate::detect::metrics_format`].
//! - [`histogram`]: native histogram samples.
//! - [`tsdb`]: Prometheus's own storage: TSDB blocks (index, chunks, tombstones), read in
//!   place.
//! - [`selector`]: `{__name__=~"...", label="..."}` selectors (parsed with promql-parser).
//! - [`write`]: the tables back out as `promtool tsdb dump` or OpenMetrics text.

pub mod expo;
pub mod histogram;
pub mod json;
pub mod other;
pub mod scrape_time;
pub mod selector;
pub mod tsdb;
pub mod write;

use std::fmt;

pub use histogram::{CounterReset, NativeHistogram};

/// A metric family's type, as `# TYPE` says (`untyped` is read as [`MetricType::Unknown`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricType {
    /// `counter`.
    Counter,
    /// `gauge`.
    Gauge,
    /// `histogram`.
    Histogram,
    /// `gaugehistogram` (OpenMetrics).
    GaugeHistogram,
    /// `summary`.
    Summary,
    /// `info` (OpenMetrics).
    Info,
    /// `stateset` (OpenMetrics).
    StateSet,
    /// `unknown` (OpenMetrics), `untyped` (text format), or no `# TYPE` at all.
    Unknown,
}

impl MetricType {
    /// The name as OpenMetrics writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }

    /// Reads a `# TYPE` word; `openmetrics` rejects the text format's `untyped`.
    pub fn parse(word: &str, openmetrics: bool) -> Option<MetricType> {
        Some(match word {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" => MetricType::Histogram,
            "gaugehistogram" => MetricType::GaugeHistogram,
            "summary" => MetricType::Summary,
            "info" => MetricType::Info,
            "stateset" => MetricType::StateSet,
            "unknown" => MetricType::Unknown,
            "untyped" if !openmetrics => MetricType::Unknown,
            _ => return None,
        })
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The formats podsift reads metrics from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricsFormat {
    /// Prometheus text exposition 0.0.4 or OpenMetrics text (told apart while reading), and
    /// `promtool tsdb dump` / `dump-openmetrics` output.
    Exposition,
    /// `promtool tsdb dump --format seriesjson`: one JSON object of labels per line.
    SeriesJson,
    /// A Prometheus HTTP API response (`/api/v1/query`, `query_range`, `series`).
    PrometheusApi,
    /// VictoriaMetrics `/api/v1/export` JSON lines.
    VictoriaJson,
    /// VictoriaMetrics `/api/v1/export/csv`, with a header line naming the columns as its
    /// `format=` argument does.
    VictoriaCsv,
    /// InfluxDB line protocol, optionally with `influx_inspect export` headers.
    Influx,
    /// `kubectl top pods` or `kubectl top nodes` output.
    KubectlTop,
    /// metrics.k8s.io `PodMetrics`/`NodeMetrics` (or their lists) as JSON or YAML.
    MetricsApi,
    /// A Prometheus TSDB block: its `index` (this format's file), chunk segments, tombstones
    /// and `meta.json` ([`tsdb`]).
    TsdbBlock,
}

impl MetricsFormat {
    /// The name shown in `sources` and `podsift metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricsFormat::Exposition => "prometheus-text",
            MetricsFormat::SeriesJson => "promtool-seriesjson",
            MetricsFormat::PrometheusApi => "prometheus-api",
            MetricsFormat::VictoriaJson => "victoriametrics-json",
            MetricsFormat::VictoriaCsv => "victoriametrics-csv",
            MetricsFormat::Influx => "influx",
            MetricsFormat::KubectlTop => "kubectl-top",
            MetricsFormat::MetricsApi => "metrics-api",
            MetricsFormat::TsdbBlock => "prometheus-tsdb",
        }
    }
}

/// Labels of a series: (name, value), sorted by name, without `__name__`.
pub type Labels = Vec<(String, String)>;

/// A metric family as one file describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    /// Its name (`# TYPE` name, or the sample name when nothing declared it).
    pub name: String,
    /// Its type.
    pub kind: MetricType,
    /// `# HELP` text (unescaped), when given.
    pub help: Option<String>,
    /// `# UNIT`, when given.
    pub unit: Option<String>,
}

/// A series as one file names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SeriesDef {
    /// The sample's metric name (`http_requests_total`, `rpc_duration_seconds_bucket`).
    pub name: String,
    /// Its labels, sorted by name.
    pub labels: Labels,
    /// Index of its family in [`Parsed::families`].
    pub family: u32,
}

/// An exemplar attached to a sample (OpenMetrics).
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    /// Index of the sample in [`Parsed`].
    pub sample: usize,
    /// Its labels (`trace_id`).
    pub labels: Labels,
    /// Its value.
    pub value: f64,
    /// Its time (ms), when written.
    pub ts_ms: Option<i64>,
}

/// How bad a problem in a metrics file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The line did not parse; nothing of it was kept (it is counted as unparsed).
    Unparsed,
    /// The line was kept, but breaks a rule of its format (an OpenMetrics ordering or
    /// histogram rule, a negative counter).
    Invalid,
    /// A file-level note worth a warning (no `# EOF`).
    Warning,
}

/// A problem at a line of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line (0: the file as a whole).
    pub line: u64,
    /// What kind.
    pub kind: ProblemKind,
    /// What is wrong.
    pub message: String,
}

/// "No timestamp written": the sample takes the time of its scrape.
pub const NO_TS: i64 = i64::MIN;

/// What one file held, before files are merged into tables.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// The file's format.
    pub format: Option<MetricsFormat>,
    /// For exposition text: it is OpenMetrics (ends with `# EOF`, or says so in its first
    /// lines).
    pub openmetrics: bool,
    /// Families, in order of first mention.
    pub families: Vec<Family>,
    /// Series, in order of first sample.
    pub series: Vec<SeriesDef>,
    /// Per sample: index into `series`.
    pub sample_series: Vec<u32>,
    /// Per sample: time in ms, or [`NO_TS`].
    pub sample_ts: Vec<i64>,
    /// Per sample: value.
    pub sample_value: Vec<f64>,
    /// Per sample: its line (saturating at `u32::MAX`).
    pub sample_line: Vec<u32>,
    /// Sample index where each scrape after the first begins, for files holding several
    /// scrapes one after another.
    pub scrape_starts: Vec<usize>,
    /// Exemplars.
    pub exemplars: Vec<Exemplar>,
    /// Native histogram samples: (index into `series`, time in ms, histogram).
    pub histograms: Vec<(u32, i64, NativeHistogram)>,
    /// Problems, in line order.
    pub problems: Vec<Problem>,
    /// Physical lines.
    pub lines: u64,
    /// Lines that hold no sample but were read: metadata, comments, blank lines, headers,
    /// JSON structure.
    pub other_lines: u64,
    /// Lines counted as unparsed.
    pub unparsed: u64,
    /// The series-only formats (`seriesjson`, API `series`): series listed without samples.
    pub series_only: bool,
}

impl Parsed {
    /// Samples read.
    pub fn samples(&self) -> usize {
        self.sample_value.len()
    }

    /// Adds a problem.
    pub(crate) fn problem(&mut self, line: u64, kind: ProblemKind, message: impl Into<String>) {
        if kind == ProblemKind::Unparsed {
            self.unparsed += 1;
        }
        self.problems.push(Problem {
            line,
            kind,
            message: message.into(),
        });
    }

    /// Whether a strict reader would accept the file: no problem but warnings (which note
    /// what a valid file holds that podsift cannot keep as written).
    pub fn is_valid(&self) -> bool {
        self.problems.iter().all(|p| p.kind == ProblemKind::Warning)
    }

    /// Adds a sample of series `s`.
    pub(crate) fn push_sample(&mut self, s: u32, ts: i64, value: f64, line: u64) {
        self.sample_series.push(s);
        self.sample_ts.push(ts);
        self.sample_value.push(value);
        self.sample_line
            .push(u32::try_from(line).unwrap_or(u32::MAX));
    }
}

/// Interns series by (name, labels) for the parsers that build labels themselves.
#[derive(Debug, Default)]
pub(crate) struct SeriesInterner {
    map: std::collections::HashMap<(String, Labels), u32, foldhash::fast::RandomState>,
    families: std::collections::HashMap<String, u32, foldhash::fast::RandomState>,
}

impl SeriesInterner {
    /// The series id of `name` and `labels` (sorted here) in `out`, adding it (and an
    /// `unknown` family of its name, or `kind` when given) when new.
    pub(crate) fn id(
        &mut self,
        out: &mut Parsed,
        name: String,
        mut labels: Labels,
        kind: MetricType,
    ) -> u32 {
        labels.sort();
        let key = (name, labels);
        if let Some(&id) = self.map.get(&key) {
            return id;
        }
        let (name, labels) = key.clone();
        let family = *self.families.entry(name.clone()).or_insert_with(|| {
            out.families.push(Family {
                name: name.clone(),
                kind,
                help: None,
                unit: None,
            });
            (out.families.len() - 1) as u32
        });
        let id = out.series.len() as u32;
        out.series.push(SeriesDef {
            name,
            labels,
            family,
        });
        self.map.insert(key, id);
        id
    }
}

/// Parses a metrics file of a known format.
pub fn parse(format: MetricsFormat, bytes: &[u8]) -> Parsed {
    let mut out = match format {
        MetricsFormat::Exposition => expo::parse(bytes, expo::Dialect::Auto),
        MetricsFormat::SeriesJson => json::parse_series_json(bytes),
        MetricsFormat::PrometheusApi => json::parse_api(bytes),
        MetricsFormat::VictoriaJson => json::parse_victoria(bytes),
        MetricsFormat::MetricsApi => json::parse_metrics_api(bytes),
        MetricsFormat::VictoriaCsv => other::parse_victoria_csv(bytes),
        MetricsFormat::Influx => other::parse_influx(bytes),
        MetricsFormat::KubectlTop => other::parse_kubectl_top(bytes),
        // An index alone: its series, without the chunks beside it.
        MetricsFormat::TsdbBlock => {
            let block = tsdb::Block::open(bytes, None, None, &tsdb::Filter::default());
            let problems = block.problems.clone();
            let mut p = block.finish();
            for (_, message) in problems {
                p.problem(0, ProblemKind::Invalid, message);
            }
            p.series_only = true;
            p
        }
    };
    out.format = Some(format);
    out
}

/// Seconds (as exports and APIs write times) to the `samples` table's milliseconds; `None`
/// when that is not a time the table can hold (instead of a silently clamped one).
pub(crate) fn ms_of_seconds(s: f64) -> Option<i64> {
    let ms = (s * 1000.0).round();
    (ms.is_finite() && ms.abs() < 9.2e18).then_some(ms as i64)
}

/// Counts the lines of `bytes` (a last line without its newline counts).
pub fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
        + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"))
}
