//! The HTTP side: room list and history pages, as JSON from the backend's API.

use chinwag_shared::{ChatRecord, RoomName, RoomSummary};
use gloo::net::http::Request;
use serde::de::DeserializeOwned;

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
