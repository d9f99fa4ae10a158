//! klog/glog payloads, as every Kubernetes component writes them:
//! `Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg`, and klog v2's structured form
//! `... file:line] "msg" key="value" key2=3`.
//!
//! The header parser is equivalent to the regex
//! `^([IWEF])(\d\d)(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? +(\d+) ([^ :\]]+):(\d+)\] ?(.*)$`.
//! klog writes no year: it is taken from the runtime's timestamp of the same entry, choosing
//! among the previous, same and next year the one closest to it (so a line written at
//! `Dec 31 23:59:59` and stamped by the runtime at `Jan 1 00:00:00` keeps its year).

#[cfg(test)]
use super::PayloadCase;
use super::{EntryFormat, PayloadContext, PayloadInfo, PayloadParser};
use crate::level::Level;
use crate::time::{NANOS_PER_DAY, civil_from_days, nanos_from_civil};

/// The parsed header of a klog line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KlogHeader {
    /// `I`, `W`, `E` or `F`.
    pub level: Level,
    /// Month, day, hour, minute, second, nanoseconds.
    pub month: u32,
    /// Day of month.
    pub day: u32,
    /// Time of day: seconds since midnight.
    pub secs_of_day: u32,
    /// Fraction of the second, nanoseconds.
    pub nanos: u32,
    /// `file:line` range in the input.
    pub caller: (usize, usize),
    /// Where the message starts in the input.
    pub msg_start: usize,
}

fn num(b: &[u8], at: usize, len: usize) -> Option<u32> {
    let s = b.get(at..at + len)?;
    let mut n = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// Parses a klog header at the start of `b`.
pub(crate) fn parse_klog_header(b: &[u8]) -> Option<KlogHeader> {
    let level = match b.first()? {
        b'I' => Level::Info,
        b'W' => Level::Warn,
        b'E' => Level::Error,
        b'F' => Level::Fatal,
        _ => return None,
    };
    let month = num(b, 1, 2)?;
    let day = num(b, 3, 2)?;
    if b.get(5) != Some(&b' ') || b.get(8) != Some(&b':') || b.get(11) != Some(&b':') {
        return None;
    }
    let (h, m, s) = (num(b, 6, 2)?, num(b, 9, 2)?, num(b, 12, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut i = 14;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let mut scale = 100_000_000u32;
        let start = i;
        while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
            nanos += u32::from(c - b'0') * scale;
            scale /= 10;
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let spaces = b[i..].iter().take_while(|&&c| c == b' ').count();
    if spaces == 0 {
        return None;
    }
    i += spaces;
    let tid = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if tid == 0 || b.get(i + tid) != Some(&b' ') {
        return None;
    }
    i += tid + 1;
    let close = i + memchr::memchr(b']', &b[i..])?;
    let caller = &b[i..close];
    let colon = memchr::memrchr(b':', caller)?;
    if colon == 0
        || colon + 1 == caller.len()
        || !caller[colon + 1..].iter().all(u8::is_ascii_digit)
        || caller[..colon].contains(&b' ')
    {
        return None;
    }
    let mut msg_start = close + 1;
    if b.get(msg_start) == Some(&b' ') {
        msg_start += 1;
    }
    Some(KlogHeader {
        level,
        month,
        day,
        secs_of_day: h * 3600 + m * 60 + s,
        nanos,
        caller: (i, close),
        msg_start,
    })
}

impl KlogHeader {
    /// The header's time in the year that puts it closest to `near_nanos`.
    pub(crate) fn timestamp_near(&self, near_nanos: i64) -> Option<i64> {
        let (year, _, _) = civil_from_days(near_nanos.div_euclid(NANOS_PER_DAY));
        [year, year - 1, year + 1]
            .into_iter()
            .filter_map(|y| {
                let day_start = nanos_from_civil(y, self.month, self.day, 0, 0, 0, 0)?;
                Some(
                    day_start + i64::from(self.secs_of_day) * 1_000_000_000 + i64::from(self.nanos),
                )
            })
            .min_by_key(|t| (t - near_nanos).unsigned_abs())
    }
}

/// Reads a Go-quoted string at the start of `b` (which starts with `"`); returns the decoded
/// text and the offset after the closing quote.
fn go_quoted(b: &[u8], out: &mut Vec<u8>) -> Option<usize> {
    out.clear();
    let mut i = 1;
    loop {
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => {
                let c = *b.get(i + 1)?;
                out.push(match c {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    other => other,
                });
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Parses a klog payload; `None` when the payload has no klog header.
pub(crate) fn parse(msg: &[u8], ctx: PayloadContext, p: &mut PayloadParser) -> Option<PayloadInfo> {
    let h = parse_klog_header(msg)?;
    let letter = &msg[..1];
    p.set_level_raw(std::str::from_utf8(letter).unwrap_or_default());
    if ctx.want_fields {
        p.fields.push_key(&["caller"]);
        p.fields.push_value_bytes(&msg[h.caller.0..h.caller.1]);
        let body = &msg[h.msg_start..];
        if body.first() == Some(&b'"') {
            let mut text = std::mem::take(&mut p.scratch);
            if let Some(end) = go_quoted(body, &mut text) {
                p.fields.push_key(&["msg"]);
                p.fields.push_value_bytes(&text);
                add_pairs(&body[end..], p, &mut text);
            }
            p.scratch = text;
        }
    }
    Some(PayloadInfo {
        format: EntryFormat::KLOG,
        level: h.level,
        app_ts_nanos: ctx
            .runtime_ts_nanos
            .filter(|_| ctx.want_app_ts)
            .and_then(|t| h.timestamp_near(t)),
    })
}

/// The `key=value` pairs after a structured klog message (values plain, Go-quoted, or klog's
/// multi-line form `key=<` newline, tab-indented lines, newline ` >`); stops at the first token
/// that is not a pair.
fn add_pairs(mut rest: &[u8], p: &mut PayloadParser, buf: &mut Vec<u8>) {
    loop {
        let n = rest.iter().take_while(|&&c| c == b' ').count();
        rest = &rest[n..];
        let Some(eq) = memchr::memchr(b'=', rest) else {
            return;
        };
        let key = &rest[..eq];
        if key.is_empty() || key.iter().any(|&c| c == b' ' || c == b'"') {
            return;
        }
        let value_bytes = &rest[eq + 1..];
        let used = if value_bytes.starts_with(b"<\n") {
            let Some(end) = memchr::memmem::find(value_bytes, b"\n >") else {
                return;
            };
            buf.clear();
            for (i, line) in value_bytes[2..end].split(|&c| c == b'\n').enumerate() {
                if i > 0 {
                    buf.push(b'\n');
                }
                buf.extend_from_slice(line.strip_prefix(b"\t").unwrap_or(line));
            }
            end + 3
        } else if value_bytes.first() == Some(&b'"') {
            match go_quoted(value_bytes, buf) {
                Some(used) => used,
                None => return,
            }
        } else {
            let end = value_bytes
                .iter()
                .position(|&c| c == b' ')
                .unwrap_or(value_bytes.len());
            buf.clear();
            buf.extend_from_slice(&value_bytes[..end]);
            end
        };
        p.fields.push_key(&[&String::from_utf8_lossy(key)]);
        p.fields.push_value_bytes(buf);
        rest = &value_bytes[used..];
    }
}

/// The runtime timestamp the cases are parsed with: 2025-02-03T15:52:04.262176345Z.
#[cfg(test)]
pub(crate) const CASES_RUNTIME_TS: i64 = 1_738_597_924_262_176_345;

/// Table-driven cases (parsed with [`CASES_RUNTIME_TS`] as the runtime time).
#[cfg(test)]
pub(crate) fn cases() -> Vec<PayloadCase> {
    const APP: i64 = 1_738_597_924_262_034_000; // 2025-02-03T15:52:04.262034Z
    vec![
        PayloadCase {
            input: "I0203 15:52:04.262034       1 main.go:10] \"config\" data=<\n\tline one\n\t  indented two\n > after=1",
            format: None,
            level: Level::Info,
            level_raw: "I",
            app_ts_nanos: Some(APP),
            fields: vec![
                ("caller", "main.go:10"),
                ("msg", "config"),
                ("data", "line one\n  indented two"),
                ("after", "1"),
            ],
        },
        PayloadCase {
            input: r#"I0203 15:52:04.262034       1 httplog.go:134] "HTTP" verb="GET" URI="/api/v1/pods" latency="1.6ms" resp=200"#,
            format: None,
            level: Level::Info,
            level_raw: "I",
            app_ts_nanos: Some(APP),
            fields: vec![
                ("caller", "httplog.go:134"),
                ("msg", "HTTP"),
                ("verb", "GET"),
                ("URI", "/api/v1/pods"),
                ("latency", "1.6ms"),
                ("resp", "200"),
            ],
        },
        PayloadCase {
            input: "E0203 15:52:04.262034    2345 reflector.go:147] k8s.io/client-go: Failed to watch *v1.Pod: connection refused",
            format: None,
            level: Level::Error,
            level_raw: "E",
            app_ts_nanos: Some(APP),
            fields: vec![("caller", "reflector.go:147")],
        },
        PayloadCase {
            input: "W0203 15:52:04.262034 1 warnings.go:70] \"quoted \\\"msg\\\"\" err=<nil>",
            format: None,
            level: Level::Warn,
            level_raw: "W",
            app_ts_nanos: Some(APP),
            fields: vec![
                ("caller", "warnings.go:70"),
                ("msg", "quoted \"msg\""),
                ("err", "<nil>"),
            ],
        },
        PayloadCase {
            input: "F0203 15:52:04.262034 1 main.go:9] fatal",
            format: None,
            level: Level::Fatal,
            level_raw: "F",
            app_ts_nanos: Some(APP),
            fields: vec![("caller", "main.go:9")],
        },
        // The runtime stamped Feb 3 2025; a line from Dec 31 belongs to 2024.
        PayloadCase {
            input: "I1231 23:59:59.000000 1 a.go:1] late",
            format: None,
            level: Level::Info,
            level_raw: "I",
            app_ts_nanos: Some(1_735_689_599_000_000_000),
            fields: vec![("caller", "a.go:1")],
        },
        // Near misses are text.
        PayloadCase {
            input: "I1301 15:52:04.262034 1 a.go:1] bad month",
            format: Some(EntryFormat::TEXT),
            level: Level::Unknown,
            level_raw: "",
            app_ts_nanos: None,
            fields: vec![],
        },
        PayloadCase {
            input: "INFO starting",
            format: Some(EntryFormat::TEXT),
            level: Level::Info,
            level_raw: "INFO",
            app_ts_nanos: None,
            fields: vec![],
        },
    ]
}
