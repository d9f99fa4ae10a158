//! podsift's browser viewer: a thin `WebHandle` that starts the podsift-gui app in a canvas
//! through eframe's `WebRunner`. Everything else is in podsift-gui and podsift-core.

#[cfg(target_arch = "wasm32")]
mod web {
    use eframe::wasm_bindgen::{self, prelude::*};

    /// The handle JavaScript holds.
    #[derive(Clone)]
    #[wasm_bindgen]
    pub struct WebHandle {
        runner: eframe::WebRunner,
    }

    impl std::fmt::Debug for WebHandle {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("WebHandle").finish_non_exhaustive()
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
            }
        }

        /// Starts the app in `canvas`.
        #[wasm_bindgen]
        pub async fn start(&self, canvas: web_sys::HtmlCanvasElement) -> Result<(), JsValue> {
            self.runner
                .start(
                    canvas,
                    eframe::WebOptions::default(),
                    Box::new(|_cc| Ok(Box::new(podsift_gui::PodsiftApp::default()))),
                )
                .await
        }

        /// Stops the app.
        #[wasm_bindgen]
        pub fn destroy(&self) {
            self.runner.destroy();
        }
    }
}
