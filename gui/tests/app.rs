//! The app around the views: the file dialog opens a bundle, the shown entries export to CSV,
//! NDJSON, Arrow IPC and Parquet and copy as text, and settings survive a restart.

#![allow(clippy::disallowed_methods)]

use std::collections::HashMap;
use std::path::PathBuf;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use podsift_core::export::ExportFormat;
use podsift_core::table::LogTable;
use podsift_gui::{PodsiftApp, Settings, Status};

fn sample() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/sample"))
}

fn harness(app: PodsiftApp) -> Harness<'static, PodsiftApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .build_ui_state(|ui, app: &mut PodsiftApp| app.show(ui), app)
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("podsift-gui-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_file_dialog_opens_what_is_picked() {
    let dir = temp("dialog");
    std::fs::create_dir_all(dir.join("bundle")).unwrap();
    std::fs::write(
        dir.join("bundle/app.log"),
        "2024-01-01T00:00:00Z ERROR boom\n2024-01-01T00:00:01Z INFO fine\n",
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "x").unwrap();
    std::fs::write(dir.join(".hidden"), "x").unwrap();
    let mut app = PodsiftApp::default();
    app.settings.recent = vec![dir.join("bundle").display().to_string()];
    let mut h = harness(app);
    h.run();
    h.get_by_label("Open").click();
    h.run();
    {
        let d = h.state_mut().dialog().expect("open");
        // It starts at the last bundle opened.
        assert_eq!(d.dir, dir.join("bundle"));
        let parent = dir.clone();
        d.go(&parent);
        let names: Vec<(&str, bool)> = d.items.iter().map(|i| (i.name.as_str(), i.dir)).collect();
        assert_eq!(
            names,
            vec![("bundle", true), ("notes.txt", false)],
            "folders first, no dot files"
        );
    }
    h.run();
    h.get_by_label("[dir] bundle").click();
    h.run();
    assert_eq!(
        h.state_mut().dialog().unwrap().picked,
        vec!["bundle".to_string()]
    );
    h.get_by_label("Open 1 picked").click();
    h.run();
    assert!(h.state_mut().dialog().is_none());
    // The read runs in the background (a tiny bundle may be done already).
    h.state_mut().wait();
    h.run();
    let loaded = h.state().loaded().expect("loaded");
    assert_eq!(loaded.logs.height(), 2);
    assert_eq!(
        h.state().settings.recent[0],
        dir.join("bundle").display().to_string()
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn shown_entries_export_in_every_format_and_copy_as_text() {
    let mut app = PodsiftApp::default();
    app.open_paths(vec![sample()]);
    app.wait();
    let view = app.view().unwrap();
    view.query = "level:error".into();
    view.apply();
    let rows = view.rows().len();
    assert!(rows > 0 && rows < view.index.len());
    let dir = temp("export");
    let mut sizes = HashMap::new();
    for f in ExportFormat::ALL {
        let path = dir.join(format!("out.{}", f.extension()));
        app.export_to(f, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        sizes.insert(f, bytes.len());
        match f {
            ExportFormat::Csv => assert_eq!(
                String::from_utf8(bytes).unwrap().lines().count(),
                rows + 1,
                "header and one line per entry"
            ),
            ExportFormat::Ndjson => {
                let text = String::from_utf8(bytes).unwrap();
                assert_eq!(text.lines().count(), rows);
                assert!(text.lines().all(|l| {
                    serde_json::from_str::<serde_json::Value>(l).unwrap()["level"] == "error"
                }));
            }
            ExportFormat::ArrowIpc => {
                let reader =
                    arrow::ipc::reader::FileReader::try_new(std::io::Cursor::new(bytes), None)
                        .unwrap();
                let n: usize = reader.map(|b| b.unwrap().num_rows()).sum();
                assert_eq!(n, rows);
            }
            ExportFormat::Parquet => {
                let reader =
                    parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
                        bytes::Bytes::from(bytes),
                    )
                    .unwrap()
                    .build()
                    .unwrap();
                let n: usize = reader.map(|b| b.unwrap().num_rows()).sum();
                assert_eq!(n, rows);
            }
        }
    }
    assert!(
        app.notice
            .as_deref()
            .unwrap()
            .starts_with(&format!("exported {rows} entries to "))
    );
    let (text, all) = app.shown_text().unwrap();
    assert_eq!(all, rows);
    assert_eq!(text.lines().count(), rows);
    assert!(
        text.lines().all(|l| l.starts_with("20")),
        "each line starts with its time"
    );

    // Through the menu: Export > Parquet asks where, with a name that says what it holds.
    let mut h = harness(app);
    h.run();
    h.get_by_label("Export").click();
    h.run();
    h.get_by_label("Parquet").click();
    h.run();
    {
        let d = h.state_mut().dialog().expect("save dialog");
        assert_eq!(d.name, format!("podsift-{rows}-entries.parquet"));
        d.go(&dir);
    }
    h.run();
    h.get_by_label("Save").click();
    h.run();
    let saved = std::fs::read(dir.join(format!("podsift-{rows}-entries.parquet"))).unwrap();
    assert_eq!(&saved[..4], b"PAR1");
    let _ = std::fs::remove_dir_all(dir);
}

/// Every file under `dir` as (path under `dir`'s parent, bytes), as the browser hands files
/// of a dropped folder over.
fn files_of(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let base = dir.parent().unwrap();
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let name = p.strip_prefix(base).unwrap().display().to_string();
                out.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn files_handed_over_as_bytes_are_read_a_step_a_frame() {
    let hour = sample().join("../metrics/hour");
    let mut want = PodsiftApp::default();
    want.open_paths(vec![sample(), hour.clone()]);
    want.wait();
    let mut files = files_of(&sample());
    files.extend(files_of(&hour));
    let mut app = PodsiftApp::default();
    app.open_bytes(files);
    assert!(app.loading());
    let frames = frames_until_loaded(&mut app);
    let mut h = harness(app);
    // A frame drawn before anything is opened, one that opens and plans, then the reads.
    assert!(frames >= 3, "{frames}");
    let series = |a: &mut PodsiftApp| {
        let m = a.metrics().unwrap();
        (m.index.series.len(), m.store.len())
    };
    assert_eq!(series(h.state_mut()), series(&mut want));
    // The hour of scrapes (16 series) and the sample's kube-state-metrics scrape (22).
    assert_eq!(series(&mut want), (38, 3878));
    let (got, want) = (h.state().loaded().expect("loaded"), want.loaded().unwrap());
    assert_eq!(got.logs.height(), want.logs.height());
    // The browser's read packs the text; the desktop's holds it: the same entries either way.
    assert!(matches!(got.logs, LogTable::Packed(_)));
    assert!(matches!(want.logs, LogTable::Frame(_)));
    let message = |t: &LogTable| t.to_frame().unwrap().column("message").unwrap().clone();
    assert!(
        message(&got.logs).equals_missing(&message(&want.logs)),
        "the same entries in the same order"
    );
    assert_eq!(got.unparsed, want.unparsed);
}

/// eframe's storage, in memory.
#[derive(Default)]
struct Memory(HashMap<String, String>);

impl eframe::Storage for Memory {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn settings_survive_a_restart() {
    let mut app = PodsiftApp::default();
    app.open_paths(vec![sample()]);
    app.wait();
    let view = app.view().unwrap();
    view.show_columns(&["ts".to_string(), "pod".to_string(), "node".to_string()]);
    view.wrap = true;
    let mut h = harness(app);
    h.run();
    h.get_by_label("Light").click();
    h.run();
    let mut storage = Memory::default();
    eframe::App::save(h.state_mut(), &mut storage);

    let mut again = PodsiftApp::new(Some(&storage));
    assert_eq!(
        again.settings,
        Settings {
            recent: vec![sample().display().to_string()],
            columns: Some(vec!["ts".into(), "node".into(), "pod".into()]),
            dark: Some(false),
            wrap: true,
        }
    );
    again.open_paths(vec![sample()]);
    again.wait();
    let mut h = harness(again);
    h.run();
    // The theme, the columns and the wrap toggle are back.
    assert_eq!(h.ctx.theme(), eframe::egui::Theme::Light);
    let view = h.state_mut().view().unwrap();
    assert_eq!(view.shown_columns(), vec!["ts", "node", "pod"]);
    assert!(view.wrap);
    // Settings that do not parse (an older app's) give the defaults.
    let mut bad = Memory::default();
    bad.0
        .insert(podsift_gui::settings::KEY.into(), "{not json".into());
    assert_eq!(PodsiftApp::new(Some(&bad)).settings, Settings::default());
}

/// The sample folder packed as a `.tar.gz`, as a browser user would open it.
fn sample_tar_gz() -> Vec<u8> {
    let out = std::process::Command::new("tar")
        .arg("czf")
        .arg("-")
        .arg("-C")
        .arg(sample().parent().unwrap())
        .arg("sample")
        .output()
        .expect("tar runs");
    assert!(out.status.success());
    out.stdout
}

/// Draws frames until the app is done loading; how many.
fn frames_until_loaded(app: &mut PodsiftApp) -> usize {
    phases_until_loaded(app).1
}

/// Frames until the read ends, and the phases the status went through (each once, in order).
fn phases_until_loaded(app: &mut PodsiftApp) -> (Vec<&'static str>, usize) {
    let ctx = eframe::egui::Context::default();
    let mut frames = 0;
    let mut phases = Vec::new();
    while app.loading() {
        let phase = match app.status() {
            Status::Loading {
                opening: true,
                sorting: false,
                ..
            } => "opening",
            Status::Loading {
                opening: false,
                sorting: false,
                ..
            } => "reading",
            Status::Loading {
                opening: false,
                sorting: true,
                ..
            } => "sorting",
            other => panic!("a read says {other:?}"),
        };
        if phases.last() != Some(&phase) {
            phases.push(phase);
        }
        let mut out = ctx.run_ui(eframe::egui::RawInput::default(), |ui| app.show(ui));
        out.textures_delta.clear();
        frames += 1;
        assert!(frames < 10_000);
    }
    (phases, frames)
}

#[test]
fn a_tar_gz_handed_over_as_bytes_is_listed_then_read_a_step_a_frame() {
    let mut want = PodsiftApp::default();
    want.open_paths(vec![sample()]);
    want.wait();
    let mut app = PodsiftApp::default();
    app.open_bytes(vec![("sample.tar.gz".into(), sample_tar_gz())]);
    let (phases, frames) = phases_until_loaded(&mut app);
    assert!(frames >= 4, "{frames}");
    // Listed, read, then put in time order, each in frames of its own, and said so.
    assert_eq!(phases, ["opening", "reading", "sorting"]);
    let (got, want) = (app.loaded().expect("loaded"), want.loaded().unwrap());
    assert_eq!(got.logs.height(), want.logs.height());
    // The browser's read packs the text; the desktop's holds it: the same entries either way.
    assert!(matches!(got.logs, LogTable::Packed(_)));
    assert!(matches!(want.logs, LogTable::Frame(_)));
    let message = |t: &LogTable| t.to_frame().unwrap().column("message").unwrap().clone();
    assert!(
        message(&got.logs).equals_missing(&message(&want.logs)),
        "the same entries in the same order"
    );
    assert_eq!(got.skipped.len(), want.skipped.len());
}

#[test]
fn a_read_that_runs_out_of_page_memory_stops_and_lists_what_it_left() {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    // Room for the first step, then the page is "full".
    fn probe() -> u64 {
        if CALLS.fetch_add(1, Ordering::Relaxed) < 1 {
            0
        } else {
            u64::MAX
        }
    }
    // Twelve containers of 1 MB each: three steps' worth.
    let files: Vec<(String, Vec<u8>)> = (0..12)
        .map(|i| {
            let body: String = (0..10_000)
                .map(|k| {
                    format!(
                        "2024-03-01T10:{:02}:{:02}.000000000Z stdout F pod {i} line {k} {}\n",
                        (k / 60) % 60,
                        k % 60,
                        "x".repeat(50)
                    )
                })
                .collect();
            (
                format!(
                    "node-1/pods/shop_api-{i}_0d9c1f6e-3b1a-4c55-9a61-0c6b2f4d8e1{}/app/0.log",
                    i % 10
                ),
                body.into_bytes(),
            )
        })
        .collect();
    let mut app = PodsiftApp::default();
    app.memory_probe = podsift_gui::MemoryProbe(probe);
    app.open_bytes(files);
    frames_until_loaded(&mut app);
    let loaded = app.loaded().expect("what was read is loaded");
    let read = loaded.logs.height();
    assert!(read > 0 && read < 120_000 && read % 10_000 == 0, "{read}");
    let left: Vec<_> = loaded
        .skipped
        .iter()
        .filter(|(_, why)| why.starts_with("the page's memory is full"))
        .collect();
    // Every container not read is listed, with why.
    assert_eq!(left.len() * 10_000 + read, 120_000, "{:?}", loaded.skipped);
    match app.status() {
        podsift_gui::Status::Ready {
            skipped, entries, ..
        } => {
            assert_eq!(entries, read);
            assert!(skipped >= left.len());
        }
        s => panic!("{s:?}"),
    }
}

#[test]
fn the_empty_page_says_what_to_drop_and_opens_the_sample() {
    let mut h = harness(PodsiftApp::default());
    h.run();
    h.get_by_label("Drop files or folders here");
    h.get_by_label("Try the sample").click();
    // The click opens the sample on the next frame; the read then runs a step a frame.
    for _ in 0..2000 {
        h.step();
        if !h.state().loading() && h.state().loaded().is_some() {
            break;
        }
    }
    let got = h.state().loaded().expect("the sample is loaded");
    let mut want = PodsiftApp::default();
    want.open_paths(vec![sample()]);
    want.wait();
    let want = want.loaded().unwrap();
    // The same entries as the sample folder on disk, its pods, Events and audit log too.
    assert_eq!(got.logs.height(), want.logs.height());
    assert_eq!(got.tables.pods.height(), want.tables.pods.height());
    assert_eq!(got.tables.events.height(), want.tables.events.height());
    assert!(got.tables.audit.height() > 0);
    assert!(got.skipped.is_empty(), "{:?}", got.skipped);
}
