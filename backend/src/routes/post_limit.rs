//! Rate limiting for HTTP posts (messages and typing notices), per client address.
//!
//! HTTP clients have no connection to hang a limit on, so each address gets the same token
//! bucket a socket gets ([`RateLimit`]); an address over it is answered 429 `rate_limited`.
//! Buckets of addresses not seen for a minute are forgotten once the table grows, so the
//! table stays bounded however many addresses come and go.

use super::error::ApiFailure;
use crate::{
    rate_limit::{PerAddress, Rate, RateLimit, Verdict},
    session::SessionLimits,
};
use actix_web::http::StatusCode;
use chinwag_shared::ErrorCode;
use std::{
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Addresses kept before idle ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// An address idle this long loses its bucket at the next sweep.
const IDLE_FOR: Duration = Duration::from_secs(60);

/// Buckets by client address.
pub struct PostLimits {
    limits: SessionLimits,
    rate: Rate,
    buckets: Mutex<PerAddress<RateLimit>>,
}

impl PostLimits {
    /// Per-address limits with the same rate and burst as a socket.
    pub fn new(limits: SessionLimits) -> Self {
        Self {
            rate: limits.rate(),
            limits,
            buckets: Mutex::new(PerAddress::new(SWEEP_ABOVE, IDLE_FOR)),
        }
    }

    /// Takes a token for the client at `address`, or refuses with 429.
    pub fn check(&self, address: IpAddr) -> Result<(), ApiFailure> {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let limits = &self.limits;
        let bucket = buckets.entry(address, now, || RateLimit::new(now));
        match bucket.check(now, &self.rate) {
            Verdict::Allow => Ok(()),
            Verdict::Refuse | Verdict::Abuse => Err(ApiFailure::with_status(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!(
                    "slow down: at most {} posts per second from one address (bursts of {})",
                    limits.rate_per_sec, limits.rate_burst
                ),
            )),
        }
    }
}
