//! The moderation and read-state routes: thin doors onto `hub::moderation` and
//! `hub::read_state`, where every rule is judged. Each acts as the signed-in caller and
//! answers 401 `unauthenticated` to a guest and 403 `forbidden` to someone not allowed.
//!
//! - `DELETE` / `PATCH /api/rooms/{room}/messages/{id}`: delete, or edit (`{"message"}`);
//!   200 with the change record stored.
//! - `GET /api/rooms/{room}/settings`; `PATCH /api/rooms/{room}` (`{"slow_mode_secs"}`);
//!   `PUT /api/rooms/{room}/owner` (`{"username"}`, admins);
//!   `PUT` / `DELETE /api/rooms/{room}/moderators/{username}`: 200 with the settings.
//! - mutes, bans, kicks and the sanctions list: [`super::sanctions`].
//! - `GET /api/rooms/{room}/audit?before=&limit=`.
//! - `PUT /api/rooms/{room}/read` (`{"id"}`): 200 `{"id": marker}`.

use super::{
    AppState,
    account::{principal, visitor},
    error::ApiFailure,
};
use crate::hub::rules::Visitor;
use actix_web::{HttpRequest, HttpResponse, web};
use chinwag_shared::{
    ErrorCode, MAX_FRAME_BYTES, MessageText, RoomName, Username,
    moderation::{EditBody, OwnerBody, ReadBody, RoomSettingsPatch},
};
use serde::{Deserialize, Serialize};

use super::describe::{params::*, responses::*, tag};
use chinwag_shared::{
    ChatRecord,
    moderation::{AuditEntry, RoomSettings},
};

/// A JSON body that may be left out: none (or only whitespace) is the default; anything
/// else must be the route's shape and at most [`MAX_FRAME_BYTES`], or 400 `bad_message`.
pub(super) fn optional_body<T: serde::de::DeserializeOwned + Default>(
    raw: &[u8],
) -> Result<T, ApiFailure> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if raw.len() > MAX_FRAME_BYTES {
        return Err(ApiFailure::bad_request(
            ErrorCode::BadMessage,
            format!("the body is over {MAX_FRAME_BYTES} bytes"),
        ));
    }
    serde_json::from_slice(raw)
        .map_err(|err| ApiFailure::bad_request(ErrorCode::BadMessage, err.to_string()))
}

/// The room named in the path, or 400.
pub(super) fn room_of(raw: &str) -> Result<RoomName, ApiFailure> {
    Ok(RoomName::parse(raw)?)
}

/// The user named in the path, or 400.
pub(super) fn user_of(raw: &str) -> Result<Username, ApiFailure> {
    Ok(Username::parse(raw)?)
}

/// Runs `act` as the caller of `request`.
pub(super) async fn as_caller<T, F>(
    request: &HttpRequest,
    state: &AppState,
    act: F,
) -> Result<T, ApiFailure>
where
    F: AsyncFnOnce(Visitor<'_>) -> Result<T, ApiFailure>,
{
    let principal = principal(request, state).await?;
    act(visitor(request, state, &principal, None)).await
}

/// Deletes a message: its author, or a moderator.
#[utoipa::path(
    delete,
    path = "/api/rooms/{room}/messages/{id}",
    tag = tag::MODERATION,
    params(RoomMessagePath),
    responses(
        (status = 200, description = "The deletion record stored (also broadcast).",
         body = ChatRecord),
        (status = 404, description = "`no_such_message`.", body = ApiError),
        (status = 409, description = "`message_deleted`.", body = ApiError),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn delete_message(
    request: HttpRequest,
    path: web::Path<(String, u64)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let (room, id) = path.into_inner();
    let room = room_of(&room)?;
    as_caller(&request, &state, async |actor| {
        let record = state.hub.delete(&actor, &room, id).await?;
        Ok(HttpResponse::Ok().json(record))
    })
    .await
}

/// Edits a message: its author, within the edit window.
#[utoipa::path(
    patch,
    path = "/api/rooms/{room}/messages/{id}",
    tag = tag::MODERATION,
    params(RoomMessagePath),
    request_body = EditBody,
    responses(
        (status = 200, description = "The edit record stored (also broadcast).", body = ChatRecord),
        (status = 404, description = "`no_such_message`.", body = ApiError),
        (status = 409, description = "`message_deleted`.", body = ApiError),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn edit_message(
    request: HttpRequest,
    path: web::Path<(String, u64)>,
    body: web::Json<EditBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let (room, id) = path.into_inner();
    let room = room_of(&room)?;
    let text = MessageText::parse(&body.message)?;
    as_caller(&request, &state, async |actor| {
        let record = state.hub.edit(&actor, &room, id, text).await?;
        Ok(HttpResponse::Ok().json(record))
    })
    .await
}

/// A room's settings and the caller's place in it.
#[utoipa::path(
    get,
    path = "/api/rooms/{room}/settings",
    tag = tag::MODERATION,
    params(RoomPath),
    security((), ("session" = []), ("bearer" = []), ("access_token" = [])),
    responses(
        (status = 200, description = "The room's settings now.", body = RoomSettings),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn settings(
    request: HttpRequest,
    room: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = room_of(&room)?;
    as_caller(&request, &state, async |actor| {
        Ok(HttpResponse::Ok().json(state.hub.settings(&actor, &room).await?))
    })
    .await
}

/// Changes a room's settings (slow mode): moderators.
#[utoipa::path(
    patch,
    path = "/api/rooms/{room}",
    tag = tag::MODERATION,
    params(RoomPath),
    request_body = RoomSettingsPatch,
    responses(
        (status = 200, description = "The room's settings now.", body = RoomSettings),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn patch_room(
    request: HttpRequest,
    room: web::Path<String>,
    body: web::Json<RoomSettingsPatch>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = room_of(&room)?;
    as_caller(&request, &state, async |actor| {
        let settings = match body.slow_mode_secs {
            Some(secs) => state.hub.set_slow_mode(&actor, &room, secs).await?,
            None => state.hub.settings(&actor, &room).await?,
        };
        Ok(HttpResponse::Ok().json(settings))
    })
    .await
}

/// Sets a public room's owner: site admins.
#[utoipa::path(
    put,
    path = "/api/rooms/{room}/owner",
    tag = tag::MODERATION,
    params(RoomPath),
    request_body = OwnerBody,
    responses(
        (status = 200, description = "The room's settings now.", body = RoomSettings),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn set_owner(
    request: HttpRequest,
    room: web::Path<String>,
    body: web::Json<OwnerBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = room_of(&room)?;
    as_caller(&request, &state, async |actor| {
        let settings = state.hub.set_owner(&actor, &room, &body.username).await?;
        Ok(HttpResponse::Ok().json(settings))
    })
    .await
}

/// Makes an account a moderator of the room: its owner.
#[utoipa::path(
    put,
    path = "/api/rooms/{room}/moderators/{username}",
    tag = tag::MODERATION,
    params(RoomUserPath),
    responses(
        (status = 200, description = "The room's settings now.", body = RoomSettings),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn add_moderator(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    set_moderator(request, path, state, true).await
}

/// Removes a moderator of the room: its owner.
#[utoipa::path(
    delete,
    path = "/api/rooms/{room}/moderators/{username}",
    tag = tag::MODERATION,
    params(RoomUserPath),
    responses(
        (status = 200, description = "The room's settings now.", body = RoomSettings),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn remove_moderator(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    set_moderator(request, path, state, false).await
}

async fn set_moderator(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
    moderator: bool,
) -> Result<HttpResponse, ApiFailure> {
    let (room, username) = path.into_inner();
    let (room, username) = (room_of(&room)?, user_of(&username)?);
    as_caller(&request, &state, async |actor| {
        let settings = state
            .hub
            .set_moderator(&actor, &room, &username, moderator)
            .await?;
        Ok(HttpResponse::Ok().json(settings))
    })
    .await
}

/// Query of an audit log (a room's, or the site's).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// Entries with ids below this one (the next page back).
    pub(super) before: Option<u64>,
    /// Entries per page: 100 without it, at most 500.
    #[param(minimum = 1)]
    pub(super) limit: Option<usize>,
}

/// The room's audit log, newest first: moderators.
#[utoipa::path(
    get,
    path = "/api/rooms/{room}/audit",
    tag = tag::MODERATION,
    params(RoomPath, AuditQuery),
    responses(
        (status = 200, description = "A page of entries.", body = Vec<AuditEntry>),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn audit(
    request: HttpRequest,
    room: web::Path<String>,
    query: web::Query<AuditQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = room_of(&room)?;
    let limit = super::api::page_limit(query.limit)?;
    as_caller(&request, &state, async |actor| {
        let entries = state
            .hub
            .audit_log(&actor, &room, query.before, limit)
            .await?;
        Ok(HttpResponse::Ok().json(entries))
    })
    .await
}

/// The answer of `PUT /api/rooms/{room}/read`.
#[derive(utoipa::ToSchema)]
#[schema(as = ReadMarker)]
#[derive(Debug, Serialize)]
struct Marker {
    /// The id read up to.
    id: u64,
}

/// Moves the caller's read marker forward.
#[utoipa::path(
    put,
    path = "/api/rooms/{room}/read",
    tag = tag::HISTORY,
    params(RoomPath),
    request_body = ReadBody,
    responses(
        (status = 200, description = "The marker now (it never moves back).", body = Marker),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn mark_read(
    request: HttpRequest,
    room: web::Path<String>,
    body: web::Json<ReadBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = room_of(&room)?;
    as_caller(&request, &state, async |reader| {
        let id = state.hub.mark_read(&reader, &room, body.id).await?;
        Ok(HttpResponse::Ok().json(Marker { id }))
    })
    .await
}
