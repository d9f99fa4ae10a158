//! Series selectors as PromQL writes them: `up`, `{__name__=~"container_.*",namespace="x"}`,
//! `http_requests_total{code!~"2.."}`, parsed with the promql-parser crate.

use promql_parser::label::{MatchOp, Matcher};
use promql_parser::parser::{self, Expr};

/// A parsed selector: every matcher must hold (or any group of `or` matchers).
#[derive(Debug, Clone)]
pub struct Selector {
    text: String,
    groups: Vec<Vec<Matcher>>,
}

impl Selector {
    /// Parses a vector selector (an instant selector; a range or a function is an error).
    pub fn parse(text: &str) -> crate::Result<Selector> {
        // Ranges, subqueries, `offset` and `@` are not parts of a series selector; they are
        // refused before the parser sees them, which panics on a duration too large for it
        // (`x[99999999999999999999s]`, found by fuzzing; promql-parser 0.11).
        let bare = outside_quotes(text);
        if bare.contains(['[', '@', '('])
            || bare
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .any(|w| w.eq_ignore_ascii_case("offset"))
        {
            return Err(format!(
                "{text:?} is not a series selector (like `name{{label=\"value\"}}`): ranges, subqueries, functions, offset and @ are not"
            )
            .into());
        }
        let expr = parser::parse(text).map_err(|e| format!("invalid selector {text:?}: {e}"))?;
        let Expr::VectorSelector(vs) = expr else {
            return Err(format!(
                "{text:?} is not a series selector (like `name{{label=\"value\"}}`)"
            )
            .into());
        };
        let mut base = vs.matchers.matchers.clone();
        if let Some(name) = &vs.name
            && !base.iter().any(|m| m.name == "__name__")
        {
            base.push(Matcher::new(MatchOp::Equal, "__name__", name));
        }
        let groups = if vs.matchers.or_matchers.is_empty() {
            vec![base]
        } else {
            vs.matchers
                .or_matchers
                .iter()
                .map(|g| base.iter().cloned().chain(g.iter().cloned()).collect())
                .collect()
        };
        Ok(Selector {
            text: text.to_string(),
            groups,
        })
    }

    /// Series any of `selectors` matches.
    pub fn any(selectors: Vec<Selector>) -> Selector {
        Selector {
            text: selectors
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
            groups: selectors.into_iter().flat_map(|s| s.groups).collect(),
        }
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the series `name{labels}` is selected (a missing label is the empty string).
    pub fn matches(&self, name: &str, labels: &[(String, String)]) -> bool {
        self.groups.iter().any(|g| {
            g.iter().all(|m| {
                let v = if m.name == "__name__" {
                    name
                } else {
                    labels
                        .iter()
                        .find(|(k, _)| *k == m.name)
                        .map_or("", |(_, v)| v.as_str())
                };
                m.is_match(v)
            })
        })
    }
}

/// `text` with what is inside quotes (`"..."`, `'...'`, `` `...` ``, escapes honoured)
/// blanked out, so that a label value holding `[` or `offset` is not taken for syntax.
impl Selector {
    /// For an index's postings: per group (any group may match), the matchers a series must
    /// have the label for (those that refuse the empty value), as (label name, test of a
    /// value). `None` when some group has none: only a scan of every series answers it.
    pub(crate) fn postings_terms(&self) -> Option<Vec<Vec<(&str, &Matcher)>>> {
        let mut out = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            let terms: Vec<(&str, &Matcher)> = g
                .iter()
                .filter(|m| !m.is_match(""))
                .map(|m| (m.name.as_str(), m))
                .collect();
            if terms.is_empty() {
                return None;
            }
            out.push(terms);
        }
        Some(out)
    }
}

fn outside_quotes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote = None;
    let mut escaped = false;
    for c in text.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q != '`' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
                out.push(' ');
            }
            None => {
                if matches!(c, '"' | '\'' | '`') {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn matchers() {
        let s = Selector::parse(r#"{__name__=~"container_.*",namespace="x"}"#).unwrap();
        assert!(s.matches("container_cpu", &l(&[("namespace", "x")])));
        assert!(!s.matches("container_cpu", &l(&[("namespace", "y")])));
        assert!(!s.matches("node_cpu", &l(&[("namespace", "x")])));
        let s = Selector::parse(r#"up{job!~"a|b", instance!=""}"#).unwrap();
        assert!(s.matches("up", &l(&[("job", "c"), ("instance", "i")])));
        assert!(!s.matches("up", &l(&[("job", "a"), ("instance", "i")])));
        assert!(!s.matches("up", &l(&[("job", "c")])));
        // Regexes are anchored.
        let s = Selector::parse(r#"{__name__=~"up"}"#).unwrap();
        assert!(!s.matches("upx", &[]));
        assert!(Selector::parse("rate(up[5m])").is_err());
        assert!(Selector::parse("{").is_err());
    }

    /// What is not a selector is refused before promql-parser sees it: it panics on a
    /// duration too large for it (fuzzing found `5s[0555...599]`); `[`, `offset` or `@` inside
    /// a label value are a value.
    #[test]
    fn ranges_offsets_and_functions_are_refused_without_a_panic() {
        for q in [
            "5s[05555555555555555555555555555555555555599]e/J",
            "x[99999999999999999999s]",
            "x offset 99999999999999999999y",
            "x @ 1e400",
            "up[5m:1m]",
        ] {
            let e = Selector::parse(q).unwrap_err().to_string();
            assert!(e.contains("is not a series selector"), "{q}: {e}");
        }
        let s = Selector::parse(r#"up{path="/a[1]", q='offset @ 5'}"#).unwrap();
        assert!(s.matches("up", &l(&[("path", "/a[1]"), ("q", "offset @ 5")])));
        let s = Selector::parse(r#"offset_total{a="\"[\""}"#).unwrap();
        assert!(s.matches("offset_total", &l(&[("a", "\"[\"")])));
    }
}
