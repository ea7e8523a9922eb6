//! [`ChatRecord::apply`]'s rules, the records' JSON, and `@mention` matching.

use super::*;

fn message(id: u64, text: &str) -> ChatRecord {
    ChatRecord {
        id,
        room: RoomName::parse("general").unwrap(),
        username: Username::parse("ada").unwrap(),
        message: text.to_owned(),
        ts: 1,
        guest: false,
        bot: false,
        client_id: None,
        change: None,
        edited: None,
        deleted: None,
    }
}

fn edit(id: u64, target: u64, text: &str) -> ChatRecord {
    ChatRecord {
        change: Some(Change::Edit { target }),
        ..message(id, text)
    }
}

fn delete(id: u64, target: u64, by: &str) -> ChatRecord {
    ChatRecord {
        username: Username::parse(by).unwrap(),
        change: Some(Change::Delete {
            target,
            moderator: by != "ada",
        }),
        ..message(id, "")
    }
}

#[test]
fn an_edit_replaces_the_text_once_and_an_older_edit_changes_nothing() {
    let mut msg = message(3, "helo");
    assert_eq!(msg.apply(&edit(5, 3, "hello")), Applied::Changed);
    assert_eq!((msg.message.as_str(), msg.edited), ("hello", Some(5)));
    assert_eq!(msg.apply(&edit(5, 3, "hello")), Applied::Unchanged, "twice");
    assert_eq!(msg.apply(&edit(4, 3, "hel")), Applied::Unchanged, "older");
    assert_eq!(msg.message, "hello");
    assert_eq!(msg.apply(&edit(9, 3, "hello!")), Applied::Changed);
    assert_eq!(msg.edited, Some(9));
}

#[test]
fn a_deletion_is_final_and_names_only_a_moderator() {
    let mut own = message(3, "oops");
    assert_eq!(own.apply(&delete(4, 3, "ada")), Applied::Changed);
    assert_eq!(own.message, "");
    assert_eq!(own.deleted, Some(Deletion { id: 4, by: None }));
    assert_eq!(own.apply(&edit(6, 3, "back")), Applied::Unchanged);
    assert_eq!(own.message, "", "no edit revives a deleted message");
    let mut other = message(3, "spam");
    other.apply(&delete(8, 3, "mod"));
    assert_eq!(
        other.deleted.unwrap().by.map(|name| name.to_string()),
        Some("mod".to_owned())
    );
}

#[test]
fn a_change_of_another_message_or_room_or_a_plain_message_changes_nothing() {
    let mut msg = message(3, "hi");
    assert_eq!(msg.apply(&edit(5, 2, "x")), Applied::Unchanged);
    assert_eq!(msg.apply(&message(5, "x")), Applied::Unchanged);
    let mut elsewhere = edit(5, 3, "x");
    elsewhere.room = RoomName::parse("other").unwrap();
    assert_eq!(msg.apply(&elsewhere), Applied::Unchanged);
    assert_eq!(msg.apply(&edit(2, 3, "x")), Applied::Unchanged, "before it");
    let mut change = edit(5, 3, "x");
    assert_eq!(change.apply(&edit(6, 5, "y")), Applied::Unchanged);
    assert_eq!(msg, message(3, "hi"));
}

#[test]
fn change_records_and_tombstones_read_back_from_their_json() {
    let text = serde_json::to_string(&delete(8, 3, "mod")).unwrap();
    assert!(
        text.contains(r#""change":{"kind":"delete","target":3,"moderator":true}"#),
        "{text}"
    );
    let mut msg = message(3, "spam");
    msg.apply(&delete(8, 3, "mod"));
    let text = serde_json::to_string(&msg).unwrap();
    assert!(text.contains(r#""deleted":{"id":8,"by":"mod"}"#), "{text}");
    assert_eq!(serde_json::from_str::<ChatRecord>(&text).unwrap(), msg);
    let plain = serde_json::to_string(&message(1, "hi")).unwrap();
    assert!(!plain.contains("change") && !plain.contains("edited") && !plain.contains("deleted"));
}

#[test]
fn changes_are_written_tagged_and_read_in_any_order() {
    let cases = [
        (Change::Edit { target: 3 }, r#"{"kind":"edit","target":3}"#),
        (
            Change::Delete {
                target: 3,
                moderator: false,
            },
            r#"{"kind":"delete","target":3}"#,
        ),
        (
            Change::Delete {
                target: 3,
                moderator: true,
            },
            r#"{"kind":"delete","target":3,"moderator":true}"#,
        ),
    ];
    for (change, text) in cases {
        assert_eq!(serde_json::to_string(&change).unwrap(), text);
        assert_eq!(serde_json::from_str::<Change>(text).unwrap(), change);
    }
    let later = r#"{"moderator":true,"target":3,"kind":"delete","why":"spam"}"#;
    assert_eq!(
        serde_json::from_str::<Change>(later).unwrap(),
        Change::Delete {
            target: 3,
            moderator: true
        }
    );
    let edit = r#"{"target":3,"kind":"edit","moderator":true}"#;
    assert_eq!(
        serde_json::from_str::<Change>(edit).unwrap(),
        Change::Edit { target: 3 }
    );
    for (text, expected) in [
        (r#"{"kind":"undo","target":3}"#, "unknown variant `undo`"),
        (r#"{"kind":"edit"}"#, "missing field `target`"),
        (r#"{"target":3}"#, "missing field `kind`"),
    ] {
        let error = serde_json::from_str::<Change>(text)
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{text}: {error}");
    }
}

#[test]
fn mentions_match_whole_names_whatever_their_case() {
    let ada = Username::parse("Ada").unwrap();
    for text in [
        "@ada hi",
        "hi @ADA",
        "(@Ada)",
        "@ada.",
        "@ada, look",
        "x\n@ada",
    ] {
        assert!(mentions(text, &ada), "{text}");
    }
    for text in [
        "ada",
        "@adam",
        "email@adaX",
        "@ad",
        "@",
        "@ada_b",
        "@ada.b",
        "@\u{430}da",
    ] {
        assert!(!mentions(text, &ada), "{text}");
    }
    let spaced = Username::parse("Ada Lovelace").unwrap();
    assert!(mentions("hi @ada lovelace!", &spaced));
    assert!(!mentions("hi @ada", &spaced));
}
