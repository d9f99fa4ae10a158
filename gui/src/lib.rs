//! podsift's egui app, shared by the desktop binary and the browser viewer (podsift-wasm).
//!
//! Opening a bundle (folders and archives from the command line, the file dialog, drag and
//! drop, the recent list, or files dropped on the browser viewer) reads it into a `logs` table
//! and the metrics store in the background, with a progress bar and a cancel button; then the
//! Discover view ([`discover::Discover`]) and the metrics view ([`metrics::MetricsView`]) show
//! it, on one time range. What the views compute is podsift-core's (`query::discover`,
//! `query::search`, `query::chart`, `export`); this crate keeps state and draws.

pub mod discover;
#[cfg(not(target_arch = "wasm32"))]
pub mod files;
pub mod metrics;
pub mod settings;

use std::sync::Arc;
use std::sync::mpsc;

use eframe::egui;
use podsift_core::ingest::Progress;
use podsift_core::query::discover::LiveCounts;
use podsift_core::table::LogTable;
use podsift_core::table::metrics::{MetricsOptions, MetricsStore};
use podsift_core::{Bundle, OpenOptions, Phase, ReadOptions, Steps, Tables};

pub use podsift_core::export::ExportFormat;
pub use settings::Settings;

/// Rows "Copy as text" puts on the clipboard at most.
pub const COPY_ROWS: usize = 100_000;

/// Rows an export takes out of the table at a time (a packed table's text is unpacked for
/// them, written, and dropped).
const EXPORT_ROWS: usize = 64 * 1024;

/// A bundle read into a table.
#[derive(Debug)]
pub struct Loaded {
    /// What was opened, as shown.
    pub name: String,
    /// Files found.
    pub files: usize,
    /// Files not read, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Lines that were not entries of any format (kept as `unparsed` entries).
    pub unparsed: u64,
    /// The entries, in time order (packed in the browser).
    pub logs: LogTable,
    /// The other tables (`audit`, `events`, `pods`; `logs` and the metrics are apart) and
    /// what was read from each file.
    pub tables: Tables,
}

/// What a read gives: the bundle, and the metrics files' series and samples (which go to the
/// metrics view).
pub type Read = (Loaded, MetricsStore);

/// Loading state.
#[derive(Debug, Default)]
enum Load {
    #[default]
    Empty,
    Loading {
        name: String,
        progress: Arc<Progress>,
        live: Arc<LiveCounts>,
        work: Work,
    },
    Ready {
        loaded: Box<Loaded>,
        view: Box<discover::Discover>,
        metrics: Box<metrics::MetricsView>,
    },
    Failed(String),
}

/// How a bundle is being read.
#[derive(Debug)]
enum Work {
    /// On a thread (the desktop app); the result comes through the channel.
    #[cfg_attr(target_arch = "wasm32", expect(dead_code))]
    Thread(mpsc::Receiver<Result<Read, String>>),
    /// A step each frame on the UI thread (the browser viewer, which has one thread).
    Steps(Box<StepsWork>),
}

/// A read done a step at a time ([`podsift_core::bundle::Steps`]), about [`FRAME_BUDGET`] of
/// it each frame.
#[derive(Debug)]
struct StepsWork {
    /// A frame was drawn (the first step waits for one, so the page says what it does before
    /// the archives are opened).
    drawn: bool,
    steps: Steps,
}

/// What a read ends with: the bundle, and the Discover view's index when the read built it.
type ReadDone = (Read, Option<podsift_core::query::discover::LogIndex>);

/// In the browser, a read takes no more instances once the page's memory passes this:
/// building the table from the entries read needs room for about half as much again (3.5 GB
/// measured after stopping at 2.3 GB on a 198 MB bundle), and a page has 4 GiB in all. What
/// is left is listed as skipped, with why.
pub const READ_MEMORY_BUDGET: u64 = 2048 << 20;

/// The page's WebAssembly memory in bytes (natively: 0, no budget applies).
pub fn page_memory() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        core::arch::wasm32::memory_size(0) as u64 * 65536
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// Time a frame spends on a step-by-step read (listing archives, reading, putting the table
/// in time order): the page still draws a dozen frames a second.
pub const FRAME_BUDGET: std::time::Duration = std::time::Duration::from_millis(60);

/// The app's views of a loaded bundle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    /// Log entries: histogram, query, table.
    #[default]
    Discover,
    /// Metrics: series picker and charts.
    Metrics,
}

/// What [`PodsiftApp::status`] says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Nothing opened.
    Empty,
    /// Reading.
    Loading {
        /// Archives are being opened (listed) and the read planned; no entry is read yet.
        opening: bool,
        /// Everything is read; the entries are being put in time order and indexed.
        sorting: bool,
        /// Stored bytes read (while opening: of the archives listed; while sorting: entries
        /// handled, each a dozen times or so).
        bytes_done: u64,
        /// Stored bytes to read (while sorting: the entries' handlings in all).
        bytes_total: u64,
        /// Entries read so far: what the histogram shows while reading.
        entries: u64,
    },
    /// Loaded.
    Ready {
        /// Entries read.
        entries: usize,
        /// Entries the Discover view shows (query, chips and range applied).
        shown: usize,
        /// Metric series read.
        series: usize,
        /// Files skipped (not logs, unreadable, or left unread), each listed with why.
        skipped: usize,
        /// Why the query did not parse, if it did not.
        error: Option<String>,
    },
    /// The read failed.
    Failed(String),
}

impl Status {
    /// As a JSON object (`{"state":"ready","entries":...}`), for JavaScript.
    pub fn to_json(&self) -> String {
        let v = match self {
            Status::Empty => serde_json::json!({"state": "empty"}),
            Status::Loading {
                opening,
                sorting,
                bytes_done,
                bytes_total,
                entries,
            } => serde_json::json!({
                "state": "loading",
                "opening": opening,
                "sorting": sorting,
                "bytes_done": bytes_done,
                "bytes_total": bytes_total,
                "entries": entries,
            }),
            Status::Ready {
                entries,
                shown,
                series,
                skipped,
                error,
            } => serde_json::json!({
                "state": "ready",
                "entries": entries,
                "shown": shown,
                "series": series,
                "skipped": skipped,
                "error": error,
            }),
            Status::Failed(e) => serde_json::json!({"state": "failed", "error": e}),
        };
        v.to_string()
    }
}

/// A file the app hands to its shell to save (the browser viewer downloads it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    /// File name.
    pub name: String,
    /// Media type.
    pub media_type: &'static str,
    /// Entries in it.
    pub rows: usize,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// The app.
#[derive(Debug, Default)]
pub struct PodsiftApp {
    load: Load,
    /// What is remembered between runs.
    pub settings: Settings,
    /// A query to run once the bundle is loaded (`podsift-gui --query`).
    pub initial_query: Option<String>,
    /// Series searches to chart once the bundle is loaded (`podsift-gui --chart`): the first
    /// ten series each finds.
    pub initial_charts: Vec<String>,
    /// The view shown.
    pub tab: Tab,
    /// What the last export or copy did, or why it failed.
    pub notice: Option<String>,
    /// Files exported in the browser, for its shell to download (the desktop app writes them).
    pub downloads: Vec<Download>,
    /// Whether the remembered theme was applied.
    theme_applied: bool,
    /// The context of the last frame: files handed over between frames (the browser's) ask
    /// it for the next one.
    ctx: Option<egui::Context>,
    #[cfg(not(target_arch = "wasm32"))]
    dialog: Option<(files::FileDialog, Option<ExportFormat>)>,
    /// How much memory the page uses, for [`READ_MEMORY_BUDGET`] (a test sets its own).
    pub memory_probe: MemoryProbe,
}

/// Tells the memory in use: [`page_memory`] unless a test says otherwise.
#[derive(Clone, Copy)]
pub struct MemoryProbe(pub fn() -> u64);

impl Default for MemoryProbe {
    fn default() -> Self {
        MemoryProbe(page_memory)
    }
}

impl std::fmt::Debug for MemoryProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryProbe")
    }
}

/// Gives memory the allocator holds but no longer uses back to the system. A read peaks at
/// about twice the table (per-instance frames, then the sorted table) and glibc keeps the
/// freed peak in its per-thread arenas; trimming them after the read is what makes the app's
/// resident memory the table's size rather than the peak's. A no-op elsewhere.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only returns free pages of glibc's heaps to the kernel; it takes no
    // pointers and is safe to call at any time from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Reads a bundle's tables with podsift-core (`progress` may cancel it). Entries are counted
/// per minute and level into `live` as they are read.
pub fn read_bundle(
    name: &str,
    bundle: &Bundle,
    progress: &Progress,
    live: &Arc<LiveCounts>,
) -> Result<Read, String> {
    let options = ReadOptions {
        live: Some(live.clone()),
        ..ReadOptions::default()
    };
    let mut tables = bundle.read(&options, progress).map_err(|e| e.to_string())?;
    if progress.cancelled() {
        return Err("cancelled".into());
    }
    let metrics = std::mem::take(&mut tables.metrics);
    let logs = LogTable::Frame(std::mem::take(&mut tables.logs));
    Ok((
        Loaded {
            name: name.to_string(),
            files: bundle.set().entries().len(),
            skipped: bundle.skipped_files(),
            unparsed: tables.accounting.unparsed_lines(),
            logs,
            tables,
        },
        metrics,
    ))
}

impl PodsiftApp {
    /// Starts loading files and folders from disk in the background.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_paths(&mut self, paths: Vec<std::path::PathBuf>) {
        let name = paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        self.settings.remember(&name);
        let progress = Arc::new(Progress::default());
        let (tx, rx) = mpsc::channel();
        let p = progress.clone();
        let live = Arc::new(LiveCounts::default());
        let l = live.clone();
        let n = name.clone();
        std::thread::spawn(move || {
            let result = Bundle::open_paths(&paths, &OpenOptions::default())
                .map_err(|e| e.to_string())
                .and_then(|bundle| read_bundle(&n, &bundle, &p, &l));
            // The archives' members and the read's buffers went with the bundle.
            release_free_memory();
            let _ = tx.send(result);
        });
        self.load = Load::Loading {
            name,
            progress,
            live,
            work: Work::Thread(rx),
        };
    }

    /// Loads files handed over as bytes (files opened in or dropped on the browser viewer)
    /// on this thread, a step each frame (see [`FRAME_BUDGET`]), so that the page keeps drawing
    /// the progress bar and the histogram of what was read so far.
    pub fn open_bytes(&mut self, files: Vec<(String, Vec<u8>)>) {
        let name = match files.as_slice() {
            [] => String::new(),
            [(one, _)] => one.clone(),
            [(first, _), rest @ ..] => format!("{first} and {} more", rest.len()),
        };
        let mut set = podsift_core::sources::FileSet::new();
        for (name, bytes) in files {
            set.add_bytes(name, bytes);
        }
        let live: Arc<LiveCounts> = Arc::default();
        // The step-by-step read is the browser's: its text is packed to fit the page.
        let steps = Steps::new(
            set,
            OpenOptions::default(),
            MetricsOptions::default(),
            live.clone(),
            true,
        );
        self.repaint();
        self.load = Load::Loading {
            name,
            progress: Arc::default(),
            live,
            work: Work::Steps(Box::new(StepsWork {
                drawn: false,
                steps,
            })),
        };
    }

    /// Opens the sample bundle shipped with podsift, as files handed over as bytes.
    pub fn open_sample(&mut self) {
        let files = sample::SAMPLE
            .iter()
            .map(|(path, bytes)| ((*path).to_string(), bytes.to_vec()))
            .collect();
        self.open_bytes(files);
        if let Load::Loading { name, .. } = &mut self.load {
            *name = "the sample bundle".into();
        }
    }

    /// One step of a step-by-step read; the loaded bundle (or why it failed) once it is done.
    fn step(
        work: &mut StepsWork,
        name: &str,
        progress: &Arc<Progress>,
        memory: MemoryProbe,
    ) -> Option<Result<ReadDone, String>> {
        if !std::mem::replace(&mut work.drawn, true) {
            return None;
        }
        if work.steps.phase() == Phase::Reading {
            let used = (memory.0)();
            if used > READ_MEMORY_BUDGET {
                work.steps.stop(&format!(
                    "the page's memory is full ({} MB in use; a web page has 4 GiB): open the \
                     bundle in podsift-gui or with the podsift CLI to read it all",
                    used >> 20
                ));
            }
        }
        let start = web_time::Instant::now();
        let done = work
            .steps
            .step(progress, &|| start.elapsed() >= FRAME_BUDGET)?;
        Some(done.map_err(|e| e.to_string()).map(|done| {
            let mut tables = done.tables;
            let metrics = std::mem::take(&mut tables.metrics);
            let loaded = Loaded {
                name: name.to_string(),
                files: done.files,
                skipped: done.skipped,
                unparsed: tables.accounting.unparsed_lines(),
                logs: done.logs,
                tables,
            };
            ((loaded, metrics), Some(done.index))
        }))
    }

    fn finish(&mut self, result: Result<ReadDone, String>) {
        self.load = match result.and_then(|((loaded, store), index)| {
            let mut view = match index {
                Some(index) => discover::Discover::with_index(loaded.logs.clone(), index),
                None => discover::Discover::new(loaded.logs.clone())?,
            };
            if let Some(columns) = &self.settings.columns {
                view.show_columns(columns);
            }
            view.wrap = self.settings.wrap;
            let metrics = metrics::MetricsView::new(store);
            Ok((loaded, view, metrics))
        }) {
            Ok((loaded, mut view, mut metrics)) => {
                if let Some(q) = self.initial_query.take() {
                    view.query = q;
                    view.apply();
                }
                for search in std::mem::take(&mut self.initial_charts) {
                    metrics.search = search;
                    metrics.apply();
                    for id in metrics.found.clone().into_iter().take(10) {
                        if !metrics.picked.contains(&id) {
                            metrics.toggle(id);
                        }
                    }
                }
                metrics.search.clear();
                metrics.apply();
                // A bundle of metrics only opens on its charts.
                if loaded.logs.height() == 0 && !metrics.store.is_empty() {
                    self.tab = Tab::Metrics;
                }
                Load::Ready {
                    loaded: Box::new(loaded),
                    view: Box::new(view),
                    metrics: Box::new(metrics),
                }
            }
            Err(e) => Load::Failed(e),
        };
    }

    /// An app with remembered settings (eframe's storage, when there is one).
    pub fn new(storage: Option<&dyn eframe::Storage>) -> PodsiftApp {
        PodsiftApp {
            settings: Settings::load(storage),
            ..PodsiftApp::default()
        }
    }

    /// What the app is doing, for a shell or a test to read: `empty`, `loading` (with the
    /// stored bytes read and to read), `ready` (with the entries, the entries the Discover
    /// view shows and the series), or `failed` (with why).
    pub fn status(&self) -> Status {
        use std::sync::atomic::Ordering;
        match &self.load {
            Load::Empty => Status::Empty,
            Load::Loading {
                progress,
                live,
                work,
                ..
            } => Status::Loading {
                opening: matches!(work, Work::Steps(s) if s.steps.phase() == Phase::Opening),
                sorting: matches!(work, Work::Steps(s) if s.steps.phase() == Phase::Sorting),
                bytes_done: progress.bytes_done.load(Ordering::Relaxed),
                bytes_total: progress.bytes_total.load(Ordering::Relaxed),
                entries: live.total(),
            },
            Load::Ready {
                loaded,
                view,
                metrics,
            } => Status::Ready {
                entries: loaded.logs.height(),
                shown: view.rows().len(),
                series: metrics.index.series.len(),
                skipped: loaded.skipped.len(),
                error: view.error.clone(),
            },
            Load::Failed(e) => Status::Failed(e.clone()),
        }
    }

    /// Asks for a frame (after a change made between frames, as a shell's call is).
    pub fn repaint(&self) {
        if let Some(ctx) = &self.ctx {
            ctx.request_repaint();
        }
    }

    /// The loaded bundle.
    pub fn loaded(&self) -> Option<&Loaded> {
        match &self.load {
            Load::Ready { loaded, .. } => Some(loaded),
            _ => None,
        }
    }

    /// The metrics view, once a bundle is loaded.
    pub fn metrics(&mut self) -> Option<&mut metrics::MetricsView> {
        match &mut self.load {
            Load::Ready { metrics, .. } => Some(metrics),
            _ => None,
        }
    }

    /// The entries the Discover view shows (query, chips and range applied), as a file of
    /// `format`, with a file name for it.
    pub fn export(&self, format: ExportFormat) -> Result<Download, String> {
        let Load::Ready { view, .. } = &self.load else {
            return Err("nothing is loaded".into());
        };
        let rows = view.rows();
        let bytes = format
            .write_frames(view.logs.chunks(rows, EXPORT_ROWS))
            .map_err(|e| e.to_string())?;
        Ok(Download {
            name: export_file_name(rows.len(), format),
            media_type: format.media_type(),
            rows: rows.len(),
            bytes,
        })
    }

    /// The entries the Discover view shows as stern-like text lines (time, pod, container,
    /// message), at most [`COPY_ROWS`]; and how many there were in all.
    pub fn shown_text(&self) -> Result<(String, usize), String> {
        let Load::Ready { view, .. } = &self.load else {
            return Err("nothing is loaded".into());
        };
        let rows = view.rows();
        let take = &rows[..rows.len().min(COPY_ROWS)];
        let df = view.logs.take(take).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        podsift_core::export::text::write_text(
            &df,
            &mut out,
            podsift_core::export::text::TextStyle {
                color: false,
                timestamps: true,
                // The clipboard gets the text as it was written.
                safe: false,
            },
        )
        .map_err(|e| e.to_string())?;
        Ok((String::from_utf8_lossy(&out).into_owned(), rows.len()))
    }

    /// Exports the shown entries to `path` (the desktop app's export).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn export_to(
        &mut self,
        format: ExportFormat,
        path: &std::path::Path,
    ) -> Result<(), String> {
        let d = self.export(format)?;
        std::fs::write(path, &d.bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        self.notice = Some(format!(
            "exported {} entries to {} ({} bytes)",
            d.rows,
            path.display(),
            d.bytes.len()
        ));
        Ok(())
    }

    /// Opens the file dialog (to open a bundle, or to save an export as `format`).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_dialog(&mut self, export: Option<ExportFormat>) {
        let start = self
            .settings
            .recent
            .first()
            .and_then(|r| r.split(", ").next())
            .map(std::path::PathBuf::from)
            .and_then(|p| {
                if p.is_dir() {
                    Some(p)
                } else {
                    p.parent().map(Into::into)
                }
            })
            .filter(|p| p.is_dir())
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_else(|| "/".into());
        let purpose = match export {
            Some(f) => {
                let rows = self.view().map_or(0, |v| v.rows().len());
                files::Purpose::Save(export_file_name(rows, f))
            }
            None => files::Purpose::Open,
        };
        self.dialog = Some((files::FileDialog::new(purpose, &start), export));
    }

    /// The file dialog, while it is open.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn dialog(&mut self) -> Option<&mut files::FileDialog> {
        self.dialog.as_mut().map(|(d, _)| d)
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn dialog_ui(&mut self, ctx: &egui::Context) {
        let Some((dialog, export)) = &mut self.dialog else {
            return;
        };
        let export = *export;
        match dialog.ui(ctx) {
            None => {}
            Some(files::Outcome::Cancelled) => self.dialog = None,
            Some(files::Outcome::Open(paths)) => {
                self.dialog = None;
                self.open_paths(paths);
            }
            Some(files::Outcome::Save(path)) => {
                self.dialog = None;
                if let Some(format) = export
                    && let Err(e) = self.export_to(format, &path)
                {
                    self.notice = Some(format!("export failed: {e}"));
                }
            }
        }
    }

    /// Export menu entry: the desktop app asks where, the browser downloads.
    pub fn start_export(&mut self, format: ExportFormat) {
        #[cfg(not(target_arch = "wasm32"))]
        self.open_dialog(Some(format));
        #[cfg(target_arch = "wasm32")]
        match self.export(format) {
            Ok(d) => {
                self.notice = Some(format!("downloading {} ({} bytes)", d.name, d.bytes.len()));
                self.downloads.push(d);
            }
            Err(e) => self.notice = Some(format!("export failed: {e}")),
        }
    }

    /// The Discover view, once a bundle is loaded.
    pub fn view(&mut self) -> Option<&mut discover::Discover> {
        match &mut self.load {
            Load::Ready { view, .. } => Some(view),
            _ => None,
        }
    }

    /// Whether a bundle is being read.
    pub fn loading(&self) -> bool {
        matches!(self.load, Load::Loading { .. })
    }

    /// Waits for the read to end (tests and scripted runs): for the background thread, or
    /// doing every step of a step-by-step read.
    pub fn wait(&mut self) {
        while let Load::Loading { .. } = &self.load {
            self.poll();
            if let Load::Loading {
                work: Work::Thread(done),
                ..
            } = &self.load
            {
                let result = done
                    .recv()
                    .unwrap_or_else(|_| Err("loading stopped".into()));
                self.finish(result.map(|read| (read, None)));
            }
        }
    }

    /// Takes files and folders dropped on the desktop app's window. (Browsers hand dropped files
    /// over asynchronously; the browser viewer's issue reads them.)
    #[cfg(not(target_arch = "wasm32"))]
    fn take_dropped(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input_mut(|i| std::mem::take(&mut i.raw.dropped_files));
        let paths: Vec<std::path::PathBuf> =
            dropped.iter().map(|f| f.path().to_path_buf()).collect();
        if !paths.is_empty() {
            self.open_paths(paths);
        }
    }

    fn poll(&mut self) {
        let Load::Loading {
            name,
            progress,
            work,
            ..
        } = &mut self.load
        else {
            return;
        };
        match work {
            Work::Thread(done) => match done.try_recv() {
                Ok(result) => self.finish(result.map(|read| (read, None))),
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.load = Load::Failed("loading stopped".into());
                }
            },
            Work::Steps(steps) => {
                if let Some(result) = Self::step(steps, name, progress, self.memory_probe) {
                    self.finish(result);
                }
            }
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("podsift");
            #[cfg(not(target_arch = "wasm32"))]
            if ui
                .button("Open")
                .on_hover_text("Folders, archives and log or metrics files")
                .clicked()
            {
                self.open_dialog(None);
            }
            #[cfg(not(target_arch = "wasm32"))]
            if !self.settings.recent.is_empty() {
                let mut open = None;
                ui.menu_button("Recent", |ui| {
                    for r in &self.settings.recent {
                        if ui.button(r).clicked() {
                            open = Some(r.clone());
                        }
                    }
                });
                if let Some(r) = open {
                    self.open_paths(r.split(", ").map(Into::into).collect());
                }
            }
            let mut export = None;
            let mut copy = false;
            if let Load::Ready {
                loaded, metrics, ..
            } = &self.load
            {
                ui.separator();
                ui.selectable_value(&mut self.tab, Tab::Discover, "Discover");
                ui.selectable_value(
                    &mut self.tab,
                    Tab::Metrics,
                    format!("Metrics ({} series)", metrics.index.series.len()),
                );
                ui.separator();
                ui.menu_button("Export", |ui| {
                    for f in ExportFormat::ALL {
                        if ui
                            .button(f.label())
                            .on_hover_text("The entries shown: query, filters and time range")
                            .clicked()
                        {
                            export = Some(f);
                        }
                    }
                    ui.separator();
                    if ui
                        .button("Copy as text")
                        .on_hover_text(format!("The entries shown as lines, at most {COPY_ROWS}"))
                        .clicked()
                    {
                        copy = true;
                    }
                });
                ui.label(format!(
                    "{}: {} files, {} skipped, {} entries, {} unparsed lines",
                    loaded.name,
                    loaded.files,
                    loaded.skipped.len(),
                    loaded.logs.height(),
                    loaded.unparsed
                ))
                .on_hover_ui(|ui| {
                    for (file, why) in loaded.skipped.iter().take(30) {
                        ui.label(format!("skipped {file}: {why}"));
                    }
                });
            }
            if let Some(f) = export {
                self.start_export(f);
            }
            if copy {
                match self.shown_text() {
                    Ok((text, all)) => {
                        let n = all.min(COPY_ROWS);
                        self.notice = Some(if n < all {
                            format!("copied the first {n} of {all} entries")
                        } else {
                            format!("copied {n} entries")
                        });
                        ui.ctx().copy_text(text);
                    }
                    Err(e) => self.notice = Some(format!("copy failed: {e}")),
                }
            }
            if let Some(n) = &self.notice {
                ui.weak(n);
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let dark = ui.visuals().dark_mode;
                if ui
                    .button(if dark { "Light" } else { "Dark" })
                    .on_hover_text("Theme")
                    .clicked()
                {
                    self.settings.dark = Some(!dark);
                    ui.ctx().set_theme(if dark {
                        egui::Theme::Light
                    } else {
                        egui::Theme::Dark
                    });
                }
            });
        });
    }

    /// Copies what the views hold into the settings (before they are saved).
    pub fn gather_settings(&mut self) {
        if let Load::Ready { view, .. } = &self.load {
            self.settings.columns = Some(view.shown_columns());
            self.settings.wrap = view.wrap;
        }
    }
}

impl eframe::App for PodsiftApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.gather_settings();
        self.settings.save(storage);
    }

    /// Lets the browser shell reach the app (`WebRunner::app_mut`).
    #[cfg(target_arch = "wasm32")]
    fn as_any_mut(&mut self) -> Option<&mut dyn std::any::Any> {
        Some(&mut *self)
    }
}

impl PodsiftApp {
    /// Draws the app in `ui` (what `eframe::App::ui` does; UI tests call it directly).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        if self.ctx.is_none() {
            self.ctx = Some(ui.ctx().clone());
        }
        if !self.theme_applied {
            self.theme_applied = true;
            if let Some(dark) = self.settings.dark {
                ui.ctx().set_theme(if dark {
                    egui::Theme::Dark
                } else {
                    egui::Theme::Light
                });
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.take_dropped(ui.ctx());
            self.dialog_ui(&ui.ctx().clone());
        }
        self.poll();
        egui::Panel::top("app").show(ui, |ui| self.top_bar(ui));
        let mut cancel = false;
        let mut open_sample = false;
        match &mut self.load {
            Load::Ready { view, metrics, .. } => match self.tab {
                Tab::Discover => view.ui(ui),
                Tab::Metrics => {
                    let extent = union(view.index.extent_all(), metrics.extent_nanos());
                    if let Some(range) = metrics.ui(ui, view.range, extent) {
                        view.set_range(range);
                    }
                }
            },
            other => {
                egui::CentralPanel::default().show(ui, |ui| match other {
                    Load::Empty => {
                        if welcome(ui) {
                            open_sample = true;
                        }
                    }
                    Load::Loading {
                        name,
                        progress,
                        live,
                        work,
                    } => {
                        use std::sync::atomic::Ordering;
                        let total = progress.bytes_total.load(Ordering::Relaxed).max(1) as f32;
                        let done = progress.bytes_done.load(Ordering::Relaxed) as f32;
                        ui.label(format!("Reading {name}"));
                        // Archives are listed by their stored bytes, files read by their bytes
                        // once unpacked.
                        let bar = egui::ProgressBar::new((done / total).min(1.0)).show_percentage();
                        ui.add(match work {
                            Work::Steps(s) if s.steps.phase() == Phase::Sorting => {
                                bar.text(format!(
                                    "{:.0}%: putting the entries in time order",
                                    done / total * 100.0
                                ))
                            }
                            Work::Steps(s) if s.steps.phase() == Phase::Opening => bar
                                .text(format!("{:.0} of {:.0} MB listed", done / 1e6, total / 1e6)),
                            _ => {
                                bar.text(format!("{:.0} of {:.0} MB read", done / 1e6, total / 1e6))
                            }
                        });
                        if ui.button("Cancel").clicked() {
                            progress.cancel.store(true, Ordering::Relaxed);
                            cancel = true;
                        }
                        if let Work::Steps(s) = work
                            && s.steps.phase() == Phase::Opening
                        {
                            ui.label(
                                "Listing the archives' members (a compressed tar is \
                                 decompressed once to list it and again to read it), then \
                                 planning the read...",
                            );
                        }
                        // Entries read so far, per minute and level.
                        if let Some(h) = live.histogram(120) {
                            let all =
                                matches!(work, Work::Steps(s) if s.steps.phase() == Phase::Sorting);
                            ui.label(format!(
                                "{} entries {}",
                                h.total(),
                                if all { "read" } else { "so far" }
                            ));
                            discover::paint_histogram(ui, &h);
                        }
                        match work {
                            // The next step is the next frame.
                            Work::Steps(_) => ui.ctx().request_repaint(),
                            Work::Thread(_) => ui
                                .ctx()
                                .request_repaint_after(std::time::Duration::from_millis(100)),
                        }
                    }
                    Load::Failed(e) => {
                        ui.colored_label(egui::Color32::RED, e.as_str());
                    }
                    Load::Ready { .. } => {}
                });
            }
        }
        if cancel {
            self.load = Load::Failed("cancelled".into());
        }
        if open_sample {
            self.open_sample();
        }
    }
}

/// The page shown before anything is opened: what the app takes, where to drop it, and a
/// button that opens the shipped sample bundle. True when that button was clicked.
fn welcome(ui: &mut egui::Ui) -> bool {
    let mut sample = false;
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.15);
        ui.heading("Kubernetes logs and metrics, copied off a cluster");
        ui.add_space(12.0);
        let frame = egui::Frame::new()
            .stroke(egui::Stroke::new(
                2.0,
                ui.visuals().widgets.inactive.fg_stroke.color,
            ))
            .corner_radius(8.0)
            .inner_margin(egui::Margin::same(24));
        frame.show(ui, |ui| {
            ui.set_max_width(560.0);
            ui.label(
                egui::RichText::new("Drop files or folders here")
                    .size(20.0)
                    .strong(),
            );
            ui.add_space(8.0);
            ui.label(
                "A node's /var/log (pods/, containers/, kubelet and journal logs), kind export \
                 logs, sonobuoy results, a support bundle or must-gather, as a folder or an \
                 archive (.tar.gz, .tar.zst, .zip, ...); kubectl logs output; Kubernetes \
                 Events, pod lists and audit logs; Prometheus scrapes and exports.",
            );
            ui.add_space(8.0);
            ui.label(if cfg!(target_arch = "wasm32") {
                "Or use Open files / Open folder above. Everything is read here, in this page: \
                 nothing is sent anywhere."
            } else {
                "Or use Open above, or start podsift-gui PATH... Everything is read on this \
                 machine."
            });
            ui.add_space(12.0);
            sample = ui
                .button(egui::RichText::new("Try the sample").size(16.0))
                .on_hover_text(
                    "A small bundle shipped with podsift: three nodes, nine pods, their \
                     restarts and Events, an audit log and a scrape",
                )
                .clicked();
        });
    });
    sample
}

/// The shipped sample bundle (`testdata/sample`), embedded by build.rs.
mod sample {
    include!(concat!(env!("OUT_DIR"), "/sample.rs"));
}

/// What an export of `rows` entries is called.
fn export_file_name(rows: usize, format: ExportFormat) -> String {
    format!("podsift-{rows}-entries.{}", format.extension())
}

/// The span covering both.
fn union(a: Option<(i64, i64)>, b: Option<(i64, i64)>) -> Option<(i64, i64)> {
    match (a, b) {
        (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
        (x, None) | (None, x) => x,
    }
}
