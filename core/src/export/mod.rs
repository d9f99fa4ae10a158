//! Writing tables out: aligned text tables, CSV, NDJSON, stern-like lines ([`text`]), and
//! Arrow IPC and Parquet ([`arrow`], through arrow-rs). [`ExportFormat`] is what the apps'
//! export menus offer.
//!
//! Cells are rendered the same way everywhere: timestamps as RFC 3339 with nine fraction digits
//! in UTC, categoricals and enums as their text, `fields` as a JSON object.

pub mod arrow;
pub mod text;

use std::io::{self, Write};

use polars::prelude::*;

use crate::time::write_rfc3339_nanos;

/// A file format the apps export a table in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    Ndjson,
    /// An Arrow IPC file.
    ArrowIpc,
    /// A Parquet file.
    Parquet,
}

impl ExportFormat {
    /// Every format, in menu order.
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Csv,
        ExportFormat::Ndjson,
        ExportFormat::ArrowIpc,
        ExportFormat::Parquet,
    ];

    /// As a menu shows it.
    pub fn label(self) -> &'static str {
        match self {
            ExportFormat::Csv => "CSV",
            ExportFormat::Ndjson => "NDJSON",
            ExportFormat::ArrowIpc => "Arrow IPC",
            ExportFormat::Parquet => "Parquet",
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
            ExportFormat::ArrowIpc => "arrow",
            ExportFormat::Parquet => "parquet",
        }
    }

    /// The format whose extension is `ext` (`csv`, `ndjson`, `arrow`, `parquet`).
    pub fn from_extension(ext: &str) -> Option<ExportFormat> {
        ExportFormat::ALL.into_iter().find(|f| f.extension() == ext)
    }

    /// The media type (a browser download's).
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv",
            ExportFormat::Ndjson => "application/x-ndjson",
            ExportFormat::ArrowIpc => "application/vnd.apache.arrow.file",
            ExportFormat::Parquet => "application/vnd.apache.parquet",
        }
    }

    /// `df` in this format.
    pub fn write(self, df: &DataFrame) -> Result<Vec<u8>, crate::Error> {
        let mut out = Vec::new();
        match self {
            ExportFormat::Csv => write_csv(df, &mut out)?,
            ExportFormat::Ndjson => write_ndjson(df, &mut out)?,
            ExportFormat::ArrowIpc => arrow::write_ipc_file(df, &mut out)?,
            ExportFormat::Parquet => arrow::write_parquet(df, &mut out)?,
        }
        Ok(out)
    }

    /// Frames given one after another (one schema, as [`crate::table::LogTable::chunks`]
    /// gives a view's rows) as one file in this format; each is dropped once written.
    pub fn write_frames(
        self,
        frames: impl Iterator<Item = crate::Result<DataFrame>>,
    ) -> Result<Vec<u8>, crate::Error> {
        let mut out = Vec::new();
        match self {
            ExportFormat::Csv => {
                for (k, df) in frames.enumerate() {
                    write_csv_rows(&df?, &mut out, k == 0)?;
                }
            }
            ExportFormat::Ndjson => {
                for df in frames {
                    write_ndjson(&df?, &mut out)?;
                }
            }
            ExportFormat::ArrowIpc => arrow::write_ipc_file_of(frames, &mut out)?,
            ExportFormat::Parquet => arrow::write_parquet_of(frames, &mut out)?,
        }
        Ok(out)
    }
}

/// Renders the cells of one column.
enum Cells<'a> {
    /// Times, with the fraction digits to write them with (9, or for people the fewest that
    /// write every time of the column exactly).
    Datetime(&'a Int64Chunked, TimeUnit, u32),
    Str(&'a StringChunked),
    Cat(Vec<Option<&'a str>>),
    Bool(&'a BooleanChunked),
    /// A `list[struct{key, value}]` column.
    KeyValues(&'a ListChunked),
    Other(&'a Series),
}

/// A column ready to render.
struct RenderColumn<'a> {
    cells: Cells<'a>,
    numeric: bool,
}

/// What a cell is, for the writers that care (JSON wants numbers, bools and objects unquoted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CellKind {
    Null,
    Text,
    Raw,
}

fn is_key_value_list(dtype: &DataType) -> bool {
    matches!(dtype, DataType::List(inner) if matches!(&**inner, DataType::Struct(f)
        if f.len() == 2 && f[0].name() == "key" && f[1].name() == "value"))
}

fn to_nanos(v: i64, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Nanoseconds => v,
        TimeUnit::Microseconds => v.saturating_mul(1_000),
        TimeUnit::Milliseconds => v.saturating_mul(1_000_000),
    }
}

impl<'a> RenderColumn<'a> {
    /// A column for machines: times with nine fraction digits.
    fn new(s: &'a Series) -> crate::Result<Self> {
        Self::with(s, false)
    }

    /// A column for people (`human`): times with the fewest fraction digits that write every
    /// time of the column exactly, so that they still line up.
    fn with(s: &'a Series, human: bool) -> crate::Result<Self> {
        let numeric = s.dtype().is_primitive_numeric();
        let cells = match s.dtype() {
            DataType::Datetime(unit, _) => {
                let ca = s.datetime()?.physical();
                let digits = if human {
                    ca.iter()
                        .flatten()
                        .map(|v| crate::time::fraction_digits(to_nanos(v, *unit)))
                        .max()
                        .unwrap_or(0)
                } else {
                    9
                };
                Cells::Datetime(ca, *unit, digits)
            }
            DataType::String => Cells::Str(s.str()?),
            DataType::Categorical(..) | DataType::Enum(..) => {
                let v: Vec<Option<&str>> = match s.dtype().cat_physical()? {
                    CategoricalPhysical::U8 => s.cat8()?.iter_str().collect(),
                    CategoricalPhysical::U16 => s.cat16()?.iter_str().collect(),
                    CategoricalPhysical::U32 => s.cat32()?.iter_str().collect(),
                };
                Cells::Cat(v)
            }
            DataType::Boolean => Cells::Bool(s.bool()?),
            dt if is_key_value_list(dt) => Cells::KeyValues(s.list()?),
            _ => Cells::Other(s),
        };
        Ok(RenderColumn { cells, numeric })
    }

    /// Appends the cell of `row` to `out` and says what kind it is.
    fn render(&self, row: usize, out: &mut String) -> CellKind {
        match &self.cells {
            Cells::Datetime(ca, unit, digits) => match ca.get(row) {
                Some(v) => {
                    let nanos = to_nanos(v, *unit);
                    if *digits == 9 {
                        write_rfc3339_nanos(out, nanos);
                    } else {
                        crate::time::write_rfc3339(out, nanos, *digits);
                    }
                    CellKind::Text
                }
                None => CellKind::Null,
            },
            Cells::Str(ca) => match ca.get(row) {
                Some(v) => {
                    out.push_str(v);
                    CellKind::Text
                }
                None => CellKind::Null,
            },
            Cells::Cat(v) => match v[row] {
                Some(v) => {
                    out.push_str(v);
                    CellKind::Text
                }
                None => CellKind::Null,
            },
            Cells::Bool(ca) => match ca.get(row) {
                Some(v) => {
                    out.push_str(if v { "true" } else { "false" });
                    CellKind::Raw
                }
                None => CellKind::Null,
            },
            Cells::KeyValues(ca) => match ca.get_as_series(row) {
                Some(s) => {
                    write_key_values(&s, out);
                    CellKind::Raw
                }
                None => CellKind::Null,
            },
            Cells::Other(s) => match s.get(row) {
                Ok(AnyValue::Null) | Err(_) => CellKind::Null,
                Ok(AnyValue::String(v)) => {
                    out.push_str(v);
                    CellKind::Text
                }
                Ok(AnyValue::StringOwned(v)) => {
                    out.push_str(&v);
                    CellKind::Text
                }
                Ok(v) => {
                    use std::fmt::Write as _;
                    let _ = write!(out, "{v}");
                    if self.numeric || matches!(v, AnyValue::Boolean(_)) {
                        CellKind::Raw
                    } else {
                        CellKind::Text
                    }
                }
            },
        }
    }
}

/// Writes a `list[struct{key, value}]` cell as a JSON object (later duplicates win).
fn write_key_values(s: &Series, out: &mut String) {
    out.push('{');
    if let Ok(st) = s.struct_() {
        let fields = st.fields_as_series();
        if let (Some(k), Some(v)) = (fields.first(), fields.get(1))
            && let (Ok(k), Ok(v)) = (k.str(), v.str())
        {
            for (i, (k, v)) in k.iter().zip(v.iter()).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k.unwrap_or(""), out);
                out.push(':');
                match v {
                    Some(v) => json_string(v, out),
                    None => out.push_str("null"),
                }
            }
        }
    }
    out.push('}');
}

/// Appends `s` as a JSON string literal.
pub(crate) fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                use std::fmt::Write as _;
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn render_columns(df: &DataFrame) -> crate::Result<(Vec<Series>, Vec<String>)> {
    let series: Vec<Series> = df
        .get_columns()
        .iter()
        .map(|c| c.as_materialized_series().rechunk())
        .collect();
    let names = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    Ok((series, names))
}

fn io_err(e: crate::Error) -> io::Error {
    io::Error::other(e)
}

/// Writes `df` as NDJSON: one object per row with every column; nulls as `null`.
pub fn write_ndjson(df: &DataFrame, w: &mut dyn Write) -> io::Result<()> {
    let (series, names) = render_columns(df).map_err(io_err)?;
    let cols: Vec<RenderColumn<'_>> = series
        .iter()
        .map(RenderColumn::new)
        .collect::<crate::Result<_>>()
        .map_err(io_err)?;
    let mut keys = Vec::with_capacity(names.len());
    for n in &names {
        let mut k = String::new();
        json_string(n, &mut k);
        keys.push(k);
    }
    let mut line = String::new();
    let mut cell = String::new();
    for row in 0..df.height() {
        line.clear();
        line.push('{');
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(&keys[i]);
            line.push(':');
            cell.clear();
            match c.render(row, &mut cell) {
                CellKind::Null => line.push_str("null"),
                // JSON has no NaN or infinities: written as strings, as Prometheus' API does.
                CellKind::Raw => match cell.as_str() {
                    "NaN" | "nan" => line.push_str("\"NaN\""),
                    "inf" => line.push_str("\"+Inf\""),
                    "-inf" => line.push_str("\"-Inf\""),
                    _ => line.push_str(&cell),
                },
                CellKind::Text => json_string(&cell, &mut line),
            }
        }
        line.push_str("}\n");
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

fn csv_field(s: &str, out: &mut String) {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// Writes `df` as CSV (RFC 4180) with a header row; nulls are empty cells.
pub fn write_csv(df: &DataFrame, w: &mut dyn Write) -> io::Result<()> {
    write_csv_rows(df, w, true)
}

/// [`write_csv`], the header row only when `header`.
fn write_csv_rows(df: &DataFrame, w: &mut dyn Write, header: bool) -> io::Result<()> {
    let (series, names) = render_columns(df).map_err(io_err)?;
    let cols: Vec<RenderColumn<'_>> = series
        .iter()
        .map(RenderColumn::new)
        .collect::<crate::Result<_>>()
        .map_err(io_err)?;
    let mut line = String::new();
    if header {
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            csv_field(n, &mut line);
        }
        line.push_str("\r\n");
        w.write_all(line.as_bytes())?;
    }
    let mut cell = String::new();
    for row in 0..df.height() {
        line.clear();
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            cell.clear();
            if c.render(row, &mut cell) != CellKind::Null {
                csv_field(&cell, &mut line);
            }
        }
        line.push_str("\r\n");
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Writes `df` as an aligned text table: a header, then one line per row. Numbers are right
/// aligned; newlines and tabs inside cells are shown as `⏎` and spaces; cells longer than
/// `max_cell` characters are cut with `…`.
pub fn write_table(df: &DataFrame, w: &mut dyn Write, max_cell: usize) -> io::Result<()> {
    let t = TextTable::of(df, max_cell)?;
    t.write(w)
}

/// [`write_table`] fitted to `width` characters a line: the widest text columns are cut
/// (paths at their start, other text at their end) until the table fits or every column is
/// down to its header's width (at least 6).
pub fn write_table_fit(df: &DataFrame, w: &mut dyn Write, width: usize) -> io::Result<()> {
    let mut t = TextTable::of(df, 400)?;
    let least: Vec<usize> = t
        .names
        .iter()
        .zip(&t.numeric)
        .map(|(n, &numeric)| {
            if numeric {
                usize::MAX
            } else {
                n.chars().count().max(6)
            }
        })
        .collect();
    let total =
        |widths: &[usize]| widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    while total(&t.widths) > width {
        let Some((i, _)) = t
            .widths
            .iter()
            .enumerate()
            .filter(|(i, w)| **w > least[*i])
            .max_by_key(|(i, w)| (**w, std::cmp::Reverse(*i)))
        else {
            break;
        };
        t.widths[i] -= 1;
    }
    for row in &mut t.cells {
        for (cell, &width) in row.iter_mut().zip(&t.widths) {
            if cell.chars().count() > width {
                *cell = fit_cell(cell, width);
            }
        }
    }
    t.write(w)
}

/// A frame's cells as text, with each column's width and alignment.
struct TextTable {
    names: Vec<String>,
    numeric: Vec<bool>,
    cells: Vec<Vec<String>>,
    widths: Vec<usize>,
}

impl TextTable {
    /// Renders every cell of `df` (nulls empty), cut at `max_cell` characters.
    fn of(df: &DataFrame, max_cell: usize) -> io::Result<TextTable> {
        let (series, names) = render_columns(df).map_err(io_err)?;
        let cols: Vec<RenderColumn<'_>> = series
            .iter()
            .map(|s| RenderColumn::with(s, true))
            .collect::<crate::Result<_>>()
            .map_err(io_err)?;
        let mut cells: Vec<Vec<String>> = Vec::with_capacity(df.height());
        let mut widths: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
        let mut buf = String::new();
        for row in 0..df.height() {
            let mut r = Vec::with_capacity(cols.len());
            for (i, c) in cols.iter().enumerate() {
                buf.clear();
                let text = match c.render(row, &mut buf) {
                    CellKind::Null => String::new(),
                    _ => display_cell(&buf, max_cell),
                };
                widths[i] = widths[i].max(text.chars().count());
                r.push(text);
            }
            cells.push(r);
        }
        Ok(TextTable {
            numeric: cols.iter().map(|c| c.numeric).collect(),
            names: names.iter().map(|n| n.to_string()).collect(),
            cells,
            widths,
        })
    }

    /// The header and the rows, each column padded to its width.
    fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut line = String::new();
        let last = self.names.len().saturating_sub(1);
        let row = |line: &mut String, texts: &mut dyn Iterator<Item = &str>| {
            line.clear();
            for (i, text) in texts.enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                let (width, n) = (self.widths[i], text.chars().count());
                if self.numeric[i] {
                    line.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
                    line.push_str(text);
                } else {
                    line.push_str(text);
                    if i != last {
                        line.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
                    }
                }
            }
            line.push('\n');
        };
        row(&mut line, &mut self.names.iter().map(String::as_str));
        w.write_all(line.as_bytes())?;
        for r in &self.cells {
            row(&mut line, &mut r.iter().map(String::as_str));
            w.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

/// A cell cut to at most `width` characters, the `…` it is cut with included.
fn fit_cell(s: &str, width: usize) -> String {
    let cut = display_cell(s, width);
    if cut.chars().count() <= width {
        cut
    } else {
        display_cell(s, width.saturating_sub(1))
    }
}

fn display_cell(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max.saturating_mul(4)));
    let len = s.chars().count();
    // Paths (a `/` and an extension at the end, or a leading `/`) say the most at their end:
    // cut those at the start.
    let path = s.contains('/')
        && !s.contains(char::is_whitespace)
        && (s.starts_with('/') || s.rsplit('/').next().is_some_and(|last| last.contains('.')));
    if len > max && max > 1 && path {
        out.push('…');
        out.extend(s.chars().skip(len - (max - 1)));
        return out;
    }
    for (n, c) in s.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push('⏎'),
            '\t' | '\r' => out.push(' '),
            c if c.is_control() => out.push('�'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> DataFrame {
        df!(
            "name" => ["a,b", "plain", "quote\"d"],
            "n" => [1u64, 22, 333],
            "opt" => [Some("x"), None, Some("line\nbreak")],
        )
        .unwrap()
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let mut out = Vec::new();
        write_csv(&frame(), &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "name,n,opt\r\n\"a,b\",1,x\r\nplain,22,\r\n\"quote\"\"d\",333,\"line\nbreak\"\r\n"
        );
    }

    #[test]
    fn ndjson_types() {
        let mut out = Vec::new();
        write_ndjson(&frame(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            rows[0],
            serde_json::json!({"name": "a,b", "n": 1, "opt": "x"})
        );
        assert_eq!(rows[1]["opt"], serde_json::Value::Null);
        assert_eq!(rows[2]["opt"], "line\nbreak");
    }

    #[test]
    fn ndjson_non_finite_floats_stay_valid_json() {
        let df = DataFrame::new(vec![Column::new(
            "v".into(),
            vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1.5],
        )])
        .unwrap();
        let mut out = Vec::new();
        write_ndjson(&df, &mut out).unwrap();
        let vals: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["v"].clone())
            .collect();
        assert_eq!(
            vals,
            [
                serde_json::json!("NaN"),
                "+Inf".into(),
                "-Inf".into(),
                1.5.into()
            ]
        );
    }

    #[test]
    fn table_aligns() {
        let mut out = Vec::new();
        write_table(&frame(), &mut out, 7).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "name       n  opt\na,b        1  x\nplain     22  \nquote\"d  333  line⏎br…\n"
        );
    }

    #[test]
    fn long_paths_keep_their_end() {
        assert_eq!(
            display_cell("/var/log/pods/ns_pod_uid/app/0.log", 12),
            "…d/app/0.log"
        );
        assert_eq!(display_cell("a b/c d e f g", 5), "a b/c…");
    }

    #[test]
    fn json_strings_escape_controls() {
        let mut s = String::new();
        json_string("a\"\\\u{1}\u{2028}", &mut s);
        assert_eq!(s, r#""a\"\\\u0001\u2028""#);
    }
}
