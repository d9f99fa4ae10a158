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
//! Results depend only on the order messages come in (the logs table's time order, or the
//! instances' order in a report), never on the machine.
//!
//! Messages are gathered in [`Messages`] batches (one per ingest instance, filled in
//! parallel): each token is masked and kept as a 64-bit hash of its masked text, and each
//! message is filed under its leaf in its batch. [`mine`] joins the batches' leaves in order,
//! then clusters each leaf on its own (in parallel natively): a leaf's clusters depend only on
//! its own messages, so this is exactly one miner fed every message in order. Templates are
//! spelled at the end, by masking each pattern's first message again ([`mine_top`] spells only
//! the patterns it returns).

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

/// What the messages of one pattern have in common.
#[derive(Clone, Debug)]
struct Cluster {
    /// Its first message (batch, index): its template is that message's tokens with the
    /// positions that vary as wildcards.
    first: (u32, u32),
    count: u64,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    /// Its pods' numbers (see [`mine_top`]), repeats possible.
    pods: Vec<u32>,
    evidence: Option<super::health::Evidence>,
}

/// A token's identity: a 64-bit hash of its masked text (two texts sharing one is about
/// as likely as 1 in 2^64 per pair), [`WILDCARD_HASH`] for a variable part.
type TokenHash = u64;

/// The token hash of [`WILDCARD`] (no text hashes to it).
const WILDCARD_HASH: TokenHash = 0;

fn token_hash(text: &str) -> TokenHash {
    use std::hash::BuildHasher;
    match foldhash::fast::FixedState::with_seed(0x0070_6f64_7369_6674).hash_one(text) {
        WILDCARD_HASH => 1,
        h => h,
    }
}

/// The clusters of one route (token count and first tokens). They all have `width`
/// tokens, kept side by side in `tokens` (cluster `k` at `k * width`), so finding the most
/// similar one is one pass over numbers. A leaf's clusters depend only on the messages
/// routed to it, in their order: leaves are mined apart (in parallel natively) and give
/// what one miner fed every message in order would.
#[derive(Clone, Debug, Default)]
struct Leaf {
    width: usize,
    tokens: Vec<TokenHash>,
    clusters: Vec<Cluster>,
}

impl Leaf {
    /// The cluster `tokens` join, or a new one starting at message `first`.
    fn place(&mut self, tokens: &[TokenHash], config: &MinerConfig, first: (u32, u32)) -> usize {
        // The most similar cluster (first one on ties): `equal` of `counted` tokens agree,
        // wildcards not counted (a template of wildcards agrees with anything of its
        // length).
        let width = self.width;
        let mut best: Option<(usize, u32, u32)> = None;
        for k in 0..self.clusters.len() {
            let template = &self.tokens[k * width..(k + 1) * width];
            let (mut equal, mut counted) = (0u32, 0u32);
            for (&a, &b) in template.iter().zip(tokens) {
                let fixed = u32::from(a != WILDCARD_HASH);
                counted += fixed;
                equal += fixed & u32::from(a == b);
            }
            if counted == 0 {
                (equal, counted) = (1, 1);
            }
            if best.is_none_or(|(_, e, c)| {
                u64::from(equal) * u64::from(c) > u64::from(e) * u64::from(counted)
            }) {
                best = Some((k, equal, counted));
                if equal == counted {
                    break;
                }
            }
        }
        let join = match best {
            Some((k, equal, counted))
                if f64::from(equal) / f64::from(counted) >= config.similarity =>
            {
                Some(k)
            }
            Some((k, _, _)) if self.clusters.len() >= config.max_clusters_per_leaf => Some(k),
            _ => None,
        };
        if let Some(k) = join {
            let template = &mut self.tokens[k * width..(k + 1) * width];
            for (have, &new) in template.iter_mut().zip(tokens) {
                if *have != new {
                    *have = WILDCARD_HASH;
                }
            }
            self.clusters[k].count += 1;
            return k;
        }
        self.clusters.push(Cluster {
            first,
            count: 1,
            first_ts: None,
            last_ts: None,
            pods: Vec::new(),
            evidence: None,
        });
        self.tokens.extend_from_slice(tokens);
        self.clusters.len() - 1
    }
}

/// Most characters of a message kept as a pattern's sample.
pub(crate) const MAX_SAMPLE: usize = 4096;

/// The placeholder of a variable part.
pub(crate) const WILDCARD: &str = "<*>";

/// A leaf's key: the message's token count and a hash of its route tokens.
type RouteKey = (u32, u64);

/// No timestamp, in [`Messages`]' time column.
const NO_TS: i64 = i64::MIN;

/// Messages gathered for mining, masked and cut into tokens as they come (one batch per
/// ingest instance, filled in parallel); [`mine`] groups the batches' messages in order.
///
/// Each message is kept as its token hashes, its leaf (grouped here, so mining only joins
/// the batches' leaves), and its sample as written; the masked text is not kept: a
/// pattern's template is spelled from its first message, masked again.
#[derive(Debug, Default)]
pub(crate) struct Messages {
    /// Every message's token hashes, end to end.
    hashes: Vec<TokenHash>,
    /// Per message: where its hashes end.
    ends: Vec<usize>,
    /// The batch's leaves, in the order they were first seen: key, and its messages.
    leaf_of: HashMap<RouteKey, u32, foldhash::fast::RandomState>,
    leaves: Vec<(RouteKey, Vec<u32>)>,
    /// Per message: where its sample starts in `texts`, the sample's length, and where
    /// the mined part starts (from the sample's start) and its length (it is inside the
    /// sample when it can be, else stored after it).
    starts: Vec<usize>,
    spans: Vec<(u32, u32, u32)>,
    texts: String,
    /// Per message: its time (ns), or [`NO_TS`].
    ts: Vec<i64>,
    /// Per message: its pod in `pod_names`, or `u32::MAX`.
    pods: Vec<u32>,
    pod_names: Vec<String>,
    evidence: Vec<Option<super::health::Evidence>>,
    /// Scratch for masking a token.
    scratch: String,
    config: MinerConfig,
}

/// Calls `each` with the masked text of each token of `message` in order, at most
/// `max_tokens` of them; a longer message's rest is one more token, `None` (a wildcard).
/// Tokens are cut at whitespace (Unicode's too); ASCII messages (most) are cut byte by byte
/// in one pass that also sees whether a token needs masking at all.
fn for_each_token(
    message: &str,
    max_tokens: usize,
    scratch: &mut String,
    mut each: impl FnMut(Option<&str>),
) {
    let bytes = message.as_bytes();
    let ascii = message.is_ascii();
    let mut at = 0usize;
    for i in 0.. {
        let (token, plain) = if ascii {
            while at < bytes.len() && bytes[at].is_ascii_whitespace() {
                at += 1;
            }
            if at == bytes.len() {
                return;
            }
            let start = at;
            let mut plain = true;
            while at < bytes.len() && !bytes[at].is_ascii_whitespace() {
                plain &= !may_mask(bytes[at]);
                at += 1;
            }
            (&message[start..at], plain)
        } else {
            let rest = message[at..].trim_start();
            if rest.is_empty() {
                return;
            }
            let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
            at = message.len() - rest.len() + len;
            (&rest[..len], false)
        };
        if i == max_tokens {
            each(None);
            return;
        }
        if plain {
            // Nothing to mask (see `may_mask`).
            each(Some(token));
        } else {
            scratch.clear();
            mask_token(token, scratch);
            each(Some(scratch));
        }
    }
}

impl Messages {
    /// No messages, to be mined with `config`.
    pub(crate) fn new(config: &MinerConfig) -> Messages {
        Messages {
            config: *config,
            ..Messages::default()
        }
    }

    /// Adds a message at `ts` (ns) from `pod`.
    #[cfg(test)]
    pub(crate) fn add(&mut self, message: &str, ts: Option<i64>, pod: Option<&str>) {
        self.add_with_sample(message, message, ts, pod, None);
    }

    /// Adds the part of a line that is mined (`message`), keeping the whole line (`sample`,
    /// its first [`MAX_SAMPLE`] characters) to show when it starts a pattern, and the crash
    /// evidence seen in it.
    pub(crate) fn add_with_sample(
        &mut self,
        message: &str,
        sample: &str,
        ts: Option<i64>,
        pod: Option<&str>,
        evidence: Option<super::health::Evidence>,
    ) {
        use std::hash::{BuildHasher, Hasher};
        let depth = self.config.depth;
        let mut route = foldhash::fast::FixedState::with_seed(0x0072_6f75_7465).build_hasher();
        let mut n = 0usize;
        let hashes = &mut self.hashes;
        for_each_token(message, self.config.max_tokens, &mut self.scratch, |text| {
            let hash = text.map_or(WILDCARD_HASH, token_hash);
            hashes.push(hash);
            if n < depth {
                // Tokens with digits (and placeholders) route as wildcards.
                let variable = text
                    .is_none_or(|t| t.starts_with('<') || t.bytes().any(|c| c.is_ascii_digit()));
                route.write_u64(if variable { WILDCARD_HASH } else { hash });
            }
            n += 1;
        });
        for _ in n..depth {
            route.write_u64(WILDCARD_HASH);
        }
        let key = (n as u32, route.finish());
        let m = self.ends.len() as u32;
        self.ends.push(self.hashes.len());
        match self.leaf_of.get(&key) {
            Some(&l) => self.leaves[l as usize].1.push(m),
            None => {
                self.leaf_of.insert(key, self.leaves.len() as u32);
                self.leaves.push((key, vec![m]));
            }
        }
        self.ts.push(ts.unwrap_or(NO_TS));
        let pod = pod.map_or(u32::MAX, |p| {
            match self.pod_names.iter().rposition(|have| have == p) {
                Some(k) => k as u32,
                None => {
                    self.pod_names.push(p.to_string());
                    (self.pod_names.len() - 1) as u32
                }
            }
        });
        self.pods.push(pod);
        let cut = if sample.len() <= MAX_SAMPLE {
            sample.len()
        } else {
            sample
                .char_indices()
                .nth(MAX_SAMPLE)
                .map_or(sample.len(), |(k, _)| k)
        };
        let start = self.texts.len();
        self.texts.push_str(&sample[..cut]);
        // The mined part, inside the kept sample when it is (as it is from the report and
        // `mine_logs`), else stored after it.
        let offset = (message.as_ptr() as usize).wrapping_sub(sample.as_ptr() as usize);
        let inside = offset <= cut && message.len() <= cut - offset;
        let from = if inside {
            offset
        } else {
            self.texts.push_str(message);
            cut
        };
        self.starts.push(start);
        self.spans
            .push((cut as u32, from as u32, message.len() as u32));
        self.evidence.push(evidence);
    }

    fn message(&self, m: usize) -> &[TokenHash] {
        let start = if m == 0 { 0 } else { self.ends[m - 1] };
        &self.hashes[start..self.ends[m]]
    }

    /// The mined part of message `m`, as written.
    fn text(&self, m: usize) -> &str {
        let (start, (_, from, len)) = (self.starts[m], self.spans[m]);
        let from = start + from as usize;
        &self.texts[from..from + len as usize]
    }

    fn sample(&self, m: usize) -> &str {
        let (start, (cut, _, _)) = (self.starts[m], self.spans[m]);
        &self.texts[start..start + cut as usize]
    }

    /// The template of a cluster whose first message is `m`: its tokens masked, with the
    /// positions whose hash in `template` is a wildcard as [`WILDCARD`].
    fn spell(&self, m: usize, template: &[TokenHash]) -> String {
        let mut out = String::new();
        let mut scratch = String::new();
        let mut k = 0;
        for_each_token(self.text(m), self.config.max_tokens, &mut scratch, |text| {
            if k > 0 {
                out.push(' ');
            }
            match text {
                Some(t) if template.get(k).is_some_and(|&h| h != WILDCARD_HASH) => out.push_str(t),
                _ => out.push_str(WILDCARD),
            }
            k += 1;
        });
        out
    }
}

/// A cluster as mined, before it is spelled as a [`Pattern`].
struct Found {
    cluster: Cluster,
    template: Vec<TokenHash>,
}

/// Groups the messages of `batches`, in order (batch by batch), into patterns sorted by
/// count (most first), then template.
pub(crate) fn mine(batches: &[&Messages], config: MinerConfig) -> Vec<Pattern> {
    mine_top(batches, config, usize::MAX)
}

/// The first `top` patterns [`mine`] gives; only those are spelled.
pub(crate) fn mine_top(batches: &[&Messages], config: MinerConfig, top: usize) -> Vec<Pattern> {
    // Pods: one numbering over the batches.
    let mut pod_ids: HashMap<&str, u32, foldhash::fast::RandomState> = HashMap::default();
    let mut pod_names: Vec<&str> = Vec::new();
    let pod_maps: Vec<Vec<u32>> = batches
        .iter()
        .map(|b| {
            b.pod_names
                .iter()
                .map(|p| {
                    *pod_ids.entry(p.as_str()).or_insert_with(|| {
                        pod_names.push(p);
                        (pod_names.len() - 1) as u32
                    })
                })
                .collect()
        })
        .collect();
    // Each leaf's parts, batch by batch: (batch, the batch's leaf).
    let mut leaf_of: HashMap<RouteKey, usize, foldhash::fast::RandomState> = HashMap::default();
    let mut leaves: Vec<Vec<(u32, u32)>> = Vec::new();
    for (bi, b) in batches.iter().enumerate() {
        for (li, (key, _)) in b.leaves.iter().enumerate() {
            let l = *leaf_of.entry(*key).or_insert_with(|| {
                leaves.push(Vec::new());
                leaves.len() - 1
            });
            leaves[l].push((bi as u32, li as u32));
        }
    }
    let mine_leaf = |parts: &Vec<(u32, u32)>| -> Vec<Found> {
        let mut leaf = Leaf::default();
        for &(bi, li) in parts {
            let b = batches[bi as usize];
            for &m in &b.leaves[li as usize].1 {
                let mi = m as usize;
                let tokens = b.message(mi);
                leaf.width = tokens.len();
                let k = leaf.place(tokens, &config, (bi, m));
                let cl = &mut leaf.clusters[k];
                let t = b.ts[mi];
                if t != NO_TS {
                    cl.first_ts = Some(cl.first_ts.map_or(t, |f| f.min(t)));
                    cl.last_ts = Some(cl.last_ts.map_or(t, |l| l.max(t)));
                }
                if let Some(&p) = pod_maps[bi as usize].get(b.pods[mi] as usize)
                    && cl.pods.last() != Some(&p)
                {
                    cl.pods.push(p);
                    if cl.pods.len() >= 64 && cl.pods.len().is_power_of_two() {
                        cl.pods.sort_unstable();
                        cl.pods.dedup();
                    }
                }
                if let Some(e) = b.evidence[mi] {
                    cl.evidence = Some(cl.evidence.map_or(e, |h| h.min(e)));
                }
            }
        }
        let width = leaf.width;
        leaf.clusters
            .into_iter()
            .enumerate()
            .map(|(k, cluster)| Found {
                cluster,
                template: leaf.tokens[k * width..(k + 1) * width].to_vec(),
            })
            .collect()
    };
    #[cfg(not(target_arch = "wasm32"))]
    let mut found: Vec<Found> = {
        use rayon::prelude::*;
        leaves.par_iter().flat_map_iter(mine_leaf).collect()
    };
    #[cfg(target_arch = "wasm32")]
    let mut found: Vec<Found> = leaves.iter().flat_map(mine_leaf).collect();
    // The `top` most frequent: those above the count at the cut, and those at it (their
    // order, by template, needs their templates spelled).
    if top == 0 {
        return Vec::new();
    }
    if top < found.len() {
        found.select_nth_unstable_by(top - 1, |a, b| b.cluster.count.cmp(&a.cluster.count));
        let at = found[top - 1].cluster.count;
        found.retain(|f| f.cluster.count >= at);
    }
    let spell = |f: &Found| {
        let (b, m) = (f.cluster.first.0 as usize, f.cluster.first.1 as usize);
        batches[b].spell(m, &f.template)
    };
    let mut spelled: Vec<(String, Found)> = found.into_iter().map(|f| (spell(&f), f)).collect();
    spelled.sort_by(|(ta, a), (tb, b)| {
        b.cluster
            .count
            .cmp(&a.cluster.count)
            .then_with(|| ta.cmp(tb))
    });
    spelled.truncate(top);
    spelled
        .into_iter()
        .map(|(template, f)| {
            let c = f.cluster;
            let (b, m) = (c.first.0 as usize, c.first.1 as usize);
            Pattern {
                template,
                count: c.count,
                first_ts: c.first_ts,
                last_ts: c.last_ts,
                sample: batches[b].sample(m).to_string(),
                pods: c
                    .pods
                    .iter()
                    .map(|&p| pod_names[p as usize].to_string())
                    .collect(),
                evidence: c.evidence,
            }
        })
        .collect()
}

/// Whether a token with this byte may be masked: tokens without digits and dashes (words,
/// `[main]`, `c.e.Service`) stay as they are (a UUID, the one placeholder without a digit
/// for sure, has dashes).
fn may_mask(c: u8) -> bool {
    c.is_ascii_digit() || c == b'-'
}

/// Writes `token` with its variable part replaced by a placeholder (punctuation around it
/// is kept: `(id=<NUM>)`, `"<IP>",`).
fn mask_token(token: &str, out: &mut String) {
    if !token.bytes().any(may_mask) {
        out.push_str(token);
        return;
    }
    // Plain numbers are `<NUM>`.
    if token.bytes().all(|c| c.is_ascii_digit()) {
        out.push_str("<NUM>");
        return;
    }
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
    // A quick no for words: an address is hex digits, dots and colons (and brackets).
    let b = s.as_bytes();
    if !b.iter().any(u8::is_ascii_digit)
        || !b.iter().any(|&c| c == b'.' || c == b':')
        || !b
            .iter()
            .all(|&c| c.is_ascii_hexdigit() || matches!(c, b'.' | b':' | b'[' | b']'))
    {
        return false;
    }
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
pub(crate) fn message_body(msg: &str) -> &str {
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
    let word_end = rest
        .bytes()
        .position(|c| c == b' ' || c == b'\t')
        .unwrap_or(rest.len());
    let word = rest[..word_end].trim_matches(|c| matches!(c, '[' | ']' | '<' | '>' | ':' | '|'));
    if [
        "trace", "debug", "info", "notice", "warn", "warning", "error", "err", "fatal", "critical",
        "crit",
    ]
    .iter()
    .any(|w| w.eq_ignore_ascii_case(word))
    {
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
) -> crate::Result<Vec<Pattern>> {
    use crate::schema::logs as col;
    use polars::prelude::*;
    let message = logs.column(col::MESSAGE)?.str()?.clone();
    let ts = logs.column(col::TS)?.cast(&DataType::Int64)?.i64()?.clone();
    let text = |name: &str| -> crate::Result<StringChunked> {
        Ok(logs.column(name)?.cast(&DataType::String)?.str()?.clone())
    };
    let pod = text(col::POD)?;
    let component = text(col::COMPONENT)?;
    let fields = logs.column(col::FIELDS)?.list()?.clone();
    let mut messages = Messages::new(&config);
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
        // The first line: what follows in a folded entry (a stack) varies too much. The
        // whole message is looked at for evidence: a folded stack trace is one entry.
        let first = msg.lines().next().unwrap_or_default();
        let whole = message.get(i).unwrap_or_default();
        messages.add_with_sample(
            message_body(first),
            &msg,
            ts.get(i),
            from,
            super::health::evidence(whole),
        );
    }
    Ok(mine(&[&messages], config))
}

/// Patterns as a frame: `count`, `first_ts`, `last_ts`, `pods` (count), `pod_list` (the
/// first ten, comma-separated), `evidence` (`go-panic`, `oom`, ...), `template`, `sample`.
pub fn patterns_frame(patterns: &[Pattern]) -> crate::Result<polars::prelude::DataFrame> {
    use polars::prelude::*;
    let ts = |name: &str, v: Vec<Option<i64>>| -> crate::Result<Column> {
        Ok(crate::table::datetime_column(
            name,
            TimeUnit::Nanoseconds,
            v,
        ))
    };
    Ok(DataFrame::new(vec![
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
    ])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Replaces the variable parts of a message with placeholders, token by token (punctuation
    /// around a token is kept: `(id=<NUM>)`, `"<IP>",`).
    fn mask(message: &str) -> String {
        let mut out = String::with_capacity(message.len());
        for (i, token) in message.split_whitespace().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            mask_token(token, &mut out);
        }
        out
    }

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
        let mut m = Messages::new(&MinerConfig::default());
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
        let p = mine(&[&m], MinerConfig::default());
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
        let mut m = Messages::new(&MinerConfig::default());
        m.add("failed to pull image", None, None);
        m.add("failed to pull image nginx", None, None);
        m.add("succeeded to pull image", None, None);
        assert_eq!(mine(&[&m], MinerConfig::default()).len(), 3);
    }

    #[test]
    fn ascii_and_other_messages_are_cut_alike() {
        let config = MinerConfig::default();
        let mut m = Messages::new(&config);
        m.add("  retry\tafter 12 s ", None, None);
        m.add("retry\u{2003}after 13 s", None, None);
        m.add("retry after 14 s\u{a0}", None, None);
        let p = mine(&[&m], config);
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].template.as_str(), p[0].count),
            ("retry after <NUM> s", 3)
        );
    }

    #[test]
    fn batches_mine_as_one_stream_in_order() {
        let config = MinerConfig::default();
        let mut a = Messages::new(&config);
        let mut b = Messages::new(&config);
        a.add("connection to 10.0.0.1:5432 refused", Some(1), Some("p1"));
        b.add("connection to 10.0.0.2:5432 refused", Some(5), Some("p2"));
        b.add("connection to 10.0.0.3:5432 refused", Some(3), Some("p2"));
        b.add("disk full", Some(4), Some("p2"));
        let p = mine(&[&a, &b], config);
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].template.as_str(), p[0].count),
            ("connection to <IP> refused", 3)
        );
        assert_eq!((p[0].first_ts, p[0].last_ts), (Some(1), Some(5)));
        assert_eq!(p[0].pods.len(), 2);
        assert_eq!(p[0].sample, "connection to 10.0.0.1:5432 refused");
        assert_eq!((p[1].template.as_str(), p[1].count), ("disk full", 1));
        // Split anywhere, the same patterns as one batch.
        let messages: Vec<String> = (0..300)
            .map(|i| {
                format!(
                    "w{} x{} {} y{}",
                    i % 7,
                    i % 5,
                    ["a", "b", "c"][i % 3],
                    i % 11
                )
            })
            .collect();
        let mut whole = Messages::new(&config);
        for (i, m) in messages.iter().enumerate() {
            whole.add(m, Some(i as i64), Some("p"));
        }
        let want = mine(&[&whole], config);
        for cut in [1, 77, 150, 299] {
            let (mut x, mut y) = (Messages::new(&config), Messages::new(&config));
            for (i, m) in messages.iter().enumerate() {
                (if i < cut { &mut x } else { &mut y }).add(m, Some(i as i64), Some("p"));
            }
            assert_eq!(mine(&[&x, &y], config), want, "cut at {cut}");
        }
        // The top ones are the first ones, whatever the cut lands on (ties by template).
        assert!(want.len() > 12, "{}", want.len());
        for top in [0, 1, 5, 12, want.len(), want.len() + 3] {
            let got = mine_top(&[&whole], config, top);
            assert_eq!(got, want[..top.min(want.len())], "top {top}");
        }
    }

    #[test]
    fn order_is_deterministic_and_long_messages_are_cut() {
        let config = MinerConfig {
            max_tokens: 4,
            ..MinerConfig::default()
        };
        let mut m = Messages::new(&config);
        m.add("a b c d e f g", None, None);
        m.add("a b c d x y z", None, None);
        let p = mine(&[&m], config);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].template, "a b c d <*>");
        assert_eq!(p[0].count, 2);
    }
}
