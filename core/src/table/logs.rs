//! Builds the `logs` table ([`crate::schema`]) from entries.
//!
//! One builder per container instance appends to arrow builders; per-instance metadata is
//! interned once into the global categorical mapping, so a row costs a few integers plus its
//! message. [`concat_sorted`] stacks the per-instance frames and sorts them into time order.

use std::sync::Arc;

use polars::prelude::*;
use polars_arrow::array::{
    BooleanArray, MutableBinaryViewArray, MutableBooleanArray, MutablePrimitiveArray,
    PrimitiveArray, Utf8ViewArray,
};

use crate::ingest::{Entry, EntrySink, Needs};
use crate::schema::{self, logs as col};
use crate::sources::FileSet;
use crate::sources::plan::ContainerMeta;

/// Builds the rows of one instance (or any run of entries) of the `logs` table.
#[derive(Debug)]
pub struct LogsBuilder {
    mapping: Arc<CategoricalMapping>,
    cat_dtype: DataType,
    /// This instance's node, namespace, pod, pod_uid, container, component as category ids.
    instance_cats: [Option<u32>; 6],
    instance_restart: Option<u32>,
    /// (file index, category id of its path) for this instance's files.
    instance_sources: Vec<(usize, u32)>,
    ts: MutablePrimitiveArray<i64>,
    meta: [MutablePrimitiveArray<u32>; 6],
    restart: MutablePrimitiveArray<u32>,
    stream: MutablePrimitiveArray<u32>,
    level: Vec<u8>,
    level_raw: MutablePrimitiveArray<u32>,
    format: MutablePrimitiveArray<u32>,
    /// Category ids of format names, by format id.
    format_cats: Vec<Option<u32>>,
    message: MutableBinaryViewArray<str>,
    app_ts: MutablePrimitiveArray<i64>,
    field_offsets: Vec<i64>,
    field_keys: MutableBinaryViewArray<str>,
    field_values: MutableBinaryViewArray<str>,
    source: MutablePrimitiveArray<u32>,
    source_id: Vec<u32>,
    line: Vec<u64>,
    joined: Vec<u32>,
    partial: MutableBooleanArray,
    truncated: MutableBooleanArray,
    stream_cats: [u32; 2],
    last_level_raw: Option<(String, u32)>,
    /// The last node, namespace, pod, container and component an entry gave itself, interned.
    override_cache: [Option<(String, u32)>; 5],
    /// The rows of the instance, as a frame, once it is read ([`EntrySink::end_instance`]).
    done: Option<crate::Result<DataFrame>>,
    /// For a packing builder ([`LogsBuilder::packing`]): the rows of ended instances, packed.
    packed: Option<super::PackedRows>,
}

impl Default for LogsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl LogsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        let cat_dtype = schema::categorical_dtype();
        let DataType::Categorical(_, mapping) = &cat_dtype else {
            unreachable!("categorical_dtype is categorical")
        };
        let mapping = mapping.clone();
        let intern = |s: &str| {
            mapping
                .insert_cat(s)
                .expect("the global mapping takes u32 ids")
        };
        let stream_cats = [intern("stdout"), intern("stderr")];
        LogsBuilder {
            cat_dtype: cat_dtype.clone(),
            instance_cats: [None; 6],
            instance_restart: None,
            instance_sources: Vec::new(),
            ts: MutablePrimitiveArray::new(),
            meta: Default::default(),
            restart: MutablePrimitiveArray::new(),
            stream: MutablePrimitiveArray::new(),
            level: Vec::new(),
            level_raw: MutablePrimitiveArray::new(),
            format: MutablePrimitiveArray::new(),
            format_cats: Vec::new(),
            message: MutableBinaryViewArray::new(),
            app_ts: MutablePrimitiveArray::new(),
            field_offsets: vec![0],
            field_keys: MutableBinaryViewArray::new(),
            field_values: MutableBinaryViewArray::new(),
            source: MutablePrimitiveArray::new(),
            source_id: Vec::new(),
            line: Vec::new(),
            joined: Vec::new(),
            partial: MutableBooleanArray::new(),
            truncated: MutableBooleanArray::new(),
            stream_cats,
            last_level_raw: None,
            override_cache: Default::default(),
            done: None,
            packed: None,
            mapping,
        }
    }

    /// A builder that packs its rows as each instance ends (see [`super::packed`]): finish
    /// it with [`LogsBuilder::finish_packed`].
    pub fn packing() -> Self {
        LogsBuilder {
            packed: Some(super::PackedRows::default()),
            ..LogsBuilder::new()
        }
    }

    /// The rows packed, in the order they were added.
    pub fn finish_packed(mut self) -> crate::Result<super::PackedRows> {
        let mut rows = self.packed.take().unwrap_or_default();
        if let Some(done) = self.done.take() {
            // A packing builder keeps a frame only for an error.
            rows.pack_frame(done?)?;
        }
        if !self.line.is_empty() {
            rows.pack_frame(self.frame()?)?;
        }
        Ok(rows)
    }

    fn intern(&self, s: &str) -> u32 {
        self.mapping
            .insert_cat(s)
            .expect("the global mapping takes u32 ids")
    }

    /// Rows so far.
    pub fn len(&self) -> usize {
        let done = match &self.done {
            Some(Ok(df)) => df.height(),
            _ => 0,
        };
        let packed = self.packed.as_ref().map_or(0, super::PackedRows::len);
        self.line.len() + done + packed
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.done.is_none()
    }

    /// The rows as a `logs` frame, in the order they were added.
    pub fn finish(mut self) -> crate::Result<DataFrame> {
        match self.done.take() {
            None => self.frame(),
            Some(done) if self.line.is_empty() => done,
            Some(done) => {
                let mut df = done?;
                df.vstack_mut_owned(self.frame()?)?;
                Ok(df)
            }
        }
    }

    /// The rows added (since the last [`EntrySink::end_instance`]) as a frame, every buffer
    /// cut to its length.
    fn frame(mut self) -> crate::Result<DataFrame> {
        self.ts.shrink_to_fit();
        for m in &mut self.meta {
            m.shrink_to_fit();
        }
        self.restart.shrink_to_fit();
        self.stream.shrink_to_fit();
        self.level.shrink_to_fit();
        self.level_raw.shrink_to_fit();
        self.format.shrink_to_fit();
        self.app_ts.shrink_to_fit();
        self.field_offsets.shrink_to_fit();
        self.source.shrink_to_fit();
        self.source_id.shrink_to_fit();
        self.line.shrink_to_fit();
        self.joined.shrink_to_fit();
        self.partial.shrink_to_fit();
        self.truncated.shrink_to_fit();
        let n = self.len();
        let LogsBuilder {
            cat_dtype,
            ts,
            meta: [node, namespace, pod, pod_uid, container, component],
            restart,
            stream,
            level,
            level_raw,
            format,
            message,
            app_ts,
            field_offsets,
            field_keys,
            field_values,
            source,
            source_id,
            line,
            joined,
            partial,
            truncated,
            ..
        } = self;
        let cat = |name: &str, ids: MutablePrimitiveArray<u32>| -> Column {
            let arr: PrimitiveArray<u32> = ids.into();
            let phys = UInt32Chunked::with_chunk(name.into(), arr);
            CategoricalChunked::<Categorical32Type>::from_cats_and_dtype(phys, cat_dtype.clone())
                .into_series()
                .into_column()
        };
        let ts_col = |name: &str, a: MutablePrimitiveArray<i64>| -> Column {
            let arr: PrimitiveArray<i64> = a.into();
            Int64Chunked::with_chunk(name.into(), arr)
                .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
                .into_series()
                .into_column()
        };
        let enum_col = |name: &str, phys: Vec<u8>, dtype: DataType| -> Column {
            let phys = UInt8Chunked::from_vec(name.into(), phys);
            CategoricalChunked::<Categorical8Type>::from_cats_and_dtype(phys, dtype)
                .into_series()
                .into_column()
        };
        let bool_col = |name: &str, b: MutableBooleanArray| -> Column {
            let arr: BooleanArray = b.into();
            BooleanChunked::with_chunk(name.into(), arr)
                .into_series()
                .into_column()
        };
        let fields = super::pairs_column(
            col::FIELDS,
            (col::FIELD_KEY, col::FIELD_VALUE),
            compact_text(field_keys.into()),
            compact_text(field_values.into()),
            field_offsets,
        )?;
        let message = compact_text(message.into());
        let restart: PrimitiveArray<u32> = restart.into();
        let columns = vec![
            ts_col(col::TS, ts),
            cat(col::NODE, node),
            cat(col::NAMESPACE, namespace),
            cat(col::POD, pod),
            cat(col::POD_UID, pod_uid),
            cat(col::CONTAINER, container),
            cat(col::COMPONENT, component),
            UInt32Chunked::with_chunk(col::RESTART.into(), restart)
                .into_series()
                .into_column(),
            cat(col::STREAM, stream),
            enum_col(col::LEVEL, level, schema::level_dtype()),
            cat(col::LEVEL_RAW, level_raw),
            cat(col::FORMAT, format),
            StringChunked::with_chunk(col::MESSAGE.into(), message)
                .into_series()
                .into_column(),
            ts_col(col::APP_TS, app_ts),
            fields,
            cat(col::SOURCE, source),
            Column::new(col::SOURCE_ID.into(), source_id),
            Column::new(col::LINE.into(), line),
            Column::new(col::JOINED.into(), joined),
            bool_col(col::PARTIAL, partial),
            bool_col(col::TRUNCATED, truncated),
        ];
        Ok(DataFrame::new_with_height(n, columns)?)
    }
}

impl EntrySink for LogsBuilder {
    fn needs(&self) -> Needs {
        Needs::ALL
    }

    fn begin_instance(
        &mut self,
        _instance: usize,
        meta: &ContainerMeta,
        set: &FileSet,
        files: &[usize],
    ) {
        let parts = [
            &meta.node,
            &meta.namespace,
            &meta.pod,
            &meta.pod_uid,
            &meta.container,
            &meta.component,
        ];
        self.instance_cats = parts.map(|p| p.as_deref().map(|s| self.intern(s)));
        self.instance_restart = meta.restart;
        self.instance_sources = files
            .iter()
            .map(|&f| (f, self.intern(&set.entries()[f].path)))
            .collect();
    }

    fn end_instance(&mut self) {
        // The instance's rows become a frame now, each buffer cut to its length: a text
        // builder allocates its last block whole (up to 16 MB), and in the browser memory
        // allocated is memory taken, however little of it is written.
        if self.line.is_empty() || self.done.is_some() {
            return;
        }
        let mut rows = std::mem::take(self);
        let packed = rows.packed.take();
        let frame = rows.frame();
        match packed {
            None => self.done = Some(frame),
            Some(mut packed) => {
                if let Err(e) = frame.and_then(|df| packed.pack_frame(df)) {
                    self.done = Some(Err(e));
                }
                self.packed = Some(packed);
            }
        }
    }

    fn entry(&mut self, e: &Entry<'_>) {
        self.ts.push(e.ts_nanos);
        match e.meta {
            None => {
                for (column, cat) in self.meta.iter_mut().zip(self.instance_cats) {
                    column.push(cat);
                }
            }
            Some(m) => {
                // (column, the entry's value, cache slot)
                let own = [
                    (0, m.node.as_str()),
                    (1, m.namespace.as_str()),
                    (2, m.pod.as_str()),
                    (4, m.container.as_str()),
                    (5, m.component.as_str()),
                ];
                let mut cats = self.instance_cats;
                for (slot, (column, value)) in own.into_iter().enumerate() {
                    if value.is_empty() {
                        continue;
                    }
                    let id = match &self.override_cache[slot] {
                        Some((s, id)) if s == value => *id,
                        _ => {
                            let id = self.intern(value);
                            self.override_cache[slot] = Some((value.to_string(), id));
                            id
                        }
                    };
                    cats[column] = Some(id);
                }
                for (column, cat) in self.meta.iter_mut().zip(cats) {
                    column.push(cat);
                }
            }
        }
        self.restart.push(self.instance_restart);
        self.stream
            .push(e.stream.map(|s| self.stream_cats[s as usize]));
        self.level.push(e.level as u8);
        let raw = if e.level_raw.is_empty() {
            None
        } else {
            match &self.last_level_raw {
                Some((s, id)) if s == e.level_raw => Some(*id),
                _ => {
                    let id = self.intern(e.level_raw);
                    self.last_level_raw = Some((e.level_raw.to_string(), id));
                    Some(id)
                }
            }
        };
        self.level_raw.push(raw);
        let fi = usize::from(e.format.0);
        if self.format_cats.len() <= fi {
            self.format_cats.resize(fi + 1, None);
        }
        let format_cat = match self.format_cats[fi] {
            Some(c) => c,
            None => {
                let c = self.intern(e.format.as_str());
                self.format_cats[fi] = Some(c);
                c
            }
        };
        self.format.push(Some(format_cat));
        self.message.push_value(String::from_utf8_lossy(e.message));
        self.app_ts.push(e.app_ts_nanos);
        for (k, v) in e.fields.iter() {
            self.field_keys.push_value(k);
            self.field_values.push_value(v);
        }
        self.field_offsets.push(self.field_keys.len() as i64);
        let source = self
            .instance_sources
            .iter()
            .find(|(f, _)| *f == e.file)
            .map(|&(_, id)| id);
        self.source.push(source);
        self.source_id.push(e.file as u32);
        self.line.push(e.line);
        self.joined.push(e.joined);
        self.partial.push(Some(e.partial));
        self.truncated.push(Some(e.truncated));
    }
}

/// `a` with its views and its last byte buffer (the block being filled when the builder
/// stopped) cut to their lengths; the other buffers were filled before a new one was begun.
fn compact_text(a: Utf8ViewArray) -> Utf8ViewArray {
    use polars_arrow::buffer::Buffer;
    let (views, buffers, validity, total_bytes_len, total_buffer_len) = a.into_inner();
    let mut views = views.make_mut();
    views.shrink_to_fit();
    let mut buffers: Vec<Buffer<u8>> = buffers.iter().cloned().collect();
    if let Some(last) = buffers.last_mut() {
        *last = Buffer::from(last.as_slice().to_vec());
    }
    // SAFETY: the same views over the same bytes: only where the bytes are held changed.
    #[allow(unsafe_code)]
    unsafe {
        Utf8ViewArray::new_unchecked(
            polars_arrow::datatypes::ArrowDataType::Utf8View,
            views.into(),
            buffers.into(),
            validity,
            total_bytes_len,
            total_buffer_len,
        )
    }
}
