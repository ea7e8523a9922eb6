//! The new-room budget: how many rooms one client address, and one connection, may create.
//!
//! A room exists once a message is stored in it; joining creates nothing. So the hub asks
//! here only before a post to a room it does not know ([`KnownRooms`]) and the store says
//! does not exist. Each address has a [`TokenBucket`] of new rooms (`per_minute`, bursts of
//! `burst`), and each connection may create `per_connection` rooms in its life, so one
//! connection cannot spend the budget of everyone behind the same address (a school's NAT).
//! Posting to an existing room never touches the budget. Measured before it existed: one
//! address made 99,800 rooms in 27 s, and every user's room list carried them all.
//!
//! Pure bookkeeping behind short `std` mutex sections: time is passed in, nothing awaits.

use crate::rate_limit::{PerAddress, TokenBucket};
use chinwag_shared::RoomName;
use std::{
    collections::HashSet,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Addresses whose budgets are kept before idle ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// Room names the hub remembers as existing. At ~100 B each this is ~10 MB at most; past it
/// the memory starts afresh, which costs one store read per room on its next post.
pub const KNOWN_ROOMS_CACHED: usize = 100_000;

/// The limits, from [`crate::config::Config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewRoomLimits {
    /// New rooms per minute per client address, sustained.
    pub per_minute: u32,
    /// New rooms one address may create at once before the rate applies.
    pub burst: u32,
    /// New rooms one connection may create in its life.
    pub per_connection: u32,
}

/// Why a post that would create a room was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NewRoomRefusal {
    /// The client's address spent its budget; it comes back at `per_minute`.
    #[error(
        "this address has created as many rooms as it may for now ({per_minute} a minute, \
         bursts of {burst}); post in an existing room, or try again in a minute"
    )]
    Address {
        /// The sustained rate.
        per_minute: u32,
        /// The burst.
        burst: u32,
    },
    /// The connection created `max` rooms already; a new connection gets a new allowance,
    /// still within its address's budget.
    #[error("this connection has created {max} rooms, the most one connection may")]
    Connection {
        /// The per-connection cap.
        max: u32,
    },
}

/// The rooms one connection has created. The session owns it and hands it to each post.
#[derive(Debug, Default)]
pub struct ConnectionRooms {
    created: u32,
}

/// Per-address buckets of new rooms.
pub struct NewRoomBudget {
    limits: NewRoomLimits,
    addresses: Mutex<PerAddress<TokenBucket>>,
}

impl NewRoomBudget {
    /// A budget enforcing `limits`.
    pub fn new(limits: NewRoomLimits) -> Self {
        let limits = NewRoomLimits {
            per_minute: limits.per_minute.max(1),
            burst: limits.burst.max(1),
            ..limits
        };
        // Forget an address only once its bucket would be full again, so sweeping never
        // hands an attacker a fresh burst early.
        let idle_for = Self::bucket(&limits, Instant::now())
            .refill_time()
            .max(Duration::from_secs(60));
        Self {
            limits,
            addresses: Mutex::new(PerAddress::new(SWEEP_ABOVE, idle_for)),
        }
    }

    fn bucket(limits: &NewRoomLimits, now: Instant) -> TokenBucket {
        let per_sec = f64::from(limits.per_minute) / 60.0;
        TokenBucket::full(f64::from(limits.burst), per_sec, now)
    }

    /// Spends one new room of `address` (and of `connection`, for a socket) at `now`, or says
    /// why not. The connection's cap is checked first, so a refused connection costs its
    /// address nothing.
    pub fn spend(
        &self,
        address: IpAddr,
        connection: Option<&mut ConnectionRooms>,
        now: Instant,
    ) -> Result<(), NewRoomRefusal> {
        let max = self.limits.per_connection;
        if let Some(connection) = &connection
            && connection.created >= max
        {
            return Err(NewRoomRefusal::Connection { max });
        }
        let allowed = {
            let mut addresses = self
                .addresses
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let limits = &self.limits;
            addresses
                .entry(address, now, || Self::bucket(limits, now))
                .take(now)
        };
        if !allowed {
            return Err(NewRoomRefusal::Address {
                per_minute: self.limits.per_minute,
                burst: self.limits.burst,
            });
        }
        if let Some(connection) = connection {
            connection.created += 1;
        }
        Ok(())
    }
}

/// Rooms the hub has seen exist, so a post to one costs no store read. Rooms are never
/// deleted, so a name once known stays true (a Redis that lost its data makes the next post
/// recreate the room uncharged, which is harmless).
#[derive(Debug, Default)]
pub struct KnownRooms {
    names: Mutex<HashSet<RoomName>>,
}

impl KnownRooms {
    /// Whether `room` is known to exist.
    pub fn contains(&self, room: &RoomName) -> bool {
        self.names
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .contains(room)
    }

    /// Remembers that `room` exists.
    pub fn insert(&self, room: &RoomName) {
        let mut names = self
            .names
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if names.contains(room) {
            return;
        }
        if names.len() >= KNOWN_ROOMS_CACHED {
            names.clear();
        }
        names.insert(room.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: NewRoomLimits = NewRoomLimits {
        per_minute: 6,
        burst: 3,
        per_connection: 100,
    };

    fn address(n: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, n])
    }

    fn allowed(budget: &NewRoomBudget, at: Instant, tries: usize) -> usize {
        (0..tries)
            .filter(|_| budget.spend(address(1), None, at).is_ok())
            .count()
    }

    #[test]
    fn an_address_gets_its_burst_then_the_rate_per_minute() {
        let start = Instant::now();
        let budget = NewRoomBudget::new(LIMITS);
        assert_eq!(allowed(&budget, start, 10), 3);
        assert_eq!(
            budget.spend(address(1), None, start),
            Err(NewRoomRefusal::Address {
                per_minute: 6,
                burst: 3
            })
        );
        // Six a minute is one every ten seconds.
        assert_eq!(allowed(&budget, start + Duration::from_secs(10), 10), 1);
        assert_eq!(allowed(&budget, start + Duration::from_secs(15), 10), 0);
    }

    #[test]
    fn addresses_have_budgets_of_their_own() {
        let start = Instant::now();
        let budget = NewRoomBudget::new(LIMITS);
        assert_eq!(allowed(&budget, start, 10), 3);
        assert_eq!(budget.spend(address(2), None, start), Ok(()));
    }

    #[test]
    fn a_connection_is_capped_without_spending_its_address_budget() {
        let start = Instant::now();
        let budget = NewRoomBudget::new(NewRoomLimits {
            per_connection: 2,
            ..LIMITS
        });
        let mut first = ConnectionRooms::default();
        for _ in 0..2 {
            assert_eq!(budget.spend(address(1), Some(&mut first), start), Ok(()));
        }
        assert_eq!(
            budget.spend(address(1), Some(&mut first), start),
            Err(NewRoomRefusal::Connection { max: 2 })
        );
        // The refusal cost the address nothing: its third room is still there.
        let mut second = ConnectionRooms::default();
        assert_eq!(budget.spend(address(1), Some(&mut second), start), Ok(()));
        assert!(budget.spend(address(1), Some(&mut second), start).is_err());
    }

    #[test]
    fn a_refused_address_does_not_count_against_the_connection() {
        let start = Instant::now();
        let budget = NewRoomBudget::new(NewRoomLimits {
            per_connection: 4,
            ..LIMITS
        });
        let mut connection = ConnectionRooms::default();
        let granted = (0..6)
            .filter(|_| {
                budget
                    .spend(address(1), Some(&mut connection), start)
                    .is_ok()
            })
            .count();
        assert_eq!(granted, 3, "the address's burst ran out first");
        assert_eq!(connection.created, 3);
    }

    #[test]
    fn a_full_cache_of_known_rooms_starts_afresh_rather_than_growing() {
        let known = KnownRooms::default();
        let room = |n: usize| RoomName::parse(&format!("r{n}")).unwrap();
        for n in 0..KNOWN_ROOMS_CACHED {
            known.insert(&room(n));
        }
        assert!(known.contains(&room(0)));
        known.insert(&room(KNOWN_ROOMS_CACHED));
        assert!(!known.contains(&room(0)), "forgotten when full");
        assert!(known.contains(&room(KNOWN_ROOMS_CACHED)));
    }
}
