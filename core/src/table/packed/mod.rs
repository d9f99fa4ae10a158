//! A `logs` table held in about a quarter of the memory, for the browser viewer: every
//! column is packed a block of entries at a time, in the order the entries were read, and
//! unpacked when asked for (a run of blocks at a time for a query, a few rows for what a view
//! shows). `message` and `fields` are Snappy-compressed text; the other columns (times, ids
//! of names, numbers, flags) are written as varints of each value's difference from the one
//! before (an instance's names are one value over and over, its times and lines climb by
//! small steps), then Snappy-compressed. The time order is a permutation beside the blocks, so
//! building the table moves no row: a sort that gathers every column into new memory leaves
//! the old columns' memory behind as holes, and a page's memory never shrinks.
//!
//! [`LogTable`] is what a front end holds: a plain frame (the desktop app, the CLI) or a
//! [`PackedLogs`] (the browser, whose page has 4 GiB and no swap), behind the same calls.

use std::sync::{Arc, Mutex};

use polars::prelude::*;
use polars_arrow::array::{Array, ListArray, MutableBinaryViewArray, Utf8ViewArray, View};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::buffer::Buffer;
use polars_arrow::datatypes::ArrowDataType;

mod build;

pub(crate) use build::PackedBuild;

use super::FieldPairs;
use super::index::{Codes, LogIndex};
use crate::schema::logs as col;

/// Message bytes in a block: small enough that unpacking one for a row shown is quick,
/// big enough that Snappy finds the repeats.
const BLOCK_BYTES: usize = 16 << 10;

/// Entries a query looks at in one go (blocks unpacked, then dropped).
const QUERY_ROWS: u32 = 64 * 1024;

/// Unpacked blocks kept for the rows a view shows.
const CACHE_BLOCKS: usize = 64;

/// Entries in a block of the other columns, at least (whole blocks of text each).
const REST_ROWS: u32 = 256;

/// Unpacked blocks of the other columns kept for the rows a view shows.
const CACHE_REST: usize = 64;

/// Rows of the `logs` table packed a block at a time: `message` and `fields` in blocks of
/// text, the other columns in blocks of whole text blocks.
#[derive(Clone, Debug, Default)]
pub struct PackedRows {
    blocks: Vec<Block>,
    /// The first entry of each block.
    starts: Vec<u32>,
    /// Entries held.
    len: u32,
    /// The other columns' names and types, in table order (from the first frame packed).
    schema: Vec<(PlSmallStr, DataType)>,
    rest: Vec<RestBlock>,
    /// The first entry of each block of `rest`.
    rest_starts: Vec<u32>,
}

/// The other columns of a run of entries: per column its byte length (varints), then each
/// column: a null flag, the validity bits when it has nulls, then per entry a varint of the
/// zigzagged difference of its value from the one before (nulls count as 0).
#[derive(Clone, Debug)]
struct RestBlock {
    /// The text blocks it spans, `first..end`.
    text_blocks: (u32, u32),
    data: Box<[u8]>,
}

#[derive(Clone, Debug)]
struct Block {
    /// Per entry its message's length + 1 (0: null) as varints, then the messages' bytes.
    messages: Box<[u8]>,
    /// Per entry its pair count + 1 (0: null), then per pair key and value length + 1 (0:
    /// null), as varints; then the keys' and values' bytes in that order.
    fields: Box<[u8]>,
}

/// A block being filled.
#[derive(Default)]
struct Filling {
    rows: u32,
    message_head: Vec<u8>,
    message_bytes: Vec<u8>,
    field_head: Vec<u8>,
    field_bytes: Vec<u8>,
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(data: &[u8], pos: &mut usize) -> crate::Result<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let Some(&b) = data.get(*pos) else { break };
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Ok(v);
        }
    }
    Err(damaged())
}

fn damaged() -> crate::Error {
    polars_err!(ComputeError: "a packed block of messages is damaged").into()
}

/// One of the other columns of a run of entries, unpacked: its physical values as `i64` (0 for
/// null) and, when it has nulls, which are valid.
#[derive(Clone, Debug, Default)]
struct Unpacked {
    values: Vec<i64>,
    valid: Option<Vec<bool>>,
}

impl Unpacked {
    fn get(&self, i: usize) -> Option<i64> {
        match &self.valid {
            Some(v) if !v[i] => None,
            _ => Some(self.values[i]),
        }
    }

    fn push(&mut self, v: Option<i64>) {
        if v.is_none() && self.valid.is_none() {
            self.valid = Some(vec![true; self.values.len()]);
        }
        if let Some(valid) = &mut self.valid {
            valid.push(v.is_some());
        }
        self.values.push(v.unwrap_or(0));
    }

    fn extend(&mut self, other: Unpacked) {
        match (&mut self.valid, other.valid) {
            (Some(a), Some(b)) => a.extend(b),
            (Some(a), None) => a.extend(std::iter::repeat_n(true, other.values.len())),
            (None, Some(b)) => {
                let mut v = vec![true; self.values.len()];
                v.extend(b);
                self.valid = Some(v);
            }
            (None, None) => {}
        }
        self.values.extend(other.values);
    }
}

/// A column's physical values as `i64`s (u64 wrapped), `None` for null.
fn physical_values(c: &Column) -> crate::Result<Vec<Option<i64>>> {
    let p = c.to_physical_repr();
    let s = p.as_materialized_series();
    Ok(match s.dtype() {
        DataType::Int64 => s.i64()?.iter().collect(),
        DataType::UInt64 => s.u64()?.iter().map(|v| v.map(|v| v as i64)).collect(),
        DataType::UInt32 => s.u32()?.iter().map(|v| v.map(i64::from)).collect(),
        DataType::UInt16 => s.u16()?.iter().map(|v| v.map(i64::from)).collect(),
        DataType::UInt8 => s.u8()?.iter().map(|v| v.map(i64::from)).collect(),
        DataType::Int32 => s.i32()?.iter().map(|v| v.map(i64::from)).collect(),
        DataType::Boolean => s.bool()?.iter().map(|v| v.map(i64::from)).collect(),
        other => {
            return Err(polars_err!(ComputeError: "cannot pack a column of {other}").into());
        }
    })
}

fn encode_column(c: &Column) -> crate::Result<Vec<u8>> {
    let values = physical_values(c)?;
    let mut out = Vec::with_capacity(values.len() + 1);
    let nulls = values.iter().any(Option::is_none);
    out.push(u8::from(nulls));
    if nulls {
        let mut byte = 0u8;
        for (i, v) in values.iter().enumerate() {
            if v.is_some() {
                byte |= 1 << (i % 8);
            }
            if i % 8 == 7 {
                out.push(byte);
                byte = 0;
            }
        }
        if values.len() % 8 != 0 {
            out.push(byte);
        }
    }
    let mut prev = 0i64;
    for v in values {
        let v = v.unwrap_or(0);
        let d = v.wrapping_sub(prev);
        put_varint(&mut out, ((d << 1) ^ (d >> 63)) as u64);
        prev = v;
    }
    Ok(out)
}

fn decode_column(data: &[u8], rows: usize) -> crate::Result<Unpacked> {
    let (&nulls, mut rest) = data.split_first().ok_or_else(damaged)?;
    let valid = if nulls == 1 {
        let n = rows.div_ceil(8);
        let bits = rest.get(..n).ok_or_else(damaged)?;
        rest = &rest[n..];
        Some(
            (0..rows)
                .map(|i| bits[i / 8] & (1 << (i % 8)) != 0)
                .collect(),
        )
    } else {
        None
    };
    let mut values = Vec::with_capacity(rows);
    let mut pos = 0;
    let mut prev = 0i64;
    for _ in 0..rows {
        let z = get_varint(rest, &mut pos)?;
        let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
        prev = prev.wrapping_add(d);
        values.push(prev);
    }
    if pos != rest.len() {
        return Err(damaged());
    }
    Ok(Unpacked { values, valid })
}

/// A polars column of `dtype` from physical values (see [`physical_values`]).
fn column_of(name: &PlSmallStr, dtype: &DataType, u: &Unpacked) -> crate::Result<Column> {
    let it = || (0..u.values.len()).map(|i| u.get(i));
    let name = name.clone();
    Ok(match dtype {
        DataType::Datetime(unit, tz) => Int64Chunked::from_iter_options(name, it())
            .into_datetime(*unit, tz.clone())
            .into_column(),
        DataType::Categorical(..) | DataType::Enum(..) => match dtype.cat_physical()? {
            CategoricalPhysical::U8 => {
                let phys = UInt8Chunked::from_iter_options(name, it().map(|v| v.map(|v| v as u8)));
                CategoricalChunked::<Categorical8Type>::from_cats_and_dtype(phys, dtype.clone())
                    .into_column()
            }
            CategoricalPhysical::U16 => {
                let phys =
                    UInt16Chunked::from_iter_options(name, it().map(|v| v.map(|v| v as u16)));
                CategoricalChunked::<Categorical16Type>::from_cats_and_dtype(phys, dtype.clone())
                    .into_column()
            }
            CategoricalPhysical::U32 => {
                let phys =
                    UInt32Chunked::from_iter_options(name, it().map(|v| v.map(|v| v as u32)));
                CategoricalChunked::<Categorical32Type>::from_cats_and_dtype(phys, dtype.clone())
                    .into_column()
            }
        },
        DataType::Int64 => Int64Chunked::from_iter_options(name, it()).into_column(),
        DataType::UInt64 => {
            UInt64Chunked::from_iter_options(name, it().map(|v| v.map(|v| v as u64))).into_column()
        }
        DataType::UInt32 => {
            UInt32Chunked::from_iter_options(name, it().map(|v| v.map(|v| v as u32))).into_column()
        }
        DataType::UInt16 => {
            UInt16Chunked::from_iter_options(name, it().map(|v| v.map(|v| v as u16))).into_column()
        }
        DataType::UInt8 => {
            UInt8Chunked::from_iter_options(name, it().map(|v| v.map(|v| v as u8))).into_column()
        }
        DataType::Int32 => {
            Int32Chunked::from_iter_options(name, it().map(|v| v.map(|v| v as i32))).into_column()
        }
        DataType::Boolean => {
            BooleanChunked::from_iter_options(name, it().map(|v| v.map(|v| v != 0))).into_column()
        }
        other => return Err(polars_err!(ComputeError: "cannot unpack a column of {other}").into()),
    })
}

fn put_text(head: &mut Vec<u8>, bytes: &mut Vec<u8>, text: Option<&str>) {
    match text {
        None => put_varint(head, 0),
        Some(t) => {
            put_varint(head, t.len() as u64 + 1);
            bytes.extend_from_slice(t.as_bytes());
        }
    }
}

fn compress(head: &[u8], bytes: &[u8]) -> crate::Result<Box<[u8]>> {
    let mut raw = Vec::with_capacity(head.len() + bytes.len());
    raw.extend_from_slice(head);
    raw.extend_from_slice(bytes);
    let packed = snap::raw::Encoder::new()
        .compress_vec(&raw)
        .map_err(|e| polars_err!(ComputeError: "packing messages: {e}"))?;
    Ok(packed.into_boxed_slice())
}

fn decompress(data: &[u8]) -> crate::Result<Vec<u8>> {
    Ok(snap::raw::Decoder::new()
        .decompress_vec(data)
        .map_err(|e| polars_err!(ComputeError: "unpacking messages: {e}"))?)
}

/// Lengths read from a head: per text its (offset in the block, length), `None` for null.
/// Texts follow the head in order.
struct Spans {
    spans: Vec<Option<(u32, u32)>>,
    next: usize,
}

impl Spans {
    fn new(capacity: usize) -> Spans {
        Spans {
            spans: Vec::with_capacity(capacity),
            next: 0,
        }
    }

    fn read(&mut self, raw: &[u8], pos: &mut usize) -> crate::Result<()> {
        let v = get_varint(raw, pos)?;
        if v == 0 {
            self.spans.push(None);
        } else {
            let len = usize::try_from(v - 1).map_err(|_| damaged())?;
            self.spans.push(Some((self.next as u32, len as u32)));
            self.next += len;
        }
        Ok(())
    }

    /// The texts as view arrays over `raw`, whose head ends at `start`: text `i` goes to
    /// array `i % ways` (keys and values alternate in a block of fields).
    fn arrays(self, raw: Vec<u8>, start: usize, ways: usize) -> crate::Result<Vec<Utf8ViewArray>> {
        if start + self.next != raw.len() || raw.len() > u32::MAX as usize {
            return Err(damaged());
        }
        std::str::from_utf8(&raw[start..]).map_err(|_| damaged())?;
        let each = self.spans.len() / ways + 1;
        let mut views: Vec<Vec<View>> = (0..ways).map(|_| Vec::with_capacity(each)).collect();
        let mut validity: Vec<Option<MutableBitmap>> = (0..ways).map(|_| None).collect();
        let mut totals = vec![0usize; ways];
        for (i, span) in self.spans.iter().enumerate() {
            let w = i % ways;
            match *span {
                None => {
                    let n = views[w].len();
                    validity[w]
                        .get_or_insert_with(|| {
                            let mut v = MutableBitmap::with_capacity(each);
                            v.extend_constant(n, true);
                            v
                        })
                        .push(false);
                    views[w].push(View::default());
                }
                Some((at, len)) => {
                    let at = start + at as usize;
                    let bytes = &raw[at..at + len as usize];
                    views[w].push(View::new_from_bytes(bytes, 0, at as u32));
                    totals[w] += len as usize;
                    if let Some(v) = &mut validity[w] {
                        v.push(true);
                    }
                }
            }
        }
        let buffer_len = raw.len();
        let buffers: Arc<[Buffer<u8>]> = Arc::from([Buffer::from(raw)]);
        let mut out = Vec::with_capacity(ways);
        for ((views, validity), total) in views.into_iter().zip(validity).zip(totals) {
            // SAFETY: each view holds a span of the bytes after the head, which were written
            // as whole `str`s one after the other (checked as UTF-8 above, and every span
            // starts and ends where one of those `str`s does); inline views copy their bytes.
            #[allow(unsafe_code)]
            out.push(unsafe {
                Utf8ViewArray::new_unchecked(
                    ArrowDataType::Utf8View,
                    views.into(),
                    buffers.clone(),
                    validity.map(Into::into),
                    total,
                    buffer_len,
                )
            });
        }
        Ok(out)
    }
}

impl Filling {
    fn push<'a>(
        &mut self,
        message: Option<&str>,
        pairs: Option<impl Iterator<Item = (&'a str, &'a str)>>,
    ) {
        put_text(&mut self.message_head, &mut self.message_bytes, message);
        match pairs {
            None => put_varint(&mut self.field_head, 0),
            Some(pairs) => {
                let mut pair_head = Vec::new();
                let mut n = 0u64;
                for (k, v) in pairs {
                    put_text(&mut pair_head, &mut self.field_bytes, Some(k));
                    put_text(&mut pair_head, &mut self.field_bytes, Some(v));
                    n += 1;
                }
                put_varint(&mut self.field_head, n + 1);
                self.field_head.extend_from_slice(&pair_head);
            }
        }
        self.rows += 1;
    }
}

impl PackedRows {
    /// Entries held.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes the packed blocks take.
    pub fn packed_bytes(&self) -> usize {
        self.blocks
            .iter()
            .map(|b| b.messages.len() + b.fields.len())
            .sum::<usize>()
            + self.rest.iter().map(|b| b.data.len() + 8).sum::<usize>()
            + (self.starts.len() + self.rest_starts.len()) * 4
    }

    /// Packs a `logs` frame's rows after the entries held (its other columns must be the
    /// same as those packed before).
    pub(crate) fn pack_frame(&mut self, mut df: DataFrame) -> crate::Result<()> {
        let message = df.drop_in_place(col::MESSAGE)?;
        let fields = df.drop_in_place(col::FIELDS)?;
        self.push(&message, &fields, &df)
    }

    /// Packs rows after the entries held: a `message` (text) and a `fields` (list of
    /// key/value structs) column, and the other columns.
    pub fn push(
        &mut self,
        message: &Column,
        fields: &Column,
        rest: &DataFrame,
    ) -> crate::Result<()> {
        let messages = message.str()?;
        let pairs = FieldPairs::of(fields)?;
        if fields.len() != messages.len() || rest.height() != messages.len() {
            return Err(polars_err!(ShapeMismatch: "the columns packed differ in length").into());
        }
        let schema: Vec<(PlSmallStr, DataType)> = rest
            .get_columns()
            .iter()
            .map(|c| (c.name().clone(), c.dtype().clone()))
            .collect();
        if self.schema.is_empty() && self.len == 0 {
            self.schema = schema;
        } else if self.schema != schema {
            return Err(
                polars_err!(SchemaMismatch: "packed frames differ in their columns").into(),
            );
        }
        let base = self.len;
        let mut rest_from = 0u32;
        let mut rest_block = self.blocks.len() as u32;
        let mut filling = Filling::default();
        for (row, m) in messages.iter().enumerate() {
            filling.push(m, pairs.is_valid(row).then(|| pairs.row(row)));
            if filling.message_bytes.len() + filling.field_bytes.len() >= BLOCK_BYTES {
                self.seal(&mut filling)?;
                let upto = self.len - base;
                if upto - rest_from >= REST_ROWS {
                    self.seal_rest(rest, rest_from, upto, rest_block)?;
                    rest_from = upto;
                    rest_block = self.blocks.len() as u32;
                }
            }
        }
        self.seal(&mut filling)?;
        let upto = self.len - base;
        if upto > rest_from {
            self.seal_rest(rest, rest_from, upto, rest_block)?;
        }
        Ok(())
    }

    /// Packs rows `from..to` of `rest` (of the frame whose first entry is `self.len` minus
    /// `to`), spanning the text blocks from `first_block` to the last sealed.
    fn seal_rest(
        &mut self,
        rest: &DataFrame,
        from: u32,
        to: u32,
        first_block: u32,
    ) -> crate::Result<()> {
        let part = rest.slice(i64::from(from), (to - from) as usize);
        let mut columns = Vec::with_capacity(part.width());
        for c in part.get_columns() {
            columns.push(encode_column(c)?);
        }
        let mut raw = Vec::new();
        for c in &columns {
            put_varint(&mut raw, c.len() as u64);
        }
        for c in &columns {
            raw.extend_from_slice(c);
        }
        let data = snap::raw::Encoder::new()
            .compress_vec(&raw)
            .map_err(|e| polars_err!(ComputeError: "packing rows: {e}"))?;
        self.rest_starts.push(self.len - (to - from));
        self.rest.push(RestBlock {
            text_blocks: (first_block, self.blocks.len() as u32),
            data: data.into_boxed_slice(),
        });
        Ok(())
    }

    fn seal(&mut self, filling: &mut Filling) -> crate::Result<()> {
        if filling.rows == 0 {
            return Ok(());
        }
        let f = std::mem::take(filling);
        self.blocks.push(Block {
            messages: compress(&f.message_head, &f.message_bytes)?,
            fields: compress(&f.field_head, &f.field_bytes)?,
        });
        self.starts.push(self.len);
        self.len = self
            .len
            .checked_add(f.rows)
            .ok_or_else(|| polars_err!(ComputeError: "more than 4 billion entries"))?;
        Ok(())
    }

    /// `other`'s entries after these.
    pub(crate) fn append(&mut self, other: PackedRows) -> crate::Result<()> {
        if other.len == 0 {
            return Ok(());
        }
        if self.len == 0 {
            self.schema = other.schema.clone();
        } else if self.schema != other.schema {
            return Err(
                polars_err!(SchemaMismatch: "packed frames differ in their columns").into(),
            );
        }
        let base = self.len;
        let block_base = self.blocks.len() as u32;
        self.len = base
            .checked_add(other.len)
            .ok_or_else(|| polars_err!(ComputeError: "more than 4 billion entries"))?;
        self.starts.extend(other.starts.iter().map(|s| s + base));
        self.blocks.extend(other.blocks);
        self.rest_starts
            .extend(other.rest_starts.iter().map(|s| s + base));
        self.rest.extend(other.rest.into_iter().map(|mut b| {
            b.text_blocks = (b.text_blocks.0 + block_base, b.text_blocks.1 + block_base);
            b
        }));
        Ok(())
    }

    fn rest_rows(&self, block: usize) -> usize {
        let end = self.rest_starts.get(block + 1).copied().unwrap_or(self.len);
        (end - self.rest_starts[block]) as usize
    }

    /// The block of `rest` holding `entry`, and the entry's index in it.
    fn locate_rest(&self, entry: u32) -> (usize, usize) {
        let b = self.rest_starts.partition_point(|&s| s <= entry) - 1;
        (b, (entry - self.rest_starts[b]) as usize)
    }

    /// The columns `which` (indexes in `schema`) of block `block` of `rest`, unpacked: per
    /// column its values (a column's physical values as `i64`) and validity.
    fn unpack_rest(&self, block: usize, which: &[usize]) -> crate::Result<Vec<Unpacked>> {
        let raw = snap::raw::Decoder::new()
            .decompress_vec(&self.rest[block].data)
            .map_err(|e| polars_err!(ComputeError: "unpacking rows: {e}"))?;
        let rows = self.rest_rows(block);
        let mut pos = 0;
        let mut bounds = Vec::with_capacity(self.schema.len());
        for _ in 0..self.schema.len() {
            bounds.push(get_varint(&raw, &mut pos)? as usize);
        }
        let mut starts = Vec::with_capacity(bounds.len());
        for len in &bounds {
            starts.push(pos);
            pos += len;
        }
        if pos != raw.len() {
            return Err(damaged());
        }
        which
            .iter()
            .map(|&k| {
                let from = *starts.get(k).ok_or_else(damaged)?;
                decode_column(&raw[from..from + bounds[k]], rows)
            })
            .collect()
    }

    /// Index of the other column `name` in `schema`.
    fn rest_column(&self, name: &str) -> crate::Result<usize> {
        Ok(self
            .schema
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| polars_err!(ColumnNotFound: "{name}"))?)
    }

    /// The other column `k`'s values over every entry, in read order.
    fn rest_values(&self, k: usize) -> crate::Result<Unpacked> {
        let mut all = Unpacked::default();
        for b in 0..self.rest.len() {
            let part = self.unpack_rest(b, &[k])?.pop().ok_or_else(damaged)?;
            all.extend(part);
        }
        Ok(all)
    }

    fn rows_of(&self, block: usize) -> usize {
        let end = self.starts.get(block + 1).copied().unwrap_or(self.len);
        (end - self.starts[block]) as usize
    }

    /// The block holding `entry`, and the entry's index in it.
    fn locate(&self, entry: u32) -> (usize, usize) {
        let b = self.starts.partition_point(|&s| s <= entry) - 1;
        (b, (entry - self.starts[b]) as usize)
    }

    fn messages(&self, block: usize) -> crate::Result<Utf8ViewArray> {
        let raw = decompress(&self.blocks[block].messages)?;
        let rows = self.rows_of(block);
        let mut spans = Spans::new(rows);
        let mut pos = 0;
        for _ in 0..rows {
            spans.read(&raw, &mut pos)?;
        }
        spans.arrays(raw, pos, 1)?.pop().ok_or_else(damaged)
    }

    fn fields(&self, block: usize) -> crate::Result<ListArray<i64>> {
        let raw = decompress(&self.blocks[block].fields)?;
        let rows = self.rows_of(block);
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0i64);
        let mut validity = MutableBitmap::with_capacity(rows);
        let mut texts = Spans::new(rows * 8);
        let mut pos = 0;
        let mut pairs = 0i64;
        for _ in 0..rows {
            let n = get_varint(&raw, &mut pos)?;
            validity.push(n != 0);
            for _ in 0..n.saturating_sub(1) {
                texts.read(&raw, &mut pos)?;
                texts.read(&raw, &mut pos)?;
                pairs += 1;
            }
            offsets.push(pairs);
        }
        let mut arrays = texts.arrays(raw, pos, 2)?;
        let values = arrays.pop().ok_or_else(damaged)?;
        let keys = arrays.pop().ok_or_else(damaged)?;
        let validity: Bitmap = validity.into();
        let validity = (validity.unset_bits() > 0).then_some(validity);
        super::pairs_array(
            (col::FIELD_KEY, col::FIELD_VALUE),
            keys,
            values,
            offsets,
            validity,
        )
    }
}

/// An unpacked block of text: (block, whether `fields`, the array).
type CachedText = (usize, bool, Box<dyn Array>);

/// A `logs` table packed (see the module's documentation).
#[derive(Debug)]
pub struct PackedLogs {
    rows: PackedRows,
    /// Per row (time order): its entry (read order).
    entry_of_row: Vec<u32>,
    /// Per entry: its row.
    row_of_entry: Vec<u32>,
    /// Recently unpacked blocks of text.
    cache: Mutex<Vec<CachedText>>,
    /// Recently unpacked blocks of the other columns, every column.
    rest_cache: Mutex<Vec<(usize, Arc<Vec<Unpacked>>)>>,
}

impl PackedLogs {
    /// The table of rows packed per instance, in read order; rows are in time order (as
    /// [`super::concat_sorted`] puts them).
    pub fn new(parts: Vec<PackedRows>) -> crate::Result<PackedLogs> {
        Ok(PackedBuild::new(parts, false)?.finish()?.0)
    }

    /// Rows.
    pub fn height(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has column `name` among those packed as values (every column but
    /// `message` and `fields`).
    pub fn holds(&self, name: &str) -> bool {
        self.rows.rest_column(name).is_ok()
    }

    /// Per row (time order): the entry (read order) it is.
    pub fn entry_of_row(&self) -> &[u32] {
        &self.entry_of_row
    }

    /// Bytes the packed rows take.
    pub fn packed_bytes(&self) -> usize {
        self.rows.packed_bytes()
    }

    /// Bytes the time order takes (both ways).
    pub fn order_bytes(&self) -> usize {
        self.entry_of_row.len() * 8
    }

    /// The view index ([`LogIndex`]), rows in time order, unpacked
    /// a block at a time straight into it.
    pub fn index(&self) -> crate::Result<LogIndex> {
        let mut fill = build::IndexFill::new(&self.rows)?;
        for b in 0..self.rows.rest.len() {
            fill.block(&self.rows, &self.row_of_entry, b)?;
        }
        Ok(fill.finish())
    }

    /// A column of values ([`PackedLogs::holds`]) as [`Codes`], rows in time order.
    pub fn codes(&self, name: &str) -> crate::Result<Codes> {
        let k = self.rows.rest_column(name)?;
        let dtype = &self.rows.schema[k].1;
        if matches!(dtype, DataType::Categorical(..) | DataType::Enum(..)) {
            let mut c = CodesBuilder::new(dtype, self.height());
            for b in 0..self.rows.rest.len() {
                let part = self.rows.unpack_rest(b, &[k])?.pop().ok_or_else(damaged)?;
                let first = self.rows.rest_starts[b] as usize;
                for i in 0..part.values.len() {
                    let row = self.row_of_entry[first + i] as usize;
                    c.ids[row] = c.code(part.get(i));
                }
            }
            return Ok(c.finish());
        }
        let values = self.rows.rest_values(k)?;
        let column = column_of(&self.rows.schema[k].0, dtype, &values)?;
        let df = DataFrame::new(vec![column])?;
        Ok(Codes::of(&df, name)?.in_order(&self.entry_of_row))
    }

    fn cached(&self, block: usize, fields: bool) -> crate::Result<Box<dyn Array>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = cache
            .iter()
            .position(|(b, f, _)| *b == block && *f == fields)
        {
            let hit = cache.remove(k);
            let array = hit.2.clone();
            cache.push(hit);
            return Ok(array);
        }
        let array: Box<dyn Array> = if fields {
            self.rows.fields(block)?.boxed()
        } else {
            self.rows.messages(block)?.boxed()
        };
        if cache.len() >= CACHE_BLOCKS {
            cache.remove(0);
        }
        cache.push((block, fields, array.clone()));
        Ok(array)
    }

    fn cached_rest(&self, block: usize) -> crate::Result<Arc<Vec<Unpacked>>> {
        let mut cache = self.rest_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = cache.iter().position(|(b, _)| *b == block) {
            let hit = cache.remove(k);
            let cols = hit.1.clone();
            cache.push(hit);
            return Ok(cols);
        }
        let all: Vec<usize> = (0..self.rows.schema.len()).collect();
        let cols = Arc::new(self.rows.unpack_rest(block, &all)?);
        if cache.len() >= CACHE_REST {
            cache.remove(0);
        }
        cache.push((block, cols.clone()));
        Ok(cols)
    }

    /// `message` of `entries`, copied out of their blocks (visited in read order, each block
    /// unpacked once: `by_entry` lists the positions of `entries` in read order).
    fn take_messages(&self, entries: &[u32], by_entry: &[usize]) -> crate::Result<Column> {
        let mut texts: Vec<Option<String>> = vec![None; entries.len()];
        let mut current: Option<(usize, Utf8ViewArray)> = None;
        for &k in by_entry {
            let (b, i) = self.rows.locate(entries[k]);
            if current.as_ref().is_none_or(|(c, _)| *c != b) {
                let array = self.cached(b, false)?;
                let a = array
                    .as_any()
                    .downcast_ref::<Utf8ViewArray>()
                    .ok_or_else(damaged)?
                    .clone();
                current = Some((b, a));
            }
            if let Some((_, a)) = &current {
                texts[k] = a.get(i).map(str::to_owned);
            }
        }
        let mut out = MutableBinaryViewArray::<str>::with_capacity(entries.len());
        for t in &texts {
            out.push(t.as_deref());
        }
        let arr: Utf8ViewArray = out.into();
        Ok(StringChunked::with_chunk(col::MESSAGE.into(), arr).into_column())
    }

    /// `fields` of `entries`, copied out of their blocks (as [`PackedLogs::take_messages`]).
    fn take_fields(&self, entries: &[u32], by_entry: &[usize]) -> crate::Result<Column> {
        type Pairs = Option<Vec<(String, String)>>;
        let mut rows: Vec<Pairs> = vec![None; entries.len()];
        let mut current: Option<(usize, FieldPairs)> = None;
        for &k in by_entry {
            let (b, i) = self.rows.locate(entries[k]);
            if current.as_ref().is_none_or(|(c, _)| *c != b) {
                let array = self.cached(b, true)?;
                let list = Series::from_arrow(col::FIELDS.into(), array)?.into_column();
                current = Some((b, FieldPairs::of(&list)?));
            }
            let Some((_, pairs)) = &current else {
                continue;
            };
            rows[k] = pairs.is_valid(i).then(|| {
                pairs
                    .row(i)
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect()
            });
        }
        let mut keys = MutableBinaryViewArray::<str>::new();
        let mut values = MutableBinaryViewArray::<str>::new();
        let mut offsets = Vec::with_capacity(entries.len() + 1);
        offsets.push(0i64);
        let mut validity = MutableBitmap::with_capacity(entries.len());
        for row in &rows {
            validity.push(row.is_some());
            for (k, v) in row.iter().flatten() {
                keys.push_value(k);
                values.push_value(v);
            }
            offsets.push(keys.len() as i64);
        }
        let validity: Bitmap = validity.into();
        let validity = (validity.unset_bits() > 0).then_some(validity);
        let list = super::pairs_array(
            (col::FIELD_KEY, col::FIELD_VALUE),
            keys.into(),
            values.into(),
            offsets,
            validity,
        )?;
        Ok(Series::from_arrow(col::FIELDS.into(), list.boxed())?.into_column())
    }

    /// The other columns `which` of `entries` (as [`PackedLogs::take_messages`]), in one pass.
    fn take_rest(
        &self,
        which: &[usize],
        entries: &[u32],
        by_entry: &[usize],
    ) -> crate::Result<Vec<Column>> {
        let mut values: Vec<Vec<Option<i64>>> = vec![vec![None; entries.len()]; which.len()];
        let mut current: Option<(usize, Arc<Vec<Unpacked>>)> = None;
        for &p in by_entry {
            let (b, i) = self.rows.locate_rest(entries[p]);
            if current.as_ref().is_none_or(|(c, _)| *c != b) {
                current = Some((b, self.cached_rest(b)?));
            }
            if let Some((_, cols)) = &current {
                for (out, &k) in values.iter_mut().zip(which) {
                    out[p] = cols[k].get(i);
                }
            }
        }
        which
            .iter()
            .zip(values)
            .map(|(&k, values)| {
                let mut out = Unpacked::default();
                out.values.reserve(values.len());
                for v in values {
                    out.push(v);
                }
                let (name, dtype) = &self.rows.schema[k];
                column_of(name, dtype, &out)
            })
            .collect()
    }

    fn entries(&self, rows: &[u32]) -> crate::Result<Vec<u32>> {
        rows.iter()
            .map(|&row| {
                self.entry_of_row.get(row as usize).copied().ok_or_else(|| {
                    polars_err!(OutOfBounds: "row {row} of {}", self.height()).into()
                })
            })
            .collect()
    }

    /// The columns `names` (all, when `None`) of `rows` (row numbers, in the order given), in
    /// table order.
    pub fn take(&self, rows: &[u32], names: Option<&[&str]>) -> crate::Result<DataFrame> {
        let entries = self.entries(rows)?;
        // Blocks are visited in read order, each unpacked once however the rows are spread.
        let mut by_entry: Vec<usize> = (0..entries.len()).collect();
        by_entry.sort_by_key(|&k| entries[k]);
        let wanted: Vec<&str> = col::ALL
            .into_iter()
            .filter(|name| names.is_none_or(|n| n.contains(name)))
            .collect();
        let which = wanted
            .iter()
            .filter(|n| **n != col::MESSAGE && **n != col::FIELDS)
            .map(|n| self.rows.rest_column(n))
            .collect::<crate::Result<Vec<_>>>()?;
        let mut rest = self.take_rest(&which, &entries, &by_entry)?.into_iter();
        let mut columns = Vec::with_capacity(wanted.len());
        for name in wanted {
            columns.push(match name {
                col::MESSAGE => self.take_messages(&entries, &by_entry)?,
                col::FIELDS => self.take_fields(&entries, &by_entry)?,
                _ => rest.next().ok_or_else(damaged)?,
            });
        }
        Ok(DataFrame::new_with_height(rows.len(), columns)?)
    }

    /// The whole table as one frame, rows in time order.
    pub fn to_frame(&self) -> crate::Result<DataFrame> {
        let all: Vec<u32> = (0..self.height() as u32).collect();
        self.take(&all, None)
    }

    /// Per row (time order), what `f` says of it: `f` is given the entries in read order a
    /// run at a time, as a frame of the columns asked for (`message` and `fields` when
    /// `message` and `fields` say so, and the value columns `names`), and answers one bool
    /// (or null: no) per entry. Only those columns are unpacked.
    pub(crate) fn evaluate_with(
        &self,
        message: bool,
        fields: bool,
        names: &[&str],
        mut f: impl FnMut(&DataFrame) -> crate::Result<BooleanChunked>,
    ) -> crate::Result<Vec<bool>> {
        let mut others: Vec<usize> = Vec::new();
        for name in names {
            let k = self.rows.rest_column(name)?;
            if !others.contains(&k) {
                others.push(k);
            }
        }
        let mut out = vec![false; self.height()];
        let rest = &self.rows.rest;
        let mut r = 0;
        while r < rest.len() {
            let first = self.rows.rest_starts[r];
            let mut e = r + 1;
            while e < rest.len() && self.rows.rest_starts[e] - first < QUERY_ROWS {
                e += 1;
            }
            let end = self
                .rows
                .rest_starts
                .get(e)
                .copied()
                .unwrap_or(self.rows.len);
            let n = (end - first) as usize;
            let (b0, b1) = (
                rest[r].text_blocks.0 as usize,
                rest[e - 1].text_blocks.1 as usize,
            );
            let mut columns = Vec::new();
            if message {
                let chunks = (b0..b1)
                    .map(|k| self.rows.messages(k).map(|a| a.boxed()))
                    .collect::<crate::Result<Vec<_>>>()?;
                columns.push(
                    Series::try_from((PlSmallStr::from_static(col::MESSAGE), chunks))?
                        .into_column(),
                );
            }
            if fields {
                let chunks = (b0..b1)
                    .map(|k| self.rows.fields(k).map(|a| a.boxed()))
                    .collect::<crate::Result<Vec<_>>>()?;
                columns.push(
                    Series::try_from((PlSmallStr::from_static(col::FIELDS), chunks))?.into_column(),
                );
            }
            if !others.is_empty() {
                let mut parts: Vec<Unpacked> = vec![Unpacked::default(); others.len()];
                for b in r..e {
                    for (p, u) in parts.iter_mut().zip(self.rows.unpack_rest(b, &others)?) {
                        p.extend(u);
                    }
                }
                for (&k, u) in others.iter().zip(&parts) {
                    let (name, dtype) = &self.rows.schema[k];
                    columns.push(column_of(name, dtype, u)?);
                }
            }
            let bits = if columns.is_empty() {
                f(&DataFrame::empty_with_height(n))?
            } else {
                f(&DataFrame::new_with_height(n, columns)?)?
            };
            let rows = &self.row_of_entry[first as usize..end as usize];
            for (&row, bit) in rows.iter().zip(bits.iter()) {
                out[row as usize] = bit == Some(true);
            }
            r = e;
        }
        Ok(out)
    }

    /// A cell's text (empty for null or a row out of range).
    pub(crate) fn cell_text(&self, row: u32, column: &str) -> String {
        match self.take(&[row], Some(&[column])).and_then(|df| {
            Ok(df
                .column(column)
                .and_then(|c| c.get(0))
                .map(|v| v.into_static())?)
        }) {
            Ok(v) if !v.is_null() => v.str_value().into_owned(),
            _ => String::new(),
        }
    }
}

/// [`Codes`] of a categorical column built row by row: ids of the global mapping made local.
#[derive(Debug)]
struct CodesBuilder {
    mapping: Option<Arc<CategoricalMapping>>,
    /// Per category id of the mapping: its code here, or `u32::MAX` (ids are dense).
    local: Vec<u32>,
    names: Vec<String>,
    ids: Vec<u32>,
}

impl CodesBuilder {
    fn new(dtype: &DataType, rows: usize) -> CodesBuilder {
        let mapping = match dtype {
            DataType::Categorical(_, m) | DataType::Enum(_, m) => Some(m.clone()),
            _ => None,
        };
        CodesBuilder {
            mapping,
            local: Default::default(),
            names: Vec::new(),
            ids: vec![u32::MAX; rows],
        }
    }

    fn code(&mut self, id: Option<i64>) -> u32 {
        let Some(id) = id else { return u32::MAX };
        // Without a mapping there are no names: every value is the one empty name.
        let id = if self.mapping.is_some() { id as u32 } else { 0 };
        if let Some(&code) = self.local.get(id as usize)
            && code != u32::MAX
        {
            return code;
        }
        let name = self
            .mapping
            .as_ref()
            .and_then(|m| m.cat_to_str(id))
            .unwrap_or_default();
        if self.local.len() <= id as usize {
            self.local.resize(id as usize + 1, u32::MAX);
        }
        self.names.push(name.to_string());
        let code = (self.names.len() - 1) as u32;
        self.local[id as usize] = code;
        code
    }

    fn finish(self) -> Codes {
        Codes {
            ids: self.ids,
            names: self.names,
        }
    }
}

/// A `logs` table as a front end holds it: a plain frame, or one with its text packed (the
/// browser's). Rows are in time order either way.
#[derive(Clone, Debug)]
pub enum LogTable {
    /// Every column in one frame.
    Frame(DataFrame),
    /// `message` and `fields` packed.
    Packed(Arc<PackedLogs>),
}

impl LogTable {
    /// Rows.
    pub fn height(&self) -> usize {
        match self {
            LogTable::Frame(df) => df.height(),
            LogTable::Packed(p) => p.height(),
        }
    }

    /// The view index ([`LogIndex`]), rows in time order.
    pub fn index(&self) -> crate::Result<LogIndex> {
        match self {
            LogTable::Frame(df) => LogIndex::new(df),
            LogTable::Packed(p) => p.index(),
        }
    }

    /// Whether [`LogTable::codes`] reads `name`: a column held as it is (a frame's columns but
    /// `fields`; a packed table's but `message` and `fields`).
    pub fn has_codes(&self, name: &str) -> bool {
        match self {
            LogTable::Frame(df) => df.schema().contains(name) && name != col::FIELDS,
            LogTable::Packed(p) => p.holds(name),
        }
    }

    /// Column `name` as [`Codes`], rows in time order (see [`LogTable::has_codes`]).
    pub fn codes(&self, name: &str) -> crate::Result<Codes> {
        match self {
            LogTable::Frame(df) => Codes::of(df, name),
            LogTable::Packed(p) => p.codes(name),
        }
    }

    /// Every column of `rows` (row numbers, in the order given).
    pub fn take(&self, rows: &[u32]) -> crate::Result<DataFrame> {
        self.take_columns(rows, None)
    }

    /// The columns `names` (all, when `None`) of `rows`, in table order.
    pub(crate) fn take_columns(
        &self,
        rows: &[u32],
        names: Option<&[&str]>,
    ) -> crate::Result<DataFrame> {
        match self {
            LogTable::Frame(df) => {
                let idx =
                    IdxCa::from_vec("rows".into(), rows.iter().map(|&r| r as IdxSize).collect());
                match names {
                    None => Ok(df.take(&idx)?),
                    Some(names) => {
                        let keep: Vec<&str> = df
                            .get_column_names()
                            .into_iter()
                            .map(|n| n.as_str())
                            .filter(|n| names.contains(n))
                            .collect();
                        Ok(df.select(keep)?.take(&idx)?)
                    }
                }
            }
            LogTable::Packed(p) => p.take(rows, names),
        }
    }

    /// `rows` a run of at most `n` at a time, every column (for writing out many rows without
    /// holding them all twice).
    pub fn chunks<'a>(
        &'a self,
        rows: &'a [u32],
        n: usize,
    ) -> impl Iterator<Item = crate::Result<DataFrame>> + 'a {
        let n = n.max(1);
        let runs = rows.len().div_ceil(n).max(1);
        (0..runs)
            .map(move |k| self.take(&rows[(k * n).min(rows.len())..((k + 1) * n).min(rows.len())]))
    }

    /// The whole table as one frame.
    pub fn to_frame(&self) -> crate::Result<DataFrame> {
        match self {
            LogTable::Frame(df) => Ok(df.clone()),
            LogTable::Packed(p) => p.to_frame(),
        }
    }

    /// A cell's text (empty for null or a row out of range).
    pub fn cell_text(&self, row: u32, column: &str) -> String {
        match self {
            LogTable::Frame(df) => match df.column(column).and_then(|c| c.get(row as usize)) {
                Ok(v) if !v.is_null() => v.str_value().into_owned(),
                _ => String::new(),
            },
            LogTable::Packed(p) => p.cell_text(row, column),
        }
    }
}
