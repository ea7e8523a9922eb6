//! Property tests and a replayed seed corpus for the socket frame decoder.
//!
//! `session::inbound::decode` is the only place client JSON is parsed, then
//! `ClientMsg::validate` checks every field; both take hostile input. This file checks that
//! neither panics (arbitrary text, mutated frames, arbitrary JSON values with huge numbers, deep
//! nesting and odd keys); that every error frame has a non-empty `detail` and a code from
//! `ErrorCode::ALL`, and the right one (`bad_json` for text that is not JSON, `bad_message` for
//! JSON that is not a message, `unknown_type` for an unknown string `type`); that valid messages
//! round-trip and validate; and that length limits count characters at exactly the boundary.
//!
//! The seed corpus in `tests/corpus/decoder/` is committed and replayed on every run, one frame
//! per file: `valid_*` must validate, `bad_*` must be refused, and `bad_<what>.<code>.<ext>` must
//! be refused with exactly that code. A failure proptest finds is kept there as a new file (file
//! persistence is off, so nothing is written next to this file). Case counts keep a debug run
//! to seconds; for a long run: `PROPTEST_CASES=100000 cargo test -p chinwag-backend --test decoder`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chinwag_backend::session::inbound::{decode, rejection};
use chinwag_shared::{
    ClientMsg, DEFAULT_ROOM, Epoch, ErrorCode, ErrorFrame, MAX_CLIENT_ID_CHARS, MAX_MESSAGE_CHARS,
    MAX_ROOM_CHARS, MAX_USERNAME_CHARS, Request,
};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Number, Value, json};
use std::path::Path;

const KNOWN_TYPES: [&str; 4] = ["send", "join", "leave", "typing"];

/// The only codes `decode` itself may answer with.
const DECODE_CODES: [ErrorCode; 3] = [
    ErrorCode::BadJson,
    ErrorCode::BadMessage,
    ErrorCode::UnknownType,
];

/// The only codes `validate` may answer with.
const VALIDATION_CODES: [ErrorCode; 6] = [
    ErrorCode::InvalidUsername,
    ErrorCode::InvalidRoom,
    ErrorCode::InvalidClientId,
    ErrorCode::EmptyMessage,
    ErrorCode::MessageTooLong,
    ErrorCode::InvalidMessage,
];

/// `default_cases` per property unless `PROPTEST_CASES` says otherwise; no regression files.
fn config(default_cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default_cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Running the decoder and checking every error frame it produces
// ---------------------------------------------------------------------------------------------

/// What a frame came to: refused by `decode` (with its code), or decoded and then validated.
#[derive(Debug)]
enum Outcome {
    Refused(ErrorCode),
    Decoded(ClientMsg, Result<Request, ErrorCode>),
}

impl Outcome {
    /// The code of the error frame the client gets, if any.
    fn error_code(&self) -> Option<ErrorCode> {
        match self {
            Outcome::Refused(code) | Outcome::Decoded(_, Err(code)) => Some(*code),
            Outcome::Decoded(_, Ok(_)) => None,
        }
    }
}

/// Decodes and validates `text` as the session does, asserting that every error frame is sound.
fn run(text: &str) -> Outcome {
    match decode(text) {
        Err(frame) => {
            assert_decode_error_is_sound(&frame, text);
            Outcome::Refused(frame.code)
        }
        Ok(message) => {
            let validated = message.validate().map_err(|err| {
                let frame = rejection(&message, &err);
                assert_frame_is_sound(&frame, text);
                assert!(
                    VALIDATION_CODES.contains(&frame.code),
                    "validation of {text:?} answered {:?}",
                    frame.code
                );
                assert_eq!(frame.code, err.code());
                assert_eq!(frame.room.as_deref(), message.room());
                assert_eq!(frame.client_id.as_deref(), message.client_id());
                frame.code
            });
            if let Ok(request) = &validated {
                assert_request_matches(&message, request);
            }
            Outcome::Decoded(message, validated)
        }
    }
}

fn assert_decode_error_is_sound(frame: &ErrorFrame, text: &str) {
    assert_frame_is_sound(frame, text);
    assert!(
        DECODE_CODES.contains(&frame.code),
        "decode of {text:?} answered {:?}",
        frame.code
    );
    assert_eq!(frame.room, None, "decode error for {text:?} names a room");
    assert_eq!(frame.client_id, None);
}

fn assert_frame_is_sound(frame: &ErrorFrame, text: &str) {
    assert!(
        ErrorCode::ALL.contains(&frame.code),
        "{:?} is not in ErrorCode::ALL",
        frame.code
    );
    assert!(
        !frame.detail.trim().is_empty(),
        "empty detail for {text:?}: {frame:?}"
    );
    let wire = serde_json::to_string(frame).unwrap();
    assert_eq!(serde_json::from_str::<ErrorFrame>(&wire).unwrap(), *frame);
}

/// A validated request carries exactly the fields of the frame it came from.
fn assert_request_matches(message: &ClientMsg, request: &Request) {
    let name = |name: Option<&chinwag_shared::Username>| name.map(|name| name.as_str().to_owned());
    match (message, request) {
        (
            ClientMsg::Send {
                room,
                username,
                message,
                client_id,
            },
            Request::Send {
                room: valid_room,
                username: valid_username,
                text,
                client_id: valid_client_id,
            },
        ) => {
            assert_eq!(valid_room.as_str(), room.as_deref().unwrap_or(DEFAULT_ROOM));
            assert_eq!(name(valid_username.as_ref()), *username);
            assert_eq!(text.as_str(), message);
            assert_eq!(
                valid_client_id.as_ref().map(|id| id.as_str().to_owned()),
                *client_id
            );
        }
        (
            ClientMsg::Join {
                room,
                after,
                username,
                token,
                epoch,
            },
            Request::Join {
                room: valid_room,
                after: valid_after,
                username: valid_username,
                token: valid_token,
                epoch: valid_epoch,
            },
        ) => {
            assert_eq!(valid_epoch, epoch);
            assert_eq!(valid_room.as_str(), room);
            assert_eq!(valid_after, after);
            assert_eq!(name(valid_username.as_ref()), *username);
            assert_eq!(
                valid_token.as_ref().map(|token| token.as_str().to_owned()),
                *token
            );
        }
        (ClientMsg::Leave { room }, Request::Leave { room: valid_room }) => {
            assert_eq!(valid_room.as_str(), room);
        }
        (
            ClientMsg::Typing { room, username },
            Request::Typing {
                room: valid_room,
                username: valid_username,
            },
        ) => {
            assert_eq!(valid_room.as_str(), room);
            assert_eq!(name(valid_username.as_ref()), *username);
        }
        _ => panic!("{message:?} validated into another kind of request: {request:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The oracle: what the protocol (docs/protocol.md §3 and §8) says a JSON value decodes to
// ---------------------------------------------------------------------------------------------

/// What decoding a JSON value must give.
#[derive(Debug, PartialEq)]
enum Expected {
    Message(ClientMsg),
    Refused(ErrorCode),
}

/// Not an object, or `type` not a string: `bad_message`. An unknown string `type`:
/// `unknown_type`. No `type`: the seed shape, a `send`'s fields honoured, others ignored. A known `type`: exactly its
/// fields, of the right JSON types, optional ones absent or null.
fn expected(value: &Value) -> Expected {
    let Value::Object(fields) = value else {
        return Expected::Refused(ErrorCode::BadMessage);
    };
    let result = match fields.get("type") {
        None => seed_message(fields),
        Some(Value::String(kind)) if KNOWN_TYPES.contains(&kind.as_str()) => {
            tagged_message(kind, fields)
        }
        Some(Value::String(_)) => return Expected::Refused(ErrorCode::UnknownType),
        Some(_) => None,
    };
    result.map_or(Expected::Refused(ErrorCode::BadMessage), Expected::Message)
}

/// The seed shape is a `send` without `type`: a `send`'s fields mean what they mean there, and
/// any other field is ignored.
fn seed_message(fields: &Map<String, Value>) -> Option<ClientMsg> {
    Some(ClientMsg::Send {
        room: optional_string(fields, "room")?,
        username: Some(required_string(fields, "username")?),
        message: required_string(fields, "message")?,
        client_id: optional_string(fields, "client_id")?,
    })
}

fn tagged_message(kind: &str, fields: &Map<String, Value>) -> Option<ClientMsg> {
    let allowed: &[&str] = match kind {
        "send" => &["type", "room", "username", "message", "client_id"],
        "join" => &["type", "room", "after", "username", "token"],
        "leave" => &["type", "room"],
        _ => &["type", "room", "username"],
    };
    if fields.keys().any(|key| !allowed.contains(&key.as_str())) {
        return None;
    }
    Some(match kind {
        "send" => ClientMsg::Send {
            room: optional_string(fields, "room")?,
            username: optional_string(fields, "username")?,
            message: required_string(fields, "message")?,
            client_id: optional_string(fields, "client_id")?,
        },
        "join" => ClientMsg::Join {
            room: required_string(fields, "room")?,
            after: match fields.get("after") {
                None | Some(Value::Null) => None,
                Some(Value::Number(number)) => Some(number.as_u64()?),
                Some(_) => return None,
            },
            username: optional_string(fields, "username")?,
            token: optional_string(fields, "token")?,
            epoch: optional_string(fields, "epoch")?.map(Epoch::from),
        },
        "leave" => ClientMsg::Leave {
            room: required_string(fields, "room")?,
        },
        _ => ClientMsg::Typing {
            room: required_string(fields, "room")?,
            username: optional_string(fields, "username")?,
        },
    })
}

fn required_string(fields: &Map<String, Value>, key: &str) -> Option<String> {
    fields.get(key)?.as_str().map(str::to_owned)
}

/// `Some(None)` when absent or null, `None` when present with the wrong JSON type.
fn optional_string(fields: &Map<String, Value>, key: &str) -> Option<Option<String>> {
    match fields.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(text)) => Some(Some(text.clone())),
        Some(_) => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

fn chars_to_string(chars: Vec<char>) -> String {
    chars.into_iter().collect()
}

/// Any Unicode scalar value, control characters and U+FFFD included.
fn any_text(max_chars: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..=max_chars).prop_map(chars_to_string)
}

fn valid_room() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9_-]{0,47}"
}

/// Letters of one script, with ASCII digits and `_.-` (and inner spaces), which go with any:
/// a username must be written in one script, and Hangul's letters include the fillers
/// (U+115F, U+1160, U+3164, U+FFA0), which draw nothing and are refused.
fn valid_username() -> impl Strategy<Value = String> {
    let one_script = |letters: &str| {
        let first = format!("[{letters}0-9_.-]");
        let inner = format!("[{letters}0-9 _.-]");
        proptest::string::string_regex(&format!("{first}({inner}{{0,30}}{first})?")).unwrap()
    };
    prop_oneof![
        one_script(r"\p{Latin}&&\pL"),
        one_script(r"\p{Cyrillic}&&\pL"),
        one_script(r"\p{Greek}&&\pL"),
        one_script(r"\p{Arabic}&&\pL"),
        one_script(r"\p{Han}&&\pL"),
        one_script(r"\p{Hangul}&&\pL&&[^\x{115F}\x{1160}\x{3164}\x{FFA0}]"),
    ]
}

/// Any character but a control character. Mapped, not filtered: a filter rejecting one
/// character of a 4000-character message too often aborts the run.
fn non_control_char() -> impl Strategy<Value = char> {
    any::<char>().prop_map(|ch| {
        if ch.is_control() {
            // U+0000–U+009F shifted by 0x100 lands in Latin Extended-A/B letters.
            char::from_u32(u32::from(ch) + 0x100).unwrap()
        } else {
            ch
        }
    })
}

/// Default_Ignorable_Code_Point (DerivedCoreProperties.txt) and the braille blank: characters
/// that draw nothing, so a message of only these counts as empty.
const INVISIBLE: &[(char, char)] = &[
    ('\u{AD}', '\u{AD}'),
    ('\u{34F}', '\u{34F}'),
    ('\u{61C}', '\u{61C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{2800}', '\u{2800}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFF8}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E0FFF}'),
];

/// Any character that is neither control, whitespace nor invisible.
fn visible_char() -> impl Strategy<Value = char> {
    non_control_char().prop_map(|ch| {
        let invisible = INVISIBLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&ch));
        if ch.is_whitespace() || invisible {
            '~'
        } else {
            ch
        }
    })
}

/// Any character a message may hold anywhere: not control, and not a bidi embedding,
/// override or isolate (or their closers), which a message must pair up.
fn message_char() -> impl Strategy<Value = char> {
    non_control_char().prop_map(|ch| {
        if matches!(ch, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') {
            '~'
        } else {
            ch
        }
    })
}

fn valid_client_id() -> impl Strategy<Value = String> {
    prop::collection::vec(non_control_char(), 1..=MAX_CLIENT_ID_CHARS).prop_map(chars_to_string)
}

/// 1..=4000 characters, at least one visible, no control characters but `\n\r\t`, no bidi
/// embeddings, overrides or isolates.
fn valid_message() -> impl Strategy<Value = String> {
    let visible = visible_char();
    let any_allowed = prop_oneof![
        8 => message_char(),
        1 => select(vec!['\n', '\r', '\t', ' ']),
    ];
    let rest = prop_oneof![
        3 => prop::collection::vec(any_allowed.clone(), 0..40),
        1 => prop::collection::vec(any_allowed, 0..MAX_MESSAGE_CHARS),
    ];
    (visible, rest, any::<Index>()).prop_map(|(visible, mut rest, at)| {
        rest.insert(at.index(rest.len() + 1), visible);
        chars_to_string(rest)
    })
}

fn valid_client_msg() -> impl Strategy<Value = ClientMsg> {
    prop_oneof![
        (
            prop::option::of(valid_room()),
            prop::option::of(valid_username()),
            valid_message(),
            prop::option::of(valid_client_id()),
        )
            .prop_map(|(room, username, message, client_id)| ClientMsg::Send {
                room,
                username,
                message,
                client_id,
            }),
        (
            valid_room(),
            prop::option::of(any::<u64>()),
            prop::option::of(valid_username()),
            prop::option::of(valid_client_id()),
            prop::option::of("[a-z0-9-]{1,24}"),
        )
            .prop_map(|(room, after, username, token, epoch)| ClientMsg::Join {
                room,
                after,
                username,
                token,
                epoch: epoch.map(Epoch::from),
            }),
        valid_room().prop_map(|room| ClientMsg::Leave { room }),
        (valid_room(), prop::option::of(valid_username()))
            .prop_map(|(room, username)| ClientMsg::Typing { room, username }),
    ]
}

/// Strings a hostile or careless client might put anywhere.
fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(vec![
            "send", "join", "leave", "typing", "Send", "SEND", " send", "send\u{0}", "chat",
            "error", "", " ", "general", "\u{FFFD}", "\u{FEFF}", "a\u{0}b", "bell\u{7}",
        ])
        .prop_map(str::to_owned),
        2 => valid_room(),
        1 => valid_username(),
        2 => any_text(24),
        1 => Just("x".repeat(MAX_MESSAGE_CHARS + 1)),
    ]
}

/// Numbers from every corner: negative, zero, u64::MAX, huge and tiny floats.
fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        select(vec![0, 1, 41, u64::MAX - 1, u64::MAX]).prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON has no NaN or infinity", |float| {
            Number::from_f64(float).map(Value::Number)
        }),
        select(vec![-0.0, 0.5, 1.0, 41.0, 1e19, 1e308, -1e308, 5e-324])
            .prop_map(|float| Number::from_f64(float).map_or(Value::Null, Value::Number)),
    ]
}

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(vec!["type", "room", "message", "username", "client_id", "after", "token"])
            .prop_map(str::to_owned),
        1 => "[a-z_]{0,10}",
        1 => any_text(12),
    ]
}

/// Arbitrary JSON: nulls, bools, numbers, strings, and arrays and objects of them, five deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 96, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((json_key(), inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// A value that fits a protocol field, or one that almost does.
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => valid_room().prop_map(Value::String),
        2 => valid_username().prop_map(Value::String),
        1 => valid_client_id().prop_map(Value::String),
        1 => json_string().prop_map(Value::String),
        1 => json_number(),
        1 => Just(Value::Null),
        1 => json_value(),
    ]
}

/// Objects over the protocol's keys: most land near the line between accepted and refused.
fn frame_like() -> impl Strategy<Value = Value> {
    let kind = prop_oneof![
        4 => select(KNOWN_TYPES.to_vec()).prop_map(Value::from),
        1 => json_string().prop_map(Value::String),
        1 => Just(Value::Null),
        1 => json_number(),
    ];
    let key = select(vec![
        "room",
        "message",
        "username",
        "client_id",
        "after",
        "token",
        "extra",
    ]);
    (
        prop::option::weighted(0.8, kind),
        prop::collection::vec((key, field_value()), 0..5),
    )
        .prop_map(|(kind, fields)| {
            let mut object: Map<String, Value> = fields
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect();
            if let Some(kind) = kind {
                object.insert("type".to_owned(), kind);
            }
            Value::Object(object)
        })
}

/// Arrays laid out like a frame, `["leave", "lobby"]`: JSON, but not an object.
fn frame_like_array() -> impl Strategy<Value = Value> {
    (json_string(), prop::collection::vec(field_value(), 0..4)).prop_map(|(kind, rest)| {
        let mut items = vec![Value::String(kind)];
        items.extend(rest);
        Value::Array(items)
    })
}

fn any_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => json_value(),
        3 => frame_like(),
        1 => frame_like_array(),
    ]
}

/// The serialized text of a frame, compact or pretty, `type` first or not.
fn frame_text() -> impl Strategy<Value = String> {
    prop_oneof![
        valid_client_msg().prop_map(|message| serde_json::to_string(&message).unwrap()),
        frame_like().prop_map(|value| value.to_string()),
        frame_like().prop_map(|value| serde_json::to_string_pretty(&value).unwrap()),
    ]
}

/// JSON-ish token soup: often almost valid.
fn token_soup() -> impl Strategy<Value = String> {
    let token = select(vec![
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        " ",
        "\n",
        "\"type\"",
        "\"send\"",
        "\"join\"",
        "\"dance\"",
        "\"room\"",
        "\"message\"",
        "\"username\"",
        "\"after\"",
        "\"x\"",
        "null",
        "true",
        "-",
        "0",
        "1",
        "-0",
        "1e400",
        "18446744073709551616",
        "1.5",
        "\"\\u0000\"",
        "\"\\ud800\"",
        "\"\\q\"",
        "\"",
        "\\",
    ]);
    prop::collection::vec(token, 0..24).prop_map(|tokens| tokens.concat())
}

/// A frame with a few characters deleted, inserted, replaced or repeated.
fn mutated_frame() -> impl Strategy<Value = String> {
    let edit = (0u8..4, any::<Index>(), any::<char>(), 1usize..8);
    (frame_text(), prop::collection::vec(edit, 1..4)).prop_map(|(text, edits)| {
        let mut chars: Vec<char> = text.chars().collect();
        for (op, at, ch, len) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 if i < chars.len() => {
                    chars.remove(i);
                }
                1 => chars.insert(i, ch),
                2 if i < chars.len() => chars[i] = ch,
                _ => {
                    let end = (i + len).min(chars.len());
                    let copy: Vec<char> = chars[i..end].to_vec();
                    chars.splice(i..i, copy);
                }
            }
        }
        chars_to_string(chars)
    })
}

fn arbitrary_text() -> impl Strategy<Value = String> {
    prop_oneof![any_text(64), any::<String>(), token_soup(), mutated_frame(),]
}

/// Text that is certainly not JSON, built so by construction rather than by asking a parser.
fn non_json() -> impl Strategy<Value = String> {
    // Nothing but whitespace, or nothing at all.
    let blank = "[ \t\r\n]{0,4}";
    // A strict prefix of an object or array lacks the bracket that closes the first one.
    let prefix = (any_json(), any::<Index>()).prop_filter_map("a container", |(value, cut)| {
        if !(value.is_object() || value.is_array()) {
            return None;
        }
        let text = value.to_string();
        let ends: Vec<usize> = text.char_indices().map(|(at, _)| at).collect();
        Some(text[..ends[cut.index(ends.len())]].to_owned())
    });
    // A whole frame followed by more than whitespace.
    let trailing = (
        frame_text(),
        "[ \n]?",
        select(vec![
            "x", "}", "]", ",", "{}", "\"", "0", "\u{0}", "\u{FEFF}",
        ]),
    )
        .prop_map(|(text, space, junk)| format!("{text}{space}{junk}"));
    // A first character no JSON value starts with.
    let bad_start = (
        "[ \t\r\n]{0,2}",
        select(vec![
            'x', '\'', '}', ']', ':', ',', '<', '+', '.', 'N', 'I', 'T', '\u{FEFF}', '\u{0}',
            '\u{FFFD}', 'é', '🦀',
        ]),
        any_text(32),
    )
        .prop_map(|(space, first, rest)| format!("{space}{first}{rest}"));
    // A string holding a raw control character or a malformed escape.
    let raw_controls: Vec<String> = (0u8..0x20)
        .map(|byte| char::from(byte).to_string())
        .collect();
    let bad_piece = prop_oneof![
        select(raw_controls),
        select(vec![
            "\\x41", "\\u12G4", "\\uZZZZ", "\\U0041", "\\'", "\\a", "\\ "
        ])
        .prop_map(str::to_owned),
    ];
    let bad_string = (
        select(vec!["type", "room", "message", "username", "key"]),
        "[a-z ]{0,8}",
        bad_piece,
        "[a-z ]{0,8}",
    )
        .prop_map(|(field, before, bad, after)| match field {
            "key" => format!(r#"{{"type":"send","{before}{bad}{after}":"x"}}"#),
            "type" => format!(r#"{{"type":"{before}{bad}{after}","room":"lobby"}}"#),
            field => {
                format!(r#"{{"type":"send","message":"hi","{field}":"{before}{bad}{after}"}}"#)
            }
        });
    prop_oneof![
        blank.prop_map(|text| text.to_owned()),
        prefix,
        trailing,
        bad_start,
        bad_string,
    ]
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(2000))]

    /// Property 1 and 2 on raw text: no panic, sound error frames, and JSON is never `bad_json`.
    #[test]
    fn arbitrary_text_never_panics_and_gets_a_sound_answer(text in arbitrary_text()) {
        let outcome = run(&text);
        if let Ok(value) = serde_json::from_str::<Value>(&text) {
            prop_assert_ne!(outcome.error_code(), Some(ErrorCode::BadJson), "{} is JSON", text);
            if !value.is_object() {
                prop_assert_eq!(outcome.error_code(), Some(ErrorCode::BadMessage), "{}", text);
            }
        }
    }

    /// Property 1 and 2 on JSON values: each decodes to exactly what the protocol says.
    #[test]
    fn arbitrary_json_decodes_as_the_protocol_says(value in any_json(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            value.to_string()
        };
        let got = match run(&text) {
            Outcome::Refused(code) => Expected::Refused(code),
            Outcome::Decoded(message, _) => Expected::Message(message),
        };
        prop_assert_eq!(got, expected(&value), "frame: {}", text);
    }
}

proptest! {
    #![proptest_config(config(1000))]

    /// Property 2: text that is not JSON gets `bad_json`, whatever it looks like.
    #[test]
    fn text_that_is_not_json_is_bad_json(text in non_json()) {
        prop_assert!(serde_json::from_str::<serde::de::IgnoredAny>(&text).is_err(), "generator made JSON: {:?}", text);
        let outcome = run(&text);
        prop_assert_eq!(outcome.error_code(), Some(ErrorCode::BadJson), "frame: {:?}", text);
    }

    /// Property 3: a valid message survives serde_json both ways and validates.
    #[test]
    fn valid_messages_round_trip_and_validate(message in valid_client_msg(), as_value in any::<bool>()) {
        // Through `Value` the keys come out sorted, so `type` is not always first.
        let text = if as_value {
            serde_json::to_value(&message).unwrap().to_string()
        } else {
            serde_json::to_string(&message).unwrap()
        };
        match run(&text) {
            Outcome::Decoded(decoded, validated) => {
                prop_assert_eq!(&decoded, &message);
                prop_assert!(validated.is_ok(), "{:?} refused: {:?}", message, validated);
            }
            Outcome::Refused(code) => prop_assert!(false, "{} refused with {:?}", text, code),
        }
    }

    /// Property 3: the seed lecture's `{"username","message"}` is a `send`, whatever else the
    /// object holds: the untagged and the tagged form of the same fields get the same answer,
    /// decoded, validated or refused with the same code (docs/protocol.md, "Untagged seed
    /// shape"); fields that are not a `send`'s are ignored.
    #[test]
    fn the_untagged_and_tagged_forms_of_a_send_are_handled_identically(
        // Present and not null: a username is what makes an untagged object the seed shape
        // (a `send` may omit it; the seed shape may not).
        username in prop_oneof![
            4 => valid_username().prop_map(Value::String),
            1 => field_value().prop_filter("not null", |value| !value.is_null()),
        ],
        message in prop_oneof![4 => valid_message().prop_map(Value::String), 1 => field_value()],
        room in prop::option::of(field_value()),
        client_id in prop::option::of(field_value()),
        extra in prop::option::of((select(vec!["extra", "type_", "after", "token"]), field_value())),
    ) {
        let mut fields = json!({"username": username, "message": message});
        for (key, value) in [("room", room), ("client_id", client_id)] {
            if let Some(value) = value {
                fields[key] = value;
            }
        }
        let mut untagged = fields.clone();
        if let Some((key, value)) = extra {
            untagged[key] = value;
        }
        let mut tagged = fields;
        tagged["type"] = json!("send");
        let (from_untagged, from_tagged) = (run(&untagged.to_string()), run(&tagged.to_string()));
        match (&from_untagged, &from_tagged) {
            (Outcome::Decoded(a, va), Outcome::Decoded(b, vb)) => {
                prop_assert_eq!(a, b);
                prop_assert_eq!(va, vb);
            }
            (Outcome::Refused(a), Outcome::Refused(b)) => prop_assert_eq!(a, b),
            _ => prop_assert!(false, "{} gave {:?} but {} gave {:?}",
                untagged, from_untagged, tagged, from_tagged),
        }
    }

    /// Property 3b: without `room`, the seed shape goes to `general`.
    #[test]
    fn the_seed_shape_without_a_room_is_a_send_to_general(
        username in valid_username(),
        message in valid_message(),
    ) {
        let text = json!({"username": username, "message": message}).to_string();
        let Outcome::Decoded(_, validated) = run(&text) else {
            return Err(TestCaseError::fail(format!("{text} was refused")));
        };
        let Ok(Request::Send { room, client_id, .. }) = validated else {
            return Err(TestCaseError::fail("not a valid send"));
        };
        prop_assert_eq!(room.as_str(), DEFAULT_ROOM);
        prop_assert_eq!(client_id, None);
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Property 5: the message limit counts characters, not bytes, for any kind of character.
    #[test]
    fn message_length_limit_counts_characters(
        ch in prop_oneof![
            select(vec!['a', 'é', '日', '🦀', '\u{FFFD}', '\u{301}']),
            visible_char(),
        ],
        len in (MAX_MESSAGE_CHARS - 2)..=(MAX_MESSAGE_CHARS + 2),
    ) {
        let message = ch.to_string().repeat(len);
        let text = json!({"type": "send", "message": message}).to_string();
        let expected = if len <= MAX_MESSAGE_CHARS { None } else { Some(ErrorCode::MessageTooLong) };
        prop_assert_eq!(run(&text).error_code(), expected, "{} × {:?}", len, ch);
    }
}

// ---------------------------------------------------------------------------------------------
// Fixed cases
// ---------------------------------------------------------------------------------------------

/// Property 5 at exactly the limit, with characters of 1 to 4 UTF-8 bytes, `\u` escapes and
/// surrogate pairs (12 bytes of JSON per character), tagged and in the seed shape.
#[test]
fn a_message_of_exactly_4000_characters_validates_and_4001_is_too_long() {
    let units = ["a", "é", "日", "🦀", "e\u{301}", "x\t", "\r\n¶ "];
    for unit in units {
        let per_unit = unit.chars().count();
        let at_limit = unit.repeat(MAX_MESSAGE_CHARS / per_unit);
        assert_eq!(at_limit.chars().count(), MAX_MESSAGE_CHARS);
        let over = format!("{at_limit}z");
        for (message, expected) in [(&at_limit, None), (&over, Some(ErrorCode::MessageTooLong))] {
            let frames = [
                json!({"type": "send", "room": "lobby", "message": message}),
                json!({"username": "alice", "message": message}),
            ];
            for frame in frames {
                let text = frame.to_string();
                assert_eq!(run(&text).error_code(), expected, "{unit:?}: {text:.80}");
            }
        }
    }
    let escaped = |count: usize| {
        format!(
            r#"{{"type":"send","message":"{}"}}"#,
            r"\ud83e\udd80".repeat(count)
        )
    };
    let at_limit = escaped(MAX_MESSAGE_CHARS);
    assert!(at_limit.len() < chinwag_shared::MAX_FRAME_BYTES);
    assert_eq!(run(&at_limit).error_code(), None);
    assert_eq!(
        run(&escaped(MAX_MESSAGE_CHARS + 1)).error_code(),
        Some(ErrorCode::MessageTooLong)
    );
}

/// The other limits: one character under, at and over, in multi-byte characters.
#[test]
fn name_and_id_limits_count_characters_at_the_boundary() {
    let cases = [
        (
            "username",
            "é",
            MAX_USERNAME_CHARS,
            ErrorCode::InvalidUsername,
        ),
        ("room", "a", MAX_ROOM_CHARS, ErrorCode::InvalidRoom),
        (
            "client_id",
            "日",
            MAX_CLIENT_ID_CHARS,
            ErrorCode::InvalidClientId,
        ),
    ];
    for (field, unit, max, code) in cases {
        for (len, expected) in [(max - 1, None), (max, None), (max + 1, Some(code))] {
            let mut frame = json!({"type": "send", "message": "hi"});
            frame[field] = Value::String(unit.repeat(len));
            let text = frame.to_string();
            assert_eq!(run(&text).error_code(), expected, "{field} of {len}");
        }
    }
}

/// Nesting below, at and far past serde_json's recursion limit (128) neither overflows the
/// stack nor gets through where a string belongs, up to a whole 64 KiB frame of brackets.
#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let depths = [1, 2, 64, 126, 127, 128, 129, 130, 1_000, 32_000];
    for depth in depths {
        let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let objects = format!("{}null{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        let must_refuse = [
            format!(r#"{{"type":"send","message":{arrays}}}"#),
            format!(r#"{{"type":"join","room":{objects}}}"#),
            format!(r#"{{"username":{objects},"message":"b"}}"#),
            format!(r#"{{"type":"dance","x":{arrays}}}"#),
            arrays.clone(),
            objects.clone(),
            "[".repeat(depth),
        ];
        for text in must_refuse {
            let outcome = run(&text);
            assert!(outcome.error_code().is_some(), "{text:.80} was accepted");
        }
        // An ignored field of a seed-shape frame may be anything; it must just not crash.
        run(&format!(
            r#"{{"username":"a","message":"b","x":{objects}}}"#
        ));
        run(&format!(r#"{{"username":"a","message":"b","x":{arrays}}}"#));
    }
}

/// The error-code table of docs/protocol.md, one frame per row of the decoder's part.
#[test]
fn each_documented_refusal_gets_its_code() {
    let cases = [
        ("", ErrorCode::BadJson),
        ("   ", ErrorCode::BadJson),
        ("{", ErrorCode::BadJson),
        ("hello", ErrorCode::BadJson),
        ("[]", ErrorCode::BadMessage),
        ("\"send\"", ErrorCode::BadMessage),
        ("null", ErrorCode::BadMessage),
        ("42", ErrorCode::BadMessage),
        (r#"{"type":7}"#, ErrorCode::BadMessage),
        (r#"{"type":["send"]}"#, ErrorCode::BadMessage),
        (r#"{"type":"dance"}"#, ErrorCode::UnknownType),
        (r#"{"type":"Send","message":"hi"}"#, ErrorCode::UnknownType),
        (
            r#"{"type":"leave","room":"x","extra":1}"#,
            ErrorCode::BadMessage,
        ),
        (
            r#"{"type":"join","room":"x","after":-1}"#,
            ErrorCode::BadMessage,
        ),
        (
            r#"{"type":"join","room":"x","after":1.5}"#,
            ErrorCode::BadMessage,
        ),
        (r#"{"username":"a"}"#, ErrorCode::BadMessage),
        (
            r#"{"type":"send","message":" \n"}"#,
            ErrorCode::EmptyMessage,
        ),
        (
            r#"{"type":"send","message":"a\u0007"}"#,
            ErrorCode::InvalidMessage,
        ),
        (
            r#"{"type":"send","message":"x","room":"-x"}"#,
            ErrorCode::InvalidRoom,
        ),
        (
            r#"{"type":"typing","room":"x","username":" a"}"#,
            ErrorCode::InvalidUsername,
        ),
        (
            r#"{"type":"send","message":"x","client_id":""}"#,
            ErrorCode::InvalidClientId,
        ),
    ];
    for (text, code) in cases {
        assert_eq!(run(text).error_code(), Some(code), "frame: {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// The committed corpus
// ---------------------------------------------------------------------------------------------

/// `bad_<what>.<code>.<ext>` → the code; `None` when the name pins none.
fn pinned_code(file_name: &str) -> Option<ErrorCode> {
    let mut parts = file_name.rsplit('.');
    let _extension = parts.next();
    let code = parts.next()?;
    parts.next()?;
    Some(
        *ErrorCode::ALL
            .iter()
            .find(|known| known.as_str() == code)
            .unwrap_or_else(|| panic!("{file_name}: {code:?} is not an error code")),
    )
}

/// Property 4: every committed frame is replayed; `valid_` must validate, `bad_` must not.
#[test]
fn every_corpus_frame_gets_the_answer_its_name_promises() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/decoder");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("corpus {} is missing: {err}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    assert!(entries.len() >= 20, "corpus {} is too small", dir.display());
    let mut failures = Vec::new();
    for path in &entries {
        let name = path.file_name().unwrap().to_str().unwrap();
        // A text frame is UTF-8 by RFC 6455, so a corpus file must be too.
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|err| panic!("{name} is not UTF-8 text: {err}"));
        let outcome = run(&text);
        let code = outcome.error_code();
        let wrong = if name.starts_with("valid_") {
            code.map(|code| format!("refused with {code:?}"))
        } else if name.starts_with("bad_") {
            match (code, pinned_code(name)) {
                (None, _) => Some(format!("accepted as {outcome:?}")),
                (Some(got), Some(want)) if got != want => Some(format!("{got:?}, not {want:?}")),
                _ => None,
            }
        } else {
            panic!("{name}: corpus files start with valid_ or bad_");
        };
        if let Some(wrong) = wrong {
            failures.push(format!("{name}: {wrong}"));
        }
    }
    assert!(
        failures.is_empty(),
        "corpus failures:\n{}",
        failures.join("\n")
    );
}
