//! Entries counted per minute and level while a table is read, so that a front end draws a
//! histogram before the read ends.

use std::collections::HashMap;

/// A minute in nanoseconds.
pub(crate) const MINUTE: i64 = 60_000_000_000;

/// Entries counted per minute and level while a table is read, so that a histogram can be
/// drawn before the read ends. Filled by [`Counting`] sinks (natively from many threads).
#[derive(Debug, Default)]
pub struct LiveCounts {
    minutes: std::sync::Mutex<std::collections::BTreeMap<i64, [u64; 7]>>,
}

impl LiveCounts {
    fn add(&self, local: &mut HashMap<i64, [u64; 7]>) {
        if let Ok(mut m) = self.minutes.lock() {
            for (k, c) in local.drain() {
                let e = m.entry(k).or_default();
                for (a, b) in e.iter_mut().zip(c) {
                    *a += b;
                }
            }
        }
    }

    /// Entries counted so far, per minute since the epoch, by level.
    pub fn minutes(&self) -> std::collections::BTreeMap<i64, [u64; 7]> {
        self.minutes.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Entries counted so far.
    pub fn total(&self) -> u64 {
        self.minutes
            .lock()
            .map_or(0, |m| m.values().flatten().sum())
    }
}

/// A sink that counts entries per minute and level into [`LiveCounts`] (every few thousand
/// entries) and passes them on to `inner`.
#[derive(Debug)]
pub(crate) struct Counting<S> {
    /// The sink entries are passed to.
    pub inner: S,
    live: std::sync::Arc<LiveCounts>,
    local: HashMap<i64, [u64; 7]>,
    pending: usize,
}

impl<S> Counting<S> {
    /// Counts into `live`, passing entries to `inner`.
    pub(crate) fn new(inner: S, live: std::sync::Arc<LiveCounts>) -> Self {
        Counting {
            inner,
            live,
            local: HashMap::new(),
            pending: 0,
        }
    }

    /// The inner sink, after counting what is left.
    pub(crate) fn into_inner(mut self) -> S {
        self.live.add(&mut self.local);
        self.inner
    }
}

impl<S: crate::ingest::EntrySink> crate::ingest::EntrySink for Counting<S> {
    fn needs(&self) -> crate::ingest::Needs {
        let mut n = self.inner.needs();
        n.payload = true;
        n
    }

    fn begin_instance(
        &mut self,
        instance: usize,
        meta: &crate::sources::plan::ContainerMeta,
        set: &crate::sources::FileSet,
        files: &[usize],
    ) {
        self.live.add(&mut self.local);
        self.inner.begin_instance(instance, meta, set, files);
    }

    fn end_instance(&mut self) {
        // What a small instance counted shows before the next one is read.
        self.live.add(&mut self.local);
        self.inner.end_instance();
    }

    fn entry(&mut self, entry: &crate::ingest::Entry<'_>) {
        if let Some(t) = entry.ts_nanos {
            self.local.entry(t.div_euclid(MINUTE)).or_default()[entry.level as usize] += 1;
            self.pending += 1;
            if self.pending >= 4096 {
                self.pending = 0;
                self.live.add(&mut self.local);
            }
        }
        self.inner.entry(entry);
    }
}
