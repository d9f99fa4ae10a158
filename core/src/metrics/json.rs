//! JSON metrics exports: the Prometheus HTTP API, VictoriaMetrics `/api/v1/export`,
//! `promtool tsdb dump --format seriesjson`, and metrics.k8s.io resource usage.

use serde_json::Value;

use super::{Labels, MetricType, NO_TS, Parsed, ProblemKind, SeriesInterner, count_lines};

/// Splits a JSON object of string members into the metric name (`__name__`) and labels.
fn name_and_labels(metric: &serde_json::Map<String, Value>) -> (String, Labels) {
    let mut name = String::new();
    let mut labels = Vec::with_capacity(metric.len());
    for (k, v) in metric {
        let v = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if k == "__name__" {
            name = v;
        } else {
            labels.push((k.clone(), v));
        }
    }
    (name, labels)
}

/// A sample value as the API writes it: a string (`"1"`, `"NaN"`, `"+Inf"`) or a number.
fn value_of(v: &Value) -> Option<f64> {
    match v {
        Value::String(s) => super::expo::parse_float(s.as_bytes()),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// `[unix seconds (float), "value"]`.
fn pair(v: &Value) -> Option<(i64, Option<f64>)> {
    let a = v.as_array()?;
    let t = super::ms_of_seconds(a.first()?.as_f64()?)?;
    Some((t, a.get(1).and_then(value_of)))
}

/// Reads a whole JSON document, or records why not (every line unparsed).
fn document(bytes: &[u8], out: &mut Parsed) -> Option<Value> {
    out.lines = count_lines(bytes);
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => {
            out.other_lines = out.lines;
            Some(v)
        }
        Err(e) => {
            out.problem(
                e.line() as u64,
                ProblemKind::Unparsed,
                format!("not valid JSON ({e}): its lines are counted as unparsed"),
            );
            out.unparsed = out.lines;
            None
        }
    }
}

/// A Prometheus HTTP API response: `{"status":"success","data":{"resultType":"matrix",
/// "result":[...]}}` (also without the envelope), or a `/api/v1/series` answer (`"data":
/// [{labels}, ...]`).
pub(crate) fn parse_api(bytes: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let Some(doc) = document(bytes, &mut out) else {
        return out;
    };
    if doc.get("status").and_then(Value::as_str) == Some("error") {
        let msg = doc.get("error").and_then(Value::as_str).unwrap_or("?");
        out.problem(0, ProblemKind::Warning, format!("an error response: {msg}"));
        return out;
    }
    let data = doc.get("data").unwrap_or(&doc);
    let mut interner = SeriesInterner::default();
    if let Some(list) = data.as_array() {
        // /api/v1/series: label sets only.
        out.series_only = true;
        for m in list {
            if let Some(obj) = m.as_object() {
                let (name, labels) = name_and_labels(obj);
                interner.id(&mut out, name, labels, MetricType::Unknown);
            }
        }
        return out;
    }
    let kind = data.get("resultType").and_then(Value::as_str).unwrap_or("");
    let result = data.get("result").unwrap_or(&Value::Null);
    let mut native = 0usize;
    match kind {
        "scalar" => {
            if let Some((ts, Some(v))) = pair(result) {
                let id = interner.id(&mut out, "scalar".into(), Vec::new(), MetricType::Unknown);
                out.push_sample(id, ts, v, 1);
            }
        }
        "string" => {
            out.problem(0, ProblemKind::Warning, "a string result holds no samples");
        }
        "vector" | "matrix" => {
            for r in result.as_array().into_iter().flatten() {
                let (name, labels) = r
                    .get("metric")
                    .and_then(Value::as_object)
                    .map(name_and_labels)
                    .unwrap_or_default();
                let id = interner.id(&mut out, name, labels, MetricType::Unknown);
                let points: Vec<&Value> = match (r.get("value"), r.get("values")) {
                    (Some(v), _) => vec![v],
                    (_, Some(Value::Array(vs))) => vs.iter().collect(),
                    _ => Vec::new(),
                };
                for p in points {
                    match pair(p) {
                        Some((ts, Some(v))) => out.push_sample(id, ts, v, 1),
                        _ => out.problem(
                            0,
                            ProblemKind::Invalid,
                            format!(
                                "a point that is not [time, \"value\"] with a time in range: {p}"
                            ),
                        ),
                    }
                }
                native += r.get("histogram").map_or(0, |_| 1)
                    + r.get("histograms")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                // Native histograms: their count and sum as two series.
                let hists: Vec<&Value> = match (r.get("histogram"), r.get("histograms")) {
                    (Some(h), _) => vec![h],
                    (_, Some(Value::Array(hs))) => hs.iter().collect(),
                    _ => Vec::new(),
                };
                if !hists.is_empty() {
                    let s = &out.series[id as usize];
                    let (base, labels) = (s.name.clone(), s.labels.clone());
                    let count_id = interner.id(
                        &mut out,
                        format!("{base}_count"),
                        labels.clone(),
                        MetricType::Unknown,
                    );
                    let sum_id =
                        interner.id(&mut out, format!("{base}_sum"), labels, MetricType::Unknown);
                    for h in hists {
                        let Some(a) = h.as_array() else { continue };
                        let (Some(t), Some(body)) = (a.first().and_then(Value::as_f64), a.get(1))
                        else {
                            continue;
                        };
                        let Some(ts) = super::ms_of_seconds(t) else {
                            out.problem(
                                0,
                                ProblemKind::Invalid,
                                format!("a histogram time out of range: {t}"),
                            );
                            continue;
                        };
                        if let Some(c) = body.get("count").and_then(value_of) {
                            out.push_sample(count_id, ts, c, 1);
                        }
                        if let Some(s) = body.get("sum").and_then(value_of) {
                            out.push_sample(sum_id, ts, s, 1);
                        }
                    }
                }
            }
        }
        other => {
            out.problem(
                0,
                ProblemKind::Warning,
                format!("not a query result (resultType {other:?})"),
            );
        }
    }
    if native > 0 {
        out.problem(
            0,
            ProblemKind::Warning,
            format!(
                "{native} native histogram points: their count and sum are kept as <name>_count and <name>_sum, their buckets are not"
            ),
        );
    }
    out
}

/// VictoriaMetrics `/api/v1/export`: one JSON object per line,
/// `{"metric":{...},"values":[...],"timestamps":[...]}` (ms).
pub(crate) fn parse_victoria(bytes: &[u8]) -> Parsed {
    let mut out = Parsed::default();
    let mut interner = SeriesInterner::default();
    for (i, line) in bytes.split(|&c| c == b'\n').enumerate() {
        let number = i as u64 + 1;
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_slice(line) {
            Ok(v) => v,
            Err(e) => {
                out.problem(
                    number,
                    ProblemKind::Unparsed,
                    format!("not a JSON line: {e}"),
                );
                continue;
            }
        };
        let (Some(metric), Some(values), Some(times)) = (
            v.get("metric").and_then(Value::as_object),
            v.get("values").and_then(Value::as_array),
            v.get("timestamps").and_then(Value::as_array),
        ) else {
            out.problem(
                number,
                ProblemKind::Unparsed,
                "not an export line (`metric`, `values`, `timestamps`)",
            );
            continue;
        };
        let (name, labels) = name_and_labels(metric);
        let id = interner.id(&mut out, name, labels, MetricType::Unknown);
        if values.len() != times.len() {
            out.problem(
                number,
                ProblemKind::Invalid,
                format!(
                    "{} values but {} timestamps: the extra ones are left out",
                    values.len(),
                    times.len()
                ),
            );
        }
        for (v, t) in values.iter().zip(times) {
            let v = match v {
                Value::Null => Some(f64::NAN),
                other => value_of(other),
            };
            match (v, t.as_i64()) {
                (Some(v), Some(t)) => out.push_sample(id, t, v, number),
                _ => out.problem(
                    number,
                    ProblemKind::Invalid,
                    "a value or timestamp that is not a number",
                ),
            }
        }
    }
    out.lines = count_lines(bytes);
    out.other_lines = out.lines - out.unparsed - lines_with_samples(&out);
    out
}

/// Lines holding at least one sample.
fn lines_with_samples(out: &Parsed) -> u64 {
    let mut n = 0;
    let mut last = 0;
    for &l in &out.sample_line {
        if l != last {
            n += 1;
            last = l;
        }
    }
    n
}

/// `promtool tsdb dump --format seriesjson`: one JSON object of labels per line.
pub(crate) fn parse_series_json(bytes: &[u8]) -> Parsed {
    let mut out = Parsed {
        series_only: true,
        ..Parsed::default()
    };
    let mut interner = SeriesInterner::default();
    for (i, line) in bytes.split(|&c| c == b'\n').enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(m)) => {
                let (name, labels) = name_and_labels(&m);
                interner.id(&mut out, name, labels, MetricType::Unknown);
            }
            _ => out.problem(
                i as u64 + 1,
                ProblemKind::Unparsed,
                "not a JSON object of labels",
            ),
        }
    }
    out.lines = count_lines(bytes);
    out.other_lines = out.lines - out.unparsed;
    out
}

/// A Kubernetes quantity (`250m`, `1234567n`, `128Mi`, `1.5G`, `2e3`) as a number.
pub(crate) fn parse_quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    let (num, mult) = [
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("Ei", 1024f64.powi(6)),
        // Fractions divide: `3800m` / 1000 is the double nearest 3.8, `3800 * 0.001` is not.
        ("n", -1e9),
        ("u", -1e6),
        ("m", -1e3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ]
    .iter()
    .find_map(|(suffix, m)| s.strip_suffix(suffix).map(|n| (n, *m)))
    .unwrap_or((s, 1.0));
    let v: f64 = num.parse().ok()?;
    let v = if mult < 0.0 { v / -mult } else { v * mult };
    v.is_finite().then_some(v)
}

/// metrics.k8s.io `PodMetrics`, `NodeMetrics` or their lists, as JSON or YAML: usage per
/// container (`container_cpu_usage_cores`, `container_memory_working_set_bytes`) or node
/// (`node_cpu_usage_cores`, `node_memory_working_set_bytes`), at each item's `timestamp`.
pub(crate) fn parse_metrics_api(bytes: &[u8]) -> Parsed {
    let mut out = Parsed {
        lines: count_lines(bytes),
        ..Parsed::default()
    };
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(_) => match serde_norway::from_slice::<Value>(bytes) {
            Ok(v) => v,
            Err(e) => {
                out.problem(
                    e.location().map_or(1, |l| l.line() as u64),
                    ProblemKind::Unparsed,
                    format!("not valid JSON or YAML ({e}): its lines are counted as unparsed"),
                );
                out.unparsed = out.lines;
                return out;
            }
        },
    };
    out.other_lines = out.lines;
    let items: Vec<&Value> = match doc.get("items").and_then(Value::as_array) {
        Some(items) => items.iter().collect(),
        None => vec![&doc],
    };
    let mut interner = SeriesInterner::default();
    for item in items {
        let kind = item
            .get("kind")
            .and_then(Value::as_str)
            .or_else(|| doc.get("kind").and_then(Value::as_str))
            .unwrap_or("");
        let name = item
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let ts = item
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(|s| crate::time::parse_rfc3339_nanos(s.as_bytes()))
            .map_or(NO_TS, |n| n / 1_000_000);
        let mut push = |out: &mut Parsed, metric: &str, labels: Labels, usage: &Value| {
            for (res, suffix) in [
                ("cpu", "cpu_usage_cores"),
                ("memory", "memory_working_set_bytes"),
            ] {
                let Some(q) = usage.get(res) else { continue };
                let q = match q {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match parse_quantity(&q) {
                    Some(v) => {
                        let id = interner.id(
                            out,
                            format!("{metric}_{suffix}"),
                            labels.clone(),
                            MetricType::Gauge,
                        );
                        out.push_sample(id, ts, v, 1);
                    }
                    None => out.problem(0, ProblemKind::Invalid, format!("invalid quantity {q:?}")),
                }
            }
        };
        if kind.starts_with("NodeMetrics") || item.get("usage").is_some() {
            if let Some(usage) = item.get("usage") {
                push(&mut out, "node", vec![("node".into(), name)], usage);
            }
            continue;
        }
        let namespace = item
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        for c in item
            .get("containers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let container = c
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if let Some(usage) = c.get("usage") {
                push(
                    &mut out,
                    "container",
                    vec![
                        ("namespace".into(), namespace.clone()),
                        ("pod".into(), name.clone()),
                        ("container".into(), container),
                    ],
                    usage,
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_matrix_vector_scalar_series() {
        let p = parse_api(br#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"a"},"values":[[1700000000,"1"],[1700000015.5,"NaN"]]}]}}"#);
        assert_eq!(p.series[0].name, "up");
        assert_eq!(p.sample_ts, vec![1_700_000_000_000, 1_700_000_015_500]);
        assert!(p.sample_value[1].is_nan());
        let p = parse_api(br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[1,"+Inf"]}]}}"#);
        assert_eq!(p.series[0].name, "");
        assert!(p.sample_value[0].is_infinite());
        let p =
            parse_api(br#"{"status":"success","data":{"resultType":"scalar","result":[2,"3"]}}"#);
        assert_eq!((p.sample_ts[0], p.sample_value[0]), (2000, 3.0));
        let p = parse_api(br#"{"status":"success","data":[{"__name__":"up","job":"a"},{"__name__":"up","job":"b"}]}"#);
        assert!(p.series_only);
        assert_eq!(p.series.len(), 2);
        let p = parse_api(b"{\"status\":\"success\",\n\"data\":[");
        assert_eq!(p.unparsed, 2);
    }

    #[test]
    fn victoria_export_lines() {
        let p = parse_victoria(b"{\"metric\":{\"__name__\":\"up\",\"job\":\"a\"},\"values\":[1,0],\"timestamps\":[1549891472010,1549891487724]}\nnot json\n");
        assert_eq!(p.samples(), 2);
        assert_eq!(p.sample_ts[1], 1549891487724);
        assert_eq!(p.unparsed, 1);
        assert_eq!(p.lines, 2);
        assert_eq!(p.other_lines, 0);
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("250m"), Some(0.25));
        assert_eq!(parse_quantity("128Mi"), Some(134217728.0));
        assert_eq!(parse_quantity("1234567n"), Some(0.001234567));
        assert_eq!(parse_quantity("2"), Some(2.0));
        assert_eq!(parse_quantity("1.5G"), Some(1.5e9));
        assert_eq!(parse_quantity("x"), None);
        // Node capacities: exact milli-cores, binary and decimal suffixes.
        assert_eq!(parse_quantity("3800m"), Some(3.8));
        assert_eq!(parse_quantity("16393916Ki"), Some(16_393_916.0 * 1024.0));
        assert_eq!(parse_quantity("2E"), Some(2e18));
        assert_eq!(parse_quantity("12Zi"), None);
    }

    #[test]
    fn metrics_api_pods_and_nodes() {
        let p = parse_metrics_api(br#"{"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","items":[{"metadata":{"name":"web-1","namespace":"shop"},"timestamp":"2024-01-01T12:00:00Z","window":"30s","containers":[{"name":"app","usage":{"cpu":"250m","memory":"64Mi"}}]}]}"#);
        assert_eq!(p.samples(), 2);
        assert_eq!(p.series[0].name, "container_cpu_usage_cores");
        assert_eq!(p.sample_value, vec![0.25, 67108864.0]);
        assert_eq!(p.sample_ts[0], 1_704_110_400_000);
        let p = parse_metrics_api(b"kind: NodeMetricsList\napiVersion: metrics.k8s.io/v1beta1\nitems:\n- metadata:\n    name: n1\n  timestamp: \"2024-01-01T12:00:00Z\"\n  usage:\n    cpu: 1500m\n    memory: 1Gi\n");
        assert_eq!(p.series[0].name, "node_cpu_usage_cores");
        assert_eq!(p.series[0].labels, vec![("node".into(), "n1".into())]);
        assert_eq!(p.sample_value, vec![1.5, 1073741824.0]);
    }
}
