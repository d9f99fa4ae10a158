//! Where the bytes come from: a [`FileSet`] of paths and readers, classified by [`plan`] into
//! container instances to read.
//!
//! A `FileSet` is one interface over every kind of input: files handed over as bytes (the browser,
//! tests) and, natively, folders walked by [`native`]. Everything above this module sees only
//! paths and readers; only `native` touches the filesystem.

pub mod path;
pub mod plan;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::diag::Diagnostic;

/// Bytes read per call from a file or a decoder.
pub const READ_BUFFER_BYTES: usize = 256 * 1024;

/// Something that opens the files of a [`FileSet`] by key.
pub trait ByteSource: Send + Sync + fmt::Debug {
    /// Opens the file with this key for reading from its start.
    fn open(&self, key: usize) -> io::Result<Box<dyn Read + Send + '_>>;
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
}

/// The files of one or more inputs, in discovery order (sorted by path within each input).
#[derive(Debug, Default)]
pub struct FileSet {
    entries: Vec<FileEntry>,
    sources: Vec<Box<dyn ByteSource>>,
    memory: Vec<Vec<u8>>,
    /// Problems met while discovering files (an unreadable folder, a path that does not exist).
    pub problems: Vec<Diagnostic>,
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

    /// Total stored bytes of all files.
    pub fn total_bytes(&self) -> u64 {
        self.entries.iter().map(|e| e.size).sum()
    }

    /// Adds a file held in memory; `path` is `/`-separated and is both the display and the
    /// layout path.
    pub fn add_bytes(&mut self, path: impl Into<String>, bytes: Vec<u8>) {
        let path = path.into();
        self.entries.push(FileEntry {
            layout_path: path.clone(),
            path,
            size: bytes.len() as u64,
            link: None,
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
            }),
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
            origin: Origin::Source { source, key: f.key },
        }));
    }

    /// Opens a file's stored bytes.
    pub fn open_raw(&self, index: usize) -> io::Result<Box<dyn Read + Send + '_>> {
        match self.entries[index].origin {
            Origin::Memory(i) => Ok(Box::new(&self.memory[i][..])),
            Origin::Source { source, key } => self.sources[source].open(key),
            Origin::Nowhere => Err(io::Error::new(
                io::ErrorKind::NotFound,
                "a link whose target is not in the input",
            )),
        }
    }

    /// Opens a file and decompresses it when its first bytes are a gzip header (whatever its
    /// name says).
    pub fn open(&self, index: usize) -> io::Result<Box<dyn BufRead + Send + '_>> {
        decode(self.open_raw(index)?)
    }

    /// [`FileSet::open`], adding the stored bytes consumed to `counter` as they are read.
    pub fn open_counting<'a>(
        &'a self,
        index: usize,
        counter: &'a AtomicU64,
    ) -> io::Result<Box<dyn BufRead + Send + 'a>> {
        decode(Box::new(CountingReader {
            inner: self.open_raw(index)?,
            counter,
        }))
    }

    /// Reads up to `limit` decompressed bytes from the start of a file.
    pub fn read_head(&self, index: usize, limit: usize) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        self.open(index)?.take(limit as u64).read_to_end(&mut out)?;
        Ok(out)
    }
}

fn decode<'a>(raw: Box<dyn Read + Send + 'a>) -> io::Result<Box<dyn BufRead + Send + 'a>> {
    let mut raw = BufReader::with_capacity(READ_BUFFER_BYTES, raw);
    let head = raw.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(BufReader::with_capacity(
            READ_BUFFER_BYTES,
            flate2::bufread::MultiGzDecoder::new(raw),
        )))
    } else {
        Ok(Box::new(raw))
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

/// Resolves `.` and `..` in a `/`-separated path, without touching any filesystem.
pub fn normalize_path(path: &str) -> String {
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
