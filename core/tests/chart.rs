//! The metrics view's computations over a store read from a promtool dump: rates across a
//! counter reset, values at a time, the picker's search and label filters, thinning.

use podsift_core::ingest::Accounting;
use podsift_core::query::chart::{LabelFilter, LabelOp, Mode, SeriesFilter, SeriesIndex, Unit};
use podsift_core::sources::FileSet;
use podsift_core::sources::plan::{PlanOptions, plan};
use podsift_core::table::metrics::{MetricsStore, read_metrics};

const T0: i64 = 1_704_110_400_000; // 2024-01-01T12:00:00Z in ms

fn store(text: &str) -> MetricsStore {
    let mut set = FileSet::new();
    set.add_bytes("dump.txt", text.as_bytes().to_vec());
    let plan = plan(&set, &PlanOptions::default());
    let mut report = Accounting::default();
    read_metrics(&set, &plan, &Default::default(), &mut report)
}

fn dump() -> String {
    let mut text = String::from(
        "# TYPE http_requests_total counter\n# TYPE memory_bytes gauge\n\
         # TYPE rpc_seconds histogram\n",
    );
    // A counter that resets between its third and fourth sample.
    for (k, (code, values)) in [
        ("200", [10.0, 40.0, 70.0, 5.0, 35.0]),
        ("500", [0.0, 0.0, 3.0, 3.0, 6.0]),
    ]
    .iter()
    .enumerate()
    {
        for (i, v) in values.iter().enumerate() {
            text.push_str(&format!(
                "http_requests_total{{code=\"{code}\",job=\"api\"}} {v} {}\n",
                T0 + i as i64 * 15_000 + k as i64
            ));
        }
    }
    for i in 0..5 {
        text.push_str(&format!(
            "memory_bytes{{pod=\"api-1\"}} {} {}\n",
            1024 * (i + 1),
            T0 + i * 15_000
        ));
        text.push_str(&format!(
            "rpc_seconds_count{{job=\"api\"}} {} {}\n",
            i * 2,
            T0 + i * 15_000
        ));
    }
    text
}

#[test]
fn rates_values_and_search() {
    let store = store(&dump());
    let index = SeriesIndex::new(&store);
    assert_eq!(index.series.len(), 4);
    let find = |title: &str| {
        index
            .series
            .iter()
            .find(|s| s.title == title)
            .unwrap_or_else(|| panic!("{title} in {:?}", index.series))
    };
    let ok = find(r#"http_requests_total{code="200",job="api"}"#);
    assert!(ok.counter);
    assert_eq!(ok.samples, 5);
    assert_eq!(ok.unit, Unit::None);
    let mem = find(r#"memory_bytes{pod="api-1"}"#);
    assert!(!mem.counter);
    assert_eq!(mem.unit, Unit::Bytes);
    assert!(find(r#"rpc_seconds_count{job="api"}"#).counter);

    // Rate: 30/15 s, 30/15 s, then a reset to 5 counts as 5 (5/15 s), then 30/15 s.
    let rate = index.points(&store, ok.id, Mode::Rate, None, 1000);
    let secs = |i: i64| (T0 + i * 15_000) as f64 / 1000.0;
    assert_eq!(
        rate,
        vec![
            [secs(1), 2.0],
            [secs(2), 2.0],
            [secs(3), 5.0 / 15.0],
            [secs(4), 2.0]
        ]
    );
    let raw = index.points(&store, mem.id, Mode::Raw, None, 1000);
    assert_eq!(raw.len(), 5);
    assert_eq!(raw[4], [secs(4), 5120.0]);
    // A range keeps one sample either side; a rate inside it still has its first point.
    let inside = index.points(
        &store,
        ok.id,
        Mode::Rate,
        Some((T0 + 20_000, T0 + 40_000)),
        1000,
    );
    assert_eq!(
        inside,
        vec![[secs(1), 2.0], [secs(2), 2.0], [secs(3), 5.0 / 15.0]]
    );

    // Values at a time: the last sample at or before it, within five minutes.
    assert_eq!(
        index.value_at(&store, mem.id, Mode::Raw, T0 + 16_000),
        Some(2048.0)
    );
    assert_eq!(index.value_at(&store, mem.id, Mode::Raw, T0 - 1), None);
    assert_eq!(
        index.value_at(&store, mem.id, Mode::Raw, T0 + 60_000 + 300_001),
        None
    );
    assert_eq!(
        index.value_at(&store, ok.id, Mode::Rate, T0 + 46_000),
        Some(5.0 / 15.0)
    );
    assert_eq!(index.value_at(&store, ok.id, Mode::Rate, T0 + 1), None);
    assert_eq!(index.extent(&store), Some((T0, T0 + 60_001)));

    let titles = |f: &SeriesFilter| -> Vec<String> {
        index
            .search(&store, f)
            .unwrap()
            .iter()
            .map(|&i| index.series[i as usize].title.clone())
            .collect()
    };
    let words = SeriesFilter {
        text: "HTTP 500".into(),
        labels: Vec::new(),
    };
    assert_eq!(
        titles(&words),
        vec![r#"http_requests_total{code="500",job="api"}"#]
    );
    let selector = SeriesFilter {
        text: r#"{job="api"}"#.into(),
        labels: Vec::new(),
    };
    assert_eq!(titles(&selector).len(), 3);
    let labelled = SeriesFilter {
        text: "http".into(),
        labels: vec![LabelFilter {
            name: "code".into(),
            op: LabelOp::NotMatches,
            value: "5..".into(),
        }],
    };
    assert_eq!(
        titles(&labelled),
        vec![r#"http_requests_total{code="200",job="api"}"#]
    );
    let bad = SeriesFilter {
        text: "{job=".into(),
        labels: Vec::new(),
    };
    assert!(index.search(&store, &bad).is_err());
    let all: Vec<u32> = (0..4).collect();
    let names = podsift_core::query::chart::label_names(&store, &all);
    assert_eq!(
        names,
        vec![("code".into(), 2), ("job".into(), 3), ("pod".into(), 1)]
    );
    // A legend names what differs: code for the two counters, everything for one series.
    let counters: Vec<u32> = index
        .series
        .iter()
        .filter(|s| s.title.starts_with("http"))
        .map(|s| s.id)
        .collect();
    assert_eq!(
        podsift_core::query::chart::distinct_labels(&store, &counters),
        vec![r#"code="200""#, r#"code="500""#]
    );
    assert_eq!(
        podsift_core::query::chart::distinct_labels(&store, &[mem.id]),
        vec![r#"pod="api-1""#]
    );
    assert_eq!(
        podsift_core::query::chart::label_values(&store, &all, "code"),
        vec![("200".into(), 1), ("500".into(), 1)]
    );
}

#[test]
fn a_long_series_is_thinned_to_what_a_chart_shows() {
    let mut text = String::from("# TYPE load gauge\n");
    for i in 0..20_000i64 {
        let v = if i == 12_345 { 1000.0 } else { (i % 10) as f64 };
        text.push_str(&format!("load {v} {}\n", T0 + i * 1000));
    }
    let store = store(&text);
    let index = SeriesIndex::new(&store);
    let points = index.points(&store, 0, Mode::Raw, None, 2000);
    assert!(
        points.len() <= 2002 && points.len() > 1000,
        "{}",
        points.len()
    );
    assert!(points.iter().any(|p| p[1] == 1000.0), "the spike is kept");
    assert!(points.windows(2).all(|w| w[0][0] < w[1][0]));
}

/// A series of native histograms (read from a real Prometheus's WAL) is charted as its count of
/// observations, a counter, so the rate mode gives observations per second.
#[test]
#[allow(clippy::disallowed_methods)] // the test reads the repo's data directory
fn native_histogram_series_chart_their_counts() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/prometheus/data");
    let bundle = podsift_core::bundle::Bundle::open_paths(
        &[dir],
        &podsift_core::bundle::OpenOptions::default(),
    )
    .unwrap();
    let mut report = Accounting::default();
    let store = bundle.read_metrics(&Default::default(), &mut report);
    let index = SeriesIndex::new(&store);
    let api = index
        .series
        .iter()
        .find(|s| s.title.starts_with("demo_latency_seconds{") && s.title.contains("/api"))
        .unwrap();
    assert!(
        api.title.ends_with(" (native histogram: count)"),
        "{}",
        api.title
    );
    assert!(api.counter);
    let want: Vec<(i64, f64)> = store
        .histograms
        .iter()
        .filter(|h| h.0 == api.id)
        .map(|h| (h.1, h.2.count))
        .collect();
    assert_eq!(api.samples, want.len());
    let (ts, vs) = index.samples(&store, api.id);
    let got: Vec<(i64, f64)> = ts.iter().copied().zip(vs.iter().copied()).collect();
    assert_eq!(got, want);
    // Series with float samples are untouched.
    let up = index
        .series
        .iter()
        .find(|s| s.title.starts_with("up{"))
        .unwrap();
    assert!(!up.title.contains("histogram"));
    assert_eq!(index.samples(&store, up.id).0.len(), up.samples);
}
