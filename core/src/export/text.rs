//! stern-like text output (`podsift logs`, the apps' "copy as text") of the `logs` table: `[time] [namespace/]pod container message`, with a
//! colour per pod and per container, and error and warning messages highlighted.

use std::io::{self, Write};

use crate::level::Level;
use crate::schema::logs as col;
use crate::time::write_rfc3339_nanos;
use polars::prelude::*;

/// How to render.
#[derive(Clone, Copy, Debug)]
pub struct TextStyle {
    /// ANSI colours: one per pod and container, errors red, warnings yellow.
    pub color: bool,
    /// Each line starts with the entry's time.
    pub timestamps: bool,
}

/// Pod and container colours, as stern cycles through them (red is kept for errors).
const PALETTE: [&str; 10] = ["32", "33", "34", "35", "36", "92", "93", "94", "95", "96"];

fn color_of(name: &str) -> &'static str {
    // FNV-1a: stable across runs, so a pod keeps its colour.
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    PALETTE[(h % PALETTE.len() as u64) as usize]
}

fn cat_strings(df: &DataFrame, name: &str) -> crate::Result<Vec<Option<String>>> {
    let s = df.column(name)?.cast(&DataType::String)?;
    Ok(s.str()?.iter().map(|v| v.map(str::to_string)).collect())
}

/// Writes every row of `df` (a `logs` frame) as text.
pub fn write_text(df: &DataFrame, w: &mut dyn Write, style: TextStyle) -> io::Result<()> {
    fn err(e: impl std::error::Error + Send + Sync + 'static) -> io::Error {
        io::Error::other(e)
    }
    let df = df
        .select([
            col::TS,
            col::NODE,
            col::NAMESPACE,
            col::POD,
            col::CONTAINER,
            col::COMPONENT,
            col::LEVEL,
            col::MESSAGE,
        ])
        .map_err(err)?;
    let mut df = df;
    df.rechunk_mut();
    let ts = df
        .column(col::TS)
        .map_err(err)?
        .datetime()
        .map_err(err)?
        .physical()
        .clone();
    let ns = cat_strings(&df, col::NAMESPACE).map_err(err)?;
    let pod = cat_strings(&df, col::POD).map_err(err)?;
    let container = cat_strings(&df, col::CONTAINER).map_err(err)?;
    let node = cat_strings(&df, col::NODE).map_err(err)?;
    let component = cat_strings(&df, col::COMPONENT).map_err(err)?;
    let level: Vec<u8> = df
        .column(col::LEVEL)
        .map_err(err)?
        .as_materialized_series()
        .cat8()
        .map_err(err)?
        .physical()
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect();
    let message = df
        .column(col::MESSAGE)
        .map_err(err)?
        .str()
        .map_err(err)?
        .clone();
    let namespaces: std::collections::HashSet<&Option<String>> = ns.iter().collect();
    let show_namespace = namespaces.len() > 1;

    let mut line = String::new();
    for row in 0..df.height() {
        line.clear();
        if style.timestamps {
            match ts.get(row) {
                Some(t) => write_rfc3339_nanos(&mut line, t),
                None => line.push_str("-                             "),
            }
            line.push(' ');
        }
        // A plain log (kubelet.log, syslog) has no pod: its node and component stand in.
        let (pod_name, container_name) = match (&pod[row], &component[row]) {
            (None, Some(c)) => (node[row].as_deref().unwrap_or("-"), c.as_str()),
            _ => (
                pod[row].as_deref().unwrap_or("-"),
                container[row].as_deref().unwrap_or("-"),
            ),
        };
        let pod_text = match (&ns[row], show_namespace) {
            (Some(n), true) => format!("{n}/{pod_name}"),
            _ => pod_name.to_string(),
        };
        let msg = message.get(row).unwrap_or("");
        if style.color {
            let level_color = match Level::ALL.get(level[row] as usize) {
                Some(Level::Error | Level::Fatal) => Some("31"),
                Some(Level::Warn) => Some("33"),
                _ => None,
            };
            line.push_str(&format!(
                "\x1b[{}m{pod_text}\x1b[0m \x1b[{}m{container_name}\x1b[0m ",
                color_of(pod_name),
                color_of(container_name)
            ));
            match level_color {
                Some(c) => line.push_str(&format!("\x1b[{c}m{msg}\x1b[0m")),
                None => line.push_str(msg),
            }
        } else {
            line.push_str(&pod_text);
            line.push(' ');
            line.push_str(container_name);
            line.push(' ');
            line.push_str(msg);
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}
