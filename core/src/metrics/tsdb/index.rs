//! A block's `index` file (formats 1, 2 and 3): the table of contents, the symbol table and
//! the series with their chunk references, each section checked against its CRC32-C.
//!
//! The series section is read front to back (entries are length-prefixed and separated by
//! zero padding), so a damaged entry costs that series only while its length is sane.

use std::borrow::Cow;
use std::collections::HashMap;

use super::dec::{Dec, crc32c};

/// The index file's magic number.
pub const MAGIC: u32 = 0xBAAA_D700;

/// Bytes of the table of contents at the end of the file.
const TOC_LEN: usize = 6 * 8 + 4;

/// A chunk's place and time range, as the index lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkMeta {
    /// Segment (an index into the block's `chunks/` files in name order) and offset in it.
    pub chunk_ref: u64,
    /// Time of its first sample (ms).
    pub min_t: i64,
    /// Time of its last sample (ms).
    pub max_t: i64,
}

impl ChunkMeta {
    /// The segment's index among the block's chunk files.
    pub fn segment(&self) -> u32 {
        (self.chunk_ref >> 32) as u32
    }

    /// The chunk's offset in its segment.
    pub fn offset(&self) -> u32 {
        self.chunk_ref as u32
    }
}

/// A series of the index.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexSeries {
    /// Its reference (what postings and tombstones name it by): the entry's offset over 16
    /// (format 1: the offset).
    pub series_ref: u64,
    /// Labels as stored (`__name__` among them), sorted by name: (name, value) as numbers in
    /// [`Index::symbols`] (the strings are held once).
    pub labels: Vec<(u32, u32)>,
    /// Its chunks, in time order.
    pub chunks: Vec<ChunkMeta>,
}

/// An index read: its version and series, and what was wrong with it.
#[derive(Debug, Default)]
pub struct Index {
    /// 1, 2 or 3.
    pub version: u8,
    /// Series, in the index's (label set) order.
    pub series: Vec<IndexSeries>,
    /// The symbol table.
    pub symbols: SymbolTable,
    /// What was damaged or odd, with the byte offset it was found at (0: the file).
    pub problems: Vec<(u64, String)>,
    /// It says format 1 but was written in format 2 by Prometheus 2.1 (its `meta.json` says
    /// version 2), and was read as format 2.
    pub repaired: bool,
    /// Only the series the postings named were read (see [`read_matching`]).
    pub by_postings: bool,
}

impl Index {
    /// A series' labels as text.
    pub fn labels(&self, s: &IndexSeries) -> Vec<(String, String)> {
        s.labels
            .iter()
            .map(|&(n, v)| (self.symbols.get(n).into(), self.symbols.get(v).into()))
            .collect()
    }
}

/// Strings by number, held in one buffer.
#[derive(Clone, Debug, Default)]
pub struct SymbolTable {
    text: String,
    ends: Vec<u32>,
}

impl SymbolTable {
    /// Symbol `i` (the empty string when there is none: labels are checked when read).
    pub fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text
            .get(start as usize..end as usize)
            .unwrap_or_default()
    }

    /// Symbols held.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
    }
}

/// The table of contents.
#[derive(Clone, Copy, Debug)]
struct Toc {
    symbols: u64,
    series: u64,
    label_indices: u64,
    label_indices_table: u64,
    postings: u64,
    postings_table: u64,
}

/// Reads an index file. A file that is not an index, or whose table of contents or symbol
/// table is damaged, gives no series and says why; a damaged series entry is skipped.
///
/// `written_as_v2`: the block's `meta.json` says version 2, which Prometheus 2.1 wrote beside
/// indexes in format 2 that say 1; such an index is read as format 2, as Prometheus repairs
/// it.
pub fn read(b: &[u8], written_as_v2: bool) -> Index {
    read_matching(b, written_as_v2, None)
}

/// [`read`], keeping only series `select` may match: with a selector whose every group needs
/// some label (`up`, `{job="a"}`, `{__name__=~"kube_.*"}`), the postings of the labels' values
/// name the series, and only their entries are decoded (formats 1 and 2; format 3 and a
/// damaged postings table fall back to reading every entry). Series are kept or dropped by
/// the caller's full match either way.
pub fn read_matching(
    b: &[u8],
    written_as_v2: bool,
    select: Option<&crate::metrics::selector::Selector>,
) -> Index {
    let mut out = Index::default();
    if b.len() < 5 || u32::from_be_bytes([b[0], b[1], b[2], b[3]]) != MAGIC {
        out.problems
            .push((0, "not a TSDB index (its magic number is missing)".into()));
        return out;
    }
    out.version = b[4];
    if out.version == 1 && written_as_v2 {
        out.version = 2;
        out.repaired = true;
    }
    if !(1..=3).contains(&out.version) {
        out.problems.push((
            4,
            format!(
                "index format version {} is not one podsift reads (1 to 3)",
                out.version
            ),
        ));
        return out;
    }
    let Some(toc) = toc(b) else {
        out.problems.push((
            b.len().saturating_sub(TOC_LEN) as u64,
            "the table of contents at the end of the index is cut or fails its checksum; \
             no series read"
                .into(),
        ));
        return out;
    };
    let symbols = match Symbols::read(b, toc.symbols, out.version) {
        Ok(s) => s,
        Err(e) => {
            out.problems
                .push((toc.symbols, format!("symbol table: {e}; no series read")));
            return out;
        }
    };

    let picked = select
        .filter(|_| out.version <= 2)
        .and_then(|sel| sel.postings_terms())
        .and_then(|terms| {
            postings_refs(&|at| section(b, at).ok().map(Cow::Borrowed), &toc, &terms)
        });
    out.by_postings = picked.is_some();
    match picked {
        Some(refs) => {
            for r in refs {
                let pos = if out.version == 1 {
                    r as usize
                } else {
                    r as usize * 16
                };
                let end = b.len() - TOC_LEN;
                read_entry(
                    b.get(pos..).unwrap_or_default(),
                    pos,
                    end,
                    &symbols,
                    &mut out,
                );
            }
        }
        None => read_series(b, &toc, &symbols, &mut out),
    }
    out.symbols = symbols.strings;
    out
}

/// Where [`read_selected`] gets an index's bytes: ranges of the file, read when needed.
pub trait IndexRanges {
    /// The file's size.
    fn size(&self) -> u64;
    /// Up to `len` bytes at `at` (fewer at the end of the file); `None` when they cannot be
    /// read.
    fn read(&self, at: u64, len: u64) -> Option<Vec<u8>>;
}

/// [`read_matching`] with a selector, reading only what its postings need: the table of
/// contents, the symbol table, the postings offset table, the postings lists of the values
/// asked about and the series entries they name; never the rest of the series section,
/// which is most of a large index. `None` when the index cannot be read this way (format 3,
/// a selector the postings cannot answer, a damaged table of contents, symbol table or
/// postings): the caller reads the whole file then, and finds what is wrong with it.
pub fn read_selected(
    src: &dyn IndexRanges,
    written_as_v2: bool,
    select: &crate::metrics::selector::Selector,
) -> Option<Index> {
    let head = src.read(0, 5).filter(|h| h.len() == 5)?;
    if u32::from_be_bytes([head[0], head[1], head[2], head[3]]) != MAGIC {
        return None;
    }
    let mut out = Index {
        version: head[4],
        ..Index::default()
    };
    if out.version == 1 && written_as_v2 {
        out.version = 2;
        out.repaired = true;
    }
    if !(1..=2).contains(&out.version) {
        return None;
    }
    let terms = select.postings_terms()?;
    let toc_start = src.size().checked_sub(TOC_LEN as u64)?;
    let toc = toc_in(&src.read(toc_start, TOC_LEN as u64)?, toc_start)?;
    let symbols = if toc.symbols == 0 {
        Symbols::parse(&[0, 0, 0, 0], 0, out.version).ok()?
    } else {
        Symbols::parse(
            &section_read(src, toc.symbols).ok()?,
            toc.symbols,
            out.version,
        )
        .ok()?
    };
    let refs = postings_refs(
        &|at| section_read(src, at).ok().map(Cow::Owned),
        &toc,
        &terms,
    )?;
    out.by_postings = true;
    let end = series_end(&toc, toc_start) as usize;
    // Entries named one after another often sit together: one read covers several.
    let mut window: (usize, Vec<u8>) = (0, Vec::new());
    for r in refs {
        let pos = if out.version == 1 {
            r as usize
        } else {
            r as usize * 16
        };
        let covers = |w: &(usize, Vec<u8>), from: usize, len: usize| {
            w.0 <= from && from + len <= w.0 + w.1.len()
        };
        if pos < end && !covers(&window, pos, 16.min(end - pos)) {
            let len = (end - pos).min(4096);
            window = (pos, src.read(pos as u64, len as u64)?);
        }
        if pos < end {
            let mut d = Dec::new(&window.1[pos - window.0..]);
            if let Some(len) = d.uvarint().and_then(|l| usize::try_from(l).ok()) {
                let need = d.pos().saturating_add(len).saturating_add(4);
                if !covers(&window, pos, need) && need <= end - pos {
                    window = (pos, src.read(pos as u64, need as u64)?);
                }
            }
        }
        let w = window
            .1
            .get(pos.saturating_sub(window.0)..)
            .unwrap_or_default();
        let w = if pos >= window.0 { w } else { &[] };
        read_entry(w, pos, end, &symbols, &mut out);
    }
    out.symbols = symbols.strings;
    Some(out)
}

/// The series refs the postings give for `terms` (groups of (label, matcher): within a group
/// all, across groups any), sorted; `None` when the postings offset table or a list is
/// damaged.
fn postings_refs<'a>(
    section: &dyn Fn(u64) -> Option<Cow<'a, [u8]>>,
    toc: &Toc,
    terms: &[Vec<(&str, &promql_parser::label::Matcher)>],
) -> Option<Vec<u32>> {
    if toc.postings_table == 0 {
        return Some(Vec::new());
    }
    let wanted: std::collections::HashSet<&str> =
        terms.iter().flatten().map(|(name, _)| *name).collect();
    // (name, value) -> offset of its postings list, for the names asked about.
    let mut table: HashMap<&str, Vec<(Cow<'_, str>, u64)>> = HashMap::new();
    let body = section(toc.postings_table)?;
    let mut d = Dec::new(&body);
    let n = d.be32()?;
    for _ in 0..n {
        if d.byte()? != 2 {
            return None;
        }
        let name = d.uvarint_bytes()?;
        let value = d.uvarint_bytes()?;
        let off = d.uvarint()?;
        let name = std::str::from_utf8(name).ok()?;
        if let Some(&key) = wanted.get(name) {
            table
                .entry(key)
                .or_default()
                .push((String::from_utf8_lossy(value), off));
        }
    }
    let list = |off: u64| -> Option<Vec<u32>> {
        let body = section(off)?;
        let mut d = Dec::new(&body);
        let n = d.be32()? as usize;
        if d.left() != n.checked_mul(4)? {
            return None;
        }
        (0..n).map(|_| d.be32()).collect()
    };
    let mut all: Vec<u32> = Vec::new();
    for group in terms {
        let mut acc: Option<Vec<u32>> = None;
        for (name, m) in group {
            let mut refs: Vec<u32> = Vec::new();
            for (value, off) in table.get(name).map(Vec::as_slice).unwrap_or_default() {
                if m.is_match(value) {
                    refs.extend(list(*off)?);
                }
            }
            refs.sort_unstable();
            refs.dedup();
            acc = Some(match acc {
                None => refs,
                Some(a) => {
                    let keep: std::collections::HashSet<u32> = refs.into_iter().collect();
                    a.into_iter().filter(|r| keep.contains(r)).collect()
                }
            });
        }
        all.extend(acc.unwrap_or_default());
    }
    all.sort_unstable();
    all.dedup();
    Some(all)
}

fn toc(b: &[u8]) -> Option<Toc> {
    let start = b.len().checked_sub(TOC_LEN)?;
    toc_in(&b[start..], start as u64)
}

/// The table of contents from its bytes `t`, which start at `start` in the file.
fn toc_in(t: &[u8], start: u64) -> Option<Toc> {
    if start < 5 || t.len() != TOC_LEN {
        return None;
    }
    let want = u32::from_be_bytes(t[48..52].try_into().ok()?);
    if crc32c(&t[..48]) != want {
        return None;
    }
    let mut d = Dec::new(&t[..48]);
    let toc = Toc {
        symbols: d.be64()?,
        series: d.be64()?,
        label_indices: d.be64()?,
        label_indices_table: d.be64()?,
        postings: d.be64()?,
        postings_table: d.be64()?,
    };
    let end = start;
    let refs = [
        toc.symbols,
        toc.series,
        toc.label_indices,
        toc.label_indices_table,
        toc.postings,
        toc.postings_table,
    ];
    refs.iter().all(|&r| r <= end).then_some(toc)
}

/// A section that starts with a 4-byte length and ends with a CRC32-C of its contents.
fn section(b: &[u8], at: u64) -> Result<&[u8], String> {
    let at = usize::try_from(at).map_err(|_| "offset past the file".to_string())?;
    let mut d = Dec::new(b.get(at..).ok_or("offset past the end of the file")?);
    let len = d.be32().ok_or("cut before its length")? as usize;
    let body = d
        .bytes(len)
        .ok_or("cut: its length runs past the end of the file")?;
    let want = d.be32().ok_or("cut before its checksum")?;
    if crc32c(body) != want {
        return Err("checksum mismatch".into());
    }
    Ok(body)
}

/// [`section`] read by range from `src`.
fn section_read(src: &dyn IndexRanges, at: u64) -> Result<Vec<u8>, String> {
    let head = src.read(at, 4).filter(|h| h.len() == 4);
    let head = head.ok_or("cut before its length")?;
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let mut body = src
        .read(at + 4, len as u64 + 4)
        .filter(|b| b.len() == len + 4)
        .ok_or("cut: its length runs past the end of the file")?;
    let want = u32::from_be_bytes([body[len], body[len + 1], body[len + 2], body[len + 3]]);
    body.truncate(len);
    if crc32c(&body) != want {
        return Err("checksum mismatch".into());
    }
    Ok(body)
}

/// The symbol table: strings by number (format 2 and 3) or by their offset in the file
/// (format 1).
struct Symbols {
    strings: SymbolTable,
    /// Format 1: offset of each symbol's length in the file, to its number.
    by_offset: Option<HashMap<u32, u32>>,
}

impl Symbols {
    fn read(b: &[u8], at: u64, version: u8) -> Result<Self, String> {
        if at == 0 {
            return Ok(Symbols {
                strings: SymbolTable::default(),
                by_offset: (version == 1).then(HashMap::new),
            });
        }
        Self::parse(section(b, at)?, at, version)
    }

    /// The symbol table from its section's contents, which start after the length at `at`.
    fn parse(body: &[u8], at: u64, version: u8) -> Result<Self, String> {
        let mut d = Dec::new(body);
        let count = d.be32().ok_or("cut before its count")? as usize;
        // Each symbol takes at least one byte: a count past that is a lie.
        let mut strings = SymbolTable {
            text: String::with_capacity(d.left()),
            ends: Vec::with_capacity(count.min(d.left())),
        };
        let mut by_offset = (version == 1).then(HashMap::new);
        // The body starts after the 4-byte length.
        let base = at as usize + 4;
        for i in 0..count {
            let offset = base + d.pos();
            let s = d
                .uvarint_bytes()
                .ok_or_else(|| format!("cut at symbol {} of {count}", i + 1))?;
            strings.push(&String::from_utf8_lossy(s));
            if let Some(m) = &mut by_offset {
                m.insert(offset as u32, i as u32);
            }
        }
        Ok(Symbols { strings, by_offset })
    }

    /// The number of the symbol a series entry refers to as `r`.
    fn number(&self, r: u64) -> Option<u32> {
        let i = match &self.by_offset {
            Some(m) => *m.get(&u32::try_from(r).ok()?)?,
            None => u32::try_from(r).ok()?,
        };
        ((i as usize) < self.strings.len()).then_some(i)
    }
}

/// Where the series section ends: at the next section the table of contents names.
fn series_end(toc: &Toc, toc_start: u64) -> u64 {
    [
        toc.label_indices,
        toc.label_indices_table,
        toc.postings,
        toc.postings_table,
    ]
    .into_iter()
    .filter(|&r| r > toc.series)
    .min()
    .unwrap_or(toc_start)
}

fn read_series(b: &[u8], toc: &Toc, symbols: &Symbols, out: &mut Index) {
    if toc.series == 0 {
        return;
    }
    let end = series_end(toc, (b.len() - TOC_LEN) as u64) as usize;
    let mut pos = toc.series as usize;
    while pos < end {
        // Zero padding between entries (format 2 aligns each to 16 bytes).
        if b[pos] == 0 {
            pos += 1;
            continue;
        }
        match read_entry(&b[pos..], pos, end, symbols, out) {
            Some(next) => pos = next,
            None => return,
        }
    }
}

/// Reads the series entry at `pos` (the section ends at `end`) into `out` from `w`, the
/// file's bytes from `pos` on; where the next entry may start, or `None` when the entries
/// after this one cannot be found.
fn read_entry(
    w: &[u8],
    pos: usize,
    end: usize,
    symbols: &Symbols,
    out: &mut Index,
) -> Option<usize> {
    let in_section = end.checked_sub(pos).map(|n| &w[..n.min(w.len())]);
    let Some(mut d) = in_section.map(Dec::new) else {
        out.problems.push((
            pos as u64,
            "a series reference points past the index's series; skipped".into(),
        ));
        return None;
    };
    let Some(len) = d.uvarint() else {
        out.problems.push((
            pos as u64,
            "series section: an entry's length is cut; the series after it are lost".into(),
        ));
        return None;
    };
    let start = d.pos();
    let body_end = usize::try_from(len)
        .ok()
        .and_then(|l| start.checked_add(l))?;
    if pos + body_end + 4 > end || body_end + 4 > w.len() {
        out.problems.push((
            pos as u64,
            format!(
                "series section: an entry of {len} bytes runs past the section's end; \
                 the series from here on are lost"
            ),
        ));
        return None;
    }
    let body = &w[start..body_end];
    let want = u32::from_be_bytes(w[body_end..body_end + 4].try_into().unwrap_or_default());
    let series_ref = if out.version == 1 {
        pos as u64
    } else {
        pos as u64 / 16
    };
    if out.version >= 2 && !pos.is_multiple_of(16) {
        out.problems.push((
            pos as u64,
            "series entry not aligned to 16 bytes (format 2 aligns them)".into(),
        ));
    }
    if crc32c(body) != want {
        out.problems.push((
            pos as u64,
            format!("series entry fails its checksum; that series (ref {series_ref}) is skipped"),
        ));
    } else {
        match decode_series(body, symbols) {
            Ok((labels, chunks)) => out.series.push(IndexSeries {
                series_ref,
                labels,
                chunks,
            }),
            Err(e) => out.problems.push((
                pos as u64,
                format!("series entry (ref {series_ref}): {e}; skipped"),
            )),
        }
    }
    Some(pos + body_end + 4)
}

type Decoded = (Vec<(u32, u32)>, Vec<ChunkMeta>);

fn decode_series(body: &[u8], symbols: &Symbols) -> Result<Decoded, String> {
    let mut d = Dec::new(body);
    let cut = || "cut short".to_string();
    let n = d.uvarint().ok_or_else(cut)?;
    let mut labels = Vec::with_capacity((n as usize).min(d.left() / 2));
    for _ in 0..n {
        let name = d.uvarint().ok_or_else(cut)?;
        let value = d.uvarint().ok_or_else(cut)?;
        let name = symbols
            .number(name)
            .ok_or_else(|| format!("label name refers to symbol {name}, which is not there"))?;
        let value = symbols
            .number(value)
            .ok_or_else(|| format!("label value refers to symbol {value}, which is not there"))?;
        labels.push((name, value));
    }
    let k = d.uvarint().ok_or_else(cut)?;
    // Each chunk takes at least three bytes.
    let mut chunks = Vec::with_capacity((k as usize).min(d.left() / 3));
    if k > 0 {
        let mut min_t = d.varint().ok_or_else(cut)?;
        let mut max_t = min_t.wrapping_add(d.uvarint().ok_or_else(cut)? as i64);
        let mut r = d.uvarint().ok_or_else(cut)? as i64;
        chunks.push(ChunkMeta {
            chunk_ref: r as u64,
            min_t,
            max_t,
        });
        for _ in 1..k {
            min_t = max_t.wrapping_add(d.uvarint().ok_or_else(cut)? as i64);
            max_t = min_t.wrapping_add(d.uvarint().ok_or_else(cut)? as i64);
            r = r.wrapping_add(d.varint().ok_or_else(cut)?);
            chunks.push(ChunkMeta {
                chunk_ref: r as u64,
                min_t,
                max_t,
            });
        }
    }
    Ok((labels, chunks))
}
