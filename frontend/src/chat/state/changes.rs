//! Edits and deletions: change records folded into the messages they target.
//!
//! A change record (`ChatRecord::change`) is never listed as a message. It is folded into
//! its target with the shared rule, [`ChatRecord::apply`], which is idempotent and ignores
//! an older edit or anything after a deletion. Messages arrive in their current state (a
//! replay or a history page) as well as live, so the same message may come at different
//! stages; the log keeps whichever has come furthest ([`progress`]). A change whose target
//! is not here yet (a message older than the loaded pages, or a page still on its way) waits
//! in the room's `orphans`, at most [`ORPHANS_KEPT`] of them, and is folded in when the
//! message lands. Invariant: whatever order a message and its changes arrive in, and however
//! often, the log ends showing the message as of its latest change.

use super::{ChatState, RoomView};
use chinwag_shared::{Applied, Change, ChatRecord, RoomName, Username, mentions};
use std::rc::Rc;

/// Change records about messages not (yet) in a room's log, kept per room. Beyond this the
/// one about the oldest message goes: a page that brings it back shows its current state.
pub const ORPHANS_KEPT: usize = 256;

/// How far a message's state has come: a deletion is final, and otherwise the later edit
/// wins. Two versions of one message compare by this.
pub(super) fn progress(record: &ChatRecord) -> (bool, u64) {
    (record.deleted.is_some(), record.edited.unwrap_or(0))
}

/// How far a change record takes its message, on the same scale as [`progress`].
fn reach(change: &ChatRecord) -> (bool, u64) {
    (
        matches!(change.change, Some(Change::Delete { .. })),
        change.id,
    )
}

/// Whether a message counts toward a room's unread and mention counts: someone else's,
/// not deleted, and after the read marker. The second value says whether it mentions `me`.
pub(super) fn counts(record: &ChatRecord, me: &Username, read: u64) -> (bool, bool) {
    let counted = record.is_live_message() && record.username != *me && record.id > read;
    (counted, counted && mentions(&record.message, me))
}

impl RoomView {
    /// Lists message `record` (folding in a change that waited for it), unless the log
    /// already holds it at the same stage or further. Whether it was not listed before.
    pub(super) fn land_message(&mut self, mut record: ChatRecord) -> bool {
        if let Some(change) = self.orphans.remove(&record.id) {
            record.apply(&change);
        }
        match self.messages.get(&record.id) {
            Some(known) if progress(known) >= progress(&record) => false,
            Some(_) => {
                self.messages.insert(record.id, Rc::new(record));
                false
            }
            None => {
                self.messages.insert(record.id, Rc::new(record));
                true
            }
        }
    }

    /// Folds change record `change` into its target, or keeps it until the target lands.
    /// The target's state before and after, if it is here and changed.
    pub(super) fn land_change(&mut self, change: ChatRecord) -> Option<(ChatRecord, ChatRecord)> {
        let target = change.change.as_ref()?.target();
        let Some(message) = self.messages.get_mut(&target) else {
            self.keep_orphan(target, change);
            return None;
        };
        let before = (**message).clone();
        let mut after = before.clone();
        if after.apply(&change) == Applied::Unchanged {
            return None;
        }
        *message = Rc::new(after.clone());
        Some((before, after))
    }

    fn keep_orphan(&mut self, target: u64, change: ChatRecord) {
        if self
            .orphans
            .get(&target)
            .is_some_and(|known| reach(known) >= reach(&change))
        {
            return;
        }
        self.orphans.insert(target, Rc::new(change));
        if self.orphans.len() > ORPHANS_KEPT
            && let Some((oldest, _)) = self.orphans.first_key_value()
        {
            let oldest = *oldest;
            self.orphans.remove(&oldest);
        }
    }
}

impl ChatState {
    /// A live or replayed change record of `room`: folded in, and the room's unread and
    /// mention counts corrected if it deleted an unread message or changed whether it
    /// mentions this person.
    pub(super) fn on_change(&mut self, room: &RoomName, change: ChatRecord) {
        let looking = self.is_looking_at(room);
        let me = self.me.clone();
        let Some(view) = self.rooms.get_mut(room) else {
            return;
        };
        let Some((before, after)) = view.land_change(change) else {
            return;
        };
        // Without a marker nobody knows whether the message was counted; leave the counts.
        let Some(read) = view.read.filter(|_| !looking) else {
            return;
        };
        let (was, was_mention) = counts(&before, &me, read);
        let (is, is_mention) = counts(&after, &me, read);
        view.unread = adjust(view.unread, was, is);
        view.mentions = adjust(view.mentions, was_mention, is_mention);
    }
}

/// A count after one item stopped or started counting.
fn adjust(count: u32, was: bool, is: bool) -> u32 {
    match (was, is) {
        (true, false) => count.saturating_sub(1),
        (false, true) => count.saturating_add(1),
        _ => count,
    }
}
