//! A stored chat message, exactly as clients see it on the socket and in the history API.
//!
//! The server creates a [`ChatRecord`] when it stores a message: `id` is the room's next id
//! (1, 2, 3, … with no holes, strictly increasing per room) and `ts` is the server's clock.

use crate::{ClientId, RoomName, Username};
use serde::{Deserialize, Serialize};

/// One stored chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The sender's own id for this message, when it gave one; retries carry the same id.
    /// Only ever in the sender's own confirmation (and the answer to its retries): the frames
    /// other members receive, replays and history pages leave it out, so one client's ids
    /// are never shown to another (issue 12).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<ClientId>,
}

/// What a record that does not say who wrote it was written by: a guest.
fn written_by_guest() -> bool {
    true
}

/// The HTTP response header naming the history epoch a page of records belongs to (see
/// `ServerMsg::Joined::epoch`); a 409 `history_reset` carries the room's new one there.
pub const EPOCH_HEADER: &str = "Chinwag-Epoch";

/// A room and the id of its newest message, as listed by `GET /api/rooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomSummary {
    /// The room.
    pub room: RoomName,
    /// The id of its newest message (0 if it has none).
    pub last_id: u64,
}
