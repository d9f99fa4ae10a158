//! Message patterns: a Drain-style template miner (He et al., "Drain: An Online Log Parsing
//! Approach with Fixed Depth Tree", ICWS 2017) that groups messages differing only in their
//! variable parts, so "connection to 10.0.3.7:5432 refused after 3 retries" and the same with
//! other numbers count as one pattern.
//!
//! Each message is first masked: IP addresses (`<IP>`), UUIDs (`<UUID>`), hex ids and hashes
//! (`<HEX>`), durations and sizes (`<DUR>`, `<SIZE>`), and numbers (`<NUM>`) become
//! placeholders. Messages are then routed by token count and first tokens to a leaf of
//! clusters; a message joins the most similar cluster (share of equal tokens at least
//! `similarity`) and the positions where they differ become `<*>`, or it starts a new one.
//! Results depend only on the order messages come in (the logs table's time order), never on
//! the machine.

use std::collections::{BTreeSet, HashMap};

/// How messages are grouped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinerConfig {
    /// Leading tokens routing a message to its leaf (tokens with digits route as `<*>`):
    /// messages differing there are never one pattern.
    pub depth: usize,
    /// The share of equal tokens (wildcards not counted) that joins a message to a cluster.
    pub similarity: f64,
    /// Most clusters per leaf; a message that matches none of a full leaf joins the closest.
    pub max_clusters_per_leaf: usize,
    /// Tokens kept per message (longer ones are cut, the rest counted as one `<*>`).
    pub max_tokens: usize,
}

impl Default for MinerConfig {
    fn default() -> Self {
        MinerConfig {
            depth: 1,
            similarity: 0.5,
            max_clusters_per_leaf: 100,
            max_tokens: 64,
        }
    }
}

/// One pattern and what matched it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// The template: tokens joined by spaces, variable parts as placeholders.
    pub template: String,
    /// Messages that matched.
    pub count: u64,
    /// Earliest and latest time of those that had one (ns).
    pub first_ts: Option<i64>,
    /// See `first_ts`.
    pub last_ts: Option<i64>,
    /// The first message that matched, as written.
    pub sample: String,
    /// The pods (or other sources) they came from, sorted.
    pub pods: BTreeSet<String>,
    /// Crash evidence in its messages (the strongest seen), when mined with
    /// [`mine_logs`].
    pub evidence: Option<super::health::Evidence>,
}

#[derive(Clone, Debug)]
struct Cluster {
    tokens: Vec<String>,
    count: u64,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    sample: String,
    pods: BTreeSet<String>,
    evidence: Option<super::health::Evidence>,
}

impl Cluster {
    fn pattern(&self) -> Pattern {
        Pattern {
            template: self.tokens.join(" "),
            count: self.count,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            sample: self.sample.clone(),
            pods: self.pods.clone(),
            evidence: self.evidence,
        }
    }
}

/// Groups messages into patterns.
#[derive(Debug, Default)]
pub struct TemplateMiner {
    config: MinerConfig,
    /// (token count, routing tokens) -> cluster indices.
    leaves: HashMap<(usize, Vec<String>), Vec<usize>>,
    clusters: Vec<Cluster>,
}

/// The placeholder of a variable part.
pub const WILDCARD: &str = "<*>";

impl TemplateMiner {
    /// A miner with `config`.
    pub fn new(config: MinerConfig) -> TemplateMiner {
        TemplateMiner {
            config,
            ..TemplateMiner::default()
        }
    }

    /// Adds a message at `ts` (ns) from `pod`; returns its pattern's index.
    pub fn add(&mut self, message: &str, ts: Option<i64>, pod: Option<&str>) -> usize {
        self.add_with_sample(message, message, ts, pod)
    }

    /// [`TemplateMiner::add`] of the part of a line that is mined (`message`), keeping the
    /// whole line (`sample`) as a pattern's sample.
    pub fn add_with_sample(
        &mut self,
        message: &str,
        sample: &str,
        ts: Option<i64>,
        pod: Option<&str>,
    ) -> usize {
        let masked = mask(message);
        let mut tokens: Vec<String> = masked.split_whitespace().map(str::to_string).collect();
        if tokens.len() > self.config.max_tokens {
            tokens.truncate(self.config.max_tokens);
            tokens.push(WILDCARD.to_string());
        }
        let route: Vec<String> = tokens
            .iter()
            .take(self.config.depth)
            .map(|t| {
                if t.starts_with('<') || t.bytes().any(|c| c.is_ascii_digit()) {
                    WILDCARD.to_string()
                } else {
                    t.clone()
                }
            })
            .collect();
        let key = (tokens.len(), route);
        let leaf = self.leaves.entry(key).or_default();
        // The most similar cluster of the leaf (first one on ties).
        let mut best: Option<(usize, f64)> = None;
        for &c in leaf.iter() {
            let sim = similarity(&self.clusters[c].tokens, &tokens);
            if best.is_none_or(|(_, b)| sim > b) {
                best = Some((c, sim));
            }
        }
        let join = match best {
            Some((c, sim)) if sim >= self.config.similarity => Some(c),
            Some((c, _)) if leaf.len() >= self.config.max_clusters_per_leaf => Some(c),
            _ => None,
        };
        let index = match join {
            Some(c) => {
                let cl = &mut self.clusters[c];
                for (have, new) in cl.tokens.iter_mut().zip(&tokens) {
                    if have != new && have != WILDCARD {
                        *have = WILDCARD.to_string();
                    }
                }
                cl.count += 1;
                c
            }
            None => {
                self.clusters.push(Cluster {
                    tokens,
                    count: 1,
                    first_ts: None,
                    last_ts: None,
                    sample: sample.to_string(),
                    pods: BTreeSet::new(),
                    evidence: None,
                });
                let c = self.clusters.len() - 1;
                leaf.push(c);
                c
            }
        };
        let cl = &mut self.clusters[index];
        if let Some(t) = ts {
            cl.first_ts = Some(cl.first_ts.map_or(t, |f| f.min(t)));
            cl.last_ts = Some(cl.last_ts.map_or(t, |l| l.max(t)));
        }
        if let Some(p) = pod
            && !cl.pods.contains(p)
        {
            cl.pods.insert(p.to_string());
        }
        index
    }

    /// Adds a pattern mined elsewhere (another instance's miner) as if its messages came
    /// here: its template is mined like a message, with its count, times and pods.
    pub fn absorb(&mut self, p: &Pattern) {
        let index = self.add_with_sample(&p.template, &p.sample, p.first_ts, None);
        let cl = &mut self.clusters[index];
        cl.count += p.count.saturating_sub(1);
        if let Some(t) = p.last_ts {
            cl.last_ts = Some(cl.last_ts.map_or(t, |l| l.max(t)));
        }
        cl.pods.extend(p.pods.iter().cloned());
        if let Some(e) = p.evidence {
            cl.evidence = Some(cl.evidence.map_or(e, |h| h.min(e)));
        }
    }

    /// The patterns in the order they were first seen (for merging miners).
    pub fn patterns_in_order(&self) -> Vec<Pattern> {
        self.clusters.iter().map(Cluster::pattern).collect()
    }

    /// The patterns, most messages first (ties by template text).
    pub fn patterns(&self) -> Vec<Pattern> {
        let mut out = self.patterns_in_order();
        out.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.template.cmp(&b.template))
        });
        out
    }
}

/// The share of positions where `template` and `tokens` agree, wildcards not counted (a
/// template of wildcards only agrees with anything of its length).
fn similarity(template: &[String], tokens: &[String]) -> f64 {
    let mut equal = 0usize;
    let mut counted = 0usize;
    for (a, b) in template.iter().zip(tokens) {
        if a == WILDCARD {
            continue;
        }
        counted += 1;
        if a == b {
            equal += 1;
        }
    }
    if counted == 0 {
        1.0
    } else {
        equal as f64 / counted as f64
    }
}

/// Replaces the variable parts of a message with placeholders, token by token (punctuation
/// around a token is kept: `(id=<NUM>)`, `"<IP>",`).
pub fn mask(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (i, token) in message.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        mask_token(token, &mut out);
    }
    out
}

fn mask_token(token: &str, out: &mut String) {
    let bare = token
        .trim_start_matches(['(', '"', '\''])
        .trim_end_matches([',', ';', '.', ':', ')', '"', '\'']);
    if !bare.is_empty() && is_ip(bare) {
        let start = token.find(bare).unwrap_or(0);
        out.push_str(&token[..start]);
        out.push_str("<IP>");
        out.push_str(&token[start + bare.len()..]);
        return;
    }
    // `key=value` and `key:value`: the value is masked on its own.
    if let Some(p) = token
        .find(['=', ':'])
        .filter(|&p| p > 0 && p + 1 < token.len())
        && token[..p]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.')
        && !is_ip(strip_punct(token).1)
    {
        out.push_str(&token[..=p]);
        mask_token(&token[p + 1..], out);
        return;
    }
    let (pre, core, post) = strip_punct(token);
    out.push_str(pre);
    out.push_str(placeholder(core).unwrap_or(core));
    out.push_str(post);
}

/// Splits leading and trailing punctuation off a token.
fn strip_punct(token: &str) -> (&str, &str, &str) {
    let punct = |c: char| "()[]{}<>\"',;.!?".contains(c);
    let start = token.len() - token.trim_start_matches(punct).len();
    let core_and_post = &token[start..];
    let core = core_and_post.trim_end_matches(punct);
    (&token[..start], core, &core_and_post[core.len()..])
}

fn placeholder(core: &str) -> Option<&'static str> {
    if core.is_empty() {
        return None;
    }
    if crate::sources::path::is_uuid(core) {
        return Some("<UUID>");
    }
    if is_ip(core) {
        return Some("<IP>");
    }
    let b = core.as_bytes();
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    // Numbers: 42, -3, 1.5, 1e9, 0x1f, 12ms, 3.5s, 512Mi, 10%.
    let num_end = b
        .iter()
        .position(|c| !(c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E')))
        .unwrap_or(b.len());
    if num_end > 0 && b[..num_end].iter().any(u8::is_ascii_digit) {
        let unit = &core[num_end..];
        if unit.is_empty() {
            return Some("<NUM>");
        }
        if matches!(unit, "ns" | "us" | "µs" | "ms" | "s" | "m" | "h" | "d") {
            return Some("<DUR>");
        }
        if matches!(
            unit,
            "B" | "KB"
                | "MB"
                | "GB"
                | "TB"
                | "Ki"
                | "Mi"
                | "Gi"
                | "Ti"
                | "KiB"
                | "MiB"
                | "GiB"
                | "k"
                | "M"
                | "G"
                | "%"
        ) {
            return Some("<SIZE>");
        }
    }
    // Hex ids and hashes (`0x7f3a`, `deadbeef01`, a container id) and anything else that is
    // mostly digits (`pod-7d9f8b6c5`, `v1.2.3` stay words).
    let hex = core.strip_prefix("0x").unwrap_or(core);
    if hex.len() >= 6 && hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Some("<HEX>");
    }
    if core.starts_with("0x") && hex.bytes().all(|c| c.is_ascii_hexdigit()) && !hex.is_empty() {
        return Some("<HEX>");
    }
    None
}

/// `10.0.3.7`, `10.0.3.7:5432`, `[::1]:80`, `fe80::1`.
fn is_ip(s: &str) -> bool {
    let host = match s.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|c| c.is_ascii_digit()) && !port.is_empty() => {
            h.trim_start_matches('[').trim_end_matches(']')
        }
        _ => s,
    };
    host.parse::<std::net::IpAddr>().is_ok() || s.parse::<std::net::IpAddr>().is_ok()
}

/// The part of a text message that varies from entry to entry less than its header: without
/// a leading timestamp, a level word (`INFO`, `[error]`, `W`), or a klog header (`I0101
/// 12:00:00.000000 1 file.go:12] `), which the entry's own columns already hold.
pub fn message_body(msg: &str) -> &str {
    let mut rest = msg.trim_start();
    // klog: `I0101 12:00:00.000000    1 file.go:12] msg`.
    let b = rest.as_bytes();
    if b.len() > 22
        && matches!(b[0], b'I' | b'W' | b'E' | b'F')
        && b[1..5].iter().all(u8::is_ascii_digit)
        && b[5] == b' '
        && let Some(end) = rest.find("] ")
        && end < 80
    {
        return rest[end + 2..].trim_start();
    }
    let stripped = rest.strip_prefix('[').unwrap_or(rest);
    if let Some((_, len)) = crate::time::parse_leading_timestamp(stripped.as_bytes()) {
        let after = &stripped[len..];
        rest = after.strip_prefix(']').unwrap_or(after).trim_start();
    }
    let word_end = rest.find([' ', '\t']).unwrap_or(rest.len());
    let word = rest[..word_end]
        .trim_matches(|c| matches!(c, '[' | ']' | '<' | '>' | ':' | '|'))
        .to_ascii_lowercase();
    if matches!(
        word.as_str(),
        "trace"
            | "debug"
            | "info"
            | "notice"
            | "warn"
            | "warning"
            | "error"
            | "err"
            | "fatal"
            | "critical"
            | "crit"
    ) {
        rest = rest[word_end..].trim_start();
    }
    rest
}

/// Keys of structured fields that hold a JSON or logfmt entry's message, first found wins.
const MESSAGE_KEYS: [&str; 5] = ["msg", "message", "MESSAGE", "log", "error"];

/// Mines the patterns of a `logs` table (in its row order): the first line of each entry's
/// message without its header, or for structured entries their `msg`/`message` field, from
/// its pod (or component). The whole message is the sample and is looked at for evidence.
pub fn mine_logs(
    logs: &polars::prelude::DataFrame,
    config: MinerConfig,
) -> polars::prelude::PolarsResult<Vec<Pattern>> {
    use crate::schema::logs as col;
    use polars::prelude::*;
    let message = logs.column(col::MESSAGE)?.str()?.clone();
    let ts = logs.column(col::TS)?.cast(&DataType::Int64)?.i64()?.clone();
    let text = |name: &str| -> PolarsResult<StringChunked> {
        Ok(logs.column(name)?.cast(&DataType::String)?.str()?.clone())
    };
    let pod = text(col::POD)?;
    let component = text(col::COMPONENT)?;
    let fields = logs.column(col::FIELDS)?.list()?.clone();
    let mut miner = TemplateMiner::new(config);
    for i in 0..logs.height() {
        let mut msg = message.get(i).unwrap_or_default().to_string();
        if let Some(list) = fields.get_as_series(i)
            && !list.is_empty()
            && let Ok(st) = list.struct_()
        {
            let keys = st.field_by_name(col::FIELD_KEY)?;
            let values = st.field_by_name(col::FIELD_VALUE)?;
            let (keys, values) = (keys.str()?, values.str()?);
            if let Some(v) = MESSAGE_KEYS.iter().find_map(|want| {
                keys.iter()
                    .position(|k| k == Some(*want))
                    .and_then(|p| values.get(p))
            }) {
                msg = v.to_string();
            }
        }
        let from = pod.get(i).or_else(|| component.get(i));
        // The first line: what follows in a folded entry (a stack) varies too much.
        let first = msg.lines().next().unwrap_or_default();
        let index = miner.add_with_sample(message_body(first), &msg, ts.get(i), from);
        // The whole message: a folded stack trace is one entry.
        let whole = message.get(i).unwrap_or_default();
        if let Some(e) = super::health::evidence(whole) {
            let have = &mut miner.clusters[index].evidence;
            *have = Some(have.map_or(e, |h| h.min(e)));
        }
    }
    Ok(miner.patterns())
}

/// Patterns as a frame: `count`, `first_ts`, `last_ts`, `pods` (count), `pod_list` (the
/// first ten, comma-separated), `evidence` (`go-panic`, `oom`, ...), `template`, `sample`.
pub fn patterns_frame(
    patterns: &[Pattern],
) -> polars::prelude::PolarsResult<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let ts = |name: &str, v: Vec<Option<i64>>| -> PolarsResult<Column> {
        Ok(crate::table::datetime_column(
            name,
            TimeUnit::Nanoseconds,
            v,
        ))
    };
    DataFrame::new(vec![
        Column::new(
            "count".into(),
            patterns.iter().map(|p| p.count).collect::<Vec<u64>>(),
        ),
        ts("first_ts", patterns.iter().map(|p| p.first_ts).collect())?,
        ts("last_ts", patterns.iter().map(|p| p.last_ts).collect())?,
        Column::new(
            "pods".into(),
            patterns
                .iter()
                .map(|p| p.pods.len() as u32)
                .collect::<Vec<u32>>(),
        ),
        Column::new(
            "pod_list".into(),
            patterns
                .iter()
                .map(|p| {
                    let mut s: Vec<&str> = p.pods.iter().take(10).map(String::as_str).collect();
                    if p.pods.len() > 10 {
                        s.push("...");
                    }
                    s.join(",")
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "evidence".into(),
            patterns
                .iter()
                .map(|p| p.evidence.map(super::health::Evidence::as_str))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "template".into(),
            patterns
                .iter()
                .map(|p| p.template.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "sample".into(),
            patterns
                .iter()
                .map(|p| p.sample.as_str())
                .collect::<Vec<_>>(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        for (input, want) in [
            (
                "connection to 10.0.3.7:5432 refused",
                "connection to <IP> refused",
            ),
            (
                "pod 0d5ad0a5-6b8a-4a3a-9c51-2f7e3c1b8a11 deleted",
                "pod <UUID> deleted",
            ),
            ("took 12ms (limit 3.5s)", "took <DUR> (limit <DUR>)"),
            ("retry 3 of 10, id=42", "retry <NUM> of <NUM>, id=<NUM>"),
            (
                "container deadbeef0123 OOM at 0x7f3a",
                "container <HEX> OOM at <HEX>",
            ),
            (
                "using 512Mi of 1Gi (50%)",
                "using <SIZE> of <SIZE> (<SIZE>)",
            ),
            ("listening on [::1]:8080", "listening on <IP>"),
            (
                "dial tcp 10.96.0.1:443: i/o timeout",
                "dial tcp <IP>: i/o timeout",
            ),
            ("image nginx:1.25 pulled", "image nginx:<NUM> pulled"),
            ("api-7d9f8b6c5-x2k4p ready", "api-7d9f8b6c5-x2k4p ready"),
            ("user=\"bob\" status:500", "user=\"bob\" status:<NUM>"),
        ] {
            assert_eq!(mask(input), want, "{input}");
        }
    }

    #[test]
    fn groups_messages_that_differ_in_variable_parts() {
        let mut m = TemplateMiner::new(MinerConfig::default());
        let msgs = [
            (
                "connection to 10.0.3.7:5432 refused after 3 retries",
                "api-1",
            ),
            (
                "connection to 10.0.3.9:5432 refused after 5 retries",
                "api-2",
            ),
            ("user alice logged in", "web-1"),
            ("user bob logged in", "web-1"),
            ("user carol logged out", "web-2"),
            (
                "connection to 10.0.3.7:5432 refused after 4 retries",
                "api-1",
            ),
            ("shutting down", "api-1"),
        ];
        for (i, (msg, pod)) in msgs.iter().enumerate() {
            m.add(msg, Some(i as i64), Some(pod));
        }
        let p = m.patterns();
        let got: Vec<(&str, u64)> = p.iter().map(|p| (p.template.as_str(), p.count)).collect();
        assert_eq!(
            got,
            [
                ("connection to <IP> refused after <NUM> retries", 3),
                ("user <*> logged <*>", 3),
                ("shutting down", 1),
            ]
        );
        assert_eq!(p[0].first_ts, Some(0));
        assert_eq!(p[0].last_ts, Some(5));
        assert_eq!(p[0].sample, msgs[0].0);
        assert_eq!(
            p[0].pods.iter().map(String::as_str).collect::<Vec<_>>(),
            ["api-1", "api-2"]
        );
    }

    #[test]
    fn headers_are_not_mined() {
        for (line, body) in [
            (
                "2024-01-01 00:00:00.449 INFO [main] c.e.Service - started",
                "[main] c.e.Service - started",
            ),
            (
                "I0101 12:00:00.000000    1 kubelet.go:12] Starting kubelet",
                "Starting kubelet",
            ),
            ("[2024-01-01T00:00:00Z] [error] boom", "boom"),
            ("WARNING: disk almost full", "disk almost full"),
            (
                "<info>  [1608278027.6016] dhcp-init: ok",
                "[1608278027.6016] dhcp-init: ok",
            ),
            ("plain message", "plain message"),
        ] {
            assert_eq!(message_body(line), body, "{line}");
        }
    }

    #[test]
    fn different_lengths_and_first_words_stay_apart() {
        let mut m = TemplateMiner::new(MinerConfig::default());
        m.add("failed to pull image", None, None);
        m.add("failed to pull image nginx", None, None);
        m.add("succeeded to pull image", None, None);
        assert_eq!(m.patterns().len(), 3);
    }

    #[test]
    fn absorbing_another_miners_patterns_merges_them() {
        let mut a = TemplateMiner::new(MinerConfig::default());
        let mut b = TemplateMiner::new(MinerConfig::default());
        a.add("connection to 10.0.0.1:5432 refused", Some(1), Some("p1"));
        b.add("connection to 10.0.0.2:5432 refused", Some(5), Some("p2"));
        b.add("connection to 10.0.0.3:5432 refused", Some(3), Some("p2"));
        b.add("disk full", Some(4), Some("p2"));
        for p in b.patterns() {
            a.absorb(&p);
        }
        let p = a.patterns();
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].template.as_str(), p[0].count),
            ("connection to <IP> refused", 3)
        );
        assert_eq!((p[0].first_ts, p[0].last_ts), (Some(1), Some(5)));
        assert_eq!(p[0].pods.len(), 2);
        assert_eq!((p[1].template.as_str(), p[1].count), ("disk full", 1));
    }

    #[test]
    fn order_is_deterministic_and_long_messages_are_cut() {
        let mut m = TemplateMiner::new(MinerConfig {
            max_tokens: 4,
            ..MinerConfig::default()
        });
        m.add("a b c d e f g", None, None);
        m.add("a b c d x y z", None, None);
        let p = m.patterns();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].template, "a b c d <*>");
        assert_eq!(p[0].count, 2);
    }
}
