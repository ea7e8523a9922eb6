//! The rooms a session is in, each with its [`Cursor`].
//!
//! A map in behaviour, but not a hash map in shape: most connections are in one to three
//! rooms, and every open connection carries this for its whole life. A `HashMap` allocates
//! room for four entries plus its control bytes on the first join (about 190 bytes) and
//! keeps a 48-byte header; [`Cursors`] keeps the first room inline, with no allocation at
//! all, and spills to a sorted vector beyond it. A lookup first looks for the very name it
//! was given, by pointer: the session keys its rooms with the hub's copy of each name, which
//! a room's frames usually carry too, so a delivery finds its cursor without reading a name.
//! Otherwise it is a binary search by name: for the usual one room a single comparison,
//! cheaper than hashing the name, and with the limit of rooms per connection (64 by default)
//! about six.

use super::cursor::Cursor;
use chinwag_shared::RoomName;
use smallvec::SmallVec;

/// Joined rooms → how far each has been sent, sorted by room name.
#[derive(Default)]
pub struct Cursors {
    rooms: SmallVec<[(RoomName, Cursor); 1]>,
}

impl Cursors {
    fn find(&self, room: &RoomName) -> Result<usize, usize> {
        // By pointer first. A session keys each room with the hub's own copy of its name
        // (`Hub::join`) and posts with it, so a room's frames usually carry that same copy,
        // and a delivery finds its cursor without reading the name: with thousands of
        // sessions taking turns, each one's copy of the name sits cold in a cache line of
        // its own.
        if let Some(at) = self.rooms.iter().position(|(joined, _)| joined.same(room)) {
            return Ok(at);
        }
        self.rooms.binary_search_by(|(joined, _)| joined.cmp(room))
    }

    /// The name `room` is joined under (the hub's copy, see [`Self::find`]), if joined.
    pub fn joined_name(&self, room: &RoomName) -> Option<&RoomName> {
        let at = self.find(room).ok()?;
        Some(&self.rooms[at].0)
    }

    /// The cursor of `room`, if joined.
    pub fn get(&self, room: &RoomName) -> Option<&Cursor> {
        let at = self.find(room).ok()?;
        Some(&self.rooms[at].1)
    }

    /// The cursor of `room`, to move, if joined.
    pub fn get_mut(&mut self, room: &RoomName) -> Option<&mut Cursor> {
        let at = self.find(room).ok()?;
        Some(&mut self.rooms[at].1)
    }

    /// Whether `room` is joined.
    pub fn contains_key(&self, room: &RoomName) -> bool {
        self.find(room).is_ok()
    }

    /// Places `room`'s cursor, replacing (and returning) the one it had.
    pub fn insert(&mut self, room: RoomName, cursor: Cursor) -> Option<Cursor> {
        match self.find(&room) {
            Ok(at) => Some(std::mem::replace(&mut self.rooms[at].1, cursor)),
            Err(at) => {
                self.rooms.insert(at, (room, cursor));
                None
            }
        }
    }

    /// Forgets `room`, returning its cursor if it was joined.
    pub fn remove(&mut self, room: &RoomName) -> Option<Cursor> {
        let at = self.find(room).ok()?;
        let (_, cursor) = self.rooms.remove(at);
        if self.rooms.len() <= 1 {
            // Back to what fits inline: a connection that was in many rooms once does not
            // keep the spilled buffer for the rest of its life.
            self.rooms.shrink_to_fit();
        }
        Some(cursor)
    }

    /// The joined rooms, in name order.
    pub fn keys(&self) -> impl Iterator<Item = &RoomName> {
        self.rooms.iter().map(|(room, _)| room)
    }

    /// How many rooms are joined.
    pub fn len(&self) -> usize {
        self.rooms.len()
    }

    /// Forgets every room, handing each out with its cursor.
    pub fn drain(&mut self) -> impl Iterator<Item = (RoomName, Cursor)> + '_ {
        self.rooms.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Epoch, RoomHead};

    fn room(name: &str) -> RoomName {
        RoomName::parse(name).unwrap()
    }

    fn at(last: u64) -> Cursor {
        let head = RoomHead {
            last_id: last,
            epoch: Epoch::from("e"),
        };
        Cursor::start(head, None, None).cursor
    }

    #[test]
    fn rooms_joined_in_any_order_are_found_by_name() {
        let mut cursors = Cursors::default();
        for (name, last) in [("mid", 2), ("zed", 3), ("abc", 1), ("lmn", 4)] {
            assert!(cursors.insert(room(name), at(last)).is_none());
        }
        assert_eq!(cursors.len(), 4);
        for (name, last) in [("abc", 1), ("mid", 2), ("zed", 3), ("lmn", 4)] {
            assert_eq!(cursors.get(&room(name)).map(Cursor::last), Some(last));
        }
        assert!(!cursors.contains_key(&room("nope")));
        let names: Vec<&str> = cursors.keys().map(RoomName::as_str).collect();
        assert_eq!(names, ["abc", "lmn", "mid", "zed"]);
    }

    #[test]
    fn a_second_insert_replaces_the_cursor_and_a_move_sticks() {
        let mut cursors = Cursors::default();
        cursors.insert(room("r"), at(1));
        let old = cursors.insert(room("r"), at(5));
        assert_eq!(old.map(|cursor| cursor.last()), Some(1));
        assert_eq!(cursors.len(), 1);
        if let Some(cursor) = cursors.get_mut(&room("r")) {
            cursor.sent(9);
        }
        assert_eq!(cursors.get(&room("r")).map(Cursor::last), Some(9));
    }

    #[test]
    fn the_joined_copy_of_a_name_and_an_equal_copy_find_the_same_cursor() {
        let mut cursors = Cursors::default();
        let shared = room("mid");
        for (name, last) in [("abc", 1), ("zed", 3)] {
            cursors.insert(room(name), at(last));
        }
        cursors.insert(shared.clone(), at(2));
        // A frame carrying the hub's copy matches by pointer; one read from elsewhere (a
        // separate allocation of the same text) by its text. Both find the same cursor.
        let elsewhere = room("mid");
        assert!(shared.same(&shared.clone()) && !shared.same(&elsewhere));
        assert_eq!(cursors.get(&shared).map(Cursor::last), Some(2));
        assert_eq!(cursors.get(&elsewhere).map(Cursor::last), Some(2));
        assert!(
            cursors
                .joined_name(&elsewhere)
                .is_some_and(|name| name.same(&shared))
        );
        assert!(cursors.joined_name(&room("nope")).is_none());
    }

    #[test]
    fn removing_and_draining_forget_rooms() {
        let mut cursors = Cursors::default();
        for name in ["a", "b", "c"] {
            cursors.insert(room(name), at(0));
        }
        assert!(cursors.remove(&room("b")).is_some());
        assert!(cursors.remove(&room("b")).is_none());
        assert!(!cursors.contains_key(&room("b")));
        assert!(cursors.contains_key(&room("c")));
        let drained: Vec<RoomName> = cursors.drain().map(|(name, _)| name).collect();
        assert_eq!(drained, [room("a"), room("c")]);
        assert_eq!(cursors.len(), 0);
    }
}
