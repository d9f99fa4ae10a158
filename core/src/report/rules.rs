//! Rules a report checks (a YAML file), each passing or failing with its evidence:
//!
//! ```yaml
//! rules:
//!   - name: few errors per pod
//!     max_errors: 10          # per pod (or per: namespace | container)
//!     namespace: shop         # optional scope (regexes): namespace, pod, container
//!   - name: no OOM kills
//!     forbid_termination: [OOMKilled]
//!   - name: no panics
//!     forbid_pattern: 'panic:|fatal error:'
//!   - name: restarts
//!     max_restarts: 3
//!   - name: error rate
//!     max_error_rate_per_min: 20
//!   - name: api is there
//!     require_pod: 'api-.*'
//! ```

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::html::esc;
use super::{Report, RuleFacts};

/// A rules file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    /// The rules, checked in order.
    pub rules: Vec<Rule>,
}

/// One rule: a name, an optional scope, and exactly one check.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Shown in reports and as the JUnit test case.
    pub name: Option<String>,
    /// Scope: namespaces (regex, whole name).
    pub namespace: Option<String>,
    /// Scope: pods (regex, whole name).
    pub pod: Option<String>,
    /// Scope: containers (regex, whole name).
    pub container: Option<String>,
    /// What `max_errors` counts per: `pod` (default), `namespace`, `container`, `all`.
    pub per: Option<String>,
    /// At most this many error entries per `per`.
    pub max_errors: Option<u64>,
    /// No entry whose message matches this regex.
    pub forbid_pattern: Option<String>,
    /// At most this many restarts per container.
    pub max_restarts: Option<u32>,
    /// No container whose last termination is one of these (`OOMKilled`, `Error`).
    pub forbid_termination: Option<Vec<String>>,
    /// At most this many errors in any minute.
    pub max_error_rate_per_min: Option<u64>,
    /// A pod matching this regex must have written entries.
    pub require_pod: Option<String>,
}

/// A rule's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    /// Its name (or a description of the check).
    pub name: String,
    /// The check (`max_errors`, ...).
    pub check: String,
    /// Whether it holds.
    pub passed: bool,
    /// Why it failed: one line per offender (at most 20, then a count).
    pub evidence: Vec<String>,
}

/// Reads a rules file (YAML or JSON), checking that every rule has exactly one check and
/// valid regexes.
pub fn parse_rules(text: &str) -> crate::Result<RulesFile> {
    let file: RulesFile = serde_norway::from_str(text).map_err(|e| e.to_string())?;
    for (i, r) in file.rules.iter().enumerate() {
        let checks = [
            r.max_errors.is_some(),
            r.forbid_pattern.is_some(),
            r.max_restarts.is_some(),
            r.forbid_termination.is_some(),
            r.max_error_rate_per_min.is_some(),
            r.require_pod.is_some(),
        ]
        .iter()
        .filter(|c| **c)
        .count();
        let which = r.name.clone().unwrap_or_else(|| format!("rule {}", i + 1));
        if checks != 1 {
            return Err(format!("{which}: a rule has exactly one check ({checks} given)").into());
        }
        for re in [
            &r.namespace,
            &r.pod,
            &r.container,
            &r.forbid_pattern,
            &r.require_pod,
        ]
        .into_iter()
        .flatten()
        {
            Regex::new(re).map_err(|e| format!("{which}: invalid regex {re:?}: {e}"))?;
        }
        if let Some(p) = &r.per
            && !matches!(p.as_str(), "pod" | "namespace" | "container" | "all")
        {
            return Err(format!("{which}: per is pod, namespace, container or all").into());
        }
    }
    Ok(file)
}

fn whole(re: &Option<String>) -> Option<Regex> {
    re.as_ref()
        .map(|r| Regex::new(&format!("^(?:{r})$")).expect("checked in parse_rules"))
}

const MAX_EVIDENCE: usize = 20;

fn cap(mut v: Vec<String>) -> Vec<String> {
    if v.len() > MAX_EVIDENCE {
        let more = v.len() - MAX_EVIDENCE;
        v.truncate(MAX_EVIDENCE);
        v.push(format!("... and {more} more"));
    }
    v
}

/// The `forbid_pattern`s of `rules`, in order, for the report sinks to look for.
pub fn sink_patterns(rules: &RulesFile) -> Vec<super::sink::ForbidPattern> {
    rules
        .rules
        .iter()
        .filter_map(|r| {
            let p = r.forbid_pattern.as_ref()?;
            Some(super::sink::ForbidPattern {
                pattern: regex::bytes::Regex::new(p).expect("checked in parse_rules"),
                scope: [whole(&r.namespace), whole(&r.pod), whole(&r.container)],
            })
        })
        .collect()
}

/// Checks `rules` against a built report and the facts its sinks gathered (with the
/// patterns of [`sink_patterns`]).
pub fn check(rules: &RulesFile, report: &Report, facts: &RuleFacts) -> Vec<RuleResult> {
    let mut out = Vec::new();
    let mut forbid = 0usize;
    for (i, r) in rules.rules.iter().enumerate() {
        let (ns_re, pod_re, c_re) = (whole(&r.namespace), whole(&r.pod), whole(&r.container));
        let in_scope = |ns: &str, pod: &str, c: &str| {
            ns_re.as_ref().is_none_or(|re| re.is_match(ns))
                && pod_re.as_ref().is_none_or(|re| re.is_match(pod))
                && c_re.as_ref().is_none_or(|re| re.is_match(c))
        };
        let rows = report
            .containers
            .iter()
            .filter(|c| in_scope(&c.namespace, &c.pod, &c.container));
        let (check, evidence): (&str, Vec<String>) = if let Some(max) = r.max_errors {
            let per = r.per.as_deref().unwrap_or("pod");
            let mut counts: BTreeMap<String, u64> = BTreeMap::new();
            for c in rows {
                let key = match per {
                    "namespace" => c.namespace.clone(),
                    "container" => format!("{}/{}/{}", c.namespace, c.pod, c.container),
                    "all" => "all".into(),
                    _ => format!("{}/{}", c.namespace, c.pod),
                };
                *counts.entry(key).or_default() += c.errors;
            }
            let bad = counts
                .into_iter()
                .filter(|(_, n)| *n > max)
                .map(|(k, n)| format!("{k}: {n} errors (at most {max})"))
                .collect();
            ("max_errors", bad)
        } else if let Some(max) = r.max_restarts {
            let bad = rows
                .filter(|c| c.restarts.is_some_and(|n| n > max))
                .map(|c| {
                    format!(
                        "{}/{}/{}: {} restarts (at most {max})",
                        c.namespace,
                        c.pod,
                        c.container,
                        c.restarts.unwrap_or(0)
                    )
                })
                .collect();
            ("max_restarts", bad)
        } else if let Some(reasons) = &r.forbid_termination {
            let bad = rows
                .filter(|c| c.last_reason.as_ref().is_some_and(|x| reasons.contains(x)))
                .map(|c| {
                    format!(
                        "{}/{}/{}: last terminated {}{}",
                        c.namespace,
                        c.pod,
                        c.container,
                        c.last_reason.as_deref().unwrap_or(""),
                        c.exit_code
                            .map(|e| format!(" (exit {e})"))
                            .unwrap_or_default()
                    )
                })
                .collect();
            ("forbid_termination", bad)
        } else if let Some(max) = r.max_error_rate_per_min {
            let bad = if r.namespace.is_some() || r.pod.is_some() || r.container.is_some() {
                // Per-minute counts of the scoped containers.
                let mut minutes: BTreeMap<i64, u64> = BTreeMap::new();
                for ((ns, pod, c), m) in &facts.error_minutes {
                    if in_scope(ns, pod, c) {
                        for (&minute, &n) in m {
                            *minutes.entry(minute).or_default() += n;
                        }
                    }
                }
                minutes
                    .into_iter()
                    .filter(|(_, n)| *n > max)
                    .map(|(m, n)| {
                        format!(
                            "{}: {n} errors (at most {max} a minute)",
                            super::rfc3339(m * super::MINUTE)
                        )
                    })
                    .collect()
            } else {
                report
                    .errors_per_minute
                    .iter()
                    .filter(|m| m.errors > max)
                    .map(|m| format!("{}: {} errors (at most {max} a minute)", m.minute, m.errors))
                    .collect()
            };
            ("max_error_rate_per_min", bad)
        } else if let Some(re) = &r.require_pod {
            let re = whole(&Some(re.clone())).expect("a regex");
            let found = report.containers.iter().any(|c| {
                c.entries > 0 && re.is_match(&c.pod) && in_scope(&c.namespace, &c.pod, &c.container)
            });
            let bad = if found {
                Vec::new()
            } else {
                vec![format!(
                    "no pod matching {:?} wrote entries",
                    r.require_pod.as_deref().unwrap_or("")
                )]
            };
            ("require_pod", bad)
        } else if r.forbid_pattern.is_some() {
            let (mut hits, n) = facts.forbid_hits.get(forbid).cloned().unwrap_or_default();
            forbid += 1;
            hits.truncate(MAX_EVIDENCE);
            if n as usize > hits.len() {
                hits.push(format!("... and {} more", n as usize - hits.len()));
            }
            ("forbid_pattern", hits)
        } else {
            ("none", Vec::new())
        };
        out.push(RuleResult {
            name: r
                .name
                .clone()
                .unwrap_or_else(|| format!("rule {} ({check})", i + 1)),
            check: check.to_string(),
            passed: evidence.is_empty(),
            // forbid_pattern's matches come capped from the sinks, with their total.
            evidence: if check == "forbid_pattern" {
                evidence
            } else {
                cap(evidence)
            },
        });
    }
    out
}

/// The rules as JUnit XML: one test case per rule, a failure with the evidence when it fails.
pub fn to_junit(results: &[RuleResult]) -> String {
    let failures = results.iter().filter(|r| !r.passed).count();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(&format!(
        "<testsuites name=\"podsift\" tests=\"{}\" failures=\"{failures}\">\n  <testsuite name=\"podsift rules\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
        results.len(),
        results.len()
    ));
    for r in results {
        s.push_str(&format!(
            "    <testcase classname=\"podsift.rules.{}\" name=\"{}\"",
            esc(&r.check),
            esc(&r.name)
        ));
        if r.passed {
            s.push_str("/>\n");
        } else {
            let first = r.evidence.first().map(String::as_str).unwrap_or("failed");
            s.push_str(&format!(
                ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                esc(first),
                esc(&r.check),
                esc(&r.evidence.join("\n"))
            ));
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_files_are_checked() {
        assert!(parse_rules("rules:\n  - max_errors: 3\n").is_ok());
        assert!(parse_rules("rules:\n  - max_errors: 3\n    max_restarts: 1\n").is_err());
        assert!(parse_rules("rules:\n  - {}\n").is_err());
        assert!(parse_rules("rules:\n  - forbid_pattern: '('\n").is_err());
        assert!(
            parse_rules("rules:\n  - max_error: 3\n").is_err(),
            "unknown key"
        );
        assert!(parse_rules("rules:\n  - max_errors: 3\n    per: node\n").is_err());
    }

    #[test]
    fn junit_escapes() {
        let x = to_junit(&[RuleResult {
            name: "a<b".into(),
            check: "forbid_pattern".into(),
            passed: false,
            evidence: vec!["<script>\"x\"&\u{1}".into()],
        }]);
        assert!(x.contains("name=\"a&lt;b\""));
        assert!(x.contains("&lt;script&gt;&quot;x&quot;&amp;\u{FFFD}"));
        assert!(!x.contains("<script>"));
    }
}
