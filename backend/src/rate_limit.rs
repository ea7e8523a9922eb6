//! Per-connection rate limiting: a token bucket for messages, and a second one for refusals.
//!
//! Every data frame a client sends takes a token; tokens refill at `per_sec` up to `burst`.
//! A frame that finds the bucket empty is refused with a `rate_limited` error frame — never
//! dropped silently. Refusals draw on their own bucket (size `abuse_allowance`, refilled at
//! `per_sec`): a client that is refused faster than it is allowed to send, for long enough
//! to empty it, is abusing the server and is closed with 1008. Pure: time is passed in.
//!
//! [`TokenBucket`] is the bucket alone, for other budgets (the hub's new-room budget counts
//! rooms per minute with it), and [`PerAddress`] keeps one limiter per client address for
//! limits that outlive a connection (HTTP posts, new rooms), bounded however many addresses
//! come and go.

use std::{
    collections::HashMap,
    net::IpAddr,
    time::{Duration, Instant},
};

/// What to do with one incoming frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the rate: handle it.
    Allow,
    /// Over the rate: answer `rate_limited`, do not handle it.
    Refuse,
    /// Over the rate for too long: close the connection (1008).
    Abuse,
}

/// A refilling bucket of fractional tokens: `capacity` at most, `per_sec` back per second.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    tokens: f64,
    per_sec: f64,
    refilled_at: Instant,
}

impl TokenBucket {
    /// A bucket holding `capacity` tokens at `now`, refilling at `per_sec`.
    pub fn full(capacity: f64, per_sec: f64, now: Instant) -> Self {
        Self {
            capacity,
            tokens: capacity,
            per_sec,
            refilled_at: now,
        }
    }

    /// How long an empty bucket takes to fill up again; after that long unused, a bucket is
    /// as good as a fresh one, so a table of buckets may forget it.
    pub fn refill_time(&self) -> Duration {
        if self.per_sec > 0.0 {
            Duration::try_from_secs_f64(self.capacity / self.per_sec).unwrap_or(Duration::MAX)
        } else {
            Duration::MAX
        }
    }

    /// Takes one token at `now`, if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now
            .saturating_duration_since(self.refilled_at)
            .as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// One connection's limiter.
#[derive(Debug, Clone)]
pub struct RateLimit {
    messages: TokenBucket,
    refusals: TokenBucket,
}

impl RateLimit {
    /// `per_sec` messages per second with bursts of `burst`; `abuse_allowance` refusals
    /// (net of the refill) before the connection counts as abusive.
    pub fn new(per_sec: u32, burst: u32, abuse_allowance: u32, now: Instant) -> Self {
        let per_sec = f64::from(per_sec.max(1));
        Self {
            messages: TokenBucket::full(f64::from(burst.max(1)), per_sec, now),
            refusals: TokenBucket::full(f64::from(abuse_allowance.max(1)), per_sec, now),
        }
    }

    /// Judges one frame arriving at `now`.
    pub fn check(&mut self, now: Instant) -> Verdict {
        if self.messages.take(now) {
            Verdict::Allow
        } else if self.refusals.take(now) {
            Verdict::Refuse
        } else {
            Verdict::Abuse
        }
    }
}

/// One limiter per client address. Addresses idle for `idle_for` are forgotten once more
/// than `sweep_above` are held, so the table stays bounded; an `idle_for` at least the
/// limiter's refill time makes forgetting harmless (a forgotten limiter was full again).
#[derive(Debug)]
pub struct PerAddress<T> {
    entries: HashMap<IpAddr, (T, Instant)>,
    sweep_above: usize,
    idle_for: Duration,
}

impl<T> PerAddress<T> {
    /// An empty table that sweeps past `sweep_above` addresses, forgetting those idle for
    /// `idle_for`.
    pub fn new(sweep_above: usize, idle_for: Duration) -> Self {
        Self {
            entries: HashMap::new(),
            sweep_above,
            idle_for,
        }
    }

    /// The limiter of `address` as seen at `now`, made by `make` if it has none.
    pub fn entry(&mut self, address: IpAddr, now: Instant, make: impl FnOnce() -> T) -> &mut T {
        if self.entries.len() > self.sweep_above {
            let idle_for = self.idle_for;
            self.entries
                .retain(|_, (_, seen)| now.saturating_duration_since(*seen) < idle_for);
        }
        let (limiter, seen) = self.entries.entry(address).or_insert_with(|| (make(), now));
        *seen = now;
        limiter
    }

    /// Addresses held now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no address is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn count(limit: &mut RateLimit, frames: u32, at: Instant) -> [u32; 3] {
        let mut tally = [0; 3];
        for _ in 0..frames {
            match limit.check(at) {
                Verdict::Allow => tally[0] += 1,
                Verdict::Refuse => tally[1] += 1,
                Verdict::Abuse => tally[2] += 1,
            }
        }
        tally
    }

    #[test]
    fn a_burst_is_allowed_then_the_excess_is_refused() {
        let start = Instant::now();
        let mut limit = RateLimit::new(20, 40, 100, start);
        assert_eq!(count(&mut limit, 45, start), [40, 5, 0]);
    }

    #[test]
    fn tokens_come_back_at_the_configured_rate() {
        let start = Instant::now();
        let mut limit = RateLimit::new(20, 40, 100, start);
        count(&mut limit, 40, start);
        let half_a_second = start + Duration::from_millis(500);
        assert_eq!(count(&mut limit, 12, half_a_second), [10, 2, 0]);
    }

    #[test]
    fn a_client_at_the_rate_is_never_refused() {
        let start = Instant::now();
        let mut limit = RateLimit::new(20, 40, 100, start);
        for tick in 0..1_000u64 {
            let at = start + Duration::from_millis(50 * tick);
            assert_eq!(limit.check(at), Verdict::Allow, "tick {tick}");
        }
    }

    #[test]
    fn sustained_flooding_ends_in_abuse_but_a_brief_one_does_not() {
        let start = Instant::now();
        let mut limit = RateLimit::new(20, 40, 100, start);
        // One burst of 120: 40 allowed, 80 refused, still within the allowance.
        assert_eq!(count(&mut limit, 120, start), [40, 80, 0]);
        // Keep flooding at 1,000 frames/s: within a second the allowance is gone.
        let mut verdicts = Vec::new();
        for ms in 1..=1_000u64 {
            verdicts.push(limit.check(start + Duration::from_millis(ms)));
        }
        assert!(verdicts.contains(&Verdict::Abuse));
    }

    #[test]
    fn a_bucket_unused_for_its_refill_time_is_full_again() {
        let start = Instant::now();
        let mut bucket = TokenBucket::full(3.0, 0.5, start);
        assert_eq!(bucket.refill_time(), Duration::from_secs(6));
        assert!((0..3).all(|_| bucket.take(start)));
        assert!(!bucket.take(start), "empty after three");
        let later = start + bucket.refill_time();
        assert_eq!((0..4).filter(|_| bucket.take(later)).count(), 3);
    }

    #[test]
    fn idle_addresses_are_forgotten_once_the_table_is_full_and_busy_ones_are_kept() {
        let start = Instant::now();
        let mut table = PerAddress::new(2, Duration::from_secs(60));
        let address = |n: u8| IpAddr::from([10, 0, 0, n]);
        *table.entry(address(1), start, || 0) += 1;
        *table.entry(address(2), start, || 0) += 1;
        let later = start + Duration::from_secs(30);
        *table.entry(address(3), later, || 0) += 1;
        assert_eq!(table.len(), 3, "no sweep until the table holds more than 2");
        let much_later = start + Duration::from_secs(61);
        *table.entry(address(3), much_later, || 0) += 1;
        assert_eq!(table.len(), 1, "1 and 2 were idle for a minute; 3 was not");
        assert_eq!(
            *table.entry(address(3), much_later, || 0),
            2,
            "3 kept its count"
        );
        assert_eq!(
            *table.entry(address(1), much_later, || 0),
            0,
            "1 starts afresh"
        );
    }
}
