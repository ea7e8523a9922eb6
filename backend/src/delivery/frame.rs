//! A [`Frame`]: one server message serialized once, with the room (and, for chat, the id and
//! its epoch) kept beside the bytes, so sessions route and de-duplicate without parsing. It
//! travels as `Arc<Frame>`: each receiver costs a refcount bump, never a copy or a re-encode.
//! The store makes chat frames after commit; the hub makes event frames; fan-out and the
//! registry carry them to outboxes.

use crate::history::{Epoch, public};
use bytestring::ByteString;
use chinwag_shared::{ChatRecord, RoomName, ServerMsg};
use std::sync::Arc;

/// One server message, encoded once, addressed to a room.
#[derive(Debug)]
pub struct Frame {
    /// The room whose members receive it.
    pub room: RoomName,
    /// The chat record's id; `None` for ephemeral events (presence, typing).
    pub id: Option<u64>,
    /// The history epoch the id belongs to; `None` for ephemeral events.
    pub epoch: Option<Epoch>,
    /// The JSON text sent on the socket.
    pub text: ByteString,
    /// The stored record, for chat frames made where it is at hand (the embedded store);
    /// frames from other nodes carry only the text.
    pub record: Option<Arc<ChatRecord>>,
}

impl Frame {
    /// The chat frame of a stored record of history `epoch`, as every member receives it:
    /// without the author's `client_id`, which only the author's own confirmation carries
    /// (see `session::confirm`).
    pub fn chat(record: &ChatRecord, epoch: &Epoch) -> Arc<Frame> {
        let record = public(record.clone());
        Arc::new(Frame {
            room: record.room.clone(),
            id: Some(record.id),
            epoch: Some(Arc::clone(epoch)),
            text: encode(&ServerMsg::Chat(record.clone())),
            record: Some(Arc::new(record)),
        })
    }

    /// An ephemeral event for `room`'s members.
    pub fn event(room: &RoomName, message: &ServerMsg) -> Arc<Frame> {
        Arc::new(Frame {
            room: room.clone(),
            id: None,
            epoch: None,
            text: encode(message),
            record: None,
        })
    }
}

/// Serializes a server message to its JSON text.
pub fn encode(message: &ServerMsg) -> ByteString {
    // serde_json fails only on maps with non-string keys or failing Serialize impls; the
    // protocol types have neither, which the shared crate's round-trip tests exercise.
    #[expect(clippy::expect_used, reason = "protocol types always serialize")]
    let text = serde_json::to_string(message).expect("protocol types always serialize");
    ByteString::from(text)
}
