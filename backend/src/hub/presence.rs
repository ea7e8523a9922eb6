//! Presence: who is in a room, as the whole deployment sees it.
//!
//! The local registry ([`Rooms`]) knows this process's members and reports each change of its
//! own names ([`PresenceChange`]). A [`Presence`] turns those into what clients see: the
//! `user_joined` / `user_left` events and the list sent after a join. On one node that is the
//! registry itself ([`LocalPresence`]); across nodes, [`crate::cluster::RedisPresence`] merges
//! every node's names and announces only cluster-wide arrivals and departures.

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

    /// Those of [`Presence::users`] who are guests, sorted. An engine that does not track it
    /// says none (the list then marks nobody; the events still do).
    async fn guests(&self, room: &RoomName) -> Result<Vec<Username>, PresenceError> {
        let _ = room;
        Ok(Vec::new())
    }
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
