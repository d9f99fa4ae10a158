//! Native histograms: the sample type Prometheus's TSDB stores them as, with bucket counts
//! made absolute.

/// The schema of native histograms with custom bucket boundaries (NHCB).
pub const CUSTOM_BUCKETS_SCHEMA: i32 = -53;

/// Prometheus's staleness marker.
pub fn is_stale_nan(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// The bits of the NaN Prometheus writes as a stale marker.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// What a histogram sample says about a counter reset before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CounterReset {
    /// Not known (a chunk's first sample: the chunk before may be gone).
    #[default]
    Unknown,
    /// A reset happened.
    Reset,
    /// No reset.
    NotReset,
    /// A gauge histogram: resets do not apply.
    Gauge,
}

impl CounterReset {
    /// As a word, for the `histograms` table.
    pub fn as_str(self) -> &'static str {
        match self {
            CounterReset::Unknown => "unknown",
            CounterReset::Reset => "reset",
            CounterReset::NotReset => "not_reset",
            CounterReset::Gauge => "gauge",
        }
    }
}

/// A native histogram sample; bucket counts are absolute (not the deltas they are stored as).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NativeHistogram {
    /// Resolution: buckets grow by 2^(2^-schema); -53: custom bounds.
    pub schema: i32,
    /// Width of the zero bucket.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: f64,
    /// Observations.
    pub count: f64,
    /// Their sum.
    pub sum: f64,
    /// Positive buckets' spans: (offset from the end of the span before, or the first
    /// index; length).
    pub positive_spans: Vec<(i32, u32)>,
    /// Positive buckets' counts, in span order.
    pub positive: Vec<f64>,
    /// Negative buckets' spans.
    pub negative_spans: Vec<(i32, u32)>,
    /// Negative buckets' counts.
    pub negative: Vec<f64>,
    /// Custom bucket upper bounds (schema -53).
    pub custom_values: Vec<f64>,
    /// The counter reset hint.
    pub counter_reset: CounterReset,
    /// Stored as a float histogram (counts may be fractional).
    pub float: bool,
}
