//! The stable `code` strings of error frames and HTTP API errors.
//!
//! Clients branch on these, so a code never changes meaning once released; `detail` is the
//! human-readable part and may change. Every code is listed in `docs/protocol.md`.

use serde::{Deserialize, Deserializer, Serialize, de};
use std::fmt;

/// Why the server refused something a client sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The text frame is not JSON at all.
    BadJson,
    /// The JSON is well formed but not the shape of any message (missing field, wrong type).
    BadMessage,
    /// The `type` names no message this server knows.
    UnknownType,
    /// A binary frame arrived; the protocol is JSON text only.
    BinaryUnsupported,
    /// A username breaks the rules in `names`.
    InvalidUsername,
    /// A room name breaks the rules in `names`.
    InvalidRoom,
    /// A `client_id` is empty, too long or holds control characters.
    InvalidClientId,
    /// This author already stored another message (other text or another name) under this
    /// `client_id` in this room; nothing was stored. Final: send it again with a fresh id.
    ClientIdReused,
    /// The message text is blank.
    EmptyMessage,
    /// The message text is longer than [`crate::MAX_MESSAGE_CHARS`].
    MessageTooLong,
    /// The message text holds a control character other than newline, carriage return or tab.
    InvalidMessage,
    /// A send or typing notice named no username and the connection has none yet.
    UsernameRequired,
    /// The connection is in as many rooms as the server allows.
    TooManyRooms,
    /// A query parameter of the HTTP API is malformed.
    BadQuery,
    /// The server could not store the message right now; nothing was stored, retry later.
    Unavailable,
    /// The connection sends faster than its rate limit; the frame was not handled.
    RateLimited,
    /// The username is held by another live connection in the room (with another token).
    UsernameTaken,
    /// The server or this address has as many connections as it allows (HTTP 503 / 429).
    TooManyConnections,
    /// The request's `Origin` is not allowed (HTTP 403).
    ForbiddenOrigin,
    /// The `epoch` a history request named is not the room's: its history was replaced, so
    /// `after` means nothing here (HTTP 409). Start again from `after=0` under the new epoch.
    HistoryReset,
    /// The send would create a room (its first message), and this address or connection has
    /// created as many rooms as the server allows for now (HTTP 429). Nothing was stored;
    /// posting to rooms that already exist is unaffected.
    TooManyNewRooms,
    /// The request needs a signed-in account (or the guest name it used belongs to none), or
    /// its credential (cookie, token, JWT) is unknown, expired or badly signed (HTTP 401).
    Unauthenticated,
    /// Sign-in failed: no such account, or the wrong password; the two are not told apart
    /// (HTTP 401).
    BadCredentials,
    /// The caller may not do this here: a private room it is not a member of, or a room it
    /// does not own (HTTP 403, or an error frame on a socket).
    Forbidden,
    /// A new password is too short or too long (see `MIN_PASSWORD_CHARS`).
    WeakPassword,
    /// A room of that name exists already, so it cannot be created (HTTP 409).
    RoomExists,
    /// No account has that name (HTTP 404).
    NoSuchUser,
    /// A signed-in connection named another user in a frame: it speaks only as its account.
    UsernameMismatch,
    /// The account has as many of something (access tokens) as the server allows.
    TooMany,
    /// The sender is muted in this room (or site-wide) and may read but not post until the
    /// mute ends or is lifted (HTTP 403). The detail says until when.
    Muted,
    /// The account (or, for a guest, the name or address) is banned from this room or from
    /// the whole site: it may not join, read or post until the ban is lifted (HTTP 403).
    Banned,
    /// A moderator took the connection out of the room. It may join again.
    Kicked,
    /// The room is in slow mode and the sender posted less than its interval ago (HTTP 429
    /// with `Retry-After`). The error frame's `retry_after_ms` says when the next post is
    /// allowed; the same message may be sent again then.
    SlowMode,
    /// No message has that id in that room, or the id is not a message (an edit or a
    /// deletion record) (HTTP 404).
    NoSuchMessage,
    /// The message is older than the edit window the server allows (HTTP 403).
    EditWindowClosed,
    /// The message was deleted: it can be neither edited nor deleted again (HTTP 409).
    MessageDeleted,
    /// Sign-in to an account a site admin disabled (HTTP 403); it stays refused until an
    /// admin enables it again.
    AccountDisabled,
}

impl ErrorCode {
    /// Every code, in documentation order.
    pub const ALL: [ErrorCode; 37] = [
        ErrorCode::BadJson,
        ErrorCode::BadMessage,
        ErrorCode::UnknownType,
        ErrorCode::BinaryUnsupported,
        ErrorCode::InvalidUsername,
        ErrorCode::InvalidRoom,
        ErrorCode::InvalidClientId,
        ErrorCode::ClientIdReused,
        ErrorCode::EmptyMessage,
        ErrorCode::MessageTooLong,
        ErrorCode::InvalidMessage,
        ErrorCode::UsernameRequired,
        ErrorCode::TooManyRooms,
        ErrorCode::BadQuery,
        ErrorCode::Unavailable,
        ErrorCode::RateLimited,
        ErrorCode::UsernameTaken,
        ErrorCode::TooManyConnections,
        ErrorCode::ForbiddenOrigin,
        ErrorCode::HistoryReset,
        ErrorCode::TooManyNewRooms,
        ErrorCode::Unauthenticated,
        ErrorCode::BadCredentials,
        ErrorCode::Forbidden,
        ErrorCode::WeakPassword,
        ErrorCode::RoomExists,
        ErrorCode::NoSuchUser,
        ErrorCode::UsernameMismatch,
        ErrorCode::TooMany,
        ErrorCode::Muted,
        ErrorCode::Banned,
        ErrorCode::Kicked,
        ErrorCode::SlowMode,
        ErrorCode::NoSuchMessage,
        ErrorCode::EditWindowClosed,
        ErrorCode::MessageDeleted,
        ErrorCode::AccountDisabled,
    ];

    /// Whether a send refused with this code was refused *for now*: the same message (same
    /// `client_id`) may simply be sent again later, and will be stored at most once. Every
    /// other refusal is final for that message as written.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            ErrorCode::Unavailable | ErrorCode::RateLimited | ErrorCode::SlowMode
        )
    }

    /// The wire string, e.g. `"bad_json"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadJson => "bad_json",
            ErrorCode::BadMessage => "bad_message",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::BinaryUnsupported => "binary_unsupported",
            ErrorCode::InvalidUsername => "invalid_username",
            ErrorCode::InvalidRoom => "invalid_room",
            ErrorCode::InvalidClientId => "invalid_client_id",
            ErrorCode::ClientIdReused => "client_id_reused",
            ErrorCode::EmptyMessage => "empty_message",
            ErrorCode::MessageTooLong => "message_too_long",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::UsernameRequired => "username_required",
            ErrorCode::TooManyRooms => "too_many_rooms",
            ErrorCode::BadQuery => "bad_query",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::UsernameTaken => "username_taken",
            ErrorCode::TooManyConnections => "too_many_connections",
            ErrorCode::ForbiddenOrigin => "forbidden_origin",
            ErrorCode::HistoryReset => "history_reset",
            ErrorCode::TooManyNewRooms => "too_many_new_rooms",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::BadCredentials => "bad_credentials",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::WeakPassword => "weak_password",
            ErrorCode::RoomExists => "room_exists",
            ErrorCode::NoSuchUser => "no_such_user",
            ErrorCode::UsernameMismatch => "username_mismatch",
            ErrorCode::TooMany => "too_many",
            ErrorCode::Muted => "muted",
            ErrorCode::Banned => "banned",
            ErrorCode::Kicked => "kicked",
            ErrorCode::SlowMode => "slow_mode",
            ErrorCode::NoSuchMessage => "no_such_message",
            ErrorCode::EditWindowClosed => "edit_window_closed",
            ErrorCode::MessageDeleted => "message_deleted",
            ErrorCode::AccountDisabled => "account_disabled",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Written out rather than derived: the derived visitor matched every code three ways (as
/// text, as bytes and by index), about 10 KB of the browser client's wasm; this one looks the
/// text up through [`ErrorCode::as_str`]. It accepts exactly the strings `Serialize` writes.
impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(CodeVisitor)
    }
}

struct CodeVisitor;

impl de::Visitor<'_> for CodeVisitor {
    type Value = ErrorCode;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an error code such as \"bad_json\"")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<ErrorCode, E> {
        ErrorCode::ALL
            .into_iter()
            .find(|code| code.as_str() == value)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(value), &self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_store_outage_the_rate_limit_and_slow_mode_refuse_for_now() {
        let transient: Vec<ErrorCode> = ErrorCode::ALL
            .into_iter()
            .filter(|code| code.is_transient())
            .collect();
        assert_eq!(
            transient,
            [
                ErrorCode::Unavailable,
                ErrorCode::RateLimited,
                ErrorCode::SlowMode
            ]
        );
    }

    #[test]
    fn serde_and_as_str_agree_for_every_code() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, code);
        }
    }

    #[test]
    fn an_unknown_code_or_a_non_string_is_refused() {
        for json in [
            "\"no_such_code\"",
            "\"BadJson\"",
            "0",
            "null",
            "{\"bad_json\":null}",
        ] {
            assert!(serde_json::from_str::<ErrorCode>(json).is_err(), "{json}");
        }
    }
}
