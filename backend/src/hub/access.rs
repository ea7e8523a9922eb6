//! Room access: the one rule every transport passes through.
//!
//! Public rooms (every room never created as private) admit everyone the server admits.
//! A private room admits its members, and a JWT identity whose `rooms` claim names it; no one
//! else may join, replay, page history, long-poll, poll, post, type or see presence there.
//! Sessions and HTTP handlers ask [`Hub::admit`] before each of those; a refusal is the
//! `forbidden` error frame or HTTP 403, and says nothing about the room's contents.
//!
//! A room known to exist and found public is public for good (a room with messages cannot be
//! made private), so it is cached and costs no store read again: the hot path of a busy
//! public room is unchanged. A private room's members are read from the directory at each
//! check, so a removal holds on every node at once; a member's live connections are told
//! through fan-out and leave the room (`session`).

use super::Hub;
use crate::{
    auth::Principal,
    store::{StoreError, accounts::RoomAccess},
};
use chinwag_shared::RoomName;

/// Why access was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The principal may not enter the room.
    #[error("this room is private, and you are not a member")]
    Forbidden,
    /// The directory could not be read; nothing is decided.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Hub {
    /// Lets `principal` into `room`, or says why not.
    pub async fn admit(&self, principal: &Principal, room: &RoomName) -> Result<(), AccessError> {
        match self.room_access(room).await? {
            RoomAccess::Public => Ok(()),
            RoomAccess::Private(private) => match principal.identity() {
                Some(identity)
                    if private.admits(&identity.account) || identity.grants.contains(room) =>
                {
                    Ok(())
                }
                _ => Err(AccessError::Forbidden),
            },
        }
    }

    /// Who may enter `room`, from the cache of rooms known public, else the directory.
    pub async fn room_access(&self, room: &RoomName) -> Result<RoomAccess, StoreError> {
        if self.public_rooms.contains(room) {
            return Ok(RoomAccess::Public);
        }
        // Existence is read before access: a room that existed then and is public now was
        // public when it was made, and stays so.
        let existed = self.known_rooms.contains(room) || self.store.has_room(room).await?;
        let access = self.accounts.room_access(room).await?;
        if existed && access == RoomAccess::Public {
            self.public_rooms.insert(room);
        }
        Ok(access)
    }
}
