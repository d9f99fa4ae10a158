//! Writes series and samples back out: as `promtool tsdb dump` prints them, or as OpenMetrics
//! text that `promtool tsdb create-blocks-from openmetrics` reads.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{NativeHistogram, SeriesDef};

/// NaN and ±Inf as Prometheus writes them (`NaN`, `+Inf`, `-Inf`); `None` for a finite value.
pub fn non_finite(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v.is_infinite() {
        Some(if v > 0.0 { "+Inf" } else { "-Inf" })
    } else {
        None
    }
}

/// A float as Go's `%g` prints it (what promtool writes): the shortest digits that read back
/// the same, with an exponent (`1.0267820369e+10`, `1e-05`) when the decimal exponent is below
/// -4 or at least 6.
pub fn go_float(v: f64) -> String {
    if let Some(s) = non_finite(v) {
        return s.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Between 1e-4 and 1e6 Go writes the shortest digits without an exponent, as Rust's
    // `Display` does.
    if (1e-4..1e6).contains(&v.abs()) {
        return v.to_string();
    }
    go_float_by_exponent(v)
}

/// [`go_float`] for every finite non-zero value, from the shortest digits and their exponent.
fn go_float_by_exponent(v: f64) -> String {
    // Shortest round-trip digits and the decimal exponent.
    let e = format!("{v:e}");
    let (mantissa, exp) = e.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    // Go's strconv 'g' with the shortest precision: %e when exp < -4 || exp >= 6.
    let eprec = 6;
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if exp < -4 || exp >= eprec {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

/// Escapes a label value for the exposition formats.
pub(crate) fn escape_label(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A label value quoted as Go's `strconv.Quote` does (what `labels.String` prints): `\"`,
/// `\\`, the C escapes, `\x..` for other control bytes and `\u....` for other control
/// characters; everything else as it is.
pub(crate) fn go_quote(v: &str, out: &mut String) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            '\u{0b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `{__name__="up", job="a"}` with labels in name order (`__name__` among them unless the
/// series has no name), as `promtool tsdb dump` writes a series.
pub(crate) fn dump_series(name: &str, labels: &[(String, String)]) -> String {
    let mut all: Vec<(&str, &str)> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if !name.is_empty() {
        all.push(("__name__", name));
    }
    all.sort_unstable();
    let mut s = String::from("{");
    for (i, (k, v)) in all.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(k);
        s.push('=');
        go_quote(v, &mut s);
    }
    s.push('}');
    s
}

/// `up{job="a"}` (OpenMetrics).
pub(crate) fn om_series(name: &str, labels: &[(String, String)]) -> String {
    let mut s = String::from(name);
    if !labels.is_empty() {
        s.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(k);
            s.push_str("=\"");
            escape_label(v, &mut s);
            s.push('"');
        }
        s.push('}');
    }
    s
}

/// Writes each sample `(series, ts_ms, value)` as a line: the series' text (made once per
/// run of its samples), the value as Go prints it, the time.
fn write_lines(
    out: &mut dyn Write,
    series: &[SeriesDef],
    samples: impl Iterator<Item = (u32, i64, f64)>,
    series_text: fn(&str, &[(String, String)]) -> String,
    time: fn(i64) -> String,
) -> io::Result<()> {
    let mut last = u32::MAX;
    let mut text = String::new();
    for (s, ts, v) in samples {
        if s != last {
            let def = &series[s as usize];
            text = series_text(&def.name, &def.labels);
            last = s;
        }
        writeln!(out, "{text} {} {}", go_float(v), time(ts))?;
    }
    Ok(())
}

/// Writes samples `(series, ts_ms, value)` (in series, then time order) as `promtool tsdb
/// dump` does: `{__name__="x", a="b"} value ts_ms`.
pub fn write_dump(
    out: &mut dyn Write,
    series: &[SeriesDef],
    samples: impl Iterator<Item = (u32, i64, f64)>,
) -> io::Result<()> {
    write_lines(out, series, samples, dump_series, |ts| ts.to_string())
}

/// [`write_dump`] with native histogram samples `(series, ts_ms, histogram)` among the float
/// ones (both in series, then time order), each written as current promtool writes it
/// (`{count:12, sum:81, [-0.5,-0.25):1, [-0.001,0.001]:2, (2,4]:3}`; promtool 2.42 leaves
/// histograms out of its dump).
pub fn write_dump_all(
    out: &mut dyn Write,
    series: &[SeriesDef],
    samples: &[(u32, i64, f64)],
    histograms: &[(u32, i64, &NativeHistogram)],
) -> io::Result<()> {
    let (mut i, mut j) = (0, 0);
    // The series text, made once per run of its samples.
    let mut last = u32::MAX;
    let mut text = String::new();
    while i < samples.len() || j < histograms.len() {
        let float_first = match (samples.get(i), histograms.get(j)) {
            (Some(a), Some(b)) => (a.0, a.1) <= (b.0, b.1),
            (a, _) => a.is_some(),
        };
        let s = if float_first {
            samples[i].0
        } else {
            histograms[j].0
        };
        if s != last {
            let d = &series[s as usize];
            text = dump_series(&d.name, &d.labels);
            last = s;
        }
        if float_first {
            let (_, t, v) = samples[i];
            writeln!(out, "{text} {} {t}", go_float(v))?;
            i += 1;
        } else {
            let (_, t, h) = histograms[j];
            writeln!(out, "{text} {} {t}", histogram_text(h))?;
            j += 1;
        }
    }
    Ok(())
}

/// A bucket boundary of a standard schema, as Prometheus computes it (`getBoundExponential`):
/// exact powers of two for schema 0 and below; above 0, 2^(k/2^schema) from a table of
/// correctly rounded values in Prometheus, computed here with `exp2` (which may differ in the
/// last binary digit).
pub fn bucket_bound(idx: i32, schema: i32, custom: &[f64]) -> f64 {
    if schema == super::histogram::CUSTOM_BUCKETS_SCHEMA {
        let n = custom.len() as i32;
        return match idx {
            i if i >= n => f64::INFINITY,
            i if i < 0 => f64::NEG_INFINITY,
            i => custom[i as usize],
        };
    }
    if schema <= 0 {
        let exp = i64::from(idx) << (-schema).clamp(0, 62);
        if exp == 1024 {
            return f64::MAX;
        }
        return ldexp(1.0, exp);
    }
    let frac_idx = idx & ((1 << schema) - 1);
    let frac = (f64::from(frac_idx) / f64::from(1 << schema)).exp2() / 2.0;
    let exp = i64::from(idx >> schema) + 1;
    if frac == 0.5 && exp == 1025 {
        return f64::MAX;
    }
    ldexp(frac, exp)
}

fn ldexp(frac: f64, exp: i64) -> f64 {
    // Two steps keep 2^exp finite where the product is.
    let e = exp.clamp(-2200, 2200) as i32;
    frac * 2f64.powi(e / 2) * 2f64.powi(e - e / 2)
}

/// A native histogram as Prometheus's `String()` writes it: count and sum, then the non-empty
/// buckets from the most negative up, the zero bucket between.
pub fn histogram_text(h: &NativeHistogram) -> String {
    let count = |c: f64| {
        if h.float {
            go_float(c)
        } else {
            format!("{}", c as u64)
        }
    };
    let mut s = format!("{{count:{}, sum:{}", count(h.count), go_float(h.sum));
    let custom = h.schema == super::histogram::CUSTOM_BUCKETS_SCHEMA;
    let buckets = |spans: &[(i32, u32)], counts: &[f64]| -> Vec<(i32, f64)> {
        let mut out = Vec::new();
        let mut idx = 0i32;
        let mut k = 0usize;
        for (n, &(offset, length)) in spans.iter().enumerate() {
            idx = if n == 0 {
                offset
            } else {
                idx.wrapping_add(offset)
            };
            for _ in 0..length {
                if let Some(&c) = counts.get(k)
                    && c != 0.0
                {
                    out.push((idx, c));
                }
                k += 1;
                idx = idx.wrapping_add(1);
            }
        }
        out
    };
    let bound = |i: i32| bucket_bound(i, h.schema, &h.custom_values);
    let write_bucket = |s: &mut String, lower: f64, upper: f64, li: bool, ui: bool, c: f64| {
        let _ = write!(
            s,
            ", {}{},{}{}:{}",
            if li { '[' } else { '(' },
            go_float(lower),
            go_float(upper),
            if ui { ']' } else { ')' },
            count(c)
        );
    };
    for (idx, c) in buckets(&h.negative_spans, &h.negative).into_iter().rev() {
        let (lower, upper) = (-bound(idx), -bound(idx.wrapping_sub(1)));
        let (li, ui) = if custom {
            (idx == 0, true)
        } else {
            (lower < 0.0, upper > 0.0)
        };
        write_bucket(&mut s, lower, upper, li, ui, c);
    }
    if h.zero_count != 0.0 {
        write_bucket(
            &mut s,
            -h.zero_threshold,
            h.zero_threshold,
            true,
            true,
            h.zero_count,
        );
    }
    for (idx, c) in buckets(&h.positive_spans, &h.positive) {
        let (lower, upper) = (bound(idx.wrapping_sub(1)), bound(idx));
        let (li, ui) = if custom {
            (idx == 0, true)
        } else {
            (lower < 0.0, upper > 0.0)
        };
        write_bucket(&mut s, lower, upper, li, ui, c);
    }
    s.push('}');
    s
}

/// Writes samples as OpenMetrics (`promtool tsdb dump-openmetrics`): `name{labels} value
/// seconds.millis`, then `# EOF`.
pub fn write_openmetrics(
    out: &mut dyn Write,
    series: &[SeriesDef],
    samples: impl Iterator<Item = (u32, i64, f64)>,
) -> io::Result<()> {
    write_lines(out, series, samples, om_series, |ts| {
        let sign = if ts < 0 { "-" } else { "" };
        let a = ts.unsigned_abs();
        format!("{sign}{}.{:03}", a / 1000, a % 1000)
    })?;
    writeln!(out, "# EOF")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_g_formatting() {
        for (v, want) in [
            (5.0, "5"),
            (0.5, "0.5"),
            (1.0267820369e10, "1.0267820369e+10"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (100000.0, "100000"),
            (1e21, "1e+21"),
            (1e8, "1e+08"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (2.391e-05, "2.391e-05"),
            (0.013300656000000001, "0.013300656000000001"),
        ] {
            assert_eq!(go_float(v), want, "{v}");
        }
    }

    #[test]
    fn the_short_way_writes_what_the_exponent_way_writes() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for i in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Spread over the range written without an exponent, its edges included.
            let e = (x % 11) as i32 - 4;
            let v = (x >> 11) as f64 / (1u64 << 53) as f64 * 10f64.powi(e);
            let v = if i % 2 == 0 { v } else { -v };
            if (1e-4..1e6).contains(&v.abs()) {
                assert_eq!(go_float(v), go_float_by_exponent(v), "{v:e}");
            }
        }
        for v in [1e-4, 999_999.999_999_999_9, 1e6 - 1.0, 0.1, 123_456.0] {
            assert_eq!(go_float(v), go_float_by_exponent(v), "{v:e}");
        }
    }

    #[test]
    fn dump_lines() {
        assert_eq!(
            dump_series("heavy_metric", &[("foo".into(), "b\"ar".into())]),
            "{__name__=\"heavy_metric\", foo=\"b\\\"ar\"}"
        );
        assert_eq!(
            dump_series("m", &[("A".into(), "x".into())]),
            "{A=\"x\", __name__=\"m\"}"
        );
    }
}
