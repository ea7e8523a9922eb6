//! What the browser remembers between visits, in localStorage.
//!
//! Storage can be missing or full (private windows, quotas), so reads fall back to defaults
//! and writes report failure without ever panicking: the app works, it just forgets.

use chinwag_shared::{ClientToken, RoomName, Username};
use gloo::storage::{LocalStorage, Storage};

const USERNAME_KEY: &str = "chinwag.username";
const ROOMS_KEY: &str = "chinwag.rooms";
const CURRENT_ROOM_KEY: &str = "chinwag.room";
const TOKEN_KEY: &str = "chinwag.token";

/// The username chosen on an earlier visit, if it is still valid.
pub fn load_username() -> Option<Username> {
    let raw: String = LocalStorage::get(USERNAME_KEY).ok()?;
    Username::parse(&raw).ok()
}

/// Remembers the username; `false` if the browser refused.
pub fn save_username(username: &Username) -> bool {
    LocalStorage::set(USERNAME_KEY, username.as_str()).is_ok()
}

/// Forgets the username, so the next visit asks again.
pub fn forget_username() {
    LocalStorage::delete(USERNAME_KEY);
}

/// The rooms joined on earlier visits (invalid entries dropped).
pub fn load_rooms() -> Vec<RoomName> {
    let raw: Vec<String> = LocalStorage::get(ROOMS_KEY).unwrap_or_default();
    raw.iter()
        .filter_map(|name| RoomName::parse(name).ok())
        .collect()
}

/// Remembers the joined rooms and the current one.
pub fn save_rooms(rooms: &[RoomName], current: &RoomName) -> bool {
    let names: Vec<&str> = rooms.iter().map(RoomName::as_str).collect();
    LocalStorage::set(ROOMS_KEY, names).is_ok()
        && LocalStorage::set(CURRENT_ROOM_KEY, current.as_str()).is_ok()
}

/// The room open at the end of the last visit.
pub fn load_current_room() -> Option<RoomName> {
    let raw: String = LocalStorage::get(CURRENT_ROOM_KEY).ok()?;
    RoomName::parse(&raw).ok()
}

/// This browser's client token: made once, then remembered. The server lets connections with
/// the same token share a username (two tabs, or a reconnect that overlaps the old socket).
pub fn client_token() -> Option<ClientToken> {
    if let Some(token) = LocalStorage::get::<String>(TOKEN_KEY)
        .ok()
        .and_then(|raw| ClientToken::parse(&raw).ok())
    {
        return Some(token);
    }
    let random = |_| {
        format!(
            "{:08x}",
            (js_sys::Math::random() * f64::from(u32::MAX)) as u32
        )
    };
    let fresh: String = (0..4).map(random).collect();
    let token = ClientToken::parse(&fresh).ok()?;
    // Unsaved (private mode) it still serves this page's lifetime.
    let _ = LocalStorage::set(TOKEN_KEY, token.as_str());
    Some(token)
}
