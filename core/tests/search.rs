//! The Discover query language over a real `logs` table: each query's row count agrees with
//! the same condition checked on the generated entries directly.

use podsift_core::ingest::{NoFilter, Progress};
use podsift_core::query::search::Query;
use podsift_core::sources::FileSet;
use podsift_core::sources::plan::{PlanOptions, plan};
use podsift_core::table::read_logs;

const UID: &str = "0d9c1f6e-3b1a-4c55-9a61-0c6b2f4d8e11";

/// One generated entry: (namespace, pod, container, level, message, status field).
type Row = (
    &'static str,
    String,
    &'static str,
    &'static str,
    String,
    Option<u32>,
);

fn generate() -> (FileSet, Vec<Row>) {
    let mut set = FileSet::new();
    let mut rows = Vec::new();
    let levels = ["info", "warn", "error", "debug"];
    for (ns, pod) in [
        ("shop", "api-7d9f"),
        ("shop", "web-1a2b"),
        ("kube-system", "api-x"),
    ] {
        for container in ["app", "istio-proxy"] {
            let mut body = String::new();
            for i in 0..40u32 {
                let level = levels[(i as usize + pod.len()) % 4];
                let ts = format!("2024-01-01T00:{:02}:{:02}.000000000Z", i / 60, i % 60);
                let message = if i % 3 == 0 {
                    format!("connection reset by peer {i}")
                } else {
                    format!("request served in {i}ms")
                };
                let status = (i % 2 == 0).then_some(if i % 4 == 0 { 500 } else { 200 });
                let line = match status {
                    Some(st) => format!(r#"{{"level":"{level}","msg":"{message}","status":{st}}}"#),
                    None => format!("level={level} msg=\"{message}\""),
                };
                body.push_str(&format!("{ts} stdout F {line}\n"));
                rows.push((ns, pod.to_string(), container, level, message, status));
            }
            set.add_bytes(
                format!("n/var/log/pods/{ns}_{pod}_{UID}/{container}/0.log"),
                body.into_bytes(),
            );
        }
    }
    (set, rows)
}

fn count(q: &str, set: &FileSet) -> usize {
    let p = plan(set, &PlanOptions::default());
    let (df, _) = read_logs(set, &p, &NoFilter, &Progress::default()).expect("reads");
    let mask = Query::parse(q)
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .evaluate(&df)
        .expect("evaluates");
    assert_eq!(mask.len(), df.height());
    mask.sum().unwrap_or(0) as usize
}

#[test]
fn query_counts_agree_with_the_entries() {
    let (set, rows) = generate();
    let want = |f: &dyn Fn(&Row) -> bool| rows.iter().filter(|r| f(r)).count();
    let cases: Vec<(&str, usize)> = vec![
        ("", rows.len()),
        ("level:error", want(&|r| r.3 == "error")),
        ("level:warn+", want(&|r| r.3 == "warn" || r.3 == "error")),
        ("pod:api-*", want(&|r| r.1.starts_with("api-"))),
        (
            "\"connection reset\"",
            want(&|r| r.4.contains("connection reset")),
        ),
        ("RESET", want(&|r| r.4.contains("reset"))),
        (
            r#"level:error pod:api-* "connection reset" -container:istio-proxy"#,
            want(&|r| {
                r.3 == "error"
                    && r.1.starts_with("api-")
                    && r.4.contains("connection reset")
                    && r.2 != "istio-proxy"
            }),
        ),
        (
            "status:500 OR status:>=200 AND ns:kube-system",
            want(&|r| r.5 == Some(500) || (r.5.is_some_and(|s| s >= 200) && r.0 == "kube-system")),
        ),
        ("status:*", want(&|r| r.5.is_some())),
        ("NOT status:*", want(&|r| r.5.is_none())),
        (
            r"msg:/served in \d{2}ms/",
            want(&|r| {
                r.4.strip_prefix("request served in ")
                    .and_then(|x| x.strip_suffix("ms"))
                    .is_some_and(|n| n.len() == 2)
            }),
        ),
        (
            "(pod:web-* OR namespace:kube-system) !level:debug",
            want(&|r| (r.1.starts_with("web-") || r.0 == "kube-system") && r.3 != "debug"),
        ),
        ("restart:0", rows.len()),
        ("restart:>0", 0),
    ];
    for (q, n) in cases {
        assert_eq!(count(q, &set), n, "{q}");
    }
}
