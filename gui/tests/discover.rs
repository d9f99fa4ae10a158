//! The desktop app driven as a user would (egui_kittest): open the sample bundle, type a query,
//! and check the table's row count and the histogram's total against the table itself.

#![allow(clippy::disallowed_methods)]

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use podsift_core::schema::logs as col;
use podsift_gui::PodsiftApp;
use polars::prelude::*;

/// Rows of the loaded table whose level is `level` and pod starts with `prefix`, counted with
/// polars (not with the app's query code).
fn oracle(logs: &DataFrame, level: &str, prefix: &str) -> usize {
    let levels = logs
        .column(col::LEVEL)
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    let pods = logs
        .column(col::POD)
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    levels
        .str()
        .unwrap()
        .iter()
        .zip(pods.str().unwrap().iter())
        .filter(|(l, p)| *l == Some(level) && p.is_some_and(|p| p.starts_with(prefix)))
        .count()
}

#[test]
fn typing_a_query_filters_the_table_and_the_histogram() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/sample");
    let mut app = PodsiftApp::default();
    app.open_paths(vec![sample.into()]);
    assert!(app.loading());
    app.wait();
    let total = app.view().expect("loaded").index.len();
    assert!(total > 500, "{total}");

    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_ui_state(|ui, app: &mut PodsiftApp| app.show(ui), app);
    harness.run();
    {
        let view = harness.state_mut().view().unwrap();
        assert_eq!(view.rows().len(), total);
        assert_eq!(view.histogram.total() as usize, total);
    }

    harness.get_by_label("Query").focus();
    harness
        .get_by_label("Query")
        .type_text("level:error pod:api-*");
    harness.run();
    harness.get_by_label("Search").click();
    harness.run();

    let want = {
        let view = harness.state_mut().view().unwrap();
        oracle(&view.logs.to_frame().unwrap(), "error", "api-")
    };
    assert!(want > 0);
    let view = harness.state_mut().view().unwrap();
    assert_eq!(view.error, None);
    assert_eq!(view.rows().len(), want);
    assert_eq!(view.histogram.total() as usize, want);
    assert!(
        view.rows()
            .iter()
            .all(|&r| view.index.pod.get(r).unwrap().starts_with("api-"))
    );
    // The count is shown.
    harness.get_by_label(&format!("{want} of {total} entries"));

    // A bad query says why and keeps the rows.
    harness.get_by_label("Query").focus();
    harness.get_by_label("Query").type_text(" (");
    harness.get_by_label("Search").click();
    harness.run();
    let view = harness.state_mut().view().unwrap();
    assert!(
        view.error
            .as_deref()
            .is_some_and(|e| e.starts_with("query:")),
        "{:?}",
        view.error
    );
    assert_eq!(view.rows().len(), want);
}

#[test]
fn chips_ranges_and_context_narrow_the_table() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/sample");
    let mut app = PodsiftApp::default();
    app.open_paths(vec![sample.into()]);
    app.wait();
    let view = app.view().expect("loaded");
    let total = view.rows().len();
    let containers = |v: &podsift_gui::discover::Discover, name: &str| {
        v.rows()
            .iter()
            .filter(|&&r| v.index.container.get(r) == Some(name))
            .count()
    };
    let proxies = containers(view, "istio-proxy");
    assert!(proxies > 0);

    // A chip leaves a container out; switching it off brings it back; removing it too.
    view.add_chip("-container:istio-proxy").unwrap();
    assert_eq!(view.rows().len(), total - proxies);
    assert_eq!(containers(view, "istio-proxy"), 0);
    assert_eq!(view.histogram.total() as usize, total - proxies);
    view.chips[0].enabled = false;
    view.apply();
    assert_eq!(view.rows().len(), total);
    view.chips[0].enabled = true;
    view.apply();
    assert!(
        view.add_chip("(level:error").is_err(),
        "a bad chip is refused"
    );
    assert_eq!(view.chips.len(), 1);

    // A time range: its rows only, and the histogram covers just it.
    let (first, last) = view.index.extent(&view.selection.rows).unwrap();
    let mid = first + (last - first) / 2;
    view.set_range(Some((first, mid)));
    assert!(!view.rows().is_empty());
    assert!(view.rows().iter().all(|&r| {
        let t = view.index.ts[r as usize];
        (first..mid).contains(&t)
    }));
    assert_eq!(view.histogram.total() as usize, view.rows().len());
    assert!(view.histogram.start <= first);
    // An open field's values follow the range (counted again from the kept column codes).
    view.open_field("pod");
    view.set_range(Some((mid, last + 1)));
    let want = view.logs.top_values(view.rows(), "pod", 10, 1).unwrap();
    assert_eq!(
        view.values.as_ref().map(|(f, v)| (f.as_str(), v)),
        Some(("pod", &want))
    );
    assert_eq!(want.rows_seen, view.rows().len());
    view.set_range(Some((first, mid)));
    // "15m" back from the bundle's end, as the time picker reads it.
    view.from_text = "15m".into();
    view.to_text.clear();
    view.set_range_text();
    assert_eq!(view.error, None);
    let end = view.index.extent_all().unwrap().1;
    let (a, b) = view.range.unwrap();
    assert_eq!(a, end - 15 * 60 * 1_000_000_000);
    assert!(b > end);
    view.set_range(None);
    view.remove_chip(0);
    assert_eq!(view.rows().len(), total);

    // Context: the selected row's neighbours in its container.
    let row = view.rows()[total / 2];
    let ctx = view.index.context(row, 3, 3);
    assert!(ctx.contains(&row));
    assert!(
        ctx.iter()
            .all(|&r| view.index.pod.get(r) == view.index.pod.get(row)
                && view.index.container.get(r) == view.index.container.get(row))
    );
}

#[test]
fn pod_colours_are_distinct_and_readable_on_either_theme() {
    use eframe::egui;
    use podsift_gui::discover::pod_colour;
    // WCAG relative luminance and contrast.
    let luminance = |c: egui::Color32| {
        let lin = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(c.r()) + 0.7152 * lin(c.g()) + 0.0722 * lin(c.b())
    };
    let contrast = |a: f64, b: f64| (a.max(b) + 0.05) / (a.min(b) + 0.05);
    let white = 1.0;
    // The dark theme's panel (egui's default dark fill is about #1b1b1b).
    let dark_bg = luminance(egui::Color32::from_gray(27));
    let mut seen = std::collections::HashSet::new();
    for rank in 0..40 {
        let light = pod_colour(rank, false);
        let dark = pod_colour(rank, true);
        assert!(
            contrast(luminance(light), white) >= 4.5,
            "rank {rank}: {light:?} on white"
        );
        assert!(
            contrast(luminance(dark), dark_bg) >= 4.5,
            "rank {rank}: {dark:?} on dark"
        );
        assert!(seen.insert(light), "rank {rank} repeats a colour");
    }
}
