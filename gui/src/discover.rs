//! The Discover view: a time histogram stacked by level, a query bar with filter chips, the
//! cluster tree and field values in a sidebar, a virtualized table of the entries in time
//! order, and a detail pane. What it computes comes from `podsift_core::query::discover`; this
//! module keeps the view's state and draws it.

use eframe::egui::{self, Color32, Pos2, Rect, Sense, Vec2};
use podsift_core::level::Level;
use podsift_core::query::discover::{
    Codes, FieldValues, Histogram, LogIndex, Rows, Selection, TreeRow, VALUE_COLUMNS, count_values,
};
use podsift_core::query::search::Query;
use podsift_core::schema::logs as col;
use podsift_core::table::LogTable;
use podsift_core::time::{TimeBound, format_rfc3339_ms};

/// Buckets the histogram aims for.
const BUCKETS: usize = 120;
/// Rows a sidebar's field values and keys are counted in, at most (structured fields).
const SAMPLE: usize = 5_000;
/// Table row height when messages are not wrapped.
const ROW_HEIGHT: f32 = 18.0;

/// One filter besides the query bar's text: removable, and switched off without removing.
#[derive(Clone, Debug)]
pub struct Chip {
    /// As typed (`pod:api-*`, `-level:debug`).
    pub text: String,
    /// Parsed.
    pub query: Query,
    /// Whether it applies.
    pub enabled: bool,
}

/// A table column: a `logs` column, shown or not.
#[derive(Clone, Debug)]
pub struct Column {
    /// The `logs` column's name.
    pub name: &'static str,
    /// Shown.
    pub shown: bool,
}

/// The Discover view's state over one loaded `logs` frame.
#[derive(Debug)]
pub struct Discover {
    /// The entries.
    pub logs: LogTable,
    /// Times, levels and metadata of every row.
    pub index: LogIndex,
    /// The query bar's text.
    pub query: String,
    /// Filters added from the sidebar or the query bar.
    pub chips: Vec<Chip>,
    /// Why the query did not parse or run.
    pub error: Option<String>,
    /// Rows the query and chips keep.
    pub selection: Selection,
    /// The time range looked at (`[from, to)` ns), or everything.
    pub range: Option<(i64, i64)>,
    /// The part of `selection.rows` within `range`: the table's rows.
    span: (usize, usize),
    /// Counts of `rows` per bucket and level.
    pub histogram: Histogram,
    /// The selected row (a row number of `logs`).
    pub selected: Option<u32>,
    /// The first row shown (an index in `rows`).
    pub first: usize,
    /// Wrap long messages.
    pub wrap: bool,
    /// Table columns (the message is always last).
    pub columns: Vec<Column>,
    /// The time picker's text fields.
    pub from_text: String,
    /// See `from_text`.
    pub to_text: String,
    /// Rows per node, namespace, pod and container among `rows`.
    pub tree: Vec<TreeRow>,
    /// Structured field keys in a sample of `rows`.
    pub keys: Vec<(String, u64)>,
    /// Top values of the field opened in the sidebar.
    pub values: Option<(String, FieldValues)>,
    /// The open field's codes, when it is a column (built once, counted again as rows change).
    value_codes: Option<Codes>,
    /// The context of the selected row, when asked for.
    pub context: Option<Rows>,
    drag_from: Option<f32>,
    scroll_rest: f32,
    /// The pods' names, sorted: a pod's place gives its colour (distinct pods, distinct
    /// colours).
    pods_sorted: Vec<String>,
}

impl Discover {
    /// A view of `logs`, everything shown (a frame is put in time order first if it is not; a
    /// packed table always is).
    pub fn new(mut logs: LogTable) -> Result<Discover, String> {
        let mut index = logs.index().map_err(|e| e.to_string())?;
        if let (false, LogTable::Frame(df)) = (index.sorted, &logs) {
            let df =
                podsift_core::table::concat_sorted(vec![df.clone()]).map_err(|e| e.to_string())?;
            index = LogIndex::new(&df).map_err(|e| e.to_string())?;
            logs = LogTable::Frame(df);
        }
        Ok(Discover::with_index(logs, index))
    }

    /// A view of `logs` (in time order) with its index built already
    /// ([`podsift_core::table::TableSteps`]), everything shown.
    pub fn with_index(logs: LogTable, index: LogIndex) -> Discover {
        let columns = [
            (col::TS, true),
            (col::LEVEL, true),
            (col::NODE, false),
            (col::NAMESPACE, true),
            (col::POD, true),
            (col::CONTAINER, true),
            (col::COMPONENT, false),
            (col::STREAM, false),
            (col::FORMAT, false),
            (col::SOURCE, false),
            (col::LINE, false),
        ]
        .into_iter()
        .map(|(name, shown)| Column { name, shown })
        .collect();
        let mut pods_sorted = index.pod.names.clone();
        pods_sorted.sort_unstable();
        let mut d = Discover {
            logs,
            index,
            query: String::new(),
            chips: Vec::new(),
            error: None,
            selection: Selection::default(),
            range: None,
            span: (0, 0),
            histogram: Histogram {
                start: 0,
                step: 1,
                counts: Vec::new(),
            },
            selected: None,
            first: 0,
            wrap: false,
            columns,
            from_text: String::new(),
            to_text: String::new(),
            tree: Vec::new(),
            keys: Vec::new(),
            values: None,
            value_codes: None,
            context: None,
            drag_from: None,
            scroll_rest: 0.0,
            pods_sorted,
        };
        d.apply();
        d
    }

    /// A pod's colour: distinct pods get distinct hues (spread by the golden ratio over their
    /// sorted names), dark enough to read on a light background and light enough on a dark
    /// one.
    pub fn pod_colour(&self, pod: &str, dark: bool) -> Color32 {
        let rank = self
            .pods_sorted
            .binary_search_by(|p| p.as_str().cmp(pod))
            .unwrap_or_else(|i| i);
        pod_colour(rank, dark)
    }

    /// The shown columns' names, in table order.
    pub fn shown_columns(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| c.shown)
            .map(|c| c.name.to_string())
            .collect()
    }

    /// Shows exactly the columns named (names that are not columns are ignored).
    pub fn show_columns(&mut self, names: &[String]) {
        for c in &mut self.columns {
            c.shown = names.iter().any(|n| n == c.name);
        }
    }

    /// The table's rows: those the query and chips keep, within the range.
    pub fn rows(&self) -> &[u32] {
        &self.selection.rows[self.span.0..self.span.1]
    }

    /// Runs the query bar's text and the enabled chips; on a query error, keeps the last rows.
    pub fn apply(&mut self) {
        let mut queries = Vec::new();
        match Query::parse(&self.query) {
            Ok(q) => queries.push(q),
            Err(e) => {
                self.error = Some(format!("query: {e}"));
                return;
            }
        }
        queries.extend(
            self.chips
                .iter()
                .filter(|c| c.enabled)
                .map(|c| c.query.clone()),
        );
        match self.logs.matching_rows(&queries) {
            Ok(rows) => {
                self.error = None;
                self.selection = Selection::new(&self.index, rows);
                self.values = None;
                self.refresh();
                self.keys = self
                    .logs
                    .field_keys(self.rows(), SAMPLE)
                    .unwrap_or_default();
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Recomputes the rows in range, the histogram and the tree (after the range changed).
    pub fn refresh(&mut self) {
        let all = &self.selection.rows;
        // The frame is in time order (see `new`), so a range is a span of the rows.
        self.span = self
            .range
            .and_then(|r| self.index.range_bounds(all, r))
            .unwrap_or((0, all.len()));
        let extent = self
            .range
            .or_else(|| self.index.extent(all).map(|(a, b)| (a, b + 1)));
        self.histogram = match extent {
            Some(r) => self.selection.histogram(&self.index, r, BUCKETS),
            None => Histogram {
                start: 0,
                step: 1,
                counts: Vec::new(),
            },
        };
        self.tree = self.selection.tree(&self.index, self.range);
        self.first = self.first.min(self.rows().len().saturating_sub(1));
        if let Some((field, _)) = self.values.take() {
            match &self.value_codes {
                Some(codes) => self.values = Some((field, count_values(codes, self.rows(), 10))),
                None => self.open_field(&field),
            }
        }
    }

    /// Adds a filter chip (`pod:api-1`, `-container:istio-proxy`).
    pub fn add_chip(&mut self, text: &str) -> Result<(), String> {
        let query = Query::parse(text).map_err(|e| e.to_string())?;
        if !self.chips.iter().any(|c| c.text == text) {
            self.chips.push(Chip {
                text: text.to_string(),
                query,
                enabled: true,
            });
            self.first = 0;
            self.apply();
        }
        Ok(())
    }

    /// Removes chip `k`.
    pub fn remove_chip(&mut self, k: usize) {
        if k < self.chips.len() {
            self.chips.remove(k);
            self.apply();
        }
    }

    /// Looks at `[from, to)` only (or everything).
    pub fn set_range(&mut self, range: Option<(i64, i64)>) {
        self.range = range.filter(|(a, b)| b > a);
        if let Some((a, b)) = self.range {
            self.from_text = format_rfc3339_ms(a / 1_000_000);
            self.to_text = format_rfc3339_ms(b / 1_000_000);
        } else {
            self.from_text.clear();
            self.to_text.clear();
        }
        self.first = 0;
        self.refresh();
    }

    /// The bundle's last time.
    fn end(&self) -> Option<i64> {
        self.index.extent_all().map(|(_, b)| b)
    }

    /// Sets the range from the time picker's fields (absolute, or `15m` back from the end).
    pub fn set_range_text(&mut self) {
        let end = self.end();
        let bound = |s: &str, default: Option<i64>| -> Result<Option<i64>, String> {
            if s.trim().is_empty() {
                return Ok(default);
            }
            Ok(TimeBound::parse(s).map_err(|e| e.to_string())?.resolve(end))
        };
        let first = self.index.extent_all().map(|(a, _)| a);
        match (
            bound(&self.from_text, first),
            bound(&self.to_text, end.map(|e| e + 1)),
        ) {
            (Ok(Some(a)), Ok(Some(b))) => {
                self.error = None;
                self.set_range(Some((a, b)));
            }
            (Err(e), _) | (_, Err(e)) => self.error = Some(e),
            _ => {}
        }
    }

    /// Opens a field's top values in the sidebar.
    pub fn open_field(&mut self, field: &str) {
        self.value_codes = None;
        let values = if self.logs.has_codes(field) {
            self.logs.codes(field).map(|codes| {
                let v = count_values(&codes, self.rows(), 10);
                self.value_codes = Some(codes);
                v
            })
        } else {
            self.logs.top_values(self.rows(), field, 10, SAMPLE)
        };
        if let Ok(v) = values {
            self.values = Some((field.to_string(), v));
        }
    }

    /// Draws the whole view.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("query").show(ui, |ui| self.query_bar(ui));
        egui::Panel::left("sidebar")
            .default_size(260.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.sidebar(ui));
            });
        if self.selected.is_some() {
            egui::Panel::bottom("detail")
                .resizable(true)
                .default_size(220.0)
                .show(ui, |ui| self.detail(ui));
        }
        egui::CentralPanel::default().show(ui, |ui| {
            self.histogram_ui(ui);
            ui.separator();
            self.table(ui);
        });
    }

    fn query_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("Query");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.query)
                        .id_salt("query-text")
                        .hint_text(
                            r#"level:error pod:api-* "connection reset" -container:istio-proxy"#,
                        )
                        .desired_width(ui.available_width() - 260.0),
                )
                .labelled_by(label.id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if enter || ui.button("Search").clicked() {
                self.first = 0;
                self.apply();
            }
            if ui
                .button("Pin")
                .on_hover_text("Turn the query's parts into filter chips")
                .clicked()
            {
                let parts = podsift_core::query::search::chips(&self.query);
                self.query.clear();
                for p in parts {
                    if let Err(e) = self.add_chip(&p) {
                        self.error = Some(e);
                    }
                }
                self.apply();
            }
            ui.label(format!(
                "{} of {} entries",
                self.rows().len(),
                self.index.len()
            ));
        });
        if !self.chips.is_empty() {
            ui.horizontal_wrapped(|ui| {
                let mut remove = None;
                let mut toggled = false;
                for (k, c) in self.chips.iter_mut().enumerate() {
                    let text = if c.enabled {
                        egui::RichText::new(&c.text)
                    } else {
                        egui::RichText::new(&c.text).strikethrough()
                    };
                    if ui
                        .selectable_label(c.enabled, text)
                        .on_hover_text("Click to switch on or off")
                        .clicked()
                    {
                        c.enabled = !c.enabled;
                        toggled = true;
                    }
                    if ui.small_button("x").on_hover_text("Remove").clicked() {
                        remove = Some(k);
                    }
                }
                if let Some(k) = remove {
                    self.remove_chip(k);
                } else if toggled {
                    self.apply();
                }
            });
        }
        ui.horizontal(|ui| {
            ui.label("Time:");
            for (label, back) in [
                ("5m", 5 * 60),
                ("15m", 15 * 60),
                ("1h", 3600),
                ("6h", 6 * 3600),
                ("24h", 86_400),
            ] {
                if ui
                    .button(format!("last {label}"))
                    .on_hover_text("Before the bundle's last entry")
                    .clicked()
                    && let Some(end) = self.end()
                {
                    self.set_range(Some((end - back * 1_000_000_000, end + 1)));
                }
            }
            if ui.button("all").clicked() {
                self.set_range(None);
            }
            ui.add(
                egui::TextEdit::singleline(&mut self.from_text)
                    .hint_text("from (2024-01-01T00:00:00Z, 15m)")
                    .desired_width(190.0),
            );
            ui.add(
                egui::TextEdit::singleline(&mut self.to_text)
                    .hint_text("to")
                    .desired_width(190.0),
            );
            if ui.button("Apply").clicked() {
                self.set_range_text();
            }
            ui.separator();
            ui.checkbox(&mut self.wrap, "wrap");
            ui.menu_button("Columns", |ui| {
                for c in &mut self.columns {
                    ui.checkbox(&mut c.shown, c.name);
                }
            });
        });
        if let Some(e) = &self.error {
            ui.colored_label(Color32::from_rgb(220, 60, 60), e);
        }
    }

    fn sidebar(&mut self, ui: &mut egui::Ui) {
        ui.strong("Cluster");
        let mut chip: Option<String> = None;
        // Namespaces (pods and containers under them); logs outside pods have none.
        let mut by_ns: std::collections::BTreeMap<&str, Vec<&TreeRow>> =
            std::collections::BTreeMap::new();
        for t in &self.tree {
            by_ns.entry(&t.namespace).or_default().push(t);
        }
        for (ns, list) in by_ns {
            let total: u64 = list.iter().map(|t| t.count).sum();
            let name = if ns.is_empty() { "(no namespace)" } else { ns };
            egui::CollapsingHeader::new(format!("{name}  {total}"))
                .id_salt(("ns", ns))
                .show(ui, |ui| {
                    let mut pods: std::collections::BTreeMap<&str, Vec<&TreeRow>> =
                        std::collections::BTreeMap::new();
                    for t in &list {
                        pods.entry(t.pod.as_str()).or_default().push(t);
                    }
                    for (pod, rows) in pods {
                        let total: u64 = rows.iter().map(|t| t.count).sum();
                        let errors: u64 = rows
                            .iter()
                            .map(|t| {
                                t.levels[Level::Error as usize] + t.levels[Level::Fatal as usize]
                            })
                            .sum();
                        ui.horizontal(|ui| {
                            let label =
                                egui::RichText::new(if pod.is_empty() { "(none)" } else { pod })
                                    .color(self.pod_colour(pod, ui.visuals().dark_mode));
                            let r = ui.add(egui::Label::new(label).sense(Sense::click()));
                            if r.on_hover_text("Click: only this pod").clicked() && !pod.is_empty()
                            {
                                chip = Some(format!("pod:{}", quote(pod)));
                            }
                            ui.label(total.to_string());
                            if errors > 0 {
                                ui.colored_label(
                                    level_colour(Level::Error),
                                    format!("{errors} err"),
                                );
                            }
                        });
                        for t in rows {
                            ui.horizontal(|ui| {
                                ui.add_space(16.0);
                                let r = ui.add(
                                    egui::Label::new(if t.container.is_empty() {
                                        "(none)"
                                    } else {
                                        t.container.as_str()
                                    })
                                    .sense(Sense::click()),
                                );
                                if r.clicked() && !t.container.is_empty() && !pod.is_empty() {
                                    chip = Some(format!(
                                        "pod:{} container:{}",
                                        quote(pod),
                                        quote(&t.container)
                                    ));
                                }
                                ui.label(t.count.to_string());
                            });
                        }
                    }
                });
        }
        ui.separator();
        ui.strong("Fields");
        let mut open: Option<String> = None;
        let names: Vec<String> = VALUE_COLUMNS
            .iter()
            .map(|s| s.to_string())
            .chain(
                self.keys
                    .iter()
                    .filter(|(k, _)| !VALUE_COLUMNS.contains(&k.as_str()))
                    .map(|(k, _)| k.clone()),
            )
            .collect();
        for name in names {
            let is_open = self.values.as_ref().is_some_and(|(f, _)| *f == name);
            if ui.selectable_label(is_open, &name).clicked() {
                if is_open {
                    self.values = None;
                } else {
                    open = Some(name.clone());
                }
            }
            if is_open && let Some((_, v)) = &self.values {
                let of = if v.rows_seen < self.rows().len() {
                    format!("in a sample of {} rows", v.rows_seen)
                } else {
                    format!("in {} rows", v.rows_seen)
                };
                ui.weak(format!(
                    "{} values, {} with it, {of}",
                    v.distinct, v.rows_with
                ));
                for (value, count) in &v.values {
                    ui.horizontal(|ui| {
                        let share = *count as f32 / v.rows_with.max(1) as f32;
                        ui.add(
                            egui::ProgressBar::new(share)
                                .desired_width(60.0)
                                .text(count.to_string()),
                        );
                        if ui
                            .small_button("+")
                            .on_hover_text("Only this value")
                            .clicked()
                        {
                            chip = Some(format!("{}:{}", name, quote(value)));
                        }
                        if ui
                            .small_button("-")
                            .on_hover_text("Leave this value out")
                            .clicked()
                        {
                            chip = Some(format!("-{}:{}", name, quote(value)));
                        }
                        ui.label(if value.is_empty() { "(empty)" } else { value });
                    });
                }
            }
        }
        if let Some(name) = open {
            self.open_field(&name);
        }
        if let Some(c) = chip
            && let Err(e) = self.add_chip(&c)
        {
            self.error = Some(e);
        }
    }

    fn histogram_ui(&mut self, ui: &mut egui::Ui) {
        let (response, plot) = paint_histogram(ui, &self.histogram);
        let painter = ui.painter_at(response.rect);
        let h = &self.histogram;
        let n = h.counts.len().max(1);
        let bw = plot.width() / n as f32;
        let time_at = |x: f32| -> i64 {
            let f = ((x - plot.left()) / plot.width()).clamp(0.0, 1.0) as f64;
            h.start + (f * (h.step * n as i64) as f64) as i64
        };
        if let Some(pos) = response.hover_pos()
            && !h.counts.is_empty()
        {
            let k = (((pos.x - plot.left()) / bw) as usize).min(n - 1);
            let (a, _) = h.bucket(k);
            let c = h.counts[k];
            response.clone().on_hover_ui_at_pointer(|ui| {
                ui.label(format_rfc3339_ms(a / 1_000_000));
                for level in Level::ALL.iter().rev() {
                    if c[*level as usize] > 0 {
                        ui.colored_label(
                            level_colour(*level),
                            format!("{}: {}", level.as_str(), c[*level as usize]),
                        );
                    }
                }
            });
        }
        if response.drag_started()
            && let Some(p) = response.interact_pointer_pos()
        {
            self.drag_from = Some(p.x);
        }
        if let (Some(x0), Some(p)) = (self.drag_from, response.interact_pointer_pos()) {
            let sel = Rect::from_x_y_ranges(x0.min(p.x)..=x0.max(p.x), plot.y_range());
            painter.rect_filled(sel, 0.0, Color32::from_rgba_unmultiplied(100, 150, 255, 50));
        }
        if response.drag_stopped()
            && let (Some(x0), Some(p)) = (self.drag_from.take(), response.interact_pointer_pos())
            && (p.x - x0).abs() > 3.0
        {
            let (a, b) = (time_at(x0.min(p.x)), time_at(x0.max(p.x)));
            self.set_range(Some((a, b)));
        }
        if response.double_clicked() {
            self.set_range(None);
        }
    }

    fn table(&mut self, ui: &mut egui::Ui) {
        let shown: Vec<&'static str> = self
            .columns
            .iter()
            .filter(|c| c.shown)
            .map(|c| c.name)
            .collect();
        let widths: Vec<f32> = shown.iter().map(|c| column_width(c)).collect();
        let font = egui::FontId::monospace(12.5);
        let text_colour = ui.visuals().text_color();
        // Header.
        ui.horizontal(|ui| {
            for (c, w) in shown.iter().zip(&widths) {
                ui.add_sized(
                    [*w, 16.0],
                    egui::Label::new(egui::RichText::new(*c).strong()),
                );
            }
            ui.strong("message");
        });
        let avail = ui.available_rect_before_wrap();
        let (rect, response) = ui.allocate_exact_size(avail.size(), Sense::click_and_drag());
        let bar = Rect::from_min_max(Pos2::new(rect.right() - 12.0, rect.top()), rect.max);
        let body = Rect::from_min_max(rect.min, Pos2::new(bar.left() - 2.0, rect.bottom()));
        let total = self.rows().len();
        let visible = ((body.height() / ROW_HEIGHT) as usize).max(1);
        // Scrolling: wheel, keys, and the bar.
        if response.hovered() {
            let dy = ui.input(|i| i.smooth_scroll_delta.y) + self.scroll_rest;
            let rows = (dy / ROW_HEIGHT).trunc();
            self.scroll_rest = dy - rows * ROW_HEIGHT;
            self.first = (self.first as i64 - rows as i64).max(0) as usize;
        }
        let keys = ui.input(|i| {
            (
                i.key_pressed(egui::Key::ArrowDown),
                i.key_pressed(egui::Key::ArrowUp),
                i.key_pressed(egui::Key::PageDown),
                i.key_pressed(egui::Key::PageUp),
                i.key_pressed(egui::Key::Home),
                i.key_pressed(egui::Key::End),
            )
        });
        let typing = ui.ctx().egui_wants_keyboard_input();
        if !typing && total > 0 {
            let at = self
                .selected
                .and_then(|s| self.rows().binary_search(&s).ok())
                .unwrap_or(self.first);
            let to = match keys {
                (true, ..) => Some((at + 1).min(total - 1)),
                (_, true, ..) => Some(at.saturating_sub(1)),
                (_, _, true, ..) => Some((at + visible).min(total - 1)),
                (_, _, _, true, ..) => Some(at.saturating_sub(visible)),
                (_, _, _, _, true, _) => Some(0),
                (.., true) => Some(total - 1),
                _ => None,
            };
            if let Some(to) = to {
                self.selected = Some(self.rows()[to]);
                self.context = None;
                if to < self.first {
                    self.first = to;
                } else if to >= self.first + visible {
                    self.first = to + 1 - visible;
                }
            }
        }
        self.first = self
            .first
            .min(total.saturating_sub(visible.min(total).max(1)));
        let painter = ui.painter_at(rect);
        // The scroll bar: drag or click to jump.
        painter.rect_filled(bar, 3.0, ui.visuals().extreme_bg_color);
        if total > visible {
            let frac = visible as f32 / total as f32;
            let th = (bar.height() * frac).max(20.0);
            let top =
                bar.top() + (bar.height() - th) * self.first as f32 / (total - visible) as f32;
            painter.rect_filled(
                Rect::from_min_size(Pos2::new(bar.left(), top), Vec2::new(bar.width(), th)),
                3.0,
                ui.visuals().widgets.inactive.bg_fill,
            );
            if let Some(p) = response.interact_pointer_pos()
                && (response.dragged() || response.clicked())
                && (bar.contains(p) || response.dragged() && self.drag_on_bar(ui, bar))
            {
                let f = ((p.y - bar.top() - th / 2.0) / (bar.height() - th)).clamp(0.0, 1.0);
                self.first = (f * (total - visible) as f32) as usize;
            }
        }
        // The rows.
        let mut y = body.top();
        let mut clicked_row = None;
        let pointer = response.interact_pointer_pos();
        let message_x = body.left() + widths.iter().sum::<f32>() + 8.0 * widths.len() as f32;
        let mut i = self.first;
        while i < total && y < body.bottom() {
            let row = self.rows()[i];
            // The message as a person reads it (a JSON entry's msg, a line after its time and
            // level); the detail pane shows the entry as written.
            let message = self.logs.shown_message(row);
            let galley = if self.wrap {
                painter.layout(
                    message.clone(),
                    font.clone(),
                    text_colour,
                    (body.right() - message_x).max(50.0),
                )
            } else {
                let first_line = message.lines().next().unwrap_or_default().to_string();
                painter.layout_no_wrap(first_line, font.clone(), text_colour)
            };
            let h = galley.size().y.max(ROW_HEIGHT);
            let row_rect =
                Rect::from_min_max(Pos2::new(body.left(), y), Pos2::new(body.right(), y + h));
            let level = self.index.level[row as usize];
            if self.selected == Some(row) {
                painter.rect_filled(row_rect, 0.0, ui.visuals().selection.bg_fill);
            } else if i % 2 == 1 {
                painter.rect_filled(row_rect, 0.0, ui.visuals().faint_bg_color);
            }
            // A level stripe on the left.
            painter.rect_filled(
                Rect::from_min_size(row_rect.min, Vec2::new(3.0, h)),
                0.0,
                level_colour(level),
            );
            let mut x = body.left() + 6.0;
            for (c, w) in shown.iter().zip(&widths) {
                let text = self.cell(row, c);
                let colour = match *c {
                    col::LEVEL => level_colour(level),
                    col::POD => self.pod_colour(&text, ui.visuals().dark_mode),
                    _ => text_colour,
                };
                let g = painter.layout_no_wrap(text, font.clone(), colour);
                let clip = Rect::from_min_max(Pos2::new(x, y), Pos2::new(x + w, y + h));
                painter.with_clip_rect(clip.intersect(body)).galley(
                    Pos2::new(x, y + 1.0),
                    g,
                    colour,
                );
                x += w + 8.0;
            }
            painter
                .with_clip_rect(body)
                .galley(Pos2::new(message_x, y + 1.0), galley, text_colour);
            if response.clicked()
                && let Some(p) = pointer
                && row_rect.contains(p)
            {
                clicked_row = Some(row);
            }
            y += h;
            i += 1;
        }
        if total == 0 {
            painter.text(
                body.center(),
                egui::Align2::CENTER_CENTER,
                "No entries match",
                egui::FontId::proportional(16.0),
                text_colour,
            );
        }
        if let Some(r) = clicked_row {
            self.selected = if self.selected == Some(r) {
                None
            } else {
                Some(r)
            };
            self.context = None;
        }
    }

    fn drag_on_bar(&self, ui: &egui::Ui, bar: Rect) -> bool {
        ui.input(|i| i.pointer.press_origin())
            .is_some_and(|p| bar.contains(p))
    }

    /// A cell's text (empty for null).
    pub fn cell(&self, row: u32, column: &str) -> String {
        let r = row as usize;
        match column {
            col::TS => match self.index.ts.get(r) {
                Some(&t) if t != podsift_core::query::discover::NO_TS => {
                    let s = podsift_core::time::format_rfc3339_nanos(t);
                    // 2024-01-01T00:00:00.123Z
                    format!("{}Z", &s[..23.min(s.len())])
                }
                _ => String::new(),
            },
            col::LEVEL => self.index.level[r].as_str().to_string(),
            col::NODE => self.index.node.get(row).unwrap_or_default().to_string(),
            col::NAMESPACE => self
                .index
                .namespace
                .get(row)
                .unwrap_or_default()
                .to_string(),
            col::POD => self.index.pod.get(row).unwrap_or_default().to_string(),
            col::CONTAINER => self
                .index
                .container
                .get(row)
                .unwrap_or_default()
                .to_string(),
            _ => self.logs.cell_text(row, column),
        }
    }

    fn detail(&mut self, ui: &mut egui::Ui) {
        let Some(row) = self.selected else { return };
        let source = self.cell(row, col::SOURCE);
        let line = self.cell(row, col::LINE);
        let message = self.cell(row, col::MESSAGE);
        let mut show_context = false;
        ui.horizontal(|ui| {
            // Close first: a long file name must not push it out of the pane.
            if ui.button("Close").clicked() {
                self.selected = None;
            }
            if ui.button("Copy message").clicked() {
                ui.ctx().copy_text(message.clone());
            }
            if ui.button("Copy JSON").clicked() {
                ui.ctx().copy_text(self.logs.entry_json(row));
            }
            if ui
                .button("Show context")
                .on_hover_text("The entries around it in the same container")
                .clicked()
            {
                show_context = true;
            }
            ui.add(
                egui::Label::new(egui::RichText::new(format!("{source}:{line}")).strong())
                    .truncate(),
            );
        });
        if show_context {
            self.context = Some(self.index.context(row, 10, 10));
        }
        ui.separator();
        egui::ScrollArea::vertical().show(ui, |ui| {
            if let Some(ctx) = &self.context {
                for &r in ctx {
                    let text = format!(
                        "{}  {:5}  {}",
                        self.cell(r, col::TS),
                        self.cell(r, col::LEVEL),
                        self.cell(r, col::MESSAGE)
                    );
                    let rt = egui::RichText::new(text)
                        .monospace()
                        .color(level_colour(self.index.level[r as usize]));
                    ui.label(if r == row {
                        rt.strong().underline()
                    } else {
                        rt
                    });
                }
                ui.separator();
            }
            ui.columns(2, |cols| {
                cols[0].strong("Message");
                cols[0].add(egui::Label::new(egui::RichText::new(&message).monospace()).wrap());
                cols[1].strong("Entry");
                cols[1].add(
                    egui::Label::new(egui::RichText::new(self.logs.entry_json(row)).monospace())
                        .wrap(),
                );
            });
        });
    }
}

/// Draws a histogram stacked by level (the most severe at the bottom) with its time labels;
/// returns the response of its area (clicks and drags) and the rectangle of the bars.
pub fn paint_histogram(ui: &mut egui::Ui, h: &Histogram) -> (egui::Response, Rect) {
    let width = ui.available_width();
    let (rect, response) = ui.allocate_exact_size(Vec2::new(width, 130.0), Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    let plot = Rect::from_min_max(
        rect.min + Vec2::new(4.0, 4.0),
        rect.max - Vec2::new(4.0, 18.0),
    );
    let n = h.counts.len().max(1);
    let max = h.max().max(1) as f32;
    let bw = plot.width() / n as f32;
    for (k, c) in h.counts.iter().enumerate() {
        let x0 = plot.left() + k as f32 * bw;
        let mut y = plot.bottom();
        // Stacked from the most severe at the bottom.
        for level in Level::ALL.iter().rev() {
            let v = c[*level as usize];
            if v == 0 {
                continue;
            }
            let hgt = v as f32 / max * plot.height();
            let bar = Rect::from_min_max(
                Pos2::new(x0 + 0.5, y - hgt),
                Pos2::new(x0 + bw.max(1.5) - 0.5, y),
            );
            painter.rect_filled(bar, 0.0, level_colour(*level));
            y -= hgt;
        }
    }
    // Time labels: the ends and the middle.
    if !h.counts.is_empty() {
        let end = h.start + h.step * h.counts.len() as i64;
        let text = ui.visuals().text_color();
        for (x, t, align) in [
            (plot.left(), h.start, egui::Align2::LEFT_BOTTOM),
            (
                plot.center().x,
                h.start + (end - h.start) / 2,
                egui::Align2::CENTER_BOTTOM,
            ),
            (plot.right(), end, egui::Align2::RIGHT_BOTTOM),
        ] {
            // Dates for the ends; the middle as precise as a bucket.
            let label = if align == egui::Align2::CENTER_BOTTOM {
                podsift_core::time::format_axis(t, h.step)
            } else {
                format_rfc3339_ms(t / 1_000_000)
            };
            painter.text(
                Pos2::new(x, rect.bottom() - 2.0),
                align,
                label,
                egui::FontId::monospace(11.0),
                text,
            );
        }
        painter.text(
            plot.right_top() + Vec2::new(-2.0, 2.0),
            egui::Align2::RIGHT_TOP,
            format!("max {} / {}", h.max(), step_text(h.step)),
            egui::FontId::proportional(11.0),
            text,
        );
    }
    (response, plot)
}

/// A value as the query language reads it: quoted when it has spaces, quotes or operators.
fn quote(v: &str) -> String {
    if !v.is_empty()
        && v.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn column_width(c: &str) -> f32 {
    match c {
        col::TS => 190.0,
        col::LEVEL => 44.0,
        col::POD => 170.0,
        col::NAMESPACE | col::CONTAINER | col::NODE | col::COMPONENT => 110.0,
        col::SOURCE => 220.0,
        _ => 70.0,
    }
}

fn step_text(step: i64) -> String {
    const S: i64 = 1_000_000_000;
    match step {
        s if s >= 86_400 * S && s % (86_400 * S) == 0 => format!("{}d", s / (86_400 * S)),
        s if s >= 3600 * S && s % (3600 * S) == 0 => format!("{}h", s / (3600 * S)),
        s if s >= 60 * S && s % (60 * S) == 0 => format!("{}m", s / (60 * S)),
        s if s >= S => format!("{}s", s / S),
        s if s >= 1_000_000 => format!("{}ms", s / 1_000_000),
        s => format!("{s}ns"),
    }
}

/// A level's colour (the histogram's and the table's).
pub fn level_colour(level: Level) -> Color32 {
    match level {
        Level::Fatal => Color32::from_rgb(190, 70, 220),
        Level::Error => Color32::from_rgb(230, 70, 70),
        Level::Warn => Color32::from_rgb(235, 160, 40),
        Level::Info => Color32::from_rgb(70, 150, 220),
        Level::Debug => Color32::from_rgb(120, 170, 120),
        Level::Trace => Color32::from_rgb(130, 130, 130),
        Level::Unknown => Color32::from_rgb(150, 150, 170),
    }
}

/// The colour of the pod at `rank` among a view's pods: hues a golden-ratio turn apart (so
/// neighbours differ most), darkened on a light background and lightened on a dark one until
/// the text has a contrast of 4.5 or more (WCAG AA) against it.
pub fn pod_colour(rank: usize, dark: bool) -> Color32 {
    let h = (rank as f32 * 0.618_034).fract();
    // Against white, or egui's dark panel (about #1b1b1b).
    let background = if dark { 0.0109 } else { 1.0 };
    let (mut s, mut v) = if dark { (0.5, 0.85) } else { (0.9, 0.55) };
    loop {
        // In gamma space (as the eye sees it), not linear.
        let c: Color32 = egui::ecolor::HsvaGamma { h, s, v, a: 1.0 }.into();
        let l = relative_luminance(c);
        let contrast = (l.max(background) + 0.05) / (l.min(background) + 0.05);
        if contrast >= 4.5 || v <= 0.05 || (dark && s <= 0.05) {
            return c;
        }
        if dark {
            if v < 1.0 {
                v = (v + 0.05).min(1.0);
            } else {
                s -= 0.05;
            }
        } else {
            v -= 0.05;
        }
    }
}

/// WCAG relative luminance of a colour.
fn relative_luminance(c: Color32) -> f32 {
    let lin = |v: u8| {
        let v = f32::from(v) / 255.0;
        if v <= 0.039_28 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c.r()) + 0.7152 * lin(c.g()) + 0.0722 * lin(c.b())
}
