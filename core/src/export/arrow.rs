//! The arrow-rs boundary: polars frames into arrow-rs record batches, and Arrow IPC files.
//!
//! polars keeps its own Arrow implementation (polars-arrow); arrow-rs is what the rest of the
//! ecosystem (Parquet, DataFusion, JavaScript through arrow-js) speaks. The two meet through the
//! Arrow C Data Interface, which both implement with identical `#[repr(C)]` structs, so a column
//! crosses without copying its buffers.
//!
//! Columns go out at polars' oldest compatibility level: strings as `LargeUtf8` rather than
//! views, which every Arrow reader understands; categoricals as dictionaries.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, make_array};
use arrow::datatypes::{Field, Schema};
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi};
use arrow::ipc::writer::FileWriter;
use arrow::record_batch::RecordBatch;
use polars::prelude::{CompatLevel, DataFrame};

/// An export failure.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// From polars.
    #[error(transparent)]
    Polars(#[from] polars::prelude::PolarsError),
    /// From arrow-rs.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

/// Moves one polars column into an arrow-rs array through the C Data Interface.
#[allow(unsafe_code)]
fn to_arrow_rs(
    name: &str,
    array: Box<dyn polars_arrow::array::Array>,
) -> Result<(Field, ArrayRef), ExportError> {
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

/// `df` as one arrow-rs record batch.
pub fn to_record_batch(df: &DataFrame) -> Result<RecordBatch, ExportError> {
    let mut fields = Vec::with_capacity(df.width());
    let mut arrays = Vec::with_capacity(df.width());
    for column in df.get_columns() {
        let series = column.as_materialized_series().rechunk();
        let array = series.to_arrow(0, CompatLevel::oldest());
        let (field, array) = to_arrow_rs(series.name(), array)?;
        fields.push(field);
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    if arrays.is_empty() {
        return Ok(RecordBatch::new_empty(schema));
    }
    Ok(RecordBatch::try_new(schema, arrays)?)
}

/// Writes `df` as an Arrow IPC file (the random-access format, `.arrow`).
pub fn write_ipc_file(df: &DataFrame, w: &mut dyn Write) -> Result<(), ExportError> {
    let batch = to_record_batch(df)?;
    let mut writer = FileWriter::try_new(w, &batch.schema())?;
    writer.write(&batch)?;
    writer.finish()?;
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
}
