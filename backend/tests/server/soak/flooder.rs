//! The soak's flooder: one socket posting to the room as fast as the server takes it, which
//! must be told `rate_limited` and then closed 1008, while the crowd's traffic goes on.

use super::{MAX_FLOOD_FRAMES, ROOM, Ws, members::connect};
use crate::support::WAIT;
use futures_util::{SinkExt, StreamExt, stream::SplitSink, stream::SplitStream};
use serde_json::{Value, json};
use std::collections::HashMap;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

/// What the flooder got back.
#[derive(Debug, Default)]
pub(super) struct Flood {
    pub(super) frames_sent: u64,
    pub(super) refused: u64,
    pub(super) accepted: HashMap<String, u64>,
    /// The close frame's code; `None` when the connection ended without one.
    pub(super) close: Option<u16>,
}

/// Posts to the room as fast as the socket takes it, from its own room, until closed.
pub(super) async fn flood(url: String, start_at: Instant) -> Flood {
    tokio::time::sleep_until(start_at).await;
    let (mut sink, stream) = connect(&url).await.split();
    let mut reader = tokio::spawn(read_flood(stream));
    let mut frames_sent = 0;
    let mut flood = tokio::select! {
        flood = &mut reader => flood.expect("flood reader"),
        () = write_flood(&mut sink, &mut frames_sent) => reader.await.expect("flood reader"),
    };
    flood.frames_sent = frames_sent;
    flood
}

pub(super) async fn write_flood(sink: &mut SplitSink<Ws, Message>, frames_sent: &mut u64) {
    for n in 0..MAX_FLOOD_FRAMES {
        let frame = json!({
            "type": "send", "room": ROOM, "username": "flooder",
            "message": format!("flood {n}"), "client_id": format!("flood-{n}"),
        });
        match tokio::time::timeout(WAIT, sink.send(Message::text(frame.to_string()))).await {
            Ok(Ok(())) => *frames_sent += 1,
            Ok(Err(_)) | Err(_) => return,
        }
    }
}

pub(super) async fn read_flood(mut stream: SplitStream<Ws>) -> Flood {
    let mut flood = Flood::default();
    for _ in 0..MAX_FLOOD_FRAMES * 2 {
        let message = tokio::time::timeout(WAIT, stream.next())
            .await
            .expect("the flooder heard from the server in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                let frame: Value = serde_json::from_str(&text).expect("server JSON");
                let client_id = frame["client_id"].as_str().unwrap_or_default().to_owned();
                match frame["type"].as_str() {
                    Some("error") if frame["code"] == "rate_limited" => flood.refused += 1,
                    Some("chat") => {
                        let id = frame["id"].as_u64().expect("chat id is a u64");
                        flood.accepted.insert(client_id, id);
                    }
                    _ => {}
                }
            }
            Some(Ok(Message::Close(close))) => {
                flood.close = close.map(|close| u16::from(close.code));
                return flood;
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return flood,
        }
    }
    flood
}
