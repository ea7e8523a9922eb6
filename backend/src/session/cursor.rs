//! The cursor rule: how a session keeps each room's records gapless and unrepeated.
//!
//! Records reach a session twice over: replays (tail or store, read past the cursor) and live
//! frames (the outbox). A join registers *before* it replays, so every record past the
//! cursor comes by at least one way, some by both. The [`Cursor`] (newest id sent, and its
//! epoch) makes the union exact: [`Cursor::admit`] sends the next id, skips one already sent,
//! asks for a gap to be filled first, and on another epoch starts again from 0 after a
//! `history_reset`. [`Cursor::start`] and [`Cursor::rejoin`] place it for a client's
//! `after`/`epoch`. Pure: it decides, `session/replay.rs` acts; no I/O, clock or hub.

use crate::history::{Epoch, RoomHead};

/// How far a joined room has been sent to this client, and in which history.
#[derive(Debug, Clone)]
pub struct Cursor {
    /// The newest id sent.
    last: u64,
    /// The epoch those ids belong to.
    epoch: Epoch,
}

/// What to do with a live chat frame, by [`Cursor::admit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// At or below the cursor in the same history: a replay sent it already; drop it.
    Skip,
    /// Of the history the client has: deliver it as the [`Order`] says.
    Deliver(Order),
    /// Of another history: the store lost the client's one. Tell the client
    /// `history_reset` (with the frame's epoch), forget what was owed in the old history, then
    /// deliver as the [`Order`] says; the cursor already stands in the new history.
    Reset(Order),
}

/// How to deliver an admitted frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// It is the next id: send it. The cursor already counts it as sent.
    Send,
    /// Ids after the cursor up to `upto` were published before this one reached the session
    /// (before it registered, or while a subscriber was away): send those first, from the
    /// recent tail or the store, then this one, and only then record it with
    /// [`Cursor::sent`].
    Fill {
        /// The newest missing id: the frame's id minus one.
        upto: u64,
    },
}

/// Where a first join places the cursor, by [`Cursor::start`].
#[derive(Debug, Clone)]
pub struct Start {
    /// The cursor; what the store holds past it is replayed before `joined`.
    pub cursor: Cursor,
    /// The client named another epoch: tell it `history_reset` first.
    pub reset: bool,
}

/// What a join for a room the client is in already asks for, by [`Cursor::rejoin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejoin {
    /// The client named another epoch: tell it `history_reset` first.
    pub reset: bool,
    /// Send the stored ids after this one, up to the cursor, again. The cursor stays where it
    /// is: those ids were sent once already, and newer ones are still to come live.
    pub resend_after: Option<u64>,
}

/// Whether a client's `epoch` names another history than `current`. A client that names none
/// (the seed page, older clients) is taken at its word.
pub fn is_stale(epoch: Option<&Epoch>, current: &Epoch) -> bool {
    epoch.is_some_and(|epoch| !epoch.ptr_eq(current) && epoch != current)
}

impl Cursor {
    /// Where a first join into a room at `head` starts, for a client that asked for the ids
    /// after `after` (`None`: live only, from the head) in history `epoch`. A client of
    /// another history starts from 0 of this one. A client that saw more than the store holds
    /// (and named no epoch) restarts from what is here: `joined.last_id` below its `after`
    /// tells it so.
    pub fn start(head: RoomHead, after: Option<u64>, epoch: Option<&Epoch>) -> Start {
        let reset = is_stale(epoch, &head.epoch);
        let after = if reset { Some(0) } else { after };
        let last = after.map_or(head.last_id, |after| after.min(head.last_id));
        Start {
            cursor: Cursor {
                last,
                epoch: head.epoch,
            },
            reset,
        }
    }

    /// What a repeated join (asking for the ids after `after` of history `epoch`) needs sent
    /// again. A client of another history gets this history from the start.
    pub fn rejoin(&self, after: Option<u64>, epoch: Option<&Epoch>) -> Rejoin {
        let reset = is_stale(epoch, &self.epoch);
        let after = if reset { Some(0) } else { after };
        Rejoin {
            reset,
            resend_after: after.filter(|&after| after < self.last),
        }
    }

    /// The newest id sent.
    pub fn last(&self) -> u64 {
        self.last
    }

    /// The history the sent ids belong to.
    pub fn epoch(&self) -> &Epoch {
        &self.epoch
    }

    /// Whether `epoch` is the cursor's history (so ids from it continue the cursor's).
    pub fn is_in(&self, epoch: &str) -> bool {
        *self.epoch == *epoch
    }

    /// Records that `id` was sent. Ids are sent in ascending order, so this is the newest.
    pub fn sent(&mut self, id: u64) {
        self.last = id;
    }

    /// Judges a live chat frame with `id` of history `epoch` (see [`Admit`]).
    pub fn admit(&mut self, id: u64, epoch: &Epoch) -> Admit {
        if !self.adopt(epoch) {
            *self = Cursor {
                last: 0,
                epoch: Epoch::clone(epoch),
            };
            return Admit::Reset(self.order(id));
        }
        if id <= self.last {
            return Admit::Skip;
        }
        Admit::Deliver(self.order(id))
    }

    /// Whether `epoch` is the cursor's history; if it is but is another copy, the cursor
    /// shares the frames' copy from now on, so the next check is a pointer compare.
    fn adopt(&mut self, epoch: &Epoch) -> bool {
        if Epoch::ptr_eq(epoch, &self.epoch) {
            return true;
        }
        if **epoch != *self.epoch {
            return false;
        }
        self.epoch = Epoch::clone(epoch);
        true
    }

    /// How to deliver `id`, which is past the cursor of its own history.
    fn order(&mut self, id: u64) -> Order {
        // `id` > `last` >= 0 here, so `id - 1` cannot underflow.
        if id - 1 == self.last {
            self.last = id;
            Order::Send
        } else {
            Order::Fill { upto: id - 1 }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(name: &str) -> Epoch {
        Epoch::from(name)
    }

    fn at(last: u64, name: &str) -> Cursor {
        Cursor {
            last,
            epoch: epoch(name),
        }
    }

    fn head(last_id: u64, name: &str) -> RoomHead {
        RoomHead {
            last_id,
            epoch: epoch(name),
        }
    }

    #[test]
    fn the_next_id_is_sent_and_counted_at_once() {
        let mut cursor = at(4, "e");
        let e = Epoch::clone(&cursor.epoch);
        assert_eq!(cursor.admit(5, &e), Admit::Deliver(Order::Send));
        assert_eq!(cursor.last(), 5);
        assert_eq!(cursor.admit(6, &e), Admit::Deliver(Order::Send));
        assert_eq!(cursor.last(), 6);
    }

    #[test]
    fn an_id_already_sent_is_skipped_and_moves_nothing() {
        let mut cursor = at(9, "e");
        let e = Epoch::clone(&cursor.epoch);
        for id in [1, 8, 9] {
            assert_eq!(cursor.admit(id, &e), Admit::Skip, "id {id}");
        }
        assert_eq!(cursor.last(), 9);
    }

    #[test]
    fn an_id_ahead_asks_for_the_gap_and_waits_to_be_recorded() {
        let mut cursor = at(3, "e");
        let e = Epoch::clone(&cursor.epoch);
        assert_eq!(cursor.admit(7, &e), Admit::Deliver(Order::Fill { upto: 6 }));
        assert_eq!(cursor.last(), 3, "the fill goes out first and moves it");
        cursor.sent(6);
        cursor.sent(7);
        assert_eq!(
            cursor.admit(7, &e),
            Admit::Skip,
            "no duplicate after the fill"
        );
        assert_eq!(cursor.admit(8, &e), Admit::Deliver(Order::Send));
    }

    #[test]
    fn the_first_id_of_an_empty_room_is_the_next_one() {
        let mut cursor = at(0, "e");
        let e = Epoch::clone(&cursor.epoch);
        assert_eq!(cursor.admit(1, &e), Admit::Deliver(Order::Send));
    }

    #[test]
    fn another_epoch_resets_the_cursor_to_zero_of_the_new_history() {
        let mut cursor = at(40, "old");
        let new = epoch("new");
        assert_eq!(cursor.admit(1, &new), Admit::Reset(Order::Send));
        assert_eq!(cursor.last(), 1);
        assert!(Epoch::ptr_eq(cursor.epoch(), &new));
        assert_eq!(
            cursor.admit(2, &new),
            Admit::Deliver(Order::Send),
            "reset once"
        );
    }

    #[test]
    fn a_reset_far_into_the_new_history_fills_it_from_the_start() {
        let mut cursor = at(40, "old");
        let new = epoch("new");
        assert_eq!(cursor.admit(5, &new), Admit::Reset(Order::Fill { upto: 4 }));
        assert_eq!(cursor.last(), 0, "nothing of the new history was sent yet");
        assert!(cursor.is_in("new"));
    }

    #[test]
    fn a_reset_never_skips_even_an_id_below_the_old_cursor() {
        let mut cursor = at(40, "old");
        let new = epoch("new");
        assert!(matches!(cursor.admit(3, &new), Admit::Reset(_)));
        let old = epoch("old");
        assert!(
            matches!(cursor.admit(41, &old), Admit::Reset(_)),
            "a straggler of the old history is another history too"
        );
    }

    #[test]
    fn an_equal_epoch_in_another_allocation_is_the_same_history_and_is_shared_from_then_on() {
        let mut cursor = at(2, "e");
        let copy = epoch("e");
        assert!(!Epoch::ptr_eq(cursor.epoch(), &copy));
        assert_eq!(cursor.admit(3, &copy), Admit::Deliver(Order::Send));
        assert!(Epoch::ptr_eq(cursor.epoch(), &copy));
    }

    #[test]
    fn a_fresh_join_without_after_starts_live_at_the_head() {
        let start = Cursor::start(head(12, "e"), None, None);
        assert!(!start.reset);
        assert_eq!(start.cursor.last(), 12);
        assert!(start.cursor.is_in("e"));
    }

    #[test]
    fn a_join_with_after_starts_there_to_replay_the_rest() {
        let start = Cursor::start(head(12, "e"), Some(5), Some(&epoch("e")));
        assert!(!start.reset);
        assert_eq!(start.cursor.last(), 5);
    }

    #[test]
    fn a_client_ahead_of_the_store_is_brought_back_to_the_head() {
        let start = Cursor::start(head(12, "e"), Some(30), None);
        assert!(!start.reset);
        assert_eq!(start.cursor.last(), 12);
    }

    #[test]
    fn a_join_naming_another_epoch_resets_and_replays_from_zero() {
        for after in [None, Some(3), Some(30)] {
            let start = Cursor::start(head(12, "new"), after, Some(&epoch("old")));
            assert!(start.reset, "after {after:?}");
            assert_eq!(start.cursor.last(), 0, "after {after:?}");
            assert!(start.cursor.is_in("new"));
        }
    }

    #[test]
    fn a_client_naming_no_epoch_is_taken_at_its_word() {
        assert!(!is_stale(None, &epoch("e")));
        assert!(!is_stale(Some(&epoch("e")), &epoch("e")));
        assert!(is_stale(Some(&epoch("f")), &epoch("e")));
    }

    #[test]
    fn a_rejoin_resends_only_what_lies_below_the_cursor() {
        let cursor = at(10, "e");
        let rejoin = |after| cursor.rejoin(after, Some(&epoch("e")));
        assert_eq!(rejoin(Some(4)).resend_after, Some(4));
        assert_eq!(
            rejoin(Some(10)).resend_after,
            None,
            "all of it is coming live"
        );
        assert_eq!(rejoin(Some(15)).resend_after, None);
        assert_eq!(rejoin(None).resend_after, None, "live only");
        assert!(!rejoin(Some(4)).reset);
    }

    #[test]
    fn a_rejoin_naming_another_epoch_resets_and_resends_everything_sent() {
        let cursor = at(10, "e");
        let rejoin = cursor.rejoin(None, Some(&epoch("old")));
        assert_eq!(
            rejoin,
            Rejoin {
                reset: true,
                resend_after: Some(0)
            }
        );
        assert_eq!(cursor.last(), 10, "a rejoin never moves the cursor");
        let empty = at(0, "e").rejoin(None, Some(&epoch("old")));
        assert_eq!(empty.resend_after, None, "nothing was sent to resend");
    }
}
