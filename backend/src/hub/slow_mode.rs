//! Slow mode: one message per interval per person in a room, judged by the hub on every
//! transport.
//!
//! [`SlowMode`] remembers when each person last posted in each room whose rules have slow
//! mode on (the hub asks only then). A person is an account, or a guest by name and address
//! together ([`person`]), so a guest cannot dodge it by renaming alone. It is kept per node:
//! someone connected to two nodes at once could post once on each within an interval.
//! Bound: at most [`PEOPLE_KEPT`] entries; past it, entries older than the longest interval
//! are dropped, and if none are, the oldest half.

use super::rules::Visitor;
use chinwag_shared::{MAX_SLOW_MODE_SECS, RoomName};
use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// Entries held at most.
pub const PEOPLE_KEPT: usize = 100_000;

/// Who slow mode counts as one person.
pub fn person(visitor: &Visitor<'_>) -> String {
    if let Some(key) = visitor.principal.service() {
        // Each bot name of a key is one person (a key's bots are many, behind one address).
        return format!(
            "k:{}:{}",
            key.id,
            visitor.name.map_or("", |name| name.as_str())
        );
    }
    match visitor.principal.identity() {
        Some(identity) => format!("a:{}", identity.account),
        None => format!(
            "g:{}:{}",
            visitor.address,
            visitor.name.map_or("", |name| name.as_str())
        ),
    }
}

/// When each person last posted in each room.
#[derive(Default)]
pub struct SlowMode {
    last: Mutex<HashMap<(RoomName, String), Instant>>,
}

impl SlowMode {
    /// Notes a post by `person` in `room` now, if its last was at least `interval` ago;
    /// otherwise how long until one is allowed.
    pub fn spend(&self, room: &RoomName, person: &str, interval: Duration) -> Result<(), Duration> {
        let now = Instant::now();
        let mut last = self.lock();
        let key = (room.clone(), person.to_owned());
        if let Some(previous) = last.get(&key) {
            let since = now.duration_since(*previous);
            if since < interval {
                return Err(interval - since);
            }
        }
        if last.len() >= PEOPLE_KEPT {
            let longest = Duration::from_secs(u64::from(MAX_SLOW_MODE_SECS));
            last.retain(|_, at| now.duration_since(*at) < longest);
            if last.len() >= PEOPLE_KEPT {
                let mut ages: Vec<Instant> = last.values().copied().collect();
                ages.sort_unstable();
                let cut = ages[ages.len() / 2];
                last.retain(|_, at| *at > cut);
            }
        }
        last.insert(key, now);
        Ok(())
    }

    /// Forgets `person`'s last post in `room`: the post it allowed stored nothing new (a
    /// retry, a refusal, a failure), so it does not count.
    pub fn refund(&self, room: &RoomName, person: &str) {
        self.lock().remove(&(room.clone(), person.to_owned()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(RoomName, String), Instant>> {
        // Nothing panics while holding it; a poisoned map is still consistent.
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_post_within_the_interval_waits_and_a_refund_frees_it() {
        let slow = SlowMode::default();
        let room = RoomName::parse("general").unwrap();
        let minute = Duration::from_secs(60);
        assert_eq!(slow.spend(&room, "a:1", minute), Ok(()));
        let wait = slow.spend(&room, "a:1", minute).unwrap_err();
        assert!(wait > Duration::from_secs(59) && wait <= minute, "{wait:?}");
        assert_eq!(slow.spend(&room, "a:2", minute), Ok(()), "another person");
        let other = RoomName::parse("other").unwrap();
        assert_eq!(slow.spend(&other, "a:1", minute), Ok(()), "another room");
        slow.refund(&room, "a:1");
        assert_eq!(slow.spend(&room, "a:1", minute), Ok(()));
        assert_eq!(slow.spend(&room, "a:1", Duration::ZERO), Ok(()), "off");
    }
}
