//! The metrics view driven as a user would (egui_kittest) over a bundle of one pod's logs and
//! its scrapes over the same ten minutes: search, pick, rates by default for counters, the
//! legend isolating a series, the hover values, and one time range for both views (zoom the
//! histogram and the charts follow; zoom a chart and the histogram follows).

#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use podsift_core::query::chart::Mode;
use podsift_gui::{PodsiftApp, Tab};

const UID: &str = "0d9c1f6e-3b1a-4c55-9a61-0c6b2f4d8e11";
/// 2024-01-01T12:00:00Z
const T0_MS: i64 = 1_704_110_400_000;

/// A bundle: `api-1`'s log (an entry every 10 s for 10 minutes) and a dump of three series
/// sampled every 15 s over the same minutes: a counter that grows 30 per scrape (2/s) and
/// resets once, a second counter growing 3/s, and a memory gauge.
fn bundle(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("podsift-gui-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let pod = dir.join(format!("node-a/pods/shop_api-1_{UID}/app"));
    std::fs::create_dir_all(&pod).unwrap();
    let mut log = String::new();
    for i in 0..60 {
        let secs = i * 10;
        log.push_str(&format!(
            "2024-01-01T12:{:02}:{:02}.000000000Z stdout F {{\"level\":\"{}\",\"msg\":\"tick {i}\"}}\n",
            secs / 60,
            secs % 60,
            if i % 10 == 0 { "error" } else { "info" }
        ));
    }
    std::fs::write(pod.join("0.log"), log).unwrap();
    let mut dump =
        String::from("# TYPE http_requests_total counter\n# TYPE memory_working_set_bytes gauge\n");
    for k in 0..41i64 {
        let t = T0_MS + k * 15_000;
        // Resets at scrape 20: counts again from 0.
        let ok = if k < 20 { 30 * k } else { 30 * (k - 20) };
        dump.push_str(&format!(
            "http_requests_total{{code=\"200\",pod=\"api-1\"}} {ok} {t}\n"
        ));
        dump.push_str(&format!(
            "http_requests_total{{code=\"500\",pod=\"api-1\"}} {} {t}\n",
            45 * k
        ));
        dump.push_str(&format!(
            "memory_working_set_bytes{{pod=\"api-1\"}} {} {t}\n",
            (100 + k) * 1_048_576
        ));
    }
    std::fs::write(dir.join("node-a/metrics-dump.txt"), dump).unwrap();
    dir
}

/// A harness whose frames are `step_dt` apart (1/60 s makes two clicks a double click; the
/// default quarter second lets a tooltip appear).
fn harness(app: PodsiftApp, step_dt: f32) -> Harness<'static, PodsiftApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .with_step_dt(step_dt)
        .with_max_steps(16)
        .build_ui_state(|ui, app: &mut PodsiftApp| app.show(ui), app)
}

#[test]
fn pick_series_rates_legend_and_hover() {
    let dir = bundle("pick");
    let mut app = PodsiftApp::default();
    app.open_paths(vec![dir.clone()]);
    app.wait();
    assert_eq!(app.loaded().unwrap().logs.height(), 60);
    let mut h = harness(app, 0.25);
    h.run();
    h.get_by_label("Metrics (3 series)").click();
    h.run();
    assert_eq!(h.state().tab, Tab::Metrics);
    h.get_by_label("Pick series on the left to chart them.");

    // Search words; two series of http_requests_total are left, then a selector leaves one.
    h.get_by_label("Series").focus();
    h.get_by_label("Series").type_text("http api-1");
    h.run();
    assert_eq!(h.state_mut().metrics().unwrap().found.len(), 2);
    h.get_by_label("2 of 3 series");
    h.get_by_label("Series").focus();
    h.get_by_label("Series").type_text(r#"{code="500"}"#);
    h.run();
    // "http api-1{code=..." is not a selector: the error shows and the list stays.
    assert!(h.state_mut().metrics().unwrap().error.is_some());
    {
        let m = h.state_mut().metrics().unwrap();
        m.search = r#"http_requests_total{code=~"2..|5.."}"#.into();
        m.apply();
        assert_eq!(m.error, None);
        assert_eq!(m.found.len(), 2);
    }
    h.run();

    // Pick both counters by clicking them in the list: one chart, as rates.
    h.get_by_label(r#"http_requests_total{code="200",pod="api-1"}"#)
        .click();
    h.run();
    h.get_by_label(r#"http_requests_total{code="500",pod="api-1"}"#)
        .click();
    h.run();
    let chart = {
        let m = h.state_mut().metrics().unwrap();
        let charts = m.charts();
        assert_eq!(charts.len(), 1);
        assert_eq!(charts[0].series.len(), 2);
        assert_eq!(charts[0].mode, Mode::Rate, "counters are rates by default");
        charts[0].clone()
    };
    // The values at 12:05:07: 2/s and 3/s; just after the reset at 12:05:00, the first counter
    // counts its new value (0 after 570: the increase since the reset, 0/s).
    {
        let m = h.state_mut().metrics().unwrap();
        let v = m.values_at(&chart, T0_MS + 4 * 60_000 + 7_000);
        assert_eq!(
            v,
            vec![
                (
                    r#"http_requests_total{code="200",pod="api-1"}"#.into(),
                    "2/s".into()
                ),
                (
                    r#"http_requests_total{code="500",pod="api-1"}"#.into(),
                    "3/s".into()
                )
            ]
        );
        let v = m.values_at(&chart, T0_MS + 5 * 60_000 + 1);
        assert_eq!(v[0].1, "0/s");
    }
    // Hovering the chart shows the tooltip for the time under the pointer.
    let (rect, (x0, x1)) = h.state_mut().metrics().unwrap().drawn["http_requests_total"];
    assert!((x0 - T0_MS as f64 / 1000.0).abs() < 1.0, "{x0}");
    assert!(x1 > x0);
    let at = rect.left() + rect.width() * 0.5;
    h.hover_at(eframe::egui::pos2(at, rect.center().y));
    h.run();
    let hover = h.state_mut().metrics().unwrap().hover_ms.expect("hovered");
    let want = (x0 + (x1 - x0) * 0.5) * 1000.0;
    assert!(
        (hover as f64 - want).abs() < (x1 - x0) * 1000.0 / 100.0,
        "{hover} {want}"
    );
    h.get_by_label_contains("/s  http_requests_total{code=\"500\"");

    // The legend: a click isolates a series, a second click shows both again.
    h.get_by_label(r#"code="500""#).click();
    h.run();
    {
        let m = h.state_mut().metrics().unwrap();
        let c = m.charts().remove(0);
        let vis = m.visible(&c);
        assert_eq!(vis.len(), 1);
        assert!(m.index.series[vis[0] as usize].title.contains("500"));
    }
    h.get_by_label(r#"code="500""#).click();
    h.run();
    {
        let m = h.state_mut().metrics().unwrap();
        let c = m.charts().remove(0);
        assert_eq!(m.visible(&c).len(), 2);
    }
    // Switching rate off draws the counters' values.
    h.get_by_label("rate").click();
    h.run();
    assert_eq!(h.state_mut().metrics().unwrap().charts()[0].mode, Mode::Raw);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn one_time_range_for_the_histogram_and_the_charts() {
    let dir = bundle("range");
    let mut app = PodsiftApp::default();
    app.open_paths(vec![dir.clone()]);
    app.wait();
    {
        let m = app.metrics().unwrap();
        let gauge = m
            .found
            .iter()
            .copied()
            .find(|&id| m.index.series[id as usize].title.starts_with("memory"))
            .unwrap();
        m.toggle(gauge);
        assert_eq!(m.charts()[0].mode, Mode::Raw, "a gauge is drawn as it is");
    }
    let mut h = harness(app, 1.0 / 60.0);
    h.get_by_label("Metrics (3 series)").click();
    h.run();

    // Zooming the logs histogram (here: its range) moves the chart.
    let minute = 60_000_000_000i64;
    let t0 = T0_MS * 1_000_000;
    h.state_mut()
        .view()
        .unwrap()
        .set_range(Some((t0 + 2 * minute, t0 + 4 * minute)));
    h.run();
    h.run();
    let (rect, (x0, x1)) = h.state_mut().metrics().unwrap().drawn["memory_working_set_bytes"];
    let secs = |ns: i64| ns as f64 / 1e9;
    assert!((x0 - secs(t0 + 2 * minute)).abs() < 1e-3, "{x0}");
    assert!((x1 - secs(t0 + 4 * minute)).abs() < 1e-3, "{x1}");

    // Zooming the chart (a box dragged over its middle half) moves the histogram.
    let y = rect.center().y;
    let (a, b) = (
        rect.left() + rect.width() * 0.25,
        rect.left() + rect.width() * 0.75,
    );
    h.hover_at(eframe::egui::pos2(a, y - 40.0));
    h.run();
    h.drag_at(eframe::egui::pos2(a, y - 40.0));
    h.run();
    for k in 1..=5 {
        h.hover_at(eframe::egui::pos2(a + (b - a) * k as f32 / 5.0, y + 40.0));
        h.run();
    }
    // Released with the pointer still over the chart (`drop_at` also takes the pointer away,
    // which a real release does not).
    h.event(eframe::egui::Event::PointerButton {
        pos: eframe::egui::pos2(b, y + 40.0),
        button: eframe::egui::PointerButton::Primary,
        pressed: false,
        modifiers: Default::default(),
    });
    h.run();
    h.run();
    let (from, to) = h.state_mut().view().unwrap().range.expect("a range");
    let (want_from, want_to) = (t0 + 2 * minute + minute / 2, t0 + 3 * minute + minute / 2);
    let slack = minute / 20;
    assert!((from - want_from).abs() < slack, "{from} vs {want_from}");
    assert!((to - want_to).abs() < slack, "{to} vs {want_to}");
    // The histogram counts the entries of that span: one every 10 s.
    let view = h.state_mut().view().unwrap();
    let in_span = (0..60i64)
        .filter(|i| (from..to).contains(&(t0 + i * 10_000_000_000)))
        .count();
    assert_eq!(view.rows().len(), in_span);
    assert_eq!(view.histogram.total() as usize, in_span);
    // And the chart shows it.
    h.run();
    let (_, (x0, x1)) = h.state_mut().metrics().unwrap().drawn["memory_working_set_bytes"];
    assert!((x0 - secs(from)).abs() < 1e-3 && (x1 - secs(to)).abs() < 1e-3);

    // A double click on the chart goes back to everything, in both.
    h.hover_at(rect.center());
    h.run();
    for _ in 0..2 {
        for pressed in [true, false] {
            h.event(eframe::egui::Event::PointerButton {
                pos: rect.center(),
                button: eframe::egui::PointerButton::Primary,
                pressed,
                modifiers: Default::default(),
            });
            h.step();
        }
    }
    h.run();
    h.run();
    assert_eq!(h.state_mut().view().unwrap().range, None);
    assert_eq!(h.state_mut().view().unwrap().rows().len(), 60);
    let _ = std::fs::remove_dir_all(dir);
}
