//! A plain WebSocket client (no browser) for traffic a test needs from "someone else": posts
//! that the browsers must show, and barrier messages that prove earlier frames were handled.

use super::WAIT;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

/// A WebSocket client speaking JSON text frames.
pub struct Bot {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    username: String,
}

impl Bot {
    /// Connects to `url` (a `ws://…/socket?…` URL) and waits for its `joined` frame.
    pub async fn join(url: &str, username: &str) -> Bot {
        let (ws, _response) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
            .await
            .expect("bot connected in time")
            .expect("bot websocket handshake");
        let mut bot = Bot {
            ws,
            username: username.to_owned(),
        };
        while bot.recv().await["type"] != "joined" {}
        bot
    }

    /// Sends `{"type":"send",...}` to `room` and waits for the stored record, which it returns.
    pub async fn post(&mut self, room: &str, message: &str) -> Value {
        let frame =
            json!({"type": "send", "room": room, "username": self.username, "message": message});
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .expect("bot send");
        loop {
            let frame = self.recv().await;
            assert_ne!(frame["type"], "error", "bot's send refused: {frame}");
            if frame["type"] == "chat" && frame["room"] == room && frame["message"] == message {
                return frame;
            }
        }
    }

    /// The next JSON text frame (pings and pongs skipped).
    async fn recv(&mut self) -> Value {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame arrived in time")
                .expect("the socket is still open")
                .expect("a valid frame");
            match message {
                Message::Text(text) => return serde_json::from_str(&text).expect("server JSON"),
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }
}
