//! A WebSocket client that speaks Chinwag's JSON text frames, for tests that need "someone"
//! on a socket: the server suites' `Client` and the browser tests' `Bot` are built on it.
//!
//! Every wait takes its bound; one deadline covers all the pings and pongs skipped on the
//! way, so a stream of them cannot stretch a wait. Anything but a text frame, a ping or a
//! pong where a frame is awaited is an error, as is an `error` frame answering a post.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{self, Message, client::IntoClientRequest},
};

/// The stream under a [`JsonSocket`].
pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Why a socket operation did not give what was awaited.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// Nothing arrived within the bound.
    #[error("nothing arrived within {0:?}")]
    Timeout(Duration),
    /// The connection ended.
    #[error("the socket closed")]
    Closed,
    /// The handshake or the connection failed.
    #[error(transparent)]
    WebSocket(#[from] tungstenite::Error),
    /// A text frame that is not JSON.
    #[error("not JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    /// A frame that is neither text nor a ping or pong (a close, binary).
    #[error("expected a text frame, got {0}")]
    Unexpected(String),
    /// The server answered a post with an `error` frame.
    #[error("the send was refused: {0}")]
    Refused(Value),
}

/// A WebSocket client speaking JSON text frames.
pub struct JsonSocket {
    ws: Ws,
}

impl JsonSocket {
    /// Connects (the handshake bounded by `within`) without waiting for any frame.
    pub async fn connect(
        request: impl IntoClientRequest + Unpin,
        within: Duration,
    ) -> Result<JsonSocket, SocketError> {
        let (ws, _response) =
            tokio::time::timeout(within, tokio_tungstenite::connect_async(request))
                .await
                .map_err(|_| SocketError::Timeout(within))??;
        Ok(JsonSocket { ws })
    }

    /// The stream itself, for raw frames and closes.
    pub fn ws(&mut self) -> &mut Ws {
        &mut self.ws
    }

    /// Sends `value` as one text frame.
    pub async fn send_json(&mut self, value: &Value) -> Result<(), SocketError> {
        self.ws.send(Message::text(value.to_string())).await?;
        Ok(())
    }

    /// The next JSON text frame within `within`, pings and pongs skipped.
    pub async fn recv(&mut self, within: Duration) -> Result<Value, SocketError> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let message = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .map_err(|_| SocketError::Timeout(within))?
                .ok_or(SocketError::Closed)??;
            match message {
                Message::Text(text) => return Ok(serde_json::from_str(&text)?),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => return Err(SocketError::Unexpected(format!("{other:?}"))),
            }
        }
    }

    /// Sends `message` to `room` as `username` and waits for its stored record (the `chat`
    /// frame with that room and text), skipping other frames; each wait bounded by `within`.
    pub async fn post(
        &mut self,
        room: &str,
        username: &str,
        message: &str,
        within: Duration,
    ) -> Result<Value, SocketError> {
        let send = json!({"type": "send", "room": room, "username": username, "message": message});
        self.send_json(&send).await?;
        loop {
            let frame = self.recv(within).await?;
            if frame["type"] == "error" {
                return Err(SocketError::Refused(frame));
            }
            if frame["type"] == "chat" && frame["room"] == room && frame["message"] == message {
                return Ok(frame);
            }
        }
    }
}
