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
    auth::{Identity, Principal},
    delivery::frame::EventFrame,
    store::{
        StoreError,
        accounts::{AccountId, PrivateRoom, RoomAccess, RoomExists},
    },
};
use chinwag_shared::{ErrorCode, ErrorFrame, RoomName, ServerMsg};

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
        if !existed {
            // A private room exists from its creation (both engines), so a room that does
            // not exist is public: no directory read for the names nobody has used.
            return Ok(RoomAccess::Public);
        }
        let access = self.accounts.room_access(room).await?;
        if access == RoomAccess::Public {
            self.public_rooms.insert(room);
        }
        Ok(access)
    }
}

/// Why a change to a private room's membership was refused.
#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    /// Not the owner (or a direct message, which nobody owns), or not a member at all.
    #[error("only the room's owner may change its members")]
    Forbidden,
    /// The room is public: it has no members to change.
    #[error("this room is public; anyone may join it")]
    Public,
    /// The owner cannot be removed from their own room.
    #[error("the owner cannot be removed from their own room")]
    Owner,
    /// The directory failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Hub {
    /// Adds `account` to private `room` (`member`) or removes it, on behalf of `by`: the owner
    /// may add and remove anyone but themselves; any member may remove themselves. A removed
    /// account's live connections leave the room at once, on every node.
    pub async fn set_member(
        &self,
        by: &Identity,
        room: &RoomName,
        account: &AccountId,
        member: bool,
    ) -> Result<(), MembershipError> {
        let RoomAccess::Private(private) = self.accounts.room_access(room).await? else {
            return Err(MembershipError::Public);
        };
        let is_owner = private.owner.as_ref() == Some(&by.account);
        let leaving = !member && *account == by.account && private.admits(account);
        if !is_owner && !leaving {
            return Err(MembershipError::Forbidden);
        }
        if !member && private.owner.as_ref() == Some(account) {
            return Err(MembershipError::Owner);
        }
        self.accounts.set_member(room, account, member).await?;
        if !member {
            let notice = ServerMsg::Error(ErrorFrame {
                code: ErrorCode::Forbidden,
                detail: format!("you are no longer a member of #{room}"),
                room: Some(room.to_string()),
                client_id: None,
            });
            self.fanout
                .publish_event(EventFrame::removal(room, account.as_str(), &notice));
        }
        Ok(())
    }

    /// Creates `room` as a private room owned by `owner`; `Ok(Err(RoomExists))` if a room of
    /// that name exists.
    pub async fn create_private_room(
        &self,
        owner: &Identity,
        room: &RoomName,
    ) -> Result<Result<(), RoomExists>, StoreError> {
        let private = PrivateRoom {
            owner: Some(owner.account.clone()),
            members: [owner.account.clone()].into(),
            dm: false,
        };
        self.accounts.create_private_room(room, &private).await
    }

    /// The direct-message room of `a` and `b` (two accounts), created on first use. Its name
    /// is a digest of the two ids, so it is the same whoever opens it, and says nothing about
    /// who is in it.
    pub async fn open_dm(&self, a: &AccountId, b: &AccountId) -> Result<RoomName, AccessError> {
        let (first, second) = if a <= b { (a, b) } else { (b, a) };
        let digest = crate::auth::secret::digest(&format!("dm\n{first}\n{second}"));
        let name = format!("dm-{}", &digest[..DM_NAME_HEX]);
        let Ok(room) = RoomName::parse(&name) else {
            return Err(AccessError::Forbidden);
        };
        let private = PrivateRoom {
            owner: None,
            members: [a.clone(), b.clone()].into(),
            dm: true,
        };
        match self.accounts.create_private_room(&room, &private).await? {
            Ok(()) => Ok(room),
            // Opened before: it is theirs if it is the DM of exactly these two.
            Err(RoomExists) => match self.accounts.room_access(&room).await? {
                RoomAccess::Private(existing)
                    if existing.dm && existing.admits(a) && existing.admits(b) =>
                {
                    Ok(room)
                }
                _ => Err(AccessError::Forbidden),
            },
        }
    }
}

/// Hex digits of the digest in a direct message's room name (`dm-` and these): 96 bits.
const DM_NAME_HEX: usize = 24;
