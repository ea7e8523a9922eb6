//! [`ServerMsg::from_json`]: a frame decoded in two passes over its text, without serde's
//! buffering.
//!
//! `ServerMsg` is internally tagged (`{"type":"chat",...}`), and serde's derived decoder for
//! that form cannot know which variant it is reading until it has seen `"type"`, which may
//! come anywhere in the object. So it first copies the whole object into its own buffered
//! `Content` tree and then decodes the variant from that copy. That costs allocations per
//! frame, and, in the browser, a second compiled copy of every variant's decoder (one reading
//! JSON text, one reading `Content`): `ChatRecord`'s, for one, already exists for the history
//! API.
//!
//! The text is at hand, so this reads it twice instead: once for the tag alone (skipping every
//! other field), then once more as the variant's own fields, where the `type` field is just
//! one more unknown field to skip. No copy, and every variant's decoder is the one that reads
//! JSON text. The derived `Deserialize` stays for the server, which decodes frames from any
//! serde format; both accept the same objects (the tests check every variant). Only the
//! derived one also takes a JSON array (the tag, then the fields in order), which no server
//! writes.
//!
//! The structs here are the fields of `ServerMsg`'s struct variants, with the same serde
//! attributes; `ServerMsg` itself stays the one place that says how a frame is written.

use super::{ErrorFrame, ServerMsg};
use crate::{
    epoch::Epoch,
    names::{RoomName, Username},
};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, IntoDeserializer, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

impl ServerMsg {
    /// Decodes one frame of the socket's JSON text; the browser client's decoder.
    ///
    /// Accepts exactly what the derived [`Deserialize`] accepts from a JSON object: fields in
    /// any order, unknown fields ignored. An unknown `type` is refused with the list of known
    /// ones, a missing one as a missing field, and any other error is serde_json's, with its
    /// line and column.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        Ok(match serde_json::from_str::<Tag>(text)?.kind {
            Kind::Chat => ServerMsg::Chat(serde_json::from_str(text)?),
            Kind::Joined => {
                let Joined {
                    room,
                    last_id,
                    epoch,
                } = serde_json::from_str(text)?;
                ServerMsg::Joined {
                    room,
                    last_id,
                    epoch,
                }
            }
            Kind::HistoryReset => {
                let HistoryReset { room, epoch } = serde_json::from_str(text)?;
                ServerMsg::HistoryReset { room, epoch }
            }
            Kind::Left => ServerMsg::Left {
                room: serde_json::from_str::<InRoom>(text)?.room,
            },
            Kind::Presence => {
                let Presence {
                    room,
                    users,
                    guests,
                    count,
                } = serde_json::from_str(text)?;
                ServerMsg::Presence {
                    room,
                    users,
                    guests,
                    count,
                }
            }
            Kind::PresenceDiff => {
                let PresenceDiff {
                    room,
                    arrived,
                    guests,
                    departed,
                    count,
                } = serde_json::from_str(text)?;
                ServerMsg::PresenceDiff {
                    room,
                    arrived,
                    guests,
                    departed,
                    count,
                }
            }
            Kind::UserJoined => {
                let UserJoined {
                    room,
                    username,
                    guest,
                } = serde_json::from_str(text)?;
                ServerMsg::UserJoined {
                    room,
                    username,
                    guest,
                }
            }
            Kind::UserLeft => {
                let Someone { room, username } = serde_json::from_str(text)?;
                ServerMsg::UserLeft { room, username }
            }
            Kind::Typing => {
                let Someone { room, username } = serde_json::from_str(text)?;
                ServerMsg::Typing { room, username }
            }
            Kind::Error => ServerMsg::Error(serde_json::from_str::<ErrorFrame>(text)?),
            Kind::RoomsChanged => ServerMsg::RoomsChanged,
            Kind::ReadMarker => {
                let ReadMarker { room, id } = serde_json::from_str(text)?;
                ServerMsg::ReadMarker { room, id }
            }
            Kind::RoomSettingsChanged => ServerMsg::RoomSettingsChanged {
                room: serde_json::from_str::<InRoom>(text)?.room,
            },
        })
    }
}

/// The first pass: the frame's `type`, every other field skipped.
struct Tag {
    kind: Kind,
}

/// Read by hand rather than derived because a derived struct also reads a JSON array as its
/// fields in order; a frame is always an object, and anything else is refused here.
impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(TagVisitor)
    }
}

struct TagVisitor;

impl<'de> Visitor<'de> for TagVisitor {
    type Value = Tag;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a frame: a JSON object with a `type`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tag, A::Error> {
        let mut tag = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if key != "type" {
                map.next_value::<IgnoredAny>()?;
            } else if tag.is_some() {
                return Err(de::Error::duplicate_field("type"));
            } else {
                tag = Some(map.next_value::<Cow<'de, str>>()?);
            }
        }
        let tag = tag.ok_or_else(|| de::Error::missing_field("type"))?;
        // Read as text first, then as a `Kind`: so a tag of the wrong type is refused as
        // "expected a string", and an unknown one with the list of known ones.
        let kind = Kind::deserialize(tag.into_deserializer())?;
        Ok(Tag { kind })
    }
}

/// `ServerMsg`'s variants by their wire names.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    Chat,
    Joined,
    HistoryReset,
    Left,
    Presence,
    PresenceDiff,
    UserJoined,
    UserLeft,
    Typing,
    Error,
    RoomsChanged,
    ReadMarker,
    RoomSettingsChanged,
}

/// `ServerMsg::Joined`'s fields.
#[derive(Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
struct Joined {
    room: RoomName,
    last_id: u64,
    #[serde(default, deserialize_with = "crate::epoch::optional::deserialize")]
    epoch: Option<Epoch>,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(Joined);

/// `ServerMsg::HistoryReset`'s fields.
#[derive(Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
struct HistoryReset {
    room: RoomName,
    epoch: Epoch,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(HistoryReset);

/// The fields of `ServerMsg::Left` and `ServerMsg::RoomSettingsChanged`.
#[derive(Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
struct InRoom {
    room: RoomName,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(InRoom);

/// `ServerMsg::Presence`'s fields.
#[derive(Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
struct Presence {
    room: RoomName,
    users: Vec<Username>,
    #[serde(default)]
    guests: Vec<Username>,
    #[serde(default)]
    count: Option<u64>,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(Presence);

/// `ServerMsg::PresenceDiff`'s fields.
#[derive(Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
struct PresenceDiff {
    room: RoomName,
    #[serde(default)]
    arrived: Vec<Username>,
    #[serde(default)]
    guests: Vec<Username>,
    #[serde(default)]
    departed: Vec<Username>,
    count: u64,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(PresenceDiff);

/// `ServerMsg::UserJoined`'s fields.
#[derive(Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
struct UserJoined {
    room: RoomName,
    username: Username,
    #[serde(default)]
    guest: bool,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(UserJoined);

/// The fields of `ServerMsg::UserLeft` and `ServerMsg::Typing`.
#[derive(Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
struct Someone {
    room: RoomName,
    username: Username,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(Someone);

/// `ServerMsg::ReadMarker`'s fields.
#[derive(Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
struct ReadMarker {
    room: RoomName,
    id: u64,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(ReadMarker);

#[cfg(test)]
mod tests;
