//! History and its epochs: `joined`, `history_reset`, and pages loaded over HTTP.
//!
//! Ids mean something only within one history epoch. Each room remembers the epoch its ids
//! belong to and resumes with it ([`RoomView::resume_join`](super::RoomView::resume_join)). When
//! the server says the history was replaced (`history_reset`), or a `joined` shows it without
//! saying so, the room forgets what it shows and leaves a notice; the outbox stays, and its
//! sends are stored afresh. A page of another epoch than the room's is dropped. Pages extend a
//! log backwards and say whether anything older may exist; their messages come in their
//! current state, and any change records among them are folded in ([`super::changes`]).

use super::{ChatState, HISTORY_RESET_NOTICE, Notice, NoticeKind};
use chinwag_shared::{ChatRecord, Epoch, RoomName};

/// Records per history page the client asks for.
pub const HISTORY_PAGE: usize = 50;

impl ChatState {
    /// The server joined `room`, whose newest id is `last_id` under `epoch` (empty from a
    /// server without epochs). A replay of what was missed came before it.
    pub(super) fn on_joined(&mut self, room: &RoomName, last_id: u64, epoch: Option<Epoch>) {
        let Some(view) = self.rooms.get(room) else {
            return;
        };
        if view.join_resets(last_id, epoch.as_ref()) {
            // Start over rather than show two different messages under one id. No replay
            // came, so the page before `last_id` is loaded over HTTP (`loaded` stays false).
            self.reset_room(room, epoch.clone());
        }
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        view.last_seen = Some(view.last_seen.unwrap_or(0).max(last_id));
        if epoch.is_some() {
            view.epoch = epoch;
        }
    }

    /// The server replaced `room`'s history; its replay from the start follows, so the new
    /// history arrives whole and there is nothing older to load.
    pub(super) fn on_history_reset(&mut self, room: &RoomName, epoch: Epoch) {
        if !self.rooms.contains_key(room) {
            return;
        }
        // An empty epoch is the HTTP transport's word for "the server named none".
        self.reset_room(room, Some(epoch).filter(|epoch| !epoch.is_empty()));
        if let Some(view) = self.rooms.get_mut(room) {
            view.last_seen = Some(0);
            view.loaded = true;
        }
    }

    /// Forgets what `room` shows of its old history and leaves a notice saying so. The outbox
    /// stays: its sends are re-sent and stored in the new history.
    fn reset_room(&mut self, room: &RoomName, epoch: Option<Epoch>) {
        let seq = self.notice_seq;
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        view.forget_history(epoch);
        view.notices.push(Notice {
            after_id: 0,
            seq,
            kind: NoticeKind::HistoryReset,
            text: HISTORY_RESET_NOTICE.to_owned(),
        });
        self.notice_seq += 1;
    }

    /// A page of `room`'s history arrived; one of another epoch than the room's is dropped.
    pub(super) fn on_history(
        &mut self,
        room: &RoomName,
        records: Vec<ChatRecord>,
        page_size: usize,
        epoch: Option<&Epoch>,
    ) {
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        if let (Some(page), Some(known)) = (epoch, view.epoch.as_ref())
            && !page.is_empty()
            && page != known
        {
            return;
        }
        // A page that comes before the room's first `joined` (the head start asks for it as
        // the app starts) names the epoch its ids belong to: a `joined` of another epoch then
        // resets the room instead of mixing two histories.
        if view.epoch.is_none() {
            view.epoch = epoch.filter(|page| !page.is_empty()).cloned();
        }
        // Not `records.len() < page_size`: the server may stop a page short at its byte
        // budget. Ids start at 1, so only an empty page or one that reaches 1 is the start.
        let _ = page_size;
        let reached_start = records.first().is_none_or(|r| r.id <= 1);
        let extends_back = records
            .first()
            .is_some_and(|first| view.oldest_id().is_none_or(|oldest| first.id < oldest));
        if extends_back || !view.loaded {
            view.has_older = !reached_start;
        }
        for record in records {
            view.note_id(record.id);
            // A page is read as it is: its counts are taken again below, not per record.
            if record.change.is_some() {
                view.land_change(record);
            } else {
                view.land_message(record);
            }
        }
        view.loaded = true;
        view.recount(&self.me);
    }
}
