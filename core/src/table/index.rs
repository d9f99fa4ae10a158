//! The index a view reads for every row of a `logs` table: times and levels as plain vectors,
//! the categorical columns as ids ([`Codes`]), built once per table. What a view computes over
//! it (histograms, the cluster tree, context) is in `query::discover`.

use std::collections::HashMap;

use polars::prelude::*;

use crate::level::Level;
use crate::schema::logs as col;

/// Row numbers of a `logs` frame, ascending.
pub type Rows = Vec<u32>;

/// A row's time when it has none.
pub const NO_TS: i64 = i64::MIN;

/// A categorical column as ids per row (`u32::MAX` for null) and the name of each id.
#[derive(Clone, Debug, Default)]
pub struct Codes {
    /// Per row: an index in `names`, or `u32::MAX`.
    pub ids: Vec<u32>,
    /// The values, by id.
    pub names: Vec<String>,
}

impl Codes {
    /// The categorical column `name` of `logs` (any column: others are read as text).
    pub fn of(logs: &DataFrame, name: &str) -> crate::Result<Codes> {
        let c = logs.column(name)?;
        let mut local: HashMap<u32, u32> = HashMap::new();
        let mut out = Codes::default();
        out.ids.reserve(c.len());
        if let Ok(cat) = c.cat32() {
            let mapping = cat.get_mapping();
            for id in cat.physical().iter() {
                out.ids.push(match id {
                    None => u32::MAX,
                    Some(id) => *local.entry(id).or_insert_with(|| {
                        out.names
                            .push(mapping.cat_to_str(id).unwrap_or_default().to_string());
                        (out.names.len() - 1) as u32
                    }),
                });
            }
        } else {
            let text = c.cast(&DataType::String)?;
            let mut by_text: HashMap<&str, u32> = HashMap::new();
            for v in text.str()?.iter() {
                out.ids.push(match v {
                    None => u32::MAX,
                    Some(v) => *by_text.entry(v).or_insert_with(|| {
                        out.names.push(v.to_string());
                        (out.names.len() - 1) as u32
                    }),
                });
            }
        }
        Ok(out)
    }

    /// The codes of rows read in another order: row `i` takes the ids of row `order[i]`.
    pub(crate) fn in_order(mut self, order: &[u32]) -> Codes {
        self.ids = order
            .iter()
            .map(|&r| self.ids.get(r as usize).copied().unwrap_or(u32::MAX))
            .collect();
        self
    }

    /// Row `row`'s value.
    pub fn get(&self, row: u32) -> Option<&str> {
        let id = *self.ids.get(row as usize)?;
        self.names.get(id as usize).map(String::as_str)
    }
}

/// The parts of a `logs` frame a Discover view reads for every row.
#[derive(Clone, Debug, Default)]
pub struct LogIndex {
    /// Per row: its time (ns), or [`NO_TS`].
    pub ts: Vec<i64>,
    /// Per row: its level.
    pub level: Vec<Level>,
    /// Node, namespace, pod and container of each row.
    pub node: Codes,
    /// See `node`.
    pub namespace: Codes,
    /// See `node`.
    pub pod: Codes,
    /// See `node`.
    pub container: Codes,
    /// Whether `ts` never goes down (rows in time order, those without a time first).
    pub sorted: bool,
}

impl LogIndex {
    /// Reads `logs` (a [`crate::schema::logs`] frame).
    pub fn new(logs: &DataFrame) -> crate::Result<LogIndex> {
        LogIndex::with_order(logs, None)
    }

    /// Reads `logs`, whose rows are in another order: with `order`, row `i` of the index is row
    /// `order[i]` of `logs` (a packed table's columns are kept in the order they were read).
    pub(crate) fn with_order(logs: &DataFrame, order: Option<&[u32]>) -> crate::Result<LogIndex> {
        let times = logs.column(col::TS)?.cast(&DataType::Int64)?;
        let times = times.i64()?;
        let ts: Vec<i64> = match order {
            None => times.iter().map(|t| t.unwrap_or(NO_TS)).collect(),
            Some(order) => {
                let read: Vec<i64> = times.iter().map(|t| t.unwrap_or(NO_TS)).collect();
                order.iter().map(|&r| read[r as usize]).collect()
            }
        };
        let codes = |name: &str| -> crate::Result<Codes> {
            let c = Codes::of(logs, name)?;
            Ok(match order {
                None => c,
                Some(order) => c.in_order(order),
            })
        };
        Ok(LogIndex::of(
            ts,
            &codes(col::LEVEL)?,
            [
                codes(col::NODE)?,
                codes(col::NAMESPACE)?,
                codes(col::POD)?,
                codes(col::CONTAINER)?,
            ],
        ))
    }

    /// The index of rows with times `ts`, level names `levels` and node, namespace, pod and
    /// container `names` (each row's, in that order).
    pub fn of(ts: Vec<i64>, levels: &Codes, names: [Codes; 4]) -> LogIndex {
        let by_id: Vec<Level> = levels
            .names
            .iter()
            .map(|n| Level::from_name(n).unwrap_or(Level::Unknown))
            .collect();
        let level = levels
            .ids
            .iter()
            .map(|&id| by_id.get(id as usize).copied().unwrap_or(Level::Unknown))
            .collect();
        let sorted = ts.windows(2).all(|w| w[0] <= w[1]);
        let [node, namespace, pod, container] = names;
        LogIndex {
            ts,
            level,
            node,
            namespace,
            pod,
            container,
            sorted,
        }
    }

    /// Rows in the frame.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Whether the frame has no rows.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// Every row.
    pub fn all_rows(&self) -> Rows {
        (0..self.len() as u32).collect()
    }
}
