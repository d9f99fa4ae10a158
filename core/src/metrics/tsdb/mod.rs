//! Prometheus's own storage read in place, with no Prometheus running: the blocks of a data
//! directory or a snapshot (`<ULID>/meta.json`, `index`, `chunks/000001...`, `tombstones`).
//!
//! A block is read in two steps so that its chunks never sit in memory all at once:
//! [`Block::open`] reads the index (every series with its chunk references) and the
//! tombstones, then [`Block::read_segment`] decodes the chunks of one segment file at a time
//! into the block's [`Parsed`] (series, samples), deleted ranges left out. Damage is reported
//! with the file, the byte offset and the series, and costs only what it touches.
//!
//! Formats as Prometheus documents them (`tsdb/docs/format/`): index formats 1 to 3, chunk
//! segments version 1, tombstones version 1; XOR float chunks and native histogram chunks
//! (integer and float) are decoded, the newer encodings (XOR2, the ST variants) are counted and
//! named, not misread.

pub mod chunk;
pub(crate) mod dec;
pub mod index;
pub mod wal;

use std::collections::{BTreeMap, HashMap};

use super::{MetricType, Parsed};

/// The tombstones file's magic number.
pub const TOMBSTONES_MAGIC: u32 = 0x0130_BA30;
/// The head's memory-mapped chunk files' magic number (`chunks_head/000001`).
pub const HEAD_CHUNKS_MAGIC: u32 = 0x0130_BC91;

/// The TSDB files told by their magic number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A block's `index`.
    Index,
    /// A block's chunk segment (`chunks/000001`).
    Chunks,
    /// A block's `tombstones`.
    Tombstones,
    /// A head chunk file (`chunks_head/000001`).
    HeadChunks,
}

impl FileKind {
    /// In words, for `sources`.
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Index => "a Prometheus TSDB block index",
            FileKind::Chunks => "a Prometheus TSDB chunk segment",
            FileKind::Tombstones => "a Prometheus TSDB tombstones file",
            FileKind::HeadChunks => "a Prometheus head chunk file (chunks_head)",
        }
    }
}

/// Which TSDB file `head` starts, if any.
pub fn file_kind(head: &[u8]) -> Option<FileKind> {
    let magic = u32::from_be_bytes(head.get(..4)?.try_into().ok()?);
    match magic {
        index::MAGIC => Some(FileKind::Index),
        chunk::MAGIC => Some(FileKind::Chunks),
        TOMBSTONES_MAGIC => Some(FileKind::Tombstones),
        HEAD_CHUNKS_MAGIC => Some(FileKind::HeadChunks),
        _ => None,
    }
}

/// A block's `meta.json`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
    /// The block's ULID.
    pub ulid: String,
    /// First time it covers (ms, inclusive).
    pub min_time: i64,
    /// End of the time it covers (ms, exclusive).
    pub max_time: i64,
    /// `stats.numSamples`.
    pub samples: u64,
    /// `stats.numSeries`.
    pub series: u64,
    /// `stats.numChunks`.
    pub chunks: u64,
    /// `compaction.level`.
    pub level: u64,
    /// `version`: 1; 2 in the blocks Prometheus 2.1 wrote with a mislabelled index.
    pub version: u64,
}

/// Reads a `meta.json`.
pub fn read_meta(bytes: &[u8]) -> Result<Meta, String> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("meta.json is not JSON: {e}"))?;
    let int = |p: &str| v.pointer(p).and_then(serde_json::Value::as_i64);
    let uint = |p: &str| {
        v.pointer(p)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    Ok(Meta {
        ulid: v
            .get("ulid")
            .and_then(|u| u.as_str())
            .ok_or("meta.json names no ulid")?
            .to_string(),
        min_time: int("/minTime").ok_or("meta.json has no minTime")?,
        max_time: int("/maxTime").ok_or("meta.json has no maxTime")?,
        samples: uint("/stats/numSamples"),
        series: uint("/stats/numSeries"),
        chunks: uint("/stats/numChunks"),
        level: uint("/compaction/level"),
        version: uint("/version"),
    })
}

/// Deleted time ranges (inclusive) by series reference.
pub type Tombstones = HashMap<u64, Vec<(i64, i64)>>;

/// Reads a `tombstones` file.
pub fn read_tombstones(b: &[u8]) -> Result<Tombstones, String> {
    if b.len() < 9 {
        return Err(format!("{} bytes, shorter than a tombstones file", b.len()));
    }
    if u32::from_be_bytes([b[0], b[1], b[2], b[3]]) != TOMBSTONES_MAGIC {
        return Err("not a tombstones file (magic number)".into());
    }
    if b[4] != 1 {
        return Err(format!(
            "tombstones format version {} (podsift reads 1)",
            b[4]
        ));
    }
    let body = &b[5..b.len() - 4];
    let want = u32::from_be_bytes(b[b.len() - 4..].try_into().unwrap_or_default());
    if dec::crc32c(body) != want {
        return Err("tombstones fail their checksum".into());
    }
    let mut out = Tombstones::new();
    let mut d = dec::Dec::new(body);
    while d.left() > 0 {
        let at = 5 + d.pos();
        let cut = || format!("tombstones cut at byte {at}");
        let r = d.uvarint().ok_or_else(cut)?;
        let min = d.varint().ok_or_else(cut)?;
        let max = d.varint().ok_or_else(cut)?;
        out.entry(r).or_default().push((min, max));
    }
    Ok(out)
}

/// What to read of a block: the series a selector matches, the samples in a time range.
#[derive(Clone, Copy, Debug)]
pub struct Filter<'a> {
    /// Only these series (their chunks are not read otherwise).
    pub select: Option<&'a super::selector::Selector>,
    /// Samples at or after (ms).
    pub min_ts: i64,
    /// Samples at or before (ms).
    pub max_ts: i64,
}

impl Default for Filter<'_> {
    fn default() -> Self {
        Filter {
            select: None,
            min_ts: i64::MIN,
            max_ts: i64::MAX,
        }
    }
}

/// A block's index read, its segments read one by one into [`Block::parsed`].
#[derive(Debug)]
pub struct Block {
    /// The index's format version.
    pub version: u8,
    /// Series the index lists.
    pub series: usize,
    /// Chunks the index lists.
    pub chunks: u64,
    /// Problems of the index and tombstones: (byte offset in the index, message).
    pub problems: Vec<(u64, String)>,
    /// The index says format 1 but was read as format 2 (see [`index::read`]).
    pub repaired: bool,
    /// The samples read so far (its series are made by [`Block::finish`]).
    parsed: Parsed,
    /// The index's strings.
    symbols: index::SymbolTable,
    /// The series kept, as the index holds them: labels (`__name__` among them) as symbol
    /// numbers, sorted by name; and whether a histogram chunk (1) or a gauge histogram chunk
    /// (2) of it was read.
    kept: Vec<(Vec<(u32, u32)>, u8)>,
    /// Per segment (index among the chunk files): (series in `kept`, its index series
    /// number, the chunk).
    by_segment: BTreeMap<u32, Vec<(u32, u32, index::ChunkMeta)>>,
    /// Per index series: the tombstones' deleted ranges.
    deleted: HashMap<u32, Vec<(i64, i64)>>,
    /// Samples outside this range (ms, inclusive) are not kept.
    min_ts: i64,
    max_ts: i64,
}

/// What one segment gave.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SegmentRead {
    /// Chunks decoded.
    pub chunks: u64,
    /// Samples kept (deleted ones left out).
    pub samples: u64,
    /// Samples left out because tombstones delete them.
    pub deleted: u64,
    /// Chunks of encodings podsift does not decode, by encoding name.
    pub not_decoded: BTreeMap<&'static str, u64>,
    /// Damage: (byte offset in the segment, message).
    pub problems: Vec<(u64, String)>,
}

impl Block {
    /// Reads the index and, when given, the tombstones; `meta` is the block's `meta.json`
    /// when read. Series `filter` rejects are left out, and so are chunks outside its range.
    pub fn open(
        index_bytes: &[u8],
        tombstones: Option<&[u8]>,
        meta: Option<&Meta>,
        filter: &Filter<'_>,
    ) -> Block {
        let idx = index::read_matching(
            index_bytes,
            meta.is_some_and(|m| m.version == 2),
            filter.select,
        );
        Block::from_index(idx, tombstones, meta, filter)
    }

    /// [`Block::open`] given the index read (all of it, or through [`index::read_selected`]).
    pub fn from_index(
        idx: index::Index,
        tombstones: Option<&[u8]>,
        meta: Option<&Meta>,
        filter: &Filter<'_>,
    ) -> Block {
        let repaired = idx.repaired;
        // Read through the postings, the index gave only the series asked for: the block's
        // count is meta.json's.
        let listed = match meta {
            Some(m) if idx.by_postings && m.series > 0 => m.series as usize,
            _ => idx.series.len(),
        };
        let mut problems = idx.problems;
        let stones = match tombstones.map(read_tombstones) {
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                problems.push((0, format!("{e}; no deletions applied")));
                Tombstones::new()
            }
            None => Tombstones::new(),
        };
        let symbols = idx.symbols;
        let mut kept = Vec::new();
        let mut by_segment: BTreeMap<u32, Vec<(u32, u32, index::ChunkMeta)>> = BTreeMap::new();
        let mut deleted = HashMap::new();
        let mut chunks = 0u64;
        for (k, s) in idx.series.into_iter().enumerate() {
            if let Some(sel) = filter.select {
                let (name, labels) = named(&symbols, &s.labels);
                if !sel.matches(&name, &labels) {
                    continue;
                }
            }
            let id = kept.len() as u32;
            kept.push((s.labels, 0));
            if let Some(d) = stones.get(&s.series_ref) {
                deleted.insert(k as u32, d.clone());
            }
            chunks += s.chunks.len() as u64;
            for c in s.chunks {
                if c.max_t < filter.min_ts || c.min_t > filter.max_ts {
                    continue;
                }
                by_segment
                    .entry(c.segment())
                    .or_default()
                    .push((id, k as u32, c));
            }
        }
        Block {
            version: idx.version,
            repaired,
            min_ts: filter.min_ts,
            max_ts: filter.max_ts,
            series: listed,
            chunks,
            problems,
            parsed: Parsed {
                format: Some(super::MetricsFormat::TsdbBlock),
                ..Parsed::default()
            },
            symbols,
            kept,
            by_segment,
            deleted,
        }
    }

    /// Series kept (asked for): ids `0..kept()`.
    pub fn kept(&self) -> usize {
        self.kept.len()
    }

    /// Series `id`'s labels with `__name__` among them, sorted by name (as promtool orders
    /// series).
    pub fn labelset(&self, id: u32) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.kept[id as usize]
            .0
            .iter()
            .map(|&(n, v)| (self.symbols.get(n), self.symbols.get(v)))
    }

    /// Series `id` as [`super::SeriesDef`] (name apart, family 0).
    pub fn series_def(&self, id: u32) -> super::SeriesDef {
        let (name, labels) = named(&self.symbols, &self.kept[id as usize].0);
        super::SeriesDef {
            name,
            labels,
            family: 0,
        }
    }

    /// Series `id` as text, for messages.
    fn series_text(&self, id: u32) -> String {
        let (name, labels) = named(&self.symbols, &self.kept[id as usize].0);
        super::write::om_series(&name, &labels)
    }

    /// The segments (indexes among the block's chunk files, in name order) the index refers
    /// to.
    pub fn segments(&self) -> impl Iterator<Item = u32> + '_ {
        self.by_segment.keys().copied()
    }

    /// Chunks and series that refer to segment `seg`, for a message when it is missing.
    pub fn segment_refs(&self, seg: u32) -> (u64, u64) {
        let Some(v) = self.by_segment.get(&seg) else {
            return (0, 0);
        };
        let mut series: Vec<u32> = v.iter().map(|c| c.1).collect();
        series.dedup();
        (v.len() as u64, series.len() as u64)
    }

    /// Decodes the chunks of segment `seg` (the bytes of its file) into [`Block::parsed`].
    pub fn read_segment(&mut self, seg: u32, bytes: &[u8]) -> SegmentRead {
        self.read_segment_part(seg, bytes, 0)
    }

    /// The offsets of the chunks to read in segment `seg`, in order.
    pub fn chunk_offsets(&self, seg: u32) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .by_segment
            .get(&seg)
            .map(|l| l.iter().map(|c| c.2.offset()).collect())
            .unwrap_or_default();
        v.sort_unstable();
        v
    }

    /// [`Block::read_segment`] given only the bytes of the segment from `base` on (its header
    /// checked apart when `base` is past it).
    pub fn read_segment_part(&mut self, seg: u32, bytes: &[u8], base: u32) -> SegmentRead {
        let mut out = SegmentRead::default();
        let Some(list) = self.by_segment.get(&seg) else {
            return out;
        };
        if base == 0
            && let Err(e) = chunk::check_header(bytes)
        {
            out.problems
                .push((0, format!("{e}: its {} chunks are not read", list.len())));
            return out;
        }
        let range = (self.min_ts, self.max_ts);
        for &(id, k, meta) in list {
            let deleted = self.deleted.get(&k).map(Vec::as_slice);
            let mut gauge = None;
            let parsed = &mut self.parsed;
            let mut histograms = std::mem::take(&mut parsed.histograms);
            let d = decode_chunk(
                bytes,
                base,
                meta,
                deleted,
                range,
                &mut |t, v| parsed.push_sample(id, t, v, 0),
                &mut |t, h, g| {
                    gauge = Some(gauge.unwrap_or(false) | g);
                    histograms.push((id, t, h.clone()));
                },
            );
            parsed.histograms = histograms;
            if let Some(g) = gauge {
                let kind = &mut self.kept[id as usize].1;
                *kind = (*kind).max(1 + u8::from(g));
            }
            d.add_to(&mut out, meta, || self.series_text(id));
        }
        out
    }

    /// Per series kept: its chunks to read, as (segment, the series' number
    /// in the index, the chunk), by segment and offset.
    pub fn series_chunks(&self) -> Vec<Vec<(u32, u32, index::ChunkMeta)>> {
        let mut out = vec![Vec::new(); self.kept.len()];
        for (&seg, list) in &self.by_segment {
            for &(id, k, meta) in list {
                out[id as usize].push((seg, k, meta));
            }
        }
        out
    }

    /// Decodes one chunk of [`Block::series_chunks`] from `part` (the bytes of its segment
    /// from `base` on): float samples to `float`, histograms to `hist` (with whether the
    /// chunk is a gauge histogram's), deleted and out-of-range samples left out; what it gave
    /// and any damage (named with `series`) added to `out`.
    #[allow(clippy::too_many_arguments)]
    pub fn decode(
        &self,
        chunk: (u32, index::ChunkMeta),
        part: &[u8],
        base: u32,
        out: &mut SegmentRead,
        series: impl FnOnce() -> String,
        float: &mut dyn FnMut(i64, f64),
        hist: &mut dyn FnMut(i64, &super::NativeHistogram, bool),
    ) {
        let (k, meta) = chunk;
        let deleted = self.deleted.get(&k).map(Vec::as_slice);
        let range = (self.min_ts, self.max_ts);
        decode_chunk(part, base, meta, deleted, range, float, hist).add_to(out, meta, series);
    }

    /// The series and samples read.
    pub fn finish(self) -> Parsed {
        let mut parsed = self.parsed;
        let mut families: HashMap<String, u32> = HashMap::new();
        for (labels, kind) in &self.kept {
            let (name, labels) = named(&self.symbols, labels);
            let family = *families.entry(name.clone()).or_insert_with(|| {
                parsed.families.push(super::Family {
                    name: name.clone(),
                    kind: MetricType::Unknown,
                    help: None,
                    unit: None,
                });
                (parsed.families.len() - 1) as u32
            });
            let f = &mut parsed.families[family as usize];
            match kind {
                2 => f.kind = MetricType::GaugeHistogram,
                1 if f.kind != MetricType::GaugeHistogram => f.kind = MetricType::Histogram,
                _ => {}
            }
            parsed.series.push(super::SeriesDef {
                name,
                labels,
                family,
            });
        }
        parsed
    }
}

/// Labels as the index holds them (symbol numbers, `__name__` among them) as (name, the other
/// labels).
fn named(symbols: &index::SymbolTable, labels: &[(u32, u32)]) -> (String, super::Labels) {
    let mut name = String::new();
    let mut out = Vec::with_capacity(labels.len());
    for &(n, v) in labels {
        let (n, v) = (symbols.get(n), symbols.get(v));
        if n == "__name__" {
            name = v.to_string();
        } else {
            out.push((n.to_string(), v.to_string()));
        }
    }
    (name, out)
}

/// What decoding one chunk gave, before it is added to a [`SegmentRead`].
struct ChunkDecode {
    /// The chunk was decoded (perhaps cut short).
    decoded: bool,
    kept: u64,
    dropped: u64,
    /// An encoding podsift does not decode.
    not_decoded: Option<&'static str>,
    /// Damage: the message, and whether the samples before it were kept (a cut chunk) or
    /// the chunk was skipped.
    problem: Option<(String, bool)>,
}

impl ChunkDecode {
    fn add_to(
        self,
        out: &mut SegmentRead,
        meta: index::ChunkMeta,
        series: impl FnOnce() -> String,
    ) {
        out.chunks += u64::from(self.decoded);
        out.samples += self.kept;
        out.deleted += self.dropped;
        if let Some(e) = self.not_decoded {
            *out.not_decoded.entry(e).or_default() += 1;
        }
        if let Some((e, cut)) = self.problem {
            let message = if cut {
                format!(
                    "{e} (series {}); the samples before the cut are kept",
                    series()
                )
            } else {
                format!("{e}; chunk of {} skipped", series())
            };
            out.problems.push((u64::from(meta.offset()), message));
        }
    }
}

/// Decodes the chunk `meta` points at in `part` (a segment's bytes from `base` on): samples
/// in `range` (ms, inclusive) and not `deleted` go to `float` or `hist` (with whether it is a
/// gauge histogram).
fn decode_chunk(
    part: &[u8],
    base: u32,
    meta: index::ChunkMeta,
    deleted: Option<&[(i64, i64)]>,
    range: (i64, i64),
    float: &mut dyn FnMut(i64, f64),
    hist: &mut dyn FnMut(i64, &super::NativeHistogram, bool),
) -> ChunkDecode {
    let mut d = ChunkDecode {
        decoded: false,
        kept: 0,
        dropped: 0,
        not_decoded: None,
        problem: None,
    };
    let raw = match chunk::chunk_in(part, meta.offset(), base) {
        Ok(raw) => raw,
        Err(e) => {
            d.problem = Some((e, false));
            return d;
        }
    };
    let outside = |t: i64| t < range.0 || t > range.1;
    let is_deleted = |t: i64| deleted.is_some_and(|d| d.iter().any(|&(a, b)| a <= t && t <= b));
    let (mut kept, mut dropped) = (0u64, 0u64);
    let r = match raw.encoding {
        chunk::XOR => chunk::xor_samples(raw.data, |t, v| {
            if outside(t) {
            } else if is_deleted(t) {
                dropped += 1;
            } else {
                kept += 1;
                float(t, v);
            }
        }),
        chunk::HISTOGRAM | chunk::FLOAT_HISTOGRAM => {
            let float = raw.encoding == chunk::FLOAT_HISTOGRAM;
            chunk::histogram_samples(raw.data, float, |t, h| {
                if outside(t) {
                } else if is_deleted(t) {
                    dropped += 1;
                } else {
                    kept += 1;
                    hist(t, h, h.counter_reset == super::CounterReset::Gauge);
                }
            })
        }
        other => {
            d.not_decoded = Some(chunk::encoding_name(other));
            return d;
        }
    };
    d.decoded = true;
    d.kept = kept;
    d.dropped = dropped;
    if let Err(e) = r {
        d.problem = Some((e, true));
    }
    d
}
