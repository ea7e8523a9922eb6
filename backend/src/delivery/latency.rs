//! Delivery latency: how long a chat record took from being stored to being handed to its
//! recipients' outboxes on this node, kept as a histogram of plain atomics.
//!
//! [`super::rooms::Rooms::deliver`] observes each chat record once, after offering it to every
//! local member (per message, never per recipient), measured from the record's own `ts`: the
//! moment the store accepted it, in Unix milliseconds, on whichever node that was. So on a
//! cluster it includes the hop through Redis, and it is only as exact as that millisecond
//! stamp (and the nodes' clocks). Observing is three relaxed atomic adds: no lock on the
//! message path, unlike `prometheus_client`'s own histogram, which takes one per observation.
//!
//! Readers take a [`LatencyCounts`] snapshot; the console diffs two of them a second apart for
//! that second's 95th percentile, and `/metrics` shows the running totals as the histogram
//! `chinwag_delivery_seconds`.

use prometheus_client::{
    encoding::{EncodeMetric, MetricEncoder, NoLabelSet},
    metrics::MetricType,
};
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

/// Upper bounds of the buckets, in milliseconds; a last bucket holds everything above.
pub const BOUNDS_MS: [f64; 15] = [
    0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1_000.0, 5_000.0,
];

const BUCKETS: usize = BOUNDS_MS.len() + 1;

/// The running histogram of delivery latencies; clones share it (like a Prometheus counter).
#[derive(Debug, Clone, Default)]
pub struct DeliveryLatency(Arc<Totals>);

#[derive(Debug, Default)]
struct Totals {
    buckets: [AtomicU64; BUCKETS],
    sum_us: AtomicU64,
    count: AtomicU64,
}

/// Counts read from a [`DeliveryLatency`] at one moment (or the difference of two).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LatencyCounts {
    buckets: [u64; BUCKETS],
    sum_us: u64,
    count: u64,
}

/// Microseconds since the Unix epoch now.
fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
        })
}

impl DeliveryLatency {
    /// Observes a record stored at `stored_ms` (Unix ms) and handed out now. A stamp from
    /// the future (another node's clock ahead of ours) counts as no delay.
    pub fn observe_since(&self, stored_ms: u64) {
        self.observe_us(now_us().saturating_sub(stored_ms.saturating_mul(1_000)));
    }

    /// Observes one delivery that took `micros`.
    pub fn observe_us(&self, micros: u64) {
        let ms = micros as f64 / 1_000.0;
        let bucket = BOUNDS_MS
            .iter()
            .position(|bound| ms <= *bound)
            .unwrap_or(BUCKETS - 1);
        let totals = &self.0;
        totals.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        totals.sum_us.fetch_add(micros, Ordering::Relaxed);
        totals.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn counts(&self) -> LatencyCounts {
        let totals = &self.0;
        LatencyCounts {
            buckets: std::array::from_fn(|i| totals.buckets[i].load(Ordering::Relaxed)),
            sum_us: totals.sum_us.load(Ordering::Relaxed),
            count: totals.count.load(Ordering::Relaxed),
        }
    }
}

impl LatencyCounts {
    /// What was observed between `earlier` and these counts.
    #[must_use]
    pub fn since(&self, earlier: &LatencyCounts) -> LatencyCounts {
        LatencyCounts {
            buckets: std::array::from_fn(|i| self.buckets[i].saturating_sub(earlier.buckets[i])),
            sum_us: self.sum_us.saturating_sub(earlier.sum_us),
            count: self.count.saturating_sub(earlier.count),
        }
    }

    /// How many deliveries were observed.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q` quantile (0 < q ≤ 1) in milliseconds, interpolated within its bucket; `None`
    /// with nothing observed. A quantile in the open last bucket is reported as its lower
    /// bound: "more than 5 s" is all a histogram knows there.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let total: u64 = self.buckets.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * total as f64).max(1.0);
        let mut below = 0.0;
        for (i, count) in self.buckets.iter().enumerate() {
            let count = *count as f64;
            if count > 0.0 && below + count >= rank {
                let lower = if i == 0 { 0.0 } else { BOUNDS_MS[i - 1] };
                let Some(upper) = BOUNDS_MS.get(i) else {
                    return Some(lower);
                };
                return Some(lower + (upper - lower) * ((rank - below) / count));
            }
            below += count;
        }
        BOUNDS_MS.last().copied()
    }
}

impl EncodeMetric for DeliveryLatency {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let counts = self.counts();
        let buckets: Vec<(f64, u64)> = BOUNDS_MS
            .iter()
            .map(|ms| ms / 1_000.0)
            .chain([f64::INFINITY])
            .zip(counts.buckets)
            .collect();
        let sum = counts.sum_us as f64 / 1_000_000.0;
        encoder.encode_histogram::<NoLabelSet>(sum, counts.count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_observed_has_no_quantile() {
        assert_eq!(DeliveryLatency::default().counts().quantile_ms(0.95), None);
    }

    #[test]
    fn the_95th_percentile_falls_in_the_bucket_that_holds_it() {
        let latency = DeliveryLatency::default();
        for _ in 0..95 {
            latency.observe_us(800); // (0.5, 1] ms
        }
        for _ in 0..5 {
            latency.observe_us(40_000); // (25, 50] ms
        }
        let p95 = latency.counts().quantile_ms(0.95).unwrap();
        assert!((0.5..=1.0).contains(&p95), "{p95}");
        let p99 = latency.counts().quantile_ms(0.99).unwrap();
        assert!((25.0..=50.0).contains(&p99), "{p99}");
    }

    #[test]
    fn a_seconds_counts_are_the_difference_of_two_readings() {
        let latency = DeliveryLatency::default();
        latency.observe_us(100_000);
        let before = latency.counts();
        latency.observe_us(300);
        let second = latency.counts().since(&before);
        assert_eq!(second.count(), 1);
        let p95 = second.quantile_ms(0.95).unwrap();
        assert!(p95 <= 0.5, "only the new observation counts: {p95}");
    }

    #[test]
    fn a_stamp_from_the_future_is_no_delay_and_a_huge_one_the_last_bucket() {
        let latency = DeliveryLatency::default();
        latency.observe_since(u64::MAX / 2_000);
        latency.observe_us(60_000_000);
        let counts = latency.counts();
        assert_eq!(counts.count(), 2);
        assert_eq!(counts.quantile_ms(1.0), Some(5_000.0));
    }
}
