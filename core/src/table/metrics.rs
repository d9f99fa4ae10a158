//! The metrics tables ([`crate::schema::metrics`]): every metrics file of a plan parsed (in
//! parallel natively), samples without a time given their scrape's, and the files merged into
//! one set of series, samples in (series, time) order, families and exemplars.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use foldhash::fast::RandomState;
use polars::prelude::*;
use polars_arrow::array::Utf8ViewArray;

use crate::diag::{Diagnostic, Severity};
use crate::ingest::{Accounting, FileStats};
use crate::metrics::scrape_time::{ScrapeTimeOptions, TimeSource, name_timestamp, sequence_key};
use crate::metrics::selector::Selector;
use crate::metrics::{
    Exemplar, Family, Labels, MetricType, NO_TS, NativeHistogram, Parsed, ProblemKind,
};
use crate::schema::metrics as col;
use crate::sources::FileSet;
use crate::sources::plan::{FileRole, FileStatus, Plan};

mod dump;
pub use dump::write_dump;

/// How metrics are read.
#[derive(Clone, Debug, Default)]
pub struct MetricsOptions {
    /// Times for samples written without one.
    pub scrape: ScrapeTimeOptions,
    /// Only the series this selector matches. TSDB blocks read only those series' chunks
    /// (the rest of their index is read, their chunks are not); other files are read whole and
    /// filtered.
    pub select: Option<Selector>,
    /// Only samples at or after this time (ms); blocks skip chunks that end before it.
    pub min_ts: Option<i64>,
    /// Only samples at or before this time (ms); blocks skip chunks that start after it.
    pub max_ts: Option<i64>,
}

impl MetricsOptions {
    /// The series and time filter TSDB blocks apply while reading.
    fn block_filter(&self) -> crate::metrics::tsdb::Filter<'_> {
        crate::metrics::tsdb::Filter {
            select: self.select.as_ref(),
            min_ts: self.min_ts.unwrap_or(i64::MIN),
            max_ts: self.max_ts.unwrap_or(i64::MAX),
        }
    }
}

/// What was read from one metrics file.
#[derive(Clone, Debug)]
pub struct MetricsFileInfo {
    /// Index in the file set.
    pub file: usize,
    /// Format as read (`openmetrics`, `prometheus-text`, `prometheus-api`, ...).
    pub format: &'static str,
    /// Samples read (duplicates included).
    pub samples: u64,
    /// Series it holds.
    pub series: u64,
    /// Scrapes in it (1 unless several were written one after another).
    pub scrapes: u32,
    /// Where the time of its samples came from.
    pub time: TimeSource,
    /// That, in words (also the file's note in `sources`).
    pub time_note: String,
    /// Its first and last sample's time (ms), native histograms included.
    pub span: Option<(i64, i64)>,
}

/// A series of the merged set.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSeries {
    /// Metric name.
    pub name: String,
    /// Labels, sorted by name.
    pub labels: Labels,
    /// Index into [`MetricsStore::families`].
    pub family: u32,
    /// See [`crate::schema::metrics`] `target`.
    pub target: String,
    /// Node of the file it came from (layout or `--node`).
    pub node: Option<String>,
    /// The first file holding it (index in the file set).
    pub source: usize,
}

impl StoredSeries {
    /// A label's value.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every metrics file of a plan, merged; the data behind the metrics tables.
#[derive(Clone, Debug, Default)]
pub struct MetricsStore {
    /// Families by name (first file's description wins; help and unit filled from later ones).
    pub families: Vec<Family>,
    /// Series.
    pub series: Vec<StoredSeries>,
    /// Per sample, in (series, time) order: series index.
    pub sample_series: Vec<u32>,
    /// Per sample: time (ms).
    pub sample_ts: Vec<i64>,
    /// Per sample: value.
    pub sample_value: Vec<f64>,
    /// Exemplars: (series, the sample's time, exemplar).
    pub exemplars: Vec<(u32, i64, Exemplar)>,
    /// Native histogram samples in (series, time) order: (series, ts, histogram).
    pub histograms: Vec<(u32, i64, NativeHistogram)>,
    /// Per file read.
    pub files: Vec<MetricsFileInfo>,
    /// Samples left out as duplicates (same series, same time as one before).
    pub duplicates: u64,
}

/// Most problems reported per file; the rest are counted.
const MAX_PROBLEMS_PER_FILE: usize = 20;

impl MetricsStore {
    /// Samples.
    pub fn len(&self) -> usize {
        self.sample_value.len()
    }

    /// Whether there are no series at all.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// Keeps the series `selector` matches (and their samples and exemplars); ids are
    /// renumbered.
    pub fn retain(&mut self, selector: &Selector) {
        let keep: Vec<bool> = self
            .series
            .iter()
            .map(|s| selector.matches(&s.name, &s.labels))
            .collect();
        let mut remap = vec![u32::MAX; self.series.len()];
        let mut next = 0u32;
        for (i, k) in keep.iter().enumerate() {
            if *k {
                remap[i] = next;
                next += 1;
            }
        }
        let old = std::mem::take(&mut self.series);
        self.series = old
            .into_iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(s, _)| s)
            .collect();
        let mut w = 0;
        for r in 0..self.sample_series.len() {
            let s = remap[self.sample_series[r] as usize];
            if s != u32::MAX {
                self.sample_series[w] = s;
                self.sample_ts[w] = self.sample_ts[r];
                self.sample_value[w] = self.sample_value[r];
                w += 1;
            }
        }
        self.sample_series.truncate(w);
        self.sample_ts.truncate(w);
        self.sample_value.truncate(w);
        self.exemplars.retain_mut(|(s, _, _)| {
            let r = remap[*s as usize];
            *s = r;
            r != u32::MAX
        });
        self.histograms.retain_mut(|(s, _, _)| {
            let r = remap[*s as usize];
            *s = r;
            r != u32::MAX
        });
    }

    /// Keeps the samples (float and histogram) and exemplars from `min` to `max` (ms,
    /// inclusive); series stay, with no samples if none were in the range.
    pub fn retain_time(&mut self, min: i64, max: i64) {
        let mut w = 0;
        for r in 0..self.sample_ts.len() {
            let t = self.sample_ts[r];
            if (min..=max).contains(&t) {
                self.sample_series[w] = self.sample_series[r];
                self.sample_ts[w] = t;
                self.sample_value[w] = self.sample_value[r];
                w += 1;
            }
        }
        self.sample_series.truncate(w);
        self.sample_ts.truncate(w);
        self.sample_value.truncate(w);
        self.histograms.retain(|h| (min..=max).contains(&h.1));
        self.exemplars.retain(|e| (min..=max).contains(&e.1));
    }

    /// The float series as the PromQL engine reads them (`__name__` among the labels); series
    /// of two targets under the same labels get a `podsift_target` label, as in the dumps.
    pub fn promql_storage(&self) -> crate::promql::Storage {
        let e = self.export(ExportOrder::LabelSet);
        let mut series: Vec<crate::promql::Series> = e
            .series
            .into_iter()
            .map(|d| {
                let mut labels = d.labels;
                if !d.name.is_empty() {
                    labels.push(("__name__".into(), d.name));
                }
                labels.sort();
                crate::promql::Series {
                    labels,
                    samples: Vec::new(),
                }
            })
            .collect();
        for (s, t, v) in e.samples {
            series[s as usize].samples.push((t, v));
        }
        series.retain(|s| !s.samples.is_empty());
        crate::promql::Storage { series }
    }

    /// Samples in (series, time) order as (series, ts_ms, value).
    pub fn samples(&self) -> impl Iterator<Item = (u32, i64, f64)> + '_ {
        self.sample_series
            .iter()
            .zip(&self.sample_ts)
            .zip(&self.sample_value)
            .map(|((s, t), v)| (*s, *t, *v))
    }

    /// Series and samples as dumps write them, each series' samples in time order; series
    /// in `order`. Series that differ only in `target` (two targets' scrapes) get a
    /// `podsift_target` label, so that they stay apart when read back.
    pub fn export(&self, order: ExportOrder) -> Export<'_> {
        let mut keys: Vec<Vec<(&str, &str)>> = Vec::new();
        if order == ExportOrder::LabelSet {
            keys = self
                .series
                .iter()
                .map(|s| {
                    let mut all: Vec<(&str, &str)> = s
                        .labels
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    if !s.name.is_empty() {
                        all.push(("__name__", &s.name));
                    }
                    all.sort_unstable();
                    all
                })
                .collect();
        }
        let mut order: Vec<u32> = (0..self.series.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (sa, sb) = (&self.series[a as usize], &self.series[b as usize]);
            if keys.is_empty() {
                (&sa.name, &sa.labels, &sa.target).cmp(&(&sb.name, &sb.labels, &sb.target))
            } else {
                keys[a as usize]
                    .cmp(&keys[b as usize])
                    .then_with(|| sa.target.cmp(&sb.target))
            }
        });
        let mut starts = vec![0usize; self.series.len() + 1];
        for &s in &self.sample_series {
            starts[s as usize + 1] += 1;
        }
        for i in 0..self.series.len() {
            starts[i + 1] += starts[i];
        }
        let mut series = Vec::with_capacity(order.len());
        let mut samples = Vec::with_capacity(self.len());
        for (pos, &i) in order.iter().enumerate() {
            let s = &self.series[i as usize];
            let same = |j: usize| {
                order.get(j).is_some_and(|&o| {
                    let t = &self.series[o as usize];
                    t.name == s.name && t.labels == s.labels
                })
            };
            let mut labels = s.labels.clone();
            if same(pos + 1) || (pos > 0 && same(pos - 1)) {
                labels.push(("podsift_target".into(), s.target.clone()));
                labels.sort();
            }
            series.push(crate::metrics::SeriesDef {
                name: s.name.clone(),
                labels,
                family: s.family,
            });
            // Samples are stored in series order, so a series' samples are one run.
            let run = starts[i as usize]..starts[i as usize + 1];
            samples.extend(run.map(|k| (pos as u32, self.sample_ts[k], self.sample_value[k])));
        }
        let mut position = vec![0u32; self.series.len()];
        for (pos, &i) in order.iter().enumerate() {
            position[i as usize] = pos as u32;
        }
        let mut histograms: Vec<(u32, i64, &NativeHistogram)> = self
            .histograms
            .iter()
            .map(|(s, t, h)| (position[*s as usize], *t, h))
            .collect();
        histograms.sort_by_key(|h| (h.0, h.1));
        Export {
            series,
            samples,
            histograms,
        }
    }

    /// Per series: (samples, first ts, last ts), native histogram samples counted too.
    pub(crate) fn series_ranges(&self) -> Vec<(u64, Option<i64>, Option<i64>)> {
        let mut out = vec![(0u64, None, None); self.series.len()];
        let histograms = self.histograms.iter().map(|(s, t, _)| (*s, *t, 0.0));
        for (s, t, _) in self.samples().chain(histograms) {
            let r = &mut out[s as usize];
            r.0 += 1;
            r.1 = Some(r.1.map_or(t, |f: i64| f.min(t)));
            r.2 = Some(r.2.map_or(t, |l: i64| l.max(t)));
        }
        out
    }

    /// The tables: `series`, `samples`, `metric_families`, `exemplars`.
    pub fn frames(&self, set: &FileSet) -> crate::Result<MetricsFrames> {
        let ranges = self.series_ranges();
        let cat = |name: &str, v: Vec<Option<&str>>| -> crate::Result<Column> {
            Ok(Column::new(name.into(), v).cast(&crate::schema::categorical_dtype())?)
        };
        let ms = |name: &str, v: Vec<Option<i64>>| {
            super::datetime_column(name, TimeUnit::Milliseconds, v)
        };
        let label =
            |s: &StoredSeries, k: &str| -> Option<String> { s.label(k).map(str::to_string) };
        let node: Vec<Option<String>> = self
            .series
            .iter()
            .map(|s| label(s, "node").or_else(|| s.node.clone()))
            .collect();
        let ns: Vec<Option<String>> = self.series.iter().map(|s| label(s, "namespace")).collect();
        let pod: Vec<Option<String>> = self
            .series
            .iter()
            .map(|s| label(s, "pod").or_else(|| label(s, "pod_name")))
            .collect();
        let container: Vec<Option<String>> = self
            .series
            .iter()
            .map(|s| label(s, "container").or_else(|| label(s, "container_name")))
            .collect();
        fn opt(v: &[Option<String>]) -> Vec<Option<&str>> {
            v.iter().map(Option::as_deref).collect()
        }
        let series = DataFrame::new(vec![
            Column::new(
                col::SERIES_ID.into(),
                (0..self.series.len() as u32).collect::<Vec<u32>>(),
            ),
            cat(
                col::NAME,
                self.series.iter().map(|s| Some(s.name.as_str())).collect(),
            )?,
            cat(
                col::FAMILY,
                self.series
                    .iter()
                    .map(|s| Some(self.families[s.family as usize].name.as_str()))
                    .collect(),
            )?,
            cat(
                col::TYPE,
                self.series
                    .iter()
                    .map(|s| Some(self.families[s.family as usize].kind.as_str()))
                    .collect(),
            )?,
            labels_column(col::LABELS, self.series.iter().map(|s| &s.labels))?,
            Column::new(
                col::TARGET.into(),
                self.series
                    .iter()
                    .map(|s| s.target.as_str())
                    .collect::<Vec<_>>(),
            ),
            cat(col::NODE, opt(&node))?,
            cat(col::NAMESPACE, opt(&ns))?,
            cat(col::POD, opt(&pod))?,
            cat(col::CONTAINER, opt(&container))?,
            Column::new(
                col::SAMPLES.into(),
                ranges.iter().map(|r| r.0).collect::<Vec<u64>>(),
            ),
            ms(col::FIRST_TS, ranges.iter().map(|r| r.1).collect()),
            ms(col::LAST_TS, ranges.iter().map(|r| r.2).collect()),
            Column::new(
                col::SOURCE.into(),
                self.series
                    .iter()
                    .map(|s| set.entries()[s.source].path.as_str())
                    .collect::<Vec<_>>(),
            ),
        ])?;
        let samples = DataFrame::new(vec![
            Column::new(col::SERIES_ID.into(), self.sample_series.clone()),
            Int64Chunked::from_vec(col::TS.into(), self.sample_ts.clone())
                .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
                .into_series()
                .into_column(),
            Column::new(col::VALUE.into(), self.sample_value.clone()),
        ])?;
        let mut fam_series = vec![0u32; self.families.len()];
        let mut fam_samples = vec![0u64; self.families.len()];
        for (s, r) in self.series.iter().zip(&ranges) {
            fam_series[s.family as usize] += 1;
            fam_samples[s.family as usize] += r.0;
        }
        let families = DataFrame::new(vec![
            Column::new(
                col::NAME.into(),
                self.families
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                col::TYPE.into(),
                self.families
                    .iter()
                    .map(|f| f.kind.as_str())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                col::HELP.into(),
                self.families
                    .iter()
                    .map(|f| f.help.as_deref())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                col::UNIT.into(),
                self.families
                    .iter()
                    .map(|f| f.unit.as_deref())
                    .collect::<Vec<_>>(),
            ),
            Column::new(col::SERIES.into(), fam_series),
            Column::new(col::SAMPLES.into(), fam_samples),
        ])?;
        let exemplars = DataFrame::new(vec![
            Column::new(
                col::SERIES_ID.into(),
                self.exemplars.iter().map(|e| e.0).collect::<Vec<u32>>(),
            ),
            ms(col::TS, self.exemplars.iter().map(|e| Some(e.1)).collect()),
            labels_column(col::LABELS, self.exemplars.iter().map(|e| &e.2.labels))?,
            Column::new(
                col::VALUE.into(),
                self.exemplars
                    .iter()
                    .map(|e| e.2.value)
                    .collect::<Vec<f64>>(),
            ),
            ms(
                col::EXEMPLAR_TS,
                self.exemplars.iter().map(|e| e.2.ts_ms).collect(),
            ),
        ])?;
        let h = &self.histograms;
        let histograms = DataFrame::new(vec![
            Column::new(
                col::SERIES_ID.into(),
                h.iter().map(|e| e.0).collect::<Vec<u32>>(),
            ),
            ms(col::TS, h.iter().map(|e| Some(e.1)).collect()),
            Column::new(
                col::SCHEMA.into(),
                h.iter().map(|e| e.2.schema).collect::<Vec<i32>>(),
            ),
            Column::new(
                col::ZERO_THRESHOLD.into(),
                h.iter().map(|e| e.2.zero_threshold).collect::<Vec<f64>>(),
            ),
            Column::new(
                col::ZERO_COUNT.into(),
                h.iter().map(|e| e.2.zero_count).collect::<Vec<f64>>(),
            ),
            Column::new(
                col::COUNT.into(),
                h.iter().map(|e| e.2.count).collect::<Vec<f64>>(),
            ),
            Column::new(
                col::SUM.into(),
                h.iter().map(|e| e.2.sum).collect::<Vec<f64>>(),
            ),
            span_lists(
                col::POSITIVE_SPANS,
                h.iter().map(|e| &e.2.positive_spans[..]),
            )?,
            f64_lists(col::POSITIVE_BUCKETS, h.iter().map(|e| &e.2.positive[..]))?,
            span_lists(
                col::NEGATIVE_SPANS,
                h.iter().map(|e| &e.2.negative_spans[..]),
            )?,
            f64_lists(col::NEGATIVE_BUCKETS, h.iter().map(|e| &e.2.negative[..]))?,
            f64_lists(col::CUSTOM_VALUES, h.iter().map(|e| &e.2.custom_values[..]))?,
            cat(
                col::COUNTER_RESET,
                h.iter().map(|e| Some(e.2.counter_reset.as_str())).collect(),
            )?,
            Column::new(
                col::FLOAT.into(),
                h.iter().map(|e| e.2.float).collect::<Vec<bool>>(),
            ),
        ])?;
        Ok(MetricsFrames {
            series,
            samples,
            families,
            exemplars,
            histograms,
        })
    }
}

/// A list[f64] column.
fn f64_lists<'a>(name: &str, rows: impl Iterator<Item = &'a [f64]>) -> crate::Result<Column> {
    use polars_arrow::array::{ListArray, PrimitiveArray};
    use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
    use polars_arrow::offset::OffsetsBuffer;
    let mut values: Vec<f64> = Vec::new();
    let mut offsets: Vec<i64> = vec![0];
    for r in rows {
        values.extend_from_slice(r);
        offsets.push(values.len() as i64);
    }
    let dtype = ArrowDataType::LargeList(Box::new(ArrowField::new(
        "item".into(),
        ArrowDataType::Float64,
        true,
    )));
    let list = ListArray::<i64>::try_new(
        dtype,
        OffsetsBuffer::try_from(offsets)?,
        PrimitiveArray::from_vec(values).boxed(),
        None,
    )?;
    Ok(Series::from_arrow(name.into(), list.boxed())?.into_column())
}

/// A list[struct{offset: i32, length: u32}] column of native histogram spans.
fn span_lists<'a>(
    name: &str,
    rows: impl Iterator<Item = &'a [(i32, u32)]>,
) -> crate::Result<Column> {
    use polars_arrow::array::{ListArray, PrimitiveArray, StructArray};
    use polars_arrow::datatypes::{ArrowDataType, Field as ArrowField};
    use polars_arrow::offset::OffsetsBuffer;
    let (mut off, mut len): (Vec<i32>, Vec<u32>) = (Vec::new(), Vec::new());
    let mut offsets: Vec<i64> = vec![0];
    for r in rows {
        for &(o, l) in r {
            off.push(o);
            len.push(l);
        }
        offsets.push(off.len() as i64);
    }
    let struct_dtype = ArrowDataType::Struct(vec![
        ArrowField::new(col::SPAN_OFFSET.into(), ArrowDataType::Int32, true),
        ArrowField::new(col::SPAN_LENGTH.into(), ArrowDataType::UInt32, true),
    ]);
    let n = off.len();
    let structs = StructArray::try_new(
        struct_dtype.clone(),
        n,
        vec![
            PrimitiveArray::from_vec(off).boxed(),
            PrimitiveArray::from_vec(len).boxed(),
        ],
        None,
    )?;
    let list = ListArray::<i64>::try_new(
        ArrowDataType::LargeList(Box::new(ArrowField::new("item".into(), struct_dtype, true))),
        OffsetsBuffer::try_from(offsets)?,
        structs.boxed(),
        None,
    )?;
    Ok(Series::from_arrow(name.into(), list.boxed())?.into_column())
}

/// Series and samples ready to be written out ([`MetricsStore::export`]).
#[derive(Debug)]
pub struct Export<'a> {
    /// Series in the order asked for.
    pub series: Vec<crate::metrics::SeriesDef>,
    /// Float samples: (index into `series`, ts, value), in (series, time) order.
    pub samples: Vec<(u32, i64, f64)>,
    /// Native histogram samples, in the same order.
    pub histograms: Vec<(u32, i64, &'a NativeHistogram)>,
}

/// How [`MetricsStore::export`] orders series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportOrder {
    /// By label set, `__name__` among the labels in its place (`promtool tsdb dump`'s order).
    LabelSet,
    /// By name, then labels: a family's series together, as OpenMetrics wants them.
    Name,
}

/// The metrics tables as frames.
#[derive(Clone, Debug)]
pub struct MetricsFrames {
    /// `series`.
    pub series: DataFrame,
    /// `samples`.
    pub samples: DataFrame,
    /// `metric_families`.
    pub families: DataFrame,
    /// `exemplars`.
    pub exemplars: DataFrame,
    /// `histograms`: native histogram samples.
    pub histograms: DataFrame,
}

impl MetricsFrames {
    /// Empty tables.
    pub fn empty() -> crate::Result<MetricsFrames> {
        MetricsStore::default().frames(&FileSet::new())
    }

    /// The `metrics` view: `samples` joined with `series`.
    pub(crate) fn metrics_view(&self) -> crate::Result<DataFrame> {
        self.with_series(self.samples.clone(), polars::prelude::col(col::NAME))
    }

    /// The `histogram_floats` view: each native histogram sample as the `<name>_count` and
    /// `<name>_sum` samples a classic histogram would have, with the `metrics` view's columns
    /// (for those who want floats: `rate` of a count, `avg` of sum over count).
    pub(crate) fn histogram_floats_view(&self) -> crate::Result<DataFrame> {
        let names: HashMap<u32, String> = self
            .series
            .column(col::SERIES_ID)?
            .u32()?
            .into_iter()
            .zip(
                self.series
                    .column(col::NAME)?
                    .cast(&DataType::String)?
                    .str()?,
            )
            .filter_map(|(id, name)| Some((id?, name.unwrap_or_default().to_string())))
            .collect();
        let h = &self.histograms;
        let ids = h.column(col::SERIES_ID)?.u32()?;
        let ts_type = h.column(col::TS)?.dtype().clone();
        let ts_ms = h.column(col::TS)?.cast(&DataType::Int64)?;
        let ts = ts_ms.i64()?;
        let (mut out_id, mut out_ts, mut out_name, mut out_value) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (column, suffix) in [(col::COUNT, "_count"), (col::SUM, "_sum")] {
            let values = h.column(column)?.f64()?;
            for ((id, t), v) in ids.into_iter().zip(ts).zip(values) {
                let (Some(id), Some(t)) = (id, t) else {
                    continue;
                };
                out_id.push(id);
                out_ts.push(t);
                out_value.push(v);
                let name = names.get(&id).map_or("", String::as_str);
                out_name.push(format!("{name}{suffix}"));
            }
        }
        let floats = DataFrame::new(vec![
            Column::new(col::SERIES_ID.into(), out_id),
            Column::new(col::TS.into(), out_ts).cast(&ts_type)?,
            Column::new("histogram_name".into(), out_name)
                .cast(&crate::schema::categorical_dtype())?,
            Column::new(col::VALUE.into(), out_value),
        ])?
        .sort([col::SERIES_ID, col::TS], SortMultipleOptions::default())?;
        self.with_series(
            floats,
            polars::prelude::col("histogram_name").alias(col::NAME),
        )
    }

    /// `frame` (`series_id`, `ts`, `value`) joined with `series`, its name given by `name`.
    fn with_series(&self, frame: DataFrame, name: Expr) -> crate::Result<DataFrame> {
        Ok(frame
            .lazy()
            .join(
                self.series.clone().lazy().select([
                    polars::prelude::col(col::SERIES_ID),
                    polars::prelude::col(col::NAME),
                    polars::prelude::col(col::LABELS),
                    polars::prelude::col(col::NODE),
                    polars::prelude::col(col::NAMESPACE),
                    polars::prelude::col(col::POD),
                    polars::prelude::col(col::CONTAINER),
                    polars::prelude::col(col::TARGET),
                ]),
                [polars::prelude::col(col::SERIES_ID)],
                [polars::prelude::col(col::SERIES_ID)],
                {
                    let mut a = JoinArgs::new(JoinType::Left);
                    a.maintain_order = MaintainOrderJoin::Left;
                    a
                },
            )
            .select([
                polars::prelude::col(col::TS),
                name,
                polars::prelude::col(col::LABELS),
                polars::prelude::col(col::VALUE),
                polars::prelude::col(col::SERIES_ID),
                polars::prelude::col(col::NODE),
                polars::prelude::col(col::NAMESPACE),
                polars::prelude::col(col::POD),
                polars::prelude::col(col::CONTAINER),
                polars::prelude::col(col::TARGET),
            ])
            .collect()?)
    }
}

/// A list[struct{name, value}] column.
fn labels_column<'a>(name: &str, rows: impl Iterator<Item = &'a Labels>) -> crate::Result<Column> {
    let mut keys: Vec<&str> = Vec::new();
    let mut values: Vec<&str> = Vec::new();
    let mut offsets: Vec<i64> = vec![0];
    for labels in rows {
        for (k, v) in labels {
            keys.push(k);
            values.push(v);
        }
        offsets.push(keys.len() as i64);
    }
    super::pairs_column(
        name,
        (col::LABEL_NAME, col::LABEL_VALUE),
        Utf8ViewArray::from_slice_values(&keys),
        Utf8ViewArray::from_slice_values(&values),
        offsets,
    )
}

/// One file read and parsed.
struct FileRead {
    file: usize,
    bytes: u64,
    parsed: Parsed,
    read_error: Option<String>,
    /// For a TSDB block (read through its index file): what each of its files gave.
    block: Option<BlockRead>,
}

/// What a TSDB block's files gave, for their `sources` rows and messages.
#[derive(Default)]
struct BlockRead {
    /// The index file's note.
    note: String,
    /// Per other file of the block: (file, bytes, samples, what was read from it).
    parts: Vec<(usize, u64, u64, Option<String>)>,
    /// Messages: (file, severity, message).
    messages: Vec<(usize, Severity, String)>,
}

/// Reads a whole file.
fn read_all(set: &FileSet, file: usize) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    set.open(file)
        .and_then(|mut r| r.read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Most chunk problems reported per segment file; the rest are counted.
const MAX_CHUNK_PROBLEMS: usize = 20;

/// The WAL folder as its files' paths show it (`data/wal`).
fn wal_dir_shown<'a>(set: &'a FileSet, w: &'a crate::sources::plan::TsdbWal) -> &'a str {
    let parent = |p: &'a str| p.rsplit_once('/').map_or("", |(d, _)| d);
    match (w.segments.first(), w.checkpoint.first()) {
        (Some(&(_, f)), _) => parent(&set.entries()[f].path),
        (None, Some(&f)) => parent(parent(&set.entries()[f].path)),
        (None, None) => &w.dir,
    }
}

/// Reads a Prometheus WAL folder: its checkpoint, then its segments in order, each file read
/// whole and split into records.
fn read_wal(set: &FileSet, w: &crate::sources::plan::TsdbWal) -> FileRead {
    use crate::metrics::tsdb::wal;
    let mut out = BlockRead::default();
    let mut log = wal::Wal::default();
    let files: Vec<usize> = w
        .checkpoint
        .iter()
        .copied()
        .chain(w.segments.iter().map(|s| s.1))
        .collect();
    let last = files.last().copied();
    let mut samples_total = 0u64;
    let mut unknown: BTreeMap<u8, u64> = BTreeMap::new();
    for &file in &files {
        let bytes = match read_all(set, file) {
            Ok(b) => b,
            Err(e) => {
                out.messages
                    .push((file, Severity::Error, format!("read error: {e}")));
                continue;
            }
        };
        let mut stats = wal::SegmentStats::default();
        let mut bad: Vec<(u64, String)> = Vec::new();
        let mut read = wal::SegmentStats::default();
        wal::records(
            &bytes,
            |at, rec| {
                if let Err(e) = log.record(rec, &mut read) {
                    bad.push((at, format!("{e}; the record is skipped")));
                }
            },
            &mut stats,
        );
        stats.samples = read.samples;
        stats.unknown = read.unknown;
        stats.problems.extend(bad);
        stats.problems.sort_by_key(|p| p.0);
        for (at, message) in stats.problems.iter().take(MAX_CHUNK_PROBLEMS) {
            out.messages
                .push((file, Severity::Error, format!("at byte {at}: {message}")));
        }
        if stats.problems.len() > MAX_CHUNK_PROBLEMS {
            out.messages.push((
                file,
                Severity::Error,
                format!(
                    "{} more damaged records in this file",
                    stats.problems.len() - MAX_CHUNK_PROBLEMS
                ),
            ));
        }
        let mut note = format!("{} records, {} samples", stats.records, stats.samples);
        if stats.torn_tail {
            if Some(file) == last {
                note.push_str(
                    "; its last record is cut off, as Prometheus leaves it when stopped or \
                     copied while writing (everything before it is read)",
                );
            } else {
                out.messages.push((
                    file,
                    Severity::Error,
                    "its last record is cut off, and it is not the newest segment: a record \
                     is lost"
                        .into(),
                ));
            }
        }
        for (t, n) in stats.unknown {
            *unknown.entry(t).or_default() += n;
        }
        samples_total += stats.samples;
        out.parts
            .push((file, bytes.len() as u64, stats.samples, Some(note)));
    }
    for &file in &w.head_chunks {
        let bytes = match read_all(set, file) {
            Ok(b) => b,
            Err(e) => {
                out.messages
                    .push((file, Severity::Error, format!("read error: {e}")));
                continue;
            }
        };
        let mut samples = 0u64;
        let mut bad: Vec<String> = Vec::new();
        let (chunks, problems) =
            crate::metrics::tsdb::chunk::head_chunks(&bytes, |r, encoding, data| {
                match log.head_chunk(r, encoding, data) {
                    Ok(n) => samples += n,
                    Err(e) => bad.push(format!("a head chunk of series ref {r}: {e}")),
                }
            });
        for (at, message) in problems {
            out.messages
                .push((file, Severity::Error, format!("at byte {at}: {message}")));
        }
        let more = bad.len().saturating_sub(MAX_CHUNK_PROBLEMS);
        for message in bad.into_iter().take(MAX_CHUNK_PROBLEMS) {
            out.messages.push((file, Severity::Error, message));
        }
        if more > 0 {
            out.messages.push((
                file,
                Severity::Error,
                format!("{more} more damaged head chunks in this file"),
            ));
        }
        out.parts.push((
            file,
            bytes.len() as u64,
            samples,
            Some(format!("{chunks} head chunks, {samples} samples")),
        ));
    }
    let (parsed, orphans, deleted) = log.finish();
    for (t, n) in unknown {
        out.messages.push((
            files.first().copied().unwrap_or_default(),
            Severity::Warning,
            format!(
                "{n} WAL records of type {t} ({}) not read: podsift does not decode them yet",
                wal::record_type_name(t)
            ),
        ));
    }
    if !orphans.is_empty() {
        let n: u64 = orphans.values().sum();
        out.messages.push((
            files.first().copied().unwrap_or_default(),
            Severity::Error,
            format!(
                "{n} samples of {} series refs that no series record names (the WAL's start \
                 is missing?); not read",
                orphans.len()
            ),
        ));
    }
    let mut note = format!(
        "Prometheus WAL {}: {} segment files{}, {} series, {samples_total} samples",
        wal_dir_shown(set, w),
        w.segments.len(),
        if w.checkpoint.is_empty() {
            String::new()
        } else {
            " after a checkpoint".to_string()
        },
        parsed.series.len()
    );
    if deleted > 0 {
        note.push_str(&format!(", {deleted} deleted by tombstone records"));
    }
    // The first file speaks for the WAL: its row says what the WAL held, then what it held.
    let file = files.first().copied().unwrap_or_default();
    if let Some(Some(own)) = out.parts.iter().find(|p| p.0 == file).map(|p| &p.3) {
        note.push_str("; this file: ");
        note.push_str(own);
    }
    out.note = note;
    FileRead {
        file,
        bytes: set.entries().get(file).map_or(0, |e| e.size),
        parsed,
        read_error: None,
        block: Some(out),
    }
}

/// The part of a chunk segment holding the chunks at `offsets` (sorted): (its bytes, its
/// offset in the file), its header checked; `None` to read the whole file instead (the part
/// would be most of it, or the header is not a segment's, or a read failed).
fn read_chunks_part(set: &FileSet, file: usize, offsets: &[u32]) -> Option<(Vec<u8>, u32)> {
    use crate::metrics::tsdb::chunk;
    let (&first, &last) = (offsets.first()?, offsets.last()?);
    let size = set.entries()[file].size;
    if (u64::from(last) + CHUNK_MARGIN)
        .min(size)
        .saturating_sub(u64::from(first))
        * 2
        > size
    {
        return None;
    }
    let header = set.read_range(file, 0, chunk::HEADER_LEN as u64).ok()?;
    chunk::check_header(&header).ok()?;
    read_chunk_range(set, file, first, last, CHUNK_MARGIN).ok()
}

/// Past the last chunk's offset, the bytes read with it: XOR chunks stay under 1 KiB, and a
/// longer chunk costs a second read.
const CHUNK_MARGIN: u64 = 64 * 1024;

/// The bytes of a chunk segment from the chunk at `first` to the end of the one at `last`,
/// with where they start: read to `margin` past `last`, and again when its chunk is longer.
fn read_chunk_range(
    set: &FileSet,
    file: usize,
    first: u32,
    last: u32,
    margin: u64,
) -> std::io::Result<(Vec<u8>, u32)> {
    use crate::metrics::tsdb::chunk;
    let size = set.entries()[file].size;
    let end = (u64::from(last) + margin).min(size);
    // Past the end of a cut file, nothing to read: the part is empty at its end.
    let base = u64::from(first.max(chunk::HEADER_LEN as u32)).min(size) as u32;
    let mut part = set.read_range(file, u64::from(base), end.saturating_sub(u64::from(base)))?;
    if let Some(need) = chunk::chunk_end(&part, last, base)
        && need > end
        && need <= size
    {
        part.extend(set.read_range(file, end, need - end)?);
    }
    Ok((part, base))
}

/// A block's index, tombstones and meta.json read, its chunks not yet.
struct OpenBlock {
    block: crate::metrics::tsdb::Block,
    /// What the block's files gave so far.
    out: BlockRead,
    /// meta.json, when read.
    meta: Option<crate::metrics::tsdb::Meta>,
    /// The index's size.
    index_len: u64,
}

/// Reads a block's index, tombstones and meta.json; a [`FileRead`] of the error when the
/// index cannot be read.
fn open_block(
    set: &FileSet,
    b: &crate::sources::plan::TsdbBlock,
    filter: &crate::metrics::tsdb::Filter<'_>,
) -> Result<OpenBlock, Box<FileRead>> {
    use crate::metrics::tsdb;
    let mut out = BlockRead::default();
    let meta = b.meta.map(|m| {
        (
            m,
            read_all(set, m).and_then(|bytes| tsdb::read_meta(&bytes)),
        )
    });
    match &meta {
        Some((m, Err(e))) => out.messages.push((*m, Severity::Warning, e.clone())),
        None => out.messages.push((
            b.index,
            Severity::Warning,
            "no meta.json beside this index: Prometheus would not open the block (read anyway)"
                .into(),
        )),
        Some((_, Ok(_))) => {}
    }
    let written_as_v2 = meta
        .as_ref()
        .and_then(|m| m.1.as_ref().ok())
        .is_some_and(|m| m.version == 2);
    // Asked for some series: their entries through the postings, read by range (a large
    // index is mostly series entries); else, or when that fails, the whole file.
    let selected = filter
        .select
        .filter(|_| set.ranges_are_cheap(b.index))
        .and_then(|sel| {
            let src = IndexFile {
                set,
                file: b.index,
                read: std::cell::Cell::new(0),
            };
            tsdb::index::read_selected(&src, written_as_v2, sel).map(|idx| (idx, src.read.get()))
        });
    let index = match &selected {
        Some(_) => Vec::new(),
        None => match read_all(set, b.index) {
            Ok(bytes) => bytes,
            Err(e) => {
                return Err(Box::new(FileRead {
                    file: b.index,
                    bytes: 0,
                    parsed: Parsed::default(),
                    read_error: Some(e),
                    block: Some(out),
                }));
            }
        },
    };
    let stones = b.tombstones.map(|t| (t, read_all(set, t)));
    let stone_bytes = match &stones {
        Some((t, Err(e))) => {
            out.messages
                .push((*t, Severity::Error, format!("read error: {e}")));
            None
        }
        Some((_, Ok(bytes))) => Some(bytes.as_slice()),
        None => None,
    };
    let meta = meta.and_then(|(_, m)| m.ok());
    let (mut block, index_len) = match selected {
        Some((idx, read)) => (
            tsdb::Block::from_index(idx, stone_bytes, meta.as_ref(), filter),
            read,
        ),
        None => (
            tsdb::Block::open(&index, stone_bytes, meta.as_ref(), filter),
            index.len() as u64,
        ),
    };
    if block.repaired {
        out.messages.push((
            b.index,
            Severity::Warning,
            "written by Prometheus 2.1: the index says format 1 but is format 2 (meta.json \
             says version 2); read as format 2, as Prometheus repairs it"
                .into(),
        ));
    }
    for (offset, message) in std::mem::take(&mut block.problems) {
        let at = if offset > 0 {
            format!("at byte {offset}: ")
        } else {
            String::new()
        };
        out.messages
            .push((b.index, Severity::Error, format!("{at}{message}")));
    }
    Ok(OpenBlock {
        block,
        out,
        meta,
        index_len,
    })
}

/// An index file read by range, counting the bytes read.
struct IndexFile<'a> {
    set: &'a FileSet,
    file: usize,
    read: std::cell::Cell<u64>,
}

impl crate::metrics::tsdb::index::IndexRanges for IndexFile<'_> {
    fn size(&self) -> u64 {
        self.set.entries()[self.file].size
    }

    fn read(&self, at: u64, len: u64) -> Option<Vec<u8>> {
        let bytes = self.set.read_range(self.file, at, len).ok()?;
        self.read.set(self.read.get() + bytes.len() as u64);
        Some(bytes)
    }
}

/// The message for a chunk segment the index refers to that is not in the block.
fn missing_segment(block: &crate::metrics::tsdb::Block, seg: u32) -> String {
    let (chunks, series) = block.segment_refs(seg);
    format!(
        "refers to chunk segment {} of the block (chunks/{:06} when numbered from 1), which is \
         not there: {chunks} chunks of {series} series not read",
        seg + 1,
        seg + 1
    )
}

/// Adds one chunk file's [`SegmentRead`] to the block's messages and parts.
fn account_segment(
    out: &mut BlockRead,
    file: usize,
    bytes: u64,
    r: &crate::metrics::tsdb::SegmentRead,
) {
    let mut note = format!("{} chunks, {} samples", r.chunks, r.samples);
    if r.deleted > 0 {
        note.push_str(&format!(", {} deleted by tombstones", r.deleted));
    }
    for (encoding, n) in &r.not_decoded {
        let what = match *encoding {
            "histogram" | "floathistogram" => "native histogram",
            _ => "newer",
        };
        out.messages.push((
            file,
            Severity::Warning,
            format!(
                "{n} {what} chunks (encoding {encoding}) not read: podsift does not decode them yet"
            ),
        ));
        note.push_str(&format!(", {n} {encoding} chunks not read"));
    }
    for (offset, message) in r.problems.iter().take(MAX_CHUNK_PROBLEMS) {
        out.messages.push((
            file,
            Severity::Error,
            format!("at byte {offset}: {message}"),
        ));
    }
    if r.problems.len() > MAX_CHUNK_PROBLEMS {
        out.messages.push((
            file,
            Severity::Error,
            format!(
                "{} more damaged chunks in this file",
                r.problems.len() - MAX_CHUNK_PROBLEMS
            ),
        ));
    }
    out.parts.push((file, bytes, r.samples, Some(note)));
}

/// The block's note and last parts once its chunks are read: `samples` kept and `deleted`,
/// `used` the chunk files read.
fn finish_block(
    set: &FileSet,
    b: &crate::sources::plan::TsdbBlock,
    ob: &mut OpenBlock,
    filter: &crate::metrics::tsdb::Filter<'_>,
    (samples, deleted): (u64, u64),
    used: &[bool],
) {
    let out = &mut ob.out;
    let block = &ob.block;
    let size = |file: usize| set.entries()[file].size;
    for (k, &file) in b.chunks.iter().enumerate() {
        if !used[k] {
            out.parts.push((
                file,
                0,
                0,
                Some("the index refers to no chunk in it".into()),
            ));
        }
    }
    for file in [b.tombstones, b.meta].into_iter().flatten() {
        out.parts.push((file, size(file), 0, None));
    }
    let ulid = b.dir.rsplit('/').next().unwrap_or(&b.dir);
    let selected = block.kept();
    let series = if selected == block.series {
        format!("{} series", block.series)
    } else {
        format!("{} series ({selected} selected)", block.series)
    };
    let mut note = format!(
        "TSDB block {ulid} (index format {}): {series}, {} chunks in {} chunk files, {samples} samples",
        block.version,
        block.chunks,
        b.chunks.len()
    );
    if let Some(m) = &ob.meta {
        note.push_str(&format!(
            "; meta.json: {} to {}, level {}",
            crate::time::format_rfc3339_ms(m.min_time),
            crate::time::format_rfc3339_ms(m.max_time),
            m.level
        ));
        let whole =
            selected == block.series && filter.min_ts == i64::MIN && filter.max_ts == i64::MAX;
        if whole && m.samples > 0 && m.samples != samples + deleted && out.messages.is_empty() {
            out.messages.push((
                b.index,
                Severity::Warning,
                format!(
                    "meta.json says {} samples, {} read",
                    m.samples,
                    samples + deleted
                ),
            ));
        }
    }
    out.note = note;
}

/// Reads a TSDB block: its index and tombstones, then its chunk segments one at a time (only
/// one is held at once), into one [`Parsed`].
fn read_block(
    set: &FileSet,
    b: &crate::sources::plan::TsdbBlock,
    filter: &crate::metrics::tsdb::Filter<'_>,
) -> FileRead {
    let mut ob = match open_block(set, b, filter) {
        Ok(ob) => ob,
        Err(r) => return *r,
    };
    let mut samples = 0u64;
    let mut deleted = 0u64;
    let segments: Vec<u32> = ob.block.segments().collect();
    let mut used = vec![false; b.chunks.len()];
    for seg in segments {
        let Some(&file) = b.chunks.get(seg as usize) else {
            let message = missing_segment(&ob.block, seg);
            ob.out.messages.push((b.index, Severity::Error, message));
            continue;
        };
        used[seg as usize] = true;
        // Only some series or times asked for: read the part of the segment their chunks are
        // in (one series' chunks sit together), not the whole file.
        let selective =
            filter.select.is_some() || filter.min_ts != i64::MIN || filter.max_ts != i64::MAX;
        let part = if selective {
            read_chunks_part(set, file, &ob.block.chunk_offsets(seg))
        } else {
            None
        };
        let (bytes, base) = match part {
            Some(p) => p,
            None => match read_all(set, file) {
                Ok(bytes) => (bytes, 0),
                Err(e) => {
                    ob.out
                        .messages
                        .push((file, Severity::Error, format!("read error: {e}")));
                    continue;
                }
            },
        };
        let r = ob.block.read_segment_part(seg, &bytes, base);
        samples += r.samples;
        deleted += r.deleted;
        account_segment(&mut ob.out, file, bytes.len() as u64, &r);
    }
    finish_block(set, b, &mut ob, filter, (samples, deleted), &used);
    FileRead {
        file: b.index,
        bytes: ob.index_len,
        parsed: ob.block.finish(),
        read_error: None,
        block: Some(ob.out),
    }
}

fn read_file(set: &FileSet, file: usize, format: crate::metrics::MetricsFormat) -> FileRead {
    if format == crate::metrics::MetricsFormat::Exposition {
        // Piece by piece: a dump of several GB never sits in memory whole.
        let mut s = crate::metrics::expo::Streaming::new(crate::metrics::expo::Dialect::Auto);
        let mut buf = vec![0u8; crate::metrics::expo::HEAD_BYTES];
        let mut total = 0u64;
        let read_error = match set.open(file) {
            Ok(mut r) => loop {
                match crate::sources::read_full(&mut r, &mut buf) {
                    Ok(0) => break None,
                    Ok(n) => {
                        total += n as u64;
                        s.feed(&buf[..n]);
                    }
                    Err(e) => break Some(e.to_string()),
                }
            },
            Err(e) => Some(e.to_string()),
        };
        let mut parsed = s.finish();
        parsed.format = Some(format);
        return FileRead {
            file,
            bytes: total,
            parsed,
            read_error,
            block: None,
        };
    }
    let mut bytes = Vec::new();
    let read_error = set
        .open(file)
        .and_then(|mut r| r.read_to_end(&mut bytes))
        .err()
        .map(|e| e.to_string());
    let parsed = crate::metrics::parse(format, &bytes);
    FileRead {
        file,
        bytes: bytes.len() as u64,
        parsed,
        read_error,
        block: None,
    }
}

/// A number run in a file name preceded by a separator (`scrape-007.txt`), for sequences.
fn sequence_of(path: &str) -> Option<(String, u64)> {
    let (key, n) = sequence_key(path)?;
    let name = key.rsplit_once('/').map_or(key.as_str(), |(_, n)| n);
    let before = name.split('#').next().unwrap_or_default();
    (before.is_empty() || before.ends_with(['-', '_', '.'])).then_some((key, n))
}

/// Reads every metrics file of `plan` and records each file's accounting and problems in
/// `report`: the files parsed (in parallel natively), timestamp-less scrapes given their times,
/// the files merged into one store, then its samples put in (series, time) order with
/// duplicates dropped.
pub fn read_metrics(
    set: &FileSet,
    plan: &Plan,
    options: &MetricsOptions,
    report: &mut Accounting,
) -> MetricsStore {
    if report.files.len() < set.entries().len() {
        report
            .files
            .resize(set.entries().len(), FileStats::default());
    }
    let mut reads = parse_files(set, plan, options);
    let sequences = scrape_sequences(set, &reads);
    let mut merge = Merge::default();
    for (k, r) in reads.iter_mut().enumerate() {
        let path = set.entries()[r.file].path.clone();
        let stats = &mut report.files[r.file];
        stats.read = true;
        stats.bytes = r.bytes;
        if let Some(e) = &r.read_error {
            report.diagnostics.push(Diagnostic::file(
                path.clone(),
                Severity::Error,
                format!("read error: {e}"),
            ));
            stats.errors += 1;
        }
        if let Some(block) = r.block.take() {
            let format = "prometheus-tsdb";
            let ts = r.parsed.sample_ts.iter();
            let span = ts.clone().min().zip(ts.max()).map(|(a, b)| (*a, *b));
            account_block(
                span,
                r.file,
                &block,
                set,
                &mut report.files,
                &mut report.diagnostics,
            );
            let times = ScrapeTimes {
                time: TimeSource::Samples,
                note: block.note,
                scrapes: 1,
                target: String::new(),
            };
            merge.tsdb_files.insert(r.file as u32);
            merge.file(r, plan.files[r.file].meta.node.as_ref(), times, format);
            continue;
        }
        let times = scrape_times(&mut r.parsed, &path, options, sequences.get(&k));
        account(
            &r.parsed,
            &path,
            &times.note,
            stats,
            &mut report.diagnostics,
        );
        let format = stats.metrics_format.unwrap_or("metrics");
        merge.file(r, plan.files[r.file].meta.node.as_ref(), times, format);
    }
    let mut store = merge.finish(set, &mut report.diagnostics);
    if let Some(select) = &options.select {
        store.retain(select);
    }
    if options.min_ts.is_some() || options.max_ts.is_some() {
        store.retain_time(
            options.min_ts.unwrap_or(i64::MIN),
            options.max_ts.unwrap_or(i64::MAX),
        );
    }
    store
}

/// Every metrics file of `plan`, parsed.
fn parse_files(set: &FileSet, plan: &Plan, options: &MetricsOptions) -> Vec<FileRead> {
    let filter = options.block_filter();
    let todo: Vec<(usize, crate::metrics::MetricsFormat)> = plan
        .files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.role == FileRole::Metrics && f.status == FileStatus::Read)
        .filter_map(|(i, f)| f.metrics.map(|m| (i, m)))
        .filter(|&(_, m)| m != crate::metrics::MetricsFormat::TsdbBlock)
        .collect();
    #[cfg(not(target_arch = "wasm32"))]
    let reads: Vec<FileRead> = {
        use rayon::prelude::*;
        let mut reads: Vec<FileRead> = todo
            .par_iter()
            .with_max_len(1)
            .map(|&(i, m)| read_file(set, i, m))
            .collect();
        reads.par_extend(
            plan.blocks
                .par_iter()
                .with_max_len(1)
                .map(|b| read_block(set, b, &filter)),
        );
        reads.par_extend(plan.wals.par_iter().map(|w| read_wal(set, w)));
        reads
    };
    #[cfg(target_arch = "wasm32")]
    let reads: Vec<FileRead> = todo
        .iter()
        .map(|&(i, m)| read_file(set, i, m))
        .chain(plan.blocks.iter().map(|b| read_block(set, b, &filter)))
        .chain(plan.wals.iter().map(|w| read_wal(set, w)))
        .collect();

    reads
}

/// Whether a file's samples need a scrape time (some were written without one).
fn needs_time(p: &Parsed) -> bool {
    p.sample_ts.contains(&NO_TS)
}

/// A file's place in a numbered sequence of timestamp-less scrapes (`scrape-001.txt`,
/// `scrape-002.txt`): (position, files in the sequence, the sequence's key), by read.
type Sequences = HashMap<usize, (usize, usize, String)>;

/// The sequences of timestamp-less scrape files among `reads`.
fn scrape_sequences(set: &FileSet, reads: &[FileRead]) -> Sequences {
    let mut sequences: HashMap<String, Vec<(u64, usize)>> = HashMap::new();
    for (k, r) in reads.iter().enumerate() {
        let path = &set.entries()[r.file].path;
        if needs_time(&r.parsed)
            && name_timestamp(path.rsplit('/').next().unwrap_or(path)).is_none()
            && let Some((key, n)) = sequence_of(path)
        {
            sequences.entry(key).or_default().push((n, k));
        }
    }
    let mut position: HashMap<usize, (usize, usize, String)> = HashMap::new();
    for (key, mut members) in sequences {
        if members.len() < 2 {
            continue;
        }
        members.sort_unstable();
        // Scrapes of one target share their metric names; numbered files of different
        // things do not.
        let names = |k: usize| -> std::collections::HashSet<&str> {
            reads[k]
                .parsed
                .series
                .iter()
                .map(|s| s.name.as_str())
                .collect()
        };
        let first = names(members[0].1);
        let alike = members.iter().skip(1).all(|&(_, k)| {
            let other = names(k);
            let common = first.intersection(&other).count();
            common * 2 >= first.len().max(other.len())
        });
        if !alike {
            continue;
        }
        let n = members.len();
        for (pos, (_, k)) in members.into_iter().enumerate() {
            position.insert(k, (pos, n, key.clone()));
        }
    }

    position
}

/// Where a file's sample times came from, what to say about it, and the target its series
/// belong to.
struct ScrapeTimes {
    time: TimeSource,
    note: String,
    scrapes: u32,
    /// Scrapes of one target over time are one target (the file name without its time, or
    /// the sequence's key); files with their own times have none.
    target: String,
}

/// Gives the samples of `p` written without a time their scrape's time: `--at`, a time in the
/// file name, or the file's place in a sequence, one scrape interval per scrape.
fn scrape_times(
    p: &mut Parsed,
    path: &str,
    options: &MetricsOptions,
    seq: Option<&(usize, usize, String)>,
) -> ScrapeTimes {
    let name = path.rsplit('/').next().unwrap_or(path).to_string();
    let interval = options.scrape.interval_ms;
    let scrapes = p.scrape_starts.len() as u32 + 1;
    let (time, mut note) = if !needs_time(p) {
        (TimeSource::Samples, "times from its samples".to_string())
    } else if let Some(t) = name_timestamp(&name) {
        (
            TimeSource::FileName(t),
            format!(
                "scrape time from its name ({})",
                crate::time::format_rfc3339_ms(t)
            ),
        )
    } else if let Some(t) = p.sample_ts.iter().copied().filter(|&t| t != NO_TS).max() {
        // A scrape where some samples carry their own time: the others were exposed with
        // the latest of them.
        (
            TimeSource::Latest(t),
            format!(
                "samples without a time put at the latest written one ({})",
                crate::time::format_rfc3339_ms(t)
            ),
        )
    } else if let Some(at) = options.scrape.at_ms {
        (
            TimeSource::At(at),
            format!(
                "scrape time from --at ({})",
                crate::time::format_rfc3339_ms(at)
            ),
        )
    } else {
        (
            TimeSource::Unknown,
            "no scrape time: samples put at 1970-01-01T00:00:00Z (give --at)".to_string(),
        )
    };
    let anchor = match time {
        TimeSource::At(t) | TimeSource::FileName(t) | TimeSource::Latest(t) => t,
        _ => 0,
    };
    let offset = match (&time, seq) {
        (TimeSource::At(_) | TimeSource::Unknown, Some((pos, n, _))) => {
            note.push_str(&format!(
                ", scrape {} of {n} in a numbered sequence (+{}s)",
                pos + 1,
                *pos as i64 * interval / 1000
            ));
            *pos as i64 * interval
        }
        _ => 0,
    };
    if needs_time(p) && scrapes > 1 {
        note.push_str(&format!(
            ", {scrapes} scrapes one after another, {}s apart",
            interval / 1000
        ));
    }
    if needs_time(p) {
        let mut starts = p.scrape_starts.iter().peekable();
        let mut scrape = 0i64;
        for (i, t) in p.sample_ts.iter_mut().enumerate() {
            while starts.peek().is_some_and(|&&s| s <= i) {
                starts.next();
                scrape += 1;
            }
            if *t == NO_TS {
                *t = anchor
                    .saturating_add(offset)
                    .saturating_add(scrape.saturating_mul(interval));
            }
        }
    }
    let target = if needs_time_before(p, &time) {
        match seq {
            Some((_, _, key)) => key.clone(),
            None => strip_name_timestamp(path),
        }
    } else {
        String::new()
    };
    ScrapeTimes {
        time,
        note,
        scrapes,
        target,
    }
}

/// A metrics file's lines, samples, formats, times and problems, into its `sources` row and
/// the messages.
fn account(
    p: &Parsed,
    path: &str,
    note: &str,
    stats: &mut FileStats,
    diagnostics: &mut Vec<Diagnostic>,
) {
    stats.lines = p.lines;
    stats.entries = p.samples() as u64;
    stats.joined = p.other_lines;
    stats.unparsed = p.unparsed;
    stats.metrics_format = Some(if p.openmetrics {
        "openmetrics"
    } else {
        p.format.map_or("metrics", |f| f.as_str())
    });
    stats.time_note = Some(note.to_string());
    stats.first_ts = p
        .sample_ts
        .iter()
        .min()
        .map(|t| t.saturating_mul(1_000_000));
    stats.last_ts = p
        .sample_ts
        .iter()
        .max()
        .map(|t| t.saturating_mul(1_000_000));
    let om = p.openmetrics;
    let total = p.problems.len();
    for pr in p.problems.iter().take(MAX_PROBLEMS_PER_FILE) {
        let (severity, message) = match pr.kind {
            ProblemKind::Unparsed => (Severity::Error, format!("unparsed line: {}", pr.message)),
            ProblemKind::Invalid if om => (
                Severity::Warning,
                format!("not valid OpenMetrics: {}", pr.message),
            ),
            _ => (Severity::Warning, pr.message.clone()),
        };
        diagnostics.push(if pr.line > 0 {
            Diagnostic::line(path, pr.line, severity, message)
        } else {
            Diagnostic::file(path, severity, message)
        });
    }
    if total > MAX_PROBLEMS_PER_FILE {
        diagnostics.push(Diagnostic::file(
            path,
            Severity::Warning,
            format!(
                "{} more problems in this file",
                total - MAX_PROBLEMS_PER_FILE
            ),
        ));
    }
}

/// A TSDB block's files into their `sources` rows, and its messages. The index's row counts
/// the series it lists; each chunk segment's row the samples read from it.
fn account_block(
    span: Option<(i64, i64)>,
    index_file: usize,
    block: &BlockRead,
    set: &FileSet,
    files: &mut [FileStats],
    diagnostics: &mut Vec<Diagnostic>,
) {
    for (file, bytes, samples, note) in &block.parts {
        let stats = &mut files[*file];
        stats.read = true;
        stats.bytes = *bytes;
        stats.entries = *samples;
        stats.metrics_format = Some("prometheus-tsdb");
        stats.time_note.clone_from(note);
    }
    for (file, severity, message) in &block.messages {
        let stats = &mut files[*file];
        if *severity == Severity::Error {
            stats.errors += 1;
        }
        diagnostics.push(Diagnostic::file(
            set.entries()[*file].path.clone(),
            *severity,
            message.clone(),
        ));
    }
    let stats = &mut files[index_file];
    stats.metrics_format = Some("prometheus-tsdb");
    stats.time_note = Some(block.note.clone());
    stats.first_ts = span.map(|s| s.0.saturating_mul(1_000_000));
    stats.last_ts = span.map(|s| s.1.saturating_mul(1_000_000));
}

/// Metrics files merged into one store: families by name, series by target, name and labels.
#[derive(Default)]
struct Merge {
    store: MetricsStore,
    fam_index: HashMap<String, u32, RandomState>,
    series_index: HashMap<(String, String, Labels), u32, RandomState>,
    /// Per sample: the file and line it came from (for duplicate messages).
    origin: Vec<(u32, u32)>,
    /// Files of Prometheus's storage (a block's index, a WAL's first file): overlapping blocks,
    /// a WAL and a snapshot of it hold the same samples by design.
    tsdb_files: std::collections::HashSet<u32>,
}

impl Merge {
    /// Adds a file's families, series, samples and exemplars (and lets go of them).
    fn file(
        &mut self,
        r: &mut FileRead,
        node: Option<&String>,
        times: ScrapeTimes,
        format: &'static str,
    ) {
        let Merge {
            store,
            fam_index,
            series_index,
            origin,
            ..
        } = self;
        let p = &mut r.parsed;
        let target = times.target;
        let times_of = p.sample_ts.iter().chain(p.histograms.iter().map(|h| &h.1));
        let span = times_of.fold(None, |acc: Option<(i64, i64)>, &t| {
            Some(acc.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
        });
        let all_samples = (p.samples() + p.histograms.len()) as u64;

        let fam_map: Vec<u32> = p
            .families
            .iter()
            .map(|f| match fam_index.get(&f.name) {
                Some(&g) => {
                    let have = &mut store.families[g as usize];
                    if have.kind == MetricType::Unknown {
                        have.kind = f.kind;
                    }
                    if have.help.is_none() {
                        have.help.clone_from(&f.help);
                    }
                    if have.unit.is_none() {
                        have.unit.clone_from(&f.unit);
                    }
                    g
                }
                None => {
                    store.families.push(f.clone());
                    let g = (store.families.len() - 1) as u32;
                    fam_index.insert(f.name.clone(), g);
                    g
                }
            })
            .collect();
        let series_map: Vec<u32> = p
            .series
            .iter()
            .map(|s| {
                let key = (target.clone(), s.name.clone(), s.labels.clone());
                *series_index.entry(key).or_insert_with(|| {
                    store.series.push(StoredSeries {
                        name: s.name.clone(),
                        labels: s.labels.clone(),
                        family: fam_map[s.family as usize],
                        target: target.clone(),
                        node: node.cloned(),
                        source: r.file,
                    });
                    (store.series.len() - 1) as u32
                })
            })
            .collect();
        let base = store.sample_series.len();
        store
            .sample_series
            .extend(p.sample_series.iter().map(|&s| series_map[s as usize]));
        store.sample_ts.extend_from_slice(&p.sample_ts);
        store.sample_value.extend_from_slice(&p.sample_value);
        origin.extend(p.sample_line.iter().map(|&l| (r.file as u32, l)));
        store.histograms.extend(
            p.histograms
                .drain(..)
                .map(|(s, t, h)| (series_map[s as usize], t, h)),
        );
        for e in p.exemplars.drain(..) {
            let s = series_map[p.sample_series[e.sample] as usize];
            let ts = p.sample_ts[e.sample];
            store.exemplars.push((
                s,
                ts,
                Exemplar {
                    sample: base + e.sample,
                    ..e
                },
            ));
        }
        store.files.push(MetricsFileInfo {
            file: r.file,
            format,
            samples: all_samples,
            series: p.series.len() as u64,
            scrapes: times.scrapes,
            time: times.time,
            time_note: times.note,
            span,
        });
        // The file's samples are in the store now.
        *p = Parsed::default();
    }

    /// The store, its samples in (series, time) order; a second sample of a series at the
    /// same time is a duplicate, dropped and reported.
    fn finish(self, set: &FileSet, diagnostics: &mut Vec<Diagnostic>) -> MetricsStore {
        let Merge {
            mut store,
            mut origin,
            tsdb_files,
            ..
        } = self;
        let sorted = store
            .sample_series
            .windows(2)
            .zip(store.sample_ts.windows(2))
            .all(|(s, t)| (s[0], t[0]) <= (s[1], t[1]));
        if !sorted {
            let mut order: Vec<u32> = (0..store.len() as u32).collect();
            order.sort_by_key(|&i| (store.sample_series[i as usize], store.sample_ts[i as usize]));
            fn permute<T: Copy>(v: &mut Vec<T>, order: &[u32]) {
                *v = order.iter().map(|&i| v[i as usize]).collect();
            }
            permute(&mut store.sample_series, &order);
            permute(&mut store.sample_ts, &order);
            permute(&mut store.sample_value, &order);
            origin = order.iter().map(|&i| origin[i as usize]).collect();
        }
        let mut w = 0usize;
        let mut reported = 0usize;
        let mut conflicting = 0u64;
        let mut tsdb_overlap = 0u64;
        for r in 0..store.len() {
            if w > 0
                && store.sample_series[w - 1] == store.sample_series[r]
                && store.sample_ts[w - 1] == store.sample_ts[r]
            {
                store.duplicates += 1;
                let same = store.sample_value[w - 1].to_bits() == store.sample_value[r].to_bits();
                if same
                    && tsdb_files.contains(&origin[r].0)
                    && tsdb_files.contains(&origin[w - 1].0)
                {
                    // Prometheus's querier merges these without a word.
                    tsdb_overlap += 1;
                    continue;
                }
                conflicting += u64::from(!same);
                if reported < MAX_PROBLEMS_PER_FILE {
                    reported += 1;
                    let (file, line) = origin[r];
                    let (f0, l0) = origin[w - 1];
                    let s = &store.series[store.sample_series[r] as usize];
                    if tsdb_files.contains(&file) && tsdb_files.contains(&f0) {
                        // Storage has no lines to name.
                        diagnostics.push(tsdb_conflict(
                            &set.entries()[file as usize].path,
                            &set.entries()[f0 as usize].path,
                            &crate::metrics::write::om_series(&s.name, &s.labels),
                            store.sample_ts[r],
                            (store.sample_value[r], store.sample_value[w - 1]),
                        ));
                        continue;
                    }
                    diagnostics.push(Diagnostic::line(
                    set.entries()[file as usize].path.clone(),
                    u64::from(line),
                    Severity::Warning,
                    format!(
                        "duplicate sample of {} at {} ({}; first at {}:{l0}): not counted twice",
                        crate::metrics::write::om_series(&s.name, &s.labels),
                        crate::time::format_rfc3339_ms(store.sample_ts[r]),
                        if same {
                            "same value".to_string()
                        } else {
                            format!(
                                "value {} here, {} kept",
                                store.sample_value[r],
                                store.sample_value[w - 1]
                            )
                        },
                        set.entries()[f0 as usize].path
                    ),
                ));
                }
                continue;
            }
            store.sample_series[w] = store.sample_series[r];
            store.sample_ts[w] = store.sample_ts[r];
            store.sample_value[w] = store.sample_value[r];
            // Where the kept sample came from, for the next duplicate's "first at".
            origin[w] = origin[r];
            w += 1;
        }
        store.sample_series.truncate(w);
        store.sample_ts.truncate(w);
        store.sample_value.truncate(w);
        // Native histograms: one per series and time as well (overlapping blocks hold the
        // same samples twice).
        store.histograms.sort_by_key(|h| (h.0, h.1));
        let before = store.histograms.len();
        store.histograms.dedup_by_key(|h| (h.0, h.1));
        // Histograms come from Prometheus's storage only: overlaps, merged as it merges them.
        store.duplicates += (before - store.histograms.len()) as u64;
        tsdb_overlap += (before - store.histograms.len()) as u64;
        if (store.duplicates - tsdb_overlap) as usize > reported {
            diagnostics.push(Diagnostic::file(
            "metrics",
            Severity::Warning,
            format!(
                "{} duplicate samples in all ({conflicting} with a different value), each kept once",
                store.duplicates - tsdb_overlap
            ),
        ));
        }
        store
    }
}

/// A sample of Prometheus's storage at a time an earlier block (or the WAL) holds with
/// another value: `(here, kept)`.
fn tsdb_conflict(path: &str, first: &str, series: &str, ts: i64, values: (f64, f64)) -> Diagnostic {
    Diagnostic::file(
        path.to_string(),
        Severity::Warning,
        format!(
            "duplicate sample of {series} at {} (value {} here, {} kept from {first}): not \
             counted twice",
            crate::time::format_rfc3339_ms(ts),
            values.0,
            values.1
        ),
    )
}

/// Whether the file's samples needed a scrape time (before they were given one).
fn needs_time_before(p: &Parsed, time: &TimeSource) -> bool {
    !p.sample_ts.is_empty() && *time != TimeSource::Samples
        || p.format == Some(crate::metrics::MetricsFormat::KubectlTop)
}

/// The path without the timestamp in its file name (`node1/metrics-#.prom`), so scrapes of
/// one target at several times share a target, and `node1`/`node2` stay apart.
fn strip_name_timestamp(path: &str) -> String {
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
    match crate::metrics::scrape_time::name_timestamp_at(name) {
        Some((_, r)) => format!("{dir}/{}#{}", &name[..r.start], &name[r.end..]),
        None => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_targets_name_keeps_all_but_its_timestamp() {
        assert_eq!(
            strip_name_timestamp("d/node1-20240101-120000.prom"),
            "d/node1-#.prom"
        );
        assert_ne!(
            strip_name_timestamp("d/node1-20240101-120000.prom"),
            strip_name_timestamp("d/node2-20240101-120000.prom")
        );
    }

    #[test]
    fn sequences_need_a_separator() {
        assert_eq!(
            sequence_of("d/scrape-007.txt"),
            Some(("d/scrape-#.txt".into(), 7))
        );
        assert_eq!(sequence_of("d/node1.txt"), None);
        assert_eq!(sequence_of("d/003.prom"), Some(("d/#.prom".into(), 3)));
    }
}
