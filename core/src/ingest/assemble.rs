//! Reads one container instance: its files in rotation order as one stream per output stream,
//! with CRI `P` lines and json-file pieces without a newline joined up to the line that ends
//! them, across file boundaries too.
//!
//! Plain logs (`kubelet.log`, syslog, an application's file) have no runtime framing: an entry
//! starts at a line that starts like one (a timestamp, a klog header, a JSON object; see
//! [`starts_like_entry`]), and a line that does not (a stack frame, an indented or blank line)
//! continues the entry before it once the file has shown stamped lines. The entry's time is its
//! own timestamp; klog's missing year comes from the entry before it or the plan's reference
//! time, so that December to January rolls over.
//!
//! Accounting: every physical line is the first line of an entry (unparsed lines are entries of
//! format `unparsed`) or a continuation joined into one, so per file `lines = entries + joined`.

use std::io;

use super::lines::{Line, LineReader};
use super::{Entry, EntryFilter, EntrySink, FileStats, MAX_ENTRY_BYTES, Needs, Progress};
use crate::detect::{Framing, starts_like_entry};
use crate::diag::{Diagnostic, Severity};
use crate::formats::cri::{CriLine, parse_cri_line_cached};
use crate::formats::defined::{self, DefinedFormat};
use crate::formats::docker::{DockerLine, parse_docker_line};
use crate::formats::json::JsonStr;
use crate::formats::{EntryFormat, FieldBuf, PayloadContext, PayloadInfo, PayloadParser, Stream};
use crate::level::Level;
use crate::sources::plan::{ContainerMeta, Plan};
use crate::sources::{FileSet, Opened, ReadBuffers};
use crate::time::DateCache;

mod framing;

use framing::{AnyFramer, Framer};

/// Line buffers up to this size are kept for the next file of the instance.
const MAX_REUSED_LINE_BUFFER: usize = 1024 * 1024;

/// Text entries of a container stream checked against the defined formats before the stream is
/// taken to have none.
const STREAM_PROBES: u8 = 16;

/// A container message continues the entry before it only when written this soon after it.
const FOLD_WINDOW_NANOS: i64 = 2_000_000_000;

/// Line-level problems reported one by one per file; the rest are counted in one summary.
const MAX_LINE_DIAGNOSTICS_PER_FILE: u64 = 10;

#[derive(Debug)]
pub(super) struct InstanceOutput {
    /// (file index in the set, stats) for each file of the instance.
    pub files: Vec<(usize, FileStats)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A partial entry waiting for its end.
#[derive(Default)]
struct Pending {
    active: bool,
    bytes: Vec<u8>,
    ts: Option<i64>,
    stream: Option<Stream>,
    file_pos: usize,
    line: u64,
    joined: u32,
    truncated: bool,
    /// Joining pieces went past [`MAX_ENTRY_BYTES`] (reported when the entry is emitted; a
    /// cut physical line is reported where it is read).
    overflowed: bool,
    /// The pieces are decoded json-file strings.
    from_json: bool,
}

impl Pending {
    fn start(&mut self, ts: Option<i64>, stream: Option<Stream>, file_pos: usize, line: u64) {
        self.active = true;
        self.bytes.clear();
        self.ts = ts;
        self.stream = stream;
        self.file_pos = file_pos;
        self.line = line;
        self.joined = 0;
        self.truncated = false;
        self.overflowed = false;
        self.from_json = false;
    }

    fn append(&mut self, piece: &[u8]) {
        let room = MAX_ENTRY_BYTES.saturating_sub(self.bytes.len());
        if piece.len() > room {
            self.truncated = true;
            self.overflowed = true;
        }
        self.bytes
            .extend_from_slice(&piece[..piece.len().min(room)]);
    }

    fn append_json(&mut self, s: JsonStr<'_>) {
        let before = self.bytes.len();
        s.decode_into(&mut self.bytes);
        if self.bytes.len() > MAX_ENTRY_BYTES {
            self.bytes.truncate(MAX_ENTRY_BYTES.max(before));
            self.truncated = true;
            self.overflowed = true;
        }
    }
}

/// Where an entry comes from, and how it was put together.
#[derive(Clone, Copy, Default)]
struct Origin {
    ts: Option<i64>,
    stream: Option<Stream>,
    file_pos: usize,
    line: u64,
    joined: u32,
    partial: bool,
    truncated: bool,
    /// Report the truncation (joins that overflowed; cut lines were reported when read).
    report_overflow: bool,
    /// The message was decoded from a json-file `log` string (it may hold newlines).
    from_json: bool,
    unparsed: bool,
}

struct Assembler<'a, S> {
    set: &'a FileSet,
    files: &'a [usize],
    meta: &'a ContainerMeta,
    instance: usize,
    filter: &'a dyn EntryFilter,
    sink: &'a mut S,
    needs: Needs,
    payload: PayloadParser,
    no_fields: FieldBuf,
    /// stdout, stderr, and json-file lines without a stream.
    pending: [Pending; 3],
    last_ts: Option<i64>,
    stats: Vec<FileStats>,
    line_diagnostics: Vec<u64>,
    diagnostics: Vec<Diagnostic>,
    scratch: Vec<u8>,
    /// The line buffer, reused from file to file.
    line_buf: Vec<u8>,
    /// Buffers for reading and decoding whole files, reused from file to file.
    read_buffers: &'a mut ReadBuffers,
    framing: Framing,
    /// A time near the input's, for timestamps without a year.
    reference_ts: Option<i64>,
    /// The instance's format (`--format` or detected from a plain file's first lines).
    format: Option<EntryFormat>,
    /// `--format` was given: no detection, and what does not match is text.
    forced: bool,
    /// Runtime streams: the defined format found in a stream's first entries (stdout, stderr,
    /// none), and how many entries were checked.
    stream_format: [Option<EntryFormat>; 3],
    stream_probes: [u8; 3],
    defined: Vec<&'static DefinedFormat>,
    /// Per stream: the entry held until the next one tells whether it continues.
    folds: [Fold; 3],
    /// The section being read: (namespace, pod, container).
    section: Option<(String, String, String)>,
}

/// A `journalctl -o export` record being read.
#[derive(Default)]
struct ExportState {
    fields: Vec<(String, Vec<u8>)>,
    /// A binary field: its name and the bytes so far (8-byte length, then the value).
    binary: Option<(String, Vec<u8>, usize)>,
    binary_started: bool,
}

/// A container entry held for folding (see [`Assembler::fold`]).
#[derive(Default)]
struct Fold {
    held: bool,
    bytes: Vec<u8>,
    origin: Origin,
    /// An entry of this stream started like one (a timestamp, a header, JSON).
    stamped: bool,
}

/// Nesting state of multi-line JSON documents, carried from line to line.
#[derive(Clone, Copy, Default)]
struct DocState {
    depth: u32,
    in_string: bool,
    escape: bool,
    /// Inside a top-level array: its elements are the entries.
    in_array: bool,
}

fn slot(stream: Option<Stream>) -> usize {
    match stream {
        Some(Stream::Stdout) => 0,
        Some(Stream::Stderr) => 1,
        None => 2,
    }
}

impl<S: EntrySink> Assembler<'_, S> {
    fn path(&self, file_pos: usize) -> &str {
        &self.set.entries()[self.files[file_pos]].path
    }

    /// Reports the first entry of a file with invalid UTF-8 (the count is in `sources`).
    fn invalid_utf8_line(&mut self, file_pos: usize, line: u64) {
        if self.stats[file_pos].invalid_utf8 == 1 {
            let path = self.path(file_pos).to_string();
            self.diagnostics.push(Diagnostic::line(
                path,
                line,
                Severity::Warning,
                "invalid UTF-8: kept with U+FFFD for the bad bytes (`podsift sources` counts such entries)".to_string(),
            ));
        }
    }

    /// Records a problem on a line, up to the per-file limit.
    fn line_problem(&mut self, file_pos: usize, line: u64, severity: Severity, message: String) {
        self.line_diagnostics[file_pos] += 1;
        if self.line_diagnostics[file_pos] <= MAX_LINE_DIAGNOSTICS_PER_FILE {
            let path = self.path(file_pos).to_string();
            self.diagnostics
                .push(Diagnostic::line(path, line, severity, message));
        }
    }

    /// A complete entry: plain and unparsed ones go out now; a container's goes through
    /// [`Assembler::fold`].
    fn emit(&mut self, message: &[u8], o: Origin) {
        if self.framing == Framing::Runtime && !o.unparsed && !o.partial {
            self.fold(message, o);
        } else {
            self.emit_now(message, o);
        }
    }

    /// Folds multi-line entries that came as one runtime line per line (a stack trace written
    /// to stdout line by line): a message of the same stream within [`FOLD_WINDOW_NANOS`] that
    /// is indented or blank, or that does not start like an entry once the stream has shown
    /// entries that do, continues the entry before it. So an entry is held until the next one
    /// of its stream decides. JSON objects are complete in themselves: never held, never
    /// continued.
    fn fold(&mut self, message: &[u8], o: Origin) {
        let k = slot(o.stream);
        let first = message.first().copied();
        if first == Some(b'{') {
            if self.folds[k].held {
                self.flush_fold(k);
            }
            self.folds[k].stamped = true;
            self.emit_now(message, o);
            return;
        }
        let f = &self.folds[k];
        let near = f.held
            && match (f.origin.ts, o.ts) {
                (Some(a), Some(b)) => b.saturating_sub(a) <= FOLD_WINDOW_NANOS,
                _ => true,
            };
        let indented = matches!(first, None | Some(b' ' | b'\t'));
        let continues = near
            && (indented || (f.stamped && !starts_like_entry(message)))
            && f.bytes.len() + message.len() < MAX_ENTRY_BYTES;
        if continues {
            let f = &mut self.folds[k];
            f.bytes.push(b'\n');
            f.bytes.extend_from_slice(message);
            f.origin.joined += 1 + o.joined;
            f.origin.truncated |= o.truncated;
            f.origin.partial |= o.partial;
            f.origin.report_overflow |= o.report_overflow;
            f.origin.from_json |= o.from_json;
            self.stats[o.file_pos].joined += 1;
            return;
        }
        if self.folds[k].held {
            self.flush_fold(k);
        }
        let f = &mut self.folds[k];
        if !f.stamped && !indented && starts_like_entry(message) {
            f.stamped = true;
        }
        f.held = true;
        f.bytes.clear();
        f.bytes.extend_from_slice(message);
        f.origin = o;
    }

    /// Emits the entry held for folding in slot `k`, if any.
    #[inline(never)]
    fn flush_fold(&mut self, k: usize) {
        if !self.folds[k].held {
            return;
        }
        self.folds[k].held = false;
        let bytes = std::mem::take(&mut self.folds[k].bytes);
        let origin = self.folds[k].origin;
        self.emit_now(&bytes, origin);
        self.folds[k].bytes = bytes;
    }

    fn emit_now(&mut self, message: &[u8], o: Origin) {
        let plain = self.framing != Framing::Runtime;
        let info = if o.unparsed {
            PayloadInfo {
                format: EntryFormat::UNPARSED,
                level: Level::Unknown,
                app_ts_nanos: None,
            }
        } else if plain {
            // The time is in the payload: always parse it.
            let ctx = PayloadContext {
                runtime_ts_nanos: self.last_ts.or(self.reference_ts),
                want_fields: self.needs.fields,
                want_app_ts: true,
                may_have_newlines: o.joined > 0,
            };
            match self.format {
                Some(f) => self.payload.parse_as(f, message, ctx, !self.forced),
                None => self.payload.parse(message, ctx),
            }
        } else if self.needs.payload {
            let ctx = PayloadContext {
                runtime_ts_nanos: o.ts,
                want_fields: self.needs.fields,
                want_app_ts: self.needs.app_ts,
                may_have_newlines: o.joined > 0 || o.from_json,
            };
            self.runtime_payload(message, o.stream, ctx)
        } else {
            PayloadInfo {
                format: EntryFormat::TEXT,
                level: Level::Unknown,
                app_ts_nanos: None,
            }
        };
        let with_payload = (self.needs.payload || plain) && !o.unparsed;
        if let Some((ns, pod, c)) = &self.section {
            let m = &mut self.payload.meta;
            let fill = |part: &mut String, v: &str| {
                if part.is_empty() {
                    part.push_str(v);
                }
            };
            let m = m.touch();
            fill(&mut m.namespace, ns);
            fill(&mut m.pod, pod);
            fill(&mut m.container, c);
        }
        if self.meta.node.is_some() && !self.payload.meta.node.is_empty() {
            // Where the bundle put the file names its node; a journal record's `_HOSTNAME` or
            // a syslog line's host (often the short name) stays a field and makes no node.
            self.payload.meta.node.clear();
        }
        let body =
            (with_payload && self.payload.has_body).then(|| std::mem::take(&mut self.payload.body));
        let message: &[u8] = body.as_deref().unwrap_or(message);
        let ts = if plain {
            if info.app_ts_nanos.is_some() {
                self.last_ts = info.app_ts_nanos;
            }
            self.last_ts
        } else {
            o.ts
        };
        let stats = &mut self.stats[o.file_pos];
        stats.entries += 1;
        if self.needs.accounting {
            match stats.formats.iter_mut().find(|(f, _)| *f == info.format) {
                Some((_, n)) => *n += 1,
                None => stats.formats.push((info.format, 1)),
            }
            if !message.is_ascii() && std::str::from_utf8(message).is_err() {
                stats.invalid_utf8 += 1;
                self.invalid_utf8_line(o.file_pos, o.line);
            }
        }
        let stats = &mut self.stats[o.file_pos];
        if let Some(ts) = ts {
            stats.first_ts = Some(stats.first_ts.map_or(ts, |f| f.min(ts)));
            stats.last_ts = Some(stats.last_ts.map_or(ts, |l| l.max(ts)));
        } else {
            stats.untimed += 1;
        }
        if o.report_overflow {
            let line = o.line;
            self.line_problem(
                o.file_pos,
                line,
                Severity::Warning,
                format!(
                    "entry longer than {} MiB: cut to that length",
                    MAX_ENTRY_BYTES >> 20
                ),
            );
            self.stats[o.file_pos].errors += 1;
        }
        let entry = Entry {
            instance: self.instance,
            file: self.files[o.file_pos],
            line: o.line,
            ts_nanos: ts,
            stream: o.stream,
            message,
            format: info.format,
            level: info.level,
            level_raw: if with_payload {
                &self.payload.level_raw
            } else {
                ""
            },
            app_ts_nanos: info.app_ts_nanos,
            fields: if with_payload {
                &self.payload.fields
            } else {
                &self.no_fields
            },
            joined: o.joined,
            partial: o.partial,
            truncated: o.truncated,
            meta: (with_payload && !self.payload.meta.is_empty()).then_some(&self.payload.meta),
        };
        if self.filter.entry(self.meta, &entry) {
            self.sink.entry(&entry);
        }
        if let Some(b) = body {
            self.payload.body = b;
        }
    }

    /// The payload of a container's entry: the instance's format if it has one; else the
    /// stream's defined format once one of its first entries matched one; else by content.
    fn runtime_payload(
        &mut self,
        message: &[u8],
        stream: Option<Stream>,
        ctx: PayloadContext,
    ) -> PayloadInfo {
        if let Some(f) = self.format {
            return self.payload.parse_as(f, message, ctx, !self.forced);
        }
        let k = slot(stream);
        if let Some(f) = self.stream_format[k] {
            return self.payload.parse_as(f, message, ctx, true);
        }
        let info = self.payload.parse(message, ctx);
        if info.format != EntryFormat::TEXT || self.stream_probes[k] >= STREAM_PROBES {
            return info;
        }
        self.stream_probes[k] += 1;
        let Some(f) = self.defined.iter().rev().find(|d| d.is_match(message)) else {
            return info;
        };
        self.stream_format[k] = Some(f.id);
        self.payload.parse_as(f.id, message, ctx, true)
    }

    fn emit_pending(&mut self, slot: usize, partial: bool) {
        let mut p = std::mem::take(&mut self.pending[slot]);
        p.active = false;
        let origin = Origin {
            ts: p.ts,
            stream: p.stream,
            file_pos: p.file_pos,
            line: p.line,
            joined: p.joined,
            partial,
            truncated: p.truncated,
            report_overflow: p.overflowed,
            from_json: p.from_json,
            unparsed: false,
        };
        self.emit(&p.bytes, origin);
        self.pending[slot] = p;
    }

    /// Counts a physical line, and reports it when it was cut.
    fn count_line(&mut self, file_pos: usize, line: &Line<'_>) -> bool {
        self.stats[file_pos].lines += 1;
        if let Some(full) = line.full_len {
            self.line_problem(
                file_pos,
                line.number,
                Severity::Error,
                format!(
                    "line is {full} bytes long: kept its first {} MiB",
                    MAX_ENTRY_BYTES >> 20
                ),
            );
            self.stats[file_pos].errors += 1;
        }
        line.full_len.is_some()
    }

    fn read_file(&mut self, framer: &mut AnyFramer, file_pos: usize, progress: &Progress) {
        let index = self.files[file_pos];
        self.stats[file_pos].read = true;
        let opened = match self
            .set
            .open_counting(index, &progress.bytes_done, self.read_buffers)
        {
            Ok(o) => o,
            Err(e) => {
                let path = self.path(file_pos).to_string();
                self.diagnostics.push(Diagnostic::file(
                    path,
                    Severity::Error,
                    format!("cannot open: {e}"),
                ));
                self.stats[file_pos].errors += 1;
                return;
            }
        };
        let in_memory = matches!(opened, Opened::Bytes { .. });
        let mut lines = match opened {
            Opened::Reader(r) => {
                LineReader::with_buffer(r, MAX_ENTRY_BYTES, std::mem::take(&mut self.line_buf))
            }
            Opened::Bytes { buf, len } => {
                let none: Box<dyn io::Read + Send> = Box::new(io::empty());
                LineReader::from_bytes(buf, len, MAX_ENTRY_BYTES, none)
            }
        };
        loop {
            match lines.next_line() {
                Ok(Some(line)) => {
                    let cut = self.count_line(file_pos, &line);
                    framer.line(self, file_pos, line.number, line.bytes, cut);
                    if line.number % 65_536 == 0 && progress.cancelled() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let n = lines.line_count();
                    let path = self.path(file_pos).to_string();
                    let what = if e.kind() == io::ErrorKind::UnexpectedEof {
                        "the file is cut short".to_string()
                    } else {
                        format!("read error: {e}")
                    };
                    self.diagnostics.push(Diagnostic::file(
                        path,
                        Severity::Error,
                        format!(
                            "{what} after line {n} ({} bytes decompressed); the {n} lines before it were kept",
                            lines.bytes_read()
                        ),
                    ));
                    self.stats[file_pos].errors += 1;
                    break;
                }
            }
        }
        self.stats[file_pos].bytes = lines.bytes_read();
        if lines.cr_only() {
            let path = self.path(file_pos).to_string();
            self.diagnostics.push(Diagnostic::file(
                path,
                Severity::Warning,
                "its lines end with a bare carriage return (no newline anywhere): split there"
                    .to_string(),
            ));
        }
        let buf = lines.into_buffer();
        if in_memory {
            self.read_buffers.give_back(buf);
        } else if buf.len() <= MAX_REUSED_LINE_BUFFER {
            // Keep a streaming buffer for the next file, unless a long line grew it.
            self.line_buf = buf;
        }
        let extra = self.line_diagnostics[file_pos].saturating_sub(MAX_LINE_DIAGNOSTICS_PER_FILE);
        if extra > 0 {
            let path = self.path(file_pos).to_string();
            self.diagnostics.push(Diagnostic::file(
                path,
                Severity::Error,
                format!(
                    "{extra} more problems in this file not shown (`podsift sources` counts them)"
                ),
            ));
        }
    }
}

/// The message of a complete json-file line: `log` decoded, its newline removed. Borrows the
/// input when the only escape is that newline (the common case).
fn json_message<'a>(log: JsonStr<'a>, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    let raw = log.raw;
    if !log.escaped {
        return raw;
    }
    if raw.len() >= 2 && memchr::memchr(b'\\', raw) == Some(raw.len() - 2) && raw.ends_with(b"\\n")
    {
        return &raw[..raw.len() - 2];
    }
    scratch.clear();
    log.decode_into(scratch);
    strip_newline(scratch);
    scratch
}

fn strip_newline(b: &mut Vec<u8>) {
    if b.last() == Some(&b'\n') {
        b.pop();
        if b.last() == Some(&b'\r') {
            b.pop();
        }
    }
}

/// Reads instance `instance` of `plan` into `sink`.
pub(super) fn read_instance<S: EntrySink>(
    set: &FileSet,
    plan: &Plan,
    instance: usize,
    filter: &dyn EntryFilter,
    sink: &mut S,
    progress: &Progress,
    read_buffers: &mut ReadBuffers,
) -> InstanceOutput {
    let inst = &plan.instances[instance];
    sink.begin_instance(instance, &inst.meta, set, &inst.files);
    let needs = sink.needs().union(filter.needs());
    let mut a = Assembler {
        set,
        files: &inst.files,
        meta: &inst.meta,
        instance,
        filter,
        sink,
        needs,
        payload: PayloadParser::default(),
        no_fields: FieldBuf::default(),
        pending: Default::default(),
        last_ts: None,
        stats: vec![FileStats::default(); inst.files.len()],
        line_diagnostics: vec![0; inst.files.len()],
        diagnostics: Vec::new(),
        scratch: Vec::new(),
        line_buf: Vec::new(),
        read_buffers,
        framing: inst.framing,
        reference_ts: plan.reference_ts,
        format: inst.format,
        forced: inst.forced,
        stream_format: [None; 3],
        stream_probes: [0; 3],
        defined: if inst.format.is_none() {
            defined::all()
        } else {
            Vec::new()
        },
        folds: Default::default(),
        section: None,
    };
    let mut framer = AnyFramer::new(
        inst.framing,
        inst.format.and_then(defined::get),
        inst.sections,
    );
    for file_pos in 0..inst.files.len() {
        if progress.cancelled() {
            break;
        }
        a.read_file(&mut framer, file_pos, progress);
    }
    framer.end(&mut a);
    // Partial lines whose end never came stay entries, flagged partial, in line order.
    let mut open: Vec<usize> = (0..3).filter(|&k| a.pending[k].active).collect();
    open.sort_by_key(|&k| (a.pending[k].file_pos, a.pending[k].line));
    for k in open {
        let (file_pos, line) = (a.pending[k].file_pos, a.pending[k].line);
        a.line_problem(
            file_pos,
            line,
            Severity::Warning,
            "partial line never completed: kept as a partial entry".into(),
        );
        a.emit_pending(k, true);
    }
    // Entries held for folding end with the instance.
    let mut held: Vec<usize> = (0..3).filter(|&k| a.folds[k].held).collect();
    held.sort_by_key(|&k| (a.folds[k].origin.file_pos, a.folds[k].origin.line));
    for k in held {
        a.flush_fold(k);
    }
    a.sink.end_instance();
    InstanceOutput {
        files: inst.files.iter().copied().zip(a.stats).collect(),
        diagnostics: a.diagnostics,
    }
}
