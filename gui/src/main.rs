//! `podsift-gui [--query QUERY] [--chart SERIES]... [--metrics] [PATH...]`: the desktop app.
//! A thin shell: the app is the library.

fn main() -> eframe::Result {
    let mut paths: Vec<std::path::PathBuf> = Vec::new();
    let mut query = None;
    let mut charts = Vec::new();
    let mut metrics = false;
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        if a == "--query" {
            query = args.next().map(|q| q.to_string_lossy().into_owned());
        } else if a == "--chart" {
            charts.extend(args.next().map(|q| q.to_string_lossy().into_owned()));
        } else if a == "--metrics" {
            metrics = true;
        } else {
            paths.push(a.into());
        }
    }
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("podsift")
            .with_inner_size([1400.0, 900.0]),
        ..Default::default()
    };
    eframe::run_native(
        "podsift",
        options,
        Box::new(move |cc| {
            let mut app = podsift_gui::PodsiftApp::new(cc.storage);
            app.initial_query = query;
            app.initial_charts = charts;
            if metrics {
                app.tab = podsift_gui::Tab::Metrics;
            }
            if !paths.is_empty() {
                app.open_paths(paths);
            }
            Ok(Box::new(app))
        }),
    )
}
