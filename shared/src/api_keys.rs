//! Server API keys: how a backend (not a person) calls Chinwag's HTTP API.
//!
//! A site admin creates a key with `POST /api/keys` ([`NewApiKey`]); the answer
//! ([`CreatedApiKey`]) is the only time its secret is shown: the server keeps a digest. A key
//! is sent as `Authorization: Bearer KEY` and may do only what its [`ApiScope`]s allow. It is
//! listed ([`ApiKeyView`], never with its secret) and revoked by id.

use serde::{Deserialize, Serialize};

/// The name a backend's message is shown under when it names no bot: the system's. Such a
/// record has `bot` set and this `username` ([`crate::ChatRecord::is_system`]); no bot may
/// take the name, and an audit entry made by a key names this as its actor.
pub const SYSTEM_NAME: &str = "system";

/// What a key may do. Each scope opens a set of calls; a call outside them is a 403
/// `forbidden` naming the scope it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApiScope {
    /// Post to any room as a named bot (or as the system), with `client_id` idempotency.
    Publish,
    /// Read history and presence of any room.
    Read,
    /// Edit and delete messages; mute, kick and ban; disconnect a user's sessions.
    Moderate,
    /// Create rooms and set their members.
    Rooms,
}

impl ApiScope {
    /// Every scope, in a stable order.
    pub const ALL: [ApiScope; 4] = [
        ApiScope::Publish,
        ApiScope::Read,
        ApiScope::Moderate,
        ApiScope::Rooms,
    ];

    /// The wire (and stored) name: `publish`, `read`, `moderate`, `rooms`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::Publish => "publish",
            ApiScope::Read => "read",
            ApiScope::Moderate => "moderate",
            ApiScope::Rooms => "rooms",
        }
    }

    /// Reads a wire or stored name.
    pub fn parse(raw: &str) -> Option<Self> {
        ApiScope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == raw)
    }
}

/// `POST /api/keys`: a new key's name and scopes (at least one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewApiKey {
    /// What it is for ("billing backend"); 1 to [`crate::account::MAX_TOKEN_NAME_CHARS`]
    /// characters.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<ApiScope>,
}

/// The answer to `POST /api/keys` (201): the secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    /// The secret to send as `Authorization: Bearer …`.
    pub key: String,
    /// The key as it is listed from now on.
    #[serde(flatten)]
    pub view: ApiKeyView,
}

/// A key as `GET /api/keys` lists it: everything but its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    /// Its id, for `DELETE /api/keys/{id}`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<ApiScope>,
    /// Which admin made it.
    pub created_by: crate::names::Username,
    /// When, Unix ms.
    pub created: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_back_their_wire_names() {
        for scope in ApiScope::ALL {
            assert_eq!(ApiScope::parse(scope.as_str()), Some(scope));
            let json = serde_json::to_string(&scope).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", scope.as_str()));
        }
        assert_eq!(ApiScope::parse("admin"), None);
    }
}
