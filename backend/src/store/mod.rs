//! The store: the durable, ordered log of every room's messages.
//!
//! The hub appends through [`Store::append`]; sessions and the HTTP API read pages of it. A
//! store assigns ids (1, 2, 3, … per room, no holes), makes a retried `client_id` idempotent
//! per [`Author`], and — once a record is durable — hands it to fan-out, in id order per room.
//! That order is the contract live delivery relies on: store before broadcast, so anything a
//! client saw survives a restart. [`sqlite::SqliteStore`] is the embedded default;
//! [`crate::cluster::RedisStore`] is the multi-node engine.
//!
//! A `client_id` is its author's business: what a store publishes and what its pages return
//! never carry one ([`public`]). Only [`Appended`], the answer to the author, does. A store
//! that fails says why in a [`StoreError`] (one kind per engine); every caller answers the
//! client `unavailable`.

pub mod accounts;
pub mod api_keys;
pub mod author;
mod error;
pub mod moderation;
pub mod sqlite;

pub use crate::history::{
    Epoch, PAGE_BYTES, RoomHead, page_is_cut, public, record_bytes, take_page,
};
pub use author::Author;
pub use error::{Corrupt, RedisError, StoreError};

use async_trait::async_trait;
use chinwag_shared::{ChatRecord, ClientId, MessageText, RoomName, RoomSummary, Username};

/// A message to store: validated, not yet given an id.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Target room.
    pub room: RoomName,
    /// Poster.
    pub username: Username,
    /// Text.
    pub text: MessageText,
    /// Idempotency key, if the client gave one; it belongs to `author`.
    pub client_id: Option<ClientId>,
    /// Whose `client_id` it is: a retry is a duplicate only from the same author.
    pub author: Author,
    /// Whether the poster is a guest (not signed in); the record says so.
    pub guest: bool,
    /// Whether a backend posts it as a bot or the system, through an API key; the record
    /// says so.
    pub bot: bool,
}

/// What an append did. The records here are the author's answer, so they carry its
/// `client_id`; what fan-out and pages carry never does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// The message was new: stored under a fresh id and handed to fan-out.
    Stored(ChatRecord),
    /// The same author already stored this message under this `client_id` in this room:
    /// nothing new was written; this is the record stored the first time.
    Duplicate(ChatRecord),
    /// The same author already stored *another* message (other text or another name) under
    /// this `client_id` in this room: nothing was written. The earlier record is not handed
    /// back, since confirming it would tell the client a message it never sent was its own.
    Reused,
}

impl Appended {
    /// The answer to `message` when its author's `client_id` already holds `earlier`: a
    /// duplicate if it is the same message (the author's retry), [`Appended::Reused`] if not.
    /// Both engines decide through here.
    pub fn retry_of(message: &NewMessage, earlier: ChatRecord) -> Self {
        // A message edited or deleted since was this author's: its text no longer says so,
        // but the name does.
        let changed_since = earlier.edited.is_some() || earlier.deleted.is_some();
        if earlier.username == message.username
            && (changed_since || earlier.message == message.text.as_str())
        {
            Appended::Duplicate(ChatRecord {
                client_id: message.client_id.clone(),
                ..earlier
            })
        } else {
            Appended::Reused
        }
    }
}

/// A change to an earlier message, to store as a record of its own (see
/// [`chinwag_shared::Change`]). Whether the actor may make it is the hub's to judge, before;
/// the store checks only that the target is a message that is not deleted, atomically with
/// the change.
#[derive(Debug, Clone)]
pub struct NewChange {
    /// The room of both the message and the change record.
    pub room: RoomName,
    /// The id of the message changed.
    pub target: u64,
    /// Who makes the change: the change record's `username`.
    pub actor: Username,
    /// Whether the actor is a guest (the change record's `guest`).
    pub guest: bool,
    /// Edit or delete.
    pub action: ChangeAction,
}

/// What a [`NewChange`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeAction {
    /// Replace the text.
    Edit(MessageText),
    /// Withdraw the message: its text, and the text of every edit record of it, is removed
    /// from the store (not merely hidden), and it becomes a tombstone.
    Delete {
        /// Whether a moderator deletes someone else's message (the tombstone then names the
        /// actor).
        moderator: bool,
    },
}

/// What a change did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Changed {
    /// Stored as this change record (id fresh from the room's sequence) and handed to
    /// fan-out; the message is now in its new state.
    Stored(ChatRecord),
    /// The room has no record with that id, or the record is itself a change record.
    NoSuchMessage,
    /// The message is deleted already: nothing was written.
    AlreadyDeleted,
}

/// Which slice of a room's log to read. Pages are always returned in ascending id order, and
/// hold at most `limit` records and about [`PAGE_BYTES`] (see [`take_page`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The first `limit` records with id > `after`.
    After {
        /// Exclusive lower bound.
        after: u64,
        /// Most records to return.
        limit: usize,
    },
    /// The last `limit` records with id < `before` (scrollback).
    Before {
        /// Exclusive upper bound.
        before: u64,
        /// Most records to return.
        limit: usize,
    },
}

/// Where a page of the room list ends, so the next can start after it. Rooms are listed
/// busiest first: by `last_id` descending (the number of records, messages and changes, as
/// ids have no holes),
/// then by name descending, the order a Redis sorted set keeps ties in. On the wire (the
/// `cursor` query parameter) it reads `{last_id}.{room}`; a dot is never part of a room
/// name, so the split is unambiguous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomCursor {
    /// The last listed room's newest id.
    pub last_id: u64,
    /// The last listed room.
    pub room: RoomName,
}

impl RoomCursor {
    /// The cursor after `summary`.
    pub fn after(summary: &RoomSummary) -> Self {
        Self {
            last_id: summary.last_id,
            room: summary.room.clone(),
        }
    }

    /// Reads the wire form; `None` if it is not one.
    pub fn parse(raw: &str) -> Option<Self> {
        let (last_id, room) = raw.split_once('.')?;
        Some(Self {
            last_id: last_id.parse().ok()?,
            room: RoomName::parse(room).ok()?,
        })
    }
}

impl std::fmt::Display for RoomCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.last_id, self.room)
    }
}

/// The room's log reaches the ids a restore would write already: nothing was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the room holds records up to id {last_id} already")]
pub struct Occupied {
    /// The room's newest id.
    pub last_id: u64,
}

/// The durable log behind the hub.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Stores `message` (or finds its author's earlier copy by `client_id`) and, if new, hands
    /// the record, without its `client_id`, to fan-out before returning.
    async fn append(&self, message: NewMessage) -> Result<Appended, StoreError>;

    /// Reads one page of `room`'s log, ascending, without `client_id`s, bounded by count and by
    /// [`PAGE_BYTES`]: a `Before` page keeps the records nearest its bound. Messages come in
    /// their current state (edited text, tombstones); change records come as stored (an edit
    /// record of a deleted message without its text).
    async fn page(&self, room: &RoomName, page: Page) -> Result<Vec<ChatRecord>, StoreError>;

    /// Stores a change to an earlier message as the room's next record and, if stored, hands
    /// that record to fan-out (like [`Store::append`], in id order) before returning. The
    /// message's stored state changes in the same atomic step: an edit replaces its text and
    /// sets `edited`; a deletion removes its text, and the text of its edit records, from
    /// the store's files (SQLite `secure_delete`, WAL checkpointed; Redis entries and
    /// `client_id` copies rewritten), and leaves a tombstone.
    async fn change(&self, change: NewChange) -> Result<Changed, StoreError>;

    /// The record `id` of `room` in its current state, if the room has one.
    async fn record(&self, room: &RoomName, id: u64) -> Result<Option<ChatRecord>, StoreError> {
        if id == 0 {
            return Ok(None);
        }
        let page = self
            .page(
                room,
                Page::After {
                    after: id - 1,
                    limit: 1,
                },
            )
            .await?;
        Ok(page.into_iter().next().filter(|record| record.id == id))
    }

    /// `room`'s newest id and its history's epoch.
    async fn head(&self, room: &RoomName) -> Result<RoomHead, StoreError>;

    /// `room`'s epoch alone; stores that know it without a read override this.
    async fn epoch(&self, room: &RoomName) -> Result<Epoch, StoreError> {
        Ok(self.head(room).await?.epoch)
    }

    /// Whether every change to the log goes through this process's fan-out, so the newest
    /// record broadcast *is* the head. True for a store this process owns; false for a
    /// shared one that can lose its data underneath (Redis), where the head must be asked.
    fn broadcasts_every_change(&self) -> bool {
        false
    }

    /// Whether the store can take writes right now (for the readiness probe).
    fn ready(&self) -> bool {
        true
    }

    /// Whether `room` exists: whether a message was ever stored in it. Joining, reading a
    /// head or a page create nothing.
    async fn has_room(&self, room: &RoomName) -> Result<bool, StoreError>;

    /// Up to `limit` rooms with their newest ids, busiest first (see [`RoomCursor`]), from
    /// just after `after` (from the start without one).
    async fn rooms(
        &self,
        after: Option<&RoomCursor>,
        limit: usize,
    ) -> Result<Vec<RoomSummary>, StoreError>;

    /// Up to `limit` rooms that exist (a message was stored in them, or they were created
    /// private), public and private alike, in name order (by bytes), from just after `after`.
    /// Writes never move a room in this order, so a walk through it while a server runs
    /// meets every room that existed when it began exactly once (`chinwag export`).
    async fn room_names(
        &self,
        after: Option<&RoomName>,
        limit: usize,
    ) -> Result<Vec<RoomName>, StoreError>;

    /// Writes `records`, ascending by id, into `room`'s log exactly as given (ids,
    /// timestamps, authors, change records, messages' edited or deleted state) and makes the
    /// last one's id the room's newest: how `chinwag import` loads an export. Nothing is
    /// handed to fan-out and no `client_id` is kept. If the room's newest id is not below
    /// the first record's, nothing is written ([`Occupied`]). The caller vouches that the
    /// records are a consistent log (the import checks them).
    async fn restore(
        &self,
        room: &RoomName,
        records: &[ChatRecord],
    ) -> Result<Result<(), Occupied>, StoreError>;
    /// Like [`Store::rooms`], private rooms and direct messages included: for the operators'
    /// console. By default the public list: the Redis engine indexes public rooms only, so a
    /// cluster's console lists those.
    async fn rooms_with_private(
        &self,
        after: Option<&RoomCursor>,
        limit: usize,
    ) -> Result<Vec<RoomSummary>, StoreError> {
        self.rooms(after, limit).await
    }

    /// Finishes every accepted write and refuses new ones. Idempotent.
    async fn close(&self);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_cursor_reads_back_what_it_writes_and_nothing_else() {
        let cursor = RoomCursor {
            last_id: 42,
            room: RoomName::parse("rust-talk_2").unwrap(),
        };
        assert_eq!(cursor.to_string(), "42.rust-talk_2");
        assert_eq!(RoomCursor::parse("42.rust-talk_2"), Some(cursor));
        for bad in [
            "",
            "42",
            ".general",
            "x.general",
            "-1.general",
            "4.Not A Room",
            "4.",
        ] {
            assert_eq!(RoomCursor::parse(bad), None, "{bad:?}");
        }
    }
    fn message(username: &str, text: &str) -> NewMessage {
        let username = Username::parse(username).unwrap();
        NewMessage {
            guest: true,
            bot: false,
            room: RoomName::parse("r").unwrap(),
            author: Author::name(&username),
            username,
            text: MessageText::parse(text).unwrap(),
            client_id: Some(ClientId::parse("c-1").unwrap()),
        }
    }

    fn stored(username: &str, text: &str) -> ChatRecord {
        ChatRecord {
            guest: true,
            bot: false,
            id: 4,
            room: RoomName::parse("r").unwrap(),
            username: Username::parse(username).unwrap(),
            message: text.to_owned(),
            ts: 1,
            client_id: None,
            change: None,
            deleted: None,
            edited: None,
        }
    }

    #[test]
    fn the_same_message_again_is_a_duplicate_answered_with_the_authors_client_id() {
        let retry = message("ada", "hi");
        let mut expected = stored("ada", "hi");
        expected.client_id = retry.client_id.clone();
        assert_eq!(
            Appended::retry_of(&retry, stored("ada", "hi")),
            Appended::Duplicate(expected)
        );
    }

    #[test]
    fn other_text_or_another_name_under_the_same_id_is_refused_as_reused() {
        assert_eq!(
            Appended::retry_of(&message("ada", "hi"), stored("ada", "bye")),
            Appended::Reused
        );
        assert_eq!(
            Appended::retry_of(&message("ada", "hi"), stored("bob", "hi")),
            Appended::Reused
        );
    }

    #[test]
    fn the_public_copy_of_a_record_has_no_client_id() {
        let mut record = stored("ada", "hi");
        record.client_id = Some(ClientId::parse("c-1").unwrap());
        assert_eq!(public(record), stored("ada", "hi"));
    }
}
