//! The Redis engine's data format, built only here: what nodes tell each other through pub/sub,
//! and the chat JSON the append script stores and publishes.
//!
//! Where payloads go is [`Channels`]'s: on one Redis, one channel every node hears; on a
//! cluster, one sharded channel per room, which only the room's shard carries.
//!
//! Four kinds of payload, fields separated by `\n` (room names, ids and epochs never contain
//! one, the account is written as a JSON string, which cannot, and the JSON frame is always
//! the last field; serde_json writes a line break inside a string as `\n`, so a frame is one
//! line):
//!
//! ```text
//! C\n{room}\n{id}\n{epoch}\n{chat frame JSON}     a stored record, message or change (published
//!                                               by the append or the change script)
//! B\n{room}\n{id}\n{epoch}\n{JSON}\n{JSON}...    the records one append call stored, in order,
//!                                               ids from {id} on, one by one: a batch of C
//!                                               in one payload ([`BatchReaders`] says when)
//! E\n{room}\n{event frame JSON}                   presence or typing, never stored
//! R\n{room}\n{account as a JSON string}\n{JSON}   a removal from a private room: the removed
//!                                               account's connections send the frame and
//!                                               leave; other members drop it unsent. `null`
//!                                               for the account: the room was just made
//!                                               private, and every connection the access
//!                                               rule refuses leaves
//! ```
//!
//! An account id is any text (`jwt:{sub}` carries a JWT's subject, which may hold a newline),
//! hence its JSON quoting: the header stays one line per field whatever the id.
//!
//! The JSON is the exact text clients receive, so a node decodes only the header and passes
//! the bytes on: each message is serialized once for the whole cluster. The Lua scripts never
//! build JSON or headers themselves: a chat record's id and timestamp, and its epoch, exist
//! only inside the append and change scripts, so the node hands them [`ChatTemplate`],
//! [`RevisedTemplate`] and [`chat_payload_pieces`] (text with holes where those go; built in
//! [`chat`]), and a presence script publishes the [`event_payload`] it is given. A field
//! added to `ChatRecord` reaches every copy through serde, or stops the build in [`chat`].

use super::keyspace::Keyspace;
use crate::{
    delivery::frame::{ChatFrame, EventFrame, Frame, Removes},
    history::Epoch,
};
use bytestring::ByteString;
use chinwag_shared::RoomName;
use std::{
    borrow::Cow,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

mod chat;

pub use chat::{ChatTemplate, RevisedTemplate, stored_json};

/// Whether every running node reads `B` payloads, so an append may publish its batch as one.
///
/// A node of an earlier release skips a payload of a kind it does not know, and its members
/// would miss those records until the next `C` showed them the gap. So `B` is published only
/// while every node's registry entry says it reads them ([`super::node_registry`], refreshed
/// once a second); until then, and as soon as a node that does not shows up, one `C` per
/// record, as before.
#[derive(Debug, Default)]
pub struct BatchReaders(AtomicBool);

impl BatchReaders {
    /// Whether an append may publish its batch as one `B` payload now.
    pub fn all_read_batches(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Records what the registry says now.
    pub fn set(&self, all_read_batches: bool) {
        self.0.store(all_read_batches, Ordering::Relaxed);
    }
}

/// The newest payload kind this release reads: `B`. Nodes say it in their registry entries.
pub const READS: u32 = 2;

/// The channel every node publishes to and subscribes to, on one Redis.
pub const CHANNEL: &str = "chinwag:fanout";

/// Where a room's payloads are published.
///
/// On one Redis, `PUBLISH` on [`CHANNEL`], which every node hears. On a cluster, a plain
/// `PUBLISH` would be relayed to every Redis node over the cluster bus, so every append would
/// cost every shard; instead `SPUBLISH` (Redis 7's sharded pub/sub) on the room's own channel,
/// which hashes to the room's slot: the shard that ran the append script carries it, and only
/// the nodes with members in the room subscribe to it ([`super::broker`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    /// `PUBLISH` on [`CHANNEL`].
    Broadcast,
    /// `SPUBLISH` on [`room_channel`].
    Sharded,
}

impl Channels {
    /// The channels of a keyspace.
    pub fn of(keyspace: Keyspace) -> Self {
        match keyspace {
            Keyspace::Single => Self::Broadcast,
            Keyspace::Cluster => Self::Sharded,
        }
    }

    /// The command that publishes (what the scripts call).
    pub fn publish_command(self) -> &'static str {
        match self {
            Self::Broadcast => "PUBLISH",
            Self::Sharded => "SPUBLISH",
        }
    }

    /// The channel `room`'s payloads go to.
    pub fn channel(self, room: &RoomName) -> Cow<'static, str> {
        match self {
            Self::Broadcast => Cow::Borrowed(CHANNEL),
            Self::Sharded => Cow::Owned(room_channel(room)),
        }
    }
}

/// A room's sharded channel, in the room's slot (its tag is the room, like its keys').
pub fn room_channel(room: &RoomName) -> String {
    format!("chinwag:fanout:{{{room}}}")
}

/// The room a sharded channel is for, if it is one of [`room_channel`]'s.
pub fn room_of_channel(channel: &str) -> Option<RoomName> {
    let room = channel
        .strip_prefix("chinwag:fanout:{")?
        .strip_suffix('}')?;
    RoomName::parse(room).ok()
}

/// The payload of an event for `room` whose frame JSON is `json` (never a chat frame).
pub fn event_payload(room: &RoomName, json: &str) -> String {
    format!("E\n{room}\n{json}")
}

/// Whose connections a removal takes out, as its payload's third line says it: the account's
/// id as a JSON string, `null` for outsiders, `{"guest":key,"ban":bool}` for a guest name,
/// `{"signed_out":id}` for every connection of an account that was signed out by an admin.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum WhoLeaves {
    Account(String),
    Guest { guest: String, ban: bool },
    SignedOut { signed_out: String },
    Outsiders(()),
}

/// The payload of a removal: whom `removes` names leave `room`, and their connections first
/// send `json` (the `forbidden`, `kicked` or `banned` error frame).
pub fn removal_payload(room: &RoomName, removes: &Removes, json: &str) -> String {
    let who = match removes {
        Removes::Account(account) => WhoLeaves::Account(account.to_string()),
        Removes::Outsiders => WhoLeaves::Outsiders(()),
        Removes::SignedOut(account) => WhoLeaves::SignedOut {
            signed_out: account.to_string(),
        },
        Removes::Guest { key, ban } => WhoLeaves::Guest {
            guest: key.to_string(),
            ban: *ban,
        },
    };
    // Strings, null and a flat object always serialize (serde_json escapes what JSON needs).
    #[expect(clippy::expect_used, reason = "strings and null always serialize")]
    let who = serde_json::to_string(&who).expect("strings and null always serialize");
    format!("R\n{room}\n{who}\n{json}")
}

/// The payload of `event` as fan-out publishes it: a removal if it removes someone, a plain
/// event otherwise.
pub fn event_frame_payload(event: &EventFrame) -> String {
    match &event.removes {
        Some(removes) => removal_payload(&event.room, removes, &event.text),
        None => event_payload(&event.room, &event.text),
    }
}

/// The payload of a chat record of `room`, cut where the append script puts the id, the
/// epoch and the record's JSON, in that order: `C\n{room}\n` + id + `\n` + epoch + `\n` +
/// JSON.
pub fn chat_payload_pieces(room: &RoomName) -> [String; 3] {
    [format!("C\n{room}\n"), "\n".to_owned(), "\n".to_owned()]
}

/// What goes before a batch's first id in a `B` payload (then, as in a `C` payload's
/// [`chat_payload_pieces`], `\n`, the epoch, `\n`, and the records' JSON, one per line).
pub fn batch_payload_prefix(room: &RoomName) -> String {
    format!("B\n{room}\n")
}

/// Why a payload was not understood (a node of another version, or a stray publisher).
#[derive(Debug, thiserror::Error)]
#[error("malformed fan-out payload: {0}")]
pub struct Malformed(&'static str);

/// A payload's fields, read but not yet delivered: the JSON is borrowed from the payload.
#[derive(Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    /// `C`: a stored chat record.
    Chat {
        /// Its room.
        room: RoomName,
        /// Its id.
        id: u64,
        /// The history its id belongs to.
        epoch: &'a str,
        /// The chat frame's JSON, as clients receive it.
        json: &'a str,
    },
    /// `B`: stored chat records, ids from `first` on, one by one.
    Chats {
        /// Their room.
        room: RoomName,
        /// The first one's id.
        first: u64,
        /// The history their ids belong to.
        epoch: &'a str,
        /// Their chat frames' JSON, one per line.
        lines: &'a str,
    },
    /// `E`: an event, never stored.
    Event {
        /// Its room.
        room: RoomName,
        /// The event frame's JSON, as clients receive it.
        json: &'a str,
    },
    /// `R`: a removal from a private room, never stored.
    Removal {
        /// The private room.
        room: RoomName,
        /// Whose connections leave.
        removes: Removes,
        /// The frame its connections send before leaving, as clients receive it.
        json: &'a str,
    },
}

/// Reads a payload's header; the JSON after it is left as it is.
pub fn parse(payload: &str) -> Result<Payload<'_>, Malformed> {
    let (kind, rest) = payload.split_once('\n').ok_or(Malformed("no kind"))?;
    let (room, rest) = rest.split_once('\n').ok_or(Malformed("no room"))?;
    let room = RoomName::parse(room).map_err(|_| Malformed("bad room"))?;
    match kind {
        "C" => {
            let (id, rest) = rest.split_once('\n').ok_or(Malformed("no id"))?;
            let (epoch, json) = rest.split_once('\n').ok_or(Malformed("no epoch"))?;
            let id = id.parse().map_err(|_| Malformed("bad id"))?;
            Ok(Payload::Chat {
                room,
                id,
                epoch,
                json,
            })
        }
        "B" => {
            let (first, rest) = rest.split_once('\n').ok_or(Malformed("no id"))?;
            let (epoch, lines) = rest.split_once('\n').ok_or(Malformed("no epoch"))?;
            let first: u64 = first.parse().map_err(|_| Malformed("bad id"))?;
            let mut count = 0_u64;
            for line in lines.split('\n') {
                if line.is_empty() {
                    return Err(Malformed("empty record"));
                }
                count += 1;
            }
            if first.checked_add(count).is_none() {
                return Err(Malformed("ids past the last"));
            }
            Ok(Payload::Chats {
                room,
                first,
                epoch,
                lines,
            })
        }
        "E" => Ok(Payload::Event { room, json: rest }),
        "R" => {
            let (who, json) = rest.split_once('\n').ok_or(Malformed("no account"))?;
            let who: WhoLeaves = serde_json::from_str(who).map_err(|_| Malformed("bad account"))?;
            let removes = match who {
                WhoLeaves::Account(id) => Removes::Account(Arc::from(id)),
                WhoLeaves::Outsiders(()) => Removes::Outsiders,
                WhoLeaves::SignedOut { signed_out } => Removes::SignedOut(Arc::from(signed_out)),
                WhoLeaves::Guest { guest, ban } => Removes::Guest {
                    key: Arc::from(guest),
                    ban,
                },
            };
            Ok(Payload::Removal {
                room,
                removes,
                json,
            })
        }
        _ => Err(Malformed("unknown kind")),
    }
}

/// Decodes a payload into the frames to deliver, in order: one, or a `B` payload's records.
/// `epoch_of(room, text)` returns a shared copy of an epoch equal to `text` (so every frame of
/// a room shares one allocation).
pub fn decode(
    payload: &str,
    epoch_of: impl FnOnce(&RoomName, &str) -> Epoch,
) -> Result<Vec<Arc<Frame>>, Malformed> {
    let chat = |room: RoomName, id: u64, epoch: Epoch, json: &str| {
        Arc::new(Frame::Chat(ChatFrame {
            room,
            id,
            epoch,
            text: ByteString::from(json),
            record: None,
        }))
    };
    Ok(match parse(payload)? {
        Payload::Chat {
            room,
            id,
            epoch,
            json,
        } => {
            let epoch = epoch_of(&room, epoch);
            vec![chat(room, id, epoch, json)]
        }
        Payload::Chats {
            room,
            first,
            epoch,
            lines,
        } => {
            let epoch = epoch_of(&room, epoch);
            let mut frames = Vec::new();
            for (id, json) in (first..).zip(lines.split('\n')) {
                frames.push(chat(room.clone(), id, Epoch::clone(&epoch), json));
            }
            frames
        }
        Payload::Event { room, json } => vec![Arc::new(Frame::Event(EventFrame {
            room,
            text: ByteString::from(json),
            removes: None,
        }))],
        Payload::Removal {
            room,
            removes,
            json,
        } => vec![Arc::new(Frame::Event(EventFrame {
            room,
            text: ByteString::from(json),
            removes: Some(removes),
        }))],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one frame a payload decoded to.
    fn one(mut frames: Vec<Arc<Frame>>) -> Arc<Frame> {
        assert_eq!(frames.len(), 1, "one frame expected");
        frames.remove(0)
    }

    #[test]
    fn chat_payloads_keep_their_json_verbatim() {
        let json = r#"{"type":"chat","room":"general","id":7,"ts":1}"#;
        let payload = format!("C\ngeneral\n7\nr123\n{json}");
        let frame = one(decode(&payload, |_, epoch| Epoch::from(epoch)).unwrap());
        let chat = frame.as_chat().unwrap();
        assert_eq!(chat.id, 7);
        assert_eq!(&*chat.epoch, "r123");
        assert_eq!(&*chat.text, json);
    }

    #[test]
    fn event_payloads_round_trip() {
        let event = EventFrame {
            room: RoomName::parse("rust").unwrap(),
            text: ByteString::from("{\"type\":\"typing\"}\nsecond line"),
            removes: None,
        };
        let payload = event_payload(&event.room, &event.text);
        let frame = one(decode(&payload, |_, epoch| Epoch::from(epoch)).unwrap());
        assert_eq!(frame.room(), &event.room);
        assert_eq!(frame.text(), &event.text);
        assert_eq!(frame.id(), None);
    }

    /// `frame`'s event, or a panic naming what it is instead.
    fn event_of(frame: &Frame) -> &EventFrame {
        match frame {
            Frame::Event(event) => event,
            Frame::Chat(chat) => panic!("an event expected, got chat {}", chat.id),
        }
    }

    #[test]
    fn a_plain_event_crosses_without_a_removal() {
        let event = EventFrame {
            room: RoomName::parse("rust").unwrap(),
            text: ByteString::from("{\"type\":\"typing\"}"),
            removes: None,
        };
        let payload = event_frame_payload(&event);
        assert!(payload.starts_with("E\n"), "{payload:?}");
        let frame = one(decode(&payload, |_, epoch| Epoch::from(epoch)).unwrap());
        assert_eq!(event_of(&frame).removes, None);
    }

    #[test]
    fn every_kind_of_removal_round_trips_and_a_bad_one_is_refused() {
        let room = RoomName::parse("general").unwrap();
        for removes in [
            Removes::Outsiders,
            Removes::Account(Arc::from("jwt:{\"guest\":\"x\"}")),
            Removes::Guest {
                key: Arc::from("ma\"llory\n"),
                ban: true,
            },
            Removes::Guest {
                key: Arc::from("bob"),
                ban: false,
            },
            Removes::SignedOut(Arc::from("17")),
            Removes::SignedOut(Arc::from("{\"guest\":\"x\",\"ban\":true}")),
        ] {
            let payload = removal_payload(&room, &removes, "{}");
            let frame = one(decode(&payload, |_, epoch| Epoch::from(epoch)).unwrap());
            assert_eq!(event_of(&frame).removes, Some(removes), "{payload:?}");
        }
        for who in ["7", "{\"guest\":1,\"ban\":true}", "{\"ban\":true}", "[]"] {
            assert!(
                parse(&format!("R\ngeneral\n{who}\n{{}}")).is_err(),
                "{who} names no one"
            );
        }
    }

    #[test]
    fn removals_round_trip_with_the_account_removed() {
        for account in ["17", "jwt:ada", "jwt:line\nbreak \"quoted\" \\ é"] {
            let event = EventFrame {
                room: RoomName::parse("secret").unwrap(),
                text: ByteString::from("{\"type\":\"error\",\"code\":\"forbidden\"}\nx"),
                removes: Some(Removes::Account(Arc::from(account))),
            };
            let payload = event_frame_payload(&event);
            assert_eq!(
                payload.lines().nth(2).map(|header| header.starts_with('"')),
                Some(true)
            );
            assert_eq!(
                parse(&payload).unwrap(),
                Payload::Removal {
                    room: event.room.clone(),
                    removes: Removes::Account(Arc::from(account)),
                    json: &event.text,
                }
            );
            let frame = one(decode(&payload, |_, epoch| Epoch::from(epoch)).unwrap());
            let decoded = event_of(&frame);
            assert_eq!(decoded.room, event.room);
            assert_eq!(decoded.text, event.text);
            assert_eq!(
                decoded.removes,
                Some(Removes::Account(Arc::from(account))),
                "{payload:?}"
            );
        }
    }

    fn record(message: &str) -> chinwag_shared::ChatRecord {
        chinwag_shared::ChatRecord {
            guest: true,
            bot: false,
            id: 99,
            room: RoomName::parse("general").unwrap(),
            username: chinwag_shared::Username::parse("ada").unwrap(),
            message: message.to_owned(),
            ts: 5,
            client_id: None,
            change: None,
            deleted: None,
            edited: None,
        }
    }

    #[test]
    fn a_chat_payload_filled_as_the_script_does_decodes_to_its_parts() {
        let room = RoomName::parse("general").unwrap();
        let json = ChatTemplate::new(&record("hi\nthere")).fill(3, 9);
        let [before_id, before_epoch, before_json] = chat_payload_pieces(&room);
        let payload = format!("{before_id}3{before_epoch}r17{before_json}{json}");
        let frame = one(decode(&payload, |_, epoch| Epoch::from(epoch)).unwrap());
        let chat = frame.as_chat().expect("a chat frame");
        assert_eq!((&chat.room, chat.id, &*chat.epoch), (&room, 3, "r17"));
        assert_eq!(&*chat.text, json);
    }

    #[test]
    fn a_batch_payload_filled_as_the_script_does_decodes_to_its_records_in_order() {
        let room = RoomName::parse("general").unwrap();
        let texts = ["hi\nthere", "second", "a \"quoted\" \\ third"];
        let jsons: Vec<String> = (40..)
            .zip(texts)
            .map(|(id, text)| ChatTemplate::new(&record(text)).fill(id, 9))
            .collect();
        let [_, before_epoch, before_json] = chat_payload_pieces(&room);
        let payload = format!(
            "{}40{before_epoch}r17{before_json}{}",
            batch_payload_prefix(&room),
            jsons.join("\n")
        );
        let frames = decode(&payload, |_, epoch| Epoch::from(epoch)).unwrap();
        assert_eq!(frames.len(), 3);
        for ((frame, id), json) in frames.iter().zip(40..).zip(&jsons) {
            let chat = frame.as_chat().expect("a chat frame");
            assert_eq!((&chat.room, chat.id, &*chat.epoch), (&room, id, "r17"));
            assert_eq!(&*chat.text, json);
        }
    }

    #[test]
    fn garbage_is_refused() {
        for payload in [
            "",
            "C",
            "C\ngeneral\nx\ne\n{}",
            "B\ngeneral\n1\ne\n",
            "B\ngeneral\n1\ne\n{}\n\n{}",
            "B\ngeneral\nx\ne\n{}",
            "B\ngeneral\n1",
            "B\ngeneral\n18446744073709551615\ne\n{}\n{}",
            "X\ngeneral\n{}",
            "E\nBad Room\n{}",
            "R\nsecret\n{}",
            "R\nsecret\n17\n{}",
            "R\nsecret\n\"17\n{}",
        ] {
            assert!(
                decode(payload, |_, epoch| Epoch::from(epoch)).is_err(),
                "{payload:?}"
            );
        }
    }
}
