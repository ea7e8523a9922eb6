//! A session: one WebSocket connection, from upgrade to close.
//!
//! [`Session::run`] is one `select!` loop over the client's frames, the outbox, and what
//! reaches a session from outside (the server's heartbeat, and what ends it: shutdown, outbox
//! overflow, an expired credential); each arm calls a named method, and every way out is an
//! [`Ending`] with its close code. `run` leaves every room before the close frame goes out
//! (`Drop` again, for a session dropped mid-flight). This file is the loop and the dispatch;
//! each concept has its file: [`inbound`] (the only JSON parser), `outbound.rs` (writes),
//! [`cursor`] (the pure "no gap, no duplicate" rule), `cursors.rs` (each joined room's
//! cursor, stored small) and `replay.rs` (joins, paging, live frames), [`confirm`] (own sends
//! in room order), `signals.rs` (the outside signals, rung on one doorbell and read as
//! flags), `naming.rs` (who speaks), `post.rs` (sends, typing) and `ending.rs` (close codes).

mod access;
pub mod confirm;
pub mod cursor;
mod cursors;
mod ending;
pub mod inbound;
mod naming;
mod outbound;
mod post;
mod replay;
mod signals;

pub use ending::Ending;
pub use replay::{JoinRequest, LiveFrom};
pub use signals::Doorbells;

use crate::{
    admission::Permit,
    auth::{Auth, Principal},
    delivery::{outbox::Outbox, rooms::SessionId},
    hub::{Hub, new_rooms::ConnectionRooms},
    logs::{PeerWarnings, Warning},
    rate_limit::{Rate, RateLimit, Verdict},
};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, ProtocolError};
use chinwag_shared::{ClientToken, ErrorCode, ErrorFrame, Request, RoomName, Username};
use confirm::Confirmations;
use cursors::Cursors;
use ending::peer_vanished;
use futures_util::StreamExt;
use signals::Heard;
use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

/// Per-connection limits and timers, from [`crate::config::Config`].
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// How often the server pings an otherwise quiet client.
    pub heartbeat_interval: Duration,
    /// A client heard from for no longer than this is closed.
    pub idle_timeout: Duration,
    /// Frames the outbox holds before the client counts as too slow.
    pub outbox_frames: usize,
    /// Bytes of text the outbox holds before the client counts as too slow.
    pub outbox_bytes: usize,
    /// Rooms one connection may be in at once.
    pub max_rooms: usize,
    /// Frames per second a client may send, sustained.
    pub rate_per_sec: u32,
    /// Frames a client may send in a burst.
    pub rate_burst: u32,
    /// Refused frames (net of the refill) before a client counts as abusive (1008).
    pub rate_abuse_allowance: u32,
}

impl SessionLimits {
    /// The rate each client is held to, as its limiter reads it.
    pub fn rate(&self) -> Rate {
        Rate::new(
            self.rate_per_sec,
            self.rate_burst,
            self.rate_abuse_allowance,
        )
    }
}

/// What every session of a server shares, behind one pointer per connection rather than one
/// pointer (or copy) per part: every open connection carries these for life.
pub struct SessionContext {
    /// Per-connection limits and timers.
    pub limits: SessionLimits,
    /// `limits`' rate, as the sessions' limiters read it.
    pub rate: Rate,
    /// Identity: whether a guest's name belongs to an account, whether a credential holds.
    pub auth: Arc<Auth>,
    /// Warning budgets per client address, shared by every session and route.
    pub peer_warnings: Arc<PeerWarnings>,
    /// Every open session's doorbell, rung at shutdown.
    pub doorbells: Doorbells,
}

type Step = Result<(), Ending>;

/// One connection's state.
pub struct Session {
    id: SessionId,
    peer: Option<SocketAddr>,
    hub: Arc<Hub>,
    ws: actix_ws::Session,
    outbox: Outbox,
    /// Joined rooms → how far each has been sent.
    cursors: Cursors,
    /// This client's stored sends whose records have yet to come through their rooms.
    confirmations: Confirmations,
    username: Option<Username>,
    /// The client's "same browser" token (see `delivery::rooms`).
    token: Option<ClientToken>,
    /// The limits, identity and warning budgets every session shares.
    context: Arc<SessionContext>,
    last_heard: Instant,
    rate: RateLimit,
    /// Whether this connection's rate-limit refusals were judged for the log already: each
    /// connection asks once, and `peer_warnings` budgets the asking per address.
    rate_logged: bool,
    /// The rooms this connection has created, for the hub's new-room budget.
    new_rooms: ConnectionRooms,
    /// Whether a new-room refusal was logged already.
    new_rooms_logged: bool,
    /// Who this connection is, as proved at the upgrade.
    principal: Principal,
    /// A signed-in connection's account inbox (`hub::access::inbox`), where notices for the
    /// person arrive; none for a guest.
    inbox: Option<RoomName>,
    /// This connection's slot; freed as the session ends, before its close frame goes out,
    /// so a client that saw the close can count on the slot being free.
    permit: Option<Permit>,
    /// Whether it is in the hub's list of open connections, for the operators' console (a
    /// signed-in connection is, from the start of `serve` until it ends).
    listed: bool,
}

/// What the upgrade settled about one connection: where it comes from, its slot, and who it
/// is.
pub struct Upgraded {
    /// The client's address (behind a trusted proxy, the one it forwarded) and port.
    pub peer: Option<SocketAddr>,
    /// Its connection slot.
    pub permit: Permit,
    /// Who it proved to be.
    pub principal: Principal,
}

impl Session {
    /// A session for a freshly upgraded connection.
    pub fn new(
        hub: Arc<Hub>,
        context: Arc<SessionContext>,
        ws: actix_ws::Session,
        upgraded: Upgraded,
    ) -> Self {
        let limits = &context.limits;
        let Upgraded {
            peer,
            permit,
            principal,
        } = upgraded;
        let outbox = Outbox::new(limits.outbox_frames, limits.outbox_bytes);
        // A signed-in connection is named by its account from the start, and every
        // connection of the account is one client to the room's "name is held" rule.
        let (username, token) = match &principal {
            Principal::Account(identity) => (Some(identity.name.clone()), identity.client_token()),
            // Keys never reach a session: the upgrade refuses them (`routes::socket`).
            Principal::Guest | Principal::Service(_) => (None, None),
        };
        hub.metrics().connections_open.inc();
        Self {
            id: hub.new_session_id(),
            peer,
            outbox,
            rate: RateLimit::new(Instant::now()),
            rate_logged: false,
            new_rooms: ConnectionRooms::default(),
            new_rooms_logged: false,
            permit: Some(permit),
            hub,
            ws,
            cursors: Cursors::default(),
            confirmations: Confirmations::default(),
            username,
            token,
            principal,
            inbox: None,
            listed: false,
            context,
            last_heard: Instant::now(),
        }
    }

    /// This connection's id, for logs.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// Serves the connection until it ends, then sends the close frame.
    ///
    /// Written as a function returning an `async move` block rather than an `async fn`: an
    /// `async fn` moves its arguments from the future's start state into locals, and both
    /// copies stay in the future, so every open connection would carry the session twice.
    /// The block uses its captures in place. The first join comes boxed for the same reason:
    /// it is needed only at the start, and a task's future keeps whatever it captured.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn would hold the session twice (see above)"
    )]
    pub fn run(
        mut self,
        mut frames: AggregatedMessageStream,
        initial: Box<JoinRequest>,
    ) -> impl Future<Output = ()> {
        async move {
            tracing::debug!(session = self.id, peer = ?self.peer, "session open");
            let ending = self.serve(&mut frames, initial).await;
            match &ending {
                Ending::PeerGone | Ending::PeerClosed(_) | Ending::Shutdown => {
                    tracing::debug!(session = self.id, ?ending, "session closed");
                }
                _ => {
                    tracing::info!(session = self.id, peer = ?self.peer, ?ending, "closing session")
                }
            }
            if let Some(reason) = ending.metric_reason() {
                let label = crate::metrics::ReasonLabel { reason };
                self.hub.metrics().server_closes.get_or_create(&label).inc();
            }
            // Out of every room and its slot freed first: nothing more is queued for it, and
            // presence shows it gone. Then the close frame gets as long as an idle client would:
            // a slow reader still learns why (1013: resume with after=) behind what it was sent.
            self.leave_all();
            self.unlist();
            self.permit.take();
            // Boxed, as the close is the last thing a connection does: inline, its future and timer
            // would be part of every open connection's memory.
            let close = self.ws.clone().close(ending.close_reason());
            let _closed_or_gone = Box::pin(tokio::time::timeout(
                self.context.limits.idle_timeout,
                close,
            ))
            .await;
        }
    }

    /// Takes this session off the server's lists: the doorbells rung at shutdown, and the
    /// console's open connections.
    fn unlist(&mut self) {
        self.context.doorbells.remove(self.id);
        if std::mem::take(&mut self.listed) {
            self.hub.unlist_connection(self.id);
        }
    }

    /// Leaves every joined room, and the inbox.
    fn leave_all(&mut self) {
        for (room, _) in self.cursors.drain() {
            self.hub.leave(&room, self.id);
        }
        if let Some(inbox) = self.inbox.take() {
            self.hub.leave(&inbox, self.id);
        }
    }

    async fn serve(
        &mut self,
        frames: &mut AggregatedMessageStream,
        initial: Box<JoinRequest>,
    ) -> Ending {
        // Listed first: from here on, a shutdown rings this session's bell.
        self.context.doorbells.add(self.id, self.outbox.doorbell());
        self.listed = self.hub.list_connection(
            self.id,
            &self.principal,
            chinwag_shared::console::Transport::WebSocket,
            self.visitor().address,
            None,
        );
        if let Some(identity) = self.principal.identity() {
            let account = identity.account.clone();
            self.inbox = self.hub.join_inbox(&account, self.id, self.outbox.sender());
        }
        // Boxed, like every rare step below: the task holds the largest future it may await
        // inline for its whole life, and a join (store reads, replay) would otherwise make
        // every idle connection pay for it in memory.
        if let Err(ending) = Box::pin(self.join(*initial)).await {
            return ending;
        }
        // Made once, not per turn of the loop, and polled as one branch that reads flags
        // once it listens (see `signals`). The heartbeat comes through it too, rung by the
        // server: no timer of its own in every connection's future.
        let bell = self.outbox.doorbell();
        let mut signals =
            signals::signals(&bell, access::Expiry::at(access::expires(&self.principal)));
        loop {
            let step = tokio::select! {
                biased;
                Some(heard) = signals.next() => match heard {
                    Heard::End(ending) => Err(ending),
                    Heard::Heartbeat => Box::pin(self.on_heartbeat()).await,
                },
                incoming = frames.recv() => Box::pin(self.on_incoming(incoming)).await,
                Some(frame) = self.outbox.next() => self.on_frame(&frame).await,
            };
            if let Err(ending) = step {
                return ending;
            }
        }
    }

    async fn on_incoming(
        &mut self,
        incoming: Option<Result<AggregatedMessage, ProtocolError>>,
    ) -> Step {
        let message = match incoming {
            Some(Ok(message)) => message,
            // A reset or a half-sent frame at EOF: the peer vanished, it broke no rule. Dropped
            // connections are everyday life for a chat server (phones, tunnels, reconnect
            // storms), so they are not logged as incidents or counted as protocol closes.
            Some(Err(err)) if peer_vanished(&err) => return Err(Ending::PeerGone),
            None => return Err(Ending::PeerGone),
            Some(Err(err)) => return Err(Ending::Protocol(err)),
        };
        self.last_heard = Instant::now();
        // Every frame counts, control frames too: a ping costs the server a pong, and an
        // unrequested pong (RFC 6455 §5.5.3 allows them) still costs a wake-up; a flood of
        // either is a flood. The pong answering each heartbeat is one token per interval.
        if !matches!(message, AggregatedMessage::Close(_)) {
            match self.rate.check(self.last_heard, &self.context.rate) {
                Verdict::Allow => {}
                Verdict::Refuse => return self.refuse_over_rate(&message).await,
                Verdict::Abuse => return Err(Ending::Abuse),
            }
        }
        match message {
            AggregatedMessage::Text(text) => self.on_text(&text).await,
            AggregatedMessage::Binary(_) => {
                let detail = "binary frames are not part of the protocol; send JSON text";
                self.send_error(inbound::error(
                    ErrorCode::BinaryUnsupported,
                    detail.to_owned(),
                ))
                .await
            }
            AggregatedMessage::Ping(payload) => {
                self.send_control(actix_ws::Message::Pong(payload)).await
            }
            AggregatedMessage::Pong(_) => Ok(()),
            AggregatedMessage::Close(reason) => Err(Ending::PeerClosed(reason)),
        }
    }

    /// Answers a frame over the rate with `rate_limited`, naming its send if it was one.
    async fn refuse_over_rate(&mut self, message: &AggregatedMessage) -> Step {
        self.hub.metrics().rate_limited.inc();
        if !self.rate_logged {
            self.rate_logged = true;
            let address = self
                .peer
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |peer| peer.ip());
            if self
                .context
                .peer_warnings
                .admit(address, Warning::RateLimited)
            {
                tracing::warn!(session = self.id, peer = ?self.peer, "rate limit reached; refusing frames");
            }
        }
        let sent = match message {
            AggregatedMessage::Text(text) => inbound::decode(text).ok(),
            _ => None,
        };
        let frame = ErrorFrame {
            code: ErrorCode::RateLimited,
            detail: format!(
                "slow down: at most {} messages per second (bursts of {}); this one was not handled",
                self.context.limits.rate_per_sec, self.context.limits.rate_burst
            ),
            room: sent.as_ref().and_then(|msg| msg.room()).map(str::to_owned),
            client_id: sent
                .as_ref()
                .and_then(|msg| msg.client_id())
                .map(str::to_owned),
            retry_after_ms: None,
        };
        self.send_error(frame).await
    }

    async fn on_text(&mut self, text: &str) -> Step {
        let message = match inbound::decode(text) {
            Ok(message) => message,
            Err(frame) => return self.send_error(frame).await,
        };
        match message.validate() {
            Ok(request) => self.on_request(request).await,
            Err(err) => self.send_error(inbound::rejection(&message, &err)).await,
        }
    }

    async fn on_request(&mut self, request: Request) -> Step {
        match request {
            Request::Send {
                room,
                username,
                text,
                client_id,
            } => self.on_send(room, username, text, client_id).await,
            Request::Join {
                room,
                after,
                username,
                token,
                epoch,
            } => {
                let request = JoinRequest {
                    room,
                    after,
                    username,
                    token,
                    epoch,
                    live_from: LiveFrom::Join,
                };
                self.join(request).await
            }
            Request::Leave { room } => self.leave(room).await,
            Request::Typing { room, username } => self.on_typing(&room, username).await,
        }
    }

    async fn on_heartbeat(&mut self) -> Step {
        self.hub
            .metrics()
            .outbox_depth
            .observe(self.outbox.len() as f64);
        if self.last_heard.elapsed() > self.context.limits.idle_timeout {
            return Err(Ending::IdleTimeout);
        }
        // A connection opened with a session or token lasts as long as it does: signed out,
        // revoked or changed password elsewhere, it closes here within a heartbeat.
        if let Some(digest) = self
            .principal
            .identity()
            .and_then(|identity| identity.credential.as_deref())
            && !self.context.auth.still_valid(digest).await
        {
            return Err(Ending::CredentialExpired);
        }
        self.leave_banned_rooms().await?;
        self.send_control(actix_ws::Message::Ping(Default::default()))
            .await
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.hub.metrics().connections_open.dec();
        // Normally done already in `run`; this covers a session dropped mid-flight.
        self.leave_all();
        self.unlist();
    }
}
