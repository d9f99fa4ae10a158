//! Which metrics format a file holds, from its first bytes (never its name).

use crate::metrics::MetricsFormat;
use crate::metrics::expo::{parse_float, parse_series, series_end};
use crate::metrics::other::{influx_line, kubectl_top_header, victoria_csv_header};

/// The metrics format of a file starting with `head`, if it is one.
pub fn metrics_format(head: &[u8]) -> Option<MetricsFormat> {
    let start = head.iter().position(|c| !c.is_ascii_whitespace())?;
    let body = &head[start..];
    let lines: Vec<&[u8]> = body
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.trim_ascii().is_empty())
        .take(32)
        .collect();
    // A cut last line (the head ends mid-line) is not judged.
    let judged = if lines.len() > 1 && !head.ends_with(b"\n") {
        &lines[..lines.len() - 1]
    } else {
        &lines[..]
    };
    let first = lines.first()?;
    let has = |k: &[u8]| memchr::memmem::find(body, k).is_some();

    if body[0] == b'{' && judged.iter().all(|l| sample_line(l)) {
        // `promtool tsdb dump`: `{__name__="up", job="a"} 1 1700000000000`.
        return Some(MetricsFormat::Exposition);
    }
    if body[0] == b'{' || body[0] == b'[' {
        if has(b"\"resultType\"")
            || ((has(b"\"status\":\"success\"") || has(b"\"status\": \"success\""))
                && has(b"\"data\""))
        {
            return Some(MetricsFormat::PrometheusApi);
        }
        if has(b"metrics.k8s.io")
            && super::kube::document(head).is_some_and(|d| d.kind.ends_with("Metrics"))
        {
            return Some(MetricsFormat::MetricsApi);
        }
        let line = std::str::from_utf8(first).ok()?;
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(line) {
            if m.contains_key("metric") && m.contains_key("values") && m.contains_key("timestamps")
            {
                return Some(MetricsFormat::VictoriaJson);
            }
            if m.contains_key("__name__") && m.values().all(serde_json::Value::is_string) {
                return Some(MetricsFormat::SeriesJson);
            }
        }
        return None;
    }
    if has(b"metrics.k8s.io")
        && super::kube::document(head).is_some_and(|d| d.kind.ends_with("Metrics"))
    {
        return Some(MetricsFormat::MetricsApi);
    }
    let first_text = String::from_utf8_lossy(first);
    if kubectl_top_header(&first_text) {
        return Some(MetricsFormat::KubectlTop);
    }
    if victoria_csv_header(&first_text) {
        return Some(MetricsFormat::VictoriaCsv);
    }
    if lines
        .iter()
        .any(|l| l.starts_with(b"# CONTEXT-DATABASE:") || *l == b"# DML")
    {
        return Some(MetricsFormat::Influx);
    }
    // Exposition text: metadata, and sample lines that parse.
    let mut samples = 0;
    let mut meta = 0;
    let mut other = 0;
    for l in judged {
        let t = l.trim_ascii_start();
        if t.starts_with(b"#") && {
            let w = t[1..].trim_ascii_start();
            w.starts_with(b"HELP") || w.starts_with(b"TYPE") || w.starts_with(b"UNIT ")
        } {
            meta += 1;
        } else if t.starts_with(b"#") {
        } else if sample_line(l) {
            samples += 1;
        } else {
            other += 1;
        }
    }
    // A broken line among them does not make a scrape something else.
    let metadata_led = meta > 0 && samples > 0 && samples + meta >= 2 * other;
    let samples_only = samples >= 2 && samples >= 4 * other;
    let one = (meta > 0 || samples > 0) && other == 0;
    if metadata_led || samples_only || one {
        return Some(MetricsFormat::Exposition);
    }
    let influx = judged
        .iter()
        .filter(|l| !l.starts_with(b"#"))
        .filter(|l| std::str::from_utf8(l).is_ok_and(influx_line))
        .count();
    let data = judged.iter().filter(|l| !l.starts_with(b"#")).count();
    if data > 0 && influx == data {
        return Some(MetricsFormat::Influx);
    }
    None
}

/// Whether a line is `name[{labels}] value [timestamp]` (text format rules).
fn sample_line(l: &[u8]) -> bool {
    let l = crate::metrics::expo::normalize_text_sample(l.trim_ascii_start());
    let l = &l[..];
    let Ok(end) = series_end(l) else { return false };
    if end == 0 || parse_series(&l[..end], false).is_err() {
        return false;
    }
    let rest = &l[end..];
    let rest = match memchr::memmem::find(rest, b" # {") {
        Some(h) => &rest[..h],
        None => rest,
    };
    if !rest.first().is_some_and(|c| *c == b' ' || *c == b'\t') && !l[..end].ends_with(b"}") {
        return false;
    }
    let mut tokens = rest
        .split(|&c| c == b' ' || c == b'\t')
        .filter(|t| !t.is_empty());
    let value_ok = tokens.next().and_then(parse_float).is_some();
    let ts_ok = tokens
        .next()
        .is_none_or(|t| parse_float(t).is_some_and(f64::is_finite));
    value_ok && ts_ok && tokens.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_content() {
        let cases: &[(&[u8], Option<MetricsFormat>)] = &[
            (
                b"# HELP up x\n# TYPE up gauge\nup 1\n",
                Some(MetricsFormat::Exposition),
            ),
            (
                b"up{job=\"a\"} 1 1700000000000\nup{job=\"b\"} 0 1700000000000\n",
                Some(MetricsFormat::Exposition),
            ),
            (
                b"{__name__=\"m\", a=\"b\"} 1 0\n{__name__=\"m\", a=\"b\"} 2 60000\n",
                Some(MetricsFormat::Exposition),
            ),
            (
                b"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}",
                Some(MetricsFormat::PrometheusApi),
            ),
            (
                b"{\"metric\":{\"__name__\":\"up\"},\"values\":[1],\"timestamps\":[1]}\n",
                Some(MetricsFormat::VictoriaJson),
            ),
            (
                b"{\"__name__\":\"up\",\"job\":\"a\"}\n",
                Some(MetricsFormat::SeriesJson),
            ),
            (
                b"NAME   CPU(cores)   MEMORY(bytes)\nweb    1m           2Mi\n",
                Some(MetricsFormat::KubectlTop),
            ),
            (
                b"__name__,__value__,__timestamp__:unix_ms\nup,1,1\n",
                Some(MetricsFormat::VictoriaCsv),
            ),
            (
                b"cpu,host=a usage=1 1465839830100400200\ncpu,host=b usage=2 1465839830100400200\n",
                Some(MetricsFormat::Influx),
            ),
            (
                b"kind: PodMetricsList\napiVersion: metrics.k8s.io/v1beta1\nitems: []\n",
                Some(MetricsFormat::MetricsApi),
            ),
            // Logs are not metrics.
            (b"I0101 12:00:00.000000       1 main.go:1] started\n", None),
            (b"{\"level\":\"info\",\"msg\":\"x\"}\n", None),
            (
                b"2024-01-01T00:00:00Z INFO started\n2024-01-01T00:00:01Z INFO ok\n",
                None,
            ),
            (b"hello world\n", None),
            // A scrape with a broken line is still a scrape.
            (
                b"# TYPE a gauge\na{x=\"1\"} 1\na{x=\"2} 2\na 3\n",
                Some(MetricsFormat::Exposition),
            ),
            (b"kind: Pod\napiVersion: v1\n", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                metrics_format(input),
                *want,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
