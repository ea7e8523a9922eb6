//! The confirmations a session owes its client: its own sends, stored while it is a member of
//! the room, whose records are still on their way through the outbox.
//!
//! Every member receives a chat record as one shared, already-encoded frame, and that frame
//! has no `client_id`: the id is the author's business (issue 12). The author still needs its
//! id back to know which of its messages was stored, and it must get the record in order with
//! everyone else's. So when a send is stored, the session notes what it owes here; when the
//! room's frame with that id reaches the session (live, or read from the store to fill a gap),
//! the session sends its own copy, with the `client_id`, in the shared frame's place. One
//! extra encoding per own send; the broadcast is still encoded once.
//!
//! Bounded: an entry leaves when its record is sent, when the session leaves the room or its
//! history is replaced (the client re-sends unconfirmed messages then), or when a later id of
//! the room went out first (it cannot come any more).

use chinwag_shared::{ChatRecord, RoomName};
use std::collections::VecDeque;

/// Own records not yet sent, per room, in id order.
///
/// A list of rooms rather than a map: only rooms with a send still on its way are in it
/// (usually none, rarely more than one), every connection carries it for life, and an empty
/// `Vec` is half a `HashMap`'s size and, unlike one, can give its buffer back once drained.
#[derive(Debug, Default)]
pub struct Confirmations {
    owed: Vec<(RoomName, VecDeque<ChatRecord>)>,
}

impl Confirmations {
    /// Notes that `record` (the author's copy, with its `client_id`) is owed when its id
    /// comes through the room. Kept in id order: new sends come ascending, but the answer to a
    /// retry (a record stored earlier, not yet delivered here) may be older than one owed.
    /// Owing the same id twice (a retry of a retry) keeps one.
    pub fn owe(&mut self, record: ChatRecord) {
        let at = match self.owed.iter().position(|(room, _)| *room == record.room) {
            Some(at) => at,
            None => {
                self.owed.push((record.room.clone(), VecDeque::new()));
                self.owed.len() - 1
            }
        };
        let queue = &mut self.owed[at].1;
        match queue.binary_search_by_key(&record.id, |owed| owed.id) {
            Ok(_) => {}
            Err(at) => queue.insert(at, record),
        }
    }

    /// The author's copy to send instead of the shared frame of `room`'s record `id`, if it
    /// is owed. Owed records below `id` are dropped: a later one went out, so they cannot.
    pub fn take(&mut self, room: &RoomName, id: u64) -> Option<ChatRecord> {
        // The hot path: most frames are other people's, and most sessions owe nothing.
        if self.owed.is_empty() {
            return None;
        }
        let at = self.owed.iter().position(|(owed, _)| owed == room)?;
        let queue = &mut self.owed[at].1;
        while queue.front().is_some_and(|owed| owed.id < id) {
            queue.pop_front();
        }
        let mine = queue.front().is_some_and(|owed| owed.id == id);
        let record = if mine { queue.pop_front() } else { None };
        if queue.is_empty() {
            self.drop_room(at);
        }
        record
    }

    /// Forgets what is owed in `room`: the session left it, or its history was replaced.
    pub fn forget(&mut self, room: &RoomName) {
        if let Some(at) = self.owed.iter().position(|(owed, _)| owed == room) {
            self.drop_room(at);
        }
    }

    fn drop_room(&mut self, at: usize) {
        self.owed.swap_remove(at);
        if self.owed.is_empty() {
            // Most of a connection's life owes nothing: hold no buffer through it.
            self.owed = Vec::new();
        }
    }

    /// How many records are owed, over all rooms.
    pub fn len(&self) -> usize {
        self.owed.iter().map(|(_, queue)| queue.len()).sum()
    }

    /// Whether nothing is owed.
    pub fn is_empty(&self) -> bool {
        self.owed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::{ClientId, Username};

    fn room(name: &str) -> RoomName {
        RoomName::parse(name).unwrap()
    }

    fn own(room_name: &str, id: u64) -> ChatRecord {
        ChatRecord {
            guest: true,
            bot: false,
            id,
            room: room(room_name),
            username: Username::parse("ada").unwrap(),
            message: format!("m{id}"),
            ts: 1,
            client_id: Some(ClientId::parse(&format!("c{id}")).unwrap()),
            change: None,
            deleted: None,
            edited: None,
        }
    }

    #[test]
    fn an_owed_record_replaces_the_shared_frame_of_its_id_once() {
        let mut owed = Confirmations::default();
        owed.owe(own("r", 7));
        assert_eq!(owed.take(&room("r"), 6), None, "someone else's record");
        assert_eq!(owed.take(&room("r"), 7), Some(own("r", 7)));
        assert_eq!(
            owed.take(&room("r"), 7),
            None,
            "a repeat gets the shared frame"
        );
        assert!(owed.is_empty());
    }

    #[test]
    fn the_same_id_in_another_room_is_not_the_owed_one() {
        let mut owed = Confirmations::default();
        owed.owe(own("r", 3));
        assert_eq!(owed.take(&room("s"), 3), None);
        assert_eq!(owed.len(), 1);
    }

    #[test]
    fn a_record_passed_by_a_later_id_is_dropped_and_leaves_no_trace() {
        let mut owed = Confirmations::default();
        owed.owe(own("r", 3));
        owed.owe(own("r", 5));
        assert_eq!(owed.take(&room("r"), 5), Some(own("r", 5)));
        assert!(owed.is_empty(), "3 can no longer come: {owed:?}");
    }

    #[test]
    fn an_older_retry_answer_owed_after_a_newer_send_still_goes_in_its_place() {
        let mut owed = Confirmations::default();
        owed.owe(own("r", 9));
        owed.owe(own("r", 4));
        owed.owe(own("r", 4));
        assert_eq!(owed.len(), 2, "the same id is owed once");
        assert_eq!(owed.take(&room("r"), 4), Some(own("r", 4)));
        assert_eq!(owed.take(&room("r"), 9), Some(own("r", 9)));
        assert!(owed.is_empty());
    }

    #[test]
    fn leaving_a_room_forgets_what_it_owed() {
        let mut owed = Confirmations::default();
        owed.owe(own("r", 1));
        owed.owe(own("s", 1));
        owed.forget(&room("r"));
        assert_eq!(owed.len(), 1);
        assert_eq!(owed.take(&room("r"), 1), None);
        assert_eq!(owed.take(&room("s"), 1), Some(own("s", 1)));
    }
}
