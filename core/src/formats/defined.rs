//! Formats as data: a regex with named groups, a time layout, a level map and sample lines,
//! written in TOML or JSON. The simple built-in formats (syslog, access logs, journalctl's text
//! outputs, `kubectl logs --prefix`, docker compose) are defined this way in `builtin.toml`,
//! and users add their own with `--formats FILE`.
//!
//! ```toml
//! [[format]]
//! name = "myapp"
//! description = "myapp's text log"
//! regex = '^(?P<ts>\S+ \S+) \[(?P<level>\w+)\] (?P<thread>\S+) (?P<msg>.*)'
//! time = "%Y-%m-%d %H:%M:%S,%f"
//! [[format.sample]]
//! line = "2024-01-02 03:04:05,678 [WARN] main disk almost full"
//! ts = "2024-01-02T03:04:05.678Z"
//! level = "warn"
//! fields = { thread = "main" }
//! ```
//!
//! Group names with a meaning: `ts` (read with `time`), `level` (read with `levels` or
//! `level_map`, else as a level word), `msg` (the message, parsed as a second layer when
//! `inner` is set: JSON, klog, logfmt or a level word), and `component`, `namespace`, `pod`,
//! `container` (the entry's metadata). Every other group that matched becomes a field; `host`
//! also gives the entry's node.
//!
//! Formats are registered once per process and never removed; their ids are stable for the
//! process, so the `format` column of every table built in it agrees.

use std::collections::BTreeMap;
use std::sync::{LazyLock, RwLock};

use regex::bytes::{CaptureLocations, Regex};
use serde::Deserialize;

use super::{EntryFormat, PayloadContext, PayloadInfo, PayloadParser};
use crate::level::Level;
use crate::timefmt::TimeFormat;

/// The built-in formats defined as data.
pub(crate) const BUILTIN: &str = include_str!("builtin.toml");

/// A file of format definitions.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FormatFile {
    /// The formats.
    #[serde(rename = "format", default)]
    pub formats: Vec<FormatDef>,
}

/// One format, as written in a definition file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatDef {
    /// Its name (the `format` column, `--format NAME`).
    pub name: String,
    /// One line for `podsift formats`.
    #[serde(default)]
    pub description: String,
    /// A regex (Rust `regex` syntax) with named groups, matched from the start of the line.
    pub regex: String,
    /// How the `ts` group is read: a `strftime` layout or `auto`.
    #[serde(default)]
    pub time: Option<String>,
    /// The group that gives the level (default `level`).
    #[serde(default)]
    pub level_group: Option<String>,
    /// A named level map for the level group: `syslog` (a priority or severity number) or
    /// `http-status` (5xx error, 4xx warn, others info).
    #[serde(default)]
    pub level_map: Option<String>,
    /// Patterns of the level group's value and their level, first match wins (`*` and `?`
    /// wildcards, case-insensitive): `[["5??", "error"], ["*", "info"]]`.
    #[serde(default)]
    pub levels: Vec<(String, String)>,
    /// Parse the `msg` group as a second layer (JSON, klog, logfmt, a level word).
    #[serde(default)]
    pub inner: bool,
    /// Groups whose value must not be a level word (`INFO`, `error`): a line where one is does
    /// not match (syslog's host, so that `2024-01-02T03:04:05Z ERROR app: msg` is not syslog).
    #[serde(default)]
    pub not_level: Vec<String>,
    /// Sample lines and what they must give; `podsift formats --check` and the tests run them.
    #[serde(default, rename = "sample")]
    pub samples: Vec<Sample>,
}

/// A sample line and the values it must give.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// The line.
    pub line: String,
    /// Expected time (RFC 3339); a layout without a year is read near this time.
    #[serde(default)]
    pub ts: Option<String>,
    /// Expected level name (`podsift` levels: trace ... fatal, unknown).
    #[serde(default)]
    pub level: Option<String>,
    /// Expected fields (each must be there with this value; others may be too).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Expected component.
    #[serde(default)]
    pub component: Option<String>,
    /// Expected pod.
    #[serde(default)]
    pub pod: Option<String>,
    /// Expected container.
    #[serde(default)]
    pub container: Option<String>,
    /// The line must not match the format.
    #[serde(default)]
    pub no_match: bool,
}

#[derive(Clone, Debug)]
enum LevelMap {
    /// The value is a level word.
    Word,
    /// Syslog priority (`PRI`, severity = PRI & 7) or a bare severity; a second-layer level
    /// wins over it.
    Syslog,
    /// HTTP status code.
    HttpStatus,
    /// Wildcard patterns.
    Patterns(Vec<(Vec<u8>, Level)>),
}

/// A compiled format.
#[derive(Debug)]
pub struct DefinedFormat {
    /// The definition.
    pub def: FormatDef,
    /// Its id (the `format` column).
    pub id: EntryFormat,
    /// Where it was defined (`built-in` or a file path).
    pub origin: String,
    re: Regex,
    time: TimeFormat,
    levels: LevelMap,
    ts_group: Option<usize>,
    level_group: Option<usize>,
    msg_group: Option<usize>,
    meta_groups: [Option<usize>; 4],
    field_groups: Vec<(usize, String)>,
    host_group: Option<usize>,
    not_level_groups: Vec<usize>,
}

/// Per-entry metadata a format found in the line (empty strings: not given).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntryMeta {
    /// Node (a journal record's `_HOSTNAME`).
    pub node: String,
    /// Component (syslog program, journald unit, compose service).
    pub component: String,
    /// Namespace.
    pub namespace: String,
    /// Pod.
    pub pod: String,
    /// Container.
    pub container: String,
    /// Some part may be set (so that clearing and checking an unused one costs one test).
    dirty: bool,
}

impl EntryMeta {
    /// Clears all parts.
    pub fn clear(&mut self) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        self.node.clear();
        self.component.clear();
        self.namespace.clear();
        self.pod.clear();
        self.container.clear();
    }

    /// Whether no part is set.
    pub fn is_empty(&self) -> bool {
        !self.dirty
            || self.node.is_empty()
                && self.component.is_empty()
                && self.namespace.is_empty()
                && self.pod.is_empty()
                && self.container.is_empty()
    }

    /// Marks the metadata as possibly set, before writing a part.
    pub(crate) fn touch(&mut self) -> &mut Self {
        self.dirty = true;
        self
    }

    fn slot(&mut self, i: usize) -> &mut String {
        match i {
            0 => &mut self.component,
            1 => &mut self.namespace,
            2 => &mut self.pod,
            _ => &mut self.container,
        }
    }
}

const META_GROUPS: [&str; 4] = ["component", "namespace", "pod", "container"];

fn glob_match(pattern: &[u8], value: &[u8]) -> bool {
    match pattern.split_first() {
        None => value.is_empty(),
        Some((b'*', rest)) => (0..=value.len()).any(|i| glob_match(rest, &value[i..])),
        Some((b'?', rest)) => !value.is_empty() && glob_match(rest, &value[1..]),
        Some((c, rest)) => {
            value.first().is_some_and(|v| v.eq_ignore_ascii_case(c))
                && glob_match(rest, &value[1..])
        }
    }
}

impl DefinedFormat {
    /// Compiles a definition.
    pub(crate) fn compile(def: FormatDef, id: EntryFormat, origin: &str) -> Result<Self, String> {
        let name = &def.name.clone();
        if name.is_empty()
            || !name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        {
            return Err(format!(
                "format name {name:?}: use letters, digits, '-', '_' and '.'"
            ));
        }
        let pattern = if def.regex.starts_with('^') {
            def.regex.clone()
        } else {
            format!("^(?:{})", def.regex)
        };
        // The built-in formats' classes (`\d`, `\w`, `\s`) are ASCII: Unicode ones compile to
        // automata many times larger, which every process reading plain logs paid for at start.
        let re = regex::bytes::RegexBuilder::new(&pattern)
            .unicode(origin != "built-in")
            .size_limit(1 << 22)
            .build()
            .map_err(|e| format!("format {name:?}: bad regex: {e}"))?;
        let time = TimeFormat::parse(def.time.as_deref().unwrap_or("auto"))
            .map_err(|e| format!("format {name:?}: {e}"))?;
        let levels = match (def.level_map.as_deref(), def.levels.is_empty()) {
            (Some("syslog"), true) => LevelMap::Syslog,
            (Some("http-status"), true) => LevelMap::HttpStatus,
            (None, true) => LevelMap::Word,
            (None, false) => LevelMap::Patterns(
                def.levels
                    .iter()
                    .map(|(p, l)| {
                        Level::parse_cli(l).map(|l| (p.as_bytes().to_vec(), l)).ok_or_else(|| {
                            format!("format {name:?}: unknown level {l:?} in levels (use trace, debug, info, warn, error, fatal, unknown)")
                        })
                    })
                    .collect::<Result<_, _>>()?,
            ),
            (Some(m), true) => {
                return Err(format!(
                    "format {name:?}: unknown level_map {m:?} (use syslog or http-status)"
                ));
            }
            (Some(_), false) => {
                return Err(format!(
                    "format {name:?}: give level_map or levels, not both"
                ));
            }
        };
        let level_name = def.level_group.clone().unwrap_or_else(|| "level".into());
        let mut f = DefinedFormat {
            ts_group: None,
            level_group: None,
            msg_group: None,
            meta_groups: [None; 4],
            field_groups: Vec::new(),
            host_group: None,
            not_level_groups: Vec::new(),
            re,
            time,
            levels,
            id,
            origin: origin.to_string(),
            def,
        };
        for (i, group) in f.re.capture_names().enumerate() {
            let Some(g) = group else { continue };
            if g == "ts" {
                f.ts_group = Some(i);
            } else if g == level_name.as_str() {
                f.level_group = Some(i);
                if g != "level" {
                    f.field_groups.push((i, g.to_string()));
                }
            } else if g == "msg" {
                f.msg_group = Some(i);
            } else if let Some(k) = META_GROUPS.iter().position(|m| *m == g) {
                f.meta_groups[k] = Some(i);
            } else {
                if g == "host" {
                    f.host_group = Some(i);
                }
                f.field_groups.push((i, g.to_string()));
            }
        }
        for g in &f.def.not_level {
            match f.re.capture_names().position(|n| n == Some(g.as_str())) {
                Some(i) => f.not_level_groups.push(i),
                None => {
                    return Err(format!(
                        "format {name:?}: not_level names {g:?}, which is not a group of the regex"
                    ));
                }
            }
        }
        if f.def.level_group.is_some() && f.level_group.is_none() {
            return Err(format!(
                "format {name:?}: level_group {level_name:?} is not a group of the regex"
            ));
        }
        Ok(f)
    }

    /// Whether `line` matches.
    pub(crate) fn is_match(&self, line: &[u8]) -> bool {
        if self.not_level_groups.is_empty() {
            return self.re.is_match(line);
        }
        let mut locs = self.re.capture_locations();
        self.re.captures_read(&mut locs, line).is_some() && self.levels_ok(line, &locs)
    }

    /// No `not_level` group holds a level word.
    fn levels_ok(&self, line: &[u8], locs: &CaptureLocations) -> bool {
        self.not_level_groups.iter().all(|&g| {
            locs.get(g).is_none_or(|(s, e)| {
                std::str::from_utf8(&line[s..e])
                    .ok()
                    .and_then(Level::from_name)
                    .is_none()
            })
        })
    }

    /// Whether its lines name their own pod (`kubectl logs --prefix`).
    pub(crate) fn gives_pod(&self) -> bool {
        self.meta_groups[2].is_some()
    }

    fn level_of(&self, v: &[u8]) -> Option<Level> {
        match &self.levels {
            LevelMap::Word => Level::from_name(std::str::from_utf8(v).ok()?),
            LevelMap::Syslog => Some(Level::from_syslog(
                std::str::from_utf8(v).ok()?.parse().ok()?,
            )),
            LevelMap::HttpStatus => {
                let n: u32 = std::str::from_utf8(v).ok()?.parse().ok()?;
                Some(match n {
                    500.. => Level::Error,
                    400..=499 => Level::Warn,
                    _ => Level::Info,
                })
            }
            LevelMap::Patterns(p) => p.iter().find(|(pat, _)| glob_match(pat, v)).map(|x| x.1),
        }
    }

    /// Runs the samples; returns one message per failure.
    pub fn check_samples(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let mut p = PayloadParser::default();
        for (n, s) in self.def.samples.iter().enumerate() {
            let n = n + 1;
            let want_ts = match s
                .ts
                .as_deref()
                .map(|t| crate::time::parse_rfc3339_nanos(t.as_bytes()))
            {
                Some(None) => {
                    failures.push(format!(
                        "{}: sample {n}: ts {:?} is not RFC 3339",
                        self.def.name, s.ts
                    ));
                    continue;
                }
                Some(t) => t,
                None => None,
            };
            let ctx = PayloadContext {
                runtime_ts_nanos: want_ts.or(Some(1_704_067_200_000_000_000)),
                want_fields: true,
                want_app_ts: true,
                may_have_newlines: true,
            };
            let Some(info) = parse(self, s.line.as_bytes(), ctx, &mut p) else {
                if !s.no_match {
                    failures.push(format!(
                        "{}: sample {n} does not match: {:?}",
                        self.def.name, s.line
                    ));
                }
                continue;
            };
            if s.no_match {
                failures.push(format!(
                    "{}: sample {n} matches but must not: {:?}",
                    self.def.name, s.line
                ));
                continue;
            }
            let mut fail = |what: &str, got: String, want: &str| {
                failures.push(format!(
                    "{}: sample {n}: {what} is {got:?}, expected {want:?}",
                    self.def.name
                ));
            };
            if let Some(t) = &s.ts
                && info.app_ts_nanos != want_ts
            {
                let got = info
                    .app_ts_nanos
                    .map_or("none".into(), crate::time::format_rfc3339_nanos);
                fail("ts", got, t);
            }
            if let Some(l) = &s.level
                && info.level.as_str() != l
            {
                fail("level", info.level.as_str().into(), l);
            }
            for (k, v) in &s.fields {
                let got = p.fields.get(k);
                if got != Some(v.as_str()) {
                    fail(&format!("field {k}"), got.unwrap_or("(missing)").into(), v);
                }
            }
            for (want, got, what) in [
                (&s.component, &p.meta.component, "component"),
                (&s.pod, &p.meta.pod, "pod"),
                (&s.container, &p.meta.container, "container"),
            ] {
                if let Some(w) = want
                    && got != w
                {
                    fail(what, got.clone(), w);
                }
            }
        }
        failures
    }
}

/// Parses `msg` with format `f`; `None` when the regex does not match.
pub(crate) fn parse(
    f: &DefinedFormat,
    msg: &[u8],
    ctx: PayloadContext,
    p: &mut PayloadParser,
) -> Option<PayloadInfo> {
    p.fields.clear();
    p.level_raw.clear();
    p.meta.clear();
    let mut locs = match p.locs.take() {
        Some((id, l)) if id == f.id => l,
        _ => f.re.capture_locations(),
    };
    let matched = f.re.captures_read(&mut locs, msg).is_some() && f.levels_ok(msg, &locs);
    let result = matched.then(|| fill(f, msg, ctx, p, &locs));
    p.locs = Some((f.id, locs));
    result
}

fn fill(
    f: &DefinedFormat,
    msg: &[u8],
    ctx: PayloadContext,
    p: &mut PayloadParser,
    locs: &CaptureLocations,
) -> PayloadInfo {
    let group = |i: Option<usize>| i.and_then(|i| locs.get(i)).map(|(s, e)| &msg[s..e]);
    let ts = group(f.ts_group).and_then(|t| f.time.read(t, ctx.runtime_ts_nanos));
    let outer_raw = group(f.level_group).filter(|v| !v.is_empty());
    let outer_level = outer_raw.and_then(|v| f.level_of(v));
    if ctx.want_fields {
        for (i, name) in &f.field_groups {
            if let Some(v) = group(Some(*i)) {
                p.fields.push_key(&[name]);
                p.fields.push_value_bytes(v);
            }
        }
    }
    for (k, g) in f.meta_groups.iter().enumerate() {
        if let Some(v) = group(*g) {
            p.meta.touch().slot(k).push_str(&String::from_utf8_lossy(v));
        }
    }
    // A syslog host is the node that wrote the line.
    if let Some(v) = group(f.host_group) {
        p.meta.touch().node.push_str(&String::from_utf8_lossy(v));
    }
    let mut level = outer_level.unwrap_or(Level::Unknown);
    if let Some(raw) = outer_raw.filter(|_| outer_level.is_some()) {
        p.level_raw.push_str(&String::from_utf8_lossy(raw));
    }
    let weak_outer = matches!(f.levels, LevelMap::Syslog) || outer_level.is_none();
    if f.def.inner
        && let Some(body) = group(f.msg_group)
    {
        let mut inner = p.inner.take().unwrap_or_default();
        let inner_ctx = PayloadContext {
            runtime_ts_nanos: ts.or(ctx.runtime_ts_nanos),
            want_app_ts: false,
            ..ctx
        };
        let info = inner.parse(body, inner_ctx);
        if ctx.want_fields {
            for (k, v) in inner.fields.iter() {
                p.fields.push(k, v);
            }
        }
        if weak_outer && info.level != Level::Unknown {
            level = info.level;
            p.level_raw.clear();
            p.level_raw.push_str(&inner.level_raw);
        }
        p.inner = Some(inner);
    }
    PayloadInfo {
        format: f.id,
        level,
        app_ts_nanos: ts,
    }
}

/// Reads a definition file: TOML, or JSON when it starts with `{` (`{"format": [...]}`).
pub fn read_defs(text: &str) -> crate::Result<Vec<FormatDef>> {
    let file: FormatFile = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| e.to_string())?
    } else {
        toml::from_str(text).map_err(|e| e.to_string())?
    };
    Ok(file.formats)
}

static REGISTRY: LazyLock<RwLock<Vec<&'static DefinedFormat>>> = LazyLock::new(|| {
    let defs = read_defs(BUILTIN).expect("builtin.toml is valid");
    let mut out: Vec<&'static DefinedFormat> = Vec::new();
    for (i, def) in defs.into_iter().enumerate() {
        let id = EntryFormat(EntryFormat::FIRST_DEFINED + i as u16);
        let f = DefinedFormat::compile(def, id, "built-in").expect("built-in formats compile");
        out.push(Box::leak(Box::new(f)));
    }
    RwLock::new(out)
});

/// The most formats a process can define (format ids stay below 256).
pub(crate) const MAX_DEFINED: usize = 200;

/// Every defined format, built-in first, in registration order.
pub fn all() -> Vec<&'static DefinedFormat> {
    REGISTRY.read().map(|r| r.clone()).unwrap_or_default()
}

/// The defined format with this id.
pub fn get(id: EntryFormat) -> Option<&'static DefinedFormat> {
    let i = usize::from(id.0.checked_sub(EntryFormat::FIRST_DEFINED)?);
    REGISTRY.read().ok()?.get(i).copied()
}

/// Registers formats read from `origin`; a name already defined by the same origin is kept
/// as it was (so loading a file twice is harmless), by another is an error.
pub fn register(defs: Vec<FormatDef>, origin: &str) -> crate::Result<Vec<EntryFormat>> {
    let mut reg = REGISTRY
        .write()
        .map_err(|_| "format registry poisoned".to_string())?;
    let mut ids = Vec::new();
    for def in defs {
        if EntryFormat::family_by_name(&def.name).is_some() {
            return Err(format!("format {:?} is built into podsift's parsers", def.name).into());
        }
        if let Some(f) = reg.iter().find(|f| f.def.name == def.name) {
            if f.origin == origin {
                ids.push(f.id);
                continue;
            }
            return Err(format!("format {:?} is already defined ({})", def.name, f.origin).into());
        }
        if reg.len() >= MAX_DEFINED {
            return Err(format!("more than {MAX_DEFINED} formats").into());
        }
        let id = EntryFormat(EntryFormat::FIRST_DEFINED + reg.len() as u16);
        let f = DefinedFormat::compile(def, id, origin)?;
        reg.push(Box::leak(Box::new(f)));
        ids.push(id);
    }
    Ok(ids)
}

/// The defined format that most of the first lines of a plain file match (the first line, or
/// half of the non-blank ones), preferring formats defined later (a user's over a built-in).
pub fn detect(lines: &[&[u8]]) -> Option<&'static DefinedFormat> {
    if lines.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &'static DefinedFormat)> = None;
    for f in all().into_iter().rev() {
        let n = lines.iter().filter(|l| f.is_match(l)).count();
        let good = n > 0 && (f.is_match(lines[0]) || n * 2 >= lines.len());
        if good && best.is_none_or(|(b, _)| n > b) {
            best = Some((n, f));
        }
    }
    best.map(|(_, f)| f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_samples_pass() {
        let formats = all();
        assert!(formats.len() >= 6, "built-ins: {}", formats.len());
        for f in formats {
            assert!(!f.def.samples.is_empty(), "{} has samples", f.def.name);
            let failures = f.check_samples();
            assert!(failures.is_empty(), "{failures:#?}");
        }
    }

    #[test]
    fn user_formats_register_and_check() {
        let defs = read_defs(
            r#"
[[format]]
name = "test-myapp"
regex = '(?P<ts>\S+ \S+) \[(?P<level>\w+)\] (?P<thread>\S+) (?P<msg>.*)'
time = "%Y-%m-%d %H:%M:%S,%f"
[[format.sample]]
line = "2024-01-02 03:04:05,678 [WARN] main disk almost full"
ts = "2024-01-02T03:04:05.678Z"
level = "warn"
fields = { thread = "main" }
[[format.sample]]
line = "2024-01-02 03:04:05,678 [WARN] main disk almost full"
level = "error"
"#,
        )
        .unwrap();
        let ids = register(defs.clone(), "test.toml").unwrap();
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].as_str(), "test-myapp");
        assert_eq!(EntryFormat::by_name("test-myapp"), Some(ids[0]));
        // Same origin again: the same id. Another origin: an error.
        assert_eq!(register(defs.clone(), "test.toml").unwrap(), ids);
        assert!(
            register(defs, "other.toml")
                .unwrap_err()
                .to_string()
                .contains("already defined")
        );
        let failures = get(ids[0]).unwrap().check_samples();
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(failures[0].contains("sample 2: level is \"warn\", expected \"error\""));
    }

    #[test]
    fn bad_definitions_are_errors() {
        for (text, want) in [
            ("[[format]]\nname = \"a\"\nregex = \"(\"", "bad regex"),
            ("[[format]]\nname = \"a b\"\nregex = \"x\"", "format name"),
            (
                "[[format]]\nname = \"a\"\nregex = \"x\"\ntime = \"%Q\"",
                "unknown directive",
            ),
            (
                "[[format]]\nname = \"a\"\nregex = \"x\"\nlevel_map = \"loud\"",
                "unknown level_map",
            ),
            (
                "[[format]]\nname = \"a\"\nregex = \"x\"\nlevels = [[\"*\", \"loud\"]]",
                "unknown level",
            ),
            ("[[format]]\nname = \"json\"\nregex = \"x\"", "built into"),
        ] {
            let err = read_defs(text)
                .and_then(|d| register(d, "bad.toml"))
                .unwrap_err();
            assert!(err.to_string().contains(want), "{text}: {err}");
        }
        assert!(read_defs("[[format]]\nname = 1").is_err());
        assert!(read_defs("{\"format\": [{\"name\": \"j\"}]}").is_err());
    }

    #[test]
    fn globs() {
        assert!(glob_match(b"5??", b"503"));
        assert!(!glob_match(b"5??", b"5030"));
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"warn*", b"WARNING"));
        assert!(!glob_match(b"e", b"x"));
    }
}
