//! Kubernetes documents by their first bytes: audit event lines, and resource documents in
//! every shape (lists, arrays, single objects, watch events, JSON or YAML) with the kind of
//! their objects.

use super::json_head::{Skim, Val, skim};

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

/// What a Kubernetes document at the start of a file holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KubeDoc {
    /// The kind of its objects (`Pod` for a `PodList`, a `List` of Pods or an array of them;
    /// the object's own kind for a single one); empty when the objects do not say and their
    /// fields do not show it.
    pub(crate) kind: String,
    /// Its API version, where the document or its first object names one.
    pub(crate) api_version: Option<String>,
}

/// The Kubernetes document at the start of `head`, JSON or YAML, in every shape the API and
/// the tools that dump it write: a single object, a `<Kind>List` or a `List`, a bare array of
/// objects (sonobuoy's older `Pods.json`, whose typed items name no kind), one watch event
/// after another, YAML documents. The kind comes from the document's `kind`, else from its
/// first object's, else from that object's fields (an Event's `involvedObject`, a Pod's
/// `spec.containers`, a Node's `status.nodeInfo`). A list's own `kind` may come after its items
/// (Go writes keys in order: `apiVersion`, `items`, `kind`), beyond the head: the first item
/// then tells.
pub(crate) fn document(head: &[u8]) -> Option<KubeDoc> {
    let start = head.iter().position(|c| !c.is_ascii_whitespace())?;
    let skim = if matches!(head[start], b'{' | b'[') {
        skim(&head[start..], 4)?
    } else {
        yaml_skim(&head[start..])
    };
    classify(&skim)
}

fn classify(s: &Skim) -> Option<KubeDoc> {
    let root_array = matches!(s.get(""), Some(Val::Array));
    let (prefix, list) = if root_array {
        if matches!(s.get("0"), Some(Val::Num(_) | Val::Str(_)))
            && matches!(s.get("1"), Some(Val::Object))
        {
            // fluent-bit's `[time, record]`.
            ("1", false)
        } else {
            ("0", true)
        }
    } else if s.has("items") {
        ("items/0", true)
    } else if s.has("type") && s.has("object") {
        ("object", false)
    } else {
        ("", false)
    };
    let at = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}/{k}")
        }
    };
    let top_api = s.str("apiVersion");
    let item_api = s.str(&at("apiVersion"));
    let api_version = item_api.or(top_api).map(str::to_string);
    let item_kind = if prefix.is_empty() {
        None
    } else {
        s.str(&at("kind")).filter(|_| api_version.is_some())
    };
    let kind = match s.str("kind").filter(|_| top_api.is_some()) {
        Some(k) if list && k != "List" && k.len() > 4 && k.ends_with("List") => {
            Some(&k[..k.len() - 4])
        }
        Some(k) if !list && k != "List" => Some(k),
        _ => item_kind,
    };
    if let Some(kind) = kind {
        return Some(KubeDoc {
            kind: kind.to_string(),
            api_version,
        });
    }
    // Objects that name no kind: their fields tell.
    let has = |k: &str| s.has(&at(k));
    let kind = if (has("involvedObject") || has("regarding"))
        && (has("reason") || has("note") || has("message"))
    {
        "Event"
    } else if has("metadata") && has("spec/containers") {
        "Pod"
    } else if has("metadata") && (has("status/nodeInfo") || has("spec/podCIDR")) {
        "Node"
    } else if has("metadata/name")
        && (has("spec")
            || has("status")
            || has("data")
            || has("metadata/uid")
            || has("metadata/creationTimestamp"))
    {
        ""
    } else {
        return None;
    };
    Some(KubeDoc {
        kind: kind.to_string(),
        api_version,
    })
}

/// The block structure of the first YAML document in `head`, as paths like [`skim`]'s: keys by
/// indentation, of a sequence only the first element (`0`), four levels deep. Enough to see a
/// document's kind and its first item's fields; flow style and block scalars are not followed.
fn yaml_skim(head: &[u8]) -> Skim {
    let text = String::from_utf8_lossy(&head[..head.len().min(HEAD_YAML)]);
    let mut out = Skim::default();
    out.fields.push((String::new(), Val::Object));
    // Open keys and sequence elements: (indent, path, is an element). A path of `None` is
    // not looked into (a later element, or too deep).
    let mut stack: Vec<(usize, Option<String>, bool)> = Vec::new();
    let mut elements: std::collections::HashSet<String> = std::collections::HashSet::new();
    let parent_of = |stack: &[(usize, Option<String>, bool)]| {
        stack
            .last()
            .map_or(Some(String::new()), |(_, p, _)| p.clone())
    };
    for line in text.lines() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut indent = line.len() - t.len();
        if indent == 0 && (t == "---" || t.starts_with("--- ") || t == "...") {
            if out.fields.len() > 1 {
                break;
            }
            continue;
        }
        let mut t = t;
        if t == "-" || t.starts_with("- ") {
            // A sequence element: of the key at this indentation (`items:` then `- a: 1`) or
            // less; a sibling element at this indentation ends.
            while stack
                .last()
                .is_some_and(|&(i, _, elem)| i > indent || (i == indent && elem))
            {
                stack.pop();
            }
            let elem = parent_of(&stack).and_then(|p| {
                let path = if p.is_empty() {
                    "0".to_string()
                } else {
                    format!("{p}/0")
                };
                elements.insert(path.clone()).then_some(path)
            });
            if let Some(p) = &elem {
                if p == "0" {
                    out.fields[0].1 = Val::Array;
                }
                out.fields.push((p.clone(), Val::Object));
            }
            stack.push((indent, elem, true));
            t = t[1..].trim_start();
            if t.is_empty() {
                continue;
            }
            indent += 2;
        }
        let Some((key, value)) = t.split_once(':') else {
            continue;
        };
        let key = key.trim_matches('"');
        if key.is_empty() || key.contains(' ') {
            continue;
        }
        while stack.last().is_some_and(|&(i, _, _)| i >= indent) {
            stack.pop();
        }
        let path = parent_of(&stack).and_then(|p| {
            let path = if p.is_empty() {
                key.to_string()
            } else {
                format!("{p}/{key}")
            };
            (path.matches('/').count() < 4).then_some(path)
        });
        let value = value.trim();
        if let Some(p) = &path {
            let v = if value.is_empty() {
                Val::Object
            } else {
                Val::Str(value.trim_matches(|c| c == '"' || c == '\'').to_string())
            };
            out.fields.push((p.clone(), v));
        }
        if value.is_empty() {
            stack.push((indent, path, false));
        }
    }
    out
}

/// Bytes of a head read as YAML.
const HEAD_YAML: usize = 32 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(head: &str) -> Option<String> {
        document(head.as_bytes()).map(|d| d.kind)
    }

    #[test]
    fn kinds_of_documents_in_every_shape() {
        let some = |k: &str| Some(k.to_string());
        let cases: &[(&str, Option<String>)] = &[
            // An unstructured list as sonobuoy writes it: its own kind after the items, beyond
            // a head cut inside the first item.
            (
                r#"{"apiVersion":"v1","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"contai"#,
                some("Pod"),
            ),
            (
                r#"{"apiVersion":"v1","items":[{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"a"}}],"kind":"List"}"#,
                some("Endpoints"),
            ),
            (
                "{\n  \"kind\": \"NodeList\",\n  \"apiVersion\": \"v1\",\n  \"items\": []\n}",
                some("Node"),
            ),
            // Typed items in a bare array (older sonobuoy): no kind, the fields tell.
            (
                r#"[{"metadata":{"name":"a","namespace":"x"},"spec":{"containers":[{"name":"c"}]},"status":{}}]"#,
                some("Pod"),
            ),
            (
                r#"[{"metadata":{"name":"e.1"},"involvedObject":{"kind":"Pod"},"reason":"Pulled","message":"m"}]"#,
                some("Event"),
            ),
            (
                r#"[{"metadata":{"name":"n"},"spec":{"podCIDR":"10.0.0.0/24"},"status":{"nodeInfo":{}}}]"#,
                some("Node"),
            ),
            (
                r#"{"kind":"EventList","apiVersion":"events.k8s.io/v1","items":[{"regarding":{},"note":"n","reason":"r"}]}"#,
                some("Event"),
            ),
            (
                r#"{"type":"ADDED","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"}}}"#,
                some("Pod"),
            ),
            (
                r#"[1722451635.000000,{"kind":"Event","apiVersion":"v1","metadata":{"name":"e"},"involvedObject":{}}]"#,
                some("Event"),
            ),
            (
                r#"{"kind":"APIResourceList","apiVersion":"v1","groupVersion":"metrics.k8s.io/v1beta1","resources":[{"name":"pods","kind":"PodMetrics"}]}"#,
                some("APIResourceList"),
            ),
            // YAML: a List whose kind comes last, items at the key's indentation or below it,
            // a single object, the first of several documents.
            (
                "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n    ownerReferences:\n    - kind: ReplicaSet\n- apiVersion: v1\n  kind: Service\nkind: List\n",
                some("Pod"),
            ),
            (
                "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Service\n",
                some("Service"),
            ),
            (
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: c\n",
                some("Pod"),
            ),
            (
                "---\napiVersion: v1\nkind: ConfigMap\n---\napiVersion: v1\nkind: Pod\n",
                some("ConfigMap"),
            ),
            ("apiVersion: v1\nitems: []\nkind: PodList\n", some("Pod")),
            (
                "apiVersion: v1\nitems:\n- metadata:\n    name: a\n  spec:\n    containers:\n    - name: c\n",
                some("Pod"),
            ),
            // Not Kubernetes documents: a log line with a kind, nested kinds, status JSON.
            (r#"{"kind":"x","msg":"hi"}"#, None),
            (r#"{"apiVersion":"v1","o":{"kind":"Pod"}}"#, None),
            (r#"{"kubeletconfig":{"enableServer":true}}"#, None),
            (r#"{"status":200}"#, None),
            ("time=\"2024-01-01T00:00:00Z\" level=info msg=hi\n", None),
        ];
        for (head, want) in cases {
            assert_eq!(&kind(head), want, "{head}");
        }
        assert_eq!(
            document(br#"{"apiVersion":"apps/v1","items":[{"kind":"Deployment"}],"kind":"DeploymentList"}"#)
                .unwrap()
                .api_version
                .as_deref(),
            Some("apps/v1")
        );
    }
}
