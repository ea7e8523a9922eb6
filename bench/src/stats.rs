//! Latency statistics: a lock-free log-linear histogram and the percentiles read from it.
//!
//! Every receiver task of a run records into one shared [`Histogram`] (relaxed atomic adds, so
//! ten thousand receivers need no per-task buffers and nothing to merge). Buckets are 64 per
//! power of two, so a reported percentile is within 1.6 % of the true sample; the maximum is
//! exact. A percentile is the upper edge of its bucket, never below the true value.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Sub-buckets per power of two, as a shift: 2^6 = 64, a relative error under 1/64.
const SUB_BUCKET_BITS: u32 = 6;
const SUB_BUCKETS: u64 = 1 << SUB_BUCKET_BITS;
/// Enough buckets for every `u64` nanosecond value.
const BUCKETS: usize = (SUB_BUCKETS + (64 - SUB_BUCKET_BITS as u64) * SUB_BUCKETS) as usize;

/// A concurrent histogram of durations in nanoseconds.
pub struct Histogram {
    counts: Box<[AtomicU64]>,
    total: AtomicU64,
    sum_ns: AtomicU64,
    max_ns: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            total: AtomicU64::new(0),
            sum_ns: AtomicU64::new(0),
            max_ns: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    /// Records one sample.
    pub fn record(&self, value: Duration) {
        let ns = u64::try_from(value.as_nanos()).unwrap_or(u64::MAX);
        if let Some(count) = self.counts.get(bucket_of(ns)) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        self.total.fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(ns, Ordering::Relaxed);
        self.max_ns.fetch_max(ns, Ordering::Relaxed);
    }

    /// Samples recorded so far.
    pub fn count(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// The value at quantile `q` (0..=1): the upper edge of the bucket holding that rank,
    /// capped at the exact maximum. `None` when nothing was recorded.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        // The rank of the q-th sample, 1-based: ceil(q * total), at least the first.
        let wanted = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let max = self.max_ns.load(Ordering::Relaxed);
        let mut seen = 0u64;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count.load(Ordering::Relaxed);
            if seen >= wanted {
                return Some(Duration::from_nanos(upper_edge(index).min(max)));
            }
        }
        Some(Duration::from_nanos(max))
    }

    /// p50, p95, p99, max and mean in milliseconds; `None` when nothing was recorded.
    pub fn summary(&self) -> Option<LatencySummary> {
        let count = self.count();
        let ms = |q: f64| self.quantile(q).map_or(0.0, |d| d.as_secs_f64() * 1e3);
        (count > 0).then(|| LatencySummary {
            samples: count,
            p50: ms(0.50),
            p95: ms(0.95),
            p99: ms(0.99),
            max: self.max_ns.load(Ordering::Relaxed) as f64 / 1e6,
            mean: self.sum_ns.load(Ordering::Relaxed) as f64 / count as f64 / 1e6,
        })
    }
}

/// Latency percentiles of one step, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct LatencySummary {
    /// How many deliveries were timed.
    pub samples: u64,
    /// Median.
    pub p50: f64,
    /// 95th percentile: the ramp's pass criterion.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// The slowest delivery, exact.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
}

/// Milliseconds with two decimals, for reports.
pub fn ms(duration: Duration) -> f64 {
    round2(duration.as_secs_f64() * 1e3)
}

/// `value` rounded to two decimals, for reports.
pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The bucket index of `ns`: exact below 64, then 64 buckets per power of two.
fn bucket_of(ns: u64) -> usize {
    if ns < SUB_BUCKETS {
        return ns as usize;
    }
    let msb = 63 - ns.leading_zeros();
    let shift = msb - SUB_BUCKET_BITS;
    let mantissa = ns >> shift; // in SUB_BUCKETS..2*SUB_BUCKETS
    (SUB_BUCKETS + u64::from(shift) * SUB_BUCKETS + (mantissa - SUB_BUCKETS)) as usize
}

/// The largest value that falls in bucket `index`.
fn upper_edge(index: usize) -> u64 {
    let index = index as u64;
    if index < SUB_BUCKETS {
        return index;
    }
    let shift = (index - SUB_BUCKETS) / SUB_BUCKETS;
    let mantissa = SUB_BUCKETS + (index - SUB_BUCKETS) % SUB_BUCKETS;
    // In u128: the top bucket's edge is 2^64 - 1, one past what the shift fits in u64.
    let edge = (u128::from(mantissa + 1) << shift) - 1;
    u64::try_from(edge).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lands_in_a_bucket_whose_upper_edge_is_not_below_it() {
        for ns in (0..10_000u64).chain([1 << 20, 123_456_789, u64::MAX / 3, u64::MAX]) {
            let index = bucket_of(ns);
            assert!(index < BUCKETS, "{ns} -> {index}");
            let edge = upper_edge(index);
            assert!(edge >= ns, "{ns} -> bucket {index} ends at {edge}");
            assert!(edge - ns <= ns / 64 + 1, "{ns} too coarse: {edge}");
        }
    }

    #[test]
    fn percentiles_of_a_uniform_spread_are_within_two_percent() {
        let histogram = Histogram::default();
        for ms in 1..=1000u64 {
            histogram.record(Duration::from_millis(ms));
        }
        let summary = histogram.summary().unwrap();
        assert_eq!(summary.samples, 1000);
        assert!((summary.p50 - 500.0).abs() / 500.0 < 0.02, "{summary:?}");
        assert!((summary.p95 - 950.0).abs() / 950.0 < 0.02, "{summary:?}");
        assert!((summary.p99 - 990.0).abs() / 990.0 < 0.02, "{summary:?}");
        assert!((summary.max - 1000.0).abs() < 1e-9, "{summary:?}");
        assert!((summary.mean - 500.5).abs() < 1e-6, "{summary:?}");
    }

    #[test]
    fn a_single_sample_is_every_percentile_and_an_empty_histogram_has_none() {
        let histogram = Histogram::default();
        assert!(histogram.summary().is_none());
        histogram.record(Duration::from_micros(1500));
        let summary = histogram.summary().unwrap();
        assert!((summary.p50 - 1.5).abs() < 1e-9 && (summary.p99 - 1.5).abs() < 1e-9);
    }
}
