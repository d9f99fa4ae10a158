//! podsift's browser viewer: a thin `WebHandle` that starts the podsift-gui app in a canvas
//! through eframe's `WebRunner`, and the few calls the page's script makes: hand over the
//! bytes of files the user opened or dropped, take the files the app exported (the page
//! downloads them), and read the app's status (the end-to-end test does). Everything else is
//! in podsift-gui and podsift-core.

#[cfg(target_arch = "wasm32")]
mod web {
    use eframe::wasm_bindgen::{self, prelude::*};
    use podsift_gui::PodsiftApp;

    /// Files handed over for the next bundle: (path, bytes).
    type Pending = std::rc::Rc<std::cell::RefCell<Vec<(String, Vec<u8>)>>>;

    /// The handle JavaScript holds.
    #[derive(Clone)]
    #[wasm_bindgen]
    pub struct WebHandle {
        runner: eframe::WebRunner,
        pending: Pending,
    }

    impl std::fmt::Debug for WebHandle {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("WebHandle").finish_non_exhaustive()
        }
    }

    /// A file the app exported, for the page to download.
    #[wasm_bindgen]
    #[derive(Debug)]
    pub struct WebDownload {
        name: String,
        media_type: String,
        bytes: Vec<u8>,
    }

    #[wasm_bindgen]
    impl WebDownload {
        /// File name.
        #[wasm_bindgen(getter)]
        pub fn name(&self) -> String {
            self.name.clone()
        }
        /// Media type.
        #[wasm_bindgen(getter)]
        pub fn media_type(&self) -> String {
            self.media_type.clone()
        }
        /// Contents (a copy, as a `Uint8Array`).
        #[wasm_bindgen(getter)]
        pub fn bytes(&self) -> Vec<u8> {
            self.bytes.clone()
        }
    }

    #[wasm_bindgen]
    impl WebHandle {
        /// A handle with no app running yet.
        #[wasm_bindgen(constructor)]
        #[allow(clippy::new_without_default)]
        pub fn new() -> Self {
            Self {
                runner: eframe::WebRunner::new(),
                pending: Default::default(),
            }
        }

        /// Starts the app in `canvas`.
        #[wasm_bindgen]
        pub async fn start(&self, canvas: web_sys::HtmlCanvasElement) -> Result<(), JsValue> {
            self.runner
                .start(
                    canvas,
                    eframe::WebOptions::default(),
                    Box::new(|cc| Ok(Box::new(PodsiftApp::new(cc.storage)))),
                )
                .await
        }

        /// Adds a file to the next bundle (`path` as in the folder it came from, so that node
        /// and pod folders are recognised).
        #[wasm_bindgen]
        pub fn add_file(&self, path: String, bytes: Vec<u8>) {
            self.pending.borrow_mut().push((path, bytes));
        }

        /// Opens the files added as one bundle; read a step per frame.
        #[wasm_bindgen]
        pub fn open_added(&self) -> bool {
            let files = std::mem::take(&mut *self.pending.borrow_mut());
            match self.runner.app_mut::<PodsiftApp>() {
                Some(mut app) => {
                    app.open_bytes(files);
                    true
                }
                None => false,
            }
        }

        /// The app's status as JSON (`{"state":"ready","entries":..,"shown":..}`).
        #[wasm_bindgen]
        pub fn status(&self) -> String {
            self.runner.app_mut::<PodsiftApp>().map_or_else(
                || r#"{"state":"starting"}"#.to_string(),
                |a| a.status().to_json(),
            )
        }

        /// Puts `query` in the query bar and runs it.
        #[wasm_bindgen]
        pub fn set_query(&self, query: String) {
            if let Some(mut app) = self.runner.app_mut::<PodsiftApp>() {
                if let Some(view) = app.view() {
                    view.query = query;
                    view.apply();
                }
                app.repaint();
            }
        }

        /// Exports the shown entries (`csv`, `ndjson`, `arrow`, `parquet`), as the Export menu
        /// does; the page then downloads it.
        #[wasm_bindgen]
        pub fn export(&self, format: &str) -> bool {
            let Some(f) = podsift_gui::ExportFormat::from_extension(format) else {
                return false;
            };
            match self.runner.app_mut::<PodsiftApp>() {
                Some(mut app) => {
                    app.start_export(f);
                    true
                }
                None => false,
            }
        }

        /// The next file the app exported, if any.
        #[wasm_bindgen]
        pub fn take_download(&self) -> Option<WebDownload> {
            let mut app = self.runner.app_mut::<PodsiftApp>()?;
            if app.downloads.is_empty() {
                return None;
            }
            let d = app.downloads.remove(0);
            Some(WebDownload {
                name: d.name,
                media_type: d.media_type.to_string(),
                bytes: d.bytes,
            })
        }

        /// The size of the module's memory in bytes (where the tables live; it only grows).
        #[wasm_bindgen]
        pub fn memory_bytes(&self) -> f64 {
            (core::arch::wasm32::memory_size(0) * 65536) as f64
        }

        /// Stops the app.
        #[wasm_bindgen]
        pub fn destroy(&self) {
            self.runner.destroy();
        }

        /// Whether the app panicked (the page then says so).
        #[wasm_bindgen]
        pub fn has_panicked(&self) -> bool {
            self.runner.has_panicked()
        }
    }
}
