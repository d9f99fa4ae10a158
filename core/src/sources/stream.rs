//! Compressed tars read as streams: the browser viewer's way to open a large `.tar.gz` without
//! holding its members decompressed.
//!
//! A compressed stream cannot be entered in the middle, so a member is found again by
//! decompressing forward. Listing the archive ([`super::archive::Opening`]) decompresses it
//! once and keeps only each member's *head* (the first [`HEAD_KEEP`] bytes, or all of a small
//! member): enough for the planner, which looks at heads only. Reading then decompresses the
//! archive a second time, forward, through one cursor: a member is read when the reader asks
//! for it and dropped when the reader is done. Members the reader said it will want
//! ([`Stream::expect`]) that the cursor passes on its way to another are kept until they are
//! asked for, so reading instances in the archive's order costs one pass; asking for a member
//! behind the cursor that was not kept starts the pass again from the top (correct, slower).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::{self, BufRead, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::compress::Compression;
use super::{read_some, skip_some};

/// Bytes kept of a member while the archive is listed (the planner reads 64 KiB heads).
pub(super) const HEAD_KEEP: u64 = 64 * 1024;

/// Most bytes kept of a member whose name ends in `.json` (a docker `config.v2.json` is read
/// whole by the planner).
pub(super) const JSON_KEEP: u64 = 4 * 1024 * 1024;

/// The compressed bytes of an archive, shared by its readers.
#[derive(Clone)]
pub(super) struct SharedBytes {
    bytes: Arc<Vec<u8>>,
    at: usize,
    /// Compressed bytes consumed by the newest reader, for a progress bar.
    consumed: Arc<AtomicU64>,
}

impl SharedBytes {
    pub(super) fn new(bytes: Vec<u8>) -> SharedBytes {
        SharedBytes {
            bytes: Arc::new(bytes),
            at: 0,
            consumed: Arc::default(),
        }
    }

    /// A reader from the start.
    fn rewound(&self) -> SharedBytes {
        self.consumed.store(0, Ordering::Relaxed);
        SharedBytes {
            bytes: self.bytes.clone(),
            at: 0,
            consumed: self.consumed.clone(),
        }
    }

    pub(super) fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    /// Compressed bytes consumed so far by the newest reader.
    pub(super) fn consumed(&self) -> u64 {
        self.consumed.load(Ordering::Relaxed)
    }
}

impl Read for SharedBytes {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (&self.bytes[self.at..]).read(buf)?;
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for SharedBytes {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        // A window, so that decoders take their input a piece at a time.
        let end = self.bytes.len().min(self.at + super::READ_BUFFER_BYTES);
        Ok(&self.bytes[self.at..end])
    }

    fn consume(&mut self, amt: usize) {
        self.at = (self.at + amt).min(self.bytes.len());
        self.consumed.store(self.at as u64, Ordering::Relaxed);
    }
}

/// A compressed tar whose members are decompressed when read.
pub(super) struct Stream {
    bytes: SharedBytes,
    compression: Compression,
    /// Members' heads by the offset of their data in the tar stream.
    heads: HashMap<u64, Vec<u8>>,
    cursor: Mutex<Cursor>,
}

#[derive(Default)]
struct Cursor {
    reader: Option<Box<dyn Read + Send>>,
    /// Offset in the tar stream the reader is at.
    pos: u64,
    /// Members still to be read, by offset: their lengths.
    wanted: BTreeMap<u64, u64>,
    /// Wanted members passed on the way to another, until they are asked for.
    kept: HashMap<u64, Vec<u8>>,
    /// Passes started from the top after the first.
    restarts: u64,
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.cursor.lock().ok();
        f.debug_struct("Stream")
            .field("compressed_bytes", &self.bytes.len())
            .field("compression", &self.compression)
            .field("heads", &self.heads.len())
            .field("pos", &c.as_ref().map(|c| c.pos))
            .field("kept", &c.as_ref().map(|c| c.kept.len()))
            .finish()
    }
}

impl Stream {
    pub(super) fn new(bytes: SharedBytes, compression: Compression) -> Stream {
        Stream {
            bytes,
            compression,
            heads: HashMap::new(),
            cursor: Mutex::default(),
        }
    }

    /// A fresh decoder of the whole tar stream.
    pub(super) fn decoder(&self) -> Box<dyn Read + Send> {
        self.compression.decoder(self.bytes.rewound())
    }

    /// Compressed bytes: consumed by the newest reader, and in all.
    pub(super) fn progress(&self) -> (u64, u64) {
        (self.bytes.consumed(), self.bytes.len())
    }

    pub(super) fn set_head(&mut self, offset: u64, head: Vec<u8>) {
        self.heads.insert(offset, head);
    }

    /// The kept head of the member at `offset`.
    pub(super) fn head(&self, offset: u64) -> Option<&[u8]> {
        self.heads.get(&offset).map(Vec::as_slice)
    }

    /// Bytes held: the compressed archive, the heads and the members kept for later.
    pub(super) fn held_bytes(&self) -> u64 {
        let kept = self
            .cursor
            .lock()
            .map_or(0, |c| c.kept.values().map(|v| v.len() as u64).sum());
        self.bytes.len() + self.heads.values().map(|h| h.len() as u64).sum::<u64>() + kept
    }

    /// Says that the member at `offset` of `len` bytes will be read.
    pub(super) fn expect(&self, offset: u64, len: u64) {
        if let Ok(mut c) = self.cursor.lock()
            && (c.reader.is_none() || offset >= c.pos)
        {
            c.wanted.insert(offset, len);
        }
    }

    /// Passes started again from the top, after the first (a member asked for behind the
    /// cursor that was not expected).
    pub(super) fn restarts(&self) -> u64 {
        self.cursor.lock().map_or(0, |c| c.restarts)
    }

    /// The cursor, with the member at `offset` no longer wanted, and its bytes if they were
    /// kept on the way to another.
    fn claim(&self, offset: u64) -> io::Result<(MutexGuard<'_, Cursor>, Option<Vec<u8>>)> {
        let mut c = self
            .cursor
            .lock()
            .map_err(|_| io::Error::other("an earlier read of this archive failed"))?;
        c.wanted.remove(&offset);
        let kept = c.kept.remove(&offset);
        Ok((c, kept))
    }

    /// The `len` bytes of the member at `offset`. Bytes cut short by damage end the member
    /// early, as a cut-short file does.
    pub(super) fn read(&self, offset: u64, len: u64) -> io::Result<Vec<u8>> {
        let (mut c, kept) = self.claim(offset)?;
        if let Some(bytes) = kept {
            return Ok(bytes);
        }
        let read = self.read_from(&mut c, offset, len);
        if read.is_err() {
            // Where the reader stopped is not known: the next read starts from the top.
            c.reader = None;
        }
        read
    }

    /// The member at `offset` as a reader that decompresses it as it is read, for a member too
    /// large to hold ([`BIG_MEMBER`]): the archive's reader is lent to it and given back when
    /// it is dropped. A read of another member meanwhile starts a reader of its own.
    pub(super) fn reader(&self, offset: u64, len: u64) -> io::Result<MemberReader<'_>> {
        let (mut c, kept) = self.claim(offset)?;
        if let Some(bytes) = kept {
            return Ok(MemberReader {
                stream: self,
                inner: MemberInner::Kept(io::Cursor::new(bytes)),
                left: len,
                pos: offset,
            });
        }
        if let Err(e) = self.read_from(&mut c, offset, 0) {
            c.reader = None;
            return Err(e);
        }
        let reader = c.reader.take().expect("positioned by read_from");
        Ok(MemberReader {
            stream: self,
            inner: MemberInner::Lent(reader),
            left: len,
            pos: offset,
        })
    }

    fn read_from(&self, c: &mut Cursor, offset: u64, len: u64) -> io::Result<Vec<u8>> {
        if c.reader.is_none() || offset < c.pos {
            if c.reader.is_some() {
                c.restarts += 1;
            }
            c.reader = Some(self.decoder());
            c.pos = 0;
        }
        let Cursor {
            reader,
            pos,
            wanted,
            kept,
            ..
        } = c;
        let reader = reader.as_mut().expect("set above");
        // On to `offset`, keeping the wanted members on the way.
        while *pos < offset {
            let next = wanted.range(*pos..offset).next().map(|(&o, &l)| (o, l));
            let to = next.map_or(offset, |(o, _)| o);
            skip(reader, to - *pos)?;
            *pos = to;
            if let Some((o, l)) = next {
                let bytes = take(reader, l)?;
                *pos += bytes.len() as u64;
                wanted.remove(&o);
                kept.insert(o, bytes);
                if *pos < o + l {
                    break;
                }
            }
        }
        if *pos != offset {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the archive ends before this member",
            ));
        }
        let bytes = take(reader, len)?;
        *pos += bytes.len() as u64;
        Ok(bytes)
    }
}

/// Members larger than this are read through a [`MemberReader`] instead of being held whole
/// while their container instance is read.
pub(super) const BIG_MEMBER: u64 = 64 << 20;

/// A member of a streamed archive, decompressed as it is read.
pub(super) struct MemberReader<'a> {
    stream: &'a Stream,
    inner: MemberInner,
    /// Bytes of the member still to come.
    left: u64,
    /// Offset in the tar stream of the next byte.
    pos: u64,
}

enum MemberInner {
    /// The archive's own reader, lent.
    Lent(Box<dyn Read + Send>),
    /// A member kept on the way to another.
    Kept(io::Cursor<Vec<u8>>),
    Done,
}

impl Read for MemberReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = match &mut self.inner {
            MemberInner::Lent(r) => r.read(&mut buf[..want])?,
            MemberInner::Kept(r) => r.read(&mut buf[..want])?,
            MemberInner::Done => 0,
        };
        self.left -= n as u64;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Drop for MemberReader<'_> {
    fn drop(&mut self) {
        // The archive's reader goes back where it stopped, unless another read started a
        // reader of its own meanwhile.
        if let MemberInner::Lent(r) = std::mem::replace(&mut self.inner, MemberInner::Done)
            && let Ok(mut c) = self.stream.cursor.lock()
            && c.reader.is_none()
        {
            c.reader = Some(r);
            c.pos = self.pos;
        }
    }
}

fn skip(reader: &mut dyn Read, n: u64) -> io::Result<()> {
    match skip_some(reader, n) {
        (got, None) if got == n => Ok(()),
        (_, Some(e)) => Err(e),
        _ => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the archive ends before this member",
        )),
    }
}

/// Up to `n` bytes (fewer where the stream ends or is damaged: the listing already cut the
/// member there).
fn take(reader: &mut dyn Read, n: u64) -> io::Result<Vec<u8>> {
    let mut out = vec![0u8; usize::try_from(n).map_err(io::Error::other)?];
    let (got, _) = read_some(reader, &mut out);
    out.truncate(got);
    Ok(out)
}
