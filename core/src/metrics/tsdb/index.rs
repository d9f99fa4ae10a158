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
    /// Labels as stored (`__name__` among them), sorted by name.
    pub labels: Vec<(String, String)>,
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
    /// Symbols in the symbol table.
    pub symbols: usize,
    /// What was damaged or odd, with the byte offset it was found at (0: the file).
    pub problems: Vec<(u64, String)>,
    /// It says format 1 but was written in format 2 by Prometheus 2.1 (its `meta.json` says
    /// version 2), and was read as format 2.
    pub repaired: bool,
    /// Only the series the postings named were read (see [`read_matching`]).
    pub by_postings: bool,
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
    out.symbols = symbols.len();
    let picked = select
        .filter(|_| out.version <= 2)
        .and_then(|sel| sel.postings_terms())
        .and_then(|terms| postings_refs(b, &toc, &terms));
    out.by_postings = picked.is_some();
    match picked {
        Some(refs) => {
            for r in refs {
                let pos = if out.version == 1 {
                    r as usize
                } else {
                    r as usize * 16
                };
                read_entry(b, pos, b.len() - TOC_LEN, &symbols, &mut out);
            }
        }
        None => read_series(b, &toc, &symbols, &mut out),
    }
    out
}

/// The series refs the postings give for `terms` (groups of (label, matcher): within a group
/// all, across groups any), sorted; `None` when the postings offset table or a list is
/// damaged.
fn postings_refs(
    b: &[u8],
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
    let body = section(b, toc.postings_table).ok()?;
    let mut d = Dec::new(body);
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
        let body = section(b, off).ok()?;
        let mut d = Dec::new(body);
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
    if start < 5 {
        return None;
    }
    let t = &b[start..];
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
    let end = start as u64;
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

/// The symbol table: strings by number (format 2 and 3) or by their offset in the file
/// (format 1).
struct Symbols<'a> {
    strings: Vec<Cow<'a, str>>,
    /// Format 1: offset of each symbol's length in the file, to its number.
    by_offset: Option<HashMap<u32, u32>>,
}

impl<'a> Symbols<'a> {
    fn read(b: &'a [u8], at: u64, version: u8) -> Result<Self, String> {
        if at == 0 {
            return Ok(Symbols {
                strings: Vec::new(),
                by_offset: (version == 1).then(HashMap::new),
            });
        }
        let body = section(b, at)?;
        let mut d = Dec::new(body);
        let count = d.be32().ok_or("cut before its count")? as usize;
        // Each symbol takes at least one byte: a count past that is a lie.
        let mut strings = Vec::with_capacity(count.min(d.left()));
        let mut by_offset = (version == 1).then(HashMap::new);
        // The body starts after the 4-byte length.
        let base = at as usize + 4;
        for i in 0..count {
            let offset = base + d.pos();
            let s = d
                .uvarint_bytes()
                .ok_or_else(|| format!("cut at symbol {} of {count}", i + 1))?;
            strings.push(String::from_utf8_lossy(s));
            if let Some(m) = &mut by_offset {
                m.insert(offset as u32, i as u32);
            }
        }
        Ok(Symbols { strings, by_offset })
    }

    fn len(&self) -> usize {
        self.strings.len()
    }

    fn get(&self, r: u64) -> Option<&str> {
        let i = match &self.by_offset {
            Some(m) => *m.get(&u32::try_from(r).ok()?)? as usize,
            None => usize::try_from(r).ok()?,
        };
        self.strings.get(i).map(|s| s.as_ref())
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

fn read_series(b: &[u8], toc: &Toc, symbols: &Symbols<'_>, out: &mut Index) {
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
        match read_entry(b, pos, end, symbols, out) {
            Some(next) => pos = next,
            None => return,
        }
    }
}

/// Reads the series entry at `pos` (the section ends at `end`) into `out`; where the next
/// entry may start, or `None` when the entries after this one cannot be found.
fn read_entry(
    b: &[u8],
    pos: usize,
    end: usize,
    symbols: &Symbols<'_>,
    out: &mut Index,
) -> Option<usize> {
    let Some(mut d) = b.get(pos..end).map(Dec::new) else {
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
    let start = pos + d.pos();
    let body_end = usize::try_from(len)
        .ok()
        .and_then(|l| start.checked_add(l))?;
    if body_end + 4 > end {
        out.problems.push((
            pos as u64,
            format!(
                "series section: an entry of {len} bytes runs past the section's end; \
                 the series from here on are lost"
            ),
        ));
        return None;
    }
    let body = &b[start..body_end];
    let want = u32::from_be_bytes(b[body_end..body_end + 4].try_into().unwrap_or_default());
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
    Some(body_end + 4)
}

type Decoded = (Vec<(String, String)>, Vec<ChunkMeta>);

fn decode_series(body: &[u8], symbols: &Symbols<'_>) -> Result<Decoded, String> {
    let mut d = Dec::new(body);
    let cut = || "cut short".to_string();
    let n = d.uvarint().ok_or_else(cut)?;
    let mut labels = Vec::with_capacity((n as usize).min(d.left() / 2));
    for _ in 0..n {
        let name = d.uvarint().ok_or_else(cut)?;
        let value = d.uvarint().ok_or_else(cut)?;
        let name = symbols
            .get(name)
            .ok_or_else(|| format!("label name refers to symbol {name}, which is not there"))?;
        let value = symbols
            .get(value)
            .ok_or_else(|| format!("label value refers to symbol {value}, which is not there"))?;
        labels.push((name.to_string(), value.to_string()));
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
