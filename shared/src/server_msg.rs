//! What the server sends on the socket, and the error body of the HTTP API.
//!
//! Every frame is a JSON object tagged by `"type"`. Chat frames carry a whole [`ChatRecord`]
//! flattened into the object, so `{"type":"chat","id":7,"room":"general",...}` is the same
//! record the history API returns, plus the tag.

use crate::{
    epoch::Epoch,
    error_code::ErrorCode,
    names::{RoomName, Username},
    record::ChatRecord,
};
use serde::{Deserialize, Serialize};

mod decode;

/// A message from server to client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// A stored chat message: live, replayed, or the confirmation of the client's own send.
    Chat(ChatRecord),
    /// A join is complete: everything up to `last_id` has been sent; live messages follow.
    Joined {
        /// The room joined.
        room: RoomName,
        /// The newest id sent so far for this room on this connection (0 if none).
        last_id: u64,
        /// Names this room's history: ids are only comparable within one epoch. Keep it and
        /// send it back with `after` when resuming. None from servers that predate epochs
        /// (which left it out or sent `""`).
        #[serde(
            default,
            skip_serializing_if = "crate::epoch::optional::is_none_or_empty",
            deserialize_with = "crate::epoch::optional::deserialize"
        )]
        epoch: Option<Epoch>,
    },
    /// The room's history was replaced (the server's database came back empty or was swapped):
    /// ids start again from 1 under `epoch`. Forget what is shown for `room`; what follows is
    /// the new history, replayed from the start.
    HistoryReset {
        /// The room.
        room: RoomName,
        /// The new epoch.
        epoch: Epoch,
    },
    /// A leave is complete: no more messages of `room` will arrive.
    Left {
        /// The room left.
        room: RoomName,
    },
    /// Who is in `room` right now; sent once after each join.
    Presence {
        /// The room.
        room: RoomName,
        /// Names of the people in it, sorted, each once.
        users: Vec<Username>,
        /// Those of `users` who are guests (not signed in), sorted.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        guests: Vec<Username>,
        /// Set only for a big room (more people than the server's `--presence-list-max`):
        /// how many are in it. `users` is then only the first page of the sorted names; fetch
        /// the rest from `GET /api/rooms/{room}/presence?after=LAST&limit=N`, and expect
        /// [`ServerMsg::PresenceDiff`] instead of `user_joined` / `user_left`. Absent, `users`
        /// is everyone, as it always was.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u64>,
    },
    /// A big room's arrivals and departures over the last moment, sent instead of one
    /// `user_joined` / `user_left` per change (at most one per room per `--presence-diff-ms`).
    /// A name arrives or departs at most once in a diff; one that came and went again within
    /// it is in neither list.
    PresenceDiff {
        /// The room.
        room: RoomName,
        /// Who came, sorted.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        arrived: Vec<Username>,
        /// Those of `arrived` who are guests, sorted.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        guests: Vec<Username>,
        /// Who left, sorted.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        departed: Vec<Username>,
        /// How many are in the room after these changes (as the server counted just before
        /// sending; set it, do not add it up).
        count: u64,
    },
    /// `username` came into `room` (their first connection there).
    UserJoined {
        /// The room.
        room: RoomName,
        /// Who came.
        username: Username,
        /// Whether they are a guest (not signed in).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        guest: bool,
    },
    /// `username` left `room` (their last connection there closed or left).
    UserLeft {
        /// The room.
        room: RoomName,
        /// Who left.
        username: Username,
    },
    /// `username` is typing in `room`. Ephemeral: never stored, never replayed.
    Typing {
        /// The room.
        room: RoomName,
        /// Who is typing.
        username: Username,
    },
    /// Something the client sent was refused; the connection stays open.
    Error(ErrorFrame),
    /// Sent to a signed-in connection when its account's private rooms or direct messages
    /// changed (someone opened a DM with it, added it to a room, or it was removed): read
    /// `GET /api/me/rooms` again. It names nothing, so it tells no one else anything.
    RoomsChanged,
    /// Sent to every connection of a signed-in account when its read marker in `room` moved
    /// (on any of its devices), so every tab shows the same unread count.
    ReadMarker {
        /// The room.
        room: RoomName,
        /// The newest id read.
        id: u64,
    },
    /// `room`'s settings changed (slow mode, owner or moderators): read
    /// `GET /api/rooms/{room}/settings` again. It names nothing else.
    RoomSettingsChanged {
        /// The room.
        room: RoomName,
    },
}

/// The body of an error frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
pub struct ErrorFrame {
    /// Stable machine-readable reason.
    pub code: ErrorCode,
    /// Human-readable explanation.
    pub detail: String,
    /// The room the refused frame named, when it named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<String>,
    /// The `client_id` of the refused send, so a client can mark that message as failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// For `slow_mode` (and other refusals for now): milliseconds until a send may succeed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(ErrorFrame, Serialize);

/// The JSON body of an HTTP API error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// Stable machine-readable reason.
    pub code: ErrorCode,
    /// Human-readable explanation.
    pub detail: String,
    /// For `slow_mode`: milliseconds until a post may succeed (`Retry-After` has the
    /// seconds, rounded up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(ApiError, Serialize);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::ClientId;
    use serde_json::json;

    fn record() -> ChatRecord {
        ChatRecord {
            id: 7,
            room: RoomName::parse("general").unwrap(),
            username: Username::parse("alice").unwrap(),
            message: "hi".into(),
            ts: 1_700_000_000_000,
            guest: false,
            bot: false,
            client_id: None,
            change: None,
            deleted: None,
            edited: None,
        }
    }

    #[test]
    fn a_record_says_whether_its_author_was_a_guest_and_old_records_were() {
        let mut rec = record();
        rec.guest = true;
        let text = serde_json::to_string(&ServerMsg::Chat(rec.clone())).unwrap();
        assert!(text.contains(r#""guest":true"#), "{text}");
        let old =
            r#"{"type":"chat","id":7,"room":"general","username":"alice","message":"hi","ts":1}"#;
        let ServerMsg::Chat(old) = serde_json::from_str::<ServerMsg>(old).unwrap() else {
            panic!("a chat frame");
        };
        assert!(old.guest, "a record from before accounts is a guest's");
    }

    #[test]
    fn chat_frames_carry_the_required_fields_flat() {
        let json = serde_json::to_value(ServerMsg::Chat(record())).unwrap();
        assert_eq!(
            json,
            json!({"type":"chat","id":7,"room":"general","username":"alice","message":"hi","ts":1_700_000_000_000u64,"guest":false})
        );
    }

    #[test]
    fn chat_frames_round_trip_with_a_client_id() {
        let mut rec = record();
        rec.client_id = Some(ClientId::parse("c-9").unwrap());
        let text = serde_json::to_string(&ServerMsg::Chat(rec.clone())).unwrap();
        assert!(text.contains(r#""client_id":"c-9""#));
        assert_eq!(
            serde_json::from_str::<ServerMsg>(&text).unwrap(),
            ServerMsg::Chat(rec)
        );
    }

    #[test]
    fn error_frames_have_type_code_and_detail() {
        let frame = ServerMsg::Error(ErrorFrame {
            code: ErrorCode::BadJson,
            detail: "expected value".into(),
            room: None,
            client_id: None,
            retry_after_ms: None,
        });
        assert_eq!(
            serde_json::to_value(frame).unwrap(),
            json!({"type":"error","code":"bad_json","detail":"expected value"})
        );
    }

    #[test]
    fn the_rooms_changed_notice_is_a_bare_tag() {
        let text = serde_json::to_string(&ServerMsg::RoomsChanged).unwrap();
        assert_eq!(text, r#"{"type":"rooms_changed"}"#);
        assert_eq!(
            serde_json::from_str::<ServerMsg>(&text).unwrap(),
            ServerMsg::RoomsChanged
        );
    }

    #[test]
    fn a_small_rooms_presence_has_no_count_and_a_big_rooms_diff_lists_both_ways() {
        let room = RoomName::parse("general").unwrap();
        let small = ServerMsg::Presence {
            room: room.clone(),
            users: vec![Username::parse("ada").unwrap()],
            guests: Vec::new(),
            count: None,
        };
        assert_eq!(
            serde_json::to_value(small).unwrap(),
            json!({"type":"presence","room":"general","users":["ada"]})
        );
        let diff = ServerMsg::PresenceDiff {
            room,
            arrived: vec![Username::parse("bob").unwrap()],
            guests: Vec::new(),
            departed: vec![Username::parse("cy").unwrap()],
            count: 120,
        };
        let text = serde_json::to_string(&diff).unwrap();
        assert_eq!(
            text,
            r#"{"type":"presence_diff","room":"general","arrived":["bob"],"departed":["cy"],"count":120}"#
        );
        assert_eq!(serde_json::from_str::<ServerMsg>(&text).unwrap(), diff);
    }

    #[test]
    fn presence_events_are_snake_case() {
        let frame = ServerMsg::UserJoined {
            room: RoomName::parse("general").unwrap(),
            username: Username::parse("bob").unwrap(),
            guest: false,
        };
        assert_eq!(
            serde_json::to_value(frame).unwrap(),
            json!({"type":"user_joined","room":"general","username":"bob"})
        );
        let guest = ServerMsg::UserJoined {
            room: RoomName::parse("general").unwrap(),
            username: Username::parse("bob").unwrap(),
            guest: true,
        };
        assert_eq!(
            serde_json::to_value(guest).unwrap(),
            json!({"type":"user_joined","room":"general","username":"bob","guest":true})
        );
    }
}
