//! Lines into entries: reads each container instance of a [`Plan`], splits lines, undoes the
//! runtime framing, joins partial lines, detects the payload, and pushes each entry to a sink.
//!
//! Instances are read in parallel (rayon, natively; one after another in the browser). Each
//! instance gets its own sink from a factory, and the sinks come back in instance order, so
//! results never depend on thread scheduling. Sinks decide what is kept: the logs table builder
//! keeps everything, the stats aggregator keeps only counts (so memory stays flat however large
//! the input).

mod assemble;
pub mod lines;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::diag::Diagnostic;
use crate::formats::defined::EntryMeta;
use crate::formats::{EntryFormat, FieldBuf, Stream};
use crate::level::Level;
use crate::sources::plan::{ContainerMeta, Plan};
use crate::sources::{FileSet, ReadBuffers};

/// The longest physical line or joined entry kept; longer ones are cut, with a warning.
pub(crate) const MAX_ENTRY_BYTES: usize = 16 * 1024 * 1024;

/// One log entry, as handed to a sink. Borrowed: copy what you keep.
#[derive(Debug)]
pub struct Entry<'a> {
    /// Index of the instance in [`Plan::instances`].
    pub instance: usize,
    /// Index in the [`FileSet`] of the file holding the entry's first line.
    pub file: usize,
    /// 1-based number of the entry's first line in that file.
    pub line: u64,
    /// The runtime's timestamp (nanoseconds, UTC). An unparsed line or a json-file line without
    /// a valid time takes the time of the entry before it in the same instance.
    pub ts_nanos: Option<i64>,
    /// The stream, when the framing gives one.
    pub stream: Option<Stream>,
    /// The message: the payload after the framing, partial lines joined, trailing newline
    /// removed. For unparsed lines, the whole line. Not always valid UTF-8.
    pub message: &'a [u8],
    /// The payload's format.
    pub format: EntryFormat,
    /// The normalized level.
    pub level: Level,
    /// The level as written (empty: none).
    pub level_raw: &'a str,
    /// The application's own timestamp.
    pub app_ts_nanos: Option<i64>,
    /// Structured fields (empty unless a sink or filter asked for them).
    pub fields: &'a FieldBuf,
    /// Physical lines joined into this entry after its first.
    pub joined: u32,
    /// A partial line whose end never came (the input stops before the `F` line).
    pub partial: bool,
    /// The message was cut at [`MAX_ENTRY_BYTES`].
    pub truncated: bool,
    /// Metadata the entry carries itself (a journald unit, a syslog program, a `kubectl logs
    /// --prefix` pod and container); its non-empty parts override the instance's.
    pub meta: Option<&'a EntryMeta>,
}

impl Entry<'_> {
    /// The entry's component, pod, container or namespace: its own, else the instance's.
    pub fn component<'m>(&'m self, instance: &'m ContainerMeta) -> Option<&'m str> {
        pick(self.meta.map(|m| m.component.as_str()), &instance.component)
    }

    /// See [`Entry::component`].
    pub fn namespace<'m>(&'m self, instance: &'m ContainerMeta) -> Option<&'m str> {
        pick(self.meta.map(|m| m.namespace.as_str()), &instance.namespace)
    }

    /// See [`Entry::component`].
    pub fn pod<'m>(&'m self, instance: &'m ContainerMeta) -> Option<&'m str> {
        pick(self.meta.map(|m| m.pod.as_str()), &instance.pod)
    }

    /// See [`Entry::component`].
    pub fn container<'m>(&'m self, instance: &'m ContainerMeta) -> Option<&'m str> {
        pick(self.meta.map(|m| m.container.as_str()), &instance.container)
    }
}

fn pick<'m>(own: Option<&'m str>, instance: &'m Option<String>) -> Option<&'m str> {
    match own {
        Some(s) if !s.is_empty() => Some(s),
        _ => instance.as_deref(),
    }
}

/// What a sink or filter needs from the parser; what nobody needs is not computed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// Payload detection: level, raw level, format.
    pub payload: bool,
    /// The application's own timestamp (implies `payload`).
    pub app_ts: bool,
    /// Structured fields (implies `payload`).
    pub fields: bool,
    /// Per-file accounting of entry formats and invalid UTF-8 (implies `payload`): the
    /// `formats` and `invalid_utf8` columns of `sources`.
    pub accounting: bool,
}

impl Needs {
    /// Everything.
    pub const ALL: Needs = Needs {
        payload: true,
        app_ts: true,
        fields: true,
        accounting: true,
    };

    /// What either needs.
    pub fn union(self, other: Needs) -> Needs {
        let app_ts = self.app_ts || other.app_ts;
        let fields = self.fields || other.fields;
        let accounting = self.accounting || other.accounting;
        Needs {
            payload: self.payload || other.payload || app_ts || fields || accounting,
            app_ts,
            fields,
            accounting,
        }
    }
}

/// Receives the entries of one instance.
pub trait EntrySink: Send {
    /// What this sink reads from entries.
    fn needs(&self) -> Needs;
    /// Called once, before the instance's entries, with the instance's files (indices into
    /// `set`) in read order.
    fn begin_instance(
        &mut self,
        instance: usize,
        meta: &ContainerMeta,
        set: &FileSet,
        files: &[usize],
    );
    /// One entry that passed the filter.
    fn entry(&mut self, entry: &Entry<'_>);
    /// Called once, after the instance's last entry.
    fn end_instance(&mut self) {}
}

/// Decides which instances are read and which entries reach the sink.
pub trait EntryFilter: Sync {
    /// What the filter reads from entries.
    fn needs(&self) -> Needs;
    /// Whether any entry of an instance with this metadata can pass (else it is not read).
    fn instance(&self, meta: &ContainerMeta) -> bool;
    /// Whether an entry passes.
    fn entry(&self, meta: &ContainerMeta, entry: &Entry<'_>) -> bool;
}

/// A filter that lets everything through.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFilter;

impl EntryFilter for NoFilter {
    fn needs(&self) -> Needs {
        Needs::default()
    }
    fn instance(&self, _: &ContainerMeta) -> bool {
        true
    }
    fn entry(&self, _: &ContainerMeta, _: &Entry<'_>) -> bool {
        true
    }
}

/// What happened to one file while reading it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileStats {
    /// The file was read (its instance was not filtered out).
    pub read: bool,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Physical lines.
    pub lines: u64,
    /// Entries whose first line is in this file (unparsed lines included).
    pub entries: u64,
    /// Lines of this file joined into an entry as a continuation (`lines = entries + joined`).
    pub joined: u64,
    /// Lines that did not parse as the runtime's framing, kept as `unparsed` entries.
    pub unparsed: u64,
    /// Problems other than unparsed lines (read errors, bad times, cut lines).
    pub errors: u64,
    /// Entries whose text is not valid UTF-8 (kept with U+FFFD in place of the bad bytes);
    /// counted when entries are parsed (not by `stats` on metadata alone).
    pub invalid_utf8: u64,
    /// Entries per format, when entries are parsed: (format, count), most seen first after
    /// [`FileStats::formats_sorted`].
    pub formats: Vec<(crate::formats::EntryFormat, u64)>,
    /// Entries without a time (none in their line, none before them in the file).
    pub untimed: u64,
    /// Earliest entry time.
    pub first_ts: Option<i64>,
    /// Latest entry time.
    pub last_ts: Option<i64>,
    /// For a metrics file: its format as read (`openmetrics`, `prometheus-text`, ...), shown in
    /// the `formats` column of `sources` with the sample count (`entries`).
    pub metrics_format: Option<&'static str>,
    /// For a metrics file: where the time of samples without one came from.
    pub time_note: Option<String>,
}

/// Progress of an ingest, shared with a front end's progress bar; also how to cancel it.
#[derive(Debug, Default)]
pub struct Progress {
    /// Stored bytes of the files to read.
    pub bytes_total: AtomicU64,
    /// Stored bytes read so far.
    pub bytes_done: AtomicU64,
    /// Set to stop reading; instances not yet started are skipped.
    pub cancel: AtomicBool,
}

impl Progress {
    /// Whether the ingest was asked to stop.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// The result of [`ingest`] besides the sinks.
#[derive(Debug, Default)]
pub struct Accounting {
    /// One per file of the set, same order.
    pub files: Vec<FileStats>,
    /// Problems, in instance order then line order.
    pub diagnostics: Vec<Diagnostic>,
    /// The ingest was cancelled before the end.
    pub cancelled: bool,
}

impl FileStats {
    /// The formats, most entries first (ties by format id).
    pub(crate) fn formats_sorted(&self) -> Vec<(crate::formats::EntryFormat, u64)> {
        let mut v = self.formats.clone();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }
}

impl Accounting {
    /// Lines kept as `unparsed`.
    pub fn unparsed_lines(&self) -> u64 {
        self.files.iter().map(|f| f.unparsed).sum()
    }
}

/// The instances `filter` lets through; their stored bytes are added to `progress`'s total.
fn selected_instances(
    set: &FileSet,
    plan: &Plan,
    filter: &dyn EntryFilter,
    progress: &Progress,
) -> Vec<usize> {
    let selected: Vec<usize> = (0..plan.instances.len())
        .filter(|&i| filter.instance(&plan.instances[i].meta))
        .collect();
    let total: u64 = selected
        .iter()
        .flat_map(|&i| &plan.instances[i].files)
        .map(|&f| set.entries()[f].size)
        .sum();
    progress.bytes_total.fetch_add(total, Ordering::Relaxed);
    selected
}

/// Reads every instance of `plan` that `filter` lets through, one sink per instance (returned
/// in instance order; filtered-out instances get none).
pub fn ingest<S, F>(
    set: &FileSet,
    plan: &Plan,
    filter: &dyn EntryFilter,
    make_sink: F,
    progress: &Progress,
) -> (Vec<S>, Accounting)
where
    S: EntrySink,
    F: Fn() -> S + Sync,
{
    let selected = selected_instances(set, plan, filter, progress);
    set.start_pass();

    // Read buffers go back to a pool after each instance, for the next one on any thread.
    let pool = std::sync::Mutex::new(Vec::<ReadBuffers>::new());
    let read_one = |&i: &usize| {
        let mut sink = make_sink();
        let mut buffers = pool
            .lock()
            .map(|mut p| p.pop().unwrap_or_default())
            .unwrap_or_default();
        let out = assemble::read_instance(set, plan, i, filter, &mut sink, progress, &mut buffers);
        if let Ok(mut p) = pool.lock() {
            p.push(buffers);
        }
        (i, sink, out)
    };
    #[cfg(not(target_arch = "wasm32"))]
    let results: Vec<_> = {
        use rayon::prelude::*;
        // Members of a compressed tar read as a stream (one too big to hold) are read in the
        // archive's order, a few instances at a time in parallel, so that the archive is
        // decompressed once and holds only the members of those few; the rest, largest first,
        // one instance per task, so no thread is left with a big one at the end.
        let in_stream = |i: usize| {
            plan.instances[i]
                .files
                .iter()
                .filter_map(|&f| set.stream_position(f))
                .max()
        };
        let (mut streamed, mut order): (Vec<usize>, Vec<usize>) =
            selected.iter().partition(|&&i| in_stream(i).is_some());
        set.expect_reads(
            streamed
                .iter()
                .flat_map(|&i| plan.instances[i].files.clone()),
        );
        streamed.sort_by_key(|&i| in_stream(i));
        order.sort_by_key(|&i| {
            let bytes: u64 = plan.instances[i]
                .files
                .iter()
                .map(|&f| set.entries()[f].size)
                .sum();
            std::cmp::Reverse(bytes)
        });
        let window = 2 * rayon::current_num_threads().max(1);
        let (mut results, in_order) = rayon::join(
            || {
                order
                    .par_iter()
                    .with_max_len(1)
                    .map(read_one)
                    .collect::<Vec<_>>()
            },
            || {
                let mut out = Vec::with_capacity(streamed.len());
                for w in streamed.chunks(window) {
                    out.extend(
                        w.par_iter()
                            .with_max_len(1)
                            .map(read_one)
                            .collect::<Vec<_>>(),
                    );
                }
                out
            },
        );
        results.extend(in_order);
        results.sort_unstable_by_key(|r| r.0);
        results
    };
    #[cfg(target_arch = "wasm32")]
    let results: Vec<_> = selected.iter().map(read_one).collect();

    let mut report = Accounting {
        files: vec![FileStats::default(); set.entries().len()],
        diagnostics: Vec::new(),
        cancelled: progress.cancelled(),
    };
    let mut sinks = Vec::with_capacity(results.len());
    for (_, sink, out) in results {
        report.absorb(out);
        sinks.push(sink);
    }
    (sinks, report)
}

impl Accounting {
    fn absorb(&mut self, out: assemble::InstanceOutput) {
        for (file, stats) in out.files {
            self.files[file] = stats;
        }
        self.diagnostics.extend(out.diagnostics);
    }
}

/// [`ingest`] a few instances at a time, on the caller's thread: for a front end that must
/// not block (the browser viewer, which has one thread and must keep drawing), which calls
/// [`Stepwise::step`] once a frame. Gives the same sinks and report as `ingest`, in instance
/// order.
#[derive(Debug)]
pub(crate) struct Stepwise<S> {
    selected: Vec<usize>,
    next: usize,
    /// Sinks and what their read found, by instance.
    read: Vec<(usize, S, assemble::InstanceOutput)>,
    report: Accounting,
    buffers: ReadBuffers,
}

impl<S: EntrySink> Stepwise<S> {
    /// Ready to read the instances of `plan` that `filter` lets through; adds their bytes to
    /// `progress`'s total.
    ///
    /// Instances are read in the order their files are in a streamed archive (see
    /// [`FileSet::start_opening`]), which is told which files will be read, so that it is
    /// decompressed once; the sinks still come out in instance order.
    pub(crate) fn new(
        set: &FileSet,
        plan: &Plan,
        filter: &dyn EntryFilter,
        progress: &Progress,
    ) -> Self {
        let mut selected = selected_instances(set, plan, filter, progress);
        set.start_pass();
        set.expect_reads(
            selected
                .iter()
                .flat_map(|&i| plan.instances[i].files.clone()),
        );
        selected.sort_by_key(|&i| {
            plan.instances[i]
                .files
                .iter()
                .filter_map(|&f| set.stream_position(f))
                .max()
        });
        Stepwise {
            selected,
            next: 0,
            read: Vec::new(),
            report: Accounting {
                files: vec![FileStats::default(); set.entries().len()],
                diagnostics: Vec::new(),
                cancelled: false,
            },
            buffers: ReadBuffers::default(),
        }
    }

    /// Reads instances until about `budget_bytes` of stored bytes were read (at least one
    /// instance, however large); says whether every instance has been read.
    pub(crate) fn step(
        &mut self,
        set: &FileSet,
        plan: &Plan,
        filter: &dyn EntryFilter,
        make_sink: impl Fn() -> S,
        progress: &Progress,
        budget_bytes: u64,
    ) -> bool {
        let mut spent = 0u64;
        while let Some(&i) = self.selected.get(self.next) {
            if spent >= budget_bytes.max(1) || progress.cancelled() {
                break;
            }
            self.next += 1;
            spent += plan.instances[i]
                .files
                .iter()
                .map(|&f| set.entries()[f].size)
                .sum::<u64>()
                .max(1);
            let mut sink = make_sink();
            let out = assemble::read_instance(
                set,
                plan,
                i,
                filter,
                &mut sink,
                progress,
                &mut self.buffers,
            );
            self.read.push((i, sink, out));
        }
        self.done()
    }

    /// Reads no more instances: the rest are left unread (their files' `read` stays false),
    /// each of their files gets a diagnostic saying `why`; returns those files.
    pub(crate) fn stop(&mut self, set: &FileSet, plan: &Plan, why: &str) -> Vec<usize> {
        let mut unread = Vec::new();
        for &i in &self.selected[self.next.min(self.selected.len())..] {
            for &f in &plan.instances[i].files {
                self.report.diagnostics.push(Diagnostic::file(
                    &set.entries()[f].path,
                    crate::diag::Severity::Error,
                    format!("not read: {why}"),
                ));
                unread.push(f);
            }
        }
        self.next = self.selected.len();
        unread
    }

    /// Whether every instance has been read.
    pub(crate) fn done(&self) -> bool {
        self.next >= self.selected.len()
    }

    /// The sinks (in instance order) and the report.
    pub(crate) fn finish(mut self, progress: &Progress) -> (Vec<S>, Accounting) {
        self.report.cancelled = progress.cancelled();
        self.read.sort_by_key(|r| r.0);
        let mut sinks = Vec::with_capacity(self.read.len());
        for (_, sink, out) in self.read {
            self.report.absorb(out);
            sinks.push(sink);
        }
        (sinks, self.report)
    }
}
