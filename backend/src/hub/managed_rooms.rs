//! Private rooms a backend manages through an API key with the `rooms` scope: it creates
//! them and sets their members, through the same directory writes and the same live notices
//! as an owner's acts ([`super::access`]), so members' lists and open connections follow at
//! once on every node.
//!
//! A room a key creates has no owner unless the key names an account to own it (then that
//! account is its owner and first member, and may manage it as any owner does); without
//! one, only keys set its members. A key never touches a direct message, and it cannot
//! remove a room's owner from it: ownership is a person's.

use super::{
    Hub,
    access::{CreateRoomError, MembershipError, forbidden, is_dm_name, is_inbox_name},
    scopes::require_key_scope,
};
use crate::{
    auth::ServiceKey,
    delivery::frame::EventFrame,
    store::accounts::{AccountId, PrivateRoom, RoomAccess, RoomExists},
};
use chinwag_shared::{RoomName, api_keys::ApiScope};
use std::net::IpAddr;

impl Hub {
    /// `by` (a key with `rooms`) creates `room` as a private room, owned by `owner` if
    /// given, asked from `address` (whose new-room budget it spends, as every room does).
    pub async fn create_room_for_backend(
        &self,
        by: &ServiceKey,
        room: &RoomName,
        owner: Option<&AccountId>,
        address: IpAddr,
    ) -> Result<(), CreateRoomError> {
        require_key_scope(by, ApiScope::Rooms)?;
        if is_dm_name(room) || is_inbox_name(room) {
            return Err(CreateRoomError::Reserved);
        }
        if self.known_rooms.contains(room) || self.store.has_room(room).await? {
            return Err(CreateRoomError::Exists(RoomExists));
        }
        self.spend_new_room(address)?;
        let private = PrivateRoom {
            owner: owner.cloned(),
            members: owner.into_iter().cloned().collect(),
            dm: false,
        };
        self.accounts
            .create_private_room(room, &private)
            .await?
            .map_err(CreateRoomError::Exists)?;
        self.close_to_outsiders(room);
        if let Some(owner) = owner {
            self.tell_rooms_changed(owner);
        }
        Ok(())
    }

    /// `by` (a key with `rooms`) adds `account` to private `room` (`member`) or removes it.
    /// A removed account's live connections leave the room at once, on every node.
    pub async fn set_member_for_backend(
        &self,
        by: &ServiceKey,
        room: &RoomName,
        account: &AccountId,
        member: bool,
    ) -> Result<(), MembershipError> {
        require_key_scope(by, ApiScope::Rooms)?;
        let RoomAccess::Private(private) = self.accounts.room_access(room).await? else {
            return Err(MembershipError::Public);
        };
        if private.dm {
            return Err(MembershipError::Forbidden);
        }
        if !member && private.owner.as_ref() == Some(account) {
            return Err(MembershipError::Owner);
        }
        self.accounts.set_member(room, account, member).await?;
        self.tell_rooms_changed(account);
        if !member {
            let notice = forbidden(room, format!("you are no longer a member of #{room}"));
            self.fanout
                .publish_event(EventFrame::removal(room, account.as_str(), &notice));
        }
        Ok(())
    }
}
