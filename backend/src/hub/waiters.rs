//! Long-poll waiters: who is waiting for a room's next message.
//!
//! Each room with waiters has a `watch` channel holding the newest id published there. A
//! waiter subscribes *before* reading the store (so nothing published in between is missed),
//! then sleeps until the value passes the id it already has. Publishing updates the value
//! once, however many wait: no busy loop, no task or thread per waiter, and a waiter costs
//! one receiver. Channels of rooms nobody waits on are dropped at the next publish.

use chinwag_shared::RoomName;
use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard},
};
use tokio::sync::watch;

/// Per-room "newest id" signals.
#[derive(Default)]
pub struct Waiters {
    rooms: Mutex<HashMap<RoomName, watch::Sender<u64>>>,
}

impl Waiters {
    fn lock(&self) -> MutexGuard<'_, HashMap<RoomName, watch::Sender<u64>>> {
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A receiver of `room`'s newest published id.
    pub fn subscribe(&self, room: &RoomName) -> watch::Receiver<u64> {
        self.lock()
            .entry(room.clone())
            .or_insert_with(|| watch::Sender::new(0))
            .subscribe()
    }

    /// Records that `id` was published in `room`, waking its waiters.
    pub fn published(&self, room: &RoomName, id: u64) {
        let mut rooms = self.lock();
        let Some(sender) = rooms.get(room) else {
            return;
        };
        if sender.receiver_count() == 0 {
            rooms.remove(room);
            return;
        }
        // Normally ids only grow; a smaller one means the history was replaced (a new epoch
        // starts again at 1), and waiters must hear of it too.
        sender.send_if_modified(|newest| {
            let moved = id != *newest;
            *newest = id;
            moved
        });
    }

    /// Rooms with a signal right now; for tests and metrics.
    pub fn rooms_watched(&self) -> usize {
        self.lock().len()
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
    fn rooms_nobody_waits_on_are_forgotten() {
        let waiters = Waiters::default();
        let room = RoomName::default_room();
        drop(waiters.subscribe(&room));
        assert_eq!(waiters.rooms_watched(), 1);
        waiters.published(&room, 1);
        assert_eq!(waiters.rooms_watched(), 0);
    }
}
