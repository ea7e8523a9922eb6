//! What nodes tell each other through Redis pub/sub, on one channel.
//!
//! Two kinds of payload, fields separated by `\n` (room names, ids and epochs never contain
//! one, and the JSON is always the last field):
//!
//! ```text
//! C\n{room}\n{id}\n{epoch}\n{chat frame JSON}     a stored record (published by the append script)
//! E\n{room}\n{event frame JSON}                   presence or typing, never stored
//! ```
//!
//! The JSON is the exact text clients receive, so a node decodes only the header and passes
//! the bytes on: each message is serialized once for the whole cluster.

use crate::{
    delivery::frame::{ChatFrame, EventFrame, Frame},
    history::Epoch,
};
use bytestring::ByteString;
use chinwag_shared::RoomName;
use std::sync::Arc;

/// The channel every node publishes to and subscribes to.
pub const CHANNEL: &str = "chinwag:fanout";

/// An event payload for `frame` (chat payloads are built by the append script).
pub fn event_payload(frame: &EventFrame) -> String {
    format!("E\n{}\n{}", frame.room, frame.text)
}

/// Why a payload was not understood (a node of another version, or a stray publisher).
#[derive(Debug, thiserror::Error)]
#[error("malformed fan-out payload: {0}")]
pub struct Malformed(&'static str);

/// Decodes a payload into the frame to deliver. `epoch_of(room, text)` returns a shared copy
/// of an epoch equal to `text` (so every frame of a room shares one allocation).
pub fn decode(
    payload: &str,
    epoch_of: impl FnOnce(&RoomName, &str) -> Epoch,
) -> Result<Arc<Frame>, Malformed> {
    let (kind, rest) = payload.split_once('\n').ok_or(Malformed("no kind"))?;
    let (room, rest) = rest.split_once('\n').ok_or(Malformed("no room"))?;
    let room = RoomName::parse(room).map_err(|_| Malformed("bad room"))?;
    match kind {
        "C" => {
            let (id, rest) = rest.split_once('\n').ok_or(Malformed("no id"))?;
            let (epoch, json) = rest.split_once('\n').ok_or(Malformed("no epoch"))?;
            let id = id.parse().map_err(|_| Malformed("bad id"))?;
            let epoch = epoch_of(&room, epoch);
            Ok(Arc::new(Frame::Chat(ChatFrame {
                room,
                id,
                epoch,
                text: ByteString::from(json),
                record: None,
            })))
        }
        "E" => Ok(Arc::new(Frame::Event(EventFrame {
            room,
            text: ByteString::from(rest),
        }))),
        _ => Err(Malformed("unknown kind")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_payloads_keep_their_json_verbatim() {
        let json = r#"{"type":"chat","room":"general","id":7,"ts":1}"#;
        let payload = format!("C\ngeneral\n7\nr123\n{json}");
        let frame = decode(&payload, |_, epoch| Epoch::from(epoch)).unwrap();
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
        };
        let frame = decode(&event_payload(&event), |_, epoch| Epoch::from(epoch)).unwrap();
        assert_eq!(frame.room(), &event.room);
        assert_eq!(frame.text(), &event.text);
        assert_eq!(frame.id(), None);
    }

    #[test]
    fn garbage_is_refused() {
        for payload in [
            "",
            "C",
            "C\ngeneral\nx\ne\n{}",
            "X\ngeneral\n{}",
            "E\nBad Room\n{}",
        ] {
            assert!(
                decode(payload, |_, epoch| Epoch::from(epoch)).is_err(),
                "{payload:?}"
            );
        }
    }
}
