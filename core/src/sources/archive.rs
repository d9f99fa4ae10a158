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
//!   compressed (a rotated `.gz` log) stays compressed until it is read.
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
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            // Members of compressed tars are held in memory; a wasm32 page has 4 GiB in all.
            max_bytes: if cfg!(target_arch = "wasm32") {
                1 << 30
            } else {
                16 << 30
            },
            max_entries: 1_000_000,
            max_depth: 4,
        }
    }
}

/// `16 GiB`, `512 MiB`, `300 B`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else if v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// What kind of archive a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveKind {
    /// A tar, compressed or not.
    Tar(Option<Compression>),
    /// A zip.
    Zip,
}

impl ArchiveKind {
    /// `tar`, `tar.gz`, `tar.zst`, `tar.xz`, `tar.bz2`, `zip`.
    pub fn as_str(self) -> &'static str {
        match self {
            ArchiveKind::Tar(None) => "tar",
            ArchiveKind::Tar(Some(Compression::Gzip)) => "tar.gz",
            ArchiveKind::Tar(Some(Compression::Zstd)) => "tar.zst",
            ArchiveKind::Tar(Some(Compression::Xz)) => "tar.xz",
            ArchiveKind::Tar(Some(Compression::Bzip2)) => "tar.bz2",
            ArchiveKind::Zip => "zip",
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

const BLOCK: usize = 512;

/// A tar header block: its checksum holds and it has a name.
pub fn is_tar_header(block: &[u8]) -> bool {
    if block.len() < BLOCK || block[0] == 0 {
        return false;
    }
    let Some(stored) = parse_octal(&block[148..156]) else {
        return false;
    };
    let unsigned: u64 = block[..BLOCK]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    let signed: i64 = block[..BLOCK]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                i64::from(b as i8)
            }
        })
        .sum();
    stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed)
}

fn parse_octal(field: &[u8]) -> Option<u64> {
    let s = field
        .iter()
        .skip_while(|&&c| c == b' ')
        .take_while(|&&c| (b'0'..=b'7').contains(&c));
    let mut v: u64 = 0;
    let mut any = false;
    for &c in s {
        v = v.checked_mul(8)?.checked_add(u64::from(c - b'0'))?;
        any = true;
    }
    any.then_some(v)
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
    let path = out.join("/");
    let remark = escaped.then(|| {
        format!("its name in the archive ({name}) points outside it: read as {path} inside it")
    });
    (path, remark)
}

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

impl FileSet {
    /// The limits archives and compressed files are read within.
    pub fn limits(&self) -> ArchiveLimits {
        self.limits
    }

    /// Replaces every archive in the set (told by its first bytes) by its members, within
    /// `limits`. Problems go to [`FileSet::problems`]; what was opened to
    /// [`FileSet::archives`].
    pub fn open_archives(&mut self, limits: ArchiveLimits) {
        self.limits = limits;
        let old = std::mem::take(&mut self.entries);
        let mut x = Expander {
            bytes: 0,
            members: 0,
            out: Vec::with_capacity(old.len()),
            seen: HashMap::new(),
        };
        for e in old {
            let kind = if e.link.is_some() || e.skip.is_some() {
                None
            } else {
                self.sniff_archive(e.origin, &e.layout_path)
            };
            match kind {
                None => x.out.push(e),
                Some(kind) => {
                    let (dir, name) = e
                        .layout_path
                        .rsplit_once('/')
                        .unwrap_or(("", &e.layout_path));
                    let layout = format!("{dir}/{}", archive_stem(name));
                    let first = x.out.len();
                    self.expand(&mut x, e.origin, kind, &e.path, &layout, e.size, 1);
                    // Members in path order, as a folder's files are, whatever the archive's.
                    x.out[first..].sort_by(|a, b| a.path.cmp(&b.path));
                    for (i, m) in x.out.iter().enumerate().skip(first) {
                        x.seen.insert(m.layout_path.clone(), i);
                    }
                }
            }
        }
        self.entries = x.out;
    }

    /// The archive kind of the bytes at `origin`, if they are one. Files whose path is a
    /// container log's are not looked at.
    fn sniff_archive(&self, origin: Origin, layout_path: &str) -> Option<ArchiveKind> {
        if !matches!(
            super::path::classify_path(layout_path).shape,
            super::path::PathShape::Other
        ) {
            return None;
        }
        let mut head = [0u8; BLOCK];
        let n = read_full(&mut *self.open_origin(origin, 0).ok()?, &mut head).ok()?;
        let head = &head[..n];
        if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
            return Some(ArchiveKind::Zip);
        }
        if is_tar_header(head) {
            return Some(ArchiveKind::Tar(None));
        }
        let c = Compression::of(head)?;
        let raw = self.open_origin(origin, 0).ok()?;
        let mut inner = [0u8; BLOCK];
        let n = read_full(&mut *c.decoder(BufReader::new(raw)), &mut inner).ok()?;
        is_tar_header(&inner[..n]).then_some(ArchiveKind::Tar(Some(c)))
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
            ArchiveKind::Tar(c) => self.expand_tar(x, container, c, display, layout, depth),
            ArchiveKind::Zip => self.expand_zip(x, container, size, display, layout, depth),
        };
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
    fn over_limits(&self, x: &Expander, size: u64) -> Option<String> {
        if x.members >= self.limits.max_entries {
            return Some(format!(
                "stopped: more than {} archive members in all (the limit, --max-archive-entries); the rest was not read",
                self.limits.max_entries
            ));
        }
        if x.bytes.saturating_add(size) > self.limits.max_bytes {
            return Some(format!(
                "stopped: members would unpack to more than {} in all (the limit, --max-unpacked; a decompression bomb?); the rest was not read",
                human_size(self.limits.max_bytes)
            ));
        }
        None
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
        if skip.is_none()
            && depth < self.limits.max_depth
            && let Some(kind) = self.sniff_archive(origin, &member_layout)
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

    /// Lists a tar; returns why it stopped early, if it did.
    fn expand_tar(
        &mut self,
        x: &mut Expander,
        container: Origin,
        compression: Option<Compression>,
        display: &str,
        layout: &str,
        depth: u32,
    ) -> Option<String> {
        // Members of a tar that is not compressed are read in place.
        let base = compression.is_none().then(|| {
            self.bases.push(container);
            self.bases.len() - 1
        });
        let raw = match self.open_origin(container, 0) {
            Ok(r) => r,
            Err(e) => return Some(format!("cannot read: {e}")),
        };
        let mut reader: Box<dyn Read + Send + '_> = match compression {
            None => raw,
            Some(c) => c.decoder(BufReader::with_capacity(super::READ_BUFFER_BYTES, raw)),
        };
        let mut pos: u64 = 0;
        let mut long_name: Option<String> = None;
        let mut long_link: Option<String> = None;
        let mut pax_path: Option<String> = None;
        let mut pax_link: Option<String> = None;
        let mut pax_size: Option<u64> = None;
        let mut header = [0u8; BLOCK];
        let mut pending: Vec<Pending> = Vec::new();
        let stopped = loop {
            let n = match read_full(&mut *reader, &mut header) {
                Ok(n) => n,
                Err(e) => break Some(format!("damaged at byte {pos} of the tar stream: {e}")),
            };
            if n == 0 {
                break None;
            }
            if n < BLOCK {
                break Some(format!(
                    "cut short at byte {} of the tar stream (inside a header)",
                    pos + n as u64
                ));
            }
            if header.iter().all(|&b| b == 0) {
                break None;
            }
            if !is_tar_header(&header) {
                break Some(format!(
                    "damaged at byte {pos} of the tar stream: not a tar header (bad checksum)"
                ));
            }
            let Some(size) = pax_size.take().or_else(|| parse_size(&header[124..136])) else {
                break Some(format!(
                    "damaged at byte {pos}: a header with an unreadable size"
                ));
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
            pos += BLOCK as u64;
            let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
            // Metadata records: read whole (they are small), then on to the next header.
            if matches!(typeflag, b'L' | b'K' | b'x' | b'g') {
                if size > 1 << 20 {
                    break Some(format!(
                        "damaged at byte {pos}: a {size} byte metadata record"
                    ));
                }
                let mut data = vec![0u8; padded as usize];
                match read_full(&mut *reader, &mut data) {
                    Ok(k) if k == data.len() => {}
                    Ok(_) => {
                        break Some(format!(
                            "cut short at byte {pos} (inside a metadata record)"
                        ));
                    }
                    Err(e) => break Some(format!("damaged at byte {pos}: {e}")),
                }
                pos += padded;
                data.truncate(size as usize);
                match typeflag {
                    b'L' => long_name = Some(cstr(&data)),
                    b'K' => long_link = Some(cstr(&data)),
                    b'x' => {
                        for (k, v) in pax_records(&data) {
                            match k.as_str() {
                                "path" => pax_path = Some(v),
                                "linkpath" => pax_link = Some(v),
                                "size" => pax_size = v.parse().ok(),
                                _ => {}
                            }
                        }
                    }
                    _ => {}
                }
                continue;
            }
            let name = long_name
                .take()
                .or_else(|| pax_path.take())
                .unwrap_or(header_name);
            let link_target = long_link
                .take()
                .or_else(|| pax_link.take())
                .unwrap_or_else(|| cstr(&header[157..257]));
            let is_file = matches!(typeflag, b'0' | 0 | b'7');
            if (is_file || matches!(typeflag, b'1' | b'2'))
                && let Some(why) = self.over_limits(x, if is_file { size } else { 0 })
            {
                break Some(why);
            }
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
                    if got < size || err.is_some() {
                        let why = match &err {
                            Some(e) => {
                                format!("damaged at byte {} of the tar stream ({e})", pos + got)
                            }
                            None => format!("cut short at byte {} of the tar stream", pos + got),
                        };
                        pending.push(Pending::File {
                            origin,
                            data,
                            name: name.clone(),
                            size: got,
                            remark: Some(format!(
                                "{why}: the first {got} of its {size} bytes are read"
                            )),
                        });
                        break Some(format!(
                            "{why}, inside {name}; the members before it are read"
                        ));
                    }
                    pending.push(Pending::File {
                        origin,
                        data,
                        name,
                        size,
                        remark: None,
                    });
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
                    if io::copy(&mut (&mut *reader).take(size), &mut io::sink()).ok() != Some(size)
                    {
                        break Some(format!("cut short at byte {pos} of the tar stream"));
                    }
                }
            }
            // Skip the padding to the next header.
            let pad = padded - size;
            if pad > 0 && io::copy(&mut (&mut *reader).take(pad), &mut io::sink()).ok() != Some(pad)
            {
                // The last member is whole; only its padding is missing.
                break None;
            }
            pos += padded;
        };
        drop(reader);
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
        stopped
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
            if let Some(why) = self.over_limits(x, r.size) {
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
