//! The rules of [`super`], one behaviour per test: what each type accepts and refuses, the
//! error code each refusal maps to, and which usernames share a [`super::NameKey`].

use super::*;

#[test]
fn usernames_follow_the_documented_rules() {
    assert!(Username::parse("alice").is_ok());
    assert!(Username::parse("Zoë O.Neil-2").is_ok());
    assert_eq!(
        Username::parse("").unwrap_err().code(),
        ErrorCode::InvalidUsername
    );
    assert!(matches!(
        Username::parse(" alice"),
        Err(ValidationError::SurroundingSpace { .. })
    ));
    assert!(matches!(
        Username::parse("a<b"),
        Err(ValidationError::BadChar { ch: '<', .. })
    ));
    let long = "x".repeat(MAX_USERNAME_CHARS + 1);
    assert!(matches!(
        Username::parse(&long),
        Err(ValidationError::TooLong {
            len: 33,
            max: 32,
            ..
        })
    ));
}

#[test]
fn invisible_and_filler_characters_are_refused_in_usernames() {
    for bad in [
        "alice\u{3164}",
        "\u{3164}",
        "\u{FFA0}",
        "\u{115F}\u{1160}",
        "ali\u{200B}ce",
        "alice\u{200D}",
        "alice\u{FE0F}",
        "ali\u{34F}ce",
        "\u{FEFF}alice",
        "alice\u{2060}",
        "\u{202E}ecila",
        "\u{2067}alice\u{2069}",
        "alice\u{E0061}",
    ] {
        let err = Username::parse(bad).unwrap_err();
        assert!(
            matches!(err, ValidationError::BadChar { .. }),
            "{bad:?} gave {err:?}"
        );
        assert_eq!(err.code(), ErrorCode::InvalidUsername);
    }
}

#[test]
fn stacked_and_leading_combining_marks_are_refused_in_usernames() {
    let zalgo = format!("a{}", "\u{301}".repeat(20));
    assert_eq!(
        Username::parse(&zalgo),
        Err(ValidationError::TooManyMarks {
            field: Field::Username,
            on: Some('a')
        })
    );
    let smear = "x\u{301}\u{300}".repeat(MAX_NAME_MARKS / 2 + 1);
    assert!(matches!(
        Username::parse(&smear),
        Err(ValidationError::TooManyMarks { on: None, .. })
    ));
    assert!(matches!(
        Username::parse("\u{301}alice"),
        Err(ValidationError::BadChar { ch: '\u{301}', .. })
    ));
    assert!(
        Username::parse("Zoe\u{308}").is_ok(),
        "a decomposed accent is fine"
    );
}

#[test]
fn a_username_is_written_in_one_script() {
    let err = Username::parse("\u{430}lice").unwrap_err();
    assert_eq!(
        err,
        ValidationError::MixedScripts {
            field: Field::Username,
            ch: 'l'
        }
    );
    assert_eq!(err.code(), ErrorCode::InvalidUsername);
    assert!(err.to_string().contains("U+006C"), "{err}");
    assert!(Username::parse("p\u{430}ypal").is_err());
    assert!(Username::parse("Ivan Иван").is_err());
}

#[test]
fn ordinary_names_in_many_scripts_are_accepted() {
    for good in [
        "alice",
        "Zoë O.Neil-2",
        "José_Martínez",
        "Nguyễn Thị Ánh",
        "Łukasz",
        "Иван Петров",
        "Ζωή-1",
        "李小龍",
        "山田たろう",
        "김민준",
        "مريم",
        "דוד",
        "कृष्ण",
        "สมชาย",
        "user_42",
        "x-1.0",
    ] {
        assert!(
            Username::parse(good).is_ok(),
            "{good:?}: {:?}",
            Username::parse(good)
        );
    }
}

#[test]
fn hold_keys_match_across_case_and_look_alikes_only() {
    let key = |text: &str| name(text).hold_key();
    assert_eq!(key("Alice"), key("alice"));
    assert_eq!(key("ALICE"), key("alice"));
    // `аlice` with one Cyrillic letter is refused as mixed; all-Cyrillic look-alikes pass
    // the script rule, so the key is what stops them.
    let cyrillic_alice = "\u{430}\u{4CF}\u{456}\u{441}\u{435}";
    assert_eq!(key(cyrillic_alice), key("alice"), "аӏісе");
    assert_eq!(key("\u{430}\u{441}\u{435}"), key("ACE"), "асе");
    assert_eq!(key("Иван"), key("иван"));
    for other in ["alicia", "bob", "alice2", "Алиса", "li"] {
        assert_ne!(key(other), key("alice"), "{other}");
    }
}

fn name(text: &str) -> Username {
    Username::parse(text).unwrap()
}

#[test]
fn invisible_only_messages_are_empty() {
    for blank in [
        "\u{200B}",
        "\u{3164}",
        "\u{2800}",
        " \u{FEFF}\n\u{2800}\u{3000}",
        "\u{202E}",
    ] {
        assert_eq!(
            MessageText::parse(blank).unwrap_err().code(),
            ErrorCode::EmptyMessage,
            "{blank:?}"
        );
    }
    assert!(
        MessageText::parse("\u{2801}").is_ok(),
        "a braille dot is visible"
    );
    assert!(
        MessageText::parse("ok\u{200B}").is_ok(),
        "invisible beside visible is text"
    );
}

#[test]
fn unpaired_bidi_controls_are_refused_in_messages() {
    let err = MessageText::parse("\u{202E}evil.com/").unwrap_err();
    assert_eq!(
        err,
        ValidationError::UnpairedBidi {
            field: Field::Message,
            ch: '\u{202E}'
        }
    );
    assert_eq!(err.code(), ErrorCode::InvalidMessage);
    assert!(MessageText::parse("say \u{2067}שלום\u{2069} to all").is_ok());
    assert!(MessageText::parse("\u{202B}עברית\u{202C}\nnext").is_ok());
}

#[test]
fn room_names_are_url_safe_lowercase() {
    assert!(RoomName::parse("general").is_ok());
    assert!(RoomName::parse("rust-2024_q3").is_ok());
    for bad in ["", "General", "a b", "-lead", "x/y", "ünï"] {
        let err = RoomName::parse(bad).unwrap_err();
        assert_eq!(
            err.code(),
            ErrorCode::InvalidRoom,
            "{bad:?} should be refused"
        );
    }
}

#[test]
fn message_length_counts_characters_not_bytes() {
    let at_limit = "é".repeat(MAX_MESSAGE_CHARS);
    assert!(MessageText::parse(&at_limit).is_ok());
    let over = "é".repeat(MAX_MESSAGE_CHARS + 1);
    assert_eq!(
        MessageText::parse(&over).unwrap_err().code(),
        ErrorCode::MessageTooLong
    );
    assert_eq!(
        MessageText::parse(" \n\t").unwrap_err().code(),
        ErrorCode::EmptyMessage
    );
    assert!(MessageText::parse("two\nlines").is_ok());
    assert!(MessageText::parse("crlf\r\nlines").is_ok());
    assert_eq!(
        MessageText::parse("bell\u{7}").unwrap_err().code(),
        ErrorCode::InvalidMessage
    );
}

#[test]
fn client_ids_refuse_control_characters_and_length() {
    assert!(ClientId::parse("3f2a-17").is_ok());
    assert!(ClientId::parse("a\u{0}b").is_err());
    assert!(ClientId::parse(&"c".repeat(65)).is_err());
    assert!(ClientId::parse(&"c".repeat(64)).is_ok());
}

#[test]
fn deserializing_validates() {
    let ok: RoomName = serde_json::from_str("\"lobby\"").unwrap();
    assert_eq!(ok.as_str(), "lobby");
    assert!(serde_json::from_str::<RoomName>("\"Lobby\"").is_err());
}
