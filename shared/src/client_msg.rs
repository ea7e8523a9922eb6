//! What a client may send on the socket.
//!
//! Frames are JSON objects tagged by `"type"` ([`ClientMsg`]). One untagged shape is accepted
//! too: the seed lecture's `{"username": ..., "message": ...}` ([`SeedMsg`]), a chat message to
//! [`crate::DEFAULT_ROOM`]. It is exactly a `send`: the `send` fields it may carry (`room`,
//! `client_id`) are honoured and validated like a `send`'s, so a snippet grown by one field
//! behaves as it reads; any other field is ignored, as the lecture's page may add its own. Fields
//! arrive as raw strings so that a server can say precisely which one is wrong;
//! [`ClientMsg::validate`] turns them into a [`Request`] of validated values.

use crate::{
    epoch::Epoch,
    limits::DEFAULT_ROOM,
    names::{ClientId, ClientToken, MessageText, RoomName, Username, ValidationError},
};
use serde::{Deserialize, Serialize};

/// A message from client to server, as it appears on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMsg {
    /// Post a chat message.
    Send {
        /// Target room; [`crate::DEFAULT_ROOM`] when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<String>,
        /// Who posts it; may be omitted once the connection has a username.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// The text.
        message: String,
        /// The client's own id for this message; a retry with the same id stores nothing new.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
    },
    /// Enter a room: replay what is stored after `after`, then receive live messages.
    Join {
        /// The room to join.
        room: String,
        /// Replay every stored message with a larger id first; live messages only when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<u64>,
        /// Show the connection under this name in the room's presence list.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
        /// The client's token, if the connection did not give one in its URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// The room's history epoch the client's `after` belongs to (from its last `joined`).
        /// When the server's differs, the history was replaced; it answers `history_reset` and
        /// replays from the start.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<Epoch>,
    },
    /// Stop receiving a room's messages.
    Leave {
        /// The room to leave.
        room: String,
    },
    /// Tell the room this person is typing; relayed, never stored.
    Typing {
        /// The room being typed in.
        room: String,
        /// Who is typing; may be omitted once the connection has a username.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username: Option<String>,
    },
}

/// The seed lecture's message: `{"username": ..., "message": ...}` with no `type`, plus the
/// optional fields of a `send`. Unknown fields are ignored (no `deny_unknown_fields`): the
/// lecture's snippet is the compatibility floor, and pages built on it may add their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedMsg {
    /// Who posts it.
    pub username: String,
    /// The text.
    pub message: String,
    /// Target room, as in a `send`; [`crate::DEFAULT_ROOM`] when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// Idempotency key, as in a `send`: a retry with the same id stores nothing new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

impl From<SeedMsg> for ClientMsg {
    fn from(seed: SeedMsg) -> Self {
        ClientMsg::Send {
            room: seed.room,
            username: Some(seed.username),
            message: seed.message,
            client_id: seed.client_id,
        }
    }
}

/// Just the `type` of a frame, for telling an unknown type from a malformed known one.
#[derive(Debug, Clone, Deserialize)]
pub struct Envelope {
    /// The frame's `type`, if it has one.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

impl Envelope {
    /// Every `type` a client may send.
    pub const KNOWN_TYPES: [&'static str; 4] = ["send", "join", "leave", "typing"];

    /// Whether `kind` names a message this protocol defines.
    pub fn is_known(kind: &str) -> bool {
        Self::KNOWN_TYPES.contains(&kind)
    }
}

/// A client message whose every field passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Post `text` to `room`.
    Send {
        /// Target room.
        room: RoomName,
        /// The poster named in the frame, if any.
        username: Option<Username>,
        /// The text.
        text: MessageText,
        /// The client's idempotency key.
        client_id: Option<ClientId>,
    },
    /// Join `room`, replaying after `after` when given.
    Join {
        /// The room.
        room: RoomName,
        /// Replay start (exclusive).
        after: Option<u64>,
        /// Presence name.
        username: Option<Username>,
        /// The client's token.
        token: Option<ClientToken>,
        /// The epoch `after` belongs to; compared, never stored.
        epoch: Option<Epoch>,
    },
    /// Leave `room`.
    Leave {
        /// The room.
        room: RoomName,
    },
    /// Someone is typing in `room`.
    Typing {
        /// The room.
        room: RoomName,
        /// Who, if named in the frame.
        username: Option<Username>,
    },
}

fn parse_optional<T>(
    raw: Option<&str>,
    parse: fn(&str) -> Result<T, ValidationError>,
) -> Result<Option<T>, ValidationError> {
    raw.map(parse).transpose()
}

impl ClientMsg {
    /// The `client_id` as sent, so that an error about this frame can name it.
    pub fn client_id(&self) -> Option<&str> {
        match self {
            ClientMsg::Send { client_id, .. } => client_id.as_deref(),
            _ => None,
        }
    }

    /// The room as sent, so that an error about this frame can name it.
    pub fn room(&self) -> Option<&str> {
        match self {
            ClientMsg::Send { room, .. } => Some(room.as_deref().unwrap_or(DEFAULT_ROOM)),
            ClientMsg::Join { room, .. }
            | ClientMsg::Leave { room }
            | ClientMsg::Typing { room, .. } => Some(room),
        }
    }

    /// Checks every field; the first failure is returned.
    pub fn validate(&self) -> Result<Request, ValidationError> {
        Ok(match self {
            ClientMsg::Send {
                room,
                username,
                message,
                client_id,
            } => Request::Send {
                room: match room {
                    Some(room) => RoomName::parse(room)?,
                    None => RoomName::default_room(),
                },
                username: parse_optional(username.as_deref(), Username::parse)?,
                text: MessageText::parse(message)?,
                client_id: parse_optional(client_id.as_deref(), ClientId::parse)?,
            },
            ClientMsg::Join {
                room,
                after,
                username,
                token,
                epoch,
            } => Request::Join {
                room: RoomName::parse(room)?,
                after: *after,
                username: parse_optional(username.as_deref(), Username::parse)?,
                token: parse_optional(token.as_deref(), ClientToken::parse)?,
                epoch: epoch.clone(),
            },
            ClientMsg::Leave { room } => Request::Leave {
                room: RoomName::parse(room)?,
            },
            ClientMsg::Typing { room, username } => Request::Typing {
                room: RoomName::parse(room)?,
                username: parse_optional(username.as_deref(), Username::parse)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error_code::ErrorCode;

    #[test]
    fn the_seed_shape_is_a_send_to_general() {
        let seed: SeedMsg = serde_json::from_str(r#"{"username":"alice","message":"hi"}"#).unwrap();
        let request = ClientMsg::from(seed).validate().unwrap();
        assert_eq!(
            request,
            Request::Send {
                room: RoomName::parse("general").unwrap(),
                username: Some(Username::parse("alice").unwrap()),
                text: MessageText::parse("hi").unwrap(),
                client_id: None,
            }
        );
    }

    #[test]
    fn the_seed_shape_honours_the_send_fields_it_carries() {
        let seed: SeedMsg = serde_json::from_str(
            r#"{"username":"alice","message":"hi","room":"random","client_id":"x","extra":1}"#,
        )
        .unwrap();
        let Request::Send {
            room, client_id, ..
        } = ClientMsg::from(seed).validate().unwrap()
        else {
            panic!("the seed shape is a send");
        };
        assert_eq!(room.as_str(), "random");
        assert_eq!(client_id, Some(ClientId::parse("x").unwrap()));
        let bad: SeedMsg =
            serde_json::from_str(r#"{"username":"a","message":"b","room":"Not A Room"}"#).unwrap();
        assert_eq!(
            ClientMsg::from(bad).validate().unwrap_err().code(),
            ErrorCode::InvalidRoom
        );
        assert!(
            serde_json::from_str::<SeedMsg>(r#"{"username":"a","message":"b","room":5}"#).is_err()
        );
    }

    #[test]
    fn the_seed_shape_is_not_a_tagged_message() {
        // The seed's frame has no `type`; it must fall through to `SeedMsg`, not match a variant.
        assert!(serde_json::from_str::<ClientMsg>(r#"{"username":"a","message":"b"}"#).is_err());
        let envelope: Envelope = serde_json::from_str(r#"{"username":"a","message":"b"}"#).unwrap();
        assert_eq!(envelope.kind, None);
    }

    #[test]
    fn tagged_messages_use_the_documented_field_names() {
        let send: ClientMsg = serde_json::from_str(
            r#"{"type":"send","room":"rust","message":"hey","client_id":"c-1","username":"bo"}"#,
        )
        .unwrap();
        assert_eq!(send.client_id(), Some("c-1"));
        assert_eq!(send.room(), Some("rust"));
        let join: ClientMsg =
            serde_json::from_str(r#"{"type":"join","room":"rust","after":41}"#).unwrap();
        assert_eq!(
            join,
            ClientMsg::Join {
                room: "rust".into(),
                after: Some(41),
                username: None,
                token: None,
                epoch: None,
            }
        );
        let json = serde_json::to_value(ClientMsg::Leave { room: "x".into() }).unwrap();
        assert_eq!(json, serde_json::json!({"type": "leave", "room": "x"}));
    }

    #[test]
    fn validation_reports_the_failing_field() {
        let msg = ClientMsg::Send {
            room: Some("Bad Room".into()),
            username: None,
            message: "x".into(),
            client_id: None,
        };
        assert_eq!(msg.validate().unwrap_err().code(), ErrorCode::InvalidRoom);
        let msg = ClientMsg::Send {
            room: None,
            username: None,
            message: "y".repeat(crate::limits::MAX_MESSAGE_CHARS + 1),
            client_id: Some("id".into()),
        };
        assert_eq!(
            msg.validate().unwrap_err().code(),
            ErrorCode::MessageTooLong
        );
    }

    #[test]
    fn unknown_types_are_recognisable() {
        let envelope: Envelope = serde_json::from_str(r#"{"type":"dance"}"#).unwrap();
        assert_eq!(envelope.kind.as_deref(), Some("dance"));
        assert!(!Envelope::is_known("dance"));
        assert!(Envelope::is_known("join"));
    }
}
