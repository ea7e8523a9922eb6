//! Validated strings: usernames, room names, client ids and message texts.
//!
//! Each is a newtype whose only constructor is `parse`, so holding one proves it passed the
//! rules below; the server parses at the edge and passes only these inward. They are backed by
//! `Arc<str>`: a room name rides on every broadcast frame, and cloning it is a refcount bump.
//!
//! Rules (also in `docs/protocol.md`; the Unicode ones live in [`crate::appearance`]):
//! - username: 1–32 characters; letters, digits, combining marks, space, `_`, `-`, `.`; no
//!   space at either end; no invisible characters (the Hangul fillers are letters that draw
//!   nothing); at most [`MAX_NAME_MARKS_PER_CHAR`] marks on a character and
//!   [`MAX_NAME_MARKS`] in all; one script (digits and `_-. ` go with any; the server checks
//!   this one, the browser client leaves it to the server to keep its bundle small). Two names are one
//!   person's when their [`NameKey`]s are equal: case and look-alike letters make no new name.
//! - room: 1–48 characters of `a-z`, `0-9`, `-`, `_`, starting with a letter or digit. Room
//!   names appear in URLs (`/api/rooms/{room}/messages`), hence the narrow alphabet.
//! - client id and client token: 1–64 characters, no control characters; otherwise the
//!   client's own business.
//! - message: 1–4,000 characters, not only blank ones (whitespace, invisible characters, the
//!   braille blank), no control characters but line breaks and tabs, and every bidi
//!   embedding, override or isolate closed on its own line.

use crate::{
    appearance::{self, MarkExcess},
    error_code::ErrorCode,
    limits::{
        DEFAULT_ROOM, MAX_CLIENT_ID_CHARS, MAX_MESSAGE_CHARS, MAX_NAME_MARKS,
        MAX_NAME_MARKS_PER_CHAR, MAX_ROOM_CHARS, MAX_USERNAME_CHARS,
    },
    unicode::is_combining_mark,
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
    /// The value is empty (for a message: nothing but blank characters).
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
    /// The value mixes writing systems, as a Cyrillic `а` among Latin letters does.
    MixedScripts {
        /// The field that mixes scripts.
        field: Field,
        /// The first character with no script in common with those before it.
        ch: char,
    },
    /// The value stacks combining marks: more than [`MAX_NAME_MARKS_PER_CHAR`] on one
    /// character, or more than [`MAX_NAME_MARKS`] in all.
    TooManyMarks {
        /// The field with too many marks.
        field: Field,
        /// The character carrying too many, if one does (else there are too many overall).
        on: Option<char>,
    },
    /// A bidi embedding, override or isolate is not closed on its line, or a closer has
    /// nothing to close: left open, it reverses the text after it.
    UnpairedBidi {
        /// The field with the unpaired control.
        field: Field,
        /// The first unpaired control.
        ch: char,
    },
}

impl ValidationError {
    /// The field that failed.
    pub fn field(&self) -> Field {
        match self {
            ValidationError::Empty { field }
            | ValidationError::TooLong { field, .. }
            | ValidationError::BadChar { field, .. }
            | ValidationError::SurroundingSpace { field }
            | ValidationError::MixedScripts { field, .. }
            | ValidationError::TooManyMarks { field, .. }
            | ValidationError::UnpairedBidi { field, .. } => *field,
        }
    }

    /// The error code a server reports for this failure.
    pub fn code(&self) -> ErrorCode {
        match (self.field(), self) {
            (Field::Message, ValidationError::TooLong { .. }) => ErrorCode::MessageTooLong,
            (Field::Message, ValidationError::Empty { .. }) => ErrorCode::EmptyMessage,
            (Field::Message, _) => ErrorCode::InvalidMessage,
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
            ValidationError::MixedScripts { field, ch } => write!(
                f,
                "{} mixes writing systems: {} shares no script with the letters before it",
                field.label(),
                CodePoint(*ch)
            ),
            ValidationError::TooManyMarks { field, on } => {
                write!(f, "{} has too many combining marks", field.label())?;
                match on {
                    Some(ch) => write!(
                        f,
                        " on {} (at most {MAX_NAME_MARKS_PER_CHAR})",
                        CodePoint(*ch)
                    ),
                    None => write!(f, " (at most {MAX_NAME_MARKS} in all)"),
                }
            }
            ValidationError::UnpairedBidi { field, ch } => write!(
                f,
                "{} has {} without its closing partner on the same line",
                field.label(),
                CodePoint(*ch)
            ),
        }
    }
}

impl std::error::Error for ValidationError {}

/// Shows a character by number as well as by itself: the characters these errors are about
/// look like others or like nothing.
struct CodePoint(char);

impl fmt::Display for CodePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "U+{:04X} {:?}", u32::from(self.0), self.0)
    }
}

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

            /// Whether both are the very same shared text: a pointer comparison, without
            /// reading either. Equal names held in separate copies answer `false`, so this
            /// is a fast path before `==`, never a replacement for it.
            pub fn same(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.0, &other.0)
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
    // Marks are allowed so decomposed accents and Indic vowel signs and viramas spell names;
    // `check_marks` below keeps them from stacking. Default-ignorables are refused although
    // some are letters (U+3164 HANGUL FILLER is Lo): a name must be seen to be told apart.
    check(field, value, MAX_USERNAME_CHARS, |c| {
        (c.is_alphanumeric() || is_combining_mark(c) || matches!(c, ' ' | '_' | '-' | '.'))
            && !appearance::is_default_ignorable(c)
    })?;
    if value.starts_with(' ') || value.ends_with(' ') {
        return Err(ValidationError::SurroundingSpace { field });
    }
    match appearance::check_marks(value) {
        Ok(()) => {}
        Err(MarkExcess::NoBase) => {
            let ch = value.chars().next().unwrap_or(' ');
            return Err(ValidationError::BadChar { field, ch });
        }
        Err(MarkExcess::Stacked(on)) => {
            let on = Some(on);
            return Err(ValidationError::TooManyMarks { field, on });
        }
        Err(MarkExcess::TooMany) => {
            return Err(ValidationError::TooManyMarks { field, on: None });
        }
    }
    // The server's rule only: see `first_script_clash` for why the browser leaves it out.
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(ch) = appearance::first_script_clash(value) {
        return Err(ValidationError::MixedScripts { field, ch });
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
    let field = Field::Message;
    if value.chars().all(appearance::is_blank) {
        return Err(ValidationError::Empty { field });
    }
    // Line breaks (Shift+Enter; CRLF from some clients) and tabs are part of chat; other
    // control characters only garble other people's screens.
    check(field, value, MAX_MESSAGE_CHARS, |c| {
        !c.is_control() || matches!(c, '\n' | '\r' | '\t')
    })?;
    // Refused rather than stripped: the text is stored and echoed exactly as sent, so a
    // client's retry with the same `client_id` still matches, and its sender learns why.
    if let Some(ch) = appearance::first_unpaired_bidi(value) {
        return Err(ValidationError::UnpairedBidi { field, ch });
    }
    Ok(())
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

/// What the "name is held" rule compares: a [`Username`] lowercased, then reduced to its
/// UTS #39 confusable skeleton. Names a reader cannot tell apart (`Alice`, `alice`, `аlice`
/// with a Cyrillic `а`) have equal keys, so one of them held in a room holds them all.
///
/// A key is for comparing and indexing only, never for showing: a skeleton may hold
/// characters no one would type (`Иван` becomes `ᴎʙaʜ`). Keys
/// depend on the Unicode data of the `unicode-security` release built in, so anything that
/// stores them must recompute them when that changes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameKey(Box<str>);

impl NameKey {
    /// The key's text, for indexing outside this process.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key read back from where [`NameKey::as_str`] stored it. Only ever compared with
    /// keys made by [`Username::hold_key`], so a stored key that is not one matches nothing.
    pub fn from_stored(raw: &str) -> Self {
        NameKey(raw.into())
    }
}

impl Username {
    /// The key the "name is held" rule compares this name by; see [`NameKey`].
    pub fn hold_key(&self) -> NameKey {
        NameKey(appearance::hold_skeleton(&self.0).into_boxed_str())
    }
}

impl RoomName {
    /// The room a client is in when it names none: [`crate::DEFAULT_ROOM`].
    pub fn default_room() -> Self {
        Self(Arc::from(DEFAULT_ROOM))
    }
}

#[cfg(test)]
mod tests;
