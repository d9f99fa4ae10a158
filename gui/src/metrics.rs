//! The metrics view: a series picker (search words or a PromQL selector, label filters) and
//! line charts, one per metric name, on a time axis shared with the Discover histogram (zoom
//! one and the other follows). A chart's legend isolates a series on click; hovering a chart
//! shows every series' value at that time; counters are drawn as per-second rates unless
//! switched off; values carry the unit their name gives. What it computes is
//! `podsift_core::query::chart`'s; this module keeps state and draws.

use std::collections::{BTreeMap, HashMap};

use eframe::egui::{self, Color32};
use egui_plot::{Line, Plot, PlotPoints, Span, VLine};
use podsift_core::query::chart::{
    LabelFilter, LabelOp, Mode, SeriesFilter, SeriesIndex, Unit, distinct_labels, label_names,
    label_values,
};
use podsift_core::query::discover::nice_step;
use podsift_core::table::metrics::MetricsStore;
use podsift_core::time::format_axis;

/// Series a chart draws at most (the picker says when more were asked for).
pub const MAX_SERIES_PER_CHART: usize = 40;
/// Series the "pick the first shown" button adds.
const PICK_SHOWN: usize = 10;

/// One chart: the picked series of one metric name.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// The metric name.
    pub name: String,
    /// What its values measure.
    pub unit: Unit,
    /// Raw values or rates.
    pub mode: Mode,
    /// Its series, in picking order.
    pub series: Vec<u32>,
}

/// The metrics view's state over one store.
#[derive(Debug)]
pub struct MetricsView {
    /// The samples.
    pub store: MetricsStore,
    /// The series, ready for picking and charting.
    pub index: SeriesIndex,
    /// The picker's search text (words, or a selector with `{`).
    pub search: String,
    /// Label conditions of the picker.
    pub labels: Vec<LabelFilter>,
    /// Series the search and label filters keep.
    pub found: Vec<u32>,
    /// Why the search did not run.
    pub error: Option<String>,
    /// Series charted, in picking order.
    pub picked: Vec<u32>,
    /// Per metric name: the mode chosen (absent: rates for counters, else raw values).
    pub modes: HashMap<String, Mode>,
    /// Per metric name: the one series shown, when one is isolated.
    pub isolated: HashMap<String, u32>,
    /// The time hovered in a chart (ms), for the tooltip.
    pub hover_ms: Option<i64>,
    /// Per chart drawn last: its plot's rectangle and the time span it showed (seconds).
    pub drawn: HashMap<String, (egui::Rect, (f64, f64))>,
    /// Per chart: where a drag that selects a span started (seconds).
    drag_from: HashMap<String, f64>,
    new_label: String,
    new_op: LabelOp,
    new_value: String,
    /// Points per (series, mode), for the range and width they were made for.
    cache: HashMap<(u32, bool), CachedPoints>,
}

/// A series' points, and the (range, width) they were made for.
type CachedPoints = ((Option<(i64, i64)>, usize), Vec<[f64; 2]>);

impl MetricsView {
    /// A view of `store`, nothing picked, every series listed.
    pub fn new(store: MetricsStore) -> MetricsView {
        let index = SeriesIndex::new(&store);
        let mut v = MetricsView {
            store,
            index,
            search: String::new(),
            labels: Vec::new(),
            found: Vec::new(),
            error: None,
            picked: Vec::new(),
            modes: HashMap::new(),
            isolated: HashMap::new(),
            hover_ms: None,
            drawn: HashMap::new(),
            drag_from: HashMap::new(),
            new_label: String::new(),
            new_op: LabelOp::Equal,
            new_value: String::new(),
            cache: HashMap::new(),
        };
        v.apply();
        v
    }

    /// Runs the search and the label filters; on an error keeps the last list.
    pub fn apply(&mut self) {
        let filter = SeriesFilter {
            text: self.search.clone(),
            labels: self.labels.clone(),
        };
        match self.index.search(&self.store, &filter) {
            Ok(found) => {
                self.found = found;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Charts series `id` (or takes it off when it is charted).
    pub fn toggle(&mut self, id: u32) {
        if let Some(k) = self.picked.iter().position(|&p| p == id) {
            self.picked.remove(k);
        } else {
            self.picked.push(id);
        }
    }

    /// The time range of every sample, in ns.
    pub fn extent_nanos(&self) -> Option<(i64, i64)> {
        self.index
            .extent(&self.store)
            .map(|(a, b)| (a * 1_000_000, b * 1_000_000))
    }

    /// The charts: picked series grouped by metric name, in picking order.
    pub fn charts(&self) -> Vec<Chart> {
        let mut order: Vec<String> = Vec::new();
        let mut groups: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for &id in &self.picked {
            let name = &self.store.series[id as usize].name;
            if !groups.contains_key(name) {
                order.push(name.clone());
            }
            groups.entry(name.clone()).or_default().push(id);
        }
        order
            .into_iter()
            .map(|name| {
                let series = groups.remove(&name).unwrap_or_default();
                let first = &self.index.series[series[0] as usize];
                let default = if first.counter { Mode::Rate } else { Mode::Raw };
                Chart {
                    mode: *self.modes.get(&name).unwrap_or(&default),
                    unit: first.unit,
                    name,
                    series,
                }
            })
            .collect()
    }

    /// The series a chart draws: the isolated one, or all (up to the limit).
    pub fn visible(&self, chart: &Chart) -> Vec<u32> {
        match self.isolated.get(&chart.name) {
            Some(id) if chart.series.contains(id) => vec![*id],
            _ => chart
                .series
                .iter()
                .copied()
                .take(MAX_SERIES_PER_CHART)
                .collect(),
        }
    }

    /// A legend click: shows only `id`, or everything again when it was the one shown.
    pub fn isolate(&mut self, chart: &str, id: u32) {
        if self.isolated.get(chart) == Some(&id) {
            self.isolated.remove(chart);
        } else {
            self.isolated.insert(chart.to_string(), id);
        }
    }

    /// Every visible series' value at `t_ms` in `chart`, formatted with its unit (the hover
    /// tooltip): (series title, value), `-` where a series has none then.
    pub fn values_at(&self, chart: &Chart, t_ms: i64) -> Vec<(String, String)> {
        self.visible(chart)
            .into_iter()
            .map(|id| {
                let info = &self.index.series[id as usize];
                let v = self
                    .index
                    .value_at(&self.store, id, chart.mode, t_ms)
                    .map_or_else(
                        || "-".to_string(),
                        |v| chart.unit.format(v, chart.mode == Mode::Rate),
                    );
                (info.title.clone(), v)
            })
            .collect()
    }

    fn points(
        &mut self,
        id: u32,
        mode: Mode,
        range: Option<(i64, i64)>,
        width: usize,
    ) -> &[[f64; 2]] {
        let key = (range, width);
        let rate = mode == Mode::Rate;
        let stale = self.cache.get(&(id, rate)).is_none_or(|(k, _)| *k != key);
        if stale {
            let range_ms = range.map(|(a, b)| (a / 1_000_000, (b + 999_999) / 1_000_000));
            let points = self
                .index
                .points(&self.store, id, mode, range_ms, width.max(100) * 2);
            self.cache.insert((id, rate), (key, points));
        }
        self.cache
            .get(&(id, rate))
            .map_or(&[], |(_, p)| p.as_slice())
    }

    /// Draws the view; `range` is the time range looked at (ns, shared with Discover) and
    /// `extent` everything's (logs and metrics). Returns the range a chart was zoomed or
    /// panned to (`Some(None)`: back to everything), for the caller to share.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        range: Option<(i64, i64)>,
        extent: Option<(i64, i64)>,
    ) -> Option<Option<(i64, i64)>> {
        egui::Panel::left("series-picker")
            .default_size(340.0)
            .show(ui, |ui| self.picker(ui));
        let mut changed = None;
        egui::CentralPanel::default().show(ui, |ui| {
            if self.store.is_empty() {
                ui.label("No metrics in this bundle (Prometheus scrapes, promtool dumps, API JSON, kubectl top output).");
                return;
            }
            if self.picked.is_empty() {
                ui.label("Pick series on the left to chart them.");
                return;
            }
            egui::ScrollArea::vertical().show(ui, |ui| {
                for chart in self.charts() {
                    if let Some(r) = self.chart_ui(ui, &chart, range, extent) {
                        changed = Some(r);
                    }
                    ui.separator();
                }
            });
        });
        changed
    }

    fn picker(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let label = ui.label("Series");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut self.search)
                        .id_salt("series-search")
                        .hint_text(r#"words, or a selector: http_requests_total{code=~"5.."}"#)
                        .desired_width(ui.available_width()),
                )
                .labelled_by(label.id);
            if edit.changed() {
                self.apply();
            }
        });
        // Label filters: name, operator, value. The names and values of the listed series are
        // counted only while their list is open (not on every frame).
        ui.horizontal(|ui| {
            let label = ui.label("Label");
            egui::ComboBox::from_id_salt("label-name")
                .width(110.0)
                .selected_text(if self.new_label.is_empty() {
                    "label"
                } else {
                    self.new_label.as_str()
                })
                .show_ui(ui, |ui| {
                    for (name, n) in &label_names(&self.store, &self.found) {
                        ui.selectable_value(
                            &mut self.new_label,
                            name.clone(),
                            format!("{name} ({n})"),
                        );
                    }
                })
                .response
                .labelled_by(label.id);
            egui::ComboBox::from_id_salt("label-op")
                .width(40.0)
                .selected_text(self.new_op.as_str())
                .show_ui(ui, |ui| {
                    for op in [
                        LabelOp::Equal,
                        LabelOp::NotEqual,
                        LabelOp::Matches,
                        LabelOp::NotMatches,
                    ] {
                        ui.selectable_value(&mut self.new_op, op, op.as_str());
                    }
                })
                .response
                .labelled_by(label.id);
            egui::ComboBox::from_id_salt("label-value")
                .width(110.0)
                .selected_text(if self.new_value.is_empty() {
                    "value"
                } else {
                    self.new_value.as_str()
                })
                .show_ui(ui, |ui| {
                    let values = label_values(&self.store, &self.found, &self.new_label);
                    for (v, n) in values.iter().take(200) {
                        ui.selectable_value(&mut self.new_value, v.clone(), format!("{v} ({n})"));
                    }
                })
                .response
                .labelled_by(label.id);
            if ui
                .add_enabled(!self.new_label.is_empty(), egui::Button::new("Add"))
                .on_hover_text("Keep the series whose label compares so")
                .clicked()
            {
                self.labels.push(LabelFilter {
                    name: std::mem::take(&mut self.new_label),
                    op: self.new_op,
                    value: std::mem::take(&mut self.new_value),
                });
                self.apply();
            }
        });
        if !self.labels.is_empty() {
            let mut remove = None;
            ui.horizontal_wrapped(|ui| {
                for (k, l) in self.labels.iter().enumerate() {
                    ui.label(format!("{}{}\"{}\"", l.name, l.op.as_str(), l.value));
                    if ui.small_button("x").on_hover_text("Remove").clicked() {
                        remove = Some(k);
                    }
                }
            });
            if let Some(k) = remove {
                self.labels.remove(k);
                self.apply();
            }
        }
        if let Some(e) = &self.error {
            ui.colored_label(Color32::from_rgb(220, 60, 60), e);
        }
        ui.horizontal(|ui| {
            ui.label(format!(
                "{} of {} series",
                self.found.len(),
                self.index.series.len()
            ));
            if ui
                .button("Chart first 10")
                .on_hover_text("Chart the first series of the list")
                .clicked()
            {
                for &id in self.found.iter().take(PICK_SHOWN) {
                    if !self.picked.contains(&id) {
                        self.picked.push(id);
                    }
                }
            }
            if ui
                .button("Clear")
                .on_hover_text("Take every chart off")
                .clicked()
            {
                self.picked.clear();
                self.isolated.clear();
            }
        });
        ui.separator();
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        let mut toggle = None;
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(ui, row_height, self.found.len(), |ui, rows| {
                for k in rows {
                    let id = self.found[k];
                    let info = &self.index.series[id as usize];
                    let picked = self.picked.contains(&id);
                    let kind = if info.counter {
                        "counter"
                    } else {
                        info.kind.as_str()
                    };
                    if ui
                        .selectable_label(picked, &info.title)
                        .on_hover_text(format!("{kind}, {} samples; click to chart", info.samples))
                        .clicked()
                    {
                        toggle = Some(id);
                    }
                }
            });
        if let Some(id) = toggle {
            self.toggle(id);
        }
    }

    fn chart_ui(
        &mut self,
        ui: &mut egui::Ui,
        chart: &Chart,
        range: Option<(i64, i64)>,
        extent: Option<(i64, i64)>,
    ) -> Option<Option<(i64, i64)>> {
        let counter = self.index.series[chart.series[0] as usize].counter;
        ui.horizontal(|ui| {
            ui.strong(&chart.name);
            let unit = match (chart.unit, chart.mode) {
                (Unit::None, Mode::Rate) => "per second".to_string(),
                (Unit::None, Mode::Raw) => String::new(),
                (u, Mode::Rate) => format!("{u:?} per second").to_lowercase(),
                (u, Mode::Raw) => format!("{u:?}").to_lowercase(),
            };
            ui.weak(unit);
            let mut rate = chart.mode == Mode::Rate;
            if ui
                .checkbox(&mut rate, "rate")
                .on_hover_text(if counter {
                    "A counter: drawn as its per-second increase (resets counted)"
                } else {
                    "Per-second change"
                })
                .changed()
            {
                self.modes.insert(
                    chart.name.clone(),
                    if rate { Mode::Rate } else { Mode::Raw },
                );
            }
            if chart.series.len() > MAX_SERIES_PER_CHART {
                ui.weak(format!(
                    "showing {MAX_SERIES_PER_CHART} of {} series",
                    chart.series.len()
                ));
            }
            if ui.small_button("Remove").clicked() {
                self.picked.retain(|id| !chart.series.contains(id));
            }
        });
        let visible = self.visible(chart);
        let view = range.or(extent);
        let legend_width = 280.0_f32.min(ui.available_width() * 0.35);
        let plot_width = (ui.available_width() - legend_width - 8.0).max(100.0);
        let mut lines: Vec<(String, Color32, Vec<[f64; 2]>)> = Vec::with_capacity(visible.len());
        for &id in &visible {
            let pts = self
                .points(id, chart.mode, range, plot_width as usize)
                .to_vec();
            let title = self.index.series[id as usize].title.clone();
            let colour = colour_of(chart, id);
            lines.push((title, colour, pts));
        }
        let unit = chart.unit;
        let per_second = chart.mode == Mode::Rate;
        let mut changed = None;
        let mut hover_x = None;
        let drag_from = self.drag_from.get(&chart.name).copied();
        ui.horizontal_top(|ui| {
            // Dragging selects a time span (as on the histogram); the wheel pans, Ctrl and
            // the wheel (or a pinch) zoom; a double click shows everything.
            let plot = Plot::new(("chart", &chart.name))
                .width(plot_width)
                .height(200.0)
                .allow_drag(false)
                .allow_double_click_reset(false)
                .allow_boxed_zoom(false)
                .allow_zoom([true, false])
                .allow_scroll([true, false])
                .show_x(false)
                .show_y(false)
                .label_formatter(|_| None)
                .x_grid_spacer(time_grid)
                .x_axis_formatter(|mark, _| {
                    format_axis((mark.value * 1e9) as i64, (mark.step_size * 1e9) as i64)
                })
                .y_axis_formatter(move |mark, _| unit.format(mark.value, per_second));
            let set_x = view.map(|(a, b)| (a as f64 / 1e9, b as f64 / 1e9));
            let response = plot.show(ui, |plot_ui| {
                plot_ui.set_auto_bounds([false, true]);
                if let Some((a, b)) = set_x {
                    plot_ui.set_plot_bounds_x(a..=b);
                }
                for (title, colour, pts) in lines {
                    plot_ui.line(
                        Line::new(title, PlotPoints::from(pts))
                            .color(colour)
                            .width(1.5),
                    );
                }
                let pointer = plot_ui.pointer_coordinate().map(|p| p.x);
                let r = plot_ui.response().clone();
                let from = if r.drag_started() { pointer } else { drag_from };
                if let (Some(a), Some(b)) = (from, pointer)
                    && r.dragged()
                {
                    plot_ui.add(
                        Span::new("", a.min(b)..=a.max(b))
                            .fill(Color32::from_rgba_unmultiplied(100, 150, 255, 50)),
                    );
                }
                if let Some(p) = pointer {
                    plot_ui.add(VLine::new("", p).color(Color32::from_gray(140)));
                }
                (pointer, from)
            });
            let (pointer, from) = response.inner;
            if response.response.hovered() {
                hover_x = pointer;
            }
            let r = &response.response;
            if r.drag_stopped() {
                self.drag_from.remove(&chart.name);
                if let (Some(a), Some(b)) = (from, pointer) {
                    let to_ns = |s: f64| (s * 1e9) as i64;
                    let (a, b) = (to_ns(a.min(b)), to_ns(a.max(b)));
                    // A drag of a few pixels is a click, not a span.
                    let px = (r.interact_pointer_pos().map_or(0.0, |p| p.x)
                        - response
                            .transform
                            .position_from_point_x(from.unwrap_or(0.0)))
                    .abs();
                    if b > a && px > 3.0 {
                        changed = Some(Some((a, b)));
                    }
                }
            } else if r.dragged()
                && let Some(f) = from
            {
                self.drag_from.insert(chart.name.clone(), f);
            }
            let shown = response.transform.bounds().range_x();
            self.drawn.insert(
                chart.name.clone(),
                (response.response.rect, (*shown.start(), *shown.end())),
            );
            if response.response.double_clicked() {
                changed = Some(None);
            } else if changed.is_none()
                && let Some((a, b)) = set_x
            {
                // The wheel panned or zoomed.
                let (x0, x1) = (*shown.start(), *shown.end());
                let tolerance = (b - a).abs() * 1e-6 + 1e-9;
                if (x0 - a).abs() > tolerance || (x1 - b).abs() > tolerance {
                    let to_ns = |s: f64| (s * 1e9) as i64;
                    changed = Some(Some((to_ns(x0), to_ns(x1).max(to_ns(x0) + 1))));
                }
            }
            if let Some(x) = hover_x {
                let t_ms = (x * 1000.0) as i64;
                self.hover_ms = Some(t_ms);
                let values = self.values_at(chart, t_ms);
                let colours: Vec<Color32> = self
                    .visible(chart)
                    .into_iter()
                    .map(|id| colour_of(chart, id))
                    .collect();
                response.response.on_hover_ui_at_pointer(|ui| {
                    ui.label(format_axis(t_ms * 1_000_000, 1));
                    for ((title, v), colour) in values.into_iter().zip(colours) {
                        ui.horizontal(|ui| {
                            swatch(ui, colour);
                            ui.label(format!("{v}  {title}"));
                        });
                    }
                });
            }
            // The legend: click isolates a series, a second click shows every one again.
            ui.vertical(|ui| {
                ui.set_width(legend_width);
                egui::ScrollArea::vertical()
                    .id_salt(("legend", &chart.name))
                    .max_height(200.0)
                    .show(ui, |ui| {
                        let isolated = self.isolated.get(&chart.name).copied();
                        let mut clicked = None;
                        let shown: Vec<u32> = chart
                            .series
                            .iter()
                            .copied()
                            .take(MAX_SERIES_PER_CHART)
                            .collect();
                        let names = distinct_labels(&self.store, &shown);
                        for (&id, short) in shown.iter().zip(names) {
                            let info = &self.index.series[id as usize];
                            let dim = isolated.is_some_and(|i| i != id);
                            let mut colour = colour_of(chart, id);
                            if dim {
                                colour = colour.gamma_multiply(0.3);
                            }
                            ui.horizontal(|ui| {
                                swatch(ui, colour);
                                let text = egui::RichText::new(short).color(colour);
                                if ui
                                    .add(
                                        egui::Label::new(text)
                                            .truncate()
                                            .sense(egui::Sense::click()),
                                    )
                                    .on_hover_text(format!(
                                        "{}\nclick: only this one; again: all",
                                        info.title
                                    ))
                                    .clicked()
                                {
                                    clicked = Some(id);
                                }
                            });
                        }
                        if let Some(id) = clicked {
                            self.isolate(&chart.name, id);
                        }
                    });
            });
        });
        changed
    }
}

/// A small square of a series' colour.
fn swatch(ui: &mut egui::Ui, colour: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, colour);
}

/// Grid marks on a time axis (seconds) at round clock steps: about six labelled marks, and
/// thinner ones a fifth of a step apart (as the histogram's buckets are cut).
#[expect(
    clippy::needless_pass_by_value,
    reason = "the signature egui_plot calls"
)]
fn time_grid(input: egui_plot::GridInput) -> Vec<egui_plot::GridMark> {
    let (a, b) = input.bounds;
    let span_ns = ((b - a) * 1e9).max(1.0) as i64;
    let major = nice_step(span_ns, 6) as f64 / 1e9;
    let minor = nice_step(span_ns, 30) as f64 / 1e9;
    let mut marks = Vec::new();
    for (step, every) in [(major, major), (minor, minor)] {
        if step <= 0.0 {
            continue;
        }
        let mut t = (a / step).ceil() * step;
        while t <= b && marks.len() < 400 {
            let on_major = every == minor && ((t / major).round() * major - t).abs() < step * 1e-6;
            if !on_major {
                marks.push(egui_plot::GridMark {
                    value: t,
                    step_size: every,
                });
            }
            t += step;
        }
    }
    marks
}

/// Line colours, in a chart's order (Grafana's classic palette).
const PALETTE: [Color32; 10] = [
    Color32::from_rgb(115, 191, 105),
    Color32::from_rgb(242, 204, 12),
    Color32::from_rgb(87, 148, 242),
    Color32::from_rgb(255, 120, 10),
    Color32::from_rgb(242, 73, 92),
    Color32::from_rgb(184, 119, 217),
    Color32::from_rgb(112, 219, 237),
    Color32::from_rgb(250, 100, 0),
    Color32::from_rgb(202, 149, 229),
    Color32::from_rgb(143, 226, 160),
];

/// A series' colour in its chart: by its place among the chart's series.
pub fn colour_of(chart: &Chart, id: u32) -> Color32 {
    let k = chart.series.iter().position(|&s| s == id).unwrap_or(0);
    PALETTE[k % PALETTE.len()]
}
