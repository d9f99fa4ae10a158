//! PromQL's functions, as Prometheus computes them.

use promql_parser::parser::{Call, Expr};

use super::{Engine, by_value, kahan_sum, label, mean, ms, quantile, set_label, variance};
use crate::promql::{Error, Labels, Value, drop_name};

type Vector = Vec<(Labels, f64)>;
type Matrix = Vec<(Labels, Vec<(i64, f64)>)>;
/// A function of a range's samples (`None`: no value).
type Over<'a> = &'a dyn Fn(&[(i64, f64)]) -> Option<f64>;

/// Evaluates a function call at `t`.
pub(super) fn call(e: &Engine<'_>, c: &Call, t: i64) -> Result<Value, Error> {
    let name = c.func.name;
    let args = &c.args.args;
    let arg = |i: usize| -> Result<Value, Error> {
        match args.get(i) {
            Some(a) => e.eval(a, t),
            None => Err(Error::Invalid(format!(
                "{name}: missing argument {}",
                i + 1
            ))),
        }
    };
    let vector = |i: usize| -> Result<Vector, Error> {
        match arg(i)? {
            Value::Vector(v) => Ok(v),
            _ => Err(Error::Invalid(format!("{name} takes an instant vector"))),
        }
    };
    let scalar = |i: usize| -> Result<f64, Error> {
        match arg(i)? {
            Value::Scalar(v) => Ok(v),
            _ => Err(Error::Invalid(format!("{name} takes a scalar"))),
        }
    };
    let string = |i: usize| -> Result<String, Error> {
        match arg(i)? {
            Value::String(v) => Ok(v),
            _ => Err(Error::Invalid(format!("{name} takes a string"))),
        }
    };
    let matrix = |i: usize| -> Result<Matrix, Error> {
        match arg(i)? {
            Value::Matrix(m) => Ok(m),
            _ => Err(Error::Invalid(format!("{name} takes a range vector"))),
        }
    };
    let each = |f: &dyn Fn(f64) -> f64| -> Result<Value, Error> {
        Ok(Value::Vector(
            vector(0)?
                .into_iter()
                .map(|(l, v)| (drop_name(l), f(v)))
                .collect(),
        ))
    };
    let over = |f: Over<'_>, keep_name: bool| -> Result<Value, Error> {
        let m = matrix(args.len() - 1)?;
        Ok(Value::Vector(
            m.into_iter()
                .filter_map(|(l, pts)| {
                    let l = if keep_name { l } else { drop_name(l) };
                    f(&pts).map(|v| (l, v))
                })
                .collect(),
        ))
    };
    let values = |p: &[(i64, f64)]| p.iter().map(|x| x.1).collect::<Vec<f64>>();
    match name {
        "abs" => each(&f64::abs),
        "ceil" => each(&f64::ceil),
        "floor" => each(&f64::floor),
        "exp" => each(&f64::exp),
        "ln" => each(&f64::ln),
        "log2" => each(&f64::log2),
        "log10" => each(&f64::log10),
        "sqrt" => each(&f64::sqrt),
        "sgn" => each(&|v: f64| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else {
                v
            }
        }),
        "sin" => each(&f64::sin),
        "cos" => each(&f64::cos),
        "tan" => each(&f64::tan),
        "asin" => each(&f64::asin),
        "acos" => each(&f64::acos),
        "atan" => each(&f64::atan),
        "sinh" => each(&f64::sinh),
        "cosh" => each(&f64::cosh),
        "tanh" => each(&f64::tanh),
        "asinh" => each(&f64::asinh),
        "acosh" => each(&f64::acosh),
        "atanh" => each(&f64::atanh),
        "deg" => each(&f64::to_degrees),
        "rad" => each(&f64::to_radians),
        "pi" => Ok(Value::Scalar(std::f64::consts::PI)),
        "time" => Ok(Value::Scalar(t as f64 / 1000.0)),
        "round" => {
            let to = if args.len() > 1 { scalar(1)? } else { 1.0 };
            let inv = 1.0 / to;
            each(&|v: f64| (v * inv + 0.5).floor() / inv)
        }
        "clamp" => {
            let (lo, hi) = (scalar(1)?, scalar(2)?);
            if hi < lo {
                return Ok(Value::Vector(Vec::new()));
            }
            each(&|v: f64| v.max(lo).min(hi))
        }
        "clamp_min" => {
            let lo = scalar(1)?;
            each(&|v: f64| v.max(lo))
        }
        "clamp_max" => {
            let hi = scalar(1)?;
            each(&|v: f64| v.min(hi))
        }
        "vector" => Ok(Value::Vector(vec![(Vec::new(), scalar(0)?)])),
        "scalar" => {
            let v = vector(0)?;
            Ok(Value::Scalar(if v.len() == 1 { v[0].1 } else { f64::NAN }))
        }
        "timestamp" => timestamp(e, args.first().map(|b| &**b), t),
        "sort" | "sort_desc" => {
            let mut v = vector(0)?;
            let desc = name == "sort_desc";
            v.sort_by(|a, b| by_value(a.1, b.1, desc));
            Ok(Value::Vector(v))
        }
        "label_replace" => {
            let (dst, repl, src, re) = (string(1)?, string(2)?, string(3)?, string(4)?);
            let regex = regex::Regex::new(&format!("^(?s:{re})$")).map_err(|e| {
                Error::Invalid(format!(
                    "invalid regular expression in label_replace(): {re}: {e}"
                ))
            })?;
            if dst.is_empty() || !dst.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(Error::Invalid(format!(
                    "invalid destination label name in label_replace(): {dst}"
                )));
            }
            let mut out = Vec::new();
            for (mut l, v) in vector(0)? {
                let value = label(&l, &src).to_string();
                if let Some(caps) = regex.captures(&value) {
                    let mut result = String::new();
                    caps.expand(&repl, &mut result);
                    set_label(&mut l, &dst, &result);
                }
                out.push((l, v));
            }
            Ok(Value::Vector(out))
        }
        "label_join" => {
            let (dst, sep) = (string(1)?, string(2)?);
            let mut srcs = Vec::new();
            for i in 3..args.len() {
                srcs.push(string(i)?);
            }
            let mut out = Vec::new();
            for (mut l, v) in vector(0)? {
                let joined = srcs
                    .iter()
                    .map(|s| label(&l, s).to_string())
                    .collect::<Vec<_>>()
                    .join(&sep);
                set_label(&mut l, &dst, &joined);
                out.push((l, v));
            }
            Ok(Value::Vector(out))
        }
        "absent" => {
            if !vector(0)?.is_empty() {
                return Ok(Value::Vector(Vec::new()));
            }
            Ok(Value::Vector(vec![(
                absent_labels(args.first().map(|b| &**b)),
                1.0,
            )]))
        }
        "absent_over_time" => {
            if !matrix(0)?.is_empty() {
                return Ok(Value::Vector(Vec::new()));
            }
            Ok(Value::Vector(vec![(
                absent_labels(args.first().map(|b| &**b)),
                1.0,
            )]))
        }
        "rate" | "increase" | "delta" => {
            let (from, to, range) = range_bounds(e, args.first().map(|b| &**b), t)?;
            let counter = name != "delta";
            let is_rate = name == "rate";
            over(
                &|p: &[(i64, f64)]| extrapolated(p, from, to, range, counter, is_rate),
                false,
            )
        }
        "irate" | "idelta" => over(
            &|p: &[(i64, f64)]| {
                let n = p.len();
                if n < 2 {
                    return None;
                }
                let ((t0, v0), (t1, v1)) = (p[n - 2], p[n - 1]);
                let dv = if name == "irate" && v1 < v0 {
                    v1
                } else {
                    v1 - v0
                };
                if name == "irate" {
                    let dt = (t1 - t0) as f64 / 1000.0;
                    if dt == 0.0 {
                        return None;
                    }
                    Some(dv / dt)
                } else {
                    Some(dv)
                }
            },
            false,
        ),
        "resets" => over(
            &|p: &[(i64, f64)]| Some(p.windows(2).filter(|w| w[1].1 < w[0].1).count() as f64),
            false,
        ),
        "changes" => over(
            &|p: &[(i64, f64)]| {
                Some(
                    p.windows(2)
                        .filter(|w| w[1].1 != w[0].1 && !(w[1].1.is_nan() && w[0].1.is_nan()))
                        .count() as f64,
                )
            },
            false,
        ),
        "avg_over_time" => over(&|p: &[(i64, f64)]| Some(mean(&values(p))), false),
        "sum_over_time" => over(&|p: &[(i64, f64)]| Some(kahan_sum(&values(p))), false),
        "count_over_time" => over(&|p: &[(i64, f64)]| Some(p.len() as f64), false),
        "min_over_time" => over(
            &|p: &[(i64, f64)]| {
                Some(
                    p.iter()
                        .map(|x| x.1)
                        .fold(f64::NAN, |a, b| if a.is_nan() || b < a { b } else { a }),
                )
            },
            false,
        ),
        "max_over_time" => over(
            &|p: &[(i64, f64)]| {
                Some(
                    p.iter()
                        .map(|x| x.1)
                        .fold(f64::NAN, |a, b| if a.is_nan() || b > a { b } else { a }),
                )
            },
            false,
        ),
        "last_over_time" => over(&|p: &[(i64, f64)]| p.last().map(|x| x.1), true),
        "present_over_time" => over(&|_: &[(i64, f64)]| Some(1.0), false),
        "stddev_over_time" => over(&|p: &[(i64, f64)]| Some(variance(&values(p)).sqrt()), false),
        "stdvar_over_time" => over(&|p: &[(i64, f64)]| Some(variance(&values(p))), false),
        "quantile_over_time" => {
            let q = scalar(0)?;
            over(&|p: &[(i64, f64)]| Some(quantile(q, values(p))), false)
        }
        "deriv" => over(
            &|p: &[(i64, f64)]| (p.len() >= 2).then(|| linear_regression(p, p[0].0).0),
            false,
        ),
        "predict_linear" => {
            let dur = scalar(1)?;
            let m = matrix(0)?;
            let at = range_bounds(e, args.first().map(|b| &**b), t)?.1;
            Ok(Value::Vector(
                m.into_iter()
                    .filter(|(_, p)| p.len() >= 2)
                    .map(|(l, p)| {
                        let (slope, intercept) = linear_regression(&p, at);
                        (drop_name(l), slope * dur + intercept)
                    })
                    .collect(),
            ))
        }
        "histogram_quantile" => {
            let q = scalar(0)?;
            histogram_quantile(q, vector(1)?)
        }
        "days_in_month" | "day_of_month" | "day_of_week" | "day_of_year" | "hour" | "minute"
        | "month" | "year" => {
            let v = if args.is_empty() {
                vec![(Vec::new(), t as f64 / 1000.0)]
            } else {
                vector(0)?
            };
            Ok(Value::Vector(
                v.into_iter()
                    .map(|(l, secs)| (drop_name(l), date_part(name, secs)))
                    .collect(),
            ))
        }
        other => Err(Error::Unsupported(format!("function {other}"))),
    }
}

/// The time range a range function's argument covers: (start, end, range) in ms.
fn range_bounds(e: &Engine<'_>, a: Option<&Expr>, t: i64) -> Result<(i64, i64, i64), Error> {
    let mut a = a;
    while let Some(Expr::Paren(p)) = a {
        a = Some(&p.expr);
    }
    let (range, at, offset) = match a {
        Some(Expr::MatrixSelector(m)) => (ms(&m.range), &m.vs.at, &m.vs.offset),
        Some(Expr::Subquery(s)) => (ms(&s.range), &s.at, &s.offset),
        _ => return Err(Error::Invalid("expected a range vector".into())),
    };
    let end = e.shifted(t, at, offset);
    Ok((end - range, end, range))
}

/// `rate`, `increase` and `delta`: the change over the samples, extrapolated towards the
/// range's ends as Prometheus does.
fn extrapolated(
    p: &[(i64, f64)],
    from: i64,
    to: i64,
    range: i64,
    counter: bool,
    is_rate: bool,
) -> Option<f64> {
    if p.len() < 2 {
        return None;
    }
    let (first, last) = (p[0], p[p.len() - 1]);
    let mut result = last.1 - first.1;
    if counter {
        let mut prev = first.1;
        for &(_, v) in &p[1..] {
            if v < prev {
                result += prev;
            }
            prev = v;
        }
    }
    let mut to_start = (first.0 - from) as f64 / 1000.0;
    let mut to_end = (to - last.0) as f64 / 1000.0;
    let sampled = (last.0 - first.0) as f64 / 1000.0;
    let average = sampled / (p.len() - 1) as f64;
    let threshold = average * 1.1;
    if to_start >= threshold {
        to_start = average / 2.0;
    }
    if counter && result > 0.0 && first.1 >= 0.0 {
        let to_zero = sampled * (first.1 / result);
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    if to_end >= threshold {
        to_end = average / 2.0;
    }
    let mut factor = (sampled + to_start + to_end) / sampled;
    if is_rate {
        factor /= range as f64 / 1000.0;
    }
    Some(result * factor)
}

/// Least squares over the samples, times taken relative to `at` (s): (slope, intercept).
fn linear_regression(p: &[(i64, f64)], at: i64) -> (f64, f64) {
    let n = p.len() as f64;
    let (mut sx, mut sy, mut sxy, mut sx2) = (0.0, 0.0, 0.0, 0.0);
    let const_y = p.iter().all(|x| x.1 == p[0].1);
    for &(t, v) in p {
        let x = (t - at) as f64 / 1000.0;
        sx += x;
        sy += v;
        sxy += x * v;
        sx2 += x * x;
    }
    if const_y {
        return (0.0, p[0].1);
    }
    let cov = sxy - sx * sy / n;
    let var = sx2 - sx * sx / n;
    let slope = cov / var;
    (slope, sy / n - slope * sx / n)
}

/// `timestamp(v)`: the time of each sample (s); for a selector, the sample's own time.
fn timestamp(e: &Engine<'_>, a: Option<&Expr>, t: i64) -> Result<Value, Error> {
    let Some(a) = a else {
        return Err(Error::Invalid("timestamp takes an argument".into()));
    };
    let mut inner = a;
    while let Expr::Paren(p) = inner {
        inner = &p.expr;
    }
    if let Expr::VectorSelector(vs) = inner {
        return Ok(Value::Vector(
            e.select_instant(vs, t)
                .into_iter()
                .map(|(l, ts, _)| (drop_name(l), ts as f64 / 1000.0))
                .collect(),
        ));
    }
    match e.eval(a, t)? {
        Value::Vector(v) => Ok(Value::Vector(
            v.into_iter()
                .map(|(l, _)| (drop_name(l), t as f64 / 1000.0))
                .collect(),
        )),
        _ => Err(Error::Invalid("timestamp takes an instant vector".into())),
    }
}

/// The labels `absent` gives: the equality matchers of its selector.
fn absent_labels(a: Option<&Expr>) -> Labels {
    let mut inner = a;
    while let Some(Expr::Paren(p)) = inner {
        inner = Some(&p.expr);
    }
    let vs = match inner {
        Some(Expr::VectorSelector(vs)) => vs,
        Some(Expr::MatrixSelector(m)) => &m.vs,
        _ => return Vec::new(),
    };
    let mut l = Labels::new();
    let mut seen: Vec<&str> = Vec::new();
    for m in &vs.matchers.matchers {
        if m.name == "__name__" {
            continue;
        }
        if seen.contains(&m.name.as_str()) {
            set_label(&mut l, &m.name, "");
            continue;
        }
        seen.push(&m.name);
        if matches!(m.op, promql_parser::label::MatchOp::Equal) {
            set_label(&mut l, &m.name, &m.value);
        }
    }
    l
}

/// `histogram_quantile` over classic buckets (`le` labels).
fn histogram_quantile(q: f64, v: Vector) -> Result<Value, Error> {
    let mut groups: Vec<(Labels, Vec<(f64, f64)>)> = Vec::new();
    for (l, count) in v {
        let le = label(&l, "le").to_string();
        let Some(ub) = parse_bound(&le) else {
            continue;
        };
        let key: Labels = drop_name(l)
            .into_iter()
            .filter(|(k, _)| k != "le")
            .collect();
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push((ub, count)),
            None => groups.push((key, vec![(ub, count)])),
        }
    }
    let out = groups
        .into_iter()
        .map(|(l, b)| (l, bucket_quantile(q, b)))
        .collect();
    Ok(Value::Vector(out))
}

fn parse_bound(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

/// The quantile of classic buckets (upper bound, cumulative count), as Prometheus computes it.
fn bucket_quantile(q: f64, mut b: Vec<(f64, f64)>) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    b.sort_by(|x, y| x.0.total_cmp(&y.0));
    if b.last().is_none_or(|x| x.0 != f64::INFINITY) {
        return f64::NAN;
    }
    // Same bounds merged, counts made monotonic.
    let mut merged: Vec<(f64, f64)> = Vec::new();
    for (ub, c) in b {
        match merged.last_mut() {
            Some(last) if last.0 == ub => last.1 += c,
            _ => merged.push((ub, c)),
        }
    }
    let mut max = f64::NEG_INFINITY;
    for x in &mut merged {
        if x.1 < max {
            x.1 = max;
        }
        max = x.1;
    }
    if merged.len() < 2 {
        return f64::NAN;
    }
    let total = merged[merged.len() - 1].1;
    if total == 0.0 || total.is_nan() {
        return f64::NAN;
    }
    let mut rank = q * total;
    let i = merged.partition_point(|x| x.1 < rank);
    if i == merged.len() - 1 {
        return merged[merged.len() - 2].0;
    }
    if i == 0 && merged[0].0 <= 0.0 {
        return merged[0].0;
    }
    let (mut start, end, mut count) = (0.0, merged[i].0, merged[i].1);
    if i > 0 {
        start = merged[i - 1].0;
        count -= merged[i - 1].1;
        rank -= merged[i - 1].1;
    }
    start + (end - start) * (rank / count)
}

/// A part of the date of `secs` (UTC).
fn date_part(name: &str, secs: f64) -> f64 {
    if !secs.is_finite() {
        return f64::NAN;
    }
    let s = secs.floor() as i64;
    let days = s.div_euclid(86_400);
    let rem = s.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let before = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334][(m - 1) as usize];
    match name {
        "year" => y as f64,
        "month" => m as f64,
        "day_of_month" => d as f64,
        "day_of_week" => (days + 4).rem_euclid(7) as f64,
        "day_of_year" => (before + d + i64::from(leap && m > 2)) as f64,
        "hour" => (rem / 3600) as f64,
        "minute" => (rem % 3600 / 60) as f64,
        _ => match m {
            2 if leap => 29.0,
            2 => 28.0,
            4 | 6 | 9 | 11 => 30.0,
            _ => 31.0,
        },
    }
}

/// (year, month, day) of days since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}
