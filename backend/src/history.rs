//! The log's vocabulary, shared by every layer from the store down to delivery: which history
//! a room's ids belong to ([`Epoch`]), where a room's log stands ([`RoomHead`]), how big a page
//! of it may be ([`PAGE_BYTES`]), and the copy of a record everyone but its author sees
//! ([`public`]).
//!
//! These live below the store, fan-out and delivery rather than in the store, because all
//! three speak of them: the store makes them, fan-out carries them in frames, and the recent
//! tail answers with them. The store re-exports them under its own name.

use chinwag_shared::ChatRecord;

/// `record` as everyone but its author sees it: without the `client_id`. Every record a store
/// publishes or returns in a page goes through here.
pub fn public(record: ChatRecord) -> ChatRecord {
    ChatRecord {
        client_id: None,
        ..record
    }
}

/// Names one history of a room. Ids are only comparable within an epoch: when a store loses
/// its data (a Redis that came back empty, a deleted SQLite file) ids start again at 1 under
/// a new epoch, and clients holding the old one are told to forget what they have. The wire's
/// own type: the server, its requests and its clients carry the same `Epoch`.
pub use chinwag_shared::Epoch;

/// Where a room's log stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomHead {
    /// The newest id, 0 if the room has no messages.
    pub last_id: u64,
    /// The history's epoch.
    pub epoch: Epoch,
}

/// Bytes of records one page holds, roughly: a store stops adding records once a page has
/// this much (always returning at least one). Counts alone are no bound: 500 messages of
/// 4,000 emoji are 8 MB, and a page is held in memory while a slow client reads it.
pub const PAGE_BYTES: usize = 1024 * 1024;

/// What a record weighs against [`PAGE_BYTES`]: its strings and the JSON around them, about
/// the size of its `chat` frame.
pub fn record_bytes(record: &ChatRecord) -> usize {
    const JSON_FRAME_BYTES: usize = 96;
    JSON_FRAME_BYTES
        + record.message.len()
        + record.username.as_str().len()
        + record.room.as_str().len()
        + record.client_id.as_ref().map_or(0, |id| id.as_str().len())
}

/// Takes records in the order given until they weigh [`PAGE_BYTES`] or `limit` are taken;
/// the first is always taken, so a page always moves a reader on.
pub fn take_page<E>(
    records: impl IntoIterator<Item = Result<ChatRecord, E>>,
    limit: usize,
) -> Result<Vec<ChatRecord>, E> {
    let mut page = Vec::new();
    let mut bytes = 0;
    for record in records.into_iter().take(limit) {
        if bytes >= PAGE_BYTES {
            break;
        }
        let record = record?;
        bytes += record_bytes(&record);
        page.push(record);
    }
    Ok(page)
}

/// Whether a page read with `limit` may have stopped before the end of what was asked: it
/// is full by count or by bytes. A reader that gets such a page asks again from its edge.
pub fn page_is_cut(records: &[ChatRecord], limit: usize) -> bool {
    records.len() >= limit || records.iter().map(record_bytes).sum::<usize>() >= PAGE_BYTES
}
