//! Per-connection rate limiting: a token bucket for messages, and a second one for refusals.
//!
//! Every data frame a client sends takes a token; tokens refill at `per_sec` up to `burst`.
//! A frame that finds the bucket empty is refused with a `rate_limited` error frame — never
//! dropped silently. Refusals draw on their own bucket (size `abuse_allowance`, refilled at
//! `per_sec`): a client that is refused faster than it is allowed to send, for long enough
//! to empty it, is abusing the server and is closed with 1008. Pure: time is passed in.
//!
//! A connection's [`RateLimit`] keeps only how full its buckets are, as two instants; the
//! [`Rate`] they are held to is the server's, one for every connection. [`TokenBucket`] is a
//! bucket that carries its own size and rate, for budgets kept one per address or account
//! rather than per connection (the hub's new-room budget counts rooms per minute with it).
//! [`PerAddress`] keeps one limiter per client address for limits that outlive a connection
//! (HTTP posts, new rooms), bounded however many addresses come and go.

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

/// The rate a [`RateLimit`] holds a client to: `per_sec` frames a second in bursts of
/// `burst`, and `abuse_allowance` refusals (net of the refill) before it counts as abuse.
/// Kept apart from the limiters, which are one per connection, so that each holds only how
/// full its buckets are.
#[derive(Debug, Clone, Copy)]
pub struct Rate {
    /// The time one token takes to come back.
    interval: Duration,
    /// How far ahead of now the message bucket's "full again" may be for a frame to pass:
    /// `burst - 1` intervals.
    message_slack: Duration,
    /// The same for the refusal bucket: `abuse_allowance - 1` intervals.
    refusal_slack: Duration,
}

impl Rate {
    /// `per_sec` messages per second with bursts of `burst`; `abuse_allowance` refusals
    /// (net of the refill) before the connection counts as abusive. Each is at least 1.
    pub fn new(per_sec: u32, burst: u32, abuse_allowance: u32) -> Self {
        let interval = Duration::from_secs(1) / per_sec.max(1);
        Self {
            interval,
            message_slack: interval * (burst.max(1) - 1),
            refusal_slack: interval * (abuse_allowance.max(1) - 1),
        }
    }
}

/// One connection's limiter: its two token buckets, each kept as the moment it will be full
/// again, so 32 B per connection. A bucket of `capacity` refilling one token per
/// `interval` holds `capacity - (full_at - now) / interval` tokens at `now`; it has one to
/// give while `full_at` is no further ahead than `capacity - 1` intervals, and giving it moves
/// `full_at` one interval on.
#[derive(Debug, Clone)]
pub struct RateLimit {
    messages_full_at: Instant,
    refusals_full_at: Instant,
}

impl RateLimit {
    /// A limiter with both buckets full at `now`.
    pub fn new(now: Instant) -> Self {
        Self {
            messages_full_at: now,
            refusals_full_at: now,
        }
    }

    /// Judges one frame arriving at `now`, held to `rate`.
    pub fn check(&mut self, now: Instant, rate: &Rate) -> Verdict {
        if take(
            &mut self.messages_full_at,
            now,
            rate.message_slack,
            rate.interval,
        ) {
            Verdict::Allow
        } else if take(
            &mut self.refusals_full_at,
            now,
            rate.refusal_slack,
            rate.interval,
        ) {
            Verdict::Refuse
        } else {
            Verdict::Abuse
        }
    }
}

/// Takes a token from the bucket full again at `full_at`, if it has one at `now`.
fn take(full_at: &mut Instant, now: Instant, slack: Duration, interval: Duration) -> bool {
    let from = (*full_at).max(now);
    if from.saturating_duration_since(now) > slack {
        return false;
    }
    *full_at = from + interval;
    true
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

    /// 20 a second in bursts of 40, 100 refusals before abuse.
    fn rate() -> Rate {
        Rate::new(20, 40, 100)
    }

    fn count(limit: &mut RateLimit, frames: u32, at: Instant) -> [u32; 3] {
        let mut tally = [0; 3];
        for _ in 0..frames {
            match limit.check(at, &rate()) {
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
        let mut limit = RateLimit::new(start);
        assert_eq!(count(&mut limit, 45, start), [40, 5, 0]);
    }

    #[test]
    fn tokens_come_back_at_the_configured_rate() {
        let start = Instant::now();
        let mut limit = RateLimit::new(start);
        count(&mut limit, 40, start);
        let half_a_second = start + Duration::from_millis(500);
        assert_eq!(count(&mut limit, 12, half_a_second), [10, 2, 0]);
    }

    #[test]
    fn a_client_at_the_rate_is_never_refused() {
        let start = Instant::now();
        let mut limit = RateLimit::new(start);
        for tick in 0..1_000u64 {
            let at = start + Duration::from_millis(50 * tick);
            assert_eq!(limit.check(at, &rate()), Verdict::Allow, "tick {tick}");
        }
    }

    #[test]
    fn sustained_flooding_ends_in_abuse_but_a_brief_one_does_not() {
        let start = Instant::now();
        let mut limit = RateLimit::new(start);
        // One burst of 120: 40 allowed, 80 refused, still within the allowance.
        assert_eq!(count(&mut limit, 120, start), [40, 80, 0]);
        // Keep flooding at 1,000 frames/s: within a second the allowance is gone.
        let mut verdicts = Vec::new();
        for ms in 1..=1_000u64 {
            verdicts.push(limit.check(start + Duration::from_millis(ms), &rate()));
        }
        assert!(verdicts.contains(&Verdict::Abuse));
    }

    #[test]
    fn refusals_spaced_out_by_the_refill_never_add_up_to_abuse() {
        let start = Instant::now();
        let mut limit = RateLimit::new(start);
        count(&mut limit, 40, start);
        // Two frames every 50 ms: one token comes back each time, so one passes and one is
        // refused, and the refusal bucket gets its token back as fast as it is spent.
        for tick in 1..=1_000u64 {
            let at = start + Duration::from_millis(50 * tick);
            assert_eq!(count(&mut limit, 2, at), [1, 1, 0], "tick {tick}");
        }
    }

    #[test]
    fn the_smallest_limits_allow_one_frame_and_one_refusal() {
        let start = Instant::now();
        let mut limit = RateLimit::new(start);
        let rate = Rate::new(0, 0, 0);
        let verdicts: Vec<Verdict> = (0..3).map(|_| limit.check(start, &rate)).collect();
        assert_eq!(verdicts, [Verdict::Allow, Verdict::Refuse, Verdict::Abuse]);
        let a_second_later = start + Duration::from_secs(1);
        assert_eq!(limit.check(a_second_later, &rate), Verdict::Allow);
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
