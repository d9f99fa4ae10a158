//! stern-like text output (`podsift logs`, the apps' "copy as text") of the `logs` table: `[time] [namespace/]pod container message`, with a
//! colour per pod and per container, and error and warning messages highlighted.

use std::collections::HashMap;
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
    /// Control characters in messages and names (escape sequences a log may hold: a title,
    /// the clipboard, a cleared screen) are shown as visible stand-ins instead of reaching a
    /// terminal.
    pub safe: bool,
}

/// Pod and container colours (256-colour codes that read on dark and light backgrounds; no
/// red or yellow, which mark errors and warnings).
const PALETTE: [u8; 18] = [
    33, 35, 37, 70, 75, 99, 105, 128, 134, 141, 30, 66, 97, 166, 24, 64, 132, 173,
];

/// The colours given to pods and containers, kept from one write to the next (a followed
/// stream keeps them): distinct names get distinct colours until there are more names than
/// colours; the names of one write are given theirs in sorted order, so the same input gives
/// the same colours.
#[derive(Debug, Default)]
pub struct Palette {
    pods: HashMap<String, usize>,
    containers: HashMap<String, usize>,
    /// Namespaces seen: with more than one, pods are shown with theirs.
    namespaces: std::collections::HashSet<Option<String>>,
}

impl Palette {
    fn assign<'a>(given: &mut HashMap<String, usize>, names: impl Iterator<Item = &'a str>) {
        let mut new: Vec<&str> = names.filter(|n| !given.contains_key(*n)).collect();
        new.sort_unstable();
        new.dedup();
        for n in new {
            let i = given.len();
            given.insert(n.to_string(), i);
        }
    }

    fn code(given: &HashMap<String, usize>, name: &str) -> String {
        given.get(name).map_or_else(
            || "0".to_string(),
            |i| format!("38;5;{}", PALETTE[i % PALETTE.len()]),
        )
    }
}

/// `text` with its control characters (but tab) shown as `^X` / `\u{..}` stand-ins, so that a
/// log line or a file name cannot drive the terminal it is printed on (OSC 52, clear screen).
pub fn safe_text(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push(c),
            '\u{0}'..='\u{1f}' => {
                out.push('^');
                out.push(char::from(c as u8 + 0x40));
            }
            '\u{7f}' => out.push_str("^?"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

fn cat_strings(df: &DataFrame, name: &str) -> crate::Result<Vec<Option<String>>> {
    let s = df.column(name)?.cast(&DataType::String)?;
    Ok(s.str()?.iter().map(|v| v.map(str::to_string)).collect())
}

/// Writes every row of `df` (a `logs` frame) as text.
pub fn write_text(df: &DataFrame, w: &mut dyn Write, style: TextStyle) -> io::Result<()> {
    write_text_with(df, w, style, &mut Palette::default())
}

/// [`write_text`], with the colours already given kept (a followed stream).
pub fn write_text_with(
    df: &DataFrame,
    w: &mut dyn Write,
    style: TextStyle,
    palette: &mut Palette,
) -> io::Result<()> {
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
    palette.namespaces.extend(namespaces.into_iter().cloned());
    let show_namespace = palette.namespaces.len() > 1;
    // A plain log (kubelet.log, syslog) has no pod: its node and component stand in.
    let who = |row: usize| -> (&str, &str) {
        match (&pod[row], &component[row]) {
            (None, Some(c)) => (node[row].as_deref().unwrap_or("-"), c.as_str()),
            _ => (
                pod[row].as_deref().unwrap_or("-"),
                container[row].as_deref().unwrap_or("-"),
            ),
        }
    };
    if style.color {
        Palette::assign(&mut palette.pods, (0..df.height()).map(|r| who(r).0));
        Palette::assign(&mut palette.containers, (0..df.height()).map(|r| who(r).1));
    }

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
        let (pod_name, container_name) = who(row);
        let pod_text = match (&ns[row], show_namespace) {
            (Some(n), true) => format!("{n}/{pod_name}"),
            _ => pod_name.to_string(),
        };
        let msg = message.get(row).unwrap_or("");
        let (pod_text, container_text, msg) = if style.safe {
            (
                safe_text(&pod_text).into_owned(),
                safe_text(container_name),
                safe_text(msg),
            )
        } else {
            (
                pod_text,
                std::borrow::Cow::Borrowed(container_name),
                std::borrow::Cow::Borrowed(msg),
            )
        };
        if style.color {
            let level_color = match Level::ALL.get(level[row] as usize) {
                Some(Level::Error | Level::Fatal) => Some("31"),
                Some(Level::Warn) => Some("33"),
                _ => None,
            };
            line.push_str(&format!(
                "\x1b[{}m{pod_text}\x1b[0m \x1b[{}m{container_text}\x1b[0m ",
                Palette::code(&palette.pods, pod_name),
                Palette::code(&palette.containers, container_name)
            ));
            match level_color {
                Some(c) => line.push_str(&format!("\x1b[{c}m{msg}\x1b[0m")),
                None => line.push_str(&msg),
            }
        } else {
            line.push_str(&pod_text);
            line.push(' ');
            line.push_str(&container_text);
            line.push(' ');
            line.push_str(&msg);
        }
        line.push('\n');
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}
