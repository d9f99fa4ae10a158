//! A bundle: every file a user handed podsift, opened, planned and read into tables, through one
//! door for every front end.
//!
//! [`Bundle::open`] takes a [`FileSet`] (bytes in memory, or files added from disk by
//! [`Bundle::open_paths`]), opens its archives and plans the read ([`crate::sources::plan`]).
//! [`Bundle::read`] then reads what was asked for (the `logs`, `audit`, `events` and `pods`
//! tables and the metrics store) into one [`Tables`] value, with the accounting of every file;
//! [`Bundle::ingest`] streams the entries to sinks instead (`stats`, `report`), and
//! [`Bundle::problems`] says what was skipped or did not parse. [`Steps`] is the same read a
//! step at a time within a time budget, for a front end on one thread (the browser viewer).
//!
//! The CLI's commands, the desktop app, the browser viewer and the examples all read through
//! here; none of them sequences the readers itself.

mod steps;

use std::sync::Arc;

use polars::prelude::*;

pub use steps::{Phase, Steps, StepsDone};

use crate::diag::{Diagnostic, Severity};
use crate::ingest::{Accounting, EntryFilter, EntrySink, NoFilter, Progress, ingest};
use crate::query::filter::{LogFilter, TableColumns};
use crate::query::sql::{mentions_table, run_sql_with};
use crate::report::sink::{ReportSink, SinkOptions};
use crate::report::{Report, ReportOptions, RuleFacts, SourcesSummary};
use crate::sources::FileSet;
use crate::sources::archive::ArchiveLimits;
use crate::sources::plan::{FileStatus, Plan, PlanOptions, plan};
use crate::table::live::{Counting, LiveCounts};
use crate::table::metrics::{MetricsOptions, MetricsStore, read_metrics};
use crate::table::{
    LogsBuilder, audit, events, junit, nodes, pods, sources::sources_frame, table_of,
};

/// How a bundle is opened.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Limits on what archives unpack.
    pub limits: ArchiveLimits,
    /// Read the files that symbolic links on disk lead to outside the inputs (`--follow-links`;
    /// without it such a link is listed as skipped: a copied tree's `passwd.log -> /etc/passwd`
    /// would read the analyst's own machine).
    pub follow_links: bool,
    /// How files are classified and grouped.
    pub plan: PlanOptions,
}

/// Which tables a read builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// `logs`.
    pub logs: bool,
    /// `audit`.
    pub audit: bool,
    /// `events`.
    pub events: bool,
    /// `pods`.
    pub pods: bool,
    /// `nodes` and `node_conditions`.
    pub nodes: bool,
    /// `tests` (JUnit reports).
    pub tests: bool,
    /// The metrics store (`series`, `samples`, ...).
    pub metrics: bool,
}

impl Wanted {
    /// Every table.
    pub const ALL: Wanted = Wanted {
        logs: true,
        audit: true,
        events: true,
        pods: true,
        nodes: true,
        tests: true,
        metrics: true,
    };
    /// No table: a read that only counts (the accounting still covers every file read).
    pub const NONE: Wanted = Wanted {
        logs: false,
        audit: false,
        events: false,
        pods: false,
        nodes: false,
        tests: false,
        metrics: false,
    };
}

impl Default for Wanted {
    fn default() -> Self {
        Wanted::ALL
    }
}

/// How a bundle is read.
#[derive(Clone, Default)]
pub struct ReadOptions {
    /// The tables to build.
    pub wanted: Wanted,
    /// Which log entries to keep (every one without); its namespace, pod, container, node and
    /// time conditions keep the rows of `pods`, `events` and `audit` too
    /// ([`LogFilter::filter_table`]).
    pub filter: Option<Arc<LogFilter>>,
    /// Times for metrics samples written without one.
    pub metrics: MetricsOptions,
    /// Entries counted per minute and level as they are read, for a histogram drawn before the
    /// read ends.
    pub live: Option<Arc<LiveCounts>>,
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("wanted", &self.wanted)
            .field("filter", &self.filter.is_some())
            .field("metrics", &self.metrics)
            .field("live", &self.live.is_some())
            .finish()
    }
}

/// What a read gives: every table asked for, and what was done with every file.
#[derive(Debug, Default)]
pub struct Tables {
    /// `logs`, in time order (empty when not asked for).
    pub logs: DataFrame,
    /// `audit`.
    pub audit: DataFrame,
    /// `events`.
    pub events: DataFrame,
    /// `pods`.
    pub pods: DataFrame,
    /// `nodes`.
    pub nodes: DataFrame,
    /// `node_conditions`.
    pub node_conditions: DataFrame,
    /// `tests`.
    pub tests: DataFrame,
    /// Series and samples of the metrics files.
    pub metrics: MetricsStore,
    /// Per file: lines, entries, formats, problems.
    pub accounting: Accounting,
}

/// A file set opened and planned.
#[derive(Debug)]
pub struct Bundle {
    set: FileSet,
    plan: Plan,
}

impl Bundle {
    /// Opens the archives of `set` and plans its read.
    pub fn open(mut set: FileSet, options: &OpenOptions) -> Bundle {
        set.open_archives(options.limits);
        let plan = plan(&set, &options.plan);
        Bundle { set, plan }
    }

    /// Opens the files and folders at `paths` (see [`Bundle::open`]). Files named one by one
    /// (not found in a folder) may take the namespace, pod and container of
    /// [`PlanOptions`]: a `kubectl logs` file given on the command line.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open_paths(
        paths: &[impl AsRef<std::path::Path>],
        options: &OpenOptions,
    ) -> std::io::Result<Bundle> {
        let mut set = FileSet::new();
        let direct = crate::sources::native::add_paths(&mut set, paths, options.follow_links)?;
        set.open_archives(options.limits);
        // Files given one by one (not members of an archive given so).
        let mut plan_options = options.plan.clone();
        plan_options.direct_files = set
            .entries()
            .iter()
            .enumerate()
            .filter(|(_, e)| e.archive.is_none() && direct.contains(&e.path))
            .map(|(i, _)| i)
            .collect();
        let plan = plan(&set, &plan_options);
        Ok(Bundle { set, plan })
    }

    /// The files, archives' members included.
    pub fn set(&self) -> &FileSet {
        &self.set
    }

    /// What is read from each file, and how.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Reads the tables `options` asks for. `progress` counts the container logs' stored bytes
    /// and may cancel the read (then the tables hold what was read before).
    pub fn read(&self, options: &ReadOptions, progress: &Progress) -> crate::Result<Tables> {
        if !options.wanted.logs {
            // Read anyway, for the accounting (`sources` counts every file's entries).
            return Ok(self.read_into(options, || Discard, progress)?.1);
        }
        let tables = match &options.live {
            Some(live) => {
                let (sinks, tables) = self.read_into(
                    options,
                    || Counting::new(LogsBuilder::new(), live.clone()),
                    progress,
                )?;
                Tables {
                    logs: table_of(sinks.into_iter().map(Counting::into_inner))?,
                    ..tables
                }
            }
            None => {
                let (builders, tables) = self.read_into(options, LogsBuilder::new, progress)?;
                Tables {
                    logs: table_of(builders)?,
                    ..tables
                }
            }
        };
        Ok(tables)
    }

    /// Reads the log entries `options.filter` keeps into sinks made by `make_sink` (one per
    /// container instance, in parallel natively, returned in instance order) instead of the
    /// `logs` table, and the other tables `options.wanted` asks for: what a command that
    /// counts or summarises entries as they stream past (`stats`, `report`) reads.
    pub fn read_into<S: EntrySink>(
        &self,
        options: &ReadOptions,
        make_sink: impl Fn() -> S + Sync,
        progress: &Progress,
    ) -> crate::Result<(Vec<S>, Tables)> {
        let filter: &dyn EntryFilter = match &options.filter {
            Some(f) => f.as_ref(),
            None => &NoFilter,
        };
        let (sinks, mut accounting) = self.ingest(filter, make_sink, progress);
        let mut tables = Tables::default();
        self.read_rest(
            options.wanted,
            &options.metrics,
            &mut accounting,
            &mut tables,
        )?;
        if let Some(f) = &options.filter {
            tables.pods = f.filter_table(&tables.pods, &TableColumns::PODS)?;
            tables.events = f.filter_table(&tables.events, &TableColumns::EVENTS)?;
            tables.audit = f.filter_table(&tables.audit, &TableColumns::AUDIT)?;
            tables.nodes = f.filter_table(&tables.nodes, &TableColumns::NODES)?;
            tables.node_conditions =
                f.filter_table(&tables.node_conditions, &TableColumns::NODES)?;
        }
        tables.accounting = accounting;
        Ok((sinks, tables))
    }

    /// The report of this bundle ([`crate::report`]): the entries `options.filter` keeps read
    /// into report sinks as they stream past, then the `pods`, `audit` and `events` tables and
    /// the metrics, each section added; with what the rules need from the entries and the
    /// accounting of every file.
    pub fn report(
        &self,
        options: &ReadOptions,
        sink: &Arc<SinkOptions>,
        report: &ReportOptions,
        progress: &Progress,
    ) -> crate::Result<(Report, RuleFacts, Accounting)> {
        let wanted = Wanted {
            logs: false,
            ..Wanted::ALL
        };
        let options = ReadOptions {
            wanted,
            ..options.clone()
        };
        let (sinks, tables) =
            self.read_into(&options, || ReportSink::new(sink.clone()), progress)?;
        let sources = SourcesSummary {
            files: self.set.entries().len() as u64,
            read: self
                .plan
                .files
                .iter()
                .filter(|f| f.status == FileStatus::Read)
                .count() as u64,
            skipped: self.plan.skipped().count() as u64,
            entries: sinks.iter().map(ReportSink::entries).sum(),
            unparsed_lines: tables.accounting.unparsed_lines(),
        };
        let (mut r, facts) = Report::from_sinks(sinks, &tables.pods, sources, report)?;
        r.add_tests(&tables.tests)?;
        r.add_node_problems(&tables.node_conditions)?;
        r.add_audit_and_events(&tables.audit, &tables.events, report.top)?;
        r.add_metrics(&tables.metrics, report.top);
        Ok((r, facts, tables.accounting))
    }

    /// The tables besides `logs` that `wanted` asks for, their files' accounting added.
    fn read_rest(
        &self,
        wanted: Wanted,
        metrics: &MetricsOptions,
        accounting: &mut Accounting,
        tables: &mut Tables,
    ) -> crate::Result<()> {
        let (set, plan) = (&self.set, &self.plan);
        if wanted.audit {
            tables.audit = audit::read_audit(set, plan, accounting)?;
        }
        if wanted.events {
            tables.events = events::read_events(set, plan, accounting)?;
        }
        if wanted.pods {
            tables.pods = pods::read_pods(set, plan, accounting)?;
        }
        if wanted.nodes {
            (tables.nodes, tables.node_conditions) = nodes::read_nodes(set, plan, accounting)?;
        }
        if wanted.tests {
            tables.tests = junit::read_tests(set, plan, accounting)?;
        }
        if wanted.metrics {
            tables.metrics = read_metrics(set, plan, metrics, accounting);
        }
        Ok(())
    }

    /// Streams every entry `filter` keeps to sinks made by `make_sink` (one per container
    /// instance, in parallel natively), and returns them in instance order with the
    /// accounting.
    pub fn ingest<S: EntrySink>(
        &self,
        filter: &dyn EntryFilter,
        make_sink: impl Fn() -> S + Sync,
        progress: &Progress,
    ) -> (Vec<S>, Accounting) {
        ingest(&self.set, &self.plan, filter, make_sink, progress)
    }

    /// The `audit` table, its files counted into `accounting`.
    pub fn read_audit(&self, accounting: &mut Accounting) -> crate::Result<DataFrame> {
        audit::read_audit(&self.set, &self.plan, accounting)
    }

    /// The `events` table, its files counted into `accounting`.
    pub fn read_events(&self, accounting: &mut Accounting) -> crate::Result<DataFrame> {
        events::read_events(&self.set, &self.plan, accounting)
    }

    /// The `pods` table, its files counted into `accounting`.
    pub fn read_pods(&self, accounting: &mut Accounting) -> crate::Result<DataFrame> {
        pods::read_pods(&self.set, &self.plan, accounting)
    }

    /// The `nodes` and `node_conditions` tables, their files counted into `accounting`.
    pub fn read_nodes(&self, accounting: &mut Accounting) -> crate::Result<(DataFrame, DataFrame)> {
        nodes::read_nodes(&self.set, &self.plan, accounting)
    }

    /// The `tests` table (JUnit reports), its files counted into `accounting`.
    pub fn read_tests(&self, accounting: &mut Accounting) -> crate::Result<DataFrame> {
        junit::read_tests(&self.set, &self.plan, accounting)
    }

    /// The metrics store, its files counted into `accounting`.
    pub fn read_metrics(
        &self,
        options: &MetricsOptions,
        accounting: &mut Accounting,
    ) -> MetricsStore {
        read_metrics(&self.set, &self.plan, options, accounting)
    }

    /// Writes the metrics as `promtool tsdb dump` does, Prometheus's storage series by series
    /// in bounded memory (see [`crate::table::metrics::write_dump`]); returns the metrics
    /// files read.
    pub fn write_metrics_dump(
        &self,
        options: &MetricsOptions,
        accounting: &mut Accounting,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<usize> {
        crate::table::metrics::write_dump(&self.set, &self.plan, options, accounting, out)
    }

    /// The time of the last entry of the container and plain logs (what `--since 15m` counts
    /// back from): one extra pass that parses only the framing.
    pub fn last_entry_ts(&self, progress: &Progress) -> Option<i64> {
        crate::query::last_entry_ts(&self.set, &self.plan, progress)
    }

    /// Why there is nothing to read, when there is nothing: no file at all under the inputs,
    /// or none that is read (each skipped, a duplicate or metadata). Every front end says the
    /// same (the CLI exits 1).
    pub fn nothing_read(&self) -> Option<String> {
        let files = self.set.entries().len();
        if files == 0 {
            return Some("no files under the given paths".into());
        }
        let read = self
            .plan
            .files
            .iter()
            .filter(|f| f.status == FileStatus::Read)
            .count();
        (read == 0).then(|| {
            format!(
                "{files} file{} found, none of them read (`podsift sources` says why)",
                if files == 1 { "" } else { "s" }
            )
        })
    }

    /// The files the plan skipped (paths as shown), with why.
    pub fn skipped_files(&self) -> Vec<(String, String)> {
        steps::skipped_files(&self.set, &self.plan)
    }

    /// The `sources` table: one row per file, what was done with it and, with the accounting
    /// of a read, what it held.
    pub fn sources(&self, accounting: Option<&Accounting>) -> crate::Result<DataFrame> {
        sources_frame(&self.set, &self.plan, accounting)
    }

    /// What went wrong, for the user: every message of the opening, the plan and the read
    /// (with file and line), the files skipped and why, the lines left unparsed.
    pub fn problems(&self, accounting: Option<&Accounting>) -> Problems {
        let opened: Vec<Diagnostic> = self
            .set
            .problems
            .iter()
            .chain(&self.plan.diagnostics)
            .cloned()
            .collect();
        // Files the walk did not list (pipes, sockets, links to folders or devices) are
        // skipped files too; their messages stay with the opening's, always shown.
        let unlisted = self.set.unlisted;
        let skipped = self
            .plan
            .skipped()
            .filter_map(|(i, f)| match &f.status {
                FileStatus::Skipped(why) => Some(Diagnostic::file(
                    self.set.entries()[i].path.clone(),
                    Severity::Warning,
                    format!("skipped: {why}"),
                )),
                _ => None,
            })
            .collect();
        let read = accounting
            .map(|a| a.diagnostics.clone())
            .unwrap_or_default();
        let unparsed_lines = accounting.map_or(0, Accounting::unparsed_lines);
        let errors = opened
            .iter()
            .chain(
                read.iter()
                    .filter(|d| !d.message.starts_with("unparsed line")),
            )
            .filter(|d| d.severity == Severity::Error)
            .count();
        Problems {
            opened,
            unlisted,
            skipped,
            read,
            unparsed_lines,
            errors,
        }
    }
}

/// What went wrong in opening and reading a bundle ([`Bundle::problems`]).
#[derive(Clone, Debug, Default)]
pub struct Problems {
    /// Messages of opening the archives and planning the read.
    pub opened: Vec<Diagnostic>,
    /// Files met on disk and not listed (pipes, sockets, links to folders or devices): their
    /// messages are among `opened`.
    pub unlisted: usize,
    /// One message per file skipped, with why.
    pub skipped: Vec<Diagnostic>,
    /// Messages of the read, with file and line.
    pub read: Vec<Diagnostic>,
    /// Lines kept as `unparsed` entries.
    pub unparsed_lines: u64,
    /// Errors: files that could not be read, damage (unparsed lines not counted).
    pub errors: usize,
}

impl Problems {
    /// Whether anything was skipped, left unparsed or failed (the CLI's exit code 1).
    pub fn any(&self) -> bool {
        !self.skipped.is_empty() || self.unlisted > 0 || self.unparsed_lines > 0 || self.errors > 0
    }

    /// Every message in order (opening, skipped files when `skipped`, read).
    pub fn messages(&self, skipped: bool) -> impl Iterator<Item = &Diagnostic> {
        let skipped: &[Diagnostic] = if skipped { &self.skipped } else { &[] };
        self.opened.iter().chain(skipped).chain(&self.read)
    }

    /// One line that counts them: `2 files skipped, 3 unparsed lines` (`None` when nothing
    /// went wrong).
    pub fn summary(&self) -> Option<String> {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        let mut parts = Vec::new();
        if !self.skipped.is_empty() || self.unlisted > 0 {
            let n = self.skipped.len() + self.unlisted;
            parts.push(format!("{n} file{} skipped", plural(n)));
        }
        if self.unparsed_lines > 0 {
            let n = self.unparsed_lines;
            parts.push(format!("{n} unparsed line{}", plural(n as usize)));
        }
        if self.errors > 0 {
            let n = self.errors;
            parts.push(format!("{n} read error{}", plural(n)));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

impl Tables {
    /// Runs a SQL query over every table: `logs`, `sources` (from `bundle`, with this read's
    /// accounting), `fields`, `audit`, `events`, `pods`, `nodes`, `node_conditions`, `tests`, `series`, `samples`,
    /// `metric_families`, `exemplars`, `histograms`, `metrics` (samples joined with their series) and
    /// `histogram_floats` (native histograms as `_count` and `_sum` samples), the views built
    /// only when the query names them. The tables are not copied (polars' columns are shared).
    pub fn sql(&self, bundle: &Bundle, query: &str) -> crate::Result<DataFrame> {
        let sources = bundle.sources(Some(&self.accounting))?;
        let m = self.metrics.frames(bundle.set())?;
        let mut more = vec![
            ("audit", self.audit.clone()),
            ("events", self.events.clone()),
            ("pods", self.pods.clone()),
            ("nodes", self.nodes.clone()),
            ("node_conditions", self.node_conditions.clone()),
            ("tests", self.tests.clone()),
        ];
        if mentions_table(query, "metrics") {
            more.push(("metrics", m.metrics_view()?));
        }
        if mentions_table(query, "histogram_floats") {
            more.push(("histogram_floats", m.histogram_floats_view()?));
        }
        more.extend([
            ("series", m.series),
            ("samples", m.samples),
            ("metric_families", m.families),
            ("exemplars", m.exemplars),
            ("histograms", m.histograms),
        ]);
        run_sql_with(self.logs.clone(), sources, more, query)
    }
}

/// Keeps nothing: a read for the accounting alone (formats included).
struct Discard;

impl EntrySink for Discard {
    fn needs(&self) -> crate::ingest::Needs {
        crate::ingest::Needs {
            payload: true,
            accounting: true,
            ..crate::ingest::Needs::default()
        }
    }
    fn begin_instance(
        &mut self,
        _: usize,
        _: &crate::sources::plan::ContainerMeta,
        _: &FileSet,
        _: &[usize],
    ) {
    }
    fn entry(&mut self, _: &crate::ingest::Entry<'_>) {}
}
