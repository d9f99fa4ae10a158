//! A bundle read a step at a time on the caller's thread, for a front end that must keep
//! drawing while it reads (the browser viewer has one thread): archives listed a few megabytes
//! at a time (a compressed tar given as bytes is streamed: its members are not held but
//! decompressed again, in order, as they are read), then the plan, then a few container
//! instances at a time, then the other tables, then the `logs` table put in time order and
//! indexed a slice at a time.
//!
//! Each [`Steps::step`] works in small units until the caller's clock says the frame's time is
//! spent (core never reads a clock itself: it would panic in the browser).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use polars::prelude::*;

use super::{OpenOptions, Tables, Wanted};
use crate::ingest::Progress;
use crate::sources::FileSet;
use crate::sources::archive::Opening;
use crate::sources::plan::{FileRole, FileStatus, Plan, plan};
use crate::table::index::LogIndex;
use crate::table::live::LiveCounts;
use crate::table::metrics::MetricsOptions;
use crate::table::{LogTable, StepwiseLogs, TableSteps};

/// Stored bytes an archive is listed by, or instances are read for, between looks at the clock.
const STEP_BYTES: u64 = 1 << 20;

/// Entries the table is sorted and indexed by between looks at the clock (each is handled a
/// dozen times or so: keys, sorted runs, merge passes, index).
const FINISH_ENTRIES: usize = 32 << 10;

/// What a step-by-step read is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Listing the archives' members (no entry is read yet).
    Opening,
    /// Reading the logs (then the other tables).
    Reading,
    /// Everything is read; the entries are being put in time order and indexed.
    Sorting,
    /// Done: [`Steps::step`] returned the tables.
    Done,
}

/// What a step-by-step read ends with.
#[derive(Debug)]
pub struct StepsDone {
    /// The tables; `logs` is in [`StepsDone::logs`] instead (packed or not).
    pub tables: Tables,
    /// The entries in time order.
    pub logs: LogTable,
    /// The view's index of `logs`, built with it.
    pub index: LogIndex,
    /// The `sources` table.
    pub sources: DataFrame,
    /// Files in the bundle.
    pub files: usize,
    /// Files not read, with why (skipped by the plan, or left unread by [`Steps::stop`]).
    pub skipped: Vec<(String, String)>,
}

/// A bundle read a step at a time (see the module's documentation).
#[derive(Debug)]
pub struct Steps {
    set: FileSet,
    options: OpenOptions,
    metrics: MetricsOptions,
    pack: bool,
    live: Arc<LiveCounts>,
    opening: Option<Opening>,
    plan: Option<Plan>,
    read: Option<StepwiseLogs>,
    /// Files left unread by [`Steps::stop`], with why.
    unread: Vec<(String, String)>,
    finishing: Option<Finishing>,
    done: bool,
}

/// Everything read; the `logs` table being built.
#[derive(Debug)]
struct Finishing {
    table: TableSteps,
    tables: Tables,
    sources: DataFrame,
    skipped: Vec<(String, String)>,
    files: usize,
}

impl Steps {
    /// A read of `set` (files given as bytes) that counts entries into `live` as it reads
    /// them; with `pack`, the `logs` table is held packed (a quarter of the memory: the
    /// browser's).
    pub fn new(
        mut set: FileSet,
        options: OpenOptions,
        metrics: MetricsOptions,
        live: Arc<LiveCounts>,
        pack: bool,
    ) -> Steps {
        let opening = set.start_opening(options.limits, true);
        Steps {
            set,
            options,
            metrics,
            pack,
            live,
            opening: Some(opening),
            plan: None,
            read: None,
            unread: Vec::new(),
            finishing: None,
            done: false,
        }
    }

    /// What the read is doing.
    pub fn phase(&self) -> Phase {
        if self.done {
            Phase::Done
        } else if self.finishing.is_some() {
            Phase::Sorting
        } else if self.opening.is_some() || self.plan.is_none() {
            Phase::Opening
        } else {
            Phase::Reading
        }
    }

    /// Bytes the files given as bytes and the members held take (what a front end short of
    /// memory weighs).
    pub fn held_bytes(&self) -> u64 {
        self.set.held_bytes()
    }

    /// Takes no more container instances: what was read is kept, and every file left is
    /// listed as skipped with `why` (a page whose memory is running out). Returns the paths
    /// left.
    pub fn stop(&mut self, why: &str) -> Vec<String> {
        let (Some(read), Some(plan)) = (&mut self.read, &self.plan) else {
            return Vec::new();
        };
        if !self.unread.is_empty() {
            return Vec::new();
        }
        let left: Vec<String> = read
            .stop(&self.set, plan, why)
            .into_iter()
            .map(|f| self.set.entries()[f].path.clone())
            .collect();
        self.unread = left.iter().map(|p| (p.clone(), why.to_string())).collect();
        left
    }

    /// Works until `out_of_time` says the frame's time is spent (after one unit of work at
    /// least); progress goes to `progress` (stored bytes listed, then read, then entries
    /// sorted). Returns the tables once the read is done, or why it failed (`cancelled` when
    /// `progress` was cancelled).
    pub fn step(
        &mut self,
        progress: &Progress,
        out_of_time: &dyn Fn() -> bool,
    ) -> Option<crate::Result<StepsDone>> {
        if self.done {
            return None;
        }
        if progress.cancelled() {
            self.done = true;
            return Some(Err(crate::Error::Cancelled));
        }
        let out = loop {
            let before = self.phase();
            let out = self.unit(progress);
            // A new phase is shown before it starts.
            if out.is_some() || out_of_time() || self.phase() != before {
                break out;
            }
        };
        if out.is_some() {
            self.done = true;
        }
        out
    }

    /// One unit of work.
    fn unit(&mut self, progress: &Progress) -> Option<crate::Result<StepsDone>> {
        if let Some(f) = &mut self.finishing {
            let done = match f.table.step(FINISH_ENTRIES) {
                Ok(done) => done,
                Err(e) => return Some(Err(e)),
            };
            let (handled, total) = f.table.progress();
            progress.bytes_done.store(handled, Ordering::Relaxed);
            progress.bytes_total.store(total, Ordering::Relaxed);
            if !done {
                return None;
            }
            let f = self.finishing.take()?;
            return Some(f.table.finish().map(|(logs, index)| StepsDone {
                tables: f.tables,
                logs,
                index,
                sources: f.sources,
                files: f.files,
                skipped: f.skipped,
            }));
        }
        if let Some(opening) = &mut self.opening {
            let done = opening.step(&mut self.set, STEP_BYTES);
            let (opened, total) = opening.progress(&self.set);
            progress.bytes_done.store(opened, Ordering::Relaxed);
            progress.bytes_total.store(total, Ordering::Relaxed);
            if done {
                self.opening = None;
            }
            return None;
        }
        let Some(p) = &self.plan else {
            let p = plan(&self.set, &self.options.plan);
            progress.bytes_done.store(0, Ordering::Relaxed);
            progress.bytes_total.store(0, Ordering::Relaxed);
            // What is read after the logs: members of a streamed archive passed on the way
            // are kept for it.
            for role in [
                FileRole::Metrics,
                FileRole::Audit,
                FileRole::Events,
                FileRole::PodList,
                FileRole::NodeList,
                FileRole::Tests,
            ] {
                self.set.expect_reads(p.files_of(role));
            }
            self.read = Some(StepwiseLogs::new(
                &self.set,
                &p,
                progress,
                self.live.clone(),
                self.pack,
            ));
            self.plan = Some(p);
            return None;
        };
        let read = self.read.as_mut()?;
        if !read.step(&self.set, p, progress, STEP_BYTES) {
            return None;
        }
        // The logs are read: the other tables, then the bundle's bytes go before the rows are
        // put in time order, so that the sort's memory is the bundle's (a page's memory never
        // shrinks).
        let read = self.read.take()?;
        let plan = self.plan.take()?;
        let (rows, mut accounting) = read.read_out(progress);
        if progress.cancelled() {
            return Some(Err(crate::Error::Cancelled));
        }
        let bundle = super::Bundle {
            set: std::mem::take(&mut self.set),
            plan,
        };
        let mut tables = Tables::default();
        if let Err(e) = bundle.read_rest(Wanted::ALL, &self.metrics, &mut accounting, &mut tables) {
            return Some(Err(e));
        }
        let sources = match bundle.sources(Some(&accounting)) {
            Ok(s) => s,
            Err(e) => return Some(Err(e)),
        };
        let mut skipped = skipped_files(&bundle.set, &bundle.plan);
        skipped.append(&mut self.unread);
        let files = bundle.set.entries().len();
        tables.accounting = accounting;
        drop(bundle);
        match rows.into_steps() {
            Ok(table) => {
                self.finishing = Some(Finishing {
                    table,
                    tables,
                    sources,
                    skipped,
                    files,
                });
            }
            Err(e) => return Some(Err(e)),
        }
        None
    }
}

/// The files the plan skipped, with why.
pub(crate) fn skipped_files(set: &FileSet, plan: &Plan) -> Vec<(String, String)> {
    plan.files
        .iter()
        .zip(set.entries())
        .filter_map(|(f, e)| match &f.status {
            FileStatus::Skipped(why) => Some((e.path.clone(), why.clone())),
            _ => None,
        })
        .collect()
}
