//! Room access: the one rule every transport passes through.
//!
//! Public rooms (every room never created as private) admit everyone the server admits.
//! A private room admits its members, and a JWT identity whose `rooms` claim names it; no one
//! else may join, replay, page history, long-poll, poll, post, type or see presence there.
//! Sessions and HTTP handlers ask [`Hub::admit`] before each of those; a refusal is the
//! `forbidden` error frame or HTTP 403, and says nothing about the room's contents. The same
//! check refuses whoever is banned from the room or the site (`banned`): an account by its
//! id, a guest by its name and by its address (see [`super::rules`]).
//!
//! A backend's API key passes the same door with the scope its call needs
//! ([`require_scope`], the one place a key's scopes are judged): `read` to read and see
//! presence, `publish` to post, `moderate` to act, `rooms` to create private rooms and set
//! their members (see [`super::scopes`]). A key enters private rooms (a backend the operator trusts manages them), but
//! never a direct message or an inbox: those are people's own.
//!
//! A room known to exist and found public is public for good (a room with messages cannot be
//! made private), so it is cached and costs no store read again: the hot path of a busy
//! public room is unchanged. A private room's members are read from the directory at each
//! check, so a removal holds on every node at once; a member's live connections are told
//! through fan-out and leave the room (`session`).

use super::Hub;
use super::new_rooms::NewRoomRefusal;
use super::rules::{Rules, Visitor, now_ms};
pub use super::scopes::{MissingScope, require_scope};
use crate::{
    auth::{Identity, Principal},
    delivery::frame::EventFrame,
    delivery::{outbox::OutboxSender, rooms::SessionId},
    store::{
        StoreError,
        accounts::{AccountId, PrivateRoom, RoomAccess, RoomExists},
    },
};
use chinwag_shared::{
    ErrorCode, ErrorFrame, RoomName, ServerMsg, api_keys::ApiScope, moderation::SanctionKind,
};
use std::{net::IpAddr, sync::Arc};

/// Why access was refused.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The principal may not enter the room.
    #[error("this room is private, and you are not a member")]
    Forbidden,
    /// The visitor is banned here (or site-wide) until `until` (Unix ms; `None`: until
    /// lifted).
    #[error("you are banned from this room{}", until_text(*.until))]
    Banned {
        /// When the ban ends.
        until: Option<u64>,
    },
    /// An API key without the scope the call needs.
    #[error(transparent)]
    Scope(#[from] MissingScope),
    /// The directory could not be read; nothing is decided.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// " for another {time}" for a sanction that ends, nothing for one until lifted.
pub(crate) fn until_text(until: Option<u64>) -> String {
    until.map_or_else(String::new, |until| {
        let left = until.saturating_sub(now_ms()).div_ceil(1000);
        format!(" for another {}", how_long(left))
    })
}

/// `seconds` as a person would say it, rounded up in its largest unit: "45 s", "2 min",
/// "3 h", "1 day", "2 days".
fn how_long(seconds: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    match seconds {
        0..MINUTE => format!("{seconds} s"),
        MINUTE..HOUR => format!("{} min", seconds.div_ceil(MINUTE)),
        HOUR..DAY => format!("{} h", seconds.div_ceil(HOUR)),
        _ if seconds <= DAY => "1 day".to_owned(),
        _ => format!("{} days", seconds.div_ceil(DAY)),
    }
}

#[cfg(test)]
mod tests {
    use super::how_long;

    #[test]
    fn lengths_of_time_read_as_a_person_says_them() {
        assert_eq!(how_long(0), "0 s");
        assert_eq!(how_long(59), "59 s");
        assert_eq!(how_long(60), "1 min");
        assert_eq!(how_long(3_599), "60 min");
        assert_eq!(how_long(3_600), "1 h");
        assert_eq!(how_long(86_400), "1 day");
        assert_eq!(how_long(90_000), "2 days");
    }
}

/// What the hub judged when it let a visitor in: the room's access and the rules in force.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Who may enter.
    pub access: RoomAccess,
    /// Roles, slow mode, sanctions.
    pub rules: Arc<Rules>,
}

impl Hub {
    /// Lets `visitor` into `room`, or says why not.
    pub async fn admit(&self, visitor: &Visitor<'_>, room: &RoomName) -> Result<(), AccessError> {
        self.enter(visitor, room).await.map(|_entry| ())
    }

    /// [`Hub::admit`], answering with the access it judged by, for a caller that needs the
    /// room's members too: one directory read, not two.
    pub async fn admit_to(
        &self,
        visitor: &Visitor<'_>,
        room: &RoomName,
    ) -> Result<RoomAccess, AccessError> {
        self.enter(visitor, room).await.map(|entry| entry.access)
    }

    /// [`Hub::admit`], answering with everything it judged by.
    pub async fn enter(
        &self,
        visitor: &Visitor<'_>,
        room: &RoomName,
    ) -> Result<Entry, AccessError> {
        self.enter_for(visitor, room, ApiScope::Read).await
    }

    /// [`Hub::enter`] for a call an API key makes with `scope` (reading is `read`).
    pub async fn enter_for(
        &self,
        visitor: &Visitor<'_>,
        room: &RoomName,
        scope: ApiScope,
    ) -> Result<Entry, AccessError> {
        let principal = visitor.principal;
        require_scope(principal, scope)?;
        let access = self.room_access(room).await?;
        let admitted = match (&access, principal) {
            // Direct messages' names are kept for them (nobody may squat one as a public room
            // before its two members open it), and inboxes' for their accounts.
            (RoomAccess::Public, _) => !is_dm_name(room) && !is_inbox_name(room),
            (RoomAccess::Private(private), Principal::Service(_)) => !private.dm,
            (RoomAccess::Private(private), _) => principal.identity().is_some_and(|identity| {
                private.admits(&identity.account) || identity.grants.contains(room)
            }),
        };
        if !admitted {
            return Err(AccessError::Forbidden);
        }
        let rules = self.rules.room(room, &access).await?;
        if let Some(ban) = rules.sanction(visitor, SanctionKind::Ban, now_ms()) {
            return Err(AccessError::Banned { until: ban.until });
        }
        Ok(Entry { access, rules })
    }

    /// Whether `visitor` is banned from public `room` now, by the cached rules: a cheap check
    /// a connection repeats at each heartbeat, so a ban imposed through another node while
    /// this one's rules were cached still ends its stay within a heartbeat. Private rooms
    /// answer `false` here: their check reads the directory, so it is made at each join.
    pub async fn banned_now(
        &self,
        visitor: &Visitor<'_>,
        room: &RoomName,
    ) -> Result<bool, StoreError> {
        if !self.public_rooms.contains(room) {
            return Ok(false);
        }
        let rules = self.rules.room(room, &RoomAccess::Public).await?;
        Ok(rules
            .sanction(visitor, SanctionKind::Ban, now_ms())
            .is_some())
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
    /// An API key without the `rooms` scope.
    #[error(transparent)]
    Scope(#[from] MissingScope),
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
        self.tell_rooms_changed(account);
        if !member {
            let notice = forbidden(room, format!("you are no longer a member of #{room}"));
            self.fanout
                .publish_event(EventFrame::removal(room, account.as_str(), &notice));
        }
        Ok(())
    }

    /// Creates `room` as a private room owned by `owner`, asked from `address`; refused if a
    /// room of that name exists, or over the address's new-room budget (the same budget
    /// public rooms' first messages spend, so private rooms cannot be made without bound).
    pub async fn create_private_room(
        &self,
        owner: &Identity,
        room: &RoomName,
        address: IpAddr,
    ) -> Result<(), CreateRoomError> {
        if is_dm_name(room) || is_inbox_name(room) {
            return Err(CreateRoomError::Reserved);
        }
        if self.known_rooms.contains(room) || self.store.has_room(room).await? {
            return Err(CreateRoomError::Exists(RoomExists));
        }
        self.spend_new_room(address)?;
        let private = PrivateRoom {
            owner: Some(owner.account.clone()),
            members: [owner.account.clone()].into(),
            dm: false,
        };
        self.accounts
            .create_private_room(room, &private)
            .await?
            .map_err(CreateRoomError::Exists)?;
        self.close_to_outsiders(room);
        self.tell_rooms_changed(&owner.account);
        Ok(())
    }

    /// Registers a signed-in session in its account's inbox, so notices for the person reach
    /// it; the inbox, or `None` if none could be named. The session leaves it when it ends.
    pub fn join_inbox(
        &self,
        account: &AccountId,
        session: SessionId,
        outbox: OutboxSender,
    ) -> Option<RoomName> {
        let room = inbox(account)?;
        // No name, so no presence: nobody else is ever in an inbox.
        self.rooms
            .join(&room, session, outbox, None, None, false)
            .ok()?;
        Some(room)
    }

    /// Tells `account`'s connections, on every node, that its private rooms or DMs changed.
    pub(super) fn tell_rooms_changed(&self, account: &AccountId) {
        if let Some(room) = inbox(account) {
            self.fanout
                .publish_event(EventFrame::new(&room, &ServerMsg::RoomsChanged));
        }
    }

    /// Tells every connection already in `room` (joining a name creates nothing, so anyone
    /// may have been waiting in it) that it is private now: each asks for access again, and
    /// those refused leave, on every node.
    pub(super) fn close_to_outsiders(&self, room: &RoomName) {
        let notice = forbidden(
            room,
            format!("#{room} is private now, and you are not a member"),
        );
        self.fanout
            .publish_event(EventFrame::closing(room, &notice));
    }

    /// The direct-message room of `a` and `b` (two accounts), created on first use. Its name
    /// is a digest of the two ids, so it is the same whoever opens it, and says nothing about
    /// who is in it.
    pub async fn open_dm(
        &self,
        a: &AccountId,
        b: &AccountId,
        address: IpAddr,
    ) -> Result<RoomName, CreateRoomError> {
        let (first, second) = if a <= b { (a, b) } else { (b, a) };
        let digest = crate::auth::secret::digest(&format!("dm\n{first}\n{second}"));
        let name = format!("{DM_PREFIX}{}", &digest[..DM_NAME_HEX]);
        let Ok(room) = RoomName::parse(&name) else {
            return Err(CreateRoomError::Exists(RoomExists));
        };
        if !self.store.has_room(&room).await? {
            self.spend_new_room(address)?;
        }
        let private = PrivateRoom {
            owner: None,
            members: [a.clone(), b.clone()].into(),
            dm: true,
        };
        match self.accounts.create_private_room(&room, &private).await? {
            Ok(()) => {
                self.close_to_outsiders(&room);
                self.tell_rooms_changed(a);
                self.tell_rooms_changed(b);
                Ok(room)
            }
            // Opened before: it is theirs (its name is theirs alone, and `dm-` rooms are
            // never public); one who left it is let back in.
            Err(RoomExists) => match self.accounts.room_access(&room).await? {
                RoomAccess::Private(existing) if existing.dm => {
                    for member in [a, b] {
                        if !existing.admits(member) {
                            self.accounts.set_member(&room, member, true).await?;
                            self.tell_rooms_changed(member);
                        }
                    }
                    Ok(room)
                }
                _ => Err(CreateRoomError::Exists(RoomExists)),
            },
        }
    }
}

/// Why a private room or direct message was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateRoomError {
    /// A room of that name exists.
    #[error(transparent)]
    Exists(RoomExists),
    /// The name is kept for direct messages (`dm-…`) or accounts' inboxes (`inbox-…`).
    #[error(
        "room names starting with {DM_PREFIX} or {INBOX_PREFIX} are kept for direct messages \
         and accounts' notices"
    )]
    Reserved,
    /// The address created as many rooms as it may for now.
    #[error(transparent)]
    TooMany(#[from] NewRoomRefusal),
    /// An API key without the `rooms` scope.
    #[error(transparent)]
    Scope(#[from] MissingScope),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The `forbidden` error frame a connection sends as it leaves `room`.
pub(super) fn forbidden(room: &RoomName, detail: String) -> ServerMsg {
    ServerMsg::Error(ErrorFrame {
        code: ErrorCode::Forbidden,
        detail,
        room: Some(room.to_string()),
        client_id: None,
        retry_after_ms: None,
    })
}

/// The prefix of every account's inbox: a room no one can join, where the account's own
/// connections (and no one else's) receive notices meant for the person, on every node.
const INBOX_PREFIX: &str = "inbox-";

/// Whether `room` is in the names kept for inboxes.
pub(crate) fn is_inbox_name(room: &RoomName) -> bool {
    room.as_str().starts_with(INBOX_PREFIX)
}

/// The inbox of `account`: a digest of its id, so it names nobody.
pub fn inbox(account: &AccountId) -> Option<RoomName> {
    let digest = crate::auth::secret::digest(&format!("inbox\n{account}"));
    RoomName::parse(&format!("{INBOX_PREFIX}{}", &digest[..32])).ok()
}

/// The prefix of every direct message's room name.
const DM_PREFIX: &str = "dm-";

/// Whether `room` is in the names kept for direct messages.
pub(super) fn is_dm_name(room: &RoomName) -> bool {
    room.as_str().starts_with(DM_PREFIX)
}

/// Hex digits of the digest in a direct message's room name (`dm-` and these): 96 bits.
const DM_NAME_HEX: usize = 24;
