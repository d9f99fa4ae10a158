//! `podsift-gui [PATH...]`: the desktop app. A thin shell: the app is the library.

fn main() -> eframe::Result {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let options = eframe::NativeOptions {
        viewport: eframe::egui::ViewportBuilder::default()
            .with_title("podsift")
            .with_inner_size([1200.0, 800.0]),
        ..Default::default()
    };
    eframe::run_native(
        "podsift",
        options,
        Box::new(move |_cc| {
            let mut app = podsift_gui::PodsiftApp::default();
            if !paths.is_empty() {
                app.open_paths(paths);
            }
            Ok(Box::new(app))
        }),
    )
}
