//! Writes series and samples back out: as `promtool tsdb dump` prints them, or as OpenMetrics
//! text that `promtool tsdb create-blocks-from openmetrics` reads.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::SeriesDef;

/// A float as Go's `%g` prints it (what promtool writes): the shortest digits that read back
/// the same, with an exponent (`1.0267820369e+10`, `1e-05`) when the decimal exponent is below
/// -4 or at least 6.
pub fn go_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
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

/// `{__name__="up", job="a"}` with labels in name order (`__name__` among them), as
/// `promtool tsdb dump` writes a series.
pub(crate) fn dump_series(name: &str, labels: &[(String, String)]) -> String {
    let mut all: Vec<(&str, &str)> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.push(("__name__", name));
    all.sort_unstable();
    let mut s = String::from("{");
    for (i, (k, v)) in all.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(k);
        s.push_str("=\"");
        escape_label(v, &mut s);
        s.push('"');
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
