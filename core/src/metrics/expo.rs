//! The Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text, one line grammar:
//!
//! ```text
//! # HELP http_requests_total The total number of HTTP requests.
//! # TYPE http_requests_total counter
//! http_requests_total{method="post",code="200"} 1027 1395066363000
//! {__name__="heavy_metric", foo="bar"} 5 60000        (promtool tsdb dump)
//! a_bucket{le="+Inf"} 3 1700215884.373 # {trace_id="x"} 4 1700215884.1   (OpenMetrics)
//! ```
//!
//! The two dialects differ in a few places: OpenMetrics timestamps are seconds (text: ms), its
//! counters' samples end in `_total`, it ends with `# EOF`, and it has rules that the text
//! format does not (single spaces, no blank lines, families and label sets kept together,
//! histogram buckets in order and cumulative, ...). [`Dialect::Auto`] reads a file as
//! OpenMetrics when its first 64 KiB say so (`# EOF`, `# UNIT`, an OpenMetrics-only type, an
//! exemplar, a timestamp with a fraction), and otherwise as text, switching timestamps to
//! seconds if a `# EOF` line ends it. Only OpenMetrics files are checked against the
//! OpenMetrics rules; a broken rule is a problem of kind [`ProblemKind::Invalid`] and the
//! sample is kept. A line that does not parse is [`ProblemKind::Unparsed`].
//!
//! Sample lines are parsed fully the first time their series text (`name{labels}` as written)
//! is met; after that the series text is looked up, so a long dump costs a hash lookup and two
//! number parses per line.

use std::collections::HashMap;

use foldhash::fast::RandomState;

use super::{Exemplar, Family, Labels, MetricType, NO_TS, Parsed, ProblemKind, SeriesDef};

/// Which rules a file is read by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Tell from the content.
    Auto,
    /// The Prometheus text format 0.0.4.
    Text,
    /// OpenMetrics 1.0 text (`application/openmetrics-text`): every rule is checked.
    OpenMetrics,
}

/// Parses a whole exposition file.
pub fn parse(bytes: &[u8], dialect: Dialect) -> Parsed {
    let om = match dialect {
        Dialect::Auto => {
            let end = bytes.trim_ascii_end();
            end.ends_with(b"\n# EOF") || end == b"# EOF" || looks_openmetrics(head_of(bytes))
        }
        Dialect::Text => false,
        Dialect::OpenMetrics => true,
    };
    let mut s = Streaming::with(om, dialect == Dialect::OpenMetrics);
    s.lines(bytes);
    s.finish()
}

/// The bytes [`Dialect::Auto`] looks at.
fn head_of(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.len().min(HEAD_BYTES)]
}

/// How much of the start of a file [`Dialect::Auto`] looks at.
pub(crate) const HEAD_BYTES: usize = 1 << 20;

/// An exposition file read piece by piece (bounded memory for large dumps): feed it the bytes
/// in order, then [`Streaming::finish`]. With [`Dialect::Auto`], the first piece decides
/// whether the OpenMetrics rules apply (see [`looks_openmetrics`]); a `# EOF` at the end still
/// makes its timestamps seconds.
#[derive(Debug)]
pub(crate) struct Streaming {
    parser: Option<Parser>,
    dialect: Dialect,
    carry: Vec<u8>,
    number: u64,
}

impl Streaming {
    /// A reader of `dialect`.
    pub(crate) fn new(dialect: Dialect) -> Streaming {
        let parser = match dialect {
            Dialect::Auto => None,
            Dialect::Text => Some(Parser::new(false, false)),
            Dialect::OpenMetrics => Some(Parser::new(true, true)),
        };
        Streaming {
            parser,
            dialect,
            carry: Vec::new(),
            number: 0,
        }
    }

    fn with(om: bool, strict: bool) -> Streaming {
        Streaming {
            parser: Some(Parser::new(om, strict)),
            dialect: Dialect::Auto,
            carry: Vec::new(),
            number: 0,
        }
    }

    /// The next bytes of the file (any split: a line may continue in the next piece).
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) {
        if self.parser.is_none() {
            let om = self.dialect == Dialect::OpenMetrics || looks_openmetrics(head_of(bytes));
            self.parser = Some(Parser::new(om, self.dialect == Dialect::OpenMetrics));
        }
        if !self.carry.is_empty() {
            let Some(n) = memchr::memchr(b'\n', bytes) else {
                self.carry.extend_from_slice(bytes);
                return;
            };
            let mut line = std::mem::take(&mut self.carry);
            line.extend_from_slice(&bytes[..=n]);
            self.lines(&line);
            bytes = &bytes[n + 1..];
        }
        match memchr::memrchr(b'\n', bytes) {
            Some(n) => {
                self.lines(&bytes[..=n]);
                self.carry.extend_from_slice(&bytes[n + 1..]);
            }
            None => self.carry.extend_from_slice(bytes),
        }
    }

    /// Parses whole lines (the last may lack its newline only at the end of the file).
    fn lines(&mut self, bytes: &[u8]) {
        let p = self.parser.get_or_insert_with(|| Parser::new(false, false));
        let mut rest = bytes;
        while !rest.is_empty() {
            let (line, next) = match memchr::memchr(b'\n', rest) {
                Some(n) => (&rest[..n], &rest[n + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            self.number += 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            p.line(line, self.number);
            rest = next;
        }
    }

    /// The file's series, samples and problems.
    pub(crate) fn finish(mut self) -> Parsed {
        if !self.carry.is_empty() {
            let last = std::mem::take(&mut self.carry);
            self.lines(&last);
        }
        let number = self.number;
        self.parser
            .unwrap_or_else(|| Parser::new(false, false))
            .finish(number)
    }
}

/// Whether the start of a file shows OpenMetrics: a `# EOF`, `# UNIT` or OpenMetrics-only
/// `# TYPE` line, an exemplar, or a timestamp with a fraction.
pub(crate) fn looks_openmetrics(head: &[u8]) -> bool {
    for line in head.split(|&c| c == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(meta) = line.strip_prefix(b"# ") {
            if meta == b"EOF" || meta.starts_with(b"UNIT ") {
                return true;
            }
            if let Some(t) = meta.strip_prefix(b"TYPE ") {
                let word = t.rsplit(|&c| c == b' ').next().unwrap_or_default();
                if matches!(word, b"unknown" | b"gaugehistogram" | b"stateset" | b"info") {
                    return true;
                }
            }
            continue;
        }
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let line = normalize_text_sample(line.trim_ascii_start());
        let Ok(end) = series_end(&line) else { continue };
        let rest = &line[end..];
        if memchr::memmem::find(rest, b" # {").is_some() {
            return true;
        }
        let tokens: Vec<&[u8]> = rest
            .split(|&c| c == b' ' || c == b'\t')
            .filter(|t| !t.is_empty())
            .collect();
        if let [value, ts] = tokens[..]
            && parse_float(value).is_some()
            && ts.contains(&b'.')
            && ts.iter().all(|c| c.is_ascii_digit() || *c == b'.')
        {
            return true;
        }
    }
    false
}

/// What a sample is within its family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Suffix {
    Plain,
    Total,
    Created,
    Bucket,
    Count,
    Sum,
    GCount,
    GSum,
    Info,
}

/// Which sample names a family of `kind` named `family` has.
fn accepts(kind: MetricType, family: &str, name: &str, om: bool) -> Option<Suffix> {
    let suffix = name.strip_prefix(family)?;
    use MetricType as T;
    Some(match (kind, suffix) {
        (T::Counter, "") if !om => Suffix::Plain,
        (T::Gauge | T::Unknown | T::Summary | T::StateSet, "") => Suffix::Plain,
        (T::Counter, "_total") => Suffix::Total,
        (T::Counter | T::Histogram | T::Summary, "_created") => Suffix::Created,
        (T::Histogram | T::GaugeHistogram, "_bucket") => Suffix::Bucket,
        (T::Histogram | T::Summary, "_count") => Suffix::Count,
        (T::Histogram | T::Summary, "_sum") => Suffix::Sum,
        (T::GaugeHistogram, "_gcount") => Suffix::GCount,
        (T::GaugeHistogram, "_gsum") => Suffix::GSum,
        (T::Info, "_info") => Suffix::Info,
        _ => return None,
    })
}

/// The sample names a family may have (for the OpenMetrics name clash rule).
fn sample_names(kind: MetricType, family: &str) -> Vec<String> {
    let with = |s: &[&str]| s.iter().map(|x| format!("{family}{x}")).collect();
    use MetricType as T;
    match kind {
        T::Counter => with(&["_total", "_created"]),
        T::Histogram => with(&["_bucket", "_count", "_sum", "_created"]),
        T::GaugeHistogram => with(&["_bucket", "_gcount", "_gsum"]),
        T::Summary => with(&["", "_count", "_sum", "_created"]),
        T::Info => with(&["_info"]),
        T::Gauge | T::StateSet | T::Unknown => with(&[""]),
    }
}

/// What the parser remembers about a series text it has met.
#[derive(Clone, Copy, Debug)]
struct SeriesInfo {
    /// Index into `Parsed::series`.
    id: u32,
    family: u32,
    suffix: Suffix,
    /// Label set without `le`, `quantile` and a stateset's own label, within the family.
    group: u32,
    /// The `le` label's value (NaN when none).
    le: f64,
    /// `le` is written `+Inf`.
    le_inf: bool,
}

/// Per family, per scrape.
#[derive(Clone, Debug, Default)]
struct FamilyState {
    /// The scrape in which it was last closed (+1; 0: never).
    closed_in: u32,
    /// The scrape in which it last had samples (+1).
    samples_in: u32,
    help: bool,
    kind: bool,
    unit: bool,
    /// Declared by metadata (not made up for a sample without any).
    declared: bool,
}

/// The buckets, count and sum of one histogram point being read (OpenMetrics checks).
#[derive(Clone, Debug)]
struct Point {
    family: u32,
    group: u32,
    ts: u64,
    line: u64,
    buckets: u32,
    last_le: f64,
    last_bucket: f64,
    inf: Option<f64>,
    count: Option<f64>,
    sum: Option<f64>,
    negative_le: bool,
}

#[derive(Debug)]
struct Parser {
    /// Read by the OpenMetrics rules.
    om: bool,
    /// The caller asked for OpenMetrics: text after `# EOF` is an error, not another scrape.
    strict: bool,
    out: Parsed,
    ts_raw: Vec<f64>,
    /// Exemplar timestamps past the `samples` table's range, kept at its end.
    clamped_exemplars: u64,
    raw: HashMap<Box<[u8]>, SeriesInfo, RandomState>,
    canon: HashMap<(String, Labels), u32, RandomState>,
    fam_by_name: HashMap<String, u32, RandomState>,
    fam_state: Vec<FamilyState>,
    /// Sample name -> family, for the clash rule.
    names: HashMap<String, u32, RandomState>,
    groups: HashMap<(u32, Labels), u32, RandomState>,
    /// Per group: scrape (+1) in which it was closed.
    group_closed: Vec<u32>,
    /// Per series: the last timestamp's bits (u64::MAX: none written; u64::MAX - 1: unseen).
    last_ts: Vec<u64>,
    /// Per series: the last raw timestamp value, for ordering.
    last_ts_value: Vec<f64>,
    cur_family: Option<u32>,
    cur_group: Option<u32>,
    point: Option<Point>,
    scrape: u32,
    /// A `# EOF` line was read (its line number).
    eof: Option<u64>,
    /// Metadata was seen in this scrape (so a repeated series is a duplicate, not a new scrape).
    meta_in_scrape: bool,
    /// Series with samples in this scrape, for files without metadata.
    series_scrape: Vec<u32>,
    /// The first family of this scrape: its metadata again starts the next scrape.
    first_family: Option<u32>,
}

const UNSEEN: u64 = u64::MAX - 1;
const NONE: u64 = u64::MAX;

impl Parser {
    fn new(om: bool, strict: bool) -> Parser {
        Parser {
            om,
            strict,
            out: Parsed {
                openmetrics: om,
                ..Parsed::default()
            },
            ts_raw: Vec::new(),
            clamped_exemplars: 0,
            raw: HashMap::default(),
            canon: HashMap::default(),
            fam_by_name: HashMap::default(),
            fam_state: Vec::new(),
            names: HashMap::default(),
            groups: HashMap::default(),
            group_closed: Vec::new(),
            last_ts: Vec::new(),
            last_ts_value: Vec::new(),
            cur_family: None,
            cur_group: None,
            point: None,
            scrape: 0,
            eof: None,
            meta_in_scrape: false,
            series_scrape: Vec::new(),
            first_family: None,
        }
    }

    fn invalid(&mut self, line: u64, msg: impl Into<String>) {
        if self.om {
            self.out.problem(line, ProblemKind::Invalid, msg);
        }
    }

    fn unparsed(&mut self, line: u64, msg: impl Into<String>) {
        self.out.problem(line, ProblemKind::Unparsed, msg);
    }

    fn line(&mut self, line: &[u8], number: u64) {
        if let Some(eof) = self.eof {
            if self.strict {
                self.out.other_lines += 1;
                self.out.problem(
                    number,
                    ProblemKind::Invalid,
                    format!("text after `# EOF` (line {eof})"),
                );
                return;
            }
            // Scrapes written one after another.
            self.new_scrape();
        }
        if line.is_empty() || (!self.om && line.iter().all(|c| *c == b' ' || *c == b'\t')) {
            self.out.other_lines += 1;
            if self.om {
                self.out.problem(
                    number,
                    ProblemKind::Invalid,
                    "blank line (OpenMetrics has none)",
                );
            }
            return;
        }
        let start = if self.om {
            0
        } else {
            line.iter()
                .position(|c| *c != b' ' && *c != b'\t')
                .unwrap_or(0)
        };
        if line[start] == b'#' {
            let before = self.out.unparsed;
            self.comment(&line[start..], number);
            if self.out.unparsed == before {
                self.out.other_lines += 1;
            }
            return;
        }
        let line = &line[start..];
        // The common case first: the line's series text was met before. It ends at the last
        // `}` unless an exemplar follows; a cached text is a whole series text, so a hit is
        // the series (a miss goes the long way).
        if let Some(p) = memchr::memrchr(b'}', line)
            && let Some(&info) = self.raw.get(&line[..=p])
        {
            self.sample_of(line, p + 1, Some(info), number);
        } else if self.om {
            self.sample(line, number);
        } else {
            let line = normalize_text_sample(line);
            self.sample(&line, number);
        }
    }

    fn new_scrape(&mut self) {
        self.close_family();
        self.scrape += 1;
        self.first_family = None;
        for st in &mut self.fam_state {
            st.help = false;
            st.kind = false;
            st.unit = false;
        }
        self.eof = None;
        self.meta_in_scrape = false;
        self.cur_family = None;
        self.cur_group = None;
        self.out.scrape_starts.push(self.out.samples());
    }

    fn comment(&mut self, line: &[u8], number: u64) {
        // The text format allows any whitespace: `#  HELP  name  text`.
        let loose;
        let line = if self.om {
            line
        } else {
            let body = line[1..].trim_ascii_start();
            let word = body
                .iter()
                .position(|c| *c == b' ' || *c == b'\t')
                .unwrap_or(body.len());
            if !matches!(&body[..word], b"HELP" | b"TYPE" | b"EOF") {
                return;
            }
            // `# HELP` without a name is a comment; `# HELP name` without text says nothing
            // (as Go's parser reads them).
            let rest = body[word..].trim_ascii_start();
            let name_len = rest
                .iter()
                .position(|c| *c == b' ' || *c == b'\t')
                .unwrap_or(rest.len());
            if &body[..word] == b"HELP" && (rest.is_empty() || name_len == rest.len()) {
                return;
            }
            loose = [b"# ", &body[..word], b" ", body[word..].trim_ascii_start()].concat();
            if &body[..word] == b"EOF" && body[word..].trim_ascii().is_empty() {
                &b"# EOF"[..]
            } else {
                &loose[..]
            }
        };
        let Some(meta) = line.strip_prefix(b"# ") else {
            if self.om {
                self.unparsed(
                    number,
                    "a line starting with `#` that is not `# HELP`, `# TYPE`, `# UNIT` or `# EOF`",
                );
            }
            return;
        };
        if meta == b"EOF" {
            if self.om || self.eof.is_none() {
                self.close_family();
            }
            self.eof = Some(number);
            return;
        }
        let (word, rest) = match meta.iter().position(|&c| c == b' ') {
            Some(p) => (&meta[..p], Some(&meta[p + 1..])),
            None => (meta, None),
        };
        let which = match word {
            b"HELP" => 0,
            b"TYPE" => 1,
            b"UNIT" => 2,
            _ => {
                if self.om {
                    self.unparsed(number, format!("unknown metadata `# {}`", lossy(word)));
                }
                return;
            }
        };
        let Some(rest) = rest else {
            self.meta_error(number, "metadata without a metric name");
            return;
        };
        let (name, value) = if self.om {
            let n = rest.iter().take_while(|c| is_name_char(**c)).count();
            let name = &rest[..n];
            match rest.get(n) {
                Some(b' ') => (name, &rest[n + 1..]),
                None if which == 0 => {
                    self.meta_error(number, "`# HELP` needs a space after the name");
                    return;
                }
                None => {
                    self.meta_error(number, "metadata without a value");
                    return;
                }
                Some(_) => {
                    self.meta_error(number, "invalid character after the metric name");
                    return;
                }
            }
        } else {
            let rest = rest.trim_ascii_start();
            let n = rest
                .iter()
                .position(|c| *c == b' ' || *c == b'\t')
                .unwrap_or(rest.len());
            let value = rest[n..].trim_ascii_start();
            (&rest[..n], value)
        };
        if name.is_empty() || !valid_metric_name(name) {
            self.meta_error(number, format!("invalid metric name {:?}", lossy(name)));
            return;
        }
        let name = lossy(name).into_owned();
        match which {
            0 => {
                let help = unescape_help(value);
                self.metadata(number, &name, |f, s| {
                    let repeated = s.help;
                    s.help = true;
                    f.help = Some(help);
                    repeated
                });
            }
            1 => {
                let word = if self.om {
                    value
                } else {
                    value.trim_ascii_end()
                };
                let Some(kind) = std::str::from_utf8(word)
                    .ok()
                    .and_then(|w| MetricType::parse(w, self.om))
                else {
                    self.meta_error(number, format!("unknown metric type {:?}", lossy(word)));
                    return;
                };
                let om = self.om;
                let clash = self.metadata(number, &name, |f, s| {
                    let repeated = s.kind;
                    s.kind = true;
                    f.kind = kind;
                    repeated
                });
                if om && !clash {
                    self.check_clash(number, &name, kind);
                }
            }
            _ => {
                let unit = if self.om {
                    value
                } else {
                    value.trim_ascii_end()
                };
                if self.om && !unit.iter().all(|c| is_name_char(*c)) {
                    self.meta_error(number, format!("invalid unit {:?}", lossy(unit)));
                    return;
                }
                let unit = lossy(unit).into_owned();
                if self.om && !unit.is_empty() && !name.ends_with(&format!("_{unit}")) {
                    self.invalid(
                        number,
                        format!("unit {unit:?} is not a suffix of the metric name {name}"),
                    );
                }
                self.metadata(number, &name, |f, s| {
                    let repeated = s.unit;
                    s.unit = true;
                    f.unit = Some(unit);
                    repeated
                });
            }
        }
    }

    fn meta_error(&mut self, number: u64, msg: impl Into<String>) {
        self.unparsed(number, msg);
    }

    /// Applies metadata to family `name`, starting it when new. `set` returns whether the same
    /// kind of metadata was already given. Returns whether the family existed before.
    fn metadata(
        &mut self,
        number: u64,
        name: &str,
        set: impl FnOnce(&mut Family, &mut FamilyState) -> bool,
    ) -> bool {
        let scrape = self.scrape + 1;
        let existing = self.fam_by_name.get(name).copied();
        let f = match existing {
            Some(f) => {
                let st = &self.fam_state[f as usize];
                let current = self.cur_family == Some(f);
                let reopened = st.closed_in == scrape || (current && st.samples_in == scrape);
                if reopened {
                    if self.om {
                        if current {
                            self.invalid(number, format!("metadata for {name} after its samples"));
                        } else {
                            self.invalid(
                                number,
                                format!("metadata for {name}, whose family came earlier"),
                            );
                        }
                    } else if self.first_family == Some(f) {
                        // Another scrape of the same target, written after the first.
                        self.new_scrape();
                    } else {
                        self.out.problem(
                            number,
                            ProblemKind::Invalid,
                            format!("family {name} appears a second time in the scrape"),
                        );
                        let st = &mut self.fam_state[f as usize];
                        st.help = false;
                        st.kind = false;
                        st.unit = false;
                    }
                }
                f
            }
            None => {
                self.out.families.push(Family {
                    name: name.to_string(),
                    kind: MetricType::Unknown,
                    help: None,
                    unit: None,
                });
                self.fam_state.push(FamilyState::default());
                let f = (self.out.families.len() - 1) as u32;
                self.fam_by_name.insert(name.to_string(), f);
                f
            }
        };
        if self.cur_family != Some(f) {
            self.close_family();
            self.cur_family = Some(f);
        }
        self.first_family.get_or_insert(f);
        self.meta_in_scrape = true;
        let st = &mut self.fam_state[f as usize];
        st.declared = true;
        let repeated = set(&mut self.out.families[f as usize], st);
        if repeated {
            self.out.problem(
                number,
                ProblemKind::Invalid,
                format!("repeated metadata for {name}"),
            );
        }
        let fam = &self.out.families[f as usize];
        if self.om
            && fam.unit.as_deref().is_some_and(|u| !u.is_empty())
            && matches!(fam.kind, MetricType::Info | MetricType::StateSet)
        {
            let kind = fam.kind;
            self.invalid(number, format!("{kind} metrics have no unit"));
        }
        existing.is_some()
    }

    /// OpenMetrics: a family's sample names must not be another family's.
    fn check_clash(&mut self, number: u64, name: &str, kind: MetricType) {
        let f = self.fam_by_name[name];
        for n in sample_names(kind, name) {
            if let Some(&other) = self.names.get(&n) {
                if other != f {
                    let o = self.out.families[other as usize].name.clone();
                    self.invalid(
                        number,
                        format!("family {name} clashes with family {o} ({n})"),
                    );
                    return;
                }
            } else {
                self.names.insert(n, f);
            }
        }
    }

    fn close_family(&mut self) {
        self.finish_point();
        if let Some(f) = self.cur_family.take() {
            self.fam_state[f as usize].closed_in = self.scrape + 1;
        }
        if let Some(g) = self.cur_group.take() {
            self.group_closed[g as usize] = self.scrape + 1;
        }
    }

    fn sample(&mut self, line: &[u8], number: u64) {
        let end = match series_end(line) {
            Ok(e) => e,
            Err(msg) => {
                self.unparsed(number, msg);
                return;
            }
        };
        if end == 0 {
            self.unparsed(number, "a sample line must start with a metric name");
            return;
        }
        self.sample_of(line, end, None, number);
    }

    /// A sample line whose series text is `line[..end]` (its series, when known).
    fn sample_of(&mut self, line: &[u8], end: usize, known: Option<SeriesInfo>, number: u64) {
        let raw = &line[..end];
        let rest = &line[end..];
        let parts = match split_rest(rest, self.om, raw.ends_with(b"}")) {
            Ok(p) => p,
            Err(msg) => {
                self.unparsed(number, msg);
                return;
            }
        };
        let Some(value) = parse_float(parts.value) else {
            self.unparsed(number, format!("invalid value {:?}", lossy(parts.value)));
            return;
        };
        let ts = match parts.ts {
            None => None,
            Some(t) => match parse_float(t).filter(|v| v.is_finite()) {
                // Text timestamps are int64 milliseconds (Prometheus refuses a larger one);
                // OpenMetrics ones are any float of seconds (kept, at the end of the range,
                // with a warning: see `finish`).
                Some(v) if self.om || v.abs() < MAX_MS => Some(v),
                Some(_) => {
                    self.unparsed(
                        number,
                        format!("timestamp {} out of range (int64 milliseconds)", lossy(t)),
                    );
                    return;
                }
                None => {
                    self.unparsed(number, format!("invalid timestamp {:?}", lossy(t)));
                    return;
                }
            },
        };
        let exemplar = match parts.exemplar {
            None => None,
            Some(e) => match parse_exemplar(e, self.om) {
                Ok(x) => Some(x),
                Err(msg) => {
                    self.unparsed(number, msg);
                    return;
                }
            },
        };
        // The series is made only for a line that parses whole.
        let info = match known.or_else(|| self.raw.get(raw).copied()) {
            Some(i) => i,
            None => match self.new_series(raw, number) {
                Ok(i) => {
                    self.raw.insert(raw.into(), i);
                    i
                }
                Err(msg) => {
                    self.unparsed(number, msg);
                    return;
                }
            },
        };

        // A new scrape: a series met again without metadata to tell scrapes apart.
        let id = info.id as usize;
        if ts.is_none() && !self.meta_in_scrape && !self.om {
            if self.series_scrape[id] == self.scrape + 1 {
                self.new_scrape();
            }
            self.series_scrape[id] = self.scrape + 1;
        }

        // Family and group order.
        if self.cur_family != Some(info.family) {
            let st = &self.fam_state[info.family as usize];
            if self.om && st.closed_in == self.scrape + 1 {
                let name = self.out.families[info.family as usize].name.clone();
                self.invalid(
                    number,
                    format!("samples of family {name} are not together (it came earlier)"),
                );
            }
            self.close_family();
            self.cur_family = Some(info.family);
        }
        self.fam_state[info.family as usize].samples_in = self.scrape + 1;
        if self.cur_group != Some(info.group) {
            if self.om && self.group_closed[info.group as usize] == self.scrape + 1 {
                self.invalid(
                    number,
                    "samples of one label set are not together (it came earlier in its family)",
                );
            }
            self.finish_point();
            if let Some(g) = self.cur_group {
                self.group_closed[g as usize] = self.scrape + 1;
            }
            self.cur_group = Some(info.group);
        }

        if self.om {
            self.check_sample(&info, value, ts, exemplar.is_some(), number);
        }

        let sample = self.out.samples();
        if let Some((labels, v, t)) = exemplar {
            if self.om {
                let chars: usize = labels
                    .iter()
                    .map(|(k, v)| k.chars().count() + v.chars().count())
                    .sum();
                if chars > 128 {
                    self.invalid(
                        number,
                        format!("exemplar labels have {chars} characters (at most 128)"),
                    );
                }
            }
            self.out.exemplars.push(Exemplar {
                sample,
                labels,
                value: v,
                ts_ms: t.map(|s| {
                    let ms = (s * 1000.0).round();
                    if ms.abs() >= MAX_MS {
                        self.clamped_exemplars += 1;
                    }
                    ms as i64
                }),
            });
        }
        self.out.push_sample(info.id, NO_TS, value, number);
        self.ts_raw.push(ts.unwrap_or(f64::NAN));
    }

    /// The OpenMetrics rules for one sample.
    fn check_sample(
        &mut self,
        info: &SeriesInfo,
        value: f64,
        ts: Option<f64>,
        exemplar: bool,
        number: u64,
    ) {
        let id = info.id as usize;
        // Timestamps of a series: always or never, and never going back.
        let bits = ts.map_or(NONE, f64::to_bits);
        match (self.last_ts[id], ts) {
            (UNSEEN, _) => {}
            (NONE, Some(_)) | (_, None) if self.last_ts[id] != bits => {
                self.invalid(number, "a series with and without timestamps");
            }
            (_, Some(t)) if t < self.last_ts_value[id] => {
                self.invalid(number, "timestamp goes back in time within the series");
            }
            _ => {}
        }
        self.last_ts[id] = bits;
        if let Some(t) = ts {
            self.last_ts_value[id] = t;
        }

        let fam = &self.out.families[info.family as usize];
        let kind = fam.kind;
        let counter_like = |v: f64| v.is_nan() || v < 0.0;
        let bad = match (kind, info.suffix) {
            (MetricType::Counter, Suffix::Total) if counter_like(value) => {
                Some("a counter's value must be a number >= 0")
            }
            (MetricType::Histogram, Suffix::Bucket | Suffix::Count | Suffix::Sum)
            | (MetricType::GaugeHistogram, Suffix::Bucket | Suffix::GCount)
            | (MetricType::Summary, Suffix::Count | Suffix::Sum)
                if counter_like(value) =>
            {
                Some("buckets, counts and sums must be numbers >= 0")
            }
            (MetricType::GaugeHistogram, Suffix::GSum) if value.is_nan() => {
                Some("_gsum must be a number")
            }
            (MetricType::Summary, Suffix::Plain) if value < 0.0 => {
                Some("a quantile's value must be >= 0")
            }
            (MetricType::Info, _) if value != 1.0 => Some("an info metric's value must be 1"),
            (MetricType::StateSet, _) if value != 0.0 && value != 1.0 => {
                Some("a stateset's values must be 0 or 1")
            }
            _ => None,
        };
        if let Some(msg) = bad {
            self.invalid(number, msg);
        }
        if exemplar
            && !matches!(
                (kind, info.suffix),
                (MetricType::Counter, Suffix::Total)
                    | (
                        MetricType::Histogram | MetricType::GaugeHistogram,
                        Suffix::Bucket
                    )
            )
        {
            self.invalid(
                number,
                "exemplars belong on counters' _total and histograms' _bucket samples",
            );
        }

        if !matches!(kind, MetricType::Histogram | MetricType::GaugeHistogram) {
            return;
        }
        let ts_bits = ts.map_or(NONE, f64::to_bits);
        let same = self
            .point
            .as_ref()
            .is_some_and(|p| p.group == info.group && p.ts == ts_bits);
        if !same {
            self.finish_point();
            self.point = Some(Point {
                family: info.family,
                group: info.group,
                ts: ts_bits,
                line: number,
                buckets: 0,
                last_le: f64::NEG_INFINITY,
                last_bucket: 0.0,
                inf: None,
                count: None,
                sum: None,
                negative_le: false,
            });
        }
        let mut problem = None;
        if let Some(p) = self.point.as_mut() {
            match info.suffix {
                Suffix::Bucket => {
                    if p.buckets > 0 && info.le <= p.last_le {
                        problem = Some("buckets must be in increasing `le` order");
                    } else if p.buckets > 0 && value < p.last_bucket {
                        problem = Some("bucket counts must not decrease (they are cumulative)");
                    }
                    p.buckets += 1;
                    p.last_le = info.le;
                    p.last_bucket = value;
                    if info.le < 0.0 {
                        p.negative_le = true;
                    }
                    if info.le_inf {
                        p.inf = Some(value);
                    }
                }
                Suffix::Count | Suffix::GCount => p.count = Some(value),
                Suffix::Sum | Suffix::GSum => p.sum = Some(value),
                _ => {}
            }
        }
        if let Some(msg) = problem {
            self.invalid(number, msg);
        }
    }

    /// Checks the histogram point just read as a whole.
    fn finish_point(&mut self) {
        let Some(p) = self.point.take() else { return };
        let kind = self.out.families[p.family as usize].kind;
        let mut problems = Vec::new();
        if p.inf.is_none() {
            problems.push("a histogram needs a bucket with le=\"+Inf\"".to_string());
        }
        if p.count.is_some() != p.sum.is_some() {
            problems.push(if kind == MetricType::Histogram {
                "a histogram has both _count and _sum or neither".to_string()
            } else {
                "a gauge histogram has both _gcount and _gsum or neither".to_string()
            });
        }
        if let (Some(c), Some(inf)) = (p.count, p.inf)
            && c != inf
        {
            problems.push(format!("count {c} differs from the +Inf bucket {inf}"));
        }
        if kind == MetricType::Histogram && p.negative_le && p.sum.is_some() {
            problems.push("a histogram with negative buckets has no _sum".to_string());
        }
        if kind == MetricType::GaugeHistogram && !p.negative_le && p.sum.is_some_and(|s| s < 0.0) {
            problems.push("_gsum is negative without negative buckets".to_string());
        }
        for msg in problems {
            self.invalid(p.line, msg);
        }
    }

    /// Parses a series text met for the first time.
    fn new_series(&mut self, raw: &[u8], number: u64) -> Result<SeriesInfo, String> {
        let (name, labels) = parse_series(raw, self.om)?;
        let family = self.family_of(&name, number);
        let fam = &self.out.families[family as usize];
        let kind = fam.kind;
        let suffix = accepts(kind, &fam.name, &name, self.om).unwrap_or(Suffix::Plain);
        let fam_name = fam.name.clone();
        let mut le = f64::NAN;
        let mut le_inf = false;
        let mut problem = None;
        let mut group_labels = Vec::with_capacity(labels.len());
        let mut has_state = false;
        for (k, v) in &labels {
            let bucket_le = k == "le"
                && matches!(kind, MetricType::Histogram | MetricType::GaugeHistogram)
                && suffix == Suffix::Bucket;
            let quantile =
                k == "quantile" && kind == MetricType::Summary && suffix == Suffix::Plain;
            let state = kind == MetricType::StateSet && *k == fam_name;
            if bucket_le {
                le_inf = v == "+Inf";
                match parse_float(v.as_bytes()) {
                    Some(x) if !x.is_nan() => le = x,
                    _ => problem = Some(format!("invalid bucket bound le={v:?}")),
                }
                continue;
            }
            if quantile {
                match parse_float(v.as_bytes()) {
                    Some(q) if (0.0..=1.0).contains(&q) => {}
                    _ => problem = Some(format!("invalid quantile {v:?} (0 to 1)")),
                }
                continue;
            }
            if state {
                has_state = true;
                continue;
            }
            group_labels.push((k.clone(), v.clone()));
        }
        if self.om {
            match (kind, suffix) {
                (MetricType::Histogram | MetricType::GaugeHistogram, Suffix::Bucket)
                    if le.is_nan() && problem.is_none() =>
                {
                    problem = Some("a bucket needs an `le` label".into());
                }
                (MetricType::Summary, Suffix::Plain)
                    if !labels.iter().any(|(k, _)| k == "quantile") =>
                {
                    problem = Some("a summary's quantile sample needs a `quantile` label".into());
                }
                (MetricType::StateSet, _) if !has_state => {
                    problem = Some(format!("a stateset sample needs a label named {fam_name}"));
                }
                _ => {}
            }
        }
        if let Some(msg) = problem {
            self.invalid(number, msg);
        }
        let next_group = self.group_closed.len() as u32;
        let group = *self
            .groups
            .entry((family, group_labels))
            .or_insert(next_group);
        if group == next_group {
            self.group_closed.push(0);
        }
        let key = (name, labels);
        let id = match self.canon.get(&key) {
            Some(&id) => id,
            None => {
                let id = self.out.series.len() as u32;
                self.out.series.push(SeriesDef {
                    name: key.0.clone(),
                    labels: key.1.clone(),
                    family,
                });
                self.canon.insert(key, id);
                self.last_ts.push(UNSEEN);
                self.last_ts_value.push(f64::NEG_INFINITY);
                self.series_scrape.push(0);
                id
            }
        };
        Ok(SeriesInfo {
            id,
            family,
            suffix,
            group,
            le,
            le_inf,
        })
    }

    /// The family a sample name belongs to, starting an `unknown` one when none takes it.
    fn family_of(&mut self, name: &str, number: u64) -> u32 {
        if let Some(f) = self.cur_family {
            let fam = &self.out.families[f as usize];
            if accepts(fam.kind, &fam.name, name, self.om).is_some() {
                return f;
            }
        }
        if let Some(&f) = self.fam_by_name.get(name) {
            let fam = &self.out.families[f as usize];
            if self.om && accepts(fam.kind, &fam.name, name, true).is_none() {
                let msg = format!(
                    "sample {name} does not belong to the {} family {name}{}",
                    fam.kind,
                    if fam.kind == MetricType::Counter {
                        " (OpenMetrics counter samples end in _total)"
                    } else {
                        ""
                    }
                );
                self.invalid(number, msg);
            }
            return f;
        }
        // A family declared earlier whose sample this is (`a_sum` of summary `a`).
        if let Some(&f) = self.names.get(name) {
            let fam = &self.out.families[f as usize];
            if accepts(fam.kind, &fam.name, name, self.om).is_some() {
                return f;
            }
        }
        if !self.om {
            for suffix in ["_bucket", "_count", "_sum", "_total", "_created", "_info"] {
                if let Some(base) = name.strip_suffix(suffix)
                    && let Some(&f) = self.fam_by_name.get(base)
                {
                    let fam = &self.out.families[f as usize];
                    if accepts(fam.kind, &fam.name, name, false).is_some() {
                        return f;
                    }
                }
            }
        }
        self.out.families.push(Family {
            name: name.to_string(),
            kind: MetricType::Unknown,
            help: None,
            unit: None,
        });
        self.fam_state.push(FamilyState::default());
        let f = (self.out.families.len() - 1) as u32;
        self.fam_by_name.insert(name.to_string(), f);
        if self.om {
            self.check_clash(number, name, MetricType::Unknown);
        }
        f
    }

    fn finish(mut self, lines: u64) -> Parsed {
        self.close_family();
        self.out.lines = lines;
        if self.eof.is_some() && !self.om {
            // Written as OpenMetrics after all: timestamps are seconds.
            self.om = true;
            self.out.openmetrics = true;
        }
        if self.om && self.eof.is_none() {
            let msg = "no `# EOF` line at the end: the file may be cut short";
            if self.strict {
                self.out.problem(lines, ProblemKind::Invalid, msg);
            } else {
                self.out.problem(lines, ProblemKind::Warning, msg);
            }
        }
        let scale = if self.om { 1000.0 } else { 1.0 };
        let mut clamped = self.clamped_exemplars;
        for (t, raw) in self.out.sample_ts.iter_mut().zip(&self.ts_raw) {
            if !raw.is_nan() {
                let ms = (raw * scale).round();
                clamped += u64::from(ms.abs() >= MAX_MS);
                *t = ms as i64;
            }
        }
        if clamped > 0 {
            self.out.problem(
                0,
                ProblemKind::Warning,
                format!(
                    "{clamped} timestamps past what podsift's times hold (292 million years from 1970) were kept at the end of that range"
                ),
            );
        }
        if !self.om {
            // Exemplars were read as seconds.
            for e in &mut self.out.exemplars {
                e.ts_ms = e.ts_ms.map(|t| t / 1000);
            }
        }
        self.out.problems.sort_by_key(|p| p.line);
        self.out
    }
}

/// A text-format sample line with the whitespace the format allows between the metric name
/// and `{` taken out (`name {a="b"} 1`).
pub(crate) fn normalize_text_sample(line: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let n = line.iter().take_while(|c| is_name_char(**c)).count();
    if n == 0 || !matches!(line.get(n), Some(b' ' | b'\t')) {
        return line.into();
    }
    let after = line[n..].trim_ascii_start();
    if after.first() == Some(&b'{') {
        [&line[..n], after].concat().into()
    } else {
        line.into()
    }
}

/// Where the series text (`name{labels}`) of a sample line ends.
pub(crate) fn series_end(line: &[u8]) -> Result<usize, &'static str> {
    let mut i = 0;
    while i < line.len() && is_name_char(line[i]) {
        i += 1;
    }
    if line.get(i) != Some(&b'{') {
        return Ok(i);
    }
    // Jump from quote to quote (label values may hold `}`), with memchr.
    let mut j = i + 1;
    while let Some(k) = memchr::memchr2(b'"', b'}', &line[j..]) {
        let at = j + k;
        if line[at] == b'}' {
            return Ok(at + 1);
        }
        // Inside a quoted value: to its closing quote, over escapes.
        let mut q = at + 1;
        loop {
            match memchr::memchr2(b'"', b'\\', &line[q.min(line.len())..]) {
                Some(m) if line[q + m] == b'\\' => q += m + 2,
                Some(m) => {
                    q += m + 1;
                    break;
                }
                None => return Err("label set without its closing `}`"),
            }
        }
        j = q;
    }
    Err("label set without its closing `}`")
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b':'
}

fn valid_metric_name(name: &[u8]) -> bool {
    !name.is_empty() && !name[0].is_ascii_digit() && name.iter().all(|c| is_name_char(*c))
}

fn valid_label_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && !b[0].is_ascii_digit()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// Milliseconds an i64 holds (a little under `i64::MAX`, as an f64 compares).
const MAX_MS: f64 = 9.2e18;

fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// Parses `name{labels}` (or `{"name", labels}`, or `{__name__="name", labels}`) into the
/// name and labels sorted by name.
pub(crate) fn parse_series(raw: &[u8], om: bool) -> Result<(String, Labels), String> {
    let n = raw.iter().take_while(|c| is_name_char(**c)).count();
    let mut name = if n > 0 {
        if !valid_metric_name(&raw[..n]) {
            return Err(format!("invalid metric name {:?}", lossy(&raw[..n])));
        }
        Some(lossy(&raw[..n]).into_owned())
    } else {
        None
    };
    let mut labels: Labels = Vec::new();
    if n < raw.len() {
        // raw[n] == '{' and raw ends with '}'.
        let body = &raw[n + 1..raw.len() - 1];
        let (quoted_name, pairs) = parse_labels(body, om)?;
        if let Some(q) = quoted_name {
            if name.is_some() {
                return Err("a metric name both before and inside the braces".into());
            }
            name = Some(q);
        }
        labels = pairs;
    }
    if let Some(pos) = labels.iter().position(|(k, _)| k == "__name__") {
        let (_, v) = labels.remove(pos);
        if name.is_some() {
            return Err("a metric name both before the braces and as __name__".into());
        }
        name = Some(v);
    }
    let Some(name) = name else {
        return Err("a sample without a metric name".into());
    };
    labels.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    if labels.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err("the same label twice".into());
    }
    Ok((name, labels))
}

/// Parses the inside of `{...}`: `a="1",b="2"`. Returns a quoted metric name written first
/// without `=` (Prometheus 3: `{"my.metric", a="1"}`) and the pairs.
/// Most labels a series may have. Real series have tens; a line of millions (a hostile
/// exposition) would take gigabytes as label pairs.
const MAX_LABELS: usize = 4096;

pub(crate) fn parse_labels(body: &[u8], om: bool) -> Result<(Option<String>, Labels), String> {
    let mut out = Vec::new();
    let mut quoted_name = None;
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        if !om {
            while *i < body.len() && (body[*i] == b' ' || body[*i] == b'\t') {
                *i += 1;
            }
        }
    };
    let mut first = true;
    loop {
        skip_ws(&mut i);
        if i >= body.len() {
            if !first && om {
                return Err("a comma at the end of the label set".into());
            }
            break;
        }
        // Label name: plain or quoted.
        let key = if body[i] == b'"' {
            let (s, next) = quoted(body, i)?;
            i = next;
            s
        } else {
            let start = i;
            while i < body.len() && (body[i].is_ascii_alphanumeric() || body[i] == b'_') {
                i += 1;
            }
            let k = lossy(&body[start..i]).into_owned();
            if !valid_label_name(&k) {
                return Err(format!(
                    "invalid label name {:?}",
                    lossy(&body[start..i.max(start + 1).min(body.len())])
                ));
            }
            k
        };
        skip_ws(&mut i);
        if first && !om && (i >= body.len() || body[i] == b',') && body.first() == Some(&b'"') {
            // `{"metric.name", ...}`
            quoted_name = Some(key);
        } else {
            if body.get(i) != Some(&b'=') {
                return Err(format!("label {key} without `=`"));
            }
            i += 1;
            skip_ws(&mut i);
            if body.get(i) != Some(&b'"') {
                return Err(format!("the value of label {key} is not in double quotes"));
            }
            let (v, next) = quoted(body, i)?;
            i = next;
            if out.len() >= MAX_LABELS {
                return Err(format!(
                    "more than {MAX_LABELS} labels: not a series podsift keeps (the line is counted as unparsed)"
                ));
            }
            out.push((key, v));
        }
        first = false;
        skip_ws(&mut i);
        if i >= body.len() {
            break;
        }
        if body[i] != b',' {
            return Err("labels must be separated by commas".into());
        }
        i += 1;
        if om && i >= body.len() {
            return Err("a comma at the end of the label set".into());
        }
    }
    Ok((quoted_name, out))
}

/// Reads a double-quoted string at `body[i]`; returns it unescaped and the index after it.
fn quoted(body: &[u8], i: usize) -> Result<(String, usize), String> {
    let mut j = i + 1;
    let mut s = Vec::new();
    while j < body.len() {
        match body[j] {
            b'"' => return Ok((String::from_utf8_lossy(&s).into_owned(), j + 1)),
            b'\\' if j + 1 < body.len() => {
                match body[j + 1] {
                    b'\\' => s.push(b'\\'),
                    b'"' => s.push(b'"'),
                    b'n' => s.push(b'\n'),
                    c => {
                        s.push(b'\\');
                        s.push(c);
                    }
                }
                j += 2;
            }
            c => {
                s.push(c);
                j += 1;
            }
        }
    }
    Err("a label value without its closing quote".into())
}

fn unescape_help(b: &[u8]) -> String {
    let mut s = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'\\' => s.push(b'\\'),
                b'n' => s.push(b'\n'),
                b'"' => s.push(b'"'),
                c => {
                    s.push(b'\\');
                    s.push(c);
                }
            }
            i += 2;
        } else {
            s.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&s).into_owned()
}

/// A float as both formats write it: decimal, `+Inf`, `-Inf`, `NaN` (no hex, no `_`).
pub(crate) fn parse_float(b: &[u8]) -> Option<f64> {
    // Integers (timestamps in ms, counts) without the general parser.
    if !b.is_empty() && b.len() <= 15 && b.iter().all(u8::is_ascii_digit) {
        let mut n = 0u64;
        for &c in b {
            n = n * 10 + u64::from(c - b'0');
        }
        return Some(n as f64);
    }
    let s = std::str::from_utf8(b).ok()?;
    if s.is_empty() {
        return None;
    }
    s.parse::<f64>().ok()
}

struct RestParts<'a> {
    value: &'a [u8],
    ts: Option<&'a [u8]>,
    exemplar: Option<&'a [u8]>,
}

/// Splits what follows the series text: ` value [ts] [# {labels} value [ts]]`.
fn split_rest(rest: &[u8], om: bool, after_brace: bool) -> Result<RestParts<'_>, String> {
    let (main, exemplar) = match memchr::memchr(b'#', rest) {
        Some(h) => {
            if h == 0 || rest[h - 1] != b' ' || rest.get(h + 1) != Some(&b' ') {
                return Err("a `#` that does not start an exemplar (` # {...} value`)".into());
            }
            (&rest[..h - 1], Some(&rest[h + 2..]))
        }
        None => (rest, None),
    };
    if om {
        let Some(main) = main.strip_prefix(b" ") else {
            return Err("a single space must follow the metric".into());
        };
        let mut it = main.split(|&c| c == b' ');
        let value = it.next().unwrap_or_default();
        let ts = it.next();
        if value.is_empty() || ts.is_some_and(<[u8]>::is_empty) || it.next().is_some() {
            return Err("expected `value` or `value timestamp` after the metric, separated by single spaces".into());
        }
        Ok(RestParts {
            value,
            ts,
            exemplar,
        })
    } else {
        // Go's parser takes `name{a="b"}1` too.
        if !main.first().is_some_and(|c| *c == b' ' || *c == b'\t') && !after_brace {
            return Err("whitespace must follow the metric".into());
        }
        let mut it = main
            .split(|&c| c == b' ' || c == b'\t')
            .filter(|t| !t.is_empty());
        let Some(value) = it.next() else {
            return Err("a sample without a value".into());
        };
        let ts = it.next();
        if it.next().is_some() {
            return Err("more than a value and a timestamp after the metric".into());
        }
        Ok(RestParts {
            value,
            ts,
            exemplar,
        })
    }
}

type ParsedExemplar = (Labels, f64, Option<f64>);

/// Parses `{labels} value [ts]` after ` # `.
fn parse_exemplar(e: &[u8], om: bool) -> Result<ParsedExemplar, String> {
    if e.first() != Some(&b'{') {
        return Err("an exemplar starts with `{`".into());
    }
    let end = series_end(e).map_err(str::to_string)?;
    if end == 0 {
        return Err("an exemplar's label set is not closed".into());
    }
    let (_, mut labels) = parse_labels(&e[1..end - 1], true)?;
    labels.sort();
    let rest = &e[end..];
    let Some(rest) = rest.strip_prefix(b" ") else {
        return Err("a space must follow an exemplar's labels".into());
    };
    let mut it = rest.split(|&c| c == b' ');
    let value = it.next().unwrap_or_default();
    let ts = it.next();
    if value.is_empty() || (om && ts.is_some_and(<[u8]>::is_empty)) || it.next().is_some() {
        return Err("an exemplar is `{labels} value [timestamp]`".into());
    }
    let v =
        parse_float(value).ok_or_else(|| format!("invalid exemplar value {:?}", lossy(value)))?;
    let t = match ts.filter(|t| !t.is_empty()) {
        Some(t) => Some(
            parse_float(t)
                .filter(|x| x.is_finite())
                .ok_or_else(|| format!("invalid exemplar timestamp {:?}", lossy(t)))?,
        ),
        None => None,
    };
    Ok((labels, v, t))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn om(s: &str) -> Parsed {
        parse(s.as_bytes(), Dialect::OpenMetrics)
    }

    /// A text timestamp past int64 milliseconds is a line not read, with a message (as
    /// Prometheus refuses it); an OpenMetrics one (any float of seconds) is kept at the end
    /// of the range with a warning: neither is clamped silently.
    #[test]
    fn out_of_range_timestamps_are_reported_not_clamped_silently() {
        let p = parse(
            b"a 1 1700000000000\na 2 99999999999999999999\na 3 -1e300\n",
            Dialect::Text,
        );
        assert_eq!(p.sample_ts, vec![1_700_000_000_000]);
        let msgs: Vec<_> = p
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(
            msgs,
            vec![
                (
                    2,
                    "timestamp 99999999999999999999 out of range (int64 milliseconds)"
                ),
                (3, "timestamp -1e300 out of range (int64 milliseconds)")
            ]
        );
        let p = om("a 1 1e17\n# EOF\n");
        assert_eq!(p.sample_ts, vec![i64::MAX]);
        assert!(p.is_valid(), "{:?}", p.problems);
        assert_eq!(p.problems[0].kind, ProblemKind::Warning);
        assert!(
            p.problems[0]
                .message
                .starts_with("1 timestamps past what podsift's times hold"),
            "{:?}",
            p.problems
        );
    }

    #[test]
    fn text_format_basics() {
        let p = parse(
            b"# HELP http_requests_total The total.\n# TYPE http_requests_total counter\n\
              http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n\
              http_requests_total{code=\"400\", method=\"post\",} 3 1395066363000\n\n\
              # a comment\nmsdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n\
              metric_without_timestamp_and_labels 12.47\nsomething_weird{problem=\"division by zero\"} +Inf -3982045\n",
            Dialect::Auto,
        );
        assert!(!p.openmetrics);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.samples(), 5);
        assert_eq!(p.sample_ts[0], 1395066363000);
        assert_eq!(p.sample_ts[2], NO_TS);
        assert_eq!(p.sample_ts[4], -3982045);
        assert!(p.sample_value[4].is_infinite());
        assert_eq!(
            p.series[2].labels,
            vec![
                (
                    "error".to_string(),
                    "Cannot find file:\n\"FILE.TXT\"".to_string()
                ),
                ("path".to_string(), "C:\\DIR\\FILE.TXT".to_string()),
            ]
        );
        assert_eq!(p.families[0].kind, MetricType::Counter);
        assert_eq!(p.families[0].help.as_deref(), Some("The total."));
        assert_eq!(p.series[0].family, 0);
        assert_eq!(p.lines, 9);
        assert_eq!(p.other_lines + p.samples() as u64 + p.unparsed, p.lines);
    }

    #[test]
    fn a_series_with_too_many_labels_is_an_unparsed_line() {
        let labels: Vec<String> = (0..5000).map(|i| format!("l{i}=\"v\"")).collect();
        let text = format!("up 1\nhuge{{{}}} 1\ndown 0\n", labels.join(","));
        let p = parse(text.as_bytes(), Dialect::Auto);
        assert_eq!(p.samples(), 2);
        assert_eq!(p.unparsed, 1);
        assert!(
            p.problems
                .iter()
                .any(|x| x.line == 2 && x.message.contains("more than 4096 labels")),
            "{:?}",
            p.problems
        );
    }

    #[test]
    fn promtool_dump_lines() {
        let p = parse(
            b"{__name__=\"heavy_metric\", foo=\"bar\"} 5 0\n{__name__=\"heavy_metric\", foo=\"bar\"} 4 60000\n",
            Dialect::Auto,
        );
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.series.len(), 1);
        assert_eq!(p.series[0].name, "heavy_metric");
        assert_eq!(p.sample_ts, vec![0, 60000]);
    }

    #[test]
    fn openmetrics_times_are_seconds_and_exemplars_kept() {
        let p = parse(
            b"# TYPE a counter\na_total 1 1.5 # {trace_id=\"x\"} 2 1.25\n# EOF\n",
            Dialect::Auto,
        );
        assert!(p.openmetrics);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.sample_ts, vec![1500]);
        assert_eq!(p.exemplars.len(), 1);
        assert_eq!(p.exemplars[0].ts_ms, Some(1250));
        assert_eq!(p.exemplars[0].labels, vec![("trace_id".into(), "x".into())]);
    }

    #[test]
    fn eof_at_the_end_switches_to_seconds() {
        // Nothing in the first lines says OpenMetrics, but the end does.
        let p = parse(b"up{job=\"a\"} 1 1700000000\n# EOF\n", Dialect::Auto);
        assert!(p.openmetrics);
        assert_eq!(p.sample_ts, vec![1_700_000_000_000]);
    }

    #[test]
    fn bad_lines_are_reported_and_the_rest_kept() {
        let p = parse(b"a 1\nb{x=1} 2\nc 3 4 5\nd{y=\"1\"} 4\n", Dialect::Auto);
        assert_eq!(p.samples(), 2);
        assert_eq!(p.unparsed, 2);
        let lines: Vec<u64> = p.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3]);
    }

    #[test]
    fn concatenated_scrapes_are_separate() {
        let one = "# HELP up x\n# TYPE up gauge\nup 1\n";
        let p = parse(format!("{one}{one}{one}").as_bytes(), Dialect::Auto);
        assert_eq!(p.samples(), 3);
        assert_eq!(p.scrape_starts, vec![1, 2]);
        // Without metadata: a series met again starts the next scrape.
        let p = parse(b"a 1\nb 2\na 3\nb 4\n", Dialect::Auto);
        assert_eq!(p.scrape_starts, vec![2]);
    }

    #[test]
    fn streaming_in_any_pieces_equals_whole() {
        let text = b"# HELP a x\n# TYPE a counter\na_total{x=\"}\\\"\"} 1 1.5\r\na_total{x=\"2\"} 2 1.5\nbad line\n# EOF";
        let whole = parse(text, Dialect::Auto);
        assert!(whole.openmetrics);
        assert_eq!(whole.samples(), 2);
        for size in 1..text.len() {
            let mut s = Streaming::new(Dialect::OpenMetrics);
            for piece in text.chunks(size) {
                s.feed(piece);
            }
            let p = s.finish();
            assert_eq!(p.sample_ts, whole.sample_ts, "pieces of {size}");
            assert_eq!(p.series, whole.series, "pieces of {size}");
            assert_eq!(p.problems, whole.problems, "pieces of {size}");
            assert_eq!((p.lines, p.unparsed), (whole.lines, whole.unparsed));
        }
    }

    #[test]
    fn openmetrics_rules() {
        assert!(om("# TYPE a counter\n# HELP a help\na_total 1\n# EOF\n").is_valid());
        assert!(!om("a 1\n").is_valid(), "no EOF");
        assert!(!om("# TYPE a counter\na_total -1\n# EOF\n").is_valid());
        assert!(!om("# TYPE a histogram\na_bucket{le=\"2\"} 0\na_bucket{le=\"1\"} 0\na_bucket{le=\"+Inf\"} 0\n# EOF\n").is_valid());
        assert!(!om("# TYPE a gauge\na 0 1\na 0 0\n# EOF\n").is_valid());
        assert!(om("# TYPE a gauge\na 0 1\na 0 1\n# EOF\n").is_valid());
        assert!(!om("# TYPE a gauge\na 1 # {a=\"b\"} 1\n# EOF\n").is_valid());
    }
}
