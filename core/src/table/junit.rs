//! The `tests` table ([`crate::schema::tests`]): test cases from JUnit XML reports, as test
//! runners write them and bundles carry them (sonobuoy's `plugins/e2e/results/junit_01.xml`,
//! ginkgo's `--junit-report`, any `junit_*.xml`): a root `<testsuites>` or `<testsuite>`,
//! suites nested or not, each `<testcase>` with a `<failure>`, `<error>` or `<skipped>` child
//! (or ginkgo's `status` attribute) giving its status.

use polars::prelude::*;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::diag::{Diagnostic, Severity};
use crate::ingest::{Accounting, FileStats};
use crate::schema::tests as col;
use crate::sources::FileSet;
use crate::sources::plan::{FileRole, FileStatus, Plan};
use crate::time::parse_leading_timestamp;

/// One test case.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct TestCase {
    pub(crate) suite: Option<String>,
    pub(crate) name: String,
    pub(crate) classname: Option<String>,
    pub(crate) status: &'static str,
    pub(crate) duration_s: Option<f64>,
    pub(crate) message: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) ts: Option<i64>,
}

/// Which text of a case is being read.
#[derive(Clone, Copy, PartialEq)]
enum Body {
    None,
    Failure,
    Other,
}

fn attr(e: &BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
        .filter(|v| !v.is_empty())
}

/// The test cases of a JUnit report. An error gives the line it was found on and what it
/// was; the cases before it are kept by the caller's accounting only (a report parses whole).
pub(crate) fn parse_junit(bytes: &[u8]) -> Result<Vec<TestCase>, (u64, String)> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    let mut suites: Vec<(Option<String>, Option<i64>)> = Vec::new();
    let mut cases = Vec::new();
    let mut case: Option<TestCase> = None;
    let mut body = Body::None;
    let mut text = String::new();
    // The failure's type (`Failure`), the message of last resort.
    let mut kind_of: Option<String> = None;
    let line_of = |pos: u64| {
        bytes[..(pos as usize).min(bytes.len())]
            .iter()
            .filter(|&&c| c == b'\n')
            .count() as u64
            + 1
    };
    loop {
        let event = reader
            .read_event()
            .map_err(|e| (line_of(reader.error_position()), e.to_string()))?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            match e.local_name().as_ref() {
                b"testsuite" => {
                    let ts = attr(e, b"timestamp")
                        .and_then(|t| parse_leading_timestamp(t.as_bytes()).map(|(n, _)| n));
                    suites.push((attr(e, b"name"), ts));
                }
                b"testcase" => {
                    let (suite, ts) = suites.last().cloned().unwrap_or_default();
                    let status = match attr(e, b"status").as_deref() {
                        Some("failed" | "fail" | "failure") => "failed",
                        Some("error" | "errored") => "error",
                        Some("skipped" | "pending" | "disabled") => "skipped",
                        _ => "passed",
                    };
                    case = Some(TestCase {
                        suite,
                        name: attr(e, b"name").unwrap_or_default(),
                        classname: attr(e, b"classname"),
                        status,
                        duration_s: attr(e, b"time").and_then(|t| t.replace(',', "").parse().ok()),
                        ts,
                        ..TestCase::default()
                    });
                }
                kind @ (b"failure" | b"error" | b"skipped") => {
                    if let Some(c) = &mut case {
                        c.status = match kind {
                            b"failure" => "failed",
                            b"error" => "error",
                            _ => "skipped",
                        };
                        if c.message.is_none() {
                            c.message = attr(e, b"message");
                        }
                        if kind_of.is_none() {
                            kind_of = attr(e, b"type");
                        }
                        body = if kind == b"skipped" {
                            Body::Other
                        } else {
                            Body::Failure
                        };
                        text.clear();
                    }
                }
                _ => {}
            }
            if empty {
                match e.local_name().as_ref() {
                    b"testcase" => {
                        if let Some(c) = case.take() {
                            cases.push(finish(c, kind_of.take()));
                        }
                    }
                    b"failure" | b"error" | b"skipped" => body = Body::None,
                    b"testsuite" => {
                        suites.pop();
                    }
                    _ => {}
                }
            }
            continue;
        }
        match event {
            Event::End(e) => match e.local_name().as_ref() {
                b"testsuite" => {
                    suites.pop();
                }
                b"testcase" => {
                    if let Some(c) = case.take() {
                        cases.push(finish(c, kind_of.take()));
                    }
                }
                b"failure" | b"error" | b"skipped" => {
                    if body == Body::Failure
                        && let Some(c) = &mut case
                        && !text.trim().is_empty()
                    {
                        let t = text.trim().to_string();
                        c.text = Some(match c.text.take() {
                            Some(before) => format!("{before}\n{t}"),
                            None => t,
                        });
                    }
                    body = Body::None;
                }
                _ => {}
            },
            Event::Text(t) if body == Body::Failure => {
                text.push_str(
                    &t.decode()
                        .map_err(|e| (line_of(reader.buffer_position()), e.to_string()))?,
                );
            }
            Event::CData(t) if body == Body::Failure => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            Event::GeneralRef(r) if body == Body::Failure => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    text.push_str(match &*r {
                        b"lt" => "<",
                        b"gt" => ">",
                        b"amp" => "&",
                        b"quot" => "\"",
                        b"apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(c) = case.take() {
        cases.push(finish(c, kind_of.take()));
    }
    Ok(cases)
}

/// A failed case without a `message` takes the first line of its text that says something
/// (not a bare `file.go:123` location), else the failure's type.
fn finish(mut c: TestCase, kind: Option<String>) -> TestCase {
    if c.message.is_none() && c.status != "passed" {
        let location = |l: &str| {
            l.rsplit_once(':').is_some_and(|(path, line)| {
                !line.is_empty()
                    && line.bytes().all(|b| b.is_ascii_digit())
                    && !path.contains(char::is_whitespace)
            })
        };
        c.message = c
            .text
            .as_deref()
            .and_then(|t| {
                t.lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty() && !location(l))
            })
            .map(str::to_string)
            .or(kind);
    }
    c
}

/// Reads every JUnit report of `plan` into the `tests` table and records each file's
/// accounting in `report` (`entries` are the cases; the other lines are `joined`).
pub fn read_tests(set: &FileSet, plan: &Plan, report: &mut Accounting) -> crate::Result<DataFrame> {
    if report.files.len() < set.entries().len() {
        report
            .files
            .resize(set.entries().len(), FileStats::default());
    }
    let mut rows: Vec<(TestCase, String)> = Vec::new();
    for (i, f) in plan.files.iter().enumerate() {
        if f.role != FileRole::Tests || f.status != FileStatus::Read {
            continue;
        }
        let path = &set.entries()[i].path;
        let stats = &mut report.files[i];
        stats.read = true;
        let mut bytes = Vec::new();
        if let Err(e) = set
            .open(i)
            .and_then(|mut r| std::io::Read::read_to_end(&mut r, &mut bytes))
        {
            report.diagnostics.push(Diagnostic::file(
                path.clone(),
                Severity::Error,
                format!("read error: {e}"),
            ));
            report.files[i].errors += 1;
            continue;
        }
        let lines = bytes.iter().filter(|&&c| c == b'\n').count() as u64
            + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
        let stats = &mut report.files[i];
        stats.bytes = bytes.len() as u64;
        stats.lines = lines;
        match parse_junit(&bytes) {
            Ok(cases) => {
                let n = cases.len() as u64;
                stats.entries = n;
                stats.joined = lines.saturating_sub(stats.entries);
                if cases.is_empty() {
                    stats.time_note = Some("a JUnit report of no test cases".into());
                }
                rows.extend(cases.into_iter().map(|c| (c, path.clone())));
            }
            Err((line, msg)) => {
                report.diagnostics.push(Diagnostic::line(
                    path.clone(),
                    line,
                    Severity::Error,
                    format!("not a valid JUnit report ({msg}): its lines are counted as unparsed"),
                ));
                stats.errors += 1;
                stats.unparsed = lines;
                stats.entries = lines;
            }
        }
    }
    let n = rows.len();
    let text = |f: &dyn Fn(&TestCase) -> Option<String>| -> Vec<Option<String>> {
        rows.iter().map(|(c, _)| f(c)).collect()
    };
    let columns = vec![
        Column::new(col::SUITE.into(), text(&|c| c.suite.clone())),
        Column::new(col::NAME.into(), text(&|c| Some(c.name.clone()))),
        Column::new(col::CLASSNAME.into(), text(&|c| c.classname.clone())),
        Column::new(col::STATUS.into(), text(&|c| Some(c.status.to_string()))),
        Column::new(
            col::DURATION_S.into(),
            rows.iter().map(|(c, _)| c.duration_s).collect::<Vec<_>>(),
        ),
        Column::new(col::MESSAGE.into(), text(&|c| c.message.clone())),
        Column::new(col::TEXT.into(), text(&|c| c.text.clone())),
        super::datetime_column(
            col::TS,
            TimeUnit::Nanoseconds,
            rows.iter().map(|(c, _)| c.ts).collect(),
        ),
        Column::new(
            col::SOURCE.into(),
            rows.iter()
                .map(|(_, s)| Some(s.clone()))
                .collect::<Vec<_>>(),
        ),
    ];
    Ok(DataFrame::new_with_height(n, columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_reports() {
        let cases = parse_junit(
            br#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="Kubernetes e2e suite" tests="4" failures="1" time="10.5" timestamp="2021-08-17T17:04:33">
    <testcase name="[sig-apps] works" classname="Kubernetes e2e suite" time="1.25"></testcase>
    <testcase name="[sig-net] fails &amp; says why" classname="e2e" time="60.3">
      <failure type="Failure" message="timed out">framework.go:630&#xA;Aug 17 17:08:48.006: FAIL: no pods</failure>
      <system-out>lots of output</system-out>
    </testcase>
    <testcase name="no message" classname="e2e" time="2">
      <failure type="Failure">/workspace/test/e2e/framework.go:630&#xA;Aug 17 17:08:48.006: pods did not start</failure>
    </testcase>
    <testcase name="skipped one" time="0"><skipped/></testcase>
    <testcase name="broke" time="0"><error message="panic"><![CDATA[goroutine 1 <running>]]></error></testcase>
  </testsuite>
</testsuites>"#,
        )
        .unwrap();
        type Row<'a> = (
            &'a str,
            &'a str,
            Option<f64>,
            Option<&'a str>,
            Option<&'a str>,
        );
        let got: Vec<Row<'_>> = cases
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.status,
                    c.duration_s,
                    c.message.as_deref(),
                    c.text.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("[sig-apps] works", "passed", Some(1.25), None, None),
                (
                    "[sig-net] fails & says why",
                    "failed",
                    Some(60.3),
                    Some("timed out"),
                    Some("framework.go:630\nAug 17 17:08:48.006: FAIL: no pods")
                ),
                (
                    "no message",
                    "failed",
                    Some(2.0),
                    Some("Aug 17 17:08:48.006: pods did not start"),
                    Some(
                        "/workspace/test/e2e/framework.go:630\nAug 17 17:08:48.006: pods did not start"
                    )
                ),
                ("skipped one", "skipped", Some(0.0), None, None),
                (
                    "broke",
                    "error",
                    Some(0.0),
                    Some("panic"),
                    Some("goroutine 1 <running>")
                ),
            ]
        );
        assert_eq!(cases[0].suite.as_deref(), Some("Kubernetes e2e suite"));
        assert_eq!(cases[0].ts, Some(1_629_219_873_000_000_000));
        // ginkgo's status attribute; a root testsuite; a broken report says where.
        let cases = parse_junit(
            br#"<testsuite name="s"><testcase name="a" status="failed"/><testcase name="b" status="pending"></testcase></testsuite>"#,
        )
        .unwrap();
        assert_eq!(
            cases.iter().map(|c| c.status).collect::<Vec<_>>(),
            ["failed", "skipped"]
        );
        let err = parse_junit(b"<testsuite>\n<testcase name=\"a\">\n</testsuite>").unwrap_err();
        assert_eq!(err.0, 3, "{err:?}");
    }
}
