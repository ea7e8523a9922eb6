//! Who is here and who is typing, per room.
//!
//! Presence is a sorted list: a snapshot (`presence`) replaces it, and each `user_joined` or
//! `user_left` edits it and, for someone else, leaves a notice after the newest message.
//! Beside it, the set of those present who are guests: the snapshot's `guests`, kept up to
//! date by each `user_joined`'s `guest` flag (over HTTP, which sends none, it stays empty). A
//! typing notice shows for [`TYPING_SHOWN_MS`] after the last one (never for this person), and
//! ends early when the typist's message arrives ([`super::room`]). Time is passed in.

use super::{ChatState, Notice, NoticeKind};
use chinwag_shared::{RoomName, Username};

/// Someone came into a room or left it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Movement {
    /// They came, as a guest (not signed in) or not.
    Arrived {
        /// Whether they are a guest.
        guest: bool,
    },
    /// They left.
    Left,
}

/// How long a "typing…" notice stays up without a fresh one, in milliseconds.
pub const TYPING_SHOWN_MS: f64 = 5_000.0;

impl ChatState {
    /// A snapshot of who is in `room`.
    pub(super) fn on_presence(
        &mut self,
        room: &RoomName,
        users: Vec<Username>,
        guests: Vec<Username>,
    ) {
        if let Some(view) = self.rooms.get_mut(room) {
            view.guests = guests
                .into_iter()
                .filter(|guest| users.contains(guest))
                .collect();
            view.presence = users;
        }
    }

    /// `username` came into `room` or left it.
    pub(super) fn on_presence_change(
        &mut self,
        room: &RoomName,
        username: Username,
        movement: Movement,
    ) {
        let seq = self.notice_seq;
        let me = self.me.clone();
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        match movement {
            Movement::Arrived { guest: true } => view.guests.insert(username.clone()),
            Movement::Arrived { guest: false } | Movement::Left => view.guests.remove(&username),
        };
        let arrived = matches!(movement, Movement::Arrived { .. });
        let known = view.presence.binary_search(&username);
        match (arrived, known) {
            (true, Err(at)) => view.presence.insert(at, username.clone()),
            (false, Ok(at)) => {
                view.presence.remove(at);
            }
            // Already listed (our own arrival after the snapshot) or already gone.
            _ => return,
        }
        if username != me {
            let verb = if arrived { "joined" } else { "left" };
            let after_id = view.newest_id();
            view.notices.push(Notice {
                after_id,
                seq,
                kind: NoticeKind::Presence,
                text: format!("{username} {verb}"),
            });
            self.notice_seq += 1;
        }
    }

    /// `username` is typing in `room`, as of `now`.
    pub(super) fn on_typing(&mut self, room: &RoomName, username: Username, now: f64) {
        if username != self.me
            && let Some(view) = self.rooms.get_mut(room)
        {
            view.typing.insert(username, now + TYPING_SHOWN_MS);
        }
    }

    /// Drops the typing notices that expired by `now`, touching only rooms that have one.
    pub(super) fn expire_typing(&mut self, now: f64) {
        let stale: Vec<RoomName> = self
            .rooms
            .iter()
            .filter(|(_, view)| view.typing.values().any(|&until| until <= now))
            .map(|(room, _)| room.clone())
            .collect();
        for room in stale {
            if let Some(view) = self.rooms.get_mut(&room) {
                view.typing.retain(|_, until| *until > now);
            }
        }
    }
}
