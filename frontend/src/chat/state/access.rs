//! Who may be where: the private rooms and direct messages this account is a member of, and
//! what happens when the server says this person may not (or may no longer) be in a room.
//!
//! The memberships come from `GET /api/me/rooms` (replaced whole each time) and from the
//! answers of creating a room or opening a direct message (added one by one). They decide how
//! the sidebar shows a room ([`RoomKind`]): a lock for a private room, the other person's name
//! for a direct message.
//!
//! A `forbidden` error frame naming a room (joining a private room this person is not a
//! member of, or being removed from one), and a `left` frame, take the room off the screen:
//! its log, its unconfirmed sends (which could never be stored now) and its membership go,
//! and if it was on screen, [`ChatState::room_after_removing`] is shown instead. The
//! controller joins that room if it was not joined, using the same rule. A `left` that
//! follows a ban or kick is the exception: that room stays, barred ([`super::standing`]).

use super::{ChatState, Unread};
use crate::sorted;
use chinwag_shared::{ErrorCode, ErrorFrame, RoomName, Username, account::RoomInfo};

/// How the sidebar shows a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomKind {
    /// Anyone may join.
    Public,
    /// Members only.
    Private,
    /// A conversation between this account and `with`.
    Direct {
        /// The other person.
        with: Username,
    },
}

/// Why a room was taken off the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Removal {
    /// The server refused this person the room.
    Forbidden,
    /// The server said this person left it.
    Left,
}

impl ChatState {
    /// How `room` shows in the sidebar.
    pub fn kind_of(&self, room: &RoomName) -> RoomKind {
        match self.memberships.get(room) {
            Some(RoomInfo {
                dm_with: Some(with),
                ..
            }) => RoomKind::Direct { with: with.clone() },
            Some(info) if info.private => RoomKind::Private,
            _ => RoomKind::Public,
        }
    }

    /// How `room` is named to people: "#general", or "@bob" for a direct message with bob.
    pub fn room_label(&self, room: &RoomName) -> String {
        match self.kind_of(room) {
            RoomKind::Direct { with } => format!("@{with}"),
            RoomKind::Public | RoomKind::Private => format!("#{room}"),
        }
    }

    /// The direct messages, as (room, the other person), ordered by the other person's name.
    pub fn direct_messages(&self) -> Vec<(RoomName, Username)> {
        let mut dms: Vec<(RoomName, Username)> = self
            .memberships
            .iter()
            .filter_map(|(room, info)| Some((room.clone(), info.dm_with.clone()?)))
            .collect();
        sorted::sort_by(&mut dms, |a, b| a.1.cmp(&b.1));
        dms
    }

    /// The private rooms this account is a member of (not direct messages), by name.
    pub fn private_rooms(&self) -> impl Iterator<Item = &RoomName> {
        self.memberships
            .iter()
            .filter(|(_, info)| info.private && info.dm_with.is_none())
            .map(|(room, _)| room)
    }

    /// The room to show once `room` is taken away: unchanged unless `room` is on screen;
    /// then the default room, or if `room` is the default room, the first other joined room.
    pub fn room_after_removing(&self, room: &RoomName) -> RoomName {
        if self.current != *room {
            return self.current.clone();
        }
        let default = RoomName::default_room();
        if default != *room {
            return default;
        }
        self.rooms
            .keys()
            .find(|other| *other != room)
            .cloned()
            .unwrap_or(default)
    }

    /// The server's list of this account's private rooms and direct messages, with the
    /// unread counts of each.
    pub(super) fn on_my_rooms(&mut self, rooms: Vec<RoomInfo>) {
        let counted = rooms
            .iter()
            .filter_map(|info| {
                let unread = Unread::new(info.unread?, info.mentions.unwrap_or(0));
                Some((info.room.clone(), unread))
            })
            .collect();
        self.on_listed_unread(counted);
        self.memberships = rooms
            .into_iter()
            .map(|info| (info.room.clone(), info))
            .collect();
    }

    /// A private room was created or a direct message opened.
    pub(super) fn on_room_added(&mut self, info: RoomInfo) {
        self.memberships.insert(info.room.clone(), info);
    }

    /// A `left` frame. A room a ban or kick just barred stays on screen, saying so.
    pub(super) fn on_left(&mut self, room: &RoomName) {
        if !self.keeps_after_leaving(room) {
            self.remove_room(room, Removal::Left);
        }
    }

    /// An error frame about no message of this client's: a refused room goes; anything else
    /// is shown in the banner, in words.
    pub(super) fn on_room_error(&mut self, error: ErrorFrame) {
        let room = error
            .room
            .as_deref()
            .and_then(|room| RoomName::parse(room).ok());
        match (error.code, room) {
            (ErrorCode::Forbidden, Some(room)) => self.remove_room(&room, Removal::Forbidden),
            (code @ (ErrorCode::Banned | ErrorCode::Kicked | ErrorCode::Muted), Some(room))
                if self.on_sanction(code, &room, &error.detail) => {}
            (code, _) => self.banner = Some(describe(code, error.detail)),
        }
    }

    fn remove_room(&mut self, room: &RoomName, why: Removal) {
        if why == Removal::Forbidden {
            let whose = match self.kind_of(room) {
                RoomKind::Direct { with } => format!("your conversation with {with}"),
                RoomKind::Public | RoomKind::Private => format!("#{room}"),
            };
            self.banner = Some(format!("You are not a member of {whose}."));
        }
        if !self.rooms.contains_key(room) {
            return;
        }
        let next = self.room_after_removing(room);
        self.rooms.remove(room);
        self.outbox.retain(|pending| pending.room != *room);
        self.memberships.remove(room);
        if self.current == *room {
            self.rooms
                .get_or_insert_with(next.clone(), Default::default)
                .unread = 0;
            self.current = next;
        }
    }
}

/// The banner's words for an error frame that concerns no message of this client's.
fn describe(code: ErrorCode, detail: String) -> String {
    match code {
        ErrorCode::UsernameTaken => {
            "Someone else is using that name here, or it belongs to an account. \
             Choose another name, or sign in."
                .to_owned()
        }
        ErrorCode::UsernameMismatch => {
            "A signed-in connection can speak only as its own account.".to_owned()
        }
        _ => detail,
    }
}
