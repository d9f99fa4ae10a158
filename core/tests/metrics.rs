//! Metrics conformance against real data written by others (../shared/realdata/05_prometheus)
//! and against an independent parser's reading of it (prometheus_client, through the
//! generators in testdata/metrics/).

// Tests run natively and read the suites from disk.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use podsift_core::detect::metrics_format;
use podsift_core::ingest::Accounting;
use podsift_core::metrics::expo::{self, Dialect};
use podsift_core::metrics::write::{go_float, write_dump, write_openmetrics};
use podsift_core::metrics::{MetricsFormat, Parsed, parse};
use podsift_core::sources::FileSet;
use podsift_core::sources::plan::{PlanOptions, plan};
use podsift_core::table::metrics::{ExportOrder, MetricsOptions, read_metrics};
use serde_json::Value;

/// `05_prometheus` of the real data, or the test skips.
fn realdata() -> Option<PathBuf> {
    podsift_testgen::need::realdata().map(|p| p.join("05_prometheus"))
}

fn testdata(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/metrics")
        .join(name);
    serde_json::from_slice(&std::fs::read(p).expect("fixture")).expect("json")
}

fn read(p: &Path) -> Vec<u8> {
    let b = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    if b.starts_with(&[0x1f, 0x8b]) {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&b[..])
            .read_to_end(&mut out)
            .expect("gzip");
        out
    } else {
        b
    }
}

/// (name, sorted labels, value as text, ts) of a sample.
type Row = (String, Vec<(String, String)>, String, Option<i64>);

/// Every sample of `p`.
fn samples_of(p: &Parsed) -> Vec<Row> {
    (0..p.samples())
        .map(|i| {
            let s = &p.series[p.sample_series[i] as usize];
            let v = p.sample_value[i];
            let ts = p.sample_ts[i];
            (
                s.name.clone(),
                s.labels.clone(),
                if v.is_nan() {
                    "NaN".into()
                } else {
                    v.to_string()
                },
                (ts != podsift_core::metrics::NO_TS).then_some(ts),
            )
        })
        .collect()
}

#[test]
fn openmetrics_parser_suite() {
    let Some(realdata) = realdata() else { return };
    let root = realdata.join("openmetrics_repo/tests/testdata/parsers");
    let expected = testdata("om_expected.json");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("the OpenMetrics suite")
        .map(|e| e.expect("entry").path())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 211);
    let mut failures = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let spec: Value =
            serde_json::from_slice(&std::fs::read(case.join("test.json")).unwrap()).unwrap();
        let should = spec["shouldParse"].as_bool().unwrap();
        let bytes = std::fs::read(case.join("metrics")).unwrap();
        let p = expo::parse(&bytes, Dialect::OpenMetrics);
        if p.is_valid() != should {
            failures.push(format!(
                "{name}: shouldParse {should}, podsift says {:?}",
                p.problems
            ));
            continue;
        }
        if !should {
            invalid += 1;
            continue;
        }
        valid += 1;
        // The samples prometheus_client reads.
        let want = &expected[&name]["samples"];
        let want: Vec<Row> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let labels = s["labels"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                let v = s["value"].as_str().unwrap();
                let v = if v == "NaN" {
                    "NaN".to_string()
                } else {
                    v.parse::<f64>().unwrap().to_string()
                };
                // podsift keeps times as i64 ms (saturating).
                let ts = s["ts_ms"].as_f64().map(|t| {
                    if t > i64::MAX as f64 {
                        i64::MAX
                    } else {
                        t as i64
                    }
                });
                (s["name"].as_str().unwrap().to_string(), labels, v, ts)
            })
            .collect();
        // A second sample of a series at the same time is a duplicate: prometheus_client
        // drops it (at ns precision), podsift's tables do (at ms); compare without them.
        let dedup = |v: Vec<Row>| {
            let mut seen = std::collections::HashSet::new();
            v.into_iter()
                .filter(|(n, l, _, t)| seen.insert((n.clone(), l.clone(), *t)))
                .collect::<Vec<_>>()
        };
        let want = dedup(want);
        let got = dedup(samples_of(&p));
        if got != want {
            failures.push(format!("{name}: samples\n  got  {got:?}\n  want {want:?}"));
        }
        let want_ex: Vec<_> = expected[&name]["samples"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .filter(|(_, s)| !s["exemplar"].is_null())
            .map(|(i, s)| {
                (
                    i,
                    s["exemplar"]["value"]
                        .as_str()
                        .unwrap()
                        .parse::<f64>()
                        .unwrap(),
                    s["exemplar"]["labels"].as_object().unwrap().len(),
                )
            })
            .collect();
        let got_ex: Vec<_> = p
            .exemplars
            .iter()
            .map(|e| (e.sample, e.value, e.labels.len()))
            .collect();
        if got_ex != want_ex {
            failures.push(format!("{name}: exemplars {got_ex:?}, want {want_ex:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!((valid, invalid), (44, 167));
}

#[test]
fn exposition_files_give_the_sample_counts_an_independent_parser_reads() {
    let Some(realdata) = realdata() else { return };
    let expected = testdata("expo_expected.json");
    let expected = expected.as_object().unwrap();
    assert!(expected.len() > 100);
    let mut failures = Vec::new();
    for (rel, want) in expected {
        let bytes = read(&realdata.join(rel));
        let format = metrics_format(&bytes[..bytes.len().min(64 * 1024)]);
        let fuzz_error = rel.contains("from_test_parse_error");
        match (want.get("samples").and_then(Value::as_u64), format) {
            // Both read it: the same samples, and nothing reported.
            (Some(n), Some(MetricsFormat::Exposition)) => {
                let p = parse(MetricsFormat::Exposition, &bytes);
                if p.samples() as u64 != n {
                    failures.push(format!("{rel}: {} samples, want {n}", p.samples()));
                }
                // The windows exporter writes one family twice (Go's parser rejects that).
                let known = rel.contains("windows/testdata")
                    && p.problems.iter().all(|p| {
                        p.message == "family windows_mssql_locks_deadlocks appears a second time in the scrape"
                    });
                if !fuzz_error && !known && !p.problems.is_empty() {
                    failures.push(format!("{rel}: problems {:?}", p.problems));
                }
                assert_eq!(
                    p.samples() as u64 + p.other_lines + p.unparsed,
                    p.lines,
                    "{rel}"
                );
            }
            // Files that are not metrics (a `non_matching_file.txt`) are not taken for them.
            (None, None) => {}
            // Go's parser rejects these fuzz inputs; prometheus_client reads a sample from
            // them (`metric 3.14 2 3`); podsift does not take them for metrics.
            (Some(_), None) if fuzz_error => {}
            // The other parser rejects it: podsift says what is wrong (and keeps the rest).
            (None, Some(MetricsFormat::Exposition)) => {
                let p = parse(MetricsFormat::Exposition, &bytes);
                if p.problems.is_empty() {
                    failures.push(format!(
                        "{rel}: {} rejected it, podsift found nothing wrong",
                        want["error"]
                    ));
                }
            }
            (_, f) => failures.push(format!("{rel}: detected as {f:?}, expected {want}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn exact_sample_counts_of_named_exporters() {
    let Some(realdata) = realdata() else { return };
    // Counted by hand from the files (sample lines) and matching prometheus_client.
    for (rel, samples) in [
        ("node_exporter/collector/fixtures/e2e-output.txt", 3027),
        ("cadvisor/lib/metrics/testdata/prometheus_metrics", 287),
        (
            "netdata_go.d.plugin/modules/k8s_kubelet/testdata/metrics.txt",
            438,
        ),
        ("prometheus_common/expfmt/testdata/text.gz", 248),
        (
            "prometheus_repo/cmd/promtool/testdata/metrics-test.prom",
            27,
        ),
    ] {
        let p = parse(MetricsFormat::Exposition, &read(&realdata.join(rel)));
        assert_eq!(p.samples(), samples, "{rel}");
        assert_eq!(p.unparsed, 0, "{rel}");
    }
}

/// The samples of a dump, as (series text, value, ts).
fn dump_rows(text: &str) -> Vec<(String, f64, i64)> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (rest, ts) = l.rsplit_once(' ').unwrap();
            let (series, v) = rest.rsplit_once(' ').unwrap();
            (series.to_string(), v.parse().unwrap(), ts.parse().unwrap())
        })
        .collect()
}

#[test]
fn promtool_dumps_round_trip() {
    let Some(realdata) = realdata() else { return };
    let dir = realdata.join("prometheus_repo/cmd/promtool/testdata");
    for name in ["dump-test-1.prom", "dump-test-2.prom", "dump-test-3.prom"] {
        let text = String::from_utf8(std::fs::read(dir.join(name)).unwrap()).unwrap();
        let mut set = FileSet::new();
        set.add_bytes(name, text.clone().into_bytes());
        let plan = plan(&set, &PlanOptions::default());
        assert_eq!(
            plan.files[0].metrics,
            Some(MetricsFormat::Exposition),
            "{name}"
        );
        let mut report = Accounting::default();
        let store = read_metrics(&set, &plan, &MetricsOptions::default(), &mut report);
        let e = store.export(ExportOrder::LabelSet);
        let mut out = Vec::new();
        write_dump(&mut out, &e.series, e.samples.into_iter()).unwrap();
        let out = String::from_utf8(out).unwrap();
        // promtool's dump holds each sample once; dump-test-3 repeats two samples (a
        // duplicate), which podsift reports and keeps once.
        let mut want = dump_rows(&text);
        want.dedup();
        assert_eq!(dump_rows(&out), want, "{name}");
        // Equal as text too, float formatting included.
        let want_text: Vec<String> = want
            .iter()
            .map(|(s, v, t)| format!("{s} {} {t}", go_float(*v)))
            .collect();
        assert_eq!(out.lines().collect::<Vec<_>>(), want_text, "{name}");
        let dups = report
            .diagnostics
            .iter()
            .filter(|d| d.message.starts_with("duplicate sample"))
            .count();
        assert_eq!(dups, text.lines().count() - want.len(), "{name}");
    }
    // dump-openmetrics output reads back and is written the same way.
    for name in [
        "dump-openmetrics-test.prom",
        "dump-openmetrics-roundtrip-test.prom",
    ] {
        let text = String::from_utf8(std::fs::read(dir.join(name)).unwrap()).unwrap();
        let p = expo::parse(text.as_bytes(), Dialect::OpenMetrics);
        assert!(p.is_valid(), "{name}: {:?}", p.problems);
        let mut set = FileSet::new();
        set.add_bytes(name, text.clone().into_bytes());
        let plan = plan(&set, &PlanOptions::default());
        let mut report = Accounting::default();
        let store = read_metrics(&set, &plan, &MetricsOptions::default(), &mut report);
        let e = store.export(ExportOrder::Name);
        let mut out = Vec::new();
        write_openmetrics(&mut out, &e.series, e.samples.into_iter()).unwrap();
        let out = String::from_utf8(out).unwrap();
        let norm = |t: &str| -> Vec<(String, f64, String)> {
            t.lines()
                .filter(|l| *l != "# EOF")
                .map(|l| {
                    let (rest, ts) = l.rsplit_once(' ').unwrap();
                    let (series, v) = rest.rsplit_once(' ').unwrap();
                    (series.to_string(), v.parse().unwrap(), ts.to_string())
                })
                .collect()
        };
        assert_eq!(norm(&out), norm(&text), "{name}");
        assert!(out.ends_with("# EOF\n"));
    }
    // seriesjson: series without samples.
    let p = parse(
        MetricsFormat::SeriesJson,
        &std::fs::read(dir.join("dump-series-1.prom")).unwrap(),
    );
    assert_eq!(p.series.len(), 3);
    assert_eq!(p.samples(), 0);
    assert_eq!(p.series[2].name, "metric");
}

#[test]
fn prometheus_api_response_from_a_snapshot() {
    let Some(realdata) = realdata() else { return };
    let p = parse(
        MetricsFormat::PrometheusApi,
        &std::fs::read(realdata.join(
            "tsdb_blocks/victoriametrics/apptest/tests/testdata/prometheus/expected_response.json",
        ))
        .unwrap(),
    );
    assert!(p.problems.is_empty(), "{:?}", p.problems);
    assert!(p.samples() > 0);
    assert!(p.sample_ts.iter().all(|t| *t > 1_600_000_000_000));
}
