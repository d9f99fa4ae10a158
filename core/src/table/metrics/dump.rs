//! `-o dump` straight from Prometheus's storage, as `promtool tsdb dump` writes it: series in
//! label order, each with its samples of every block and the WAL merged in time order, one
//! per timestamp. Series are taken a batch at a time; each block's chunks of the batch are read
//! (the part of each chunk file they are in) and decoded, the batch's lines written, and the
//! samples let go. Memory holds the indexes, the WAL and one batch, never the samples of a
//! whole block (which the tables hold at 20 bytes each, against about 5 on disk).

use std::cmp::Ordering;
use std::io::{self, Write};
use std::sync::Arc;

use crate::metrics::SeriesDef;
use crate::metrics::tsdb::chunk;
use crate::metrics::tsdb::{SegmentRead, index::ChunkMeta};

use super::*;

/// Chunks (or 120 WAL samples) per batch: about 6,000 samples, about 1 MB of text, in
/// groups enough for every core.
const BATCH_CHUNKS: usize = 48;

/// Read chunks further apart than this in a chunk file are read apart.
const CLUSTER_GAP: u32 = 256 * 1024;

/// Writes the samples of every metrics file in `plan` as `promtool tsdb dump` writes them
/// (`{__name__="up", job="x"} 1 1700000000000`, native histograms in promtool's newer text),
/// recording each file's accounting in `report`. When the files are Prometheus's storage
/// only (blocks, WAL, head chunks), series are read and written a batch at a time; otherwise
/// through the tables. Returns the metrics files read (0: there were none).
pub fn write_dump(
    set: &FileSet,
    plan: &Plan,
    options: &MetricsOptions,
    report: &mut Accounting,
    out: &mut dyn Write,
) -> io::Result<usize> {
    let storage_only = plan
        .files
        .iter()
        .filter(|f| f.role == FileRole::Metrics && f.status == FileStatus::Read)
        // A block's other files (chunks, meta.json) have no format of their own.
        .all(|f| {
            f.metrics
                .is_none_or(|m| m == crate::metrics::MetricsFormat::TsdbBlock)
        });
    if !storage_only || (plan.blocks.is_empty() && plan.wals.is_empty()) {
        let store = read_metrics(set, plan, options, report);
        let e = store.export(ExportOrder::LabelSet);
        crate::metrics::write::write_dump_all(out, &e.series, &e.samples, &e.histograms)?;
        return Ok(store.files.len());
    }
    if report.files.len() < set.entries().len() {
        report
            .files
            .resize(set.entries().len(), FileStats::default());
    }
    let filter = options.block_filter();
    let mut sources = open_sources(set, plan, options, &filter, report);
    let order = series_order(&sources);
    let mut acc = Totals::new(&sources);
    let mut whole = Whole::new();
    let mut i = 0;
    while i < order.len() {
        // A batch: whole groups (one labelset, perhaps in several sources) up to the budget.
        let mut groups = Vec::new();
        let mut cost = 0usize;
        let mut j = i;
        while j < order.len() && (groups.is_empty() || cost < BATCH_CHUNKS) {
            let mut end = j + 1;
            while end < order.len() && same_series(&sources, order[j], order[end]) {
                end += 1;
            }
            cost += order[j..end]
                .iter()
                .map(|&(s, id)| sources[s as usize].cost(id))
                .sum::<usize>();
            groups.push(j..end);
            j = end;
        }
        let parts = read_parts(set, plan, &sources, &order[i..j], &mut whole, &mut acc);
        let render =
            |g: &std::ops::Range<usize>| render(set, plan, &sources, &parts, &order[g.clone()]);
        #[cfg(not(target_arch = "wasm32"))]
        let done: Vec<Rendered> = {
            use rayon::prelude::*;
            groups.par_iter().map(render).collect()
        };
        #[cfg(target_arch = "wasm32")]
        let done: Vec<Rendered> = groups.iter().map(render).collect();
        for r in done {
            out.write_all(&r.text)?;
            acc.add(r, &sources, set, plan, &mut report.diagnostics);
        }
        i = j;
    }
    Ok(acc.finish(set, plan, &filter, &mut sources, report))
}

/// One source of series: a block (its chunks read by batch) or a WAL read whole.
enum Source {
    Block {
        /// Index into `plan.blocks`.
        plan: usize,
        ob: Box<OpenBlock>,
        /// Per series: its chunks (segment, series number in the index, chunk).
        chunks: Vec<Vec<(u32, u32, ChunkMeta)>>,
        /// Per chunk file of the block: why it cannot be read (missing, bad header).
        unreadable: Vec<Option<String>>,
        /// Per chunk file of the block: the offsets of the chunks read from it, in order (a
        /// chunk ends where the next begins: a batch reads to there).
        offsets: Vec<Vec<u32>>,
    },
    Wal {
        read: Box<FileRead>,
        /// Per series: its float samples' indexes, in time order.
        floats: Vec<Vec<u32>>,
        /// Per series: its histogram samples' indexes, in time order.
        histograms: Vec<Vec<u32>>,
    },
}

impl Source {
    /// Series in it (ids `0..len`).
    fn len(&self) -> usize {
        match self {
            Source::Block { ob, .. } => ob.block.kept(),
            Source::Wal { read, .. } => read.parsed.series.len(),
        }
    }

    /// Series `id`, to write.
    fn def(&self, id: u32) -> SeriesDef {
        match self {
            Source::Block { ob, .. } => ob.block.series_def(id),
            Source::Wal { read, .. } => read.parsed.series[id as usize].clone(),
        }
    }

    /// What a series costs a batch, in chunks.
    fn cost(&self, id: u32) -> usize {
        match self {
            Source::Block { chunks, .. } => chunks[id as usize].len(),
            Source::Wal {
                floats, histograms, ..
            } => (floats[id as usize].len() + histograms[id as usize].len()).div_ceil(120),
        }
    }

    /// The source's index or first WAL file, which messages name.
    fn file(&self, plan: &Plan) -> usize {
        match self {
            Source::Block { plan: b, .. } => plan.blocks[*b].index,
            Source::Wal { read, .. } => read.file,
        }
    }
}

/// Opens every block (index, tombstones, meta.json) and reads every WAL.
fn open_sources(
    set: &FileSet,
    plan: &Plan,
    options: &MetricsOptions,
    filter: &crate::metrics::tsdb::Filter<'_>,
    report: &mut Accounting,
) -> Vec<Source> {
    let open =
        |(k, b): (usize, &crate::sources::plan::TsdbBlock)| -> Result<Source, Box<FileRead>> {
            let ob = open_block(set, b, filter)?;
            let chunks = ob.block.series_chunks();
            let mut offsets = vec![Vec::new(); b.chunks.len()];
            for &(seg, _, meta) in chunks.iter().flatten() {
                if let Some(v) = offsets.get_mut(seg as usize) {
                    v.push(meta.offset());
                }
            }
            for v in &mut offsets {
                v.sort_unstable();
            }
            let unreadable = (0..b.chunks.len())
                .map(|seg| {
                    let header = set.read_range(b.chunks[seg], 0, chunk::HEADER_LEN as u64);
                    match header {
                        Err(e) => Some(format!("read error: {e}")),
                        Ok(h) => chunk::check_header(&h).err(),
                    }
                })
                .collect();
            Ok(Source::Block {
                plan: k,
                ob: Box::new(ob),
                chunks,
                unreadable,
                offsets,
            })
        };
    #[cfg(not(target_arch = "wasm32"))]
    let (blocks, wals): (Vec<_>, Vec<_>) = {
        use rayon::prelude::*;
        rayon::join(
            || plan.blocks.par_iter().enumerate().map(open).collect(),
            || plan.wals.par_iter().map(|w| read_wal(set, w)).collect(),
        )
    };
    #[cfg(target_arch = "wasm32")]
    let (blocks, wals): (Vec<_>, Vec<_>) = (
        plan.blocks.iter().enumerate().map(open).collect(),
        plan.wals.iter().map(|w| read_wal(set, w)).collect(),
    );
    let mut sources = Vec::new();
    for b in blocks {
        match b {
            Ok(s) => sources.push(s),
            Err(r) => {
                // The index could not be read: its error and messages, nothing else.
                let stats = &mut report.files[r.file];
                stats.read = true;
                if let Some(e) = &r.read_error {
                    report.diagnostics.push(Diagnostic::file(
                        set.entries()[r.file].path.clone(),
                        Severity::Error,
                        format!("read error: {e}"),
                    ));
                    stats.errors += 1;
                }
                if let Some(block) = &r.block {
                    account_block(
                        None,
                        r.file,
                        block,
                        set,
                        &mut report.files,
                        &mut report.diagnostics,
                    );
                }
            }
        }
    }
    let (lo, hi) = (filter.min_ts, filter.max_ts);
    for mut read in wals {
        let p = &mut read.parsed;
        for s in &mut p.series {
            s.labels.sort();
        }
        let keep: Vec<bool> = p
            .series
            .iter()
            .map(|s| {
                options
                    .select
                    .as_ref()
                    .is_none_or(|sel| sel.matches(&s.name, &s.labels))
            })
            .collect();
        let n = p.series.len();
        let by_series = |items: &mut dyn Iterator<Item = (u32, i64)>| {
            let mut v: Vec<Vec<(i64, u32)>> = vec![Vec::new(); n];
            for (k, (s, t)) in items.enumerate() {
                if keep[s as usize] && (lo..=hi).contains(&t) {
                    v[s as usize].push((t, k as u32));
                }
            }
            v.into_iter()
                .map(|mut l| {
                    l.sort_by_key(|x| x.0);
                    l.into_iter().map(|x| x.1).collect()
                })
                .collect::<Vec<Vec<u32>>>()
        };
        let floats = by_series(
            &mut p
                .sample_series
                .iter()
                .copied()
                .zip(p.sample_ts.iter().copied()),
        );
        let histograms = by_series(&mut p.histograms.iter().map(|h| (h.0, h.1)));
        sources.push(Source::Wal {
            read: Box::new(read),
            floats,
            histograms,
        });
    }
    sources
}

/// A series' labels with `__name__` among them, in order (labels are sorted by name).
fn labelset(s: &SeriesDef) -> impl Iterator<Item = (&str, &str)> {
    let at = s.labels.partition_point(|(k, _)| k.as_str() < "__name__");
    let name = (!s.name.is_empty()).then_some(("__name__", s.name.as_str()));
    fn pair((k, v): &(String, String)) -> (&str, &str) {
        (k.as_str(), v.as_str())
    }
    s.labels[..at]
        .iter()
        .map(pair)
        .chain(name)
        .chain(s.labels[at..].iter().map(pair))
}

/// Two series by label set, as promtool orders them.
fn compare(sources: &[Source], a: (u32, u32), b: (u32, u32)) -> Ordering {
    use Source::{Block, Wal};
    fn wal(read: &FileRead, id: u32) -> impl Iterator<Item = (&str, &str)> {
        labelset(&read.parsed.series[id as usize])
    }
    match (&sources[a.0 as usize], &sources[b.0 as usize]) {
        (Block { ob: x, .. }, Block { ob: y, .. }) => {
            x.block.labelset(a.1).cmp(y.block.labelset(b.1))
        }
        (Block { ob: x, .. }, Wal { read: y, .. }) => x.block.labelset(a.1).cmp(wal(y, b.1)),
        (Wal { read: x, .. }, Block { ob: y, .. }) => wal(x, a.1).cmp(y.block.labelset(b.1)),
        (Wal { read: x, .. }, Wal { read: y, .. }) => wal(x, a.1).cmp(wal(y, b.1)),
    }
}

fn same_series(sources: &[Source], a: (u32, u32), b: (u32, u32)) -> bool {
    compare(sources, a, b) == Ordering::Equal
}

/// Every (source, series) with something to write, in promtool's order: by labelset, then
/// source (blocks in order, then WALs).
fn series_order(sources: &[Source]) -> Vec<(u32, u32)> {
    let mut order: Vec<(u32, u32)> = Vec::new();
    for (k, s) in sources.iter().enumerate() {
        for id in 0..s.len() as u32 {
            if s.cost(id) > 0 {
                order.push((k as u32, id));
            }
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        order.par_sort_by(|&a, &b| compare(sources, a, b).then(a.0.cmp(&b.0)));
    }
    #[cfg(target_arch = "wasm32")]
    order.sort_by(|&a, &b| compare(sources, a, b).then(a.0.cmp(&b.0)));
    order
}

/// The bytes of a batch's chunks: per (source, segment), parts of the chunk file as (offset
/// of their first byte, bytes), by offset.
type Parts = HashMap<(u32, u32), Vec<(u32, Arc<Vec<u8>>)>>;

/// Chunk files that cannot be read by range cheaply (members of compressed archives), read
/// whole once: per (source, segment).
type Whole = HashMap<(u32, u32), Arc<Vec<u8>>>;

/// Reads the parts of the chunk files that the batch's series have chunks in.
fn read_parts(
    set: &FileSet,
    plan: &Plan,
    sources: &[Source],
    batch: &[(u32, u32)],
    whole: &mut Whole,
    acc: &mut Totals,
) -> Parts {
    let mut offsets: BTreeMap<(u32, u32), Vec<u32>> = BTreeMap::new();
    for &(s, id) in batch {
        if let Source::Block {
            chunks, unreadable, ..
        } = &sources[s as usize]
        {
            for &(seg, _, meta) in &chunks[id as usize] {
                if unreadable.get(seg as usize).is_some_and(Option::is_none) {
                    offsets.entry((s, seg)).or_default().push(meta.offset());
                }
            }
        }
    }
    let mut parts = Parts::new();
    for ((s, seg), mut offs) in offsets {
        let Source::Block {
            plan: b, offsets, ..
        } = &sources[s as usize]
        else {
            continue;
        };
        let file = plan.blocks[*b].chunks[seg as usize];
        if !set.ranges_are_cheap(file) {
            let bytes = match whole.get(&(s, seg)) {
                // Empty: it could not be read (reported once).
                Some(bytes) => (!bytes.is_empty()).then(|| bytes.clone()),
                None => match read_all(set, file) {
                    Ok(bytes) => {
                        acc.bytes[s as usize][seg as usize] += bytes.len() as u64;
                        let bytes = Arc::new(bytes);
                        whole.insert((s, seg), bytes.clone());
                        Some(bytes)
                    }
                    Err(e) => {
                        // Reported once; its chunks are skipped in every batch.
                        acc.read_errors.push((file, e));
                        whole.insert((s, seg), Arc::new(Vec::new()));
                        None
                    }
                },
            };
            if let Some(b) = bytes {
                parts.insert((s, seg), vec![(0, b)]);
            }
            continue;
        }
        offs.sort_unstable();
        let mut list = Vec::new();
        let mut start = 0;
        for k in 1..=offs.len() {
            if k == offs.len() || offs[k] - offs[k - 1] > CLUSTER_GAP {
                let last = offs[k - 1];
                let seg_offsets = &offsets[seg as usize];
                let next = seg_offsets.get(seg_offsets.partition_point(|&o| o <= last));
                let margin = next.map_or(256, |&n| u64::from(n - last));
                match read_chunk_range(set, file, offs[start], last, margin) {
                    Ok((bytes, base)) => {
                        acc.bytes[s as usize][seg as usize] += bytes.len() as u64;
                        list.push((base, Arc::new(bytes)));
                    }
                    Err(e) => acc.read_errors.push((file, e.to_string())),
                }
                start = k;
            }
        }
        parts.insert((s, seg), list);
    }
    parts
}

/// A sample at a time another source gave with another value: (series, time, (value dropped,
/// value kept), (source of the dropped one, of the kept one)).
type Conflict = (String, i64, (f64, f64), (u32, u32));

/// One labelset's lines and what reading it gave.
struct Rendered {
    text: Vec<u8>,
    /// Per (source, segment) read: what its chunks gave.
    reads: Vec<(u32, u32, SegmentRead)>,
    /// Per source: the span of its samples written.
    spans: Vec<(u32, i64, i64)>,
    /// Samples at a time another source already gave with another value (the first kept).
    conflicts: Vec<Conflict>,
}

/// Decodes and writes one labelset: the samples of each source, merged in time order.
fn render(
    set: &FileSet,
    plan: &Plan,
    sources: &[Source],
    parts: &Parts,
    group: &[(u32, u32)],
) -> Rendered {
    let mut floats: Vec<(u32, i64, f64)> = Vec::new();
    let mut float_src: Vec<u32> = Vec::new();
    let mut hists: Vec<(i64, NativeHistogram)> = Vec::new();
    let mut out = Rendered {
        text: Vec::new(),
        reads: Vec::new(),
        spans: Vec::new(),
        conflicts: Vec::new(),
    };
    let mut def = sources[group[0].0 as usize].def(group[0].1);
    def.family = 0;
    let series_text = || crate::metrics::write::om_series(&def.name, &def.labels);
    for &(s, id) in group {
        let (f0, h0) = (floats.len(), hists.len());
        match &sources[s as usize] {
            Source::Block {
                ob,
                chunks,
                unreadable,
                plan: b,
                ..
            } => {
                for &(seg, k, meta) in &chunks[id as usize] {
                    let at = match out.reads.iter().position(|r| (r.0, r.1) == (s, seg)) {
                        Some(at) => at,
                        None => {
                            out.reads.push((s, seg, SegmentRead::default()));
                            out.reads.len() - 1
                        }
                    };
                    let read = &mut out.reads[at].2;
                    if unreadable.get(seg as usize).is_none_or(Option::is_some) {
                        continue; // reported once for the file
                    }
                    let list = parts.get(&(s, seg)).map(Vec::as_slice).unwrap_or_default();
                    let p = list.partition_point(|(base, _)| *base <= meta.offset());
                    let Some((base, bytes)) = p.checked_sub(1).map(|p| &list[p]) else {
                        continue; // its part could not be read (reported with the file)
                    };
                    // A chunk longer than its part holds (a damaged length): read on to
                    // where it says it ends, as a read of the whole file would.
                    let file = plan.blocks[*b].chunks[seg as usize];
                    let end = u64::from(*base) + bytes.len() as u64;
                    let longer = chunk::chunk_end(bytes, meta.offset(), *base)
                        .filter(|&need| need > end && end < set.entries()[file].size)
                        .and_then(|need| {
                            let at = u64::from(meta.offset());
                            set.read_range(file, at, need - at).ok()
                        });
                    let (bytes, base) = match &longer {
                        Some(own) => (own.as_slice(), meta.offset()),
                        None => (bytes.as_slice(), *base),
                    };
                    ob.block.decode(
                        (k, meta),
                        bytes,
                        base,
                        read,
                        series_text,
                        &mut |t, v| floats.push((0, t, v)),
                        &mut |t, h, _| hists.push((t, h.clone())),
                    );
                }
            }
            Source::Wal {
                read,
                floats: f,
                histograms: h,
            } => {
                let p = &read.parsed;
                for &k in &f[id as usize] {
                    let k = k as usize;
                    floats.push((0, p.sample_ts[k], p.sample_value[k]));
                }
                for &k in &h[id as usize] {
                    let (_, t, h) = &p.histograms[k as usize];
                    hists.push((*t, h.clone()));
                }
            }
        }
        float_src.resize(floats.len(), s);
        let times = floats[f0..]
            .iter()
            .map(|x| x.1)
            .chain(hists[h0..].iter().map(|x| x.0));
        if let Some((lo, hi)) = times.fold(None, |acc: Option<(i64, i64)>, t| {
            Some(acc.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
        }) {
            out.spans.push((s, lo, hi));
        }
    }
    // One sample per time: the first source's (blocks in order, then the WAL).
    if !floats.windows(2).all(|w| w[0].1 < w[1].1) {
        let mut idx: Vec<u32> = (0..floats.len() as u32).collect();
        idx.sort_by_key(|&k| floats[k as usize].1);
        let mut kept: Vec<(u32, i64, f64)> = Vec::with_capacity(floats.len());
        let mut kept_src: Vec<u32> = Vec::with_capacity(floats.len());
        for k in idx {
            let x = floats[k as usize];
            if let Some(last) = kept.last()
                && last.1 == x.1
            {
                if last.2.to_bits() != x.2.to_bits() && out.conflicts.len() < MAX_PROBLEMS_PER_FILE
                {
                    let from = (float_src[k as usize], kept_src[kept_src.len() - 1]);
                    out.conflicts
                        .push((series_text(), x.1, (x.2, last.2), from));
                }
                continue;
            }
            kept.push(x);
            kept_src.push(float_src[k as usize]);
        }
        floats = kept;
    }
    if !hists.windows(2).all(|w| w[0].0 < w[1].0) {
        hists.sort_by_key(|h| h.0);
        hists.dedup_by_key(|h| h.0);
    }
    let hist_refs: Vec<(u32, i64, &NativeHistogram)> =
        hists.iter().map(|(t, h)| (0, *t, h)).collect();
    // The lines' length known, the text is allocated once (not grown by doubling).
    let line = 48
        + def.name.len()
        + def
            .labels
            .iter()
            .map(|(k, v)| k.len() + v.len() + 6)
            .sum::<usize>();
    out.text
        .reserve(floats.len() * line + hists.len() * (line + 256));
    // Writing to memory cannot fail.
    let _ = crate::metrics::write::write_dump_all(
        &mut out.text,
        std::slice::from_ref(&def),
        &floats,
        &hist_refs,
    );
    out
}

/// What the batches gave, per source.
struct Totals {
    /// Per block source and segment: what its chunks gave.
    reads: Vec<Vec<SegmentRead>>,
    /// Per block source and segment: bytes read.
    bytes: Vec<Vec<u64>>,
    /// Per source: the span of its samples.
    spans: Vec<Option<(i64, i64)>>,
    /// Chunk file parts that could not be read: (file, error).
    read_errors: Vec<(usize, String)>,
    conflicts: u64,
    reported: usize,
}

impl Totals {
    fn new(sources: &[Source]) -> Totals {
        let segs = |s: &Source| match s {
            Source::Block { unreadable, .. } => unreadable.len(),
            Source::Wal { .. } => 0,
        };
        Totals {
            reads: sources
                .iter()
                .map(|s| vec![SegmentRead::default(); segs(s)])
                .collect(),
            bytes: sources.iter().map(|s| vec![0; segs(s)]).collect(),
            spans: vec![None; sources.len()],
            read_errors: Vec::new(),
            conflicts: 0,
            reported: 0,
        }
    }

    fn add(
        &mut self,
        r: Rendered,
        sources: &[Source],
        set: &FileSet,
        plan: &Plan,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        for (s, seg, read) in r.reads {
            if let Some(t) = self
                .reads
                .get_mut(s as usize)
                .and_then(|v| v.get_mut(seg as usize))
            {
                t.chunks += read.chunks;
                t.samples += read.samples;
                t.deleted += read.deleted;
                for (e, n) in read.not_decoded {
                    *t.not_decoded.entry(e).or_default() += n;
                }
                t.problems.extend(read.problems);
            }
        }
        for (s, lo, hi) in r.spans {
            let span = &mut self.spans[s as usize];
            *span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        for (series, t, values, (here, first)) in r.conflicts {
            self.conflicts += 1;
            if self.reported >= MAX_PROBLEMS_PER_FILE {
                continue;
            }
            self.reported += 1;
            let path = |s: u32| set.entries()[sources[s as usize].file(plan)].path.as_str();
            diagnostics.push(tsdb_conflict(path(here), path(first), &series, t, values));
        }
    }

    /// Each source's files into their `sources` rows; returns the sources read.
    fn finish(
        self,
        set: &FileSet,
        plan: &Plan,
        filter: &crate::metrics::tsdb::Filter<'_>,
        sources: &mut [Source],
        report: &mut Accounting,
    ) -> usize {
        let n = sources.len();
        let mut reads = self.reads.into_iter();
        let mut bytes = self.bytes.into_iter();
        for (k, src) in sources.iter_mut().enumerate() {
            let (reads, bytes) = (
                reads.next().unwrap_or_default(),
                bytes.next().unwrap_or_default(),
            );
            let file = src.file(plan);
            let stats = &mut report.files[file];
            stats.read = true;
            match src {
                Source::Block {
                    plan: b,
                    ob,
                    unreadable,
                    ..
                } => {
                    let b = &plan.blocks[*b];
                    stats.bytes = ob.index_len;
                    let mut used = vec![false; b.chunks.len()];
                    let (mut samples, mut deleted) = (0, 0);
                    for seg in ob.block.segments().collect::<Vec<_>>() {
                        let Some(&f) = b.chunks.get(seg as usize) else {
                            let message = missing_segment(&ob.block, seg);
                            ob.out.messages.push((b.index, Severity::Error, message));
                            continue;
                        };
                        used[seg as usize] = true;
                        if let Some(e) = &unreadable[seg as usize] {
                            let (chunks, _) = ob.block.segment_refs(seg);
                            ob.out.messages.push((
                                f,
                                Severity::Error,
                                format!("{e}: its {chunks} chunks are not read"),
                            ));
                            continue;
                        }
                        let r = &reads[seg as usize];
                        samples += r.samples;
                        deleted += r.deleted;
                        account_segment(&mut ob.out, f, bytes[seg as usize], r);
                    }
                    for (f, e) in self.read_errors.iter().filter(|e| b.chunks.contains(&e.0)) {
                        ob.out
                            .messages
                            .push((*f, Severity::Error, format!("read error: {e}")));
                    }
                    finish_block(set, b, ob, filter, (samples, deleted), &used);
                    account_block(
                        self.spans[k],
                        b.index,
                        &ob.out,
                        set,
                        &mut report.files,
                        &mut report.diagnostics,
                    );
                }
                Source::Wal { read, .. } => {
                    stats.bytes = read.bytes;
                    if let Some(e) = &read.read_error {
                        report.diagnostics.push(Diagnostic::file(
                            set.entries()[file].path.clone(),
                            Severity::Error,
                            format!("read error: {e}"),
                        ));
                        stats.errors += 1;
                    }
                    if let Some(block) = &read.block {
                        account_block(
                            self.spans[k],
                            file,
                            block,
                            set,
                            &mut report.files,
                            &mut report.diagnostics,
                        );
                    }
                }
            }
        }
        // As the tables say it: same-value overlaps are how the storage works, not news.
        if self.conflicts > self.reported as u64 {
            report.diagnostics.push(Diagnostic::file(
                "metrics",
                Severity::Warning,
                format!(
                    "{} duplicate samples in all ({} with a different value), each kept once",
                    self.conflicts, self.conflicts
                ),
            ));
        }
        n
    }
}
