//! Kubernetes documents as bundles carry them, for the tables read from them (`events`,
//! `pods`, and `audit`'s fields): files of JSON values one after another or of YAML documents,
//! the objects inside lists (`items`), arrays and watch events, and the fields podsift reads
//! from an object by JSON pointer.

use std::io::Read;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::diag::{Diagnostic, Severity};
use crate::ingest::Accounting;
use crate::sources::FileSet;
use crate::time::parse_rfc3339_nanos;

/// Parses a file into documents: JSON values one after another, else YAML documents.
pub(crate) fn documents(bytes: &[u8]) -> Result<Vec<Value>, (u64, String)> {
    let first = bytes.iter().find(|c| !c.is_ascii_whitespace());
    if matches!(first, Some(b'{' | b'[')) {
        let mut docs = Vec::new();
        for v in serde_json::Deserializer::from_slice(bytes).into_iter::<Value>() {
            match v {
                Ok(v) => docs.push(v),
                Err(e) => return Err((e.line() as u64, e.to_string())),
            }
        }
        return Ok(docs);
    }
    let text = String::from_utf8_lossy(bytes);
    let mut docs = Vec::new();
    for d in serde_norway::Deserializer::from_str(&text) {
        match Value::deserialize(d) {
            Ok(v) => docs.push(v),
            Err(e) => {
                let line = e.location().map_or(0, |l| l.line() as u64);
                return Err((line, e.to_string()));
            }
        }
    }
    Ok(docs)
}

/// Reads file `i` whole and parses it into JSON or YAML documents, recording its bytes, lines
/// and problems in `report`. `None` when it does not parse: a document parses whole or not at
/// all, so its lines are all counted as unparsed. Returns the documents and the line count.
pub(crate) fn read_documents(
    set: &FileSet,
    i: usize,
    report: &mut Accounting,
) -> Option<(Vec<Value>, u64)> {
    let path = &set.entries()[i].path;
    let stats = &mut report.files[i];
    stats.read = true;
    let mut bytes = Vec::new();
    if let Err(e) = set.open(i).and_then(|mut r| r.read_to_end(&mut bytes)) {
        report.diagnostics.push(Diagnostic::file(
            path.clone(),
            Severity::Error,
            format!("read error: {e}"),
        ));
        stats.errors += 1;
    }
    stats.bytes = bytes.len() as u64;
    let lines = bytes.iter().filter(|&&c| c == b'\n').count() as u64
        + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
    stats.lines = lines;
    match documents(&bytes) {
        Ok(d) => Some((d, lines)),
        Err((line, msg)) => {
            report.diagnostics.push(Diagnostic::line(
                path.clone(),
                line.max(1),
                Severity::Error,
                format!("not valid JSON or YAML ({msg}): its lines are counted as unparsed"),
            ));
            stats.errors += 1;
            stats.unparsed = lines;
            stats.entries = lines;
            None
        }
    }
}

/// The objects of a parsed document that `want` keeps: the document itself, the items of a
/// list (`kind: List`, `PodList`, ...), the elements of an array, the object of a watch event
/// (`{"type": "ADDED", "object": {...}}`), recursively.
pub(crate) fn objects(
    doc: Value,
    out: &mut Vec<Value>,
    want: &dyn Fn(&Map<String, Value>) -> bool,
) {
    match doc {
        Value::Array(items) => items.into_iter().for_each(|i| objects(i, out, want)),
        Value::Object(mut m) => {
            if let Some(Value::Array(items)) = m.remove("items") {
                items.into_iter().for_each(|i| objects(i, out, want));
            } else if want(&m) {
                out.push(Value::Object(m));
            } else if m.contains_key("type")
                && let Some(o) = m.remove("object")
            {
                objects(o, out, want);
            }
        }
        _ => {}
    }
}

/// The text at `path` (a JSON pointer): a non-empty string, or a number as written.
pub(crate) fn text(v: &Value, path: &str) -> Option<String> {
    match v.pointer(path)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The RFC 3339 time at `path`, in nanoseconds.
pub(crate) fn time(v: &Value, path: &str) -> Option<i64> {
    parse_rfc3339_nanos(v.pointer(path)?.as_str()?.as_bytes())
}

/// The first of `paths` that holds an RFC 3339 time.
pub(crate) fn first_time(v: &Value, paths: &[&str]) -> Option<i64> {
    paths.iter().find_map(|p| time(v, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_come_out_of_lists_arrays_and_watch_events() {
        let pod = |m: &Map<String, Value>| m.get("kind").and_then(Value::as_str) == Some("Pod");
        let doc = |s: &str| -> Vec<String> {
            let mut out = Vec::new();
            for d in documents(s.as_bytes()).unwrap() {
                objects(d, &mut out, &pod);
            }
            out.iter()
                .map(|v| text(v, "/metadata/name").unwrap())
                .collect()
        };
        // A list, a bare array, watch events one after another, and a YAML list with a
        // document that is not a pod.
        assert_eq!(
            doc(r#"{"kind":"PodList","items":[{"kind":"Pod","metadata":{"name":"a"}}]}"#),
            ["a"]
        );
        assert_eq!(
            doc(
                r#"[{"kind":"Pod","metadata":{"name":"a"}},{"kind":"Node","metadata":{"name":"n"}}]"#
            ),
            ["a"]
        );
        assert_eq!(
            doc(
                r#"{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a"}}}
{"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"b"}}}"#
            ),
            ["a", "b"]
        );
        assert_eq!(
            doc(
                "kind: List\nitems:\n- kind: Pod\n  metadata:\n    name: a\n---\nkind: Service\nmetadata:\n  name: s\n"
            ),
            ["a"]
        );
        // Numbers read as written; empty strings are none.
        let v: Value =
            serde_json::from_str(r#"{"a": 12, "b": "", "t": "2024-03-01T10:00:00Z"}"#).unwrap();
        assert_eq!(text(&v, "/a").as_deref(), Some("12"));
        assert_eq!(text(&v, "/b"), None);
        assert_eq!(
            first_time(&v, &["/missing", "/t"]),
            Some(1_709_287_200_000_000_000)
        );
        // A document that does not parse says on which line.
        assert_eq!(documents(b"{\n\"a\": \n}").unwrap_err().0, 3);
    }
}
