//! podsift-core: Kubernetes logs copied off a cluster, into columnar tables.
//!
//! The data's path, one module per stage:
//!
//! 0. [`bundle`]: the door every front end reads through: [`bundle::Bundle::open`] opens and
//!    plans a file set, [`bundle::Bundle::read`] gives every table in one value,
//!    [`bundle::Steps`] does the same a step at a time for the browser.
//! 1. [`sources`]: files with paths and bytes ([`sources::FileSet`]), from memory or (natively)
//!    from disk; [`sources::plan`] classifies them by the node log layout and groups them into
//!    container instances, asking [`detect`] what a file is when its path does not say.
//! 2. [`formats`]: how bytes become entries: CRI and docker json-file framing, then the payload
//!    (JSON, logfmt, klog, text), each a parser over bytes with table-driven cases.
//! 3. [`ingest`]: reads instances in parallel, joins partial lines, and pushes entries to sinks.
//! 4. [`table`]: sinks that build the `logs` and `sources` tables ([`schema`]) as polars frames.
//!    [`metrics`] parses Prometheus scrapes and exports into the `series`, `samples` and
//!    `metric_families` tables beside them.
//! 5. [`query`]: filters, stats, time order and SQL over those tables; [`export`] writes them
//!    out (text, CSV, NDJSON, Arrow IPC through arrow-rs).
//!
//! Nothing here draws UI or, outside `sources::native`, touches the filesystem; the crate
//! builds for `wasm32-unknown-unknown`. What front ends and library users need is re-exported
//! here at the top; fallible calls return [`Result`] with podsift's [`Error`].
//!
//! ```
//! use podsift_core::{Bundle, FileSet, OpenOptions, Progress, ReadOptions};
//!
//! let mut set = FileSet::new();
//! set.add_bytes(
//!     "node-a/pods/shop_web-1_0d9c/app/0.log",
//!     b"2024-03-01T10:00:00.000000000Z stdout F {\"level\":\"error\",\"msg\":\"boom\"}\n".to_vec(),
//! );
//! let bundle = Bundle::open(set, &OpenOptions::default());
//! let tables = bundle.read(&ReadOptions::default(), &Progress::default())?;
//! assert_eq!(tables.logs.height(), 1);
//! assert!(!bundle.problems(Some(&tables.accounting)).any());
//! # Ok::<(), podsift_core::Error>(())
//! ```
#![deny(missing_docs)]

pub mod bundle;
pub mod detect;
pub mod diag;
pub mod error;
pub mod export;
pub mod formats;
#[doc(hidden)]
pub mod fuzz;
pub mod ingest;
pub mod level;
pub mod metrics;
pub mod promql;
pub mod query;
pub mod report;
pub mod schema;
pub mod sources;
pub mod table;
pub mod time;
pub mod timefmt;

// What a front end or a library user needs, at the top: open and read a bundle, filter and
// query its entries, write them out, report on them.
pub use bundle::{
    Bundle, OpenOptions, Phase, Problems, ReadOptions, Steps, StepsDone, Tables, Wanted,
};
pub use diag::{Diagnostic, Severity};
pub use error::{Error, Result};
pub use export::ExportFormat;
pub use formats::EntryFormat;
pub use ingest::{Accounting, Entry, EntryFilter, EntrySink, Needs, NoFilter, Progress};
pub use level::Level;
pub use query::filter::{FieldMatch, LevelSet, LogFilter};
pub use query::search::Query;
pub use report::{Report, ReportDiff, ReportOptions};
pub use sources::FileSet;
pub use sources::archive::ArchiveLimits;
pub use sources::plan::PlanOptions;
pub use table::LogTable;
pub use table::metrics::{MetricsOptions, MetricsStore};
