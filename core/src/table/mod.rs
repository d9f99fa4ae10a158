//! The tables: builders that turn entries and file accounting into polars frames with the
//! columns of [`crate::schema`].

pub mod audit;
pub mod events;
pub mod logs;
pub mod metrics;
pub mod metrics_summary;
pub mod pods;
pub mod sources;

use polars::prelude::*;

use crate::ingest::{EntryFilter, IngestReport, Progress, ingest};
use crate::schema::logs as col;
use crate::sources::FileSet;
use crate::sources::plan::Plan;

pub use logs::LogsBuilder;

/// Casts text columns to the logs table's categorical type, so that SQL joins them with
/// `logs.namespace` or `logs.pod`.
pub(crate) fn cast_to_categorical(df: &mut DataFrame, names: &[&str]) -> PolarsResult<()> {
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
    (key_field, value_field): (&str, &str),
    keys: polars_arrow::array::Utf8ViewArray,
    values: polars_arrow::array::Utf8ViewArray,
    offsets: Vec<i64>,
) -> PolarsResult<Column> {
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
    let list = ListArray::<i64>::try_new(
        ListArray::<i64>::default_datatype(struct_dtype),
        offsets,
        structs.boxed(),
        None,
    )?;
    Ok(Series::from_arrow(name.into(), list.boxed())?.into_column())
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
pub fn concat_sorted(frames: Vec<DataFrame>) -> PolarsResult<DataFrame> {
    let mut iter = frames.into_iter();
    let Some(mut all) = iter.next() else {
        return LogsBuilder::new().finish();
    };
    for frame in iter {
        all.vstack_mut_owned(frame)?;
    }
    all.rechunk_mut();
    all.sort(
        [col::TS, col::SOURCE_ID, col::LINE],
        SortMultipleOptions::default()
            .with_maintain_order(true)
            .with_nulls_last(false),
    )
}

/// [`read_logs`], counting entries per minute and level into `live` as they are read (a
/// viewer draws a histogram from it before the read ends).
pub fn read_logs_live(
    set: &FileSet,
    plan: &Plan,
    filter: &dyn EntryFilter,
    progress: &Progress,
    live: &std::sync::Arc<crate::query::discover::LiveCounts>,
) -> PolarsResult<(DataFrame, IngestReport)> {
    use crate::query::discover::Counting;
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

/// Reads every instance of `plan` that `filter` passes into one `logs` frame in time order.
pub fn read_logs(
    set: &FileSet,
    plan: &Plan,
    filter: &dyn EntryFilter,
    progress: &Progress,
) -> PolarsResult<(DataFrame, IngestReport)> {
    let (builders, report) = ingest(set, plan, filter, LogsBuilder::new, progress);
    Ok((table_of(builders)?, report))
}

/// One `logs` frame in time order from the builders of an ingest.
fn table_of(builders: impl IntoIterator<Item = LogsBuilder>) -> PolarsResult<DataFrame> {
    let frames = builders
        .into_iter()
        .filter(|b| !b.is_empty())
        .map(LogsBuilder::finish)
        .collect::<PolarsResult<Vec<_>>>()?;
    concat_sorted(frames)
}
