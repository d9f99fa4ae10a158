//! The report as one self-contained HTML file: inline CSS and SVG, no script, no external
//! request (a Content-Security-Policy forbids them too), readable in any browser or mail
//! client. Every piece of text from the input is escaped.

use std::fmt::Write as _;

use super::{PatternRow, Report};

/// Escapes text for HTML and XML content and attribute values (control characters XML
/// cannot hold become U+FFFD).
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d1d1f;background:#fff}\
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f4f4f6}td.n{text-align:right;font-variant-numeric:tabular-nums}\
code,pre{font:12px ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}\
.fail{color:#b00020;font-weight:600}.pass{color:#1b7f3a}.muted{color:#777}\
svg rect.spike{fill:#b00020}svg rect{fill:#5b6cc4}";

impl Report {
    /// The report as a self-contained HTML page.
    pub fn to_html(&self) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
             <title>podsift report</title><style>{STYLE}</style></head><body>\n<h1>podsift report</h1>\n"
        );
        let s = &self.sources;
        let _ = writeln!(
            o,
            "<p>{} files found, {} read, {} skipped; {} entries, {} unparsed lines.</p>",
            s.files, s.read, s.skipped, s.entries, s.unparsed_lines
        );
        if !self.rules.is_empty() {
            let failed = self.rules.iter().filter(|r| !r.passed).count();
            let _ = writeln!(
                o,
                "<h2>Rules: {failed} of {} failed</h2><ul>",
                self.rules.len()
            );
            for r in &self.rules {
                let (class, mark) = if r.passed {
                    ("pass", "pass")
                } else {
                    ("fail", "FAIL")
                };
                let _ = write!(
                    o,
                    "<li><span class=\"{class}\">{mark}</span> {} <code>{}</code>",
                    esc(&r.name),
                    esc(&r.check)
                );
                if !r.evidence.is_empty() {
                    o.push_str("<ul>");
                    for e in &r.evidence {
                        let _ = write!(o, "<li><code>{}</code></li>", esc(e));
                    }
                    o.push_str("</ul>");
                }
                o.push_str("</li>\n");
            }
            o.push_str("</ul>\n");
        }
        if let Some(t) = &self.tests {
            let _ = writeln!(
                o,
                "<h2>Tests: {} failed, {} errors, {} passed, {} skipped</h2>",
                t.failed, t.error, t.passed, t.skipped
            );
            if !self.failed_tests.is_empty() {
                o.push_str("<table><tr><th>status</th><th>test</th><th>seconds</th><th>message</th></tr>\n");
                for f in &self.failed_tests {
                    let _ = writeln!(
                        o,
                        "<tr><td class=\"fail\">{}</td><td>{}</td><td class=\"n\">{}</td><td><code>{}</code></td></tr>",
                        esc(&f.status),
                        esc(&f.name),
                        f.duration_s.map(|d| format!("{d:.1}")).unwrap_or_default(),
                        esc(&f.message)
                    );
                }
                o.push_str("</table>\n");
            }
        }
        o.push_str("<h2>Containers with errors, restarts or crashes</h2>\n");
        let rows: Vec<_> = self.containers.iter().filter(|c| c.troubled()).collect();
        if rows.is_empty() {
            o.push_str("<p class=\"muted\">None.</p>\n");
        } else {
            o.push_str("<table><tr><th>namespace</th><th>pod</th><th>container</th><th>entries</th><th>errors</th><th>warnings</th><th>restarts</th><th>last termination</th><th>state</th><th>evidence</th></tr>\n");
            for c in rows {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&c.namespace),
                    esc(&c.pod),
                    esc(&c.container),
                    c.entries,
                    c.errors,
                    c.warnings,
                    c.restarts.map(|r| r.to_string()).unwrap_or_default(),
                    esc(&c.termination()),
                    esc(c.state_reason.as_deref().unwrap_or("")),
                    esc(&c.evidence_text())
                );
            }
            o.push_str("</table>\n");
        }
        patterns(&mut o, "Top error patterns", &self.error_patterns);
        patterns(&mut o, "Top warning patterns", &self.warning_patterns);
        self.chart(&mut o);
        if !self.node_problems.is_empty() {
            o.push_str("<h2>Nodes not ready or under pressure</h2><table><tr><th>node</th><th>condition</th><th>status</th><th>reason</th><th>since</th><th>message</th></tr>\n");
            for n in &self.node_problems {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                    esc(&n.node),
                    esc(&n.condition),
                    esc(&n.status),
                    esc(&n.reason),
                    esc(n.since.as_deref().unwrap_or("")),
                    esc(&n.message)
                );
            }
            o.push_str("</table>\n");
        }
        if !self.warning_events.is_empty() {
            o.push_str("<h2>Warning events</h2><table><tr><th>count</th><th>reason</th><th>object</th><th>last</th><th>message</th></tr>\n");
            for e in &self.warning_events {
                let _ = writeln!(
                    o,
                    "<tr><td class=\"n\">{}</td><td>{}</td><td>{} {}/{}</td><td>{}</td><td><code>{}</code></td></tr>",
                    e.count,
                    esc(&e.reason),
                    esc(&e.kind),
                    esc(&e.namespace),
                    esc(&e.name),
                    esc(e.last.as_deref().unwrap_or("")),
                    esc(&e.message)
                );
            }
            o.push_str("</table>\n");
        }
        if !self.audit_failures.is_empty() {
            o.push_str("<h2>Failed API requests</h2><table><tr><th>count</th><th>user</th><th>verb</th><th>resource</th><th>code</th></tr>\n");
            for f in &self.audit_failures {
                let _ = writeln!(
                    o,
                    "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    f.count,
                    esc(&f.user),
                    esc(&f.verb),
                    esc(&f.resource),
                    f.code
                );
            }
            o.push_str("</table>\n");
        }
        if !self.slowest_requests.is_empty() {
            o.push_str("<h2>Slowest API requests</h2><table><tr><th>ms</th><th>time</th><th>user</th><th>verb</th><th>uri</th><th>code</th></tr>\n");
            for r in &self.slowest_requests {
                let _ = writeln!(
                    o,
                    "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td class=\"n\">{}</td></tr>",
                    r.latency_ms,
                    esc(r.ts.as_deref().unwrap_or("")),
                    esc(&r.user),
                    esc(&r.verb),
                    esc(&r.uri),
                    r.code.map(|c| c.to_string()).unwrap_or_default()
                );
            }
            o.push_str("</table>\n");
        }
        if !self.memory_near_limit.is_empty() {
            o.push_str("<h2>Memory near the limit</h2><table><tr><th>namespace</th><th>pod</th><th>container</th><th>max working set</th><th>limit</th><th>ratio</th></tr>\n");
            for m in &self.memory_near_limit {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.3}</td></tr>",
                    esc(&m.namespace),
                    esc(&m.pod),
                    esc(&m.container),
                    m.max_bytes,
                    m.limit_bytes,
                    m.ratio
                );
            }
            o.push_str("</table>\n");
        }
        if !self.restart_counters.is_empty() {
            o.push_str("<h2>Restart counters</h2><table><tr><th>namespace</th><th>pod</th><th>container</th><th>restarts</th><th>increase</th></tr>\n");
            for r in &self.restart_counters {
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    esc(&r.namespace),
                    esc(&r.pod),
                    esc(&r.container),
                    r.restarts,
                    r.increase
                );
            }
            o.push_str("</table>\n");
        }
        o.push_str("<h2>Silences</h2>\n");
        if self.silences.is_empty() {
            o.push_str("<p class=\"muted\">None.</p>\n");
        } else {
            o.push_str("<ul>");
            for s in &self.silences {
                let _ = writeln!(
                    o,
                    "<li>{}/{} {}: nothing for {}, {} to {}</li>",
                    esc(&s.namespace),
                    esc(&s.pod),
                    esc(&s.container),
                    crate::time::format_duration(s.seconds.saturating_mul(1_000_000_000)),
                    esc(&s.from),
                    esc(&s.to)
                );
            }
            o.push_str("</ul>\n");
        }
        o.push_str("</body></html>\n");
        o
    }

    /// Errors per minute as SVG bars, spikes in red.
    fn chart(&self, o: &mut String) {
        o.push_str("<h2>Errors per minute</h2>\n");
        let m = &self.errors_per_minute;
        if m.is_empty() {
            o.push_str("<p class=\"muted\">No errors.</p>\n");
            return;
        }
        let max = m.iter().map(|r| r.errors).max().unwrap_or(1).max(1);
        let (w, h) = (800.0, 120.0);
        let bar = w / m.len() as f64;
        let _ = write!(
            o,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{}\" role=\"img\" aria-label=\"errors per minute\">",
            h + 20.0
        );
        for (i, r) in m.iter().enumerate() {
            let bh = r.errors as f64 / max as f64 * h;
            let _ = write!(
                o,
                "<rect{} x=\"{:.2}\" y=\"{:.2}\" width=\"{:.2}\" height=\"{:.2}\"><title>{}: {} errors</title></rect>",
                if r.spike { " class=\"spike\"" } else { "" },
                i as f64 * bar,
                h - bh,
                (bar - 1.0).max(0.5),
                bh,
                esc(&r.minute),
                r.errors
            );
        }
        let _ = writeln!(
            o,
            "<text x=\"0\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{w}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{} (max {max} a minute)</text></svg>",
            h + 15.0,
            esc(&m[0].minute),
            h + 15.0,
            esc(&m[m.len() - 1].minute)
        );
    }
}

fn patterns(o: &mut String, title: &str, rows: &[PatternRow]) {
    let _ = writeln!(o, "<h2>{}</h2>", esc(title));
    if rows.is_empty() {
        o.push_str("<p class=\"muted\">None.</p>\n");
        return;
    }
    o.push_str("<table><tr><th>count</th><th>first</th><th>last</th><th>pods</th><th>pattern and a sample</th></tr>\n");
    for p in rows {
        let _ = writeln!(
            o,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code><details><summary>sample</summary><pre>{}</pre></details></td></tr>",
            p.count,
            esc(p.first.as_deref().unwrap_or("")),
            esc(p.last.as_deref().unwrap_or("")),
            esc(&p.pods.join(", ")),
            esc(&p.template),
            esc(&p.sample)
        );
    }
    o.push_str("</table>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_that_could_open_markup() {
        assert_eq!(
            esc("<script>alert(1)</script>\"><img src=x onerror='y'>&\u{0}"),
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=&#39;y&#39;&gt;&amp;\u{FFFD}"
        );
    }
}
