//! [`ServerMsg::from_json`] against the derived decoder and the server's own writing.

use crate::{
    Change, ChatRecord, ClientId, Deletion, Epoch, ErrorCode, ErrorFrame, RoomName, ServerMsg,
    Username,
};

fn room() -> RoomName {
    RoomName::parse("general").unwrap()
}

fn user(name: &str) -> Username {
    Username::parse(name).unwrap()
}

fn record() -> ChatRecord {
    ChatRecord {
        id: 7,
        room: room(),
        username: user("alice"),
        message: "hi \"there\" \u{e9}".into(),
        ts: 1_700_000_000_000,
        guest: false,
        bot: false,
        client_id: None,
        change: None,
        edited: None,
        deleted: None,
    }
}

/// Every variant the server sends, with its optional fields both left out and given.
fn every_frame() -> Vec<ServerMsg> {
    vec![
        ServerMsg::Chat(record()),
        ServerMsg::Chat(ChatRecord {
            guest: true,
            bot: true,
            client_id: Some(ClientId::parse("c-9").unwrap()),
            edited: Some(9),
            ..record()
        }),
        ServerMsg::Chat(ChatRecord {
            message: String::new(),
            deleted: Some(Deletion {
                id: 10,
                by: Some(user("mod")),
            }),
            ..record()
        }),
        ServerMsg::Chat(ChatRecord {
            change: Some(Change::Edit { target: 3 }),
            ..record()
        }),
        ServerMsg::Chat(ChatRecord {
            change: Some(Change::Delete {
                target: 3,
                moderator: true,
            }),
            ..record()
        }),
        ServerMsg::Joined {
            room: room(),
            last_id: 0,
            epoch: None,
        },
        ServerMsg::Joined {
            room: room(),
            last_id: 42,
            epoch: Some(Epoch::from("k3x9")),
        },
        ServerMsg::HistoryReset {
            room: room(),
            epoch: Epoch::from("k3x9"),
        },
        ServerMsg::Left { room: room() },
        ServerMsg::Presence {
            room: room(),
            users: vec![user("alice"), user("bob")],
            guests: vec![],
            count: None,
        },
        ServerMsg::Presence {
            room: room(),
            users: vec![user("alice"), user("bob")],
            guests: vec![user("bob")],
            count: None,
        },
        ServerMsg::Presence {
            room: room(),
            users: vec![user("alice")],
            guests: vec![],
            count: Some(500),
        },
        ServerMsg::PresenceDiff {
            room: room(),
            arrived: vec![user("alice"), user("bob")],
            guests: vec![user("bob")],
            departed: vec![user("cy")],
            count: 501,
        },
        ServerMsg::PresenceDiff {
            room: room(),
            arrived: vec![],
            guests: vec![],
            departed: vec![],
            count: 0,
        },
        ServerMsg::UserJoined {
            room: room(),
            username: user("bob"),
            guest: false,
        },
        ServerMsg::UserJoined {
            room: room(),
            username: user("bob"),
            guest: true,
        },
        ServerMsg::UserLeft {
            room: room(),
            username: user("bob"),
        },
        ServerMsg::Typing {
            room: room(),
            username: user("bob"),
        },
        ServerMsg::Error(ErrorFrame {
            code: ErrorCode::BadJson,
            detail: "expected value".into(),
            room: None,
            client_id: None,
            retry_after_ms: None,
        }),
        ServerMsg::Error(ErrorFrame {
            code: ErrorCode::SlowMode,
            detail: "wait".into(),
            room: Some("not a valid room name!".into()),
            client_id: Some("c-9".into()),
            retry_after_ms: Some(1_500),
        }),
        ServerMsg::RoomsChanged,
        ServerMsg::ReadMarker {
            room: room(),
            id: 12,
        },
        ServerMsg::RoomSettingsChanged { room: room() },
    ]
}

#[test]
fn every_frame_the_server_writes_reads_back_as_the_derived_decoder_reads_it() {
    let frames = every_frame();
    assert_eq!(frames.len(), 23);
    for frame in frames {
        let text = serde_json::to_string(&frame).unwrap();
        let derived: ServerMsg = serde_json::from_str(&text).unwrap();
        let decoded = ServerMsg::from_json(&text).unwrap_or_else(|err| panic!("{text}: {err}"));
        assert_eq!(decoded, frame, "{text}");
        assert_eq!(decoded, derived, "{text}");
    }
}

#[test]
fn the_tag_may_come_anywhere_and_unknown_fields_are_ignored() {
    let cases = [
        (
            r#"{"room":"general","type":"left"}"#,
            ServerMsg::Left { room: room() },
        ),
        (
            r#"{"room":"general","id":12,"type":"read_marker","from_a_later_server":[1,{"a":2}]}"#,
            ServerMsg::ReadMarker {
                room: room(),
                id: 12,
            },
        ),
        (
            r#"{"type":"rooms_changed","why":"a later server says more"}"#,
            ServerMsg::RoomsChanged,
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(ServerMsg::from_json(text).unwrap(), expected, "{text}");
        assert_eq!(serde_json::from_str::<ServerMsg>(text).unwrap(), expected);
    }
}

#[test]
fn an_old_servers_frames_read_as_before() {
    let joined = r#"{"type":"joined","room":"general","last_id":3,"epoch":""}"#;
    let expected = ServerMsg::Joined {
        room: room(),
        last_id: 3,
        epoch: None,
    };
    assert_eq!(ServerMsg::from_json(joined).unwrap(), expected);
    let chat =
        r#"{"type":"chat","id":7,"room":"general","username":"alice","message":"hi","ts":1}"#;
    let ServerMsg::Chat(chat) = ServerMsg::from_json(chat).unwrap() else {
        panic!("a chat frame");
    };
    assert!(chat.guest, "a record from before accounts is a guest's");
}

/// The error's text, which the client logs beside the refused frame.
fn refusal(text: &str) -> String {
    match ServerMsg::from_json(text) {
        Ok(msg) => panic!("{text} decoded as {msg:?}"),
        Err(err) => err.to_string(),
    }
}

#[test]
fn malformed_frames_are_refused_saying_what_is_wrong() {
    let cases = [
        ("", "EOF while parsing a value"),
        ("not json", "expected ident"),
        (r#"{"type":"chat","id":7"#, "EOF while parsing an object"),
        // The derived decoder also takes an array of the tag and the fields in order, a
        // form no server writes; a frame is always an object here.
        (
            r#"["left","general"]"#,
            "invalid type: sequence, expected a frame",
        ),
        (
            r#""left""#,
            "invalid type: string \"left\", expected a frame",
        ),
        (r#"{"type":"left","type":"chat"}"#, "duplicate field `type`"),
        (r#"{"room":"general"}"#, "missing field `type`"),
        (
            r#"{"type":7,"room":"general"}"#,
            "invalid type: integer `7`, expected a string",
        ),
        (
            r#"{"type":"shout","room":"general"}"#,
            "unknown variant `shout`, expected one of `chat`, `joined`",
        ),
        (
            r#"{"type":"Left","room":"general"}"#,
            "unknown variant `Left`",
        ),
        (
            r#"{"type":"joined","room":"general"}"#,
            "missing field `last_id`",
        ),
        (
            r#"{"type":"chat","room":"general","username":"alice","message":"hi","ts":1}"#,
            "missing field `id`",
        ),
        (r#"{"type":"left","room":""}"#, "room"),
        (
            r#"{"type":"user_left","room":"general","username":""}"#,
            "username",
        ),
        (
            r#"{"type":"read_marker","room":"general","id":-1}"#,
            "invalid value: integer `-1`",
        ),
        (
            r#"{"type":"chat","id":7,"room":"general","username":"alice","message":"hi","ts":1,"change":{"kind":"undo","target":3}}"#,
            "unknown variant `undo`, expected `edit` or `delete`",
        ),
        (
            r#"{"type":"error","code":"no_such_code","detail":"x"}"#,
            "no_such_code",
        ),
    ];
    for (text, expected) in cases {
        let error = refusal(text);
        assert!(
            error.contains(expected),
            "{text}: {error:?} lacks {expected:?}"
        );
    }
}
