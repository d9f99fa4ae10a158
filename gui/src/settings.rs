//! What the app remembers between runs (eframe's storage: a file in the user's data folder on
//! the desktop, the page's local storage in the browser): recent bundles, the table's columns,
//! the theme and the wrap toggle. Runtime state (the loaded bundle, the query) is not kept.

use serde::{Deserialize, Serialize};

/// The key the settings are stored under.
pub const KEY: &str = "podsift-settings";

/// Bundles remembered.
pub const RECENT: usize = 10;

/// Persisted settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Bundles opened before, newest first (paths joined with `, ` when several were opened
    /// together).
    pub recent: Vec<String>,
    /// The table's shown columns (`logs` column names), in table order; `None` for the
    /// default set.
    pub columns: Option<Vec<String>>,
    /// Dark theme (`None`: follow the system).
    pub dark: Option<bool>,
    /// Wrap long messages in the table.
    pub wrap: bool,
}

impl Settings {
    /// Puts `name` first in the recent list (once), keeping [`RECENT`].
    pub fn remember(&mut self, name: &str) {
        self.recent.retain(|r| r != name);
        self.recent.insert(0, name.to_string());
        self.recent.truncate(RECENT);
    }

    /// Reads the settings from eframe's storage (defaults when there are none or they do not
    /// parse: an older app's settings never stop this one from starting).
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Settings {
        storage
            .and_then(|s| s.get_string(KEY))
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    /// Writes the settings to eframe's storage.
    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        if let Ok(text) = serde_json::to_string(self) {
            storage.set_string(KEY, text);
        }
    }
}
