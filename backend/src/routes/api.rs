//! The HTTP API: history, polling and long-polling, posting, typing and presence.
//!
//! - `GET /api/rooms`: a page of rooms with their newest ids, busiest (most messages) first;
//!   `limit` defaults to 50, clamped to 200; a `Link: <…>; rel="next"` header names the next
//!   page's URL (its opaque `cursor`) when there is one. The body stays the plain array it
//!   always was.
//! - `GET /api/rooms/{room}/messages`: pages of the same chat records the socket carries,
//!   always ascending. `after=N` pages forward (resume, polling); `before=N` pages back;
//!   neither returns the newest page; `limit` defaults to 100, clamped to 500, and a page
//!   also stops at about 1 MiB (`store::PAGE_BYTES`), saying where to go on in a
//!   `Link: <…>; rel="next"` header. With
//!   `after=N&wait=S` (S ≤ 30) it is a long-poll: held until a record with id > N exists or S
//!   seconds pass (then `[]`), waiting on the hub's per-room signal. A waiting long-poll holds
//!   a connection slot and a long-poll slot of its address (see `request_limit`). Every page carries the
//!   room's history epoch in `Chinwag-Epoch`; a request naming another `epoch=E` gets 409
//!   `history_reset` (its `after` belongs to a history that is gone).
//! - `POST /api/rooms/{room}/messages`: store and broadcast like a socket `send`, within the
//!   same new-room budget (429 `too_many_new_rooms`). With a server API key (scope
//!   `publish`) it posts as the bot `username` names, or as the system without one (see
//!   [`super::keys`]).
//! - `POST /api/rooms/{room}/typing`, `GET /api/rooms/{room}/presence`: the ephemeral parts.

use super::{
    AppState,
    account::{principal, visitor},
    error::{ApiFailure, EPOCH_HEADER},
    request_limit::refusal,
};
use crate::{
    auth::Principal,
    hub::Poster,
    store::{Appended, NewMessage, Page, RoomCursor, page_is_cut},
};
use actix_web::{
    HttpRequest, HttpResponse,
    http::{
        StatusCode,
        header::{self, LINK},
    },
    web,
};
use chinwag_shared::{
    ChatRecord, ClientId, ClientToken, DEFAULT_HISTORY_PAGE, DEFAULT_ROOMS_PAGE, Epoch, ErrorCode,
    MAX_HISTORY_PAGE, MAX_ROOMS_PAGE, MessageText, RoomName, Username, api_keys::ApiScope,
};
use serde::Deserialize;
use std::time::Duration;

/// The longest a long-poll may be held, in seconds.
pub const MAX_WAIT_SECS: u64 = 30;

/// Query string of the messages endpoint.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    after: Option<u64>,
    before: Option<u64>,
    limit: Option<usize>,
    wait: Option<u64>,
    epoch: Option<Epoch>,
}

/// A page size from a `limit` query parameter: 100 without one, clamped to 500, never 0.
/// Every paged list of records (history, the audit log) reads its limit through here.
pub(super) fn page_limit(limit: Option<usize>) -> Result<usize, ApiFailure> {
    match limit {
        Some(0) => Err(ApiFailure::bad_request(
            ErrorCode::BadQuery,
            "limit must be at least 1",
        )),
        Some(limit) => Ok(limit.min(MAX_HISTORY_PAGE)),
        None => Ok(DEFAULT_HISTORY_PAGE),
    }
}

impl HistoryQuery {
    fn page(&self) -> Result<Page, ApiFailure> {
        let limit = page_limit(self.limit)?;
        match (self.after, self.before) {
            (Some(_), Some(_)) => Err(ApiFailure::bad_request(
                ErrorCode::BadQuery,
                "give either after or before, not both",
            )),
            (Some(after), None) => Ok(Page::After { after, limit }),
            (None, before) => Ok(Page::Before {
                before: before.unwrap_or(u64::MAX),
                limit,
            }),
        }
    }
}

/// `GET /api/rooms/{room}/messages`.
pub async fn messages(
    request: HttpRequest,
    room: web::Path<String>,
    query: web::Query<HistoryQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = RoomName::parse(&room)?;
    let page = query.page()?;
    let principal = principal(&request, &state).await?;
    state
        .hub
        .admit(&visitor(&request, &state, &principal, None), &room)
        .await?;
    let epoch = state.hub.epoch(&room).await?;
    if query.epoch.as_ref().is_some_and(|theirs| *theirs != epoch) {
        return Err(ApiFailure::history_reset(&epoch));
    }
    let records = match (query.wait, page) {
        (None, _) => state.hub.page(&room, page).await?,
        (Some(wait), Page::After { after, limit }) if wait <= MAX_WAIT_SECS => {
            // A held long-poll is a connection like a socket: it takes a slot of the same
            // caps, and one of the address's long-poll slots, for as long as it waits.
            let address = state.trusted_proxies.client_ip(&request);
            let _slot = state
                .admission
                .admit(address)
                .map_err(|refused| refusal(refused, "connections"))?;
            let _long_poll = state
                .request_limits
                .long_polls
                .admit(address)
                .map_err(|refused| refusal(refused, "long-polls"))?;
            let waiting = Waiting {
                principal: &principal,
                address,
                wait: Duration::from_secs(wait),
            };
            long_poll(&state, &room, after, limit, waiting).await?
        }
        (Some(_), Page::After { .. }) => {
            let detail = format!("wait is at most {MAX_WAIT_SECS} seconds");
            return Err(ApiFailure::bad_request(ErrorCode::BadQuery, detail));
        }
        (Some(_), Page::Before { .. }) => {
            let detail = "wait needs after=N: it waits for records newer than N";
            return Err(ApiFailure::bad_request(ErrorCode::BadQuery, detail));
        }
    };
    let mut response = HttpResponse::Ok();
    response.insert_header((EPOCH_HEADER, &*epoch));
    if let Some(next) = next_page(&room, page, &records) {
        response.insert_header((header::LINK, next));
    }
    Ok(response.json(records))
}

/// The `Link: <…>; rel="next"` of a page that stopped before the end of what was asked (full
/// by count, or by [`crate::store::PAGE_BYTES`]): where the reader goes on.
fn next_page(room: &RoomName, page: Page, records: &[ChatRecord]) -> Option<String> {
    let limit = match page {
        Page::After { limit, .. } | Page::Before { limit, .. } => limit,
    };
    if !page_is_cut(records, limit) {
        return None;
    }
    let query = match page {
        Page::After { .. } => format!("after={}", records.last()?.id),
        Page::Before { .. } => format!("before={}", records.first()?.id),
    };
    Some(format!(
        "</api/rooms/{room}/messages?{query}&limit={limit}>; rel=\"next\""
    ))
}

/// Who waits in a long-poll, from where, and for how long.
struct Waiting<'a> {
    principal: &'a Principal,
    address: std::net::IpAddr,
    wait: Duration,
}

/// Answers with the records after `after` as soon as there are any, or `[]` after `wait`;
/// 401 at once if the account is signed out by an admin or disabled meanwhile.
async fn long_poll(
    state: &AppState,
    room: &RoomName,
    after: u64,
    limit: usize,
    waiting: Waiting<'_>,
) -> Result<Vec<chinwag_shared::ChatRecord>, ApiFailure> {
    // Subscribe before reading, so a record published in between still wakes us.
    let mut newest = state.hub.watch(room);
    let _counted = Counted::start(&state.hub.metrics().long_polls_waiting);
    let mut connection = state.hub.open_connection(
        state.hub.new_session_id(),
        waiting.principal,
        chinwag_shared::console::Transport::LongPoll,
        waiting.address,
        Some(room.clone()),
    );
    connection.watch_inbox(waiting.principal);
    let deadline = tokio::time::Instant::now() + waiting.wait;
    loop {
        // Mark what the signal says now as seen *before* reading: anything published after
        // this line makes `changed` fire, so nothing slips between the read and the wait.
        newest.borrow_and_update();
        let records = state.hub.page(room, Page::After { after, limit }).await?;
        if !records.is_empty() {
            return Ok(records);
        }
        tokio::select! {
            woken = newest.changed() => {
                if woken.is_err() {
                    return Ok(Vec::new());
                }
            }
            () = tokio::time::sleep_until(deadline) => return Ok(Vec::new()),
            () = state.shutdown.cancelled() => return Ok(Vec::new()),
            () = connection.signed_out() => {
                return Err(crate::auth::AuthError::Unauthenticated("you were signed out").into());
            }
        }
    }
}

/// Body of `POST /api/rooms/{room}/messages`: the seed's shape, plus an optional client id
/// and token. A signed-in caller may leave the username out (it speaks as its account).
#[derive(Debug, Deserialize)]
pub struct PostBody {
    username: Option<String>,
    message: String,
    client_id: Option<String>,
    token: Option<String>,
}

/// `POST /api/rooms/{room}/messages`: 201 with the stored record, or 200 with the record
/// this author stored earlier under the same `client_id` (the author is the token if the
/// body has one, else the username); 409 `client_id_reused` if that was another message.
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
        // A bot's name was judged with the key's other rules (`keys::bot_name`).
        refuse_held_name(&state, &room, &username, token.as_ref())?;
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
#[derive(Debug, Deserialize)]
pub struct TypingBody {
    username: Option<String>,
    token: Option<String>,
}

/// `POST /api/rooms/{room}/typing`: relays a typing notice; 204.
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
        // A bot's name was judged with the key's other rules (`keys::bot_name`).
        refuse_held_name(&state, &room, &username, token.as_ref())?;
    }
    state.hub.typing(&room, &username);
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /api/rooms/{room}/presence`: who is in the room over WebSockets right now.
pub async fn presence(
    request: HttpRequest,
    room: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = RoomName::parse(&room)?;
    let principal = principal(&request, &state).await?;
    state
        .hub
        .admit(&visitor(&request, &state, &principal, None), &room)
        .await?;
    Ok(HttpResponse::Ok().json(state.hub.users(&room).await?))
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
        (Principal::Service(_), named) => super::keys::bot_name(state, &room, named).await?,
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

/// A name held in the room by a live connection of another client is refused (409).
pub(super) fn refuse_held_name(
    state: &AppState,
    room: &RoomName,
    username: &Username,
    token: Option<&ClientToken>,
) -> Result<(), ApiFailure> {
    if state.hub.name_taken(room, None, username, token) {
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

/// Query string of `GET /api/rooms`.
#[derive(Debug, Deserialize)]
pub struct RoomsQuery {
    limit: Option<usize>,
    cursor: Option<String>,
}

impl RoomsQuery {
    /// The page size asked for: 50 by default, at most 200.
    pub(super) fn limit(&self) -> Result<usize, ApiFailure> {
        match self.limit {
            Some(0) => Err(ApiFailure::bad_request(
                ErrorCode::BadQuery,
                "limit must be at least 1",
            )),
            Some(limit) => Ok(limit.min(MAX_ROOMS_PAGE)),
            None => Ok(DEFAULT_ROOMS_PAGE),
        }
    }

    /// Where the page starts: after the room the cursor names.
    pub(super) fn cursor(&self) -> Result<Option<RoomCursor>, ApiFailure> {
        self.cursor
            .as_deref()
            .map(|raw| {
                RoomCursor::parse(raw).ok_or_else(|| {
                    ApiFailure::bad_request(
                        ErrorCode::BadQuery,
                        "cursor is not one this server gave; take it from the Link header",
                    )
                })
            })
            .transpose()
    }
}

/// `GET /api/rooms`: one page of rooms, busiest first, and a `Link` to the next page unless
/// this is the last. A page is bounded whatever the number of rooms, so neither the query nor
/// the response grows with the spam a flood once left behind.
pub async fn rooms(
    request: HttpRequest,
    query: web::Query<RoomsQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    // A guest (refused where guests are off) sees the public rooms; a signed-in caller sees
    // them with its unread and mention counts.
    let principal = principal(&request, &state).await?;
    let limit = query.limit()?;
    let after = query.cursor()?;
    // One more than asked says whether a next page exists, so the last page has no Link.
    let mut rooms = state.hub.rooms(after.as_ref(), limit + 1).await?;
    let more = rooms.len() > limit;
    rooms.truncate(limit);
    if let Some(identity) = principal.identity() {
        state
            .hub
            .count_unread(&identity.account, &identity.name, &mut rooms, false)
            .await?;
    }
    let mut response = HttpResponse::Ok();
    if more && let Some(last) = rooms.last() {
        // Cursor characters (digits, `.`, room-name characters) need no escaping in a URL.
        let next = format!(
            "</api/rooms?limit={limit}&cursor={}>; rel=\"next\"",
            RoomCursor::after(last)
        );
        response.insert_header((LINK, next));
    }
    Ok(response.json(rooms))
}

/// Counts one long-poll in `chinwag_long_polls_waiting` for as long as it lives, so the gauge
/// is right on every exit path, errors included.
struct Counted<'a>(&'a prometheus_client::metrics::gauge::Gauge);

impl<'a> Counted<'a> {
    fn start(gauge: &'a prometheus_client::metrics::gauge::Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}
