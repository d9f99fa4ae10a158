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
//! builds for `wasm32-unknown-unknown`.
#![deny(missing_docs)]

pub mod bundle;
pub mod detect;
pub mod diag;
pub mod export;
pub mod formats;
pub mod ingest;
pub mod level;
pub mod metrics;
pub mod query;
pub mod report;
pub mod schema;
pub mod sources;
pub mod table;
pub mod time;
pub mod timefmt;
