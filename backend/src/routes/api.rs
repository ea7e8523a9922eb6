//! The HTTP API's history: rooms, pages, polling and long-polling. Posting, typing and
//! presence are [`super::posting`].
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

use super::{
    AppState,
    account::{principal, visitor},
    error::{ApiFailure, EPOCH_HEADER},
    request_limit::refusal,
};
use crate::{
    auth::Principal,
    store::{Page, RoomCursor, page_is_cut},
};
use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, LINK},
    web,
};
use chinwag_shared::{
    ChatRecord, DEFAULT_HISTORY_PAGE, DEFAULT_ROOMS_PAGE, Epoch, ErrorCode, MAX_HISTORY_PAGE,
    MAX_ROOMS_PAGE, RoomName,
};
use serde::Deserialize;
use std::time::Duration;

use super::describe::{params::*, responses::*, tag};

/// The longest a long-poll may be held, in seconds.
pub const MAX_WAIT_SECS: u64 = 30;

/// Query string of the messages endpoint.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    /// Page forward: the records with ids above this one (resume, polling).
    after: Option<u64>,
    /// Page back: the records with ids below this one. Neither: the newest page.
    before: Option<u64>,
    /// Records per page: 100 without it, at most 500.
    #[param(minimum = 1)]
    limit: Option<usize>,
    /// With `after`: hold the request up to this many seconds (at most 30) until a record
    /// newer than `after` exists, then answer (`[]` if none came).
    #[param(maximum = 30)]
    wait: Option<u64>,
    /// The history epoch `after` was counted in (from `Chinwag-Epoch`); another one is a 409.
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

/// A page of a room's records, oldest first; with `after` and `wait`, a long-poll.
///
/// Records are the same objects the socket carries; edits and deletions come as change
/// records. A page that stops before the end of what was asked names the next one in `Link`.
#[utoipa::path(
    get,
    path = "/api/rooms/{room}/messages",
    tag = tag::HISTORY,
    params(RoomPath, HistoryQuery),
    security((), ("session" = []), ("bearer" = []), ("access_token" = [])),
    responses(
        (status = 200, description = "The page (possibly empty).", body = Vec<ChatRecord>,
         headers(
            ("Chinwag-Epoch" = String, description = "The room's history epoch."),
            ("Link" = String, description = "`<…>; rel=\"next\"`: the next page, if any."),
         )),
        (status = 409, description = "`history_reset`: `epoch` is not the room's; start \
                                      again from `after=0` under the one in `Chinwag-Epoch`.",
         body = ApiError),
        BadRequest, Unauthenticated, Forbidden, TooManyRequests, Unavailable,
    )
)]
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

/// Query string of `GET /api/rooms`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[derive(Debug, Deserialize)]
pub struct RoomsQuery {
    /// Rooms per page: 50 without it, at most 200.
    #[param(minimum = 1)]
    limit: Option<usize>,
    /// Where the page starts: opaque, taken from the previous page's `Link`.
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

/// A page of rooms with their newest ids, busiest first.
///
/// A `Link` names the next page unless this is the last. A page is bounded whatever the
/// number of rooms, so neither the query nor the response grows with the spam a flood once
/// left behind. A signed-in caller also gets its unread and mention counts.
#[utoipa::path(
    get,
    path = "/api/rooms",
    tag = tag::HISTORY,
    params(RoomsQuery),
    security((), ("session" = []), ("bearer" = []), ("access_token" = [])),
    responses(
        (status = 200, description = "The page.", body = Vec<chinwag_shared::RoomSummary>,
         headers(("Link" = String, description = "`<…>; rel=\"next\"`: the next page, if any."))),
        BadRequest, Unauthenticated, Unavailable,
    )
)]
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
