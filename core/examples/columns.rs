//! `cargo run --release -p podsift-core --example columns -- PATH...`: reads a bundle into the
//! `logs` table and prints what each column holds in memory (polars' estimate), per million
//! entries: where a table's memory goes, for the browser viewer's budget.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use podsift_core::ingest::{NoFilter, Progress};
use podsift_core::sources::FileSet;
use podsift_core::sources::plan::{PlanOptions, plan};

fn main() {
    let mut set = FileSet::new();
    for path in std::env::args().skip(1) {
        if let Err(e) =
            podsift_core::sources::native::add_path(&mut set, std::path::Path::new(&path))
        {
            eprintln!("columns: {path}: {e}");
            std::process::exit(2);
        }
    }
    set.open_archives(Default::default());
    let plan = plan(&set, &PlanOptions::default());
    let (logs, _) = podsift_core::table::read_logs(&set, &plan, &NoFilter, &Progress::default())
        .expect("the table is built");
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
