//! The moderation and read-state routes of the HTTP API (issue 15): a room's settings,
//! editing and deleting messages, sanctions, moderators, the audit log and read markers.
//!
//! Like [`super::api`], every request carries the session cookie and a refusal comes back
//! as [`ApiFailure`]; [`Purpose::Moderation`](super::failure::Purpose::Moderation) words
//! it. The server decides who may do what; the browser only offers what the caller's
//! [`Role`](chinwag_shared::moderation::Role) allows, so a refusal here is a race (a role
//! taken away meanwhile), never the normal way to learn the rules.

use super::{
    api::{fetch, read},
    failure::ApiFailure,
};
use chinwag_shared::{
    ChatRecord, RoomName, Username,
    moderation::{EditBody, ReadBody, RoomSettings, SanctionBody, SanctionKind},
};
// The room settings panel's routes, in the panels' bundle (`crate::panels`).
#[cfg(any(feature = "panels", feature = "console", test))]
use chinwag_shared::moderation::{AuditEntry, RoomSettingsPatch, SanctionView};
use gloo::net::http::Request;

/// Audit lines per page the settings panel asks for.
#[cfg(any(feature = "panels", feature = "console", test))]
pub const AUDIT_PAGE: usize = 30;

/// `/api/rooms/{room}` with the name escaped, and `rest` after it.
fn room_url(room: &RoomName, rest: &str) -> String {
    format!(
        "/api/rooms/{}{rest}",
        js_sys::encode_uri_component(room.as_str())
    )
}

/// `/api/rooms/{room}/{what}/{name}` with both names escaped.
fn person_url(room: &RoomName, what: &str, who: &Username) -> String {
    room_url(
        room,
        &format!("/{what}/{}", js_sys::encode_uri_component(who.as_str())),
    )
}

/// `room`'s settings and the caller's role, read marker and mute.
pub async fn settings(room: &RoomName) -> Result<RoomSettings, ApiFailure> {
    read(fetch(Request::get(&room_url(room, "/settings")), None::<&()>).await?).await
}

/// Replaces the text of this account's message `id`; the edit's change record.
pub async fn edit_message(
    room: &RoomName,
    id: u64,
    message: String,
) -> Result<ChatRecord, ApiFailure> {
    let url = room_url(room, &format!("/messages/{id}"));
    read(fetch(Request::patch(&url), Some(&EditBody { message })).await?).await
}

/// Deletes message `id` (its author, or a moderator); the deletion's change record.
pub async fn delete_message(room: &RoomName, id: u64) -> Result<ChatRecord, ApiFailure> {
    let url = room_url(room, &format!("/messages/{id}"));
    read(fetch(Request::delete(&url), None::<&()>).await?).await
}

/// Sets slow mode (0 turns it off); the new settings.
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn set_slow_mode(room: &RoomName, secs: u32) -> Result<RoomSettings, ApiFailure> {
    let patch = RoomSettingsPatch {
        slow_mode_secs: Some(secs),
    };
    read(fetch(Request::patch(&room_url(room, "")), Some(&patch)).await?).await
}

/// Makes `who` a moderator (`add`) or no longer one; the new settings.
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn set_moderator(
    room: &RoomName,
    who: &Username,
    add: bool,
) -> Result<RoomSettings, ApiFailure> {
    let url = person_url(room, "moderators", who);
    let request = if add {
        Request::put(&url)
    } else {
        Request::delete(&url)
    };
    read(fetch(request, None::<&()>).await?).await
}

/// The path segment of a sanction kind's routes.
fn sanctions_path(kind: SanctionKind) -> &'static str {
    match kind {
        SanctionKind::Mute => "mutes",
        SanctionKind::Ban => "bans",
    }
}

/// Mutes or bans `who` in `room`, for `body.seconds` or until lifted.
pub async fn impose(
    room: &RoomName,
    kind: SanctionKind,
    who: &Username,
    body: &SanctionBody,
) -> Result<(), ApiFailure> {
    let url = person_url(room, sanctions_path(kind), who);
    fetch(Request::put(&url), Some(body)).await.map(drop)
}

/// Lifts `who`'s mute or ban in `room`.
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn lift(room: &RoomName, kind: SanctionKind, who: &Username) -> Result<(), ApiFailure> {
    let url = person_url(room, sanctions_path(kind), who);
    fetch(Request::delete(&url), None::<&()>).await.map(drop)
}

/// Takes `who` out of `room` now.
pub async fn kick(room: &RoomName, who: &Username, body: &SanctionBody) -> Result<(), ApiFailure> {
    let url = person_url(room, "kicks", who);
    fetch(Request::post(&url), Some(body)).await.map(drop)
}

/// The mutes and bans in force in `room` (site-wide ones too).
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn sanctions(room: &RoomName) -> Result<Vec<SanctionView>, ApiFailure> {
    read(fetch(Request::get(&room_url(room, "/sanctions")), None::<&()>).await?).await
}

/// A page of `room`'s audit log, newest first, before line `before` if given.
#[cfg(any(feature = "panels", feature = "console", test))]
pub async fn audit(room: &RoomName, before: Option<u64>) -> Result<Vec<AuditEntry>, ApiFailure> {
    let before = before.map(|id| format!("&before={id}")).unwrap_or_default();
    let url = room_url(room, &format!("/audit?limit={AUDIT_PAGE}{before}"));
    read(fetch(Request::get(&url), None::<&()>).await?).await
}

/// Moves this account's read marker in `room` to `id`; the marker now (never lower).
pub async fn mark_read(room: &RoomName, id: u64) -> Result<u64, ApiFailure> {
    let body: ReadBody = read(
        fetch(
            Request::put(&room_url(room, "/read")),
            Some(&ReadBody { id }),
        )
        .await?,
    )
    .await?;
    Ok(body.id)
}
