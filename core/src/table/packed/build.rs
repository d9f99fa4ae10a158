//! A [`PackedLogs`] finished a step at a time, for a front end that has one thread and must
//! keep drawing (the browser): the time order is a merge sort of the entries' keys that stops
//! after a budget of entries and goes on where it stopped, and the view's index is unpacked a
//! block at a time. Done at once ([`PackedLogs::new`], [`PackedLogs::index`]), the same code
//! runs to its end.

use std::cmp::Ordering;

use polars::prelude::*;

use super::{CodesBuilder, PackedLogs, PackedRows, damaged};
use crate::schema::logs as col;
use crate::table::index::{LogIndex, NO_TS};

/// Entries sorted together before runs are merged: a run of an instance's entries, which
/// mostly come in order already, costs one pass.
const RUN: usize = 4096;

/// The sort keys of every entry (read order): as [`super::super::concat_sorted`] orders rows,
/// entries without a time first, then by time, `source_id`, `line`.
#[derive(Debug, Default)]
struct Keys {
    ts: Vec<i64>,
    /// Whether each entry has a time, when some have none.
    timed: Option<Vec<bool>>,
    source: Vec<u32>,
    line: Vec<u64>,
}

impl Keys {
    fn cmp(&self, a: u32, b: u32) -> Ordering {
        let (a, b) = (a as usize, b as usize);
        self.timed
            .as_ref()
            .map_or(Ordering::Equal, |t| t[a].cmp(&t[b]))
            .then(self.ts[a].cmp(&self.ts[b]))
            .then(self.source[a].cmp(&self.source[b]))
            .then(self.line[a].cmp(&self.line[b]))
    }

    /// Appends block `b`'s keys.
    fn read_block(&mut self, rows: &PackedRows, which: &[usize; 3], b: usize) -> crate::Result<()> {
        let mut cols = rows.unpack_rest(b, which)?.into_iter();
        let (Some(ts), Some(source), Some(line)) = (cols.next(), cols.next(), cols.next()) else {
            return Err(damaged());
        };
        let before = self.ts.len();
        match (&mut self.timed, ts.valid) {
            (Some(t), Some(v)) => t.extend(v),
            (Some(t), None) => t.extend(std::iter::repeat_n(true, ts.values.len())),
            (None, Some(v)) => {
                let mut t = vec![true; before];
                t.extend(v);
                self.timed = Some(t);
            }
            (None, None) => {}
        }
        self.ts.extend(ts.values);
        // Entries without a source or line sort as 0 (neither column has nulls as built).
        self.source.extend(source.values.iter().map(|&v| v as u32));
        self.line.extend(line.values.iter().map(|&v| v as u64));
        Ok(())
    }
}

/// Where a merge pass stands: merging `[start, start + width)` with the run after it, `i` and
/// `j` the next entries of the two runs, `k` the next place written.
#[derive(Debug)]
struct Merge {
    width: usize,
    start: usize,
    i: usize,
    j: usize,
    k: usize,
}

impl Merge {
    fn at(width: usize, start: usize, n: usize) -> Merge {
        Merge {
            width,
            start,
            i: start,
            j: (start + width).min(n),
            k: start,
        }
    }

    /// Merges pairs of runs of `src` into `dst` until the pass is done (true) or `budget`
    /// entries are placed (false).
    fn step(&mut self, keys: &Keys, src: &[u32], dst: &mut [u32], budget: &mut usize) -> bool {
        let n = src.len();
        while self.start < n {
            let mid = (self.start + self.width).min(n);
            let end = (self.start + 2 * self.width).min(n);
            if self.k == self.start
                && (mid == end || keys.cmp(src[mid - 1], src[mid]) != Ordering::Greater)
            {
                // The two runs are in order already (or there is one): copied whole.
                dst[self.start..end].copy_from_slice(&src[self.start..end]);
                *budget = budget.saturating_sub((end - self.start) / 16);
            } else {
                while self.i < mid && self.j < end {
                    if *budget == 0 {
                        return false;
                    }
                    *budget -= 1;
                    // Ties from the first run: the sort is stable.
                    if keys.cmp(src[self.j], src[self.i]) == Ordering::Less {
                        dst[self.k] = src[self.j];
                        self.j += 1;
                    } else {
                        dst[self.k] = src[self.i];
                        self.i += 1;
                    }
                    self.k += 1;
                }
                let rest = if self.i < mid {
                    self.i..mid
                } else {
                    self.j..end
                };
                dst[self.k..end].copy_from_slice(&src[rest]);
            }
            *self = Merge::at(self.width, end, n);
        }
        true
    }
}

/// The view's index filled a block of entries at a time.
#[derive(Debug)]
pub(super) struct IndexFill {
    which: Vec<usize>,
    ts: Vec<i64>,
    levels: CodesBuilder,
    codes: Vec<CodesBuilder>,
}

impl IndexFill {
    pub(super) fn new(rows: &PackedRows) -> crate::Result<IndexFill> {
        let which = [
            col::TS,
            col::LEVEL,
            col::NODE,
            col::NAMESPACE,
            col::POD,
            col::CONTAINER,
        ]
        .iter()
        .map(|n| rows.rest_column(n))
        .collect::<crate::Result<Vec<_>>>()?;
        let n = rows.len();
        Ok(IndexFill {
            ts: vec![NO_TS; n],
            levels: CodesBuilder::new(&rows.schema[which[1]].1, n),
            codes: (0..4)
                .map(|k| CodesBuilder::new(&rows.schema[which[k + 2]].1, n))
                .collect(),
            which,
        })
    }

    /// Block `b` of `rows` into the index; the entries it held.
    pub(super) fn block(
        &mut self,
        rows: &PackedRows,
        row_of_entry: &[u32],
        b: usize,
    ) -> crate::Result<usize> {
        let cols = rows.unpack_rest(b, &self.which)?;
        let first = rows.rest_starts[b] as usize;
        let n = cols[0].values.len();
        for i in 0..n {
            let row = row_of_entry[first + i] as usize;
            self.ts[row] = cols[0].get(i).unwrap_or(NO_TS);
            self.levels.ids[row] = self.levels.code(cols[1].get(i));
            for (k, c) in self.codes.iter_mut().enumerate() {
                c.ids[row] = c.code(cols[k + 2].get(i));
            }
        }
        Ok(n)
    }

    pub(super) fn finish(self) -> LogIndex {
        let mut codes = self.codes.into_iter().map(CodesBuilder::finish);
        let mut next = || codes.next().unwrap_or_default();
        LogIndex::of(
            self.ts,
            &self.levels.finish(),
            [next(), next(), next(), next()],
        )
    }
}

/// What a [`PackedBuild`] does next.
#[derive(Debug)]
enum Phase {
    /// Unpacking the sort keys of block `0`.
    Keys(usize),
    /// Sorting the run starting at entry `0`.
    Runs(usize),
    /// Merging runs.
    Merge(Merge),
    /// Noting each entry's row, from entry `0`.
    Rows(usize),
    /// Filling the view's index from block `0`.
    Index(usize),
    Done,
}

/// A [`PackedLogs`] (and, if asked, its view index) built a step at a time: call
/// [`PackedBuild::step`] until it says done, then [`PackedBuild::finish`].
#[derive(Debug)]
pub struct PackedBuild {
    rows: PackedRows,
    phase: Phase,
    /// `ts`, `source_id` and `line` in the schema.
    key_columns: [usize; 3],
    keys: Keys,
    /// The time order as far as it is sorted (per row: its entry).
    order: Vec<u32>,
    scratch: Vec<u32>,
    row_of_entry: Vec<u32>,
    index: Option<IndexFill>,
    want_index: bool,
    done: u64,
}

impl PackedBuild {
    /// The instances' packed rows, in read order; with `index`, the view's index is built too.
    pub fn new(parts: Vec<PackedRows>, index: bool) -> crate::Result<PackedBuild> {
        let mut rows = PackedRows::default();
        for part in parts {
            rows.append(part)?;
        }
        if rows.schema.is_empty() {
            let mut empty = super::super::LogsBuilder::new().finish()?;
            empty.drop_in_place(col::MESSAGE)?;
            empty.drop_in_place(col::FIELDS)?;
            rows.schema = empty
                .get_columns()
                .iter()
                .map(|c| (c.name().clone(), c.dtype().clone()))
                .collect();
        }
        let n = u32::try_from(rows.len())
            .map_err(|_| polars_err!(ComputeError: "more than 4 billion entries"))?;
        let key_columns = [
            rows.rest_column(col::TS)?,
            rows.rest_column(col::SOURCE_ID)?,
            rows.rest_column(col::LINE)?,
        ];
        Ok(PackedBuild {
            rows,
            phase: Phase::Keys(0),
            key_columns,
            keys: Keys::default(),
            order: (0..n).collect(),
            scratch: Vec::new(),
            row_of_entry: Vec::new(),
            index: None,
            want_index: index,
            done: 0,
        })
    }

    /// Work done and to do in all, in entries handled (each entry is handled once per stage
    /// and once per merge pass).
    pub fn progress(&self) -> (u64, u64) {
        let n = self.rows.len() as u64;
        let mut passes = 0;
        let mut width = RUN as u64;
        while width < n {
            passes += 1;
            width *= 2;
        }
        let total = n * (3 + passes + u64::from(self.want_index));
        (self.done.min(total), total)
    }

    /// Goes on for about `budget` entries; true once every entry is handled in every stage.
    pub fn step(&mut self, budget: usize) -> crate::Result<bool> {
        let mut budget = budget.max(1);
        let n = self.rows.len();
        while budget > 0 {
            match &mut self.phase {
                Phase::Keys(b) => {
                    if *b == 0 {
                        self.keys = Keys {
                            ts: Vec::with_capacity(n),
                            timed: None,
                            source: Vec::with_capacity(n),
                            line: Vec::with_capacity(n),
                        };
                    }
                    if *b == self.rows.rest.len() {
                        self.phase = Phase::Runs(0);
                        continue;
                    }
                    self.keys.read_block(&self.rows, &self.key_columns, *b)?;
                    let rows = self.rows.rest_rows(*b);
                    *b += 1;
                    self.done += rows as u64;
                    budget = budget.saturating_sub(rows);
                }
                Phase::Runs(at) => {
                    if *at >= n {
                        self.phase = if RUN < n {
                            self.scratch = vec![0; n];
                            Phase::Merge(Merge::at(RUN, 0, n))
                        } else {
                            Phase::Rows(0)
                        };
                        continue;
                    }
                    let end = (*at + RUN).min(n);
                    let keys = &self.keys;
                    self.order[*at..end].sort_by(|&a, &b| keys.cmp(a, b));
                    self.done += (end - *at) as u64;
                    budget = budget.saturating_sub(end - *at);
                    *at = end;
                }
                Phase::Merge(m) => {
                    let before = m.k;
                    let pass_done = m.step(&self.keys, &self.order, &mut self.scratch, &mut budget);
                    self.done += (m.k - before) as u64;
                    if pass_done {
                        std::mem::swap(&mut self.order, &mut self.scratch);
                        let width = m.width * 2;
                        if width < n {
                            *m = Merge::at(width, 0, n);
                        } else {
                            self.scratch = Vec::new();
                            self.phase = Phase::Rows(0);
                        }
                    }
                }
                Phase::Rows(at) => {
                    if *at == 0 {
                        // The keys are no longer needed: their memory goes before the index's
                        // is taken.
                        self.keys = Keys::default();
                        self.row_of_entry = vec![0; n];
                    }
                    let end = at.saturating_add(budget).min(n);
                    for row in *at..end {
                        self.row_of_entry[self.order[row] as usize] = row as u32;
                    }
                    self.done += (end - *at) as u64;
                    budget -= end - *at;
                    *at = end;
                    if end == n {
                        self.phase = if self.want_index {
                            Phase::Index(0)
                        } else {
                            Phase::Done
                        };
                    }
                }
                Phase::Index(b) => {
                    if self.index.is_none() {
                        self.index = Some(IndexFill::new(&self.rows)?);
                    }
                    if *b == self.rows.rest.len() {
                        self.phase = Phase::Done;
                        continue;
                    }
                    let fill = self.index.as_mut().ok_or_else(damaged)?;
                    let rows = fill.block(&self.rows, &self.row_of_entry, *b)?;
                    *b += 1;
                    self.done += rows as u64;
                    budget = budget.saturating_sub(rows);
                }
                Phase::Done => return Ok(true),
            }
        }
        // Every entry handled: what is left ([`PackedBuild::finish`]) is moving on between
        // stages, no work.
        let (done, total) = self.progress();
        Ok(done >= total)
    }

    /// The table, and its index if it was asked for (the rest of the work done first).
    pub fn finish(mut self) -> crate::Result<(PackedLogs, Option<LogIndex>)> {
        while !self.step(usize::MAX)? {}
        let index = self.index.take().map(IndexFill::finish);
        Ok((
            PackedLogs {
                rows: self.rows,
                entry_of_row: self.order,
                row_of_entry: self.row_of_entry,
                cache: Default::default(),
                rest_cache: Default::default(),
            },
            index,
        ))
    }
}
