//! The bare WebSocket relay: every text frame a client sends goes to every client.
//!
//! One task per connection selects over the client's frames and a receiver of one bounded
//! tokio broadcast channel. A frame is one refcounted `Utf8Bytes`, cloned per receiver (a
//! refcount bump); whatever is queued is fed to the socket and flushed once. `{"type":"join"}`
//! frames are accepted and ignored, so the bench's clients need no special case. A receiver
//! that lags a whole channel is closed with 1013, like Chinwag's slow-consumer rule.

use crate::client::{BASELINE_READY, ws_config};
use anyhow::Result;
use futures_util::{SinkExt, StreamExt};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::broadcast::{self, error::RecvError},
};
use tokio_tungstenite::tungstenite::{
    Message, Utf8Bytes,
    protocol::{CloseFrame, frame::coding::CloseCode},
};

/// Frames written before one flush when a connection is behind.
const MAX_BATCH: usize = 64;

/// Accepts connections until the listener fails.
pub async fn serve(listener: TcpListener, capacity: usize) -> Result<()> {
    super::accept_all::<Utf8Bytes, _, _>(listener, capacity, relay).await
}

/// One connection: relay its frames out, write everyone's frames to it.
async fn relay(
    stream: TcpStream,
    tx: broadcast::Sender<Utf8Bytes>,
    mut rx: broadcast::Receiver<Utf8Bytes>,
) -> Result<()> {
    let ws = tokio_tungstenite::accept_async_with_config(stream, Some(ws_config())).await?;
    let (mut sink, mut frames) = ws.split();
    sink.send(Message::text(BASELINE_READY)).await?;
    loop {
        tokio::select! {
            incoming = frames.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if !text.as_str().starts_with(r#"{"type":"join""#) {
                        // Err only when nobody is subscribed, and this task is.
                        let _ = tx.send(text);
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(()),
                Some(Ok(_)) => {}
            },
            outgoing = rx.recv() => match outgoing {
                Ok(text) => {
                    sink.feed(Message::Text(text)).await?;
                    for _ in 1..MAX_BATCH {
                        let Ok(more) = rx.try_recv() else { break };
                        sink.feed(Message::Text(more)).await?;
                    }
                    sink.flush().await?;
                }
                Err(RecvError::Lagged(_)) => {
                    let close = CloseFrame { code: CloseCode::Again, reason: "lagged".into() };
                    sink.send(Message::Close(Some(close))).await?;
                    return Ok(());
                }
                Err(RecvError::Closed) => return Ok(()),
            },
        }
    }
}
