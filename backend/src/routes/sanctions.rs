//! The sanction routes: thin doors onto `hub::moderation`, which judges them. Each acts as the
//! signed-in caller (401 `unauthenticated` for a guest, 403 `forbidden` for someone not
//! allowed); a body may be left out, but one that is there must parse.
//!
//! - `PUT` / `DELETE /api/rooms/{room}/mutes/{username}` and `…/bans/{username}`
//!   (`{"seconds","reason"}`, both optional): 200 with the sanction / 204.
//! - `POST /api/rooms/{room}/kicks/{username}` (`{"reason"}`): 204.
//! - `PUT` / `DELETE /api/site/mutes/{username}` and `/api/site/bans/{username}` (admins).
//! - `GET /api/rooms/{room}/sanctions` (moderators).

use super::{
    AppState,
    error::ApiFailure,
    moderation::{as_caller, optional_body, room_of, user_of},
};
use actix_web::{HttpRequest, HttpResponse, web};
use chinwag_shared::{
    RoomName,
    moderation::{SanctionBody, SanctionKind},
};
use serde::Deserialize;

use super::describe::{params::*, responses::*, tag};
use chinwag_shared::moderation::SanctionView;

/// Where a sanction route acts: a room, or the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Where {
    Room,
    Site,
}

/// Mutes someone in the room (they may read, not post): moderators.
#[utoipa::path(
    put,
    path = "/api/rooms/{room}/mutes/{username}",
    tag = tag::MODERATION,
    params(RoomUserPath),
    request_body(
        content = Option<SanctionBody>,
        description = "May be left out: then until lifted, with no reason."
    ),
    responses(
        (status = 200, description = "The sanction in force.", body = SanctionView),
        BadRequest, Unauthenticated, Forbidden, TooManySanctions, Unavailable,
    )
)]
pub async fn mute(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let (room, username) = path.into_inner();
    impose(
        request,
        &room,
        &username,
        body,
        state,
        SanctionKind::Mute,
        Where::Room,
    )
    .await
}

/// Bans someone from the room; their connections leave it: moderators.
#[utoipa::path(
    put,
    path = "/api/rooms/{room}/bans/{username}",
    tag = tag::MODERATION,
    params(RoomUserPath),
    request_body(
        content = Option<SanctionBody>,
        description = "May be left out: then until lifted, with no reason."
    ),
    responses(
        (status = 200, description = "The sanction in force.", body = SanctionView),
        BadRequest, Unauthenticated, Forbidden, TooManySanctions, Unavailable,
    )
)]
pub async fn ban(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let (room, username) = path.into_inner();
    impose(
        request,
        &room,
        &username,
        body,
        state,
        SanctionKind::Ban,
        Where::Room,
    )
    .await
}

/// Mutes someone on the whole site: site admins.
#[utoipa::path(
    put,
    path = "/api/site/mutes/{username}",
    tag = tag::MODERATION,
    params(UserPath),
    request_body(
        content = Option<SanctionBody>,
        description = "May be left out: then until lifted, with no reason."
    ),
    responses(
        (status = 200, description = "The sanction in force.", body = SanctionView),
        BadRequest, Unauthenticated, Forbidden, TooManySanctions, Unavailable,
    )
)]
pub async fn site_mute(
    request: HttpRequest,
    username: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = RoomName::default_room();
    impose(
        request,
        room.as_str(),
        &username,
        body,
        state,
        SanctionKind::Mute,
        Where::Site,
    )
    .await
}

/// Bans someone from the whole site: site admins.
#[utoipa::path(
    put,
    path = "/api/site/bans/{username}",
    tag = tag::MODERATION,
    params(UserPath),
    request_body(
        content = Option<SanctionBody>,
        description = "May be left out: then until lifted, with no reason."
    ),
    responses(
        (status = 200, description = "The sanction in force.", body = SanctionView),
        BadRequest, Unauthenticated, Forbidden, TooManySanctions, Unavailable,
    )
)]
pub async fn site_ban(
    request: HttpRequest,
    username: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = RoomName::default_room();
    impose(
        request,
        room.as_str(),
        &username,
        body,
        state,
        SanctionKind::Ban,
        Where::Site,
    )
    .await
}

/// Imposes a sanction. Site-wide acts are judged (and logged) in the default room, which
/// every admin may enter.
async fn impose(
    request: HttpRequest,
    room: &str,
    username: &str,
    body: web::Bytes,
    state: web::Data<AppState>,
    kind: SanctionKind,
    place: Where,
) -> Result<HttpResponse, ApiFailure> {
    let (room, username) = (room_of(room)?, user_of(username)?);
    let body: SanctionBody = optional_body(&body)?;
    as_caller(&request, &state, async |actor| {
        let view = state
            .hub
            .impose(&actor, &room, place == Where::Site, &username, kind, &body)
            .await?;
        Ok(HttpResponse::Ok().json(view))
    })
    .await
}

/// Lifts a mute in the room: moderators.
#[utoipa::path(
    delete,
    path = "/api/rooms/{room}/mutes/{username}",
    tag = tag::MODERATION,
    params(RoomUserPath),
    responses(
        (status = 204, description = "Lifted, or there was none."),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn unmute(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let (room, username) = path.into_inner();
    lift(
        request,
        &room,
        &username,
        state,
        SanctionKind::Mute,
        Where::Room,
    )
    .await
}

/// Lifts a ban in the room: moderators.
#[utoipa::path(
    delete,
    path = "/api/rooms/{room}/bans/{username}",
    tag = tag::MODERATION,
    params(RoomUserPath),
    responses(
        (status = 204, description = "Lifted, or there was none."),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn unban(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let (room, username) = path.into_inner();
    lift(
        request,
        &room,
        &username,
        state,
        SanctionKind::Ban,
        Where::Room,
    )
    .await
}

/// Lifts a site-wide mute: site admins.
#[utoipa::path(
    delete,
    path = "/api/site/mutes/{username}",
    tag = tag::MODERATION,
    params(UserPath),
    responses(
        (status = 204, description = "Lifted, or there was none."),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn site_unmute(
    request: HttpRequest,
    username: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = RoomName::default_room();
    lift(
        request,
        room.as_str(),
        &username,
        state,
        SanctionKind::Mute,
        Where::Site,
    )
    .await
}

/// Lifts a site-wide ban: site admins.
#[utoipa::path(
    delete,
    path = "/api/site/bans/{username}",
    tag = tag::MODERATION,
    params(UserPath),
    responses(
        (status = 204, description = "Lifted, or there was none."),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn site_unban(
    request: HttpRequest,
    username: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = RoomName::default_room();
    lift(
        request,
        room.as_str(),
        &username,
        state,
        SanctionKind::Ban,
        Where::Site,
    )
    .await
}

/// Lifts a sanction; 204 whether or not there was one (the end state is the same).
async fn lift(
    request: HttpRequest,
    room: &str,
    username: &str,
    state: web::Data<AppState>,
    kind: SanctionKind,
    place: Where,
) -> Result<HttpResponse, ApiFailure> {
    let (room, username) = (room_of(room)?, user_of(username)?);
    as_caller(&request, &state, async |actor| {
        state
            .hub
            .lift(&actor, &room, place == Where::Site, &username, kind)
            .await?;
        Ok(HttpResponse::NoContent().finish())
    })
    .await
}

/// Body of a kick: an optional reason.
#[derive(utoipa::ToSchema, Debug, Default, Deserialize)]
pub struct KickBody {
    /// Why, for the audit log.
    reason: Option<String>,
}

/// Takes someone's connections out of the room (they may come back): moderators.
#[utoipa::path(
    post,
    path = "/api/rooms/{room}/kicks/{username}",
    tag = tag::MODERATION,
    params(RoomUserPath),
    request_body(content = Option<KickBody>, description = "May be left out."),
    responses(
        (status = 204, description = "Kicked."),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn kick(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let (room, username) = path.into_inner();
    let (room, username) = (room_of(&room)?, user_of(&username)?);
    let body: KickBody = optional_body(&body)?;
    as_caller(&request, &state, async |actor| {
        state
            .hub
            .kick(&actor, &room, &username, body.reason.as_deref())
            .await?;
        Ok(HttpResponse::NoContent().finish())
    })
    .await
}

/// The mutes and bans in force in the room: moderators.
#[utoipa::path(
    get,
    path = "/api/rooms/{room}/sanctions",
    tag = tag::MODERATION,
    params(RoomPath),
    responses(
        (status = 200, description = "The sanctions.", body = Vec<SanctionView>),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn sanctions(
    request: HttpRequest,
    room: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = room_of(&room)?;
    as_caller(&request, &state, async |actor| {
        Ok(HttpResponse::Ok().json(state.hub.sanctions_in(&actor, &room).await?))
    })
    .await
}
