//! The write-ahead log (`wal/00000012`, its checkpoint `wal/checkpoint.00000011/00000000`, and
//! the out-of-order `wbl/`): the last hours of a Prometheus, which live nowhere else.
//!
//! A segment is 32 KiB pages of record fragments (type, length, CRC32-C, data; a record may be
//! split first/middle/last across pages, never across segments), each record Snappy or zstd
//! compressed when its flags say so. Records: series (ref and labels), float samples,
//! tombstones, exemplars, metadata, integer and float native histograms (with custom bounds
//! too). Newer record types are counted and named. A record cut at the end of the last segment
//! is what a Prometheus that was stopped or copied while writing leaves: it is said, and
//! everything before it is kept.

use std::collections::{BTreeMap, HashMap};

use super::dec::{Dec, crc32c};
use crate::metrics::histogram::{CUSTOM_BUCKETS_SCHEMA, CounterReset, NativeHistogram};
use crate::metrics::{Exemplar, MetricType, Parsed, SeriesInterner};

/// Bytes of a WAL page.
pub const PAGE: usize = 32 * 1024;
/// Bytes of a fragment's header: type, length (2), CRC32-C (4).
const HEADER: usize = 7;

/// A problem in a segment: (byte offset in the segment, message).
pub type Problem = (u64, String);

/// What reading the records of one segment found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SegmentStats {
    /// Whole records read.
    pub records: u64,
    /// Float and histogram samples read.
    pub samples: u64,
    /// Damage.
    pub problems: Vec<Problem>,
    /// The last record is cut off at the end of the segment (normal for the newest segment of
    /// a Prometheus that was still writing).
    pub torn_tail: bool,
    /// Records of types podsift does not read, by type.
    pub unknown: BTreeMap<u8, u64>,
}

/// Splits a segment into its records (reassembled and decompressed), calling `record(offset,
/// bytes)` for each; damage is reported and the reader goes on at the next page.
pub fn records(seg: &[u8], mut record: impl FnMut(u64, &[u8]), stats: &mut SegmentStats) {
    let mut pos = 0usize;
    // A record being put together from fragments: (its offset, compression flags, bytes).
    let mut partial: Option<(usize, u8, Vec<u8>)> = None;
    let mut scratch = Vec::new();
    while pos < seg.len() {
        let page_end = (pos / PAGE + 1) * PAGE;
        let left = page_end.min(seg.len()) - pos;
        if left < HEADER {
            // Too little room for a header: the rest of the page is padding.
            pos = page_end;
            continue;
        }
        let kind = seg[pos];
        let typ = kind & 0b111;
        if typ == 0 {
            // Page terminator: the rest of the page is zeros.
            pos = page_end;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([seg[pos + 1], seg[pos + 2]]));
        let want = u32::from_be_bytes([seg[pos + 3], seg[pos + 4], seg[pos + 5], seg[pos + 6]]);
        let start = pos + HEADER;
        let end = start + len;
        if end > page_end.min(seg.len()) {
            if end > seg.len() && page_end >= seg.len() {
                // The segment ends inside this fragment: a torn write.
                stats.torn_tail = true;
                return;
            }
            stats.problems.push((
                pos as u64,
                format!("a record fragment of {len} bytes runs past its page; the rest of the page is skipped"),
            ));
            partial = None;
            pos = page_end;
            continue;
        }
        let data = &seg[start..end];
        if crc32c(data) != want {
            stats.problems.push((
                pos as u64,
                "a record fragment fails its checksum; the rest of the page is skipped".into(),
            ));
            partial = None;
            pos = page_end;
            continue;
        }
        let flags = kind & 0b1_1000;
        pos = end;
        match typ {
            1 => {
                if partial.take().is_some() {
                    stats.problems.push((
                        pos as u64,
                        "a record's first fragments were not followed by its last one; it is lost"
                            .into(),
                    ));
                }
                emit(
                    pos - len - HEADER,
                    flags,
                    data,
                    &mut scratch,
                    &mut record,
                    stats,
                );
            }
            2 => {
                if partial.is_some() {
                    stats.problems.push((
                        pos as u64,
                        "a record's first fragments were not followed by its last one; it is lost"
                            .into(),
                    ));
                }
                partial = Some((pos - len - HEADER, flags, data.to_vec()));
            }
            3 | 4 => match partial.as_mut() {
                Some((_, _, buf)) => {
                    buf.extend_from_slice(data);
                    if typ == 4 {
                        let (at, flags, buf) = partial.take().unwrap_or_default();
                        emit(at, flags, &buf, &mut scratch, &mut record, stats);
                    }
                }
                None => stats.problems.push((
                    (pos - len - HEADER) as u64,
                    "a record fragment without the first part of its record; skipped".into(),
                )),
            },
            _ => {
                stats.problems.push((
                    (pos - len - HEADER) as u64,
                    format!("unknown record fragment type {typ}; the rest of the page is skipped"),
                ));
                partial = None;
                pos = page_end;
            }
        }
    }
    if partial.is_some() {
        stats.torn_tail = true;
    }
}

fn emit(
    at: usize,
    flags: u8,
    data: &[u8],
    scratch: &mut Vec<u8>,
    record: &mut impl FnMut(u64, &[u8]),
    stats: &mut SegmentStats,
) {
    let bytes: &[u8] = if flags & 0b0_1000 != 0 {
        match snap::raw::decompress_len(data)
            .ok()
            .filter(|&n| n <= MAX_RECORD)
            .and_then(|n| {
                scratch.resize(n, 0);
                snap::raw::Decoder::new().decompress(data, scratch).ok()
            }) {
            Some(n) => &scratch[..n],
            None => {
                stats.problems.push((
                    at as u64,
                    "a Snappy-compressed record does not decompress; skipped".into(),
                ));
                return;
            }
        }
    } else if flags & 0b1_0000 != 0 {
        scratch.clear();
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(data);
        let ok = match decoder.as_mut() {
            Ok(d) => {
                use std::io::Read;
                d.take(MAX_RECORD as u64 + 1).read_to_end(scratch).is_ok()
                    && scratch.len() <= MAX_RECORD
            }
            Err(_) => false,
        };
        if !ok {
            stats.problems.push((
                at as u64,
                "a zstd-compressed record does not decompress; skipped".into(),
            ));
            return;
        }
        &scratch[..]
    } else {
        data
    };
    stats.records += 1;
    record(at as u64, bytes);
}

/// The largest record podsift decompresses (a record is at most a segment: 128 MiB by default).
const MAX_RECORD: usize = 256 << 20;

/// The WAL (or a checkpoint, or the out-of-order WBL) read into series and samples: series
/// records map refs to labels, samples refer to refs.
#[derive(Debug, Default)]
pub struct Wal {
    /// Series, samples, histograms, exemplars and families.
    pub parsed: Parsed,
    interner: SeriesInterner,
    /// Series refs to series in `parsed`.
    refs: HashMap<u64, u32>,
    /// Samples whose series was never named, by ref: their count.
    pub orphans: BTreeMap<u64, u64>,
    /// Deleted ranges by series ref (tombstone records), applied at [`Wal::finish`].
    tombstones: HashMap<u64, Vec<(i64, i64)>>,
    /// Samples of refs not named yet, histograms and exemplars, kept until the end (a series
    /// record comes before its samples unless the WAL is damaged).
    pending: Vec<(u64, i64, Pending)>,
    /// Metadata by ref: (type, help, unit).
    metadata: HashMap<u64, (u8, String, String)>,
}

#[derive(Debug)]
enum Pending {
    Float(f64),
    Histogram(Box<NativeHistogram>),
    Exemplar(f64, Vec<(String, String)>),
}

impl Wal {
    /// Reads one record; what is wrong with it is returned.
    pub fn record(&mut self, rec: &[u8], stats: &mut SegmentStats) -> Result<(), String> {
        let Some((&typ, body)) = rec.split_first() else {
            return Ok(());
        };
        let mut d = Dec::new(body);
        let cut = |what: &str| format!("{what} record cut short or malformed");
        match typ {
            1 => {
                while d.left() > 0 {
                    let r = d.be64().ok_or_else(|| cut("series"))?;
                    let labels = labels(&mut d).ok_or_else(|| cut("series"))?;
                    let mut name = String::new();
                    let labels: Vec<(String, String)> = labels
                        .into_iter()
                        .filter_map(|(k, v)| {
                            if k == "__name__" {
                                name = v;
                                None
                            } else {
                                Some((k, v))
                            }
                        })
                        .collect();
                    let id = self
                        .interner
                        .id(&mut self.parsed, name, labels, MetricType::Unknown);
                    self.refs.insert(r, id);
                }
            }
            2 => {
                if d.left() == 0 {
                    return Ok(());
                }
                let base = d.be64().ok_or_else(|| cut("samples"))?;
                let t0 = d.be64().ok_or_else(|| cut("samples"))? as i64;
                while d.left() > 0 {
                    let dr = d.varint().ok_or_else(|| cut("samples"))?;
                    let dt = d.varint().ok_or_else(|| cut("samples"))?;
                    let v = f64::from_bits(d.be64().ok_or_else(|| cut("samples"))?);
                    let r = base.wrapping_add(dr as u64);
                    let t = t0.wrapping_add(dt);
                    match self.refs.get(&r) {
                        Some(&id) => self.parsed.push_sample(id, t, v, 0),
                        None => self.pending.push((r, t, Pending::Float(v))),
                    }
                    stats.samples += 1;
                }
            }
            3 => {
                while d.left() > 0 {
                    let r = d.be64().ok_or_else(|| cut("tombstones"))?;
                    let a = d.varint().ok_or_else(|| cut("tombstones"))?;
                    let b = d.varint().ok_or_else(|| cut("tombstones"))?;
                    self.tombstones.entry(r).or_default().push((a, b));
                }
            }
            4 => {
                if d.left() == 0 {
                    return Ok(());
                }
                let base = d.be64().ok_or_else(|| cut("exemplars"))?;
                let t0 = d.be64().ok_or_else(|| cut("exemplars"))? as i64;
                while d.left() > 0 {
                    let dr = d.varint().ok_or_else(|| cut("exemplars"))?;
                    let dt = d.varint().ok_or_else(|| cut("exemplars"))?;
                    let v = f64::from_bits(d.be64().ok_or_else(|| cut("exemplars"))?);
                    let l = labels(&mut d).ok_or_else(|| cut("exemplars"))?;
                    let r = base.wrapping_add(dr as u64);
                    self.pending
                        .push((r, t0.wrapping_add(dt), Pending::Exemplar(v, l)));
                }
            }
            6 => {
                while d.left() > 0 {
                    let r = d.uvarint().ok_or_else(|| cut("metadata"))?;
                    let kind = d.byte().ok_or_else(|| cut("metadata"))?;
                    let n = d.uvarint().ok_or_else(|| cut("metadata"))?;
                    let (mut help, mut unit) = (String::new(), String::new());
                    for _ in 0..n {
                        let k = d.uvarint_bytes().ok_or_else(|| cut("metadata"))?;
                        let v = d.uvarint_bytes().ok_or_else(|| cut("metadata"))?;
                        match k {
                            b"HELP" => help = String::from_utf8_lossy(v).into_owned(),
                            b"UNIT" => unit = String::from_utf8_lossy(v).into_owned(),
                            _ => {}
                        }
                    }
                    self.metadata.insert(r, (kind, help, unit));
                }
            }
            7..=10 => {
                if d.left() == 0 {
                    return Ok(());
                }
                let float = typ == 8 || typ == 10;
                let base = d.be64().ok_or_else(|| cut("histogram samples"))?;
                let t0 = d.be64().ok_or_else(|| cut("histogram samples"))? as i64;
                while d.left() > 0 {
                    let dr = d.varint().ok_or_else(|| cut("histogram samples"))?;
                    let dt = d.varint().ok_or_else(|| cut("histogram samples"))?;
                    let h = histogram(&mut d, float).ok_or_else(|| cut("histogram samples"))?;
                    let r = base.wrapping_add(dr as u64);
                    self.pending
                        .push((r, t0.wrapping_add(dt), Pending::Histogram(Box::new(h))));
                    stats.samples += 1;
                }
            }
            // Out-of-order m-map markers (WBL): where chunks went, no samples.
            5 => {}
            other => *stats.unknown.entry(other).or_default() += 1,
        }
        Ok(())
    }

    /// Adds the samples of a head chunk (`chunks_head/`) of series `r`; the WAL holds them too
    /// while it is whole, and the repeats are merged away. Returns the samples it held, or
    /// what is wrong with it.
    pub fn head_chunk(&mut self, r: u64, encoding: u8, data: &[u8]) -> Result<u64, String> {
        use super::chunk;
        let mut n = 0u64;
        let pending = &mut self.pending;
        let parsed = &mut self.parsed;
        let id = self.refs.get(&r).copied();
        match encoding {
            chunk::XOR => chunk::xor_samples(data, |t, v| {
                n += 1;
                match id {
                    Some(id) => parsed.push_sample(id, t, v, 0),
                    None => pending.push((r, t, Pending::Float(v))),
                }
            })
            .map(|_| n),
            chunk::HISTOGRAM | chunk::FLOAT_HISTOGRAM => {
                chunk::histogram_samples(data, encoding == chunk::FLOAT_HISTOGRAM, |t, h| {
                    n += 1;
                    pending.push((r, t, Pending::Histogram(Box::new(h.clone()))));
                })
                .map(|_| n)
            }
            other => Err(format!(
                "head chunk encoding {} is not one podsift decodes",
                chunk::encoding_name(other)
            )),
        }
    }

    /// The series and samples read, tombstones applied; samples of refs no series record
    /// named are counted in [`Wal::orphans`].
    pub fn finish(mut self) -> (Parsed, BTreeMap<u64, u64>, u64) {
        let mut deleted = 0u64;
        let mut exemplars = Vec::new();
        // Deleted ranges by series (several refs may name one series).
        let mut stones: HashMap<u32, Vec<(i64, i64)>> = HashMap::new();
        for (r, d) in std::mem::take(&mut self.tombstones) {
            if let Some(&id) = self.refs.get(&r) {
                stones.entry(id).or_default().extend(d);
            }
        }
        let is_deleted = |id: u32, t: i64| {
            stones
                .get(&id)
                .is_some_and(|d| d.iter().any(|&(a, b)| a <= t && t <= b))
        };
        if !stones.is_empty() {
            let p = &mut self.parsed;
            let mut w = 0;
            for r in 0..p.sample_ts.len() {
                if is_deleted(p.sample_series[r], p.sample_ts[r]) {
                    deleted += 1;
                    continue;
                }
                p.sample_series[w] = p.sample_series[r];
                p.sample_ts[w] = p.sample_ts[r];
                p.sample_value[w] = p.sample_value[r];
                p.sample_line[w] = p.sample_line[r];
                w += 1;
            }
            p.sample_series.truncate(w);
            p.sample_ts.truncate(w);
            p.sample_value.truncate(w);
            p.sample_line.truncate(w);
        }
        for (r, t, p) in std::mem::take(&mut self.pending) {
            let Some(&id) = self.refs.get(&r) else {
                if !matches!(p, Pending::Exemplar(..)) {
                    *self.orphans.entry(r).or_default() += 1;
                }
                continue;
            };
            if is_deleted(id, t) {
                deleted += 1;
                continue;
            }
            match p {
                Pending::Float(v) => self.parsed.push_sample(id, t, v, 0),
                Pending::Histogram(h) => {
                    let family = self.parsed.series[id as usize].family as usize;
                    self.parsed.families[family].kind = if h.counter_reset == CounterReset::Gauge {
                        MetricType::GaugeHistogram
                    } else {
                        MetricType::Histogram
                    };
                    self.parsed.histograms.push((id, t, *h));
                }
                Pending::Exemplar(value, labels) => exemplars.push((id, t, value, labels)),
            }
        }
        // The WAL keeps exemplars apart from their samples: each goes with its series' last
        // sample at or before its time (else the first after it).
        let mut by_series: HashMap<u32, Vec<(i64, usize)>> = HashMap::new();
        for (k, (&s, &t)) in self
            .parsed
            .sample_series
            .iter()
            .zip(&self.parsed.sample_ts)
            .enumerate()
        {
            by_series.entry(s).or_default().push((t, k));
        }
        for v in by_series.values_mut() {
            v.sort_unstable();
        }
        for (id, t, value, labels) in exemplars {
            let Some(v) = by_series.get(&id) else {
                continue;
            };
            let i = v.partition_point(|&(ts, _)| ts <= t);
            let sample = if i > 0 { v[i - 1].1 } else { v[0].1 };
            self.parsed.exemplars.push(Exemplar {
                sample,
                labels,
                value,
                ts_ms: Some(t),
            });
        }
        for (r, (kind, help, unit)) in std::mem::take(&mut self.metadata) {
            let Some(&id) = self.refs.get(&r) else {
                continue;
            };
            let family = &mut self.parsed.families[self.parsed.series[id as usize].family as usize];
            if family.kind == MetricType::Unknown {
                family.kind = match kind {
                    1 => MetricType::Counter,
                    2 => MetricType::Gauge,
                    3 => MetricType::Histogram,
                    4 => MetricType::GaugeHistogram,
                    5 => MetricType::Summary,
                    6 => MetricType::Info,
                    7 => MetricType::StateSet,
                    _ => MetricType::Unknown,
                };
            }
            if family.help.is_none() && !help.is_empty() {
                family.help = Some(help);
            }
            if family.unit.is_none() && !unit.is_empty() {
                family.unit = Some(unit);
            }
        }
        (self.parsed, self.orphans, deleted)
    }
}

fn labels(d: &mut Dec<'_>) -> Option<Vec<(String, String)>> {
    let n = d.uvarint()?;
    // Each label takes at least two bytes.
    let mut out = Vec::with_capacity((n as usize).min(d.left() / 2));
    for _ in 0..n {
        let k = d.uvarint_bytes()?;
        let v = d.uvarint_bytes()?;
        out.push((
            String::from_utf8_lossy(k).into_owned(),
            String::from_utf8_lossy(v).into_owned(),
        ));
    }
    Some(out)
}

/// A histogram as WAL records write it (integer buckets as deltas, float buckets absolute).
fn histogram(d: &mut Dec<'_>, float: bool) -> Option<NativeHistogram> {
    let counter_reset = match d.byte()? {
        1 => CounterReset::Reset,
        2 => CounterReset::NotReset,
        3 => CounterReset::Gauge,
        _ => CounterReset::Unknown,
    };
    let schema = i32::try_from(d.varint()?).ok()?;
    let zero_threshold = f64::from_bits(d.be64()?);
    let f = |d: &mut Dec<'_>| d.be64().map(f64::from_bits);
    let (zero_count, count) = if float {
        (f(d)?, f(d)?)
    } else {
        (d.uvarint()? as f64, d.uvarint()? as f64)
    };
    let sum = f(d)?;
    let spans = |d: &mut Dec<'_>| -> Option<Vec<(i32, u32)>> {
        let n = d.uvarint()?;
        let mut v = Vec::with_capacity((n as usize).min(d.left() / 2));
        for _ in 0..n {
            let offset = i32::try_from(d.varint()?).ok()?;
            let length = u32::try_from(d.uvarint()?).ok()?;
            v.push((offset, length));
        }
        Some(v)
    };
    let positive_spans = spans(d)?;
    let negative_spans = spans(d)?;
    let buckets = |d: &mut Dec<'_>| -> Option<Vec<f64>> {
        let n = d.uvarint()?;
        let mut v = Vec::with_capacity((n as usize).min(d.left()));
        let mut current = 0i64;
        for _ in 0..n {
            if float {
                v.push(f(d)?);
            } else {
                current = current.wrapping_add(d.varint()?);
                v.push(current as f64);
            }
        }
        Some(v)
    };
    let positive = buckets(d)?;
    let negative = buckets(d)?;
    let mut custom_values = Vec::new();
    if schema == CUSTOM_BUCKETS_SCHEMA {
        let n = d.uvarint()?;
        custom_values.reserve((n as usize).min(d.left() / 8));
        for _ in 0..n {
            custom_values.push(f(d)?);
        }
    }
    Some(NativeHistogram {
        schema,
        zero_threshold,
        zero_count,
        count,
        sum,
        positive_spans,
        positive,
        negative_spans,
        negative,
        custom_values,
        counter_reset,
        float,
    })
}

/// A record type, named as Prometheus names it.
pub fn record_type_name(t: u8) -> &'static str {
    match t {
        11 => "SamplesV2",
        12 => "HistogramSamplesV2",
        13 => "FloatHistogramSamplesV2",
        _ => "unknown",
    }
}
