//! Validated strings: usernames, room names, client ids and message texts.
//!
//! Each is a newtype whose only constructor is `parse`, so holding one proves it passed the
//! rules below; the server parses at the edge and passes only these inward. They are backed by
//! `Arc<str>`: a room name rides on every broadcast frame, and cloning it is a refcount bump.
//!
//! Rules (also in `docs/protocol.md`):
//! - username: 1–32 characters; letters, digits, space, `_`, `-`, `.`; no space at either end.
//! - room: 1–48 characters of `a-z`, `0-9`, `-`, `_`, starting with a letter or digit. Room
//!   names appear in URLs (`/api/rooms/{room}/messages`), hence the narrow alphabet.
//! - client id and client token: 1–64 characters, no control characters; otherwise the
//!   client's own business.
//! - message: 1–4,000 characters, not only whitespace, no control characters but line
//!   breaks and tabs.

use crate::{
    ErrorCode, MAX_CLIENT_ID_CHARS, MAX_MESSAGE_CHARS, MAX_ROOM_CHARS, MAX_USERNAME_CHARS,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::{borrow::Borrow, fmt, sync::Arc};

/// Which kind of value failed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A [`Username`].
    Username,
    /// A [`RoomName`].
    Room,
    /// A [`ClientId`].
    ClientId,
    /// A [`MessageText`].
    Message,
}

impl Field {
    fn label(self) -> &'static str {
        match self {
            Field::Username => "username",
            Field::Room => "room name",
            Field::ClientId => "client_id",
            Field::Message => "message",
        }
    }
}

/// Why a string is not a valid value of its [`Field`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValidationError {
    /// The value is empty (for a message: only whitespace).
    Empty {
        /// The field that was empty.
        field: Field,
    },
    /// The value has more characters than its limit allows.
    TooLong {
        /// The field that was too long.
        field: Field,
        /// Its length in characters.
        len: usize,
        /// The limit in characters.
        max: usize,
    },
    /// The value holds a character its field does not allow.
    BadChar {
        /// The field with the bad character.
        field: Field,
        /// The first character that broke the rule.
        ch: char,
    },
    /// The value starts or ends with whitespace.
    SurroundingSpace {
        /// The field with surrounding whitespace.
        field: Field,
    },
}

impl ValidationError {
    /// The field that failed.
    pub fn field(&self) -> Field {
        match self {
            ValidationError::Empty { field }
            | ValidationError::TooLong { field, .. }
            | ValidationError::BadChar { field, .. }
            | ValidationError::SurroundingSpace { field } => *field,
        }
    }

    /// The error code a server reports for this failure.
    pub fn code(&self) -> ErrorCode {
        match (self.field(), self) {
            (Field::Message, ValidationError::TooLong { .. }) => ErrorCode::MessageTooLong,
            (Field::Message, ValidationError::BadChar { .. }) => ErrorCode::InvalidMessage,
            (Field::Message, _) => ErrorCode::EmptyMessage,
            (Field::Username, _) => ErrorCode::InvalidUsername,
            (Field::Room, _) => ErrorCode::InvalidRoom,
            (Field::ClientId, _) => ErrorCode::InvalidClientId,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValidationError::Empty { field } => write!(f, "{} must not be empty", field.label()),
            ValidationError::TooLong { field, len, max } => write!(
                f,
                "{} is {len} characters long; the limit is {max}",
                field.label()
            ),
            ValidationError::BadChar { field, ch } => {
                write!(f, "{} may not contain {ch:?}", field.label())
            }
            ValidationError::SurroundingSpace { field } => {
                write!(f, "{} may not start or end with whitespace", field.label())
            }
        }
    }
}

impl std::error::Error for ValidationError {}

/// Checks length bounds and that every character passes `allowed`.
fn check(
    field: Field,
    value: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(ValidationError::TooLong { field, len, max });
    }
    if let Some(ch) = value.chars().find(|&c| !allowed(c)) {
        return Err(ValidationError::BadChar { field, ch });
    }
    Ok(())
}

/// Defines a validated, cheaply cloneable string newtype with serde as a plain JSON string.
macro_rules! validated_string {
    ($(#[$doc:meta])* $name:ident, $validate:path) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Arc<str>);

        impl $name {
            /// Validates `value`, keeping it if it passes.
            pub fn parse(value: &str) -> Result<Self, ValidationError> {
                $validate(value)?;
                Ok(Self(Arc::from(value)))
            }

            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                $validate(&raw).map_err(serde::de::Error::custom)?;
                Ok(Self(Arc::from(raw)))
            }
        }
    };
}

fn validate_username(value: &str) -> Result<(), ValidationError> {
    let field = Field::Username;
    check(field, value, MAX_USERNAME_CHARS, |c| {
        c.is_alphanumeric() || matches!(c, ' ' | '_' | '-' | '.')
    })?;
    if value.starts_with(' ') || value.ends_with(' ') {
        return Err(ValidationError::SurroundingSpace { field });
    }
    Ok(())
}

fn validate_room(value: &str) -> Result<(), ValidationError> {
    let field = Field::Room;
    check(field, value, MAX_ROOM_CHARS, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_')
    })?;
    match value.chars().next() {
        Some(first) if !first.is_ascii_alphanumeric() => {
            Err(ValidationError::BadChar { field, ch: first })
        }
        _ => Ok(()),
    }
}

fn validate_client_id(value: &str) -> Result<(), ValidationError> {
    check(Field::ClientId, value, MAX_CLIENT_ID_CHARS, |c| {
        !c.is_control()
    })
}

fn validate_message(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        return Err(ValidationError::Empty {
            field: Field::Message,
        });
    }
    // Line breaks (Shift+Enter; CRLF from some clients) and tabs are part of chat; other
    // control characters only garble other people's screens.
    check(Field::Message, value, MAX_MESSAGE_CHARS, |c| {
        !c.is_control() || matches!(c, '\n' | '\r' | '\t')
    })
}

validated_string!(
    /// A person's display name in chat.
    Username,
    validate_username
);
validated_string!(
    /// The name of a room; also a URL path segment.
    RoomName,
    validate_room
);
validated_string!(
    /// A client's own id for one message, which makes retries of that message idempotent.
    ClientId,
    validate_client_id
);
validated_string!(
    /// A browser's own secret for "this is still me": two connections presenting the same
    /// token may share a username in a room (two tabs); anyone else may not take it.
    ClientToken,
    validate_client_id
);
validated_string!(
    /// The text of a chat message.
    MessageText,
    validate_message
);

impl RoomName {
    /// The room a client is in when it names none: [`crate::DEFAULT_ROOM`].
    pub fn default_room() -> Self {
        Self(Arc::from(crate::DEFAULT_ROOM))
    }
}

#[cfg(test)]
mod tests {
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
}
