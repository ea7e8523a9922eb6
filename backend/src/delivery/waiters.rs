//! Long-poll waiters: who is waiting for a room's next message.
//!
//! Each room with waiters has a `watch` channel holding the newest id published there. A
//! waiter subscribes *before* reading the store (so nothing published in between is missed),
//! then sleeps until the value passes the id it already has. Publishing updates the value
//! once, however many wait: no busy loop, no task or thread per waiter, and a waiter costs
//! one receiver.
//!
//! Bound: the table holds a room only while someone waits on it. A [`Waiter`] removes its
//! room's entry as the last one leaves, so a client that long-polls a quarter of a million
//! room names (each one a request with `wait=0`) leaves nothing behind.

use chinwag_shared::RoomName;
use std::{
    collections::HashMap,
    ops::{Deref, DerefMut},
    sync::{Arc, Mutex, MutexGuard},
};
use tokio::sync::watch;

type Table = HashMap<RoomName, watch::Sender<u64>>;

/// Per-room "newest id" signals.
#[derive(Default)]
pub struct Waiters {
    rooms: Arc<Mutex<Table>>,
}

fn lock(rooms: &Mutex<Table>) -> MutexGuard<'_, Table> {
    // Every section below leaves the map consistent before it could panic.
    rooms
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One long-poll's subscription to a room's newest id: a `watch` receiver that takes its
/// room out of the table when it is the last to leave.
pub struct Waiter {
    receiver: watch::Receiver<u64>,
    room: RoomName,
    rooms: Arc<Mutex<Table>>,
}

impl Deref for Waiter {
    type Target = watch::Receiver<u64>;
    fn deref(&self) -> &Self::Target {
        &self.receiver
    }
}

impl DerefMut for Waiter {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.receiver
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        let mut rooms = lock(&self.rooms);
        // Subscribing happens under the same lock, so nobody can join between this count and
        // the removal. An entry is only ever removed once it has no receivers, so a live
        // receiver always belongs to the room's current entry: a count of one is this one.
        if rooms
            .get(&self.room)
            .is_some_and(|sender| sender.receiver_count() <= 1)
        {
            rooms.remove(&self.room);
        }
    }
}

impl Waiters {
    /// A subscription to `room`'s newest published id.
    pub fn subscribe(&self, room: &RoomName) -> Waiter {
        let receiver = lock(&self.rooms)
            .entry(room.clone())
            .or_insert_with(|| watch::Sender::new(0))
            .subscribe();
        Waiter {
            receiver,
            room: room.clone(),
            rooms: Arc::clone(&self.rooms),
        }
    }

    /// Records that `id` was published in `room`, waking its waiters.
    pub fn published(&self, room: &RoomName, id: u64) {
        let rooms = lock(&self.rooms);
        let Some(sender) = rooms.get(room) else {
            return;
        };
        // Normally ids only grow; a smaller one means the history was replaced (a new epoch
        // starts again at 1), and waiters must hear of it too.
        sender.send_if_modified(|newest| {
            let moved = id != *newest;
            *newest = id;
            moved
        });
    }

    /// Rooms with a signal right now: rooms somebody waits on.
    pub fn rooms_watched(&self) -> usize {
        lock(&self.rooms).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiter_wakes_for_each_new_id_and_for_a_restarted_history() {
        let waiters = Waiters::default();
        let room = RoomName::default_room();
        let mut waiting = waiters.subscribe(&room);
        waiters.published(&room, 5);
        waiting.wait_for(|&newest| newest >= 5).await.unwrap();
        waiters.published(&room, 5);
        assert!(!waiting.has_changed().unwrap(), "the same id wakes nobody");
        waiters.published(&room, 1);
        assert!(
            waiting.has_changed().unwrap(),
            "a new epoch's first id wakes"
        );
        assert_eq!(*waiting.borrow_and_update(), 1);
    }

    #[test]
    fn a_room_is_forgotten_as_its_last_waiter_leaves() {
        let waiters = Waiters::default();
        let room = RoomName::default_room();
        let first = waiters.subscribe(&room);
        let second = waiters.subscribe(&room);
        assert_eq!(waiters.rooms_watched(), 1);
        drop(first);
        assert_eq!(waiters.rooms_watched(), 1, "one still waits");
        drop(second);
        assert_eq!(waiters.rooms_watched(), 0);
    }

    #[tokio::test]
    async fn a_waiter_of_a_room_that_was_forgotten_and_made_again_still_wakes() {
        let waiters = Waiters::default();
        let room = RoomName::default_room();
        drop(waiters.subscribe(&room));
        let mut waiting = waiters.subscribe(&room);
        waiters.published(&room, 3);
        waiting.wait_for(|&newest| newest >= 3).await.unwrap();
    }

    #[test]
    fn many_rooms_polled_once_each_leave_nothing_behind() {
        let waiters = Waiters::default();
        for n in 0..10_000 {
            let room = RoomName::parse(&format!("r-{n}")).unwrap();
            drop(waiters.subscribe(&room));
        }
        assert_eq!(waiters.rooms_watched(), 0);
    }
}
