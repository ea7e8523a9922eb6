//! The reconnect schedule: exponential backoff with full jitter.
//!
//! Attempt n waits a uniformly random time in [0, min(CAP, BASE·2ⁿ)]. Full jitter spreads a
//! crowd of clients that lost the same server over the whole window, so a restarted server is
//! not hit by all of them in the same instant. Pure, so it is tested without a browser.

/// The ceiling of the first retry's window.
pub const BASE_MS: u32 = 500;

/// No retry ever waits longer than this.
pub const CAP_MS: u32 = 15_000;

/// The upper bound of the wait before retry number `attempt` (0-based).
pub fn ceiling_ms(attempt: u32) -> u32 {
    let doubled = BASE_MS.saturating_mul(2u32.saturating_pow(attempt.min(16)));
    doubled.min(CAP_MS)
}

/// The wait before retry `attempt`, given `random` drawn uniformly from [0, 1).
pub fn delay_ms(attempt: u32, random: f64) -> u32 {
    let fraction = random.clamp(0.0, 1.0);
    // Saturating float → int conversion; the product is within [0, CAP_MS].
    (f64::from(ceiling_ms(attempt)) * fraction) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_window_doubles_from_the_base_until_the_cap() {
        let ceilings: Vec<u32> = (0..8).map(ceiling_ms).collect();
        assert_eq!(
            ceilings,
            [500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]
        );
        assert_eq!(ceiling_ms(u32::MAX), CAP_MS);
    }

    #[wasm_bindgen_test]
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
}
