//! The retry schedules: exponential backoff with jitter, for reconnecting and for re-sending a
//! message the server refused for now (`unavailable`, `rate_limited`).
//!
//! Reconnect attempt n waits a uniformly random time in [0, min(CAP, BASE·2ⁿ)]. Full jitter
//! spreads a crowd of clients that lost the same server over the whole window, so a restarted
//! server is not hit by all of them in the same instant. A re-send waits at least half of its
//! window (from one second, doubling, to the same cap), so a refused message is never re-sent
//! straight into the overload or rate limit that refused it. Pure, so it is tested without a
//! browser.

/// The ceiling of the first retry's window.
pub const BASE_MS: u32 = 500;

/// No retry ever waits longer than this.
pub const CAP_MS: u32 = 15_000;

/// The ceiling of the first re-send's window.
pub const RESEND_BASE_MS: u32 = 1_000;

/// The upper bound of the wait before retry number `attempt` (0-based).
pub fn ceiling_ms(attempt: u32) -> u32 {
    window_ms(BASE_MS, attempt)
}

/// min(CAP, base·2ⁿ).
fn window_ms(base_ms: u32, attempt: u32) -> u32 {
    let doubled = base_ms.saturating_mul(2u32.saturating_pow(attempt.min(16)));
    doubled.min(CAP_MS)
}

/// The wait before retry `attempt`, given `random` drawn uniformly from [0, 1).
pub fn delay_ms(attempt: u32, random: f64) -> u32 {
    let fraction = random.clamp(0.0, 1.0);
    // Saturating float → int conversion; the product is within [0, CAP_MS].
    (f64::from(ceiling_ms(attempt)) * fraction) as u32
}

/// The wait before re-send `attempt` of a refused message, given `random` from [0, 1): within
/// the upper half of min(CAP, RESEND_BASE·2ⁿ).
pub fn resend_delay_ms(attempt: u32, random: f64) -> u32 {
    let window = f64::from(window_ms(RESEND_BASE_MS, attempt));
    let fraction = random.clamp(0.0, 1.0);
    // Saturating float → int conversion; the result is within [window / 2, window].
    (window * (1.0 + fraction) / 2.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_window_doubles_from_the_base_until_the_cap() {
        let ceilings: Vec<u32> = (0..8).map(ceiling_ms).collect();
        assert_eq!(
            ceilings,
            [500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]
        );
        assert_eq!(ceiling_ms(u32::MAX), CAP_MS);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn delays_span_the_whole_window_and_never_exceed_it() {
        assert_eq!(delay_ms(3, 0.0), 0);
        assert_eq!(delay_ms(3, 0.5), 2_000);
        assert!(delay_ms(3, 0.999_999) < 4_000);
        for attempt in 0..40 {
            assert!(delay_ms(attempt, 0.999_999) <= CAP_MS);
        }
        // Out-of-range randomness is clamped rather than trusted.
        assert_eq!(delay_ms(0, 7.0), 500);
        assert_eq!(delay_ms(0, -1.0), 0);
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn resend_delays_double_from_a_second_and_never_fall_below_half_their_window() {
        let shortest: Vec<u32> = (0..6).map(|n| resend_delay_ms(n, 0.0)).collect();
        assert_eq!(shortest, [500, 1_000, 2_000, 4_000, 7_500, 7_500]);
        let longest: Vec<u32> = (0..6).map(|n| resend_delay_ms(n, 0.999_999)).collect();
        assert_eq!(longest, [999, 1_999, 3_999, 7_999, 14_999, 14_999]);
        assert_eq!(resend_delay_ms(u32::MAX, 7.0), CAP_MS);
        assert_eq!(resend_delay_ms(0, -1.0), 500);
    }
}
