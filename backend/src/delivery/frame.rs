//! A [`Frame`]: one server message serialized once, its room beside the bytes, shared as
//! `Arc<Frame>` so each receiver costs a refcount bump, never a copy or a re-encode.
//!
//! The type says what it is: a [`ChatFrame`] is a stored record and always has its id and
//! epoch, so sessions place it in the room's history without parsing; an [`EventFrame`]
//! (presence, typing) has neither. The embedded store makes chat frames after commit and hands
//! them to local delivery (`fanout::ChatPublisher`); the Redis subscriber makes them from what a
//! node published. The hub makes events and hands them to `fanout::Fanout`, which takes nothing
//! else. The registry carries both kinds to outboxes.

use crate::history::{Epoch, public};
use bytestring::ByteString;
use chinwag_shared::{ChatRecord, RoomName, ServerMsg};
use std::sync::Arc;

/// One server message, encoded once, addressed to a room.
#[derive(Debug)]
pub enum Frame {
    /// A stored chat record.
    Chat(ChatFrame),
    /// An ephemeral event: presence or typing, never stored.
    Event(EventFrame),
}

/// A stored chat record as every member of its room receives it.
#[derive(Debug)]
pub struct ChatFrame {
    /// The room whose members receive it.
    pub room: RoomName,
    /// The record's id within `epoch`.
    pub id: u64,
    /// The history the id belongs to.
    pub epoch: Epoch,
    /// The JSON text sent on the socket.
    pub text: ByteString,
    /// The stored record, where it is at hand (the embedded store); frames relayed from other
    /// nodes carry only the text.
    pub record: Option<Arc<ChatRecord>>,
}

/// An ephemeral event for a room's members.
#[derive(Debug)]
pub struct EventFrame {
    /// The room whose members receive it.
    pub room: RoomName,
    /// The JSON text sent on the socket.
    pub text: ByteString,
    /// For a removal from a private room: whose connections leave it. They send `text` (the
    /// `forbidden` error frame) and leave the room; every other member's connection drops the
    /// frame unsent.
    pub removes: Option<Removes>,
}

/// Whose connections a removal ([`EventFrame::removes`]) takes out of its room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removes {
    /// Those of the account with this id (removed from the room's members).
    Account(Arc<str>),
    /// Every connection the access rule no longer admits: the room was just made private,
    /// and each connection in it asks again.
    Outsiders,
    /// Every connection of the account with this id, through its inbox: it ends as a
    /// sign-out ends it (the account was disabled, or signed out everywhere by an admin).
    SignedOut(Arc<str>),
    /// Those of guests using a name with this key (`NameKey`), kicked or banned by name.
    Guest {
        /// The name's key.
        key: Arc<str>,
        /// Whether it is a ban: then each such connection also has its address banned, so
        /// its guest cannot return under another name.
        ban: bool,
    },
}

impl ChatFrame {
    /// The chat frame of a stored record of history `epoch`, as every member receives it:
    /// without the author's `client_id`, which only the author's own confirmation carries
    /// (see `session::confirm`).
    pub fn new(record: &ChatRecord, epoch: &Epoch) -> Self {
        let record = public(record.clone());
        Self {
            room: record.room.clone(),
            id: record.id,
            epoch: Epoch::clone(epoch),
            text: encode(&ServerMsg::Chat(record.clone())),
            record: Some(Arc::new(record)),
        }
    }
}

impl ChatFrame {
    /// When the store accepted the record, Unix ms (its `ts`): from the record where it is
    /// at hand, else read from the JSON text, whose one top-level `"ts":` key is the record's
    /// (every string in it is escaped, so `"ts":` cannot occur inside a value). For the
    /// delivery-latency histogram; `None` if the text holds no stamp.
    pub fn stored_ms(&self) -> Option<u64> {
        if let Some(record) = &self.record {
            return Some(record.ts);
        }
        let (_, after) = self.text.split_once("\"ts\":")?;
        let digits = after
            .find(|c: char| !c.is_ascii_digit())
            .map_or(after, |end| &after[..end]);
        digits.parse().ok()
    }
}

impl EventFrame {
    /// An ephemeral event for `room`'s members, encoded once.
    pub fn new(room: &RoomName, message: &ServerMsg) -> Self {
        Self {
            room: room.clone(),
            text: encode(message),
            removes: None,
        }
    }

    /// The notice that `account` was removed from private `room`, which its connections
    /// send as `message` before leaving the room.
    pub fn removal(room: &RoomName, account: &str, message: &ServerMsg) -> Self {
        Self {
            removes: Some(Removes::Account(Arc::from(account))),
            ..Self::new(room, message)
        }
    }

    /// The notice, sent to `account`'s inbox, that every connection of it ends as signed
    /// out. Its text is never sent: the connections close with the sign-out close code.
    pub fn signed_out(inbox: &RoomName, account: &str, message: &ServerMsg) -> Self {
        Self {
            removes: Some(Removes::SignedOut(Arc::from(account))),
            ..Self::new(inbox, message)
        }
    }

    /// The notice that guests named `name` were kicked (or banned) from `room`, which their
    /// connections send as `message` before leaving the room.
    pub fn removal_of_guest(
        room: &RoomName,
        name: &chinwag_shared::Username,
        ban: bool,
        message: &ServerMsg,
    ) -> Self {
        Self {
            removes: Some(Removes::Guest {
                key: Arc::from(name.hold_key().as_str()),
                ban,
            }),
            ..Self::new(room, message)
        }
    }

    /// The notice that `room` was just made private, which the connections in it that the
    /// access rule refuses send as `message` before leaving the room.
    pub fn closing(room: &RoomName, message: &ServerMsg) -> Self {
        Self {
            removes: Some(Removes::Outsiders),
            ..Self::new(room, message)
        }
    }
}

impl Frame {
    /// A shared [`ChatFrame::new`].
    pub fn chat(record: &ChatRecord, epoch: &Epoch) -> Arc<Frame> {
        Arc::new(Frame::Chat(ChatFrame::new(record, epoch)))
    }

    /// A shared [`EventFrame::new`].
    pub fn event(room: &RoomName, message: &ServerMsg) -> Arc<Frame> {
        Arc::new(Frame::Event(EventFrame::new(room, message)))
    }

    /// The room whose members receive it.
    pub fn room(&self) -> &RoomName {
        match self {
            Frame::Chat(chat) => &chat.room,
            Frame::Event(event) => &event.room,
        }
    }

    /// The JSON text sent on the socket.
    pub fn text(&self) -> &ByteString {
        match self {
            Frame::Chat(chat) => &chat.text,
            Frame::Event(event) => &event.text,
        }
    }

    /// The chat record this frame carries, if it is one.
    pub fn as_chat(&self) -> Option<&ChatFrame> {
        match self {
            Frame::Chat(chat) => Some(chat),
            Frame::Event(_) => None,
        }
    }

    /// The chat record's id, if this is a chat frame.
    pub fn id(&self) -> Option<u64> {
        self.as_chat().map(|chat| chat.id)
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

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::{ClientId, Username};

    fn record(id: u64) -> ChatRecord {
        ChatRecord {
            guest: true,
            bot: false,
            id,
            room: RoomName::parse("general").unwrap(),
            username: Username::parse("ada").unwrap(),
            message: "hi".to_owned(),
            ts: 1,
            client_id: Some(ClientId::parse("c1").unwrap()),
            change: None,
            deleted: None,
            edited: None,
        }
    }

    #[test]
    fn a_chat_frame_carries_its_id_and_epoch_and_leaves_the_client_id_out() {
        let epoch: Epoch = "e1".into();
        let frame = Frame::chat(&record(7), &epoch);
        let chat = frame.as_chat().unwrap();
        assert_eq!((chat.id, &*chat.epoch), (7, "e1"));
        assert!(
            Epoch::ptr_eq(&chat.epoch, &epoch),
            "the epoch is shared, not copied"
        );
        assert_eq!(frame.id(), Some(7));
        assert_eq!(frame.room().as_str(), "general");
        assert!(!frame.text().contains("client_id"), "{}", frame.text());
        assert_eq!(chat.record.as_ref().unwrap().client_id, None);
    }

    #[test]
    fn a_relayed_chat_frame_reads_its_stamp_from_the_text() {
        let epoch: Epoch = "e1".into();
        let mut quoted = record(3);
        quoted.message = "\"ts\":1 and \\\"ts\\\":2".to_owned();
        quoted.ts = 1_764_700_000_123;
        let frame = Frame::chat(&quoted, &epoch);
        let chat = frame.as_chat().unwrap();
        let relayed = ChatFrame {
            room: chat.room.clone(),
            id: chat.id,
            epoch: Epoch::clone(&chat.epoch),
            text: chat.text.clone(),
            record: None,
        };
        assert_eq!(relayed.stored_ms(), Some(1_764_700_000_123));
        assert_eq!(chat.stored_ms(), Some(1_764_700_000_123));
    }

    #[test]
    fn an_event_frame_has_no_id() {
        let room = RoomName::parse("general").unwrap();
        let typing = ServerMsg::Typing {
            room: room.clone(),
            username: Username::parse("ada").unwrap(),
        };
        let frame = Frame::event(&room, &typing);
        assert!(frame.as_chat().is_none());
        assert_eq!(frame.id(), None);
        assert_eq!(frame.room(), &room);
        assert_eq!(frame.text(), &encode(&typing));
    }
}
