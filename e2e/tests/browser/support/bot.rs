//! A plain WebSocket client (no browser) for traffic a test needs from "someone else": posts
//! that the browsers must show, and barrier messages that prove earlier frames were handled.
//! It is `chinwag-testkit`'s JSON socket, with a name.

use super::WAIT;
use chinwag_testkit::socket::JsonSocket;
use serde_json::Value;

/// A WebSocket client speaking JSON text frames.
pub struct Bot {
    socket: JsonSocket,
    username: String,
}

impl Bot {
    /// Connects to `url` (a `ws://…/socket?…` URL) and waits for its `joined` frame.
    pub async fn join(url: &str, username: &str) -> Bot {
        let socket = JsonSocket::connect(url, WAIT)
            .await
            .expect("bot connected in time");
        let mut bot = Bot {
            socket,
            username: username.to_owned(),
        };
        while bot.recv().await["type"] != "joined" {}
        bot
    }

    /// Sends `{"type":"send",...}` to `room` and waits for the stored record, which it returns.
    pub async fn post(&mut self, room: &str, message: &str) -> Value {
        let posted = self.socket.post(room, &self.username, message, WAIT).await;
        posted.unwrap_or_else(|err| panic!("bot's post: {err}"))
    }

    /// Leaves the way a closed tab does: sends a close frame and drops the connection, so
    /// the server sees the socket end (not a `leave`).
    pub async fn close(mut self) {
        let closed = tokio::time::timeout(WAIT, self.socket.ws().close(None)).await;
        closed
            .expect("close frame sent in time")
            .expect("close frame sent");
    }

    /// The next JSON text frame (pings and pongs skipped).
    async fn recv(&mut self) -> Value {
        self.socket
            .recv(WAIT)
            .await
            .expect("a frame arrived in time")
    }
}
