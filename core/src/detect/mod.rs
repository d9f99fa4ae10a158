//! What kind of file this is, from its first bytes: the one place where podsift tells a
//! container log from a plain log, a metrics scrape, a Kubernetes document or an archive.
//!
//! Everything here looks at a *head* (the first [`HEAD_BYTES`] of a file, decompressed) and
//! never at a name; names are the planner's business (`sources::path`, `sources::layout`). The
//! planner calls [`detect`] for every file whose path says nothing, and the readers call the
//! same functions when they need to tell a line or a document apart (`ingest` asks
//! `starts_like_entry` whether a plain line starts an entry). This module sits below
//! `sources`, `ingest` and `table`, and imports only the parsers (`formats`, `metrics`).

pub mod archive;
pub(crate) mod json_head;
pub(crate) mod kube;
pub(crate) mod log;
pub(crate) mod metrics;

use crate::formats::EntryFormat;
use crate::metrics::MetricsFormat;

pub(crate) use log::starts_like_entry;
pub use metrics::metrics_format;

/// Bytes of a file looked at to tell what it is (and compared to tell copies apart).
pub(crate) const HEAD_BYTES: usize = 64 * 1024;

/// How the lines of a log are framed into entries (the reader for each is in `ingest`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Framing {
    /// CRI or docker json-file lines, as a container runtime writes them.
    #[default]
    Runtime,
    /// Plain lines, as the program wrote them: entries start at a timestamp or header, and
    /// indented or unstamped lines continue the entry before them.
    Plain,
    /// JSON documents over several lines: pretty-printed objects one after another
    /// (`journalctl -o json-pretty`) or an array of them; each object is an entry.
    JsonDocs,
    /// `journalctl -o export`: `KEY=value` lines (binary values length-prefixed), records
    /// separated by a blank line; each record is an entry.
    JournalExport,
}

/// What a file's first bytes say it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detected {
    /// No bytes, or only white space.
    Empty,
    /// NUL bytes or mostly invalid UTF-8.
    Binary,
    /// CRI or docker json-file lines.
    ContainerLog,
    /// A metrics scrape or export.
    Metrics(MetricsFormat),
    /// A file of Prometheus's TSDB, told by its magic number (a block's index, chunk
    /// segment or tombstones; a head chunk file).
    Tsdb(crate::metrics::tsdb::FileKind),
    /// Kubernetes API server audit event lines.
    Audit,
    /// Kubernetes Events.
    Events,
    /// A pod list or a single Pod.
    PodList,
    /// A node list or a single Node.
    NodeList,
    /// Another Kubernetes resource document, with the kind of its objects (empty when they
    /// do not say).
    Resource(String),
    /// A JUnit XML test report.
    JUnit,
    /// JSON that is not log records: a status, a configuration, a version, a list of
    /// something (`{"status":200}`, a kubelet's `configz`).
    JsonData,
    /// Other text.
    Text(TextLog),
}

/// What the first lines of a text file say about it as a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextLog {
    /// How its entries are framed, if it is read as a log.
    pub framing: Framing,
    /// The defined format (syslog, access log, a user's) its first lines match.
    pub format: Option<EntryFormat>,
    /// Its content reads as a log (entries framed as documents or a journal export, a defined
    /// format, or lines that mostly start like entries); a file that does not may still be
    /// read as one when its name says log.
    pub looks_like_log: bool,
}

/// What a file starting with `head` is.
pub fn detect(head: &[u8]) -> Detected {
    if let Some(kind) = crate::metrics::tsdb::file_kind(head) {
        return Detected::Tsdb(kind);
    }
    // An export stream holds binary lengths, but it is text to us.
    let journal = log::journal_export(head);
    let sniffed = if journal {
        log::Sniff::Text
    } else {
        log::sniff(head)
    };
    match sniffed {
        log::Sniff::Empty => return Detected::Empty,
        log::Sniff::Binary => return Detected::Binary,
        log::Sniff::ContainerLog => return Detected::ContainerLog,
        log::Sniff::Text => {}
    }
    if junit(head) {
        return Detected::JUnit;
    }
    if let Some(m) = metrics::metrics_format(head) {
        return Detected::Metrics(m);
    }
    if kube::looks_like_audit(head) {
        return Detected::Audit;
    }
    if let Some(doc) = kube::document(head) {
        let audit = doc
            .api_version
            .as_deref()
            .is_some_and(|a| a.starts_with("audit.k8s.io"));
        return match doc.kind.as_str() {
            "Pod" => Detected::PodList,
            "Event" if !audit => Detected::Events,
            "Node" => Detected::NodeList,
            _ => Detected::Resource(doc.kind),
        };
    }
    if let Some(skim) = json_head::skim(head, 3)
        && !log::json_records_look_like_logs(&skim)
    {
        return Detected::JsonData;
    }
    let docs = log::json_documents(head);
    let format = log::detect_plain_format(head);
    let framing = if docs {
        Framing::JsonDocs
    } else if journal {
        Framing::JournalExport
    } else {
        Framing::Plain
    };
    Detected::Text(TextLog {
        framing,
        format,
        looks_like_log: docs || journal || format.is_some() || log::mostly_log_lines(head),
    })
}

/// Whether `head` starts a JUnit XML report: XML whose first element (after the declaration
/// and comments) is `testsuites` or `testsuite`.
fn junit(head: &[u8]) -> bool {
    let mut rest = head.trim_ascii_start();
    // Skip a BOM, the declaration, comments and processing instructions.
    rest = rest.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(rest);
    while rest.starts_with(b"<?") || rest.starts_with(b"<!") {
        let end = if rest.starts_with(b"<!--") {
            memchr::memmem::find(rest, b"-->").map(|i| i + 3)
        } else {
            memchr::memchr(b'>', rest).map(|i| i + 1)
        };
        let Some(end) = end else { return false };
        rest = rest[end..].trim_ascii_start();
    }
    let element = rest.strip_prefix(b"<").map(|r| {
        r.split(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/')
            .next()
            .unwrap_or_default()
    });
    matches!(element, Some(b"testsuites" | b"testsuite"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_answer_per_kind() {
        let text = |framing, looks_like_log| {
            Detected::Text(TextLog {
                framing,
                format: None,
                looks_like_log,
            })
        };
        let cases: &[(&[u8], Detected)] = &[
            (b"", Detected::Empty),
            (b"  \n\n", Detected::Empty),
            (b"\x00\x01\x02binary", Detected::Binary),
            (
                b"2024-01-01T00:00:00.000000000Z stdout F hello\n",
                Detected::ContainerLog,
            ),
            (
                b"# TYPE up gauge\nup{job=\"a\"} 1\n",
                Detected::Metrics(MetricsFormat::Exposition),
            ),
            (
                b"{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"auditID\":\"1\"}\n",
                Detected::Audit,
            ),
            (
                b"{\"kind\":\"EventList\",\"apiVersion\":\"v1\",\"items\":[{\"involvedObject\":{}}]}",
                Detected::Events,
            ),
            (
                b"apiVersion: v1\nkind: PodList\nitems: []\n",
                Detected::PodList,
            ),
            (
                b"{\"apiVersion\":\"v1\",\"kind\":\"NodeList\",\"items\":[]}",
                Detected::NodeList,
            ),
            (
                b"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMapList\",\"items\":[]}",
                Detected::Resource("ConfigMap".into()),
            ),
            (b"{\"status\":200}", Detected::JsonData),
            // An API resource list naming metrics.k8s.io is a resource list, not metrics.
            (
                b"{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"metrics.k8s.io/v1beta1\",\"resources\":[{\"name\":\"nodes\",\"kind\":\"NodeMetrics\"}]}",
                Detected::Resource("APIResourceList".into()),
            ),
            (
                b"{\"kind\":\"PodMetricsList\",\"apiVersion\":\"metrics.k8s.io/v1beta1\",\"items\":[]}",
                Detected::Metrics(MetricsFormat::MetricsApi),
            ),
            (
                b"<?xml version=\"1.0\"?>\n<!-- by ginkgo -->\n<testsuites tests=\"1\">\n",
                Detected::JUnit,
            ),
            (b"<testsuite name=\"e2e\">", Detected::JUnit),
            (
                b"{\"level\":\"info\",\"msg\":\"up\",\"time\":\"2024-01-01T00:00:00Z\"}\n",
                text(Framing::Plain, true),
            ),
            (
                b"2024-01-01 00:00:00 starting\n2024-01-01 00:00:01 ready\n",
                text(Framing::Plain, true),
            ),
            (
                b"[\n  {\"MESSAGE\": \"a\", \"__REALTIME_TIMESTAMP\": \"1\", \"_HOSTNAME\": \"n\"}\n]\n",
                text(Framing::JsonDocs, true),
            ),
            (
                b"__CURSOR=s\n__REALTIME_TIMESTAMP=1700000000000000\nMESSAGE=hi\n\n",
                text(Framing::JournalExport, true),
            ),
            (b"just some words\nand more\n", text(Framing::Plain, false)),
        ];
        for (head, want) in cases {
            assert_eq!(&detect(head), want, "{:?}", String::from_utf8_lossy(head));
        }
    }
}
