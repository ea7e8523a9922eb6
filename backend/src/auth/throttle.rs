//! Sign-in throttling: failed attempts counted per client address and per account name, with
//! a lockout that doubles with each failure past a small allowance.
//!
//! Both keys matter: per address stops one machine guessing many accounts' passwords, per
//! account stops many machines guessing one. A success clears the account's count (the owner
//! got in) but not the address's. Counts fade: a key with no failure for [`FORGET_AFTER`] is
//! forgotten. Each table holds at most [`MAX_KEYS`] keys, so a flood of made-up names or
//! addresses cannot grow memory; past that, the keys whose lockouts have run out go first,
//! then the oldest.

use std::{
    collections::HashMap,
    hash::Hash,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Failures allowed before the first lockout.
pub const FREE_FAILURES: u32 = 5;
/// The first lockout; each further failure doubles it.
pub const FIRST_LOCKOUT: Duration = Duration::from_secs(1);
/// The longest lockout.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// A key with no failure for this long starts again from nothing.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Keys each table holds at most.
pub const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    last_failure: Instant,
    locked_until: Option<Instant>,
}

#[derive(Debug)]
struct Table<K> {
    records: HashMap<K, Record>,
    max_keys: usize,
}

impl<K: Eq + Hash + Clone> Table<K> {
    fn new(max_keys: usize) -> Self {
        Self {
            records: HashMap::new(),
            max_keys,
        }
    }

    fn locked(&self, key: &K, now: Instant) -> Option<Duration> {
        let record = self.records.get(key)?;
        record
            .locked_until
            .and_then(|until| until.checked_duration_since(now))
            .filter(|left| !left.is_zero())
    }

    fn fail(&mut self, key: &K, now: Instant) {
        if !self.records.contains_key(key) && self.records.len() >= self.max_keys {
            self.make_room(now);
        }
        let record = self.records.entry(key.clone()).or_insert(Record {
            failures: 0,
            last_failure: now,
            locked_until: None,
        });
        if now.duration_since(record.last_failure) > FORGET_AFTER {
            record.failures = 0;
        }
        record.failures = record.failures.saturating_add(1);
        record.last_failure = now;
        if let Some(over) = record.failures.checked_sub(FREE_FAILURES + 1) {
            let lockout = FIRST_LOCKOUT
                .checked_mul(1u32.checked_shl(over).unwrap_or(u32::MAX))
                .unwrap_or(MAX_LOCKOUT)
                .min(MAX_LOCKOUT);
            record.locked_until = Some(now + lockout);
        }
    }

    fn clear(&mut self, key: &K) {
        self.records.remove(key);
    }

    /// Drops forgotten and unlocked keys; if that is not enough, the oldest half.
    fn make_room(&mut self, now: Instant) {
        self.records.retain(|_, record| {
            now.duration_since(record.last_failure) <= FORGET_AFTER
                && record.locked_until.is_some_and(|until| until > now)
        });
        if self.records.len() >= self.max_keys {
            let mut ages: Vec<Instant> = self.records.values().map(|r| r.last_failure).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 2];
            self.records.retain(|_, record| record.last_failure > cut);
        }
    }
}

/// The two tables, shared by every sign-in of a node.
#[derive(Debug)]
pub struct SignInThrottle {
    addresses: Mutex<Table<IpAddr>>,
    accounts: Mutex<Table<String>>,
}

impl Default for SignInThrottle {
    fn default() -> Self {
        Self::with_capacity(MAX_KEYS)
    }
}

impl SignInThrottle {
    /// Throttle tables holding at most `max_keys` keys each.
    pub fn with_capacity(max_keys: usize) -> Self {
        Self {
            addresses: Mutex::new(Table::new(max_keys)),
            accounts: Mutex::new(Table::new(max_keys)),
        }
    }

    /// How long `address` or `account` (a name key) must still wait, if either is locked.
    pub fn locked(&self, address: IpAddr, account: &str, now: Instant) -> Option<Duration> {
        let by_address = lock(&self.addresses).locked(&address, now);
        let by_account = lock(&self.accounts).locked(&account.to_owned(), now);
        by_address.max(by_account)
    }

    /// Counts a failed sign-in against both.
    pub fn failed(&self, address: IpAddr, account: &str, now: Instant) {
        lock(&self.addresses).fail(&address, now);
        lock(&self.accounts).fail(&account.to_owned(), now);
    }

    /// Clears the account's count after a sign-in succeeded.
    pub fn succeeded(&self, account: &str) {
        lock(&self.accounts).clear(&account.to_owned());
    }

    /// Keys held now, both tables together (for tests and metrics).
    pub fn keys(&self) -> usize {
        lock(&self.addresses).records.len() + lock(&self.accounts).records.len()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The tables are plain counters; one left mid-update by a panic is still usable.
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const AWAY: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn the_allowance_is_free_then_each_failure_doubles_the_lockout_up_to_the_cap() {
        let throttle = SignInThrottle::default();
        let start = Instant::now();
        for _ in 0..FREE_FAILURES {
            throttle.failed(HOME, "ada", start);
            assert_eq!(throttle.locked(HOME, "ada", start), None);
        }
        throttle.failed(HOME, "ada", start);
        assert_eq!(throttle.locked(HOME, "ada", start), Some(FIRST_LOCKOUT));
        throttle.failed(HOME, "ada", start);
        assert_eq!(throttle.locked(HOME, "ada", start), Some(FIRST_LOCKOUT * 2));
        for _ in 0..40 {
            throttle.failed(HOME, "ada", start);
        }
        assert_eq!(throttle.locked(HOME, "ada", start), Some(MAX_LOCKOUT));
        assert_eq!(throttle.locked(HOME, "ada", start + MAX_LOCKOUT), None);
    }

    #[test]
    fn an_account_is_locked_from_every_address_and_an_address_for_every_account() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for _ in 0..=FREE_FAILURES {
            throttle.failed(HOME, "ada", now);
        }
        assert!(throttle.locked(AWAY, "ada", now).is_some(), "the account");
        assert!(throttle.locked(HOME, "bob", now).is_some(), "the address");
        assert_eq!(throttle.locked(AWAY, "bob", now), None);
    }

    #[test]
    fn success_clears_the_account_but_not_the_address() {
        let throttle = SignInThrottle::default();
        let now = Instant::now();
        for _ in 0..=FREE_FAILURES {
            throttle.failed(HOME, "ada", now);
        }
        throttle.succeeded("ada");
        assert_eq!(throttle.locked(AWAY, "ada", now), None);
        assert!(throttle.locked(HOME, "ada", now).is_some());
    }

    #[test]
    fn a_flood_of_names_cannot_grow_the_tables_past_their_bound() {
        let throttle = SignInThrottle::with_capacity(100);
        let now = Instant::now();
        for n in 0..10_000 {
            throttle.failed(HOME, &format!("user{n}"), now);
        }
        assert!(throttle.keys() <= 2 * 100, "{}", throttle.keys());
        assert!(throttle.locked(HOME, "anyone", now).is_some());
    }
}
