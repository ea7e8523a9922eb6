//! Who is here and who is typing, per room.
//!
//! Presence is a sorted list: a snapshot (`presence`) replaces it, and each `user_joined` or
//! `user_left` edits it and, for someone else, leaves a notice after the newest message.
//! Beside it, the set of those present who are guests: the snapshot's `guests`, kept up to
//! date by each `user_joined`'s `guest` flag (over HTTP, which sends none, it stays empty). A
//! typing notice shows for [`TYPING_SHOWN_MS`] after the last one (never for this person), and
//! ends early when the typist's message arrives ([`super::room`]). Time is passed in.
//!
//! A big room (more people than the server lists at once) says how many are here, and its
//! snapshot is only the first page: further pages come over HTTP ("show more") and are
//! merged in. Its changes come as diffs, one per moment; an arrival is listed only if it
//! falls within the names already fetched (the next page brings the rest), and the count is
//! the diff's.

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

/// Names per page of a big room's list the client asks for ("show more").
pub const PRESENCE_PAGE: usize = 100;

fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// How long a "typing…" notice stays up without a fresh one, in milliseconds.
pub const TYPING_SHOWN_MS: f64 = 5_000.0;

impl ChatState {
    /// A snapshot of who is in `room`; in a big room, its first page and `count`.
    pub(super) fn on_presence(
        &mut self,
        room: &RoomName,
        users: Vec<Username>,
        guests: Vec<Username>,
        count: Option<u64>,
    ) {
        if let Some(view) = self.rooms.get_mut(room) {
            view.guests = guests
                .into_iter()
                .filter(|guest| users.contains(guest))
                .collect();
            view.presence_more = count.is_some_and(|count| count > len_u64(users.len()));
            view.presence_count = count;
            view.presence = users;
        }
    }

    /// The next page of a big room's list: merged in, each name once.
    pub(super) fn on_presence_page(
        &mut self,
        room: &RoomName,
        names: Vec<Username>,
        page_size: usize,
    ) {
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        view.presence_more = names.len() >= page_size;
        for name in names {
            if let Err(at) = view.presence.binary_search(&name) {
                view.presence.insert(at, name);
            }
        }
    }

    /// A big room's arrivals and departures since the last diff, and its count now.
    pub(super) fn on_presence_diff(
        &mut self,
        room: &RoomName,
        arrived: Vec<Username>,
        guests: &[Username],
        departed: &[Username],
        count: u64,
    ) {
        let seq = self.notice_seq;
        let me = self.me.clone();
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        for name in departed {
            if let Ok(at) = view.presence.binary_search(name) {
                view.presence.remove(at);
            }
            view.guests.remove(name);
        }
        let others_came = arrived.iter().filter(|name| **name != me).count();
        let others_went = departed.iter().filter(|name| **name != me).count();
        for name in arrived {
            // Past the last name fetched, the next page lists it.
            let within =
                !view.presence_more || view.presence.last().is_some_and(|last| name < *last);
            if guests.contains(&name) {
                view.guests.insert(name.clone());
            }
            if within && let Err(at) = view.presence.binary_search(&name) {
                view.presence.insert(at, name);
            }
        }
        view.presence_count = Some(count);
        let text = match (others_came, others_went) {
            (0, 0) => return,
            (came, 0) => format!("{came} joined"),
            (0, went) => format!("{went} left"),
            (came, went) => format!("{came} joined, {went} left"),
        };
        let after_id = view.newest_id();
        view.notices.push(Notice {
            after_id,
            seq,
            kind: NoticeKind::Presence,
            text,
        });
        self.notice_seq += 1;
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
        if let Some(count) = &mut view.presence_count {
            *count = if arrived {
                count.saturating_add(1)
            } else {
                count.saturating_sub(1)
            };
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
