//! Presence: who is in a room, as the whole deployment sees it.
//!
//! The local registry ([`Rooms`]) knows this process's members and reports each change of its
//! own names ([`PresenceChange`]). A [`Presence`] turns those into what clients see: the
//! `user_joined` / `user_left` events and the list sent after a join. On one node that is the
//! registry itself ([`LocalPresence`]); across nodes, [`crate::cluster::RedisPresence`] merges
//! every node's names and announces only cluster-wide arrivals and departures.
//!
//! A big room (more than `--presence-list-max` people) is read a page at a time
//! ([`Presence::page`]): its `presence` frame carries the count and the first page, and the
//! HTTP list pages on. Its arrivals and departures reach members as diffs, gathered where
//! frames are delivered (`delivery::presence_diffs`) whichever engine announced them; the
//! hub's [`super::Hub::send_presence_diffs`] sends them with [`Presence::count`].

use crate::delivery::rooms::{PresenceChange, Rooms};
use crate::{delivery::frame::EventFrame, fanout::Fanout, store::RedisError};
use async_trait::async_trait;
use chinwag_shared::{RoomName, ServerMsg, Username};
use std::sync::Arc;

/// Why a room's presence could not be read. Clients see it as `unavailable`.
#[derive(Debug, thiserror::Error)]
pub enum PresenceError {
    /// The cluster's presence is kept in Redis, which failed.
    #[error("redis: {0}")]
    Redis(#[from] RedisError),
}

/// Room presence for clients.
#[async_trait]
pub trait Presence: Send + Sync + 'static {
    /// Takes note of a change in this node's members of `room` and announces whatever it
    /// changes for the room as a whole. Never blocks: called from joins, leaves and `Drop`.
    fn changed(&self, room: &RoomName, change: PresenceChange);

    /// Everyone in `room`: each name once, sorted.
    async fn users(&self, room: &RoomName) -> Result<Vec<Username>, PresenceError>;

    /// Up to `limit` of [`Presence::users`] that sort after `after`, and how many there are
    /// in all. Reads the whole list unless the engine keeps it in order.
    async fn page(
        &self,
        room: &RoomName,
        after: Option<&Username>,
        limit: usize,
    ) -> Result<PresencePage, PresenceError> {
        Ok(PresencePage::of_sorted(
            self.users(room).await?,
            after,
            limit,
        ))
    }

    /// How many [`Presence::users`] there are. Reads the whole list unless the engine can
    /// count without it.
    async fn count(&self, room: &RoomName) -> Result<u64, PresenceError> {
        Ok(len_u64(self.users(room).await?.len()))
    }

    /// Those of [`Presence::users`] who are guests, sorted. An engine that does not track it
    /// says none (the list then marks nobody; the events still do).
    async fn guests(&self, room: &RoomName) -> Result<Vec<Username>, PresenceError> {
        let _ = room;
        Ok(Vec::new())
    }
}

/// A page of a room's presence list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresencePage {
    /// Names in order, each once.
    pub names: Vec<Username>,
    /// How many names the whole list has.
    pub count: u64,
}

impl PresencePage {
    /// The page of the sorted list `users` after `after`, at most `limit` long.
    pub fn of_sorted(users: Vec<Username>, after: Option<&Username>, limit: usize) -> Self {
        let count = len_u64(users.len());
        let start = after.map_or(0, |after| users.partition_point(|name| name <= after));
        let names = users.into_iter().skip(start).take(limit).collect();
        Self { names, count }
    }
}

fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// Single-node presence: this process's members are everyone.
pub struct LocalPresence {
    rooms: Arc<Rooms>,
    fanout: Arc<dyn Fanout>,
}

impl LocalPresence {
    /// Presence read from `rooms`, announced through `fanout`.
    pub fn new(rooms: Arc<Rooms>, fanout: Arc<dyn Fanout>) -> Self {
        Self { rooms, fanout }
    }
}

#[async_trait]
impl Presence for LocalPresence {
    fn changed(&self, room: &RoomName, change: PresenceChange) {
        for event in change.events(room) {
            self.fanout.publish_event(EventFrame::new(room, &event));
        }
    }

    async fn users(&self, room: &RoomName) -> Result<Vec<Username>, PresenceError> {
        Ok(self.rooms.users(room))
    }

    async fn page(
        &self,
        room: &RoomName,
        after: Option<&Username>,
        limit: usize,
    ) -> Result<PresencePage, PresenceError> {
        let (names, count) = self.rooms.page(room, after, limit);
        Ok(PresencePage {
            names,
            count: len_u64(count),
        })
    }

    async fn count(&self, room: &RoomName) -> Result<u64, PresenceError> {
        Ok(len_u64(self.rooms.name_count(room)))
    }

    async fn guests(&self, room: &RoomName) -> Result<Vec<Username>, PresenceError> {
        Ok(self.rooms.guests(room))
    }
}

impl PresenceChange {
    /// The events announcing this change to `room`.
    pub fn events(self, room: &RoomName) -> impl Iterator<Item = ServerMsg> {
        let guest = self.arrived_guest;
        let arrived = self.arrived.map(|username| ServerMsg::UserJoined {
            room: room.clone(),
            username,
            guest,
        });
        let departed = self.departed.map(|username| ServerMsg::UserLeft {
            room: room.clone(),
            username,
        });
        arrived.into_iter().chain(departed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_starts_after_the_name_given_and_counts_the_whole_list() {
        let users: Vec<Username> = ["ada", "bob", "cy", "dee"]
            .iter()
            .map(|name| Username::parse(name).unwrap())
            .collect();
        let bob = Username::parse("bob").unwrap();
        let page = PresencePage::of_sorted(users.clone(), Some(&bob), 1);
        assert_eq!(page.names, [Username::parse("cy").unwrap()]);
        assert_eq!(page.count, 4);
        let between = Username::parse("bz").unwrap();
        assert_eq!(
            PresencePage::of_sorted(users.clone(), Some(&between), 10)
                .names
                .len(),
            2,
            "a name no longer present still marks the place"
        );
        assert_eq!(PresencePage::of_sorted(users, None, 10).names.len(), 4);
    }
}
