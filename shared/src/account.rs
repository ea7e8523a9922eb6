//! Identity and access on the wire: the bodies of the account, token and room-access routes.
//!
//! A browser signs up (`POST /api/accounts`) or signs in (`POST /api/session`) with
//! [`Credentials`] and gets the [`SESSION_COOKIE`]; every later request and the WebSocket
//! upgrade carry it. Programs create personal access tokens (`POST /api/tokens`) and send them
//! as `Authorization: Bearer …`. `GET /api/me` says who a request is ([`Me`]), and
//! `GET /api/auth` what the server allows ([`AuthPolicy`]). Private rooms and direct messages
//! are described by [`RoomInfo`] and their members by [`Member`]. `docs/protocol.md` has the
//! routes, their status codes and error codes.

use crate::{RoomName, Username};
use serde::{Deserialize, Serialize};

/// The name of the cookie that holds a browser's session token.
pub const SESSION_COOKIE: &str = "chinwag_session";

/// The query parameter that carries a token where no header can be set (a browser's
/// WebSocket): a JWT, a personal access token, or a session token.
pub const ACCESS_TOKEN_PARAM: &str = "access_token";

/// Fewest characters a password may have (OWASP's minimum for a password without a second
/// factor).
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Most bytes of a password; longer ones are refused before any hashing, so a megabyte
/// "password" costs nothing.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Longest name of a personal access token, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 64;

/// The WebSocket close code sent when the credential a connection was opened with runs out
/// (a JWT reaches `exp`, or its session is signed out): reconnect with a fresh one, resuming
/// with `after`, and nothing is lost.
pub const CLOSE_CREDENTIAL_EXPIRED: u16 = 4001;

/// Body of sign-up and sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credentials {
    /// The account's name.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::Username))]
    pub username: String,
    /// Its password, sent only over these two routes and the password change.
    pub password: String,
}

/// Body of `PUT /api/password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    /// The password now.
    pub current: String,
    /// The password from now on.
    pub new: String,
}

/// How a request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// A browser session (the cookie, or its token as a bearer).
    Session,
    /// A personal access token.
    Token,
    /// A JWT minted by the application Chinwag is embedded in.
    Jwt,
}

/// Who a request is: the answer of `GET /api/me`, sign-up and sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// The account's name, as it is shown.
    pub username: Username,
    /// How the request proved it.
    pub method: AuthMethod,
    /// Whether it is a site admin (left out when not): the client shows the console link.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(Me, Serialize);

/// What the server allows: the answer of `GET /api/auth`, for a client deciding which screens
/// to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthPolicy {
    /// Whether people may chat without an account (`--guests on`, the default).
    pub guests: bool,
    /// Whether built-in accounts may sign up.
    pub sign_up: bool,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(AuthPolicy, Serialize);

/// Body of `POST /api/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewToken {
    /// What the token is for ("my bot"), 1–[`MAX_TOKEN_NAME_CHARS`] characters.
    pub name: String,
}

/// A personal access token, as listed by `GET /api/tokens`: never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    /// Its id, for `DELETE /api/tokens/{id}`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When it was created, in Unix milliseconds.
    pub created: u64,
}

/// The answer of `POST /api/tokens`: the only time the secret is ever shown.
///
/// Written with `info`'s fields flattened in, read through `CreatedTokenFields`: serde's
/// derived reader of a flattened field buffers the object first, which in the browser
/// compiles a second copy of the reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(from = "CreatedTokenFields")]
pub struct CreatedToken {
    /// The secret, to send as `Authorization: Bearer …`.
    pub token: String,
    /// The token as it will be listed.
    #[serde(flatten)]
    pub info: TokenInfo,
}

/// [`CreatedToken`]'s fields as they are written, flat.
#[derive(Deserialize)]
struct CreatedTokenFields {
    token: String,
    id: String,
    name: String,
    created: u64,
}

impl From<CreatedTokenFields> for CreatedToken {
    fn from(
        CreatedTokenFields {
            token,
            id,
            name,
            created,
        }: CreatedTokenFields,
    ) -> Self {
        CreatedToken {
            token,
            info: TokenInfo { id, name, created },
        }
    }
}

/// Body of `POST /api/rooms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRoom {
    /// The room's name (the rules of [`RoomName`]).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::RoomName))]
    pub name: String,
    /// Whether only its members may read and post.
    #[serde(default)]
    pub private: bool,
    /// Only from an API key (scope `rooms`): the account to own the room, who is also its
    /// first member. A room a key creates without one has no owner: its members are set by
    /// keys alone. A person creating a room owns it, and may not name another owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// Body of `POST /api/dms`: whom to write to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewDm {
    /// The other account's name.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::Username))]
    pub username: String,
}

/// A room as its members see it: the answer of `POST /api/rooms` and `POST /api/dms`, and an
/// entry of `GET /api/me/rooms` (the private rooms and direct messages the caller is in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", serde(remote = "Self"))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomInfo {
    /// The room.
    pub room: RoomName,
    /// Whether it is closed to non-members.
    pub private: bool,
    /// Who owns it (adds and removes members); none for a public room or a direct message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Username>,
    /// For a direct message: the other person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dm_with: Option<Username>,
    /// The id of its newest message (0 if none).
    #[serde(default)]
    pub last_id: u64,
    /// Messages after the caller's read marker, not its own, not deleted (up to
    /// [`crate::UNREAD_COUNT_CAP`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread: Option<u64>,
    /// How many of `unread` mention the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mentions: Option<u64>,
}
#[cfg(target_arch = "wasm32")]
crate::object_only::object_only!(RoomInfo, Serialize);

/// A member of a private room, as `GET /api/rooms/{room}/members` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    /// The member's name.
    pub username: Username,
    /// Whether they own the room.
    pub owner: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_created_token_shows_its_secret_beside_its_listing() {
        let created = CreatedToken {
            token: "cwt_secret".into(),
            info: TokenInfo {
                id: "t1".into(),
                name: "bot".into(),
                created: 5,
            },
        };
        assert_eq!(
            serde_json::to_value(&created).unwrap(),
            json!({"token":"cwt_secret","id":"t1","name":"bot","created":5})
        );
        let text = serde_json::to_string(&created).unwrap();
        assert_eq!(
            text,
            r#"{"token":"cwt_secret","id":"t1","name":"bot","created":5}"#
        );
        assert_eq!(
            serde_json::from_str::<CreatedToken>(&text).unwrap(),
            created
        );
        let reordered = r#"{"created":5,"name":"bot","later":1,"id":"t1","token":"cwt_secret"}"#;
        assert_eq!(
            serde_json::from_str::<CreatedToken>(reordered).unwrap(),
            created
        );
        let error = serde_json::from_str::<CreatedToken>(r#"{"token":"cwt_secret","id":"t1"}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("missing field `name`"), "{error}");
    }

    #[test]
    fn a_new_room_is_public_unless_it_says_otherwise() {
        let room: NewRoom = serde_json::from_str(r#"{"name":"x"}"#).unwrap();
        assert!(!room.private);
    }

    #[test]
    fn me_names_its_method_in_snake_case() {
        let mut me = Me {
            username: Username::parse("ada").unwrap(),
            method: AuthMethod::Jwt,
            admin: false,
        };
        assert_eq!(
            serde_json::to_value(&me).unwrap(),
            json!({"username":"ada","method":"jwt"})
        );
        me.admin = true;
        assert_eq!(
            serde_json::to_value(&me).unwrap(),
            json!({"username":"ada","method":"jwt","admin":true})
        );
    }
}
