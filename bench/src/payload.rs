//! The bench message: a chat text that carries who sent it, its sequence number and when.
//!
//! Every target relays the same text, so receivers time it the same way whichever server is
//! under test: the sender writes the nanoseconds since the run's shared [`Epoch`] into the
//! text, and a receiver subtracts that from its own clock. The stamp has a fixed width and
//! sits right after `"message":"`, so finding it is one substring search, not a JSON parse;
//! at ten thousand receivers the load generator's own parsing would otherwise be what is
//! measured.

use chinwag_shared::ClientMsg;
use std::time::Instant;

/// Where every stamped text starts inside a JSON frame (Chinwag's `chat` and the `send` frame
/// the baselines relay both have this field).
const MESSAGE_FIELD: &str = "\"message\":\"";
/// `b` + 5-digit sender + `.` + 10-digit sequence + `.` + 16-digit nanoseconds + `.`.
pub const STAMP_CHARS: usize = 1 + 5 + 1 + 10 + 1 + 16 + 1;

/// The instant every sender and receiver of one process measures from.
#[derive(Debug, Clone, Copy)]
pub struct Epoch(Instant);

impl Epoch {
    /// Starts the clock.
    pub fn now() -> Self {
        Self(Instant::now())
    }

    /// Nanoseconds since the epoch.
    pub fn nanos(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// What a receiver learns from one relayed bench message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The sender's index in its run.
    pub sender: u32,
    /// The sender's own sequence number, from 0.
    pub seq: u64,
    /// When it was sent, in nanoseconds since the [`Epoch`].
    pub sent_ns: u64,
}

impl Stamp {
    /// The message text: the stamp padded with `x` to `len` characters (at least the stamp).
    pub fn text(&self, len: usize) -> String {
        let mut text = format!("b{:05}.{:010}.{:016}.", self.sender, self.seq, self.sent_ns);
        let pad = len.saturating_sub(text.len());
        text.extend(std::iter::repeat_n('x', pad));
        text
    }

    /// The `send` frame for `room` carrying this stamp, with a `client_id` unique in the run.
    pub fn send_frame(&self, room: &str, len: usize) -> String {
        let frame = ClientMsg::Send {
            room: Some(room.to_owned()),
            username: None,
            message: self.text(len),
            client_id: Some(format!("{}-{}", self.sender, self.seq)),
        };
        // A ClientMsg of plain strings always serializes; fall back to an empty frame rather
        // than panic, which the run would then report as lost messages.
        serde_json::to_string(&frame).unwrap_or_default()
    }

    /// Finds the stamp in a relayed frame, or `None` when the frame carries none (presence,
    /// `joined`, an error frame).
    pub fn find(frame: &str) -> Option<Self> {
        let start = frame.find(MESSAGE_FIELD)? + MESSAGE_FIELD.len();
        let stamp = frame.get(start..start + STAMP_CHARS)?.as_bytes();
        if stamp.first() != Some(&b'b') {
            return None;
        }
        Some(Self {
            sender: u32::try_from(digits(stamp.get(1..6)?)?).ok()?,
            seq: digits(stamp.get(7..17)?)?,
            sent_ns: digits(stamp.get(18..34)?)?,
        })
    }
}

/// The decimal value of an all-digit slice.
fn digits(bytes: &[u8]) -> Option<u64> {
    bytes.iter().try_fold(0u64, |acc, byte| {
        byte.is_ascii_digit()
            .then(|| acc * 10 + u64::from(byte - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_shared::{ChatRecord, RoomName, ServerMsg, Username};

    const STAMP: Stamp = Stamp {
        sender: 12,
        seq: 3_456,
        sent_ns: 9_876_543_210,
    };

    #[test]
    fn a_stamp_survives_the_send_frame_the_baselines_relay() {
        let frame = STAMP.send_frame("bench", 140);
        assert_eq!(Stamp::find(&frame), Some(STAMP));
        assert!(frame.contains(r#""client_id":"12-3456""#), "{frame}");
    }

    #[test]
    fn a_stamp_survives_chinwags_chat_frame() {
        let record = ChatRecord {
            id: 99,
            room: RoomName::parse("bench").unwrap(),
            username: Username::parse("s12").unwrap(),
            message: STAMP.text(140),
            ts: 1_700_000_000_000,
            guest: true,
            bot: false,
            client_id: None,
            change: None,
            deleted: None,
            edited: None,
        };
        let frame = serde_json::to_string(&ServerMsg::Chat(record)).unwrap();
        assert_eq!(Stamp::find(&frame), Some(STAMP));
    }

    #[test]
    fn the_text_has_the_asked_length_and_passes_the_protocols_rules() {
        let text = STAMP.text(140);
        assert_eq!(text.len(), 140);
        let send = ClientMsg::Send {
            room: Some("bench".into()),
            username: Some("s1".into()),
            message: text,
            client_id: Some("12-3456".into()),
        };
        assert!(send.validate().is_ok());
        assert_eq!(STAMP.text(0).len(), STAMP_CHARS);
    }

    #[test]
    fn frames_without_a_stamp_are_not_mistaken_for_one() {
        assert_eq!(
            Stamp::find(r#"{"type":"joined","room":"bench","last_id":0}"#),
            None
        );
        assert_eq!(Stamp::find(r#"{"type":"chat","message":"hello"}"#), None);
        assert_eq!(
            Stamp::find(r#"{"message":"b00001.000000000x.0000000000000001."}"#),
            None
        );
    }
}
