//! `podsift metrics`: a summary of series and samples like `promtool tsdb analyze`, or the
//! samples written out as a dump.

use std::io::Write;

use anyhow::Result;
use podsift_core::ingest::Accounting;
use podsift_core::metrics::selector::Selector;
use podsift_core::metrics::write::{write_dump, write_openmetrics};
use podsift_core::table::metrics_summary::{series_rows, summary};

use crate::args::{MetricsArgs, MetricsOutput, TableFormat};
use crate::input::{load, metrics_options, nothing_read, report_problems, with_progress};
use crate::{stdout, write_sections, write_table_format};

/// Reads the metrics under `paths`, keeping the series any of `matchers` selects.
pub(crate) fn cmd_metrics(a: &MetricsArgs) -> Result<bool> {
    let selectors = a
        .matchers
        .iter()
        .map(|m| Selector::parse(m))
        .collect::<podsift_core::Result<Vec<_>>>()?;
    let loaded = load(&a.paths, &a.input)?;
    let options = metrics_options(&a.input)?;
    let mut report = Accounting::default();
    let mut store = with_progress(loaded.progress_when, "reading", |_| {
        loaded.bundle.read_metrics(&options, &mut report)
    });
    if store.files.is_empty() {
        return Ok(nothing_read(
            "no metrics (Prometheus or OpenMetrics text, promtool dumps, API JSON, \
             VictoriaMetrics or InfluxDB exports, kubectl top) under the given paths",
        ));
    }
    if !selectors.is_empty() {
        let any = Selector::any(selectors);
        store.retain(&any);
    }
    match a.output {
        MetricsOutput::Table => write_sections(summary(&store, loaded.bundle.set(), a.top)?)?,
        MetricsOutput::Json | MetricsOutput::Csv => {
            let df = series_rows(&store, loaded.bundle.set())?;
            let format = if a.output == MetricsOutput::Json {
                TableFormat::Json
            } else {
                TableFormat::Csv
            };
            write_table_format(&df, format, 0)?;
        }
        MetricsOutput::Dump => {
            let (series, samples) = store.export();
            let mut out = stdout(false)?;
            write_dump(&mut out, &series, samples.into_iter())?;
            out.flush()?;
        }
        MetricsOutput::Openmetrics => {
            let (series, samples) = store.export();
            let mut out = stdout(false)?;
            write_openmetrics(&mut out, &series, samples.into_iter())?;
            out.flush()?;
        }
    }
    // Files that are not metrics are other commands' business: counted, not listed.
    Ok(report_problems(&loaded, Some(&report), false))
}
