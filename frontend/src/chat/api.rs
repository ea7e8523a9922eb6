//! The HTTP side: the busiest rooms, history pages, and the AJAX transport's requests (polling,
//! long-polling, posting, typing, presence), as JSON from the backend's API.
//!
//! History pages come with the epoch their ids belong to (the `Chinwag-Epoch` header), and a
//! request that names a stale epoch is answered 409 `history_reset`, which arrives here as
//! [`HistoryError::Reset`] rather than as a failure; a private room this person may not read
//! is answered 403 `forbidden` (and one this person is banned from, 403 `banned`), which
//! arrives as [`HistoryError::Forbidden`], so a follower drops the room the way a socket's
//! error frame does instead of reconnecting. A post refused for now (429 `slow_mode`,
//! `rate_limited`) says when to try again: `retry_after_ms` in its body, or `Retry-After`.

use crate::http_body;
use chinwag_shared::{
    ApiError, ChatRecord, ClientId, ClientToken, Epoch, ErrorCode, ErrorFrame, MessageText,
    RoomName, RoomSummary, Username,
};
use gloo::net::http::{Request, Response};
use serde::{Serialize, de::DeserializeOwned};

/// The response header naming the history epoch of a page's ids.
use chinwag_shared::EPOCH_HEADER;

/// HTTP 409 Conflict: how the server refuses a history request of a replaced epoch.
const CONFLICT: u16 = 409;

/// HTTP 403 Forbidden: how the server refuses a private room to someone not in it.
const FORBIDDEN: u16 = 403;

/// A page of a room's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    /// Records, ascending.
    pub records: Vec<ChatRecord>,
    /// The epoch their ids belong to; `None` from servers that predate epochs.
    pub epoch: Option<Epoch>,
}

/// Why a history request brought no page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistoryError {
    /// The epoch asked about is gone: the room's history was replaced, and `epoch` (if the
    /// server said) is the current one. Ask again from `after=0`.
    Reset {
        /// The room's current epoch.
        epoch: Option<Epoch>,
    },
    /// This person may not read the room (a private room they are not, or no longer, a
    /// member of); `detail` is the server's reason. Asking again would be refused again.
    Forbidden {
        /// Why: `forbidden` (not a member) or `banned`.
        code: ErrorCode,
        /// The server's explanation.
        detail: String,
    },
    /// The request failed (network, server error, bad body); the text says how.
    Failed(String),
}

impl std::fmt::Display for HistoryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HistoryError::Reset { .. } => f.write_str("the room's history was reset"),
            HistoryError::Forbidden { detail, .. } => f.write_str(detail),
            HistoryError::Failed(reason) => f.write_str(reason),
        }
    }
}

/// A GET of `path` with `query`'s pairs. The pairs go through gloo's `query`, not into the
/// path: gloo joins a query already in the path to its own with `&`, even an empty one, so a
/// path with `?` went out ending in a stray `&`.
fn get(path: &str, query: &[(&str, String)]) -> gloo::net::http::RequestBuilder {
    Request::get(path).query(query.iter().map(|(name, value)| (*name, value.as_str())))
}

async fn get_json<T: DeserializeOwned>(path: &str, query: &[(&str, String)]) -> Result<T, String> {
    http_body::parse(&get_text(path, query).await?).map_err(|err| err.to_string())
}

/// The body of a GET that answered 2xx; [`get_json`]'s part that is the same for every type.
async fn get_text(path: &str, query: &[(&str, String)]) -> Result<String, String> {
    let response = get(path, query)
        .send()
        .await
        .map_err(|err| err.to_string())?;
    if !response.ok() {
        return Err(format!("{path}: HTTP {}", response.status()));
    }
    http_body::text(&response)
        .await
        .map_err(|err| err.to_string())
}

/// The server's `limit` busiest rooms (the first page of its room list), with their newest
/// ids.
pub async fn busiest_rooms(limit: usize) -> Result<Vec<RoomSummary>, String> {
    get_json("/api/rooms", &[("limit", limit.to_string())]).await
}

/// Up to `limit` records of `room` with ids below `before`, ascending.
pub async fn history_before(
    room: &RoomName,
    before: u64,
    limit: usize,
) -> Result<HistoryPage, HistoryError> {
    get_history(
        &messages_path(room),
        &[("before", before.to_string()), ("limit", limit.to_string())],
    )
    .await
}

/// The newest `limit` records of `room`, ascending (the page a room opens on).
pub async fn newest_page(room: &RoomName, limit: usize) -> Result<HistoryPage, HistoryError> {
    get_history(&messages_path(room), &[("limit", limit.to_string())]).await
}

fn messages_path(room: &RoomName) -> String {
    format!("/api/rooms/{room}/messages")
}

/// The records of `room` after `after` under `epoch` (if known); with `wait`, a long-poll
/// held up to that many seconds.
pub async fn messages_after(
    room: &RoomName,
    after: u64,
    wait: Option<u32>,
    epoch: Option<&Epoch>,
) -> Result<HistoryPage, HistoryError> {
    // gloo's `query` encodes each value, the epoch included.
    let mut query = vec![("after", after.to_string()), ("limit", "500".to_owned())];
    query.extend(wait.map(|secs| ("wait", secs.to_string())));
    query.extend(epoch.map(|epoch| ("epoch", epoch.as_str().to_owned())));
    get_history(&messages_path(room), &query).await
}

/// The newest record of `room` (if it has any), as a page of at most one.
pub async fn newest(room: &RoomName) -> Result<HistoryPage, HistoryError> {
    newest_page(room, 1).await
}

async fn get_history(path: &str, query: &[(&str, String)]) -> Result<HistoryPage, HistoryError> {
    let failed = |reason: String| HistoryError::Failed(reason);
    let response = get(path, query)
        .send()
        .await
        .map_err(|err| failed(err.to_string()))?;
    let epoch = epoch_of(&response);
    let refusal = match response.status() {
        CONFLICT | FORBIDDEN => http_body::json::<ApiError>(&response).await.ok(),
        _ => None,
    };
    match refusal {
        Some(error) if error.code == ErrorCode::HistoryReset => {
            return Err(HistoryError::Reset { epoch });
        }
        Some(error) if matches!(error.code, ErrorCode::Forbidden | ErrorCode::Banned) => {
            return Err(HistoryError::Forbidden {
                code: error.code,
                detail: error.detail,
            });
        }
        _ => {}
    }
    if !response.ok() {
        return Err(failed(format!("{path}: HTTP {}", response.status())));
    }
    let records = http_body::json(&response)
        .await
        .map_err(|err| failed(err.to_string()))?;
    Ok(HistoryPage { records, epoch })
}

/// The `Chinwag-Epoch` header, unless absent or empty.
fn epoch_of(response: &Response) -> Option<Epoch> {
    Epoch::from_wire(response.headers().get(EPOCH_HEADER))
}

/// Who is in `room` over WebSockets.
pub async fn presence(room: &RoomName) -> Result<Vec<Username>, String> {
    get_json(&format!("/api/rooms/{room}/presence"), &[]).await
}

/// Up to `limit` of the names in `room` that sort after `after`: a page of a big room's list.
pub async fn presence_after(
    room: &RoomName,
    after: Option<&Username>,
    limit: usize,
) -> Result<Vec<Username>, String> {
    let mut query = vec![("limit", limit.to_string())];
    if let Some(after) = after {
        query.push(("after", after.to_string()));
    }
    get_json(&format!("/api/rooms/{room}/presence"), &query).await
}

/// Posts a message; the stored record, or the server's refusal as an error frame.
pub async fn post_message(
    room: &RoomName,
    username: &Username,
    text: &MessageText,
    client_id: Option<&ClientId>,
    token: Option<&ClientToken>,
) -> Result<ChatRecord, ErrorFrame> {
    let body = PostBody {
        client_id,
        message: text,
        token,
        username,
    };
    let refused = |code, detail: String| ErrorFrame {
        code,
        detail,
        room: Some(room.to_string()),
        client_id: client_id.map(ToString::to_string),
        retry_after_ms: None,
    };
    let request = Request::post(&format!("/api/rooms/{room}/messages"))
        .json(&body)
        .map_err(|err| refused(ErrorCode::BadMessage, err.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|err| refused(ErrorCode::Unavailable, err.to_string()))?;
    if response.ok() {
        return http_body::json(&response)
            .await
            .map_err(|err| refused(ErrorCode::Unavailable, err.to_string()));
    }
    let retry_after_secs = response
        .headers()
        .get("Retry-After")
        .and_then(|header| header.trim().parse::<u64>().ok());
    match http_body::json::<ApiError>(&response).await {
        Ok(error) => Err(ErrorFrame {
            retry_after_ms: error
                .retry_after_ms
                .or(retry_after_secs.map(|secs| secs.saturating_mul(1_000))),
            ..refused(error.code, error.detail)
        }),
        Err(_) => Err(refused(
            ErrorCode::Unavailable,
            format!("HTTP {}", response.status()),
        )),
    }
}

/// The body of a post. The fields are in the order `json!` wrote them before (by name), so
/// the bytes sent are as they were; a struct instead of `json!` spares the wasm
/// `serde_json::Value` and its writer.
#[derive(Serialize)]
struct PostBody<'a> {
    client_id: Option<&'a ClientId>,
    message: &'a MessageText,
    token: Option<&'a ClientToken>,
    username: &'a Username,
}

/// The body of a typing notice, its fields by name as [`PostBody`]'s.
#[derive(Serialize)]
struct TypingBody<'a> {
    token: Option<&'a ClientToken>,
    username: &'a Username,
}

/// Relays a typing notice; failures do not matter.
pub async fn typing(room: &RoomName, username: &Username, token: Option<&ClientToken>) {
    let body = TypingBody { token, username };
    if let Ok(request) = Request::post(&format!("/api/rooms/{room}/typing")).json(&body) {
        let _best_effort = request.send().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn parsed<T>(parsed: Result<T, chinwag_shared::ValidationError>) -> T {
        parsed.unwrap_or_else(|err| panic!("a valid test value: {err}"))
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn the_bodies_are_written_as_json_wrote_them() {
        let username = parsed(Username::parse("ada"));
        let text = parsed(MessageText::parse("hi \"there\""));
        let client_id = parsed(ClientId::parse("c1"));
        let token = parsed(ClientToken::parse("t0123456789abcdef"));
        for (client_id, token) in [(None, None), (Some(&client_id), Some(&token))] {
            let post = PostBody {
                client_id,
                message: &text,
                token,
                username: &username,
            };
            let before = serde_json::json!({
                "username": username, "message": text, "client_id": client_id, "token": token,
            });
            assert_eq!(serde_json::to_string(&post).ok(), Some(before.to_string()));
            let typing = TypingBody {
                token,
                username: &username,
            };
            let before = serde_json::json!({ "username": username, "token": token });
            assert_eq!(
                serde_json::to_string(&typing).ok(),
                Some(before.to_string())
            );
        }
    }
}
