//! Where the bytes come from: a [`FileSet`] of paths and readers, classified by [`plan`] into
//! container instances to read.
//!
//! A `FileSet` is one interface over every kind of input: files handed over as bytes (the browser,
//! tests) and, natively, folders walked by [`native`]. Everything above this module sees only
//! paths and readers; only `native` touches the filesystem.

pub mod archive;
pub mod compress;
pub mod layout;
pub mod path;
pub mod plan;
mod stream;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::diag::Diagnostic;

/// Buffer for stored bytes: enough to see a gzip header and to feed the decoder. Readers
/// above ask for far more per call, so plain files bypass it.
pub(crate) const READ_BUFFER_BYTES: usize = 64 * 1024;

/// Something that opens the files of a [`FileSet`] by key.
pub trait ByteSource: Send + Sync + fmt::Debug {
    /// Opens the file with this key for reading from its start.
    fn open(&self, key: usize) -> io::Result<Box<dyn Read + Send + '_>>;

    /// Opens the file with this key for reading from `offset` (a member of an archive). The
    /// default reads and drops the bytes before it; files on disk seek.
    fn open_at(&self, key: usize, offset: u64) -> io::Result<Box<dyn Read + Send + '_>> {
        let mut r = self.open(key)?;
        let skipped = io::copy(&mut (&mut r).take(offset), &mut io::sink())?;
        if skipped < offset {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the file is shorter than it was",
            ));
        }
        Ok(r)
    }
}

/// A symbolic link's target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkTarget {
    /// The target as the link states it.
    pub target: String,
    /// Where the target is, as a layout path (native: the canonical path, when the target
    /// exists; in memory: the path resolved lexically).
    pub resolved: Option<String>,
    /// The target exists and can be read through the link, even if it is not in the set.
    pub readable: bool,
    /// The target is a file outside the inputs, not read (on disk without `--follow-links`:
    /// a copied tree's `passwd.log -> /etc/passwd` must not read the analyst's machine).
    pub outside: bool,
    /// A hard link of an archive (its target is another member), not a symbolic one.
    pub hard: bool,
    /// Why the target cannot be reached, when that is known and is not "it is not there" (a
    /// loop of links on disk).
    pub unreachable: Option<String>,
}

/// One file of an input.
#[derive(Clone, Debug)]
pub struct FileEntry {
    /// The path as shown to users (the input as given, plus the path below it).
    pub path: String,
    /// A `/`-separated path, as complete as known (natively: absolute, links not resolved), from
    /// which the layout (node, pod, container, restart) is read.
    pub layout_path: String,
    /// Size in bytes as stored (compressed size for `.gz`).
    pub size: u64,
    /// Set when the entry is a symbolic link.
    pub link: Option<LinkTarget>,
    /// The archive holding it (the innermost one, as shown), when it is a member of one.
    pub archive: Option<String>,
    /// Something the archive reader noticed (a name that climbed out of the archive, bytes cut
    /// short by damage); shown in the `note` column of `sources`.
    pub remark: Option<String>,
    /// Set when the archive reader already knows the file cannot be read (encrypted, replaced
    /// by a later entry of the same name, a link out of the archive): the reason.
    pub skip: Option<String>,
    origin: Origin,
}

/// Where an entry's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// `FileSet::memory[i]`.
    Memory(usize),
    /// `FileSet::sources[source].open(key)`.
    Source { source: usize, key: usize },
    /// A link whose target is not in the set: nothing to read.
    Nowhere,
    /// `len` bytes at `offset` of the bytes of `FileSet::bases[base]` (a member of a tar that
    /// is not compressed: read in place).
    Slice { base: usize, offset: u64, len: u64 },
    /// A zip member: `stored` bytes at `offset` of `FileSet::bases[base]`, compressed with zip
    /// `method`, `size` bytes decoded.
    Zip {
        base: usize,
        offset: u64,
        stored: u64,
        size: u64,
        method: u16,
    },
    /// `len` bytes at `offset` of the tar stream of `FileSet::streams[stream]` (a member of a
    /// compressed tar read as a stream: decompressed when read).
    Stream {
        stream: usize,
        offset: u64,
        len: u64,
    },
}

/// The files of one or more inputs, in discovery order (sorted by path within each input).
#[derive(Debug, Default)]
pub struct FileSet {
    entries: Vec<FileEntry>,
    sources: Vec<Box<dyn ByteSource>>,
    memory: Vec<Vec<u8>>,
    /// Containers (archives) whose members are read in place.
    bases: Vec<Origin>,
    /// Compressed tars read as streams (see [`archive::Opening`]).
    streams: Vec<stream::Stream>,
    /// The limits archives and compressed files are read within.
    limits: archive::ArchiveLimits,
    /// Bytes unpacked: archives' members when listed, then compressed files as they are read
    /// whole in this pass (the total `--max-unpacked` caps).
    unpacked: AtomicU64,
    /// Bytes archives' members unpacked to (where each pass starts counting).
    archived: u64,
    /// Archives opened: their path as shown and what was found in them.
    pub archives: Vec<archive::ArchiveInfo>,
    /// Problems met while discovering files (an unreadable folder, a path that does not exist).
    pub problems: Vec<Diagnostic>,
    /// Files met on disk and not listed (pipes, sockets, links to folders or devices); each
    /// has its message in `problems`.
    pub unlisted: usize,
}

impl FileSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The files, in discovery order.
    pub fn entries(&self) -> &[FileEntry] {
        &self.entries
    }

    /// Adds a file held in memory; `path` is `/`-separated and is both the display and the
    /// layout path.
    pub fn add_bytes(&mut self, path: impl Into<String>, bytes: Vec<u8>) {
        let path = path.into();
        self.add_bytes_as(path.clone(), path, bytes);
    }

    /// Adds a file held in memory that is shown as `path` and planned as if it lay at
    /// `layout_path` (standard input, shown as `-`, is planned as a log file).
    pub fn add_bytes_as(
        &mut self,
        path: impl Into<String>,
        layout_path: impl Into<String>,
        bytes: Vec<u8>,
    ) {
        let path = path.into();
        self.entries.push(FileEntry {
            layout_path: layout_path.into(),
            path,
            size: bytes.len() as u64,
            link: None,
            archive: None,
            remark: None,
            skip: None,
            origin: Origin::Memory(self.memory.len()),
        });
        self.memory.push(bytes);
    }

    /// Adds an in-memory symbolic link; a relative target is resolved against the link's folder.
    pub fn add_link(&mut self, path: impl Into<String>, target: impl Into<String>) {
        let path = path.into();
        let target = target.into();
        let resolved = if target.starts_with('/') {
            normalize_path(&target)
        } else {
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            normalize_path(&format!("{dir}/{target}"))
        };
        self.entries.push(FileEntry {
            layout_path: path.clone(),
            path,
            size: 0,
            link: Some(LinkTarget {
                target,
                resolved: Some(resolved),
                readable: false,
                outside: false,
                hard: false,
                unreachable: None,
            }),
            archive: None,
            remark: None,
            skip: None,
            origin: Origin::Nowhere,
        });
    }

    /// Adds files from another source (the native walker, an archive reader).
    pub fn add_source(&mut self, source: Box<dyn ByteSource>, files: Vec<NewFile>) {
        self.sources.push(source);
        let source = self.sources.len() - 1;
        self.entries.extend(files.into_iter().map(|f| FileEntry {
            path: f.path,
            layout_path: f.layout_path,
            size: f.size,
            link: f.link,
            archive: None,
            remark: None,
            skip: None,
            origin: Origin::Source { source, key: f.key },
        }));
    }

    /// Opens a file's stored bytes (for a zip member: its bytes after the zip's own
    /// compression).
    pub(crate) fn open_raw(&self, index: usize) -> io::Result<Box<dyn Read + Send + '_>> {
        let e = &self.entries[index];
        let r = self.open_origin(e.origin, 0)?;
        Ok(match e.origin {
            // A file on disk is read up to the size it had when it was listed: a log still
            // being written is read as it was (sizes, counts and the plan agree), not forever.
            Origin::Source { .. } => Box::new(r.take(e.size)),
            _ => r,
        })
    }

    /// Opens the bytes of `origin` from `offset`.
    fn open_origin(&self, origin: Origin, offset: u64) -> io::Result<Box<dyn Read + Send + '_>> {
        match origin {
            Origin::Memory(i) => {
                let bytes = &self.memory[i];
                let from = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                Ok(Box::new(&bytes[from..]))
            }
            Origin::Source { source, key } if offset == 0 => self.sources[source].open(key),
            Origin::Source { source, key } => self.sources[source].open_at(key, offset),
            Origin::Nowhere => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "a link whose target is not in the input",
            )),
            Origin::Stream {
                stream,
                offset: at,
                len,
            } => {
                let s = &self.streams[stream];
                let from = usize::try_from(offset).unwrap_or(usize::MAX);
                if let Some(head) = s.head(at)
                    && head.len() as u64 == len
                {
                    return Ok(Box::new(&head[from.min(head.len())..]));
                }
                if len > stream::BIG_MEMBER.min(self.limits.max_held / 4) {
                    let mut r = s.reader(at, len)?;
                    if offset > 0 {
                        io::copy(&mut (&mut r).take(offset), &mut io::sink())?;
                    }
                    return Ok(Box::new(r));
                }
                let bytes = s.read(at, len)?;
                let mut r = io::Cursor::new(bytes);
                r.set_position(offset);
                Ok(Box::new(r))
            }
            Origin::Slice {
                base,
                offset: at,
                len,
            } => {
                let r = self.open_origin(self.bases[base], at + offset)?;
                Ok(Box::new(r.take(len.saturating_sub(offset))))
            }
            Origin::Zip {
                base,
                offset: at,
                stored,
                size,
                method,
            } => {
                let raw = self.open_origin(self.bases[base], at)?.take(stored);
                let mut r = archive::zip_member_reader(raw, method, size)?;
                if offset > 0 {
                    io::copy(&mut (&mut r).take(offset), &mut io::sink())?;
                }
                Ok(r)
            }
        }
    }

    /// Whether [`FileSet::read_range`] costs only the range: a file on disk or in memory, a
    /// member of an uncompressed tar or stored in a zip, or a compressed tar's member held
    /// whole. Other members are decompressed from their start at each read: read them once.
    pub(crate) fn ranges_are_cheap(&self, index: usize) -> bool {
        match self.entries[index].origin {
            Origin::Memory(_) | Origin::Source { .. } | Origin::Slice { .. } => true,
            Origin::Zip { method, .. } => method == 0,
            Origin::Stream {
                stream,
                offset,
                len,
            } => self.streams[stream]
                .head(offset)
                .is_some_and(|h| h.len() as u64 == len),
            Origin::Nowhere => false,
        }
    }

    /// Up to `len` stored bytes of a file from `offset` (files on disk seek; members of
    /// archives are read up to there): for formats read in place by offset, such as TSDB chunk
    /// segments, which are never compressed on their own.
    pub(crate) fn read_range(&self, index: usize, offset: u64, len: u64) -> io::Result<Vec<u8>> {
        let e = &self.entries[index];
        let len = len.min(e.size.saturating_sub(offset));
        let r = self.open_origin(e.origin, offset)?;
        let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0).min(64 << 20));
        r.take(len).read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// Starts a pass over the files: compressed files read whole count towards `--max-unpacked`
    /// again from the archives' total (a second pass over the same files is not a bomb).
    pub(crate) fn start_pass(&self) {
        self.unpacked.store(self.archived, Ordering::Relaxed);
    }

    /// Opens a file and decompresses it when its first bytes are a gzip, zstd, xz or bzip2
    /// header (whatever its name says).
    pub fn open(&self, index: usize) -> io::Result<Box<dyn Read + Send + '_>> {
        decode(self.open_raw(index)?, self.limits.max_bytes)
    }

    /// [`FileSet::open`] for reading a whole file: adds the stored bytes consumed to `counter`,
    /// and (natively) decodes a gzip file of moderate size in one pass, which is twice as fast
    /// as streaming.
    ///
    /// `buffers` are reused from file to file, so that decoding many rotated files does not
    /// allocate (and zero) memory for each.
    pub(crate) fn open_counting<'a>(
        &'a self,
        index: usize,
        counter: &'a AtomicU64,
        buffers: &mut ReadBuffers,
    ) -> io::Result<Opened<'a>> {
        let raw: Box<dyn Read + Send + 'a> = Box::new(CountingReader {
            inner: self.open_raw(index)?,
            counter,
        });
        let total = Some(&self.unpacked);
        #[cfg(not(target_arch = "wasm32"))]
        {
            let size = self.entries[index].size;
            if size <= ONE_SHOT_GZIP_MAX_BYTES {
                return one_shot::decode(raw, size as usize, buffers, self.limits.max_bytes, total);
            }
        }
        #[cfg(target_arch = "wasm32")]
        let _ = buffers;
        decode_with(raw, self.limits.max_bytes, total).map(Opened::Reader)
    }

    /// Reads up to `limit` decompressed bytes from the start of a file.
    pub(crate) fn read_head(&self, index: usize, limit: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        if let Origin::Stream {
            stream,
            offset,
            len,
        } = self.entries[index].origin
            && let Some(head) = self.streams[stream].head(offset)
            && (head.len() as u64 == len || head.len() >= limit)
        {
            // A member of a streamed archive: its kept head, which may end inside a compressed
            // member (what decodes before the cut is its head).
            let cut = (head.len() as u64) < len;
            let r = decode(Box::new(head), self.limits.max_bytes)?
                .take(limit as u64)
                .read_to_end(&mut out);
            return match r {
                Err(_) if cut && !out.is_empty() => Ok(out),
                Err(e) => Err(e),
                Ok(_) => Ok(out),
            };
        }
        // A compressed file cut short or damaged: its head is what decodes before the damage
        // (the read says where it stopped, keeping the lines before it).
        match self.open(index)?.take(limit as u64).read_to_end(&mut out) {
            Err(_) if !out.is_empty() => Ok(out),
            Err(e) => Err(e),
            Ok(_) => Ok(out),
        }
    }

    /// Says that these files will be read, so that members of a streamed archive (see
    /// [`archive::Opening`]) passed while reading others are kept for them instead of being
    /// decompressed again. Other files need no notice.
    pub fn expect_reads(&self, files: impl IntoIterator<Item = usize>) {
        for i in files {
            if let Some(Origin::Stream {
                stream,
                offset,
                len,
            }) = self.entries.get(i).map(|e| e.origin)
            {
                let s = &self.streams[stream];
                if s.head(offset).is_none_or(|h| (h.len() as u64) < len) {
                    s.expect(offset, len);
                }
            }
        }
    }

    /// Where a member of a streamed archive is in it (the archive, the offset in its tar
    /// stream), so that readers can go through it in order; `None` for other files.
    pub(crate) fn stream_position(&self, index: usize) -> Option<(usize, u64)> {
        match self.entries[index].origin {
            Origin::Stream { stream, offset, .. } => Some((stream, offset)),
            _ => None,
        }
    }

    /// Bytes the set holds in memory: files given as bytes, members of compressed tars
    /// decompressed while listing, and streamed archives (their compressed bytes, heads and
    /// members kept for a later read).
    pub fn held_bytes(&self) -> u64 {
        self.memory.iter().map(|m| m.len() as u64).sum::<u64>()
            + self
                .streams
                .iter()
                .map(stream::Stream::held_bytes)
                .sum::<u64>()
    }

    /// How many times a streamed archive was decompressed again from its start because a
    /// member was asked for behind the reader and not kept (0 when reading went in order).
    pub fn stream_restarts(&self) -> u64 {
        self.streams.iter().map(stream::Stream::restarts).sum()
    }
}

/// Decodes `raw` when it starts with the magic bytes of a compression format, up to `limit`
/// decoded bytes (past it, reading fails: a decompression bomb).
fn decode<'a>(raw: Box<dyn Read + Send + 'a>, limit: u64) -> io::Result<Box<dyn Read + Send + 'a>> {
    decode_with(raw, limit, None)
}

/// [`decode`], counting the bytes decoded into `total` (shared by every whole-file read) and
/// failing once it passes `limit`.
fn decode_with<'a>(
    raw: Box<dyn Read + Send + 'a>,
    limit: u64,
    total: Option<&'a AtomicU64>,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    let mut raw = BufReader::with_capacity(READ_BUFFER_BYTES, raw);
    // A magic number is at most 6 bytes; a short first read is topped up.
    let mut head = raw.fill_buf()?;
    if head.len() < 6 && !head.is_empty() {
        let mut start = head.to_vec();
        raw.consume(start.len());
        let mut more = [0u8; 6];
        while start.len() < 6 {
            let n = raw.read(&mut more[..6 - start.len()])?;
            if n == 0 {
                break;
            }
            start.extend_from_slice(&more[..n]);
        }
        let chained: Box<dyn Read + Send + 'a> = Box::new(io::Cursor::new(start).chain(raw));
        raw = BufReader::with_capacity(READ_BUFFER_BYTES, chained);
        head = raw.fill_buf()?;
    }
    match (compress::Compression::of(head), total) {
        (Some(c), None) => Ok(Box::new(compress::Limited::new(c.decoder(raw), limit))),
        (Some(c), Some(t)) => Ok(Box::new(compress::Limited::sharing(
            c.decoder(raw),
            limit,
            t,
        ))),
        (None, _) => Ok(Box::new(raw)),
    }
}

/// Largest stored gzip file decoded in one pass (above it, or when the one-pass decoder
/// declines, the file is streamed).
#[cfg(not(target_arch = "wasm32"))]
const ONE_SHOT_GZIP_MAX_BYTES: u64 = 64 * 1024 * 1024;

#[cfg(not(target_arch = "wasm32"))]
mod one_shot {
    use std::io::{self, Cursor, Read};
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Largest decoded size accepted from a gzip trailer for one-pass decoding.
    const MAX_DECODED_BYTES: usize = 512 * 1024 * 1024;

    /// Reads the stored bytes; a single-member gzip stream is decoded with libdeflate, anything
    /// else (plain bytes, several members, damage) goes through [`super::decode`], whose
    /// streaming decoder keeps what comes before a damaged spot.
    pub(super) fn decode<'a>(
        mut raw: Box<dyn Read + Send + 'a>,
        size: usize,
        buffers: &mut super::ReadBuffers,
        limit: u64,
        total: Option<&'a AtomicU64>,
    ) -> io::Result<super::Opened<'a>> {
        let mut head = [0u8; 2];
        let got = super::read_full(&mut raw, &mut head)?;
        if got < 2 || head != [0x1f, 0x8b] {
            let plain: Box<dyn Read + Send + 'a> =
                Box::new(Cursor::new(head[..got].to_vec()).chain(raw));
            return super::decode_with(plain, limit, total).map(super::Opened::Reader);
        }
        // Read into a buffer whose bytes were initialized by an earlier file (no zeroing), sized
        // one byte past the stated size so that a file that grew is noticed.
        let mut stored = std::mem::take(&mut buffers.stored);
        if stored.len() < size + 1 {
            stored.resize(size + 1, 0);
        }
        stored[..2].copy_from_slice(&head);
        let mut len = 2 + super::read_full(&mut raw, &mut stored[2..])?;
        if len == stored.len() {
            raw.read_to_end(&mut stored)?;
            len = stored.len();
        }
        let mut decoded = std::mem::take(&mut buffers.decoded);
        let left = limit.saturating_sub(total.map_or(0, |t| t.load(Ordering::Relaxed)));
        let result = gunzip(&stored[..len], &mut decoded, left);
        if let Some(n) = result {
            if let Some(t) = total {
                t.fetch_add(n as u64, Ordering::Relaxed);
            }
            if stored.len() <= super::MAX_KEPT_BUFFER_BYTES {
                buffers.stored = stored;
            }
            return Ok(super::Opened::Bytes {
                buf: decoded,
                len: n,
            });
        }
        buffers.decoded = decoded;
        stored.truncate(len);
        super::decode_with(Box::new(Cursor::new(stored)), limit, total).map(super::Opened::Reader)
    }

    /// Decodes a whole single-member gzip stream whose trailer states its size into the start
    /// of `out` (grown as needed, never shrunk); returns the decoded length.
    fn gunzip(stored: &[u8], out: &mut Vec<u8>, limit: u64) -> Option<usize> {
        let trailer: [u8; 4] = stored
            .get(stored.len().checked_sub(4)?..)?
            .try_into()
            .ok()?;
        let size = u32::from_le_bytes(trailer) as usize;
        if size > MAX_DECODED_BYTES || size as u64 > limit {
            return None;
        }
        // One byte more than stated: a stream that does not fit was misdescribed.
        if out.len() < size + 1 {
            out.resize(size + 1, 0);
        }
        let n = libdeflater::Decompressor::new()
            .gzip_decompress(stored, &mut out[..size + 1])
            .ok()?;
        (n == size).then_some(n)
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use std::io::Write;

        fn gz(data: &[u8]) -> Vec<u8> {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }

        fn read_all(stored: Vec<u8>) -> (Vec<u8>, Option<io::ErrorKind>) {
            let mut buffers = super::super::ReadBuffers::default();
            // A reused buffer holds old bytes past the data: they must not show.
            buffers.give_back(vec![b'x'; 3_000_000]);
            // Stated sizes that are too small or too large work too.
            let size = stored.len() / 2;
            let mut r = match decode(
                Box::new(Cursor::new(stored)),
                size,
                &mut buffers,
                u64::MAX,
                None,
            )
            .unwrap()
            {
                super::super::Opened::Bytes { mut buf, len } => {
                    buf.truncate(len);
                    return (buf, None);
                }
                super::super::Opened::Reader(r) => r,
            };
            let mut out = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match r.read(&mut buf) {
                    Ok(0) => return (out, None),
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                    Err(e) => return (out, Some(e.kind())),
                }
            }
        }

        #[test]
        fn one_pass_and_fallbacks_agree_with_streaming() {
            let data: Vec<u8> = (0..200_000u32)
                .flat_map(|i| format!("line {i}\n").into_bytes())
                .collect();
            assert_eq!(read_all(gz(&data)), (data.clone(), None));
            // Two members: libdeflate declines, streaming reads both.
            let mut two = gz(&data[..1000]);
            two.extend(gz(&data[1000..]));
            assert_eq!(read_all(two), (data.clone(), None));
            // Plain bytes pass through.
            assert_eq!(read_all(data.clone()), (data.clone(), None));
            assert_eq!(read_all(vec![0x1f]), (vec![0x1f], None));
            // Cut short: what decodes is kept, then the error.
            let whole = gz(&data);
            let (kept, err) = read_all(whole[..whole.len() / 2].to_vec());
            assert!(err.is_some() && !kept.is_empty() && data.starts_with(&kept));
        }
    }
}

struct CountingReader<'a, R> {
    inner: R,
    counter: &'a AtomicU64,
}

impl<R: Read> Read for CountingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A file opened for reading through: a stream, or its bytes already decoded in memory.
pub(crate) enum Opened<'a> {
    /// Read as a stream.
    Reader(Box<dyn Read + Send + 'a>),
    /// All of its (decoded) bytes: the first `len` bytes of `buf`. Give `buf` back with
    /// [`ReadBuffers::give_back`] when done. (Natively only: one-shot gzip decoding.)
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    Bytes {
        /// The buffer (longer than the data: it is reused).
        buf: Vec<u8>,
        /// Bytes of data.
        len: usize,
    },
}

impl std::fmt::Debug for Opened<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Opened::Reader(_) => f.write_str("Opened::Reader"),
            Opened::Bytes { len, .. } => write!(f, "Opened::Bytes({len} bytes)"),
        }
    }
}

/// Buffers [`FileSet::open_counting`] reuses from one file to the next (one per reading thread).
#[derive(Debug, Default)]
pub(crate) struct ReadBuffers {
    #[cfg_attr(target_arch = "wasm32", expect(dead_code))]
    stored: Vec<u8>,
    decoded: Vec<u8>,
}

/// Buffers larger than this are not kept for the next file.
const MAX_KEPT_BUFFER_BYTES: usize = 32 * 1024 * 1024;

impl ReadBuffers {
    /// Returns a decoded buffer from [`Opened::Bytes`] for the next file.
    pub(crate) fn give_back(&mut self, buf: Vec<u8>) {
        if buf.len() <= MAX_KEPT_BUFFER_BYTES && buf.len() > self.decoded.len() {
            self.decoded = buf;
        }
    }
}

/// A file to add with [`FileSet::add_source`].
#[derive(Clone, Debug)]
pub struct NewFile {
    /// Display path.
    pub path: String,
    /// Layout path.
    pub layout_path: String,
    /// Stored size.
    pub size: u64,
    /// Link target, for symbolic links.
    pub link: Option<LinkTarget>,
    /// The key the source opens it by.
    pub key: usize,
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
pub(crate) fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    match read_some(r, buf) {
        (n, None) => Ok(n),
        (_, Some(e)) => Err(e),
    }
}

/// Reads until `buf` is full, the stream ends or it fails: the bytes read, and the error that
/// ended them early (what came before damage is kept).
pub(crate) fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (n, Some(e)),
        }
    }
    (n, None)
}

/// Reads and drops up to `n` bytes: how many there were, and the error that ended them early.
pub(crate) fn skip_some(r: &mut dyn Read, n: u64) -> (u64, Option<io::Error>) {
    let mut buf = vec![0u8; usize::try_from(n.min(256 * 1024)).unwrap_or(256 * 1024)];
    let mut done = 0u64;
    while done < n {
        let want = usize::try_from((n - done).min(buf.len() as u64)).unwrap_or(buf.len());
        match read_some(r, &mut buf[..want]) {
            (0, None) => break,
            (k, None) => done += k as u64,
            (k, Some(e)) => return (done + k as u64, Some(e)),
        }
    }
    (done, None)
}

/// Resolves `.` and `..` in a `/`-separated path, without touching any filesystem.
pub(crate) fn normalize_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    let joined = out.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}
