//! The HTTP side: room list, history pages, and the AJAX transport's requests (polling,
//! long-polling, posting, typing, presence), as JSON from the backend's API.

use chinwag_shared::{
    ApiError, ChatRecord, ClientId, ClientToken, ErrorCode, ErrorFrame, MessageText, RoomName,
    RoomSummary, Username,
};
use gloo::net::http::Request;
use serde::de::DeserializeOwned;
use serde_json::json;

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, String> {
    let response = Request::get(url)
        .send()
        .await
        .map_err(|err| err.to_string())?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    response.json().await.map_err(|err| err.to_string())
}

/// Every room the server knows, with its newest id.
pub async fn rooms() -> Result<Vec<RoomSummary>, String> {
    get_json("/api/rooms").await
}

/// Up to `limit` records of `room` with ids below `before`, ascending.
pub async fn history_before(
    room: &RoomName,
    before: u64,
    limit: usize,
) -> Result<Vec<ChatRecord>, String> {
    get_json(&format!(
        "/api/rooms/{room}/messages?before={before}&limit={limit}"
    ))
    .await
}

/// The records of `room` after `after`; with `wait`, a long-poll held up to that many seconds.
pub async fn messages_after(
    room: &RoomName,
    after: u64,
    wait: Option<u32>,
) -> Result<Vec<ChatRecord>, String> {
    let wait = wait.map(|secs| format!("&wait={secs}")).unwrap_or_default();
    get_json(&format!(
        "/api/rooms/{room}/messages?after={after}&limit=500{wait}"
    ))
    .await
}

/// The newest record of `room`, if it has any.
pub async fn newest(room: &RoomName) -> Result<Option<ChatRecord>, String> {
    let page: Vec<ChatRecord> = get_json(&format!("/api/rooms/{room}/messages?limit=1")).await?;
    Ok(page.into_iter().next())
}

/// Who is in `room` over WebSockets.
pub async fn presence(room: &RoomName) -> Result<Vec<Username>, String> {
    get_json(&format!("/api/rooms/{room}/presence")).await
}

/// Posts a message; the stored record, or the server's refusal as an error frame.
pub async fn post_message(
    room: &RoomName,
    username: &Username,
    text: &MessageText,
    client_id: Option<&ClientId>,
    token: Option<&ClientToken>,
) -> Result<ChatRecord, ErrorFrame> {
    let body = json!({
        "username": username, "message": text, "client_id": client_id, "token": token,
    });
    let refused = |code, detail: String| ErrorFrame {
        code,
        detail,
        room: Some(room.to_string()),
        client_id: client_id.map(ToString::to_string),
    };
    let request = Request::post(&format!("/api/rooms/{room}/messages"))
        .json(&body)
        .map_err(|err| refused(ErrorCode::BadMessage, err.to_string()))?;
    let response = request
        .send()
        .await
        .map_err(|err| refused(ErrorCode::Unavailable, err.to_string()))?;
    if response.ok() {
        return response
            .json()
            .await
            .map_err(|err| refused(ErrorCode::Unavailable, err.to_string()));
    }
    match response.json::<ApiError>().await {
        Ok(error) => Err(refused(error.code, error.detail)),
        Err(_) => Err(refused(
            ErrorCode::Unavailable,
            format!("HTTP {}", response.status()),
        )),
    }
}

/// Relays a typing notice; failures do not matter.
pub async fn typing(room: &RoomName, username: &Username, token: Option<&ClientToken>) {
    let body = json!({ "username": username, "token": token });
    if let Ok(request) = Request::post(&format!("/api/rooms/{room}/typing")).json(&body) {
        let _best_effort = request.send().await;
    }
}
