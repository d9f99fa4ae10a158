//! `podsift query`: a PromQL expression evaluated over the metrics read, at one time or over
//! a range, printed as `promtool query` prints it or as the query API's response.

use std::io::Write;

use anyhow::{Result, bail};
use podsift_core::ingest::Accounting;
use podsift_core::promql::{self, Value};
use podsift_core::time::{TimeBound, parse_duration_with_unit};

use crate::args::{QueryArgs, QueryOutput};
use crate::input::{load, metrics_options, nothing_read, report_problems, with_progress};
use crate::stdout;

/// Reads the metrics under the paths and evaluates the expression over them.
pub(crate) fn cmd_query(a: &QueryArgs) -> Result<bool> {
    let expr = promql::parse(&a.expr).map_err(|e| anyhow::anyhow!("{}: {e}", a.expr))?;
    let lookback = duration_ms("lookback", &a.lookback)?;
    let loaded = load(&a.paths, &a.input)?;
    let options = metrics_options(&a.input)?;
    let mut report = Accounting::default();
    let store = with_progress(loaded.progress_when, "reading", |_| {
        loaded.bundle.read_metrics(&options, &mut report)
    });
    if store.files.is_empty() {
        return Ok(nothing_read(
            "no metrics (Prometheus data directories, scrapes, dumps, exports) under the given paths",
        ));
    }
    let storage = store.promql_storage();
    let span = storage
        .series
        .iter()
        .flat_map(|s| [s.samples.first(), s.samples.last()])
        .flatten()
        .fold(None, |acc: Option<(i64, i64)>, &(t, _)| {
            Some(acc.map_or((t, t), |(lo, hi)| (lo.min(t), hi.max(t))))
        });
    let (first, last) = span.unwrap_or((0, 0));
    let time = |t: &Option<String>| t.as_deref().map(|t| query_time(t, last)).transpose();
    let ranged = a.start.is_some() || a.end.is_some() || a.step.is_some();
    let mut out = stdout(false)?;
    if ranged {
        let start = time(&a.start)?.unwrap_or(first);
        let end = time(&a.end)?.unwrap_or(last);
        if end < start {
            bail!("--end is before --start");
        }
        let step = match &a.step {
            Some(s) => duration_ms("step", s)?,
            None => ((end - start) / 250).max(1000),
        };
        let v = promql::eval_range(&storage, &expr, (start, end, step), lookback)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        write_value(&mut out, &v, end, a.output)?;
    } else {
        let at = time(&a.time)?.unwrap_or(last);
        let v = promql::eval_instant(&storage, &expr, at, lookback)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        write_value(&mut out, &v, at, a.output)?;
    }
    out.flush()?;
    Ok(report_problems(&loaded, Some(&report), false))
}

/// A time given to `--time`, `--start` or `--end` (ms): unix seconds, `end` or `end-1h` (back
/// from `last`, the last sample's time), or any form of `--since`.
fn query_time(text: &str, last: i64) -> Result<i64> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        if secs.is_finite() && secs.abs() < 1e13 {
            return Ok((secs * 1000.0).round() as i64);
        }
        bail!("time out of range: {text:?}");
    }
    if t == "end" {
        return Ok(last);
    }
    if let Some(back) = t.strip_prefix("end-") {
        return Ok(last - duration_ms("time", back)?);
    }
    match TimeBound::parse(t)? {
        TimeBound::At(ns) => Ok(ns.div_euclid(1_000_000)),
        TimeBound::BeforeEnd(ns) => Ok(last - ns / 1_000_000),
    }
}

fn duration_ms(flag: &str, s: &str) -> Result<i64> {
    match parse_duration_with_unit(s) {
        Some(ns) if ns > 0 => Ok(ns / 1_000_000),
        _ => bail!("--{flag} takes a duration with a unit (`30s`, `5m`), not {s:?}"),
    }
}

/// `{a="b"}` as Prometheus prints a label set.
fn labels_text(l: &promql::Labels) -> String {
    let name = l
        .iter()
        .find(|(k, _)| k == "__name__")
        .map(|(_, v)| v.as_str());
    let rest: Vec<String> = l
        .iter()
        .filter(|(k, _)| k != "__name__")
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    format!("{}{{{}}}", name.unwrap_or(""), rest.join(", "))
}

fn write_value(out: &mut dyn Write, v: &Value, at: i64, output: QueryOutput) -> Result<()> {
    if output == QueryOutput::PromJson {
        writeln!(out, "{}", promql::api_response(v, at))?;
        return Ok(());
    }
    let stamp = |t: i64| format!("@[{:.3}]", t as f64 / 1000.0);
    match v {
        Value::Scalar(x) => writeln!(out, "scalar: {} {}", promql::format_value(*x), stamp(at))?,
        Value::String(s) => writeln!(out, "string: {s:?} {}", stamp(at))?,
        Value::Vector(v) => {
            for (l, x) in v {
                writeln!(
                    out,
                    "{} => {} {}",
                    labels_text(l),
                    promql::format_value(*x),
                    stamp(at)
                )?;
            }
        }
        Value::Matrix(m) => {
            for (l, pts) in m {
                writeln!(out, "{} =>", labels_text(l))?;
                for &(t, x) in pts {
                    writeln!(out, "{} {}", promql::format_value(x), stamp(t))?;
                }
            }
        }
    }
    Ok(())
}
