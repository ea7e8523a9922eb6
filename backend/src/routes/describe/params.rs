//! The path parameters routes share, as `utoipa::IntoParams` sets, so a route's `params(...)`
//! names one (`RoomPath`) instead of repeating each parameter's type and text. Handlers read
//! the same segments as plain strings and validate them; these say what passes.

use chinwag_shared::{RoomName, Username};
use utoipa::IntoParams;

/// `{room}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RoomPath {
    /// The room.
    pub room: RoomName,
}

/// `{room}` and `{username}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RoomUserPath {
    /// The room.
    pub room: RoomName,
    /// The account (or, for mutes, bans and kicks, the guest name) acted on.
    pub username: Username,
}

/// `{room}` and a message's `{id}`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RoomMessagePath {
    /// The room.
    pub room: RoomName,
    /// The message's id in the room.
    pub id: u64,
}

/// `{username}`, for site-wide acts.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// The account (or guest name) acted on.
    pub username: Username,
}

/// `{id}` of an access token.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TokenPath {
    /// The token's id, as `GET /api/tokens` lists it.
    pub id: String,
}

/// `{id}` of an API key.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct KeyPath {
    /// The key's id, as `GET /api/keys` lists it.
    pub id: String,
}

/// `{name}` of an account, in the console's routes.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AccountPath {
    /// The account's name.
    pub name: Username,
}
