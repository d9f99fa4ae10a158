//! The desktop app's speed bars (issue 7), measured on a node tree (the 1 GB bench tree of
//! `bench/run.sh`): time to the first histogram while it is read, time to the whole table,
//! memory per million entries, and the Discover view's frame time at 1920x1080 while
//! scrolling and while zooming the histogram, with the table grown to 10M entries (the tree's
//! entries repeated a day apart).
//!
//!     cargo run --release -p podsift-gui --example frame_bench -- TREE [ROWS]
//!
//! Frame time is egui's CPU work per frame (layout and painting into shapes, through
//! egui_kittest without a GPU), the part that grows with the table.

#![allow(clippy::disallowed_methods, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use podsift_core::ingest::{NoFilter, Progress};
use podsift_core::query::discover::LiveCounts;
use podsift_core::schema::logs as col;
use podsift_gui::discover::Discover;
use polars::prelude::*;

fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let tree = args.next().expect("usage: frame_bench TREE [ROWS]");
    let want: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);

    // Reading, with the live histogram polled as the app does.
    let before = rss_mb();
    let start = Instant::now();
    let live = Arc::new(LiveCounts::default());
    let l = live.clone();
    let t = tree.clone();
    let reader = std::thread::spawn(move || {
        let mut set = podsift_core::sources::FileSet::new();
        podsift_core::sources::native::add_path(&mut set, std::path::Path::new(&t)).unwrap();
        set.open_archives(podsift_core::sources::archive::ArchiveLimits::default());
        let plan = podsift_core::sources::plan::plan(
            &set,
            &podsift_core::sources::plan::PlanOptions::default(),
        );
        podsift_core::table::read_logs_live(&set, &plan, &NoFilter, &Progress::default(), &l)
            .unwrap()
            .0
    });
    let mut first_histogram = None;
    while !reader.is_finished() {
        if first_histogram.is_none() && live.histogram(120).is_some() {
            first_histogram = Some(start.elapsed());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let logs = reader.join().unwrap();
    let loaded = start.elapsed();
    let view_start = Instant::now();
    let one = Discover::new(podsift_core::table::LogTable::Frame(logs.clone())).unwrap();
    let view_time = view_start.elapsed();
    let after = rss_mb();
    let n = logs.height();
    println!("tree: {tree}: {n} entries");
    println!(
        "first histogram: {:.3} s; table read: {:.3} s; view (index, histogram, tree): {:.3} s",
        first_histogram.unwrap_or(loaded).as_secs_f64(),
        loaded.as_secs_f64(),
        view_time.as_secs_f64()
    );
    let table_mb = logs.estimated_size() as f64 / 1e6;
    podsift_gui::release_free_memory();
    let trimmed = rss_mb();
    let per_million = |mb: f64| mb / (n as f64 / 1e6);
    println!(
        "memory: RSS grew {:.0} MB for {n} entries = {:.0} MB per million; after the read's \
         freed peak is handed back (as the app does): {:.0} MB = {:.0} MB per million; the \
         table's own columns (polars' estimate): {table_mb:.0} MB = {:.0} MB per million",
        after - before,
        per_million(after - before),
        trimmed - before,
        per_million(trimmed - before),
        per_million(table_mb)
    );
    drop(one);

    // Grow to `want` rows: copies a day apart, each in time order after the one before.
    let mut big = logs.clone();
    let mut k = 1i64;
    while big.height() < want {
        let mut copy = logs.clone();
        let ts = copy
            .column(col::TS)
            .unwrap()
            .cast(&DataType::Int64)
            .unwrap();
        let shifted = (ts.i64().unwrap() + k * 86_400 * 1_000_000_000)
            .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
            .into_series()
            .with_name(col::TS.into());
        copy.with_column(shifted).unwrap();
        big.vstack_mut_owned(copy).unwrap();
        k += 1;
    }
    let mut big = big.slice(0, want);
    big.rechunk_mut();
    let view = Discover::new(podsift_core::table::LogTable::Frame(big)).unwrap();
    println!("view: {} entries", view.rows().len());

    let mut harness = Harness::builder()
        .with_size([1920.0, 1080.0])
        .build_ui_state(|ui, v: &mut Discover| v.ui(ui), view);
    harness.run_steps(3);
    let frames = 200;
    // Scrolling: a screenful and a bit per frame, through the whole table.
    let mut scroll = Vec::new();
    let total = harness.state().rows().len();
    for f in 0..frames {
        harness.state_mut().first = (f * 7919 * 997) % total;
        let t = Instant::now();
        harness.step();
        scroll.push(t.elapsed());
    }
    // Zooming: each frame narrows the range (as a drag on the histogram does) and draws.
    let (a, b) = {
        let v = harness.state();
        v.index.extent_all().unwrap()
    };
    let mut zoom = Vec::new();
    for f in 0..frames {
        let shrink = (b - a) / 2 * f as i64 / frames as i64;
        let t = Instant::now();
        harness
            .state_mut()
            .set_range(Some((a + shrink, b - shrink + 1)));
        harness.step();
        zoom.push(t.elapsed());
    }
    // Zoomed out again: the whole range.
    let t = Instant::now();
    harness.state_mut().set_range(None);
    harness.step();
    let unzoom = t.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "frame, scrolling {total} rows: median {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        ms(percentile(scroll.clone(), 0.5)),
        ms(percentile(scroll.clone(), 0.95)),
        ms(percentile(scroll, 1.0))
    );
    println!(
        "frame, zooming: median {:.2} ms, p95 {:.2} ms, max {:.2} ms; back to all: {:.2} ms",
        ms(percentile(zoom.clone(), 0.5)),
        ms(percentile(zoom.clone(), 0.95)),
        ms(percentile(zoom, 1.0)),
        ms(unzoom)
    );
}
