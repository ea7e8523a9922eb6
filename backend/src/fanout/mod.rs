//! Fan-out: getting one encoded frame to every session in a room.
//!
//! A [`Frame`] is a server message serialized once, with the room (and, for chat, the id) kept
//! beside the bytes so sessions can route and de-duplicate without parsing. It travels as
//! `Arc<Frame>`, so each receiver costs one refcount bump, never a copy or a re-encode.
//!
//! [`Fanout`] is the seam between nodes: the store publishes committed chat records and the
//! hub publishes presence and typing events through it. [`local::LocalFanout`] delivers straight
//! to this process's sessions; a multi-node engine publishes to a broker and delivers what it
//! receives back.

pub mod local;

use crate::store::Epoch;
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
        let record = crate::store::public(record.clone());
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

/// Delivers frames to every member of their room, wherever the member is connected.
pub trait Fanout: Send + Sync + 'static {
    /// Hands `frame` to every member of `frame.room`. Never blocks and never waits on a client:
    /// a member whose queue is full is told to close instead. Chat frames of one room must be
    /// published in id order.
    fn publish(&self, frame: Arc<Frame>);
}
