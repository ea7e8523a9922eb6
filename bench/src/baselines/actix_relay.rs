//! The bare actix-ws relay: the floor for "what Chinwag's features cost over its framework".
//!
//! It makes the hand-offs Chinwag makes, on the same actix-web and actix-ws, and nothing
//! else (no store, no ids, no ordering checks, no limits, no metrics), in the shape of
//! actix's actor-less chat example:
//!
//! - one **hub** task owns the table of connections and receives commands (connect,
//!   disconnect, broadcast) on one bounded channel;
//! - each connection has one bounded channel of outgoing frames, filled by the hub;
//! - a **handler** task per connection selects over the client's frames and that channel,
//!   forwarding each outgoing frame to [`actix_ws::Session::text`].
//!
//! A broadcast is "serialized" once: the text arrives as one refcounted `ByteString` and every
//! recipient gets a clone of it (a refcount bump). `{"type":"join"}` frames are accepted and
//! ignored; the handler greets with [`BASELINE_READY`] only once the hub has registered it, so
//! a client that saw the greeting misses no later broadcast. A connection whose channel is
//! full is dropped from the table and closed with 1013 once its queue drains, like Chinwag's
//! slow-consumer rule, so the run sees the loss rather than an unbounded queue.

use crate::client::BASELINE_READY;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use anyhow::{Context, Result};
use bytestring::ByteString;
use futures_util::StreamExt;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// Largest client frame read, like Chinwag's default (its messages are far smaller).
const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Commands the hub may have waiting; senders wait (backpressure) beyond it.
const HUB_QUEUE: usize = 1024;

/// Connections one hub holds: what a loopback run can open, so the table is bounded.
const MAX_CONNECTIONS: usize = crate::cli::MAX_CLIENTS;

/// Which connection a command is about.
type ConnectionId = u64;

/// What handlers ask of the hub.
#[derive(Debug)]
enum Command {
    /// Register an outgoing channel; the hub answers with its id, or `None` when full.
    Connect {
        frames: mpsc::Sender<ByteString>,
        registered: oneshot::Sender<Option<ConnectionId>>,
    },
    /// Forget a connection that ended.
    Disconnect(ConnectionId),
    /// Queue one frame for every registered connection.
    Broadcast(ByteString),
}

/// The one task that owns the connection table.
struct Hub {
    connections: HashMap<ConnectionId, mpsc::Sender<ByteString>>,
    next_id: ConnectionId,
    commands: mpsc::Receiver<Command>,
}

impl Hub {
    /// Runs until every handle is dropped (the server stopped).
    async fn run(mut self) {
        while let Some(command) = self.commands.recv().await {
            match command {
                Command::Connect { frames, registered } => {
                    let id = (self.connections.len() < MAX_CONNECTIONS).then(|| {
                        self.next_id += 1;
                        self.connections.insert(self.next_id, frames);
                        self.next_id
                    });
                    // The handler may have gone meanwhile; then it disconnects nothing.
                    let _ = registered.send(id);
                }
                Command::Disconnect(id) => {
                    self.connections.remove(&id);
                }
                Command::Broadcast(text) => {
                    // A full channel is a slow consumer: dropping its sender ends the
                    // handler's queue, which it reports as 1013 once drained.
                    self.connections
                        .retain(|_, frames| frames.try_send(text.clone()).is_ok());
                }
            }
        }
    }
}

/// What each handler holds to talk to the hub.
#[derive(Debug, Clone)]
struct HubHandle {
    commands: mpsc::Sender<Command>,
    capacity: usize,
}

/// Serves on `listener` until the process is killed, on an actix system of its own.
pub fn serve(listener: std::net::TcpListener, capacity: usize) -> Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let (commands, receiver) = mpsc::channel(HUB_QUEUE);
        let hub = Hub {
            connections: HashMap::new(),
            next_id: 0,
            commands: receiver,
        };
        actix_web::rt::spawn(hub.run());
        let handle = web::Data::new(HubHandle {
            commands,
            capacity: capacity.max(1),
        });
        // One worker: pinned to one CPU by the launcher, as Chinwag is (it runs one worker
        // per allowed CPU).
        HttpServer::new(move || {
            App::new()
                .app_data(handle.clone())
                .route("/socket", web::get().to(upgrade))
        })
        .workers(1)
        .max_connections(MAX_CONNECTIONS)
        .disable_signals()
        .listen(listener)
        .context("actix-relay cannot listen")?
        .run()
        .await
        .context("actix-relay stopped")
    })
}

/// The WebSocket upgrade: answers the handshake and leaves the connection to [`relay`].
async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    hub: web::Data<HubHandle>,
) -> actix_web::Result<HttpResponse> {
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let stream = stream.max_frame_size(MAX_FRAME_BYTES);
    actix_web::rt::spawn(relay(hub.get_ref().clone(), session, stream));
    Ok(response)
}

/// How one connection's handler ended, which decides its close frame.
enum Ending {
    /// The client closed, or its stream ended or broke.
    ClientGone,
    /// The hub dropped it as too slow, or is gone.
    Dropped,
}

/// One connection: register, greet, then relay the client's frames to the hub and the hub's
/// frames to the client.
async fn relay(hub: HubHandle, mut session: Session, mut stream: MessageStream) {
    let (sender, mut frames) = mpsc::channel(hub.capacity);
    let (registered, id) = oneshot::channel();
    let connect = Command::Connect {
        frames: sender,
        registered,
    };
    let id = match (hub.commands.send(connect).await, id.await) {
        (Ok(()), Ok(Some(id))) => id,
        _ => {
            let _ = session.close(Some(CloseCode::Again.into())).await;
            return;
        }
    };
    let ending = if session.text(BASELINE_READY).await.is_err() {
        Ending::ClientGone
    } else {
        loop {
            tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        if !text.starts_with(r#"{"type":"join""#)
                            && hub.commands.send(Command::Broadcast(text)).await.is_err()
                        {
                            break Ending::Dropped;
                        }
                    }
                    Some(Ok(Message::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() {
                            break Ending::ClientGone;
                        }
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break Ending::ClientGone,
                    Some(Ok(_)) => {}
                },
                outgoing = frames.recv() => match outgoing {
                    Some(text) => {
                        if session.text(text).await.is_err() {
                            break Ending::ClientGone;
                        }
                    }
                    None => break Ending::Dropped,
                },
            }
        }
    };
    // A hub that is gone has nothing to forget.
    let _ = hub.commands.send(Command::Disconnect(id)).await;
    let reason = match ending {
        Ending::ClientGone => None,
        Ending::Dropped => Some(CloseReason {
            code: CloseCode::Again,
            description: Some("lagged".to_owned()),
        }),
    };
    let _ = session.close(reason).await;
}
