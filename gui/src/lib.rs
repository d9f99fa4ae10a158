//! podsift's egui app, shared by the desktop binary and the browser viewer (podsift-wasm).
//!
//! Opening a bundle (folders and archives from the command line, by drag and drop, from the
//! recent list, or files dropped on the browser viewer) reads it into a `logs` table in the
//! background, with a progress bar and a cancel button; then the Discover view
//! ([`discover::Discover`]) shows it. What the view computes is podsift-core's
//! (`query::discover`, `query::search`); this crate keeps state and draws.

pub mod discover;

use std::sync::Arc;
use std::sync::mpsc;

use eframe::egui;
use podsift_core::ingest::{NoFilter, Progress};
use podsift_core::query::discover::LiveCounts;
use polars::prelude::DataFrame;

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
    /// The entries, in time order.
    pub logs: DataFrame,
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
        name: String,
        progress: Arc<Progress>,
        live: Arc<LiveCounts>,
        done: mpsc::Receiver<Result<Loaded, String>>,
    },
    Ready {
        loaded: Loaded,
        view: Box<discover::Discover>,
    },
    Failed(String),
}

/// The app.
#[derive(Debug, Default)]
pub struct PodsiftApp {
    load: Load,
    /// Bundles opened before, newest first.
    pub recent: Vec<String>,
    /// A query to run once the bundle is loaded (`podsift-gui --query`).
    pub initial_query: Option<String>,
}

/// Reads a file set into a `logs` table with podsift-core (`progress` may cancel it).
/// Entries are counted per minute and level into `live` as they are read.
pub fn read_bundle(
    name: &str,
    set: &podsift_core::sources::FileSet,
    progress: &Progress,
    live: &Arc<LiveCounts>,
) -> Result<Loaded, String> {
    use podsift_core::sources::plan::{FileStatus, PlanOptions, plan};
    let plan = plan(set, &PlanOptions::default());
    let (logs, report) = podsift_core::table::read_logs_live(set, &plan, &NoFilter, progress, live)
        .map_err(|e| e.to_string())?;
    if progress.cancelled() {
        return Err("cancelled".into());
    }
    let skipped = plan
        .files
        .iter()
        .zip(set.entries())
        .filter_map(|(f, e)| match &f.status {
            FileStatus::Skipped(why) => Some((e.path.clone(), why.clone())),
            _ => None,
        })
        .collect();
    Ok(Loaded {
        name: name.to_string(),
        files: set.entries().len(),
        skipped,
        unparsed: report.files.iter().map(|f| f.unparsed).sum(),
        logs,
    })
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
        self.recent.retain(|r| *r != name);
        self.recent.insert(0, name.clone());
        self.recent.truncate(10);
        let progress = Arc::new(Progress::default());
        let (tx, rx) = mpsc::channel();
        let p = progress.clone();
        let live = Arc::new(LiveCounts::default());
        let l = live.clone();
        let n = name.clone();
        std::thread::spawn(move || {
            let mut set = podsift_core::sources::FileSet::new();
            let result = paths
                .iter()
                .try_for_each(|path| podsift_core::sources::native::add_path(&mut set, path))
                .map_err(|e| e.to_string())
                .and_then(|()| {
                    set.open_archives(podsift_core::sources::archive::ArchiveLimits::default());
                    read_bundle(&n, &set, &p, &l)
                });
            let _ = tx.send(result);
        });
        self.load = Load::Loading {
            name,
            progress,
            live,
            done: rx,
        };
    }

    /// Loads files handed over as bytes (files dropped on the browser viewer), on this thread.
    pub fn open_bytes(&mut self, files: Vec<(String, Vec<u8>)>) {
        let name = files
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let mut set = podsift_core::sources::FileSet::new();
        for (name, bytes) in files {
            set.add_bytes(name, bytes);
        }
        set.open_archives(podsift_core::sources::archive::ArchiveLimits::default());
        self.finish(read_bundle(
            &name,
            &set,
            &Progress::default(),
            &Arc::default(),
        ));
    }

    fn finish(&mut self, result: Result<Loaded, String>) {
        self.load = match result.and_then(|loaded| {
            let view = discover::Discover::new(loaded.logs.clone())?;
            Ok((loaded, view))
        }) {
            Ok((loaded, mut view)) => {
                if let Some(q) = self.initial_query.take() {
                    view.query = q;
                    view.apply();
                }
                Load::Ready {
                    loaded,
                    view: Box::new(view),
                }
            }
            Err(e) => Load::Failed(e),
        };
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

    /// Waits for the background read to end (tests and scripted runs).
    pub fn wait(&mut self) {
        if let Load::Loading { done, .. } = &self.load {
            let result = done
                .recv()
                .unwrap_or_else(|_| Err("loading stopped".into()));
            self.finish(result);
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
        if let Load::Loading { done, .. } = &self.load {
            match done.try_recv() {
                Ok(result) => self.finish(result),
                Err(mpsc::TryRecvError::Empty) => {}
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.load = Load::Failed("loading stopped".into());
                }
            }
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("podsift");
            if let Load::Ready { loaded, .. } = &self.load {
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
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let dark = ui.visuals().dark_mode;
                if ui
                    .button(if dark { "Light" } else { "Dark" })
                    .on_hover_text("Theme")
                    .clicked()
                {
                    ui.ctx().set_theme(if dark {
                        egui::Theme::Light
                    } else {
                        egui::Theme::Dark
                    });
                }
                #[cfg(not(target_arch = "wasm32"))]
                if !self.recent.is_empty() {
                    let mut open = None;
                    ui.menu_button("Recent", |ui| {
                        for r in &self.recent {
                            if ui.button(r).clicked() {
                                open = Some(r.clone());
                            }
                        }
                    });
                    if let Some(r) = open {
                        self.open_paths(r.split(", ").map(Into::into).collect());
                    }
                }
            });
        });
    }
}

impl eframe::App for PodsiftApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}

impl PodsiftApp {
    /// Draws the app in `ui` (what `eframe::App::ui` does; UI tests call it directly).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        #[cfg(not(target_arch = "wasm32"))]
        self.take_dropped(ui.ctx());
        self.poll();
        egui::Panel::top("app").show(ui, |ui| self.top_bar(ui));
        let mut cancel = false;
        match &mut self.load {
            Load::Ready { view, .. } => view.ui(ui),
            other => {
                egui::CentralPanel::default().show(ui, |ui| match other {
                    Load::Empty => {
                        ui.label(
                            "Drop a node log folder, a bundle archive or log files here, or \
                             start podsift-gui PATH...",
                        );
                    }
                    Load::Loading {
                        name,
                        progress,
                        live,
                        ..
                    } => {
                        use std::sync::atomic::Ordering;
                        let total = progress.bytes_total.load(Ordering::Relaxed).max(1) as f32;
                        let done = progress.bytes_done.load(Ordering::Relaxed) as f32;
                        ui.label(format!("Reading {name}"));
                        ui.add(
                            egui::ProgressBar::new((done / total).min(1.0))
                                .show_percentage()
                                .text(format!("{:.0} of {:.0} MB", done / 1e6, total / 1e6)),
                        );
                        if ui.button("Cancel").clicked() {
                            progress.cancel.store(true, Ordering::Relaxed);
                            cancel = true;
                        }
                        // Entries read so far, per minute and level.
                        if let Some(h) = live.histogram(120) {
                            ui.label(format!("{} entries so far", h.total()));
                            discover::paint_histogram(ui, &h);
                        }
                        ui.ctx()
                            .request_repaint_after(std::time::Duration::from_millis(100));
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
    }
}
