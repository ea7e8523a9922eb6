//! The stored chat JSON and its templates against the shared record: the one-pass template is
//! the one found by difference, a filled template is the stored form byte for byte and reads
//! back as the record, change fields are stored as `ChatRecord` serializes them, and a revised
//! template fills into exactly what `ChatRecord::apply` leaves.

use super::*;
use chinwag_shared::ServerMsg;

fn record(message: &str) -> ChatRecord {
    ChatRecord {
        guest: true,
        bot: false,
        id: 99,
        room: RoomName::parse("general").unwrap(),
        username: Username::parse("Zoë the 2nd").unwrap(),
        message: message.to_owned(),
        ts: 5,
        client_id: Some(chinwag_shared::ClientId::parse("c-1").unwrap()),
        change: None,
        deleted: None,
        edited: None,
    }
}

#[test]
fn the_one_pass_template_is_the_one_found_by_difference() {
    for text in [
        "",
        "hi",
        r#"0,"ts":0}"#,
        r#"{"id":0,"ts":0}"#,
        "Zoë 🎉\n\"q\"",
    ] {
        let record = record(text);
        assert_eq!(
            ChatTemplate::new(&record),
            ChatTemplate::by_difference(&record),
            "{text:?}"
        );
    }
}

#[test]
fn a_filled_template_is_the_stored_form_byte_for_byte() {
    let record = ChatRecord {
        username: Username::parse("ada").unwrap(),
        ..record("hi")
    };
    assert_eq!(
        ChatTemplate::new(&record).fill(7, 1_700_000_000_123),
        r#"{"type":"chat","room":"general","username":"ada","message":"hi","guest":true,"id":7,"ts":1700000000123}"#,
        "the bytes Redis entries have always held, and since accounts, whether a guest wrote it"
    );
}

#[test]
fn a_filled_template_decodes_as_the_public_record_whatever_the_text_holds() {
    for text in [
        "",
        "0",
        "1 2 10 20",
        "\"id\":0,\"ts\":0}",
        "quote \" slash / \\ 💬\n",
    ] {
        let record = record(text);
        let json = ChatTemplate::new(&record).fill(42, 1_700_000_000_123);
        let decoded: ServerMsg = serde_json::from_str(&json).unwrap();
        let expected = ChatRecord {
            id: 42,
            ts: 1_700_000_000_123,
            ..crate::history::public(record)
        };
        assert_eq!(decoded, ServerMsg::Chat(expected), "{json}");
        assert!(!json.contains("c-1"), "no client_id: {json}");
    }
}

fn edit_of(target: u64, text: &str) -> ChatRecord {
    ChatRecord {
        username: Username::parse("ada").unwrap(),
        change: Some(Change::Edit { target }),
        client_id: None,
        ..record(text)
    }
}

fn deletion_of(target: u64, moderator: bool) -> ChatRecord {
    ChatRecord {
        username: Username::parse("mod").unwrap(),
        change: Some(Change::Delete { target, moderator }),
        client_id: None,
        ..record("")
    }
}

fn message(id: u64, text: &str) -> ChatRecord {
    ChatRecord {
        id,
        client_id: None,
        ..record(text)
    }
}

/// `message` after `change` numbered `id`, as the shared rule folds it.
fn applied(message: &ChatRecord, change: &ChatRecord, id: u64) -> ChatRecord {
    let mut revised = message.clone();
    revised.apply(&ChatRecord {
        id,
        ..change.clone()
    });
    revised
}

fn decoded(json: &str) -> ChatRecord {
    match serde_json::from_str::<ServerMsg>(json).unwrap() {
        ServerMsg::Chat(record) => record,
        other => panic!("a chat frame expected: {other:?}"),
    }
}

#[test]
fn change_fields_are_stored_as_the_shared_record_serializes_them() {
    let mut tombstone = message(3, "spam");
    tombstone.edited = Some(4);
    let tombstone = applied(&tombstone, &deletion_of(3, true), 8);
    for record in [
        ChatRecord {
            id: 4,
            ..edit_of(3, "fixed")
        },
        ChatRecord {
            id: 8,
            ..deletion_of(3, true)
        },
        ChatRecord {
            id: 9,
            ..deletion_of(5, false)
        },
        applied(&message(3, "helo"), &edit_of(3, "hello"), 4),
        tombstone,
    ] {
        let stored = stored_json(&record);
        let shared = serde_json::to_value(&record).unwrap();
        let ours = serde_json::from_str::<serde_json::Value>(&stored).unwrap();
        for field in ["change", "edited", "deleted"] {
            assert_eq!(ours.get(field), shared.get(field), "{field}: {stored}");
        }
        assert_eq!(decoded(&stored), record, "{stored}");
    }
}

#[test]
fn a_change_record_template_fills_into_the_change_record() {
    let edit = edit_of(3, "new \"text\" 0");
    let json = ChatTemplate::new(&edit).fill(12, 1_700_000_000_123);
    assert_eq!(
        decoded(&json),
        ChatRecord {
            id: 12,
            ts: 1_700_000_000_123,
            ..edit
        }
    );
    assert!(
        json.contains(r#""change":{"kind":"edit","target":3}"#),
        "{json}"
    );
}

#[test]
fn a_revised_template_fills_into_the_message_as_apply_leaves_it() {
    let original = message(3, "helo 1000000000000000000");
    let edited = applied(&original, &edit_of(3, "hello"), 4);
    for (before, change, id) in [
        (&original, edit_of(3, "hello 9"), 4),
        (&original, edit_of(3, ""), 1_000_000),
        (&edited, edit_of(3, "hello again"), 7),
        (&original, deletion_of(3, true), 5),
        (&edited, deletion_of(3, false), 9),
    ] {
        let template = RevisedTemplate::new(before, &change).expect("it applies");
        let json = template.fill(id);
        assert_eq!(decoded(&json), applied(before, &change, id), "{json}");
        assert_eq!(json, stored_json(&applied(before, &change, id)));
    }
}

#[test]
fn no_revised_template_for_a_change_that_would_not_apply() {
    let deleted = applied(&message(3, "x"), &deletion_of(3, false), 4);
    let change_record = ChatRecord {
        id: 3,
        ..edit_of(2, "x")
    };
    for (target, change) in [
        (&deleted, edit_of(3, "back")),
        (&deleted, deletion_of(3, true)),
        (&change_record, deletion_of(3, true)),
        (&message(3, "x"), edit_of(2, "elsewhere")),
    ] {
        assert_eq!(RevisedTemplate::new(target, &change), None, "{target:?}");
    }
}

#[test]
fn common_ends_stop_on_char_boundaries() {
    assert_eq!(common_prefix("aé1", "aé2"), 3);
    assert_eq!(common_prefix("ab", "ab"), 2);
    assert_eq!(common_suffix("1é", "2é"), 2);
    assert_eq!(common_suffix("é", "è"), 0);
}
