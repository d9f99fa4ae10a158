//! The tables: builders that turn entries and file accounting into polars frames with the
//! columns of [`crate::schema`].

pub mod audit;
pub mod events;
pub mod index;
pub mod junit;
mod kube;
pub mod live;
pub mod logs;
pub mod metrics;
pub mod metrics_summary;
pub mod nodes;
pub mod packed;
pub mod pods;
pub mod sources;

use std::sync::Arc;

use polars::prelude::*;

use crate::ingest::{Accounting, EntryFilter, Progress, ingest};
use crate::schema::logs as col;
use crate::sources::FileSet;
use crate::sources::plan::Plan;

pub use logs::LogsBuilder;
pub(crate) use packed::PackedBuild;
pub use packed::{LogTable, PackedLogs, PackedRows};

/// Casts text columns to the logs table's categorical type, so that SQL joins them with
/// `logs.namespace` or `logs.pod`.
pub(crate) fn cast_to_categorical(df: &mut DataFrame, names: &[&str]) -> crate::Result<()> {
    for name in names {
        let c = df.column(name)?.cast(&crate::schema::categorical_dtype())?;
        df.with_column(c)?;
    }
    Ok(())
}

/// A list[struct{key, value}] column (the `fields` of `logs`, the `labels` of `series`): row
/// `i` holds the pairs `offsets[i]..offsets[i + 1]` of `keys` and `values`.
pub(crate) fn pairs_column(
    name: &str,
    fields: (&str, &str),
    keys: polars_arrow::array::Utf8ViewArray,
    values: polars_arrow::array::Utf8ViewArray,
    offsets: Vec<i64>,
) -> crate::Result<Column> {
    let list = pairs_array(fields, keys, values, offsets, None)?;
    Ok(Series::from_arrow(name.into(), list.boxed())?.into_column())
}

/// The arrow array of [`pairs_column`], with null rows where `validity` says.
pub(crate) fn pairs_array(
    (key_field, value_field): (&str, &str),
    keys: polars_arrow::array::Utf8ViewArray,
    values: polars_arrow::array::Utf8ViewArray,
    offsets: Vec<i64>,
    validity: Option<polars_arrow::bitmap::Bitmap>,
) -> crate::Result<polars_arrow::array::ListArray<i64>> {
    use polars_arrow::array::{ListArray, StructArray};
    use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
    use polars_arrow::offset::OffsetsBuffer;
    let struct_dtype = ArrowDataType::Struct(vec![
        ArrowField::new(key_field.into(), ArrowDataType::Utf8View, true),
        ArrowField::new(value_field.into(), ArrowDataType::Utf8View, true),
    ]);
    let len = keys.len();
    let structs = StructArray::try_new(
        struct_dtype.clone(),
        len,
        vec![keys.boxed(), values.boxed()],
        None,
    )?;
    let offsets: OffsetsBuffer<i64> = offsets.try_into()?;
    Ok(ListArray::<i64>::try_new(
        ListArray::<i64>::default_datatype(struct_dtype),
        offsets,
        structs.boxed(),
        validity,
    )?)
}

/// A list[struct{key, value}] column read in place (the `fields` of `logs`): a row's pairs
/// without copying a string, for queries and the sidebar's field counts over millions of rows.
#[derive(Clone, Debug)]
pub(crate) struct FieldPairs {
    /// Per chunk: the first row it holds, its rows' ranges, keys and values.
    chunks: Vec<PairsChunk>,
}

#[derive(Clone, Debug)]
struct PairsChunk {
    first_row: usize,
    offsets: polars_arrow::offset::OffsetsBuffer<i64>,
    /// Null rows hold no pairs, whatever their offsets say.
    validity: Option<polars_arrow::bitmap::Bitmap>,
    keys: polars_arrow::array::Utf8ViewArray,
    values: polars_arrow::array::Utf8ViewArray,
}

impl FieldPairs {
    /// The pairs of `column`, which must be a list of structs whose first two fields are
    /// text (the key and the value).
    pub(crate) fn of(column: &Column) -> crate::Result<FieldPairs> {
        use polars_arrow::array::{StructArray, Utf8ViewArray};
        let list = column.list()?;
        let mut chunks = Vec::new();
        let mut first_row = 0;
        for arr in list.downcast_iter() {
            let st = arr
                .values()
                .as_any()
                .downcast_ref::<StructArray>()
                .ok_or_else(|| polars_err!(ComputeError: "not a list of structs"))?;
            let text = |k: usize| -> crate::Result<Utf8ViewArray> {
                let a = st
                    .values()
                    .get(k)
                    .ok_or_else(|| polars_err!(ComputeError: "a pair needs two fields"))?;
                a.as_any()
                    .downcast_ref::<Utf8ViewArray>()
                    .cloned()
                    .ok_or_else(|| polars_err!(ComputeError: "pairs must be text").into())
            };
            chunks.push(PairsChunk {
                first_row,
                offsets: arr.offsets().clone(),
                validity: arr.validity().cloned(),
                keys: text(0)?,
                values: text(1)?,
            });
            first_row += arr.len();
        }
        Ok(FieldPairs { chunks })
    }

    /// Row `row`'s pairs, in order (a null key or value is empty text).
    pub(crate) fn row(&self, row: usize) -> impl Iterator<Item = (&str, &str)> + '_ {
        let k = self.chunks.partition_point(|c| c.first_row <= row);
        let chunk = k.checked_sub(1).and_then(|k| self.chunks.get(k));
        let range = chunk
            .and_then(|c| {
                let i = row - c.first_row;
                let valid = c.validity.as_ref().is_none_or(|v| v.get_bit(i));
                let o = c.offsets.as_slice();
                Some((o.get(i)?, if valid { o.get(i + 1)? } else { o.get(i)? }))
            })
            .map_or(0..0, |(&a, &b)| a as usize..(b as usize).max(a as usize));
        range.filter_map(move |p| {
            let c = chunk?;
            Some((text_at(&c.keys, p), text_at(&c.values, p)))
        })
    }

    /// Whether row `row` is a list (not null).
    pub(crate) fn is_valid(&self, row: usize) -> bool {
        let k = self.chunks.partition_point(|c| c.first_row <= row);
        k.checked_sub(1)
            .and_then(|k| self.chunks.get(k))
            .is_some_and(|c| {
                let i = row - c.first_row;
                i < c.offsets.len_proxy() && c.validity.as_ref().is_none_or(|v| v.get_bit(i))
            })
    }

    /// The value of `key` in row `row`, if the row has it (the first, when repeated).
    pub(crate) fn get(&self, row: usize, key: &str) -> Option<&str> {
        self.row(row).find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// Value `i` of a text array, empty when null.
fn text_at(a: &polars_arrow::array::Utf8ViewArray, i: usize) -> &str {
    use polars_arrow::array::Array;
    if a.is_valid(i) { a.value(i) } else { "" }
}

/// A datetime (UTC) column of `unit` from optional integers.
pub(crate) fn datetime_column(name: &str, unit: TimeUnit, values: Vec<Option<i64>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), values.into_iter())
        .into_datetime(unit, Some(TimeZone::UTC))
        .into_series()
        .into_column()
}

/// Stacks per-instance `logs` frames and sorts them into time order: by `ts` (entries without a
/// time first), then `source_id`, then `line`, so equal times keep their input order.
pub fn concat_sorted(frames: Vec<DataFrame>) -> crate::Result<DataFrame> {
    let Some(all) = stack(frames)? else {
        return LogsBuilder::new().finish();
    };
    let order = time_order(&all)?;
    gather(all, &order)
}

/// The frames one under the other (none: `None`).
pub(crate) fn stack(frames: Vec<DataFrame>) -> crate::Result<Option<DataFrame>> {
    let mut iter = frames.into_iter();
    let Some(mut all) = iter.next() else {
        return Ok(None);
    };
    for frame in iter {
        all.vstack_mut_owned(frame)?;
    }
    Ok(Some(all))
}

/// The rows of a `logs` frame in time order, as row numbers: by `ts` (entries without a
/// time first), then `source_id`, then `line`.
pub(crate) fn time_order(all: &DataFrame) -> crate::Result<IdxCa> {
    const ROW: &str = "__podsift_row";
    let order = DataFrame::new(vec![
        all.column(col::TS)?.clone(),
        all.column(col::SOURCE_ID)?.clone(),
        all.column(col::LINE)?.clone(),
    ])?
    .with_row_index(ROW.into(), None)?
    .sort(
        [col::TS, col::SOURCE_ID, col::LINE],
        SortMultipleOptions::default()
            .with_maintain_order(true)
            .with_nulls_last(false),
    )?;
    Ok(order.column(ROW)?.idx()?.rechunk().into_owned())
}

/// `all`'s rows in `order`, a column at a time, its unsorted chunks dropped as soon as it is
/// gathered: the peak is the table and one column, not two tables (text columns gather
/// 16-byte views and share their bytes).
pub(crate) fn gather(mut all: DataFrame, order: &IdxCa) -> crate::Result<DataFrame> {
    let mut sorted = Vec::with_capacity(all.width());
    for name in all.get_column_names_owned() {
        let column = all.drop_in_place(&name)?;
        sorted.push(match column.dtype() {
            DataType::List(_) if name == col::FIELDS => take_pairs(&column, order)?,
            DataType::String => take_text(&column, order)?,
            _ => column.take(order)?,
        });
    }
    Ok(DataFrame::new(sorted)?)
}

/// Text arrays of many chunks as one: every chunk's byte buffers side by side, so that a view
/// of chunk `c` is a view of the whole once its buffer index is moved past the buffers before
/// `c` ([`GatheredText::view`]).
struct GatheredText {
    chunks: Vec<polars_arrow::array::Utf8ViewArray>,
    /// Per chunk: the index of its first buffer among all.
    base: Vec<u32>,
    buffers: Arc<[polars_arrow::buffer::Buffer<u8>]>,
}

impl GatheredText {
    fn new(chunks: Vec<polars_arrow::array::Utf8ViewArray>) -> GatheredText {
        let mut base = Vec::with_capacity(chunks.len());
        let mut buffers = Vec::new();
        for c in &chunks {
            base.push(buffers.len() as u32);
            buffers.extend(c.data_buffers().iter().cloned());
        }
        GatheredText {
            chunks,
            base,
            buffers: buffers.into(),
        }
    }

    /// Value `i` of chunk `c` as a view of the whole (null: an empty view).
    fn view(&self, c: usize, i: usize) -> polars_arrow::array::View {
        use polars_arrow::array::{Array, View};
        let a = &self.chunks[c];
        if !a.is_valid(i) {
            return View::default();
        }
        let mut v = a.views()[i];
        if v.length > View::MAX_INLINE_SIZE {
            v.buffer_idx += self.base[c];
        }
        v
    }

    /// The views gathered into one array over every chunk's buffers; no byte is copied.
    fn array(&self, views: Vec<polars_arrow::array::View>) -> polars_arrow::array::Utf8ViewArray {
        let total_buffer_len = self.buffers.iter().map(|b| b.len()).sum();
        // SAFETY: every view comes from a valid UTF-8 view array, and its buffer index was moved
        // by exactly the number of buffers placed before its own array's, so it points at the
        // same bytes; inline views hold their bytes. Nulls are empty inline views.
        #[allow(unsafe_code)]
        unsafe {
            polars_arrow::array::Utf8ViewArray::new_unchecked_unknown_md(
                polars_arrow::datatypes::ArrowDataType::Utf8View,
                views.into(),
                self.buffers.clone(),
                None,
                Some(total_buffer_len),
            )
        }
    }
}

/// Where each row of a column of many chunks is: (chunk, index in it), by row.
fn chunk_of_rows(lens: impl Iterator<Item = usize>) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for (c, n) in lens.enumerate() {
        out.extend((0..n).map(|i| (c as u32, i as u32)));
    }
    out
}

/// A text column's rows in `order`: views gathered, bytes shared (polars' gather of a view
/// column of many chunks first copies every chunk's bytes into one).
fn take_text(column: &Column, order: &IdxCa) -> crate::Result<Column> {
    let ca = column.str()?;
    let chunks: Vec<_> = ca.downcast_iter().cloned().collect();
    let at = chunk_of_rows(chunks.iter().map(|c| c.len()));
    let text = GatheredText::new(chunks);
    let has_nulls = ca.null_count() > 0;
    let mut views = Vec::with_capacity(order.len());
    let mut validity =
        has_nulls.then(|| polars_arrow::bitmap::MutableBitmap::with_capacity(order.len()));
    for row in order.into_no_null_iter() {
        let (c, i) = at[row as usize];
        views.push(text.view(c as usize, i as usize));
        if let Some(v) = &mut validity {
            use polars_arrow::array::Array;
            v.push(text.chunks[c as usize].is_valid(i as usize));
        }
    }
    let arr = text.array(views).with_validity(validity.map(Into::into));
    Ok(StringChunked::with_chunk(column.name().clone(), arr).into_column())
}

/// The `fields` column's rows in `order`: offsets rebuilt, keys' and values' views gathered,
/// bytes shared. polars' own gather of a list of structs of text from many chunks holds
/// several copies at once (on the bench tree: 750 MB at its peak for a 150 MB column).
fn take_pairs(column: &Column, order: &IdxCa) -> crate::Result<Column> {
    let pairs = FieldPairs::of(column)?;
    let mut keys = Vec::with_capacity(pairs.chunks.len());
    let mut values = Vec::with_capacity(pairs.chunks.len());
    let mut bounds = Vec::with_capacity(pairs.chunks.len());
    for c in pairs.chunks {
        bounds.push((c.offsets, c.validity));
        keys.push(c.keys);
        values.push(c.values);
    }
    let at = chunk_of_rows(bounds.iter().map(|(o, _)| o.len_proxy()));
    let (keys, values) = (GatheredText::new(keys), GatheredText::new(values));
    let total = keys.chunks.iter().map(|c| c.len()).sum();
    let mut key_views = Vec::with_capacity(total);
    let mut value_views = Vec::with_capacity(total);
    let mut offsets = Vec::with_capacity(order.len() + 1);
    offsets.push(0i64);
    for row in order.into_no_null_iter() {
        let (c, i) = at[row as usize];
        let (c, i) = (c as usize, i as usize);
        let (o, validity) = &bounds[c];
        let o = o.as_slice();
        // Null rows hold no pairs, whatever their offsets say.
        let to = if validity.as_ref().is_none_or(|v| v.get_bit(i)) {
            o[i + 1]
        } else {
            o[i]
        };
        for k in o[i] as usize..to as usize {
            key_views.push(keys.view(c, k));
            value_views.push(values.view(c, k));
        }
        offsets.push(key_views.len() as i64);
    }
    pairs_column(
        column.name(),
        (col::FIELD_KEY, col::FIELD_VALUE),
        keys.array(key_views),
        values.array(value_views),
        offsets,
    )
}

/// [`read_logs`], counting entries per minute and level into `live` as they are read (a
/// viewer draws a histogram from it before the read ends).
pub fn read_logs_live(
    set: &FileSet,
    plan: &Plan,
    filter: &dyn EntryFilter,
    progress: &Progress,
    live: &std::sync::Arc<live::LiveCounts>,
) -> crate::Result<(DataFrame, Accounting)> {
    use live::Counting;
    let (sinks, report) = ingest(
        set,
        plan,
        filter,
        || Counting::new(LogsBuilder::new(), live.clone()),
        progress,
    );
    Ok((
        table_of(sinks.into_iter().map(Counting::into_inner))?,
        report,
    ))
}

/// [`read_logs_live`] a step at a time on the caller's thread (see [`crate::ingest::Stepwise`]),
/// for the browser viewer: call [`StepwiseLogs::step`] once a frame, then
/// [`StepwiseLogs::finish`].
#[derive(Debug)]
pub struct StepwiseLogs {
    inner: crate::ingest::Stepwise<live::Counting<LogsBuilder>>,
    live: std::sync::Arc<live::LiveCounts>,
    pack: bool,
}

impl StepwiseLogs {
    /// Ready to read every instance of `plan`, counting entries into `live`; with `pack`, each
    /// instance's `message` and `fields` are packed as it ends ([`packed`]).
    pub fn new(
        set: &FileSet,
        plan: &Plan,
        progress: &Progress,
        live: std::sync::Arc<live::LiveCounts>,
        pack: bool,
    ) -> StepwiseLogs {
        StepwiseLogs {
            inner: crate::ingest::Stepwise::new(set, plan, &crate::ingest::NoFilter, progress),
            live,
            pack,
        }
    }

    /// Reads about `budget_bytes` more; says whether the read is done.
    pub fn step(
        &mut self,
        set: &FileSet,
        plan: &Plan,
        progress: &Progress,
        budget_bytes: u64,
    ) -> bool {
        let live = self.live.clone();
        let pack = self.pack;
        self.inner.step(
            set,
            plan,
            &crate::ingest::NoFilter,
            || {
                let builder = if pack {
                    LogsBuilder::packing()
                } else {
                    LogsBuilder::new()
                };
                live::Counting::new(builder, live.clone())
            },
            progress,
            budget_bytes,
        )
    }

    /// Reads no more: see [`crate::ingest::Stepwise::stop`].
    pub fn stop(&mut self, set: &FileSet, plan: &Plan, why: &str) -> Vec<usize> {
        self.inner.stop(set, plan, why)
    }

    /// The `logs` table in time order (packed or not, as asked), and the report.
    pub fn finish(self, progress: &Progress) -> crate::Result<(LogTable, Accounting)> {
        let (read, report) = self.read_out(progress);
        Ok((read.into_table()?, report))
    }

    /// The report, and the rows read, not yet put in time order: a caller short of memory
    /// lets go of the bundle's bytes (once it has read what else it needs from them) before
    /// [`ReadOut::into_table`] sorts.
    pub fn read_out(self, progress: &Progress) -> (ReadOut, Accounting) {
        let (sinks, report) = self.inner.finish(progress);
        let builders = sinks.into_iter().map(live::Counting::into_inner).collect();
        (
            ReadOut {
                builders,
                pack: self.pack,
            },
            report,
        )
    }
}

/// The rows of a [`StepwiseLogs`] read, an instance's frame each, not yet one table.
#[derive(Debug)]
pub struct ReadOut {
    builders: Vec<LogsBuilder>,
    pack: bool,
}

impl ReadOut {
    /// The `logs` table in time order.
    pub(crate) fn into_table(self) -> crate::Result<LogTable> {
        if !self.pack {
            return Ok(LogTable::Frame(table_of(self.builders)?));
        }
        Ok(LogTable::Packed(std::sync::Arc::new(PackedLogs::new(
            packed_parts(self.builders)?,
        )?)))
    }

    /// The table and its view index, built a step at a time ([`TableSteps`]).
    pub fn into_steps(self) -> crate::Result<TableSteps> {
        if !self.pack {
            return Ok(TableSteps::Frame(table_of(self.builders)?));
        }
        Ok(TableSteps::Packed(Box::new(PackedBuild::new(
            packed_parts(self.builders)?,
            true,
        )?)))
    }
}

/// Each instance's packed rows, those with none left out.
fn packed_parts(builders: Vec<LogsBuilder>) -> crate::Result<Vec<PackedRows>> {
    builders
        .into_iter()
        .filter(|b| !b.is_empty())
        .map(LogsBuilder::finish_packed)
        .collect()
}

/// The `logs` table and its view index ([`index::LogIndex`]) built a step at
/// a time, for a front end on one thread that keeps drawing while it builds (the browser): a
/// packed table is sorted and indexed a budget of entries per [`TableSteps::step`]; a plain
/// one was built whole by [`ReadOut::into_steps`] (the desktop app builds on a thread).
#[derive(Debug)]
pub enum TableSteps {
    /// A plain table, built.
    Frame(DataFrame),
    /// A packed table being built.
    Packed(Box<PackedBuild>),
}

impl TableSteps {
    /// Goes on for about `budget` entries; true once done.
    pub fn step(&mut self, budget: usize) -> crate::Result<bool> {
        match self {
            TableSteps::Frame(_) => Ok(true),
            TableSteps::Packed(b) => b.step(budget),
        }
    }

    /// Work done and to do in all (entries handled: see [`PackedBuild::progress`]).
    pub fn progress(&self) -> (u64, u64) {
        match self {
            TableSteps::Frame(df) => (df.height() as u64, df.height() as u64),
            TableSteps::Packed(b) => b.progress(),
        }
    }

    /// The table and its index (what is left of the work done first).
    pub fn finish(self) -> crate::Result<(LogTable, index::LogIndex)> {
        match self {
            TableSteps::Frame(df) => {
                let index = index::LogIndex::new(&df)?;
                Ok((LogTable::Frame(df), index))
            }
            TableSteps::Packed(b) => {
                let (logs, index) = b.finish()?;
                let logs = std::sync::Arc::new(logs);
                let index = match index {
                    Some(index) => index,
                    None => logs.index()?,
                };
                Ok((LogTable::Packed(logs), index))
            }
        }
    }
}

/// Reads every instance of `plan` that `filter` passes into one `logs` frame in time order.
pub fn read_logs(
    set: &FileSet,
    plan: &Plan,
    filter: &dyn EntryFilter,
    progress: &Progress,
) -> crate::Result<(DataFrame, Accounting)> {
    let (builders, report) = ingest(set, plan, filter, LogsBuilder::new, progress);
    Ok((table_of(builders)?, report))
}

/// One `logs` frame in time order from the builders of an ingest.
pub(crate) fn table_of(
    builders: impl IntoIterator<Item = LogsBuilder>,
) -> crate::Result<DataFrame> {
    let frames = builders
        .into_iter()
        .filter(|b| !b.is_empty())
        .map(LogsBuilder::finish)
        .collect::<crate::Result<Vec<_>>>()?;
    concat_sorted(frames)
}
