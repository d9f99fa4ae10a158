//! `cargo run --release -p podsift-core --example columns -- [--packed] PATH...`: reads a
//! bundle into the `logs` table and prints what each column holds in memory (polars'
//! estimate), per entry: where a table's memory goes, for the browser viewer's budget. With
//! `--packed`, the table is built as the browser builds it (`message` and `fields` packed).

// A tool run by hand: it prints, and reads /proc for the memory.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

use podsift_core::ingest::{NoFilter, Progress};
use podsift_core::{Bundle, OpenOptions};

fn main() {
    let packed = std::env::args().any(|a| a == "--packed");
    let paths: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--packed")
        .collect();
    let bundle = match Bundle::open_paths(&paths, &OpenOptions::default()) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("columns: {e}");
            std::process::exit(2);
        }
    };
    memory("bundle opened and planned");
    // The read's stages, as `Bundle::read` runs them, with the memory after each (one
    // thread, as in the browser, when RAYON_NUM_THREADS=1).
    if packed {
        return packed_table(&bundle);
    }
    let (builders, _) = bundle.ingest(
        &NoFilter,
        podsift_core::table::LogsBuilder::new,
        &Progress::default(),
    );
    memory("entries read into builders");
    let frames: Vec<_> = builders
        .into_iter()
        .filter(|b| !b.is_empty())
        .map(|b| b.finish().expect("a frame"))
        .collect();
    memory("builders finished into frames");
    let logs = podsift_core::table::concat_sorted(frames).expect("the table is built");
    memory("frames stacked and sorted");
    let n = logs.height().max(1) as f64;
    let mut cols: Vec<(String, usize)> = logs
        .get_columns()
        .iter()
        .map(|c| {
            (
                c.name().to_string(),
                c.as_materialized_series().estimated_size(),
            )
        })
        .collect();
    cols.sort_by_key(|c| std::cmp::Reverse(c.1));
    let total: usize = cols.iter().map(|c| c.1).sum();
    println!(
        "{} entries; {:.0} MB in all = {:.0} bytes per entry",
        logs.height(),
        total as f64 / 1e6,
        total as f64 / n
    );
    for (name, size) in cols {
        println!("  {name:<12} {:>8.1} bytes per entry", size as f64 / n);
    }
}

/// The browser's table: each instance's text packed as it ends.
fn packed_table(bundle: &Bundle) {
    let (builders, _) = bundle.ingest(
        &NoFilter,
        podsift_core::table::LogsBuilder::packing,
        &Progress::default(),
    );
    memory("entries read into builders, text packed per instance");
    let parts: Vec<_> = builders
        .into_iter()
        .filter(|b| !b.is_empty())
        .map(|b| b.finish_packed().expect("a frame"))
        .collect();
    memory("builders finished");
    let logs = podsift_core::table::PackedLogs::new(parts).expect("the table is built");
    memory("entries put in time order");
    let index = logs.index().expect("the index");
    memory("the view's index built");
    let n = logs.height().max(1) as f64;
    println!(
        "{} entries: packed rows {:.1} bytes per entry, time order {:.1}, view index {:.1}",
        logs.height(),
        logs.packed_bytes() as f64 / n,
        logs.order_bytes() as f64 / n,
        (index.ts.len() * 9 + 4 * index.pod.ids.len() * 4) as f64 / n,
    );
    // What packing costs a whole-table export (64K rows at a time, as the viewer's Export).
    let packed = podsift_core::table::LogTable::Packed(std::sync::Arc::new(logs));
    let plain = podsift_core::table::LogTable::Frame(packed.to_frame().expect("the frame"));
    let all: Vec<u32> = (0..packed.height() as u32).collect();
    for (what, table) in [("packed", &packed), ("plain", &plain)] {
        let t = std::time::Instant::now();
        let out = podsift_core::export::ExportFormat::Parquet
            .write_frames(table.chunks(&all, 64 * 1024))
            .expect("the export");
        println!(
            "Parquet export of every row, {what} table: {} bytes in {:.2} s",
            out.len(),
            t.elapsed().as_secs_f64()
        );
    }
}

/// Prints the resident memory now and at its peak (Linux), and the time since the last stage.
fn memory(stage: &str) {
    static LAST: std::sync::Mutex<Option<std::time::Instant>> = std::sync::Mutex::new(None);
    let now = std::time::Instant::now();
    let took = LAST
        .lock()
        .ok()
        .and_then(|mut last| last.replace(now))
        .map_or(0.0, |t| now.duration_since(t).as_secs_f64());
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    println!(
        "{stage}: resident {} MB, peak {} MB, {took:.2} s",
        kb("VmRSS:") / 1024,
        kb("VmHWM:") / 1024
    );
}
