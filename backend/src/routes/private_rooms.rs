//! Private rooms and direct messages over HTTP.
//!
//! - `POST /api/rooms` `{"name","private":true}`: 201 with the room; the caller owns it. 409
//!   `room_exists` if a room of that name exists (public rooms are made by their first
//!   message, so `private:false` is a 400).
//! - `GET /api/me/rooms`: the private rooms and direct messages the caller is in.
//! - `GET /api/rooms/{room}/members`: members only (403 `forbidden` otherwise).
//! - `PUT` / `DELETE /api/rooms/{room}/members/{username}`: the owner adds or removes a member
//!   (a member may remove themselves); 204, 403 `forbidden`, 404 `no_such_user`.
//! - `POST /api/dms` `{"username"}`: the direct message with that account, opened on first use.
//!
//! A backend's API key with the `rooms` scope creates private rooms (naming an `owner`
//! account, or none) and sets their members through the same routes (`hub::managed_rooms`).
//!
//! Every rule is the hub's (`hub::access`); these handlers parse, ask, and answer.

use super::{
    AppState,
    account::{principal, signed_in},
    error::ApiFailure,
};
use crate::{
    auth::{AuthError, Principal},
    hub::access::{CreateRoomError, MembershipError},
    store::accounts::{Account, RoomAccess},
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chinwag_shared::{
    ErrorCode, RoomName, RoomSummary, Username,
    account::{Member, NewDm, NewRoom, RoomInfo},
};

use super::describe::{params::*, responses::*, tag};

/// Creates a private room; the caller owns it.
///
/// Public rooms need no creating: their first message makes them.
#[utoipa::path(
    post,
    path = "/api/rooms",
    operation_id = "create_room",
    tag = tag::PRIVATE_ROOMS,
    request_body = NewRoom,
    responses(
        (status = 201, description = "Created.", body = RoomInfo),
        (status = 409, description = "`room_exists`.", body = ApiError),
        (status = 429, description = "`too_many_new_rooms`: this address's budget of new \
                                      rooms is spent for now.", body = ApiError),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn create(
    request: HttpRequest,
    body: web::Json<NewRoom>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let caller = principal(&request, &state).await?;
    if caller.is_guest() {
        return Err(sign_in_first());
    }
    let room = RoomName::parse(&body.name)?;
    if !body.private {
        return Err(ApiFailure::bad_request(
            ErrorCode::BadMessage,
            "public rooms need no creating: post the first message and the room exists",
        ));
    }
    let address = state.trusted_proxies.client_ip(&request);
    let owner = match (&caller, &body.owner) {
        (Principal::Account(_), Some(_)) => {
            return Err(ApiFailure::bad_request(
                ErrorCode::BadMessage,
                "you own the rooms you create; only an API key names another owner",
            ));
        }
        (Principal::Account(identity), None) => {
            state
                .hub
                .create_private_room(identity, &room, address)
                .await
                .map_err(create_failure)?;
            Some(identity.name.clone())
        }
        (Principal::Guest, _) => return Err(sign_in_first()),
        (Principal::Service(key), named) => {
            let owner = match named {
                Some(name) => Some(account_named(&state, name).await?),
                None => None,
            };
            state
                .hub
                .create_room_for_backend(key, &room, owner.as_ref().map(|a| &a.id), address)
                .await
                .map_err(create_failure)?;
            owner.map(|account| account.name)
        }
    };
    Ok(HttpResponse::Created().json(RoomInfo {
        room,
        private: true,
        owner,
        dm_with: None,
        last_id: 0,
        mentions: None,
        unread: None,
    }))
}

/// The private rooms and direct messages the caller is in, with unread counts.
#[utoipa::path(
    get,
    path = "/api/me/rooms",
    tag = tag::PRIVATE_ROOMS,
    responses(
        (status = 200, description = "The rooms.", body = Vec<RoomInfo>),
        Unauthenticated, Unavailable,
    )
)]
pub async fn mine(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let identity = signed_in(&request, &state).await?;
    let member_rooms = state.hub.accounts().rooms_of(&identity.account).await?;
    let mut counts: Vec<RoomSummary> = member_rooms
        .iter()
        .map(|room| RoomSummary {
            room: room.room.clone(),
            last_id: room.last_id,
            unread: None,
            mentions: None,
        })
        .collect();
    state
        .hub
        .count_unread(&identity.account, &identity.name, &mut counts, true)
        .await?;
    let rooms: Vec<RoomInfo> = member_rooms
        .into_iter()
        .zip(counts)
        .map(|(room, counted)| RoomInfo {
            room: room.room,
            private: true,
            owner: room.owner,
            dm_with: room.dm_with,
            last_id: room.last_id,
            unread: counted.unread,
            mentions: counted.mentions,
        })
        .collect();
    Ok(HttpResponse::Ok().json(rooms))
}

/// The members of a private room (members only); `[]` for a public room.
#[utoipa::path(
    get,
    path = "/api/rooms/{room}/members",
    tag = tag::PRIVATE_ROOMS,
    params(RoomPath),
    responses(
        (status = 200, description = "The members, the owner first.", body = Vec<Member>),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn members(
    request: HttpRequest,
    room: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let identity = signed_in(&request, &state).await?;
    let room = RoomName::parse(&room)?;
    let principal = crate::auth::Principal::Account(identity);
    let RoomAccess::Private(private) = state
        .hub
        .admit_to(
            &super::account::visitor(&request, &state, &principal, None),
            &room,
        )
        .await?
    else {
        return Ok(HttpResponse::Ok().json(Vec::<Member>::new()));
    };
    let mut members = Vec::new();
    for id in &private.members {
        if let Some(account) = state.hub.accounts().account(id).await? {
            members.push(Member {
                username: account.name,
                owner: private.owner.as_ref() == Some(id),
            });
        }
    }
    members.sort_by(|a, b| (!a.owner, a.username.as_str()).cmp(&(!b.owner, b.username.as_str())));
    Ok(HttpResponse::Ok().json(members))
}

/// Adds a member to a private room (its owner only).
#[utoipa::path(
    put,
    path = "/api/rooms/{room}/members/{username}",
    tag = tag::PRIVATE_ROOMS,
    params(RoomUserPath),
    responses(
        (status = 204, description = "Added."),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn add_member(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    change_member(request, path, state, true).await
}

/// Removes a member from a private room (its owner; or a member leaving).
#[utoipa::path(
    delete,
    path = "/api/rooms/{room}/members/{username}",
    tag = tag::PRIVATE_ROOMS,
    params(RoomUserPath),
    responses(
        (status = 204, description = "Removed."),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn remove_member(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    change_member(request, path, state, false).await
}

async fn change_member(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
    member: bool,
) -> Result<HttpResponse, ApiFailure> {
    let caller = principal(&request, &state).await?;
    if caller.is_guest() {
        return Err(sign_in_first());
    }
    let (room, username) = path.into_inner();
    let room = RoomName::parse(&room)?;
    let account = account_named(&state, &username).await?;
    let changed = match &caller {
        Principal::Account(identity) => {
            state
                .hub
                .set_member(identity, &room, &account.id, member)
                .await
        }
        Principal::Service(key) => {
            state
                .hub
                .set_member_for_backend(key, &room, &account.id, member)
                .await
        }
        Principal::Guest => return Err(sign_in_first()),
    };
    match changed {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(MembershipError::Store(err)) => Err(err.into()),
        Err(refused) => Err(ApiFailure::forbidden(
            ErrorCode::Forbidden,
            refused.to_string(),
        )),
    }
}

/// The 401 of a guest on a route for the signed-in.
fn sign_in_first() -> ApiFailure {
    AuthError::Unauthenticated(
        "sign in first (no session, access token or JWT came with the request)",
    )
    .into()
}

/// The account named `username` (look-alikes fold), or 404 `no_such_user`.
async fn account_named(state: &AppState, username: &str) -> Result<Account, ApiFailure> {
    let name = Username::parse(username)?;
    state
        .hub
        .accounts()
        .account_by_key(&name.hold_key())
        .await?
        .ok_or_else(|| {
            ApiFailure::with_status(
                StatusCode::NOT_FOUND,
                ErrorCode::NoSuchUser,
                format!("no account is named {name}"),
            )
        })
}

/// The answer to a room that could not be created.
fn create_failure(err: CreateRoomError) -> ApiFailure {
    match err {
        CreateRoomError::Exists(_) => ApiFailure::with_status(
            StatusCode::CONFLICT,
            ErrorCode::RoomExists,
            "a room of that name exists already; pick another name",
        ),
        CreateRoomError::TooMany(refusal) => ApiFailure::with_status(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TooManyNewRooms,
            refusal.to_string(),
        ),
        CreateRoomError::Reserved => ApiFailure::bad_request(
            ErrorCode::InvalidRoom,
            CreateRoomError::Reserved.to_string(),
        ),
        CreateRoomError::Scope(missing) => {
            ApiFailure::forbidden(ErrorCode::Forbidden, missing.to_string())
        }
        CreateRoomError::Store(err) => err.into(),
    }
}

/// The direct message with another account, opened on first use.
#[utoipa::path(
    post,
    path = "/api/dms",
    tag = tag::PRIVATE_ROOMS,
    request_body = NewDm,
    responses(
        (status = 200, description = "The direct message's room.", body = RoomInfo),
        (status = 429, description = "`too_many_new_rooms`.", body = ApiError),
        BadRequest, Unauthenticated, Forbidden, NoSuchUser, Unavailable,
    )
)]
pub async fn open_dm(
    request: HttpRequest,
    body: web::Json<NewDm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let identity = signed_in(&request, &state).await?;
    let other = account_named(&state, &body.username).await?;
    if other.id == identity.account {
        return Err(ApiFailure::bad_request(
            ErrorCode::BadMessage,
            "a direct message needs someone else",
        ));
    }
    let address = state.trusted_proxies.client_ip(&request);
    let room = state
        .hub
        .open_dm(&identity.account, &other.id, address)
        .await
        .map_err(create_failure)?;
    let last_id = state.hub.head(&room).await?.last_id;
    Ok(HttpResponse::Ok().json(RoomInfo {
        room,
        private: true,
        owner: None,
        dm_with: Some(other.name),
        last_id,
        mentions: None,
        unread: None,
    }))
}
