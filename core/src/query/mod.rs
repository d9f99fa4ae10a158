//! Questions asked of the tables: filters ([`filter`]), grouped counts ([`stats`]), SQL
//! ([`sql`]), and the helpers the `logs` view needs (per-container tail, the input's last time).

pub mod chart;
pub mod discover;
pub mod filter;
pub mod health;
pub mod patterns;
pub mod search;
pub mod sql;
pub mod stats;
mod view;

use polars::prelude::*;

use crate::ingest::{Entry, EntrySink, Needs, NoFilter, Progress, ingest};
use crate::schema::logs as col;
use crate::sources::FileSet;
use crate::sources::plan::{ContainerMeta, Plan};

/// Keeps the last `n` entries of each container (namespace, pod, container), as stern's and
/// `kubectl logs`'s `--tail` do. `logs` must be in time order; so is the result.
pub fn tail_per_container(logs: &DataFrame, n: usize) -> crate::Result<DataFrame> {
    let ids = |name: &str| -> crate::Result<Vec<Option<u32>>> {
        Ok(logs
            .column(name)?
            .as_materialized_series()
            .cat32()?
            .physical()
            .iter()
            .collect())
    };
    let (ns, pod, container) = (ids(col::NAMESPACE)?, ids(col::POD)?, ids(col::CONTAINER)?);
    type Container = (Option<u32>, Option<u32>, Option<u32>);
    let mut seen: std::collections::HashMap<Container, usize> = std::collections::HashMap::new();
    let mut keep = vec![false; logs.height()];
    for row in (0..logs.height()).rev() {
        let count = seen.entry((ns[row], pod[row], container[row])).or_default();
        if *count < n {
            *count += 1;
            keep[row] = true;
        }
    }
    Ok(logs.filter(&BooleanChunked::from_slice("keep".into(), &keep))?)
}

/// Tracks the latest entry time.
#[derive(Debug, Default)]
struct LastTsSink(Option<i64>);

impl EntrySink for LastTsSink {
    fn needs(&self) -> Needs {
        Needs::default()
    }
    fn begin_instance(&mut self, _: usize, _: &ContainerMeta, _: &FileSet, _: &[usize]) {}
    fn entry(&mut self, e: &Entry<'_>) {
        if let Some(t) = e.ts_nanos {
            self.0 = Some(self.0.map_or(t, |m| m.max(t)));
        }
    }
}

/// The time of the input's last entry (what `--since 15m` counts back from). Reads every
/// instance, parsing only the runtime framing.
pub fn last_entry_ts(set: &FileSet, plan: &Plan, progress: &Progress) -> Option<i64> {
    let (sinks, _) = ingest(set, plan, &NoFilter, LastTsSink::default, progress);
    sinks.into_iter().filter_map(|s| s.0).max()
}
