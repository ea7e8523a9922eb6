//! The newest messages of busy rooms, kept in memory as the frames that were broadcast.
//!
//! Reconnects and long-polls mostly ask for what was said in the last few seconds. Reading
//! that from the store costs a blocking read per client — ten thousand reads when a crowd
//! reconnects at once. Each room's tail (up to [`FRAMES_PER_ROOM`] consecutive ids) answers
//! those from memory instead, and hands sessions the already-encoded frames, so a replay
//! costs no serialization either. Anything older, or any room not held here, still comes
//! from the store: the tail is a cache, never the record.
//!
//! Consistency: fan-out pushes a frame here *before* offering it to the room's members, and a
//! session registers with the room *before* it reads here. So a frame is either offered to
//! the session or already here when the session looks (the same argument as for the store;
//! see `session`). A tail only ever holds consecutive ids of one epoch; a gap or a new epoch
//! starts it afresh.

use crate::{
    fanout::Frame,
    store::{Epoch, RoomHead},
};
use chinwag_shared::{ChatRecord, RoomName, ServerMsg};
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
};

/// Frames kept per room.
pub const FRAMES_PER_ROOM: usize = 256;

/// Rooms kept; past it, the room published to least recently is forgotten.
pub const ROOMS: usize = 256;

/// One room's newest frames: consecutive ids, oldest first.
struct Tail {
    epoch: Epoch,
    frames: VecDeque<(Arc<Frame>, Arc<ChatRecord>)>,
    /// When it was last published to, in pushes since start (for eviction).
    touched: u64,
}

impl Tail {
    fn last_id(&self) -> Option<u64> {
        self.frames.back().and_then(|(frame, _)| frame.id)
    }

    fn first_id(&self) -> Option<u64> {
        self.frames.front().and_then(|(frame, _)| frame.id)
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
                .take_while(move |(frame, _)| frame.id.is_some_and(|id| id <= upto))
                .take(limit),
        )
    }
}

/// The tails of the busiest rooms.
#[derive(Default)]
pub struct Recent {
    tails: Mutex<HashMap<RoomName, Tail>>,
    pushes: std::sync::atomic::AtomicU64,
}

impl Recent {
    fn lock(&self) -> MutexGuard<'_, HashMap<RoomName, Tail>> {
        self.tails
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends a chat frame (others are ignored) to its room's tail.
    pub fn push(&self, frame: &Arc<Frame>) {
        let (Some(id), Some(epoch)) = (frame.id, &frame.epoch) else {
            return;
        };
        let Some(record) = record_of(frame) else {
            tracing::warn!(room = %frame.room, id, "a chat frame without a readable record");
            return;
        };
        let touched = self
            .pushes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut tails = self.lock();
        if !tails.contains_key(&frame.room) && tails.len() >= ROOMS {
            evict_stalest(&mut tails);
        }
        let tail = tails.entry(frame.room.clone()).or_insert_with(|| Tail {
            epoch: Arc::clone(epoch),
            frames: VecDeque::new(),
            touched,
        });
        let follows = tail.epoch == *epoch && tail.last_id().is_none_or(|last| id == last + 1);
        if !follows {
            tail.frames.clear();
            tail.epoch = Arc::clone(epoch);
        }
        if tail.frames.len() == FRAMES_PER_ROOM {
            tail.frames.pop_front();
        }
        tail.frames.push_back((Arc::clone(frame), record));
        tail.touched = touched;
    }

    /// The room's newest id and epoch, if a tail is held for it.
    pub fn head(&self, room: &RoomName) -> Option<RoomHead> {
        let tails = self.lock();
        let tail = tails.get(room)?;
        Some(RoomHead {
            last_id: tail.last_id()?,
            epoch: Arc::clone(&tail.epoch),
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
        let tails = self.lock();
        let tail = tails.get(room)?;
        let frames = tail
            .range(after, upto, limit)?
            .map(|(frame, _)| Arc::clone(frame))
            .collect();
        Some((Arc::clone(&tail.epoch), frames))
    }

    /// The records of `room` after `after`, at most `limit`, with their epoch, if the tail
    /// holds all of them.
    pub fn records(
        &self,
        room: &RoomName,
        after: u64,
        limit: usize,
    ) -> Option<(Epoch, Vec<ChatRecord>)> {
        let tails = self.lock();
        let tail = tails.get(room)?;
        let records = tail
            .range(after, u64::MAX, limit)?
            .map(|(_, record)| ChatRecord::clone(record))
            .collect();
        Some((Arc::clone(&tail.epoch), records))
    }
}

/// The record a chat frame carries: the store's, or (for frames from other nodes) parsed
/// once from the text.
fn record_of(frame: &Frame) -> Option<Arc<ChatRecord>> {
    if let Some(record) = &frame.record {
        return Some(Arc::clone(record));
    }
    match serde_json::from_str::<ServerMsg>(&frame.text) {
        // A node of an older version may still publish its author's `client_id`; a page
        // built from this tail must not show it.
        Ok(ServerMsg::Chat(record)) => Some(Arc::new(crate::store::public(record))),
        _ => None,
    }
}

fn evict_stalest(tails: &mut HashMap<RoomName, Tail>) {
    let stalest = tails
        .iter()
        .min_by_key(|(_, tail)| tail.touched)
        .map(|(room, _)| room.clone());
    if let Some(room) = stalest {
        tails.remove(&room);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::Username;

    fn chat(room: &str, id: u64, epoch: &Epoch) -> Arc<Frame> {
        let record = ChatRecord {
            id,
            room: RoomName::parse(room).unwrap(),
            username: Username::parse("u").unwrap(),
            message: format!("m{id}"),
            ts: id,
            client_id: None,
        };
        Frame::chat(&record, epoch)
    }

    fn ids(frames: &[Arc<Frame>]) -> Vec<u64> {
        frames.iter().map(|frame| frame.id.unwrap()).collect()
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
        assert_eq!(recent.lock().len(), ROOMS);
        assert!(recent.head(&room).is_none(), "the stalest room went first");
    }
}
