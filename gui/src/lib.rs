//! podsift's egui app, shared by the desktop binary and the browser viewer (podsift-wasm).
//!
//! For now it shows what a bundle holds: files read and skipped, and entries per container and
//! level, computed by podsift-core's stats. The Discover and metrics views come with their own
//! issues; everything they need beyond drawing belongs in podsift-core.

use std::sync::Arc;
use std::sync::mpsc;

use eframe::egui;
use podsift_core::ingest::Progress;
use polars::prelude::DataFrame;

/// What a loaded bundle holds, ready to draw.
#[derive(Debug)]
pub struct Summary {
    /// Files found.
    pub files: usize,
    /// Files not read, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Entries by namespace, pod, container and level.
    pub stats: DataFrame,
}

/// Loading state.
#[derive(Debug, Default)]
enum Load {
    #[default]
    Empty,
    /// Only the desktop app loads in the background so far; the browser viewer reads dropped
    /// files on the UI thread until its own issue moves that into chunks.
    #[cfg_attr(target_arch = "wasm32", expect(dead_code))]
    Loading {
        progress: Arc<Progress>,
        done: mpsc::Receiver<Result<Summary, String>>,
    },
    Ready(Summary),
    Failed(String),
}

/// The app.
#[derive(Debug, Default)]
pub struct PodsiftApp {
    load: Load,
}

/// Reads a file set into a [`Summary`] with podsift-core.
pub fn summarize(
    set: &podsift_core::sources::FileSet,
    progress: &Progress,
) -> Result<Summary, String> {
    use podsift_core::ingest::{NoFilter, ingest};
    use podsift_core::query::stats::{GroupKey, StatsSink, StatsSpec, stats_frame};
    use podsift_core::sources::plan::{FileStatus, PlanOptions, plan};
    let plan = plan(set, &PlanOptions::default());
    let spec = Arc::new(StatsSpec {
        by: vec![
            GroupKey::Namespace,
            GroupKey::Pod,
            GroupKey::Container,
            GroupKey::Level,
        ],
        every_nanos: None,
    });
    let (sinks, _) = ingest(
        set,
        &plan,
        &NoFilter,
        || StatsSink::new(spec.clone()),
        progress,
    );
    let stats = stats_frame(&spec, sinks).map_err(|e| e.to_string())?;
    let skipped = plan
        .files
        .iter()
        .zip(set.entries())
        .filter_map(|(f, e)| match &f.status {
            FileStatus::Skipped(why) => Some((e.path.clone(), why.clone())),
            _ => None,
        })
        .collect();
    Ok(Summary {
        files: set.entries().len(),
        skipped,
        stats,
    })
}

impl PodsiftApp {
    /// Starts loading files and folders from disk in the background.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_paths(&mut self, paths: Vec<std::path::PathBuf>) {
        let progress = Arc::new(Progress::default());
        let (tx, rx) = mpsc::channel();
        let p = progress.clone();
        std::thread::spawn(move || {
            let mut set = podsift_core::sources::FileSet::new();
            let result = paths
                .iter()
                .try_for_each(|path| podsift_core::sources::native::add_path(&mut set, path))
                .map_err(|e| e.to_string())
                .and_then(|()| {
                    set.open_archives(podsift_core::sources::archive::ArchiveLimits::default());
                    summarize(&set, &p)
                });
            let _ = tx.send(result);
        });
        self.load = Load::Loading { progress, done: rx };
    }

    /// Loads files handed over as bytes (files dropped on the browser viewer), on this thread.
    pub fn open_bytes(&mut self, files: Vec<(String, Vec<u8>)>) {
        let mut set = podsift_core::sources::FileSet::new();
        for (name, bytes) in files {
            set.add_bytes(name, bytes);
        }
        set.open_archives(podsift_core::sources::archive::ArchiveLimits::default());
        self.load = match summarize(&set, &Progress::default()) {
            Ok(s) => Load::Ready(s),
            Err(e) => Load::Failed(e),
        };
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
        if let Load::Loading { done, .. } = &self.load {
            match done.try_recv() {
                Ok(Ok(summary)) => self.load = Load::Ready(summary),
                Ok(Err(e)) => self.load = Load::Failed(e),
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.load = Load::Failed("loading stopped".into());
                }
            }
        }
    }
}

fn stats_grid(ui: &mut egui::Ui, df: &DataFrame) {
    let columns = df.get_columns();
    egui::ScrollArea::both().show(ui, |ui| {
        egui::Grid::new("stats").striped(true).show(ui, |ui| {
            for c in columns {
                ui.strong(c.name().as_str());
            }
            ui.end_row();
            for row in 0..df.height() {
                for c in columns {
                    let text = match c.get(row) {
                        Ok(v) if !v.is_null() => v.str_value().into_owned(),
                        _ => String::new(),
                    };
                    ui.label(text);
                }
                ui.end_row();
            }
        });
    });
}

impl eframe::App for PodsiftApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        #[cfg(not(target_arch = "wasm32"))]
        self.take_dropped(ui.ctx());
        self.poll();
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("podsift");
            match &self.load {
                Load::Empty => {
                    ui.label(
                        "Drop a node log folder or log files here, or start podsift-gui PATH...",
                    );
                }
                Load::Loading { progress, .. } => {
                    use std::sync::atomic::Ordering;
                    let total = progress.bytes_total.load(Ordering::Relaxed).max(1) as f32;
                    let done = progress.bytes_done.load(Ordering::Relaxed) as f32;
                    ui.add(egui::ProgressBar::new((done / total).min(1.0)).text("reading"));
                    ui.ctx()
                        .request_repaint_after(std::time::Duration::from_millis(100));
                }
                Load::Ready(s) => {
                    let entries: u64 = s
                        .stats
                        .column("entries")
                        .ok()
                        .and_then(|c| c.as_materialized_series().sum::<u64>().ok())
                        .unwrap_or(0);
                    ui.label(format!(
                        "{} files, {} skipped, {entries} entries",
                        s.files,
                        s.skipped.len()
                    ));
                    ui.separator();
                    stats_grid(ui, &s.stats);
                }
                Load::Failed(e) => {
                    ui.colored_label(egui::Color32::RED, e);
                }
            }
        });
    }
}
