//! `podsift metrics`: a summary of series and samples like `promtool tsdb analyze`, or the
//! samples written out as a dump.

use std::io::Write;

use anyhow::{Result, bail};
use podsift_core::ingest::Accounting;
use podsift_core::metrics::selector::Selector;
use podsift_core::metrics::write::write_openmetrics;
use podsift_core::table::metrics::ExportOrder;
use podsift_core::table::metrics_summary::{series_rows, summary};
use podsift_core::time::TimeBound;

use crate::args::{MetricsArgs, MetricsOutput, TableFormat};
use crate::input::{load, metrics_options, nothing_read, report_problems, with_progress};
use crate::{stdout, write_sections, write_table_format};

/// What "nothing read" says.
const NO_METRICS: &str = "no metrics (Prometheus or OpenMetrics text, promtool dumps, API JSON, \
                          VictoriaMetrics or InfluxDB exports, kubectl top) under the given paths";

/// Reads the metrics under `paths`, keeping the series any of `matchers` selects.
pub(crate) fn cmd_metrics(a: &MetricsArgs) -> Result<bool> {
    let selectors = a
        .matchers
        .iter()
        .map(|m| Selector::parse(m))
        .collect::<podsift_core::Result<Vec<_>>>()?;
    let loaded = load(&a.paths, &a.input)?;
    let mut options = metrics_options(&a.input)?;
    // Series and times go down to the readers: a TSDB block reads only the chunks asked for.
    if !selectors.is_empty() {
        options.select = Some(Selector::any(selectors));
    }
    let time = |flag: &str, t: &Option<String>| -> Result<Option<i64>> {
        match t.as_deref().map(TimeBound::parse).transpose()? {
            None => Ok(None),
            Some(TimeBound::At(ns)) => Ok(Some(ns.div_euclid(1_000_000))),
            Some(TimeBound::BeforeEnd(_)) => {
                bail!("--{flag} takes a time here, not a duration back from the end: {t:?}")
            }
        }
    };
    options.min_ts = time("since", &a.since)?;
    options.max_ts = time("until", &a.until)?;
    let mut report = Accounting::default();
    if a.output == MetricsOutput::Dump {
        // Written as read: Prometheus's storage never sits in memory whole.
        let mut out = stdout(false)?;
        let files = loaded
            .bundle
            .write_metrics_dump(&options, &mut report, &mut out)?;
        out.flush()?;
        if files == 0 {
            return Ok(nothing_read(NO_METRICS));
        }
        return Ok(report_problems(&loaded, Some(&report), false));
    }
    let store = with_progress(loaded.progress_when, "reading", |_| {
        loaded.bundle.read_metrics(&options, &mut report)
    });
    if store.files.is_empty() {
        return Ok(nothing_read(NO_METRICS));
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
        // Written as it was read, above.
        MetricsOutput::Dump => {}
        MetricsOutput::Openmetrics => {
            let e = store.export(ExportOrder::Name);
            let mut out = stdout(false)?;
            write_openmetrics(&mut out, &e.series, e.samples.into_iter())?;
            out.flush()?;
            if !e.histograms.is_empty() {
                eprintln!(
                    "podsift: {} native histogram samples not written: OpenMetrics text has no \
                     native histograms (-o dump writes them)",
                    e.histograms.len()
                );
            }
        }
    }
    // Files that are not metrics are other commands' business: counted, not listed.
    Ok(report_problems(&loaded, Some(&report), false))
}
