//! What changed between two reports (`podsift report --diff OLD NEW`).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{PatternRow, Report};

/// How the patterns of two reports differ.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReportDiff {
    /// Error patterns in the new report only.
    pub new_errors: Vec<PatternRow>,
    /// Error patterns in the old report only.
    pub vanished_errors: Vec<PatternRow>,
    /// Warning patterns in the new report only.
    pub new_warnings: Vec<PatternRow>,
    /// Warning patterns in the old report only.
    pub vanished_warnings: Vec<PatternRow>,
    /// Patterns in both whose count changed: (template, old count, new count).
    pub changed: Vec<(String, u64, u64)>,
    /// Rules that failed in the new report and passed (or were absent) in the old.
    pub newly_failed_rules: Vec<String>,
}

impl ReportDiff {
    /// Compares two reports (`podsift report -o json` of two CI runs).
    pub fn between(old: &Report, new: &Report) -> ReportDiff {
        let templates = |rows: &[PatternRow]| -> BTreeMap<String, u64> {
            rows.iter().map(|p| (p.template.clone(), p.count)).collect()
        };
        let only = |a: &[PatternRow], b: &[PatternRow]| -> Vec<PatternRow> {
            let other = templates(b);
            a.iter()
                .filter(|p| !other.contains_key(&p.template))
                .cloned()
                .collect()
        };
        let mut changed = Vec::new();
        for (a, b) in [
            (&old.error_patterns, &new.error_patterns),
            (&old.warning_patterns, &new.warning_patterns),
        ] {
            let before = templates(a);
            for (t, n) in templates(b) {
                if let Some(&o) = before.get(&t)
                    && o != n
                {
                    changed.push((t, o, n));
                }
            }
        }
        let passed_before: std::collections::HashSet<&str> = old
            .rules
            .iter()
            .filter(|r| !r.passed)
            .map(|r| r.name.as_str())
            .collect();
        ReportDiff {
            new_errors: only(&new.error_patterns, &old.error_patterns),
            vanished_errors: only(&old.error_patterns, &new.error_patterns),
            new_warnings: only(&new.warning_patterns, &old.warning_patterns),
            vanished_warnings: only(&old.warning_patterns, &new.warning_patterns),
            changed,
            newly_failed_rules: new
                .rules
                .iter()
                .filter(|r| !r.passed && !passed_before.contains(r.name.as_str()))
                .map(|r| r.name.clone())
                .collect(),
        }
    }

    /// As pretty JSON.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}
