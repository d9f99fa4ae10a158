//! The desktop app's file dialog, drawn with egui (no system toolkit to install, and the same
//! under Xvfb as on a desktop): browse folders, pick files, folders and archives to open, or a
//! folder and a name to save an export under.

use std::path::{Path, PathBuf};

use eframe::egui;

/// What the dialog is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Pick files and folders to open together.
    Open,
    /// Pick where to save a file; the name starts as given.
    Save(String),
}

/// One entry of the folder shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Its name.
    pub name: String,
    /// A folder (or a link to one).
    pub dir: bool,
    /// Size in bytes (files).
    pub bytes: u64,
}

/// What the dialog ended with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Open these.
    Open(Vec<PathBuf>),
    /// Save here.
    Save(PathBuf),
    /// Closed without choosing.
    Cancelled,
}

/// The dialog's state.
#[derive(Clone, Debug)]
pub struct FileDialog {
    /// What it is for.
    pub purpose: Purpose,
    /// The folder shown.
    pub dir: PathBuf,
    /// The path field (edit and press Enter to go there).
    pub path_text: String,
    /// The folder's entries: folders first, then by name.
    pub items: Vec<Item>,
    /// Names picked in `dir`.
    pub picked: Vec<String>,
    /// The file name to save as.
    pub name: String,
    /// Why the folder could not be listed.
    pub error: Option<String>,
    /// Show entries starting with a dot.
    pub hidden: bool,
}

impl FileDialog {
    /// A dialog showing `dir`.
    pub fn new(purpose: Purpose, dir: &Path) -> FileDialog {
        let name = match &purpose {
            Purpose::Save(n) => n.clone(),
            Purpose::Open => String::new(),
        };
        let mut d = FileDialog {
            purpose,
            dir: PathBuf::new(),
            path_text: String::new(),
            items: Vec::new(),
            picked: Vec::new(),
            name,
            error: None,
            hidden: false,
        };
        d.go(dir);
        d
    }

    /// Shows folder `dir` (stays where it was, with the error, when it cannot be listed).
    pub fn go(&mut self, dir: &Path) {
        match list(dir, self.hidden) {
            Ok(items) => {
                self.dir = dir.to_path_buf();
                self.items = items;
                self.picked.clear();
                self.error = None;
            }
            Err(e) => self.error = Some(format!("{}: {e}", dir.display())),
        }
        self.path_text = self.dir.display().to_string();
    }

    /// What "Open" would open: the picked entries, else the folder shown.
    pub fn chosen(&self) -> Vec<PathBuf> {
        if self.picked.is_empty() {
            vec![self.dir.clone()]
        } else {
            self.picked.iter().map(|n| self.dir.join(n)).collect()
        }
    }

    /// Draws the dialog as a window; returns how it ended, once it has.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<Outcome> {
        let mut outcome = None;
        let title = match self.purpose {
            Purpose::Open => "Open logs and metrics",
            Purpose::Save(_) => "Export to",
        };
        egui::Window::new(title)
            .id(egui::Id::unique("file-dialog"))
            .collapsible(false)
            .resizable(true)
            .default_size([640.0, 460.0])
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    if ui.button("Up").on_hover_text("The folder above").clicked()
                        && let Some(parent) = self.dir.parent().map(Path::to_path_buf)
                    {
                        self.go(&parent);
                    }
                    let label = ui.label("Folder");
                    let edit = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.path_text)
                                .desired_width(ui.available_width() - 80.0),
                        )
                        .labelled_by(label.id);
                    if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        let p = PathBuf::from(self.path_text.trim());
                        if p.is_file() && self.purpose == Purpose::Open {
                            outcome = Some(Outcome::Open(vec![p]));
                        } else {
                            self.go(&p);
                        }
                    }
                    if ui.checkbox(&mut self.hidden, "hidden").changed() {
                        let d = self.dir.clone();
                        self.go(&d);
                    }
                });
                if let Some(e) = &self.error {
                    ui.colored_label(egui::Color32::from_rgb(220, 60, 60), e);
                }
                ui.separator();
                let mut enter = None;
                let mut toggle = None;
                let row = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
                egui::ScrollArea::vertical()
                    .max_height(ui.available_height() - 70.0)
                    .auto_shrink([false, false])
                    .show_rows(ui, row, self.items.len(), |ui, rows| {
                        for k in rows {
                            let item = &self.items[k];
                            let picked = self.picked.contains(&item.name);
                            let text = if item.dir {
                                format!("[dir] {}", item.name)
                            } else {
                                format!("{}  ({})", item.name, size_text(item.bytes))
                            };
                            let r = ui.selectable_label(picked, text);
                            if r.double_clicked() {
                                enter = Some(k);
                            } else if r.clicked() {
                                toggle = Some(k);
                            }
                        }
                    });
                if let Some(k) = enter {
                    let item = self.items[k].clone();
                    if item.dir {
                        let d = self.dir.join(&item.name);
                        self.go(&d);
                    } else if self.purpose == Purpose::Open {
                        outcome = Some(Outcome::Open(vec![self.dir.join(&item.name)]));
                    } else {
                        self.name = item.name;
                    }
                } else if let Some(k) = toggle {
                    let item = &self.items[k];
                    if matches!(self.purpose, Purpose::Save(_)) {
                        if !item.dir {
                            self.name = item.name.clone();
                        }
                    } else if let Some(p) = self.picked.iter().position(|n| *n == item.name) {
                        self.picked.remove(p);
                    } else {
                        self.picked.push(item.name.clone());
                    }
                }
                ui.separator();
                ui.horizontal(|ui| match &self.purpose {
                    Purpose::Open => {
                        let what = if self.picked.is_empty() {
                            "this folder".to_string()
                        } else {
                            format!("{} picked", self.picked.len())
                        };
                        if ui
                            .button(format!("Open {what}"))
                            .on_hover_text("Folders, archives and files, read together")
                            .clicked()
                        {
                            outcome = Some(Outcome::Open(self.chosen()));
                        }
                        if ui.button("Cancel").clicked() {
                            outcome = Some(Outcome::Cancelled);
                        }
                    }
                    Purpose::Save(_) => {
                        let label = ui.label("Name");
                        ui.add(egui::TextEdit::singleline(&mut self.name).desired_width(260.0))
                            .labelled_by(label.id);
                        if ui
                            .add_enabled(!self.name.trim().is_empty(), egui::Button::new("Save"))
                            .clicked()
                        {
                            outcome = Some(Outcome::Save(self.dir.join(self.name.trim())));
                        }
                        if ui.button("Cancel").clicked() {
                            outcome = Some(Outcome::Cancelled);
                        }
                    }
                });
            });
        outcome
    }
}

/// A folder's entries, folders first, then by name.
fn list(dir: &Path, hidden: bool) -> std::io::Result<Vec<Item>> {
    let mut items = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let Ok(entry) = entry else { continue };
        let name = entry.file_name().to_string_lossy().into_owned();
        if !hidden && name.starts_with('.') {
            continue;
        }
        // Follows links, so a link to a folder is a folder.
        let meta = std::fs::metadata(entry.path()).ok();
        items.push(Item {
            dir: meta.as_ref().is_some_and(std::fs::Metadata::is_dir),
            bytes: meta.as_ref().map_or(0, std::fs::Metadata::len),
            name,
        });
    }
    items.sort_by(|a, b| b.dir.cmp(&a.dir).then_with(|| a.name.cmp(&b.name)));
    Ok(items)
}

fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}
