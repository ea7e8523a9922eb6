//! Per-connection rate limiting: a token bucket for messages, and a second one for refusals.
//!
//! Every data frame a client sends takes a token; tokens refill at `per_sec` up to `burst`.
//! A frame that finds the bucket empty is refused with a `rate_limited` error frame — never
//! dropped silently. Refusals draw on their own bucket (size `abuse_allowance`, refilled at
//! `per_sec`): a client that is refused faster than it is allowed to send, for long enough
//! to empty it, is abusing the server and is closed with 1008. Pure: time is passed in.

use std::time::Instant;

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

/// A refilling bucket of fractional tokens.
#[derive(Debug, Clone)]
struct Bucket {
    capacity: f64,
    tokens: f64,
    per_sec: f64,
    refilled_at: Instant,
}

impl Bucket {
    fn full(capacity: f64, per_sec: f64, now: Instant) -> Self {
        Self {
            capacity,
            tokens: capacity,
            per_sec,
            refilled_at: now,
        }
    }

    fn take(&mut self, now: Instant) -> bool {
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
    messages: Bucket,
    refusals: Bucket,
}

impl RateLimit {
    /// `per_sec` messages per second with bursts of `burst`; `abuse_allowance` refusals
    /// (net of the refill) before the connection counts as abusive.
    pub fn new(per_sec: u32, burst: u32, abuse_allowance: u32, now: Instant) -> Self {
        let per_sec = f64::from(per_sec.max(1));
        Self {
            messages: Bucket::full(f64::from(burst.max(1)), per_sec, now),
            refusals: Bucket::full(f64::from(abuse_allowance.max(1)), per_sec, now),
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
}
