//! Reports as GitHub-flavoured Markdown (for `$GITHUB_STEP_SUMMARY`), beside [`super::html`].

use std::fmt::Write as _;

use super::*;

impl Report {
    /// The report as GitHub-flavoured Markdown (for `$GITHUB_STEP_SUMMARY`). Log text is put
    /// in code spans with backticks and pipes neutralised.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let s = &self.sources;
        let _ = writeln!(out, "# podsift report\n");
        let _ = writeln!(
            out,
            "{} files found, {} read, {} skipped; {} entries, {} unparsed lines.\n",
            s.files, s.read, s.skipped, s.entries, s.unparsed_lines
        );
        if !self.rules.is_empty() {
            let failed = self.rules.iter().filter(|r| !r.passed).count();
            let _ = writeln!(out, "## Rules: {} of {} failed\n", failed, self.rules.len());
            for r in &self.rules {
                let mark = if r.passed { "pass" } else { "FAIL" };
                let _ = writeln!(out, "- **{mark}** {} (`{}`)", cell(&r.name), r.check);
                for e in &r.evidence {
                    let _ = writeln!(out, "  - {}", code(e));
                }
            }
            let _ = writeln!(out);
        }
        if let Some(t) = &self.tests {
            let _ = writeln!(
                out,
                "## Tests: {} failed, {} errors, {} passed, {} skipped\n",
                t.failed, t.error, t.passed, t.skipped
            );
            if !self.failed_tests.is_empty() {
                let _ = writeln!(
                    out,
                    "| status | test | seconds | message |\n|---|---|---:|---|"
                );
                for f in &self.failed_tests {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} |",
                        f.status,
                        cell(&f.name),
                        f.duration_s.map(|d| format!("{d:.1}")).unwrap_or_default(),
                        code(&f.message)
                    );
                }
                let _ = writeln!(out);
            }
        }
        let troubled: Vec<&ContainerRow> =
            self.containers.iter().filter(|c| c.troubled()).collect();
        let _ = writeln!(out, "## Containers with errors, restarts or crashes\n");
        if troubled.is_empty() {
            let _ = writeln!(out, "None.\n");
        } else {
            let _ = writeln!(
                out,
                "| namespace | pod | container | entries | errors | warnings | restarts | last termination | evidence |\n|---|---|---|---:|---:|---:|---:|---|---|"
            );
            for c in troubled {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    cell(&c.namespace),
                    cell(&c.pod),
                    cell(&c.container),
                    c.entries,
                    c.errors,
                    c.warnings,
                    c.restarts.map(|r| r.to_string()).unwrap_or_default(),
                    cell(&c.termination()),
                    c.evidence_text()
                );
            }
            let _ = writeln!(out);
        }
        for (title, rows) in [
            ("Top error patterns", &self.error_patterns),
            ("Top warning patterns", &self.warning_patterns),
        ] {
            let _ = writeln!(out, "## {title}\n");
            if rows.is_empty() {
                let _ = writeln!(out, "None.\n");
                continue;
            }
            let _ = writeln!(
                out,
                "| count | first | last | pods | pattern |\n|---:|---|---|---|---|"
            );
            for p in rows {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    p.count,
                    p.first.as_deref().unwrap_or(""),
                    p.last.as_deref().unwrap_or(""),
                    cell(&p.pods.join(", ")),
                    code(&p.template)
                );
            }
            let _ = writeln!(out);
        }
        let spikes: Vec<&MinuteRow> = self.errors_per_minute.iter().filter(|m| m.spike).collect();
        let _ = writeln!(out, "## Error spikes\n");
        if spikes.is_empty() {
            let _ = writeln!(out, "None.\n");
        } else {
            for m in spikes {
                let _ = writeln!(out, "- {}: {} errors", m.minute, m.errors);
            }
            let _ = writeln!(out);
        }
        if !self.node_problems.is_empty() {
            let _ = writeln!(out, "## Nodes not ready or under pressure\n");
            let _ = writeln!(
                out,
                "| node | condition | status | reason | since | message |\n|---|---|---|---|---|---|"
            );
            for n in &self.node_problems {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    cell(&n.node),
                    cell(&n.condition),
                    cell(&n.status),
                    cell(&n.reason),
                    n.since.as_deref().unwrap_or(""),
                    code(&n.message)
                );
            }
            let _ = writeln!(out);
        }
        if !self.warning_events.is_empty() {
            let _ = writeln!(out, "## Warning events\n");
            let _ = writeln!(
                out,
                "| count | reason | object | last | message |\n|---:|---|---|---|---|"
            );
            for e in &self.warning_events {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} {}/{} | {} | {} |",
                    e.count,
                    cell(&e.reason),
                    cell(&e.kind),
                    cell(&e.namespace),
                    cell(&e.name),
                    e.last.as_deref().unwrap_or(""),
                    code(&e.message)
                );
            }
            let _ = writeln!(out);
        }
        if !self.audit_failures.is_empty() {
            let _ = writeln!(out, "## Failed API requests\n");
            let _ = writeln!(
                out,
                "| count | user | verb | resource | code |\n|---:|---|---|---|---:|"
            );
            for f in &self.audit_failures {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    f.count,
                    cell(&f.user),
                    cell(&f.verb),
                    cell(&f.resource),
                    f.code
                );
            }
            let _ = writeln!(out);
        }
        if !self.slowest_requests.is_empty() {
            let _ = writeln!(out, "## Slowest API requests\n");
            let _ = writeln!(
                out,
                "| ms | time | user | verb | uri | code |\n|---:|---|---|---|---|---:|"
            );
            for r in &self.slowest_requests {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} |",
                    r.latency_ms,
                    r.ts.as_deref().unwrap_or(""),
                    cell(&r.user),
                    cell(&r.verb),
                    code(&r.uri),
                    r.code.map(|c| c.to_string()).unwrap_or_default()
                );
            }
            let _ = writeln!(out);
        }
        if !self.memory_near_limit.is_empty() {
            let _ = writeln!(out, "## Memory near the limit\n");
            let _ = writeln!(
                out,
                "| namespace | pod | container | max working set | limit | ratio |\n|---|---|---|---:|---:|---:|"
            );
            for m in &self.memory_near_limit {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {:.3} |",
                    cell(&m.namespace),
                    cell(&m.pod),
                    cell(&m.container),
                    m.max_bytes,
                    m.limit_bytes,
                    m.ratio
                );
            }
            let _ = writeln!(out);
        }
        if !self.restart_counters.is_empty() {
            let _ = writeln!(out, "## Restart counters\n");
            let _ = writeln!(
                out,
                "| namespace | pod | container | restarts | increase |\n|---|---|---|---:|---:|"
            );
            for r in &self.restart_counters {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    cell(&r.namespace),
                    cell(&r.pod),
                    cell(&r.container),
                    r.restarts,
                    r.increase
                );
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "## Silences\n");
        if self.silences.is_empty() {
            let _ = writeln!(out, "None.\n");
        } else {
            for s in &self.silences {
                let _ = writeln!(
                    out,
                    "- {}/{} {}: nothing for {}, {} to {}",
                    cell(&s.namespace),
                    cell(&s.pod),
                    cell(&s.container),
                    crate::time::format_duration(s.seconds.saturating_mul(1_000_000_000)),
                    s.from,
                    s.to
                );
            }
            let _ = writeln!(out);
        }
        out
    }
}

impl ReportDiff {
    /// As Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from("# podsift report diff\n\n");
        for (title, rows) in [
            ("New error patterns", &self.new_errors),
            ("Vanished error patterns", &self.vanished_errors),
            ("New warning patterns", &self.new_warnings),
            ("Vanished warning patterns", &self.vanished_warnings),
        ] {
            let _ = writeln!(out, "## {title}\n");
            if rows.is_empty() {
                let _ = writeln!(out, "None.\n");
                continue;
            }
            for p in rows {
                let _ = writeln!(out, "- {} x {}", p.count, code(&p.template));
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "## Changed counts\n");
        if self.changed.is_empty() {
            let _ = writeln!(out, "None.\n");
        } else {
            for (t, a, b) in &self.changed {
                let _ = writeln!(out, "- {a} -> {b}: {}", code(t));
            }
            let _ = writeln!(out);
        }
        if !self.newly_failed_rules.is_empty() {
            let _ = writeln!(out, "## Newly failed rules\n");
            for r in &self.newly_failed_rules {
                let _ = writeln!(out, "- {}", cell(r));
            }
            let _ = writeln!(out);
        }
        out
    }
}

/// A table cell: pipes and newlines neutralised.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A code span that survives any backticks inside.
fn code(s: &str) -> String {
    let s = cell(s);
    let ticks = (1..).find(|n| !s.contains(&"`".repeat(*n))).unwrap_or(1);
    let fence = "`".repeat(ticks);
    format!("{fence} {s} {fence}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_pipes() {
        assert_eq!(code("a|b"), "` a\\|b `");
        assert_eq!(code("x ` y"), "`` x ` y ``");
    }
}
