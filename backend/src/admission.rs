//! Admission: how many WebSocket connections the server, and each client address, may hold.
//!
//! A connection is admitted before its upgrade and holds a [`Permit`] for its whole life;
//! dropping the permit (on any exit path of the session) frees the slot. The per-address cap
//! stops one host from exhausting the server; the total cap bounds memory and descriptors.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex, MutexGuard},
};

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server holds its maximum number of connections.
    ServerFull {
        /// The configured maximum.
        max: usize,
    },
    /// This address holds its maximum number of connections.
    AddressFull {
        /// The configured maximum per address.
        max: usize,
    },
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// Connection counts and their caps.
pub struct Admission {
    max_total: usize,
    max_per_address: usize,
    counts: Arc<Mutex<Counts>>,
}

/// A held connection slot; released on drop.
pub struct Permit {
    address: IpAddr,
    counts: Arc<Mutex<Counts>>,
}

fn lock(counts: &Mutex<Counts>) -> MutexGuard<'_, Counts> {
    counts
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Admission {
    /// Caps of `max_total` connections, `max_per_address` from any one address.
    pub fn new(max_total: usize, max_per_address: usize) -> Self {
        Self {
            max_total,
            max_per_address,
            counts: Arc::default(),
        }
    }

    /// Takes a slot for a connection from `address`, if both caps allow.
    pub fn admit(&self, address: IpAddr) -> Result<Permit, Refusal> {
        let mut counts = lock(&self.counts);
        if counts.total >= self.max_total {
            return Err(Refusal::ServerFull {
                max: self.max_total,
            });
        }
        let held = counts.by_address.entry(address).or_default();
        if *held >= self.max_per_address {
            return Err(Refusal::AddressFull {
                max: self.max_per_address,
            });
        }
        *held += 1;
        counts.total += 1;
        Ok(Permit {
            address,
            counts: Arc::clone(&self.counts),
        })
    }

    /// Connections held right now.
    pub fn open(&self) -> usize {
        lock(&self.counts).total
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = lock(&self.counts);
        counts.total = counts.total.saturating_sub(1);
        if let Some(held) = counts.by_address.get_mut(&self.address) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                counts.by_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn each_address_has_its_own_cap_and_slots_come_back_on_drop() {
        let admission = Admission::new(10, 2);
        let first = admission.admit(A).unwrap();
        let _second = admission.admit(A).unwrap();
        assert_eq!(
            admission.admit(A).err(),
            Some(Refusal::AddressFull { max: 2 })
        );
        assert!(admission.admit(B).is_ok(), "another address is unaffected");
        drop(first);
        assert!(admission.admit(A).is_ok());
    }

    #[test]
    fn the_total_cap_applies_across_addresses() {
        let admission = Admission::new(2, 5);
        let _a = admission.admit(A).unwrap();
        let _b = admission.admit(B).unwrap();
        assert_eq!(
            admission.admit(B).err(),
            Some(Refusal::ServerFull { max: 2 })
        );
        assert_eq!(admission.open(), 2);
    }
}
