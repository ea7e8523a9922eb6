//! The history API: `GET /api/rooms` and `GET /api/rooms/{room}/messages`.
//!
//! Pages are JSON arrays of the same chat records the socket carries, always ascending by id.
//! `after=N` pages forward (resume, polling); `before=N` pages back (scrollback); neither
//! returns the newest page. `limit` defaults to 100 and is clamped to 500.

use super::{AppState, error::ApiFailure};
use crate::store::Page;
use actix_web::{HttpResponse, web};
use chinwag_shared::{DEFAULT_HISTORY_PAGE, ErrorCode, MAX_HISTORY_PAGE, RoomName};
use serde::Deserialize;

/// Query string of the messages endpoint.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    after: Option<u64>,
    before: Option<u64>,
    limit: Option<usize>,
}

impl HistoryQuery {
    fn page(&self) -> Result<Page, ApiFailure> {
        let limit = match self.limit {
            Some(0) => {
                return Err(ApiFailure::bad_request(
                    ErrorCode::BadQuery,
                    "limit must be at least 1",
                ));
            }
            Some(limit) => limit.min(MAX_HISTORY_PAGE),
            None => DEFAULT_HISTORY_PAGE,
        };
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
    room: web::Path<String>,
    query: web::Query<HistoryQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiFailure> {
    let room = RoomName::parse(&room)?;
    let page = query.page()?;
    let records = state.hub.page(&room, page).await?;
    Ok(HttpResponse::Ok().json(records))
}

/// `GET /api/rooms`.
pub async fn rooms(state: web::Data<AppState>) -> Result<HttpResponse, ApiFailure> {
    Ok(HttpResponse::Ok().json(state.hub.rooms().await?))
}
