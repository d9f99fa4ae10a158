//! The `audit` table: Kubernetes API server audit events (`audit.k8s.io/v1` and `v1beta1`
//! `Event` lines, as the log backend writes them), one row per event line. Lines that wrap an
//! event in a cloud provider's record are unwrapped: AKS diagnostics (`properties.log` holding
//! the event, as a string or an object) and GKE Cloud Audit Logs (`protoPayload` for `k8s.io`,
//! mapped field by field; gRPC status codes become HTTP codes).

use std::io::Read;

use polars::prelude::*;
use serde_json::Value;

use super::kube::time as ts;
use crate::diag::{Diagnostic, Severity};
use crate::formats::EntryFormat;
use crate::ingest::{Accounting, FileStats};
use crate::schema::audit as col;
use crate::sources::FileSet;
use crate::sources::plan::{FileRole, FileStatus, Plan};

/// The event in one line: the line itself, or a wrapped event.
fn event_of(v: Value) -> Option<Value> {
    if v.get("kind").and_then(Value::as_str) == Some("Event")
        && v.get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|a| a.starts_with("audit.k8s.io/"))
    {
        return Some(v);
    }
    if let Some(p) = v.get("protoPayload") {
        return gke_event(p, &v);
    }
    match v.pointer("/properties/log")? {
        Value::String(inner) => event_of(serde_json::from_str(inner).ok()?),
        inner @ Value::Object(_) => event_of(inner.clone()),
        _ => None,
    }
}

/// A GKE Cloud Audit Logs record (`protoPayload` of type `AuditLog` for `k8s.io`) as the
/// audit event it describes.
fn gke_event(p: &Value, record: &Value) -> Option<Value> {
    if p.get("serviceName").and_then(Value::as_str) != Some("k8s.io") {
        return None;
    }
    let method = p
        .get("methodName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let verb = method.rsplit('.').next().unwrap_or(method);
    let resource_name = p
        .get("resourceName")
        .and_then(Value::as_str)
        .unwrap_or_default();
    // `core/v1/namespaces/NS/pods/NAME[/SUB]`, `apps/v1/...`, or a path such as `readyz`.
    let parts: Vec<&str> = resource_name.split('/').collect();
    let mut object = serde_json::Map::new();
    if parts.len() >= 3 {
        let rest = &parts[2..];
        let (ns, rest) = match rest {
            ["namespaces", ns, tail @ ..] if !tail.is_empty() => (Some(*ns), tail),
            _ => (None, rest),
        };
        let group = if parts[0] == "core" { "" } else { parts[0] };
        object.insert("apiGroup".into(), group.into());
        if let Some(ns) = ns {
            object.insert("namespace".into(), ns.into());
        }
        for (key, value) in ["resource", "name", "subresource"].iter().zip(rest) {
            object.insert((*key).into(), (*value).into());
        }
    }
    let code = p
        .pointer("/status/code")
        .and_then(Value::as_u64)
        .and_then(|c| match c {
            0 => Some(200),
            3 => Some(400),
            5 => Some(404),
            6 => Some(409),
            7 => Some(403),
            8 => Some(429),
            16 => Some(401),
            13 => Some(500),
            14 => Some(503),
            _ => None,
        });
    Some(serde_json::json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "stage": "ResponseComplete",
        "auditID": record.get("insertId"),
        "verb": verb,
        "requestURI": resource_name,
        "user": {"username": p.pointer("/authenticationInfo/principalEmail")},
        "sourceIPs": p.pointer("/requestMetadata/callerIp").map(|ip| vec![ip.clone()]),
        "userAgent": p.pointer("/requestMetadata/callerSuppliedUserAgent"),
        "objectRef": object,
        "responseStatus": {"code": code},
        "stageTimestamp": record.get("timestamp"),
        "annotations": record.get("labels"),
    }))
}

fn s(v: &Value, path: &str) -> Option<String> {
    match v.pointer(path)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn list(v: &Value, path: &str) -> Option<String> {
    let a = v.pointer(path)?.as_array()?;
    Some(
        a.iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(","),
    )
}

#[derive(Default)]
struct Columns {
    ts: Vec<Option<i64>>,
    received: Vec<Option<i64>>,
    text: Vec<Vec<Option<String>>>,
    code: Vec<Option<u32>>,
    latency_ms: Vec<Option<f64>>,
    source: Vec<String>,
    line: Vec<u64>,
}

/// (column, JSON pointer) of the text columns, in table order.
const TEXT: [(&str, &str); 19] = [
    (col::STAGE, "/stage"),
    (col::LEVEL, "/level"),
    (col::AUDIT_ID, "/auditID"),
    (col::VERB, "/verb"),
    (col::USER, "/user/username"),
    (col::GROUPS, ""),
    (col::IMPERSONATED_USER, "/impersonatedUser/username"),
    (col::USER_AGENT, "/userAgent"),
    (col::SOURCE_IPS, ""),
    (col::REQUEST_URI, "/requestURI"),
    (col::RESOURCE, "/objectRef/resource"),
    (col::SUBRESOURCE, "/objectRef/subresource"),
    (col::API_GROUP, "/objectRef/apiGroup"),
    (col::NAMESPACE, "/objectRef/namespace"),
    (col::NAME, "/objectRef/name"),
    (col::STATUS, "/responseStatus/status"),
    (col::REASON, "/responseStatus/reason"),
    (col::DECISION, "/annotations/authorization.k8s.io~1decision"),
    (col::ANNOTATIONS, ""),
];

/// Reads every audit file of `plan` into the `audit` table (in time order) and records each
/// file's accounting in `report` (lines, entries; lines that are not events are unparsed and
/// reported with file and line).
pub fn read_audit(set: &FileSet, plan: &Plan, report: &mut Accounting) -> crate::Result<DataFrame> {
    let mut c = Columns {
        text: vec![Vec::new(); TEXT.len()],
        ..Columns::default()
    };
    if report.files.len() < set.entries().len() {
        report
            .files
            .resize(set.entries().len(), FileStats::default());
    }
    for (i, f) in plan.files.iter().enumerate() {
        if f.role != FileRole::Audit || f.status != FileStatus::Read {
            continue;
        }
        let path = &set.entries()[i].path;
        let mut bytes = Vec::new();
        let stats = &mut report.files[i];
        stats.read = true;
        if let Err(e) = set.open(i).and_then(|mut r| r.read_to_end(&mut bytes)) {
            report.diagnostics.push(Diagnostic::file(
                path.clone(),
                Severity::Error,
                format!(
                    "read error after {} bytes: {e}; the lines before it were kept",
                    bytes.len()
                ),
            ));
            stats.errors += 1;
        }
        stats.bytes = bytes.len() as u64;
        let mut shown = 0;
        let body = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let pieces = (!bytes.is_empty()).then(|| body.split(|&b| b == b'\n'));
        for (n, raw) in pieces.into_iter().flatten().enumerate() {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.trim_ascii().is_empty() {
                // A blank line: counted, and joined to nothing.
                stats.lines += 1;
                stats.joined += 1;
                continue;
            }
            stats.lines += 1;
            let event = serde_json::from_slice::<Value>(line)
                .ok()
                .and_then(event_of);
            let Some(e) = event else {
                stats.unparsed += 1;
                stats.entries += 1;
                shown += 1;
                if shown <= 10 {
                    report.diagnostics.push(Diagnostic::line(
                        path.clone(),
                        n as u64 + 1,
                        Severity::Error,
                        "not an audit.k8s.io Event: counted as unparsed".to_string(),
                    ));
                }
                continue;
            };
            stats.entries += 1;
            match stats.formats.first_mut() {
                Some((_, n)) => *n += 1,
                None => stats.formats.push((EntryFormat::AUDIT, 1)),
            }
            let received = ts(&e, "/requestReceivedTimestamp");
            let at = ts(&e, "/stageTimestamp")
                .or_else(|| ts(&e, "/timestamp"))
                .or(received);
            if let Some(t) = at {
                stats.first_ts = Some(stats.first_ts.map_or(t, |f| f.min(t)));
                stats.last_ts = Some(stats.last_ts.map_or(t, |l| l.max(t)));
            }
            c.ts.push(at);
            c.received.push(received);
            for (k, (name, ptr)) in TEXT.iter().enumerate() {
                let v = match *name {
                    col::GROUPS => list(&e, "/user/groups"),
                    col::SOURCE_IPS => list(&e, "/sourceIPs"),
                    col::ANNOTATIONS => e
                        .get("annotations")
                        .filter(|a| !a.is_null())
                        .map(Value::to_string),
                    _ => s(&e, ptr),
                };
                c.text[k].push(v);
            }
            c.code.push(
                e.pointer("/responseStatus/code")
                    .and_then(Value::as_u64)
                    .map(|x| x as u32),
            );
            c.latency_ms.push(match (received, at) {
                (Some(r), Some(a)) if a >= r => Some((a - r) as f64 / 1e6),
                _ => None,
            });
            c.source.push(path.clone());
            c.line.push(n as u64 + 1);
        }
        if shown > 10 {
            report.diagnostics.push(Diagnostic::file(
                path.clone(),
                Severity::Error,
                format!("{} more lines that are not audit events", shown - 10),
            ));
        }
    }
    let dt = |name: &str, v: Vec<Option<i64>>| -> Column {
        Int64Chunked::from_iter_options(name.into(), v.into_iter())
            .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
            .into_series()
            .into_column()
    };
    let n = c.line.len();
    let mut columns = vec![dt(col::TS, c.ts), dt(col::RECEIVED_TS, c.received)];
    for ((name, _), v) in TEXT.iter().zip(c.text) {
        columns.push(Column::new((*name).into(), v));
    }
    columns.push(Column::new(col::CODE.into(), c.code));
    columns.push(Column::new(col::LATENCY_MS.into(), c.latency_ms));
    columns.push(Column::new(col::SOURCE.into(), c.source));
    columns.push(Column::new(col::LINE.into(), c.line));
    let mut df = DataFrame::new_with_height(n, columns)?;
    super::cast_to_categorical(&mut df, &[col::NAMESPACE, col::NAME, col::RESOURCE])?;
    Ok(df.sort(
        [col::TS, col::SOURCE, col::LINE],
        SortMultipleOptions::default().with_maintain_order(true),
    )?)
}
