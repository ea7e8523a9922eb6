//! The newest messages of busy rooms, kept in memory as the frames that were broadcast.
//!
//! Reconnects and long-polls mostly ask for what was said in the last few seconds. Reading
//! that from the store costs a blocking read per client — ten thousand reads when a crowd
//! reconnects at once. Each room's tail (up to [`FRAMES_PER_ROOM`] consecutive ids) answers
//! those from memory instead, and hands sessions the already-encoded frames, so a replay
//! costs no serialization either. Anything older, or any room not held here, still comes
//! from the store: the tail is a cache, never the record.
//!
//! A tail holds messages in their current state, as the store does: when a change record
//! (an edit or a deletion) is pushed, the message it changes is rewritten in place, and a
//! deletion also clears the text of that message's edit records, so a replay from memory
//! never shows what was withdrawn.
//!
//! Consistency: fan-out pushes a frame here *before* offering it to the room's members, and a
//! session registers with the room *before* it reads here. So a frame is either offered to
//! the session or already here when the session looks (the same argument as for the store;
//! see `session`). A tail only ever holds consecutive ids of one epoch; a gap or a new epoch
//! starts it afresh.
//!
//! Bounds: by count ([`FRAMES_PER_ROOM`] frames in each of [`ROOMS`] rooms) and by bytes. A
//! count alone is not a bound: 256 messages of 4,000 emoji in each of 64 rooms held 783 MB. So
//! every entry is charged what it holds (the frame's text and the record's strings), a room's
//! tail drops its oldest frames past a sixteenth of the budget, and the whole stays within
//! the budget (`--recent-tail-bytes`) by forgetting the stalest rooms first.

use crate::{
    delivery::frame::{ChatFrame, Frame},
    history::{Epoch, RoomHead, take_page},
};
use chinwag_shared::{Applied, Change, ChatRecord, RoomName, ServerMsg};
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
};

/// Frames kept per room.
pub const FRAMES_PER_ROOM: usize = 256;

/// Rooms kept; past it, the room published to least recently is forgotten.
pub const ROOMS: usize = 256;

/// The default byte budget of all tails together (`--recent-tail-bytes`).
pub const DEFAULT_BUDGET_BYTES: usize = 64 * 1024 * 1024;

/// What an entry costs beyond its strings: the frame, the record, their `Arc`s and the
/// queue slot, rounded up.
const ENTRY_OVERHEAD_BYTES: usize = 256;

/// The bytes an entry holds: the encoded frame and the record's strings.
fn cost(frame: &Frame, record: &ChatRecord) -> usize {
    ENTRY_OVERHEAD_BYTES
        + frame.text().len()
        + record.message.len()
        + record.username.as_str().len()
        + record.room.as_str().len()
        + record.client_id.as_ref().map_or(0, |id| id.as_str().len())
}

/// One room's newest frames: consecutive ids, oldest first.
struct Tail {
    epoch: Epoch,
    frames: VecDeque<(Arc<Frame>, Arc<ChatRecord>)>,
    /// What `frames` hold, by [`cost`].
    bytes: usize,
    /// When it was last published to, in pushes since start (for eviction).
    touched: u64,
}

impl Tail {
    /// Folds the change record just pushed (the newest entry, `id`) into the message it
    /// changes, if held here; a deletion also clears that message's edit records. Answers the
    /// tail's bytes before, with `bytes` updated to after.
    fn apply(&mut self, change: &Change, id: u64) -> usize {
        let before = self.bytes;
        let Some((_, change_record)) = self.frames.back().cloned() else {
            return before;
        };
        let target = change.target();
        for entry in &mut self.frames {
            let record = &entry.1;
            let rewrite = if record.id == target {
                let mut message = ChatRecord::clone(record);
                (message.apply(&change_record) == Applied::Changed).then_some(message)
            } else {
                matches!(
                    (change, &record.change),
                    (Change::Delete { .. }, Some(Change::Edit { target: edited }))
                        if *edited == target && record.id < id && !record.message.is_empty()
                )
                .then(|| ChatRecord::clone(record).scrubbed())
            };
            if let Some(rewritten) = rewrite {
                let frame = Frame::chat(&rewritten, &self.epoch);
                self.bytes -= cost(&entry.0, &entry.1);
                self.bytes += cost(&frame, &rewritten);
                *entry = (frame, Arc::new(rewritten));
            }
        }
        before
    }

    /// Drops the oldest entry; what it cost.
    fn pop_oldest(&mut self) -> usize {
        let freed = self
            .frames
            .pop_front()
            .map_or(0, |(frame, record)| cost(&frame, &record));
        self.bytes -= freed;
        freed
    }

    fn last_id(&self) -> Option<u64> {
        self.frames.back().and_then(|(frame, _)| frame.id())
    }

    fn first_id(&self) -> Option<u64> {
        self.frames.front().and_then(|(frame, _)| frame.id())
    }

    /// The entries with ids in (`after`, `upto`], at most `limit`, if this tail holds all of
    /// them (or there are none: `after` is the newest id).
    fn range(
        &self,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Option<impl Iterator<Item = &(Arc<Frame>, Arc<ChatRecord>)>> {
        let (first, last) = (self.first_id()?, self.last_id()?);
        if after > last || after + 1 < first {
            return None;
        }
        let skip = usize::try_from(after + 1 - first).ok()?;
        Some(
            self.frames
                .iter()
                .skip(skip)
                .take_while(move |(frame, _)| frame.id().is_some_and(|id| id <= upto))
                .take(limit),
        )
    }
}

/// The tails of the busiest rooms.
pub struct Recent {
    held: Mutex<Held>,
    pushes: std::sync::atomic::AtomicU64,
    /// Bytes all tails may hold together.
    budget: usize,
}

/// The tails and what they hold, under one lock.
#[derive(Default)]
struct Held {
    tails: HashMap<RoomName, Tail>,
    /// The sum of the tails' `bytes`.
    bytes: usize,
}

impl Default for Recent {
    fn default() -> Self {
        Self::new(DEFAULT_BUDGET_BYTES)
    }
}

impl Recent {
    /// Tails that hold at most `budget` bytes together.
    pub fn new(budget: usize) -> Self {
        Self {
            held: Mutex::default(),
            pushes: std::sync::atomic::AtomicU64::new(0),
            budget,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Held> {
        self.held
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What all tails hold now, in bytes.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    /// Appends a chat frame (others are ignored) to its room's tail.
    pub fn push(&self, frame: &Arc<Frame>) {
        let Frame::Chat(chat) = &**frame else {
            return;
        };
        let (id, epoch) = (chat.id, &chat.epoch);
        let Some(record) = record_of(chat) else {
            tracing::warn!(room = %chat.room, id, "a chat frame without a readable record");
            return;
        };
        let touched = self
            .pushes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let entry_bytes = cost(frame, &record);
        let room_budget = self.budget / 16;
        let mut held = self.lock();
        if !held.tails.contains_key(&chat.room) && held.tails.len() >= ROOMS {
            held.evict_stalest();
        }
        let Held { tails, bytes } = &mut *held;
        let tail = tails.entry(chat.room.clone()).or_insert_with(|| Tail {
            epoch: Epoch::clone(epoch),
            frames: VecDeque::new(),
            bytes: 0,
            touched,
        });
        let follows = tail.epoch == *epoch && tail.last_id().is_none_or(|last| id == last + 1);
        if !follows {
            *bytes -= tail.bytes;
            tail.frames.clear();
            tail.bytes = 0;
            tail.epoch = Epoch::clone(epoch);
        }
        if tail.frames.len() == FRAMES_PER_ROOM {
            *bytes -= tail.pop_oldest();
        }
        while !tail.frames.is_empty() && tail.bytes + entry_bytes > room_budget {
            *bytes -= tail.pop_oldest();
        }
        let change = record.change.clone();
        tail.frames.push_back((Arc::clone(frame), record));
        tail.bytes += entry_bytes;
        *bytes += entry_bytes;
        tail.touched = touched;
        if let Some(change) = change {
            let freed = tail.apply(&change, id);
            *bytes = *bytes + tail.bytes - freed;
        }
        while held.bytes > self.budget && held.tails.len() > 1 {
            held.evict_stalest();
        }
    }

    /// The room's newest id and epoch, if a tail is held for it.
    pub fn head(&self, room: &RoomName) -> Option<RoomHead> {
        let held = self.lock();
        let tail = held.tails.get(room)?;
        Some(RoomHead {
            last_id: tail.last_id()?,
            epoch: Epoch::clone(&tail.epoch),
        })
    }

    /// The frames of `room` with ids in (`after`, `upto`], at most `limit`, with their
    /// epoch, if the tail holds all of them; `None` means "ask the store".
    pub fn frames(
        &self,
        room: &RoomName,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Option<(Epoch, Vec<Arc<Frame>>)> {
        let held = self.lock();
        let tail = held.tails.get(room)?;
        let frames = tail
            .range(after, upto, limit)?
            .map(|(frame, _)| Arc::clone(frame))
            .collect();
        Some((Epoch::clone(&tail.epoch), frames))
    }

    /// The records of `room` after `after`, at most `limit`, with their epoch, if the tail
    /// holds all of them.
    pub fn records(
        &self,
        room: &RoomName,
        after: u64,
        limit: usize,
    ) -> Option<(Epoch, Vec<ChatRecord>)> {
        let held = self.lock();
        let tail = held.tails.get(room)?;
        let records = tail
            .range(after, u64::MAX, limit)?
            .map(|(_, record)| Ok::<_, std::convert::Infallible>(ChatRecord::clone(record)));
        let Ok(records) = take_page(records, limit);
        Some((Epoch::clone(&tail.epoch), records))
    }
}

/// The record a chat frame carries: the store's, or (for frames from other nodes) parsed
/// once from the text.
fn record_of(frame: &ChatFrame) -> Option<Arc<ChatRecord>> {
    if let Some(record) = &frame.record {
        return Some(Arc::clone(record));
    }
    // Two passes over the text rather than serde's buffered copy of it (see
    // `ServerMsg::from_json`): this runs once per record from another node.
    match ServerMsg::from_json(&frame.text) {
        // A node of an older version may still publish its author's `client_id`; a page
        // built from this tail must not show it.
        Ok(ServerMsg::Chat(record)) => Some(Arc::new(crate::history::public(record))),
        _ => None,
    }
}

impl Held {
    /// Forgets the room published to least recently.
    fn evict_stalest(&mut self) {
        let stalest = self
            .tails
            .iter()
            .min_by_key(|(_, tail)| tail.touched)
            .map(|(room, _)| room.clone());
        if let Some(tail) = stalest.and_then(|room| self.tails.remove(&room)) {
            self.bytes -= tail.bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::Username;

    fn chat(room: &str, id: u64, epoch: &Epoch) -> Arc<Frame> {
        let record = ChatRecord {
            guest: true,
            bot: false,
            id,
            room: RoomName::parse(room).unwrap(),
            username: Username::parse("u").unwrap(),
            message: format!("m{id}"),
            ts: id,
            client_id: None,
            change: None,
            deleted: None,
            edited: None,
        };
        Frame::chat(&record, epoch)
    }

    fn change(id: u64, change: Change, text: &str, epoch: &Epoch) -> Arc<Frame> {
        let mut record = match &*chat("r", id, epoch) {
            Frame::Chat(chat) => ChatRecord::clone(chat.record.as_ref().unwrap()),
            Frame::Event(_) => unreachable!(),
        };
        record.change = Some(change);
        record.message = text.to_owned();
        Frame::chat(&record, epoch)
    }

    #[test]
    fn changes_rewrite_the_messages_held_and_a_deletion_clears_their_edits() {
        let recent = Recent::default();
        let epoch: Epoch = "e".into();
        let room = RoomName::parse("r").unwrap();
        recent.push(&chat("r", 1, &epoch));
        recent.push(&chat("r", 2, &epoch));
        recent.push(&change(3, Change::Edit { target: 1 }, "secret v2", &epoch));
        let (_, records) = recent.records(&room, 0, 10).unwrap();
        assert_eq!(
            (records[0].message.as_str(), records[0].edited),
            ("secret v2", Some(3))
        );
        let before = recent.bytes();
        recent.push(&change(
            4,
            Change::Delete {
                target: 1,
                moderator: true,
            },
            "",
            &epoch,
        ));
        let (_, frames) = recent.frames(&room, 0, u64::MAX, 10).unwrap();
        for frame in &frames {
            assert!(!frame.text().contains("secret"), "{}", frame.text());
        }
        let (_, records) = recent.records(&room, 0, 10).unwrap();
        assert_eq!(records[0].deleted.as_ref().map(|d| d.id), Some(4));
        assert_eq!(records[0].message, "");
        assert_eq!(records[2].message, "", "the edit record is cleared too");
        assert_eq!(records[1].message, "m2", "others untouched");
        let held: usize = frames
            .iter()
            .zip(&records)
            .map(|(frame, record)| cost(frame, record))
            .sum();
        assert_eq!(recent.bytes(), held, "the byte count follows the rewrites");
        assert!(recent.bytes() > before - 2 * "secret v2".len() - 100);
    }

    fn ids(frames: &[Arc<Frame>]) -> Vec<u64> {
        frames.iter().map(|frame| frame.id().unwrap()).collect()
    }

    #[test]
    fn answers_only_what_it_holds_completely() {
        let recent = Recent::default();
        let epoch: Epoch = "e".into();
        let room = RoomName::parse("r").unwrap();
        for id in 5..=9 {
            recent.push(&chat("r", id, &epoch));
        }
        let (_, frames) = recent.frames(&room, 4, u64::MAX, 100).unwrap();
        assert_eq!(ids(&frames), [5, 6, 7, 8, 9]);
        let (_, frames) = recent.frames(&room, 6, 8, 100).unwrap();
        assert_eq!(ids(&frames), [7, 8]);
        let (_, frames) = recent.frames(&room, 9, u64::MAX, 100).unwrap();
        assert!(frames.is_empty(), "nothing newer than the newest");
        assert!(
            recent.frames(&room, 3, u64::MAX, 100).is_none(),
            "4 is not held"
        );
        assert!(
            recent.frames(&room, 10, u64::MAX, 100).is_none(),
            "ahead of the tail"
        );
        assert_eq!(recent.head(&room).unwrap().last_id, 9);
        let (_, records) = recent.records(&room, 7, 1).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].message, "m8");
    }

    #[test]
    fn a_gap_or_a_new_epoch_starts_the_tail_again() {
        let recent = Recent::default();
        let (old, new): (Epoch, Epoch) = ("old".into(), "new".into());
        let room = RoomName::parse("r").unwrap();
        recent.push(&chat("r", 1, &old));
        recent.push(&chat("r", 2, &old));
        recent.push(&chat("r", 4, &old));
        assert!(
            recent.frames(&room, 1, u64::MAX, 10).is_none(),
            "3 was never seen"
        );
        recent.push(&chat("r", 1, &new));
        let (epoch, frames) = recent.frames(&room, 0, u64::MAX, 10).unwrap();
        assert_eq!((&*epoch, ids(&frames)), ("new", vec![1]));
    }

    fn heavy_chat(room: &str, id: u64, epoch: &Epoch) -> Arc<Frame> {
        let record = ChatRecord {
            guest: true,
            bot: false,
            id,
            room: RoomName::parse(room).unwrap(),
            username: Username::parse("u").unwrap(),
            message: "😀".repeat(chinwag_shared::MAX_MESSAGE_CHARS),
            ts: id,
            client_id: None,
            change: None,
            deleted: None,
            edited: None,
        };
        Frame::chat(&record, epoch)
    }

    #[test]
    fn heavy_messages_are_held_within_the_byte_budget() {
        let budget = 4 * 1024 * 1024;
        let recent = Recent::new(budget);
        let epoch: Epoch = "e".into();
        // The measured case at a smaller scale: by count alone, 24 rooms of 40 of the longest
        // messages would hold 24 × 40 × ~32 KB ≈ 30 MB.
        for n in 0..24 {
            for id in 1..=40 {
                recent.push(&heavy_chat(&format!("room{n}"), id, &epoch));
            }
            assert!(recent.bytes() <= budget, "{} > {budget}", recent.bytes());
        }
        let held = recent.lock();
        let summed: usize = held.tails.values().map(|tail| tail.bytes).sum();
        assert_eq!(
            held.bytes, summed,
            "the running total is the sum of the tails"
        );
        for tail in held.tails.values() {
            assert!(tail.bytes <= budget / 16, "one room holds {}", tail.bytes);
        }
        drop(held);
        let newest = RoomName::parse("room23").unwrap();
        let (_, frames) = recent.frames(&newest, 39, u64::MAX, 10).unwrap();
        assert_eq!(ids(&frames), [40], "the newest room's newest frame is held");
    }

    #[test]
    fn forgetting_a_room_or_restarting_a_tail_gives_its_bytes_back() {
        let recent = Recent::default();
        let (old, new): (Epoch, Epoch) = ("old".into(), "new".into());
        for id in 1..=10 {
            recent.push(&chat("r", id, &old));
        }
        let ten = recent.bytes();
        assert!(ten > 0);
        recent.push(&chat("r", 1, &new));
        assert!(
            recent.bytes() < ten / 5,
            "the old epoch's frames are no longer charged"
        );
        for n in 0..=ROOMS {
            recent.push(&chat(&format!("room{n}"), 1, &old));
        }
        let held = recent.lock();
        let summed: usize = held.tails.values().map(|tail| tail.bytes).sum();
        assert_eq!(held.bytes, summed);
    }

    #[test]
    fn memory_stays_bounded() {
        let recent = Recent::default();
        let epoch: Epoch = "e".into();
        for id in 1..=(FRAMES_PER_ROOM as u64 + 10) {
            recent.push(&chat("r", id, &epoch));
        }
        let room = RoomName::parse("r").unwrap();
        // Ids 1..=10 were pushed out: a client after 9 needs 10, which only the store has.
        assert!(recent.frames(&room, 9, u64::MAX, 1).is_none());
        assert!(recent.frames(&room, 10, u64::MAX, 1).is_some());
        for n in 0..=ROOMS {
            recent.push(&chat(&format!("room{n}"), 1, &epoch));
        }
        assert_eq!(recent.lock().tails.len(), ROOMS);
        assert!(recent.head(&room).is_none(), "the stalest room went first");
    }
}
