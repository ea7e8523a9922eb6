//! The local membership registry: which of this process's sessions are in which room.
//!
//! Fan-out calls [`Rooms::deliver`] for every frame; the hub calls join, leave and rename. All
//! state sits behind one `std::sync::Mutex` whose sections are short and never await: delivery
//! is a `try_send` per member. Presence is derived from the members' names, so a person with
//! two tabs open is listed once and "leaves" only when their last connection does.

use crate::{fanout::Frame, session::outbox::OutboxSender};
use chinwag_shared::{RoomName, Username};
use std::{
    collections::{BTreeSet, HashMap},
    sync::{Arc, Mutex, MutexGuard},
};

/// Identifies one connection for its whole life; never reused within a process.
pub type SessionId = u64;

/// One session's place in one room.
struct Member {
    outbox: OutboxSender,
    username: Option<Username>,
}

#[derive(Default)]
struct Room {
    members: HashMap<SessionId, Member>,
}

impl Room {
    fn name_count(&self, name: &Username) -> usize {
        self.members
            .values()
            .filter(|member| member.username.as_ref() == Some(name))
            .count()
    }

    fn users(&self) -> Vec<Username> {
        let names: BTreeSet<&Username> = self
            .members
            .values()
            .filter_map(|member| member.username.as_ref())
            .collect();
        names.into_iter().cloned().collect()
    }
}

/// What a membership change did to a room's presence list.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PresenceChange {
    /// A name that was not in the room before and now is.
    pub arrived: Option<Username>,
    /// A name that was in the room and now is not.
    pub departed: Option<Username>,
}

/// Every room that has at least one member in this process.
#[derive(Default)]
pub struct Rooms {
    rooms: Mutex<HashMap<RoomName, Room>>,
}

impl Rooms {
    fn lock(&self) -> MutexGuard<'_, HashMap<RoomName, Room>> {
        // A panic while holding this lock cannot leave a map half-updated in a way that
        // matters more than losing the whole server, so recover the data and carry on.
        self.rooms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Offers `frame` to every member of its room. Members whose outbox is full are told to
    /// close (they resume from the store when they reconnect); nobody is waited for.
    pub fn deliver(&self, frame: &Arc<Frame>) {
        let rooms = self.lock();
        if let Some(room) = rooms.get(&frame.room) {
            for member in room.members.values() {
                member.outbox.offer(frame);
            }
        }
    }

    /// Adds `session` to `room`; returns the presence list after the join and the change.
    pub fn join(
        &self,
        room: &RoomName,
        session: SessionId,
        outbox: OutboxSender,
        username: Option<Username>,
    ) -> (Vec<Username>, PresenceChange) {
        let mut rooms = self.lock();
        let entry = rooms.entry(room.clone()).or_default();
        let arrived = username
            .as_ref()
            .filter(|name| entry.name_count(name) == 0)
            .cloned();
        entry.members.insert(session, Member { outbox, username });
        let change = PresenceChange {
            arrived,
            departed: None,
        };
        (entry.users(), change)
    }

    /// Removes `session` from `room`; drops the room when it empties.
    pub fn leave(&self, room: &RoomName, session: SessionId) -> PresenceChange {
        let mut rooms = self.lock();
        let Some(entry) = rooms.get_mut(room) else {
            return PresenceChange::default();
        };
        let departed = entry
            .members
            .remove(&session)
            .and_then(|member| member.username)
            .filter(|name| entry.name_count(name) == 0);
        if entry.members.is_empty() {
            rooms.remove(room);
        }
        PresenceChange {
            arrived: None,
            departed,
        }
    }

    /// Gives `session` a presence name in `room`, where it had none.
    pub fn name(&self, room: &RoomName, session: SessionId, username: &Username) -> PresenceChange {
        let mut rooms = self.lock();
        let Some(entry) = rooms.get_mut(room) else {
            return PresenceChange::default();
        };
        let is_new_name = entry.name_count(username) == 0;
        match entry.members.get_mut(&session) {
            Some(member) if member.username.is_none() => {
                member.username = Some(username.clone());
                PresenceChange {
                    arrived: is_new_name.then(|| username.clone()),
                    departed: None,
                }
            }
            _ => PresenceChange::default(),
        }
    }

    /// The presence list of `room`: each name once, sorted.
    pub fn users(&self, room: &RoomName) -> Vec<Username> {
        self.lock().get(room).map(Room::users).unwrap_or_default()
    }

    /// Whether `session` is a member of `room`.
    pub fn is_member(&self, room: &RoomName, session: SessionId) -> bool {
        self.lock()
            .get(room)
            .is_some_and(|entry| entry.members.contains_key(&session))
    }

    /// Number of (room, session) memberships; for tests and metrics.
    pub fn membership_count(&self) -> usize {
        self.lock().values().map(|room| room.members.len()).sum()
    }
}
