//! Archives read in place: tar (plain, or compressed with gzip, zstd, xz or bzip2), zip, and
//! archives inside archives. Nothing is extracted to disk.
//!
//! [`FileSet::open_archives`] replaces every archive of a set by its members, which then look
//! like any other file: a path as shown (`bundle.tar.gz/kind-worker/kubelet.log`), a layout path
//! in which the archive is a folder named without its extensions (so `kind-worker.tar.gz` holding
//! `pods/...` names the node `kind-worker`), and bytes:
//!
//! - members of a tar that is not compressed, and zip members, are read in place from the
//!   archive (on disk: by seeking);
//! - members of a compressed tar are decompressed once, while the archive is listed, and kept in
//!   memory (a compressed stream cannot be entered in the middle); a member that is itself
//!   compressed (a rotated `.gz` log) stays compressed until it is read. Or, when the set is
//!   opened with streaming ([`FileSet::start_opening`], the browser viewer), a compressed tar
//!   given as bytes is listed keeping only its members' heads and decompressed a second time,
//!   in order, as its members are read (the `stream` module).
//!
//! Hostile archives: every name is resolved inside the archive (`..` and absolute names cannot
//! leave it); links are never followed off the input (a link out of the archive is listed and
//! skipped; chains and loops end in the planner); a later entry of the same name replaces an
//! earlier one, as extraction would; unpacked bytes, entries and nesting depth have limits
//! ([`ArchiveLimits`]) past which reading stops with a message; damage (a cut-short or corrupt
//! archive) stops the listing there, keeps every member before it (and the part of the member it
//! cut) and says where it stopped.

use std::collections::HashMap;
use std::io::{self, BufReader, Read};

use super::compress::{Compression, Limited};
use super::{FileEntry, FileSet, LinkTarget, Origin, read_full};
pub use crate::detect::archive::ArchiveKind;
use crate::detect::archive::{BLOCK, is_tar_header, parse_octal, plain_archive_kind};
use crate::diag::human_size;
use crate::diag::{Diagnostic, Severity};

/// Limits archives are read within.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Most bytes unpacked from all archives together; also the most any one compressed file
    /// decodes to.
    pub max_bytes: u64,
    /// Most members of all archives together.
    pub max_entries: u64,
    /// Most archives inside archives (1: members that are archives are not opened).
    pub max_depth: u32,
    /// Most bytes of one compressed tar's members held decompressed in memory: a compressed
    /// tar given whole that unpacks to more is read as a stream instead (listed keeping each
    /// member's head, then decompressed a second time as its members are read; see
    /// [`FileSet::start_opening`]), so memory stays bounded whatever it unpacks to.
    pub max_held: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            // A wasm32 page has 4 GiB in all; the browser viewer streams compressed tars (see
            // `FileSet::start_opening`), so only nested compressed tars are held unpacked.
            max_bytes: if cfg!(target_arch = "wasm32") {
                3 << 30
            } else {
                16 << 30
            },
            max_entries: 1_000_000,
            max_depth: 4,
            max_held: 2 << 30,
        }
    }
}

/// An archive that was opened.
#[derive(Clone, Debug)]
pub struct ArchiveInfo {
    /// Its path as shown.
    pub path: String,
    /// Its kind.
    pub kind: ArchiveKind,
    /// Members listed (files and links; folders are not counted).
    pub members: u64,
    /// Bytes of its members.
    pub bytes: u64,
    /// Where and why listing stopped early, if it did.
    pub stopped: Option<String>,
}

/// A size field: octal, or GNU base-256 (first byte 0x80).
fn parse_size(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|&b| b & 0x80 != 0) {
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    if field.iter().all(|&c| c == 0 || c == b' ') {
        return Some(0);
    }
    parse_octal(field)
}

fn cstr(field: &[u8]) -> String {
    let end = field.iter().position(|&c| c == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// A member's name resolved inside the archive: `.` and empty parts dropped, `..` never above
/// the archive's root, `\` read as `/`. The remark says when the name tried to leave.
fn member_path(name: &str) -> (String, Option<String>) {
    let mut out: Vec<&str> = Vec::new();
    let mut escaped = name.starts_with('/');
    let cleaned = name.replace('\\', "/");
    for part in cleaned.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.pop().is_none() {
                    escaped = true;
                }
            }
            p => out.push(p),
        }
    }
    if out.len() > MAX_NAME_DEPTH || out.iter().map(|p| p.len() + 1).sum::<usize>() > MAX_NAME_BYTES
    {
        // A name no file system holds (Linux's PATH_MAX is 4096 bytes): kept readable under a
        // short name, so that nothing downstream pays for its depth (layout detection looks at
        // every folder of every path).
        let (bytes, depth) = (name.len(), out.len());
        let last = out.last().copied().unwrap_or_default();
        let last = &last[..last.floor_char_boundary(255)];
        let mut short: Vec<&str> = out
            .iter()
            .take(4)
            .map(|p| &p[..p.floor_char_boundary(255)])
            .collect();
        short.push("…");
        short.push(last);
        let path = short.join("/");
        return (
            path.clone(),
            Some(format!(
                "its name in the archive is {bytes} bytes and {depth} folders deep (more than {MAX_NAME_BYTES} bytes or {MAX_NAME_DEPTH} folders): read as {path}"
            )),
        );
    }
    let path = out.join("/");
    let remark = escaped.then(|| {
        format!("its name in the archive ({name}) points outside it: read as {path} inside it")
    });
    (path, remark)
}

/// Longest member name kept as written, in bytes (Linux's `PATH_MAX`).
const MAX_NAME_BYTES: usize = 4096;
/// Deepest member name kept as written, in folders.
const MAX_NAME_DEPTH: usize = 255;

/// Resolves a relative link target from the folder of `member` (a path inside the archive);
/// `None` when it climbs out of the archive.
fn resolve_inside(member: &str, target: &str) -> Option<String> {
    let mut out: Vec<&str> = member.split('/').collect();
    out.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            p => out.push(p),
        }
    }
    Some(out.join("/"))
}

/// A file name without its archive extensions: `kind-worker.tar.gz` -> `kind-worker`.
fn archive_stem(name: &str) -> &str {
    let lower = name.to_ascii_lowercase();
    for ext in [
        ".tar.gz", ".tar.zst", ".tar.xz", ".tar.bz2", ".tgz", ".tzst", ".txz", ".tbz2", ".tbz",
        ".tar", ".zip",
    ] {
        if lower.ends_with(ext) && lower.len() > ext.len() {
            return &name[..name.len() - ext.len()];
        }
    }
    name
}

/// Decodes a zip member's bytes by its method, failing past its stated size.
pub(super) fn zip_member_reader<'a>(
    raw: impl Read + Send + 'a,
    method: u16,
    size: u64,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    let decoded: Box<dyn Read + Send + 'a> = match method {
        0 => Box::new(raw),
        8 => Box::new(flate2::read::DeflateDecoder::new(raw)),
        12 => Compression::Bzip2.decoder(BufReader::new(raw)),
        93 => Compression::Zstd.decoder(BufReader::new(raw)),
        95 => Compression::Xz.decoder(BufReader::new(raw)),
        m => {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("zip compression method {m} is not supported"),
            ));
        }
    };
    Ok(Box::new(Limited::new(decoded, size)))
}

fn zip_method_supported(method: u16) -> bool {
    matches!(method, 0 | 8 | 12 | 93 | 95)
}

/// A compressed tar unpacks to more than may be held in memory (`ArchiveLimits::max_held`).
#[derive(Debug)]
struct TooBigToHold;

impl FileSet {
    /// The limits archives and compressed files are read within.
    pub fn limits(&self) -> ArchiveLimits {
        self.limits
    }

    /// Replaces every archive in the set (told by its first bytes) by its members, within
    /// `limits`. Problems go to [`FileSet::problems`]; what was opened to
    /// [`FileSet::archives`].
    pub fn open_archives(&mut self, limits: ArchiveLimits) {
        let mut opening = self.start_opening(limits, false);
        while !opening.step(self, u64::MAX) {}
    }

    /// [`FileSet::open_archives`] a step at a time: call [`Opening::step`] until it says it is
    /// done (the set's entries are empty until then). With `stream` set, a compressed tar held
    /// in memory is read as a stream (see the `stream` module): its members are not held
    /// decompressed but found again when read, which costs a second decompression and saves
    /// holding the whole unpacked archive (the browser viewer's way).
    pub fn start_opening(&mut self, limits: ArchiveLimits, stream: bool) -> Opening {
        self.limits = limits;
        let old = std::mem::take(&mut self.entries);
        Opening {
            stream,
            bytes_total: old.iter().map(|e| e.size).sum(),
            bytes_done: 0,
            x: Expander {
                bytes: 0,
                members: 0,
                out: Vec::with_capacity(old.len()),
                seen: HashMap::new(),
            },
            old: old.into_iter(),
            listing: None,
        }
    }

    /// Opens one entry of the set: adds it, or its members when it is an archive (a
    /// compressed tar in memory, when streaming, only starts its listing).
    fn open_entry(&mut self, x: &mut Expander, e: FileEntry, stream: bool) -> Option<Listing> {
        let kind = if e.link.is_some() || e.skip.is_some() {
            None
        } else {
            self.sniff_archive(e.origin, &e.layout_path)
        };
        let Some(kind) = kind else {
            x.out.push(e);
            return None;
        };
        let (dir, name) = e
            .layout_path
            .rsplit_once('/')
            .unwrap_or(("", &e.layout_path));
        let layout = format!("{dir}/{}", archive_stem(name));
        let first = x.out.len();
        if let ArchiveKind::Tar(Some(c)) = kind
            && !(stream && matches!(e.origin, Origin::Memory(_)))
        {
            // Held whole while it unpacks to at most `max_held`; past that, read as a stream.
            let before = (x.members, x.bytes);
            let hold = self.limits.max_held;
            match self.expand_tar(x, e.origin, Some(c), &e.path, &layout, 1, hold) {
                Ok(stopped) => {
                    self.end_archive(x, first, before, &e.path, kind, stopped);
                    place_members(x, first);
                    return None;
                }
                Err(TooBigToHold) => {
                    if let Origin::Memory(i) = e.origin {
                        return self.start_listing(x, i, c, kind, e.path, layout, first);
                    }
                    let mut all = Vec::new();
                    let read = self
                        .open_origin(e.origin, 0)
                        .and_then(|mut r| r.read_to_end(&mut all));
                    if let Err(err) = read {
                        let why = Some(format!("cannot read: {err}"));
                        self.end_archive(x, first, before, &e.path, kind, why);
                        return None;
                    }
                    let i = self.memory.len();
                    self.memory.push(all);
                    return self.start_listing(x, i, c, kind, e.path, layout, first);
                }
            }
        }
        if let (true, ArchiveKind::Tar(Some(c)), Origin::Memory(i)) = (stream, kind, e.origin) {
            return self.start_listing(x, i, c, kind, e.path, layout, first);
        }
        self.expand(x, e.origin, kind, &e.path, &layout, e.size, 1);
        place_members(x, first);
        None
    }

    /// Starts listing the compressed tar held in `memory[i]` as a stream.
    #[allow(clippy::too_many_arguments)]
    fn start_listing(
        &mut self,
        x: &Expander,
        i: usize,
        c: Compression,
        kind: ArchiveKind,
        display: String,
        layout: String,
        first: usize,
    ) -> Option<Listing> {
        let bytes = super::stream::SharedBytes::new(std::mem::take(&mut self.memory[i]));
        let s = super::stream::Stream::new(bytes, c);
        let reader = s.decoder();
        self.streams.push(s);
        Some(Listing {
            stream: self.streams.len() - 1,
            kind,
            reader,
            walk: TarWalk::default(),
            pending: Vec::new(),
            display,
            layout,
            first,
            before: (x.members, x.bytes),
        })
    }

    /// Lists members of a streamed tar until `budget` compressed bytes were consumed; why the
    /// listing ended (`Some(None)`: the archive's end), or `None` if it goes on.
    fn walk_stream(
        &mut self,
        x: &Expander,
        l: &mut Listing,
        budget: u64,
    ) -> Option<Option<String>> {
        use super::stream::{HEAD_KEEP, JSON_KEEP};
        let stream = l.stream;
        let start = self.streams[stream].progress().0;
        loop {
            if self.streams[stream].progress().0.saturating_sub(start) >= budget {
                return None;
            }
            let TarHeader {
                name,
                link_target,
                typeflag,
                size,
            } = match l.walk.next(&mut *l.reader) {
                Ok(h) => h,
                Err(stop) => return Some(stop),
            };
            let pos = l.walk.pos;
            if let Some(why) = self.count_member(x, &mut l.walk, typeflag, size) {
                return Some(Some(why));
            }
            let mut consumed = 0;
            if matches!(typeflag, b'0' | 0 | b'7') {
                let member_layout = format!("{}/{}", l.layout, member_path(&name).0);
                let keep = if size <= HEAD_KEEP
                    || (name.to_ascii_lowercase().ends_with(".json") && size <= JSON_KEEP)
                {
                    size
                } else {
                    HEAD_KEEP
                };
                let mut data = Vec::with_capacity(usize::try_from(keep).unwrap_or(0));
                let r = (&mut *l.reader).take(keep).read_to_end(&mut data);
                let mut got = data.len() as u64;
                let mut err = r.err();
                // Small members, and archives inside (opened as in any tar), are kept whole.
                let whole = got == size
                    || (err.is_none()
                        && got == keep
                        && head_archive_kind(&member_layout, &data).is_some());
                if whole && got < size {
                    let r = (&mut *l.reader).take(size - got).read_to_end(&mut data);
                    got = data.len() as u64;
                    err = r.err();
                }
                let origin = if whole || got < keep {
                    Origin::Nowhere
                } else {
                    let (skipped, e) = super::skip_some(&mut *l.reader, size - got);
                    got += skipped;
                    err = e;
                    self.streams[stream].set_head(pos, data);
                    data = Vec::new();
                    Origin::Stream {
                        stream,
                        offset: pos,
                        len: got,
                    }
                };
                let data = matches!(origin, Origin::Nowhere).then_some(data);
                consumed = got;
                let member = (origin, data, name);
                if let Some(stop) = file_member(&mut l.pending, member, pos, got, size, err) {
                    return Some(Some(stop));
                }
            } else if matches!(typeflag, b'1' | b'2') {
                l.pending.push(Pending::Link {
                    name,
                    target: link_target,
                    hard: typeflag == b'1',
                });
            } else if typeflag == b'S' {
                l.pending.push(Pending::Skip {
                    name,
                    why: "a sparse file, which podsift does not read".into(),
                });
            }
            if let Err(stop) = l.walk.end_member(&mut *l.reader, size, consumed) {
                return Some(stop);
            }
        }
    }

    /// The archive kind of the bytes at `origin`, if they are one. Files whose path is a
    /// container log's are not looked at.
    fn sniff_archive(&self, origin: Origin, layout_path: &str) -> Option<ArchiveKind> {
        if matches!(origin, Origin::Stream { .. }) || !could_be_archive(layout_path) {
            // A streamed member that was an archive was kept whole, in memory.
            return None;
        }
        let mut head = [0u8; BLOCK];
        let n = read_full(&mut *self.open_origin(origin, 0).ok()?, &mut head).ok()?;
        let head = &head[..n];
        match plain_archive_kind(head) {
            Some(kind) => Some(kind),
            None => {
                let c = Compression::of(head)?;
                let raw = self.open_origin(origin, 0).ok()?;
                compressed_tar(c, BufReader::new(raw))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn expand(
        &mut self,
        x: &mut Expander,
        container: Origin,
        kind: ArchiveKind,
        display: &str,
        layout: &str,
        size: u64,
        depth: u32,
    ) {
        let first = x.out.len();
        let members_before = x.members;
        let bytes_before = x.bytes;
        let stopped = match kind {
            ArchiveKind::Tar(c) => self
                .expand_tar(x, container, c, display, layout, depth, u64::MAX)
                .unwrap_or(None),
            ArchiveKind::Zip => self.expand_zip(x, container, size, display, layout, depth),
        };
        self.end_archive(
            x,
            first,
            (members_before, bytes_before),
            display,
            kind,
            stopped,
        );
    }

    /// Records an archive listed: its members name it, why it stopped is a problem.
    fn end_archive(
        &mut self,
        x: &mut Expander,
        first: usize,
        (members_before, bytes_before): (u64, u64),
        display: &str,
        kind: ArchiveKind,
        stopped: Option<String>,
    ) {
        for e in &mut x.out[first..] {
            if e.archive.is_none() {
                e.archive = Some(display.to_string());
            }
        }
        if let Some(why) = &stopped {
            self.problems
                .push(Diagnostic::file(display, Severity::Error, why.clone()));
        }
        self.archives.push(ArchiveInfo {
            path: display.to_string(),
            kind,
            members: x.members - members_before,
            bytes: x.bytes - bytes_before,
            stopped,
        });
    }

    /// Checks the limits before a member of `size` bytes; the reason to stop, if any.
    fn over_limits(&self, members: u64, bytes: u64, size: u64) -> Option<String> {
        if members >= self.limits.max_entries {
            return Some(format!(
                "stopped: more than {} archive members in all (the limit, --max-archive-entries); the rest was not read",
                self.limits.max_entries
            ));
        }
        if bytes.saturating_add(size) > self.limits.max_bytes {
            return Some(format!(
                "stopped: members would unpack to more than {} in all (the limit, --max-unpacked; a decompression bomb?); the rest was not read",
                human_size(self.limits.max_bytes)
            ));
        }
        None
    }

    /// Counts a tar member (files and links) against the limits, with those the walk listed
    /// before it; the reason to stop, if any (then it is not counted).
    fn count_member(
        &self,
        x: &Expander,
        walk: &mut TarWalk,
        typeflag: u8,
        size: u64,
    ) -> Option<String> {
        let bytes = match typeflag {
            b'0' | 0 | b'7' => size,
            b'1' | b'2' => 0,
            _ => return None,
        };
        let why = self.over_limits(x.members + walk.listed, x.bytes + walk.unpacked, bytes);
        if why.is_none() {
            walk.listed += 1;
            walk.unpacked += bytes;
        }
        why
    }

    /// Adds one member file (bytes at `origin`), opening it as an archive when it is one.
    #[allow(clippy::too_many_arguments)]
    fn add_member(
        &mut self,
        x: &mut Expander,
        origin: Origin,
        name: &str,
        size: u64,
        display: &str,
        layout: &str,
        depth: u32,
        remark: Option<String>,
        skip: Option<String>,
    ) {
        let (inner, name_remark) = member_path(name);
        let remark = match (name_remark, remark) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        let member_display = format!("{display}/{inner}");
        let member_layout = format!("{layout}/{inner}");
        x.members += 1;
        x.bytes += size;
        let kind = if skip.is_none() {
            self.sniff_archive(origin, &member_layout)
        } else {
            None
        };
        // An archive nested deeper than the limit is listed as such, not read as data.
        let skip = match kind {
            Some(_) if depth >= self.limits.max_depth => Some(format!(
                "an archive nested {} deep, beyond the limit of {} archives inside archives: not opened",
                depth + 1,
                self.limits.max_depth
            )),
            _ => skip,
        };
        if skip.is_none()
            && let Some(kind) = kind
        {
            {
                let (dir, file) = member_layout
                    .rsplit_once('/')
                    .unwrap_or(("", &member_layout));
                let nested_layout = format!("{dir}/{}", archive_stem(file));
                self.expand(
                    x,
                    origin,
                    kind,
                    &member_display,
                    &nested_layout,
                    size,
                    depth + 1,
                );
                // A compressed nested tar's members were decompressed: its own bytes are done.
                if let (ArchiveKind::Tar(Some(_)), Origin::Memory(i)) = (kind, origin) {
                    self.memory[i] = Vec::new();
                }
                return;
            }
        }
        x.push(FileEntry {
            path: member_display,
            layout_path: member_layout,
            size,
            link: None,
            archive: None,
            remark,
            skip,
            origin,
        });
    }

    /// Adds a symbolic or hard link member.
    #[allow(clippy::too_many_arguments)]
    fn add_link_member(
        &mut self,
        x: &mut Expander,
        name: &str,
        target: &str,
        hard: bool,
        display: &str,
        layout: &str,
    ) {
        let (inner, remark) = member_path(name);
        x.members += 1;
        let (resolved, skip) = if hard {
            (Some(format!("{layout}/{}", member_path(target).0)), None)
        } else if target.starts_with('/') {
            // Absolute: the planner looks a `/var/log/pods/...` target up under the node's own
            // `pods/` folder; nothing off the input is read.
            (None, None)
        } else {
            match resolve_inside(&inner, target) {
                Some(r) => (Some(format!("{layout}/{r}")), None),
                None => (
                    None,
                    Some(format!(
                        "symbolic link out of the archive ({target}): not followed"
                    )),
                ),
            }
        };
        x.push(FileEntry {
            path: format!("{display}/{inner}"),
            layout_path: format!("{layout}/{inner}"),
            size: 0,
            link: Some(LinkTarget {
                target: target.to_string(),
                resolved,
                readable: false,
                outside: false,
                hard,
                unreachable: None,
            }),
            archive: None,
            remark: match (remark, hard) {
                (Some(r), _) => Some(r),
                (None, true) => Some(format!("hard link to {target}")),
                (None, false) => None,
            },
            skip,
            origin: Origin::Nowhere,
        });
    }

    /// Adds the members a tar listing collected.
    fn add_pending(
        &mut self,
        x: &mut Expander,
        pending: Vec<Pending>,
        display: &str,
        layout: &str,
        depth: u32,
    ) {
        for p in pending {
            match p {
                Pending::File {
                    mut origin,
                    data,
                    name,
                    size,
                    remark,
                } => {
                    if let Some(data) = data {
                        self.memory.push(data);
                        origin = Origin::Memory(self.memory.len() - 1);
                    }
                    self.add_member(x, origin, &name, size, display, layout, depth, remark, None);
                }
                Pending::Link { name, target, hard } => {
                    self.add_link_member(x, &name, &target, hard, display, layout);
                }
                Pending::Skip { name, why } => {
                    self.add_member(
                        x,
                        Origin::Nowhere,
                        &name,
                        0,
                        display,
                        layout,
                        depth,
                        None,
                        Some(why),
                    );
                }
            }
        }
    }

    /// Lists a tar (returns why it stopped early, if it did): members of one that is not compressed are read in place, of a compressed
    /// one held in memory, unless they unpack to more than `hold` bytes (then nothing is kept
    /// and the caller reads it as a stream).
    #[allow(clippy::too_many_arguments)]
    fn expand_tar(
        &mut self,
        x: &mut Expander,
        container: Origin,
        compression: Option<Compression>,
        display: &str,
        layout: &str,
        depth: u32,
        hold: u64,
    ) -> Result<Option<String>, TooBigToHold> {
        // Members of a tar that is not compressed are read in place.
        let base = compression.is_none().then(|| {
            self.bases.push(container);
            self.bases.len() - 1
        });
        let raw = match self.open_origin(container, 0) {
            Ok(r) => r,
            Err(e) => return Ok(Some(format!("cannot read: {e}"))),
        };
        let mut reader: Box<dyn Read + Send + '_> = match compression {
            None => raw,
            Some(c) => c.decoder(BufReader::with_capacity(super::READ_BUFFER_BYTES, raw)),
        };
        let mut walk = TarWalk::default();
        let mut pending: Vec<Pending> = Vec::new();
        let stopped = loop {
            let TarHeader {
                name,
                link_target,
                typeflag,
                size,
            } = match walk.next(&mut *reader) {
                Ok(h) => h,
                Err(stop) => break stop,
            };
            let pos = walk.pos;
            if let Some(why) = self.count_member(x, &mut walk, typeflag, size) {
                break Some(why);
            }
            if base.is_none() && walk.unpacked > hold {
                // Before this member is read: nothing past `hold` is ever held.
                return Err(TooBigToHold);
            }
            let mut consumed = 0;
            match typeflag {
                b'0' | 0 | b'7' => {
                    // Keep the whole member (in memory, or its place in the archive).
                    let (origin, data, got, err) = match base {
                        Some(base) => {
                            let got = io::copy(&mut (&mut *reader).take(size), &mut io::sink());
                            let (got, err) = match got {
                                Ok(g) => (g, None),
                                Err(e) => (0, Some(e)),
                            };
                            (
                                Origin::Slice {
                                    base,
                                    offset: pos,
                                    len: got,
                                },
                                None,
                                got,
                                err,
                            )
                        }
                        None => {
                            let mut data = Vec::with_capacity(
                                usize::try_from(size.min(64 << 20)).unwrap_or(0),
                            );
                            let r = (&mut *reader).take(size).read_to_end(&mut data);
                            let got = data.len() as u64;
                            (Origin::Nowhere, Some(data), got, r.err())
                        }
                    };
                    consumed = got;
                    let member = (origin, data, name);
                    if let Some(stop) = file_member(&mut pending, member, pos, got, size, err) {
                        break Some(stop);
                    }
                }
                b'1' | b'2' => pending.push(Pending::Link {
                    name,
                    target: link_target,
                    hard: typeflag == b'1',
                }),
                _ => {
                    // Folders, devices, FIFOs and sparse files hold nothing to read here.
                    if typeflag == b'S' {
                        pending.push(Pending::Skip {
                            name,
                            why: "a sparse file, which podsift does not read".into(),
                        });
                    }
                }
            }
            if let Err(stop) = walk.end_member(&mut *reader, size, consumed) {
                break stop;
            }
        };
        drop(reader);
        self.add_pending(x, pending, display, layout, depth);
        Ok(stopped)
    }

    /// Lists a zip by its central directory, or, when that is missing (a cut-short zip), by
    /// its local headers from the start.
    fn expand_zip(
        &mut self,
        x: &mut Expander,
        container: Origin,
        size: u64,
        display: &str,
        layout: &str,
        depth: u32,
    ) -> Option<String> {
        let size = match container {
            Origin::Memory(i) => self.memory[i].len() as u64,
            Origin::Slice { len, .. } => len,
            Origin::Zip { size, .. } => size,
            _ => size,
        };
        self.bases.push(container);
        let base = self.bases.len() - 1;
        let read_at = |set: &FileSet, offset: u64, len: u64| -> io::Result<Vec<u8>> {
            let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
            let n = read_full(&mut *set.open_origin(container, offset)?, &mut buf)?;
            buf.truncate(n);
            Ok(buf)
        };
        let (records, mut stopped) = match zip_central_directory(size, |o, l| read_at(self, o, l)) {
            Ok(Some(records)) => (records, None),
            Ok(None) => zip_scan_local_headers(size, |o, l| read_at(self, o, l)),
            Err(e) => return Some(format!("cannot read: {e}")),
        };
        for r in records {
            if r.name.ends_with('/') {
                continue;
            }
            if let Some(why) = self.over_limits(x.members, x.bytes, r.size) {
                stopped = Some(why);
                break;
            }
            // The data starts after the local header, whose name and extra lengths may differ
            // from the central directory's.
            let local = read_at(self, r.local_offset, 30).unwrap_or_default();
            let data_at = if local.len() == 30 && local.starts_with(b"PK\x03\x04") {
                let n = u16::from_le_bytes([local[26], local[27]]);
                let e = u16::from_le_bytes([local[28], local[29]]);
                Some(r.local_offset + 30 + u64::from(n) + u64::from(e))
            } else {
                None
            };
            let Some(data_at) = data_at else {
                self.add_member(
                    x,
                    Origin::Nowhere,
                    &r.name,
                    0,
                    display,
                    layout,
                    depth,
                    None,
                    Some(format!(
                        "no local header at byte {} of the zip",
                        r.local_offset
                    )),
                );
                continue;
            };
            let stored = r.stored.min(size.saturating_sub(data_at));
            let cut = stored < r.stored;
            let skip = if r.flags & 1 != 0 {
                Some("encrypted, which podsift does not read".to_string())
            } else if !zip_method_supported(r.method) {
                Some(format!(
                    "zip compression method {}, which podsift does not read",
                    r.method
                ))
            } else {
                None
            };
            let origin = Origin::Zip {
                base,
                offset: data_at,
                stored,
                size: r.size,
                method: r.method,
            };
            if r.symlink && skip.is_none() {
                let mut target = String::new();
                let ok = self
                    .open_origin(origin, 0)
                    .and_then(|rd| rd.take(4096).read_to_string(&mut target))
                    .is_ok();
                if ok {
                    self.add_link_member(x, &r.name, &target, false, display, layout);
                    continue;
                }
            }
            let remark = cut.then(|| {
                format!(
                    "cut short: {stored} of its {} compressed bytes are in the zip",
                    r.stored
                )
            });
            self.add_member(
                x, origin, &r.name, r.size, display, layout, depth, remark, skip,
            );
            if cut {
                stopped.get_or_insert_with(|| {
                    format!(
                        "cut short inside {}; the members before it are read",
                        r.name
                    )
                });
                break;
            }
        }
        stopped
    }
}

/// Whether a file at this layout path is looked at as a possible archive (a container log's
/// path is not).
fn could_be_archive(layout_path: &str) -> bool {
    matches!(
        super::path::classify_path(layout_path).shape,
        super::path::PathShape::Other
    )
}

/// A tar compressed with `c`, when the decoded bytes of `raw` start with a tar header.
fn compressed_tar(c: Compression, raw: impl io::BufRead + Send) -> Option<ArchiveKind> {
    let mut inner = [0u8; BLOCK];
    let n = read_full(&mut *c.decoder(raw), &mut inner).ok()?;
    is_tar_header(&inner[..n]).then_some(ArchiveKind::Tar(Some(c)))
}

/// The archive kind of a member whose first bytes are `head` (as [`FileSet::sniff_archive`]
/// tells it from the member itself).
fn head_archive_kind(layout_path: &str, head: &[u8]) -> Option<ArchiveKind> {
    if !could_be_archive(layout_path) {
        return None;
    }
    plain_archive_kind(head).or_else(|| compressed_tar(Compression::of(head)?, head))
}

/// Members in path order, as a folder's files are, whatever the archive's; a later entry of
/// a name seen replaces the earlier one.
fn place_members(x: &mut Expander, first: usize) {
    x.out[first..].sort_by(|a, b| a.path.cmp(&b.path));
    for (i, m) in x.out.iter().enumerate().skip(first) {
        x.seen.insert(m.layout_path.clone(), i);
    }
}

/// [`FileSet::open_archives`] a step at a time (see [`FileSet::start_opening`]).
#[derive(Debug)]
pub struct Opening {
    stream: bool,
    old: std::vec::IntoIter<FileEntry>,
    x: Expander,
    listing: Option<Listing>,
    bytes_total: u64,
    bytes_done: u64,
}

/// A streamed tar being listed.
struct Listing {
    stream: usize,
    kind: ArchiveKind,
    reader: Box<dyn Read + Send>,
    walk: TarWalk,
    pending: Vec<Pending>,
    display: String,
    layout: String,
    /// Where its members start in the expander's list.
    first: usize,
    /// The expander's members and bytes before it.
    before: (u64, u64),
}

impl std::fmt::Debug for Listing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listing")
            .field("archive", &self.display)
            .field("pos", &self.walk.pos)
            .field("listed", &self.walk.listed)
            .finish()
    }
}

impl Opening {
    /// Opens entries until about `budget` stored bytes were read (at least one entry; a
    /// streamed tar counts its compressed bytes); says whether the set is open.
    pub fn step(&mut self, set: &mut FileSet, budget: u64) -> bool {
        let budget = budget.max(1);
        let mut spent = 0u64;
        loop {
            if let Some(mut l) = self.listing.take() {
                let start = set.streams[l.stream].progress().0;
                let ended = set.walk_stream(&self.x, &mut l, budget.saturating_sub(spent));
                spent += set.streams[l.stream].progress().0.saturating_sub(start);
                let Some(stopped) = ended else {
                    self.listing = Some(l);
                    return false;
                };
                self.bytes_done += set.streams[l.stream].progress().1;
                set.add_pending(
                    &mut self.x,
                    std::mem::take(&mut l.pending),
                    &l.display,
                    &l.layout,
                    1,
                );
                set.end_archive(&mut self.x, l.first, l.before, &l.display, l.kind, stopped);
                place_members(&mut self.x, l.first);
            }
            if spent >= budget {
                return false;
            }
            let Some(e) = self.old.next() else {
                set.entries = std::mem::take(&mut self.x.out);
                set.archived = self.x.bytes;
                set.start_pass();
                return true;
            };
            let size = e.size;
            self.listing = set.open_entry(&mut self.x, e, self.stream);
            if self.listing.is_none() {
                self.bytes_done += size;
                spent += size.max(1);
            }
        }
    }

    /// Stored bytes opened so far and in all, for a progress bar.
    pub fn progress(&self, set: &FileSet) -> (u64, u64) {
        let current = self
            .listing
            .as_ref()
            .map_or(0, |l| set.streams[l.stream].progress().0);
        (self.bytes_done + current, self.bytes_total)
    }
}

/// Files a member (its origin, its bytes if held, its name) whose data at `pos` of the tar
/// stream stopped after `got` of its `size` bytes; when that is short or `err` ended it, the
/// member says so and the reason to stop listing is returned.
fn file_member(
    pending: &mut Vec<Pending>,
    (origin, data, name): (Origin, Option<Vec<u8>>, String),
    pos: u64,
    got: u64,
    size: u64,
    err: Option<io::Error>,
) -> Option<String> {
    let why = match err {
        Some(e) => format!("damaged at byte {} of the tar stream ({e})", pos + got),
        None if got < size => format!("cut short at byte {} of the tar stream", pos + got),
        None => {
            pending.push(Pending::File {
                origin,
                data,
                name,
                size,
                remark: None,
            });
            return None;
        }
    };
    let stop = format!("{why}, inside {name}; the members before it are read");
    pending.push(Pending::File {
        origin,
        data,
        name,
        size: got,
        remark: Some(format!(
            "{why}: the first {got} of its {size} bytes are read"
        )),
    });
    Some(stop)
}

/// A tar stream's headers, a member at a time: GNU long names and links, and pax paths, links
/// and sizes, are applied to the member they come before.
#[derive(Debug, Default)]
struct TarWalk {
    /// Bytes of the tar stream read: a member's data starts here once [`TarWalk::next`] gave
    /// its header.
    pos: u64,
    long_name: Option<String>,
    long_link: Option<String>,
    pax_path: Option<String>,
    pax_link: Option<String>,
    pax_size: Option<u64>,
    /// Files and links listed so far, and the files' bytes (they join the expander's counts
    /// once the listing is done).
    listed: u64,
    unpacked: u64,
}

/// A member's header, as [`TarWalk::next`] gives it.
#[derive(Debug)]
struct TarHeader {
    name: String,
    link_target: String,
    typeflag: u8,
    size: u64,
}

impl TarWalk {
    /// The next member's header, the reader left at its data; `Err` holds why the listing
    /// ends there (`None`: the archive's end).
    fn next(&mut self, reader: &mut dyn Read) -> Result<TarHeader, Option<String>> {
        let mut header = [0u8; BLOCK];
        loop {
            let pos = self.pos;
            let n = match read_full(reader, &mut header) {
                Ok(n) => n,
                Err(e) => {
                    return Err(Some(format!(
                        "damaged at byte {pos} of the tar stream: {e}"
                    )));
                }
            };
            if n == 0 {
                // A tar ends with two zero blocks; a stream ending where a header should be
                // was cut there (members after it, if any, are lost).
                return Err((pos > 0).then(|| {
                    format!(
                        "cut short at byte {pos} of the tar stream, where a header or the archive's end should be (GNU tar: Unexpected EOF); the members before it are read"
                    )
                }));
            }
            if n < BLOCK {
                return Err(Some(format!(
                    "cut short at byte {} of the tar stream (inside a header)",
                    pos + n as u64
                )));
            }
            if header.iter().all(|&b| b == 0) {
                return Err(None);
            }
            if !is_tar_header(&header) {
                return Err(Some(format!(
                    "damaged at byte {pos} of the tar stream: not a tar header (bad checksum)"
                )));
            }
            let Some(size) = self
                .pax_size
                .take()
                .or_else(|| parse_size(&header[124..136]))
            else {
                return Err(Some(format!(
                    "damaged at byte {pos}: a header with an unreadable size"
                )));
            };
            let typeflag = header[156];
            let header_name = {
                let name = cstr(&header[0..100]);
                let prefix = if &header[257..262] == b"ustar" {
                    cstr(&header[345..500])
                } else {
                    String::new()
                };
                if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}/{name}")
                }
            };
            self.pos += BLOCK as u64;
            let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
            // Metadata records: read whole (they are small), then on to the next header.
            if matches!(typeflag, b'L' | b'K' | b'x' | b'g') {
                let pos = self.pos;
                if size > 1 << 20 {
                    return Err(Some(format!(
                        "damaged at byte {pos}: a {size} byte metadata record"
                    )));
                }
                let mut data = vec![0u8; padded as usize];
                match read_full(reader, &mut data) {
                    Ok(k) if k == data.len() => {}
                    Ok(_) => {
                        return Err(Some(format!(
                            "cut short at byte {pos} (inside a metadata record)"
                        )));
                    }
                    Err(e) => return Err(Some(format!("damaged at byte {pos}: {e}"))),
                }
                self.pos += padded;
                data.truncate(size as usize);
                match typeflag {
                    b'L' => self.long_name = Some(cstr(&data)),
                    b'K' => self.long_link = Some(cstr(&data)),
                    b'x' => {
                        for (k, v) in pax_records(&data) {
                            match k.as_str() {
                                "path" => self.pax_path = Some(v),
                                "linkpath" => self.pax_link = Some(v),
                                "size" => self.pax_size = v.parse().ok(),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                continue;
            }
            let name = self
                .long_name
                .take()
                .or_else(|| self.pax_path.take())
                .unwrap_or(header_name);
            let link_target = self
                .long_link
                .take()
                .or_else(|| self.pax_link.take())
                .unwrap_or_else(|| cstr(&header[157..257]));
            return Ok(TarHeader {
                name,
                link_target,
                typeflag,
                size,
            });
        }
    }

    /// Skips the rest of a member of `size` bytes whose first `consumed` were read, and its
    /// padding, to the next header; `Err` holds why the listing ends.
    fn end_member(
        &mut self,
        reader: &mut dyn Read,
        size: u64,
        consumed: u64,
    ) -> Result<(), Option<String>> {
        let rest = size.saturating_sub(consumed);
        if rest > 0 && io::copy(&mut reader.take(rest), &mut io::sink()).ok() != Some(rest) {
            return Err(Some(format!(
                "cut short at byte {} of the tar stream",
                self.pos
            )));
        }
        let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        let pad = padded - size;
        if pad > 0 && io::copy(&mut reader.take(pad), &mut io::sink()).ok() != Some(pad) {
            // The last member is whole; its padding and the archive's end are missing.
            return Err(Some(format!(
                "cut short at byte {} of the tar stream, in the padding after the last member's data and before the archive's end (GNU tar: Unexpected EOF); every member is read",
                self.pos + size
            )));
        }
        self.pos += padded;
        Ok(())
    }
}

enum Pending {
    File {
        origin: Origin,
        /// The member's bytes, for a compressed tar (then `origin` is set from them).
        data: Option<Vec<u8>>,
        name: String,
        size: u64,
        remark: Option<String>,
    },
    Link {
        name: String,
        target: String,
        hard: bool,
    },
    Skip {
        name: String,
        why: String,
    },
}

/// Members collected while archives are opened.
#[derive(Debug)]
struct Expander {
    bytes: u64,
    members: u64,
    out: Vec<FileEntry>,
    /// Layout path -> index in `out`: a later member of the same name replaces the earlier.
    seen: HashMap<String, usize>,
}

impl Expander {
    fn push(&mut self, e: FileEntry) {
        if let Some(&prev) = self.seen.get(&e.layout_path) {
            let earlier = &mut self.out[prev];
            if earlier.skip.is_none() {
                earlier.skip = Some(format!(
                    "replaced by a later entry of the same name in the archive ({})",
                    e.path
                ));
            }
        }
        self.seen.insert(e.layout_path.clone(), self.out.len());
        self.out.push(e);
    }
}

/// pax extended header records: `<len> <key>=<value>\n`.
fn pax_records(data: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let Some(sp) = rest.iter().position(|&c| c == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&rest[..sp])
            .ok()
            .and_then(|l| l.parse::<usize>().ok())
        else {
            break;
        };
        if len <= sp + 1 || len > rest.len() {
            break;
        }
        let record = &rest[sp + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&c| c == b'=') {
            out.push((
                String::from_utf8_lossy(&record[..eq]).into_owned(),
                String::from_utf8_lossy(&record[eq + 1..]).into_owned(),
            ));
        }
        rest = &rest[len..];
    }
    out
}

/// One member as a zip lists it.
#[derive(Clone, Debug)]
struct ZipRecord {
    name: String,
    method: u16,
    flags: u16,
    stored: u64,
    size: u64,
    local_offset: u64,
    symlink: bool,
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Reads the central directory; `Ok(None)` when there is none to be found.
fn zip_central_directory(
    size: u64,
    read_at: impl Fn(u64, u64) -> io::Result<Vec<u8>>,
) -> io::Result<Option<Vec<ZipRecord>>> {
    let tail_len = size.min(22 + 65535);
    let tail = read_at(size - tail_len, tail_len)?;
    let Some(eocd) = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..].starts_with(b"PK\x05\x06"))
    else {
        return Ok(None);
    };
    let e = &tail[eocd..];
    let mut count = u64::from(le16(e, 10));
    let mut cd_size = u64::from(le32(e, 12));
    let mut cd_offset = u64::from(le32(e, 16));
    // zip64: a locator just before the record points at the zip64 end record.
    if (count == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff) && eocd >= 20 {
        let loc = &tail[eocd - 20..eocd];
        if loc.starts_with(b"PK\x06\x07") {
            let at = le64(loc, 8);
            let rec = read_at(at, 56)?;
            if rec.len() == 56 && rec.starts_with(b"PK\x06\x06") {
                count = le64(&rec, 32);
                cd_size = le64(&rec, 40);
                cd_offset = le64(&rec, 48);
            }
        }
    }
    if cd_offset.saturating_add(cd_size) > size || cd_size > 1 << 30 {
        return Ok(None);
    }
    let cd = read_at(cd_offset, cd_size)?;
    let mut out = Vec::with_capacity(usize::try_from(count.min(1 << 20)).unwrap_or(0));
    let mut at = 0usize;
    while at + 46 <= cd.len() && cd[at..].starts_with(b"PK\x01\x02") {
        let h = &cd[at..];
        let made_by = le16(h, 4);
        let flags = le16(h, 8);
        let method = le16(h, 10);
        let mut stored = u64::from(le32(h, 20));
        let mut size = u64::from(le32(h, 24));
        let nlen = usize::from(le16(h, 28));
        let xlen = usize::from(le16(h, 30));
        let clen = usize::from(le16(h, 32));
        let ext_attr = le32(h, 38);
        let mut local_offset = u64::from(le32(h, 42));
        if at + 46 + nlen + xlen > cd.len() {
            break;
        }
        let name = String::from_utf8_lossy(&h[46..46 + nlen]).into_owned();
        // zip64 extra field: the 64-bit values of the fields that are all ones, in order.
        let mut extra = &h[46 + nlen..46 + nlen + xlen];
        while extra.len() >= 4 {
            let id = le16(extra, 0);
            let len = usize::from(le16(extra, 2));
            if extra.len() < 4 + len {
                break;
            }
            if id == 1 {
                let mut v = &extra[4..4 + len];
                for field in [&mut size, &mut stored, &mut local_offset] {
                    if *field == 0xffff_ffff && v.len() >= 8 {
                        *field = le64(v, 0);
                        v = &v[8..];
                    }
                }
            }
            extra = &extra[4 + len..];
        }
        let unix = made_by >> 8 == 3;
        out.push(ZipRecord {
            name,
            method,
            flags,
            stored,
            size,
            local_offset,
            symlink: unix && (ext_attr >> 16) & 0o170_000 == 0o120_000,
        });
        at += 46 + nlen + xlen + clen;
    }
    Ok(Some(out))
}

/// Walks local headers from the start of a zip without a central directory; stops at the first
/// thing that is not a local header. Returns the records and why it stopped, when not at a
/// central directory.
fn zip_scan_local_headers(
    size: u64,
    read_at: impl Fn(u64, u64) -> io::Result<Vec<u8>>,
) -> (Vec<ZipRecord>, Option<String>) {
    let mut out = Vec::new();
    let mut at: u64 = 0;
    let stopped = loop {
        let Ok(h) = read_at(at, 30) else {
            break Some(format!("damaged at byte {at} of the zip"));
        };
        if h.len() < 30 || !h.starts_with(b"PK\x03\x04") {
            break Some(format!(
                "no central directory (cut short or damaged): read the members before byte {at} from their local headers"
            ));
        }
        let flags = le16(&h, 6);
        let method = le16(&h, 8);
        let stored = u64::from(le32(&h, 18));
        let size_field = u64::from(le32(&h, 22));
        let nlen = u64::from(le16(&h, 26));
        let xlen = u64::from(le16(&h, 28));
        let name = read_at(at + 30, nlen)
            .map(|n| String::from_utf8_lossy(&n).into_owned())
            .unwrap_or_default();
        if flags & 8 != 0 && stored == 0 {
            break Some(format!(
                "no central directory (cut short or damaged), and {name} states its size after its data: read the members before it"
            ));
        }
        out.push(ZipRecord {
            name,
            method,
            flags,
            stored,
            size: size_field,
            local_offset: at,
            symlink: false,
        });
        at = at + 30 + nlen + xlen + stored;
        if at >= size {
            break Some(
                "no central directory (cut short or damaged): read the members from their local headers"
                    .to_string(),
            );
        }
    };
    (out, stopped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_stay_inside() {
        assert_eq!(member_path("./a/b.log").0, "a/b.log");
        assert_eq!(member_path("a/../b.log"), ("b.log".to_string(), None));
        let (p, r) = member_path("../../etc/passwd");
        assert_eq!(p, "etc/passwd");
        assert!(r.unwrap().contains("points outside"));
        let (p, r) = member_path("/var/log/syslog");
        assert_eq!(p, "var/log/syslog");
        assert!(r.is_some());
        assert_eq!(member_path("a\\b.log").0, "a/b.log");
        // A name deeper or longer than any file system holds is read under a short name.
        let deep = format!("{}f.log", "d/".repeat(512 * 1024));
        let (p, r) = member_path(&deep);
        assert_eq!(p, "d/d/d/d/…/f.log");
        assert!(r.unwrap().contains("524289 folders deep"));
        let long = format!("{}/f.log", "x".repeat(5000));
        assert!(member_path(&long).0.len() < 300);
        assert_eq!(
            resolve_inside("n/containers/x.log", "../pods/a/0.log").as_deref(),
            Some("n/pods/a/0.log")
        );
        assert_eq!(resolve_inside("x.log", "../../etc/passwd"), None);
        assert_eq!(archive_stem("kind-worker.tar.gz"), "kind-worker");
        assert_eq!(archive_stem("bundle.TGZ"), "bundle");
        assert_eq!(archive_stem(".tar"), ".tar");
        assert_eq!(human_size(16 << 30), "16 GiB");
        assert_eq!(human_size(1536), "1.5 KiB");
    }

    #[test]
    fn tar_numbers() {
        assert_eq!(parse_size(b"00000000017\0"), Some(15));
        assert_eq!(
            parse_size(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]),
            Some(256)
        );
        assert_eq!(parse_size(b"\0\0\0\0"), Some(0));
        assert_eq!(
            pax_records(b"18 path=a/b/c.log\n11 size=42\n"),
            vec![
                ("path".to_string(), "a/b/c.log".to_string()),
                ("size".to_string(), "42".to_string())
            ]
        );
        assert!(pax_records(b"999 path=x\n").is_empty());
    }
}
