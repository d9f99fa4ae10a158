//! systemd journal records, as `journalctl -o json` (one object per line), `-o json-pretty` and
//! JSON arrays of records (read through the plain framing's JSON documents) write them.
//!
//! The record's `MESSAGE` (a string, or an array of bytes when it is not UTF-8) is the entry's
//! message and is parsed as a second layer: klog from the kubelet, logrus from containerd, JSON
//! from anything else. The time is `_SOURCE_REALTIME_TIMESTAMP`, else `__REALTIME_TIMESTAMP`
//! (microseconds); the level is the second layer's, else `PRIORITY` (syslog severities); the
//! component is the unit (`kubelet` for `kubelet.service`), else `SYSLOG_IDENTIFIER`;
//! `_HOSTNAME` is the `host` field, and the entry's node when the bundle puts the file under
//! none. The other members become fields.

#[cfg(test)]
use super::PayloadCase;
use super::json::{JsonValue, scan_whole_object_inner};
use super::{EntryFormat, PayloadContext, PayloadInfo, PayloadParser};
use crate::level::Level;

/// Whether a JSON object payload looks like a journal record (checked before the generic JSON
/// parser; cheap: two substring searches on the first bytes).
pub(crate) fn looks_like_record(payload: &[u8]) -> bool {
    // Journal fields are upper case or start with `_`; loggers' keys rarely do. Only then
    // search further.
    let after_brace = payload.get(1..).unwrap_or_default().trim_ascii_start();
    let first_key = after_brace.strip_prefix(b"\"").and_then(<[u8]>::first);
    if !first_key.is_some_and(|c| c.is_ascii_uppercase() || *c == b'_') {
        return false;
    }
    let head = &payload[..payload.len().min(4096)];
    memchr::memmem::find(head, b"\"MESSAGE\"").is_some()
        && (memchr::memmem::find(payload, b"REALTIME_TIMESTAMP\"").is_some()
            || memchr::memmem::find(head, b"\"_SYSTEMD_UNIT\"").is_some()
            || memchr::memmem::find(head, b"\"__CURSOR\"").is_some())
}

fn syslog_level(priority: &[u8]) -> Option<Level> {
    Some(Level::from_syslog(
        std::str::from_utf8(priority).ok()?.trim().parse().ok()?,
    ))
}

/// A member's value as bytes: strings decoded, arrays of numbers as the bytes they list (the
/// journal's form for non-UTF-8 values), anything else as written.
fn value_bytes(v: JsonValue<'_>, out: &mut Vec<u8>) {
    out.clear();
    match v {
        JsonValue::Str(s) => s.decode_into(out),
        JsonValue::Array(raw) => {
            let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default();
            let bytes: Option<Vec<u8>> = inner
                .split(|&c| c == b',')
                .map(|n| std::str::from_utf8(n.trim_ascii()).ok()?.parse::<u8>().ok())
                .collect();
            match bytes {
                Some(b) if !inner.trim_ascii().is_empty() => out.extend_from_slice(&b),
                // An array of strings (a field given twice) or anything else: as written.
                _ => out.extend_from_slice(raw),
            }
        }
        JsonValue::Null => {}
        other => out.extend_from_slice(other.to_text().as_bytes()),
    }
}

/// Parses a journal record; `None` when the payload is not one JSON object.
pub(crate) fn parse(
    payload: &[u8],
    ctx: PayloadContext,
    p: &mut PayloadParser,
) -> Option<PayloadInfo> {
    let mut message: Option<Vec<u8>> = None;
    let (mut source_ts, mut realtime_ts) = (None, None);
    let mut priority = None;
    let (mut unit, mut ident, mut host) = (None, None, None);
    let mut buf = Vec::new();
    let mut other: Vec<(String, String)> = Vec::new();
    scan_whole_object_inner(payload, ctx.may_have_newlines, |k, v| {
        let key = k.decode();
        value_bytes(v, &mut buf);
        match key.as_ref() {
            "MESSAGE" => message = Some(buf.clone()),
            "_SOURCE_REALTIME_TIMESTAMP" => source_ts = micros(&buf),
            "__REALTIME_TIMESTAMP" => realtime_ts = micros(&buf),
            "PRIORITY" => {
                priority = syslog_level(&buf);
                if ctx.want_fields {
                    other.push((key.into_owned(), String::from_utf8_lossy(&buf).into_owned()));
                }
            }
            "_SYSTEMD_UNIT" => unit = Some(String::from_utf8_lossy(&buf).into_owned()),
            "SYSLOG_IDENTIFIER" => ident = Some(String::from_utf8_lossy(&buf).into_owned()),
            "_HOSTNAME" => {
                host = Some(String::from_utf8_lossy(&buf).into_owned());
                if ctx.want_fields {
                    other.push(("host".into(), String::from_utf8_lossy(&buf).into_owned()));
                }
            }
            _ => {
                if ctx.want_fields && !key.starts_with("__") {
                    other.push((key.into_owned(), String::from_utf8_lossy(&buf).into_owned()));
                }
            }
        }
    })
    .ok()?;
    let message = message.unwrap_or_default();
    let mut inner = p.inner.take().unwrap_or_default();
    let ts = source_ts.or(realtime_ts);
    let inner_ctx = PayloadContext {
        runtime_ts_nanos: ts.or(ctx.runtime_ts_nanos),
        want_app_ts: false,
        may_have_newlines: true,
        ..ctx
    };
    let info = inner.parse(&message, inner_ctx);
    let level = if info.level != Level::Unknown {
        p.level_raw.push_str(&inner.level_raw);
        info.level
    } else if let Some(l) = priority {
        l
    } else {
        Level::Unknown
    };
    if ctx.want_fields {
        for (k, v) in inner.fields.iter() {
            p.fields.push(k, v);
        }
        if let Some(u) = &unit {
            p.fields.push("_SYSTEMD_UNIT", u);
        }
        if let Some(i) = &ident {
            p.fields.push("SYSLOG_IDENTIFIER", i);
        }
        for (k, v) in &other {
            p.fields.push(k, v);
        }
    }
    p.inner = Some(inner);
    let component = unit
        .as_deref()
        .map(|u| u.strip_suffix(".service").unwrap_or(u))
        .or(ident.as_deref());
    if let Some(c) = component {
        p.meta.touch().component.push_str(c);
    }
    if let Some(h) = host {
        p.meta.touch().node.push_str(&h);
    }
    p.body.clear();
    p.body.extend_from_slice(&message);
    p.has_body = true;
    Some(PayloadInfo {
        format: EntryFormat::JOURNALD,
        level,
        app_ts_nanos: ts,
    })
}

fn micros(b: &[u8]) -> Option<i64> {
    let n: i64 = std::str::from_utf8(b).ok()?.trim().parse().ok()?;
    n.checked_mul(1000)
}

/// Table-driven cases.
#[cfg(test)]
pub(crate) fn cases() -> Vec<PayloadCase> {
    vec![
        PayloadCase {
            input: r#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1704110400000001","PRIORITY":"6","_SYSTEMD_UNIT":"kubelet.service","_HOSTNAME":"node-1","MESSAGE":"E0101 12:00:00.000000    812 kubelet.go:1] \"boom\" pod=\"default/a\""}"#,
            format: None,
            level: Level::Error,
            level_raw: "E",
            app_ts_nanos: Some(1_704_110_400_000_001_000),
            fields: vec![
                ("caller", "kubelet.go:1"),
                ("msg", "boom"),
                ("pod", "default/a"),
                ("_SYSTEMD_UNIT", "kubelet.service"),
                ("PRIORITY", "6"),
                ("host", "node-1"),
            ],
        },
        PayloadCase {
            input: r#"{"_SYSTEMD_UNIT":"badunit.service","MESSAGE":[194,191,72,101,108,108,111,63],"_SOURCE_REALTIME_TIMESTAMP":"1578529839140003","PRIORITY":"3","__CURSOR":"3"}"#,
            format: None,
            level: Level::Error,
            level_raw: "",
            app_ts_nanos: Some(1_578_529_839_140_003_000),
            fields: vec![("_SYSTEMD_UNIT", "badunit.service"), ("PRIORITY", "3")],
        },
    ]
}
