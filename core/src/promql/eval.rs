//! Evaluation: an expression at one time, and a range query as the instant evaluation at each
//! step.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use promql_parser::label::{MatchOp, Matchers};
use promql_parser::parser::{
    AggregateExpr, AtModifier, BinaryExpr, Expr, LabelModifier, Offset, VectorMatchCardinality,
    VectorSelector,
};

use super::{Error, Labels, Storage, Value, drop_name, is_stale};

mod functions;

/// What a query is evaluated against.
#[derive(Debug)]
pub struct Engine<'a> {
    /// The series.
    pub storage: &'a Storage,
    /// How far back an instant selector looks for a sample (ms).
    pub lookback_ms: i64,
    /// The query's first step (ms): what `@ start()` means.
    pub start: i64,
    /// The query's last step (ms): what `@ end()` means.
    pub end: i64,
    /// Steps (of a range query and its subqueries) still allowed: a query cannot run for
    /// ever (`x[100y:1ms]`).
    pub budget: std::cell::Cell<u64>,
}

/// Steps a query may take in all, as Prometheus bounds a query's samples (50 million).
pub const MAX_STEPS: u64 = 50_000_000;

/// Evaluates `expr` at `t` (ms).
pub fn eval_instant(
    storage: &Storage,
    expr: &Expr,
    t: i64,
    lookback_ms: i64,
) -> Result<Value, Error> {
    let engine = Engine {
        storage,
        lookback_ms,
        start: t,
        end: t,
        budget: std::cell::Cell::new(MAX_STEPS),
    };
    let v = engine.eval(expr, t)?;
    if let Value::Vector(v) = &v {
        unique_labels(v)?;
    }
    Ok(v)
}

/// Refuses a vector holding two samples of one label set (two series that dropping
/// `__name__` made alike), as Prometheus does.
fn unique_labels(v: &[(Labels, f64)]) -> Result<(), Error> {
    let mut seen = std::collections::HashSet::new();
    for (l, _) in v {
        if !seen.insert(l) {
            return Err(Error::Invalid(
                "vector cannot contain metrics with the same labelset".into(),
            ));
        }
    }
    Ok(())
}

/// Evaluates `expr` at each step from `start` to `end` (ms): one series per label set, with
/// its value at each step where it had one.
pub fn eval_range(
    storage: &Storage,
    expr: &Expr,
    (start, end, step): (i64, i64, i64),
    lookback_ms: i64,
) -> Result<Value, Error> {
    if step <= 0 {
        return Err(Error::Invalid(
            "zero or negative query resolution step".into(),
        ));
    }
    if (end - start) / step > 11_000 {
        return Err(Error::Invalid(
            "exceeded maximum resolution of 11,000 points per timeseries".into(),
        ));
    }
    let engine = Engine {
        storage,
        lookback_ms,
        start,
        end,
        budget: std::cell::Cell::new(MAX_STEPS),
    };
    let mut out: HashMap<Labels, Vec<(i64, f64)>> = HashMap::new();
    let mut t = start;
    while t <= end {
        match engine.eval(expr, t)? {
            Value::Scalar(v) => out.entry(Vec::new()).or_default().push((t, v)),
            Value::Vector(v) => {
                unique_labels(&v)?;
                for (labels, value) in v {
                    out.entry(labels).or_default().push((t, value));
                }
            }
            Value::String(_) | Value::Matrix(_) => {
                return Err(Error::Invalid(
                    "range queries take expressions of type scalar or instant vector".into(),
                ));
            }
        }
        t += step;
    }
    let mut m: Vec<(Labels, Vec<(i64, f64)>)> = out.into_iter().collect();
    m.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Value::Matrix(m))
}

/// Milliseconds of a duration.
pub(super) fn ms(d: &Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn system_ms(t: &SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => ms(&d),
        Err(e) => -ms(&e.duration()),
    }
}

/// A label's value ("" when the series has none).
pub(super) fn label<'a>(labels: &'a Labels, name: &str) -> &'a str {
    labels
        .binary_search_by(|(k, _)| k.as_str().cmp(name))
        .map_or("", |i| labels[i].1.as_str())
}

/// Sets (or, with an empty value, removes) a label, keeping the labels sorted.
pub(super) fn set_label(labels: &mut Labels, name: &str, value: &str) {
    match labels.binary_search_by(|(k, _)| k.as_str().cmp(name)) {
        Ok(i) if value.is_empty() => {
            labels.remove(i);
        }
        Ok(i) => labels[i].1 = value.to_string(),
        Err(_) if value.is_empty() => {}
        Err(i) => labels.insert(i, (name.to_string(), value.to_string())),
    }
}

impl Engine<'_> {
    /// The time a selector or subquery reads at: `@` and `offset` applied to `t`.
    pub(super) fn shifted(&self, t: i64, at: &Option<AtModifier>, offset: &Option<Offset>) -> i64 {
        let base = match at {
            None => t,
            Some(AtModifier::Start) => self.start,
            Some(AtModifier::End) => self.end,
            Some(AtModifier::At(s)) => system_ms(s),
        };
        match offset {
            None => base,
            Some(Offset::Pos(d)) => base - ms(d),
            Some(Offset::Neg(d)) => base + ms(d),
        }
    }

    /// The series a selector names.
    fn select<'s>(
        &'s self,
        vs: &'s VectorSelector,
    ) -> impl Iterator<Item = &'s super::Series> + 's {
        self.storage
            .series
            .iter()
            .filter(move |s| matches(&s.labels, vs.name.as_deref(), &vs.matchers))
    }

    /// What an instant selector gives at `t`: per series, its latest sample in (t -
    /// lookback, t] (`@` and `offset` applied), unless that is a stale marker.
    pub(super) fn select_instant(&self, vs: &VectorSelector, t: i64) -> Vec<(Labels, i64, f64)> {
        let at = self.shifted(t, &vs.at, &vs.offset);
        let mut out = Vec::new();
        for s in self.select(vs) {
            let end = s.samples.partition_point(|x| x.0 <= at);
            if end == 0 {
                continue;
            }
            let (ts, v) = s.samples[end - 1];
            if ts > at - self.lookback_ms && !is_stale(v) {
                out.push((s.labels.clone(), ts, v));
            }
        }
        out
    }

    /// Takes one step of the budget.
    fn step(&self) -> Result<(), Error> {
        let left = self.budget.get();
        if left == 0 {
            return Err(Error::Invalid(format!(
                "query processing would take more than {MAX_STEPS} steps"
            )));
        }
        self.budget.set(left - 1);
        Ok(())
    }

    /// Evaluates `expr` at `t` (ms).
    pub fn eval(&self, expr: &Expr, t: i64) -> Result<Value, Error> {
        match expr {
            Expr::NumberLiteral(n) => Ok(Value::Scalar(n.val)),
            Expr::StringLiteral(s) => Ok(Value::String(s.val.clone())),
            Expr::Paren(p) => self.eval(&p.expr, t),
            Expr::Unary(u) => match self.eval(&u.expr, t)? {
                Value::Scalar(v) => Ok(Value::Scalar(-v)),
                Value::Vector(v) => Ok(Value::Vector(
                    v.into_iter().map(|(l, x)| (drop_name(l), -x)).collect(),
                )),
                _ => Err(Error::Invalid(
                    "unary minus takes a scalar or a vector".into(),
                )),
            },
            Expr::VectorSelector(vs) => Ok(Value::Vector(
                self.select_instant(vs, t)
                    .into_iter()
                    .map(|(l, _, v)| (l, v))
                    .collect(),
            )),
            Expr::MatrixSelector(m) => {
                let at = self.shifted(t, &m.vs.at, &m.vs.offset);
                let from = at - ms(&m.range);
                let mut out = Vec::new();
                for s in self.select(&m.vs) {
                    let lo = s.samples.partition_point(|x| x.0 <= from);
                    let hi = s.samples.partition_point(|x| x.0 <= at);
                    let points: Vec<(i64, f64)> = s.samples[lo..hi]
                        .iter()
                        .copied()
                        .filter(|x| !is_stale(x.1))
                        .collect();
                    if !points.is_empty() {
                        out.push((s.labels.clone(), points));
                    }
                }
                Ok(Value::Matrix(out))
            }
            Expr::Subquery(sq) => {
                let at = self.shifted(t, &sq.at, &sq.offset);
                let step = sq.step.as_ref().map_or(60_000, ms).max(1);
                let from = at - ms(&sq.range);
                // Steps aligned to multiples of the step, after `from`, up to `at`.
                let mut ts = from.div_euclid(step) * step;
                if ts <= from {
                    ts += step;
                }
                let mut out: Vec<(Labels, Vec<(i64, f64)>)> = Vec::new();
                let mut index: HashMap<Labels, usize> = HashMap::new();
                while ts <= at {
                    self.step()?;
                    match self.eval(&sq.expr, ts)? {
                        Value::Vector(v) => {
                            for (l, x) in v {
                                let k = *index.entry(l.clone()).or_insert_with(|| {
                                    out.push((l, Vec::new()));
                                    out.len() - 1
                                });
                                out[k].1.push((ts, x));
                            }
                        }
                        Value::Scalar(x) => {
                            let k = *index.entry(Vec::new()).or_insert_with(|| {
                                out.push((Vec::new(), Vec::new()));
                                out.len() - 1
                            });
                            out[k].1.push((ts, x));
                        }
                        _ => return Err(Error::Invalid("subquery of a non-vector".into())),
                    }
                    ts += step;
                }
                Ok(Value::Matrix(out))
            }
            Expr::Call(c) => functions::call(self, c, t),
            Expr::Aggregate(a) => self.aggregate(a, t),
            Expr::Binary(b) => self.binary(b, t),
            Expr::Extension(_) => Err(Error::Unsupported("extension expressions".into())),
        }
    }

    fn aggregate(&self, a: &AggregateExpr, t: i64) -> Result<Value, Error> {
        let op = a.op.to_string().to_lowercase();
        let param = match &a.param {
            Some(p) => Some(self.eval(p, t)?),
            None => None,
        };
        let Value::Vector(input) = self.eval(&a.expr, t)? else {
            return Err(Error::Invalid(format!("{op} takes an instant vector")));
        };
        let key =
            |l: &Labels| -> Labels { a.modifier.as_ref().map_or_else(Vec::new, |m| grouped(l, m)) };
        let mut groups: Vec<(Labels, Vec<(Labels, f64)>)> = Vec::new();
        let mut index: HashMap<Labels, usize> = HashMap::new();
        for (l, v) in input {
            let k = key(&l);
            let g = *index.entry(k.clone()).or_insert_with(|| {
                groups.push((k, Vec::new()));
                groups.len() - 1
            });
            groups[g].1.push((l, v));
        }
        let scalar_param = || match &param {
            Some(Value::Scalar(v)) => Ok(*v),
            _ => Err(Error::Invalid(format!("{op} takes a scalar parameter"))),
        };
        let mut out: Vec<(Labels, f64)> = Vec::new();
        match op.as_str() {
            "sum" | "avg" | "count" | "group" | "min" | "max" | "stddev" | "stdvar" => {
                for (k, members) in groups {
                    let vals: Vec<f64> = members.iter().map(|m| m.1).collect();
                    let v = match op.as_str() {
                        "sum" => kahan_sum(&vals),
                        "avg" => mean(&vals),
                        "count" => vals.len() as f64,
                        "group" => 1.0,
                        "min" => vals
                            .iter()
                            .copied()
                            .fold(f64::NAN, |a, b| if a.is_nan() || b < a { b } else { a }),
                        "max" => vals
                            .iter()
                            .copied()
                            .fold(f64::NAN, |a, b| if a.is_nan() || b > a { b } else { a }),
                        "stddev" => variance(&vals).sqrt(),
                        _ => variance(&vals),
                    };
                    out.push((k, v));
                }
            }
            "topk" | "bottomk" => {
                let k = scalar_param()?;
                if k.is_nan() {
                    return Err(Error::Invalid(format!("Parameter value is NaN for {op}")));
                }
                let k = if k >= 9.2e18 {
                    usize::MAX
                } else {
                    k.max(0.0) as usize
                };
                let top = op == "topk";
                for (_, mut members) in groups {
                    members.sort_by(|a, b| by_value(a.1, b.1, top));
                    out.extend(members.into_iter().take(k));
                }
            }
            "quantile" => {
                let q = scalar_param()?;
                for (k, members) in groups {
                    let vals: Vec<f64> = members.iter().map(|m| m.1).collect();
                    out.push((k, quantile(q, vals)));
                }
            }
            "count_values" => {
                let Some(Value::String(name)) = &param else {
                    return Err(Error::Invalid("count_values takes a label name".into()));
                };
                if !valid_label_name(name) {
                    return Err(Error::Invalid(format!("invalid label name {name:?}")));
                }
                let mut counts: Vec<(Labels, f64)> = Vec::new();
                for (k, members) in groups {
                    for (_, v) in members {
                        let mut l = k.clone();
                        set_label(&mut l, name, &format_value(v));
                        match counts.iter_mut().find(|c| c.0 == l) {
                            Some(c) => c.1 += 1.0,
                            None => counts.push((l, 1.0)),
                        }
                    }
                }
                out = counts;
            }
            other => return Err(Error::Unsupported(format!("aggregation {other}"))),
        }
        Ok(Value::Vector(out))
    }

    fn binary(&self, b: &BinaryExpr, t: i64) -> Result<Value, Error> {
        let op = b.op.to_string().to_lowercase();
        let return_bool = b.modifier.as_ref().is_some_and(|m| m.return_bool);
        let lhs = self.eval(&b.lhs, t)?;
        let rhs = self.eval(&b.rhs, t)?;
        let comparison = matches!(op.as_str(), "==" | "!=" | ">" | "<" | ">=" | "<=");
        match (lhs, rhs) {
            (Value::Scalar(a), Value::Scalar(c)) => {
                let v = arith(&op, a, c)?;
                Ok(Value::Scalar(if comparison {
                    f64::from(u8::from(v != 0.0))
                } else {
                    v
                }))
            }
            (Value::Vector(v), Value::Scalar(s)) => {
                Ok(scalar_binary(&op, v, s, true, comparison, return_bool)?)
            }
            (Value::Scalar(s), Value::Vector(v)) => {
                Ok(scalar_binary(&op, v, s, false, comparison, return_bool)?)
            }
            (Value::Vector(l), Value::Vector(r)) => self.vector_binary(b, &op, l, r),
            _ => Err(Error::Invalid(format!("operator {op} on these types"))),
        }
    }

    fn vector_binary(
        &self,
        b: &BinaryExpr,
        op: &str,
        lhs: Vec<(Labels, f64)>,
        rhs: Vec<(Labels, f64)>,
    ) -> Result<Value, Error> {
        let modifier = b.modifier.as_ref();
        let matching = modifier.and_then(|m| m.matching.as_ref());
        let card = modifier.map_or(&VectorMatchCardinality::OneToOne, |m| &m.card);
        let return_bool = modifier.is_some_and(|m| m.return_bool);
        let signature = |l: &Labels| -> Labels {
            match matching {
                Some(m) => grouped(l, m),
                None => drop_name(l.clone()),
            }
        };
        match op {
            "and" | "unless" => {
                let right: std::collections::HashSet<Labels> =
                    rhs.iter().map(|(l, _)| signature(l)).collect();
                let keep = op == "and";
                return Ok(Value::Vector(
                    lhs.into_iter()
                        .filter(|(l, _)| right.contains(&signature(l)) == keep)
                        .collect(),
                ));
            }
            "or" => {
                let left: std::collections::HashSet<Labels> =
                    lhs.iter().map(|(l, _)| signature(l)).collect();
                let mut out = lhs;
                out.extend(
                    rhs.into_iter()
                        .filter(|(l, _)| !left.contains(&signature(l))),
                );
                return Ok(Value::Vector(out));
            }
            _ => {}
        }
        let comparison = matches!(op, "==" | "!=" | ">" | "<" | ">=" | "<=");
        // The "one" side, by signature.
        let (many, one, swapped) = match card {
            VectorMatchCardinality::OneToMany(_) => (rhs, lhs, true),
            _ => (lhs, rhs, false),
        };
        let mut one_by: HashMap<Labels, (Labels, f64)> = HashMap::new();
        for (l, v) in one {
            let sig = signature(&l);
            if one_by.insert(sig, (l, v)).is_some() {
                let side = if swapped { "left" } else { "right" };
                return Err(Error::Invalid(format!(
                    "found duplicate series for the match group on the {side} hand-side of the operation; many-to-many matching not allowed: matching labels must be unique on one side"
                )));
            }
        }
        let one_to_one = matches!(card, VectorMatchCardinality::OneToOne);
        let include: &[String] = card.labels().map_or(&[], |l| &l.labels);
        // `fill(v)`, `fill_left(v)`, `fill_right(v)`: a series without a match on the other
        // side meets this value instead (Prometheus 3's experimental fill modifiers).
        let fill = modifier.map(|m| &m.fill_values);
        let (fill_many, fill_one) = match fill {
            Some(f) if swapped => (f.rhs, f.lhs),
            Some(f) => (f.lhs, f.rhs),
            None => (None, None),
        };
        let mut seen: HashMap<Labels, ()> = HashMap::new();
        let mut matched: std::collections::HashSet<Labels> = std::collections::HashSet::new();
        let mut out = Vec::new();
        let drop = !comparison || return_bool;
        // The result's labels, from the series `l` of the many side (or an unmatched one).
        let result_labels = |l: &Labels, sig: &Labels, ol: Option<&Labels>| -> Labels {
            let mut labels = if one_to_one {
                match matching {
                    Some(LabelModifier::Include(_)) => sig.clone(),
                    Some(LabelModifier::Exclude(ign)) => l
                        .iter()
                        .filter(|(k, _)| !ign.labels.iter().any(|n| n == k))
                        .cloned()
                        .collect(),
                    None => l.clone(),
                }
            } else {
                l.clone()
            };
            if drop {
                labels = drop_name(labels);
            }
            for name in include {
                set_label(&mut labels, name, ol.map_or("", |ol| label(ol, name)));
            }
            labels
        };
        let mut emit = |labels: Labels, a: f64, c: f64| -> Result<(), Error> {
            let r = arith(op, a, c)?;
            if seen.insert(labels.clone(), ()).is_some() {
                return Err(Error::Invalid(if one_to_one {
                    "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)".into()
                } else {
                    "multiple matches for labels: grouping labels must ensure unique matches".into()
                }));
            }
            if comparison {
                if return_bool {
                    out.push((labels, f64::from(u8::from(r != 0.0))));
                } else if r != 0.0 {
                    out.push((labels, a));
                }
            } else {
                out.push((labels, r));
            }
            Ok(())
        };
        for (l, v) in many {
            let sig = signature(&l);
            let (ol, ov) = match one_by.get(&sig) {
                Some((ol, ov)) => (Some(ol), *ov),
                None => match fill_one {
                    Some(f) => (None, f),
                    None => continue,
                },
            };
            if ol.is_some() {
                matched.insert(sig.clone());
            }
            let (a, c) = if swapped { (ov, v) } else { (v, ov) };
            emit(result_labels(&l, &sig, ol), a, c)?;
        }
        if let Some(f) = fill_many {
            let mut unmatched: Vec<_> = one_by
                .iter()
                .filter(|(sig, _)| !matched.contains(*sig))
                .collect();
            unmatched.sort_by(|x, y| x.0.cmp(y.0));
            for (sig, (ol, ov)) in unmatched {
                let (a, c) = if swapped { (*ov, f) } else { (f, *ov) };
                emit(result_labels(ol, sig, Some(ol)), a, c)?;
            }
        }
        Ok(Value::Vector(out))
    }
}

/// A vector and a scalar: `vector_left` when the vector is the left operand.
fn scalar_binary(
    op: &str,
    v: Vec<(Labels, f64)>,
    s: f64,
    vector_left: bool,
    comparison: bool,
    return_bool: bool,
) -> Result<Value, Error> {
    let mut out = Vec::new();
    for (l, x) in v {
        let (a, c) = if vector_left { (x, s) } else { (s, x) };
        let r = arith(op, a, c)?;
        if comparison {
            if return_bool {
                out.push((drop_name(l), f64::from(u8::from(r != 0.0))));
            } else if r != 0.0 {
                out.push((l, x));
            }
        } else {
            out.push((drop_name(l), r));
        }
    }
    Ok(Value::Vector(out))
}

/// `a op b` for the arithmetic and comparison operators (a comparison gives 1 or 0).
fn arith(op: &str, a: f64, b: f64) -> Result<f64, Error> {
    Ok(match op {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => a / b,
        "%" => a % b,
        "^" => a.powf(b),
        "atan2" => a.atan2(b),
        "==" => f64::from(u8::from(a == b)),
        "!=" => f64::from(u8::from(a != b)),
        ">" => f64::from(u8::from(a > b)),
        "<" => f64::from(u8::from(a < b)),
        ">=" => f64::from(u8::from(a >= b)),
        "<=" => f64::from(u8::from(a <= b)),
        other => return Err(Error::Unsupported(format!("operator {other}"))),
    })
}

/// Whether a series' labels satisfy a selector.
fn matches(labels: &Labels, name: Option<&str>, m: &Matchers) -> bool {
    if name.is_some_and(|n| label(labels, "__name__") != n) {
        return false;
    }
    let all = |group: &[promql_parser::label::Matcher]| {
        group.iter().all(|x| {
            let v = label(labels, &x.name);
            match &x.op {
                MatchOp::Equal => x.value == v,
                MatchOp::NotEqual => x.value != v,
                _ => x.is_match(v),
            }
        })
    };
    if m.or_matchers.is_empty() {
        all(&m.matchers)
    } else {
        m.or_matchers.iter().any(|g| all(g))
    }
}

/// Sum with Kahan-Babuška compensation, as Prometheus sums.
pub(super) fn kahan_sum(v: &[f64]) -> f64 {
    let (mut sum, mut c) = (0.0f64, 0.0f64);
    for &x in v {
        let t = sum + x;
        if sum.abs() >= x.abs() {
            c += (sum - t) + x;
        } else {
            c += (x - t) + sum;
        }
        sum = t;
    }
    if sum.is_infinite() { sum } else { sum + c }
}

pub(super) fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let s = kahan_sum(v);
    // Infinite inputs give an infinite (or NaN) mean; only an overflow of finite ones needs
    // the running mean.
    if s.is_finite() || v.iter().any(|x| x.is_infinite()) {
        return s / v.len() as f64;
    }
    // Past the float range: the running mean, as Prometheus falls back to.
    let mut m = 0.0;
    for (i, &x) in v.iter().enumerate() {
        m += x / (i + 1) as f64 - m / (i + 1) as f64;
    }
    m
}

/// Population variance, by Welford's method.
pub(super) fn variance(v: &[f64]) -> f64 {
    let (mut n, mut m, mut m2) = (0.0, 0.0, 0.0);
    for &x in v {
        n += 1.0;
        let d = x - m;
        m += d / n;
        m2 += d * (x - m);
    }
    if n == 0.0 { f64::NAN } else { m2 / n }
}

/// The φ-quantile of `v` by linear interpolation between closest ranks, as Prometheus computes
/// `quantile`.
pub(super) fn quantile(q: f64, mut v: Vec<f64>) -> f64 {
    if v.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    // NaN sorts first, as Go's sort of float64s puts it.
    v.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        _ => a.total_cmp(b),
    });
    let n = v.len() as f64;
    let rank = q * (n - 1.0);
    let lo = rank.floor().max(0.0);
    let hi = (lo + 1.0).min(n - 1.0);
    let w = rank - lo;
    v[lo as usize] * (1.0 - w) + v[hi as usize] * w
}

/// A value as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it.
pub(super) fn format_value(v: f64) -> String {
    match crate::metrics::write::non_finite(v) {
        Some(s) => s.into(),
        None => format!("{v}"),
    }
}

/// Samples ordered by value, ascending or `desc`, NaN last either way (`topk`, `sort`).
pub(super) fn by_value(a: f64, b: f64, desc: bool) -> std::cmp::Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ if desc => b.total_cmp(&a),
        _ => a.total_cmp(&b),
    }
}

/// The labels `by (...)`/`on (...)` keep, or those `without (...)`/`ignoring (...)` leave
/// (`__name__` left out too).
fn grouped(l: &Labels, m: &LabelModifier) -> Labels {
    let listed = |k: &String| m.labels().labels.iter().any(|n| n == k);
    match m {
        LabelModifier::Include(_) => l.iter().filter(|(k, _)| listed(k)).cloned().collect(),
        LabelModifier::Exclude(_) => l
            .iter()
            .filter(|(k, _)| k != "__name__" && !listed(k))
            .cloned()
            .collect(),
    }
}

pub(super) fn valid_label_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}
