//! The room the benchmark opens: a public room filled with messages over the real WebSocket
//! API, before any browser looks at it.
//!
//! The server's per-connection rate limit (20 a second by default) would make filling 200
//! messages take ten seconds, so the benchmark's server runs with [`FILL_FLAGS`]: the fill is
//! setup, not what is measured, and no browser is connected while it runs.

use chinwag_testkit::socket::{JsonSocket, SocketError};
use serde_json::Value;
use std::{net::SocketAddr, time::Duration};

/// Server flags that let one connection post the whole fill at once.
pub const FILL_FLAGS: [&str; 4] = ["--rate-per-sec", "10000", "--rate-burst", "10000"];

/// How many of the newest messages must be on screen: the client's first history page.
pub const NEWEST: usize = 50;

/// How long one frame of the fill may take.
const FRAME_WAIT: Duration = Duration::from_secs(10);

/// The name the filling connection posts under.
const AUTHOR: &str = "filler";

/// A room with messages in it, and what a reader must see of it.
#[derive(Clone, Debug)]
pub struct FilledRoom {
    /// Its name.
    pub name: String,
    /// The ids of its [`NEWEST`] newest messages, oldest first: shown once all are in the
    /// message list.
    pub newest_ids: Vec<u64>,
}

/// Why the room could not be filled.
#[derive(Debug, thiserror::Error)]
pub enum FillError {
    /// The WebSocket failed, timed out or the server refused a post.
    #[error("filling the room: {0}")]
    Socket(#[from] SocketError),
    /// A stored record without a numeric id.
    #[error("the server's record has no id: {0}")]
    NoId(Value),
    /// Fewer messages than a full first page: nothing would tell "the newest 50" apart.
    #[error("a fill of {0} messages is fewer than the {NEWEST} a reader must see")]
    TooFew(usize),
}

/// Connects to the server at `addr` over WebSocket, joins `room` and posts `count` messages,
/// each awaited until stored.
pub async fn fill_room(
    addr: SocketAddr,
    room: &str,
    count: usize,
) -> Result<FilledRoom, FillError> {
    if count < NEWEST {
        return Err(FillError::TooFew(count));
    }
    let url = format!("ws://{addr}/socket?room={room}&username={AUTHOR}");
    let mut socket = JsonSocket::connect(url.as_str(), FRAME_WAIT).await?;
    while socket.recv(FRAME_WAIT).await?["type"] != "joined" {}
    let mut ids = Vec::with_capacity(count);
    for n in 1..=count {
        // Lines of a realistic length, so the bytes a page of history weighs are too.
        let text = format!("message {n} of {count}: the quick brown fox jumps over the lazy dog");
        let record = socket.post(room, AUTHOR, &text, FRAME_WAIT).await?;
        let id = record["id"]
            .as_u64()
            .ok_or_else(|| FillError::NoId(record.clone()))?;
        ids.push(id);
    }
    let newest_ids = ids.split_off(count - NEWEST);
    Ok(FilledRoom {
        name: room.to_owned(),
        newest_ids,
    })
}
