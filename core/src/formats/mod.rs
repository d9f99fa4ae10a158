//! How bytes become entries: the runtime framings (CRI, docker json-file) and the payload formats
//! inside them (JSON, logfmt, klog, text with a level word).
//!
//! Every parser here takes bytes and has table-driven `cases()`, which the picker's tests run
//! too. The picker ([`PayloadParser`]) tries the formats in a fixed order per entry: JSON when
//! the payload starts with `{`, klog when it starts with a klog header, logfmt when every token
//! is `key=value`, otherwise text with a level word.

pub mod cri;
pub mod defined;
pub mod docker;
pub mod journald;
pub mod json;
pub mod klog;
pub mod logfmt;
pub mod payload_json;
pub mod scan;
pub mod text;

use crate::level::Level;

/// The output stream of a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl Stream {
    /// `stdout` or `stderr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// The format of an entry: the `format` column. The parsers built into podsift have fixed ids;
/// formats defined as data ([`defined`]) get theirs when registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryFormat(pub u16);

impl EntryFormat {
    /// A JSON object (zap, logrus, slog, bunyan, pino, ...).
    pub const JSON: EntryFormat = EntryFormat(0);
    /// `key=value` pairs.
    pub(crate) const LOGFMT: EntryFormat = EntryFormat(1);
    /// A klog/glog header (`I0102 15:04:05.000000 1 file.go:12] msg`).
    pub(crate) const KLOG: EntryFormat = EntryFormat(2);
    /// Anything else; the level comes from a level word when there is one.
    pub(crate) const TEXT: EntryFormat = EntryFormat(3);
    /// The line did not parse as the runtime's framing (CRI or json-file); kept verbatim.
    pub(crate) const UNPARSED: EntryFormat = EntryFormat(4);
    /// A systemd journal record (`journalctl -o json` or `-o export`).
    pub(crate) const JOURNALD: EntryFormat = EntryFormat(5);
    /// A Kubernetes API server audit event (the `audit` table).
    pub(crate) const AUDIT: EntryFormat = EntryFormat(6);
    /// A Kubernetes Event (the `events` table).
    pub(crate) const EVENT: EntryFormat = EntryFormat(7);
    /// The first id of formats defined as data.
    pub(crate) const FIRST_DEFINED: u16 = 8;

    const FAMILIES: [(EntryFormat, &'static str, &'static str); 8] = [
        (
            EntryFormat::JSON,
            "json",
            "JSON objects: zap, logrus, slog, bunyan, pino, ECS, Serilog compact, GCP",
        ),
        (
            EntryFormat::LOGFMT,
            "logfmt",
            "key=value pairs (logrus text, go-kit, slog text)",
        ),
        (
            EntryFormat::KLOG,
            "klog",
            "klog/glog: Lmmdd hh:mm:ss.uuuuuu thread file:line] msg, with structured pairs",
        ),
        (
            EntryFormat::TEXT,
            "text",
            "any other line; the level from a level word near its start",
        ),
        (
            EntryFormat::UNPARSED,
            "unparsed",
            "a line that did not parse as its file's framing (CRI, json-file, journal), kept as is",
        ),
        (
            EntryFormat::JOURNALD,
            "journald",
            "systemd journal records: journalctl -o json / json-pretty, arrays of records; MESSAGE parsed as a second layer",
        ),
        (
            EntryFormat::AUDIT,
            "audit",
            "API server audit events (audit.k8s.io Event lines; AKS and GKE wrappers): the audit table",
        ),
        (
            EntryFormat::EVENT,
            "event",
            "Kubernetes Events (kubectl get events -o json|yaml, --watch output; core/v1 and events.k8s.io/v1): the events table",
        ),
    ];

    /// The formats built into the parsers: (format, name, description).
    pub fn families() -> &'static [(EntryFormat, &'static str, &'static str)] {
        &Self::FAMILIES
    }

    /// The built-in parser family with this name.
    pub(crate) fn family_by_name(name: &str) -> Option<EntryFormat> {
        Self::FAMILIES.iter().find(|f| f.1 == name).map(|f| f.0)
    }

    /// The format with this name: a family or a registered definition.
    pub fn by_name(name: &str) -> Option<EntryFormat> {
        Self::family_by_name(name).or_else(|| {
            defined::all()
                .into_iter()
                .find(|f| f.def.name == name)
                .map(|f| f.id)
        })
    }

    /// Every format known now: the families, then the definitions.
    pub fn all() -> Vec<EntryFormat> {
        let mut v: Vec<EntryFormat> = Self::FAMILIES.iter().map(|f| f.0).collect();
        v.extend(defined::all().into_iter().map(|f| f.id));
        v
    }

    /// The name in the `format` column.
    pub fn as_str(self) -> &'static str {
        if let Some(f) = Self::FAMILIES.iter().find(|f| f.0 == self) {
            return f.1;
        }
        defined::get(self).map_or("unknown", |f| f.def.name.as_str())
    }
}

/// Structured fields of one entry, kept in one string buffer so that parsing allocates nothing
/// per field.
#[derive(Debug, Default, Clone)]
pub struct FieldBuf {
    text: String,
    spans: Vec<[u32; 3]>, // key start, value start, value end; key ends where value starts
}

impl FieldBuf {
    /// Removes all fields, keeping the allocations.
    pub fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Adds a field.
    pub fn push(&mut self, key: &str, value: &str) {
        self.push_key(&[key]);
        self.push_value(value);
    }

    /// Starts a field whose key is the parts joined with `.` (for nested objects); finish it with
    /// [`FieldBuf::push_value`] or the `value_*` methods.
    pub(crate) fn push_key(&mut self, parts: &[&str]) {
        let start = self.text.len() as u32;
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                self.text.push('.');
            }
            self.text.push_str(p);
        }
        let value_start = self.text.len() as u32;
        self.spans.push([start, value_start, value_start]);
    }

    /// Sets the value of the field started last.
    pub(crate) fn push_value(&mut self, value: &str) {
        self.text.push_str(value);
        self.end_value();
    }

    /// Appends bytes (lossily decoded) to the value of the field started last.
    pub(crate) fn push_value_bytes(&mut self, value: &[u8]) {
        match std::str::from_utf8(value) {
            Ok(s) => self.text.push_str(s),
            Err(_) => self.text.push_str(&String::from_utf8_lossy(value)),
        }
        self.end_value();
    }

    fn end_value(&mut self) {
        if let Some(last) = self.spans.last_mut() {
            last[2] = self.text.len() as u32;
        }
    }

    /// The fields in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.spans.iter().map(|&[k, v, e]| {
            (
                &self.text[k as usize..v as usize],
                &self.text[v as usize..e as usize],
            )
        })
    }

    /// The value of the first field named `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// What the payload parser found in one entry; the fields and raw level are in the parser.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadInfo {
    /// The payload's format.
    pub format: EntryFormat,
    /// The normalized level.
    pub level: Level,
    /// The application's own timestamp, when it wrote one that podsift understands.
    pub app_ts_nanos: Option<i64>,
}

/// What a payload parser needs to know beyond the bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct PayloadContext {
    /// The runtime's timestamp of the entry: klog omits the year and takes it from here.
    pub runtime_ts_nanos: Option<i64>,
    /// Collect structured fields (costs time; stats without field filters skip it).
    pub want_fields: bool,
    /// Read the application's timestamp.
    pub want_app_ts: bool,
    /// The payload may hold a raw newline (it was joined from pieces, or decoded from JSON);
    /// a single physical line cannot.
    pub may_have_newlines: bool,
}

/// Detects an entry's payload format and extracts its level, raw level, app timestamp and fields.
/// Holds scratch buffers reused across entries.
#[derive(Debug, Default)]
pub struct PayloadParser {
    /// Fields of the entry parsed last.
    pub fields: FieldBuf,
    /// The level as the application wrote it, for the entry parsed last (empty: none).
    pub level_raw: String,
    /// The entry's message when it is not the payload itself (a journal record's `MESSAGE`);
    /// valid when `has_body`.
    pub body: Vec<u8>,
    /// `body` holds the message of the entry parsed last.
    pub has_body: bool,
    /// Metadata the entry carries itself (a journald unit, a syslog program, a `--prefix` pod).
    pub meta: defined::EntryMeta,
    scratch: Vec<u8>,
    pairs: Vec<logfmt::Pair>,
    /// Capture slots of the defined format used last.
    locs: Option<(EntryFormat, regex::bytes::CaptureLocations)>,
    /// The parser of a second layer (a syslog or journald message).
    inner: Option<Box<PayloadParser>>,
}

impl PayloadParser {
    /// Parses one payload (the message after runtime framing, trailing newline removed).
    pub fn parse(&mut self, message: &[u8], ctx: PayloadContext) -> PayloadInfo {
        self.fields.clear();
        self.level_raw.clear();
        self.meta.clear();
        self.has_body = false;
        let trimmed = trim_ascii_start(message);
        match trimmed.first() {
            Some(b'{') if journald::looks_like_record(trimmed) => {
                if let Some(info) = journald::parse(trimmed, ctx, self) {
                    return info;
                }
                self.fields.clear();
                self.level_raw.clear();
                self.meta.clear();
                self.has_body = false;
            }
            Some(b'{') => {
                if let Some(info) = payload_json::parse(trimmed, ctx, self) {
                    return info;
                }
                self.fields.clear();
                self.level_raw.clear();
            }
            Some(b'I' | b'W' | b'E' | b'F') => {
                if let Some(info) = klog::parse(message, ctx, self) {
                    return info;
                }
                self.fields.clear();
            }
            _ => {}
        }
        if let Some(info) = logfmt::parse(message, ctx, self) {
            return info;
        }
        self.fields.clear();
        self.level_raw.clear();
        text::parse(message, ctx, self)
    }

    /// Parses with one format first: a defined format, or a family (JSON, logfmt, klog); when
    /// the payload does not match it, falls back to [`PayloadParser::parse`] (`fallback`) or to
    /// text (`!fallback`, for `--format`).
    pub fn parse_as(
        &mut self,
        format: EntryFormat,
        message: &[u8],
        ctx: PayloadContext,
        fallback: bool,
    ) -> PayloadInfo {
        self.fields.clear();
        self.level_raw.clear();
        self.meta.clear();
        self.has_body = false;
        let first = match format {
            EntryFormat::JSON => payload_json::parse(trim_ascii_start(message), ctx, self),
            EntryFormat::JOURNALD => journald::parse(trim_ascii_start(message), ctx, self),
            EntryFormat::LOGFMT => logfmt::parse(message, ctx, self),
            EntryFormat::KLOG => klog::parse(message, ctx, self),
            f => defined::get(f).and_then(|d| defined::parse(d, message, ctx, self)),
        };
        if let Some(info) = first {
            return info;
        }
        if fallback {
            return self.parse(message, ctx);
        }
        self.fields.clear();
        self.level_raw.clear();
        self.meta.clear();
        text::parse(message, ctx, self)
    }

    /// Sets the raw level.
    fn set_level_raw(&mut self, raw: &str) {
        self.level_raw.clear();
        self.level_raw.push_str(raw);
    }
}

fn trim_ascii_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The picker gives each format's own cases the same result as the format's parser.
    #[test]
    fn picker_agrees_with_each_format() {
        let mut p = PayloadParser::default();
        let ctx = PayloadContext {
            runtime_ts_nanos: Some(klog::CASES_RUNTIME_TS),
            want_fields: true,
            want_app_ts: true,
            may_have_newlines: true,
        };
        for (format, cases) in [
            (EntryFormat::JSON, payload_json::cases()),
            (EntryFormat::LOGFMT, logfmt::cases()),
            (EntryFormat::KLOG, klog::cases()),
            (EntryFormat::JOURNALD, journald::cases()),
            (EntryFormat::TEXT, text::cases()),
        ] {
            for case in cases {
                let info = p.parse(case.input.as_bytes(), ctx);
                let want_format = case.format.unwrap_or(format);
                assert_eq!(info.format, want_format, "format of {:?}", case.input);
                assert_eq!(info.level, case.level, "level of {:?}", case.input);
                assert_eq!(p.level_raw, case.level_raw, "raw level of {:?}", case.input);
                assert_eq!(
                    info.app_ts_nanos, case.app_ts_nanos,
                    "app ts of {:?}",
                    case.input
                );
                let fields: Vec<(String, String)> =
                    p.fields.iter().map(|(k, v)| (k.into(), v.into())).collect();
                let want: Vec<(String, String)> = case
                    .fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                assert_eq!(fields, want, "fields of {:?}", case.input);
            }
        }
    }

    #[test]
    fn field_buf() {
        let mut f = FieldBuf::default();
        f.push("a", "1");
        f.push_key(&["b", "c"]);
        f.push_value_bytes(b"x\xffy");
        assert_eq!(
            f.iter().collect::<Vec<_>>(),
            vec![("a", "1"), ("b.c", "x\u{FFFD}y")]
        );
        assert_eq!(f.get("b.c"), Some("x\u{FFFD}y"));
        f.clear();
        assert!(f.is_empty());
    }
}

/// One table-driven payload case: the input and everything the picker must find in it.
#[cfg(test)]
#[derive(Debug, Clone)]
pub(crate) struct PayloadCase {
    /// The payload.
    pub input: &'static str,
    /// The format, when it is not the format whose `cases()` this is (a near miss).
    pub format: Option<EntryFormat>,
    /// Normalized level.
    pub level: Level,
    /// Raw level (empty: none).
    pub level_raw: &'static str,
    /// Application timestamp.
    pub app_ts_nanos: Option<i64>,
    /// Fields, in order.
    pub fields: Vec<(&'static str, &'static str)>,
}
