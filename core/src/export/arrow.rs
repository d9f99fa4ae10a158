//! The arrow-rs boundary: polars frames into arrow-rs record batches, and Arrow IPC files.
//!
//! polars keeps its own Arrow implementation (polars-arrow); arrow-rs is what the rest of the
//! ecosystem (Parquet, DataFusion, JavaScript through arrow-js) speaks. The two meet through the
//! Arrow C Data Interface, which both implement with identical `#[repr(C)]` structs, so a column
//! crosses without copying its buffers.
//!
//! Parquet files are written by the parquet crate's `ArrowWriter` from the same record batches
//! (Snappy-compressed, pure Rust, so the browser viewer writes them too).
//!
//! Columns go out as every Arrow reader understands them: strings as `LargeUtf8` rather than
//! views (cast by arrow-rs), categoricals as dictionaries.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, make_array};
use arrow::datatypes::{Field, Schema};
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi};
use arrow::ipc::writer::FileWriter;
use arrow::record_batch::RecordBatch;
use polars::prelude::{CompatLevel, DataFrame};

/// Rows per record batch (and Parquet row group) when a frame is written out: bounds the
/// copy a write makes at once.
const BATCH_ROWS: usize = 128 * 1024;

/// Moves one polars column into an arrow-rs array through the C Data Interface.
#[allow(unsafe_code)]
fn to_arrow_rs(
    name: &str,
    array: Box<dyn polars_arrow::array::Array>,
) -> Result<(Field, ArrayRef), crate::Error> {
    let field = polars_arrow::datatypes::Field::new(name.into(), array.dtype().clone(), true);
    let c_array = polars_arrow::ffi::export_array_to_c(array);
    let c_schema = polars_arrow::ffi::export_field_to_c(&field);
    // SAFETY: polars-arrow's `ArrowArray`/`ArrowSchema` and arrow-rs's `FFI_ArrowArray`/
    // `FFI_ArrowSchema` are both the C Data Interface's `#[repr(C)]` structs, field for field;
    // ownership (the `release` callbacks) moves with the values.
    let (ffi_array, ffi_schema): (FFI_ArrowArray, FFI_ArrowSchema) = unsafe {
        (
            std::mem::transmute::<polars_arrow::ffi::ArrowArray, FFI_ArrowArray>(c_array),
            std::mem::transmute::<polars_arrow::ffi::ArrowSchema, FFI_ArrowSchema>(c_schema),
        )
    };
    // SAFETY: the array and schema come from the exporter above and match each other.
    let data = unsafe { from_ffi(ffi_array, &ffi_schema)? };
    let field = Field::try_from(&ffi_schema)?.with_nullable(true);
    Ok((field, make_array(data)))
}

/// `dt` with string and binary views as `LargeUtf8` and `LargeBinary`, at every level.
fn without_views(dt: &arrow::datatypes::DataType) -> arrow::datatypes::DataType {
    use arrow::datatypes::DataType as D;
    let field = |f: &Field| Arc::new(f.clone().with_data_type(without_views(f.data_type())));
    match dt {
        D::Utf8View => D::LargeUtf8,
        D::BinaryView => D::LargeBinary,
        D::List(f) => D::List(field(f)),
        D::LargeList(f) => D::LargeList(field(f)),
        D::Struct(fields) => D::Struct(fields.iter().map(|f| field(f)).collect()),
        D::Dictionary(k, v) => D::Dictionary(k.clone(), Box::new(without_views(v))),
        other => other.clone(),
    }
}

/// `df` as one arrow-rs record batch.
pub(crate) fn to_record_batch(df: &DataFrame) -> Result<RecordBatch, crate::Error> {
    let mut fields = Vec::with_capacity(df.width());
    let mut arrays = Vec::with_capacity(df.width());
    for column in df.get_columns() {
        let series = column.as_materialized_series().rechunk();
        // Strings leave polars as views and become LargeUtf8 in arrow-rs: polars' own cast
        // to LargeUtf8 fails on 32-bit targets (the browser) for arrays a sort or a take
        // made, whose view sizes it takes for 4 GB.
        let array = series.to_arrow(0, CompatLevel::newest());
        let (field, array) = to_arrow_rs(series.name(), array)?;
        let target = without_views(field.data_type());
        let (field, array) = if target == *field.data_type() {
            (field, array)
        } else {
            let cast = arrow::compute::cast(&array, &target)?;
            (field.with_data_type(target), cast)
        };
        fields.push(field);
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    if arrays.is_empty() {
        return Ok(RecordBatch::new_empty(schema));
    }
    Ok(RecordBatch::try_new(schema, arrays)?)
}

/// `df` in record batches of at most [`BATCH_ROWS`] rows (one empty batch for no rows, so
/// that the schema is written).
fn batches(df: &DataFrame) -> impl Iterator<Item = Result<RecordBatch, crate::Error>> + '_ {
    let n = df.height().div_ceil(BATCH_ROWS).max(1);
    (0..n).map(move |k| to_record_batch(&df.slice((k * BATCH_ROWS) as i64, BATCH_ROWS)))
}

/// The record batches of frames given one after another (see [`batches`]); a frame is
/// dropped once written.
fn batches_of(
    frames: impl Iterator<Item = crate::Result<DataFrame>>,
) -> impl Iterator<Item = Result<RecordBatch, crate::Error>> {
    frames.flat_map(|df| -> Vec<Result<RecordBatch, crate::Error>> {
        match df {
            Ok(df) => batches(&df).collect(),
            Err(e) => vec![Err(e)],
        }
    })
}

/// Writes `df` as an Arrow IPC file (the random-access format, `.arrow`).
pub fn write_ipc_file(df: &DataFrame, w: &mut dyn Write) -> Result<(), crate::Error> {
    write_ipc_file_of(std::iter::once(Ok(df.clone())), w)
}

/// [`write_ipc_file`] of frames given one after another (one schema), as one table.
pub(crate) fn write_ipc_file_of(
    frames: impl Iterator<Item = crate::Result<DataFrame>>,
    w: &mut dyn Write,
) -> Result<(), crate::Error> {
    let mut batches = batches_of(frames);
    let Some(first) = batches.next().transpose()? else {
        return Ok(());
    };
    let mut writer = FileWriter::try_new(w, &first.schema())?;
    writer.write(&first)?;
    for batch in batches {
        writer.write(&batch?)?;
    }
    writer.finish()?;
    Ok(())
}

/// Writes `df` as a Parquet file (Snappy, one row group per [`BATCH_ROWS`] rows);
/// categoricals stay dictionary-encoded, times keep their UTC zone.
pub(crate) fn write_parquet<W: Write + Send>(df: &DataFrame, w: W) -> Result<(), crate::Error> {
    write_parquet_of(std::iter::once(Ok(df.clone())), w)
}

/// [`write_parquet`] of frames given one after another (one schema), as one table.
pub(crate) fn write_parquet_of<W: Write + Send>(
    frames: impl Iterator<Item = crate::Result<DataFrame>>,
    w: W,
) -> Result<(), crate::Error> {
    use parquet::arrow::ArrowWriter;
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(BATCH_ROWS))
        .set_created_by(format!("podsift {}", env!("CARGO_PKG_VERSION")))
        .build();
    let mut batches = batches_of(frames);
    let Some(first) = batches.next().transpose()? else {
        return Ok(());
    };
    let mut writer = ArrowWriter::try_new(w, first.schema(), Some(props))?;
    writer.write(&first)?;
    for batch in batches {
        writer.write(&batch?)?;
    }
    writer.close()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::ipc::reader::FileReader;
    use polars::prelude::*;

    #[test]
    fn frames_round_trip_through_ipc() {
        let df = df!(
            "s" => [Some("a"), None, Some("ccc")],
            "n" => [1u64, 2, 3],
        )
        .unwrap();
        let mut buf = Vec::new();
        write_ipc_file(&df, &mut buf).unwrap();
        let reader = FileReader::try_new(std::io::Cursor::new(buf), None).unwrap();
        let batches: Vec<RecordBatch> = reader.collect::<Result<_, _>>().unwrap();
        assert_eq!(batches.len(), 1);
        let b = &batches[0];
        assert_eq!(b.num_rows(), 3);
        let s = b.column(0).as_string::<i64>();
        assert_eq!((s.value(0), s.is_null(1), s.value(2)), ("a", true, "ccc"));
        let n = b.column(1).as_primitive::<arrow::datatypes::UInt64Type>();
        assert_eq!(n.values().to_vec(), vec![1, 2, 3]);
    }

    #[test]
    fn logs_round_trip_through_parquet_in_row_groups() {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let n = BATCH_ROWS + 7;
        let pods: Vec<&str> = (0..n)
            .map(|i| if i % 3 == 0 { "api" } else { "web" })
            .collect();
        let ts: Vec<i64> = (0..n as i64)
            .map(|i| 1_704_067_200_000_000_000 + i)
            .collect();
        let mut df = df!("pod" => pods, "n" => (0..n as u64).collect::<Vec<_>>()).unwrap();
        df.with_column(
            Int64Chunked::from_vec("ts".into(), ts)
                .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
                .into_series(),
        )
        .unwrap();
        let cat = df
            .column("pod")
            .unwrap()
            .cast(&crate::schema::categorical_dtype())
            .unwrap();
        df.with_column(cat).unwrap();
        let mut buf = Vec::new();
        write_parquet(&df, &mut buf).unwrap();
        assert_eq!(&buf[..4], b"PAR1");
        let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(buf)).unwrap();
        assert_eq!(builder.metadata().num_row_groups(), 2);
        let batches: Vec<RecordBatch> = builder.build().unwrap().collect::<Result<_, _>>().unwrap();
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, n);
        let b = &batches[0];
        let schema = b.schema();
        let ts_field = schema.field_with_name("ts").unwrap();
        assert_eq!(
            ts_field.data_type(),
            &arrow::datatypes::DataType::Timestamp(
                arrow::datatypes::TimeUnit::Nanosecond,
                Some("UTC".into())
            )
        );
        let pod = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8).unwrap();
        let pod = pod.as_string::<i32>();
        assert_eq!(
            (pod.value(0), pod.value(1), pod.value(3)),
            ("api", "web", "api")
        );
        let last = batches.last().unwrap();
        let nums = last
            .column(1)
            .as_primitive::<arrow::datatypes::UInt64Type>();
        assert_eq!(nums.value(nums.len() - 1), n as u64 - 1);
    }

    #[test]
    fn an_empty_frame_still_has_its_schema() {
        let df = df!("s" => Vec::<&str>::new()).unwrap();
        for f in [
            crate::export::ExportFormat::ArrowIpc,
            crate::export::ExportFormat::Parquet,
        ] {
            let bytes = f.write(&df).unwrap();
            assert!(bytes.len() > 8, "{f:?}");
        }
        let mut buf = Vec::new();
        write_ipc_file(&df, &mut buf).unwrap();
        let reader = FileReader::try_new(std::io::Cursor::new(buf), None).unwrap();
        assert_eq!(reader.schema().field(0).name(), "s");
    }
}
