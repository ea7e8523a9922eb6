//! One joined room as this client knows it: its log, where a reconnect resumes it, who is
//! here and typing, its notices and unread count, and how a live record lands in it.
//!
//! The log is a map keyed by id, so a record that arrives twice (a replay overlapping live
//! delivery, a retry's answer) lands on the same key; it is a [`super::SharedMap`], so a
//! reducer action copies only the logs it changes. Paging and epochs, which
//! decide when a log is forgotten, are in [`super::history`].

use super::{ChatState, SharedList, SharedMap, changes::counts, standing::Standing};
use crate::sorted::{SortedMap, SortedSet};
use chinwag_shared::{ChatRecord, ClientMsg, Epoch, RoomName, Username};
use std::rc::Rc;

/// The text of the notice a history reset leaves in its room.
pub const HISTORY_RESET_NOTICE: &str = "The server's history for this room was reset.";

/// A line such as "bob joined", placed after the message that was newest when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Shown after the message with this id (0: before all).
    pub after_id: u64,
    /// Arrival order among notices.
    pub seq: u64,
    /// What happened.
    pub kind: NoticeKind,
    /// The text.
    pub text: String,
}

/// What a [`Notice`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Someone came or went.
    Presence,
    /// The server replaced the room's history; what was shown before is gone.
    HistoryReset,
}
/// One joined room, as this client knows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoomView {
    /// Stored messages by id.
    pub messages: SharedMap<u64, Rc<ChatRecord>>,
    /// The newest id received: where a reconnect resumes. `None` until the first join.
    pub last_seen: Option<u64>,
    /// The history epoch `last_seen` belongs to, from the last `joined` or `history_reset`, or
    /// from the first page if it came before either; `None` until then, and from servers that
    /// predate epochs.
    pub epoch: Option<Epoch>,
    /// Whether the newest history page has been loaded.
    pub loaded: bool,
    /// Whether older messages than the oldest shown may exist.
    pub has_older: bool,
    /// Who is here.
    pub presence: Vec<Username>,
    /// In a big room, how many are here: `presence` is then only the pages fetched so far
    /// (the first came with the snapshot). `None`: `presence` is everyone.
    pub presence_count: Option<u64>,
    /// Whether the server has more names after the last of `presence` (a big room whose
    /// list was not paged to the end).
    pub presence_more: bool,
    /// Those of `presence` who are guests (not signed in), as the server said.
    pub guests: SortedSet<Username>,
    /// Who is typing, with when their notice expires (ms since the epoch).
    pub typing: SortedMap<Username, f64>,
    /// Join and leave lines.
    pub notices: SharedList<Notice>,
    /// Messages from others not yet seen in this room.
    pub unread: u32,
    /// Of `unread`, how many mention this person.
    pub mentions: u32,
    /// The newest id this person has read here, if known (see [`super::read`]).
    pub read: Option<u64>,
    /// The smallest id of any record received, a message or a change: the next older page
    /// ends before it. `None` until one arrives.
    pub floor: Option<u64>,
    /// Change records whose message is not here yet, one per target (see [`super::changes`]).
    pub(super) orphans: SharedMap<u64, Rc<ChatRecord>>,
    /// This person's role, sanctions and slow-mode wait here.
    pub standing: Standing,
}

impl RoomView {
    /// The smallest id received (a message, or a change a page began with), for "load older".
    pub fn oldest_id(&self) -> Option<u64> {
        let first_message = self.messages.first_key_value().map(|(id, _)| *id);
        match (self.floor, first_message) {
            (Some(floor), Some(first)) => Some(floor.min(first)),
            (floor, first) => floor.or(first),
        }
    }

    /// Notes that a record with `id` arrived: where a reconnect resumes, and where paging
    /// back goes on.
    pub(super) fn note_id(&mut self, id: u64) {
        self.last_seen = Some(self.last_seen.unwrap_or(0).max(id));
        self.floor = Some(self.floor.map_or(id, |floor| floor.min(id)));
    }

    pub(super) fn newest_id(&self) -> u64 {
        self.messages.last_key_value().map_or(0, |(id, _)| *id)
    }

    /// The `join` that picks this room up again after a reconnect: from the newest id seen,
    /// under the epoch that id belongs to.
    pub fn resume_join(&self, room: &RoomName) -> ClientMsg {
        ClientMsg::Join {
            room: room.to_string(),
            after: self.last_seen,
            username: None,
            token: None,
            epoch: self.last_seen.and(self.epoch.clone()),
        }
    }

    /// Whether a `joined` saying `last_id` under `epoch` shows that the server's history is not
    /// the one shown here, though no `history_reset` said so ([`history_replaced`]).
    pub fn join_resets(&self, last_id: u64, epoch: Option<&Epoch>) -> bool {
        history_replaced(self.last_seen, self.epoch.as_ref(), last_id, epoch)
    }

    /// Forgets the shown history (messages, notices, unread, paging) for a new `epoch`,
    /// keeping presence and typing, which are not history.
    pub(super) fn forget_history(&mut self, epoch: Option<Epoch>) {
        self.messages = SharedMap::default();
        self.orphans = SharedMap::default();
        self.floor = None;
        self.notices = SharedList::default();
        self.unread = 0;
        self.mentions = 0;
        // Ids of the old history mean nothing in the new one.
        self.read = None;
        self.last_seen = None;
        self.loaded = false;
        self.has_older = false;
        self.epoch = epoch;
    }
}

/// Whether a `joined` saying `last_id` under `epoch` shows that a history seen up to `seen`
/// under `seen_epoch` is no longer the server's. With both epochs known, they decide: another
/// epoch is another history, and within one epoch ids are never reused, so a `joined` older
/// than what was seen (a page read after the join, say) is not a reset. Without them, a log
/// now shorter than what was seen is the only sign (a server that predates epochs).
pub fn history_replaced(
    seen: Option<u64>,
    seen_epoch: Option<&Epoch>,
    last_id: u64,
    epoch: Option<&Epoch>,
) -> bool {
    match (seen_epoch, epoch) {
        (Some(seen_epoch), Some(epoch)) => seen_epoch != epoch,
        _ => seen.is_some_and(|seen| last_id < seen),
    }
}

impl ChatState {
    /// A live or replayed record: a message is listed once under its id, resolving its own
    /// pending send, and counted unread if someone else wrote it where this person is not
    /// looking; a change record is folded into its message ([`super::changes`]). Either
    /// moves the room's resume point.
    pub(super) fn on_chat(&mut self, record: ChatRecord, now: f64) {
        let before = self.outbox.len();
        self.confirm_sent(&record);
        let room = record.room.clone();
        if self.outbox.len() < before {
            self.start_slow_mode_wait(&room, now);
        }
        if let Some(summary) = self.directory.iter_mut().find(|s| s.room == room) {
            summary.last_id = summary.last_id.max(record.id);
        }
        let looking = self.is_looking_at(&room);
        let me = self.me.clone();
        let Some(view) = self.rooms.get_mut(&room) else {
            return;
        };
        view.note_id(record.id);
        if record.change.is_some() {
            return self.on_change(&room, record);
        }
        view.typing.remove(&record.username);
        let read = view.read.unwrap_or(0);
        let (counted, mention) = counts(&record, &me, read);
        // The room on screen in a hidden tab counts too: the tab's title shows it.
        if view.land_message(record) && counted && !looking {
            view.unread += 1;
            view.mentions += u32::from(mention);
        }
    }
}
