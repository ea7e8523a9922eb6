//! A record of a room's log, exactly as clients see it on the socket and in the history API.
//!
//! The server creates a [`ChatRecord`] when it stores something: `id` is the room's next id
//! (1, 2, 3, … with no holes, strictly increasing per room) and `ts` is the server's clock.
//! Most records are messages. A record with a [`Change`] is an event about an earlier message
//! instead, an edit or a deletion, in order with the messages: a client resuming with
//! `after=N` receives every change made after N, even to messages older than N.
//!
//! A message is always served in its current state: `edited` names its latest edit, and a
//! deleted message is a tombstone (`deleted`, empty text). [`ChatRecord::apply`] is the one
//! rule for folding a change into a message; it is idempotent and ignores what it cannot
//! place, so a client may receive a change twice, before or after the message's current
//! state, or about a message it never saw, and still end right.

use crate::{
    names::{ClientId, RoomName, Username},
    unicode::lowercase,
};
use serde::{Deserialize, Serialize};

/// One stored chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatRecord {
    /// Position in its room's log: 1 for the first message, then +1 per stored message.
    pub id: u64,
    /// The room it was posted to.
    pub room: RoomName,
    /// Who posted it.
    pub username: Username,
    /// The text, as sent.
    pub message: String,
    /// Server time when it was stored, in Unix milliseconds.
    pub ts: u64,
    /// Whether its author was a guest: not signed in, so the name is only what they typed.
    /// Records from before accounts existed were all written by guests, so a record without
    /// the field reads as a guest's.
    #[serde(default = "written_by_guest")]
    pub guest: bool,
    /// Whether a backend posted it through the server API with a key (`POST
    /// /api/rooms/{room}/messages` with `Authorization: Bearer cwk_…`): then `username` is the
    /// bot's name, or [`crate::api_keys::SYSTEM_NAME`] for a message from the system. Left
    /// out when false, so every other record's JSON is unchanged.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub bot: bool,
    /// The sender's own id for this message, when it gave one; retries carry the same id.
    /// Only ever in the sender's own confirmation (and the answer to its retries): the frames
    /// other members receive, replays and history pages leave it out, so one client's ids
    /// are never shown to another (issue 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
    /// Set when this record is not a message but a change to an earlier one. Then `username`
    /// is who made the change, and `message` is an edit's new text (empty for a deletion, and
    /// for an edit whose message was deleted since).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
    /// On a message that was edited: the id of its latest edit record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited: Option<u64>,
    /// On a message that was deleted: the tombstone. Its `message` is then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Deletion>,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(ChatRecord, Serialize);

/// What a change record does to message `target` of the same room.
///
/// Written tagged by `kind` (`{"kind":"delete","target":4,"moderator":true}`), read through
/// `ChangeFields`: serde's derived reader of a tagged enum buffers the object first, which
/// in the browser compiles a second copy of the reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", from = "ChangeFields")]
pub enum Change {
    /// The author replaced the text with the record's `message`.
    Edit {
        /// The id of the message edited.
        target: u64,
    },
    /// The message was withdrawn: its text is gone from the server.
    Delete {
        /// The id of the message deleted.
        target: u64,
        /// Whether a moderator deleted it (then the record's `username` is the moderator);
        /// false when its author did.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        moderator: bool,
    },
}

/// A change's fields as they are read: every variant's fields in one flat object, so they
/// can come in any order and nothing needs buffering. An edit has no `moderator`; one sent
/// anyway is ignored, as serde's derived reader ignores any unknown field.
#[derive(Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
struct ChangeFields {
    kind: ChangeKind,
    target: u64,
    #[serde(default)]
    moderator: bool,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(ChangeFields);

/// [`Change`]'s variants by their wire names.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ChangeKind {
    Edit,
    Delete,
}

impl From<ChangeFields> for Change {
    fn from(
        ChangeFields {
            kind,
            target,
            moderator,
        }: ChangeFields,
    ) -> Self {
        match kind {
            ChangeKind::Edit => Change::Edit { target },
            ChangeKind::Delete => Change::Delete { target, moderator },
        }
    }
}

impl Change {
    /// The id of the message it changes.
    pub fn target(&self) -> u64 {
        match self {
            Change::Edit { target } | Change::Delete { target, .. } => *target,
        }
    }
}

/// A deleted message's tombstone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deletion {
    /// The id of the deletion record.
    pub id: u64,
    /// The moderator who deleted it; `None` when its author did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Username>,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(Deletion, Serialize);

/// What [`ChatRecord::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The message changed.
    Changed,
    /// Nothing changed: the record is not a change of this message, the message already has
    /// this change or a later one, or it is deleted.
    Unchanged,
}

impl ChatRecord {
    /// Whether this is a message from the system itself (a backend's post without a bot
    /// name), rather than from a named bot or a person.
    pub fn is_system(&self) -> bool {
        self.bot && self.username.as_str() == crate::api_keys::SYSTEM_NAME
    }

    /// Whether this record is a message (not a change record).
    pub fn is_message(&self) -> bool {
        self.change.is_none()
    }

    /// Whether this is a message that still has its text (not deleted).
    pub fn is_live_message(&self) -> bool {
        self.change.is_none() && self.deleted.is_none()
    }

    /// Folds change record `change` into this message. Idempotent and order-proof: an edit
    /// older than the message's latest applies nothing, a deletion is final, and a record
    /// about another message (or that is no change) is ignored.
    pub fn apply(&mut self, change: &ChatRecord) -> Applied {
        let Some(what) = &change.change else {
            return Applied::Unchanged;
        };
        if self.change.is_some()
            || self.deleted.is_some()
            || what.target() != self.id
            || change.room != self.room
            || change.id <= self.id
        {
            return Applied::Unchanged;
        }
        match what {
            Change::Edit { .. } => {
                if self.edited.is_some_and(|latest| latest >= change.id) {
                    return Applied::Unchanged;
                }
                self.message.clone_from(&change.message);
                self.edited = Some(change.id);
            }
            Change::Delete { moderator, .. } => {
                self.message.clear();
                self.deleted = Some(Deletion {
                    id: change.id,
                    by: moderator.then(|| change.username.clone()),
                });
            }
        }
        Applied::Changed
    }

    /// This record with its text removed, as a deletion leaves it: a message becomes a
    /// tombstone elsewhere; an edit record of a deleted message keeps only that it happened.
    pub fn scrubbed(mut self) -> Self {
        self.message.clear();
        self
    }
}

/// What a record that does not say who wrote it was written by: a guest.
fn written_by_guest() -> bool {
    true
}

/// The HTTP response header naming the history epoch a page of records belongs to (see
/// `ServerMsg::Joined::epoch`); a 409 `history_reset` carries the room's new one there.
pub const EPOCH_HEADER: &str = "Chinwag-Epoch";

/// A room and the id of its newest record, as listed by `GET /api/rooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomSummary {
    /// The room.
    pub room: RoomName,
    /// The id of its newest record (0 if it has none).
    pub last_id: u64,
    /// For a signed-in caller: messages after its read marker, not its own and not deleted
    /// (counted up to [`crate::UNREAD_COUNT_CAP`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<u64>,
    /// For a signed-in caller: how many of `unread` mention it (`@name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<u64>,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(RoomSummary, Serialize);

/// Whether `text` mentions `name`: `@name` in any case, not followed by another name
/// character. The server counts mentions and the browser highlights them with this one rule.
/// Case is folded, look-alike letters are not: the look-alike table would weigh more in the
/// browser's bundle than everything else this rule needs, and no two accounts can hold
/// look-alike names anyway, so `@аda` spelled with a Cyrillic `а` is not a mention of `ada`.
pub fn mentions(text: &str, name: &Username) -> bool {
    let wanted = lowercase(name.as_str());
    let length = name.as_str().chars().count();
    text.match_indices('@').any(|(at, _)| {
        let rest = &text[at + 1..];
        let end = rest
            .char_indices()
            .nth(length)
            .map_or(rest.len(), |(index, _)| index);
        let (candidate, after) = rest.split_at(end);
        lowercase(candidate) == wanted && !continues_a_name(after)
    })
}

/// Whether `after` (what follows a would-be `@name`) makes it a longer name: a name character
/// next, or a `.` that another name character follows (`@ada.b` is not `@ada`, `@ada.` is).
fn continues_a_name(after: &str) -> bool {
    let is_name_char = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    let mut chars = after.chars();
    match chars.next() {
        Some('.') => chars.next().is_some_and(is_name_char),
        Some(c) => is_name_char(c),
        None => false,
    }
}

#[cfg(test)]
mod tests;
