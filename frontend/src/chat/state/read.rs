//! Read state: how far this person has read each room, and what waits unread.
//!
//! Each room keeps a read marker (`RoomView::read`): the newest id seen while the room was
//! on screen in a visible tab, moved here on every action ([`ChatState::mark_current_read`]),
//! and by the server (a signed-in account's marker in the room's settings, and `read_marker`
//! frames when another device of the account read further). A marker only moves forward.
//! The controller sends the marker to the server (debounced); the reducer only keeps it.
//!
//! The unread and mention counts of a room not on screen start from the server's (the room
//! lists carry them for a signed-in caller) and go up with each new message from someone
//! else; a moved marker counts again what the loaded log holds after it. When the log does
//! not reach back to the marker, the count can only be kept (or raised to what is loaded).

use super::{ChatState, RoomView, changes::counts};
use chinwag_shared::{RoomName, RoomSummary, UNREAD_COUNT_CAP, Username};

/// Unread messages and mentions of one room, as a room list gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Unread {
    /// Messages from others after the read marker.
    pub messages: u32,
    /// Of those, how many mention this person.
    pub mentions: u32,
}

impl Unread {
    /// The counts a room list carries for `summary`, if it carries any (signed in only).
    pub fn of_summary(summary: &RoomSummary) -> Option<Self> {
        Some(Self::new(summary.unread?, summary.mentions.unwrap_or(0)))
    }

    /// Counts as the server sends them (u64, capped at [`UNREAD_COUNT_CAP`]).
    pub fn new(messages: u64, mentions: u64) -> Self {
        let narrow = |n: u64| u32::try_from(n.min(UNREAD_COUNT_CAP)).unwrap_or(u32::MAX);
        Self {
            messages: narrow(messages),
            mentions: narrow(mentions),
        }
    }
}

impl RoomView {
    /// What the loaded log holds unread after marker `read`, and whether that is all of it:
    /// the log reaches back to the marker, or nothing newer than it was received.
    fn count_after(&self, read: u64, me: &Username) -> (Unread, bool) {
        let mut found = Unread::default();
        for (_, record) in self.messages.iter_from(&read.saturating_add(1)) {
            let (counted, mention) = counts(record, me, read);
            found.messages += u32::from(counted);
            found.mentions += u32::from(mention);
        }
        let complete = self.last_seen.is_none_or(|newest| newest <= read)
            || self
                .floor
                .is_some_and(|floor| floor <= read.saturating_add(1))
            || (self.loaded && !self.has_older);
        (found, complete)
    }

    /// Counts again from the marker, if there is one.
    pub(super) fn recount(&mut self, me: &Username) {
        let Some(read) = self.read else {
            return;
        };
        let (found, complete) = self.count_after(read, me);
        if complete {
            self.unread = found.messages;
            self.mentions = found.mentions;
        } else {
            self.unread = self.unread.max(found.messages);
            self.mentions = self.mentions.max(found.mentions);
        }
    }

    /// Moves the marker forward to `id` (never back).
    fn advance_read(&mut self, id: u64) -> bool {
        if self.read.is_some_and(|read| read >= id) {
            return false;
        }
        self.read = Some(id);
        true
    }

    /// The newest id this client has of the room: a message or a change.
    pub fn newest_seen(&self) -> u64 {
        self.last_seen.unwrap_or(0).max(self.newest_id())
    }
}

impl ChatState {
    /// Whether this person sees `room` now: on screen in a visible tab.
    pub fn is_looking_at(&self, room: &RoomName) -> bool {
        *room == self.current && !self.page_hidden
    }

    /// The room on screen in a visible tab is read up to its newest record.
    pub(super) fn mark_current_read(&mut self) {
        if self.page_hidden {
            return;
        }
        let Some(view) = self.rooms.get_mut(&self.current) else {
            return;
        };
        if view.standing.barred.is_some() {
            return;
        }
        let newest = view.newest_seen();
        if newest > 0 {
            view.advance_read(newest);
        }
        view.unread = 0;
        view.mentions = 0;
    }

    /// The server says this account has read `room` up to `id` (its settings, another device).
    pub(super) fn on_read_marker(&mut self, room: &RoomName, id: u64) {
        let me = self.me.clone();
        if let Some(view) = self.rooms.get_mut(room)
            && view.advance_read(id)
        {
            view.recount(&me);
        }
    }

    /// The counts a room list gave: kept for rooms not joined, and the starting point of a
    /// joined room not on screen.
    pub(super) fn on_listed_unread(&mut self, listed: Vec<(RoomName, Unread)>) {
        let me = self.me.clone();
        for (room, unread) in listed {
            let looking = self.is_looking_at(&room);
            if let Some(view) = self.rooms.get_mut(&room)
                && !looking
            {
                view.unread = unread.messages;
                view.mentions = unread.mentions;
                view.recount(&me);
            }
            self.listed_unread.insert(room, unread);
        }
    }

    /// What the sidebar shows for `room`: the joined room's live counts, or the list's.
    pub fn unread_of(&self, room: &RoomName) -> Unread {
        match self.rooms.get(room) {
            Some(view) => Unread {
                messages: view.unread,
                mentions: view.mentions,
            },
            None => self.listed_unread.get(room).copied().unwrap_or_default(),
        }
    }
}
