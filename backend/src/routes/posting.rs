//! The HTTP API's live side: posting, typing notices and presence.
//!
//! - `POST /api/rooms/{room}/messages`: store and broadcast like a socket `send`, within the
//!   same new-room budget (429 `too_many_new_rooms`). With a server API key (scope
//!   `publish`) it posts as the bot `username` names, or as the system without one (see
//!   [`super::keys`]).
//! - `POST /api/rooms/{room}/typing`, `GET /api/rooms/{room}/presence`: the ephemeral parts.
//!
//! Each resolves who speaks once ([`speaker`]): an account as itself, a guest under a name no
//! account owns and no other client holds in the room, a key as its bot. Reading history is
//! [`super::api`].

use super::{
    AppState,
    account::{principal, visitor},
    describe::{params::*, responses::*, tag},
    error::ApiFailure,
};
use crate::{
    auth::{Principal, ServiceKey},
    hub::Poster,
    store::{Appended, NewMessage},
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use chinwag_shared::{
    ChatRecord, ClientId, ClientToken, ErrorCode, MessageText, RoomName, Username,
    api_keys::ApiScope,
};
use serde::Deserialize;

/// Body of `POST /api/rooms/{room}/messages`: the seed's shape, plus an optional client id
/// and token. A signed-in caller may leave the username out (it speaks as its account).
#[derive(utoipa::ToSchema, Debug, Deserialize)]
pub struct PostBody {
    /// Who speaks: a guest's name; a signed-in caller's own name or nothing.
    #[schema(value_type = Option<Username>)]
    username: Option<String>,
    /// The text.
    #[schema(value_type = MessageText)]
    message: String,
    /// The sender's own id for this message: a retry with the same one stores it once.
    #[schema(value_type = Option<ClientId>)]
    client_id: Option<String>,
    /// A guest browser's token, so its own live connections may share its name.
    #[schema(value_type = Option<ClientToken>)]
    token: Option<String>,
}

/// Posts a message, stored and broadcast like a socket `send`.
///
/// 201 with the stored record, or 200 with the record this author stored earlier under the
/// same `client_id` (the author is the token if the body has one, else the username); 409
/// `client_id_reused` if that was another message.
#[utoipa::path(
    post,
    path = "/api/rooms/{room}/messages",
    tag = tag::HISTORY,
    params(RoomPath),
    request_body = PostBody,
    security((), ("session" = []), ("bearer" = []), ("access_token" = [])),
    responses(
        (status = 201, description = "Stored and broadcast.", body = ChatRecord),
        (status = 200, description = "A retry: the record stored earlier under this \
                                      `client_id`.", body = ChatRecord),
        (status = 409, description = "`client_id_reused` (that id names another message of \
                                      this author), or `username_taken` (the name belongs \
                                      to an account, or is held in the room by another \
                                      client).", body = ApiError),
        (status = 429, description = "`rate_limited`, `slow_mode` (`retry_after_ms`), or \
                                      `too_many_new_rooms` (the first message would create \
                                      a room past this address's budget).", body = ApiError,
         headers(("Retry-After" = u64, description = "Seconds to wait."))),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn post_message(
    request: HttpRequest,
    room: web::Path<String>,
    body: web::Json<PostBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let Speaker {
        room,
        username,
        principal,
    } = speaker(&request, &state, &room, body.username.as_deref()).await?;
    let text = MessageText::parse(&body.message)?;
    let client_id = body.client_id.as_deref().map(ClientId::parse).transpose()?;
    let token = client_token(&principal, body.token.as_deref())?;
    if principal.service().is_none() {
        // A bot's name was judged with the key's other rules (`bot_name`).
        refuse_held_name(&state, &room, &username, token.as_ref()).await?;
    }
    let message = NewMessage {
        author: principal.author(token.as_ref(), &username),
        room,
        username,
        text,
        client_id,
        guest: principal.is_guest(),
        bot: principal.service().is_some(),
    };
    let poster = Poster {
        principal: &principal,
        address: state.trusted_proxies.client_ip(&request),
        connection: None,
    };
    Ok(match state.hub.post(message, poster).await? {
        Appended::Stored(record) => HttpResponse::Created().json(record),
        Appended::Duplicate(record) => HttpResponse::Ok().json(record),
        Appended::Reused => {
            return Err(ApiFailure::with_status(
                StatusCode::CONFLICT,
                ErrorCode::ClientIdReused,
                REUSED_DETAIL,
            ));
        }
    })
}

/// Why a `client_id_reused` refusal happened, for people reading it.
const REUSED_DETAIL: &str = "this client_id already names another message of yours in \
                                 this room; send the new one with a fresh client_id";

/// Body of `POST /api/rooms/{room}/typing`.
#[derive(utoipa::ToSchema, Debug, Deserialize)]
pub struct TypingBody {
    /// Who types: a guest's name; a signed-in caller's own name or nothing.
    #[schema(value_type = Option<Username>)]
    username: Option<String>,
    /// A guest browser's token.
    #[schema(value_type = Option<ClientToken>)]
    token: Option<String>,
}

/// Relays a typing notice to the room's live members.
#[utoipa::path(
    post,
    path = "/api/rooms/{room}/typing",
    tag = tag::HISTORY,
    params(RoomPath),
    request_body = TypingBody,
    security((), ("session" = []), ("bearer" = []), ("access_token" = [])),
    responses(
        (status = 204, description = "Relayed."),
        (status = 409, description = "`username_taken`.", body = ApiError),
        BadRequest, Unauthenticated, Forbidden, TooManyRequests, Unavailable,
    )
)]
pub async fn typing(
    request: HttpRequest,
    room: web::Path<String>,
    body: web::Json<TypingBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let Speaker {
        room,
        username,
        principal,
    } = speaker(&request, &state, &room, body.username.as_deref()).await?;
    let token = client_token(&principal, body.token.as_deref())?;
    if principal.service().is_none() {
        // A bot's name was judged with the key's other rules (`bot_name`).
        refuse_held_name(&state, &room, &username, token.as_ref()).await?;
    }
    state.hub.typing(&room, &username);
    Ok(HttpResponse::NoContent().finish())
}

/// Query of `GET /api/rooms/{room}/presence`: neither parameter, the whole list.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Debug, Deserialize)]
pub struct PresenceQuery {
    /// Page on: the names that sort after this one (the last name of the previous page).
    #[param(value_type = Option<Username>)]
    after: Option<String>,
    /// Names per page: 100 without it (once `after` or `limit` asks for pages), at most 500.
    /// A page shorter than this is the last.
    #[param(minimum = 1)]
    limit: Option<usize>,
}

/// The header that says how many names the whole presence list has.
pub const PRESENCE_COUNT_HEADER: &str = "chinwag-presence-count";

/// Who is in the room over WebSockets right now: everyone, or a page of a big room.
#[utoipa::path(
    get,
    path = "/api/rooms/{room}/presence",
    tag = tag::HISTORY,
    params(RoomPath, PresenceQuery),
    security((), ("session" = []), ("bearer" = []), ("access_token" = [])),
    responses(
        (status = 200, description = "Their names, sorted.", body = Vec<Username>,
         headers(("Chinwag-Presence-Count" = u64, description = "How many names the whole list has."))),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn presence(
    request: HttpRequest,
    room: web::Path<String>,
    query: web::Query<PresenceQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = RoomName::parse(&room)?;
    let after = query.after.as_deref().map(Username::parse).transpose()?;
    let paged = after.is_some() || query.limit.is_some();
    let limit = if paged {
        super::api::page_limit(query.limit)?
    } else {
        usize::MAX
    };
    let principal = principal(&request, &state).await?;
    state
        .hub
        .admit(&visitor(&request, &state, &principal, None), &room)
        .await?;
    let page = state
        .hub
        .presence_page(&room, after.as_ref(), limit)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((PRESENCE_COUNT_HEADER, page.count.to_string()))
        .json(page.names))
}

/// Who speaks in a post, and where.
struct Speaker {
    room: RoomName,
    username: Username,
    principal: Principal,
}

/// What every HTTP post starts with: the rate limit of the client's address, the room, who is
/// asking and whether they may speak there, and the name they speak under. A signed-in caller
/// speaks as its account (a body naming someone else is refused with `username_mismatch`); a
/// guest names itself, and may not take an account's name (409 `username_taken`).
async fn speaker(
    request: &HttpRequest,
    state: &AppState,
    room: &str,
    named: Option<&str>,
) -> Result<Speaker, ApiFailure> {
    state
        .post_limits
        .check(state.trusted_proxies.client_ip(request))?;
    let room = RoomName::parse(room)?;
    let named = named.map(Username::parse).transpose()?;
    let principal = principal(request, state).await?;
    let asking = visitor(request, state, &principal, None);
    // A key is let in with the scope a post needs (the post itself asks again, by name).
    let scope = match principal {
        Principal::Service(_) => ApiScope::Publish,
        Principal::Guest | Principal::Account(_) => ApiScope::Read,
    };
    state.hub.enter_for(&asking, &room, scope).await?;
    let username = match (&principal, named) {
        (Principal::Account(identity), None) => identity.name.clone(),
        (Principal::Account(identity), Some(named)) => {
            if named.hold_key() != identity.name.hold_key() {
                return Err(ApiFailure::forbidden(
                    ErrorCode::UsernameMismatch,
                    format!(
                        "you are signed in as {}; you cannot post as {named}",
                        identity.name
                    ),
                ));
            }
            identity.name.clone()
        }
        (Principal::Guest, None) => {
            return Err(ApiFailure::bad_request(
                ErrorCode::UsernameRequired,
                "name a username, or sign in",
            ));
        }
        (Principal::Guest, Some(named)) => {
            if state.auth.name_owned(&named).await? {
                return Err(ApiFailure::with_status(
                    StatusCode::CONFLICT,
                    ErrorCode::UsernameTaken,
                    format!(
                        "{named} belongs to an account; sign in to use it, or pick another name"
                    ),
                ));
            }
            named
        }
        (Principal::Service(_), named) => bot_name(state, &room, named).await?,
    };
    Ok(Speaker {
        room,
        username,
        principal,
    })
}

/// The client a post comes from, for the rooms' name rule: a signed-in caller is its account
/// (every device of it, sockets included); a guest is the token it sent, if any.
fn client_token(
    principal: &Principal,
    sent: Option<&str>,
) -> Result<Option<ClientToken>, ApiFailure> {
    match principal {
        Principal::Account(identity) => Ok(identity.client_token()),
        Principal::Guest => Ok(sent.map(ClientToken::parse).transpose()?),
        // A key's bots hold no names in rooms: they are never connected.
        Principal::Service(_) => Ok(None),
    }
}

/// A name held in the room by a live connection of another client, on this node or another,
/// is refused (409).
pub(super) async fn refuse_held_name(
    state: &AppState,
    room: &RoomName,
    username: &Username,
    token: Option<&ClientToken>,
) -> Result<(), ApiFailure> {
    if state
        .hub
        .guest_name_held(room, None, username, token)
        .await?
    {
        return Err(ApiFailure::with_status(
            StatusCode::CONFLICT,
            ErrorCode::UsernameTaken,
            format!(
                "{username}, or a name that looks like it, is in #{room} from another \
                 browser; pick another name"
            ),
        ));
    }
    Ok(())
}

/// The name a key's post in `room` goes out under: the bot `named`, or the system's
/// without one. A bot may not take the system's name (409), a name an account owns or one
/// that looks like it (409 `username_taken`: a bot never speaks as a person), nor a name a
/// live connection holds in the room (409, as for any poster).
async fn bot_name(
    state: &AppState,
    room: &RoomName,
    named: Option<Username>,
) -> Result<Username, ApiFailure> {
    let system = ServiceKey::acting_name();
    let Some(named) = named else {
        return Ok(system);
    };
    let taken = |detail: String| {
        ApiFailure::with_status(StatusCode::CONFLICT, ErrorCode::UsernameTaken, detail)
    };
    if named.hold_key() == system.hold_key() {
        return Err(taken(format!(
            "{named} is the system's name; leave username out to post as the system"
        )));
    }
    if state.auth.name_owned(&named).await? {
        return Err(taken(format!(
            "{named} belongs to an account; a bot may not take a person's name"
        )));
    }
    refuse_held_name(state, room, &named, None).await?;
    Ok(named)
}
