//! Kubernetes documents by their first bytes: audit event lines, Events, pod lists and other
//! resource documents (anything with a top-level `kind` and `apiVersion`).

/// Whether the first non-blank line of `head` is an audit event.
pub(crate) fn looks_like_audit(head: &[u8]) -> bool {
    let Some(first) = head
        .split(|&c| c == b'\n')
        .map(<[u8]>::trim_ascii)
        .find(|l| !l.is_empty())
    else {
        return false;
    };
    first.starts_with(b"{")
        && memchr::memmem::find(first, b"audit.k8s.io/").is_some()
        && memchr::memmem::find(first, b"Event").is_some()
        && memchr::memmem::find(first, b"auditID").is_some()
}

/// Whether the start of a file holds Kubernetes Events (JSON or YAML).
pub(crate) fn looks_like_events(head: &[u8]) -> bool {
    let has = |k: &[u8]| memchr::memmem::find(head, k).is_some();
    let event_kind = has(b"\"kind\": \"Event") || has(b"\"kind\":\"Event") || has(b"kind: Event");
    let object = has(b"involvedObject") || has(b"regarding");
    (has(b"EventList") && object) || (event_kind && object && has(b"reason"))
}

/// The `kind` of a Kubernetes resource document at the start of a file (JSON or YAML): the
/// top-level `kind` of an object that also has a top-level `apiVersion`.
pub(crate) fn resource_kind(head: &[u8]) -> Option<String> {
    let start = head.iter().position(|c| !c.is_ascii_whitespace())?;
    if head[start] == b'{' {
        return json_top_level_kind(&head[start..]);
    }
    // YAML: `apiVersion:` and `kind:` at the start of lines, before any list item.
    let text = std::str::from_utf8(&head[..head.len().min(16 * 1024)]).ok()?;
    let mut kind = None;
    let mut api = false;
    for line in text.lines().take(200) {
        if let Some(v) = line.strip_prefix("kind:") {
            kind.get_or_insert_with(|| v.trim().trim_matches('"').to_string());
        } else if line.starts_with("apiVersion:") {
            api = true;
        }
    }
    kind.filter(|k| api && !k.is_empty())
}

/// The top-level `kind` of the first JSON object in `b`, if it also has `apiVersion`.
fn json_top_level_kind(b: &[u8]) -> Option<String> {
    let mut depth = 0u32;
    let mut i = 0;
    let mut kind = None;
    let mut api = false;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            }
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let s = &b[start..j.min(b.len())];
                i = j;
                if depth == 1 {
                    // A key is followed by a colon.
                    let mut k = j + 1;
                    while k < b.len() && b[k].is_ascii_whitespace() {
                        k += 1;
                    }
                    if b.get(k) == Some(&b':') {
                        if s == b"apiVersion" {
                            api = true;
                        } else if s == b"kind" {
                            let mut v = k + 1;
                            while v < b.len() && b[v].is_ascii_whitespace() {
                                v += 1;
                            }
                            if b.get(v) == Some(&b'"') {
                                let end = b[v + 1..].iter().position(|&c| c == b'"')?;
                                kind = Some(
                                    String::from_utf8_lossy(&b[v + 1..v + 1 + end]).into_owned(),
                                );
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    kind.filter(|_| api)
}

/// Whether a resource document of `kind` (with `head`) holds pods.
pub(crate) fn holds_pods(kind: &str, head: &[u8]) -> bool {
    let has = |k: &[u8]| memchr::memmem::find(head, k).is_some();
    kind == "PodList"
        || kind == "Pod"
        || (kind == "List"
            && (has(b"\"kind\": \"Pod\"") || has(b"\"kind\":\"Pod\"") || has(b"kind: Pod\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_kinds() {
        assert_eq!(
            resource_kind(b"{\n  \"apiVersion\": \"v1\",\n  \"items\": [{\"kind\": \"Pod\"}],\n  \"kind\": \"List\"\n}").as_deref(),
            Some("List")
        );
        assert_eq!(
            resource_kind(b"{\"kind\":\"NodeList\",\"apiVersion\":\"v1\",\"items\":[]}").as_deref(),
            Some("NodeList")
        );
        assert_eq!(
            resource_kind(b"apiVersion: v1\nitems: []\nkind: PodList\n").as_deref(),
            Some("PodList")
        );
        // A JSON log line with a `kind` but no apiVersion is not a resource.
        assert_eq!(resource_kind(b"{\"kind\":\"x\",\"msg\":\"hi\"}\n"), None);
        // Nested kinds do not count.
        assert_eq!(
            resource_kind(b"{\"apiVersion\":\"v1\",\"o\":{\"kind\":\"Pod\"}}"),
            None
        );
    }
}
