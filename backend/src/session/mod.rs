//! A session: one WebSocket connection, from upgrade to close.
//!
//! [`Session::run`] is one `select!` loop over five sources: the client's frames, the outbox
//! (frames fan-out queued for this connection), a heartbeat tick, server shutdown, and outbox
//! overflow. Each arm calls a named method; the loop ends on EOF, a protocol error, a client
//! close, shutdown, overflow or idle timeout, each with its own close code ([`Ending`]).
//!
//! Ordering: the session keeps a cursor per joined room — the newest id it has sent. A join
//! reads the room's head (or takes the client's `after`), *then* registers with the hub, then
//! reads the store past its cursor, so every record past the cursor is either replayed from
//! the store or arrives through the outbox; the cursor drops whatever was already sent and a
//! jump in ids is filled from the store. Hence no gap and no duplicate, even mid-replay. "Live
//! from now" is a cursor at the head read when "now" began ([`LiveFrom`]): before the 101 for
//! the connection's own join, so nothing stored after `onopen` fired is missed.
//! [`Session::run`] leaves every room as the loop ends, before the close frame goes out, and
//! `Drop` leaves them again for a session dropped mid-flight, so every exit path — including a
//! dropped TCP connection — releases the session at once.
//!
//! A member's own send is confirmed in that order too, by the room's record, but in its own
//! copy carrying the `client_id` that the shared frame leaves out ([`confirm`]).

pub mod confirm;
pub mod inbound;

use crate::{
    admission::Permit,
    delivery::rooms::SessionId,
    delivery::{
        frame::{Frame, encode},
        outbox::Outbox,
    },
    hub::{Hub, PostError, Poster, new_rooms::ConnectionRooms},
    logs::{Clipped, PeerWarnings, Warning},
    rate_limit::{RateLimit, Verdict},
    store::{Appended, Author, Epoch, NewMessage, Page, RoomHead, StoreError, page_is_cut},
};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, ProtocolError};
use bytestring::ByteString;
use chinwag_shared::{
    ChatRecord, ClientId, ClientToken, ErrorCode, ErrorFrame, MAX_HISTORY_PAGE, MessageText,
    Request, RoomName, ServerMsg, Username,
};
use confirm::Confirmations;
use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

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

/// A join: the one a connection makes as it opens (from the `/socket` query string) or a
/// later `join` frame.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    /// Room to join.
    pub room: RoomName,
    /// Replay after this id; live only when `None`.
    pub after: Option<u64>,
    /// The connection's name, if the client gave one.
    pub username: Option<Username>,
    /// The client's token, if it gave one.
    pub token: Option<ClientToken>,
    /// The history epoch `after` belongs to, if the client knows it.
    pub epoch: Option<String>,
    /// Where "live from now" starts when `after` is `None`.
    pub live_from: LiveFrom,
}

/// Where a join without `after` ("live messages only") starts: at the room's head as read at
/// the moment the client's "now" began. Every message stored after that head is delivered,
/// through the store if it was published before the session registered with the room, else
/// through the outbox. Reading the head only after registering would lose the messages
/// published in between (delivered, then dropped by the cursor as "already sent").
#[derive(Debug, Clone)]
pub enum LiveFrom {
    /// Read when the session handles the join: for a `join` frame, after the server read it.
    Join,
    /// Read before the 101 went out, so "now" is the moment the client's `onopen` fired.
    Head(RoomHead),
    /// The read before the 101 failed: the join fails as `unavailable`, like a failed read
    /// on join, and the client learns it instead of silently missing what came in between.
    Unknown,
}

/// How far a joined room has been sent to this client, and in which history.
#[derive(Debug, Clone)]
struct Cursor {
    /// The newest id sent.
    last: u64,
    /// The epoch those ids belong to.
    epoch: Epoch,
}

/// What one step of a replay did: what [`Session::catch_up`] and re-joins loop on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Replayed {
    /// Memory does not hold the range (or holds another history): ask the store.
    NotHeld,
    /// Everything asked for has been sent.
    Done,
    /// A page went out, ending at this id; there may be more after it.
    MoreAfter(u64),
}

/// Why a session ended; decides the close frame.
#[derive(Debug)]
pub enum Ending {
    /// The TCP connection ended or the socket is already closed.
    PeerGone,
    /// The client sent a close frame.
    PeerClosed(Option<CloseReason>),
    /// The client broke RFC 6455 (oversized or malformed frame).
    Protocol(ProtocolError),
    /// The server is shutting down.
    Shutdown,
    /// The outbox overflowed: the client reads slower than its rooms talk.
    SlowConsumer,
    /// Nothing was heard from the client within the idle timeout.
    IdleTimeout,
    /// The store failed while filling a gap, so live delivery cannot stay gapless.
    StoreFailed(StoreError),
    /// The client kept sending far over its rate limit.
    Abuse,
}

impl Ending {
    /// The `reason` label counted in `chinwag_server_closes`; `None` when the client ended it.
    fn metric_reason(&self) -> Option<&'static str> {
        Some(match self {
            Ending::PeerGone | Ending::PeerClosed(_) => return None,
            Ending::Protocol(_) => "protocol",
            Ending::Shutdown => "shutdown",
            Ending::SlowConsumer => "slow_consumer",
            Ending::IdleTimeout => "idle",
            Ending::StoreFailed(_) => "store_failed",
            Ending::Abuse => "abuse",
        })
    }

    fn close_reason(&self) -> Option<CloseReason> {
        let (code, description) = match self {
            Ending::PeerGone => return None,
            Ending::PeerClosed(_) => (CloseCode::Normal, "bye"),
            Ending::Protocol(err) => protocol_close(err),
            Ending::Shutdown => (CloseCode::Away, "server shutting down"),
            Ending::SlowConsumer => (
                CloseCode::Again,
                "too slow to keep up; reconnect with after=<last id>",
            ),
            Ending::IdleTimeout => (CloseCode::Away, "idle timeout"),
            Ending::StoreFailed(_) => (CloseCode::Error, "storage unavailable; reconnect"),
            Ending::Abuse => (CloseCode::Policy, "rate limit exceeded persistently"),
        };
        Some(CloseReason {
            code,
            description: Some(description.to_owned()),
        })
    }
}

/// The close code for a broken frame (RFC 6455 §7.4.1).
fn protocol_close(err: &ProtocolError) -> (CloseCode, &'static str) {
    match err {
        ProtocolError::Overflow => (CloseCode::Size, "message too large"),
        // actix-http 3 reports reserved bits as an InvalidData I/O error (its TODO says a
        // variant will come); actix-ws reports text that is not UTF-8 as InvalidData too, and
        // a reassembled message over the limit as an Other error. The hostile-client tests
        // pin each mapping, so a change in those crates shows up there.
        ProtocolError::Io(io)
            if io.kind() == std::io::ErrorKind::InvalidData
                && io.to_string().contains("reserved bits") =>
        {
            (
                CloseCode::Protocol,
                "reserved bits set without an extension",
            )
        }
        ProtocolError::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
            (CloseCode::Invalid, "text is not valid UTF-8")
        }
        ProtocolError::Io(io) if io.kind() == std::io::ErrorKind::Other => {
            (CloseCode::Size, "message too large")
        }
        _ => (CloseCode::Protocol, "protocol error"),
    }
}

/// Whether a stream error means the connection went away (reset, or EOF inside a frame)
/// rather than that the client broke a rule. actix reports both as I/O errors.
fn peer_vanished(err: &ProtocolError) -> bool {
    use std::io::ErrorKind;
    let ProtocolError::Io(io) = err else {
        return false;
    };
    let cut_short = io
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<actix_web::error::PayloadError>())
        .is_some_and(|payload| matches!(payload, actix_web::error::PayloadError::Incomplete(_)));
    cut_short
        || matches!(
            io.kind(),
            ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof
        )
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
    cursors: HashMap<RoomName, Cursor>,
    /// This client's stored sends whose records have yet to come through their rooms.
    confirmations: Confirmations,
    username: Option<Username>,
    /// The client's "same browser" token (see `delivery::rooms`).
    token: Option<ClientToken>,
    limits: SessionLimits,
    last_heard: Instant,
    shutdown: CancellationToken,
    overflowed: CancellationToken,
    rate: RateLimit,
    /// Whether this connection's rate-limit refusals were judged for the log already: each
    /// connection asks once, and `peer_warnings` budgets the asking per address.
    rate_logged: bool,
    /// The rooms this connection has created, for the hub's new-room budget.
    new_rooms: ConnectionRooms,
    /// Whether a new-room refusal was logged already.
    new_rooms_logged: bool,
    /// Warning budgets per client address, shared by every session and route.
    peer_warnings: Arc<PeerWarnings>,
    /// This connection's slot; freed as the session ends, before its close frame goes out,
    /// so a client that saw the close can count on the slot being free.
    permit: Option<Permit>,
}

/// Whether a client's `epoch` names another history than `current`. A client that names none
/// (the seed page, older clients) is taken at its word.
fn is_stale(epoch: Option<&str>, current: &Epoch) -> bool {
    epoch.is_some_and(|epoch| epoch != &**current)
}

/// The error frame for a name another client holds in `room`.
fn name_taken(room: &RoomName, name: &Username) -> ErrorFrame {
    ErrorFrame {
        code: ErrorCode::UsernameTaken,
        detail: format!(
            "{name}, or a name that looks like it, is already in #{room} from another \
             browser; pick another name"
        ),
        room: Some(room.to_string()),
        client_id: None,
    }
}

impl Session {
    /// A session for a freshly upgraded connection.
    pub fn new(
        hub: Arc<Hub>,
        ws: actix_ws::Session,
        peer: Option<SocketAddr>,
        limits: SessionLimits,
        shutdown: CancellationToken,
        permit: Permit,
        peer_warnings: Arc<PeerWarnings>,
    ) -> Self {
        let outbox = Outbox::new(limits.outbox_frames, limits.outbox_bytes);
        hub.metrics().connections_open.inc();
        Self {
            id: hub.new_session_id(),
            peer,
            overflowed: outbox.overflow_signal(),
            outbox,
            shutdown,
            rate: RateLimit::new(
                limits.rate_per_sec,
                limits.rate_burst,
                limits.rate_abuse_allowance,
                Instant::now(),
            ),
            rate_logged: false,
            new_rooms: ConnectionRooms::default(),
            new_rooms_logged: false,
            peer_warnings,
            permit: Some(permit),
            hub,
            ws,
            cursors: HashMap::new(),
            confirmations: Confirmations::default(),
            username: None,
            token: None,
            limits,
            last_heard: Instant::now(),
        }
    }

    /// This connection's id, for logs.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// Serves the connection until it ends, then sends the close frame.
    pub async fn run(mut self, mut frames: AggregatedMessageStream, initial: JoinRequest) {
        tracing::debug!(session = self.id, peer = ?self.peer, "session open");
        let ending = self.serve(&mut frames, initial).await;
        match &ending {
            Ending::PeerGone | Ending::PeerClosed(_) | Ending::Shutdown => {
                tracing::debug!(session = self.id, ?ending, "session closed");
            }
            _ => tracing::info!(session = self.id, peer = ?self.peer, ?ending, "closing session"),
        }
        if let Some(reason) = ending.metric_reason() {
            let label = crate::metrics::ReasonLabel { reason };
            self.hub.metrics().server_closes.get_or_create(&label).inc();
        }
        // Out of every room and its slot freed first: nothing more is queued for it, and
        // presence shows it gone. Then the close frame gets as long as an idle client would:
        // a slow reader still learns why (1013: resume with after=) behind what it was sent.
        self.leave_all();
        self.permit.take();
        let close = self.ws.clone().close(ending.close_reason());
        let _closed_or_gone = tokio::time::timeout(self.limits.idle_timeout, close).await;
    }

    /// Leaves every joined room.
    fn leave_all(&mut self) {
        for (room, _) in self.cursors.drain() {
            self.hub.leave(&room, self.id);
        }
    }

    async fn serve(
        &mut self,
        frames: &mut AggregatedMessageStream,
        initial: JoinRequest,
    ) -> Ending {
        if let Err(ending) = self.join(initial).await {
            return ending;
        }
        let mut heartbeat = tokio::time::interval(self.limits.heartbeat_interval);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        heartbeat.reset();
        let (shutdown, overflowed) = (self.shutdown.clone(), self.overflowed.clone());
        // Made once, not per turn of the loop: a fresh `cancelled()` future locks the token
        // and registers a waiter every time, which showed up in profiles as a real share of
        // the per-frame cost.
        let shutdown = shutdown.cancelled();
        let overflowed = overflowed.cancelled();
        tokio::pin!(shutdown, overflowed);
        loop {
            let step = tokio::select! {
                biased;
                () = &mut shutdown => Err(Ending::Shutdown),
                () = &mut overflowed => Err(Ending::SlowConsumer),
                incoming = frames.recv() => self.on_incoming(incoming).await,
                Some(frame) = self.outbox.next() => self.on_frame(&frame).await,
                _ = heartbeat.tick() => self.on_heartbeat().await,
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
            match self.rate.check(self.last_heard) {
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
                self.ws.pong(&payload).await.map_err(|_| Ending::PeerGone)
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
            if self.peer_warnings.admit(address, Warning::RateLimited) {
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
                self.limits.rate_per_sec, self.limits.rate_burst
            ),
            room: sent.as_ref().and_then(|msg| msg.room()).map(str::to_owned),
            client_id: sent
                .as_ref()
                .and_then(|msg| msg.client_id())
                .map(str::to_owned),
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

    /// Who speaks in `room` for a send or typing notice: the frame's username, else the
    /// connection's. Refused when there is none, or when another client holds the name there.
    fn speaker(
        &mut self,
        room: &RoomName,
        named: Option<Username>,
    ) -> Result<Username, ErrorFrame> {
        let Some(speaker) = named.or_else(|| self.username.clone()) else {
            let detail = "name a username in the frame or when connecting".to_owned();
            return Err(inbound::error(ErrorCode::UsernameRequired, detail));
        };
        self.adopt_username(&speaker)?;
        if self
            .hub
            .name_taken(room, Some(self.id), &speaker, self.token.as_ref())
        {
            return Err(name_taken(room, &speaker));
        }
        Ok(speaker)
    }

    /// The first name a connection uses becomes its presence name in every room it is in,
    /// unless another client holds that name in one of them.
    fn adopt_username(&mut self, username: &Username) -> Result<(), ErrorFrame> {
        if self.username.is_some() {
            return Ok(());
        }
        let token = self.token.as_ref();
        if let Some(room) = self
            .cursors
            .keys()
            .find(|room| self.hub.name_taken(room, Some(self.id), username, token))
        {
            return Err(name_taken(room, username));
        }
        self.username = Some(username.clone());
        for room in self.cursors.keys() {
            if self.hub.name(room, self.id, username).is_err() {
                // Claimed by someone else between the check and here; the registry refused,
                // so the room's rule still holds. This connection stays nameless there.
                let room = Clipped::new(room.as_str());
                tracing::debug!(session = self.id, %room, "name claimed concurrently");
            }
        }
        Ok(())
    }

    async fn on_send(
        &mut self,
        room: RoomName,
        username: Option<Username>,
        text: MessageText,
        client_id: Option<ClientId>,
    ) -> Step {
        let username = match self.speaker(&room, username) {
            Ok(username) => username,
            Err(mut frame) => {
                frame.room = Some(room.to_string());
                frame.client_id = client_id.map(|id| id.to_string());
                return self.send_error(frame).await;
            }
        };
        let message = NewMessage {
            author: Author::of(self.token.as_ref(), &username),
            room: room.clone(),
            username,
            text,
            client_id: client_id.clone(),
        };
        let poster = Poster {
            // Always known for a socket (the upgrade sets it); unspecified is one shared
            // budget for the impossible rest.
            address: self
                .peer
                .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |peer| peer.ip()),
            connection: Some(&mut self.new_rooms),
        };
        match self.hub.post(message, poster).await {
            // A member's confirmation arrives through its outbox, in order with everyone
            // else's: this session's copy of that record, with the client_id, is sent in the
            // shared frame's place. Nothing of the outbox is read before this is noted.
            Ok(Appended::Stored(record)) if self.cursors.contains_key(&room) => {
                self.confirmations.owe(record);
                Ok(())
            }
            // A retry whose record has not reached this connection yet (stored through the
            // connection that dropped, still on its way here): answered in its place too, so
            // the client is not shown the id twice, once without its client_id.
            Ok(Appended::Duplicate(record))
                if self
                    .cursors
                    .get(&room)
                    .is_some_and(|cursor| record.id > cursor.last) =>
            {
                self.confirmations.owe(record);
                Ok(())
            }
            Ok(Appended::Stored(record) | Appended::Duplicate(record)) => {
                self.send_record(&record).await
            }
            Ok(Appended::Reused) => {
                let frame = ErrorFrame {
                    code: ErrorCode::ClientIdReused,
                    detail: "this client_id already names another message of yours in this \
                             room; send the new one with a fresh client_id"
                        .to_owned(),
                    room: Some(room.to_string()),
                    client_id: client_id.map(|id| id.to_string()),
                };
                self.send_error(frame).await
            }
            Err(PostError::TooManyNewRooms(refusal)) => {
                if !self.new_rooms_logged {
                    self.new_rooms_logged = true;
                    tracing::warn!(session = self.id, peer = ?self.peer, %refusal, "new-room budget spent; refusing new rooms");
                }
                let frame = ErrorFrame {
                    code: ErrorCode::TooManyNewRooms,
                    detail: refusal.to_string(),
                    room: Some(room.to_string()),
                    client_id: client_id.map(|id| id.to_string()),
                };
                self.send_error(frame).await
            }
            Err(PostError::Store(err)) => {
                tracing::warn!(session = self.id, error = %err, "append failed");
                let frame = ErrorFrame {
                    code: ErrorCode::Unavailable,
                    detail: "the message could not be confirmed; retry with the same client_id \
                             (it is stored at most once)"
                        .to_owned(),
                    room: Some(room.to_string()),
                    client_id: client_id.map(|id| id.to_string()),
                };
                self.send_error(frame).await
            }
        }
    }

    async fn on_typing(&mut self, room: &RoomName, username: Option<Username>) -> Step {
        match self.speaker(room, username) {
            Ok(username) => {
                self.hub.typing(room, &username);
                Ok(())
            }
            Err(mut frame) => {
                frame.room = Some(room.to_string());
                self.send_error(frame).await
            }
        }
    }

    async fn join(&mut self, request: JoinRequest) -> Step {
        let JoinRequest {
            room,
            after,
            username,
            token,
            epoch,
            live_from,
        } = request;
        if self.token.is_none() {
            self.token = token;
        }
        if let Some(username) = &username
            && let Err(mut frame) = self.adopt_username(username)
        {
            frame.room = Some(room.to_string());
            return self.send_error(frame).await;
        }
        if let Some(cursor) = self.cursors.get(&room).cloned() {
            return self.rejoin(room, after, epoch, cursor).await;
        }
        if self.cursors.len() >= self.limits.max_rooms {
            let mut frame = inbound::error(
                ErrorCode::TooManyRooms,
                format!(
                    "a connection may be in {} rooms at most",
                    self.limits.max_rooms
                ),
            );
            frame.room = Some(room.to_string());
            return self.send_error(frame).await;
        }
        // Read the head *before* registering: every record past it is then either read by
        // the catch-up below or still to come through the outbox (see the module doc).
        let head = match (after, live_from) {
            (None, LiveFrom::Head(head)) => Ok(head),
            (None, LiveFrom::Unknown) => Err(None),
            (Some(_), _) | (None, LiveFrom::Join) => self.hub.head(&room).await.map_err(Some),
        };
        let head = match head {
            Ok(head) => head,
            Err(err) => {
                tracing::warn!(session = self.id, error = ?err, "join failed");
                return self.send_unavailable(&room).await;
            }
        };
        let joined = self.hub.join(
            &room,
            self.id,
            self.outbox.sender(),
            self.username.clone(),
            self.token.clone(),
        );
        match (joined, self.username.clone()) {
            (Ok(()), _) => {}
            // Only a named connection can be refused, so the name is there.
            (Err(_), Some(name)) => return self.send_error(name_taken(&room, &name)).await,
            (Err(_), None) => return Ok(()),
        }
        let mut after = after;
        if is_stale(epoch.as_deref(), &head.epoch) {
            // The client's ids belong to a history this store no longer has.
            self.send_reset(&room, &head.epoch).await?;
            after = Some(0);
        }
        // A client that saw more than the store holds (and named no epoch) restarts from
        // what is here; `joined.last_id` < its `after` tells it so.
        let last = after.map_or(head.last_id, |after| after.min(head.last_id));
        let cursor = Cursor {
            last,
            epoch: head.epoch,
        };
        self.cursors.insert(room.clone(), cursor);
        self.catch_up(&room, u64::MAX).await?;
        self.send_joined(room).await
    }

    /// Confirms a join with the room's cursor, then its presence list.
    async fn send_joined(&mut self, room: RoomName) -> Step {
        let Some(cursor) = self.cursors.get(&room) else {
            return Ok(());
        };
        let joined = ServerMsg::Joined {
            room: room.clone(),
            last_id: cursor.last,
            epoch: cursor.epoch.to_string(),
        };
        self.send_msg(&joined).await?;
        let users = match self.hub.users(&room).await {
            Ok(users) => users,
            Err(err) => {
                tracing::warn!(session = self.id, error = %err, "presence unavailable");
                Vec::new()
            }
        };
        self.send_msg(&ServerMsg::Presence { room, users }).await
    }

    /// A join for a room the connection is already in: replay what it asks for again.
    async fn rejoin(
        &mut self,
        room: RoomName,
        after: Option<u64>,
        epoch: Option<String>,
        cursor: Cursor,
    ) -> Step {
        let mut after = after;
        if is_stale(epoch.as_deref(), &cursor.epoch) {
            self.send_reset(&room, &cursor.epoch).await?;
            after = Some(0);
        }
        if let Some(mut from) = after.filter(|&after| after < cursor.last) {
            // The cursor stays where it is: these records were sent once already.
            while let Replayed::MoreAfter(last) = self
                .replay_store_page(&room, from, cursor.last, false)
                .await?
            {
                from = last;
            }
        }
        self.send_joined(room).await
    }

    /// Tells the client that `room`'s history was replaced and now has `epoch`.
    async fn send_reset(&mut self, room: &RoomName, epoch: &Epoch) -> Step {
        let room_name = Clipped::new(room.as_str());
        tracing::info!(session = self.id, room = %room_name, %epoch, "history epoch changed; client told to reset");
        let reset = ServerMsg::HistoryReset {
            room: room.clone(),
            epoch: epoch.to_string(),
        };
        self.send_msg(&reset).await
    }

    async fn leave(&mut self, room: RoomName) -> Step {
        if self.cursors.remove(&room).is_some() {
            self.hub.leave(&room, self.id);
        }
        self.confirmations.forget(&room);
        self.send_msg(&ServerMsg::Left { room }).await
    }

    /// Sends the stored records of `room` after its cursor and up to `upto`, advancing the
    /// cursor as it goes.
    async fn catch_up(&mut self, room: &RoomName, upto: u64) -> Step {
        loop {
            let Some(cursor) = self.cursors.get(room).map(|cursor| cursor.last) else {
                return Ok(());
            };
            if cursor >= upto {
                return Ok(());
            }
            let replayed = match self.catch_up_from_memory(room, cursor, upto).await? {
                Replayed::NotHeld => self.replay_store_page(room, cursor, upto, true).await?,
                held => held,
            };
            if replayed == Replayed::Done {
                return Ok(());
            }
        }
    }

    /// Sends one page of `room`'s stored records with ids in (`after`, `upto`]; with
    /// `advance`, the cursor follows. The one paging loop step of replays, catch-ups and
    /// re-joins.
    async fn replay_store_page(
        &mut self,
        room: &RoomName,
        after: u64,
        upto: u64,
        advance: bool,
    ) -> Result<Replayed, Ending> {
        let page = Page::After {
            after,
            limit: MAX_HISTORY_PAGE,
        };
        let records = self
            .hub
            .page(room, page)
            .await
            .map_err(Ending::StoreFailed)?;
        let mut last = None;
        for record in records.iter().take_while(|record| record.id <= upto) {
            self.send_stored(record).await?;
            last = Some(record.id);
            if advance && let Some(cursor) = self.cursors.get_mut(room) {
                cursor.last = record.id;
            }
        }
        Ok(match last {
            Some(last) if last < upto && page_is_cut(&records, MAX_HISTORY_PAGE) => {
                Replayed::MoreAfter(last)
            }
            _ => Replayed::Done,
        })
    }

    /// Sends what the hub holds in memory after `after` (up to `upto`) as the frames that were
    /// broadcast, with no store read and no encoding. [`Replayed::NotHeld`] when memory does
    /// not hold all of it (or holds another epoch): then the store must answer.
    async fn catch_up_from_memory(
        &mut self,
        room: &RoomName,
        after: u64,
        upto: u64,
    ) -> Result<Replayed, Ending> {
        let Some((epoch, frames)) = self.hub.recent_frames(room, after, upto, MAX_HISTORY_PAGE)
        else {
            return Ok(Replayed::NotHeld);
        };
        if self
            .cursors
            .get(room)
            .is_none_or(|cursor| *cursor.epoch != *epoch)
        {
            return Ok(Replayed::NotHeld);
        }
        let mut last = None;
        for frame in &frames {
            let Some(id) = frame.id() else {
                continue; // the tail holds chat frames only
            };
            self.send_chat(room, id, frame.text()).await?;
            last = Some(id);
            if let Some(cursor) = self.cursors.get_mut(room) {
                cursor.last = id;
            }
        }
        Ok(match last {
            Some(last) if frames.len() == MAX_HISTORY_PAGE && last < upto => {
                Replayed::MoreAfter(last)
            }
            _ => Replayed::Done,
        })
    }

    /// Delivers a frame fan-out queued, keeping each room's ids gapless and unrepeated.
    async fn on_frame(&mut self, frame: &Frame) -> Step {
        let Some(cursor) = self.cursors.get_mut(frame.room()) else {
            return Ok(()); // queued before this connection left the room
        };
        let frame = match frame {
            Frame::Event(event) => return self.send_text(event.text.clone()).await,
            Frame::Chat(chat) => chat,
        };
        let id = frame.id;
        let same_history = if Epoch::ptr_eq(&frame.epoch, &cursor.epoch) {
            true
        } else if *frame.epoch == *cursor.epoch {
            // Share the frames' copy from now on, so the check above is a pointer compare.
            cursor.epoch = Epoch::clone(&frame.epoch);
            true
        } else {
            false
        };
        // The common case, one hash lookup and no copies: the next id of the same history.
        if same_history && id == cursor.last + 1 {
            cursor.last = id;
            return self.send_chat(&frame.room, id, &frame.text).await;
        }
        let mut last = cursor.last;
        if !same_history {
            // The store lost its history under us and started again at id 1.
            // What this client was owed belongs to the old history; it re-sends what is still
            // unconfirmed (protocol: `history_reset`) and is answered directly.
            let epoch = Epoch::clone(&frame.epoch);
            self.send_reset(&frame.room, &epoch).await?;
            self.confirmations.forget(&frame.room);
            self.cursors
                .insert(frame.room.clone(), Cursor { last: 0, epoch });
            last = 0;
        }
        if id <= last {
            return Ok(()); // already sent during a replay
        }
        if id > last + 1 {
            self.catch_up(&frame.room, id - 1).await?;
        }
        self.send_chat(&frame.room, id, &frame.text).await?;
        if let Some(cursor) = self.cursors.get_mut(&frame.room) {
            cursor.last = id;
        }
        Ok(())
    }

    async fn on_heartbeat(&mut self) -> Step {
        self.hub
            .metrics()
            .outbox_depth
            .observe(self.outbox.len() as f64);
        if self.last_heard.elapsed() > self.limits.idle_timeout {
            return Err(Ending::IdleTimeout);
        }
        self.ws.ping(b"").await.map_err(|_| Ending::PeerGone)
    }

    async fn send_record(&mut self, record: &ChatRecord) -> Step {
        self.send_msg(&ServerMsg::Chat(record.clone())).await
    }

    /// Sends `room`'s chat frame `id` as it was broadcast (`shared`), or this client's own
    /// copy if it is the confirmation of its send.
    async fn send_chat(&mut self, room: &RoomName, id: u64, shared: &ByteString) -> Step {
        match self.confirmations.take(room, id) {
            Some(own) => self.send_record(&own).await,
            None => self.send_text(shared.clone()).await,
        }
    }

    /// Sends a record read from the store, or this client's own copy if it is the
    /// confirmation of its send.
    async fn send_stored(&mut self, record: &ChatRecord) -> Step {
        match self.confirmations.take(&record.room, record.id) {
            Some(own) => self.send_record(&own).await,
            None => self.send_record(record).await,
        }
    }

    async fn send_unavailable(&mut self, room: &RoomName) -> Step {
        let mut frame = inbound::error(
            ErrorCode::Unavailable,
            "storage is unavailable; try again shortly".to_owned(),
        );
        frame.room = Some(room.to_string());
        self.send_error(frame).await
    }

    async fn send_error(&mut self, frame: ErrorFrame) -> Step {
        // Details quote input (serde names the unknown variant it was sent, in full).
        let detail = Clipped::new(&frame.detail);
        tracing::debug!(session = self.id, code = %frame.code, %detail, "refused a client frame");
        let label = crate::metrics::CodeLabel {
            code: frame.code.as_str(),
        };
        self.hub.metrics().error_frames.get_or_create(&label).inc();
        self.send_msg(&ServerMsg::Error(frame)).await
    }

    async fn send_msg(&mut self, message: &ServerMsg) -> Step {
        self.send_text(encode(message)).await
    }

    /// Hands `text` to the socket. Usually immediate; when the peer has stopped reading, the
    /// write waits — but only until the outbox overflows, the server shuts down or the idle
    /// timeout passes, so a stalled peer cannot pin its session forever.
    async fn send_text(&mut self, text: ByteString) -> Step {
        self.write(text).await?;
        self.hub.metrics().frames_delivered.inc();
        Ok(())
    }

    /// The write behind [`Self::send_text`], raced against the reasons to stop waiting.
    async fn write(&mut self, text: ByteString) -> Step {
        let write = self.ws.text(text);
        tokio::pin!(write);
        // Poll the write once on its own first: almost always the channel has room and it is
        // done, and only a write that must wait pays for registering the three wake-ups below.
        tokio::select! {
            biased;
            sent = &mut write => return sent.map_err(|_| Ending::PeerGone),
            () = std::future::ready(()) => {}
        }
        tokio::select! {
            biased;
            sent = &mut write => sent.map_err(|_| Ending::PeerGone),
            () = self.shutdown.cancelled() => Err(Ending::Shutdown),
            () = self.overflowed.cancelled() => Err(Ending::SlowConsumer),
            () = tokio::time::sleep(self.limits.idle_timeout) => Err(Ending::SlowConsumer),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.hub.metrics().connections_open.dec();
        // Normally done already in `run`; this covers a session dropped mid-flight.
        self.leave_all();
    }
}
