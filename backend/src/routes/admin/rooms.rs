//! `GET /api/admin/rooms?limit=&cursor=`: the console's rooms, busiest first, paged like
//! `GET /api/rooms` (`limit` 50 by default, at most 200; `Link: <…>; rel="next"` names the
//! next page). Each [`AdminRoom`] says who is online (presence, on every node), how many
//! records its log has held, when the newest was stored, whether it is private or a direct
//! message, and its owner and moderators. A room's audit log stays
//! `GET /api/rooms/{room}/audit`, which site admins may read for every room.

use super::{super::AppState, SiteAdmin};
use crate::routes::describe::{
    responses::{BadRequest, Forbidden, Unauthenticated, Unavailable},
    tag,
};
use crate::{
    hub::Hub,
    routes::{api::RoomsQuery, error::ApiFailure},
    store::{
        Page, RoomCursor, StoreError,
        accounts::{AccountId, RoomAccess},
    },
};
use actix_web::{HttpResponse, http::header::LINK, web};
use chinwag_shared::{RoomSummary, Username, console::AdminRoom};
use std::collections::HashMap;

/// Rooms busiest first with who is in them, their owner and moderators, private ones
/// included (site admins).
#[utoipa::path(
    get,
    path = "/api/admin/rooms",
    operation_id = "admin_rooms",
    tag = tag::CONSOLE,
    params(RoomsQuery),
    responses(
        (status = 200, description = "A page of rooms.", body = Vec<AdminRoom>),
        BadRequest, Unauthenticated, Forbidden, Unavailable,
    )
)]
pub async fn rooms(
    _admin: SiteAdmin,
    query: web::Query<RoomsQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let limit = query.limit()?;
    let after = query.cursor()?;
    // One more than asked says whether a next page exists, so the last page has no Link.
    let mut rooms = state
        .hub
        .rooms_with_private(after.as_ref(), limit + 1)
        .await?;
    let more = rooms.len() > limit;
    rooms.truncate(limit);
    let next = more.then(|| rooms.last()).flatten().map(|last| {
        format!(
            "</api/admin/rooms?limit={limit}&cursor={}>; rel=\"next\"",
            RoomCursor::after(last)
        )
    });
    let mut names = Names::default();
    let mut listed = Vec::with_capacity(rooms.len());
    for summary in rooms {
        listed.push(describe(&state.hub, summary, &mut names).await?);
    }
    let mut response = HttpResponse::Ok();
    if let Some(next) = next {
        response.insert_header((LINK, next));
    }
    Ok(response.json(listed))
}

/// Account names by id, read once per page however many rooms name the same account.
#[derive(Default)]
struct Names(HashMap<AccountId, Option<Username>>);

impl Names {
    async fn of(&mut self, hub: &Hub, id: &AccountId) -> Result<Option<Username>, StoreError> {
        if let Some(name) = self.0.get(id) {
            return Ok(name.clone());
        }
        let name = hub
            .accounts()
            .account(id)
            .await?
            .map(|account| account.name);
        self.0.insert(id.clone(), name.clone());
        Ok(name)
    }
}

/// One room as the console shows it.
async fn describe(
    hub: &Hub,
    summary: RoomSummary,
    names: &mut Names,
) -> Result<AdminRoom, ApiFailure> {
    let room = summary.room;
    let access = hub.accounts().room_access(&room).await?;
    let rules = hub.moderation().room_rules(&room).await?;
    let (private, dm, private_owner) = match access {
        RoomAccess::Public => (false, false, None),
        RoomAccess::Private(private) => (true, private.dm, private.owner),
    };
    let owner = match rules.owner.or(private_owner) {
        Some(id) => names.of(hub, &id).await?,
        None => None,
    };
    let mut moderators = Vec::with_capacity(rules.moderators.len());
    for id in &rules.moderators {
        moderators.extend(names.of(hub, id).await?);
    }
    moderators.sort();
    let online = match hub.users(&room).await {
        Ok(users) => users.len() as u64,
        Err(err) => {
            tracing::debug!(error = %err, %room, "presence unread for the console");
            0
        }
    };
    let newest = hub
        .page(
            &room,
            Page::Before {
                before: u64::MAX,
                limit: 1,
            },
        )
        .await?;
    Ok(AdminRoom {
        online,
        messages: summary.last_id,
        last_activity: newest.last().map(|record| record.ts),
        private,
        dm,
        owner,
        moderators,
        room,
    })
}
